//! What one change may hold, checked before the work it would cost (issue 28): its size as
//! sent, its size once inflated (a compressed change chunk is inflated here with a cap,
//! streaming, before automerge inflates it whole), its operation count, and how deep it nests
//! objects. The server checks every pushed change; a device checks every pulled one (a
//! compromised server or a foreign client must not bring down a phone). Nothing here recurses.

use std::collections::HashMap;
use std::io::Read;

use automerge::{Automerge, Change, ReadDoc};

mod document;

pub use document::{MAX_DOCUMENT_BYTES, MAX_DOCUMENT_ROWS, check_document_chunk};

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
const CHANGE: u8 = 1;
const COMPRESSED_CHANGE: u8 = 2;

/// A change past a limit, or not a change at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    /// The change as sent is larger than [`MAX_CHANGE_BYTES`]: its size in bytes.
    #[error("the change has {0} bytes (limit {MAX_CHANGE_BYTES})")]
    Bytes(usize),
    /// The compressed change inflates past [`MAX_INFLATED_BYTES`].
    #[error("the change inflates past {MAX_INFLATED_BYTES} bytes")]
    Inflated,
    /// The change holds more than [`MAX_CHANGE_OPS`] operations: how many.
    #[error("the change has {0} operations (limit {MAX_CHANGE_OPS})")]
    Ops(usize),
    /// Objects would nest deeper than [`MAX_DEPTH`]: the depth reached.
    #[error("the change nests objects {0} deep (limit {MAX_DEPTH})")]
    Depth(usize),
    /// The record would hold more than [`MAX_RECORD_BYTES`] of changes: how many bytes (checked
    /// by the server on a push and by a device on a pull).
    #[error("the record would hold {0} bytes of changes (limit {MAX_RECORD_BYTES})")]
    RecordBytes(u64),
    /// A whole document's columns inflate past [`MAX_DOCUMENT_BYTES`].
    #[error("the document inflates past {MAX_DOCUMENT_BYTES} bytes")]
    DocumentBytes,
    /// A column of a whole document expands past [`MAX_DOCUMENT_ROWS`] rows: how many.
    #[error("the document expands to {0} rows (limit {MAX_DOCUMENT_ROWS})")]
    DocumentRows(u64),
    /// Not a change (or not one that expands), or one that makes objects no honest change
    /// makes (again, inside one another, inside one that does not exist): why.
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
            Exceeded::DocumentBytes => "document_bytes",
            Exceeded::DocumentRows(_) => "document_rows",
            Exceeded::Malformed(_) => "malformed",
        }
    }
}

