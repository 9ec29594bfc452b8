//! Published checklist templates, kept in the store so every inspection can always be read
//! against the exact template version it was created from. A published (id, version) never
//! changes: publishing different content under it is refused.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use crate::access::Permission;
use crate::checklist::{self, Template, builtin};
use crate::error::{Error, Result};
use crate::store::Store;
pub use offgrid_domain::checklist::TemplateRef;

/// Parsed template versions (immutable once published), kept with the store.
#[derive(Default)]
struct TemplateCache(std::collections::HashMap<(String, u32), Arc<Template>>);

impl Store {
    /// Publishes a template (validated; needs [`Permission::PublishTemplate`] on the
    /// organisation scope, [`crate::grid::ORG`]). The next sync offers it to the server, which
    /// delivers it to every device (ADR 0007).
    pub fn publish_template(&self, template: &Template) -> Result<TemplateRef> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        user.require(crate::grid::ORG, Permission::PublishTemplate)?;
        self.store_template(template)
    }

    /// The reference to pin a record to: the stored one if this version is already stored
    /// (validated and hashed when it was), else stores it first.
    pub(crate) fn pin_template(&self, template: &Template) -> Result<TemplateRef> {
        let stored: Option<String> = self.with_writer_conn(|conn| {
            Ok(conn
                .query_row(
                    "SELECT hash FROM templates WHERE id = ?1 AND version = ?2",
                    params![template.id, template.version],
                    |row| row.get(0),
                )
                .optional()?)
        })?;
        match stored {
            Some(hash) => Ok(TemplateRef {
                id: template.id.clone(),
                version: template.version,
                hash,
            }),
            None => self.store_template(template),
        }
    }

    /// Stores a template version, idempotently; refuses different content under a published
    /// (id, version).
    pub(crate) fn store_template(&self, template: &Template) -> Result<TemplateRef> {
        if let Some(issue) = checklist::validate(template).into_iter().next() {
            return Err(Error::Template {
                path: issue.path,
                reason: issue.reason,
            });
        }
        let r = TemplateRef::of(template);
        let now = self.now().unix_ms;
        self.with_writer_conn(|conn| {
            let existing: Option<String> = conn
                .query_row(
                    "SELECT hash FROM templates WHERE id = ?1 AND version = ?2",
                    params![r.id, r.version],
                    |row| row.get(0),
                )
                .optional()?;
            match existing {
                Some(hash) if hash == r.hash => Ok(()),
                Some(_) => Err(Error::Template {
                    path: "$.version".into(),
                    reason: format!(
                        "{} version {} is already published with other content: publish a new version",
                        r.id, r.version
                    ),
                }),
                None => {
                    conn.execute(
                        "INSERT INTO templates(id, version, hash, json, published_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![r.id, r.version, r.hash, serde_json::to_string(template)?, now],
                    )?;
                    Ok(())
                }
            }
        })?;
        Ok(r)
    }

    /// A template version: published ones first, then the built-in templates. Versions are
    /// immutable, so they are parsed once and cached.
    pub fn template(&self, id: &str, version: u32) -> Result<Arc<Template>> {
        let key = (id.to_owned(), version);
        if let Some(t) = self.with_cache(|c: &mut TemplateCache| c.0.get(&key).cloned()) {
            return Ok(t);
        }
        let t = Arc::new(self.load_template(id, version)?);
        self.with_cache(|c: &mut TemplateCache| c.0.insert(key, t.clone()));
        Ok(t)
    }

    fn load_template(&self, id: &str, version: u32) -> Result<Template> {
        let stored: Option<String> = self.with_writer_conn(|conn| {
            Ok(conn
                .query_row(
                    "SELECT json FROM templates WHERE id = ?1 AND version = ?2",
                    params![id, version],
                    |row| row.get(0),
                )
                .optional()?)
        })?;
        if let Some(json) = stored {
            return Ok(serde_json::from_str(&json)?);
        }
        match builtin::get(id)? {
            Some(t) if t.version == version => Ok(t),
            _ => Err(Error::InvalidArgument(format!(
                "no template {id} version {version}"
            ))),
        }
    }

    /// The newest version of every template (published or built in).
    pub fn templates(&self) -> Result<Vec<Template>> {
        let mut out: Vec<Template> = self.with_writer_conn(latest)?;
        for t in builtin::all()? {
            match out.iter_mut().find(|o| o.id == t.id) {
                Some(o) if o.version >= t.version => {}
                Some(o) => *o = t,
                None => out.push(t),
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

fn latest(conn: &Connection) -> Result<Vec<Template>> {
    let mut stmt = conn.prepare(
        "SELECT json FROM templates t WHERE version = (SELECT max(version) FROM templates WHERE id = t.id)",
    )?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for json in rows {
        out.push(serde_json::from_str(&json?)?);
    }
    Ok(out)
}

/// `templates.pushed`: stored here, not yet taken by the server.
const NOT_PUSHED: i64 = 0;
/// Taken by the server (or received from it).
const PUSHED: i64 = 1;
/// Refused by the server (not offered again).
const REFUSED: i64 = 2;

impl Store {
    /// Template versions stored here that the server has not taken yet, as JSON.
    #[cfg_attr(not(feature = "sync-client"), allow(dead_code))]
    pub(crate) fn unpushed_templates(&self) -> Result<Vec<serde_json::Value>> {
        self.with_writer_conn(|conn| {
            let mut stmt =
                conn.prepare("SELECT json FROM templates WHERE pushed = ?1 ORDER BY id, version")?;
            let rows = stmt.query_map([NOT_PUSHED], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for json in rows {
                out.push(serde_json::from_str(&json?)?);
            }
            Ok(out)
        })
    }
}

/// Records the server's answer to a pushed template version (`refused`: it was not taken).
#[cfg_attr(not(feature = "sync-client"), allow(dead_code))]
pub(crate) fn mark_pushed(
    tx: &rusqlite::Transaction<'_>,
    json: &serde_json::Value,
    refused: bool,
) -> Result<()> {
    let (Some(id), Some(version)) = (json["id"].as_str(), json["version"].as_i64()) else {
        return Ok(());
    };
    tx.execute(
        "UPDATE templates SET pushed = ?3 WHERE id = ?1 AND version = ?2",
        params![id, version, if refused { REFUSED } else { PUSHED }],
    )?;
    Ok(())
}

/// Stores a template version the server delivered (validated, hashed here). A version held
/// with other content (published here, refused by the server) is kept as it is.
#[cfg_attr(not(feature = "sync-client"), allow(dead_code))]
pub(crate) fn receive(
    tx: &rusqlite::Transaction<'_>,
    published: &crate::sync::protocol::PublishedTemplate,
) -> Result<()> {
    let t: Template = serde_json::from_value(published.template.clone())?;
    if let Some(issue) = checklist::validate(&t).into_iter().next() {
        return Err(Error::Template {
            path: issue.path,
            reason: issue.reason,
        });
    }
    let r = TemplateRef::of(&t);
    let held: Option<String> = tx
        .query_row(
            "SELECT hash FROM templates WHERE id = ?1 AND version = ?2",
            params![r.id, r.version],
            |row| row.get(0),
        )
        .optional()?;
    match held {
        Some(h) if h == r.hash => {
            tx.execute(
                "UPDATE templates SET pushed = ?3 WHERE id = ?1 AND version = ?2",
                params![r.id, r.version, PUSHED],
            )?;
        }
        Some(_) => {
            tracing::warn!(template = %r.id, version = r.version, "a delivered template differs from the one held here; keeping this one");
        }
        None => {
            tx.execute(
                "INSERT INTO templates(id, version, hash, json, published_ms, pushed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![r.id, r.version, r.hash, serde_json::to_string(&t)?, published.published_ms, PUSHED],
            )?;
        }
    }
    Ok(())
}
