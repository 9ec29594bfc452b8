//! Loading and validating templates. Every problem is reported with the JSON path of the
//! offending value and the reason, e.g. `$.sections[1].items[3].visible_if.all[0].item: unknown
//! item "door-sill"`.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::condition::Condition;
use super::template::{ITEM_FIELDS, ItemKind, Template, Text};
use crate::error::{Error, Result};

/// One problem in a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateIssue {
    /// JSON path, `$` being the template.
    pub path: String,
    /// What is wrong with the value at `path`.
    pub reason: String,
}

impl std::fmt::Display for TemplateIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Parses and validates a template. Errors name the first problem's path and reason.
pub fn parse(json: &str) -> Result<Template> {
    if let Ok(raw) = serde_json::from_str::<Json>(json)
        && let Some(issue) = raw_item_issues(&raw)
    {
        return Err(Error::Template {
            path: issue.path,
            reason: issue.reason,
        });
    }
    let de = &mut serde_json::Deserializer::from_str(json);
    let template: Template = serde_path_to_error::deserialize(de).map_err(|e| Error::Template {
        path: format!("$.{}", e.path())
            .replace("$..", "$")
            .trim_end_matches('.')
            .to_owned(),
        reason: e.inner().to_string(),
    })?;
    if let Some(issue) = validate(&template).into_iter().next() {
        return Err(Error::Template {
            path: issue.path,
            reason: issue.reason,
        });
    }
    Ok(template)
}

/// Checks item fields and conditions on the raw JSON, before serde: serde cannot report paths
/// inside flattened or internally tagged values, so without this a wrong field type or an
/// unknown condition operator would be reported only at the item. Returns the first problem.
fn raw_item_issues(raw: &Json) -> Option<TemplateIssue> {
    let sections = raw.get("sections")?.as_array()?;
    for (s, section) in sections.iter().enumerate() {
        let Some(items) = section.get("items").and_then(Json::as_array) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("$.sections[{s}].items[{i}]");
            let Some(fields) = item.as_object() else {
                continue;
            };
            let type_name = fields.get("type").and_then(Json::as_str).unwrap_or("");
            for (key, value) in fields {
                if !ITEM_FIELDS.contains(&key.as_str())
                    && !ItemKind::fields(type_name).contains(&key.as_str())
                {
                    return Some(TemplateIssue {
                        path,
                        reason: format!("unknown field `{key}` for an item of type {type_name:?}"),
                    });
                }
                let expected = match key.as_str() {
                    "id" | "type" | "raises_hazard" | "unit" | "code" => "string",
                    "required" | "multiline" => "boolean",
                    "weight" | "min" | "max" => "number",
                    "min_count" => "whole number",
                    "options" => "array",
                    _ => "object",
                };
                let fits = match expected {
                    "string" => value.is_string(),
                    "boolean" => value.is_boolean(),
                    "number" => value.is_number(),
                    "whole number" => value.is_u64(),
                    "array" => value.is_array(),
                    _ => value.is_object(),
                };
                if !fits {
                    return Some(TemplateIssue {
                        path: format!("{path}.{key}"),
                        reason: format!("expected a {expected}, got {value}"),
                    });
                }
            }
            if let Some(cond) = fields.get("visible_if")
                && let Some(issue) = raw_condition_issue(cond, &format!("{path}.visible_if"))
            {
                return Some(issue);
            }
        }
    }
    None
}

