//! Which panics are crashes. A panic that escapes a target's body always is. The server also
//! catches panics on purpose where it hands hostile bytes to automerge (parsing, applying,
//! loading a change: `offgrid_core::doc::limits`, `offgrid_server::gate`), and the write gate
//! runs the core's rules inside one: a panic caught there is a refusal for the client, but
//! one raised in the project's own code is still a bug (a rule that cannot judge a record),
//! while one raised inside a dependency is the dependency's, already contained.
//!
//! [`watch`] installs a panic hook that tells them apart by where the panic was raised: in a
//! crate from a registry or a git checkout (a dependency), it is noted once per location on
//! stderr and the run goes on (the list goes to `docs/benchmarks.md` and upstream); anywhere
//! else (the project's code, or the standard library on its behalf) it is a crash, caught or
//! not: the fuzzer aborts on the spot, with the stack intact; the corpus replay fails.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

/// What a panic in the project's own code does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnOwnPanic {
    /// Abort the process (the fuzzer records the input as a crash).
    Abort,
    /// Note it for [`take_own_panic`] on this thread (the corpus replay).
    Record,
}

static MODE: OnceLock<OnOwnPanic> = OnceLock::new();
static NOTED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

thread_local! {
    static OWN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the hook (once per process; the first mode stays).
pub fn watch(mode: OnOwnPanic) {
    if MODE.set(mode).is_err() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map_or_else(|| "an unknown place".to_owned(), |l| l.to_string());
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let file = info.location().map_or("", |l| l.file());
        let dependency = file.contains("/registry/src/") || file.contains("/git/checkouts/");
        if dependency {
            let mut noted = NOTED.lock().unwrap_or_else(|e| e.into_inner());
            if noted.insert(location.clone()) {
                eprintln!(
                    "panic in a dependency (noted once) at {location}: {message}\n{}",
                    std::backtrace::Backtrace::capture()
                );
            }
            return;
        }
        eprintln!(
            "panic at {location}: {message}\n{}",
            std::backtrace::Backtrace::capture()
        );
        match MODE.get() {
            Some(OnOwnPanic::Record) => {
                OWN.with(|o| {
                    o.borrow_mut()
                        .get_or_insert_with(|| format!("{location}: {message}"));
                });
            }
            _ => std::process::abort(),
        }
    }));
}

/// The first panic raised in the project's own code on this thread since the last call, if
/// any (caught or not).
pub fn take_own_panic() -> Option<String> {
    OWN.with(|o| o.borrow_mut().take())
}
