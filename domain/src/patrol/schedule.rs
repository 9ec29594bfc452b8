//! When a plan's patrols happen: a recurrence (daily, on weekdays, on days of the month), one or
//! more windows a day in local time, a grace after each window, and the zone as a fixed offset
//! from UTC (+08:00 unless the plan says otherwise; China keeps no daylight saving time, so an
//! offset is the whole zone). A window may run past midnight: it belongs to the day it starts.
//!
//! A plan changes by versions: a version is in force from its `effective_from_ms`, so an edit
//! applies from the next occurrence and never rewrites the tasks before it ([`occurrences_of`]).
//!
//! Everything here is arithmetic on integers (milliseconds since the Unix epoch and civil
//! dates), so every device and the server derive the same occurrences offline.

use serde::{Deserialize, Serialize};

use crate::civil::{civil_from_days, iso_weekday};
use crate::error::{Error, Result};

const MINUTE_MS: i64 = 60_000;
const DAY_MINUTES: i64 = 24 * 60;
const DAY_MS: i64 = DAY_MINUTES * MINUTE_MS;

/// The offset of China Standard Time, the default zone.
pub const DEFAULT_UTC_OFFSET_MINUTES: i32 = 8 * 60;

/// On which local days a plan's windows open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "every", rename_all = "snake_case")]
pub enum Recurrence {
    /// Every day.
    Day,
    /// On these ISO weekdays (1 = Monday … 7 = Sunday).
    Week {
        /// ISO weekday numbers, 1 = Monday … 7 = Sunday.
        days: Vec<u8>,
    },
    /// On these days of the month (1–31); a day a month lacks (31 in April) is skipped.
    Month {
        /// Days of the month, 1–31.
        days: Vec<u8>,
    },
}

/// When a plan's patrols are due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// On which local days the windows open.
    pub recurrence: Recurrence,
    /// Local start times of the day's windows, minutes after midnight (0–1439), e.g. `[540]`
    /// for 09:00, `[540, 1260]` for 09:00 and 21:00.
    pub starts: Vec<u16>,
    /// Length of each window in minutes (1 to a day). A window starting at 22:00 for 480
    /// minutes ends at 06:00 the next day.
    pub window_minutes: u32,
    /// Minutes after a window's end in which a patrol still counts, as late.
    #[serde(default)]
    pub grace_minutes: u32,
    /// The zone of the local times, minutes east of UTC (+08:00 is 480).
    #[serde(default = "default_offset")]
    pub utc_offset_minutes: i32,
}

fn default_offset() -> i32 {
    DEFAULT_UTC_OFFSET_MINUTES
}

/// One window of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// The window opens (UTC ms).
    pub start_ms: i64,
    /// The window closes (UTC ms).
    pub end_ms: i64,
    /// The grace after the window ends (UTC ms): a patrol finished by then is late, not missed.
    pub grace_end_ms: i64,
    /// The local day the window opens on, `YYYY-MM-DD` in the plan's zone.
    pub local_date: String,
}

impl Schedule {
    /// Daily at `start` (local minutes) for `window_minutes`, at +08:00, no grace.
    pub fn daily(start: u16, window_minutes: u32) -> Schedule {
        Schedule {
            recurrence: Recurrence::Day,
            starts: vec![start],
            window_minutes,
            grace_minutes: 0,
            utc_offset_minutes: DEFAULT_UTC_OFFSET_MINUTES,
        }
    }

    /// Refuses schedules that make no sense or would make windows of one plan overlap.
    pub fn validate(&self) -> Result<()> {
        let bad = |path: &str, reason: String| {
            Err(Error::InvalidValue {
                path: format!("/schedule/{path}"),
                reason,
            })
        };
        match &self.recurrence {
            Recurrence::Day => {}
            Recurrence::Week { days } => {
                if days.is_empty() || days.iter().any(|d| !(1..=7).contains(d)) {
                    return bad(
                        "recurrence/days",
                        "weekdays are 1 (Monday) to 7 (Sunday), at least one".into(),
                    );
                }
            }
            Recurrence::Month { days } => {
                if days.is_empty() || days.iter().any(|d| !(1..=31).contains(d)) {
                    return bad(
                        "recurrence/days",
                        "days of the month are 1 to 31, at least one".into(),
                    );
                }
            }
        }
        if self.starts.is_empty() || self.starts.iter().any(|s| i64::from(*s) >= DAY_MINUTES) {
            return bad(
                "starts",
                "at least one start, minutes after midnight below 1440".into(),
            );
        }
        if self.window_minutes == 0 || i64::from(self.window_minutes) > DAY_MINUTES {
            return bad("window_minutes", "from 1 minute to one day".into());
        }
        if i64::from(self.grace_minutes) > DAY_MINUTES {
            return bad("grace_minutes", "at most one day".into());
        }
        if !(-12 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return bad(
                "utc_offset_minutes",
                "an offset from UTC between -12:00 and +14:00".into(),
            );
        }
        // Windows of one day, and the last one against the next day's first, must not overlap.
        let mut starts: Vec<i64> = self.starts.iter().map(|s| i64::from(*s)).collect();
        starts.sort_unstable();
        starts.dedup();
        if starts.len() != self.starts.len() {
            return bad("starts", "the same start twice".into());
        }
        // A window is open until its grace ends: two tasks of one plan are never open together.
        let span = i64::from(self.window_minutes) + i64::from(self.grace_minutes);
        for (i, s) in starts.iter().enumerate() {
            let next = starts
                .get(i + 1)
                .copied()
                .unwrap_or(starts[0] + DAY_MINUTES);
            if s + span > next {
                return bad(
                    "starts",
                    format!("the window opening at {} overlaps the next one", hhmm(*s)),
                );
            }
        }
        Ok(())
    }

