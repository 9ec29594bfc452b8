//! The store's behaviour on real SQLite files: writes, reads, lists, search, notifications,
//! compaction, the cache bound, projection rebuilds, and the genesis rule.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use std::sync::{Arc, Mutex};

use common::{open_as, user};
use offgrid_core::{Error, ListQuery, RecordId, RecordKind, Store, StoreOptions};
use serde_json::json;

fn inspection_fields() -> serde_json::Value {
    json!({
        "title": "底板钢筋隐蔽验收 Floor-slab rebar",
        "status": "draft",
        "project": "p1",
        "site": "B2",
        "answers": {"rebar-spacing": {}, "cover": {}},
    })
}

#[test]
fn create_update_and_read_back_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let id = {
        let (store, clock) = open_as(&path, "zhang");
        let id = store
            .create(RecordKind::Inspection, &inspection_fields())
            .unwrap();
        clock.advance_ms(60_000);
        store
            .update(&id, "answer rebar spacing", |e| {
                e.set("/answers/rebar-spacing/value", "pass")?;
                e.set("/answers/rebar-spacing/note", "间距 200mm，符合要求")?;
                Ok(e.set("/status", "in_progress")?)
            })
            .unwrap();
        id
    };
    let (store, _) = open_as(&path, "zhang");
    let doc = store.get(&id).unwrap();
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(doc["kind"], "inspection");
    assert_eq!(doc["created_by"], "zhang");
    assert_eq!(doc["answers"]["rebar-spacing"]["value"], "pass");
    assert_eq!(
        doc["answers"]["rebar-spacing"]["note"],
        "间距 200mm，符合要求"
    );
    assert_eq!(doc["answers"]["cover"], json!({}));
    // Genesis maps of the kind exist even when not given.
    for map in ["photos", "notes", "signatures", "events"] {
        assert_eq!(doc[map], json!({}), "{map}");
    }
    let rows = store.list(&ListQuery::default()).unwrap();
    assert_eq!(rows.len(), 1);
    // An inspection's listed status is the fold of its lifecycle events (none here), never a
    // field that devices could overwrite.
    assert_eq!(rows[0].status.as_deref(), Some("draft"));
    assert_eq!(doc["status"], "in_progress");
    assert_eq!(
        rows[0].title.as_deref(),
        Some("底板钢筋隐蔽验收 Floor-slab rebar")
    );
    assert_eq!(rows[0].updated_by.as_deref(), Some("zhang"));
    assert_eq!(rows[0].updated_ms, common::T0 + 60_000);
    assert_eq!(rows[0].created_ms, common::T0);

    let history = store.history(&id).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].message, "answer rebar spacing");
    assert_eq!(history[1].user_id.as_deref(), Some("zhang"));
    assert_eq!(history[1].offset_minutes, 480);
    assert_eq!(history[1].time_ms, common::T0 + 60_000);
    assert_eq!(
        history[1].paths,
        vec![
            "/answers/rebar-spacing/note",
            "/answers/rebar-spacing/value",
            "/status"
        ]
    );
}

#[test]
fn genesis_rule_is_enforced_by_the_edit_api() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("g.db"), "zhang");
    let id = store
        .create(RecordKind::Inspection, &inspection_fields())
        .unwrap();
    // No lazily created maps: the parent of a set must exist.
    let err = store
        .update(&id, "x", |e| {
            Ok(e.set("/answers/unknown-item/value", "pass")?)
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::PathNotFound { ref path } if path == "/answers/unknown-item"),
        "{err}"
    );
    // Maps go in only under new keys.
    let note = RecordId::new();
    store
        .update(&id, "note", |e| {
            Ok(e.insert(
                "/notes",
                note.as_str(),
                &json!({"text": "混凝土未到", "by": "zhang"}),
            )?)
        })
        .unwrap();
    let err = store
        .update(&id, "again", |e| {
            Ok(e.insert("/notes", note.as_str(), &json!({}))?)
        })
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    // Objects cannot be `set` over a field, and identity fields are fixed.
    let err = store
        .update(&id, "x", |e| Ok(e.set("/answers/cover", json!({"a": 1}))?))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    let err = store
        .update(&id, "x", |e| Ok(e.set("/kind", "hazard")?))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    // A failed edit keeps nothing, even what it did before failing.
    let err = store
        .update(&id, "half", |e| {
            e.set("/status", "submitted")?;
            Ok(e.set("/nope/x", 1)?)
        })
        .unwrap_err();
    assert!(matches!(err, Error::PathNotFound { .. }));
    assert_eq!(
        store.get_path(&id, "/status").unwrap(),
        Some(json!("draft"))
    );
    store.clear_cache();
    assert_eq!(
        store.get_path(&id, "/status").unwrap(),
        Some(json!("draft"))
    );
    assert_eq!(store.history(&id).unwrap().len(), 2);
}

