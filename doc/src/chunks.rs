//! Strict decoding of automerge bytes (one or more concatenated chunks: whole documents or
//! single changes). `AutoCommit::load_incremental` silently ignores a damaged tail, which would
//! hide a truncated chunk on disk or a cut-off request; here every chunk must be complete and
//! checksummed, or nothing is applied.

use automerge::{AutoCommit, Change};

use crate::error::Result;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;
const COMPRESSED_CHANGE: u8 = 2;

/// Splits `bytes` into whole chunks, failing on anything that is not exactly a sequence of them.
pub fn split(bytes: &[u8]) -> Result<Vec<(u8, &[u8])>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < 10 || rest[..4] != MAGIC {
            return Err(format!("no automerge chunk at byte {at}"));
        }
        let kind = rest[8];
        let (len, leb) =
            uleb(&rest[9..]).ok_or_else(|| format!("bad chunk length at byte {at}"))?;
        let total = 9usize
            .checked_add(leb)
            .and_then(|n| n.checked_add(usize::try_from(len).ok()?))
            .ok_or_else(|| format!("chunk length overflows at byte {at}"))?;
        if total > rest.len() {
            return Err(format!(
                "chunk at byte {at} is truncated ({} of {total} bytes)",
                rest.len()
            ));
        }
        out.push((kind, &rest[..total]));
        at += total;
    }
    Ok(out)
}

/// What a byte string holds, fully decoded and verified.
pub struct Decoded {
    /// The change chunks (compressed or not), parsed and checksummed, in the order of the bytes.
    pub changes: Vec<Change>,
    /// The whole-document chunks (automerge `save`), loaded, in the order of the bytes.
    pub documents: Vec<AutoCommit>,
}

/// Decodes `bytes` strictly: every chunk complete and verified, or an error saying where and
/// why. No limits on changes: bytes from elsewhere go through [`apply_checked`].
pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    decode_with(bytes, false)
}

/// A limit on changes, as the reason bytes are refused.
fn refused(e: super::limits::Exceeded) -> String {
    format!("{} ({})", e, e.tag())
}

/// As [`decode`]; `limited`: each change is parsed within the limits on its size, its inflated
/// size and its operations ([`super::limits::parse_change`]), and each whole document is
/// checked against the limits on its inflated size and rows
/// ([`super::limits::check_document_chunk`]) before it is loaded, as bytes from elsewhere are.
fn decode_with(bytes: &[u8], limited: bool) -> Result<Decoded, String> {
    let mut decoded = Decoded {
        changes: Vec::new(),
        documents: Vec::new(),
    };
    for (kind, chunk) in split(bytes)? {
        match kind {
            CHANGE | COMPRESSED_CHANGE => {
                let change = if limited {
                    super::limits::parse_change(chunk).map_err(refused)?
                } else {
                    guarded(|| Change::try_from(chunk).map_err(|e| e.to_string()))?
                };
                decoded.changes.push(change);
            }
            DOCUMENT => {
                if limited {
                    super::limits::check_document_chunk(chunk).map_err(refused)?;
                }
                let doc = guarded(|| AutoCommit::load(chunk).map_err(|e| e.to_string()))?;
                decoded.documents.push(doc);
            }
            other => return Err(format!("unsupported automerge chunk type {other}")),
        }
    }
    Ok(decoded)
}

/// Decodes `bytes` strictly, then applies all of it to `doc`. Changes whose dependencies are
/// missing are queued by automerge (see `get_missing_deps`). On error nothing was applied.
///
/// Returns the hashes of the change chunks, in the order of `bytes` (documents not included).
pub fn apply(doc: &mut AutoCommit, bytes: &[u8]) -> Result<Vec<automerge::ChangeHash>, String> {
    apply_decoded(doc, decode(bytes)?)
}

/// As [`apply`], for bytes from elsewhere (another device, through the server): first checks
/// them against the limits on changes ([`super::limits`]: each change's size, inflated size and
/// operations, the nesting it would make in `doc` and the objects it names; a whole document's
/// inflated size, rows and nesting). Then,
/// when applying them may have let other changes apply too (changes `doc` held waiting for
/// them, or those of a document merged in), checks what was applied; on error `doc` may hold
/// part of it and must be dropped (the store does). A new record's first document is taken
/// as it is, checked from its root: objects it holds that the root does not reach are never
/// read, and a change naming them is refused when it comes.
pub fn apply_checked(
    doc: &mut AutoCommit,
    bytes: &[u8],
) -> Result<Vec<automerge::ChangeHash>, String> {
    use super::limits;
    let Decoded {
        changes,
        mut documents,
    } = decode_with(bytes, true)?;
    for d in &mut documents {
        limits::check_document_depth(d.document()).map_err(refused)?;
    }
    // A new record received whole is the first document; the changes apply to it.
    let new = doc.get_heads().is_empty();
    let base = match documents.first_mut() {
        Some(first) if new => first.document(),
        _ => doc.document(),
    };
    limits::check_depths(base, &changes).map_err(refused)?;
    let before = doc.get_heads();
    let may_drain = !doc.get_missing_deps(&[]).is_empty() || documents.len() > usize::from(new);
    let hashes = apply_decoded(doc, Decoded { changes, documents })?;
    if may_drain {
        let applied = doc.get_changes(&before);
        limits::check_applied(doc.document(), &applied).map_err(refused)?;
    }
    Ok(hashes)
}

