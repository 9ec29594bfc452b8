//! The demo's link to its sync server: a real server on loopback (in this process, SQLite in
//! the demo folder) reached through a flaky link (the fault-injecting proxy drops, duplicates,
//! delays and truncates requests and responses). Each device logs in once, then syncs in turns;
//! afterwards every device must hold exactly the same records.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use offgrid_core::sync::{self, RetryPolicy, SyncOptions};
use offgrid_core::{ListQuery, RecordId, Role};
use offgrid_server::{App, Config, RunningServer, accounts};
use offgrid_testkit::flaky::Proxy;
use serde::Serialize;

use super::Device;

/// Percent of requests the link damages.
pub(super) const FAULT_PERCENT: u64 = 30;
const PASSWORD: &str = "demo-password";

/// The server, the flaky link in front of it.
pub(super) struct Link {
    pub server: RunningServer,
    pub proxy: Proxy,
}

/// What one device's sync did.
#[derive(Serialize)]
pub(crate) struct Transfer {
    pub device: &'static str,
    pub when: &'static str,
    pub round_trips: u64,
    pub records_up: u64,
    pub records_down: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub complete: bool,
}

/// The link's report: where the server ran and what the network did to the syncs.
#[derive(Serialize)]
pub(crate) struct LinkReport {
    pub server: String,
    pub fault_percent: u64,
    pub requests_forwarded: u64,
    pub faults_injected: u64,
}

impl Link {
    /// Starts a server with the demo's project and people, and the flaky link to it.
    pub(super) fn start(
        dir: &Path,
        project: &RecordId,
        people: &[(&str, &str, Role)],
    ) -> Result<Link> {
        let app = App::open(Config::new(dir.join("server")))?;
        let b = app.backend.as_ref();
        accounts::add_project(b, project.as_str(), "滨江花园人防工程")?;
        for (id, name, role) in people {
            accounts::add_user(b, id, name, PASSWORD)?;
            accounts::set_member(b, project.as_str(), id, Some(*role))?;
        }
        let server = RunningServer::start(app, "127.0.0.1:0".parse()?, 2)?;
        let proxy = Proxy::start(server.addr, 2025, FAULT_PERCENT)?;
        Ok(Link { server, proxy })
    }

    /// Logs the device in (in the site office, on a good link) and points it at the flaky one.
    pub(super) fn login(&self, d: &Device) -> Result<()> {
        self.login_as(d, &d.user.id)
    }

    /// Signs device `d` in as `user` (a shared tablet changing hands).
    pub(super) fn login_as(&self, d: &Device, user: &str) -> Result<()> {
        sync::login(&d.store, &self.server.url(), user, PASSWORD, d.label)
            .with_context(|| format!("device {} cannot log in", d.label))?;
        let mut account = d.store.sync_account()?.context("no account saved")?;
        account.server_url = self.proxy.url();
        d.store.set_sync_account(&account)?;
        Ok(())
    }

    /// One sync of the device over the flaky link, retried until complete.
    pub(super) fn sync(&self, d: &Device, when: &'static str) -> Result<Transfer> {
        let options = SyncOptions {
            retry: RetryPolicy {
                attempts: 10,
                first_backoff: Duration::from_millis(20),
                max_backoff: Duration::from_millis(500),
                timeout: Duration::from_secs(20),
            },
            ..SyncOptions::default()
        };
        let mut last = None;
        for _ in 0..5 {
            match sync::sync(
                &d.store,
                &options,
                &mut |_| {},
                Arc::new(AtomicBool::new(false)),
            ) {
                Ok(r) if r.complete => {
                    return Ok(Transfer {
                        device: d.label,
                        when,
                        round_trips: r.progress.round_trips,
                        records_up: r.progress.records_up,
                        records_down: r.progress.records_down,
                        bytes_up: r.progress.bytes_up,
                        bytes_down: r.progress.bytes_down,
                        complete: true,
                    });
                }
                Ok(r) => last = Some(format!("incomplete: {r:?}")),
                Err(e) => last = Some(e.to_string()),
            }
        }
        anyhow::bail!(
            "device {} could not sync: {}",
            d.label,
            last.unwrap_or_default()
        )
    }

    pub(super) fn report(&self) -> LinkReport {
        let c = &self.proxy.counts;
        LinkReport {
            server: self.server.url(),
            fault_percent: FAULT_PERCENT,
            requests_forwarded: c.forwarded.load(Ordering::Relaxed),
            faults_injected: c.faults(),
        }
    }
}

/// Fails unless both devices list the same records with the same heads and the same JSON.
/// Returns how many records were compared.
pub(super) fn assert_identical(a: &Device, b: &Device) -> Result<usize> {
    let ids = |d: &Device| -> Result<BTreeSet<RecordId>> {
        Ok(d.store
            .list(&ListQuery::default())?
            .into_iter()
            .map(|r| r.id)
            .collect())
    };
    let (ids_a, ids_b) = (ids(a)?, ids(b)?);
    ensure!(
        ids_a == ids_b,
        "devices {} and {} hold different records",
        a.label,
        b.label
    );
    for id in &ids_a {
        let sorted = |d: &Device| -> Result<Vec<String>> {
            let mut heads = d.store.heads(id)?;
            heads.sort();
            Ok(heads)
        };
        ensure!(sorted(a)? == sorted(b)?, "record {id} has different heads");
        ensure!(
            a.store.get(id)? == b.store.get(id)?,
            "record {id} differs between devices {} and {}",
            a.label,
            b.label
        );
    }
    Ok(ids_a.len())
}
