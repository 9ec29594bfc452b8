//! Judging one checkpoint scan of a patrol run: whether it **counts** for a checkpoint, and which
//! **flags** it raises. Run on the device when scanning and again on the server, from the same
//! facts, so both reach the same verdict.
//!
//! Only two things decide whether a scan counts: the tag was bound, at the scan's time, to a
//! checkpoint the run requires (of the run's site), and the checkpoint accepts the method used
//! (a manual check needs a photo). Everything else is a soft flag for the office, never a
//! refusal: a scan is evidence and is always kept, even of an unknown or foreign tag.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::schedule::Occurrence;
use crate::model::RecordId;
use crate::site::{CheckMethod, Checkpoint, TagBinding};

/// Scans closer than this (seconds, by the monotonic clock where both have one) at two
/// different checkpoints are flagged as too fast.
pub const MIN_SECONDS_BETWEEN_CHECKPOINTS: i64 = 20;
/// This many scans within a minute are flagged as a burst (tags carried together and read in
/// one go).
pub const BURST_SCANS_PER_MINUTE: usize = 5;

/// What a scan raised. Soft: a flagged scan is kept and may still count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanFlag {
    /// The tag was bound to no checkpoint at the scan's time (never bound, or unbound).
    UnknownTag,
    /// The tag belongs to another site.
    ForeignTag,
    /// The checkpoint is this site's but the plan does not require it.
    NotRequired,
    /// The checkpoint does not accept this method, or the tag was bound for another method, or
    /// a manual check came without a photo.
    MethodNotAllowed,
    /// Outside the task's window and grace (by the device's clock).
    OutOfWindow,
    /// Too soon after a scan at another checkpoint to have walked there.
    TooFast,
    /// One of many scans within a minute.
    Burst,
    /// Not the next checkpoint of a plan patrolled in sequence.
    OutOfOrder,
    /// The checkpoint was already covered in this run.
    Repeat,
}

offgrid_common::named!(pub ScanFlag, "scan flag" {
    UnknownTag => "unknown_tag",
    ForeignTag => "foreign_tag",
    NotRequired => "not_required",
    MethodNotAllowed => "method_not_allowed",
    OutOfWindow => "out_of_window",
    TooFast => "too_fast",
    Burst => "burst",
    OutOfOrder => "out_of_order",
    Repeat => "repeat",
});

/// What was presented at the checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub enum Presented<'a> {
    /// A tag (NFC or QR), with what it was bound to at the scan's time (`None`: nothing).
    Tag {
        /// How the tag was read (NFC or QR).
        method: CheckMethod,
        /// The tag's binding at the scan's time (`None`: bound to nothing).
        binding: Option<&'a TagBinding>,
    },
    /// No tag: the patroller chose the checkpoint and took photos on the spot.
    Manual {
        /// The id of the checkpoint the patroller chose.
        checkpoint: &'a str,
        /// How many photos were taken on the spot (a manual check needs one).
        photos: usize,
    },
}

/// An earlier scan of the same run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorScan {
    /// The checkpoint it counted for, if it did.
    pub checkpoint: Option<String>,
    /// When it was made, UTC ms by the device's clock.
    pub at_ms: i64,
    /// The monotonic clock's reading then (ms since boot; `None`: the platform has none).
    pub monotonic_ms: Option<i64>,
}

/// The run's side of a scan.
#[derive(Clone, Debug, PartialEq)]
pub struct RunContext<'a> {
    /// The run's site.
    pub site: &'a RecordId,
    /// The site's checkpoints as the plan version froze them.
    pub checkpoints: &'a [Checkpoint],
    /// The checkpoints the plan requires, in route order.
    pub required: &'a [String],
    /// The plan requires checkpoints to be scanned in route order.
    pub in_sequence: bool,
    /// The task's window, when the run is for a task.
    pub occurrence: Option<&'a Occurrence>,
    /// Earlier scans of this run, in the order they were made.
    pub prior: &'a [PriorScan],
}

