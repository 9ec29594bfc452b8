//! Replays the committed corpus of every fuzz target (`fuzz/corpus/<target>/`), and any crash
//! input the fuzzer left (`fuzz/artifacts/<target>/`), through the target's body: what the
//! fuzzer found once stays checked in every ordinary test run, without an instrumented build.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::path::{Path, PathBuf};

use offgrid_fuzz_targets as targets;
use offgrid_fuzz_targets::panics::{self, OnOwnPanic};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// What is replayed: `fuzz/`, or `$OFFGRID_FUZZ_DIR` (a folder with `corpus/<target>/` and
/// `artifacts/<target>/`), to replay a campaign's new corpus in the ordinary test build before
/// it is committed.
fn replay_dir() -> PathBuf {
    std::env::var_os("OFFGRID_FUZZ_DIR").map_or_else(fuzz_dir, PathBuf::from)
}

/// The files of `dir`, sorted (none if it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, body: fn(&[u8])) {
    panics::watch(OnOwnPanic::Record);
    let corpus = files(&replay_dir().join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "the corpus of fuzz target {target} (fuzz/corpus/{target}/) is empty or missing"
    );
    let artifacts = files(&replay_dir().join("artifacts").join(target));
    for path in corpus.iter().chain(&artifacts) {
        let data = std::fs::read(path).expect("a corpus file");
        let run = std::panic::catch_unwind(|| body(&data));
        let caught = panics::take_own_panic();
        assert!(
            run.is_ok() && caught.is_none(),
            "fuzz target {target} fails on {}{} (replay it: cargo +nightly fuzz run {target} {})",
            path.display(),
            caught.map_or(String::new(), |c| format!(": a panic at {c}")),
            path.display()
        );
    }
    eprintln!(
        "{target}: {} corpus inputs, {} artifacts replayed",
        corpus.len(),
        artifacts.len()
    );
}

#[test]
fn every_target_has_a_test() {
    let names: Vec<&str> = targets::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "pushed_change",
            "sync_body",
            "login_body",
            "template_json",
            "geojson",
            "photo_headers",
            "pulled_bytes"
        ]
    );
    for name in names {
        let bin = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(bin.is_file(), "no fuzz target {}", bin.display());
    }
}

#[test]
fn pushed_change() {
    replay("pushed_change", targets::pushed_change);
}

#[test]
fn sync_body() {
    replay("sync_body", targets::sync_body);
}

#[test]
fn login_body() {
    replay("login_body", targets::login_body);
}

#[test]
fn template_json() {
    replay("template_json", targets::template_json);
}

#[test]
fn geojson() {
    replay("geojson", targets::geojson);
}

#[test]
fn photo_headers() {
    replay("photo_headers", targets::photo_headers);
}

#[test]
fn pulled_bytes() {
    replay("pulled_bytes", targets::pulled_bytes);
}
