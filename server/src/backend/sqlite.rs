//! The SQLite backend: one file (`server.db`) in the data folder, WAL, one connection behind a
//! mutex (SQLite has one writer anyway). Transactions are `IMMEDIATE`, so the feed counter is
//! taken under the write lock and sequence numbers follow commit order.

use std::path::Path;
use std::sync::Mutex;

use offgrid_common::access::{ProjectRole, Role};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{
    Backend, ChangeRow, FeedRow, IssuedRow, RecordRow, TemplateRow, TokenRow, Tx, UserRow,
    join_heads, role_from_str, split_heads,
};
use crate::error::{Error, Result};

const SCHEMA: &[&str] = &[
    r#"
    CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0,
        created_ms    INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        id         TEXT PRIMARY KEY,
        hash       TEXT NOT NULL UNIQUE,
        user_id    TEXT NOT NULL REFERENCES users(id),
        device     TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER
    );
    CREATE TABLE projects (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        feed_seq   INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL
    );
    CREATE TABLE members (
        project TEXT NOT NULL REFERENCES projects(id),
        user_id TEXT NOT NULL REFERENCES users(id),
        role    TEXT NOT NULL,
        PRIMARY KEY (project, user_id)
    );
    CREATE INDEX members_by_user ON members(user_id);
    CREATE TABLE records (
        id         TEXT PRIMARY KEY,
        project    TEXT NOT NULL REFERENCES projects(id),
        kind       TEXT NOT NULL,
        heads      TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL
    );
    CREATE INDEX records_by_project ON records(project, id);
    CREATE TABLE changes (
        record         TEXT NOT NULL REFERENCES records(id),
        hash           TEXT NOT NULL,
        deps           TEXT NOT NULL,
        data           BLOB NOT NULL,
        applied        INTEGER NOT NULL DEFAULT 0,
        device_time_ms INTEGER NOT NULL,
        received_ms    INTEGER NOT NULL,
        user_id        TEXT NOT NULL,
        device         TEXT NOT NULL,
        PRIMARY KEY (record, hash)
    );
    CREATE INDEX changes_pending ON changes(record) WHERE applied = 0;
    CREATE TABLE feed (
        project TEXT NOT NULL,
        seq     INTEGER NOT NULL,
        record  TEXT NOT NULL,
        hash    TEXT NOT NULL,
        device  TEXT NOT NULL,
        PRIMARY KEY (project, seq)
    );
    CREATE INDEX feed_by_record ON feed(record, seq);
    CREATE TABLE blob_refs (
        project TEXT NOT NULL,
        sha256  TEXT NOT NULL,
        record  TEXT NOT NULL,
        PRIMARY KEY (project, sha256, record)
    );
    CREATE TABLE blob_grants (
        project TEXT NOT NULL,
        sha256  TEXT NOT NULL,
        PRIMARY KEY (project, sha256)
    );
    CREATE INDEX blob_grants_by_sha ON blob_grants(sha256);
"#,
    // 2: published checklist templates (ADR 0007), delivered to every device.
    r#"
    CREATE TABLE templates (
        id           TEXT NOT NULL,
        version      INTEGER NOT NULL,
        hash         TEXT NOT NULL,
        json         TEXT NOT NULL,
        published_by TEXT NOT NULL,
        published_ms INTEGER NOT NULL,
        PRIMARY KEY (id, version)
    );
"#,
    // 3: per device (token), the time up to which everything it held had reached the server
    // (ADR 0008: patrol tasks are declared missed only past every assignee's watermark).
    r#"
    ALTER TABLE tokens ADD COLUMN watermark_ms INTEGER;
"#,
    // 4: NTAG 424 DNA tag keys (held only here), the counter values each tag's scans brought,
    // and what the server found checking a change (ADR 0008).
    r#"
    CREATE TABLE tag_keys (
        uid      TEXT PRIMARY KEY,
        key      BLOB NOT NULL,
        added_ms INTEGER NOT NULL
    );
    CREATE TABLE tag_counters (
        uid     TEXT NOT NULL,
        counter INTEGER NOT NULL,
        record  TEXT NOT NULL,
        hash    TEXT NOT NULL,
        PRIMARY KEY (uid, counter)
    );
    CREATE TABLE change_checks (
        record  TEXT NOT NULL,
        hash    TEXT NOT NULL,
        finding TEXT NOT NULL,
        PRIMARY KEY (record, hash)
    );