fn apply_decoded(
    doc: &mut AutoCommit,
    decoded: Decoded,
) -> Result<Vec<automerge::ChangeHash>, String> {
    let Decoded {
        changes,
        mut documents,
    } = decoded;
    let hashes = changes.iter().map(Change::hash).collect();
    if !documents.is_empty() && doc.get_heads().is_empty() {
        // A new record received as a document (a snapshot): take it as it is, with this
        // device's actor; merging it into an empty document would replay every change.
        let mut first = documents.remove(0);
        first.set_actor(doc.get_actor().clone());
        *doc = first;
    }
    guarded(|| doc.apply_changes(changes).map_err(|e| e.to_string()))?;
    for mut other in documents {
        guarded(|| doc.merge(&mut other).map(|_| ()).map_err(|e| e.to_string()))?;
    }
    Ok(hashes)
}

/// Loads a stored snapshot strictly.
pub fn load(bytes: &[u8]) -> Result<AutoCommit, String> {
    guarded(|| AutoCommit::load(bytes).map_err(|e| e.to_string()))
}

/// Runs automerge decoding, turning a panic on hostile bytes into an error.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err("the automerge decoder panicked on these bytes".into()))
}

fn uleb(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f).checked_shl(7 * i as u32)?;
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    #[test]
    fn a_waiting_change_is_checked_when_what_it_waits_for_lets_it_apply() {
        use automerge::ObjType;
        let half = super::super::limits::MAX_DEPTH / 2 + 1;
        // `h` nests maps `half` deep; `q`, made after it, `half` more under its innermost.
        let mut base = AutoCommit::new();
        let mut fork = base.fork();
        let mut obj = automerge::ROOT;
        for _ in 0..half {
            obj = fork.put_object(&obj, "k", ObjType::Map).unwrap();
        }
        fork.commit();
        let h = fork.get_last_local_change().unwrap().clone();
        for _ in 0..half {
            obj = fork.put_object(&obj, "k", ObjType::Map).unwrap();
        }
        fork.commit();
        let q = fork.get_last_local_change().unwrap().clone();
        // A hostile server sends `q` first: its parent is unknown, so it is counted from depth
        // 1 and waits. Then `h`, within the limit alone: applying it lets `q` apply, and what
        // that drained is checked.
        let mut device = base.fork();
        apply_checked(&mut device, q.raw_bytes()).expect("it waits");
        assert!(!device.get_missing_deps(&[]).is_empty());
        let err = apply_checked(&mut device, h.raw_bytes()).unwrap_err();
        assert!(err.contains("(depth)"), "{err}");
        // Sent in order, the same two are refused before anything applies.
        let mut fresh = base.fork();
        apply_checked(&mut fresh, h.raw_bytes()).unwrap();
        let err = apply_checked(&mut fresh, q.raw_bytes()).unwrap_err();
        assert!(err.contains("(depth)"), "{err}");
    }

    #[test]
    fn a_pulled_document_past_the_limits_is_refused_before_it_is_loaded() {
        // A document chunk whose action column claims a quarter million and one operations in
        // one run (a few bytes): its checksum is not even right, as it is never loaded.
        let rows = super::super::limits::MAX_DOCUMENT_ROWS + 1;
        let mut column = vec![];
        let mut v = rows;
        while v >= 0x40 {
            column.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        column.push(v as u8);
        column.push(1); // the action repeated
        let mut data = vec![0, 0, 0, 1, (4 << 4) | 2, column.len() as u8];
        data.extend_from_slice(&column);
        let mut chunk = MAGIC.to_vec();
        chunk.extend_from_slice(&[0, 0, 0, 0, DOCUMENT, data.len() as u8]);
        chunk.extend_from_slice(&data);
        let mut device = AutoCommit::new();
        let err = apply_checked(&mut device, &chunk).unwrap_err();
        assert!(err.contains("(document_rows)"), "{err}");
        assert!(device.get_heads().is_empty());
        // A document as automerge saves it is loaded.
        let mut doc = AutoCommit::new();
        doc.put(automerge::ROOT, "title", "人防工程").unwrap();
        doc.commit();
        apply_checked(&mut device, &doc.save()).unwrap();
        assert_eq!(device.get_heads(), doc.get_heads());
    }

    #[test]
    fn splits_concatenations_and_rejects_truncation() {
        let mut doc = AutoCommit::new();
        doc.put(automerge::ROOT, "a", 1).unwrap();
        doc.commit();
        doc.put(automerge::ROOT, "b", "二").unwrap();
        doc.commit();
        let changes: Vec<Vec<u8>> = doc
            .get_changes(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let all = changes.concat();
        assert_eq!(split(&all).unwrap().len(), 2);
        let saved = doc.save();
        assert_eq!(
            split(&[saved.clone(), all.clone()].concat()).unwrap().len(),
            3
        );
        for cut in [1, 5, 9, all.len() - 1] {
            assert!(decode(&all[..all.len() - cut]).is_err(), "cut {cut}");
        }
        let mut fresh = AutoCommit::new();
        apply(&mut fresh, &all).unwrap();
        assert_eq!(fresh.get_heads(), doc.get_heads());
        assert!(decode(&[]).unwrap().changes.is_empty());
    }
}
