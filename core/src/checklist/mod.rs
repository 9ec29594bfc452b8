//! Checklist templates: the documented JSON format ([`template`]), visibility conditions
//! ([`condition`]), loading with path-precise errors ([`mod@validate`]), incremental visibility
//! ([`visibility`]) and the built-in templates from the domain reference ([`builtin`]).

pub mod published;

pub use offgrid_domain::checklist::*;

pub use published::TemplateRef;