/// Parses one change within the limits on its size, its inflated size and its operations.
pub fn parse_change(bytes: &[u8]) -> Result<Change, Exceeded> {
    if bytes.len() > MAX_CHANGE_BYTES {
        return Err(Exceeded::Bytes(bytes.len()));
    }
    // Automerge parses a whole chunk of any type before it looks at the type, and a 51-byte
    // bundle chunk can ask its column decoder for 4 GiB (found by the fuzzer): only the two
    // kinds of change chunk go further.
    match bytes.get(..9) {
        Some([m0, m1, m2, m3, _, _, _, _, kind])
            if [*m0, *m1, *m2, *m3] == MAGIC && matches!(*kind, CHANGE | COMPRESSED_CHANGE) => {}
        Some([m0, m1, m2, m3, _, _, _, _, kind]) if [*m0, *m1, *m2, *m3] == MAGIC => {
            return Err(Exceeded::Malformed(format!(
                "an automerge chunk of type {kind}, not a change"
            )));
        }
        _ => return Err(Exceeded::Malformed("not an automerge chunk".into())),
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

/// Checks how deep the objects that `changes` make would nest in `doc` (whose own objects are
/// within the limit), before they are applied, and that every object they make is made once,
/// inside one that exists.
///
/// A change whose dependencies are all at hand (in `doc` or among `changes`) is applied at
/// once, so each object it makes must be new and made inside the root, an object of `doc`, or
/// one made by a change that applies with it: an honest change only names objects its history
/// made. A forged one that names an object nobody made leaves an orphan, which a later change
/// can make inside its own child (a cycle: walking its parents never ends) or hang under a deep
/// chain (past the depth counted here); one that makes an object again under an id that exists
/// moves it. A change still waiting for its dependencies is counted as if such an object were at
/// depth 1, and checked again when they come: the server keeps it pending and checks it with
/// every later push; a device checks what applying drained ([`check_applied`]). Changes `doc`
/// already holds change nothing and are skipped. (Found by the fuzzer,
/// `fuzz/artifacts/pushed_change/`.)
///
/// Nothing here recurses: chains of parents are walked with a bound.
pub fn check_depths(doc: &Automerge, changes: &[Change]) -> Result<(), Exceeded> {
    let held = |h: &automerge::ChangeHash| doc.get_change_meta_by_hash(h).is_some();
    let mut seen = std::collections::HashSet::new();
    let fresh: Vec<&Change> = changes
        .iter()
        .filter(|c| seen.insert(c.hash()) && !held(&c.hash()))
        .collect();
    // Which of them apply now: a topological pass over their dependencies (Kahn's).
    let index: HashMap<automerge::ChangeHash, usize> = fresh
        .iter()
        .enumerate()
        .map(|(i, c)| (c.hash(), i))
        .collect();
    let mut unmet = vec![0usize; fresh.len()];
    let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, c) in fresh.iter().enumerate() {
        for d in c.deps() {
            if held(d) {
                continue;
            }
            unmet[i] += 1;
            if let Some(&j) = index.get(d) {
                dependents.entry(j).or_default().push(i);
            }
        }
    }
    let mut applies = vec![false; fresh.len()];
    let mut ready: Vec<usize> = (0..fresh.len()).filter(|&i| unmet[i] == 0).collect();
    while let Some(i) = ready.pop() {
        applies[i] = true;
        for &j in dependents.get(&i).map(Vec::as_slice).unwrap_or(&[]) {
            unmet[j] -= 1;
            if unmet[j] == 0 {
                ready.push(j);
            }
        }
    }
    let fresh: Vec<(&Change, bool)> = fresh.into_iter().zip(applies).collect();
    walk(doc, &fresh, false)
}

/// As [`check_depths`], for changes already applied to `doc` (as a device applies what it
/// pulled, then checks what else that let apply: changes that were waiting for it).
pub fn check_applied(doc: &Automerge, changes: &[Change]) -> Result<(), Exceeded> {
    let all: Vec<(&Change, bool)> = changes.iter().map(|c| (c, true)).collect();
    walk(doc, &all, true)
}

/// The objects `changes` make (each with whether its change applies now), walked up to an
/// object whose depth is known. `applied`: the changes are in `doc` already.
fn walk(doc: &Automerge, changes: &[(&Change, bool)], applied: bool) -> Result<(), Exceeded> {
    let malformed = |why: &str| Exceeded::Malformed(why.to_owned());
    // Every object the changes make, in order: its parent, and whether its change applies.
    let mut order: Vec<String> = Vec::new();
    let mut made: HashMap<String, (String, bool)> = HashMap::new();
    for (c, applies) in changes {
        // Expanding a change automerge parsed can still panic on a crafted one (found by the
        // fuzzer): a refusal, not a crash.
        let expanded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.decode()))
            .map_err(|_| malformed("the change's operations do not expand"))?;
        let start = expanded.start_op.get();
        let actor = expanded.actor_id.to_hex_string();
        for (i, op) in expanded.operations.iter().enumerate() {
            if !matches!(op.action, automerge::legacy::OpType::Make(_)) {
                continue;
            }
            let id = format!("{}@{actor}", start + i as u64);
            if made.contains_key(&id) || (!applied && parse_obj(doc, &id).is_some()) {
                return Err(malformed("the change makes an object that exists"));
            }
            made.insert(id.clone(), (op.obj.to_string(), *applies));
            order.push(id);
        }
    }
    let mut depth: HashMap<&str, usize> = HashMap::new();
    for id in &order {
        // Up the chain of objects the changes make, to one whose depth is known.
        let mut path: Vec<&str> = Vec::new();
        let mut at: &str = id;
        let base = loop {
            if let Some(d) = depth.get(at) {
                break *d;
            }
            let Some((parent, applies)) = made.get(at) else {
                let d = depth_in(doc, at)?;
                depth.insert(at, d);
                break d;
            };
            if path.contains(&at) {
                return Err(malformed("the change makes objects inside one another"));
            }
            path.push(at);
            if path.len() > MAX_DEPTH {
                return Err(Exceeded::Depth(path.len()));
            }
            if *applies && parent != "_root" {
                match made.get(parent.as_str()) {
                    // Made by a change that waits: not there when this one applies.
                    Some((_, false)) => {
                        return Err(malformed(
                            "the change makes an object inside one that does not exist",
                        ));
                    }
                    Some(_) => {}
                    None if parse_obj(doc, parent).is_none() => {
                        return Err(malformed(
                            "the change makes an object inside one that does not exist",
                        ));
                    }
                    None => {}
                }
            }
            at = parent;
        };
        for (k, obj) in path.iter().rev().enumerate() {
            let d = base + k + 1;
            if d > MAX_DEPTH {
                return Err(Exceeded::Depth(d));
            }
            depth.insert(obj, d);
        }
    }
    Ok(())
}

