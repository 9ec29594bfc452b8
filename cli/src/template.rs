//! The template commands: list the templates (built-in, plus those published in `--db` when it
//! exists), show one (or a file) as JSON, validate a template file with every problem at its JSON
//! path, publish (import) a file into the database, print the JSON Schema.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use offgrid_core::Error as CoreError;
use offgrid_core::checklist::{self, Template, TemplateIssue, builtin};
use serde::Serialize;
use serde_json::Value as Json;

use crate::output;

/// One row of `template list --json`.
#[derive(Serialize)]
struct Summary<'a> {
    id: &'a str,
    version: u32,
    purpose: Json,
    title: &'a checklist::Text,
    items: usize,
    content_hash: String,
}

impl<'a> Summary<'a> {
    fn of(t: &'a Template) -> Self {
        Summary {
            id: &t.id,
            version: t.version,
            purpose: serde_json::to_value(t.purpose).unwrap_or(Json::Null),
            title: &t.title,
            items: t.items().count(),
            content_hash: t.content_hash(),
        }
    }
}

/// The newest version of every template: built-in, and published in the store if given.
pub(crate) fn list(store: Option<&offgrid_core::Store>, json: bool) -> Result<()> {
    let templates = match store {
        Some(store) => store.templates().context("cannot read the templates")?,
        None => builtin::all().context("a built-in template is broken")?,
    };
    let rows: Vec<Summary> = templates.iter().map(Summary::of).collect();
    let mut out = std::io::stdout().lock();
    if json {
        return output::json(&mut out, &rows);
    }
    let header = ["ID", "VERSION", "PURPOSE", "ITEMS", "TITLE"].map(String::from);
    let body = rows.iter().map(|r| {
        [
            r.id.to_owned(),
            r.version.to_string(),
            r.purpose.as_str().unwrap_or("-").to_owned(),
            r.items.to_string(),
            format!("{} / {}", r.title.zh, r.title.en),
        ]
    });
    let table: Vec<[String; 5]> = std::iter::once(header).chain(body).collect();
    out.write_all(output::render(&table).as_bytes())?;
    Ok(())
}

/// Prints a template as pretty JSON: the built-in `id`, or the template in `file`.
pub(crate) fn show(id: Option<&str>, file: Option<&Path>) -> Result<()> {
    let template = match (id, file) {
        (_, Some(path)) => {
            let text = read(path)?;
            checklist::parse(&text)
                .with_context(|| format!("{} is not a valid template", path.display()))?
        }
        (Some(id), None) => match builtin::get(id).context("a built-in template is broken")? {
            Some(t) => t,
            None => bail!("no built-in template {id:?} (see `offgrid template list`)"),
        },
        (None, None) => bail!("name a built-in template id or pass --file PATH"),
    };
    output::json(&mut std::io::stdout().lock(), &template)
}

#[derive(Serialize)]
struct Validation<'a> {
    ok: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    template: Option<Summary<'a>>,
    issues: Vec<TemplateIssue>,
}

/// Parses and validates the template in `path`; prints every problem (`path: reason`) or a
/// one-line summary. Exit code 1 when there are problems.
pub(crate) fn validate(path: &Path, json: bool) -> Result<ExitCode> {
    let text = read(path)?;
    let (template, issues) = match checklist::parse(&text) {
        Ok(t) => (Some(t), Vec::new()),
        Err(e) => (None, issues(&text, e.into())?),
    };
    let report = Validation {
        ok: issues.is_empty(),
        template: template.as_ref().map(Summary::of),
        issues,
    };
    let mut out = std::io::stdout().lock();
    if json {
        output::json(&mut out, &report)?;
    } else if let Some(s) = &report.template {
        writeln!(
            out,
            "ok: {} v{} ({} items, hash {})",
            s.id, s.version, s.items, s.content_hash
        )?;
    } else {
        for issue in &report.issues {
            writeln!(out, "{issue}")?;
        }
        let n = report.issues.len();
        eprintln!(
            "{}: {n} problem{}",
            path.display(),
            if n == 1 { "" } else { "s" }
        );
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Every problem behind a failed parse. `parse` stops at the first one; when the JSON does
/// deserialize, `validate` lists them all (the parse error first if `validate` does not report
/// it, e.g. an unknown item field). A file that does not deserialize has the one error.
fn issues(text: &str, err: CoreError) -> Result<Vec<TemplateIssue>> {
    let CoreError::Template { path, reason } = err else {
        return Err(err.into());
    };
    let first = TemplateIssue { path, reason };
    let mut all = match serde_json::from_str::<Template>(text) {
        Ok(t) => checklist::validate(&t),
        Err(_) => Vec::new(),
    };
    if !all.contains(&first) {
        all.insert(0, first);
    }
    Ok(all)
}

/// The JSON Schema of the template format.
pub(crate) fn schema() -> Result<()> {
    output::json(&mut std::io::stdout().lock(), &checklist::json_schema())
}

/// Publishes (imports) a template file into the store: validated, then immutable under its id
/// and version. Publishing the same content again is a no-op; other content under a published
/// version is refused.
pub(crate) fn publish(store: &offgrid_core::Store, path: &Path, json: bool) -> Result<()> {
    let template = checklist::parse(&read(path)?)
        .with_context(|| format!("{} is not a valid template", path.display()))?;
    let r = store.publish_template(&template)?;
    let mut out = std::io::stdout().lock();
    if json {
        return output::json(&mut out, &r);
    }
    writeln!(out, "published {} v{} (hash {})", r.id, r.version, r.hash)?;
    Ok(())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}
