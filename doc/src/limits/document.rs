//! What a whole document chunk (automerge's `save`: the snapshot the server sends for a record
//! with a long history) may hold, checked before automerge loads it. Automerge inflates every
//! compressed column whole, and rebuilds the document row by row from its run-length columns,
//! so a chunk of a few kilobytes could claim gigabytes of column data or billions of
//! operations. Here the chunk's columns are read as a stream: each compressed one inflated with
//! the budget that is left, every row of every column counted against a cap, nothing kept.
//! Nothing here recurses.
//!
//! The column encodings are automerge's binary format: a run-length column is a sequence of
//! runs, each a signed LEB128 count followed by one value repeated (count > 0), `-count`
//! literal values (count < 0), or an unsigned null count (count = 0); a delta column is a
//! run-length column of signed values; a boolean column is unsigned run lengths, alternating
//! from false; a value column is raw bytes whose rows its metadata column counts.

use std::io::{self, BufRead, BufReader, Read};

use super::{Exceeded, MAX_RECORD_BYTES};

/// Most bytes a document's columns may hold once inflated (a record's changes may hold as many).
pub const MAX_DOCUMENT_BYTES: u64 = MAX_RECORD_BYTES;
/// Most rows any column of a document may expand to: its operations, its changes, their
/// successors and dependencies. Loading costs about 150–400 bytes a row at its peak (measured:
/// 1,000,000 operations took 150–390 MB), so at this limit about 100 MB. The records a device
/// keeps hold some thousands of operations (an inspection of a 500-item checklist is born with
/// a few thousand); the server sends a record past it as its changes instead.
pub const MAX_DOCUMENT_ROWS: u64 = 250_000;

const DEFLATE: u32 = 0b1000;
const GROUP: u32 = 0;
const ACTOR: u32 = 1;
const INTEGER: u32 = 2;
const DELTA: u32 = 3;
const BOOLEAN: u32 = 4;
const STRING: u32 = 5;
const VALUE_METADATA: u32 = 6;

/// Checks a whole document chunk (header included) against [`MAX_DOCUMENT_BYTES`] and
/// [`MAX_DOCUMENT_ROWS`] without inflating it into memory. A chunk that is not laid out as a
/// document is [`Exceeded::Malformed`].
pub fn check_document_chunk(chunk: &[u8]) -> Result<(), Exceeded> {
    check_within(chunk, MAX_DOCUMENT_BYTES, MAX_DOCUMENT_ROWS)
}

/// As [`check_document_chunk`], with the limits given.
fn check_within(chunk: &[u8], max_bytes: u64, max_rows: u64) -> Result<(), Exceeded> {
    let mut at = Cursor {
        bytes: chunk,
        at: 0,
    };
    at.take(9)?; // magic, checksum, chunk type
    let len = at.uleb()?;
    let data = at.take(len)?;
    let mut at = Cursor { bytes: data, at: 0 };
    for _ in 0..at.uleb()? {
        let actor = at.uleb()?;
        at.take(actor)?;
    }
    let heads = at.uleb()?;
    at.take(heads.checked_mul(32).ok_or_else(|| malformed("heads"))?)?;
    let mut columns = at.columns()?;
    columns.extend(at.columns()?);
    let mut budget = Budget {
        bytes: max_bytes,
        max_rows,
    };
    for (spec, len) in columns {
        let raw = at.take(len)?;
        if spec & DEFLATE != 0 {
            let inflated = flate2::read::DeflateDecoder::new(raw);
            budget.column(spec, inflated)?;
        } else {
            budget.column(spec, raw)?;
        }
    }
    Ok(())
}

fn malformed(what: &str) -> Exceeded {
    Exceeded::Malformed(format!("the document's {what} are cut short or too long"))
}

/// The chunk's fixed parts, read from a slice.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: u64) -> Result<&'a [u8], Exceeded> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.at.checked_add(n))
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| malformed("parts"))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn uleb(&mut self) -> Result<u64, Exceeded> {
        let mut rest = &self.bytes[self.at..];
        let before = rest.len();
        let value = uleb(&mut rest)?.ok_or_else(|| malformed("parts"))?;
        self.at += before - rest.len();
        Ok(value)
    }

    /// One list of column metadata: how many, then each column's specification and length.
    fn columns(&mut self) -> Result<Vec<(u32, u64)>, Exceeded> {
        let n = self.uleb()?;
        let mut out = Vec::new();
        for _ in 0..n {
            let spec = u32::try_from(self.uleb()?).map_err(|_| malformed("columns"))?;
            out.push((spec, self.uleb()?));
        }
        Ok(out)
    }
}

