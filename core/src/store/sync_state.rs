//! Sync state in the store's own file (schema 6): the signed-in account, what the server has
//! acknowledged of each record, the feed cursor per project, the server's receipt times, and
//! the sync status (last success, last error). Reads use the reader connection; writes take
//! the writer's `&Transaction`, so they commit with the data they describe.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Store, schema};
use crate::error::{Error, Result};
use crate::model::RecordId;
use crate::sync::protocol::Account;

/// The account this device syncs as, saved at login. The token matters only when syncing: a
/// device works offline for as long as it needs after one login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncAccount {
    /// The server's base URL, without a trailing `/`.
    pub server_url: String,
    /// The account signed in: user id, name, roles per project.
    pub account: Account,
    /// The bearer token for this device (secret; the server keeps only its hash).
    pub token: String,
    /// The token's id, for revocation.
    pub token_id: String,
    /// The device name given at login.
    pub device: String,
}

/// A record with changes the server has not acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirtyRecord {
    /// The record's id.
    pub id: RecordId,
    /// The project it belongs to, as the list tables hold it (`None`: it names none).
    pub project: Option<String>,
    /// The record's kind (empty if it names none yet).
    pub kind: String,
    /// What the server is known to hold (empty: nothing).
    pub acked: Vec<String>,
}

pub(crate) fn heads_text(heads: &[String]) -> String {
    heads.join(",")
}

pub(crate) fn heads_list(s: &str) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split(',').map(str::to_owned).collect()
    }
}

/// Where the organisation's time zone is kept (`meta`).
const ZONE: &str = "org.zone";

/// Keeps the organisation's time zone a sync response named, if this library knows it (an
/// unknown name is logged and the last known zone kept).
pub(crate) fn set_zone(tx: &Transaction<'_>, name: &str) -> Result<()> {
    match crate::zone::Zone::named(name) {
        Ok(_) => schema::set_meta(tx, ZONE, name),
        Err(_) => {
            tracing::warn!(zone = %name, "the server named a time zone this library does not know");
            Ok(())
        }
    }
}

