//! What one change may hold, checked before the work it would cost (issue 28): its size as
//! sent, its size once inflated (a compressed change chunk is inflated here with a cap,
//! streaming, before automerge inflates it whole), its operation count, and how deep it nests
//! objects. The server checks every pushed change; a device checks every pulled one (a
//! compromised server or a foreign client must not bring down a phone). Nothing here recurses.

use std::collections::HashMap;
use std::io::Read;

use automerge::{Automerge, Change, ReadDoc};

/// Largest change as sent (compressed or not).
pub const MAX_CHANGE_BYTES: usize = 8 << 20;
/// Largest change once inflated.
pub const MAX_INFLATED_BYTES: usize = 16 << 20;
/// Most operations in one change. An inspection of a 500-item checklist is born with a few
/// thousand.
pub const MAX_CHANGE_OPS: usize = 100_000;
/// Deepest object nesting in a record (records nest a handful of maps: answers, an item, its
/// photos, a photo's context).
pub const MAX_DEPTH: usize = 32;
/// Largest record: the bytes of all its changes.
pub const MAX_RECORD_BYTES: u64 = 64 << 20;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const COMPRESSED_CHANGE: u8 = 2;

/// A change past a limit, or not a change at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    #[error("the change has {0} bytes (limit {MAX_CHANGE_BYTES})")]
    Bytes(usize),
    #[error("the change inflates past {MAX_INFLATED_BYTES} bytes")]
    Inflated,
    #[error("the change has {0} operations (limit {MAX_CHANGE_OPS})")]
    Ops(usize),
    #[error("the change nests objects {0} deep (limit {MAX_DEPTH})")]
    Depth(usize),
    #[error("the record would hold {0} bytes of changes (limit {MAX_RECORD_BYTES})")]
    RecordBytes(u64),
    #[error("the change does not parse: {0}")]
    Malformed(String),
}

impl Exceeded {
    /// A short tag for logs and metrics.
    pub fn tag(&self) -> &'static str {
        match self {
            Exceeded::Bytes(_) => "change_bytes",
            Exceeded::Inflated => "inflated_bytes",
            Exceeded::Ops(_) => "ops",
            Exceeded::Depth(_) => "depth",
            Exceeded::RecordBytes(_) => "record_bytes",
            Exceeded::Malformed(_) => "malformed",
        }
    }
}

/// Parses one change within the limits on its size, its inflated size and its operations.
pub fn parse_change(bytes: &[u8]) -> Result<Change, Exceeded> {
    if bytes.len() > MAX_CHANGE_BYTES {
        return Err(Exceeded::Bytes(bytes.len()));
    }
    if let Some(data) = compressed_data(bytes) {
        let mut inflated = 0u64;
        let mut reader =
            flate2::read::DeflateDecoder::new(data).take(MAX_INFLATED_BYTES as u64 + 1);
        let mut buf = [0u8; 16 << 10];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => inflated += n as u64,
                Err(e) => return Err(Exceeded::Malformed(format!("inflating: {e}"))),
            }
        }
        if inflated > MAX_INFLATED_BYTES as u64 {
            return Err(Exceeded::Inflated);
        }
    }
    // Hostile bytes must not take the process down: a panic in the parser is a refusal.
    let change = std::panic::catch_unwind(|| Change::from_bytes(bytes.to_vec()))
        .map_err(|_| Exceeded::Malformed("the parser failed".into()))?
        .map_err(|e| Exceeded::Malformed(e.to_string()))?;
    if change.len() > MAX_CHANGE_OPS {
        return Err(Exceeded::Ops(change.len()));
    }
    Ok(change)
}

/// The deflated data of a compressed change chunk (`None` for any other bytes).
fn compressed_data(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.len() < 10 || bytes[..4] != MAGIC || bytes[8] != COMPRESSED_CHANGE {
        return None;
    }
    // The data's length, unsigned LEB128.
    let mut len: u64 = 0;
    let mut at = 9;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(at)?;
        at += 1;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            let end = at.checked_add(usize::try_from(len).ok()?)?;
            return Some(bytes.get(at..end).unwrap_or(&bytes[at..]));
        }
    }
    None
}

/// Tracks how deep the objects that a sequence of changes creates nest, against the document
/// they apply to (whose own objects are within the limit).
pub struct Depths<'a> {
    doc: &'a Automerge,
    /// Depth of each object the tracked changes create, by its id (`counter@actor`).
    created: HashMap<String, usize>,
}

impl<'a> Depths<'a> {
    pub fn new(doc: &'a Automerge) -> Self {
        Depths {
            doc,
            created: HashMap::new(),
        }
    }