#[test]
fn writes_need_a_user_and_are_attributed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("u.db")).unwrap();
    let err = store.create(RecordKind::Patrol, &json!({})).unwrap_err();
    assert!(matches!(err, Error::NoCurrentUser));
    store.set_user(user("wang"));
    let id = store
        .create(RecordKind::Patrol, &json!({"title": "t"}))
        .unwrap();
    assert_eq!(
        store.list(&ListQuery::default()).unwrap()[0]
            .created_by
            .as_deref(),
        Some("wang")
    );
    assert_eq!(
        store.history(&id).unwrap()[0].user_name.as_deref(),
        Some("name of wang")
    );
}

#[test]
fn list_filters_and_chinese_search() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = open_as(&dir.path().join("l.db"), "li");
    let mut ids = Vec::new();
    store
        .write(|w| {
            for (i, (desc, status, grade)) in [
                ("底板局部渗水，墙面有裂缝", "open", "yellow"),
                ("防护密闭门门框变形 blast door frame bent", "open", "red"),
                ("通风管道 Ventilation duct loose", "closed", "blue"),
            ]
            .into_iter()
            .enumerate()
            {
                ids.push(w.create(
                    RecordKind::Patrol,
                    &json!({"title": format!("隐患 {i}"), "description": desc, "status": status,
                            "grade": grade, "project": "p1"}),
                )?);
            }
            w.create(
                RecordKind::Inspection,
                &json!({"title": "巡查", "project": "p2"}),
            )?;
            Ok(())
        })
        .unwrap();
    clock.advance_ms(1000);
    store
        .update(&ids[0], "touch", |e| Ok(e.set("/assignee", "wang")?))
        .unwrap();

    let q = |q: ListQuery| {
        store
            .list(&q)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(q(ListQuery::default()).len(), 4);
    assert_eq!(
        q(ListQuery {
            kind: Some(RecordKind::Patrol),
            ..Default::default()
        })
        .len(),
        3
    );
    assert_eq!(
        q(ListQuery {
            status: Some("open".into()),
            ..Default::default()
        })
        .len(),
        2
    );
    assert_eq!(
        q(ListQuery {
            grade: Some("red".into()),
            ..Default::default()
        }),
        vec![ids[1].clone()]
    );
    assert_eq!(
        q(ListQuery {
            assignee: Some("wang".into()),
            ..Default::default()
        }),
        vec![ids[0].clone()]
    );
    assert_eq!(
        q(ListQuery {
            project: Some("p2".into()),
            ..Default::default()
        })
        .len(),
        1
    );
    // Most recently updated first.
    assert_eq!(q(ListQuery::default())[0], ids[0]);
    // One-, two- and three-character Chinese words inside a sentence; English case-insensitive.
    let search = |t: &str| {
        q(ListQuery {
            text: Some(t.into()),
            ..Default::default()
        })
    };
    assert_eq!(search("裂"), vec![ids[0].clone()]);
    assert_eq!(search("渗水"), vec![ids[0].clone()]);
    assert_eq!(search("密闭门"), vec![ids[1].clone()]);
    assert_eq!(search("ventilation"), vec![ids[2].clone()]);
    assert_eq!(search("门"), vec![ids[1].clone()]);
    assert!(search("不存在的词").is_empty());
    assert_eq!(search("\"quoted\" %_"), Vec::<RecordId>::new());
    assert_eq!(
        q(ListQuery {
            text: Some("隐患".into()),
            status: Some("open".into()),
            limit: Some(1),
            ..Default::default()
        })
        .len(),
        1
    );
    // Search sees edits: the index follows the document.
    store
        .update(&ids[2], "note", |e| {
            Ok(e.set("/description", "排风机 异响")?)
        })
        .unwrap();
    assert_eq!(search("异响"), vec![ids[2].clone()]);
    assert!(search("ventilation").is_empty());
}

