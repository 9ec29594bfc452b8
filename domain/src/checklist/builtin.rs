//! The built-in templates, compiled into the binary from `domain/templates/*.json`. Their content
//! comes from the domain reference (construction stage inspection, maintenance check, shelter
//! safety patrol, air-raid siren maintenance); clause numbers are cited only where confirmed,
//! otherwise the clause is marked `unconfirmed` or cites the standard as a whole.

use super::template::Template;
use super::validate::parse;
use crate::error::{Error, Result};

/// Each built-in template: (file name, JSON text).
pub const FILES: [(&str, &str); 4] = [
    (
        "stage-inspection.json",
        include_str!("../../templates/stage-inspection.json"),
    ),
    (
        "maintenance.json",
        include_str!("../../templates/maintenance.json"),
    ),
    (
        "shelter-patrol.json",
        include_str!("../../templates/shelter-patrol.json"),
    ),
    (
        "siren-maintenance.json",
        include_str!("../../templates/siren-maintenance.json"),
    ),
];

/// Every built-in template, parsed and validated, in [`FILES`] order. An error names the file,
/// e.g. `stage-inspection.json: $.sections[0].items[2].id`.
pub fn all() -> Result<Vec<Template>> {
    // Parsed once per process: they are compiled in and never change.
    static PARSED: std::sync::OnceLock<std::result::Result<Vec<Template>, (String, String)>> =
        std::sync::OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, json)| load(name, json))
            .collect::<Result<Vec<_>>>()
            .map_err(|e| match e {
                Error::Template { path, reason } => (path, reason),
                e => (String::new(), e.to_string()),
            })
    });
    match parsed {
        Ok(all) => Ok(all.clone()),
        Err((path, reason)) => Err(Error::Template {
            path: path.clone(),
            reason: reason.clone(),
        }),
    }
}

/// The built-in template with this id, if there is one.
pub fn get(id: &str) -> Result<Option<Template>> {
    Ok(all()?.into_iter().find(|t| t.id == id))
}

fn load(name: &str, json: &str) -> Result<Template> {
    parse(json).map_err(|e| match e {
        Error::Template { path, reason } => Error::Template {
            path: format!("{name}: {path}"),
            reason,
        },
        e => e,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::checklist::template::{ItemKind, TemplatePurpose};
    use crate::checklist::validate::validate;

    #[test]
    fn every_builtin_parses_and_validates_cleanly() {
        let all = all().unwrap();
        assert_eq!(all.len(), FILES.len());
        for t in &all {
            assert_eq!(validate(t), vec![], "{}", t.id);
            assert!(t.version >= 1, "{}", t.id);
        }
        let purposes: Vec<TemplatePurpose> = all.iter().map(|t| t.purpose).collect();
        assert_eq!(
            purposes,
            [
                TemplatePurpose::StageInspection,
                TemplatePurpose::Maintenance,
                TemplatePurpose::Patrol,
                TemplatePurpose::Equipment,
            ]
        );
    }

    #[test]
    fn ids_are_unique_and_get_finds_each() {
        let all = all().unwrap();
        let ids: HashSet<&str> = all.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids.len(), all.len());
        for t in &all {
            assert_eq!(get(&t.id).unwrap().as_ref(), Some(t));
        }
        assert_eq!(get("no-such-template").unwrap(), None);
        assert_eq!(
            get("rf-maintenance-check").unwrap().unwrap().purpose,
            TemplatePurpose::Maintenance
        );
    }

    #[test]
    fn every_item_is_bilingual() {
        for t in all().unwrap() {
            for (path, item) in t.items() {
                assert!(!item.text.zh.trim().is_empty(), "{}: {path}", t.id);
                assert!(!item.text.en.trim().is_empty(), "{}: {path}", t.id);
                assert!(
                    item.text
                        .zh
                        .chars()
                        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{}: {path}",
                    t.id
                );
                if let Some(help) = &item.help {
                    assert!(
                        !help.zh.trim().is_empty() && !help.en.trim().is_empty(),
                        "{}: {path}",
                        t.id
                    );
                }
            }
        }
    }

    #[test]
    fn maintenance_items_cite_dbj33_clauses() {
        let t = get("rf-maintenance-check").unwrap().unwrap();
        for (path, item) in t.items() {
            // Remarks and the signature belong to the form, not to a clause.
            if matches!(item.kind, ItemKind::Text { .. } | ItemKind::Signature) {
                assert!(item.clause.is_none(), "{path}");
                continue;
            }
            let clause = item
                .clause
                .as_ref()
                .unwrap_or_else(|| panic!("{path} cites no clause"));
            assert_eq!(clause.standard, "DBJ33/T 1309-2023", "{path}");
            let number = clause
                .clause
                .as_deref()
                .unwrap_or_else(|| panic!("{path} has no clause number"));
            assert!(
                number.split('/').all(|n| n
                    .split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))),
                "{path}: {number}"
            );
            assert!(!clause.unconfirmed, "{path}");
        }
    }

    #[test]
    fn every_template_has_visibility_conditions() {
        for t in all().unwrap() {
            assert!(t.items().any(|(_, i)| i.visible_if.is_some()), "{}", t.id);
        }
    }

    #[test]
    fn content_hash_is_stable() {
        let first = all().unwrap();
        let second = all().unwrap();
        for (a, b) in first.iter().zip(&second) {
            let hash = a.content_hash();
            assert_eq!(hash, b.content_hash());
            assert_eq!(hash.len(), 64);
            assert!(
                hash.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{hash}"
            );
        }
        let hashes: HashSet<String> = first.iter().map(Template::content_hash).collect();
        assert_eq!(hashes.len(), first.len());
    }

    #[test]
    fn a_broken_file_is_named_in_the_error() {
        let err = load("x.json", r#"{"id": "x", "version": 1}"#).unwrap_err();
        let Error::Template { path, .. } = err else {
            panic!("{err:?}")
        };
        assert!(path.starts_with("x.json: $"), "{path}");
    }
}
