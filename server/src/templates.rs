//! Published checklist templates (ADR 0007): immutable per (id, version), content-addressed by
//! the SHA-256 of their canonical JSON. Published by the organisation's admins (`offgrid admin
//! template-publish`, or pushed from an admin's device with the records made from them),
//! delivered to every device: a device never lacks the template of a record it receives.
//! Publishing a version again with the same content is a no-op; with other content, refused.

use offgrid_common::access::Role;
use offgrid_domain::checklist::{self, Template};
use offgrid_protocol::{PublishedTemplate, Rejected};
use sha2::{Digest, Sha256};

use crate::backend::{Backend, TemplateRow, Tx, transact};
use crate::error::{Error, Result};
use crate::scope::ORG;

/// What publishing did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The template id.
    pub id: String,
    /// The version number.
    pub version: u32,
    /// SHA-256 (hex) of the template's canonical JSON.
    pub hash: String,
    /// `false`: that version was published already with the same content.
    pub new: bool,
}

/// Why a template version was not published: a rejection code and what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// `bad_template`, `template_conflict` or `forbidden`.
    pub code: &'static str,
    /// What it means.
    pub reason: String,
}

/// Publishes `json` as `by`, who may publish if `may` (a template identical to a built-in is
/// taken from anyone: every device has it already).
pub fn publish(
    tx: &mut dyn Tx,
    json: &serde_json::Value,
    by: &str,
    may: bool,
    now_ms: i64,
) -> Result<std::result::Result<Published, Refused>> {
    let t: Template = match serde_json::from_value(json.clone()) {
        Ok(t) => t,
        Err(e) => {
            return Ok(Err(Refused {
                code: "bad_template",
                reason: format!("not a checklist template: {e}"),
            }));
        }
    };
    if let Some(issue) = checklist::validate(&t).into_iter().next() {
        return Ok(Err(Refused {
            code: "bad_template",
            reason: format!("{}: {}", issue.path, issue.reason),
        }));
    }
    let hash = t.content_hash();
    let out = Published {
        id: t.id.clone(),
        version: t.version,
        hash: hash.clone(),
        new: false,
    };
    match tx.template_hash(&t.id, i64::from(t.version))? {
        Some(h) if h == hash => return Ok(Ok(out)),
        Some(_) => {
            return Ok(Err(Refused {
                code: "template_conflict",
                reason: format!(
                    "{} version {} is published with other content: publish a new version",
                    t.id, t.version
                ),
            }));
        }
        None => {}
    }
    let builtin = checklist::builtin::get(&t.id)
        .ok()
        .flatten()
        .is_some_and(|b| b.version == t.version && b.content_hash() == hash);
    if !may && !builtin {
        return Ok(Err(Refused {
            code: "forbidden",
            reason: format!("permission: publish_template is missing on project {ORG}"),
        }));
    }
    tx.insert_template(&TemplateRow {
        id: t.id.clone(),
        version: i64::from(t.version),
        hash,
        json: serde_json::to_string(&t).map_err(|e| Error::Internal(e.to_string()))?,
        published_by: by.to_owned(),
        published_ms: now_ms,
    })?;
    tracing::info!(template = %t.id, version = t.version, "template published");
    Ok(Ok(Published { new: true, ..out }))
}

/// `offgrid admin template-publish`: publishes the template in `text` as `by`.
pub fn publish_admin(b: &dyn Backend, text: &str, by: &str) -> Result<Published> {
    let json: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::BadRequest(format!("the file is not JSON: {e}")))?;
    let now = crate::accounts::now_ms();
    match transact(b, |tx| publish(tx, &json, by, true, now))? {
        Ok(p) => Ok(p),
        Err(r) if r.code == "template_conflict" => Err(Error::Conflict(r.reason)),
        Err(r) => Err(Error::BadRequest(r.reason)),
    }
}

/// Whether `role` on the organisation scope publishes templates.
pub fn may_publish(role: Option<Role>) -> bool {
    role.is_some_and(|r| {
        offgrid_common::access::grants(r, offgrid_common::access::Permission::PublishTemplate)
    })
}

/// The pushed templates, published in one transaction; refusals by `<id>@<version>`.
pub fn publish_pushed(
    b: &dyn Backend,
    pushed: &[serde_json::Value],
    by: &str,
    may: bool,
) -> Result<Vec<Rejected>> {
    let now = crate::accounts::now_ms();
    transact(b, |tx| {
        let mut refused = Vec::new();
        for json in pushed {
            if let Err(r) = publish(tx, json, by, may, now)? {
                let name = |k: &str| json.get(k).map(|v| v.to_string()).unwrap_or_default();
                let id = format!("{}@{}", name("id").trim_matches('"'), name("version"));
                tracing::info!(code = r.code, "pushed template refused");
                refused.push(Rejected {
                    id,
                    code: r.code.to_owned(),
                    reason: r.reason,
                });
            }
        }
        Ok(refused)
    })
}

/// The digest of the published templates (what a device holding all of them reports) and,
/// unless the device's digest `held` is that, every published template.
pub fn unless_held(
    tx: &mut dyn Tx,
    held: Option<&str>,
) -> Result<(Vec<PublishedTemplate>, String)> {
    let mut h = Sha256::new();
    for (id, version, hash) in tx.template_hashes()? {
        h.update(format!("{id}@{version}:{hash}\n").as_bytes());
    }
    let digest: String = h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if held == Some(digest.as_str()) {
        return Ok((Vec::new(), digest));
    }
    let rows = tx.templates()?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(PublishedTemplate {
            template: serde_json::from_str(&r.json).map_err(|e| Error::Internal(e.to_string()))?,
            published_by: r.published_by,
            published_ms: r.published_ms,
        });
    }
    Ok((out, digest))
}
