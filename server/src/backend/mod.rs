//! Server storage behind one trait, two backends: [`sqlite`] (default: a file in the data
//! folder, zero setup) and [`postgres`] (for scale; several server processes may share one
//! database). The sync logic ([`crate::sync`]) and the account logic ([`crate::accounts`]) are
//! written once against [`Tx`], the primitive operations inside one transaction; the same
//! conformance suite (`server/tests/backends.rs`) runs against both.

pub mod postgres;
mod schema;
pub mod sql;
pub mod sqlite;

use offgrid_common::access::{ProjectRole, Role};

use crate::error::Result;
pub use sql::{Param, Row, Sql};

/// A storage backend: runs closures in transactions.
pub trait Backend: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;

    /// Who reads which record of the organisation scope, derived from its feed (kept with the
    /// backend: one per database).
    fn org_index(&self) -> &crate::scope::OrgIndex;

    /// What a device caught up with a scope should hold, per scope and feed position (kept
    /// with the backend, like the index).
    fn digests(&self) -> &crate::digest::DigestCache;

    /// Runs `f` in one transaction and commits if it returns `Ok`, rolls back otherwise. A
    /// transaction the database aborts for a conflict (PostgreSQL serialisation or deadlock,
    /// SQLite busy) is retried by running `f` again, so `f` must not have effects outside `tx`.
    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;
}

/// Runs `f` in a transaction of `backend` and returns its result.
pub fn transact<R>(
    backend: &dyn Backend,
    mut f: impl FnMut(&mut dyn Tx) -> Result<R>,
) -> Result<R> {
    let mut out = None;
    backend.transaction(&mut |tx| {
        out = Some(f(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| crate::error::Error::Internal("transaction returned nothing".into()))
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    /// The user id (also the login name).
    pub id: String,
    /// The name shown for the account.
    pub name: String,
    /// PHC string (argon2id).
    pub password_hash: String,
    /// A disabled user can neither log in nor use its tokens.
    pub disabled: bool,
}

/// A device's bearer token, issued at login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    /// The token's id (a UUIDv7): what admins and logs see, never the token.
    pub id: String,
    /// SHA-256 (hex) of the bearer token; the token itself is never stored.
    pub hash: String,
    /// The account it authenticates.
    pub user_id: String,
    /// The device name given at login.
    pub device: String,
    /// When it was issued (UTC ms).
    pub created_ms: i64,
    /// When it was revoked (UTC ms); `None` while it is live.
    pub revoked_ms: Option<i64>,
    /// When a request last authenticated with it (to the hour: see `touch_token`).
    pub last_used_ms: Option<i64>,
}

/// A record as the server files it: its project, kind and current heads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    /// The record id.
    pub id: String,
    /// The project it belongs to (fixed at its first push).
    pub project: String,
    /// Its kind, as first pushed.
    pub kind: String,
    /// Hex change hashes, sorted.
    pub heads: Vec<String>,
}

/// A published checklist template version (immutable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateRow {
    /// The template id.
    pub id: String,
    /// The version number.
    pub version: i64,
    /// SHA-256 of the template's canonical JSON.
    pub hash: String,
    /// The template as JSON.
    pub json: String,
    /// The account that published it.
    pub published_by: String,
    /// When it was published (UTC ms).
    pub published_ms: i64,
}

/// An official document a device reported (`GET /v1/verify/{sha256}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedRow {
    /// SHA-256 printed on the document.
    pub sha256: String,
    /// The document kind (`offgrid_protocol::documents::DocumentKind`, as text).
    pub kind: String,
    /// The document's number, as printed on it.
    pub number: String,
    /// The records and heads it shows, JSON `[{"id", "heads"}]` sorted by id, heads sorted.
    pub records: String,
    /// When it was made (device clock).
    pub issued_ms: i64,
    /// The account that reported it.
    pub reported_by: String,
    /// When the server took the report (server clock, UTC ms).
    pub reported_ms: i64,
}

