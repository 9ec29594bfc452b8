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

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};

use super::schema::{self, Dialect};
use super::{Backend, ChangeRow, Param, RecordRow, Sql, Tx, join_heads, record_row, sql_limit};
use crate::error::{Error, Result};

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
    if version > schema::VERSION {
        return Err(Error::Internal(format!(
            "server database schema {version} is newer than this server ({})",
            schema::VERSION
        )));
    }
    if version == schema::VERSION {
        return Ok(());
    }
    for sql in Dialect::Postgres.pending(version) {
        tx.batch_execute(&sql)?;
    }
    let latest = schema::VERSION as i32;
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
    /// The statement, prepared once per connection (SQLite's `?1` placeholders as `$1`).
    fn prepared(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.tx.prepare(&super::sql::postgres_placeholders(sql))?;
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
}

impl Sql for PgTx<'_> {
    fn execute(&mut self, sql: &'static str, params: &[&dyn Param]) -> Result<u64> {
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| *p as _).collect();
        PgTx::execute(self, sql, &params)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&dyn Param],
        each: &mut dyn FnMut(&dyn super::Row) -> Result<()>,
    ) -> Result<()> {
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| *p as _).collect();
        for row in PgTx::query(self, sql, &params)? {
            each(&row)?;
        }
        Ok(())
    }
}

impl Tx for PgTx<'_> {
    fn sql(&mut self) -> &mut dyn Sql {
        self
    }

    fn set_token_watermark(&mut self, token_id: &str, at_ms: i64) -> Result<()> {
        self.execute(
            "UPDATE tokens SET watermark_ms = GREATEST(COALESCE(watermark_ms, 0), $2) WHERE id = $1",
            &[&token_id, &at_ms],
        )?;
        Ok(())
    }

    fn lock_record(&mut self, id: &str) -> Result<Option<RecordRow>> {
        self.sql().one(
            "SELECT id, project, kind, heads FROM records WHERE id = ?1 FOR UPDATE",
            &[&id],
            record_row,
        )
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
        .map(|r| Ok((r.try_get(0)?, super::split_heads(r.try_get(1)?))))
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
        let count = sql_limit(entries.len());
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
}
