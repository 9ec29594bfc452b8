//! The PostgreSQL backend, for scale: several server processes may share one database.
//!
//! Same tables and semantics as [`super::sqlite`]. Transactions run at READ COMMITTED;
//! [`Tx::lock_record`] takes the record's row lock (`SELECT ... FOR UPDATE`) and
//! [`Tx::append_feed`] bumps the project's counter with an `UPDATE`, whose row lock serialises
//! the writers of one project until commit, so feed sequence numbers follow commit order and a
//! reader never sees a later number before an earlier one. A transaction aborted by a
//! serialisation failure or a deadlock, or that lost a race to create the same record, is run
//! again (up to [`MAX_ATTEMPTS`] times).
//!
//! Connections come from a small pool (at most [`POOL_SIZE`], opened on demand) with their
//! prepared statements; a connection the server closed is dropped and replaced. The schema is
//! created (or brought up to date) by [`PostgresBackend::connect`] under an advisory lock, so
//! several processes starting at once are safe; its version is in `offgrid_schema`.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use offgrid_common::access::{ProjectRole, Role};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};

use super::{
    Backend, ChangeRow, FeedRow, IssuedRow, RecordRow, TemplateRow, TokenRow, Tx, UserRow,
    join_heads, role_from_str, split_heads,
};
use crate::error::{Error, Result};

/// Ids and other keys compare bytewise (`COLLATE "C"`), as in SQLite, whatever the database's
/// collation: cursors (`id > $after ORDER BY id`) and listings then agree with the SQLite backend.
const SCHEMA: &[&str] = &[
    r#"
    CREATE TABLE users (
        id            TEXT COLLATE "C" PRIMARY KEY,
        name          TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        disabled      BOOLEAN NOT NULL DEFAULT FALSE,
        created_ms    BIGINT NOT NULL
    );
    CREATE TABLE tokens (
        id         TEXT COLLATE "C" PRIMARY KEY,
        hash       TEXT COLLATE "C" NOT NULL UNIQUE,
        user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        device     TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        revoked_ms BIGINT
    );
    CREATE INDEX tokens_by_user ON tokens(user_id);
    CREATE TABLE projects (
        id         TEXT COLLATE "C" PRIMARY KEY,
        name       TEXT NOT NULL,
        feed_seq   BIGINT NOT NULL DEFAULT 0,
        created_ms BIGINT NOT NULL
    );
    CREATE TABLE members (
        project TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        role    TEXT NOT NULL,
        PRIMARY KEY (project, user_id)
    );
    CREATE INDEX members_by_user ON members(user_id);
    CREATE TABLE records (
        id         TEXT COLLATE "C" PRIMARY KEY,
        project    TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
        kind       TEXT NOT NULL,
        heads      TEXT NOT NULL DEFAULT '',
        created_ms BIGINT NOT NULL
    );
    CREATE INDEX records_by_project ON records(project, id);
    CREATE TABLE changes (
        record         TEXT COLLATE "C" NOT NULL REFERENCES records(id),
        hash           TEXT COLLATE "C" NOT NULL,
        deps           TEXT NOT NULL,
        data           BYTEA NOT NULL,
        applied        BOOLEAN NOT NULL DEFAULT FALSE,
        device_time_ms BIGINT NOT NULL,
        received_ms    BIGINT NOT NULL,
        user_id        TEXT NOT NULL,
        device         TEXT NOT NULL,
        PRIMARY KEY (record, hash)
    );
    CREATE INDEX changes_pending ON changes(record) WHERE NOT applied;
    CREATE TABLE feed (
        project TEXT COLLATE "C" NOT NULL,
        seq     BIGINT NOT NULL,
        record  TEXT COLLATE "C" NOT NULL,
        hash    TEXT COLLATE "C" NOT NULL,
        device  TEXT NOT NULL,
        PRIMARY KEY (project, seq)
    );
    CREATE INDEX feed_by_record ON feed(record, seq);
    CREATE TABLE blob_refs (
        project TEXT COLLATE "C" NOT NULL,
        sha256  TEXT COLLATE "C" NOT NULL,
        record  TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (project, sha256, record)
    );
    CREATE TABLE blob_grants (
        project TEXT COLLATE "C" NOT NULL,
        sha256  TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (project, sha256)
    );
    CREATE INDEX blob_grants_by_sha ON blob_grants(sha256);
"#,
    // 2: published checklist templates (ADR 0007), delivered to every device.
    r#"
    CREATE TABLE templates (
        id           TEXT COLLATE "C" NOT NULL,
        version      BIGINT NOT NULL,
        hash         TEXT NOT NULL,
        json         TEXT NOT NULL,
        published_by TEXT NOT NULL,
        published_ms BIGINT NOT NULL,
        PRIMARY KEY (id, version)
    );
"#,
    // 3: per device (token), the time up to which everything it held had reached the server
    // (ADR 0008: patrol tasks are declared missed only past every assignee's watermark).
    r#"
    ALTER TABLE tokens ADD COLUMN watermark_ms BIGINT;
"#,
    // 4: NTAG 424 DNA tag keys (held only here), the counter values each tag's scans brought,
    // and what the server found checking a change (ADR 0008).
    r#"
    CREATE TABLE tag_keys (
        uid      TEXT PRIMARY KEY,
        key      BYTEA NOT NULL,
        added_ms BIGINT NOT NULL
    );
    CREATE TABLE tag_counters (
        uid     TEXT NOT NULL,
        counter BIGINT NOT NULL,
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
        issued_ms   BIGINT NOT NULL,
        reported_by TEXT NOT NULL,
        reported_ms BIGINT NOT NULL
    );
"#,
    // 6: when each device token last authenticated a request: tokens unused for longer than
    // the server's `token_idle` stop working.
    r#"
    ALTER TABLE tokens ADD COLUMN last_used_ms BIGINT;
"#,
];

