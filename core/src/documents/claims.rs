//! What a document made by Offgrid says about itself, read back from its bytes: the SHA-256 it
//! shows and the records with the heads it was made from (`offgrid-sha256:` and
//! `offgrid-record:id@head+head` in the PDF's metadata). A phone that receives a PDF (by mail,
//! by a messenger) verifies it from these, with no layout engine and no network.

use super::ShownRecord;
use crate::error::{Error, Result};
use crate::model::RecordId;

/// Largest file read as a document: a report with many photos is tens of megabytes.
pub const MAX_DOCUMENT_BYTES: u64 = 256 << 20;

/// The SHA-256 and the records a document made by Offgrid claims, from its bytes.
pub fn read_claims(bytes: &[u8]) -> Result<(String, Vec<ShownRecord>)> {
    let Some(at) = find(bytes, SHA_TAG) else {
        return Err(not_ours("no offgrid-sha256 in its metadata"));
    };
    let sha = bytes
        .get(at..at + 64)
        .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
        .ok_or_else(|| not_ours("its offgrid-sha256 is damaged"))?;
    // The bytes are ASCII hex digits: one char each.
    let sha: String = sha.iter().map(|&b| char::from(b)).collect();
    let mut records: Vec<ShownRecord> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut rest = bytes;
    while let Some(i) = find(rest, RECORD_TAG) {
        rest = &rest[i..];
        let end = rest
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'@' | b'+' | b'_')))
            .unwrap_or(rest.len());
        // Only ASCII letters, digits and `-@+_` are taken: always UTF-8.
        let claim = String::from_utf8_lossy(&rest[..end]);
        rest = &rest[end..];
        if let Some((id, heads)) = claim.split_once('@') {
            let record = ShownRecord {
                id: RecordId(id.to_owned()),
                heads: heads
                    .split('+')
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned)
                    .collect(),
            };
            if seen.insert(record.clone()) {
                records.push(record);
            }
        }
    }
    Ok((sha, records))
}

/// Where `tag` ends in `bytes` (the index just past it), if it occurs. A PDF is read as bytes:
/// its streams are not text, and a lossy copy of a large file would double its memory.
fn find(bytes: &[u8], tag: &str) -> Option<usize> {
    let tag = tag.as_bytes();
    bytes
        .windows(tag.len())
        .position(|w| w == tag)
        .map(|i| i + tag.len())
}

const SHA_TAG: &str = "offgrid-sha256:";
const RECORD_TAG: &str = "offgrid-record:";

fn not_ours(why: &str) -> Error {
    Error::Document {
        reason: format!("not a document made by Offgrid: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_and_the_records_are_read_from_the_metadata() {
        let sha = "ab".repeat(32);
        let pdf = format!(
            "%PDF-1.7\n<x:xmpmeta>offgrid-sha256:{sha} offgrid-record:r-1@h1+h2 \
             offgrid-record:r-2@h3\noffgrid-record:r-1@h1+h2</x:xmpmeta>"
        );
        let (got, records) = read_claims(pdf.as_bytes()).unwrap();
        assert_eq!(got, sha);
        assert_eq!(
            records,
            vec![
                ShownRecord {
                    id: RecordId("r-1".into()),
                    heads: vec!["h1".into(), "h2".into()],
                },
                ShownRecord {
                    id: RecordId("r-2".into()),
                    heads: vec!["h3".into()],
                },
            ]
        );
    }

    #[test]
    fn a_claim_repeated_many_times_is_one_record_and_binary_bytes_are_skipped() {
        let mut pdf = format!("offgrid-sha256:{}\n", "0f".repeat(32)).into_bytes();
        for _ in 0..100_000 {
            pdf.extend_from_slice(b"\xff\xfe offgrid-record:r-1@h1 ");
        }
        let (_, records) = read_claims(&pdf).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].heads, vec!["h1".to_owned()]);
    }

    #[test]
    fn a_file_without_the_hash_is_not_ours() {
        let err = read_claims(b"%PDF-1.7 just a PDF").unwrap_err();
        assert!(
            err.to_string().contains("not a document made by Offgrid"),
            "{err}"
        );
    }

    #[test]
    fn a_cut_hash_is_refused() {
        let err = read_claims(b"offgrid-sha256:abcdef").unwrap_err();
        assert!(err.to_string().contains("damaged"), "{err}");
    }
}