/// The first structural problem of a raw condition, with its path.
fn raw_condition_issue(cond: &Json, path: &str) -> Option<TemplateIssue> {
    let issue = |path: String, reason: String| Some(TemplateIssue { path, reason });
    let Some(fields) = cond.as_object() else {
        return issue(
            path.to_owned(),
            format!("a condition is an object, got {cond}"),
        );
    };
    let op = fields.get("op").and_then(Json::as_str).unwrap_or("");
    let needs: &[&str] = match op {
        "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "contains" => &["item", "value"],
        "in" => &["item", "values"],
        "answered" => &["item"],
        "all" => &["all"],
        "any" => &["any"],
        "not" => &["not"],
        _ => {
            return issue(
                format!("{path}.op"),
                format!(
                    "unknown operator {op:?} (eq, ne, lt, le, gt, ge, in, contains, answered, all, any, not)"
                ),
            );
        }
    };
    for key in fields.keys().filter(|k| *k != "op") {
        if !needs.contains(&key.as_str()) {
            return issue(
                path.to_owned(),
                format!("unknown field `{key}` for operator {op:?}"),
            );
        }
    }
    for key in needs {
        if !fields.contains_key(*key) {
            return issue(path.to_owned(), format!("operator {op:?} needs `{key}`"));
        }
    }
    match op {
        "all" | "any" => {
            let Some(list) = fields[op].as_array() else {
                return issue(
                    format!("{path}.{op}"),
                    "expected a list of conditions".into(),
                );
            };
            list.iter()
                .enumerate()
                .find_map(|(i, c)| raw_condition_issue(c, &format!("{path}.{op}[{i}]")))
        }
        "not" => raw_condition_issue(&fields["not"], &format!("{path}.not")),
        "lt" | "le" | "gt" | "ge" if !fields["value"].is_number() => issue(
            format!("{path}.value"),
            format!("operator {op:?} compares with a number"),
        ),
        _ if !fields["item"].is_string() => {
            issue(format!("{path}.item"), "expected an item id".into())
        }
        _ => None,
    }
}

/// Every problem of a parsed template (empty when it is valid).
pub fn validate(t: &Template) -> Vec<TemplateIssue> {
    let mut v = Validator::default();
    v.run(t);
    v.issues
}

#[derive(Default)]
struct Validator {
    issues: Vec<TemplateIssue>,
}

impl Validator {
    fn issue(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.issues.push(TemplateIssue {
            path: path.into(),
            reason: reason.into(),
        });
    }