    /// Windows of this schedule that are open at some time in `[from_ms, to_ms)` (counting the
    /// grace), in time order.
    pub fn occurrences(&self, from_ms: i64, to_ms: i64) -> Vec<Occurrence> {
        let mut out = Vec::new();
        if to_ms <= from_ms {
            return out;
        }
        let offset_ms = i64::from(self.utc_offset_minutes) * MINUTE_MS;
        let reach_ms = (i64::from(self.window_minutes) + i64::from(self.grace_minutes)) * MINUTE_MS;
        // Local days whose windows can reach into the range: from the day a window opening
        // `reach` before `from` starts on, to the day of `to`.
        let first_day = from_ms
            .saturating_add(offset_ms)
            .saturating_sub(reach_ms)
            .div_euclid(DAY_MS);
        let last_day = to_ms.saturating_add(offset_ms).div_euclid(DAY_MS);
        let mut starts = self.starts.clone();
        starts.sort_unstable();
        for day in first_day..=last_day {
            let (y, m, d) = civil_from_days(day);
            if !self.opens_on(day, d) {
                continue;
            }
            for s in &starts {
                let start_ms = day * DAY_MS + i64::from(*s) * MINUTE_MS - offset_ms;
                let end_ms = start_ms + i64::from(self.window_minutes) * MINUTE_MS;
                let grace_end_ms = end_ms + i64::from(self.grace_minutes) * MINUTE_MS;
                if grace_end_ms > from_ms && start_ms < to_ms {
                    out.push(Occurrence {
                        start_ms,
                        end_ms,
                        grace_end_ms,
                        local_date: format!("{y:04}-{m:02}-{d:02}"),
                    });
                }
            }
        }
        out
    }

    fn opens_on(&self, day: i64, day_of_month: u32) -> bool {
        match &self.recurrence {
            Recurrence::Day => true,
            Recurrence::Week { days } => days.contains(&iso_weekday(day)),
            Recurrence::Month { days } => days.iter().any(|d| u32::from(*d) == day_of_month),
        }
    }
}

/// A version of a plan's schedule and when it came into force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned<'a> {
    /// The version number.
    pub version: u32,
    /// In force for occurrences opening at or after this time (UTC ms).
    pub effective_from_ms: i64,
    /// The version's schedule.
    pub schedule: &'a Schedule,
}

