//! What an answer may be for each item type, and whether it is a failure.

use serde_json::Value as Json;

use crate::checklist::{Item, ItemKind};
use crate::error::{Error, Result};

/// Checks `value` against the item's type. Photos and signatures are not answered with a value
/// (they have their own calls).
pub fn check(item: &Item, value: &Json) -> Result<()> {
    let bad = |reason: String| {
        Err(Error::InvalidAnswer {
            item: item.id.clone(),
            reason,
        })
    };
    match (&item.kind, value) {
        (_, Json::Null) => Ok(()), // clearing an answer
        (ItemKind::PassFail, Json::String(s)) if ["pass", "fail", "na"].contains(&s.as_str()) => {
            Ok(())
        }
        (ItemKind::PassFail, v) => bad(format!("expected \"pass\", \"fail\" or \"na\", got {v}")),
        (ItemKind::SingleChoice { options }, Json::String(s)) => {
            if options.iter().any(|o| &o.id == s) {
                Ok(())
            } else {
                bad(format!("{s:?} is not one of the options"))
            }
        }
        (ItemKind::MultipleChoice { options }, Json::Array(chosen)) => {
            let mut seen = Vec::new();
            for c in chosen {
                match c.as_str() {
                    Some(s) if options.iter().any(|o| o.id == s) && !seen.contains(&s) => {
                        seen.push(s)
                    }
                    _ => return bad(format!("{c} is not an option, or is chosen twice")),
                }
            }
            Ok(())
        }
        (ItemKind::Number { .. }, Json::Number(n)) if n.as_f64().is_some_and(f64::is_finite) => {
            Ok(())
        }
        (ItemKind::Text { .. }, Json::String(_)) => Ok(()),
        (ItemKind::Date, Json::String(s)) if is_date(s) => Ok(()),
        (ItemKind::Date, v) => bad(format!("expected a date YYYY-MM-DD, got {v}")),
        (ItemKind::Checkpoint { code }, Json::String(s)) => {
            if s == code {
                Ok(())
            } else {
                Err(Error::CheckpointMismatch {
                    item: item.id.clone(),
                })
            }
        }
        (ItemKind::Location, Json::Object(m))
            if m.get("description").is_some_and(Json::is_string)
                || (m.get("lat").is_some_and(Json::is_f64)
                    && m.get("lon").is_some_and(Json::is_f64)) =>
        {
            Ok(())
        }
        (ItemKind::Photo { .. }, _) => bad("photo items take photos, not a value".into()),
        (ItemKind::Signature, _) => bad("signature items take a signature, not a value".into()),
        (kind, v) => bad(format!(
            "{v} is not an answer for a {} item",
            kind_name(kind)
        )),
    }
}

/// Whether this answer fails the item (fail, a failing option, a number out of range).
pub fn is_failure(item: &Item, value: &Json) -> bool {
    match (&item.kind, value) {
        (ItemKind::PassFail, Json::String(s)) => s == "fail",
        (ItemKind::SingleChoice { options }, Json::String(s)) => {
            options.iter().any(|o| &o.id == s && o.fails)
        }
        (ItemKind::MultipleChoice { options }, Json::Array(chosen)) => chosen.iter().any(|c| {
            options
                .iter()
                .any(|o| o.fails && Some(o.id.as_str()) == c.as_str())
        }),
        (ItemKind::Number { min, max, .. }, Json::Number(n)) => {
            let v = n.as_f64().unwrap_or(f64::NAN);
            min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m)
        }
        _ => false,
    }
}

/// Whether the answer counts as "not applicable" (excluded from the score).
pub fn is_not_applicable(value: &Json) -> bool {
    value.as_str() == Some("na")
}

fn kind_name(kind: &ItemKind) -> &'static str {
    match kind {
        ItemKind::PassFail => "pass/fail",
        ItemKind::SingleChoice { .. } => "single-choice",
        ItemKind::MultipleChoice { .. } => "multiple-choice",
        ItemKind::Number { .. } => "number",
        ItemKind::Text { .. } => "text",
        ItemKind::Date => "date",
        ItemKind::Photo { .. } => "photo",
        ItemKind::Signature => "signature",
        ItemKind::Checkpoint { .. } => "checkpoint",
        ItemKind::Location => "location",
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) if (1..=12).contains(&m) && d >= 1 => {
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let days = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            d <= days[m as usize - 1]
        }
        _ => false,
    }
}
