//! Helpers shared by the integration tests: real store files in temp dirs, with a user and a
//! clock the test controls.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use offgrid_core::{FixedClock, Store, StoreOptions, User};

pub(crate) const T0: i64 = 1_764_300_000_000; // 2025-11-28, UTC ms

pub(crate) fn user(id: &str) -> User {
    User::new(id, &format!("name of {id}")).with_role("*", offgrid_core::Role::Admin)
}

/// Opens a store at `path` as user `who`, with a fixed clock at `T0`.
pub(crate) fn open_as(path: &Path, who: &str) -> (Store, Arc<FixedClock>) {
    open_keyed(path, who, None)
}

/// As [`open_as`], encrypted with `key` when given.
pub(crate) fn open_keyed(
    path: &Path,
    who: &str,
    key: Option<&offgrid_core::StoreKey>,
) -> (Store, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(T0, 480));
    let store = Store::open_with(
        path,
        StoreOptions {
            clock: clock.clone(),
            key: key.cloned(),
            ..Default::default()
        },
    )
    .expect("open store");
    store.set_user(user(who));
    (store, clock)
}

pub(crate) fn sha256_file(path: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}
