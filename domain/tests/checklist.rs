//! Checklist templates: every item type and condition operator, path-precise validation errors,
//! and incremental visibility that re-evaluates only the dependents of an answer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::collections::HashMap;

use offgrid_domain::Error;
use offgrid_domain::checklist::{Condition, ItemKind, Visibility, json_schema, parse, validate};
use serde_json::{Value as Json, json};

fn text(s: &str) -> Json {
    json!({"zh-CN": format!("{s}（中）"), "en": s})
}

fn item(id: &str, kind: Json) -> Json {
    let mut v = json!({"id": id, "text": text(id)});
    v.as_object_mut()
        .unwrap()
        .extend(kind.as_object().unwrap().clone());
    v
}

fn template(items: Vec<Json>) -> Json {
    json!({
        "id": "t", "version": 1, "title": text("T"), "purpose": "stage_inspection",
        "sections": [{"id": "s1", "title": text("S1"), "items": items}]
    })
}

fn err_of(v: &Json) -> (String, String) {
    match parse(&v.to_string()) {
        Err(Error::Template { path, reason }) => (path, reason),
        other => panic!("expected a template error, got {other:?}"),
    }
}

#[test]
fn every_item_type_parses_with_its_defaults() {
    let t = parse(
        &template(vec![
            item("pf", json!({"type": "pass_fail", "raises_hazard": "red", "evidence": {"photo_on_fail": true}})),
            item("one", json!({"type": "single_choice", "options": [
                {"id": "a", "label": text("A")}, {"id": "b", "label": text("B"), "fails": true}]})),
            item("many", json!({"type": "multiple_choice", "options": [
                {"id": "x", "label": text("X")}, {"id": "y", "label": text("Y")}]})),
            item("num", json!({"type": "number", "unit": "mm", "min": 25, "max": 50,
                               "clause": {"standard": "GB 50134-2004", "clause": "4.2.1"}})),
            item("txt", json!({"type": "text", "multiline": true, "required": false})),
            item("day", json!({"type": "date"})),
            item("pic", json!({"type": "photo", "min_count": 2})),
            item("sig", json!({"type": "signature", "weight": 0})),
            item("cp", json!({"type": "checkpoint", "code": "RF-CP-01"})),
            item("loc", json!({"type": "location"})),
        ])
        .to_string(),
    )
    .unwrap();
    let kinds: Vec<_> = t.items().map(|(_, i)| i.kind.clone()).collect();
    assert!(matches!(kinds[0], ItemKind::PassFail));
    assert!(
        matches!(&kinds[3], ItemKind::Number { unit: Some(u), min: Some(_), max: Some(_) } if u == "mm")
    );
    assert!(matches!(kinds[6], ItemKind::Photo { min_count: 2 }));
    let day = t.item("day").unwrap();
    assert!(day.required && day.weight == 1.0 && day.raises_hazard.is_none());
    assert!(!t.item("txt").unwrap().required);
    assert_eq!(
        t.item("num")
            .unwrap()
            .clause
            .as_ref()
            .unwrap()
            .clause
            .as_deref(),
        Some("4.2.1")
    );
    // Serialising and parsing again gives the same template and the same hash.
    let again = parse(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(again, t);
    assert_eq!(again.content_hash(), t.content_hash());
    let mut changed = t.clone();
    changed.sections[0].items[0].text.en.push('!');
    assert_ne!(changed.content_hash(), t.content_hash());
}

#[test]
fn validation_errors_name_the_path_and_the_reason() {
    let pf = || json!({"type": "pass_fail"});
    let cases: Vec<(Json, &str, &str)> = vec![
        (
            template(vec![
                item("a", pf()),
                item(
                    "b",
                    json!({"type": "pass_fail", "visible_if": {"op": "eq", "item": "zzz", "value": "pass"}}),
                ),
            ]),
            "$.sections[0].items[1].visible_if.item",
            "unknown item",
        ),
        (
            template(vec![
                item(
                    "a",
                    json!({"type": "pass_fail", "visible_if": {"op": "all", "all": [
                {"op": "answered", "item": "b"}, {"op": "not", "not": {"op": "eq", "item": "a", "value": "pass"}}]}}),
                ),
                item("b", pf()),
            ]),
            "$.sections[0].items[0].visible_if.all[1].not.item",
            "depends on itself",
        ),
        (
            template(vec![
                item(
                    "a",
                    json!({"type": "pass_fail", "visible_if": {"op": "eq", "item": "c", "value": "pass"}}),
                ),
                item(
                    "b",
                    json!({"type": "pass_fail", "visible_if": {"op": "eq", "item": "a", "value": "fail"}}),
                ),
                item(
                    "c",
                    json!({"type": "pass_fail", "visible_if": {"op": "answered", "item": "b"}}),
                ),
            ]),
            "$.sections[0].items[0].visible_if",
            "cycle: a → c → b → a",
        ),
        (
            template(vec![item("a", pf()), item("a", pf())]),
            "$.sections[0].items[1].id",
            "duplicate item id",
        ),
        (
            template(vec![
                json!({"id": "a", "type": "pass_fail", "text": {"zh-CN": "", "en": "x"}}),
            ]),
            "$.sections[0].items[0].text.zh-CN",
            "Chinese text is missing",
        ),
        (
            template(vec![
                item("a", pf()),
                item(
                    "b",
                    json!({"type": "text", "visible_if": {"op": "eq", "item": "a", "value": "yes"}}),
                ),
            ]),
            "$.sections[0].items[1].visible_if.item",
            "not a possible answer",
        ),
        (
            template(vec![item(
                "n",
                json!({"type": "number", "min": 5, "max": 1}),
            )]),
            "$.sections[0].items[0].min",
            "greater than max",
        ),
        (
            template(vec![item(
                "t",
                json!({"type": "text", "raises_hazard": "red"}),
            )]),
            "$.sections[0].items[0].raises_hazard",
            "cannot fail",
        ),
        (
            template(vec![
                item("t", pf()),
                item(
                    "u",
                    json!({"type": "text", "visible_if": {"op": "gt", "item": "t", "value": 3}}),
                ),
            ]),
            "$.sections[0].items[1].visible_if.item",
            "not a number",
        ),
        (
            template(vec![item(
                "c",
                json!({"type": "single_choice", "options": [{"id": "a", "label": text("A")}]}),
            )]),
            "$.sections[0].items[0].options",
            "at least two options",
        ),
        (
            template(vec![item("c", json!({"type": "checkpoint", "code": " "}))]),
            "$.sections[0].items[0].code",
            "code",
        ),
        (
            template(vec![item("Bad Id", pf())]),
            "$.sections[0].items[0].id",
            "lowercase",
        ),
        // Structural errors from the JSON itself carry the path too.
        (
            template(vec![item("a", json!({"type": "slider"}))]),
            "$.sections[0].items[0]",
            "unknown variant `slider`",
        ),
        (
            template(vec![item(
                "a",
                json!({"type": "pass_fail", "colour": "red"}),
            )]),
            "$.sections[0].items[0]",
            "colour",
        ),
    ];
    for (t, path, reason) in cases {
        let (p, r) = err_of(&t);
        assert_eq!(p, path, "reason was {r}");
        assert!(r.contains(reason), "{p}: {r:?} should mention {reason:?}");
    }
    let mut t = template(vec![item("a", pf())]);
    t["version"] = json!(0);
    t["sections"][0]["title"]["en"] = json!("");
    let parsed: offgrid_domain::checklist::Template = serde_json::from_value(t).unwrap();
    let issues: Vec<String> = validate(&parsed).iter().map(|i| i.path.clone()).collect();
    assert_eq!(
        issues,
        vec!["$.version", "$.sections[0].title.en"],
        "all issues are listed"
    );
}

fn answers(pairs: &[(&str, Json)]) -> HashMap<String, Json> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn every_condition_operator() {
    let a = answers(&[
        ("pf", json!("fail")),
        ("n", json!(30)),
        ("many", json!(["x", "y"])),
        ("t", json!("")),
    ]);
    let value_of = |id: &str| a.get(id);
    let cond = |v: Json| -> Condition { serde_json::from_value(v).unwrap() };
    let truth = [
        (json!({"op": "eq", "item": "pf", "value": "fail"}), true),
        (json!({"op": "eq", "item": "pf", "value": "pass"}), false),
        (
            json!({"op": "eq", "item": "missing", "value": "pass"}),
            false,
        ),
        (json!({"op": "ne", "item": "pf", "value": "pass"}), true),
        (
            json!({"op": "ne", "item": "missing", "value": "pass"}),
            false,
        ),
        (json!({"op": "lt", "item": "n", "value": 30.5}), true),
        (json!({"op": "le", "item": "n", "value": 30}), true),
        (json!({"op": "gt", "item": "n", "value": 30}), false),
        (json!({"op": "ge", "item": "n", "value": 30}), true),
        (json!({"op": "gt", "item": "pf", "value": 1}), false),
        (
            json!({"op": "in", "item": "pf", "values": ["na", "fail"]}),
            true,
        ),
        (json!({"op": "in", "item": "pf", "values": ["na"]}), false),
        (
            json!({"op": "contains", "item": "many", "value": "y"}),
            true,
        ),
        (
            json!({"op": "contains", "item": "many", "value": "z"}),
            false,
        ),
        (json!({"op": "answered", "item": "t"}), true),
        (json!({"op": "answered", "item": "missing"}), false),
        (
            json!({"op": "all", "all": [{"op": "answered", "item": "n"}, {"op": "eq", "item": "pf", "value": "fail"}]}),
            true,
        ),
        (
            json!({"op": "all", "all": [{"op": "answered", "item": "n"}, {"op": "answered", "item": "missing"}]}),
            false,
        ),
        (
            json!({"op": "any", "any": [{"op": "answered", "item": "missing"}, {"op": "gt", "item": "n", "value": 1}]}),
            true,
        ),
        (
            json!({"op": "any", "any": [{"op": "answered", "item": "missing"}]}),
            false,
        ),
        (
            json!({"op": "not", "not": {"op": "answered", "item": "missing"}}),
            true,
        ),
    ];
    for (c, want) in truth {
        assert_eq!(cond(c.clone()).eval(&value_of), want, "{c}");
    }
}

#[test]
fn visibility_is_incremental_and_hidden_items_count_as_unanswered() {
    // gate → detail → sub-detail chain, plus many items that depend on nothing or on `other`.
    let mut items = vec![
        item("gate", json!({"type": "pass_fail"})),
        item(
            "detail",
            json!({"type": "single_choice",
            "options": [{"id": "fixed", "label": text("fixed")}, {"id": "removable", "label": text("removable")}],
            "visible_if": {"op": "eq", "item": "gate", "value": "fail"}}),
        ),
        item(
            "sub",
            json!({"type": "text", "visible_if": {"op": "eq", "item": "detail", "value": "removable"}}),
        ),
        item("other", json!({"type": "number"})),
    ];
    for i in 0..50 {
        items.push(item(
            &format!("x{i}"),
            json!({"type": "pass_fail", "visible_if": {"op": "gt", "item": "other", "value": i}}),
        ));
    }
    let t = parse(&template(items).to_string()).unwrap();
    let mut a = answers(&[]);
    let mut v = Visibility::new(&t, &a);
    assert!(v.is_visible("gate") && !v.is_visible("detail") && !v.is_visible("sub"));
    assert_eq!(v.visible_items().count(), 2);

    a.insert("gate".into(), json!("fail"));
    let r = v.answer_changed("gate", &a);
    assert_eq!(r.changed, vec!["detail"]);
    assert_eq!(
        r.evaluated, 2,
        "detail, and sub because detail changed; not the 50 others"
    );

    a.insert("detail".into(), json!("removable"));
    let r = v.answer_changed("detail", &a);
    assert_eq!((r.changed, r.evaluated), (vec!["sub".to_string()], 1));

    // Hiding `detail` hides `sub` although detail's stored answer still says "removable".
    a.insert("gate".into(), json!("pass"));
    let r = v.answer_changed("gate", &a);
    assert_eq!(r.changed, vec!["detail", "sub"]);

    // An item nothing depends on re-evaluates nothing.
    a.insert("sub".into(), json!("note"));
    assert_eq!(v.answer_changed("sub", &a).evaluated, 0);

    a.insert("other".into(), json!(10));
    let r = v.answer_changed("other", &a);
    assert_eq!(r.evaluated, 50);
    assert_eq!(r.changed.len(), 10);
    // The incremental state equals a full evaluation from scratch.
    let fresh = Visibility::new(&t, &a);
    assert_eq!(
        v.visible_items().collect::<Vec<_>>(),
        fresh.visible_items().collect::<Vec<_>>()
    );
}

#[test]
fn the_json_schema_describes_the_format() {
    let schema = json_schema();
    let text = schema.to_string();
    for word in [
        "visible_if",
        "pass_fail",
        "multiple_choice",
        "checkpoint",
        "raises_hazard",
        "zh-CN",
        "contains",
    ] {
        assert!(text.contains(word), "schema lacks {word}");
    }
}

#[test]
fn wrong_field_types_and_bad_conditions_are_reported_where_they_are() {
    let cases: Vec<(Json, &str, &str)> = vec![
        (
            template(vec![item("n", json!({"type": "number", "min": "25"}))]),
            "$.sections[0].items[0].min",
            "expected a number",
        ),
        (
            template(vec![item("p", json!({"type": "photo", "min_count": -1}))]),
            "$.sections[0].items[0].min_count",
            "whole number",
        ),
        (
            template(vec![item(
                "a",
                json!({"type": "pass_fail", "required": "yes"}),
            )]),
            "$.sections[0].items[0].required",
            "boolean",
        ),
        (
            template(vec![
                item("a", json!({"type": "pass_fail"})),
                item(
                    "b",
                    json!({"type": "pass_fail",
                "visible_if": {"op": "all", "all": [{"op": "answered", "item": "a"}, {"op": "equals", "item": "a", "value": "pass"}]}}),
                ),
            ]),
            "$.sections[0].items[1].visible_if.all[1].op",
            "unknown operator \"equals\"",
        ),
        (
            template(vec![
                item("a", json!({"type": "number"})),
                item(
                    "b",
                    json!({"type": "pass_fail",
                "visible_if": {"op": "not", "not": {"op": "gt", "item": "a", "value": "3"}}}),
                ),
            ]),
            "$.sections[0].items[1].visible_if.not.value",
            "compares with a number",
        ),
        (
            template(vec![
                item("a", json!({"type": "pass_fail"})),
                item(
                    "b",
                    json!({"type": "pass_fail",
                "visible_if": {"op": "eq", "item": "a"}}),
                ),
            ]),
            "$.sections[0].items[1].visible_if",
            "needs `value`",
        ),
    ];
    for (t, path, reason) in cases {
        let (p, r) = err_of(&t);
        assert_eq!(p, path, "reason was {r}");
        assert!(r.contains(reason), "{p}: {r:?} should mention {reason:?}");
    }
}