#[test]
fn subscribers_are_told_what_changed_after_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("n.db"), "zhang");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sub = {
        let seen = seen.clone();
        store.subscribe(move |event| seen.lock().unwrap().push(event.clone()))
    };
    let (a, b, p) = store
        .write(|w| {
            Ok((
                w.create(RecordKind::Patrol, &json!({}))?,
                w.create(RecordKind::Patrol, &json!({}))?,
                w.create(RecordKind::Project, &json!({}))?,
            ))
        })
        .unwrap();
    store
        .update(&a, "x", |e| Ok(e.set("/title", "t")?))
        .unwrap();
    store
        .update(&a, "x again", |e| Ok(e.set("/title", "t2")?))
        .unwrap();
    // A failed write and a no-op write notify nobody.
    let _ = store.update(&a, "bad", |e| Ok(e.set("/missing/x", 1)?));
    store.update(&a, "noop", |_| Ok(())).unwrap();
    let mut first = vec![a.clone(), b.clone(), p.clone()];
    first.sort();
    let events = seen.lock().unwrap().clone();
    assert_eq!(events.len(), 3, "{events:?}");
    // One event per commit: each record once, sorted; the kinds as topics in their fixed order.
    assert_eq!(events[0].records, first);
    assert_eq!(
        events[0].topics,
        vec![RecordKind::Project, RecordKind::Patrol]
    );
    assert_eq!(events[1].records, vec![a.clone()]);
    assert_eq!(events[1].topics, vec![RecordKind::Patrol]);
    // Events that queued up fold into one.
    let mut merged = events[1].clone();
    merged.merge(events[0].clone());
    assert_eq!(merged, events[0]);
    drop(sub);
    store
        .update(&b, "y", |e| Ok(e.set("/title", "t")?))
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 3);

    // Changes merged from another device are told with their kind too.
    let (other, _) = open_as(&dir.path().join("other.db"), "wang");
    let heard = Arc::new(Mutex::new(Vec::new()));
    let _sub = {
        let heard = heard.clone();
        other.subscribe(move |event| heard.lock().unwrap().push(event.clone()))
    };
    for change in store.changes_since(&a, &[]).unwrap() {
        other.apply_changes(&a, &change).unwrap();
    }
    let heard = heard.lock().unwrap();
    assert!(!heard.is_empty());
    assert!(
        heard
            .iter()
            .all(|e| e.records == vec![a.clone()] && e.topics == vec![RecordKind::Patrol])
    );
}

#[test]
fn chunks_are_compacted_and_documents_reload_identically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let (store, _) = open_as(&path, "zhang");
    let id = store
        .create(RecordKind::Inspection, &inspection_fields())
        .unwrap();
    for i in 0..200 {
        store
            .update(&id, "n", |e| Ok(e.set("/answers/cover/value", i)?))
            .unwrap();
    }
    let before = store.get(&id).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (snapshot_len, chunk_bytes): (i64, i64) = conn
        .query_row(
            "SELECT length(snapshot), chunk_bytes FROM docs WHERE id = ?1",
            [id.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let chunks: i64 = conn
        .query_row("SELECT count(*) FROM chunks", [], |r| r.get(0))
        .unwrap();
    let sum: i64 = conn
        .query_row(
            "SELECT coalesce(sum(length(data)),0) FROM chunks",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        chunk_bytes <= snapshot_len,
        "chunks {chunk_bytes} outgrew snapshot {snapshot_len}"
    );
    assert_eq!(sum, chunk_bytes);
    assert!(chunks < 200, "compaction happened ({chunks} chunks left)");
    drop(store);
    let (store, _) = open_as(&path, "zhang");
    assert_eq!(store.get(&id).unwrap(), before);
    assert_eq!(store.history(&id).unwrap().len(), 201);
}

#[test]
fn cache_is_bounded_and_evicted_documents_reload() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(offgrid_core::FixedClock::new(common::T0, 0));
    let store = Store::open_with(
        dir.path().join("b.db"),
        StoreOptions {
            clock,
            cache_capacity: 4,
            ..Default::default()
        },
    )
    .unwrap();
    store.set_user(user("zhang"));
    // Enough to free evicted documents in batches on another thread, several times.
    let ids: Vec<_> = (0..100)
        .map(|i| {
            store
                .create(RecordKind::Patrol, &json!({"title": format!("h{i}")}))
                .unwrap()
        })
        .collect();
    for (i, id) in ids.iter().enumerate() {
        store
            .update(id, "s", |e| Ok(e.set("/status", format!("s{i}"))?))
            .unwrap();
    }
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            store.get_path(id, "/status").unwrap(),
            Some(json!(format!("s{i}")))
        );
        assert_eq!(
            store.get_path(id, "/title").unwrap(),
            Some(json!(format!("h{i}")))
        );
    }
}

