//! Checklist templates: the documented JSON format ([`template`]), visibility conditions
//! ([`condition`]), loading with path-precise errors ([`mod@validate`]), incremental visibility
//! ([`visibility`]) and the built-in templates from the domain reference ([`builtin`]).

pub mod builtin;
pub mod condition;
pub mod display;
pub mod template;
pub mod validate;
pub mod visibility;

pub use condition::Condition;
pub use template::{
    Choice, Clause, Evidence, Item, ItemKind, Section, Template, TemplatePurpose, TemplateRef,
    Text, json_schema,
};
pub use validate::{TemplateIssue, parse, validate};
pub use visibility::Visibility;