/// A change as received.
#[derive(Clone, Debug)]
pub struct ChangeRow {
    /// The record it changes.
    pub record: String,
    /// The change hash (hex).
    pub hash: String,
    /// Hashes (hex) of the changes it depends on.
    pub deps: Vec<String>,
    /// The change's bytes (automerge).
    pub data: Vec<u8>,
    /// The device's clock (automerge change time, UTC ms).
    pub device_time_ms: i64,
    /// The server's clock when it arrived.
    pub received_ms: i64,
    /// The account that pushed it (verified by its token).
    pub user_id: String,
    /// The device name the push gave.
    pub device: String,
}

/// One entry of a project's feed, with the change it points to.
#[derive(Clone, Debug)]
pub struct FeedRow {
    /// The entry's sequence number in the project's feed (from 1, in commit order).
    pub seq: i64,
    /// The record the change belongs to.
    pub record: String,
    /// The record's kind.
    pub kind: String,
    /// The device name of the push that applied the change.
    pub device: String,
    /// The change's bytes (automerge).
    pub data: Vec<u8>,
    /// When the server received the change (UTC ms).
    pub received_ms: i64,
    /// The account that pushed the change (verified by its token).
    pub user_id: String,
}

/// The primitive operations of one transaction. Write functions may take row locks (held until
/// commit): callers lock records in id order, then project feed counters in id order.
pub trait Tx {
    /// This transaction's statements ([`Sql`]): what the provided methods below run, written
    /// once for both backends.
    fn sql(&mut self) -> &mut dyn Sql;