/// Key of the advisory lock that serialises schema changes: "OFGS".
const SCHEMA_LOCK: i64 = 0x4F46_4753;

/// Most connections one backend opens.
pub const POOL_SIZE: usize = 8;
/// How many times a transaction is run before a conflict is reported.
pub const MAX_ATTEMPTS: usize = 5;
/// How long a transaction waits for a free connection.
const POOL_WAIT: Duration = Duration::from_secs(30);

/// One pooled connection and the statements prepared on it.
struct Conn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

#[derive(Default)]
struct Pool {
    idle: Vec<Conn>,
    /// Connections open, idle or leased.
    open: usize,
}

/// The PostgreSQL backend: a pool of connections to one database.
pub struct PostgresBackend {
    config: postgres::Config,
    pool: Mutex<Pool>,
    freed: Condvar,
    org: crate::scope::OrgIndex,
    digests: crate::digest::DigestCache,
}

impl PostgresBackend {
    /// Connects to the database at `url` (`host=/run/postgresql dbname=offgrid` or
    /// `postgresql://user@host/db`; no TLS) and creates or upgrades the schema.
    pub fn connect(url: &str) -> Result<PostgresBackend> {
        let mut config: postgres::Config = url.parse()?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("offgrid-server");
        }
        let backend = PostgresBackend {
            config,
            pool: Mutex::new(Pool::default()),
            freed: Condvar::new(),
            org: Default::default(),
            digests: Default::default(),
        };
        {
            let mut lease = backend.lease()?;
            let conn = lease.conn()?;
            if let Err(e) = migrate(&mut conn.client) {
                lease.broken = true;
                return Err(e);
            }
        }
        Ok(backend)
    }

    fn pool(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An idle connection, or a new one if fewer than [`POOL_SIZE`] are open, or the first one
    /// returned.
    fn lease(&self) -> Result<Lease<'_>> {
        let deadline = Instant::now() + POOL_WAIT;
        let mut pool = self.pool();
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Ok(Lease::new(self, conn));
            }
            if pool.open < POOL_SIZE {
                pool.open += 1;
                drop(pool);
                return match self.config.connect(NoTls) {
                    Ok(client) => Ok(Lease::new(
                        self,
                        Conn {
                            client,
                            statements: HashMap::new(),
                        },
                    )),
                    Err(e) => {
                        self.pool().open -= 1;
                        self.freed.notify_one();
                        Err(e.into())
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Internal(format!(
                    "no PostgreSQL connection free after {} s",
                    POOL_WAIT.as_secs()
                )));
            }
            pool = self
                .freed
                .wait_timeout(pool, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Closes the idle connections.
    fn close_idle(&self) {
        let idle = {
            let mut pool = self.pool();
            let idle = std::mem::take(&mut pool.idle);
            pool.open -= idle.len();
            idle
        };
        self.freed.notify_all();
        drop(idle);
    }
}

/// The error with the database's message (`postgres::Error` displays as just "db error").
fn describe(e: &Error) -> String {
    match e {
        Error::Postgres(pg) => match pg.as_db_error() {
            Some(db) => format!("PostgreSQL: {} ({})", db.message(), db.code().code()),
            None => format!("PostgreSQL: {pg:?}"),
        },
        e => e.to_string(),
    }
}

/// Creates the schema or applies the migrations it lacks, under an advisory lock.
fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS offgrid_schema (version INT NOT NULL)")?;
    let version: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM offgrid_schema", &[])?
        .try_get(0)?;
    let version = usize::try_from(version)
        .map_err(|_| Error::Internal(format!("invalid server database schema {version}")))?;
    if version > SCHEMA.len() {
        return Err(Error::Internal(format!(
            "server database schema {version} is newer than this server ({})",
            SCHEMA.len()
        )));
    }
    if version == SCHEMA.len() {
        return Ok(());
    }
    for sql in &SCHEMA[version..] {
        tx.batch_execute(sql)?;
    }
    let latest = SCHEMA.len() as i32;
    tx.execute("DELETE FROM offgrid_schema", &[])?;
    tx.execute(
        "INSERT INTO offgrid_schema(version) VALUES ($1)",
        &[&latest],
    )?;
    tx.commit()?;
    tracing::info!(from = version, to = latest, "PostgreSQL schema updated");
    Ok(())
}

