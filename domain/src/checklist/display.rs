//! What a person reads for an item's answer and for a clause, in both languages: written once
//! here for the screens (the checklist runner, the review), the documents and the CLI, instead of
//! again in each shell (issue 29).

use serde_json::Value;

use super::template::{Clause, Item, ItemKind, Text};

/// A clause as cited: `GB 50108-2008 第4.1.2条` / `GB 50108-2008, clause 4.1.2`, with a note
/// when its number is not confirmed.
pub fn clause_text(c: &Clause) -> Text {
    let (mut zh, mut en) = (c.standard.clone(), c.standard.clone());
    if let Some(n) = &c.clause {
        zh.push_str(&format!(" 第{n}条"));
        en.push_str(&format!(", clause {n}"));
    }
    if c.unconfirmed {
        zh.push_str("（条号待核）");
        en.push_str(" (clause number to be confirmed)");
    }
    Text { zh, en }
}

/// An answer's value as a person reads it: pass/fail in words, the labels of the options
/// chosen, a number with its unit, a place by its description or coordinates. `None` for an
/// item whose answer is not a value (photos, a signature).
pub fn answer_text(item: &Item, value: &Value) -> Option<Text> {
    let same = |s: String| Text {
        zh: s.clone(),
        en: s,
    };
    Some(match (&item.kind, value) {
        (ItemKind::Photo { .. } | ItemKind::Signature, _) => return None,
        (ItemKind::PassFail, Value::String(s)) => match s.as_str() {
            "pass" => Text::new("合格", "Pass"),
            "fail" => Text::new("不合格", "Fail"),
            "na" => Text::new("不适用", "Not applicable"),
            other => same(other.to_owned()),
        },
        (ItemKind::SingleChoice { options } | ItemKind::MultipleChoice { options }, v) => {
            let ids: Vec<String> = match v {
                Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                    .collect(),
                Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            };
            let label = |id: &String| options.iter().find(|o| &o.id == id).map(|o| &o.label);
            Text {
                zh: ids
                    .iter()
                    .map(|id| label(id).map_or_else(|| id.clone(), |l| l.zh.clone()))
                    .collect::<Vec<_>>()
                    .join("、"),
                en: ids
                    .iter()
                    .map(|id| label(id).map_or_else(|| id.clone(), |l| l.en.clone()))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        }
        (ItemKind::Number { unit: Some(u), .. }, Value::Number(n)) => same(format!("{n} {u}")),
        (ItemKind::Location, Value::Object(m)) => {
            let described = m.get("description").and_then(Value::as_str);
            let at = match (
                m.get("lat").and_then(Value::as_f64),
                m.get("lon").and_then(Value::as_f64),
            ) {
                (Some(lat), Some(lon)) => Some(format!("{lat:.6}, {lon:.6}")),
                _ => None,
            };
            match (described, at) {
                (Some(d), Some(at)) => same(format!("{d} ({at})")),
                (Some(d), None) => same(d.to_owned()),
                (None, Some(at)) => same(at),
                (None, None) => same(value.to_string()),
            }
        }
        (_, Value::String(s)) => same(s.clone()),
        (_, Value::Bool(b)) => {
            if *b {
                Text::new("是", "Yes")
            } else {
                Text::new("否", "No")
            }
        }
        (_, other) => same(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::checklist::template::Choice;

    fn item(kind: ItemKind) -> Item {
        serde_json::from_value(json!({
            "id": "i", "text": {"zh-CN": "项", "en": "Item"}, "type": "text"
        }))
        .map(|mut i: Item| {
            i.kind = kind;
            i
        })
        .unwrap()
    }

    fn zh_en(t: Option<Text>) -> (String, String) {
        let t = t.unwrap();
        (t.zh, t.en)
    }

    #[test]
    fn pass_fail_reads_as_words() {
        let i = item(ItemKind::PassFail);
        assert_eq!(
            zh_en(answer_text(&i, &json!("fail"))),
            ("不合格".into(), "Fail".into())
        );
        assert_eq!(answer_text(&i, &json!("pass")).unwrap().zh, "合格");
    }

    #[test]
    fn choices_read_as_their_labels() {
        let options = vec![
            Choice {
                id: "a".into(),
                label: Text::new("渗水", "Seepage"),
                fails: true,
            },
            Choice {
                id: "b".into(),
                label: Text::new("裂缝", "Crack"),
                fails: true,
            },
        ];
        let i = item(ItemKind::MultipleChoice { options });
        assert_eq!(
            zh_en(answer_text(&i, &json!(["a", "b"]))),
            ("渗水、裂缝".into(), "Seepage, Crack".into())
        );
    }

    #[test]
    fn numbers_carry_their_unit_and_places_their_description() {
        let n = item(ItemKind::Number {
            unit: Some("mm".into()),
            min: None,
            max: None,
        });
        assert_eq!(answer_text(&n, &json!(25)).unwrap().zh, "25 mm");
        let l = item(ItemKind::Location);
        assert_eq!(
            answer_text(&l, &json!({"description": "B2 东侧"}))
                .unwrap()
                .en,
            "B2 东侧"
        );
    }

    #[test]
    fn photos_and_signatures_have_no_value_text() {
        assert_eq!(answer_text(&item(ItemKind::Signature), &json!("x")), None);
    }

    #[test]
    fn a_clause_reads_as_cited() {
        let c = Clause {
            standard: "GB 50108-2008".into(),
            clause: Some("4.1.2".into()),
            unconfirmed: true,
        };
        assert_eq!(
            zh_en(Some(clause_text(&c))),
            (
                "GB 50108-2008 第4.1.2条（条号待核）".into(),
                "GB 50108-2008, clause 4.1.2 (clause number to be confirmed)".into()
            )
        );
    }
}