    // Accounts.
    /// Stores a new user, created at `now_ms`; false if the id is taken.
    fn insert_user(&mut self, user: &UserRow, now_ms: i64) -> Result<bool> {
        let n = self.sql().execute(
            "INSERT INTO users(id, name, password_hash, disabled, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
            &[
                &user.id,
                &user.name,
                &user.password_hash,
                &user.disabled,
                &now_ms,
            ],
        )?;
        Ok(n == 1)
    }
    /// The user with this id, if any.
    fn user(&mut self, id: &str) -> Result<Option<UserRow>> {
        self.sql().one(
            "SELECT id, name, password_hash, disabled FROM users WHERE id = ?1",
            &[&id],
            user_row,
        )
    }
    /// Stores the user's name, password hash and disabled flag; false if there is no such user.
    fn update_user(&mut self, user: &UserRow) -> Result<bool> {
        let n = self.sql().execute(
            "UPDATE users SET name = ?2, password_hash = ?3, disabled = ?4 WHERE id = ?1",
            &[&user.id, &user.name, &user.password_hash, &user.disabled],
        )?;
        Ok(n == 1)
    }
    /// Stores a new token (unused: its `last_used_ms` is not stored); fails if its id or hash is
    /// taken.
    fn insert_token(&mut self, token: &TokenRow) -> Result<()> {
        self.sql().execute(
            "INSERT INTO tokens(id, hash, user_id, device, created_ms, revoked_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                &token.id,
                &token.hash,
                &token.user_id,
                &token.device,
                &token.created_ms,
                &token.revoked_ms,
            ],
        )?;
        Ok(())
    }
    /// The token whose hash this is, revoked or not, if any.
    fn token_by_hash(&mut self, hash: &str) -> Result<Option<TokenRow>> {
        self.sql().one(
            "SELECT id, hash, user_id, device, created_ms, revoked_ms, last_used_ms FROM tokens
             WHERE hash = ?1",
            &[&hash],
            token_row,
        )
    }
    /// Every token of the user, revoked ones too, oldest first.
    fn tokens(&mut self, user_id: &str) -> Result<Vec<TokenRow>> {
        self.sql().all(
            "SELECT id, hash, user_id, device, created_ms, revoked_ms, last_used_ms FROM tokens
             WHERE user_id = ?1 ORDER BY created_ms, id",
            &[&user_id],
            token_row,
        )
    }
    /// Notes that the token authenticated a request at `now_ms`.
    fn touch_token(&mut self, token_id: &str, now_ms: i64) -> Result<()> {
        self.sql().execute(
            "UPDATE tokens SET last_used_ms = ?2 WHERE id = ?1",
            &[&token_id, &now_ms],
        )?;
        Ok(())
    }
    /// Everything the token's device held had reached the server at `at_ms` (only moves on).
    fn set_token_watermark(&mut self, token_id: &str, at_ms: i64) -> Result<()>;
    /// Per account with a token not revoked of which one synced after `after_ms`: the least
    /// and the greatest watermark of those tokens (a token never synced counts 0).
    fn watermarks_after(&mut self, after_ms: i64) -> Result<Vec<(String, i64, i64)>> {
        self.sql().all(
            "SELECT user_id, MIN(COALESCE(watermark_ms, 0)), MAX(COALESCE(watermark_ms, 0))
             FROM tokens WHERE revoked_ms IS NULL GROUP BY user_id
             HAVING MAX(COALESCE(watermark_ms, 0)) > ?1 ORDER BY user_id",
            &[&after_ms],
            |r| Ok((r.text(0)?, r.int(1)?, r.int(2)?)),
        )
    }
    /// Revokes one token of the user, or all of them; returns how many were live.
    fn revoke_tokens(&mut self, user_id: &str, token_id: Option<&str>, now_ms: i64) -> Result<u64> {
        self.sql().execute(
            "UPDATE tokens SET revoked_ms = ?3
             WHERE user_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR id = ?2) AND revoked_ms IS NULL",
            &[&user_id, &token_id, &now_ms],
        )
    }
    /// Stores a new project with an empty feed, created at `now_ms`; false if the id is taken.
    fn insert_project(&mut self, id: &str, name: &str, now_ms: i64) -> Result<bool> {
        let n = self.sql().execute(
            "INSERT INTO projects(id, name, created_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO NOTHING",
            &[&id, &name, &now_ms],
        )?;
        Ok(n == 1)
    }
    /// Whether the project exists.
    fn project_exists(&mut self, id: &str) -> Result<bool> {
        self.sql()
            .exists("SELECT 1 FROM projects WHERE id = ?1", &[&id])
    }
    /// The hash of a published template version, if published.
    fn template_hash(&mut self, id: &str, version: i64) -> Result<Option<String>> {
        self.sql().one(
            "SELECT hash FROM templates WHERE id = ?1 AND version = ?2",
            &[&id, &version],
            |r| r.text(0),
        )
    }
    /// Publishes a template version (the caller checked it is not published yet).
    fn insert_template(&mut self, row: &TemplateRow) -> Result<()> {
        self.sql().execute(
            "INSERT INTO templates(id, version, hash, json, published_by, published_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                &row.id,
                &row.version,
                &row.hash,
                &row.json,
                &row.published_by,
                &row.published_ms,
            ],
        )?;
        Ok(())
    }
    /// Every published template version, by id then version.
    fn templates(&mut self) -> Result<Vec<TemplateRow>> {
        self.sql().all(
            "SELECT id, version, hash, json, published_by, published_ms FROM templates
             ORDER BY id, version",
            &[],
            |r| {
                Ok(TemplateRow {
                    id: r.text(0)?,
                    version: r.int(1)?,
                    hash: r.text(2)?,
                    json: r.text(3)?,
                    published_by: r.text(4)?,
                    published_ms: r.int(5)?,
                })
            },
        )
    }
    /// (id, version, hash) of every published template version, by id then version.
    fn template_hashes(&mut self) -> Result<Vec<(String, i64, String)>> {
        self.sql().all(
            "SELECT id, version, hash FROM templates ORDER BY id, version",
            &[],
            |r| Ok((r.text(0)?, r.int(1)?, r.text(2)?)),
        )
    }
    /// Sets (or with `None` removes) the user's role on the project.
    fn set_member(&mut self, project: &str, user_id: &str, role: Option<Role>) -> Result<()> {
        match role {
            Some(role) => self.sql().execute(
                "INSERT INTO members(project, user_id, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT (project, user_id) DO UPDATE SET role = EXCLUDED.role",
                &[&project, &user_id, &role.as_str()],
            )?,
            None => self.sql().execute(
                "DELETE FROM members WHERE project = ?1 AND user_id = ?2",
                &[&project, &user_id],
            )?,
        };
        Ok(())
    }
    /// The user's roles, by project id (a role this server does not know is left out).
    fn roles(&mut self, user_id: &str) -> Result<Vec<ProjectRole>> {
        let rows = self.sql().all(
            "SELECT project, role FROM members WHERE user_id = ?1 ORDER BY project",
            &[&user_id],
            |r| Ok((r.text(0)?, r.text(1)?)),
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|(project, role)| {
                role_from_str(&role).map(|role| ProjectRole { project, role })
            })
            .collect())
    }

    // Records and changes.
    /// The record, not locked (reads that decide nothing about it).
    fn record(&mut self, id: &str) -> Result<Option<RecordRow>> {
        self.sql().one(
            "SELECT id, project, kind, heads FROM records WHERE id = ?1",
            &[&id],
            record_row,
        )
    }
    /// The record, locked for the rest of the transaction.
    fn lock_record(&mut self, id: &str) -> Result<Option<RecordRow>>;
    /// Files a new record, created at `now_ms` (the caller found none with [`Tx::lock_record`]).
    /// On PostgreSQL a concurrent transaction may file the same id first: this one then fails
    /// and is run again.
    fn insert_record(&mut self, row: &RecordRow, now_ms: i64) -> Result<()>;
    /// Replaces the record's heads.
    fn set_heads(&mut self, id: &str, heads: &[String]) -> Result<()> {
        self.sql().execute(
            "UPDATE records SET heads = ?2 WHERE id = ?1",
            &[&id, &join_heads(heads)],
        )?;
        Ok(())
    }
    /// `None` if the change is unknown, else whether it is applied.
    fn change_state(&mut self, record: &str, hash: &str) -> Result<Option<bool>> {
        self.sql().one(
            "SELECT applied FROM changes WHERE record = ?1 AND hash = ?2",
            &[&record, &hash],
            |r| r.flag(0),
        )
    }
    /// Stores an unapplied change (a no-op if it is already stored).
    fn insert_change(&mut self, change: &ChangeRow) -> Result<()>;
    /// Unapplied changes of the record: (hash, deps).
    fn pending_changes(&mut self, record: &str) -> Result<Vec<(String, Vec<String>)>>;
    /// The bytes of the record's unapplied changes.
    fn pending_change_data(&mut self, record: &str) -> Result<Vec<Vec<u8>>>;
    /// The bytes of every change stored for the record (applied or waiting).
    fn record_bytes(&mut self, record: &str) -> Result<u64>;
    /// Marks the record's stored change `hash` applied.
    fn mark_applied(&mut self, record: &str, hash: &str) -> Result<()>;
    /// Appends applied changes to the project's feed, numbering them after the current head
    /// under a lock on the project's counter, so sequence numbers follow commit order.
    fn append_feed(
        &mut self,
        project: &str,
        entries: &[(String, String)],
        device: &str,
    ) -> Result<()>;
    /// Feed entries with `seq > after`, in order, at most `limit`.
    fn feed_after(&mut self, project: &str, after: i64, limit: usize) -> Result<Vec<FeedRow>> {
        self.sql().all(
            "SELECT f.seq, f.record, r.kind, f.device, c.data, c.received_ms, c.user_id
             FROM feed f JOIN records r ON r.id = f.record
             JOIN changes c ON c.record = f.record AND c.hash = f.hash
             WHERE f.project = ?1 AND f.seq > ?2 ORDER BY f.seq LIMIT ?3",
            &[&project, &after, &sql_limit(limit)],
            |r| {
                Ok(FeedRow {
                    seq: r.int(0)?,
                    record: r.text(1)?,
                    kind: r.text(2)?,
                    device: r.text(3)?,
                    data: r.bytes(4)?,
                    received_ms: r.int(5)?,
                    user_id: r.text(6)?,
                })
            },
        )
    }
    /// The highest sequence number of the project's feed (0 when empty).
    fn feed_head(&mut self, project: &str) -> Result<i64> {
        Ok(self
            .sql()
            .one(
                "SELECT feed_seq FROM projects WHERE id = ?1",
                &[&project],
                |r| r.int(0),
            )?
            .unwrap_or(0))
    }
    /// Records of the project with `id > after`, by id, at most `limit`.
    fn records_after(
        &mut self,
        project: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<RecordRow>> {
        self.sql().all(
            "SELECT id, project, kind, heads FROM records WHERE project = ?1 AND id > ?2
             ORDER BY id LIMIT ?3",
            &[&project, &after, &sql_limit(limit)],
            record_row,
        )
    }
    /// The record's applied changes in feed order: (data, received_ms, pushing account).
    fn applied_changes(&mut self, record: &str) -> Result<Vec<(Vec<u8>, i64, String)>> {
        self.sql().all(
            "SELECT c.data, c.received_ms, c.user_id
             FROM feed f JOIN changes c ON c.record = f.record AND c.hash = f.hash
             WHERE f.record = ?1 ORDER BY f.seq",
            &[&record],
            |r| Ok((r.bytes(0)?, r.int(1)?, r.text(2)?)),
        )
    }

    // Blob references and grants.
    /// Notes that a record of the project references the photo.
    fn add_blob_ref(&mut self, project: &str, sha256: &str, record: &str) -> Result<()> {
        self.sql().execute(
            "INSERT INTO blob_refs(project, sha256, record) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            &[&project, &sha256, &record],
        )?;
        Ok(())
    }
    /// Whether a record of the project references the photo.
    fn has_blob_ref(&mut self, project: &str, sha256: &str) -> Result<bool> {
        self.sql().exists(
            "SELECT 1 FROM blob_refs WHERE project = ?1 AND sha256 = ?2 LIMIT 1",
            &[&project, &sha256],
        )
    }
    /// The project has uploaded the photo's bytes (verified): its members may read it.
    fn grant_blob(&mut self, project: &str, sha256: &str) -> Result<()> {
        self.sql().execute(
            "INSERT INTO blob_grants(project, sha256) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            &[&project, &sha256],
        )?;
        Ok(())
    }
    /// Whether the photo is granted to the project (see [`Tx::grant_blob`]).
    fn blob_granted(&mut self, project: &str, sha256: &str) -> Result<bool> {
        self.sql().exists(
            "SELECT 1 FROM blob_grants WHERE project = ?1 AND sha256 = ?2",
            &[&project, &sha256],
        )
    }
    /// Whether the user is a member (any role) of a project the photo is granted to.
    fn user_can_read_blob(&mut self, user_id: &str, sha256: &str) -> Result<bool> {
        self.sql().exists(
            "SELECT 1 FROM blob_grants g JOIN members m ON m.project = g.project
             WHERE g.sha256 = ?1 AND m.user_id = ?2 LIMIT 1",
            &[&sha256, &user_id],
        )
    }

    // NTAG 424 DNA tag keys and what the server checked (`crate::sun`).
    /// The AES key of the tag with this UID (14 hex digits, upper case).
    fn tag_key(&mut self, uid: &str) -> Result<Option<Vec<u8>>> {
        self.sql()
            .one("SELECT key FROM tag_keys WHERE uid = ?1", &[&uid], |r| {
                r.bytes(0)
            })
    }
    /// Sets (replaces) the tag's key.
    fn set_tag_key(&mut self, uid: &str, key: &[u8], now_ms: i64) -> Result<()> {
        self.sql().execute(
            "INSERT INTO tag_keys(uid, key, added_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (uid) DO UPDATE SET key = EXCLUDED.key, added_ms = EXCLUDED.added_ms",
            &[&uid, &key, &now_ms],
        )?;
        Ok(())
    }
    /// Removes the tag's key (its counters stay); whether there was one.
    fn remove_tag_key(&mut self, uid: &str) -> Result<bool> {
        Ok(self
            .sql()
            .execute("DELETE FROM tag_keys WHERE uid = ?1", &[&uid])?
            > 0)
    }
    /// Every tag with a key: (UID, when set, counter values seen), by UID. Never the keys.
    fn tag_keys(&mut self) -> Result<Vec<(String, i64, i64)>> {
        self.sql().all(
            "SELECT k.uid, k.added_ms, (SELECT COUNT(*) FROM tag_counters c WHERE c.uid = k.uid)
             FROM tag_keys k ORDER BY k.uid",
            &[],
            |r| Ok((r.text(0)?, r.int(1)?, r.int(2)?)),
        )
    }
    /// Claims the tag's counter value for change `hash` of `record`: false if another change
    /// claimed it before (a replay), true if it was free or is this change's already.
    fn claim_tag_counter(
        &mut self,
        uid: &str,
        counter: u32,
        record: &str,
        hash: &str,
    ) -> Result<bool> {
        let counter = i64::from(counter);
        self.sql().execute(
            "INSERT INTO tag_counters(uid, counter, record, hash) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            &[&uid, &counter, &record, &hash],
        )?;
        let holder = self.sql().one(
            "SELECT record, hash FROM tag_counters WHERE uid = ?1 AND counter = ?2",
            &[&uid, &counter],
            |r| Ok((r.text(0)?, r.text(1)?)),
        )?;
        Ok(holder.is_some_and(|(r, h)| r == record && h == hash))
    }
    /// The reported document with this SHA-256.
    fn issued_document(&mut self, sha256: &str) -> Result<Option<IssuedRow>> {
        self.sql().one(
            "SELECT sha256, kind, number, records, issued_ms, reported_by, reported_ms
             FROM issued_documents WHERE sha256 = ?1",
            &[&sha256],
            |r| {
                Ok(IssuedRow {
                    sha256: r.text(0)?,
                    kind: r.text(1)?,
                    number: r.text(2)?,
                    records: r.text(3)?,
                    issued_ms: r.int(4)?,
                    reported_by: r.text(5)?,
                    reported_ms: r.int(6)?,
                })
            },
        )
    }
    /// Stores a reported document (a no-op if that hash is held).
    fn insert_issued_document(&mut self, row: &IssuedRow) -> Result<()> {
        self.sql().execute(
            "INSERT INTO issued_documents(sha256, kind, number, records, issued_ms, reported_by,
                                          reported_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (sha256) DO NOTHING",
            &[
                &row.sha256,
                &row.kind,
                &row.number,
                &row.records,
                &row.issued_ms,
                &row.reported_by,
                &row.reported_ms,
            ],
        )?;
        Ok(())
    }
    /// Records what the server found checking change `hash` of `record`.
    fn set_change_check(&mut self, record: &str, hash: &str, check: &str) -> Result<()> {
        self.sql().execute(
            "INSERT INTO change_checks(record, hash, finding) VALUES (?1, ?2, ?3)
             ON CONFLICT (record, hash) DO UPDATE SET finding = EXCLUDED.finding",
            &[&record, &hash, &check],
        )?;
        Ok(())
    }
    /// Everything found checking the record's changes: (hash, finding).
    fn change_checks(&mut self, record: &str) -> Result<Vec<(String, String)>> {
        self.sql().all(
            "SELECT hash, finding FROM change_checks WHERE record = ?1",
            &[&record],
            |r| Ok((r.text(0)?, r.text(1)?)),
        )
    }
    /// [`Tx::change_checks`] of several records at once: (record, hash, finding).
    fn checks_of(&mut self, records: &[String]) -> Result<Vec<(String, String, String)>>;
}

