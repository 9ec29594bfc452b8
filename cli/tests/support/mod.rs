//! Test support: running the binary, and a sync server in a child process (`offgrid serve`, so it can be SIGKILLed and
//! restarted on the same port and data).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value as Json;

pub(crate) fn offgrid() -> Command {
    Command::new(env!("CARGO_BIN_EXE_offgrid"))
}

/// Runs the binary in `dir` with no `OFFGRID_*` identity or log level from the environment.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    run_env(dir, args, &[])
}

/// [`run`] with the given `OFFGRID_*` variables set.
pub(crate) fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = offgrid();
    cmd.args(args)
        .current_dir(dir)
        .env_remove("OFFGRID_USER")
        .env_remove("OFFGRID_USER_NAME")
        .env_remove("OFFGRID_ROLE")
        .env_remove("OFFGRID_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the offgrid binary runs")
}

/// Runs a command that must succeed; returns its stdout.
pub(crate) fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "offgrid {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Runs a command that must succeed and print JSON; returns it.
pub(crate) fn json(dir: &Path, args: &[&str]) -> Json {
    let text = ok(dir, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("offgrid {args:?}: {e}\n{text}"))
}

/// `offgrid admin` on the data folder; panics on failure.
pub(crate) fn admin(data: &Path, args: &[&str]) {
    let out = offgrid()
        .arg("admin")
        .arg("--data")
        .arg(data)
        .args(args)
        .env("OFFGRID_PASSWORD", "correct horse")
        .output()
        .expect("run offgrid admin");
    assert!(
        out.status.success(),
        "offgrid admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `offgrid serve` as a child process.
pub(crate) struct ServerProcess {
    pub data: PathBuf,
    pub addr: SocketAddr,
    child: Option<Child>,
}

impl ServerProcess {
    /// Starts on `addr` (port 0: any) and waits until it listens.
    pub(crate) fn start(data: &Path, addr: &str) -> ServerProcess {
        let mut child = offgrid()
            .args(["serve", "--workers", "2", "--addr", addr, "--data"])
            .arg(data)
            .env("OFFGRID_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn offgrid serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the address");
        let addr: SocketAddr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .parse()
            .expect("address");
        ServerProcess {
            data: data.to_owned(),
            addr,
            child: Some(child),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no graceful shutdown, no flush.
    pub(crate) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Killed, then started again on the same port and data.
    pub(crate) fn restart(&mut self) {
        self.kill();
        let addr = self.addr.to_string();
        for _ in 0..50 {
            let started = std::panic::catch_unwind(|| ServerProcess::start(&self.data, &addr));
            if let Ok(mut s) = started {
                self.child = s.child.take();
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("server did not restart on {addr}");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

impl ServerProcess {
    /// A handle with no process (a placeholder while the real one restarts elsewhere).
    pub(crate) fn detached() -> ServerProcess {
        ServerProcess {
            data: PathBuf::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            child: None,
        }
    }
}
