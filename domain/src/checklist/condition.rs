//! Visibility conditions over other answers: comparisons combined with and/or/not.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// A condition on answers. An item that is hidden or unanswered has no value: comparisons with
/// it are false (and `answered` is false).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The answer equals `value` (for pass/fail: "pass", "fail", "na"; choices: the option id).
    Eq {
        /// The id of the item whose answer is compared.
        item: String,
        /// The value the answer must equal.
        value: Json,
    },
    /// The item has an answer and it differs from `value`.
    Ne {
        /// The id of the item whose answer is compared.
        item: String,
        /// The value the answer must differ from.
        value: Json,
    },
    /// The numeric answer is less than `value`.
    Lt {
        /// The id of the item whose answer is compared.
        item: String,
        /// The bound the answer must be below.
        value: f64,
    },
    /// The numeric answer is less than or equal to `value`.
    Le {
        /// The id of the item whose answer is compared.
        item: String,
        /// The bound the answer must not exceed.
        value: f64,
    },
    /// The numeric answer is greater than `value`.
    Gt {
        /// The id of the item whose answer is compared.
        item: String,
        /// The bound the answer must be above.
        value: f64,
    },
    /// The numeric answer is greater than or equal to `value`.
    Ge {
        /// The id of the item whose answer is compared.
        item: String,
        /// The bound the answer must not fall below.
        value: f64,
    },
    /// The answer is one of `values`.
    In {
        /// The id of the item whose answer is tested.
        item: String,
        /// The accepted answers.
        values: Vec<Json>,
    },
    /// A multiple-choice answer includes `value`.
    Contains {
        /// The id of the multiple-choice item.
        item: String,
        /// The option id the answer must include.
        value: Json,
    },
    /// The item has an answer.
    Answered {
        /// The id of the item that must have an answer.
        item: String,
    },
    /// Every condition in `all` holds (true when the list is empty).
    All {
        /// The conditions that must all hold.
        all: Vec<Condition>,
    },
    /// At least one condition in `any` holds (false when the list is empty).
    Any {
        /// The conditions of which one must hold.
        any: Vec<Condition>,
    },
    /// The condition `not` does not hold.
    Not {
        /// The condition negated.
        not: Box<Condition>,
    },
}

impl Condition {
    /// Every item id this condition reads, with the JSON path (relative, e.g. `.all[1].item`).
    pub fn references(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        self.collect(String::new(), &mut out);
        out
    }

    fn collect<'a>(&'a self, path: String, out: &mut Vec<(String, &'a str)>) {
        match self {
            Condition::Eq { item, .. }
            | Condition::Ne { item, .. }
            | Condition::Lt { item, .. }
            | Condition::Le { item, .. }
            | Condition::Gt { item, .. }
            | Condition::Ge { item, .. }
            | Condition::In { item, .. }
            | Condition::Contains { item, .. }
            | Condition::Answered { item } => out.push((format!("{path}.item"), item.as_str())),
            Condition::All { all } => {
                for (i, c) in all.iter().enumerate() {
                    c.collect(format!("{path}.all[{i}]"), out);
                }
            }
            Condition::Any { any } => {
                for (i, c) in any.iter().enumerate() {
                    c.collect(format!("{path}.any[{i}]"), out);
                }
            }
            Condition::Not { not } => not.collect(format!("{path}.not"), out),
        }
    }

    /// Evaluates against `value_of(item)`: the answer of a visible, answered item, else `None`.
    pub fn eval<'a>(&self, value_of: &dyn Fn(&str) -> Option<&'a Json>) -> bool {
        let num = |item: &str| value_of(item).and_then(Json::as_f64);
        match self {
            Condition::Eq { item, value } => value_of(item) == Some(value),
            Condition::Ne { item, value } => value_of(item).is_some_and(|v| v != value),
            Condition::Lt { item, value } => num(item).is_some_and(|v| v < *value),
            Condition::Le { item, value } => num(item).is_some_and(|v| v <= *value),
            Condition::Gt { item, value } => num(item).is_some_and(|v| v > *value),
            Condition::Ge { item, value } => num(item).is_some_and(|v| v >= *value),
            Condition::In { item, values } => value_of(item).is_some_and(|v| values.contains(v)),
            Condition::Contains { item, value } => value_of(item)
                .and_then(Json::as_array)
                .is_some_and(|a| a.contains(value)),
            Condition::Answered { item } => value_of(item).is_some_and(|v| !v.is_null()),
            Condition::All { all } => all.iter().all(|c| c.eval(value_of)),
            Condition::Any { any } => any.iter().any(|c| c.eval(value_of)),
            Condition::Not { not } => !not.eval(value_of),
        }
    }
}
