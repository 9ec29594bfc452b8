//! Official documents reported by devices, and `GET /v1/verify/{sha256}`.
//!
//! A device that makes a document (a supervision report, a rectification notice, …) reports it
//! with its next sync: the SHA-256 printed on it and the records with the heads it shows. The
//! server cannot recompute the hash (it does not lay documents out), so it takes a report only
//! from someone who may read every record shown, and only once it holds every head shown —
//! a document showing changes still on their way is simply reported again. Who reported it
//! and when is kept beside it. Verification then needs no account: anyone holding the paper
//! learns whether the records still are as shown (*valid*), moved on since (*superseded*, with
//! which ones), or the hash is not known here (*unknown*). Nothing of the records' content is
//! answered.

use offgrid_protocol::ShownRecord;
use offgrid_protocol::documents::{DocumentKind, DocumentStatus, Verification};
use offgrid_protocol::{IssuedDocument, Rejected, is_sha256_hex, is_valid_id};

use crate::accounts::Caller;
use crate::backend::{Backend, IssuedRow, Tx, transact};
use crate::error::{Error, Result};

/// Most records one reported document may show (a register of a whole city's hazards).
const MAX_RECORDS: usize = 100_000;

/// What became of the reported documents: taken (by SHA-256) and refused for good.
pub struct Taken {
    /// Documents taken, by SHA-256: stored now, or held already showing the same records.
    pub taken: Vec<String>,
    /// Reports refused for good, with the code and reason.
    pub refused: Vec<Rejected>,
}

fn refuse(sha256: &str, code: &str, reason: impl Into<String>) -> Rejected {
    Rejected {
        id: sha256.to_owned(),
        code: code.into(),
        reason: reason.into(),
    }
}

/// The form of a report, before any lookup.
fn check_form(d: &IssuedDocument) -> std::result::Result<(), Rejected> {
    let bad = |why: &str| Err(refuse(&d.sha256, "bad_document", why));
    if !is_sha256_hex(&d.sha256) {
        return bad("sha256 must be 64 lowercase hexadecimal digits");
    }
    if d.kind.parse::<DocumentKind>().is_err() {
        return bad("unknown document kind");
    }
    if d.number.is_empty() || d.number.chars().count() > 200 {
        return bad("the number must be 1-200 characters");
    }
    if d.records.is_empty() || d.records.len() > MAX_RECORDS {
        return bad("a document shows 1-100,000 records");
    }
    for r in &d.records {
        if !is_valid_id(&r.id.0) {
            return bad("a record id is malformed");
        }
        if r.heads.is_empty() || !r.heads.iter().all(|h| is_sha256_hex(h)) {
            return bad("each record shows one or more heads, lowercase hex SHA-256");
        }
    }
    Ok(())
}

/// The records as stored: by id, heads sorted, so that equal reports compare equal.
fn normalised(records: &[ShownRecord]) -> Vec<ShownRecord> {
    let mut out: Vec<ShownRecord> = records
        .iter()
        .map(|r| {
            let mut heads = r.heads.clone();
            heads.sort();
            heads.dedup();
            ShownRecord {
                id: r.id.clone(),
                heads,
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    out
}

enum Judged {
    Take,
    /// Shows changes the server does not hold (yet): neither taken nor refused.
    Later,
    Refuse(Rejected),
}

fn judge(tx: &mut dyn Tx, caller: &Caller, d: &IssuedDocument, records: &str) -> Result<Judged> {
    if let Some(held) = tx.issued_document(&d.sha256)? {
        return Ok(if held.records == records {
            Judged::Take
        } else {
            Judged::Refuse(refuse(
                &d.sha256,
                "document_conflict",
                "a document with this hash is held showing other records",
            ))
        });
    }
    for r in &d.records {
        let Some(row) = tx.record(&r.id.0)? else {
            return Ok(Judged::Later);
        };
        if !caller.can_read(&row.project) {
            return Ok(Judged::Refuse(refuse(
                &d.sha256,
                "forbidden",
                "the document shows a record its reporter may not read",
            )));
        }
        for h in &r.heads {
            if tx.change_state(&r.id.0, h)? != Some(true) {
                return Ok(Judged::Later);
            }
        }
    }
    Ok(Judged::Take)
}

/// Takes the reported documents the caller may report, in one transaction.
pub fn take_reported(
    b: &dyn Backend,
    caller: &Caller,
    documents: &[IssuedDocument],
    now_ms: i64,
) -> Result<Taken> {
    let mut out = Taken {
        taken: Vec::new(),
        refused: Vec::new(),
    };
    let mut checked = Vec::new();
    for d in documents {
        match check_form(d) {
            Ok(()) => {
                let records = serde_json::to_string(&normalised(&d.records))
                    .map_err(|e| Error::Internal(e.to_string()))?;
                checked.push((d, records));
            }
            Err(r) => out.refused.push(r),
        }
    }
    if checked.is_empty() {
        return Ok(out);
    }
    let (taken, refused) = transact(b, |tx| {
        let mut taken = Vec::new();
        let mut refused = Vec::new();
        for (d, records) in &checked {
            match judge(tx, caller, d, records)? {
                Judged::Take => {
                    tx.insert_issued_document(&IssuedRow {
                        sha256: d.sha256.clone(),
                        kind: d.kind.clone(),
                        number: d.number.clone(),
                        records: records.clone(),
                        issued_ms: d.issued_ms,
                        reported_by: caller.user_id.clone(),
                        reported_ms: now_ms,
                    })?;
                    taken.push(d.sha256.clone());
                }
                Judged::Later => {}
                Judged::Refuse(r) => refused.push(r),
            }
        }
        Ok((taken, refused))
    })?;
    out.taken = taken;
    out.refused.extend(refused);
    Ok(out)
}

/// `GET /v1/verify/{sha256}`: valid, superseded (with the records that changed) or unknown.
pub fn verify(b: &dyn Backend, sha256: &str) -> Result<Verification> {
    if !is_sha256_hex(sha256) {
        return Err(Error::BadRequest(
            "a document hash is 64 lowercase hexadecimal digits".into(),
        ));
    }
    transact(b, |tx| {
        let Some(row) = tx.issued_document(sha256)? else {
            return Ok(Verification {
                status: DocumentStatus::Unknown,
                sha256: sha256.to_owned(),
                kind: None,
                number: None,
                issued_ms: None,
                changed: Vec::new(),
            });
        };
        let shown: Vec<ShownRecord> = serde_json::from_str(&row.records)
            .map_err(|e| Error::Internal(format!("issued document {sha256}: {e}")))?;
        let mut changed = Vec::new();
        for r in &shown {
            // Stored sorted; a record the server no longer holds has changed as far as
            // anyone can tell.
            let now = tx.record(&r.id.0)?.map(|row| row.heads);
            if now.as_ref() != Some(&r.heads) {
                changed.push(r.id.clone());
            }
        }
        Ok(Verification {
            status: if changed.is_empty() {
                DocumentStatus::Valid
            } else {
                DocumentStatus::Superseded
            },
            sha256: sha256.to_owned(),
            kind: row.kind.parse().ok(),
            number: Some(row.number),
            issued_ms: Some(row.issued_ms),
            changed,
        })
    })
}
