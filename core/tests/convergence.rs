//! Two (and three) devices exchanging changes in any order, with duplicates and changes whose
//! dependencies arrive later, converge to the same state; concurrent writes to one field are
//! kept and reported by `conflicts`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use common::open_as;
use offgrid_core::{RecordId, RecordKind, Store};
use proptest::prelude::*;
use serde_json::json;

/// Each change of `id` on `from`, encoded on its own.
fn changes(from: &Store, id: &RecordId) -> Vec<Vec<u8>> {
    from.changes_since(id, &[]).unwrap()
}

/// Delivers `msgs` to `to` in the order given by `order` (indices, may repeat), grouping
/// consecutive deliveries into one `apply_changes` call when `group` says so.
fn deliver(to: &Store, id: &RecordId, msgs: &[Vec<u8>], order: &[usize], group: &[bool]) {
    let mut batch = Vec::new();
    for (n, &i) in order.iter().enumerate() {
        batch.extend_from_slice(&msgs[i % msgs.len()]);
        if !group.get(n).copied().unwrap_or(false) {
            to.apply_changes(id, &batch).unwrap();
            batch.clear();
        }
    }
    if !batch.is_empty() {
        to.apply_changes(id, &batch).unwrap();
    }
}

fn scenario(
    edits_a: &[(u8, i64)],
    edits_b: &[(u8, i64)],
    order_ab: &[usize],
    order_ba: &[usize],
    group: &[bool],
) {
    let dir = tempfile::tempdir().unwrap();
    let (a, clock_a) = open_as(&dir.path().join("a.db"), "zhang");
    let (b, clock_b) = open_as(&dir.path().join("b.db"), "li");
    clock_b.advance_ms(7);
    let id = a
        .create(
            RecordKind::Inspection,
            &json!({"title": "t", "answers": {"i0": {}, "i1": {}, "i2": {}, "i3": {}}}),
        )
        .unwrap();
    // B receives the record (genesis) before anyone edits: realistic, the template is synced.
    for c in changes(&a, &id) {
        b.apply_changes(&id, &c).unwrap();
    }
    // Both edit offline.
    for (i, &(item, v)) in edits_a.iter().enumerate() {
        clock_a.advance_ms(1000);
        a.update(&id, "a", |e| {
            e.set(&format!("/answers/i{}/value", item % 4), v)?;
            Ok(e.insert("/notes", &format!("a{i}"), &json!({"text": "甲的记录"}))?)
        })
        .unwrap();
    }
    for (i, &(item, v)) in edits_b.iter().enumerate() {
        clock_b.advance_ms(1000);
        b.update(&id, "b", |e| {
            e.set(&format!("/answers/i{}/value", item % 4), v + 1000)?;
            Ok(e.insert("/notes", &format!("b{i}"), &json!({"text": "乙的记录"}))?)
        })
        .unwrap();
    }
    // Exchange everything both ways, shuffled and duplicated.
    let from_a = changes(&a, &id);
    let from_b = changes(&b, &id);
    let mut full_ab: Vec<usize> = order_ab.to_vec();
    full_ab.extend(0..from_a.len()); // make sure every change is delivered at least once
    let mut full_ba: Vec<usize> = order_ba.to_vec();
    full_ba.extend(0..from_b.len());
    deliver(&b, &id, &from_a, &full_ab, group);
    deliver(&a, &id, &from_b, &full_ba, group);

    let (state_a, state_b) = (a.get(&id).unwrap(), b.get(&id).unwrap());
    assert_eq!(state_a, state_b);
    let mut heads_a = a.heads(&id).unwrap();
    let mut heads_b = b.heads(&id).unwrap();
    heads_a.sort();
    heads_b.sort();
    assert_eq!(heads_a, heads_b);
    // Nothing lost: every note from both sides is there.
    assert_eq!(
        state_a["notes"].as_object().unwrap().len(),
        edits_a.len() + edits_b.len()
    );
    // Items edited on both sides, with the last values differing, show up as conflicts.
    let last = |edits: &[(u8, i64)], item: u8, off: i64| {
        edits
            .iter()
            .rev()
            .find(|(i, _)| i % 4 == item)
            .map(|(_, v)| v + off)
    };
    let conflicts = a.conflicts(&id).unwrap();
    assert_eq!(conflicts, b.conflicts(&id).unwrap());
    for item in 0..4u8 {
        let path = format!("/answers/i{item}/value");
        let c = conflicts.iter().find(|c| c.path == path);
        match (last(edits_a, item, 0), last(edits_b, item, 1000)) {
            (Some(va), Some(vb)) => {
                let c = c.unwrap_or_else(|| panic!("conflict expected at {path}"));
                let mut values: Vec<_> =
                    c.values.iter().map(|v| v.value.as_i64().unwrap()).collect();
                values.sort();
                assert_eq!(values, vec![va.min(vb), va.max(vb)]);
                assert_eq!(c.values.iter().filter(|v| v.winner).count(), 1);
                let users: Vec<_> = c
                    .values
                    .iter()
                    .map(|v| v.user_id.clone().unwrap())
                    .collect();
                assert!(users.contains(&"zhang".into()) && users.contains(&"li".into()));
                assert_eq!(
                    state_a["answers"][format!("i{item}")]["value"],
                    c.values.iter().find(|v| v.winner).unwrap().value
                );
            }
            _ => assert!(c.is_none(), "no conflict expected at {path}"),
        }
    }
    // The store on disk agrees with memory.
    a.clear_cache();
    assert_eq!(a.get(&id).unwrap(), state_b);
    assert!(a.verify().unwrap().is_ok());
    // The projection follows merges.
    let rows = b.list(&Default::default()).unwrap();
    assert_eq!(rows[0].conflict_count as usize, conflicts.len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]
    #[test]
    fn two_stores_converge_in_any_order_with_duplicates(
        edits_a in prop::collection::vec((0u8..4, 0i64..100), 0..6),
        edits_b in prop::collection::vec((0u8..4, 0i64..100), 0..6),
        order_ab in prop::collection::vec(0usize..16, 0..20),
        order_ba in prop::collection::vec(0usize..16, 0..20),
        group in prop::collection::vec(any::<bool>(), 0..40),
    ) {
        scenario(&edits_a, &edits_b, &order_ab, &order_ba, &group);
    }
}

