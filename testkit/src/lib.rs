//! Offgrid's test helpers, kept out of the crates that ship (issue 29): the phone library and
//! the sync server carry none of this. The tests, `offgrid bench` and `offgrid demo` use it.
//!
//! - [`photos`]: synthetic photos (JPEG with EXIF and orientation, PNG, and hostile headers).
//! - [`hostile`]: photo headers that claim more than they carry (std only).
//! - [`flaky`]: a fault-injecting HTTP proxy between sync clients and the server.

// Test helpers: a helper that cannot do its job fails the test that called it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod flaky;
pub mod hostile;
pub mod photos;