#[test]
fn actor_is_random_per_install_and_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = open_as(&dir.path().join("a.db"), "same-user");
    let (b, _) = open_as(&dir.path().join("b.db"), "same-user");
    assert_ne!(a.actor_id(), b.actor_id());
    assert_eq!(a.actor_id().len(), 32);
    let actor = a.actor_id();
    drop(a);
    let (a, _) = open_as(&dir.path().join("a.db"), "other-user");
    assert_eq!(a.actor_id(), actor);
}

#[test]
fn search_text_of_a_rolled_back_write_is_not_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("s.db"), "zhang");
    let search = |t: &str| {
        store
            .list(&ListQuery {
                text: Some(t.into()),
                ..Default::default()
            })
            .unwrap()
            .len()
    };
    let failed = store.write(|w| {
        w.create(RecordKind::Patrol, &json!({"title": "防护密闭门渗水"}))?;
        w.create(RecordKind::Patrol, &json!({"title": "滤毒室漏风"}))?;
        Err::<(), _>(Error::InvalidArgument("give up".into()))
    });
    assert!(failed.is_err());
    // The text staged for indexing went with the transaction: the next write indexes only its own.
    store
        .create(RecordKind::Patrol, &json!({"title": "集水井积水"}))
        .unwrap();
    store
        .create(RecordKind::Patrol, &json!({"title": "出入口堵塞"}))
        .unwrap();
    assert_eq!(search("密闭门"), 0);
    assert_eq!(search("滤毒室"), 0);
    assert_eq!(search("出入口"), 1);
    assert_eq!(search("集水井"), 1);
    // Many records in one transaction are all indexed, and an edit replaces a record's text.
    let ids = store
        .write(|w| {
            (0..50)
                .map(|i| {
                    w.create(
                        RecordKind::Patrol,
                        &json!({"title": format!("配电室 {i} 号")}),
                    )
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap();
    assert_eq!(search("配电室"), 50);
    store
        .update(&ids[0], "t", |e| Ok(e.set("/title", "通风口")?))
        .unwrap();
    assert_eq!(search("配电室"), 49);
    assert_eq!(search("通风口"), 1);
}

#[test]
fn projections_are_rebuilt_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let (store, _) = open_as(&path, "zhang");
    let id = store
        .create(
            RecordKind::Patrol,
            &json!({"title": "渗水", "status": "open"}),
        )
        .unwrap();
    drop(store);
    // Simulate a projection from older code: wrong row, no FTS, stale version.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "UPDATE records SET status = 'garbage'; DELETE FROM records_fts;
         DELETE FROM meta WHERE key = 'projection_version';",
    )
    .unwrap();
    drop(conn);
    let (store, _) = open_as(&path, "zhang");
    let rows = store
        .list(&ListQuery {
            text: Some("渗水".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, id);
    assert_eq!(rows[0].status.as_deref(), Some("open"));
}

#[test]
fn many_threads_share_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("t.db"), "zhang");
    let store = Arc::new(store);
    let id = store
        .create(RecordKind::Inspection, &inspection_fields())
        .unwrap();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            let id = id.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let key = format!("t{t}-{i}");
                    store
                        .update(&id, "note", |e| {
                            Ok(e.insert("/notes", &key, &json!({"n": i}))?)
                        })
                        .unwrap();
                    store.list(&ListQuery::default()).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(
        store.get(&id).unwrap()["notes"].as_object().unwrap().len(),
        40
    );
}

#[test]
fn incremental_search_index_equals_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.db");
    let fts_text = |path: &std::path::Path| -> Vec<(String, String, i64)> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT r.id, f.text, r.conflict_count FROM records r JOIN records_fts f ON f.rowid = r.rid ORDER BY r.id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let (store, _) = open_as(&path, "zhang");
    let id = store
        .create(RecordKind::Inspection, &inspection_fields())
        .unwrap();
    store
        .update(&id, "a", |e| Ok(e.set("/answers/cover/value", "二十五")?))
        .unwrap();
    store
        .update(&id, "b", |e| Ok(e.set("/answers/cover/value", 25)?))
        .unwrap(); // string replaced by a number
    store
        .update(&id, "c", |e| {
            Ok(e.set("/answers/rebar-spacing/note", "间距偏大")?)
        })
        .unwrap();
    store
        .update(&id, "d", |e| {
            Ok(e.insert("/notes", "n1", &json!({"text": "渗水"}))?)
        })
        .unwrap();
    store
        .update(&id, "e", |e| Ok(e.set("/answers/cover/note", "已处理")?))
        .unwrap();
    store
        .update(&id, "f", |e| Ok(e.delete("/answers/rebar-spacing/note")?))
        .unwrap();
    store
        .update(&id, "g", |e| Ok(e.set("/title", "复查")?))
        .unwrap();
    drop(store);
    let incremental = fts_text(&path);
    assert!(incremental[0].1.contains("已处理") && !incremental[0].1.contains("二十五"));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("DELETE FROM meta WHERE key = 'projection_version'", [])
        .unwrap();
    drop(conn);
    drop(open_as(&path, "zhang"));
    assert_eq!(fts_text(&path), incremental);
}

