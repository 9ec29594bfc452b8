//! Text helpers of the documents: local dates from UTC milliseconds and the device's offset,
//! and what is printed for characters none of the documents' fonts has.

use serde_json::Value;

use crate::ReplacedCharacter;
use crate::typeset;
use offgrid_common::civil::civil_from_days;

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

/// What a document prints: `value` with every character that no font of the documents has
/// replaced by [`typeset::REPLACEMENT`] (U+FFFD), and those characters in code point order, each
/// with the JSON paths of the strings holding it (`/notice/items/3/location`) in the order
/// they are laid out. The document is still made; the caller is told what was replaced.
pub(crate) fn printable(value: &Value) -> (Value, Vec<ReplacedCharacter>) {
    let mut found: Vec<ReplacedCharacter> = Vec::new();
    let printed = walk(value, &mut String::new(), &mut found);
    found.sort_by(|a, b| a.character.cmp(&b.character));
    (printed, found)
}

fn walk(value: &Value, path: &mut String, found: &mut Vec<ReplacedCharacter>) -> Value {
    match value {
        Value::String(s) => {
            if s.chars().all(typeset::printable) {
                return value.clone();
            }
            let mut printed = String::with_capacity(s.len());
            for c in s.chars() {
                if typeset::printable(c) {
                    printed.push(c);
                    continue;
                }
                printed.push(typeset::REPLACEMENT);
                let character = c.to_string();
                match found.iter_mut().find(|r| r.character == character) {
                    Some(r) if r.fields.last() != Some(path) => r.fields.push(path.clone()),
                    Some(_) => {}
                    None => found.push(ReplacedCharacter {
                        character,
                        code_point: format!("U+{:04X}", c as u32),
                        fields: vec![path.clone()],
                    }),
                }
            }
            Value::String(printed)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let len = path.len();
                    path.push_str(&format!("/{i}"));
                    let printed = walk(item, path, found);
                    path.truncate(len);
                    printed
                })
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let len = path.len();
                    path.push('/');
                    path.push_str(k);
                    let printed = walk(v, path, found);
                    path.truncate(len);
                    (k.clone(), printed)
                })
                .collect(),
        ),
        _ => value.clone(),
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
    fn every_cjk_unified_ideograph_and_the_symbols_of_construction_text_print() {
        let unprintable: Vec<String> = ('\u{4E00}'..='\u{9FFF}')
            .filter(|&c| !typeset::printable(c))
            .map(|c| format!("U+{:04X}", c as u32))
            .collect();
        assert!(unprintable.is_empty(), "{unprintable:?}");
        let symbols = "⌀ΦφΩΔΣΠαβγδεθλμπσω°℃℉±×÷≤≥≦≧≠≈≡‰‱㎡㎥㎜㎝㎞㎏m²m³²³¹⁴½¼¾№\
            ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳\
            ⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⑾⑿⒀⒁⒂⒃⒄⒅⒆⒇㈠㈡㈢㈣㈤㈥㈦㈧㈨㈩→←↑↓↔⇒※★☆○●◎△▲▽▼□■◇◆\
            √∠⊥∥∽≌∑∞∫∵∴∶⊙⌒☐☑✓✔✗✘、。，．：；！？“”‘’《》〈〉【】〔〕「」『』…—～·\
            ￥％＃＆＊（）［］｛｝＋－＝＜＞／＼｜＿＠０９ＡＺａｚ\u{3000}〇\u{FFFD}";
        let missing: Vec<char> = symbols
            .chars()
            .filter(|&c| !typeset::printable(c))
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
        // The compatibility ideographs Noto Sans CJK SC has, and Kangxi radicals (text copied
        // out of PDFs is full of them).
        for c in [
            '\u{F900}', '\u{F92C}', '\u{FA0E}', '\u{FA29}', '\u{2F00}', '\u{2FA6}',
        ] {
            assert!(typeset::printable(c), "U+{:04X}", c as u32);
        }
        // Variation selectors and zero-width joiners need no glyph of their own.
        assert!(
            "葛\u{E0100}门\u{FE00}\u{200D}\u{FEFF}"
                .chars()
                .all(typeset::printable)
        );
    }

    #[test]
    fn characters_no_font_has_are_replaced_and_listed_with_their_fields() {
        let value = json!({
            "names": ["张喆", "李堃", "王珺", "赵彧", "钱犇", "孙昇", "中國建築第八工程局"],
            "text": "钢筋Φ12@200、⌀25，≥C30，±5㎜，“门框墙”、（GB 50134-2004）第4.3.2条。",
            "items": [{"note": "𠀀 and 🙂", "unit": "\u{E000}𠀀"}, {"note": "𠀀𠀀"}],
        });
        let (printed, replaced) = printable(&value);
        assert_eq!(
            printed["names"], value["names"],
            "printable text is left alone"
        );
        assert_eq!(printed["text"], value["text"]);
        assert_eq!(printed["items"][0]["note"], "\u{FFFD} and \u{FFFD}");
        assert_eq!(printed["items"][0]["unit"], "\u{FFFD}\u{FFFD}");
        assert_eq!(printed["items"][1]["note"], "\u{FFFD}\u{FFFD}");
        let listed: Vec<(&str, &str, Vec<&str>)> = replaced
            .iter()
            .map(|r| {
                let fields = r.fields.iter().map(String::as_str).collect();
                (r.character.as_str(), r.code_point.as_str(), fields)
            })
            .collect();
        assert_eq!(
            listed,
            vec![
                ("\u{E000}", "U+E000", vec!["/items/0/unit"]),
                ("🙂", "U+1F642", vec!["/items/0/note"]),
                (
                    "𠀀",
                    "U+20000",
                    vec!["/items/0/note", "/items/0/unit", "/items/1/note"]
                ),
            ],
            "in code point order, each field once"
        );
        let (_, none) = printable(&json!({"a": "中國建築 ⌀25 Φ16 鿰鿿"}));
        assert!(none.is_empty(), "{none:?}");
    }
}