/// A leased connection; returned to the pool (or closed, if broken) when dropped.
struct Lease<'b> {
    backend: &'b PostgresBackend,
    conn: Option<Conn>,
    /// The connection failed in a way that leaves it unusable: close it.
    broken: bool,
}

impl<'b> Lease<'b> {
    fn new(backend: &'b PostgresBackend, conn: Conn) -> Lease<'b> {
        Lease {
            backend,
            conn: Some(conn),
            broken: false,
        }
    }

    fn conn(&mut self) -> Result<&mut Conn> {
        self.conn
            .as_mut()
            .ok_or_else(|| Error::Internal("PostgreSQL connection already returned".into()))
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let closing = if self.broken || conn.client.is_closed() {
            self.backend.pool().open -= 1;
            Some(conn)
        } else {
            self.backend.pool().idle.push(conn);
            None
        };
        self.backend.freed.notify_one();
        // Closing talks to the server: outside the pool's lock.
        drop(closing);
    }
}

/// A transaction aborted by the database for a conflict with another: running it again can
/// succeed.
fn is_conflict(e: &postgres::Error) -> bool {
    matches!(e.code().map(|c| c.code()), Some("40001" | "40P01"))
}

/// The connection is gone (closed, I/O error, the server shutting it down).
fn is_broken(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code().map(|c| c.code()) {
        return code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03");
    }
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

/// Why one run of a transaction failed.
struct Failed {
    error: Error,
    /// Running it again may succeed.
    retry: bool,
    /// The connection is unusable.
    broken: bool,
}

impl Failed {
    fn from_pg(e: postgres::Error, retry: bool) -> Failed {
        Failed {
            retry: retry || is_conflict(&e),
            broken: is_broken(&e),
            error: e.into(),
        }
    }
}

/// Runs `f` once in a transaction on `conn` and commits.
fn run_once(conn: &mut Conn, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<(), Failed> {
    let Conn { client, statements } = conn;
    // BEGIN failing on a connection that broke while idle in the pool: nothing ran, so running
    // again on a new connection is safe.
    let tx = client.transaction().map_err(|e| {
        let broken = is_broken(&e);
        Failed::from_pg(e, broken)
    })?;
    let mut t = PgTx {
        tx,
        statements,
        raced: false,
    };
    match f(&mut t) {
        // Never retried on a broken connection: the commit may have happened.
        Ok(()) => t.tx.commit().map_err(|e| Failed::from_pg(e, false)),
        Err(error) => {
            let raced = t.raced;
            let mut failed = match error {
                Error::Postgres(e) => Failed::from_pg(e, raced),
                error => Failed {
                    error,
                    retry: raced,
                    broken: false,
                },
            };
            if let Err(e) = t.tx.rollback() {
                failed.broken |= is_broken(&e);
            }
            // The connection broke before COMMIT was sent: nothing was committed.
            failed.retry |= failed.broken;
            Err(failed)
        }
    }
}

impl Backend for PostgresBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn org_index(&self) -> &crate::scope::OrgIndex {
        &self.org
    }

    fn digests(&self) -> &crate::digest::DigestCache {
        &self.digests
    }

    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut lease = self.lease()?;
        let mut attempt = 1;
        loop {
            let failed = match run_once(lease.conn()?, f) {
                Ok(()) => return Ok(()),
                Err(failed) => failed,
            };
            if failed.broken {
                lease.broken = true;
            }
            if !failed.retry || attempt >= MAX_ATTEMPTS {
                return Err(failed.error);
            }
            tracing::debug!(attempt, error = %describe(&failed.error), "PostgreSQL transaction retried");
            if failed.broken {
                // Most likely the server restarted: the idle connections are dead too.
                drop(lease);
                self.close_idle();
                lease = self.lease()?;
            }
            // A short random pause so the transactions that collided do not collide again.
            let ms = 1 + rand::random::<u64>() % (5 << attempt);
            std::thread::sleep(Duration::from_millis(ms));
            attempt += 1;
        }
    }
}

struct PgTx<'c> {
    tx: postgres::Transaction<'c>,
    statements: &'c mut HashMap<&'static str, Statement>,
    /// A concurrent transaction created a record this one was creating: run again.
    raced: bool,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl PgTx<'_> {
    /// The statement, prepared once per connection.
    fn prepared(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.tx.prepare(sql)?;
        self.statements.insert(sql, st.clone());
        Ok(st)
    }

    fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64> {
        let st = self.prepared(sql)?;
        Ok(self.tx.execute(&st, params)?)
    }

    fn query_opt(&mut self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>> {
        let st = self.prepared(sql)?;
        Ok(self.tx.query_opt(&st, params)?)
    }

    fn query(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>> {
        let st = self.prepared(sql)?;
        Ok(self.tx.query(&st, params)?)
    }

    fn exists(&mut self, sql: &'static str, params: Params<'_>) -> Result<bool> {
        Ok(self.query_opt(sql, params)?.is_some())
    }
}

fn user_row(r: &Row) -> Result<UserRow> {
    Ok(UserRow {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        password_hash: r.try_get(2)?,
        disabled: r.try_get(3)?,
    })
}

fn token_row(r: &Row) -> Result<TokenRow> {
    Ok(TokenRow {
        id: r.try_get(0)?,
        hash: r.try_get(1)?,
        user_id: r.try_get(2)?,
        device: r.try_get(3)?,
        created_ms: r.try_get(4)?,
        revoked_ms: r.try_get(5)?,
        last_used_ms: r.try_get(6)?,
    })
}

fn record_row(r: &Row) -> Result<RecordRow> {
    Ok(RecordRow {
        id: r.try_get(0)?,
        project: r.try_get(1)?,
        kind: r.try_get(2)?,
        heads: split_heads(r.try_get(3)?),
    })
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Tx for PgTx<'_> {
    fn insert_user(&mut self, u: &UserRow, now_ms: i64) -> Result<bool> {
        let n = self.execute(
            "INSERT INTO users(id, name, password_hash, disabled, created_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            &[&u.id, &u.name, &u.password_hash, &u.disabled, &now_ms],
        )?;
        Ok(n == 1)
    }

    fn user(&mut self, id: &str) -> Result<Option<UserRow>> {
        self.query_opt(
            "SELECT id, name, password_hash, disabled FROM users WHERE id = $1",
            &[&id],
        )?
        .as_ref()
        .map(user_row)
        .transpose()
    }

    fn update_user(&mut self, u: &UserRow) -> Result<bool> {
        let n = self.execute(
            "UPDATE users SET name = $2, password_hash = $3, disabled = $4 WHERE id = $1",
            &[&u.id, &u.name, &u.password_hash, &u.disabled],
        )?;
        Ok(n == 1)
    }

    fn insert_token(&mut self, t: &TokenRow) -> Result<()> {
        self.execute(
            "INSERT INTO tokens(id, hash, user_id, device, created_ms, revoked_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &t.id,
                &t.hash,
                &t.user_id,
                &t.device,
                &t.created_ms,
                &t.revoked_ms,
            ],
        )?;
        Ok(())
    }

    fn token_by_hash(&mut self, hash: &str) -> Result<Option<TokenRow>> {
        self.query_opt(
            "SELECT id, hash, user_id, device, created_ms, revoked_ms, last_used_ms FROM tokens WHERE hash = $1",
            &[&hash],
        )?
        .as_ref()
        .map(token_row)
        .transpose()
    }

    fn tokens(&mut self, user_id: &str) -> Result<Vec<TokenRow>> {
        self.query(
            "SELECT id, hash, user_id, device, created_ms, revoked_ms, last_used_ms FROM tokens
             WHERE user_id = $1 ORDER BY created_ms, id",
            &[&user_id],
        )?
        .iter()
        .map(token_row)
        .collect()
    }

    fn touch_token(&mut self, token_id: &str, now_ms: i64) -> Result<()> {
        self.execute(
            "UPDATE tokens SET last_used_ms = $2 WHERE id = $1",
            &[&token_id, &now_ms],
        )?;
        Ok(())
    }

    fn set_token_watermark(&mut self, token_id: &str, at_ms: i64) -> Result<()> {
        self.execute(
            "UPDATE tokens SET watermark_ms = GREATEST(COALESCE(watermark_ms, 0), $2) WHERE id = $1",
            &[&token_id, &at_ms],
        )?;
        Ok(())
    }

    fn watermarks_after(&mut self, after_ms: i64) -> Result<Vec<(String, i64, i64)>> {
        let rows = self.query(
            "SELECT user_id, MIN(COALESCE(watermark_ms, 0)), MAX(COALESCE(watermark_ms, 0))
             FROM tokens WHERE revoked_ms IS NULL GROUP BY user_id
             HAVING MAX(COALESCE(watermark_ms, 0)) > $1 ORDER BY user_id",
            &[&after_ms],
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    fn revoke_tokens(&mut self, user_id: &str, token_id: Option<&str>, now_ms: i64) -> Result<u64> {
        self.execute(
            "UPDATE tokens SET revoked_ms = $3
             WHERE user_id = $1 AND ($2::text IS NULL OR id = $2) AND revoked_ms IS NULL",
            &[&user_id, &token_id, &now_ms],
        )
    }

    fn insert_project(&mut self, id: &str, name: &str, now_ms: i64) -> Result<bool> {
        let n = self.execute(
            "INSERT INTO projects(id, name, created_ms) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO NOTHING",
            &[&id, &name, &now_ms],
        )?;
        Ok(n == 1)
    }

    fn template_hash(&mut self, id: &str, version: i64) -> Result<Option<String>> {
        Ok(self
            .query_opt(
                "SELECT hash FROM templates WHERE id = $1 AND version = $2",
                &[&id, &version],
            )?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn insert_template(&mut self, t: &TemplateRow) -> Result<()> {
        self.execute(
            "INSERT INTO templates(id, version, hash, json, published_by, published_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &t.id,
                &t.version,
                &t.hash,
                &t.json,
                &t.published_by,
                &t.published_ms,
            ],
        )?;
        Ok(())
    }

    fn template_hashes(&mut self) -> Result<Vec<(String, i64, String)>> {
        self.query(
            "SELECT id, version, hash FROM templates ORDER BY id, version",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
    }

    fn templates(&mut self) -> Result<Vec<TemplateRow>> {
        self.query(
            "SELECT id, version, hash, json, published_by, published_ms FROM templates
             ORDER BY id, version",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(TemplateRow {
                id: r.try_get(0)?,
                version: r.try_get(1)?,
                hash: r.try_get(2)?,
                json: r.try_get(3)?,
                published_by: r.try_get(4)?,
                published_ms: r.try_get(5)?,
            })
        })
        .collect()
    }

    fn project_exists(&mut self, id: &str) -> Result<bool> {
        self.exists("SELECT 1 FROM projects WHERE id = $1", &[&id])
    }

    fn set_member(&mut self, project: &str, user_id: &str, role: Option<Role>) -> Result<()> {
        match role {
            Some(role) => self.execute(
                "INSERT INTO members(project, user_id, role) VALUES ($1, $2, $3)
                 ON CONFLICT (project, user_id) DO UPDATE SET role = EXCLUDED.role",
                &[&project, &user_id, &role.as_str()],
            )?,
            None => self.execute(
                "DELETE FROM members WHERE project = $1 AND user_id = $2",
                &[&project, &user_id],
            )?,
        };
        Ok(())
    }

    fn roles(&mut self, user_id: &str) -> Result<Vec<ProjectRole>> {
        let rows = self.query(
            "SELECT project, role FROM members WHERE user_id = $1 ORDER BY project",
            &[&user_id],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let project: String = r.try_get(0)?;
            if let Some(role) = role_from_str(r.try_get(1)?) {
                out.push(ProjectRole { project, role });
            }
        }
        Ok(out)
    }

    fn record(&mut self, id: &str) -> Result<Option<RecordRow>> {
        self.query_opt(
            "SELECT id, project, kind, heads FROM records WHERE id = $1",
            &[&id],
        )?
        .as_ref()
        .map(record_row)
        .transpose()
    }

    fn lock_record(&mut self, id: &str) -> Result<Option<RecordRow>> {
        self.query_opt(
            "SELECT id, project, kind, heads FROM records WHERE id = $1 FOR UPDATE",
            &[&id],
        )?
        .as_ref()
        .map(record_row)
        .transpose()
    }

    fn insert_record(&mut self, row: &RecordRow, now_ms: i64) -> Result<()> {
        // A concurrent transaction may be creating the same record (neither saw it when locking):
        // this insert waits for it, and if it committed, the whole transaction runs again and
        // finds (and locks) the record.
        let n = self.execute(
            "INSERT INTO records(id, project, kind, heads, created_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO NOTHING",
            &[
                &row.id,
                &row.project,
                &row.kind,
                &join_heads(&row.heads),
                &now_ms,
            ],
        )?;
        if n == 0 {
            self.raced = true;
            return Err(Error::Conflict(format!(
                "record {} was created by a concurrent request",
                row.id
            )));
        }
        Ok(())
    }

    fn set_heads(&mut self, id: &str, heads: &[String]) -> Result<()> {
        self.execute(
            "UPDATE records SET heads = $2 WHERE id = $1",
            &[&id, &join_heads(heads)],
        )?;
        Ok(())
    }

    fn change_state(&mut self, record: &str, hash: &str) -> Result<Option<bool>> {
        self.query_opt(
            "SELECT applied FROM changes WHERE record = $1 AND hash = $2",
            &[&record, &hash],
        )?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(Error::from)
    }

    fn insert_change(&mut self, c: &ChangeRow) -> Result<()> {
        self.execute(
            "INSERT INTO changes(record, hash, deps, data, applied, device_time_ms, received_ms,
                                 user_id, device)
             VALUES ($1, $2, $3, $4, FALSE, $5, $6, $7, $8) ON CONFLICT (record, hash) DO NOTHING",
            &[
                &c.record,
                &c.hash,
                &join_heads(&c.deps),
                &c.data,
                &c.device_time_ms,
                &c.received_ms,
                &c.user_id,
                &c.device,
            ],
        )?;
        Ok(())
    }

    fn pending_changes(&mut self, record: &str) -> Result<Vec<(String, Vec<String>)>> {
        self.query(
            "SELECT hash, deps FROM changes WHERE record = $1 AND NOT applied",
            &[&record],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, split_heads(r.try_get(1)?))))
        .collect()
    }

    fn pending_change_data(&mut self, record: &str) -> Result<Vec<Vec<u8>>> {
        self.query(
            "SELECT data FROM changes WHERE record = $1 AND NOT applied",
            &[&record],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn record_bytes(&mut self, record: &str) -> Result<u64> {
        let rows = self.query(
            "SELECT COALESCE(SUM(octet_length(data)), 0)::BIGINT FROM changes WHERE record = $1",
            &[&record],
        )?;
        let n: i64 = match rows.first() {
            Some(r) => r.try_get(0)?,
            None => 0,
        };
        Ok(n.max(0) as u64)
    }

    fn mark_applied(&mut self, record: &str, hash: &str) -> Result<()> {
        self.execute(
            "UPDATE changes SET applied = TRUE WHERE record = $1 AND hash = $2",
            &[&record, &hash],
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
        let count = limit(entries.len());
        // The row lock taken here is held until commit: the project's next writer waits, so
        // numbers are handed out in commit order.
        let end: i64 = self
            .query_opt(
                "UPDATE projects SET feed_seq = feed_seq + $2 WHERE id = $1 RETURNING feed_seq",
                &[&project, &count],
            )?
            .ok_or_else(|| Error::Internal(format!("feed of unknown project {project}")))?
            .try_get(0)?;
        let (records, hashes): (Vec<&str>, Vec<&str>) = entries
            .iter()
            .map(|(r, h)| (r.as_str(), h.as_str()))
            .unzip();
        self.execute(
            "INSERT INTO feed(project, seq, record, hash, device)
             SELECT $1, $2 + t.n, t.record, t.hash, $5
             FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS t(record, hash, n)",
            &[&project, &(end - count), &records, &hashes, &device],
        )?;
        Ok(())
    }

    fn feed_after(&mut self, project: &str, after: i64, limit_rows: usize) -> Result<Vec<FeedRow>> {
        self.query(
            "SELECT f.seq, f.record, r.kind, f.device, c.data, c.received_ms, c.user_id
             FROM feed f JOIN records r ON r.id = f.record
             JOIN changes c ON c.record = f.record AND c.hash = f.hash
             WHERE f.project = $1 AND f.seq > $2 ORDER BY f.seq LIMIT $3",
            &[&project, &after, &limit(limit_rows)],
        )?
        .iter()
        .map(|r| {
            Ok(FeedRow {
                seq: r.try_get(0)?,
                record: r.try_get(1)?,
                kind: r.try_get(2)?,
                device: r.try_get(3)?,
                data: r.try_get(4)?,
                received_ms: r.try_get(5)?,
                user_id: r.try_get(6)?,
            })
        })
        .collect()
    }

    fn feed_head(&mut self, project: &str) -> Result<i64> {
        match self.query_opt("SELECT feed_seq FROM projects WHERE id = $1", &[&project])? {
            Some(r) => Ok(r.try_get(0)?),
            None => Ok(0),
        }
    }

    fn records_after(
        &mut self,
        project: &str,
        after: &str,
        limit_rows: usize,
    ) -> Result<Vec<RecordRow>> {
        self.query(
            "SELECT id, project, kind, heads FROM records
             WHERE project = $1 AND id > $2 ORDER BY id LIMIT $3",
            &[&project, &after, &limit(limit_rows)],
        )?
        .iter()
        .map(record_row)
        .collect()
    }

    fn applied_changes(&mut self, record: &str) -> Result<Vec<(Vec<u8>, i64, String)>> {
        self.query(
            "SELECT c.data, c.received_ms, c.user_id
             FROM feed f JOIN changes c ON c.record = f.record AND c.hash = f.hash
             WHERE f.record = $1 ORDER BY f.seq",
            &[&record],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
    }

    fn add_blob_ref(&mut self, project: &str, sha256: &str, record: &str) -> Result<()> {
        self.execute(
            "INSERT INTO blob_refs(project, sha256, record) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&project, &sha256, &record],
        )?;
        Ok(())
    }

    fn has_blob_ref(&mut self, project: &str, sha256: &str) -> Result<bool> {
        self.exists(
            "SELECT 1 FROM blob_refs WHERE project = $1 AND sha256 = $2 LIMIT 1",
            &[&project, &sha256],
        )
    }

    fn grant_blob(&mut self, project: &str, sha256: &str) -> Result<()> {
        self.execute(
            "INSERT INTO blob_grants(project, sha256) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&project, &sha256],
        )?;
        Ok(())
    }

    fn blob_granted(&mut self, project: &str, sha256: &str) -> Result<bool> {
        self.exists(
            "SELECT 1 FROM blob_grants WHERE project = $1 AND sha256 = $2",
            &[&project, &sha256],
        )
    }

    fn user_can_read_blob(&mut self, user_id: &str, sha256: &str) -> Result<bool> {
        self.exists(
            "SELECT 1 FROM blob_grants g JOIN members m ON m.project = g.project
             WHERE g.sha256 = $1 AND m.user_id = $2 LIMIT 1",
            &[&sha256, &user_id],
        )
    }

    fn tag_key(&mut self, uid: &str) -> Result<Option<Vec<u8>>> {
        let row = self.query_opt("SELECT key FROM tag_keys WHERE uid = $1", &[&uid])?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    fn set_tag_key(&mut self, uid: &str, key: &[u8], now_ms: i64) -> Result<()> {
        self.execute(
            "INSERT INTO tag_keys(uid, key, added_ms) VALUES ($1, $2, $3)
             ON CONFLICT (uid) DO UPDATE SET key = EXCLUDED.key, added_ms = EXCLUDED.added_ms",
            &[&uid, &key, &now_ms],
        )?;
        Ok(())
    }

    fn remove_tag_key(&mut self, uid: &str) -> Result<bool> {
        Ok(self.execute("DELETE FROM tag_keys WHERE uid = $1", &[&uid])? > 0)
    }

    fn tag_keys(&mut self) -> Result<Vec<(String, i64, i64)>> {
        let rows = self.query(
            "SELECT k.uid, k.added_ms, (SELECT COUNT(*) FROM tag_counters c WHERE c.uid = k.uid)
             FROM tag_keys k ORDER BY k.uid",
            &[],
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    fn claim_tag_counter(
        &mut self,
        uid: &str,
        counter: u32,
        record: &str,
        hash: &str,
    ) -> Result<bool> {
        let counter = i64::from(counter);
        self.execute(
            "INSERT INTO tag_counters(uid, counter, record, hash) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[&uid, &counter, &record, &hash],
        )?;
        let row = self.query_opt(
            "SELECT record, hash FROM tag_counters WHERE uid = $1 AND counter = $2",
            &[&uid, &counter],
        )?;
        Ok(match row {
            Some(r) => r.try_get::<_, String>(0)? == record && r.try_get::<_, String>(1)? == hash,
            None => false,
        })
    }

    fn set_change_check(&mut self, record: &str, hash: &str, check: &str) -> Result<()> {
        self.execute(
            "INSERT INTO change_checks(record, hash, finding) VALUES ($1, $2, $3)
             ON CONFLICT (record, hash) DO UPDATE SET finding = EXCLUDED.finding",
            &[&record, &hash, &check],
        )?;
        Ok(())
    }

    fn issued_document(&mut self, sha256: &str) -> Result<Option<IssuedRow>> {
        self.query_opt(
            "SELECT sha256, kind, number, records, issued_ms, reported_by, reported_ms
             FROM issued_documents WHERE sha256 = $1",
            &[&sha256],
        )?
        .map(|r| {
            Ok(IssuedRow {
                sha256: r.try_get(0)?,
                kind: r.try_get(1)?,
                number: r.try_get(2)?,
                records: r.try_get(3)?,
                issued_ms: r.try_get(4)?,
                reported_by: r.try_get(5)?,
                reported_ms: r.try_get(6)?,
            })
        })
        .transpose()
    }

    fn insert_issued_document(&mut self, d: &IssuedRow) -> Result<()> {
        self.execute(
            "INSERT INTO issued_documents(sha256, kind, number, records, issued_ms, reported_by, reported_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING",
            &[&d.sha256, &d.kind, &d.number, &d.records, &d.issued_ms, &d.reported_by, &d.reported_ms],
        )?;
        Ok(())
    }

    fn checks_of(&mut self, records: &[String]) -> Result<Vec<(String, String, String)>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = records.iter().map(String::as_str).collect();
        let rows = self.query(
            "SELECT record, hash, finding FROM change_checks WHERE record = ANY($1)",
            &[&ids],
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    fn change_checks(&mut self, record: &str) -> Result<Vec<(String, String)>> {
        let rows = self.query(
            "SELECT hash, finding FROM change_checks WHERE record = $1",
            &[&record],
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}