/// Records whose text holds non-ASCII capitals (issue 28), by what they are about.
struct Searchable {
    store: Store,
    rebar: RecordId,
    rock: RecordId,
    block: RecordId,
    door: RecordId,
}

fn searchable(path: &std::path::Path) -> Searchable {
    let (store, _) = open_as(path, "li");
    let create = |title: &str| {
        store
            .create(
                RecordKind::Patrol,
                &json!({"title": title, "description": "巡查记录", "project": "p1"}),
            )
            .unwrap()
    };
    let rebar = create("主筋 Φ16@200 间距偏大");
    let rock = create("Ⅲ级围岩 局部渗水");
    let block = create("ＡＢ区 外墙裂缝");
    let door = create("Blast Door frame bent");
    create("底板 平整");
    Searchable {
        store,
        rebar,
        rock,
        block,
        door,
    }
}

fn search(store: &Store, text: &str) -> Vec<RecordId> {
    store
        .list(&ListQuery {
            text: Some(text.into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

#[test]
fn short_search_with_a_capital_greek_letter_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = searchable(&dir.path().join("s.db"));
    assert_eq!(search(&s.store, "Φ1"), vec![s.rebar.clone()]);
    assert_eq!(search(&s.store, "Φ16"), vec![s.rebar]);
}

#[test]
fn short_search_in_small_letters_finds_a_capital_greek_letter() {
    let dir = tempfile::tempdir().unwrap();
    let s = searchable(&dir.path().join("s.db"));
    assert_eq!(search(&s.store, "φ1"), vec![s.rebar.clone()]);
    assert_eq!(search(&s.store, "φ"), vec![s.rebar]);
}

#[test]
fn short_search_with_a_capital_roman_numeral_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = searchable(&dir.path().join("s.db"));
    assert_eq!(search(&s.store, "Ⅲ级"), vec![s.rock.clone()]);
    assert_eq!(search(&s.store, "Ⅲ"), vec![s.rock]);
}

#[test]
fn short_search_with_a_small_roman_numeral_finds_a_capital_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = searchable(&dir.path().join("s.db"));
    assert_eq!(search(&s.store, "ⅲ级"), vec![s.rock]);
}

#[test]
fn short_search_with_full_width_letters_ignores_their_case() {
    let dir = tempfile::tempdir().unwrap();
    let s = searchable(&dir.path().join("s.db"));
    assert_eq!(search(&s.store, "ＡＢ"), vec![s.block.clone()]);
    assert_eq!(search(&s.store, "ａｂ"), vec![s.block.clone()]);
    assert_eq!(search(&s.store, "Ａｂ区"), vec![s.block]);
    // Case is folded, width is not.
    assert!(search(&s.store, "AB区").is_empty());
}

#[test]
fn ascii_search_ignores_case_on_short_and_long_queries() {
    let dir = tempfile::tempdir().unwrap();
    let s = searchable(&dir.path().join("s.db"));
    for q in ["bL", "BL", "bl", "bLAST dOOR", "blast door", "FRAME"] {
        assert_eq!(search(&s.store, q), vec![s.door.clone()], "{q}");
    }
}

#[test]
fn long_search_folds_case_as_the_short_one_does() {
    let dir = tempfile::tempdir().unwrap();
    let s = searchable(&dir.path().join("s.db"));
    for (q, want) in [
        ("Φ16@", &s.rebar),
        ("φ16@2", &s.rebar),
        ("Ⅲ级围", &s.rock),
        ("ⅲ级围岩", &s.rock),
        ("ＡＢ区", &s.block),
        ("ａｂ区 外", &s.block),
    ] {
        assert_eq!(search(&s.store, q), vec![want.clone()], "{q}");
        // Every shorter start of the query finds the same record (instr for one or two
        // characters, the trigram index for more).
        let chars: Vec<char> = q.chars().collect();
        for n in 1..chars.len() {
            let part: String = chars[..n].iter().collect();
            if part.trim().is_empty() {
                continue;
            }
            assert!(search(&s.store, &part).contains(want), "{part}");
        }
    }
}

#[test]
fn an_upgraded_store_finds_what_a_fresh_one_finds() {
    let dir = tempfile::tempdir().unwrap();
    let queries = [
        "Φ1",
        "φ1",
        "Ⅲ级",
        "ⅲ级",
        "ＡＢ",
        "ａｂ",
        "bL",
        "Φ16@",
        "ⅲ级围岩",
        "ａｂ区",
        "blast door",
        "渗水",
    ];
    let fresh = searchable(&dir.path().join("fresh.db"));
    let names = |s: &Searchable, ids: Vec<RecordId>| -> Vec<&'static str> {
        ids.iter()
            .map(|id| match id {
                id if *id == s.rebar => "rebar",
                id if *id == s.rock => "rock",
                id if *id == s.block => "block",
                id if *id == s.door => "door",
                _ => "other",
            })
            .collect()
    };
    let want: Vec<Vec<&str>> = queries
        .iter()
        .map(|q| names(&fresh, search(&fresh.store, q)))
        .collect();

    // A store as the previous schema left it: the index folding case itself (FTS5's own
    // folding) over the text as written, projections of the previous version.
    let path = dir.path().join("old.db");
    let old = searchable(&path);
    drop(old.store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!(
        "DROP TABLE records_fts;
         CREATE VIRTUAL TABLE records_fts USING fts5(text, tokenize = 'trigram');
         INSERT INTO records_fts(rowid, text) SELECT rid, title || char(10) || '巡查记录' FROM records;
         UPDATE meta SET value = '3' WHERE key = 'projection_version';
         PRAGMA user_version = {};",
        offgrid_core::store::CURRENT_VERSION - 1
    ))
    .unwrap();
    drop(conn);
    let old = Searchable {
        store: open_as(&path, "li").0,
        ..old
    };
    let got: Vec<Vec<&str>> = queries
        .iter()
        .map(|q| names(&old, search(&old.store, q)))
        .collect();
    assert_eq!(got, want);
    drop(old.store);

    // The same schema as a fresh store, and the same indexed text as a rebuild gives.
    let schema = |path: &std::path::Path| -> Vec<(String, Option<String>)> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT name, sql FROM sqlite_master ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    drop(fresh.store);
    assert_eq!(schema(&path), schema(&dir.path().join("fresh.db")));
    let indexed = |path: &std::path::Path| -> Vec<(i64, String)> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT rowid, text FROM records_fts ORDER BY rowid")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let upgraded = indexed(&path);
    assert!(
        upgraded
            .iter()
            .any(|(_, t)| t.contains("φ16") && !t.contains('Φ'))
    );
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("DELETE FROM meta WHERE key = 'projection_version'", [])
        .unwrap();
    drop(open_as(&path, "li"));
    assert_eq!(indexed(&path), upgraded);
}
