//! `offgrid`: the admin and diagnostic tool for Offgrid record stores. This file only parses
//! the command line and dispatches; the commands live in [`commands`], [`inspect`], [`hazard`],
//! [`register`], [`template`], [`demo`] and [`bench`] (the inspection and hazard subcommands
//! declare their own arguments).
//!
//! Exit codes: 0 success, 1 failure (including `check` finding problems, a refused action and
//! an incomplete submission), 2 usage error.

#![warn(missing_docs)]

mod bench;
mod commands;
mod demo;
mod grid;
mod hazard;
mod inspect;
mod keys;
mod output;
mod patrol;
mod photo;
mod register;
#[cfg(feature = "documents")]
mod report;
mod site;
mod sync;
mod template;
mod time;
mod user;
mod values;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};
use offgrid_core::{ListQuery, RecordKind, Role};
use serde_json::Value as Json;

use commands::Ctx;

/// Offline-first inspection records: inspect, edit and check an Offgrid database.
#[derive(Parser)]
#[command(name = "offgrid", version, after_help = ROLES_HELP)]
struct Cli {
    /// The database file.
    #[arg(long, global = true, value_name = "PATH", default_value = "offgrid.db")]
    db: PathBuf,
    /// A file holding the database's key (64 hexadecimal digits, mode 600; see `key new`): the
    /// database and its photos are encrypted with it, a plain one at its first open [default:
    /// $OFFGRID_KEY (the digits themselves), else not encrypted].
    #[arg(long, global = true, value_name = "PATH")]
    key_file: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// User id that writes are attributed to [default: $OFFGRID_USER, else the account the
    /// database is signed in as, else "cli"].
    #[arg(long, global = true, value_name = "ID")]
    user: Option<String>,
    /// Display name of that user [default: $OFFGRID_USER_NAME, else the id, else "CLI"].
    #[arg(long, global = true, value_name = "NAME")]
    user_name: Option<String>,
    /// The user's role: inspector, rectifier, supervisor, admin or viewer [default:
    /// $OFFGRID_ROLE, else admin].
    #[arg(long, global = true, value_name = "ROLE", value_parser = user::parse_role)]
    role: Option<Role>,
    /// The project the role is held on [default: every project]; also the project of
    /// `inspection create` and `hazard raise`, and the register's filter.
    #[arg(long, global = true, value_name = "P")]
    project: Option<String>,
    #[command(subcommand)]
    command: Command,
}

const ROLES_HELP: &str = "\
Roles (--role, on --project or every project; the core checks them on every inspection and
hazard action):
  inspector   create, answer and submit inspections; raise, grade, re-inspect, escalate and
              close hazards
  rectifier   submit rectifications
  supervisor  everything but rectifying and publishing templates: review inspections, order
              rectification, write off hazards
  admin       everything (the default)
  viewer      read only

Example: offgrid --user chen --user-name 陈工 --role rectifier --project p1 \\
           hazard rectify ID --note 已整改 --photo SHA256";