/// The verdict on one scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanVerdict {
    /// The checkpoint the scan names (of this site), whether or not it counts.
    pub checkpoint: Option<String>,
    /// It covers `checkpoint` for the run.
    pub counts: bool,
    /// The soft flags the scan raised, each once (a flagged scan is kept and may still count).
    pub flags: Vec<ScanFlag>,
}

/// Judges a scan made at `at_ms` (device clock; `monotonic_ms` from a clock that does not jump
/// when the user changes the time, where the platform has one).
pub fn judge(
    run: &RunContext<'_>,
    presented: &Presented<'_>,
    at_ms: i64,
    monotonic_ms: Option<i64>,
) -> ScanVerdict {
    let mut flags = BTreeSet::new();
    let find = |id: &str| run.checkpoints.iter().find(|c| c.id == id);
    let (checkpoint, method_ok) = match presented {
        Presented::Tag { method, binding } => match binding {
            None => {
                flags.insert(ScanFlag::UnknownTag);
                (None, false)
            }
            Some(b) if &b.site != run.site => {
                flags.insert(ScanFlag::ForeignTag);
                (None, false)
            }
            Some(b) => {
                let accepts = find(&b.checkpoint).is_some_and(|c| c.methods.contains(method));
                (Some(b.checkpoint.clone()), accepts && b.method == *method)
            }
        },
        Presented::Manual { checkpoint, photos } => match find(checkpoint) {
            None => {
                flags.insert(ScanFlag::UnknownTag);
                (None, false)
            }
            Some(c) => (
                Some(c.id.clone()),
                c.methods.contains(&CheckMethod::ManualPhoto) && *photos > 0,
            ),
        },
    };
    let required = checkpoint
        .as_deref()
        .is_some_and(|c| run.required.iter().any(|r| r == c));
    if checkpoint.is_some() && !required {
        flags.insert(ScanFlag::NotRequired);
    }
    if checkpoint.is_some() && !method_ok {
        flags.insert(ScanFlag::MethodNotAllowed);
    }
    let counts = required && method_ok;

    if let Some(o) = run.occurrence
        && (at_ms < o.start_ms || at_ms >= o.grace_end_ms)
    {
        flags.insert(ScanFlag::OutOfWindow);
    }
    let covered: BTreeSet<&str> = run
        .prior
        .iter()
        .filter_map(|p| p.checkpoint.as_deref())
        .collect();
    if counts && let Some(c) = checkpoint.as_deref() {
        if covered.contains(c) {
            flags.insert(ScanFlag::Repeat);
        } else if run.in_sequence {
            let next = run.required.iter().find(|r| !covered.contains(r.as_str()));
            if next.is_some_and(|n| n != c) {
                flags.insert(ScanFlag::OutOfOrder);
            }
        }
    }
    // Time since the last scan: by the monotonic clock when both readings have one (a wall
    // clock can be set back), else by the device's clock.
    // A monotonic clock restarts with the phone: a negative gap falls back to the wall clock,
    // and a gap still negative (the clock was set back) flags nothing.
    let since = |p: &PriorScan| match (monotonic_ms, p.monotonic_ms) {
        (Some(now), Some(then)) if now >= then => now - then,
        _ => at_ms - p.at_ms,
    };
    if let Some(last) = run.prior.last()
        && last.checkpoint.is_some()
        && checkpoint.is_some()
        && last.checkpoint != checkpoint
        && (0..MIN_SECONDS_BETWEEN_CHECKPOINTS * 1000).contains(&since(last))
    {
        flags.insert(ScanFlag::TooFast);
    }
    let in_last_minute = run
        .prior
        .iter()
        .filter(|p| (0..60_000).contains(&since(p)))
        .count()
        + 1;
    if in_last_minute >= BURST_SCANS_PER_MINUTE {
        flags.insert(ScanFlag::Burst);
    }
    ScanVerdict {
        checkpoint,
        counts,
        flags: flags.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::CheckpointKind;

    fn cp(id: &str, methods: &[CheckMethod]) -> Checkpoint {
        Checkpoint {
            id: id.into(),
            name: id.into(),
            kind: CheckpointKind::Entrance,
            methods: methods.to_vec(),
            seq: 0,
            retired: false,
            tags: vec![],
        }
    }

    fn bound(site: &str, checkpoint: &str, method: CheckMethod) -> TagBinding {
        TagBinding {
            tag: "uid:04A1".into(),
            site: RecordId(site.into()),
            site_name: site.into(),
            checkpoint: checkpoint.into(),
            checkpoint_name: checkpoint.into(),
            method,
            bound_at_ms: 0,
            bound_by: "admin".into(),
        }
    }

    struct World {
        site: RecordId,
        checkpoints: Vec<Checkpoint>,
        required: Vec<String>,
        occurrence: Occurrence,
    }

    fn world() -> World {
        use CheckMethod::*;
        World {
            site: RecordId("s1".into()),
            checkpoints: vec![
                cp("gate", &[Nfc, Qr]),
                cp("door", &[Nfc]),
                cp("pump", &[ManualPhoto, Qr]),
                cp("roof", &[Qr]),
            ],
            required: vec!["gate".into(), "door".into(), "pump".into()],
            occurrence: Occurrence {
                start_ms: 1_000_000,
                end_ms: 5_000_000,
                grace_end_ms: 6_000_000,
                local_date: "1970-01-01".into(),
            },
        }
    }

    fn run<'a>(w: &'a World, prior: &'a [PriorScan], in_sequence: bool) -> RunContext<'a> {
        RunContext {
            site: &w.site,
            checkpoints: &w.checkpoints,
            required: &w.required,
            in_sequence,
            occurrence: Some(&w.occurrence),
            prior,
        }
    }

    fn prior(checkpoint: &str, at_ms: i64) -> PriorScan {
        PriorScan {
            checkpoint: Some(checkpoint.into()),
            at_ms,
            monotonic_ms: None,
        }
    }

    #[test]
    fn a_bound_tag_by_an_accepted_method_counts() {
        let w = world();
        let b = bound("s1", "gate", CheckMethod::Nfc);
        let tag = Presented::Tag {
            method: CheckMethod::Nfc,
            binding: Some(&b),
        };
        let v = judge(&run(&w, &[], false), &tag, 2_000_000, None);
        assert_eq!(v.checkpoint.as_deref(), Some("gate"));
        assert!(v.counts);
        assert!(v.flags.is_empty(), "{:?}", v.flags);
    }

    #[test]
    fn unknown_foreign_and_unrequired_tags_are_kept_and_flagged() {
        let w = world();
        let r = run(&w, &[], false);
        let unknown = judge(
            &r,
            &Presented::Tag {
                method: CheckMethod::Nfc,
                binding: None,
            },
            2_000_000,
            None,
        );
        assert!(!unknown.counts && unknown.flags == [ScanFlag::UnknownTag]);
        let other = bound("s2", "gate", CheckMethod::Nfc);
        let foreign = judge(
            &r,
            &Presented::Tag {
                method: CheckMethod::Nfc,
                binding: Some(&other),
            },
            2_000_000,
            None,
        );
        assert!(!foreign.counts && foreign.flags == [ScanFlag::ForeignTag]);
        let roof = bound("s1", "roof", CheckMethod::Qr);
        let extra = judge(
            &r,
            &Presented::Tag {
                method: CheckMethod::Qr,
                binding: Some(&roof),
            },
            2_000_000,
            None,
        );
        assert_eq!(extra.checkpoint.as_deref(), Some("roof"));
        assert!(!extra.counts && extra.flags == [ScanFlag::NotRequired]);
    }

    #[test]
    fn the_method_must_be_accepted_and_match_the_binding() {
        let w = world();
        let r = run(&w, &[], false);
        // The door takes NFC only; its tag read as a QR code does not count.
        let door = bound("s1", "door", CheckMethod::Nfc);
        let v = judge(
            &r,
            &Presented::Tag {
                method: CheckMethod::Qr,
                binding: Some(&door),
            },
            2_000_000,
            None,
        );
        assert!(!v.counts && v.flags == [ScanFlag::MethodNotAllowed]);
        // A manual check needs a photo and a checkpoint that accepts it.
        let manual = |checkpoint, photos| {
            judge(
                &r,
                &Presented::Manual { checkpoint, photos },
                2_000_000,
                None,
            )
        };
        assert!(manual("pump", 1).counts);
        assert_eq!(manual("pump", 0).flags, [ScanFlag::MethodNotAllowed]);
        assert_eq!(manual("door", 2).flags, [ScanFlag::MethodNotAllowed]);
        assert_eq!(manual("attic", 1).flags, [ScanFlag::UnknownTag]);
    }

    #[test]
    fn soft_flags_never_stop_a_scan_counting() {
        let w = world();
        let gate = bound("s1", "gate", CheckMethod::Nfc);
        let door = bound("s1", "door", CheckMethod::Nfc);
        let tag = |b| Presented::Tag {
            method: CheckMethod::Nfc,
            binding: Some(b),
        };
        // After the grace: counts, flagged.
        let late = judge(&run(&w, &[], false), &tag(&gate), 7_000_000, None);
        assert!(late.counts && late.flags == [ScanFlag::OutOfWindow]);
        // Ten seconds after the gate, at the door: too fast.
        let p = [prior("gate", 2_000_000)];
        let fast = judge(&run(&w, &p, false), &tag(&door), 2_010_000, None);
        assert!(fast.counts && fast.flags == [ScanFlag::TooFast]);
        // The monotonic clock wins over a wall clock set forward.
        let p = [PriorScan {
            monotonic_ms: Some(100_000),
            ..prior("gate", 2_000_000)
        }];
        let set_forward = judge(&run(&w, &p, false), &tag(&door), 2_600_000, Some(105_000));
        assert_eq!(set_forward.flags, [ScanFlag::TooFast]);
        // The gate again: a repeat.
        let p = [prior("gate", 2_000_000)];
        let again = judge(&run(&w, &p, false), &tag(&gate), 2_100_000, None);
        assert!(again.counts && again.flags == [ScanFlag::Repeat]);
        // In sequence, the door before the gate is out of order; free order does not care.
        let ordered = judge(&run(&w, &[], true), &tag(&door), 2_000_000, None);
        assert!(ordered.counts && ordered.flags == [ScanFlag::OutOfOrder]);
        assert!(
            judge(&run(&w, &[], false), &tag(&door), 2_000_000, None)
                .flags
                .is_empty()
        );
        // Five scans inside a minute: a burst (tags carried together).
        let p: Vec<PriorScan> = (0..4)
            .map(|i| prior("gate", 2_000_000 + i * 1_000))
            .collect();
        let burst = judge(&run(&w, &p, false), &tag(&gate), 2_030_000, None);
        assert!(burst.flags.contains(&ScanFlag::Burst));
        // After a reboot (monotonic clock restarted) the wall clock decides; a clock set back
        // flags nothing.
        let p = [PriorScan {
            monotonic_ms: Some(9_000_000),
            ..prior("gate", 2_000_000)
        }];
        let rebooted = judge(&run(&w, &p, false), &tag(&door), 2_300_000, Some(5_000));
        assert!(rebooted.flags.is_empty(), "{:?}", rebooted.flags);
        let p = [prior("gate", 2_000_000)];
        let set_back = judge(&run(&w, &p, false), &tag(&door), 1_990_000, None);
        assert!(set_back.flags.is_empty(), "{:?}", set_back.flags);
        // The grace is half-open: a scan at its very end is out of the window.
        let at_end = judge(&run(&w, &[], false), &tag(&gate), 6_000_000, None);
        assert_eq!(at_end.flags, [ScanFlag::OutOfWindow]);
    }
}
