//! Field errors of a form's draft: which field is wrong and how, as enums the shells localise
//! and place beside the field. Each record kind checks its own drafts (`hazard`, `inspection`,
//! `patrol`); the writes run the same checks and refuse with [`Error::InvalidFields`], and the
//! forms' screen models run them on a draft before it is saved.

use serde::Serialize;

use crate::error::{Error, Result};

/// What is wrong with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldProblem {
    /// Empty (or only spaces) where something is needed.
    Required,
    /// Longer than `max` characters (a Chinese character counts one).
    TooLong {
        /// The limit, in characters.
        max: u32,
    },
    /// A deadline already passed. Advice on a form only: the store accepts it (an order copied
    /// from a paper notice may have passed already).
    InPast,
    /// Names something this device does not know (a template, a checkpoint).
    Unknown,
    /// The signed-in user may not do this there (e.g. create an inspection in that project).
    NotAllowed,
}

/// A field and what is wrong with it. `field` is the draft's field name as in the bindings'
/// record (`title`, `deadline_ms`, `template_id`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The draft's field name, as in the bindings' record.
    pub field: String,
    /// What is wrong with it.
    pub problem: FieldProblem,
}

/// Collects a draft's field errors, in field order.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    /// Records `problem` for `field`, unless the field has one already (the first one found is
    /// kept).
    pub fn push(&mut self, field: &str, problem: FieldProblem) {
        if !self.0.iter().any(|e| e.field == field) {
            self.0.push(FieldError {
                field: field.to_owned(),
                problem,
            });
        }
    }

    /// `value` must hold something besides spaces.
    pub fn required(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.push(field, FieldProblem::Required);
        }
    }

    /// `value` holds at most `max` characters.
    pub fn max_chars(&mut self, field: &str, value: &str, max: u32) {
        if value.chars().count() > max as usize {
            self.push(field, FieldProblem::TooLong { max });
        }
    }

    /// The field errors found, in field order; empty when nothing is wrong.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }

    /// `Ok` when nothing is wrong, else [`Error::InvalidFields`].
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidFields { fields: self.0 })
        }
    }
}

/// Longest title or location a form allows, in characters.
pub const TITLE_MAX: u32 = 200;
/// Longest name a form allows, in characters: a unit's or a person's.
pub const NAME_MAX: u32 = 100;
/// Longest free text a form allows, in characters: a description, rectification measures, a
/// patrol observation.
pub const TEXT_MAX: u32 = 4000;

/// "title: required; deadline_ms: in the past" (field names and problems, never the values).
pub(crate) fn describe(fields: &[FieldError]) -> String {
    let each: Vec<String> = fields
        .iter()
        .map(|f| format!("{}: {:?}", f.field, f.problem))
        .collect();
    format!("invalid fields: {}", each.join("; "))
}