#[derive(Subcommand)]
enum Command {
    /// List records, most recently updated first.
    List(ListArgs),
    /// Print a record (or one field) as JSON.
    Show {
        /// Record id.
        id: String,
        /// JSON pointer of one field, e.g. /answers/cover/value.
        #[arg(long, value_name = "POINTER")]
        path: Option<String>,
    },
    /// Every change to a record: when, who, what, which fields.
    History {
        /// Record id.
        id: String,
    },
    /// Fields of a record holding concurrent values from different devices.
    Conflicts {
        /// Record id.
        id: String,
    },
    /// Check the database file and that every record loads (exit code 1 if not).
    Check,
    /// Create a record and print its id.
    Create {
        /// project, inspection, hazard or patrol.
        #[arg(value_parser = values::parse_kind)]
        kind: RecordKind,
        /// A field, KEY=VALUE (VALUE is JSON if it parses, else a string). Repeatable.
        #[arg(long = "field", value_name = "KEY=VALUE", value_parser = values::parse_field)]
        fields: Vec<(String, Json)>,
        /// Fields as one JSON object; --field values override it.
        #[arg(long, value_name = "JSON")]
        json_fields: Option<String>,
    },
    /// Set one field (VALUE is a JSON scalar if it parses, else a string).
    Set {
        /// Record id.
        id: String,
        /// JSON pointer, e.g. /answers/cover/value. Its parent map must exist.
        pointer: String,
        /// 25, -1.5, true, null, "quoted text" (JSON), or any other text as a string.
        #[arg(allow_negative_numbers = true)]
        value: String,
        /// Change description [default: "set POINTER"].
        #[arg(long)]
        message: Option<String>,
    },
    /// Two simulated devices edit one inspection offline and merge; then a day on site:
    /// an inspection, its review, hazards raised, ordered, rectified, re-inspected, escalated.
    Demo {
        /// Where to put the two databases [default: a new temporary directory, kept].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Benchmarks; each prints one JSON object per line.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Checklist templates: the built-ins, validating a template file, the JSON Schema.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Inspections from checklist templates: create, answer, photograph, sign, submit, review.
    #[command(subcommand)]
    Inspection(inspect::InspectionCommand),
    /// Hazards (隐患) and their closed loop: raise, grade, order, rectify, re-inspect, close.
    #[command(subcommand)]
    Hazard(hazard::HazardCommand),
    /// The organisation's grid: cells (city → district → street → community → grid), their
    /// members and boundaries (GeoJSON).
    #[command(subcommand)]
    Grid(grid::GridCommand),
    /// Sites (人防工程): checkpoints, and the NFC tags and QR labels bound to them.
    #[command(subcommand)]
    Site(site::SiteCommand),
    /// Patrol plans (巡查计划): a site's checkpoints on a schedule, for assignees; versioned.
    #[command(subcommand)]
    Plan(patrol::PlanCommand),
    /// Patrols (巡查): today's tasks, runs with checkpoint scans, skips, observations.
    #[command(subcommand)]
    Patrol(patrol::PatrolCommand),
    /// The hazard register (台账) of --project: rows, counts by status and grade, overdue.
    Register(register::RegisterArgs),
    /// Official documents from the records here: 质量监督报告, 整改通知书, 整改回复单 (PDF) and
    /// the 台账 (XLSX), each with its number, SHA-256 and QR code.
    #[cfg(feature = "documents")]
    Report(report::ReportArgs),
    /// Whether a document is still valid, superseded by later changes, or unknown here
    /// (exit code 0, 2 or 3).
    #[cfg(feature = "documents")]
    Verify(report::VerifyArgs),
    /// Photos: process a file, attach photos to items, hazards and patrols, the upload queue.
    #[command(subcommand)]
    Photo(photo::PhotoCommand),
    /// Run the sync server (SQLite in a data folder, or --postgres) until SIGINT/SIGTERM.
    Serve(offgrid_serve::ServeArgs),
    /// Server administration: users, passwords, tokens, projects, members, templates.
    Admin(offgrid_serve::AdminArgs),
    /// Log in to a sync server once (online); the device then works offline.
    Login(sync::LoginArgs),
    /// Sync --db with its server: push, pull, photos. Exits 1 while a record or a photo is
    /// not on the server yet.
    Sync(sync::SyncArgs),
    /// Encryption keys: `key new FILE` writes a new random key file (mode 600).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Encrypt the plain --db and its photos in place with the key (--key-file or
    /// $OFFGRID_KEY), as any command opening it with the key does.
    Encrypt,
    /// Change the key of the encrypted --db from the current key (--key-file or $OFFGRID_KEY)
    /// to the one in NEW_KEY_FILE, in place and crash-safe: if interrupted, run it again.
    Rekey {
        /// The new key's file (see `key new`).
        new_key_file: PathBuf,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Write a new random key to FILE, readable only by you (never overwrites a file).
    New {
        /// Where to write it.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum TemplateCommand {
    /// The built-in templates: id, version, purpose, item count, title.
    List,
    /// Print a template as JSON: a built-in by id, or the one in --file.
    Show {
        /// Built-in template id (see `template list`).
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        id: Option<String>,
        /// A template JSON file instead of a built-in.
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
    /// Parse and validate a template file; print every problem at its JSON path (exit code 1).
    Validate {
        /// The template JSON file.
        path: PathBuf,
    },
    /// Print the JSON Schema of the template format.
    Schema,
    /// Publish (import) a template file into --db: validated, then immutable (id + version).
    Publish {
        /// The template JSON file.
        path: PathBuf,
    },
}

#[derive(Args)]
struct ListArgs {
    /// Only this kind: project, inspection, hazard or patrol.
    #[arg(long, value_parser = values::parse_kind)]
    kind: Option<RecordKind>,
    /// Only records whose `project` field is this.
    #[arg(long)]
    project: Option<String>,
    /// Only records with this status.
    #[arg(long)]
    status: Option<String>,
    /// Only records with this grade.
    #[arg(long)]
    grade: Option<String>,
    /// Only records assigned to this user id.
    #[arg(long)]
    assignee: Option<String>,
    /// Text anywhere in the record (one or two Chinese characters work too).
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Only records with conflicting values.
    #[arg(long)]
    conflicted: bool,
    /// At most N records.
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The record store: commit latency vs raw SQLite, document load, lists and search.
    Store {
        /// Directory for the benchmark's files (a temporary subdirectory, removed after).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Records for the list and search measurements.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        records: usize,
    },
    /// Domain operations: instantiate an inspection, answer with conditions, the register.
    Domain {
        /// Directory for the benchmark's files (a temporary subdirectory, removed after).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Hazards for the register measurement.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        hazards: usize,
    },
    /// The photo pipeline on a 12 MP JPEG (generated, or INPUT), per step and whole, peak
    /// memory, and `vipsthumbnail` on the same file for comparison.
    Photo {
        /// A JPEG or PNG [default: a generated 4000×3000 JPEG with EXIF orientation 6].
        input: Option<PathBuf>,
        /// Measured runs (after one warm-up); medians are reported.
        #[arg(long, value_name = "N", default_value_t = 5)]
        runs: usize,
        /// Internal: measure in this process (the parent starts a child with it).
        #[arg(long, hide = true)]
        measure: bool,
    },
    /// Patrols: today's tasks over N plans from the projections, one checkpoint scan.
    Patrol {
        /// Directory for the benchmark's files (a temporary subdirectory, removed after).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Plans (ten per site).
        #[arg(long, value_name = "N", default_value_t = 3_000)]
        plans: usize,
    },
    /// Screen models: home, hazard detail, patrol run, over N hazards.
    Screens {
        /// Directory for the benchmark's files (a temporary subdirectory, removed after).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Hazards in the store.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        hazards: usize,
    },
    /// Documents: the supervision report of a 31-item inspection with 20 photos (cold, warm,
    /// size), a notice of 10 hazards, the register of N hazards as XLSX; peak memory of each.
    #[cfg(feature = "documents")]
    Documents {
        /// Directory for the benchmark's files (a temporary subdirectory, removed after).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Hazards for the register.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        hazards: usize,
        /// Internal: measure one document in this process (the parent starts a child each).
        #[arg(long, hide = true)]
        measure: Option<String>,
    },
    /// Sync on loopback: a dirty sync (bytes, round trips, time), a new device bootstrapping,
    /// server throughput and latency with concurrent simulated devices (SQLite, PostgreSQL).
    Sync(bench::sync::Options),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    offgrid_serve::init_logging(if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    });
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(command) = needs_project(&cli.command)
        && cli.project.as_deref().is_none_or(|p| p.trim().is_empty())
    {
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                format!("`{command}` needs --project P"),
            )
            .exit();
    }
    let identity = user::Identity {
        id: cli.user,
        name: cli.user_name,
        role: cli.role,
        project: cli.project.clone(),
    };
    let ctx = Ctx {
        key: keys::resolve(cli.key_file.as_deref())?,
        db: cli.db,
        json: cli.json,
        user_given: identity.is_given(),
        user: user::resolve(identity)?,
        project: cli.project,
    };
    match cli.command {
        Command::List(a) => commands::list(
            &ctx,
            &ListQuery {
                kind: a.kind,
                project: a.project,
                status: a.status,
                grade: a.grade,
                assignee: a.assignee,
                text: a.search,
                conflicted: a.conflicted,
                limit: a.limit,
                offset: 0,
                ..ListQuery::default()
            },
        )?,
        Command::Show { id, path } => commands::show(&ctx, &id, path.as_deref())?,
        Command::History { id } => commands::history(&ctx, &id)?,
        Command::Conflicts { id } => commands::conflicts(&ctx, &id)?,
        Command::Check => {
            if !commands::check(&ctx)? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Create {
            kind,
            fields,
            json_fields,
        } => commands::create(&ctx, kind, fields, json_fields.as_deref())?,
        Command::Set {
            id,
            pointer,
            value,
            message,
        } => commands::set(
            &ctx,
            &id,
            &pointer,
            values::parse_value(&value),
            message.as_deref(),
        )?,
        Command::Demo { dir } => demo::run(dir, ctx.json)?,
        Command::Bench(BenchCommand::Store { dir, records }) => {
            bench::store::run(dir.as_deref(), records)?
        }
        Command::Bench(BenchCommand::Patrol { dir, plans }) => {
            bench::patrol::run(dir.as_deref(), plans)?
        }
        Command::Bench(BenchCommand::Domain { dir, hazards }) => {
            bench::domain::run(dir.as_deref(), hazards)?
        }
        Command::Bench(BenchCommand::Photo {
            input,
            runs,
            measure,
        }) => bench::photo::run(input.as_deref(), runs, measure)?,
        Command::Bench(BenchCommand::Sync(o)) => bench::sync::run(&o)?,
        #[cfg(feature = "documents")]
        Command::Bench(BenchCommand::Documents {
            dir,
            hazards,
            measure,
        }) => bench::documents::run(dir.as_deref(), hazards, measure.as_deref())?,
        Command::Bench(BenchCommand::Screens { dir, hazards }) => {
            bench::screens::run(dir.as_deref(), hazards)?
        }
        Command::Template(TemplateCommand::List) => {
            let store = ctx.db.exists().then(|| ctx.open_existing()).transpose()?;
            template::list(store.as_ref(), ctx.json)?
        }
        Command::Template(TemplateCommand::Publish { path }) => {
            template::publish(&ctx.open_or_create()?, &path, ctx.json)?
        }
        Command::Template(TemplateCommand::Show { id, file }) => {
            template::show(id.as_deref(), file.as_deref())?
        }
        Command::Template(TemplateCommand::Validate { path }) => {
            return template::validate(&path, ctx.json);
        }
        Command::Template(TemplateCommand::Schema) => template::schema()?,
        Command::Inspection(c) => return inspect::run(&ctx, c),
        Command::Hazard(c) => hazard::run(&ctx, c)?,
        Command::Register(a) => register::run(&ctx, a)?,
        Command::Grid(c) => grid::run(&ctx, c)?,
        Command::Site(c) => site::run(&ctx, c)?,
        Command::Plan(c) => patrol::run_plan(&ctx, c)?,
        Command::Patrol(c) => patrol::run_patrol(&ctx, c)?,
        Command::Photo(c) => photo::run(&ctx, c)?,
        #[cfg(feature = "documents")]
        Command::Report(a) => report::run(&ctx, a)?,
        #[cfg(feature = "documents")]
        Command::Verify(a) => return Ok(ExitCode::from(report::verify(&ctx, a)? as u8)),
        Command::Serve(a) => offgrid_serve::serve(a)?,
        Command::Admin(a) => offgrid_serve::admin(a, ctx.json)?,
        Command::Login(a) => sync::login(&ctx, a)?,
        Command::Sync(a) => {
            if !sync::run(&ctx, a)? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Key(KeyCommand::New { file }) => keys::new_file(&file, ctx.json)?,
        Command::Encrypt => keys::encrypt(&ctx)?,
        Command::Rekey { new_key_file } => keys::rekey(&ctx, &new_key_file)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The commands that create a record in a project, so need `--project`.
fn needs_project(command: &Command) -> Option<&'static str> {
    match command {
        Command::Inspection(inspect::InspectionCommand::Create { .. }) => Some("inspection create"),
        Command::Hazard(hazard::HazardCommand::Raise { .. }) => Some("hazard raise"),
        _ => None,
    }
}

/// Logs go to stderr; `OFFGRID_LOG` sets the filter (e.g. `info`, `offgrid_core=debug`). The
/// server logs one line per request at `info` by default.
/// Output piped into `head` and closed early is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
