//! Formatting the core's timestamps (UTC milliseconds plus the device's UTC offset) for people,
//! without a date library (the calendar arithmetic is the core's `civil`).

use offgrid_core::civil::days_from_civil;

/// `2025-03-18T01:20:00Z` for UTC milliseconds (seconds precision; negative times work too).
pub(crate) use offgrid_core::civil::utc_text as utc;

/// `+08:00` for an offset in minutes.
pub(crate) fn offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// The UTC time followed by the device's offset: `2025-03-18T01:20:00Z +08:00`.
pub(crate) fn utc_with_offset(unix_ms: i64, offset_minutes: i32) -> String {
    format!("{} {}", utc(unix_ms), offset(offset_minutes))
}

/// UTC milliseconds of a calendar date and time of day (UTC).
pub(crate) fn unix_ms(year: i64, month: u32, day: u32, hour: u32, minute: u32) -> i64 {
    let days = days_from_civil(year, month, day);
    (days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60) * 1000
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
}
