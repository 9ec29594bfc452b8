//! The record commands: list, show, history, conflicts, check (read an existing database) and
//! create, set (write as the current user). Each opens the store, does one thing and prints it,
//! human-readable or as JSON (`--json`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use offgrid_core::{Error as CoreError, ListQuery, RecordId, RecordKind, Store, User};
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::output;

/// What every command needs: the database, the output form, who writes and on which project.
pub(crate) struct Ctx {
    pub db: PathBuf,
    /// The database's key (`--key-file` or `$OFFGRID_KEY`), if it is encrypted.
    pub key: Option<offgrid_core::StoreKey>,
    pub json: bool,
    pub user: User,
    /// Whether `user` was chosen (`--user`, `--user-name`, `--role` or their environment
    /// variables). If not, a signed-in database writes as its account (see [`Ctx::writer`]).
    pub user_given: bool,
    /// `--project`: the project of the user's role, of new inspections and hazards, and the
    /// register's filter.
    pub project: Option<String>,
}

impl Ctx {
    /// The `--project` a command that creates a record needs.
    pub(crate) fn require_project(&self, command: &str) -> Result<String> {
        match &self.project {
            Some(p) if !p.trim().is_empty() => Ok(p.clone()),
            _ => bail!("{command} needs --project P"),
        }
    }

    /// The store at `--db`, which must already exist: reading (and changing what is there)
    /// never creates a database, nor turns an empty file into one.
    pub(crate) fn open_existing(&self) -> Result<Store> {
        open_existing(&self.db, self.key.as_ref())
    }

    /// Who writes to `store`: the user given on the command line or in the environment; else
    /// the account the database is signed in as (`offgrid login`), with the roles the server
    /// gave it, so its records sync under the right name; else the default "cli" admin.
    pub(crate) fn writer(&self, store: &Store) -> Result<User> {
        if !self.user_given
            && let Some(account) = store.sync_account()?
        {
            return Ok(offgrid_core::sync::user_of(&account.account));
        }
        Ok(self.user.clone())
    }

    /// The store at `--db`, which must already exist, with the current user set for writes.
    pub(crate) fn open_as_user(&self) -> Result<Store> {
        let store = self.open_existing()?;
        store.set_user(self.writer(&store)?);
        Ok(store)
    }

    /// The store at `--db`, created if missing, with the current user set for writes.
    pub(crate) fn open_or_create(&self) -> Result<Store> {
        let existed = self.db.exists();
        let store = open(&self.db, self.key.as_ref())?;
        if !existed {
            eprintln!("created new database {}", self.db.display());
        }
        store.set_user(self.writer(&store)?);
        Ok(store)
    }
}

/// The record of `kind` that `text` names: a full id, or the start or end of exactly one id (as
/// the register's short ids show them).
pub(crate) fn resolve_id(store: &Store, kind: RecordKind, text: &str) -> Result<RecordId> {
    const FULL_LEN: usize = 36;
    if text.len() == FULL_LEN || text.len() < 4 {
        return Ok(RecordId::from(text));
    }
    let rows = store.list(&ListQuery {
        kind: Some(kind),
        ..Default::default()
    })?;
    let mut found = rows
        .into_iter()
        .map(|r| r.id)
        .filter(|id| id.as_str().starts_with(text) || id.as_str().ends_with(text));
    match (found.next(), found.next()) {
        (Some(id), None) => Ok(id),
        (None, _) => Ok(RecordId::from(text)), // the core names it in "not found"
        (Some(_), Some(_)) => bail!("{text:?} matches more than one {kind}: give the full id"),
    }
}

/// Opens a store, created if missing (encrypted with `key` when given). The core's messages
/// about the file itself already name it.
pub(crate) fn open(path: &Path, key: Option<&offgrid_core::StoreKey>) -> Result<Store> {
    open_mode(path, key, true)
}

/// Opens the store at `path`, which must already be one (`Store::open_existing`): a missing or
/// empty file is refused, and nothing is created or written.
pub(crate) fn open_existing(path: &Path, key: Option<&offgrid_core::StoreKey>) -> Result<Store> {
    open_mode(path, key, false)
}

fn open_mode(path: &Path, key: Option<&offgrid_core::StoreKey>, create: bool) -> Result<Store> {
    let options = offgrid_core::StoreOptions {
        key: key.cloned(),
        ..Default::default()
    };
    let opened = if create {
        Store::open_with(path, options)
    } else {
        Store::open_existing(path, options)
    };
    opened.map_err(|e| match e {
        CoreError::StoreNotFound { .. } if !path.exists() => anyhow::anyhow!(
            "{} does not exist (pass --db PATH, or create a record first)",
            path.display()
        ),
        CoreError::StoreNotFound { .. } => anyhow::anyhow!(
            "{} is empty: not an Offgrid database yet (left as it is)",
            path.display()
        ),
        CoreError::NotADatabase { .. } => anyhow::Error::new(e),
        CoreError::KeyRequired { .. } => {
            anyhow::Error::new(e).context("give its key with --key-file PATH or $OFFGRID_KEY")
        }
        CoreError::WrongKey { .. } => anyhow::Error::new(e),
        e => anyhow::Error::new(e).context(format!("cannot open {}", path.display())),
    })
}