    fn id(&mut self, path: &str, id: &str) {
        let ok = !id.is_empty()
            && id.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' || c == '.'
            });
        if !ok {
            self.issue(
                path,
                format!(
                    "id {id:?} must be non-empty lowercase ASCII letters, digits, '-', '_' or '.'"
                ),
            );
        }
    }

    fn text(&mut self, path: &str, text: &Text) {
        if text.zh.trim().is_empty() {
            self.issue(format!("{path}.zh-CN"), "Chinese text is missing");
        }
        if text.en.trim().is_empty() {
            self.issue(format!("{path}.en"), "English text is missing");
        }
    }

    fn run(&mut self, t: &Template) {
        self.id("$.id", &t.id);
        if t.version == 0 {
            self.issue("$.version", "versions start at 1");
        }
        self.text("$.title", &t.title);
        if let Some(d) = &t.description {
            self.text("$.description", d);
        }
        if t.sections.is_empty() {
            self.issue("$.sections", "a template needs at least one section");
        }
        let mut section_ids = HashSet::new();
        let mut item_paths: HashMap<&str, String> = HashMap::new();
        for (s, section) in t.sections.iter().enumerate() {
            let sp = format!("$.sections[{s}]");
            self.id(&format!("{sp}.id"), &section.id);
            if !section_ids.insert(section.id.as_str()) {
                self.issue(
                    format!("{sp}.id"),
                    format!("duplicate section id {:?}", section.id),
                );
            }
            self.text(&format!("{sp}.title"), &section.title);
            if section.items.is_empty() {
                self.issue(format!("{sp}.items"), "a section needs at least one item");
            }
        }
        for (path, item) in t.items() {
            self.id(&format!("{path}.id"), &item.id);
            if let Some(first) = item_paths.insert(&item.id, path.clone()) {
                self.issue(
                    format!("{path}.id"),
                    format!("duplicate item id {:?} (first at {first})", item.id),
                );
            }
            self.item(&path, item);
        }
        for (path, item) in t.items() {
            if let Some(cond) = &item.visible_if {
                self.condition(t, &format!("{path}.visible_if"), &item.id, cond);
            }
        }
        if self.issues.is_empty() {
            self.cycles(t);
        }
    }

    fn item(&mut self, path: &str, item: &super::template::Item) {
        self.text(&format!("{path}.text"), &item.text);
        if let Some(h) = &item.help {
            self.text(&format!("{path}.help"), h);
        }
        if !(item.weight.is_finite() && item.weight >= 0.0) {
            self.issue(format!("{path}.weight"), "weight must be a number ≥ 0");
        }
        match &item.kind {
            ItemKind::SingleChoice { options } | ItemKind::MultipleChoice { options } => {
                if options.len() < 2 {
                    self.issue(
                        format!("{path}.options"),
                        "a choice needs at least two options",
                    );
                }
                let mut ids = HashSet::new();
                for (o, opt) in options.iter().enumerate() {
                    let op = format!("{path}.options[{o}]");
                    self.id(&format!("{op}.id"), &opt.id);
                    if !ids.insert(opt.id.as_str()) {
                        self.issue(
                            format!("{op}.id"),
                            format!("duplicate option id {:?}", opt.id),
                        );
                    }
                    self.text(&format!("{op}.label"), &opt.label);
                }
            }
            ItemKind::Number {
                min: Some(min),
                max: Some(max),
                ..
            } if min > max => {
                self.issue(
                    format!("{path}.min"),
                    format!("min {min} is greater than max {max}"),
                );
            }
            ItemKind::Photo { min_count: 0 } => {
                self.issue(format!("{path}.min_count"), "min_count must be at least 1")
            }
            ItemKind::Checkpoint { code } if code.trim().is_empty() => self.issue(
                format!("{path}.code"),
                "a checkpoint needs the code printed on its tag",
            ),
            _ => {}
        }
        if let Some(clause) = &item.clause
            && clause.standard.trim().is_empty()
        {
            self.issue(
                format!("{path}.clause.standard"),
                "a clause names its standard",
            );
        }
        let can_fail = can_fail(&item.kind);
        if item.raises_hazard.is_some() && !can_fail {
            self.issue(
                format!("{path}.raises_hazard"),
                "this item type cannot fail, so it cannot raise a hazard",
            );
        }
        if (item.evidence.photo_on_fail || item.evidence.note_on_fail) && !can_fail {
            self.issue(
                format!("{path}.evidence"),
                "this item type cannot fail, so it needs no failure evidence",
            );
        }
    }

    fn condition(&mut self, t: &Template, path: &str, owner: &str, cond: &Condition) {
        if matches!(cond, Condition::All { all } if all.is_empty())
            || matches!(cond, Condition::Any { any } if any.is_empty())
        {
            self.issue(path, "an empty all/any is always true or false: remove it");
        }
        for (rel, target) in cond.references() {
            let p = format!("{path}{rel}");
            if target == owner {
                self.issue(p, format!("item {owner:?} depends on itself"));
                continue;
            }
            let Some(item) = t.item(target) else {
                self.issue(p, format!("unknown item {target:?}"));
                continue;
            };
            if let Some(reason) = comparison_mismatch(cond_for(cond, &rel), &item.kind) {
                self.issue(p, reason);
            }
        }
    }

    /// Visibility conditions must not form a cycle (a shows if b; b shows if a).
    fn cycles(&mut self, t: &Template) {
        let ids: Vec<&str> = t.items().map(|(_, i)| i.id.as_str()).collect();
        let paths: Vec<String> = t.items().map(|(p, _)| p).collect();
        let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let deps: Vec<Vec<usize>> = t
            .items()
            .map(|(_, item)| {
                item.visible_if
                    .iter()
                    .flat_map(|c| c.references())
                    .filter_map(|(_, target)| index.get(target).copied())
                    .collect()
            })
            .collect();
        // 0 = unvisited, 1 = on the stack, 2 = done.
        let mut state = vec![0u8; ids.len()];
        let mut stack = Vec::new();
        for start in 0..ids.len() {
            if let Some(cycle) = visit(start, &deps, &mut state, &mut stack) {
                let names: Vec<&str> = cycle.iter().map(|&i| ids[i]).collect();
                self.issue(
                    format!("{}.visible_if", paths[cycle[0]]),
                    format!("visibility conditions form a cycle: {}", names.join(" → ")),
                );
                return;
            }
        }
    }
}

