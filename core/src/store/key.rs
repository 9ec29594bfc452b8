//! [`StoreKey`]: the 256-bit key a store is encrypted with (ADR 0012).
//!
//! The core never chooses where a key lives. The shells keep it (Android: random bytes wrapped
//! by a Keystore key; iOS: a Keychain item readable after first unlock); the desktop reads it
//! from `$OFFGRID_KEY` or a key file only its owner may read. It is given to SQLCipher as a raw
//! key (`x'…'`), so opening costs no key derivation; the photos have a key of their own, kept
//! inside the encrypted database (see `sealed`).

use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Bytes in a key.
pub const KEY_LEN: usize = 32;

/// A store key. Wiped from memory when dropped; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl StoreKey {
    /// A new random key (from the operating system's generator).
    pub fn generate() -> StoreKey {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::fill(&mut bytes[..]);
        StoreKey(bytes)
    }

    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<StoreKey> {
        let array: [u8; KEY_LEN] = bytes.try_into().map_err(|_| {
            Error::InvalidArgument(format!(
                "a store key is {KEY_LEN} bytes, not {}",
                bytes.len()
            ))
        })?;
        Ok(StoreKey(Zeroizing::new(array)))
    }

    /// A key written as 64 hexadecimal digits (surrounding whitespace ignored): the form of
    /// `$OFFGRID_KEY` and of key files.
    pub fn from_hex(text: &str) -> Result<StoreKey> {
        let text = text.trim();
        let wrong =
            || Error::InvalidArgument(format!("a store key is {} hexadecimal digits", KEY_LEN * 2));
        if text.len() != KEY_LEN * 2 || !text.is_ascii() {
            return Err(wrong());
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| wrong())?;
        }
        Ok(StoreKey(bytes))
    }

    /// Reads a key file. On Unix it must be a regular file that only its owner may read or
    /// write (mode 0600 or 0400): a key others can read protects nothing.
    pub fn from_file(path: &Path) -> Result<StoreKey> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Err(Error::InvalidArgument(format!(
                "key file {} is not a file",
                path.display()
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(Error::InvalidArgument(format!(
                    "key file {} may be read by others (mode {mode:o}): make it 600",
                    path.display()
                )));
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path)?);
        StoreKey::from_hex(&text)
    }

    /// Writes a new key file readable only by its owner (0600); refuses to overwrite one.
    pub fn write_new_file(&self, path: &Path) -> Result<()> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        let mut text = self.hex();
        text.push('\n');
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        Ok(())
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// A copy of the 32 bytes, for a shell to wrap with the platform's key store (the copy is
    /// the caller's to wipe).
    pub fn bytes_for_shell(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    /// The key as lowercase hex, wiped when dropped.
    pub(crate) fn hex(&self) -> Zeroizing<String> {
        Zeroizing::new(crate::doc::json::hex(&self.0[..]))
    }

    /// The SQL literal SQLCipher takes as a raw key: `"x'<64 hex>'"`.
    pub(crate) fn sql_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("\"x'{}'\"", self.hex().as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_bad_text_is_refused() {
        let key = StoreKey::generate();
        assert_eq!(
            StoreKey::from_hex(&format!(" {}\n", key.hex().as_str())).unwrap(),
            key
        );
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(66), &"é".repeat(32)] {
            assert!(matches!(
                StoreKey::from_hex(bad),
                Err(Error::InvalidArgument(_))
            ));
        }
        assert!(StoreKey::from_bytes(&[1; 31]).is_err());
        assert_ne!(StoreKey::generate(), StoreKey::generate());
        assert_eq!(format!("{key:?}"), "StoreKey(…)");
    }

    #[cfg(unix)]
    #[test]
    fn key_files_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.key");
        let key = StoreKey::generate();
        key.write_new_file(&path).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(StoreKey::from_file(&path).unwrap(), key);
        assert!(key.write_new_file(&path).is_err(), "never overwritten");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = StoreKey::from_file(&path).unwrap_err();
        assert!(err.to_string().contains("make it 600"), "{err}");
    }
}
