//! Checklist templates through the FFI: the templates a store knows (built-ins and published),
//! publishing, and parsing a template's JSON with exact error paths.

use offgrid_core::checklist::TemplateRef;
use offgrid_core::checklist::{self, Template};

use crate::Result;
use crate::inspections::OffgridInspections;

#[uniffi::export]
impl OffgridInspections {
    /// Every template available (the newest version of each).
    pub fn templates(&self) -> Result<Vec<Template>> {
        Ok(self.store()?.templates()?)
    }

    /// One template version (always readable once used by an inspection).
    pub fn template(&self, id: String, version: u32) -> Result<Template> {
        Ok(self.store()?.template(&id, version)?.as_ref().clone())
    }

    /// Publishes a validated template; a published id and version never change.
    pub fn publish_template(&self, template: Template) -> Result<TemplateRef> {
        Ok(self.store()?.publish_template(&template)?)
    }
}

/// Parses and validates a template's JSON (see `docs/templates.md`); errors give the JSON path.
#[uniffi::export]
pub(crate) fn parse_template(json: String) -> Result<Template> {
    Ok(checklist::parse(&json)?)
}
