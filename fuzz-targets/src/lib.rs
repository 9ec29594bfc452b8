//! The bodies of Offgrid's fuzz targets (issue 28): what clients control, fed arbitrary bytes.
//!
//! Each function here takes the fuzzer's bytes and must return on every input: a panic is a
//! bug, and so is a failed `assert!` (each states an invariant of the code under test); so is
//! a panic the server catches but that was raised in the project's own code ([`panics`]). The
//! cargo-fuzz crate in `fuzz/` calls them from libFuzzer (outside CI, see
//! `docs/benchmarks.md`, "Fuzzing"); `tests/corpus.rs` replays the committed corpora
//! (`fuzz/corpus/<target>/`) and any crash inputs (`fuzz/artifacts/<target>/`) through them in
//! the ordinary `cargo test --workspace`, so CI needs no instrumented build.

// A fuzz target's setup that fails is a broken harness, and a failed invariant is a finding:
// both panic, on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod panics;
mod world;

pub use world::{PROJECT, USERS};

use automerge::Automerge;
use offgrid_core::checklist::validate;
use offgrid_core::doc::limits;
use offgrid_core::grid::geojson;
use offgrid_photo::{self as photo, PhotoLimits};
use offgrid_server::http;

/// A target's body: any bytes, never a panic.
pub type Target = fn(&[u8]);

/// Every target by name (the names of `fuzz/fuzz_targets/*.rs` and of the corpus folders).
pub const TARGETS: [(&str, Target); 7] = [
    ("pushed_change", pushed_change),
    ("sync_body", sync_body),
    ("login_body", login_body),
    ("template_json", template_json),
    ("geojson", geojson),
    ("photo_headers", photo_headers),
    ("pulled_bytes", pulled_bytes),
];

/// One automerge change as a device pushes it: parsed within the limits
/// (`offgrid_core::doc::limits`), its nesting checked and applied to an empty document, then
/// pushed in a sync request to a real server (SQLite, write gate on) by the account its
/// message names as its author, as a record of its own (a first change) or of one of the
/// records the server already holds (any other change). The server answers or refuses; each
/// pushed record comes back exactly once, acknowledged, waiting or refused.
pub fn pushed_change(data: &[u8]) {
    let Ok(change) = limits::parse_change(data) else {
        return;
    };
    let mut doc = Automerge::new();
    if limits::check_depths(&doc, std::slice::from_ref(&change)).is_ok() {
        // As the server's gate does: a change automerge cannot apply is refused, not a crash.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            doc.apply_changes([change.clone()])
        }));
    }
    world::push(data, &change, &doc);
}

/// `POST /v1/sync`'s body as the server reads it. A request it accepts serialises to a body it
/// accepts again.
pub fn sync_body(data: &[u8]) {
    let Ok((req, _, _)) = http::parse_sync_request(data) else {
        return;
    };
    let again = serde_json::to_vec(&req).expect("a parsed sync request serialises");
    if let Err(e) = http::parse_sync_request(&again) {
        panic!("a parsed sync request, serialised, is refused: {e}");
    }
}

/// `POST /v1/login`'s body as the server reads it.
pub fn login_body(data: &[u8]) {
    let _ = http::parse_login_request(data);
}

/// A checklist template as an admin publishes it. A template that passes validation
/// serialises to one that passes again, unchanged.
pub fn template_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(template) = validate::parse(&text) else {
        return;
    };
    let again = serde_json::to_string(&template).expect("a template serialises");
    match validate::parse(&again) {
        Ok(t) => assert_eq!(t, template, "a template changes in a round trip"),
        Err(e) => panic!("a valid template, serialised, is refused: {e}"),
    }
}

/// A cell's boundary and a site's location as an admin enters them. What is accepted is
/// stored as compact text that is accepted again as itself; a stored location has a
/// longitude and latitude.
pub fn geojson(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(stored) = geojson::polygon(&text) {
        match geojson::polygon(&stored) {
            Ok(again) => assert_eq!(again, stored, "a stored boundary changes when read again"),
            Err(e) => panic!("a stored boundary is refused: {e}"),
        }
    }
    if let Ok(stored) = geojson::point(&text) {
        match geojson::point(&stored) {
            Ok(again) => assert_eq!(again, stored, "a stored location changes when read again"),
            Err(e) => panic!("a stored location is refused: {e}"),
        }
        assert!(
            geojson::point_lon_lat(&stored).is_some(),
            "a stored location has no longitude and latitude: {stored}"
        );
    }
    let _ = geojson::point_lon_lat(&text);
}

/// A photo's headers as the pipeline reads them before decoding anything: the format sniffed
/// from its first bytes, the dimensions and the decoder's memory estimate from its headers
/// (`photo::peak_estimate`: `format::sniff`, `decode::dimensions` and the budget's header
/// read, which are private to the core), and its EXIF. No pixel is decoded. The estimate
/// never exceeds the budget it is checked against.
pub fn photo_headers(data: &[u8]) {
    let limits = PhotoLimits::default();
    if let Ok(peak) = photo::peak_estimate(data, &limits) {
        assert!(
            peak <= limits.max_decode_bytes,
            "the estimated peak {peak} is over the budget {}",
            limits.max_decode_bytes
        );
    }
    let _ = photo::exif::read(data);
}

/// What a device does with a record's bytes pulled from the server (changes, or a whole
/// document for a record it does not hold yet), from a compromised server or a forged relay:
/// `offgrid_doc::chunks::apply_checked` on an empty document, as the store applies a new
/// record. It refuses or applies; it never panics and never takes more memory than the limits
/// allow.
pub fn pulled_bytes(data: &[u8]) {
    let mut doc = automerge::AutoCommit::new();
    let _ = offgrid_core::doc::chunks::apply_checked(&mut doc, data);
}
