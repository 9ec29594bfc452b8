//! Values typed on the command line: JSON when the text parses as JSON (`25`, `true`, `null`,
//! `"quoted"`, `{"a": 1}`), otherwise the text itself as a string (`pass`, `底板渗水`); and the
//! clap value parsers of the domain's names (record kinds, risk grades, hazard statuses, list
//! orders, photo hashes).

use offgrid_core::hazard::HazardStatus;
use offgrid_core::{ListSort, RecordKind, RiskGrade};
use serde_json::Value as Json;

/// The JSON value of `text`, or `text` as a string.
pub(crate) fn parse_value(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_owned()))
}

/// `key=value` (clap value parser for `--field`).
pub(crate) fn parse_field(text: &str) -> Result<(String, Json), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, got {text:?}"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("empty field name in {text:?}"));
    }
    Ok((key.to_owned(), parse_value(value)))
}

/// A record kind (clap value parser).
pub(crate) fn parse_kind(text: &str) -> Result<RecordKind, String> {
    parse_core(text)
}

/// A risk grade: red, orange, yellow or blue (clap value parser).
pub(crate) fn parse_grade(text: &str) -> Result<RiskGrade, String> {
    parse_core(text)
}

/// A hazard status name, e.g. `ordered` (clap value parser).
pub(crate) fn parse_status(text: &str) -> Result<HazardStatus, String> {
    parse_core(text)
}

/// The hazard status with this name, if there is one.
pub(crate) fn status_named(text: &str) -> Option<HazardStatus> {
    text.parse().ok()
}

/// A list order: updated, due or grade (clap value parser).
pub(crate) fn parse_sort(text: &str) -> Result<ListSort, String> {
    match text {
        "updated" => Ok(ListSort::Updated),
        "due" => Ok(ListSort::Due),
        "grade" => Ok(ListSort::Grade),
        _ => Err(format!(
            "unknown order {text:?} (expected updated, due or grade)"
        )),
    }
}

/// A photo reference: 64 hex digits (a SHA-256), lowercased (clap value parser).
pub(crate) fn parse_sha256(text: &str) -> Result<String, String> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(format!(
            "{text:?} is not a SHA-256 (64 hex digits) of a photo"
        ))
    }
}

/// Parses any of the core's enums that parse themselves (grid levels and roles, site and
/// checkpoint kinds, check methods), with the core's message naming the accepted values.
pub(crate) fn parse_core<T>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_json_when_they_parse() {
        assert_eq!(parse_value("25"), json!(25));
        assert_eq!(parse_value("true"), json!(true));
        assert_eq!(parse_value("null"), json!(null));
        assert_eq!(parse_value("\"25\""), json!("25"));
        assert_eq!(parse_value("pass"), json!("pass"));
        assert_eq!(parse_value("渗水"), json!("渗水"));
        assert_eq!(parse_value(""), json!(""));
    }

    #[test]
    fn fields_split_on_the_first_equals_sign() {
        assert_eq!(
            parse_field("title=a=b").unwrap(),
            ("title".into(), json!("a=b"))
        );
        assert_eq!(parse_field("n=3").unwrap(), ("n".into(), json!(3)));
        assert!(parse_field("novalue").is_err());
        assert!(parse_field("=3").is_err());
        assert_eq!(parse_kind("hazard").unwrap(), RecordKind::Hazard);
        assert!(parse_kind("bogus").unwrap_err().contains("inspection"));
    }

    #[test]
    fn domain_names_parse() {
        assert_eq!(parse_grade("orange"), Ok(RiskGrade::Orange));
        assert!(parse_grade("major").is_err());
        assert_eq!(parse_status("written_off"), Ok(HazardStatus::WrittenOff));
        assert!(parse_status("open").unwrap_err().contains("ordered"));
        assert_eq!(parse_sort("due"), Ok(ListSort::Due));
        assert!(parse_sort("title").is_err());
        let sha = "AB".repeat(32);
        assert_eq!(parse_sha256(&sha), Ok("ab".repeat(32)));
        assert!(parse_sha256("abc").is_err());
        assert!(parse_sha256(&"g".repeat(64)).is_err());
    }
}
