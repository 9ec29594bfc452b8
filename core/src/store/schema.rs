//! The SQLite schema, versioned with `PRAGMA user_version` and upgraded in one transaction
//! (modelled on application-services' `ConnectionInitializer`). Each migration takes the schema
//! from version N-1 to N; a fresh database runs all of them, so "upgraded equals fresh" holds by
//! construction and is tested against every older version.
//!
//! Projections (`records`, `records_fts`) are derived data: when their derivation changes,
//! [`PROJECTION_VERSION`] is bumped and the store rebuilds them from the documents at open.

use rusqlite::{Connection, OptionalExtension, Transaction};

use crate::error::{Error, Result};

/// `PRAGMA application_id`: "OFGR". Marks the file as ours so we never adopt another app's DB.
pub(crate) const APPLICATION_ID: i32 = 0x4F46_4752;

/// Version of the code that derives the projection tables from documents.
/// 4: the search text is stored case-folded (`projection::fold`, issue 28).
pub(crate) const PROJECTION_VERSION: i64 = 4;

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: documents, their chunks, metadata, and the list projection.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    -- One automerge document per record: a snapshot (automerge `save`) plus the incremental
    -- chunks written since (`save_after` the persisted heads). `kind` is NULL while only changes
    -- with missing dependencies have arrived for a record we have never seen.
    CREATE TABLE docs (
        id          TEXT PRIMARY KEY,
        kind        TEXT,
        snapshot    BLOB NOT NULL,
        chunk_bytes INTEGER NOT NULL DEFAULT 0,
        heads       TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE chunks (
        seq    INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL REFERENCES docs(id),
        data   BLOB NOT NULL
    );
    CREATE INDEX chunks_by_doc ON chunks(doc_id, seq);
    -- Projection for lists and filters; derived from the document in the same transaction.
    CREATE TABLE records (
        rid            INTEGER PRIMARY KEY,
        id             TEXT NOT NULL UNIQUE REFERENCES docs(id),
        kind           TEXT NOT NULL,
        project        TEXT,
        title          TEXT,
        status         TEXT,
        site           TEXT,
        grade          TEXT,
        assignee       TEXT,
        due_ms         INTEGER,
        created_ms     INTEGER NOT NULL,
        created_by     TEXT,
        updated_ms     INTEGER NOT NULL,
        updated_by     TEXT,
        conflict_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX records_by_updated ON records(updated_ms DESC, rid DESC);
    CREATE INDEX records_by_kind ON records(kind, updated_ms DESC);
    CREATE INDEX records_by_project ON records(project, kind, updated_ms DESC);
    CREATE INDEX records_by_status ON records(status, updated_ms DESC);
    "#,
    // 2: full-text search (trigram: finds words inside Chinese text, which has no spaces) and
    // changes waiting for their dependencies.
    r#"
    CREATE VIRTUAL TABLE records_fts USING fts5(text, tokenize = 'trigram');
    CREATE TABLE pending_changes (
        doc_id TEXT NOT NULL REFERENCES docs(id),
        digest BLOB NOT NULL,
        data   BLOB NOT NULL,
        PRIMARY KEY (doc_id, digest)
    );
    -- FTS was added: make the store rebuild projections from the documents.
    DELETE FROM meta WHERE key = 'projection_version';
    "#,
    // 3: published checklist templates (immutable: id + version, with the content hash).
    r#"
    CREATE TABLE templates (
        id           TEXT NOT NULL,
        version      INTEGER NOT NULL,
        hash         TEXT NOT NULL,
        json         TEXT NOT NULL,
        published_ms INTEGER NOT NULL,
        PRIMARY KEY (id, version)
    );
    "#,
    // 4: the hazard register: counts by status and grade, most severe first.
    r#"
    CREATE INDEX records_by_kind_status ON records(kind, status);
    CREATE INDEX records_by_kind_grade ON records(kind, grade, due_ms);
    "#,
    // 5: photos stored on this device (files in `<db>.blobs/`) and their upload state, the
    // photo queue for sync. References to photos live in the documents.
    r#"
    CREATE TABLE photos (
        sha256   TEXT PRIMARY KEY,
        format   TEXT NOT NULL,
        bytes    INTEGER NOT NULL,
        width    INTEGER NOT NULL,
        height   INTEGER NOT NULL,
        state    TEXT NOT NULL DEFAULT 'local'
                 CHECK (state IN ('local', 'uploading', 'uploaded', 'verified')),
        added_ms INTEGER NOT NULL,
        state_ms INTEGER NOT NULL
    );
    CREATE INDEX photos_by_state ON photos(state, added_ms);
    "#,
    // 6: sync state, in the same file as the data it describes: the account this device syncs
    // as (one), what the server acknowledged of each record, the feed cursor per project, and
    // when the server received each change (evidence beside the device clocks).
    r#"
    CREATE TABLE sync_account (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        server_url TEXT NOT NULL,
        account    TEXT NOT NULL,
        token      TEXT NOT NULL,
        token_id   TEXT NOT NULL,
        device     TEXT NOT NULL
    );
    -- The server holds every change up to these heads (comma-separated hex, as docs.heads).
    CREATE TABLE sync_acked (
        doc_id TEXT PRIMARY KEY REFERENCES docs(id),
        heads  TEXT NOT NULL
    );
    CREATE TABLE sync_cursors (
        project TEXT PRIMARY KEY,
        cursor  TEXT NOT NULL
    );
    CREATE TABLE sync_receipts (
        doc_id      TEXT NOT NULL,
        hash        TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        PRIMARY KEY (doc_id, hash)
    );
    -- Photos the server asked for, per project, until uploaded and verified: an upload cut
    -- off after its record was acknowledged is resumed by the next sync.
    CREATE TABLE sync_uploads (
        sha256  TEXT NOT NULL,
        project TEXT NOT NULL,
        PRIMARY KEY (sha256, project)
    );
    "#,
    // 7: the write gate. `overdue_from_ms`: from when a record counts overdue, as its kind
    // derives it (a running deadline), so lists hold no kind's rule. `received_by`: the
    // account the server verified as the pusher of each change. `sync_refusals`: records the
    // server refused (kept with all their data), not pushed again until they change.
    r#"
    ALTER TABLE records ADD COLUMN overdue_from_ms INTEGER;
    CREATE INDEX records_by_overdue ON records(overdue_from_ms) WHERE overdue_from_ms IS NOT NULL;
    ALTER TABLE sync_receipts ADD COLUMN received_by TEXT;
    CREATE TABLE sync_refusals (
        doc_id TEXT PRIMARY KEY REFERENCES docs(id),
        heads  TEXT NOT NULL,
        code   TEXT NOT NULL,
        reason TEXT NOT NULL,
        at_ms  INTEGER NOT NULL
    );
    DELETE FROM meta WHERE key = 'projection_version';
    "#,
    // 8: reference data (ADR 0007). `record_keys`: lookup keys a kind derives from a record
    // (a site's tags, cell and projects; a cell's code, parent and members), so a scan finds
    // its checkpoint and a cell its sites without loading documents. `templates.pushed`: a
    // template version published on this device that the server has not taken yet.
    r#"
    CREATE TABLE record_keys (
        key    TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        PRIMARY KEY (key, doc_id)
    ) WITHOUT ROWID;
    CREATE INDEX record_keys_by_doc ON record_keys(doc_id);
    ALTER TABLE templates ADD COLUMN pushed INTEGER NOT NULL DEFAULT 0;
    DELETE FROM meta WHERE key = 'projection_version';
    "#,
    // 9: patrols (ADR 0008). `facts`: what a kind's queries need of a record, as compact JSON
    // derived with the projection (a plan's versions, a run's covered checkpoints), so today's
    // tasks and coverage are computed from rows, never by loading documents.
    r#"
    ALTER TABLE records ADD COLUMN facts TEXT;
    CREATE INDEX records_runs_by_due ON records(due_ms) WHERE kind = 'patrol_run';
    -- Per account, the time up to which everything its devices hold had reached the server, as
    -- the server last said: a task is declared missed only past every assignee's watermark.
    CREATE TABLE sync_watermarks (
        account TEXT PRIMARY KEY,
        at_ms   INTEGER NOT NULL
    );
    DELETE FROM meta WHERE key = 'projection_version';
    "#,
    // 10: what the server checked in a change it received (a patrol scan's NTAG 424 SUN
    // message: `sun_valid`, `sun_invalid`, …), beside when and from whom it received it.
    r#"
    ALTER TABLE sync_receipts ADD COLUMN server_check TEXT;
    CREATE INDEX sync_receipts_checked ON sync_receipts(doc_id) WHERE server_check IS NOT NULL;
    "#,
    // 11: official documents made on this device (core/src/documents): the SHA-256 printed on
    // each, its kind and number, and the records with the heads it showed, so that a document
    // can be verified as still valid or superseded. `pushed`: reported to the server.
    r#"
    CREATE TABLE issued_documents (
        sha256    TEXT PRIMARY KEY,
        kind      TEXT NOT NULL,
        number    TEXT NOT NULL,
        records   TEXT NOT NULL,
        issued_ms INTEGER NOT NULL,
        issued_by TEXT,
        pushed    INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    "#,
    // 12: one case folding for search (issue 28). The indexed text is stored folded by the
    // core (`projection::fold`) and queries are folded the same way, so FTS5 folds nothing
    // itself (its own folding differed from the core's, and `instr` found what the index did
    // not); the text is refolded from the documents by the rebuild at open.
    r#"
    DROP TABLE records_fts;
    CREATE VIRTUAL TABLE records_fts USING fts5(text, tokenize = 'trigram case_sensitive 1');
    DELETE FROM meta WHERE key = 'projection_version';
    "#,
];

/// The schema version this build writes (`PRAGMA user_version`): one per migration.
pub const CURRENT_VERSION: u32 = MIGRATIONS.len() as u32;

/// Fails, without writing anything, unless the file is a new database or an Offgrid database
/// this version can open. Returns the schema version found.
pub(crate) fn check(conn: &Connection, path: &std::path::Path) -> Result<u32> {
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let app_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    if app_id != 0 && app_id != APPLICATION_ID {
        return Err(Error::NotADatabase {
            path: path.to_owned(),
            reason: format!("it belongs to another application (id {app_id:#x})"),
        });
    }
    if version > CURRENT_VERSION {
        return Err(Error::SchemaTooNew {
            found: version,
            supported: CURRENT_VERSION,
        });
    }
    if version == 0 && app_id == 0 {
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if tables > 0 {
            return Err(Error::NotADatabase {
                path: path.to_owned(),
                reason: "it is a SQLite database of another application".into(),
            });
        }
    }
    Ok(version)
}

/// Brings the schema to [`CURRENT_VERSION`] in one transaction, or fails without changing it.
pub(crate) fn init(conn: &mut Connection, path: &std::path::Path) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version = check(&tx, path)?;
    if version == CURRENT_VERSION {
        return Ok(());
    }
    upgrade(&tx, version, CURRENT_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Runs migrations `from+1 ..= to` inside `tx` and records the new version.
pub(crate) fn upgrade(tx: &Transaction<'_>, from: u32, to: u32) -> Result<()> {
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(from as usize)
        .take((to - from) as usize)
    {
        tracing::info!(version = i + 1, "migrating schema");
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", to)?;
    Ok(())
}

/// The value stored under `key` in the `meta` table (`None`: not set).
pub(crate) fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// Stores `value` under `key` in the `meta` table, replacing what was there.
pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_of(conn: &Connection) -> Vec<(String, String, Option<String>)> {
        let mut stmt = conn
            .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn upgraded_schema_equals_fresh_schema_from_every_version() {
        let dir = tempfile::tempdir().unwrap();
        let fresh_path = dir.path().join("fresh.db");
        let mut fresh = Connection::open(&fresh_path).unwrap();
        init(&mut fresh, &fresh_path).unwrap();
        let want = schema_of(&fresh);
        assert!(
            want.iter().any(|(_, n, _)| n == "records_fts"),
            "fresh schema has FTS"
        );
        for start in 0..CURRENT_VERSION {
            let path = dir.path().join(format!("v{start}.db"));
            let mut conn = Connection::open(&path).unwrap();
            {
                let tx = conn.transaction().unwrap();
                upgrade(&tx, 0, start).unwrap();
                tx.commit().unwrap();
            }
            assert_eq!(
                conn.pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0))
                    .unwrap(),
                start
            );
            init(&mut conn, &path).unwrap();
            assert_eq!(schema_of(&conn), want, "upgrade from version {start}");
            let v: u32 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(v, CURRENT_VERSION);
        }
    }

    #[test]
    fn refuses_newer_schema_and_foreign_databases_without_touching_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", CURRENT_VERSION + 1)
            .unwrap();
        assert!(matches!(
            init(&mut conn, &path),
            Err(Error::SchemaTooNew { .. })
        ));
        assert!(schema_of(&conn).is_empty());

        let path = dir.path().join("foreign.db");
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE contacts(name TEXT)")
            .unwrap();
        assert!(matches!(
            init(&mut conn, &path),
            Err(Error::NotADatabase { .. })
        ));
        assert_eq!(schema_of(&conn).len(), 1);
    }
}