/// The bytes left for the document's columns once inflated.
struct Budget {
    bytes: u64,
    max_rows: u64,
}

impl Budget {
    /// Reads one column to its end, counting its bytes against the budget and its rows against
    /// `max_rows`.
    fn column(&mut self, spec: u32, data: impl Read) -> Result<(), Exceeded> {
        let mut reader = BufReader::new(data.take(self.bytes + 1));
        let rows = |kind| Rows::new(kind, self.bytes, self.max_rows);
        let counted = match spec & 0b111 {
            ACTOR | INTEGER => rows(Value::Unsigned).runs(&mut reader),
            GROUP => rows(Value::Group).runs(&mut reader),
            VALUE_METADATA => rows(Value::Metadata).runs(&mut reader),
            DELTA => rows(Value::Signed).runs(&mut reader),
            STRING => rows(Value::String).runs(&mut reader),
            BOOLEAN => rows(Value::Unsigned).booleans(&mut reader),
            _ => Ok(()), // raw values: bytes only
        }
        // Whatever follows the runs (or a raw column) counts as bytes too.
        .and_then(|()| {
            io::copy(&mut reader, &mut io::sink())
                .map(drop)
                .map_err(|e| Exceeded::Malformed(format!("inflating the document: {e}")))
        });
        let left = reader.into_inner().limit();
        if left == 0 {
            // Read past the budget (a value cut short there is the same refusal).
            return Err(Exceeded::DocumentBytes);
        }
        self.bytes -= self.bytes + 1 - left;
        counted
    }
}

#[derive(Clone, Copy)]
enum Value {
    /// Actor indices, integers: nothing beyond the row.
    Unsigned,
    /// A group's member count: rows of the columns it groups.
    Group,
    /// A value's type and length (`length << 4 | type`): bytes of the raw value column.
    Metadata,
    /// Deltas.
    Signed,
    /// A string: its length, bytes in memory for every row it stands for.
    String,
}

/// Rows counted in one column, and what its values expand to: the members a group column adds
/// up to, the bytes its values and repeated strings stand for.
struct Rows {
    kind: Value,
    rows: u64,
    expanded: u64,
    max_bytes: u64,
    max_rows: u64,
}

impl Rows {
    fn new(kind: Value, max_bytes: u64, max_rows: u64) -> Self {
        Rows {
            kind,
            rows: 0,
            expanded: 0,
            max_bytes,
            max_rows,
        }
    }

    /// `n` more rows, each expanding to `each`.
    fn add(&mut self, n: u64, each: u64) -> Result<(), Exceeded> {
        self.count(n)?;
        self.expand(n.saturating_mul(each))
    }

    fn count(&mut self, n: u64) -> Result<(), Exceeded> {
        self.rows = self.rows.saturating_add(n);
        if self.rows > self.max_rows {
            return Err(Exceeded::DocumentRows(self.rows));
        }
        Ok(())
    }

    fn expand(&mut self, by: u64) -> Result<(), Exceeded> {
        self.expanded = self.expanded.saturating_add(by);
        match self.kind {
            Value::Group if self.expanded > self.max_rows => {
                Err(Exceeded::DocumentRows(self.expanded))
            }
            Value::Metadata | Value::String if self.expanded > self.max_bytes => {
                Err(Exceeded::DocumentBytes)
            }
            _ => Ok(()),
        }
    }

    fn runs(mut self, r: &mut impl BufRead) -> Result<(), Exceeded> {
        while let Some(count) = sleb(r)? {
            let n = count.unsigned_abs();
            if count > 0 {
                let each = one(r, self.kind)?;
                self.add(n, each)?;
            } else if count < 0 {
                // Counted before the literals are read (each is at least a byte).
                self.count(n)?;
                for _ in 0..n {
                    let each = one(r, self.kind)?;
                    self.expand(each)?;
                }
            } else {
                let nulls = uleb(r)?.ok_or_else(|| malformed("columns"))?;
                self.add(nulls, 0)?;
            }
        }
        Ok(())
    }

    fn booleans(mut self, r: &mut impl BufRead) -> Result<(), Exceeded> {
        while let Some(run) = uleb(r)? {
            self.add(run, 0)?;
        }
        Ok(())
    }
}

/// Reads one value of a run; returns what each row it stands for expands to.
fn one(r: &mut impl BufRead, kind: Value) -> Result<u64, Exceeded> {
    let unsigned = |r: &mut _| uleb(r)?.ok_or_else(|| malformed("columns"));
    match kind {
        Value::Unsigned => unsigned(r).map(|_| 0),
        Value::Group => unsigned(r),
        Value::Metadata => unsigned(r).map(|meta| meta >> 4),
        Value::Signed => sleb(r)?.map(|_| 0).ok_or_else(|| malformed("columns")),
        Value::String => {
            let len = unsigned(r)?;
            let skipped = io::copy(&mut r.by_ref().take(len), &mut io::sink())
                .map_err(|e| Exceeded::Malformed(format!("inflating the document: {e}")))?;
            if skipped != len {
                return Err(malformed("columns"));
            }
            Ok(len)
        }
    }
}

