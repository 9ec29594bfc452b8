//! Encryption keys on the desktop (ADR 0012): where the key of `--db` comes from (`--key-file`,
//! else `$OFFGRID_KEY`), and the commands that make a key file, encrypt a plain database and
//! change a database's key.

use std::path::Path;

use anyhow::{Context, Result, bail};
use offgrid_core::StoreKey;

use crate::commands::Ctx;

/// The environment variable holding a key as 64 hexadecimal digits.
pub(crate) const KEY_ENV: &str = "OFFGRID_KEY";

/// The key `--key-file` names, else `$OFFGRID_KEY`, else none (the database is not encrypted).
pub(crate) fn resolve(key_file: Option<&Path>) -> Result<Option<StoreKey>> {
    if let Some(path) = key_file {
        return StoreKey::from_file(path)
            .map(Some)
            .with_context(|| format!("cannot read the key file {}", path.display()));
    }
    match std::env::var(KEY_ENV) {
        Ok(hex) if !hex.trim().is_empty() => StoreKey::from_hex(&hex)
            .map(Some)
            .with_context(|| format!("${KEY_ENV} is not a store key")),
        _ => Ok(None),
    }
}

/// `offgrid key new FILE`.
pub(crate) fn new_file(file: &Path, json: bool) -> Result<()> {
    StoreKey::generate()
        .write_new_file(file)
        .with_context(|| format!("cannot write the key file {}", file.display()))?;
    if json {
        println!("{}", serde_json::json!({"key_file": file}));
    } else {
        println!(
            "wrote a new key to {} (mode 600): keep a copy somewhere safe; without it the \
             database cannot be read",
            file.display()
        );
    }
    Ok(())
}

/// `offgrid encrypt`: opens `--db` with the key, which encrypts a plain database in place.
pub(crate) fn encrypt(ctx: &Ctx) -> Result<()> {
    if ctx.key.is_none() {
        bail!("encrypt needs a key: --key-file PATH or ${KEY_ENV}");
    }
    let store = ctx.open_existing()?;
    debug_assert!(store.is_encrypted());
    println!("{} is encrypted, with its photos", ctx.db.display());
    Ok(())
}

/// `offgrid rekey NEW_KEY_FILE`.
pub(crate) fn rekey(ctx: &Ctx, new_key_file: &Path) -> Result<()> {
    let Some(old) = &ctx.key else {
        bail!("rekey needs the current key: --key-file PATH or ${KEY_ENV}");
    };
    let new = StoreKey::from_file(new_key_file)
        .with_context(|| format!("cannot read the key file {}", new_key_file.display()))?;
    offgrid_core::store::rekey(&ctx.db, old, &new)
        .with_context(|| format!("cannot change the key of {}", ctx.db.display()))?;
    println!(
        "{} now opens with the key in {}",
        ctx.db.display(),
        new_key_file.display()
    );
    Ok(())
}
