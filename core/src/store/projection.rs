//! Query tables derived from documents: `records` (one row per record, for lists and filters)
//! and `records_fts` (trigram full-text index). Derived in the same transaction as the chunk
//! that changed the document, so they are never out of step with it. Lists read only these
//! tables and never load a document.

use automerge::{AutoCommit, ROOT, ReadDoc, ScalarValueRef};
use rusqlite::{Connection, Transaction, params};

use crate::doc::meta::ChangeMeta;
use crate::doc::walk::SearchIndex;
use crate::error::Result;
use crate::model::{RecordId, RecordKind, RecordSummary};
pub use offgrid_common::query::{ListQuery, ListSort};

/// What the tables hold for one record.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Projection {
    /// What the record is (root `kind`).
    pub kind: RecordKind,
    /// Root `project`; `None` if the document names none.
    pub project: Option<String>,
    /// Root `title`.
    pub title: Option<String>,
    /// The status its kind derives (a lifecycle fold), else root `status`.
    pub status: Option<String>,
    /// Root `site`.
    pub site: Option<String>,
    /// The grade its kind derives (a hazard's latest grade), else root `grade`.
    pub grade: Option<String>,
    /// Who is to act, as its kind derives it (a user id), else root `assignee`.
    pub assignee: Option<String>,
    /// The deadline its kind derives, else root `due_ms` (UTC ms).
    pub due_ms: Option<i64>,
    /// When the record becomes overdue while a deadline runs (UTC ms); `None` when none runs.
    pub overdue_from_ms: Option<i64>,
    /// Root `created_ms`: creation time, UTC ms by the creating device's clock (0 if absent).
    pub created_ms: i64,
    /// Root `created_by`: the creator's user id.
    pub created_by: Option<String>,
    /// The latest head's timestamp (UTC ms, the writing device's clock), never before `created_ms`.
    pub updated_ms: i64,
    /// The latest head's author's user id, as its change says.
    pub updated_by: Option<String>,
    /// Number of fields with concurrent values.
    pub conflict_count: u32,
    /// The text searched (folded by [`fold`]): the kind's search fields, else every string.
    pub text: String,
    /// Lookup keys from the kind (`record_keys`), sorted.
    pub keys: Vec<String>,
    /// The kind's facts (see [`crate::record::KindColumns::facts`]).
    pub facts: Option<String>,
}

/// Derives the projection, or `None` if the document does not (yet) name a known kind. `search`
/// is the document's search index, built here if absent.
pub(crate) fn derive(doc: &mut AutoCommit, search: &mut Option<SearchIndex>) -> Option<Projection> {
    let root = RootFields::read(&*doc);
    let kind: RecordKind = root.string("kind")?.parse().ok()?;
    let text_of = |key: &str| root.text(&*doc, key);
    let int_of = |key: &str| root.int(key);
    let mut p = Projection {
        kind,
        project: text_of("project"),
        title: text_of("title"),
        status: text_of("status"),
        site: text_of("site"),
        grade: text_of("grade"),
        assignee: text_of("assignee"),
        due_ms: int_of("due_ms"),
        overdue_from_ms: None,
        created_ms: int_of("created_ms").unwrap_or(0),
        created_by: text_of("created_by"),
        updated_ms: 0,
        updated_by: None,
        conflict_count: 0,
        text: String::new(),
        keys: Vec::new(),
        facts: None,
    };
    // Lifecycle statuses are folds of event maps, never a field two devices could overwrite:
    // the kind derives them.
    let cols = crate::record::rules(kind).columns(doc.document());
    p.status = cols.status.or(p.status);
    p.grade = cols.grade.or(p.grade);
    p.assignee = cols.assignee.or(p.assignee);
    p.due_ms = cols.due_ms.or(p.due_ms);
    p.overdue_from_ms = cols.overdue_from_ms;
    p.keys = cols.keys;
    p.facts = cols.facts;
    p.keys.sort();
    p.keys.dedup();
    let summary = search
        .get_or_insert_with(|| SearchIndex::build(&*doc))
        .summary();
    p.text = fold(&match crate::record::rules(kind).search_fields() {
        Some(fields) => fields
            .iter()
            .filter_map(|f| crate::doc::genesis::root_text(&*doc, f))
            .collect::<Vec<_>>()
            .join("\n"),
        None => summary.text,
    });
    p.conflict_count = summary.conflicts;
    // The latest of the current heads (by the writing device's clock) says who updated it last.
    let doc = doc.document();
    for head in doc.get_heads() {
        if let Some(meta) = doc.get_change_meta_by_hash(&head)
            && (p.updated_by.is_none() || meta.timestamp > p.updated_ms)
        {
            p.updated_ms = meta.timestamp;
            p.updated_by = ChangeMeta::decode(meta.message.as_deref()).user_id;
        }
    }
    p.updated_ms = p.updated_ms.max(p.created_ms);
    Some(p)
}

