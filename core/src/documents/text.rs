//! Text helpers of the documents: local dates from UTC milliseconds and the device's offset,
//! and the check that every character shown has a glyph in the shipped font.

use serde_json::Value;

use crate::civil::civil_from_days;

/// "2026-12-01 09:30" in the offset the record was written in.
pub(crate) fn local_minute(at_ms: i64, offset_minutes: i32) -> String {
    let local = at_ms.div_euclid(60_000) + i64::from(offset_minutes);
    let (y, m, d) = civil_from_days(local.div_euclid(1440));
    let min = local.rem_euclid(1440);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", min / 60, min % 60)
}

/// "2026-12-01".
pub(crate) fn local_date(at_ms: i64, offset_minutes: i32) -> String {
    local_minute(at_ms, offset_minutes)[..10].to_owned()
}

/// (year, month, day) in the offset it was written in.
pub(crate) fn local_ymd(at_ms: i64, offset_minutes: i32) -> (i64, u32, u32) {
    let local = at_ms.div_euclid(60_000) + i64::from(offset_minutes);
    civil_from_days(local.div_euclid(1440))
}

/// The year of a date, in the offset it was written in.
pub(crate) fn local_year(at_ms: i64, offset_minutes: i32) -> i64 {
    let local = at_ms.div_euclid(60_000) + i64::from(offset_minutes);
    civil_from_days(local.div_euclid(1440)).0
}

/// Characters with no glyph in the font, each with the JSON path of the first string that
/// holds it (`/report/sections/0/items/3/note`), in the order of the characters.
pub(crate) fn missing_glyphs_in(value: &Value) -> Vec<(char, String)> {
    let mut found: Vec<(char, String)> = Vec::new();
    walk(value, &mut String::new(), &mut found);
    found.sort_by_key(|(c, _)| *c);
    found
}

fn walk(value: &Value, path: &mut String, found: &mut Vec<(char, String)>) {
    match value {
        Value::String(s) => {
            for c in super::typeset::missing_glyphs(s) {
                if !found.iter().any(|(f, _)| *f == c) {
                    found.push((c, path.clone()));
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                walk(item, path, found);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                path.push('/');
                path.push_str(k);
                walk(v, path, found);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn local_times_use_the_recorded_offset() {
        // 2026-12-01T01:30Z is 09:30 in Beijing (UTC+8) and still 1 December.
        let ms = 1_764_552_600_000;
        assert_eq!(local_minute(ms, 480), "2025-12-01 09:30");
        assert_eq!(local_minute(ms, 0), "2025-12-01 01:30");
        assert_eq!(local_minute(ms, -120), "2025-11-30 23:30");
        assert_eq!(local_date(ms, 480), "2025-12-01");
        assert_eq!(local_year(ms, -120), 2025);
    }

    #[test]
    fn rare_name_characters_are_covered_and_unknown_ones_are_found_with_their_field() {
        let value = json!({
            "names": ["张喆", "李堃", "王珺", "赵彧", "钱犇", "孙昇"],
            "text": "钢筋Φ12@200，≥C30，±5㎜，“门框墙”、（GB 50134-2004）第4.3.2条。",
            "items": [{"note": "𪚥 and 🙂"}],
        });
        let missing = missing_glyphs_in(&value);
        let chars: Vec<char> = missing.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            chars,
            vec!['🙂', '𪚥'],
            "only what the font lacks, in code point order"
        );
        assert!(missing.iter().all(|(_, path)| path == "/items/0/note"));
    }
}
