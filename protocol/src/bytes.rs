//! Binary fields as base64, and the forms ids and hashes take on the wire.

use serde::{Deserialize, Serialize};

/// Bytes as base64 (standard alphabet, padded) in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use base64::Engine;
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use base64::Engine;
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map(Bytes)
            .map_err(serde::de::Error::custom)
    }
}

pub use offgrid_common::sha256_hex;

/// Is `s` a lowercase hex SHA-256 (the only form blob and change ids take)?
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Record and project ids: 1-100 characters of `[A-Za-z0-9_.:-]`, not starting with a dot.
/// Nothing else can reach a path or a query.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_as_base64() {
        let b = Bytes(vec![0, 1, 2, 250]);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, "\"AAEC+g==\"");
        assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap(), b);
        assert!(serde_json::from_str::<Bytes>("\"not base64!\"").is_err());
    }

    #[test]
    fn ids_are_checked() {
        assert!(is_valid_id("0192f1c2-aaaa-7bbb-8ccc-123456789abc"));
        assert!(is_valid_id("proj-1"));
        for bad in ["", "../x", "a/b", ".hidden", "a b", "x\0", &"a".repeat(101)] {
            assert!(!is_valid_id(bad), "{bad:?}");
        }
        assert!(is_sha256_hex(&"ab".repeat(32)));
        assert!(!is_sha256_hex(&"AB".repeat(32)));
        assert!(!is_sha256_hex("../../etc/passwd"));
    }
}