/// The one case folding of search: the indexed text is stored folded and every query is folded
/// the same way, and SQLite compares the two as they are (`instr`, and FTS5 told not to fold:
/// `case_sensitive 1`), so a short query and a long one agree. Character by character
/// (`char::to_lowercase`, with no rule that looks at the neighbours), so the folding of a part
/// of a text is that part of the folded text: Φ→φ, Ⅲ→ⅲ, Ａ→ａ, and a final ς as σ (Unicode
/// case folding). Widths are not folded: ＡＢ finds ａｂ, not AB.
pub(crate) fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

/// The root fields a projection reads, in one pass over the root map (a lookup per field costs a
/// seek through the document's columns each; one pass is several times cheaper).
struct RootFields<'a> {
    fields: Vec<RootField<'a>>,
}

/// A root key, its value, and the object id when the value is a text object.
type RootField<'a> = (
    std::borrow::Cow<'a, str>,
    automerge::ValueRef<'a>,
    Option<automerge::ObjId>,
);

impl<'a> RootFields<'a> {
    const KEYS: [&'static str; 10] = [
        "kind",
        "project",
        "title",
        "status",
        "site",
        "grade",
        "assignee",
        "due_ms",
        "created_ms",
        "created_by",
    ];

    fn read(doc: &'a AutoCommit) -> Self {
        let fields = doc
            .map_range(ROOT, ..)
            .filter(|item| Self::KEYS.contains(&item.key.as_ref()))
            .map(|item| {
                let text = matches!(
                    item.value,
                    automerge::ValueRef::Object(automerge::ObjType::Text)
                );
                let id = text.then(|| item.id());
                (item.key, item.value, id)
            })
            .collect();
        RootFields { fields }
    }

    fn get(&self, key: &str) -> Option<&RootField<'a>> {
        self.fields.iter().find(|(k, _, _)| k == key)
    }

    /// A string field (not a text object).
    fn string(&self, key: &str) -> Option<String> {
        match self.get(key)?.1 {
            automerge::ValueRef::Scalar(ScalarValueRef::Str(ref s)) => Some(s.to_string()),
            _ => None,
        }
    }

    /// A string field, or a text object's content.
    fn text(&self, doc: &AutoCommit, key: &str) -> Option<String> {
        match self.get(key)? {
            (_, automerge::ValueRef::Scalar(ScalarValueRef::Str(s)), _) => Some(s.to_string()),
            (_, _, Some(text)) => doc.text(text).ok(),
            _ => None,
        }
    }

    fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)?.1 {
            automerge::ValueRef::Scalar(ScalarValueRef::Int(i) | ScalarValueRef::Timestamp(i)) => {
                Some(i)
            }
            automerge::ValueRef::Scalar(ScalarValueRef::Uint(u)) => i64::try_from(u).ok(),
            _ => None,
        }
    }
}

/// Writes the projection of a record, skipping what did not change since `previous`.
pub(crate) fn write(
    tx: &Transaction<'_>,
    id: &RecordId,
    p: &Projection,
    previous: Option<&Projection>,
) -> Result<()> {
    if previous == Some(p) {
        return Ok(());
    }
    let rid: i64 = tx
        .prepare_cached(
            "INSERT INTO records(id, kind, project, title, status, site, grade, assignee, due_ms,
                                 created_ms, created_by, updated_ms, updated_by, conflict_count,
                                 overdue_from_ms, facts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, project = excluded.project,
                 title = excluded.title, status = excluded.status, site = excluded.site,
                 grade = excluded.grade, assignee = excluded.assignee, due_ms = excluded.due_ms,
                 created_ms = excluded.created_ms, created_by = excluded.created_by,
                 updated_ms = excluded.updated_ms, updated_by = excluded.updated_by,
                 conflict_count = excluded.conflict_count,
                 overdue_from_ms = excluded.overdue_from_ms, facts = excluded.facts
             RETURNING rid",
        )?
        .query_row(
            params![
                id.as_str(),
                p.kind.as_str(),
                p.project,
                p.title,
                p.status,
                p.site,
                p.grade,
                p.assignee,
                p.due_ms,
                p.created_ms,
                p.created_by,
                p.updated_ms,
                p.updated_by,
                p.conflict_count,
                p.overdue_from_ms,
                p.facts
            ],
            |r| r.get(0),
        )?;
    if previous.map(|q| &q.keys) != Some(&p.keys) {
        tx.prepare_cached("DELETE FROM record_keys WHERE doc_id = ?1")?
            .execute([id.as_str()])?;
        let mut insert =
            tx.prepare_cached("INSERT OR IGNORE INTO record_keys(key, doc_id) VALUES (?1, ?2)")?;
        for key in &p.keys {
            insert.execute(params![key, id.as_str()])?;
        }
    }
    if previous.map(|q| &q.text) != Some(&p.text) {
        tx.prepare_cached("INSERT OR REPLACE INTO temp.search_pending(rid, text) VALUES (?1, ?2)")?
            .execute(params![rid, p.text])?;
    }
    Ok(())
}