"#,
    // 5: official documents reported by devices, for `GET /v1/verify/{sha256}`.
    r#"
    CREATE TABLE issued_documents (
        sha256      TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        number      TEXT NOT NULL,
        records     TEXT NOT NULL,
        issued_ms   INTEGER NOT NULL,
        reported_by TEXT NOT NULL,
        reported_ms INTEGER NOT NULL
    );
"#,
    // 6: when each device token last authenticated a request: tokens unused for longer than
    // the server's `token_idle` stop working.
    r#"
    ALTER TABLE tokens ADD COLUMN last_used_ms INTEGER;
"#,
];

/// `PRAGMA application_id` of a server database: "OFGS".
const APPLICATION_ID: i32 = 0x4F46_4753;

/// The SQLite backend: one connection to the database file, behind a mutex.
pub struct SqliteBackend {
    conn: Mutex<Connection>,
    org: crate::scope::OrgIndex,
    digests: crate::digest::DigestCache,
}

impl SqliteBackend {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteBackend> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Statement journals in memory, not in a temporary file written page by page.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.set_prepared_statement_cache_capacity(64);
        let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version =
            conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
        if app != 0 && app != APPLICATION_ID {
            return Err(Error::Internal(format!(
                "{} is not an Offgrid server database",
                path.display()
            )));
        }
        if version > SCHEMA.len() {
            return Err(Error::Internal(format!(
                "server database schema {version} is newer than this server ({})",
                SCHEMA.len()
            )));
        }
        let tx = conn.transaction()?;
        for sql in &SCHEMA[version..] {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA.len() as i64)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.commit()?;
        Ok(SqliteBackend {
            conn: Mutex::new(conn),
            org: Default::default(),
            digests: Default::default(),
        })
    }
}

impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn org_index(&self) -> &crate::scope::OrgIndex {
        &self.org
    }

    fn digests(&self) -> &crate::digest::DigestCache {
        &self.digests
    }

    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut t = SqliteTx { tx };
        f(&mut t)?;
        t.tx.commit()?;
        Ok(())
    }
}

struct SqliteTx<'c> {
    tx: Transaction<'c>,
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        name: r.get(1)?,
        password_hash: r.get(2)?,
        disabled: r.get(3)?,
    })
}

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: r.get(0)?,
        hash: r.get(1)?,
        user_id: r.get(2)?,
        device: r.get(3)?,
        created_ms: r.get(4)?,
        revoked_ms: r.get(5)?,
        last_used_ms: r.get(6)?,
    })
}

fn record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        id: r.get(0)?,
        project: r.get(1)?,
        kind: r.get(2)?,
        heads: split_heads(&r.get::<_, String>(3)?),
    })
}