/// The rows shared by several statements.
fn user_row(r: &dyn Row) -> Result<UserRow> {
    Ok(UserRow {
        id: r.text(0)?,
        name: r.text(1)?,
        password_hash: r.text(2)?,
        disabled: r.flag(3)?,
    })
}

fn token_row(r: &dyn Row) -> Result<TokenRow> {
    Ok(TokenRow {
        id: r.text(0)?,
        hash: r.text(1)?,
        user_id: r.text(2)?,
        device: r.text(3)?,
        created_ms: r.int(4)?,
        revoked_ms: r.opt_int(5)?,
        last_used_ms: r.opt_int(6)?,
    })
}

/// `id, project, kind, heads` of `records`.
pub(crate) fn record_row(r: &dyn Row) -> Result<RecordRow> {
    Ok(RecordRow {
        id: r.text(0)?,
        project: r.text(1)?,
        kind: r.text(2)?,
        heads: split_heads(&r.text(3)?),
    })
}

/// A row count as SQL takes it.
pub(crate) fn sql_limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn join_heads(heads: &[String]) -> String {
    heads.join(",")
}

pub(crate) fn split_heads(s: &str) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split(',').map(str::to_owned).collect()
    }
}

pub(crate) fn role_from_str(s: &str) -> Option<Role> {
    Some(match s {
        "inspector" => Role::Inspector,
        "rectifier" => Role::Rectifier,
        "supervisor" => Role::Supervisor,
        "admin" => Role::Admin,
        "viewer" => Role::Viewer,
        _ => return None,
    })
}
