//! Time in the organisation's zone (issue 29). People give dates, not instants: a deadline of
//! 2025-03-18 means by the end of that day where the office is, and "today" is the office's
//! day, whatever zone a phone is set to. The zone is an IANA name, `Asia/Shanghai` unless the
//! organisation's server says otherwise (it sends its zone with every sync; the device keeps the
//! last one, see `Store::zone`). Zone rules come from the time-zone database bundled in the
//! library, so a phone's own settings or files do not change them.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

use crate::error::{Error, Result};

/// The zone of an organisation that names none.
pub const DEFAULT_ZONE: &str = "Asia/Shanghai";

const DAY_MS: i64 = 86_400_000;

/// An organisation's time zone.
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Default for Zone {
    fn default() -> Self {
        // The bundled database always has it; a fixed +08:00 if it somehow does not.
        Zone::named(DEFAULT_ZONE).unwrap_or_else(|_| Zone {
            name: DEFAULT_ZONE.to_owned(),
            tz: TimeZone::fixed(jiff::tz::offset(8)),
        })
    }
}

impl std::str::FromStr for Zone {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Zone::named(s)
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Zone {
    /// The zone with IANA name `name` (e.g. `Asia/Shanghai`, `Asia/Urumqi`, `UTC`).
    pub fn named(name: &str) -> Result<Zone> {
        let tz = jiff::tz::db().get(name).map_err(|_| {
            Error::InvalidArgument(format!(
                "unknown time zone {name:?} (an IANA name, e.g. {DEFAULT_ZONE})"
            ))
        })?;
        Ok(Zone {
            name: name.to_owned(),
            tz,
        })
    }

    /// Its IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn zoned(&self, at_ms: i64) -> Zoned {
        let ts = Timestamp::from_millisecond(at_ms).unwrap_or(Timestamp::UNIX_EPOCH);
        ts.to_zoned(self.tz.clone())
    }

    /// Minutes east of UTC at instant `at_ms` (480 in China).
    pub fn offset_minutes(&self, at_ms: i64) -> i32 {
        self.zoned(at_ms).offset().seconds() / 60
    }

    /// The local date at instant `at_ms`, `YYYY-MM-DD`.
    pub fn date_of(&self, at_ms: i64) -> String {
        self.zoned(at_ms).date().to_string()
    }

    /// The first millisecond of the local day holding instant `at_ms` ("today" at `now`).
    pub fn day_start_at(&self, at_ms: i64) -> i64 {
        let date = self.zoned(at_ms).date();
        self.start_of(date)
            .unwrap_or(at_ms - at_ms.rem_euclid(DAY_MS))
    }

    /// The first millisecond of local day `date` (`YYYY-MM-DD`).
    pub fn day_start(&self, date: &str) -> Result<i64> {
        self.start_of(parse_date(date)?)
    }

    /// A deadline as people write it: a date alone is the end of that local day (its last
    /// millisecond); `YYYY-MM-DDTHH:MM` (or with a space) is that local time.
    pub fn deadline(&self, text: &str) -> Result<i64> {
        let bad = || {
            Error::InvalidArgument(format!(
                "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM ({}), got {text:?}",
                self.name
            ))
        };
        match text.split_once(['T', ' ']) {
            None => {
                let date = parse_date(text)?;
                let next = date.tomorrow().map_err(|_| bad())?;
                Ok(self.start_of(next)? - 1)
            }
            Some((d, clock)) => {
                let date = parse_date(d)?;
                let (h, m) = clock.split_once(':').ok_or_else(bad)?;
                let two = |s: &str| {
                    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| s.parse::<i8>().ok())
                        .flatten()
                };
                let (Some(h), Some(m)) = (two(h), two(m)) else {
                    return Err(bad());
                };
                let time = jiff::civil::Time::new(h, m, 0, 0).map_err(|_| bad())?;
                let zoned = date
                    .to_datetime(time)
                    .to_zoned(self.tz.clone())
                    .map_err(|_| bad())?;
                Ok(zoned.timestamp().as_millisecond())
            }
        }
    }

    fn start_of(&self, date: Date) -> Result<i64> {
        let zoned = date
            .to_zoned(self.tz.clone())
            .map_err(|e| Error::InvalidArgument(format!("{date} in {}: {e}", self.name)))?;
        Ok(zoned.timestamp().as_millisecond())
    }
}

/// `YYYY-MM-DD`, strictly (two-digit month and day, a real date).
fn parse_date(text: &str) -> Result<Date> {
    let bad = || Error::InvalidArgument(format!("expected a date YYYY-MM-DD, got {text:?}"));
    let ok = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !ok {
        return Err(bad());
    }
    text.parse::<Date>().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UTC milliseconds of a UTC date and time.
    fn utc(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
        (crate::civil::days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60) * 1000
    }

    #[test]
    fn a_date_alone_is_a_deadline_at_the_end_of_that_day_in_china() {
        let z = Zone::default();
        assert_eq!(z.name(), "Asia/Shanghai");
        // 2025-03-18 24:00 in Beijing is 16:00 UTC that day; the deadline is the ms before.
        assert_eq!(
            z.deadline("2025-03-18").unwrap(),
            utc(2025, 3, 18, 16, 0) - 1
        );
        assert_eq!(
            z.deadline("2025-03-18T09:30").unwrap(),
            utc(2025, 3, 18, 1, 30)
        );
        assert_eq!(
            z.deadline("2025-03-18 09:30").unwrap(),
            utc(2025, 3, 18, 1, 30)
        );
        assert_eq!(z.date_of(z.deadline("2025-03-18").unwrap()), "2025-03-18");
    }

    #[test]
    fn the_local_day_starts_at_local_midnight() {
        let z = Zone::default();
        // 2025-03-18 17:00 UTC is already the 19th in Beijing.
        let at = utc(2025, 3, 18, 17, 0);
        assert_eq!(z.date_of(at), "2025-03-19");
        assert_eq!(z.day_start_at(at), utc(2025, 3, 18, 16, 0));
        assert_eq!(z.day_start("2025-03-19").unwrap(), utc(2025, 3, 18, 16, 0));
        assert_eq!(z.offset_minutes(at), 480);
    }

    #[test]
    fn another_zone_follows_its_own_rules() {
        let z: Zone = "Europe/Berlin".parse().unwrap();
        // Summer time: +02:00.
        assert_eq!(
            z.deadline("2025-07-01T10:00").unwrap(),
            utc(2025, 7, 1, 8, 0)
        );
        assert_eq!(z.offset_minutes(utc(2025, 1, 1, 12, 0)), 60);
    }

    #[test]
    fn bad_zones_and_dates_are_refused_with_a_reason() {
        assert!(matches!(
            Zone::named("Mars/Olympus"),
            Err(Error::InvalidArgument(_))
        ));
        let z = Zone::default();
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-3-18",
            "2025-03-18T24:00",
            "2025-03-18T1:20",
            "tomorrow",
            "",
        ] {
            assert!(z.deadline(bad).is_err(), "{bad}");
        }
    }
}