impl Tx for SqliteTx<'_> {
    fn insert_user(&mut self, u: &UserRow, now_ms: i64) -> Result<bool> {
        let n = self.tx.execute(
            "INSERT INTO users(id, name, password_hash, disabled, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO NOTHING",
            params![u.id, u.name, u.password_hash, u.disabled, now_ms],
        )?;
        Ok(n == 1)
    }

    fn user(&mut self, id: &str) -> Result<Option<UserRow>> {
        Ok(self
            .tx
            .query_row(
                "SELECT id, name, password_hash, disabled FROM users WHERE id = ?1",
                [id],
                user_row,
            )
            .optional()?)
    }

    fn update_user(&mut self, u: &UserRow) -> Result<bool> {
        let n = self.tx.execute(
            "UPDATE users SET name = ?2, password_hash = ?3, disabled = ?4 WHERE id = ?1",
            params![u.id, u.name, u.password_hash, u.disabled],
        )?;
        Ok(n == 1)
    }

    fn insert_token(&mut self, t: &TokenRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO tokens(id, hash, user_id, device, created_ms, revoked_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![t.id, t.hash, t.user_id, t.device, t.created_ms, t.revoked_ms],
        )?;
        Ok(())
    }

    fn token_by_hash(&mut self, hash: &str) -> Result<Option<TokenRow>> {
        Ok(self
            .tx
            .query_row(
                "SELECT id, hash, user_id, device, created_ms, revoked_ms, last_used_ms FROM tokens WHERE hash = ?1",
                [hash],
                token_row,
            )
            .optional()?)
    }

    fn tokens(&mut self, user_id: &str) -> Result<Vec<TokenRow>> {
        let mut st = self.tx.prepare(
            "SELECT id, hash, user_id, device, created_ms, revoked_ms, last_used_ms FROM tokens WHERE user_id = ?1 ORDER BY created_ms, id",
        )?;
        let rows = st.query_map([user_id], token_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn touch_token(&mut self, token_id: &str, now_ms: i64) -> Result<()> {
        self.tx.execute(
            "UPDATE tokens SET last_used_ms = ?2 WHERE id = ?1",
            params![token_id, now_ms],
        )?;
        Ok(())
    }

    fn set_token_watermark(&mut self, token_id: &str, at_ms: i64) -> Result<()> {
        self.tx.execute(
            "UPDATE tokens SET watermark_ms = max(coalesce(watermark_ms, 0), ?2) WHERE id = ?1",
            params![token_id, at_ms],
        )?;
        Ok(())
    }

    fn watermarks_after(&mut self, after_ms: i64) -> Result<Vec<(String, i64, i64)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT user_id, min(coalesce(watermark_ms, 0)), max(coalesce(watermark_ms, 0)) AS w
             FROM tokens WHERE revoked_ms IS NULL GROUP BY user_id HAVING w > ?1 ORDER BY user_id",
        )?;
        let rows = st.query_map([after_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn revoke_tokens(&mut self, user_id: &str, token_id: Option<&str>, now_ms: i64) -> Result<u64> {
        let n = self.tx.execute(
            "UPDATE tokens SET revoked_ms = ?3 WHERE user_id = ?1 AND (?2 IS NULL OR id = ?2) AND revoked_ms IS NULL",
            params![user_id, token_id, now_ms],
        )?;
        Ok(n as u64)
    }

    fn insert_project(&mut self, id: &str, name: &str, now_ms: i64) -> Result<bool> {
        let n = self.tx.execute(
            "INSERT INTO projects(id, name, created_ms) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO NOTHING",
            params![id, name, now_ms],
        )?;
        Ok(n == 1)
    }

    fn template_hash(&mut self, id: &str, version: i64) -> Result<Option<String>> {
        Ok(self
            .tx
            .query_row(
                "SELECT hash FROM templates WHERE id = ?1 AND version = ?2",
                params![id, version],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn insert_template(&mut self, t: &TemplateRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO templates(id, version, hash, json, published_by, published_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                t.id,
                t.version,
                t.hash,
                t.json,
                t.published_by,
                t.published_ms
            ],
        )?;
        Ok(())
    }

    fn template_hashes(&mut self) -> Result<Vec<(String, i64, String)>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT id, version, hash FROM templates ORDER BY id, version")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn templates(&mut self) -> Result<Vec<TemplateRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT id, version, hash, json, published_by, published_ms FROM templates
             ORDER BY id, version",
        )?;
        let rows = st.query_map([], |r| {
            Ok(TemplateRow {
                id: r.get(0)?,
                version: r.get(1)?,
                hash: r.get(2)?,
                json: r.get(3)?,
                published_by: r.get(4)?,
                published_ms: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn project_exists(&mut self, id: &str) -> Result<bool> {
        Ok(self
            .tx
            .query_row("SELECT 1 FROM projects WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn set_member(&mut self, project: &str, user_id: &str, role: Option<Role>) -> Result<()> {
        match role {
            Some(role) => self.tx.execute(
                "INSERT INTO members(project, user_id, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT(project, user_id) DO UPDATE SET role = excluded.role",
                params![project, user_id, role.as_str()],
            )?,
            None => self.tx.execute(
                "DELETE FROM members WHERE project = ?1 AND user_id = ?2",
                params![project, user_id],
            )?,
        };
        Ok(())
    }

    fn roles(&mut self, user_id: &str) -> Result<Vec<ProjectRole>> {
        let mut st = self
            .tx
            .prepare("SELECT project, role FROM members WHERE user_id = ?1 ORDER BY project")?;
        let rows = st.query_map([user_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (project, role) = row?;
            if let Some(role) = role_from_str(&role) {
                out.push(ProjectRole { project, role });
            }
        }
        Ok(out)
    }

    fn record(&mut self, id: &str) -> Result<Option<RecordRow>> {
        self.lock_record(id)
    }

    fn lock_record(&mut self, id: &str) -> Result<Option<RecordRow>> {
        // The whole database is locked by the IMMEDIATE transaction.
        Ok(self
            .tx
            .query_row(
                "SELECT id, project, kind, heads FROM records WHERE id = ?1",
                [id],
                record_row,
            )
            .optional()?)
    }

    fn insert_record(&mut self, row: &RecordRow, now_ms: i64) -> Result<()> {
        self.tx.execute(
            "INSERT INTO records(id, project, kind, heads, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                row.id,
                row.project,
                row.kind,
                join_heads(&row.heads),
                now_ms
            ],
        )?;
        Ok(())
    }

    fn set_heads(&mut self, id: &str, heads: &[String]) -> Result<()> {
        self.tx.execute(
            "UPDATE records SET heads = ?2 WHERE id = ?1",
            params![id, join_heads(heads)],
        )?;
        Ok(())
    }

    fn change_state(&mut self, record: &str, hash: &str) -> Result<Option<bool>> {
        Ok(self
            .tx
            .query_row(
                "SELECT applied FROM changes WHERE record = ?1 AND hash = ?2",
                [record, hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn insert_change(&mut self, c: &ChangeRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO changes(record, hash, deps, data, applied, device_time_ms, received_ms, user_id, device)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8) ON CONFLICT(record, hash) DO NOTHING",
            params![
                c.record,
                c.hash,
                join_heads(&c.deps),
                c.data,
                c.device_time_ms,
                c.received_ms,
                c.user_id,
                c.device
            ],
        )?;
        Ok(())
    }

    fn pending_changes(&mut self, record: &str) -> Result<Vec<(String, Vec<String>)>> {
        let mut st = self
            .tx
            .prepare("SELECT hash, deps FROM changes WHERE record = ?1 AND applied = 0")?;
        let rows = st.query_map([record], |r| {
            Ok((r.get::<_, String>(0)?, split_heads(&r.get::<_, String>(1)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn pending_change_data(&mut self, record: &str) -> Result<Vec<Vec<u8>>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT data FROM changes WHERE record = ?1 AND applied = 0")?;
        let rows = st.query_map([record], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn record_bytes(&mut self, record: &str) -> Result<u64> {
        let n: i64 = self
            .tx
            .prepare_cached("SELECT COALESCE(SUM(length(data)), 0) FROM changes WHERE record = ?1")?
            .query_row([record], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    fn mark_applied(&mut self, record: &str, hash: &str) -> Result<()> {
        self.tx.execute(
            "UPDATE changes SET applied = 1 WHERE record = ?1 AND hash = ?2",
            [record, hash],
        )?;
        Ok(())
    }

    fn append_feed(
        &mut self,
        project: &str,
        entries: &[(String, String)],
        device: &str,
    ) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let end: i64 = self.tx.query_row(
            "UPDATE projects SET feed_seq = feed_seq + ?2 WHERE id = ?1 RETURNING feed_seq",
            params![project, entries.len() as i64],
            |r| r.get(0),
        )?;
        let mut seq = end - entries.len() as i64;
        let mut st = self.tx.prepare_cached(
            "INSERT INTO feed(project, seq, record, hash, device) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (record, hash) in entries {
            seq += 1;
            st.execute(params![project, seq, record, hash, device])?;
        }
        Ok(())
    }

    fn feed_after(&mut self, project: &str, after: i64, limit: usize) -> Result<Vec<FeedRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT f.seq, f.record, r.kind, f.device, c.data, c.received_ms, c.user_id
             FROM feed f JOIN records r ON r.id = f.record
             JOIN changes c ON c.record = f.record AND c.hash = f.hash
             WHERE f.project = ?1 AND f.seq > ?2 ORDER BY f.seq LIMIT ?3",
        )?;
        let rows = st.query_map(params![project, after, limit as i64], |r| {
            Ok(FeedRow {
                seq: r.get(0)?,
                record: r.get(1)?,
                kind: r.get(2)?,
                device: r.get(3)?,
                data: r.get(4)?,
                received_ms: r.get(5)?,
                user_id: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn feed_head(&mut self, project: &str) -> Result<i64> {
        Ok(self
            .tx
            .query_row(
                "SELECT feed_seq FROM projects WHERE id = ?1",
                [project],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    fn records_after(
        &mut self,
        project: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<RecordRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT id, project, kind, heads FROM records WHERE project = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )?;
        let rows = st.query_map(params![project, after, limit as i64], record_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn applied_changes(&mut self, record: &str) -> Result<Vec<(Vec<u8>, i64, String)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT c.data, c.received_ms, c.user_id FROM feed f JOIN changes c ON c.record = f.record AND c.hash = f.hash
             WHERE f.record = ?1 ORDER BY f.seq",
        )?;
        let rows = st.query_map([record], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn add_blob_ref(&mut self, project: &str, sha256: &str, record: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO blob_refs(project, sha256, record) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            [project, sha256, record],
        )?;
        Ok(())
    }

    fn has_blob_ref(&mut self, project: &str, sha256: &str) -> Result<bool> {
        Ok(self
            .tx
            .query_row(
                "SELECT 1 FROM blob_refs WHERE project = ?1 AND sha256 = ?2 LIMIT 1",
                [project, sha256],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn grant_blob(&mut self, project: &str, sha256: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO blob_grants(project, sha256) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            [project, sha256],
        )?;
        Ok(())
    }

    fn blob_granted(&mut self, project: &str, sha256: &str) -> Result<bool> {
        Ok(self
            .tx
            .query_row(
                "SELECT 1 FROM blob_grants WHERE project = ?1 AND sha256 = ?2",
                [project, sha256],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn user_can_read_blob(&mut self, user_id: &str, sha256: &str) -> Result<bool> {
        Ok(self
            .tx
            .query_row(
                "SELECT 1 FROM blob_grants g JOIN members m ON m.project = g.project
                 WHERE g.sha256 = ?1 AND m.user_id = ?2 LIMIT 1",
                [sha256, user_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn tag_key(&mut self, uid: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tx
            .query_row("SELECT key FROM tag_keys WHERE uid = ?1", [uid], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn set_tag_key(&mut self, uid: &str, key: &[u8], now_ms: i64) -> Result<()> {
        self.tx.execute(
            "INSERT INTO tag_keys(uid, key, added_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(uid) DO UPDATE SET key = excluded.key, added_ms = excluded.added_ms",
            params![uid, key, now_ms],
        )?;
        Ok(())
    }

    fn remove_tag_key(&mut self, uid: &str) -> Result<bool> {
        Ok(self
            .tx
            .execute("DELETE FROM tag_keys WHERE uid = ?1", [uid])?
            > 0)
    }

    fn tag_keys(&mut self) -> Result<Vec<(String, i64, i64)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT k.uid, k.added_ms, (SELECT count(*) FROM tag_counters c WHERE c.uid = k.uid)
             FROM tag_keys k ORDER BY k.uid",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn claim_tag_counter(
        &mut self,
        uid: &str,
        counter: u32,
        record: &str,
        hash: &str,
    ) -> Result<bool> {
        self.tx.execute(
            "INSERT INTO tag_counters(uid, counter, record, hash) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            params![uid, counter, record, hash],
        )?;
        let (r, h): (String, String) = self.tx.query_row(
            "SELECT record, hash FROM tag_counters WHERE uid = ?1 AND counter = ?2",
            params![uid, counter],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(r == record && h == hash)
    }

    fn set_change_check(&mut self, record: &str, hash: &str, check: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO change_checks(record, hash, finding) VALUES (?1, ?2, ?3)
             ON CONFLICT(record, hash) DO UPDATE SET finding = excluded.finding",
            [record, hash, check],
        )?;
        Ok(())
    }

    fn issued_document(&mut self, sha256: &str) -> Result<Option<IssuedRow>> {
        Ok(self
            .tx
            .query_row(
                "SELECT sha256, kind, number, records, issued_ms, reported_by, reported_ms
                 FROM issued_documents WHERE sha256 = ?1",
                [sha256],
                |r| {
                    Ok(IssuedRow {
                        sha256: r.get(0)?,
                        kind: r.get(1)?,
                        number: r.get(2)?,
                        records: r.get(3)?,
                        issued_ms: r.get(4)?,
                        reported_by: r.get(5)?,
                        reported_ms: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    fn insert_issued_document(&mut self, d: &IssuedRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO issued_documents(sha256, kind, number, records, issued_ms, reported_by, reported_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(sha256) DO NOTHING",
            params![d.sha256, d.kind, d.number, d.records, d.issued_ms, d.reported_by, d.reported_ms],
        )?;
        Ok(())
    }

    fn checks_of(&mut self, records: &[String]) -> Result<Vec<(String, String, String)>> {
        let mut out = Vec::new();
        for ids in records.chunks(500) {
            let marks = vec!["?"; ids.len()].join(",");
            let mut st = self.tx.prepare(&format!(
                "SELECT record, hash, finding FROM change_checks WHERE record IN ({marks})"
            ))?;
            let rows = st.query_map(rusqlite::params_from_iter(ids), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            out.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
        }
        Ok(out)
    }

    fn change_checks(&mut self, record: &str) -> Result<Vec<(String, String)>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT hash, finding FROM change_checks WHERE record = ?1")?;
        let rows = st.query_map([record], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
