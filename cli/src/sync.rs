//! `offgrid login` (once, online: the token and account are saved in the database) and
//! `offgrid sync` (push, pull, photos; `--status` shows the state without the network,
//! `--reconcile` repairs divergence first).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use clap::Args;
use offgrid_core::sync::{self, SyncOptions};

use crate::commands::{Ctx, open, open_existing};

#[derive(Args)]
pub(crate) struct LoginArgs {
    /// The server, e.g. http://127.0.0.1:8470
    pub server: String,
    /// User id on the server.
    #[arg(long = "as", value_name = "USER")]
    pub user: String,
    #[arg(long, env = "OFFGRID_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// A name for this device, shown when tokens are listed [default: the host name].
    #[arg(long)]
    pub device: Option<String>,
    /// Allow plain http:// to a server off this machine (a closed test network only: the
    /// password and the token cross in clear). Remembered by the store.
    #[arg(long)]
    pub insecure_http: bool,
}

pub(crate) fn login(ctx: &Ctx, a: LoginArgs) -> Result<()> {
    let store = open(&ctx.db, ctx.key.as_ref())?;
    if a.insecure_http {
        store.set_insecure_http_allowed(true)?;
    }
    let device = a
        .device
        .unwrap_or_else(|| std::env::var("HOSTNAME").unwrap_or_else(|_| "offgrid-cli".into()));
    let account =
        sync::login(&store, &a.server, &a.user, &a.password, &device).context("login failed")?;
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&account)?);
    } else {
        let roles: Vec<String> = account
            .roles
            .iter()
            .map(|r| format!("{} on {}", r.role.as_str(), r.project))
            .collect();
        println!(
            "logged in as {} ({}): {}",
            account.id,
            account.name,
            roles.join(", ")
        );
    }
    Ok(())
}

#[derive(Args)]
pub(crate) struct SyncArgs {
    /// Only print the sync status (no network).
    #[arg(long)]
    pub status: bool,
    /// Compare every record's heads with the server first and repair divergence.
    #[arg(long)]
    pub reconcile: bool,
    /// Do not download other devices' photos.
    #[arg(long)]
    pub no_photos: bool,
}

/// Runs `offgrid sync`. Returns whether everything is on the server: `false` (exit code 1)
/// while a record or a photo is still pending, so a script never takes a partial sync for done.
pub(crate) fn run(ctx: &Ctx, a: SyncArgs) -> Result<bool> {
    // A store syncs once logged in (`offgrid login` creates it): neither the status nor a sync
    // ever creates a database.
    let store = open_existing(&ctx.db, ctx.key.as_ref())?;
    if a.status {
        let s = store.sync_status()?;
        if ctx.json {
            println!("{}", serde_json::to_string_pretty(&s)?);
        } else {
            println!(
                "server {}  user {}  pending records {}  pending photos {}  last success {}  last error {}",
                s.server_url.as_deref().unwrap_or("-"),
                s.user_id.as_deref().unwrap_or("-"),
                s.pending_records,
                s.pending_photos,
                s.last_success_ms
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "never".into()),
                s.last_error.as_deref().unwrap_or("-"),
            );
            if !s.unverified.is_empty() {
                println!(
                    "missing here: records of {} the server holds did not arrive (run `offgrid sync` again)",
                    s.unverified.join(", ")
                );
            }
        }
        return Ok(true);
    }
    if let Some(account) = store.sync_account()? {
        store.set_user(sync::user_of(&account.account));
    }
    let cancel = Arc::new(AtomicBool::new(false));
    if a.reconcile {
        let r = sync::reconcile(&store, cancel.clone()).context("reconcile failed")?;
        eprintln!(
            "reconcile: server lacks {} record(s); pulling {} project(s) again",
            r.server_lacks.len(),
            r.pull_again.len()
        );
    }
    let options = SyncOptions {
        download_photos: !a.no_photos,
        ..SyncOptions::default()
    };
    let quiet = ctx.json;
    let report = sync::sync(
        &store,
        &options,
        &mut |p| {
            if !quiet {
                eprintln!(
                    "{:11} up {} records, down {} records, {} B up, {} B down, photos {}↑ {}↓",
                    p.phase,
                    p.records_up,
                    p.records_down,
                    p.bytes_up,
                    p.bytes_down,
                    p.photos_up,
                    p.photos_down
                );
            }
        },
        cancel,
    )
    .context("sync failed")?;
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for r in &report.rejected {
            println!("refused: {} ({}): {}", r.id, r.code, r.reason);
        }
        if report.repaired > 0 {
            println!(
                "repaired: {} record(s) the server holds were missing here and were fetched",
                report.repaired
            );
        }
        println!(
            "{}: {} round trip(s), {} record(s) up, {} down; pending {} record(s), {} photo(s)",
            if report.complete {
                "complete"
            } else {
                "incomplete"
            },
            report.progress.round_trips,
            report.progress.records_up,
            report.progress.records_down,
            report.pending_records,
            report.pending_photos
        );
    }
    if !report.complete {
        eprintln!(
            "sync incomplete: {} record(s) and {} photo(s) not on the server yet \
             (run `offgrid sync` again; `--status` shows what is pending)",
            report.pending_records, report.pending_photos
        );
        if !report.unverified.is_empty() {
            eprintln!(
                "sync incomplete: this device lacks records of {} the server holds",
                report.unverified.join(", ")
            );
        }
    }
    Ok(report.complete)
}