fn visit(
    n: usize,
    deps: &[Vec<usize>],
    state: &mut [u8],
    stack: &mut Vec<usize>,
) -> Option<Vec<usize>> {
    match state[n] {
        2 => return None,
        1 => {
            let from = stack.iter().position(|&x| x == n).unwrap_or(0);
            let mut cycle = stack[from..].to_vec();
            cycle.push(n);
            return Some(cycle);
        }
        _ => {}
    }
    state[n] = 1;
    stack.push(n);
    for &d in &deps[n] {
        if let Some(c) = visit(d, deps, state, stack) {
            return Some(c);
        }
    }
    stack.pop();
    state[n] = 2;
    None
}

/// The leaf condition at relative path `rel` (e.g. `.all[1].item`).
fn cond_for<'a>(cond: &'a Condition, rel: &str) -> &'a Condition {
    let mut c = cond;
    for part in rel.trim_start_matches('.').split('.') {
        let next = match (c, part) {
            (Condition::All { all }, p) if p.starts_with("all[") => {
                index_of(p).and_then(|i| all.get(i))
            }
            (Condition::Any { any }, p) if p.starts_with("any[") => {
                index_of(p).and_then(|i| any.get(i))
            }
            (Condition::Not { not }, "not") => Some(&**not),
            _ => None,
        };
        match next {
            Some(n) => c = n,
            None => break,
        }
    }
    c
}

fn index_of(part: &str) -> Option<usize> {
    part.split_once('[')?.1.trim_end_matches(']').parse().ok()
}

/// Why a comparison cannot match the answers of `kind`, if it cannot.
fn comparison_mismatch(cond: &Condition, kind: &ItemKind) -> Option<String> {
    let option_ids = |kind: &ItemKind| match kind {
        ItemKind::SingleChoice { options } | ItemKind::MultipleChoice { options } => Some(
            options
                .iter()
                .map(|o| Json::from(o.id.as_str()))
                .collect::<Vec<_>>(),
        ),
        ItemKind::PassFail => Some(["pass", "fail", "na"].map(Json::from).to_vec()),
        _ => None,
    };
    let check = |v: &Json| match option_ids(kind) {
        Some(allowed) if !allowed.contains(v) => Some(format!(
            "{v} is not a possible answer (one of {})",
            Json::from(allowed)
        )),
        _ => None,
    };
    match cond {
        Condition::Eq { value, .. } | Condition::Ne { value, .. } => check(value),
        Condition::In { values, .. } => values.iter().find_map(check),
        Condition::Contains { value, .. } => match kind {
            ItemKind::MultipleChoice { .. } => check(value),
            _ => Some("contains applies to multiple-choice items only".into()),
        },
        Condition::Lt { .. }
        | Condition::Le { .. }
        | Condition::Gt { .. }
        | Condition::Ge { .. } => (!matches!(kind, ItemKind::Number { .. }))
            .then(|| "numeric comparison of an item that is not a number".into()),
        _ => None,
    }
}

/// Whether an answer to an item of this kind can be a failure.
pub fn can_fail(kind: &ItemKind) -> bool {
    match kind {
        ItemKind::PassFail => true,
        ItemKind::SingleChoice { options } | ItemKind::MultipleChoice { options } => {
            options.iter().any(|o| o.fails)
        }
        ItemKind::Number { min, max, .. } => min.is_some() || max.is_some(),
        _ => false,
    }
}
