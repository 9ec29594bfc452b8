//! Values typed on the command line: JSON when the text parses as JSON (`25`, `true`, `null`,
//! `"quoted"`, `{"a": 1}`), otherwise the text itself as a string (`pass`, `底板渗水`).

use offgrid_core::RecordKind;
use serde_json::Value as Json;

/// The JSON value of `text`, or `text` as a string.
pub fn parse_value(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_owned()))
}

/// `key=value` (clap value parser for `--field`).
pub fn parse_field(text: &str) -> Result<(String, Json), String> {
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
pub fn parse_kind(text: &str) -> Result<RecordKind, String> {
    text.parse().map_err(|_| {
        let kinds: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
        format!(
            "unknown kind {text:?} (expected one of: {})",
            kinds.join(", ")
        )
    })
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
}