    /// Checks the objects `change` creates (in order, so one made inside another made earlier
    /// in it is counted from that one).
    pub fn check(&mut self, change: &Change) -> Result<(), Exceeded> {
        // Expanding a change automerge parsed can still panic on a crafted one (found by the
        // fuzzer): a refusal, not a crash.
        let expanded =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| change.decode()))
                .map_err(|_| Exceeded::Malformed("the change's operations do not expand".into()))?;
        let start = expanded.start_op.get();
        let actor = expanded.actor_id.to_hex_string();
        for (i, op) in expanded.operations.iter().enumerate() {
            if !matches!(op.action, automerge::legacy::OpType::Make(_)) {
                continue;
            }
            let parent = op.obj.to_string();
            let depth = self.depth_of(&parent) + 1;
            if depth > MAX_DEPTH {
                return Err(Exceeded::Depth(depth));
            }
            self.created
                .insert(format!("{}@{actor}", start + i as u64), depth);
        }
        Ok(())
    }

    /// The root is at depth 0; an object of the document is as deep as its chain of parents
    /// (walked, never recursed); an object neither knows is counted as 1 (its change waits
    /// for the changes that make it).
    fn depth_of(&self, obj: &str) -> usize {
        if obj == "_root" {
            return 0;
        }
        if let Some(d) = self.created.get(obj) {
            return *d;
        }
        let Some(id) = parse_obj(self.doc, obj) else {
            return 1;
        };
        // Its parents up to and including the root: one per level.
        match self.doc.parents(&id) {
            Ok(parents) => parents.take(MAX_DEPTH + 1).count().max(1),
            Err(_) => 1,
        }
    }
}

/// An object id of `doc` from its `counter@actor` form, if the document knows its actor.
fn parse_obj(doc: &Automerge, s: &str) -> Option<automerge::ObjId> {
    let (counter, actor) = s.split_once('@')?;
    counter.parse::<u64>().ok()?;
    if actor.is_empty() || actor.len() % 2 != 0 || !actor.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    doc.import_obj(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType};

    fn nested(depth: usize) -> Vec<u8> {
        let mut doc = AutoCommit::new();
        let mut obj = automerge::ROOT;
        for i in 0..depth {
            obj = doc.put_object(&obj, format!("k{i}"), ObjType::Map).unwrap();
        }
        doc.save_nocompress();
        doc.get_changes(&[])[0].raw_bytes().to_vec()
    }

    #[test]
    fn a_change_nesting_past_the_limit_is_refused() {
        let doc = Automerge::new();
        let ok = parse_change(&nested(MAX_DEPTH)).unwrap();
        Depths::new(&doc).check(&ok).unwrap();
        let deep = parse_change(&nested(MAX_DEPTH + 1)).unwrap();
        assert_eq!(
            Depths::new(&doc).check(&deep),
            Err(Exceeded::Depth(MAX_DEPTH + 1))
        );
    }

    #[test]
    fn depth_counts_the_documents_own_objects() {
        let mut base = AutoCommit::new();
        let mut obj = automerge::ROOT;
        for i in 0..MAX_DEPTH {
            obj = base
                .put_object(&obj, format!("k{i}"), ObjType::Map)
                .unwrap();
        }
        let mut more = base.fork();
        more.put_object(&obj, "one_more", ObjType::Map).unwrap();
        let change = more.get_changes(&base.get_heads()).pop().unwrap().clone();
        let doc = base.document().clone();
        let change = parse_change(change.raw_bytes()).unwrap();
        assert_eq!(
            Depths::new(&doc).check(&change),
            Err(Exceeded::Depth(MAX_DEPTH + 1))
        );
    }

    #[test]
    fn a_compressed_change_inflating_past_the_limit_is_refused() {
        use std::io::Write;
        let mut deflated = Vec::new();
        {
            let mut w =
                flate2::write::DeflateEncoder::new(&mut deflated, flate2::Compression::best());
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..(MAX_INFLATED_BYTES >> 20) + 1 {
                w.write_all(&zeros).unwrap();
            }
            w.finish().unwrap();
        }
        let mut chunk = MAGIC.to_vec();
        chunk.extend([0, 0, 0, 0, COMPRESSED_CHANGE]);
        let mut n = deflated.len() as u64;
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                chunk.push(b);
                break;
            }
            chunk.push(b | 0x80);
        }
        chunk.extend(&deflated);
        assert!(chunk.len() < MAX_CHANGE_BYTES);
        assert_eq!(parse_change(&chunk).unwrap_err(), Exceeded::Inflated);
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bad in [
            &b""[..],
            b"\x85\x6f\x4a\x83\0\0\0\0\x02\xff\xff",
            &[0xff; 64],
        ] {
            assert!(matches!(parse_change(bad), Err(Exceeded::Malformed(_))));
        }
    }
}