pub(crate) fn list(ctx: &Ctx, query: &ListQuery) -> Result<()> {
    let store = ctx.open_existing()?;
    let rows = store.list(query).context("cannot list records")?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        output::json(&mut out, &rows)
    } else {
        output::records(&mut out, &rows)
    }
}

/// Prints the record (or one field of it) as pretty JSON, whatever `--json` says: it is data.
pub(crate) fn show(ctx: &Ctx, id: &str, pointer: Option<&str>) -> Result<()> {
    let store = ctx.open_existing()?;
    let id = RecordId::from(id);
    let value = match pointer {
        None => store.get(&id)?,
        Some(p) => store
            .get_path(&id, p)?
            .with_context(|| format!("record {id} has no field at {p}"))?,
    };
    output::json(&mut std::io::stdout().lock(), &value)
}

pub(crate) fn history(ctx: &Ctx, id: &str) -> Result<()> {
    let store = ctx.open_existing()?;
    let entries = store.history(&RecordId::from(id))?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        output::json(&mut out, &entries)
    } else {
        output::history(&mut out, &entries)
    }
}

pub(crate) fn conflicts(ctx: &Ctx, id: &str) -> Result<()> {
    let store = ctx.open_existing()?;
    let conflicts = store.conflicts(&RecordId::from(id))?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        output::json(&mut out, &conflicts)
    } else {
        output::conflicts(&mut out, &conflicts)
    }
}

#[derive(Serialize)]
struct CheckReport {
    ok: bool,
    integrity: Vec<String>,
    records: u64,
    unreadable: Vec<offgrid_core::UnreadableRecord>,
}

/// Verifies the file and every record. Returns whether all is well (the exit code says so).
pub(crate) fn check(ctx: &Ctx) -> Result<bool> {
    let store = ctx.open_existing()?;
    let report = store.verify().context("cannot verify the database")?;
    let ok = report.is_ok();
    let report = CheckReport {
        ok,
        integrity: report.integrity,
        records: report.records,
        unreadable: report.unreadable,
    };
    let mut out = std::io::stdout().lock();
    if ctx.json {
        output::json(&mut out, &report)?;
    } else {
        writeln!(out, "file:       {}", ctx.db.display())?;
        writeln!(out, "integrity:  {}", report.integrity.join("; "))?;
        writeln!(out, "records:    {}", report.records)?;
        if report.unreadable.is_empty() {
            writeln!(out, "unreadable: none")?;
        } else {
            writeln!(out, "unreadable: {}", report.unreadable.len())?;
            for u in &report.unreadable {
                writeln!(out, "  {}  {}", u.id, u.reason)?;
            }
        }
        writeln!(out, "{}", if ok { "OK" } else { "PROBLEMS FOUND" })?;
    }
    Ok(ok)
}

/// Creates a record from `--json-fields` (an object) overlaid with each `--field`.
pub(crate) fn create(
    ctx: &Ctx,
    kind: RecordKind,
    fields: Vec<(String, Json)>,
    json_fields: Option<&str>,
) -> Result<()> {
    let mut map = match json_fields {
        None => Map::new(),
        Some(text) => {
            match serde_json::from_str(text).context("--json-fields is not valid JSON")? {
                Json::Object(m) => m,
                _ => bail!("--json-fields must be a JSON object"),
            }
        }
    };
    map.extend(fields);
    let store = ctx.open_or_create()?;
    let id = store
        .create(kind, &Json::Object(map))
        .with_context(|| format!("cannot create {kind} record"))?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        output::json(&mut out, &serde_json::json!({ "id": id, "kind": kind }))
    } else {
        writeln!(out, "{id}")?;
        Ok(())
    }
}

/// Sets one scalar field in one change.
pub(crate) fn set(
    ctx: &Ctx,
    id: &str,
    pointer: &str,
    value: Json,
    message: Option<&str>,
) -> Result<()> {
    let store = ctx.open_as_user()?;
    let id = RecordId::from(id);
    let message = message.map_or_else(|| format!("set {pointer}"), str::to_owned);
    store
        .update(&id, &message, |e| Ok(e.set(pointer, value.clone())?))
        .with_context(|| format!("cannot set {pointer} on record {id}"))?;
    if ctx.json {
        let heads = store.heads(&id)?;
        let report =
            serde_json::json!({ "id": id, "path": pointer, "value": value, "heads": heads });
        output::json(&mut std::io::stdout().lock(), &report)?;
    }
    Ok(())
}
