//! Formatting the core's timestamps (UTC milliseconds plus the device's UTC offset) for people,
//! without a date library (the calendar arithmetic is the core's `civil`).

use offgrid_core::civil::{civil_from_days, days_from_civil};

/// `2025-03-18T01:20:00Z` for UTC milliseconds (seconds precision; negative times work too).
pub fn utc(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `+08:00` for an offset in minutes.
pub fn offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// The UTC time followed by the device's offset: `2025-03-18T01:20:00Z +08:00`.
pub fn utc_with_offset(unix_ms: i64, offset_minutes: i32) -> String {
    format!("{} {}", utc(unix_ms), offset(offset_minutes))
}

/// UTC milliseconds of a calendar date and time of day (UTC).
pub fn unix_ms(year: i64, month: u32, day: u32, hour: u32, minute: u32) -> i64 {
    let days = days_from_civil(year, month, day);
    (days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60) * 1000
}

/// UTC milliseconds of `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, read as UTC. A date alone means the
/// end of that day (23:59), the way a deadline is meant (clap value parser).
pub fn parse_utc(text: &str) -> Result<i64, String> {
    let bad = || format!("expected YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), got {text:?}");
    let (date, clock) = match text.split_once(['T', ' ']) {
        Some((d, c)) => (d, Some(c)),
        None => (text, None),
    };
    let num = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) = (
        parts.next().and_then(|s| num(s, 4)),
        parts.next().and_then(|s| num(s, 2)),
        parts.next().and_then(|s| num(s, 2)),
        parts.next(),
    ) else {
        return Err(bad());
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if !(1..=days_in_month).contains(&d) {
        return Err(bad());
    }
    let (hour, minute) = match clock {
        None => (23, 59),
        Some(c) => match c.split_once(':') {
            Some((h, mi)) => match (num(h, 2), num(mi, 2)) {
                (Some(h), Some(mi)) if h < 24 && mi < 60 => (h, mi),
                _ => return Err(bad()),
            },
            None => return Err(bad()),
        },
    };
    Ok(unix_ms(i64::from(y), m, d, hour, minute))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_742_260_800_000), "2025-03-18T01:20:00Z");
        assert_eq!(utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(offset(480), "+08:00");
        assert_eq!(offset(-330), "-05:30");
        assert_eq!(offset(0), "+00:00");
    }

    #[test]
    fn parses_deadlines_as_utc() {
        assert_eq!(parse_utc("2025-03-18T01:20"), Ok(1_742_260_800_000));
        assert_eq!(parse_utc("2025-03-18"), Ok(unix_ms(2025, 3, 18, 23, 59)));
        assert_eq!(parse_utc("2024-02-29"), Ok(unix_ms(2024, 2, 29, 23, 59)));
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-3-18",
            "2025-03-18T24:00",
            "2025-03-18T1:20",
            "tomorrow",
            "",
        ] {
            assert!(parse_utc(bad).is_err(), "{bad}");
        }
    }
}