/// Indexes the search text staged by [`write`] in this transaction; called just before commit.
///
/// FTS5 writes its in-memory terms to disk at every statement savepoint, and SQLite opens one
/// for every write statement inside a transaction once FTS5 is part of it: indexing record by
/// record wrote one tiny segment per record (and merged them), most of a bootstrap's time.
/// Staged, a transaction indexes everything it wrote in two statements.
pub(crate) fn flush_search(tx: &Transaction<'_>) -> Result<()> {
    let staged: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM temp.search_pending)")?
        .query_row([], |r| r.get(0))?;
    if !staged {
        return Ok(());
    }
    tx.prepare_cached(
        "DELETE FROM records_fts WHERE rowid IN (SELECT rid FROM temp.search_pending)",
    )?
    .execute([])?;
    tx.prepare_cached(
        "INSERT INTO records_fts(rowid, text) SELECT rid, text FROM temp.search_pending",
    )?
    .execute([])?;
    tx.prepare_cached("DELETE FROM temp.search_pending")?
        .execute([])?;
    Ok(())
}

/// The WHERE clause (starting with `WHERE`) and its arguments for `q`.
fn filter(q: &ListQuery) -> (String, Vec<rusqlite::types::Value>) {
    let mut sql = String::from(" WHERE 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut eq = |sql: &mut String, col: &str, v: &Option<String>| {
        if let Some(v) = v {
            args.push(v.clone().into());
            sql.push_str(&format!(" AND {col} = ?{}", args.len()));
        }
    };
    eq(&mut sql, "kind", &q.kind.map(|k| k.as_str().to_owned()));
    eq(&mut sql, "project", &q.project);
    eq(&mut sql, "site", &q.site);
    eq(&mut sql, "status", &q.status);
    eq(&mut sql, "grade", &q.grade);
    eq(&mut sql, "assignee", &q.assignee);
    eq(&mut sql, "created_by", &q.created_by);
    if q.conflicted {
        sql.push_str(" AND conflict_count > 0");
    }
    if let Some(now) = q.overdue_at_ms {
        args.push(now.into());
        sql.push_str(&format!(" AND overdue_from_ms < ?{}", args.len()));
    }
    if let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // Folded as the indexed text was (see `fold`); compared as it is on both paths.
        let text = fold(text);
        if text.chars().count() >= 3 {
            args.push(format!("\"{}\"", text.replace('"', "\"\"")).into());
            sql.push_str(&format!(
                " AND rid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?{})",
                args.len()
            ));
        } else {
            args.push(text.into());
            sql.push_str(&format!(
                " AND rid IN (SELECT rowid FROM records_fts WHERE instr(text, ?{}) > 0)",
                args.len()
            ));
        }
    }
    (sql, args)
}