fn byte(r: &mut impl BufRead) -> Result<Option<u8>, Exceeded> {
    let mut b = [0u8; 1];
    match r.read(&mut b) {
        Ok(0) => Ok(None),
        Ok(_) => Ok(Some(b[0])),
        Err(e) => Err(Exceeded::Malformed(format!("inflating the document: {e}"))),
    }
}

/// An unsigned LEB128 value; `None` at the end of the input (before its first byte).
fn uleb(r: &mut impl Read) -> Result<Option<u64>, Exceeded> {
    let mut value: u64 = 0;
    for i in 0..10u32 {
        let mut b = [0u8; 1];
        match r.read(&mut b) {
            Ok(0) if i == 0 => return Ok(None),
            Ok(0) => return Err(malformed("numbers")),
            Ok(_) => {}
            Err(e) => return Err(Exceeded::Malformed(format!("inflating the document: {e}"))),
        }
        let low = u64::from(b[0] & 0x7f);
        value |= low
            .checked_shl(7 * i)
            .filter(|v| v >> (7 * i) == low)
            .ok_or_else(|| malformed("numbers"))?;
        if b[0] & 0x80 == 0 {
            return Ok(Some(value));
        }
    }
    Err(malformed("numbers"))
}

/// A signed LEB128 value; `None` at the end of the input (before its first byte).
fn sleb(r: &mut impl BufRead) -> Result<Option<i64>, Exceeded> {
    let mut value: i64 = 0;
    let mut shift = 0u32;
    loop {
        let Some(b) = byte(r)? else {
            return if shift == 0 {
                Ok(None)
            } else {
                Err(malformed("numbers"))
            };
        };
        if shift >= 63 && b & 0x7f != 0 && b & 0x7f != 0x7f {
            return Err(malformed("numbers"));
        }
        value |= i64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
        shift += 7;
        if b & 0x80 == 0 {
            if shift < 64 && b & 0x40 != 0 {
                value |= -1i64 << shift;
            }
            return Ok(Some(value));
        }
        if shift >= 70 {
            return Err(malformed("numbers"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT};

    use super::*;

    /// A document chunk around `data` (its checksum not set: the check does not read it).
    fn chunk(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 0];
        write_uleb(&mut out, data.len() as u64);
        out.extend_from_slice(data);
        out
    }

    fn write_uleb(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn write_sleb(out: &mut Vec<u8>, mut v: i64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    /// A document with no actors or heads, no change columns and the given op columns.
    fn document(columns: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut data = vec![0, 0, 0];
        write_uleb(&mut data, columns.len() as u64);
        for (spec, bytes) in columns {
            write_uleb(&mut data, u64::from(*spec));
            write_uleb(&mut data, bytes.len() as u64);
        }
        for (_, bytes) in columns {
            data.extend_from_slice(bytes);
        }
        chunk(&data)
    }

    fn deflated(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn documents_automerge_saves_pass() {
        let mut doc = AutoCommit::new();
        let answers = doc.put_object(ROOT, "answers", ObjType::Map).unwrap();
        let list = doc.put_object(ROOT, "notes", ObjType::List).unwrap();
        let text = doc.put_object(ROOT, "text", ObjType::Text).unwrap();
        for i in 0..2_000 {
            doc.put(&answers, format!("item-{i}"), i64::from(i))
                .unwrap();
            doc.insert(&list, 0, "观察 observation").unwrap();
            if i % 100 == 0 {
                doc.splice_text(&text, 0, 0, "隐患 hazard ").unwrap();
                doc.commit();
            }
        }
        doc.delete(&list, 3).unwrap();
        doc.commit();
        let saved = doc.save();
        let plain = doc.save_nocompress();
        assert!(saved.len() < plain.len(), "some columns are compressed");
        check_document_chunk(&saved).unwrap();
        check_document_chunk(&plain).unwrap();
        check_document_chunk(&AutoCommit::new().save()).unwrap();
    }

    #[test]
    fn a_saved_documents_rows_and_bytes_are_counted_as_automerge_encodes_them() {
        let mut doc = AutoCommit::new();
        let list = doc.put_object(ROOT, "scans", ObjType::List).unwrap();
        for i in 0..3_000 {
            doc.insert(&list, i, "checkpoint").unwrap();
        }
        doc.commit();
        let ops = 3_001;
        for saved in [doc.save(), doc.save_nocompress()] {
            check_within(&saved, MAX_DOCUMENT_BYTES, ops).unwrap();
            assert_eq!(
                check_within(&saved, MAX_DOCUMENT_BYTES, ops - 1),
                Err(Exceeded::DocumentRows(ops))
            );
            // "checkpoint" 3,000 times is 30,000 bytes of values.
            check_within(&saved, 40_000, ops).unwrap();
            assert_eq!(
                check_within(&saved, 29_000, ops),
                Err(Exceeded::DocumentBytes)
            );
        }
    }

    #[test]
    fn a_compressed_column_inflating_past_the_limit_is_refused() {
        let bomb = vec![0u8; usize::try_from(MAX_DOCUMENT_BYTES).unwrap() + 1];
        let value_raw = (5 << 4) | 7 | DEFLATE;
        let chunk = document(&[(value_raw, deflated(&bomb))]);
        assert!(chunk.len() < 100_000, "{} bytes", chunk.len());
        assert_eq!(check_document_chunk(&chunk), Err(Exceeded::DocumentBytes));
    }

    #[test]
    fn columns_adding_up_past_the_limit_are_refused() {
        let half = vec![0u8; usize::try_from(MAX_DOCUMENT_BYTES / 2).unwrap() + 1];
        let value_raw = (5 << 4) | 7 | DEFLATE;
        let other_raw = (6 << 4) | 7 | DEFLATE;
        let chunk = document(&[(value_raw, deflated(&half)), (other_raw, deflated(&half))]);
        assert_eq!(check_document_chunk(&chunk), Err(Exceeded::DocumentBytes));
    }

    #[test]
    fn a_run_claiming_more_rows_than_the_limit_is_refused() {
        // The action column: one value repeated past the limit, in five bytes.
        let mut action = Vec::new();
        write_sleb(&mut action, i64::try_from(MAX_DOCUMENT_ROWS).unwrap() + 1);
        write_uleb(&mut action, 1);
        let chunk = document(&[((4 << 4) | 2, action)]);
        assert!(matches!(
            check_document_chunk(&chunk),
            Err(Exceeded::DocumentRows(_))
        ));
    }

    #[test]
    fn null_runs_and_booleans_count_as_rows() {
        let mut nulls = Vec::new();
        write_sleb(&mut nulls, 0);
        write_uleb(&mut nulls, MAX_DOCUMENT_ROWS);
        write_sleb(&mut nulls, 0);
        write_uleb(&mut nulls, 1);
        let chunk = document(&[((1 << 4) | 1, nulls)]);
        assert!(matches!(
            check_document_chunk(&chunk),
            Err(Exceeded::DocumentRows(_))
        ));
        let mut booleans = Vec::new();
        write_uleb(&mut booleans, MAX_DOCUMENT_ROWS);
        write_uleb(&mut booleans, 1);
        let chunk = document(&[((3 << 4) | 4, booleans)]);
        assert!(matches!(
            check_document_chunk(&chunk),
            Err(Exceeded::DocumentRows(_))
        ));
    }

    #[test]
    fn a_repeated_string_expanding_past_the_limit_is_refused() {
        let key = vec![b'k'; 1 << 20];
        let mut keys = Vec::new();
        write_sleb(&mut keys, 65);
        write_uleb(&mut keys, key.len() as u64);
        keys.extend_from_slice(&key);
        let chunk = document(&[((1 << 4) | 5 | DEFLATE, deflated(&keys))]);
        assert_eq!(check_document_chunk(&chunk), Err(Exceeded::DocumentBytes));
    }

    #[test]
    fn a_group_whose_members_add_up_past_the_limit_is_refused() {
        // Two operations with half the limit of successors each.
        let mut succ = Vec::new();
        write_sleb(&mut succ, 2);
        write_uleb(&mut succ, MAX_DOCUMENT_ROWS / 2 + 1);
        let chunk = document(&[((8 << 4), succ)]);
        assert!(matches!(
            check_document_chunk(&chunk),
            Err(Exceeded::DocumentRows(_))
        ));
    }

    #[test]
    fn cut_short_parts_are_malformed_not_a_panic() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "a", "一").unwrap();
        let saved = doc.save();
        for cut in 1..saved.len() {
            let _ = check_document_chunk(&saved[..cut]);
        }
        let mut literal = Vec::new();
        write_sleb(&mut literal, -5);
        write_uleb(&mut literal, 1);
        assert!(matches!(
            check_document_chunk(&document(&[((4 << 4) | 2, literal)])),
            Err(Exceeded::Malformed(_))
        ));
    }
}