/// The occurrences of a plan with several versions, each under the version in force when it
/// opens (the version with the latest `effective_from_ms` not after its start). An edit thus
/// applies from the next occurrence; an occurrence that opened before the edit keeps its
/// version. Returned as (version, occurrence), in time order.
pub fn occurrences_of(
    versions: &[Versioned<'_>],
    from_ms: i64,
    to_ms: i64,
) -> Vec<(u32, Occurrence)> {
    let mut sorted: Vec<&Versioned<'_>> = versions.iter().collect();
    sorted.sort_by_key(|v| (v.effective_from_ms, v.version));
    let mut out = Vec::new();
    for (i, v) in sorted.iter().enumerate() {
        let until = sorted
            .get(i + 1)
            .map(|n| n.effective_from_ms)
            .unwrap_or(i64::MAX);
        out.extend(
            v.schedule
                .occurrences(from_ms, to_ms)
                .into_iter()
                .filter(|o| o.start_ms >= v.effective_from_ms && o.start_ms < until)
                .map(|o| (v.version, o)),
        );
    }
    out.sort_by_key(|(_, o)| o.start_ms);
    out
}

/// `HH:MM` → minutes after midnight.
pub fn parse_hhmm(s: &str) -> Result<u16> {
    let bad = || Error::InvalidArgument(format!("{s:?} is not a time of day (HH:MM)"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::days_from_civil;

    /// UTC ms of a local time at +08:00.
    fn cst(y: i64, m: u32, d: u32, hh: i64, mm: i64) -> i64 {
        let day = days_from_civil(y, m, d);
        day * DAY_MS + (hh * 60 + mm) * MINUTE_MS - 8 * 60 * MINUTE_MS
    }

    #[test]
    fn a_daily_window_is_in_local_time() {
        let s = Schedule::daily(parse_hhmm("09:00").unwrap(), 120);
        let day = cst(2026, 12, 2, 0, 0);
        let o = s.occurrences(day, day + DAY_MS);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].start_ms, cst(2026, 12, 2, 9, 0));
        assert_eq!(o[0].end_ms, cst(2026, 12, 2, 11, 0));
        assert_eq!(o[0].local_date, "2026-12-02");
        // 09:00 at +08:00 is 01:00 UTC.
        assert_eq!(o[0].start_ms.rem_euclid(DAY_MS), 60 * MINUTE_MS);
    }

    #[test]
    fn an_overnight_window_belongs_to_the_day_it_opens() {
        let mut s = Schedule::daily(parse_hhmm("22:00").unwrap(), 8 * 60);
        s.grace_minutes = 30;
        // At 03:00 on the 3rd, the window open is the one of the 2nd.
        let at = cst(2026, 12, 3, 3, 0);
        let open = s.occurrences(at, at + 1);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].local_date, "2026-12-02");
        assert_eq!(open[0].end_ms, cst(2026, 12, 3, 6, 0));
        assert_eq!(open[0].grace_end_ms, cst(2026, 12, 3, 6, 30));
        // At 06:15 it is still in its grace; at 06:31 nothing is open.
        assert_eq!(
            s.occurrences(cst(2026, 12, 3, 6, 15), cst(2026, 12, 3, 6, 16))
                .len(),
            1
        );
        assert!(
            s.occurrences(cst(2026, 12, 3, 6, 31), cst(2026, 12, 3, 6, 32))
                .is_empty()
        );
    }

    #[test]
    fn the_same_schedule_in_another_zone_moves_in_utc() {
        let mut s = Schedule::daily(parse_hhmm("09:00").unwrap(), 60);
        let day = cst(2026, 12, 2, 0, 0);
        let at8 = s.occurrences(day, day + DAY_MS)[0].start_ms;
        s.utc_offset_minutes = 5 * 60 + 30; // +05:30
        let o = s.occurrences(day - DAY_MS, day + 2 * DAY_MS);
        assert!(o.iter().any(|o| o.start_ms == at8 + 150 * MINUTE_MS));
        s.utc_offset_minutes = -5 * 60; // −05:00: 09:00 there is 22:00 at +08:00
        let o = s.occurrences(day, day + DAY_MS);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].start_ms, cst(2026, 12, 2, 22, 0));
        assert_eq!(o[0].local_date, "2026-12-02");
    }

    #[test]
    fn weekly_and_monthly_days() {
        // 2026-12-07 is a Monday.
        let week = Schedule {
            recurrence: Recurrence::Week {
                days: vec![1, 3, 5],
            },
            ..Schedule::daily(600, 60)
        };
        let from = cst(2026, 12, 7, 0, 0);
        let dates: Vec<String> = week
            .occurrences(from, from + 7 * DAY_MS)
            .into_iter()
            .map(|o| o.local_date)
            .collect();
        assert_eq!(dates, ["2026-12-07", "2026-12-09", "2026-12-11"]);
        let month = Schedule {
            recurrence: Recurrence::Month { days: vec![1, 31] },
            ..Schedule::daily(600, 60)
        };
        let from = cst(2027, 1, 1, 0, 0);
        let to = cst(2027, 5, 1, 0, 0);
        let dates: Vec<String> = month
            .occurrences(from, to)
            .into_iter()
            .map(|o| o.local_date)
            .collect();
        assert_eq!(
            dates,
            [
                "2027-01-01",
                "2027-01-31",
                "2027-02-01",
                "2027-03-01",
                "2027-03-31",
                "2027-04-01"
            ],
            "a month without a 31st has no window that day"
        );
    }

    #[test]
    fn several_windows_a_day_in_order_and_never_overlapping() {
        let s = Schedule {
            starts: vec![21 * 60, 9 * 60],
            ..Schedule::daily(0, 120)
        };
        s.validate().unwrap();
        let day = cst(2026, 12, 2, 0, 0);
        let o = s.occurrences(day, day + DAY_MS);
        assert_eq!(o.len(), 2);
        assert!(o[0].start_ms < o[1].start_ms);
        let overlapping = Schedule {
            starts: vec![9 * 60, 10 * 60],
            ..Schedule::daily(0, 120)
        };
        assert!(overlapping.validate().is_err());
        // A grace that runs into the next window is an overlap too.
        let grace_into_next = Schedule {
            starts: vec![9 * 60, 11 * 60],
            grace_minutes: 30,
            ..Schedule::daily(0, 120)
        };
        assert!(grace_into_next.validate().is_err());
        // 22:00 for four hours runs into the next day's 01:00 window.
        let wrapping = Schedule {
            starts: vec![60, 22 * 60],
            ..Schedule::daily(0, 240)
        };
        assert!(wrapping.validate().is_err());
        for bad in [
            Schedule {
                window_minutes: 0,
                ..Schedule::daily(0, 1)
            },
            Schedule {
                starts: vec![],
                ..Schedule::daily(0, 1)
            },
            Schedule {
                starts: vec![1440],
                ..Schedule::daily(0, 1)
            },
            Schedule {
                recurrence: Recurrence::Week { days: vec![0] },
                ..Schedule::daily(0, 1)
            },
            Schedule {
                recurrence: Recurrence::Month { days: vec![32] },
                ..Schedule::daily(0, 1)
            },
            Schedule {
                utc_offset_minutes: 15 * 60,
                ..Schedule::daily(0, 1)
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert!(parse_hhmm("24:00").is_err() && parse_hhmm("9").is_err());
        assert_eq!(parse_hhmm(" 07:05 ").unwrap(), 425);
    }

    proptest::proptest! {
        /// Asked day by day or for the whole range, the same windows come back, each open in
        /// the range asked for, each opening at its local start time on a day the recurrence
        /// names, whatever the zone.
        #[test]
        fn occurrences_are_exact_and_complete(
            offset in -12 * 60i32..=14 * 60,
            start in 0u16..1440,
            window in 1u32..=1260,
            grace in 0u32..=180,
            weekdays in proptest::collection::btree_set(1u8..=7, 1..7),
            from in 1_700_000_000_000i64..1_900_000_000_000,
            days in 1i64..20,
        ) {
            let s = Schedule {
                recurrence: Recurrence::Week { days: weekdays.iter().copied().collect() },
                starts: vec![start],
                window_minutes: window,
                grace_minutes: grace,
                utc_offset_minutes: offset,
            };
            s.validate().unwrap();
            let to = from + days * DAY_MS;
            let whole = s.occurrences(from, to);
            let mut pieces = Vec::new();
            let mut at = from;
            while at < to {
                let next = (at + DAY_MS / 3).min(to);
                pieces.extend(s.occurrences(at, next));
                at = next;
            }
            pieces.sort_by_key(|o| o.start_ms);
            pieces.dedup();
            proptest::prop_assert_eq!(&whole, &pieces);
            let offset_ms = i64::from(offset) * MINUTE_MS;
            for o in &whole {
                proptest::prop_assert!(o.grace_end_ms > from && o.start_ms < to);
                let local = o.start_ms + offset_ms;
                proptest::prop_assert_eq!(local.rem_euclid(DAY_MS), i64::from(start) * MINUTE_MS);
                let day = local.div_euclid(DAY_MS);
                proptest::prop_assert!(weekdays.contains(&iso_weekday(day)));
                let (y, m, d) = civil_from_days(day);
                proptest::prop_assert_eq!(&o.local_date, &format!("{y:04}-{m:02}-{d:02}"));
            }
            // At least one window a week is in any seven days.
            if days >= 8 {
                proptest::prop_assert!(!whole.is_empty());
            }
        }
    }

    #[test]
    fn a_new_version_applies_from_the_next_occurrence() {
        let v1 = Schedule::daily(parse_hhmm("09:00").unwrap(), 120);
        let v2 = Schedule::daily(parse_hhmm("14:00").unwrap(), 60);
        // Edited at 10:00 on the 2nd, while the 09:00 window is open.
        let edited = cst(2026, 12, 2, 10, 0);
        let versions = [
            Versioned {
                version: 1,
                effective_from_ms: 0,
                schedule: &v1,
            },
            Versioned {
                version: 2,
                effective_from_ms: edited,
                schedule: &v2,
            },
        ];
        let from = cst(2026, 12, 1, 0, 0);
        let got: Vec<(u32, String, i64)> = occurrences_of(&versions, from, from + 3 * DAY_MS)
            .into_iter()
            .map(|(v, o)| (v, o.local_date, o.start_ms))
            .collect();
        assert_eq!(
            got,
            [
                (1, "2026-12-01".into(), cst(2026, 12, 1, 9, 0)),
                (1, "2026-12-02".into(), cst(2026, 12, 2, 9, 0)),
                (2, "2026-12-02".into(), cst(2026, 12, 2, 14, 0)),
                (2, "2026-12-03".into(), cst(2026, 12, 3, 14, 0)),
            ]
        );
    }
}