impl Store {
    /// Per account, how far its devices have synced, as the server last reported
    /// (see [`crate::patrol::task::TaskFacts::watermarks`]).
    pub fn patrol_watermarks(&self) -> Result<std::collections::BTreeMap<String, i64>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = conn.prepare_cached("SELECT account, at_ms FROM sync_watermarks")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The account this device syncs as (`None`: never signed in, or signed out).
    pub fn sync_account(&self) -> Result<Option<SyncAccount>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let row = conn
            .query_row(
                "SELECT server_url, account, token, token_id, device FROM sync_account WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(server_url, account, token, token_id, device)| {
            Ok(SyncAccount {
                server_url,
                account: serde_json::from_str(&account)?,
                token,
                token_id,
                device,
            })
        })
        .transpose()
    }

    /// Saves the account after a login (replacing any other). Signing in as another user on
    /// the same server keeps the sync state; a different server starts it over.
    pub fn set_sync_account(&self, a: &SyncAccount) -> Result<()> {
        let previous = self.sync_account()?;
        let mut guard = self.lock();
        let tx = guard.conn.transaction()?;
        if previous
            .as_ref()
            .is_some_and(|p| p.server_url != a.server_url)
        {
            tx.execute_batch("DELETE FROM sync_acked; DELETE FROM sync_cursors;")?;
        }
        tx.execute(
            "INSERT INTO sync_account (id, server_url, account, token, token_id, device)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET server_url = excluded.server_url,
               account = excluded.account, token = excluded.token,
               token_id = excluded.token_id, device = excluded.device",
            params![
                a.server_url,
                serde_json::to_string(&a.account)?,
                a.token,
                a.token_id,
                a.device
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets the token (sign out). Data and sync state stay.
    pub fn clear_sync_account(&self) -> Result<()> {
        self.lock().conn.execute("DELETE FROM sync_account", [])?;
        Ok(())
    }

    /// Records whose heads differ from what the server acknowledged, oldest change first.
    pub(crate) fn dirty_records(&self, limit: usize) -> Result<Vec<DirtyRecord>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = conn.prepare_cached(
            "SELECT d.id, r.project, COALESCE(r.kind, d.kind), a.heads
             FROM docs d LEFT JOIN sync_acked a ON a.doc_id = d.id
             LEFT JOIN records r ON r.id = d.id
             WHERE d.heads != '' AND (a.heads IS NULL OR a.heads != d.heads)
             ORDER BY r.updated_ms, d.id LIMIT ?1",
        )?;
        let rows = st.query_map([limit as i64], |r| {
            Ok(DirtyRecord {
                id: RecordId(r.get(0)?),
                project: r.get(1)?,
                kind: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                acked: heads_list(&r.get::<_, Option<String>>(3)?.unwrap_or_default()),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many records have changes the server has not acknowledged.
    pub fn dirty_count(&self) -> Result<u64> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        Ok(conn.query_row(
            "SELECT COUNT(*) FROM docs d LEFT JOIN sync_acked a ON a.doc_id = d.id
             WHERE d.heads != '' AND (a.heads IS NULL OR a.heads != d.heads)",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The records of a scope (a project, or `org`) the server has acknowledged, with the
    /// heads it holds, in id order.
    pub(crate) fn scope_acked(&self, scope: &str) -> Result<Vec<(String, Vec<String>)>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = conn.prepare_cached(
            "SELECT a.doc_id, a.heads FROM sync_acked a JOIN records r ON r.id = a.doc_id
             WHERE a.heads != '' AND (r.project = ?1 OR (r.kind = 'project' AND r.id = ?1))
             ORDER BY a.doc_id",
        )?;
        let rows = st.query_map([scope], |r| {
            Ok((r.get::<_, String>(0)?, heads_list(&r.get::<_, String>(1)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// This device's digest of a scope: the records the server acknowledged, with the heads it
    /// holds (compared with the server's own after a sync, issue 28).
    pub fn scope_digest(&self, scope: &str) -> Result<crate::sync::protocol::ScopeDigest> {
        let mut b = crate::sync::protocol::DigestBuilder::default();
        for (id, heads) in self.scope_acked(scope)? {
            b.add(&id, heads.iter().map(String::as_str));
        }
        Ok(b.finish())
    }

    /// What the server is known to hold of the record (empty: nothing).
    pub fn acked_heads(&self, id: &RecordId) -> Result<Vec<String>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        acked_in(&conn, id)
    }

    /// The feed cursor per project, as the server last gave it (opaque).
    pub(crate) fn sync_cursors(&self) -> Result<std::collections::BTreeMap<String, String>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = conn.prepare_cached("SELECT project, cursor FROM sync_cursors")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When the server received a change of the record (UTC ms), if known.
    pub fn server_received_ms(&self, id: &RecordId, hash: &str) -> Result<Option<i64>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        Ok(conn
            .query_row(
                "SELECT received_ms FROM sync_receipts WHERE doc_id = ?1 AND hash = ?2",
                [id.as_str(), hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The organisation's time zone, as its server last said (`Asia/Shanghai` until a sync
    /// says otherwise): the office's day and the end of a deadline given as a date.
    pub fn zone(&self) -> crate::zone::Zone {
        self.sync_meta(ZONE)
            .ok()
            .flatten()
            .and_then(|name| crate::zone::Zone::named(&name).ok())
            .unwrap_or_default()
    }

    /// The value kept under `key` in the store's `meta` table (`None`: not set).
    pub(crate) fn sync_meta(&self, key: &str) -> Result<Option<String>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        schema::get_meta(&conn, key)
    }

    /// Keeps `value` under `key` in the store's `meta` table; `None` removes it.
    pub(crate) fn set_sync_meta(&self, key: &str, value: Option<&str>) -> Result<()> {
        let guard = self.lock();
        match value {
            Some(v) => schema::set_meta(&guard.conn, key, v)?,
            None => {
                guard
                    .conn
                    .execute("DELETE FROM meta WHERE key = ?1", [key])?;
            }
        }
        Ok(())
    }

    /// Marks records for a full re-push (their acknowledgement is forgotten) and projects for
    /// a full re-pull: what reconciliation asks for.
    pub fn reset_sync(&self, records: &[String], projects: &[String]) -> Result<()> {
        let mut guard = self.lock();
        let tx = guard.conn.transaction()?;
        for r in records {
            tx.execute("DELETE FROM sync_acked WHERE doc_id = ?1", [r])?;
        }
        for p in projects {
            tx.execute("DELETE FROM sync_cursors WHERE project = ?1", [p])?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Write side, inside the transaction that applies a sync response.
pub(crate) fn set_acked(tx: &Transaction<'_>, id: &RecordId, heads: &[String]) -> Result<()> {
    let mut sorted = heads.to_vec();
    sorted.sort();
    sorted.dedup();
    tx.prepare_cached(
        "INSERT INTO sync_acked (doc_id, heads) VALUES (?1, ?2)
         ON CONFLICT(doc_id) DO UPDATE SET heads = excluded.heads",
    )?
    .execute(params![id.as_str(), heads_text(&sorted)])
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Error::NotFound(id.clone())
        }
        e => e.into(),
    })?;
    Ok(())
}

pub(crate) fn set_cursor(tx: &Transaction<'_>, project: &str, cursor: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_cursors (project, cursor) VALUES (?1, ?2)
         ON CONFLICT(project) DO UPDATE SET cursor = excluded.cursor",
    )?
    .execute([project, cursor])?;
    Ok(())
}

/// Remembers a photo the server asked for (see `sync_uploads`).
pub(crate) fn add_upload(tx: &Transaction<'_>, sha256: &str, project: &str) -> Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO sync_uploads (sha256, project) VALUES (?1, ?2)")?
        .execute([sha256, project])?;
    Ok(())
}

/// The server received change `hash` at `ms`, pushed by the account `by` (verified by its token).
pub(crate) fn add_receipt(
    tx: &Transaction<'_>,
    id: &RecordId,
    hash: &str,
    ms: i64,
    by: Option<&str>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_receipts (doc_id, hash, received_ms, received_by) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(doc_id, hash) DO UPDATE SET
             received_by = COALESCE(sync_receipts.received_by, excluded.received_by)",
    )?
    .execute(params![id.as_str(), hash, ms, by])?;
    Ok(())
}

/// What the server checked in the change `hash` of record `id` (its receipt is recorded first).
pub(crate) fn set_check(
    tx: &Transaction<'_>,
    id: &RecordId,
    hash: &str,
    check: &str,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE sync_receipts SET server_check = ?3 WHERE doc_id = ?1 AND hash = ?2",
    )?
    .execute(params![id.as_str(), hash, check])?;
    Ok(())
}

/// A record the server refused at `heads`: kept with all its data, not pushed again until it
/// changes.
pub(crate) fn set_refusal(
    tx: &Transaction<'_>,
    id: &RecordId,
    heads: &[String],
    code: &str,
    reason: &str,
    at_ms: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_refusals (doc_id, heads, code, reason, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(doc_id) DO UPDATE SET heads = excluded.heads, code = excluded.code,
             reason = excluded.reason, at_ms = excluded.at_ms",
    )?
    .execute(params![id.as_str(), heads_text(heads), code, reason, at_ms])?;
    Ok(())
}

pub(crate) fn clear_refusal(tx: &Transaction<'_>, id: &RecordId) -> Result<()> {
    tx.prepare_cached("DELETE FROM sync_refusals WHERE doc_id = ?1")?
        .execute([id.as_str()])?;
    Ok(())
}

/// What the server said of a change it received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// When it received the change (server clock, UTC ms).
    pub received_ms: i64,
    /// The account it verified as the pusher.
    pub received_by: Option<String>,
    /// What it checked in the change (a patrol scan's SUN message, a clock ahead of its own),
    /// if anything.
    pub server_check: Option<String>,
}

impl Receipt {
    /// The server found the change stamped after it received it.
    pub fn clock_ahead(&self) -> bool {
        self.server_check
            .as_deref()
            .is_some_and(|c| c.split(',').any(|f| f == "clock_ahead"))
    }
}

/// A refusal of the server, as kept on the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The refused record's id.
    pub id: RecordId,
    /// The record's heads when it was refused (it is not pushed again while they hold).
    pub heads: Vec<String>,
    /// The server's code (`forbidden`, `wrong_project`, `unknown_project`, `bad_change`,
    /// `too_large`, `bad_id`).
    pub code: String,
    /// Why, in words for a developer and the log.
    pub reason: String,
    /// When it was refused, UTC ms by the server's clock.
    pub at_ms: i64,
}

/// The record's persisted heads (empty if it does not exist).
pub(crate) fn persisted_heads(conn: &Connection, id: &RecordId) -> Result<Vec<String>> {
    heads_column(conn, "SELECT heads FROM docs WHERE id = ?1", id)
}

/// The record's acknowledged heads (empty if none).
pub(crate) fn acked_in(conn: &Connection, id: &RecordId) -> Result<Vec<String>> {
    heads_column(conn, "SELECT heads FROM sync_acked WHERE doc_id = ?1", id)
}

/// A comma-separated heads column of the row `sql` selects by id; empty when there is none.
fn heads_column(conn: &Connection, sql: &str, id: &RecordId) -> Result<Vec<String>> {
    let s: Option<String> = conn
        .prepare_cached(sql)?
        .query_row([id.as_str()], |r| r.get(0))
        .optional()?;
    Ok(heads_list(&s.unwrap_or_default()))
}

impl super::Writer<'_> {
    /// The transaction, for the sync client's state updates.
    pub(crate) fn transaction(&self) -> &Transaction<'_> {
        &self.tx
    }
}

impl Store {
    /// Records the server refused, newest first.
    pub fn sync_refusals(&self) -> Result<Vec<Refusal>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = conn.prepare_cached(
            "SELECT doc_id, heads, code, reason, at_ms FROM sync_refusals ORDER BY at_ms DESC, doc_id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Refusal {
                id: RecordId(r.get(0)?),
                heads: heads_list(&r.get::<_, String>(1)?),
                code: r.get(2)?,
                reason: r.get(3)?,
                at_ms: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Why the server refused this record, if it did (and it has not changed since).
    pub fn sync_refusal(&self, id: &RecordId) -> Result<Option<Refusal>> {
        Ok(self.sync_refusals()?.into_iter().find(|r| &r.id == id))
    }

    /// Server receipts of the record's changes: hash → (received_ms, verified pusher).
    pub fn sync_receipts(
        &self,
        id: &RecordId,
    ) -> Result<std::collections::HashMap<String, Receipt>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = conn.prepare_cached(
            "SELECT hash, received_ms, received_by, server_check FROM sync_receipts
             WHERE doc_id = ?1",
        )?;
        let rows = st.query_map([id.as_str()], |r| {
            Ok((
                r.get(0)?,
                Receipt {
                    received_ms: r.get(1)?,
                    received_by: r.get(2)?,
                    server_check: r.get(3)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What the server found in the changes of the patrol runs for windows opening in
    /// `[from_ms, to_ms)`: per site and joined findings (`crate::patrol::check::join`), how many
    /// changes (the receipts with a finding and their runs' list rows; no document loaded).
    pub(crate) fn run_checks_by_site(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(Option<String>, String, u32)>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = conn.prepare_cached(
            // The few receipts with a finding first (CROSS JOIN keeps that order), through
            // their partial index, then their runs.
            "SELECT r.site, s.server_check, count(*)
             FROM sync_receipts s CROSS JOIN records r ON r.id = s.doc_id
             WHERE s.server_check IS NOT NULL
               AND r.kind = 'patrol_run' AND r.due_ms >= ?1 AND r.due_ms < ?2
             GROUP BY r.site, s.server_check",
        )?;
        let rows = st.query_map(params![from_ms, to_ms], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Photos the server asked for and has not yet verified: (sha256, project).
    pub fn pending_uploads(&self) -> Result<Vec<(String, String)>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut st =
            conn.prepare_cached("SELECT sha256, project FROM sync_uploads ORDER BY rowid")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The server verified the photo for the project.
    pub fn upload_done(&self, sha256: &str, project: &str) -> Result<()> {
        self.lock().conn.execute(
            "DELETE FROM sync_uploads WHERE sha256 = ?1 AND project = ?2",
            [sha256, project],
        )?;
        Ok(())
    }

    /// Every record id on the device (for reconciliation).
    pub fn all_record_ids(&self) -> Result<Vec<RecordId>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        super::persist::all_ids(&conn)
    }
}

/// Records the watermarks the server reported (a watermark only moves forward).
pub(crate) fn set_watermarks(
    tx: &Transaction<'_>,
    marks: &std::collections::BTreeMap<String, i64>,
) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO sync_watermarks(account, at_ms) VALUES (?1, ?2)
         ON CONFLICT(account) DO UPDATE SET at_ms = max(at_ms, excluded.at_ms)",
    )?;
    for (account, at) in marks {
        stmt.execute(rusqlite::params![account, at])?;
    }
    Ok(())
}
