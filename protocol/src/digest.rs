//! What a device caught up with a scope holds: a count and a checksum of record ids with their
//! heads, compared after each sync so a record the server forgot to send is noticed.

use serde::{Deserialize, Serialize};

/// How many records of a scope hold at least one change, and a checksum of their ids with
/// their heads ([`DigestBuilder`]): what a device caught up with the scope's feed holds, as far
/// as the server has acknowledged it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeDigest {
    /// Records of the scope holding at least one change (for `org`: those the account reads).
    pub count: u64,
    /// Lowercase hex SHA-256 of `id ":" head "," head … "\n"` per record, records in id order,
    /// heads sorted.
    pub sha256: String,
}

/// Builds a [`ScopeDigest`] from a scope's records with their heads, fed in id order. Records
/// without heads are held by no one and are skipped.
#[derive(Default)]
pub struct DigestBuilder {
    hash: sha2::Sha256,
    count: u64,
}

impl DigestBuilder {
    /// Adds record `id` with its heads (heads in any order, records in id order). A record
    /// without heads is skipped.
    pub fn add<'a>(&mut self, id: &str, heads: impl IntoIterator<Item = &'a str>) {
        use sha2::Digest;
        let mut heads: Vec<&str> = heads.into_iter().collect();
        if heads.is_empty() {
            return;
        }
        heads.sort_unstable();
        self.hash.update(id.as_bytes());
        self.hash.update(b":");
        for (i, h) in heads.iter().enumerate() {
            if i > 0 {
                self.hash.update(b",");
            }
            self.hash.update(h.as_bytes());
        }
        self.hash.update(b"\n");
        self.count += 1;
    }

    /// The digest of the records added.
    pub fn finish(self) -> ScopeDigest {
        use sha2::Digest;
        ScopeDigest {
            count: self.count,
            sha256: self
                .hash
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_names_its_records_and_their_heads() {
        let digest = |records: &[(&str, &[&str])]| {
            let mut b = DigestBuilder::default();
            for (id, heads) in records {
                b.add(id, heads.iter().copied());
            }
            b.finish()
        };
        let a = digest(&[("r1", &["h2", "h1"]), ("r2", &["h3"]), ("r3", &[])]);
        assert_eq!(a.count, 2);
        assert_eq!(a, digest(&[("r1", &["h1", "h2"]), ("r2", &["h3"])]));
        assert_ne!(a, digest(&[("r1", &["h1"]), ("r2", &["h3"])]));
        assert_ne!(a, digest(&[("r1", &["h1", "h2"]), ("r2", &["h4"])]));
        assert_ne!(a, digest(&[("r1", &["h1", "h2"])]));
        assert_eq!(a.sha256.len(), 64);
    }
}
