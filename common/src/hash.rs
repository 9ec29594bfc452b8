//! Content names: photos, documents and changes are named by the SHA-256 of their bytes.

use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes` in lowercase hex: how photos, documents and changes are named on the
/// wire and at rest.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