#[test]
fn out_of_order_changes_wait_on_disk_until_their_dependencies_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = a
        .create(RecordKind::Patrol, &json!({"title": "渗水"}))
        .unwrap();
    for i in 0..3 {
        a.update(&id, "s", |e| Ok(e.set("/status", format!("s{i}"))?))
            .unwrap();
    }
    let msgs = changes(&a, &id);
    assert_eq!(msgs.len(), 4);
    let path_b = dir.path().join("b.db");
    {
        let (b, _) = open_as(&path_b, "li");
        // The newest changes first: nothing can apply yet, but nothing is dropped.
        for m in msgs[1..].iter().rev() {
            let out = b.apply_changes(&id, m).unwrap();
            assert!(!out.changed);
            assert!(!out.missing_deps.is_empty());
        }
        assert!(
            b.list(&Default::default()).unwrap().is_empty(),
            "unknown kind: not listed yet"
        );
    }
    // Restart the device between deliveries: the waiting changes are on disk.
    let (b, _) = open_as(&path_b, "li");
    let out = b.apply_changes(&id, &msgs[0]).unwrap();
    assert!(out.changed);
    assert!(out.missing_deps.is_empty());
    assert_eq!(b.get(&id).unwrap(), a.get(&id).unwrap());
    assert_eq!(
        b.list(&Default::default()).unwrap()[0].status.as_deref(),
        Some("s2")
    );
    // Replaying everything again changes nothing.
    for m in &msgs {
        assert!(!b.apply_changes(&id, m).unwrap().changed);
    }
    let conn = rusqlite::Connection::open(&path_b).unwrap();
    let pending: i64 = conn
        .query_row("SELECT count(*) FROM pending_changes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pending, 0);
}

#[test]
fn three_devices_converge_and_changes_since_heads_is_minimal() {
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<_> = ["zhang", "li", "wang"]
        .iter()
        .map(|u| open_as(&dir.path().join(format!("{u}.db")), u).0)
        .collect();
    let id = stores[0]
        .create(RecordKind::Patrol, &json!({"title": "网格巡查"}))
        .unwrap();
    for s in &stores[1..] {
        for c in changes(&stores[0], &id) {
            s.apply_changes(&id, &c).unwrap();
        }
    }
    for (n, s) in stores.iter().enumerate() {
        s.update(&id, "cp", |e| {
            Ok(e.insert("/checkpoints", &format!("cp{n}"), &json!({"ok": true}))?)
        })
        .unwrap();
        s.update(&id, "status", |e| Ok(e.set("/status", format!("by{n}"))?))
            .unwrap();
    }
    // Pairwise incremental exchange: send only what the other lacks.
    for _ in 0..2 {
        for i in 0..3 {
            for j in 0..3 {
                if i != j {
                    let their_heads = stores[j].heads(&id).unwrap();
                    let missing = stores[i].changes_since(&id, &their_heads).unwrap();
                    let bytes: Vec<u8> = missing.concat();
                    if !bytes.is_empty() {
                        stores[j].apply_changes(&id, &bytes).unwrap();
                    }
                }
            }
        }
    }
    let s0 = stores[0].get(&id).unwrap();
    for s in &stores[1..] {
        assert_eq!(s.get(&id).unwrap(), s0);
        assert!(
            s.changes_since(&id, &stores[0].heads(&id).unwrap())
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(s0["checkpoints"].as_object().unwrap().len(), 3);
    let status = stores[0].conflicts(&id).unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].path, "/status");
    assert_eq!(status[0].values.len(), 3);
}
