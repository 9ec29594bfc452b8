//! What the sync server found when it checked a change of a patrol run (ADR 0008): the NTAG 424
//! SUN message of the scan it records ([`super::sun`]), the scan's verdict judged again from the
//! server's copies of the plan and the site ([`super::rejudge`]), and the device's clock against
//! the server's. A change's findings travel with its receipt (`checks` in the sync protocol,
//! names joined by commas) and are kept in `sync_receipts.server_check`.

/// A finding of the sync server on a change of a patrol run, known by its stable name
/// (`sun_valid`, `scan_disputed`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerCheck {
    /// The SUN MAC is the tag's and its counter was not seen before: a real tap.
    Valid,
    /// The SUN MAC does not match the tag's key: a forged or altered URL.
    Invalid,
    /// A counter value of this tag seen in an earlier scan: a copied URL (the second to reach
    /// the server is flagged).
    Replayed,
    /// The server holds no key for this tag: not verified.
    NoKey,
    /// The server judges the scan's checkpoint or whether it counts otherwise than the device
    /// did (a stale copy of the site on the phone, or a claim the facts do not bear).
    Disputed,
    /// The change was made, by the device's clock, more than [`CLOCK_SLACK_MS`] after the
    /// server received it: the device's clock runs ahead (or was set ahead).
    ClockAhead,
}

offgrid_common::named!(pub ServerCheck, "server check" {
    Valid => "sun_valid",
    Invalid => "sun_invalid",
    Replayed => "sun_replayed",
    NoKey => "sun_unverified",
    Disputed => "scan_disputed",
    ClockAhead => "clock_ahead",
});

/// How far a device's clock may run ahead of the server's receipt before a change is flagged
/// [`ServerCheck::ClockAhead`] (a device cannot record something after the server received it).
pub const CLOCK_SLACK_MS: i64 = 2 * 60_000;

impl ServerCheck {
    /// Whether a run's view flags it (everything but a valid tap).
    pub fn is_flag(self) -> bool {
        self != ServerCheck::Valid
    }
}

/// Findings as they travel and are kept: their names joined by commas, in [`ServerCheck::ALL`]'s
/// order, each once.
pub fn join(checks: &[ServerCheck]) -> String {
    ServerCheck::ALL
        .into_iter()
        .filter(|c| checks.contains(c))
        .map(ServerCheck::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// The findings in a joined text (names this version does not know are left out).
pub fn split(text: &str) -> Vec<ServerCheck> {
    text.split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_round_trip_their_names() {
        for c in ServerCheck::ALL {
            assert_eq!(c.as_str().parse::<ServerCheck>(), Ok(c));
        }
        assert!("valid".parse::<ServerCheck>().is_err());
        assert!(!ServerCheck::Valid.is_flag() && ServerCheck::Replayed.is_flag());
    }

    #[test]
    fn findings_join_in_one_order_and_split_back() {
        use ServerCheck::*;
        let joined = join(&[ClockAhead, NoKey, ClockAhead]);
        assert_eq!(joined, "sun_unverified,clock_ahead");
        assert_eq!(split(&joined), [NoKey, ClockAhead]);
        assert_eq!(split("sun_valid,from_a_later_server"), [Valid]);
        assert_eq!(join(&[]), "");
    }
}