/// How deep an object not made by the checked changes is: the root at 0, an object of `doc` as
/// deep as its chain of parents (walked, never recursed, and at most past the limit: a
/// document with a cycle from before this check stops there), one unknown to both at 1 (its
/// change waits for the changes that make it).
fn depth_in(doc: &Automerge, obj: &str) -> Result<usize, Exceeded> {
    if obj == "_root" {
        return Ok(0);
    }
    let Some(id) = parse_obj(doc, obj) else {
        return Ok(1);
    };
    // Its parents up to and including the root: one per level. (`parents` unwraps a missing
    // parent inside automerge: an orphan from before this check must not take the process.)
    let walked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        doc.parents(&id)
            .map(|parents| parents.take(MAX_DEPTH + 1).count().max(1))
    }));
    match walked {
        Ok(Ok(d)) => Ok(d),
        Ok(Err(_)) => Ok(1),
        Err(_) => Err(Exceeded::Malformed(
            "the record holds an object outside the document".into(),
        )),
    }
}

/// Checks how deep a whole document (a snapshot received as it is) nests its objects, walking
/// them from the root with a stack (never recursing) and stopping past the limit.
pub fn check_document_depth(doc: &Automerge) -> Result<(), Exceeded> {
    let mut stack = vec![(automerge::ROOT, 0usize)];
    while let Some((obj, d)) = stack.pop() {
        if matches!(doc.object_type(&obj), Ok(automerge::ObjType::Text) | Err(_)) {
            continue;
        }
        for (value, id) in doc.values(&obj) {
            if let automerge::Value::Object(_) = value {
                if d + 1 > MAX_DEPTH {
                    return Err(Exceeded::Depth(d + 1));
                }
                stack.push((id, d + 1));
            }
        }
    }
    Ok(())
}