/// Number of matching records per value of `column` (`status` or `grade`).
pub(crate) fn counts(
    conn: &Connection,
    q: &ListQuery,
    column: &str,
) -> Result<Vec<(Option<String>, u32)>> {
    debug_assert!(matches!(column, "status" | "grade"));
    let (where_sql, args) = filter(q);
    let sql = format!(
        "SELECT {column}, count(*) FROM records{where_sql} GROUP BY {column} ORDER BY {column}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records matching `q`, in the order it asks for.
pub(crate) fn list(conn: &Connection, q: &ListQuery) -> Result<Vec<RecordSummary>> {
    let (where_sql, args) = filter(q);
    let mut sql = String::from(
        "SELECT id, kind, project, title, status, site, grade, assignee, due_ms, created_ms,
                created_by, updated_ms, updated_by, conflict_count, overdue_from_ms FROM records",
    );
    sql.push_str(&where_sql);
    sql.push_str(match q.sort {
        ListSort::Updated => " ORDER BY updated_ms DESC, rid DESC",
        ListSort::Due => " ORDER BY due_ms IS NULL, due_ms, rid",
        ListSort::Grade => {
            " ORDER BY CASE grade WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2
                 WHEN 'blue' THEN 3 ELSE 4 END, due_ms IS NULL, due_ms, rid"
        }
    });
    if let Some(limit) = q.limit {
        sql.push_str(&format!(" LIMIT {limit} OFFSET {}", q.offset));
    } else if q.offset > 0 {
        sql.push_str(&format!(" LIMIT -1 OFFSET {}", q.offset));
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
        let kind: String = r.get(1)?;
        Ok(RecordSummary {
            id: RecordId(r.get(0)?),
            kind: kind.parse().map_err(|_| {
                rusqlite::Error::FromSqlConversionFailure(
                    1,
                    rusqlite::types::Type::Text,
                    "unknown record kind".into(),
                )
            })?,
            project: r.get(2)?,
            title: r.get(3)?,
            status: r.get(4)?,
            site: r.get(5)?,
            grade: r.get(6)?,
            assignee: r.get(7)?,
            due_ms: r.get(8)?,
            created_ms: r.get(9)?,
            created_by: r.get(10)?,
            updated_ms: r.get(11)?,
            updated_by: r.get(12)?,
            conflict_count: r.get(13)?,
            overdue_from_ms: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Drops every projection row (before a rebuild).
pub(crate) fn clear(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "DELETE FROM records_fts; DELETE FROM records; DELETE FROM record_keys;
         DELETE FROM temp.search_pending;",
    )?;
    Ok(())
}

/// The records indexed under `key` (see [`crate::record::KindColumns::keys`]).
pub(crate) fn with_key(conn: &Connection, key: &str) -> Result<Vec<RecordId>> {
    let mut stmt =
        conn.prepare_cached("SELECT doc_id FROM record_keys WHERE key = ?1 ORDER BY doc_id")?;
    let rows = stmt.query_map([key], |r| Ok(RecordId(r.get(0)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The facts of the records of `kind` (those that have some), optionally only those indexed
/// under `key`, by id.
pub(crate) fn facts(
    conn: &Connection,
    kind: RecordKind,
    key: Option<&str>,
) -> Result<Vec<(RecordId, String)>> {
    let map = |r: &rusqlite::Row<'_>| Ok((RecordId(r.get(0)?), r.get(1)?));
    Ok(match key {
        None => conn
            .prepare_cached(
                "SELECT id, facts FROM records WHERE kind = ?1 AND facts IS NOT NULL ORDER BY id",
            )?
            .query_map([kind.as_str()], map)?
            .collect::<Result<_, _>>()?,
        Some(key) => conn
            .prepare_cached(
                "SELECT r.id, r.facts FROM record_keys k JOIN records r ON r.id = k.doc_id
                 WHERE k.key = ?1 AND r.kind = ?2 AND r.facts IS NOT NULL ORDER BY r.id",
            )?
            .query_map(params![key, kind.as_str()], map)?
            .collect::<Result<_, _>>()?,
    })
}

/// The facts of the patrol runs whose task window opens in `[from_ms, to_ms)`.
pub(crate) fn run_facts_between(
    conn: &Connection,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<(RecordId, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, facts FROM records
             WHERE kind = 'patrol_run' AND due_ms >= ?1 AND due_ms < ?2 AND facts IS NOT NULL",
        )?
        .query_map([from_ms, to_ms], |r| Ok((RecordId(r.get(0)?), r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// The lookup keys starting with `prefix` of the records of `kind`, with the prefix taken off:
/// (record, rest of the key). A range scan of `record_keys`, no document loaded.
pub(crate) fn keys_with_prefix(
    conn: &Connection,
    kind: RecordKind,
    prefix: &str,
) -> Result<Vec<(RecordId, String)>> {
    let mut end = prefix.to_owned();
    end.push(char::MAX);
    let rows = conn
        .prepare_cached(
            "SELECT k.doc_id, k.key FROM record_keys k JOIN records r ON r.id = k.doc_id
             WHERE k.key >= ?1 AND k.key < ?2 AND r.kind = ?3",
        )?
        .query_map(params![prefix, end, kind.as_str()], |r| {
            Ok((RecordId(r.get(0)?), r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .map(|(id, k)| (id, k[prefix.len()..].to_owned()))
        .collect())
}

/// How many records there are with one (site, grade, status).
pub(crate) type SiteCount = (Option<String>, Option<String>, Option<String>, u32);

/// How many records of `kind` there are per (site, grade, status).
pub(crate) fn counts_by_site(conn: &Connection, kind: RecordKind) -> Result<Vec<SiteCount>> {
    Ok(conn
        .prepare_cached(
            "SELECT site, grade, status, count(*) FROM records WHERE kind = ?1
             GROUP BY site, grade, status",
        )?
        .query_map([kind.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?)
}
