//! Slowing password guessing: failed logins are counted per account and per client address;
//! past a few free failures each further attempt must wait twice as long as the one before
//! (429 with `Retry-After`), up to a ceiling, and no password is checked meanwhile (argon2 is
//! not spent on a flood either). Failures older than the window are forgotten. A success clears
//! the account's count, not the address's: one valid account must not launder guesses at
//! others from the same address.
//!
//! The counts are in memory, per server process: several processes sharing a PostgreSQL
//! database each limit on their own (the ceiling still holds per process). Behind a reverse
//! proxy every request comes from the proxy's address, so the per-address limit is the
//! proxy's; the per-account limit still applies.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limits (`Config::login_limits`).
#[derive(Clone, Debug)]
pub struct LoginLimits {
    /// Failures allowed per account before waiting starts.
    pub free_failures: u32,
    /// Failures allowed per address before waiting starts: more, since an office or a site
    /// behind one NAT address shares it among many people's typos.
    pub free_failures_per_address: u32,
    /// The first wait; each further failure doubles it.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
    /// Failures older than this (since the last one) are forgotten.
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            free_failures: 5,
            free_failures_per_address: 20,
            first_wait: Duration::from_secs(2),
            max_wait: Duration::from_secs(15 * 60),
            window: Duration::from_secs(60 * 60),
        }
    }
}

/// Most keys held per kind; past it the stalest are dropped (a flood of addresses cannot grow
/// memory without bound).
const MAX_KEYS: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Count {
    failures: u32,
    last: Instant,
    /// No attempt before this.
    until: Option<Instant>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key<'a> {
    Account(&'a str),
    Address(IpAddr),
}

#[derive(Default)]
struct Counts {
    accounts: HashMap<String, Count>,
    addresses: HashMap<IpAddr, Count>,
}

impl Counts {
    fn get(&self, key: Key<'_>) -> Option<&Count> {
        match key {
            Key::Account(a) => self.accounts.get(a),
            Key::Address(ip) => self.addresses.get(&ip),
        }
    }
}

/// Why a login must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    /// Whole seconds, at least 1 (`Retry-After`).
    pub retry_after_s: u64,
    /// `account` or `address`: which limit was hit (for logs and metrics).
    pub by: &'static str,
}

/// The failed logins counted per account and per address, in memory (see the module).
pub struct LoginThrottle {
    limits: LoginLimits,
    counts: Mutex<Counts>,
}

impl LoginThrottle {
    /// Nothing counted yet, slowing logins by `limits`.
    pub fn new(limits: LoginLimits) -> LoginThrottle {
        LoginThrottle {
            limits,
            counts: Mutex::new(Counts::default()),
        }
    }

    /// Whether an attempt for `account` from `address` may be checked now.
    pub fn check(&self, account: &str, address: IpAddr, now: Instant) -> Result<(), Throttled> {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        for (key, by) in [
            (Key::Account(account), "account"),
            (Key::Address(address), "address"),
        ] {
            if let Some(until) = counts.get(key).and_then(|c| c.until)
                && until > now
            {
                let wait = until - now;
                return Err(Throttled {
                    retry_after_s: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                    by,
                });
            }
        }
        Ok(())
    }

    /// Counts a failed attempt; returns the wait it imposed (the longer of the account's and the
    /// address's), if any.
    pub fn failed(&self, account: &str, address: IpAddr, now: Instant) -> Option<Duration> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let limits = &self.limits;
        let bump = |c: Option<Count>, free: u32| {
            let failures = match c {
                Some(c) if now.duration_since(c.last) < limits.window => c.failures + 1,
                _ => 1,
            };
            let until = (failures > free).then(|| {
                let doublings = (failures - free - 1).min(30);
                now + limits
                    .first_wait
                    .saturating_mul(1 << doublings)
                    .min(limits.max_wait)
            });
            Count {
                failures,
                last: now,
                until,
            }
        };
        let account_count = bump(counts.accounts.get(account).copied(), limits.free_failures);
        let address_count = bump(
            counts.addresses.get(&address).copied(),
            limits.free_failures_per_address,
        );
        counts.accounts.insert(account.to_owned(), account_count);
        counts.addresses.insert(address, address_count);
        prune(&mut counts.accounts, now, limits.window);
        prune(&mut counts.addresses, now, limits.window);
        [account_count.until, address_count.until]
            .into_iter()
            .flatten()
            .max()
            .map(|u| u - now)
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn succeeded(&self, account: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.accounts.remove(account);
    }
}

/// Drops forgotten counts once the map is full, then the stalest if still full.
fn prune<K: Clone + Eq + std::hash::Hash>(
    map: &mut HashMap<K, Count>,
    now: Instant,
    window: Duration,
) {
    if map.len() <= MAX_KEYS {
        return;
    }
    map.retain(|_, c| now.duration_since(c.last) < window || c.until.is_some_and(|u| u > now));
    if map.len() > MAX_KEYS {
        let mut by_age: Vec<(K, Instant)> = map.iter().map(|(k, c)| (k.clone(), c.last)).collect();
        by_age.sort_by_key(|(_, last)| *last);
        for (k, _) in by_age.into_iter().take(map.len() - MAX_KEYS) {
            map.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> LoginLimits {
        LoginLimits {
            free_failures: 3,
            free_failures_per_address: 3,
            first_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(8),
            window: Duration::from_secs(60),
        }
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn free_failures_then_doubling_waits_up_to_the_ceiling() {
        let t = LoginThrottle::new(limits());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(t.check("wang", A, t0).is_ok());
            assert_eq!(t.failed("wang", A, t0), None);
        }
        let waits: Vec<Option<Duration>> = (0..6).map(|_| t.failed("wang", A, t0)).collect();
        let s = Duration::from_secs;
        assert_eq!(
            waits,
            vec![
                Some(s(1)),
                Some(s(2)),
                Some(s(4)),
                Some(s(8)),
                Some(s(8)),
                Some(s(8))
            ]
        );
        let e = t.check("wang", A, t0).unwrap_err();
        assert_eq!((e.retry_after_s, e.by), (8, "account"));
        assert!(t.check("wang", A, t0 + s(8)).is_ok(), "the wait is over");
    }

    #[test]
    fn one_address_guessing_many_accounts_is_slowed() {
        let t = LoginThrottle::new(limits());
        let t0 = Instant::now();
        for n in 0..4 {
            t.failed(&format!("user{n}"), A, t0);
        }
        let e = t.check("someone-else", A, t0).unwrap_err();
        assert_eq!(e.by, "address");
        assert!(
            t.check("someone-else", B, t0).is_ok(),
            "other addresses are not"
        );
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let t = LoginThrottle::new(limits());
        let t0 = Instant::now();
        for _ in 0..4 {
            t.failed("wang", A, t0);
        }
        t.succeeded("wang");
        assert!(t.check("wang", B, t0).is_ok());
        assert_eq!(t.check("wang", A, t0).unwrap_err().by, "address");
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let t = LoginThrottle::new(limits());
        let t0 = Instant::now();
        for _ in 0..3 {
            t.failed("wang", A, t0);
        }
        let later = t0 + Duration::from_secs(61);
        assert_eq!(t.failed("wang", A, later), None, "counting starts again");
    }
}