/// An object of `doc` from its `counter@actor` form, if the document has it.
fn parse_obj(doc: &Automerge, s: &str) -> Option<automerge::ObjId> {
    let (counter, actor) = s.split_once('@')?;
    counter.parse::<u64>().ok()?;
    if actor.is_empty() || actor.len() % 2 != 0 || !actor.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // `import_obj` checks the actor, not that the object exists.
    let id = doc.import_obj(s).ok()?;
    doc.object_type(&id).is_ok().then_some(id)
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
        check_depths(&doc, &[ok]).unwrap();
        let deep = parse_change(&nested(MAX_DEPTH + 1)).unwrap();
        assert_eq!(
            check_depths(&doc, &[deep]),
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
            check_depths(&doc, &[change]),
            Err(Exceeded::Depth(MAX_DEPTH + 1))
        );
    }

    /// A change making map `a` in the root and map `b` in `a`, with the parents of its two
    /// operations replaced: what a forged change can say.
    fn forged(parent_of_a: &str, parent_of_b: &str) -> Change {
        let mut doc = AutoCommit::new();
        let a = doc.put_object(automerge::ROOT, "a", ObjType::Map).unwrap();
        doc.put_object(&a, "b", ObjType::Map).unwrap();
        let change = doc.get_changes(&[])[0].clone();
        let mut expanded = change.decode();
        let actor = expanded.actor_id.to_hex_string();
        let obj = |s: &str| s.replace("ACTOR", &actor).parse().unwrap();
        expanded.operations[0].obj = obj(parent_of_a);
        expanded.operations[1].obj = obj(parent_of_b);
        Change::from(expanded)
    }

    #[test]
    fn objects_made_inside_one_another_are_refused() {
        let change = forged("2@ACTOR", "1@ACTOR");
        assert!(matches!(
            check_depths(&Automerge::new(), &[change]),
            Err(Exceeded::Malformed(m)) if m.contains("inside one another")
        ));
    }

    #[test]
    fn an_object_made_inside_one_nobody_made_is_refused() {
        let change = forged("99@ACTOR", "1@ACTOR");
        assert!(matches!(
            check_depths(&Automerge::new(), &[change]),
            Err(Exceeded::Malformed(m)) if m.contains("does not exist")
        ));
    }

    #[test]
    fn an_object_made_inside_one_the_document_lacks_is_refused() {
        // The document knows the actor, but has no object with that counter.
        let mut base = AutoCommit::new();
        base.put(automerge::ROOT, "x", 1).unwrap();
        let mut more = base.fork();
        let actor = base.get_actor().to_hex_string();
        let a = more.put_object(automerge::ROOT, "a", ObjType::Map).unwrap();
        more.put_object(&a, "b", ObjType::Map).unwrap();
        let change = more.get_changes(&base.get_heads()).pop().unwrap().clone();
        let mut expanded = change.decode();
        expanded.operations[0].obj = format!("77@{actor}").parse().unwrap();
        let change = Change::from(expanded);
        assert!(matches!(
            check_depths(base.document(), &[change]),
            Err(Exceeded::Malformed(m)) if m.contains("does not exist")
        ));
    }

    #[test]
    fn an_object_made_again_under_an_id_that_exists_is_refused() {
        // The change that made `a` (1@actor) and `b` (2@actor), applied; then a forged change
        // making 1@actor again, inside 2@actor: it would move `a` under its own child.
        let mut doc = AutoCommit::new();
        let a = doc.put_object(automerge::ROOT, "a", ObjType::Map).unwrap();
        doc.put_object(&a, "b", ObjType::Map).unwrap();
        doc.commit();
        let actor = doc.get_actor().to_hex_string();
        let mut again = forged("_root", "1@ACTOR").decode();
        again.actor_id = doc.get_actor().clone();
        again.operations[0].obj = format!("2@{actor}").parse().unwrap();
        again.seq = 2;
        again.deps = doc.get_heads();
        let again = Change::from(again);
        assert!(matches!(
            check_depths(doc.document(), &[again]),
            Err(Exceeded::Malformed(m)) if m.contains("exists")
        ));
    }

    #[test]
    fn an_object_made_inside_one_a_waiting_change_makes_is_refused() {
        // `waits` makes 1@ACTOR and 2@ACTOR but depends on a change nobody has; `applies`
        // (another actor, no dependencies) makes its object inside 2@ACTOR: it would apply
        // alone and leave an orphan.
        let mut waiting = forged("_root", "1@ACTOR").decode();
        waiting.deps = vec![automerge::ChangeHash([9; 32])];
        let actor = waiting.actor_id.to_hex_string();
        let waits = Change::from(waiting);
        let other = forged(&format!("2@{actor}"), "1@ACTOR");
        assert!(matches!(
            check_depths(&Automerge::new(), &[waits, other]),
            Err(Exceeded::Malformed(m)) if m.contains("does not exist")
        ));
    }

    #[test]
    fn a_change_the_document_holds_is_not_checked_again() {
        let mut doc = AutoCommit::new();
        let a = doc.put_object(automerge::ROOT, "a", ObjType::Map).unwrap();
        doc.put_object(&a, "b", ObjType::Map).unwrap();
        doc.commit();
        let held = doc.get_changes(&[])[0].clone();
        // Sent again (a device repeats what was not acknowledged): nothing new, accepted.
        assert_eq!(check_depths(doc.document(), &[held.clone(), held]), Ok(()));
    }

    #[test]
    fn an_honest_change_passes_as_its_forged_form_would_not() {
        assert_eq!(
            check_depths(&Automerge::new(), &[forged("_root", "1@ACTOR")]),
            Ok(())
        );
    }

    #[test]
    fn a_change_waiting_for_its_dependencies_may_name_objects_not_yet_made() {
        let mut expanded = forged("99@ACTOR", "1@ACTOR").decode();
        expanded.deps = vec![automerge::ChangeHash([7; 32])];
        let waiting = Change::from(expanded);
        assert_eq!(check_depths(&Automerge::new(), &[waiting]), Ok(()));
    }

    #[test]
    fn a_snapshot_nesting_past_the_limit_is_refused() {
        let mut doc = AutoCommit::new();
        let mut obj = automerge::ROOT;
        for i in 0..MAX_DEPTH {
            obj = doc.put_object(&obj, format!("k{i}"), ObjType::Map).unwrap();
        }
        assert_eq!(check_document_depth(doc.document()), Ok(()));
        doc.put_object(&obj, "deeper", ObjType::List).unwrap();
        assert_eq!(
            check_document_depth(doc.document()),
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
    fn a_bundle_chunk_is_refused_before_it_is_parsed() {
        // The fuzzer's 51 bytes: a bundle chunk (type 3) whose delta column claims ~2^29
        // values; parsed, it asked for 4 GiB.
        let bomb = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fuzz/artifacts/pushed_change/oom-bundle-delta-column"
        ))
        .unwrap();
        assert_eq!(bomb[8], 3);
        let refused = parse_change(&bomb).unwrap_err();
        assert_eq!(
            refused,
            Exceeded::Malformed("an automerge chunk of type 3, not a change".into())
        );
    }

    #[test]
    fn a_document_chunk_is_not_a_change() {
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "a", 1).unwrap();
        let saved = doc.save();
        assert_eq!(saved[8], 0);
        assert!(
            matches!(parse_change(&saved), Err(Exceeded::Malformed(m)) if m.contains("type 0"))
        );
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
