//! Encryption at rest (ADR 0012): a store opened with a key keeps its database (SQLCipher) and
//! its photo files (XChaCha20-Poly1305) encrypted; this file holds the key calls that are not
//! on an open store.
//!
//! # Where the shells keep the key
//! The key is 32 random bytes from [`generate_store_key`]. It is never typed by a user and never
//! leaves the device:
//! - **Android**: an AES-256-GCM key in the Android Keystore (`KeyGenParameterSpec`, purpose
//!   encrypt/decrypt, no user authentication so background sync works, StrongBox when the device
//!   has it) wraps the store key; the wrapped bytes and the GCM IV live in the app's private
//!   files (`store.key.wrapped`). At start the app unwraps them and calls
//!   `OffgridStore.openEncrypted(path, offset, key)`, then overwrites its copy of the bytes.
//!   (`android/app/.../StoreKeys.kt`.)
//! - **iOS**: the store key is a Keychain generic-password item with
//!   `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly` (readable by background sync after the
//!   first unlock, never restored to another device from a backup).
//!   (`ios/Offgrid/App/StoreKeys.swift`.)
//!
//! A store created without a key and opened later with one is encrypted in place at that open
//! (crash-safe; its photos are sealed in the same open).
//!
//! # Changing the key
//! Keep the new key beside the old one ("pending") before calling [`rekey_store`], and drop the
//! old one only after it returns. If the app is killed in between, call it again with the same
//! two keys: it finishes, or sees that it had finished.

use crate::Result;
use offgrid_core::StoreKey;

/// A new random store key (32 bytes) for a shell to wrap and keep.
#[uniffi::export]
pub fn generate_store_key() -> Vec<u8> {
    StoreKey::generate().bytes_for_shell()
}

/// Changes the key of the encrypted store at `db_path` from `old_key` to `new_key`, in place and
/// crash-safe (see the module docs). The store must be closed: `closeDatabase()` on every
/// `OffgridStore` on the file (a sub-object such as `photos()` keeps it open otherwise), or the
/// change is refused (`InvalidArgument`, nothing changed). `WrongKey` if neither key opens it.
#[uniffi::export]
pub fn rekey_store(db_path: String, old_key: Vec<u8>, new_key: Vec<u8>) -> Result<()> {
    let old = StoreKey::from_bytes(&old_key)?;
    let new = StoreKey::from_bytes(&new_key)?;
    Ok(offgrid_core::store::rekey(
        std::path::Path::new(&db_path),
        &old,
        &new,
    )?)
}
