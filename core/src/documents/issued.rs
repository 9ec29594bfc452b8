//! The register of documents made on this device (`issued_documents`), and verification: a
//! document's SHA-256 names what it showed, including each record's heads. It is *valid* while
//! every record still has exactly those heads, *superseded* once any record changed since, and
//! *unknown* when neither this register nor the records here know it.

use automerge::ReadDoc;
use rusqlite::{OptionalExtension, params};

use super::{DocumentStatus, ShownRecord, Verification};
use crate::error::{Error, Result};
use crate::store::Store;

fn sha_arg(sha256: &str) -> Result<String> {
    let s = sha256.trim().to_ascii_lowercase();
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::InvalidArgument(
            "a document hash is 64 hexadecimal digits".into(),
        ));
    }
    Ok(s)
}

/// `issued_documents.pushed`: not reported to the server yet.
const NOT_REPORTED: i64 = 0;
/// Taken by the server.
const REPORTED: i64 = 1;
/// Refused by the server for good (kept here, verified here).
const REFUSED: i64 = 2;

/// Documents not reported to the server yet, oldest first, at most `limit`.
#[cfg_attr(not(feature = "sync-client"), allow(dead_code))]
pub(crate) fn unreported(
    conn: &rusqlite::Connection,
    limit: usize,
) -> Result<Vec<crate::sync::protocol::IssuedDocument>> {
    let mut st = conn.prepare_cached(
        "SELECT sha256, kind, number, issued_ms, records FROM issued_documents
         WHERE pushed = ?1 ORDER BY issued_ms, sha256 LIMIT ?2",
    )?;
    let rows = st.query_map(params![NOT_REPORTED, limit as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (sha256, kind, number, issued_ms, records) = row?;
        let Ok(records) = serde_json::from_str::<Vec<ShownRecord>>(&records) else {
            tracing::warn!(sha256 = %sha256, "an issued document's records do not parse: not reported");
            continue;
        };
        out.push(crate::sync::protocol::IssuedDocument {
            sha256,
            kind,
            number,
            issued_ms,
            records,
        });
    }
    Ok(out)
}

/// Notes the server's answer to a reported document: taken, or refused for good.
#[cfg_attr(not(feature = "sync-client"), allow(dead_code))]
pub(crate) fn mark_reported(
    tx: &rusqlite::Transaction<'_>,
    sha256: &str,
    refused: bool,
) -> Result<()> {
    tx.execute(
        "UPDATE issued_documents SET pushed = ?2 WHERE sha256 = ?1",
        params![sha256, if refused { REFUSED } else { REPORTED }],
    )?;
    Ok(())
}

impl Store {
    /// Adds a document made here to the register (a document made twice from the same state is
    /// the same document: kept once).
    #[cfg(feature = "documents")]
    pub(crate) fn register_issued(&self, doc: &super::WrittenDocument) -> Result<()> {
        let records = serde_json::to_string(&doc.records).map_err(|e| Error::Document {
            reason: e.to_string(),
        })?;
        let now = self.now().unix_ms;
        let by = self.user().map(|u| u.id);
        self.with_writer_conn(|conn| {
            conn.execute(
                "INSERT OR IGNORE INTO issued_documents (sha256, kind, number, records, issued_ms, issued_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![doc.sha256, doc.kind.as_str(), doc.number, records, now, by],
            )?;
            Ok(())
        })
    }

    /// Whether the document with this SHA-256 is still valid, superseded or unknown here.
    pub fn verify_document(&self, sha256: &str) -> Result<Verification> {
        let sha256 = sha_arg(sha256)?;
        let row = self.with_writer_conn(|conn| {
            Ok(conn
                .query_row(
                    "SELECT kind, number, records, issued_ms FROM issued_documents WHERE sha256 = ?1",
                    [&sha256],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?)),
                )
                .optional()?)
        })?;
        let Some((kind, number, records, issued_ms)) = row else {
            return Ok(Verification {
                status: DocumentStatus::Unknown,
                sha256,
                kind: None,
                number: None,
                issued_ms: None,
                changed: Vec::new(),
            });
        };
        let records: Vec<ShownRecord> =
            serde_json::from_str(&records).map_err(|e| Error::Document {
                reason: format!("issued document {sha256}: {e}"),
            })?;
        let mut v = self.verify_shown(&sha256, &records)?;
        v.kind = kind.parse().ok();
        v.number = Some(number);
        v.issued_ms = Some(issued_ms);
        Ok(v)
    }

    /// Whether the document in the file at `path` (a PDF made by Offgrid, here or on another
    /// device) is still valid, superseded or unknown: by this store's register when it was made
    /// here, else from the records and heads its metadata claims ([`super::claims`]).
    pub fn verify_file(&self, path: &std::path::Path) -> Result<Verification> {
        use std::io::Read;
        let file = std::fs::File::open(path)?;
        let mut bytes = Vec::new();
        file.take(super::claims::MAX_DOCUMENT_BYTES + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > super::claims::MAX_DOCUMENT_BYTES {
            return Err(Error::Document {
                reason: format!(
                    "larger than any document made by Offgrid ({} MiB at most)",
                    super::claims::MAX_DOCUMENT_BYTES >> 20
                ),
            });
        }
        let (sha256, records) = super::claims::read_claims(&bytes)?;
        let registered = self.verify_document(&sha256)?;
        if registered.status == DocumentStatus::Unknown {
            self.verify_shown(&sha256, &records)
        } else {
            Ok(registered)
        }
    }

    /// Verification of a document made elsewhere, from the records and heads it shows (as its
    /// attached JSON or its metadata lists them): valid if every record here has those heads,
    /// superseded if the records are here and moved on, unknown if any record is not here.
    pub fn verify_shown(&self, sha256: &str, records: &[ShownRecord]) -> Result<Verification> {
        let sha256 = sha_arg(sha256)?;
        let mut changed = Vec::new();
        let mut unknown = records.is_empty();
        for r in records {
            // Heads this store has never seen: made from a state not synced here yet.
            let known = self.read(&r.id, |doc| {
                Ok(r.heads.iter().all(|h| {
                    h.parse::<automerge::ChangeHash>()
                        .is_ok_and(|h| doc.get_change_by_hash(&h).is_some())
                }))
            });
            match known {
                Ok(false) => unknown = true,
                Ok(true) => {
                    let mut heads = self.heads(&r.id)?;
                    heads.sort();
                    let mut shown = r.heads.clone();
                    shown.sort();
                    if heads != shown {
                        changed.push(r.id.clone());
                    }
                }
                Err(Error::NotFound(_)) => unknown = true,
                Err(e) => return Err(e),
            }
        }
        let status = if unknown {
            DocumentStatus::Unknown
        } else if changed.is_empty() {
            DocumentStatus::Valid
        } else {
            DocumentStatus::Superseded
        };
        Ok(Verification {
            status,
            sha256,
            kind: None,
            number: None,
            issued_ms: None,
            changed,
        })
    }
}
