//! The desktop's keys, end to end through the `offgrid` binary: a key file made private, a plain
//! database encrypted in place, every command taking the key from `--key-file` or
//! `$OFFGRID_KEY`, clear errors for no key, a wrong key and a key file others can read, and the
//! key changed with `rekey` (asked twice: the second sees it done).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod support;

use std::path::Path;

use support::{ok, run as offgrid, run_env as offgrid_env};

fn fails_with(out: std::process::Output, expected: &str) {
    assert_eq!(out.status.code(), Some(1), "did not fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(expected), "{expected:?} not in: {stderr}");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn list_titles(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["--db", "site.db"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["list"]);
    ok(dir, &all)
}

#[test]
fn keys_encrypt_and_rekey_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["key", "new", "k1.key"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("k1.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    fails_with(offgrid(dir, &["key", "new", "k1.key"]), "k1.key");

    let title = "底板渗水-secret";
    ok(
        dir,
        &[
            "--db",
            "site.db",
            "create",
            "patrol",
            "--field",
            &format!("title={title}"),
        ],
    );
    assert!(contains(
        &std::fs::read(dir.join("site.db")).unwrap(),
        b"SQLite format 3"
    ));
    ok(dir, &["--db", "site.db", "--key-file", "k1.key", "encrypt"]);
    let raw = std::fs::read(dir.join("site.db")).unwrap();
    assert!(!contains(&raw, title.as_bytes()) && !contains(&raw, b"SQLite format 3"));

    assert!(list_titles(dir, &["--key-file", "k1.key"]).contains(title));
    let hex = std::fs::read_to_string(dir.join("k1.key")).unwrap();
    let out = offgrid_env(
        dir,
        &["--db", "site.db", "list"],
        &[("OFFGRID_KEY", hex.trim())],
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(title));

    // No key, a wrong key, a malformed one, a key file others can read: clear errors.
    fails_with(offgrid(dir, &["--db", "site.db", "list"]), "--key-file");
    ok(dir, &["key", "new", "k2.key"]);
    fails_with(
        offgrid(dir, &["--db", "site.db", "--key-file", "k2.key", "list"]),
        "does not open",
    );
    fails_with(
        offgrid_env(dir, &["--db", "site.db", "list"], &[("OFFGRID_KEY", "abc")]),
        "OFFGRID_KEY",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::copy(dir.join("k1.key"), dir.join("open.key")).unwrap();
        std::fs::set_permissions(dir.join("open.key"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        fails_with(
            offgrid(dir, &["--db", "site.db", "--key-file", "open.key", "list"]),
            "make it 600",
        );
    }
    let before = std::fs::read(dir.join("site.db")).unwrap();
    assert_eq!(before, raw, "refusals changed nothing");

    // The key changed, then asked again as after a crash.
    ok(
        dir,
        &["--db", "site.db", "--key-file", "k1.key", "rekey", "k2.key"],
    );
    ok(
        dir,
        &["--db", "site.db", "--key-file", "k1.key", "rekey", "k2.key"],
    );
    fails_with(
        offgrid(dir, &["--db", "site.db", "--key-file", "k1.key", "list"]),
        "does not open",
    );
    assert!(list_titles(dir, &["--key-file", "k2.key"]).contains(title));
    fails_with(
        offgrid(dir, &["--db", "site.db", "rekey", "k1.key"]),
        "needs the current key",
    );
}
