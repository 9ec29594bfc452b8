//! The patrol commands: plans (`offgrid plan …`: a site's checkpoints on a schedule, for
//! assignees, versioned) and patrols (`offgrid patrol …`: today's tasks, runs with checkpoint
//! scans, skips, observations, finish, void). Everything is decided by the core; this prints.

use std::io::Write;

use anyhow::Result;
use clap::{Args, Subcommand};
use offgrid_core::RecordKind;
use offgrid_core::model::RiskGrade;
use offgrid_core::patrol::run::RunEventKind;
use offgrid_core::patrol::schedule::{Recurrence, Schedule, parse_hhmm};
use offgrid_core::patrol::task::Completion;
use offgrid_core::patrol::{CoverageQuery, NewObservation, NewPlan, ScanInput, TaskQuery};
use offgrid_core::site::CheckMethod;

use crate::commands::{Ctx, resolve_id};
use crate::{output, time, values};

#[derive(Subcommand)]
pub(crate) enum PlanCommand {
    /// Add a patrol plan for a site; print its id. Its first version is in force at once.
    Add(PlanArgs),
    /// Add the plan's next version (in force once the window open now has closed).
    Revise {
        plan: String,
        #[command(flatten)]
        args: PlanArgs,
    },
    /// A plan with every version.
    Show { plan: String },
    /// Plans held here, by title.
    List {
        #[arg(long)]
        site: Option<String>,
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Excuse one task of the plan (the site was closed), with the reason.
    Excuse {
        plan: String,
        task: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Args)]
pub(crate) struct PlanArgs {
    #[arg(long)]
    title: String,
    /// The site (id). Repeatable with `plan add`: one plan per site, the same schedule and
    /// assignees, added together.
    #[arg(long = "site", required = true)]
    sites: Vec<String>,
    /// A required checkpoint (id or name), in patrol order. Repeatable [default: every
    /// checkpoint of the site in service, in route order].
    #[arg(long = "checkpoint")]
    checkpoints: Vec<String>,
    /// When a window opens, HH:MM local time. Repeatable.
    #[arg(long = "at", required = true)]
    starts: Vec<String>,
    /// Window length in minutes.
    #[arg(long, default_value_t = 120)]
    window: u32,
    /// Grace after the window, in minutes (still done, but late).
    #[arg(long, default_value_t = 0)]
    grace: u32,
    /// ISO weekdays (1 = Monday … 7 = Sunday), comma-separated [default: every day].
    #[arg(long, value_delimiter = ',', conflicts_with = "monthdays")]
    weekdays: Vec<u8>,
    /// Days of the month, comma-separated.
    #[arg(long, value_delimiter = ',')]
    monthdays: Vec<u8>,
    /// The site's offset from UTC in minutes.
    #[arg(long, default_value_t = 480, allow_negative_numbers = true)]
    utc_offset: i32,
    /// Who patrols. Repeatable.
    #[arg(long = "assignee", required = true)]
    assignees: Vec<String>,
    /// Every assignee must patrol (default: any one of them).
    #[arg(long)]
    each: bool,
    /// Checkpoints must be scanned in route order.
    #[arg(long)]
    in_sequence: bool,
    /// A skipped checkpoint counts only once a supervisor approves it.
    #[arg(long)]
    skip_needs_approval: bool,
    /// Checklist template answered on the run (ID@VERSION).
    #[arg(long)]
    template: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum PatrolCommand {
    /// Tasks open on a day (local +08:00 date), with their state.
    Today {
        /// YYYY-MM-DD [default: today].
        #[arg(long)]
        date: Option<String>,
        /// How many days from --date.
        #[arg(long, default_value_t = 1)]
        days: u32,
        /// Only tasks of this assignee.
        #[arg(long)]
        assignee: Option<String>,
        #[arg(long)]
        plan: Option<String>,
    },
    /// Start a patrol of a plan (for --task, else the window open now); print the run's id.
    Start {
        plan: String,
        #[arg(long)]
        task: Option<String>,
    },
    /// Scan a checkpoint: an NFC tag, a QR label, or a manual check with photos.
    Scan {
        run: String,
        #[arg(long, group = "how")]
        nfc: Option<String>,
        #[arg(long, group = "how")]
        qr: Option<String>,
        /// The checkpoint checked by hand (needs --photo).
        #[arg(long, group = "how")]
        manual: Option<String>,
        /// SHA-256 of a photo attached to the run (`offgrid photo add --patrol RUN`).
        #[arg(long = "photo", value_parser = values::parse_sha256)]
        photos: Vec<String>,
        /// Monotonic clock reading (ms since boot).
        #[arg(long)]
        monotonic_ms: Option<i64>,
    },
    /// Skip a required checkpoint, with the reason.
    Skip {
        run: String,
        checkpoint: String,
        #[arg(long)]
        reason: String,
    },
    /// Record a problem seen; print the observation's id.
    Observe {
        run: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        checkpoint: Option<String>,
        #[arg(long, value_parser = values::parse_grade)]
        grade: Option<RiskGrade>,
        /// SHA-256 of a photo held here or attached to the run (`offgrid photo add --patrol RUN`).
        #[arg(long = "photo", value_parser = values::parse_sha256)]
        photos: Vec<String>,
    },
    /// Answer an item of the plan's checklist on the run (at --checkpoint): pass, fail, na, an
    /// option id, a number, text or JSON, checked against the item's type.
    Answer {
        run: String,
        item: String,
        #[arg(allow_negative_numbers = true)]
        value: String,
        #[arg(long)]
        checkpoint: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Raise a hazard from an observation, in --project (again: the same hazard).
    Raise {
        run: String,
        observation: String,
    },
    Pause {
        run: String,
    },
    Resume {
        run: String,
    },
    /// Finish the run (a reason is needed if checkpoints are left uncovered).
    Finish {
        run: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Approve a skipped checkpoint (supervisors).
    Approve {
        run: String,
        skip: String,
    },
    /// Void a run (supervisors), with the reason.
    Void {
        run: String,
        #[arg(long)]
        reason: String,
    },
    /// A run: checkpoints covered and remaining, flags, every event.
    Show {
        run: String,
    },
    /// Coverage per grid cell of a period (local +08:00 days): tasks by state, checkpoints
    /// missed, flags, open hazards; each cell rolled up with what is under it.
    Coverage {
        /// YYYY-MM-DD [default: today].
        #[arg(long)]
        date: Option<String>,
        #[arg(long, default_value_t = 1)]
        days: u32,
        /// Only this cell (id or code) and what is under it.
        #[arg(long)]
        cell: Option<String>,
        /// Only cells at most this many levels below the root (0: the root only).
        #[arg(long)]
        depth: Option<u32>,
        /// Only cells that need attention: tasks missed, partial or awaiting sync, checkpoints
        /// missed, suspect scans, open hazards.
        #[arg(long)]
        attention: bool,
        /// Order: grid (the hierarchy), missed, awaiting_sync, hazards, suspect.
        #[arg(long, default_value = "grid")]
        sort: offgrid_core::patrol::CoverageSort,
    },
}

const DAY_MS: i64 = 86_400_000;

/// The plans `a` describes: one per site.
fn new_plans(store: &offgrid_core::Store, a: PlanArgs) -> Result<Vec<NewPlan>> {
    if a.sites.len() > 1 && !a.checkpoints.is_empty() {
        return Err(offgrid_core::Error::InvalidArgument(
            "--checkpoint names one site's checkpoints: give one --site with them".into(),
        )
        .into());
    }
    let sites = a
        .sites
        .iter()
        .map(|s| resolve_id(store, RecordKind::Site, s))
        .collect::<Result<Vec<_>>>()?;
    let plan = new_plan(&sites[0], a)?;
    Ok(sites
        .into_iter()
        .map(|site| NewPlan {
            site,
            ..plan.clone()
        })
        .collect())
}

fn new_plan(site: &offgrid_core::RecordId, a: PlanArgs) -> Result<NewPlan> {
    let site = site.clone();
    // Ids or names: the core resolves them, and refuses one the site lacks.
    let checkpoints = a.checkpoints.clone();
    let recurrence = if !a.weekdays.is_empty() {
        Recurrence::Week { days: a.weekdays }
    } else if !a.monthdays.is_empty() {
        Recurrence::Month { days: a.monthdays }
    } else {
        Recurrence::Day
    };
    let starts = a
        .starts
        .iter()
        .map(|s| parse_hhmm(s))
        .collect::<Result<Vec<u16>, _>>()?;
    Ok(NewPlan {
        title: a.title,
        site,
        checkpoints,
        template: a.template,
        schedule: Schedule {
            recurrence,
            starts,
            window_minutes: a.window,
            grace_minutes: a.grace,
            utc_offset_minutes: a.utc_offset,
        },
        in_sequence: a.in_sequence,
        assignees: a.assignees,
        completion: if a.each {
            Completion::Each
        } else {
            Completion::Any
        },
        skip_needs_approval: a.skip_needs_approval,
    })
}

pub(crate) fn run_plan(ctx: &Ctx, command: PlanCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        PlanCommand::Add(a) => {
            let store = ctx.open_as_user()?;
            let ids = store.add_patrol_plans(&new_plans(&store, a)?)?;
            if ctx.json {
                let plans = ids
                    .iter()
                    .map(|id| store.patrol_plan(id))
                    .collect::<offgrid_core::Result<Vec<_>>>()?;
                // One site, one plan (as before); several sites, the list.
                match plans.as_slice() {
                    [one] => output::json(&mut out, one)?,
                    many => output::json(&mut out, &many)?,
                }
            } else {
                for id in ids {
                    writeln!(out, "{id}")?;
                }
            }
        }
        PlanCommand::Revise { plan, args } => {
            let store = ctx.open_as_user()?;
            let id = resolve_id(&store, RecordKind::PatrolPlan, &plan)?;
            let mut plans = new_plans(&store, args)?;
            if plans.len() != 1 {
                return Err(offgrid_core::Error::InvalidArgument(
                    "a plan is revised for its one site: give one --site".into(),
                )
                .into());
            }
            let new = plans.remove(0);
            let v = store.revise_patrol_plan(&id, &new)?;
            let p = store.patrol_plan(&id)?;
            if ctx.json {
                output::json(&mut out, &p)?;
            } else {
                let from = p.versions.last().map_or(0, |v| v.effective_from_ms);
                writeln!(out, "version {v}, in force from {}", time::utc(from))?;
            }
        }
        PlanCommand::Show { plan } => {
            let store = ctx.open_existing()?;
            let p = store.patrol_plan(&resolve_id(&store, RecordKind::PatrolPlan, &plan)?)?;
            if ctx.json {
                output::json(&mut out, &p)?;
            } else {
                writeln!(out, "{}  {}\nsite {}", p.id, p.title, p.site)?;
                for v in &p.versions {
                    writeln!(
                        out,
                        "version {} from {}: {} checkpoint(s), {:?} {} window {} min (+{} grace), {} by {}",
                        v.version,
                        time::utc(v.effective_from_ms),
                        v.checkpoints.len(),
                        v.schedule.recurrence,
                        v.schedule
                            .starts
                            .iter()
                            .map(|m| format!("{:02}:{:02}", m / 60, m % 60))
                            .collect::<Vec<_>>()
                            .join(","),
                        v.schedule.window_minutes,
                        v.schedule.grace_minutes,
                        match v.completion {
                            Completion::Any => "any of",
                            Completion::Each => "each of",
                        },
                        v.assignees.join(", ")
                    )?;
                    for c in &v.checkpoints {
                        writeln!(out, "  {}  {}", output::short_id(&c.id), c.name)?;
                    }
                }
            }
        }
        PlanCommand::List { site, assignee } => {
            let store = ctx.open_existing()?;
            let site = site
                .map(|s| resolve_id(&store, RecordKind::Site, &s))
                .transpose()?;
            let rows = store.patrol_plans(site.as_ref(), assignee.as_deref())?;
            if ctx.json {
                output::json(&mut out, &rows)?;
            } else {
                output::id_titles(&mut out, &rows)?;
            }
        }
        PlanCommand::Excuse { plan, task, reason } => {
            let store = ctx.open_as_user()?;
            let id = resolve_id(&store, RecordKind::PatrolPlan, &plan)?;
            store.excuse_patrol_task(&id, &task, &reason)?;
        }
    }
    Ok(())
}

/// UTC ms of the start of local day `YYYY-MM-DD` in the organisation's zone, or of today there.
fn local_day(store: &offgrid_core::Store, date: Option<&str>) -> Result<i64> {
    let zone = store.zone();
    Ok(match date {
        Some(d) => zone.day_start(d)?,
        None => zone.day_start_at(store.now().unix_ms),
    })
}

pub(crate) fn run_patrol(ctx: &Ctx, command: PatrolCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let run_id =
        |store: &offgrid_core::Store, text: &str| resolve_id(store, RecordKind::PatrolRun, text);
    match command {
        PatrolCommand::Coverage {
            date,
            days,
            cell,
            depth,
            attention,
            sort,
        } => {
            let store = ctx.open_existing()?;
            let from = local_day(&store, date.as_deref())?;
            let cell = cell
                .map(|c| crate::grid::resolve_cell(&store, &c))
                .transpose()?;
            let cov = store.patrol_coverage(&CoverageQuery {
                from_ms: from,
                to_ms: from + i64::from(days.max(1)) * DAY_MS,
                cell,
                max_depth: depth,
                attention_only: attention,
                sort: Some(sort),
            })?;
            if ctx.json {
                output::json(&mut out, &cov)?;
            } else {
                let mut rows = vec![[
                    "网格 / cell".to_owned(),
                    "站点 sites".to_owned(),
                    "任务 tasks".to_owned(),
                    "完成 done".to_owned(),
                    "迟 late".to_owned(),
                    "部分 partial".to_owned(),
                    "漏 missed".to_owned(),
                    "待同步 awaiting".to_owned(),
                    "漏点 cps missed".to_owned(),
                    "标记 flags".to_owned(),
                    "伪造 forged".to_owned(),
                    "存疑 disputed".to_owned(),
                    "钟快 clock ahead".to_owned(),
                    "隐患 hazards".to_owned(),
                ]];
                for c in &cov {
                    let t = &c.total;
                    rows.push([
                        format!("{}{} {}", "  ".repeat(c.depth as usize), c.code, c.name),
                        c.sites.to_string(),
                        t.tasks.total().to_string(),
                        t.tasks.done.to_string(),
                        t.tasks.late.to_string(),
                        t.tasks.partial.to_string(),
                        t.tasks.missed.to_string(),
                        t.tasks.awaiting_sync.to_string(),
                        t.checkpoints_missed.to_string(),
                        t.flags.to_string(),
                        t.forged_scans.to_string(),
                        t.disputed_scans.to_string(),
                        t.clock_ahead.to_string(),
                        t.open_hazards.values().sum::<u32>().to_string(),
                    ]);
                }
                write!(out, "{}", output::render(&rows))?;
            }
        }
        PatrolCommand::Today {
            date,
            days,
            assignee,
            plan,
        } => {
            let store = ctx.open_existing()?;
            let from = local_day(&store, date.as_deref())?;
            let plan = plan
                .map(|p| resolve_id(&store, RecordKind::PatrolPlan, &p))
                .transpose()?;
            let tasks = store.patrol_tasks(&TaskQuery {
                from_ms: from,
                to_ms: from + i64::from(days.max(1)) * DAY_MS,
                assignee,
                plan,
                site: None,
            })?;
            if ctx.json {
                output::json(&mut out, &tasks)?;
            } else {
                for t in tasks {
                    writeln!(
                        out,
                        "{}  {}  {:<13} {}  {}  runs: {}",
                        t.id,
                        time::utc(t.occurrence.start_ms),
                        t.state.as_str(),
                        t.plan_title,
                        t.assignees.join(","),
                        t.runs.len()
                    )?;
                }
            }
        }
        PatrolCommand::Start { plan, task } => {
            let store = ctx.open_as_user()?;
            let plan = resolve_id(&store, RecordKind::PatrolPlan, &plan)?;
            let id = store.start_patrol(&plan, task.as_deref())?;
            writeln!(out, "{id}")?;
        }
        PatrolCommand::Scan {
            run,
            nfc,
            qr,
            manual,
            photos,
            monotonic_ms,
        } => {
            let store = ctx.open_as_user()?;
            let id = run_id(&store, &run)?;
            let (method, payload) = match (nfc, qr, &manual) {
                (Some(p), _, _) => (CheckMethod::Nfc, Some(p)),
                (_, Some(p), _) => (CheckMethod::Qr, Some(p)),
                (_, _, Some(_)) => (CheckMethod::ManualPhoto, None),
                _ => anyhow::bail!("scan needs --nfc PAYLOAD, --qr PAYLOAD or --manual CHECKPOINT"),
            };
            let checkpoint = match manual {
                Some(c) => {
                    let v = store.patrol_run(&id)?;
                    Some(
                        v.checkpoints
                            .iter()
                            .find(|x| x.id == c || x.name == c)
                            .map(|x| x.id.clone())
                            .unwrap_or(c),
                    )
                }
                None => None,
            };
            let outcome = store.scan_checkpoint(
                &id,
                &ScanInput {
                    method: Some(method),
                    payload,
                    checkpoint,
                    photos,
                    monotonic_ms,
                    gps: None,
                },
            )?;
            if ctx.json {
                output::json(&mut out, &outcome)?;
            } else {
                writeln!(
                    out,
                    "{}  {}{}",
                    outcome.verdict.checkpoint.as_deref().unwrap_or("-"),
                    if outcome.verdict.counts {
                        "counts"
                    } else {
                        "does not count"
                    },
                    outcome
                        .verdict
                        .flags
                        .iter()
                        .map(|f| format!("  [{}]", f.as_str()))
                        .collect::<String>()
                )?;
            }
        }
        PatrolCommand::Skip {
            run,
            checkpoint,
            reason,
        } => {
            let store = ctx.open_as_user()?;
            let id = run_id(&store, &run)?;
            let v = store.patrol_run(&id)?;
            let cp = v
                .checkpoints
                .iter()
                .find(|x| x.id == checkpoint || x.name == checkpoint)
                .map(|x| x.id.clone())
                .unwrap_or(checkpoint);
            writeln!(out, "{}", store.skip_checkpoint(&id, &cp, &reason)?)?;
        }
        PatrolCommand::Observe {
            run,
            text,
            checkpoint,
            grade,
            photos,
        } => {
            let store = ctx.open_as_user()?;
            let id = run_id(&store, &run)?;
            let obs = store.observe_on_patrol(
                &id,
                &NewObservation {
                    checkpoint,
                    text,
                    grade,
                    photos,
                },
            )?;
            writeln!(out, "{obs}")?;
        }
        PatrolCommand::Answer {
            run,
            item,
            value,
            checkpoint,
            note,
        } => {
            let store = ctx.open_as_user()?;
            let id = run_id(&store, &run)?;
            let event = store.answer_on_patrol(
                &id,
                checkpoint.as_deref(),
                &item,
                values::parse_value(&value),
                note.as_deref(),
            )?;
            writeln!(out, "{event}")?;
        }
        PatrolCommand::Raise { run, observation } => {
            let project = ctx.require_project("patrol raise")?;
            let store = ctx.open_as_user()?;
            let id = run_id(&store, &run)?;
            let hazard = store.raise_hazard_from_observation(&id, &observation, &project)?;
            writeln!(out, "{hazard}")?;
        }
        PatrolCommand::Pause { run } => {
            let store = ctx.open_as_user()?;
            store.pause_patrol(&run_id(&store, &run)?)?;
        }
        PatrolCommand::Resume { run } => {
            let store = ctx.open_as_user()?;
            store.resume_patrol(&run_id(&store, &run)?)?;
        }
        PatrolCommand::Finish { run, reason } => {
            let store = ctx.open_as_user()?;
            store.finish_patrol(&run_id(&store, &run)?, reason.as_deref())?;
        }
        PatrolCommand::Approve { run, skip } => {
            let store = ctx.open_as_user()?;
            store.approve_patrol_skip(&run_id(&store, &run)?, &skip)?;
        }
        PatrolCommand::Void { run, reason } => {
            let store = ctx.open_as_user()?;
            store.void_patrol(&run_id(&store, &run)?, &reason)?;
        }
        PatrolCommand::Show { run } => {
            let store = ctx.open_existing()?;
            let v = store.patrol_run(&run_id(&store, &run)?)?;
            if ctx.json {
                output::json(&mut out, &v)?;
            } else {
                let (zh, en) = v.status.label();
                writeln!(
                    out,
                    "{}  {}  {zh} / {en}  runner {}",
                    v.id, v.title, v.runner
                )?;
                for c in &v.checkpoints {
                    let mark = if v.covered.contains(&c.id) {
                        "✓"
                    } else if v.remaining.contains(&c.id) {
                        "·"
                    } else {
                        " "
                    };
                    writeln!(out, "  {mark} {}  {}", output::short_id(&c.id), c.name)?;
                }
                for (flag, n) in &v.flags {
                    writeln!(out, "  flag {flag} ×{n}")?;
                }
                for e in &v.events {
                    let detail = match &e.kind {
                        RunEventKind::Scan { verdict, .. } => format!(
                            " {} {}",
                            verdict.checkpoint.as_deref().map_or("-", output::short_id),
                            if verdict.counts {
                                "counts"
                            } else {
                                "does not count"
                            }
                        ),
                        RunEventKind::Skip { checkpoint, reason } => {
                            format!(" {} ({reason})", output::short_id(checkpoint))
                        }
                        RunEventKind::Observe { text, .. } => format!(" {text}"),
                        RunEventKind::Finish { reason: Some(r) }
                        | RunEventKind::Void { reason: r } => {
                            format!(" ({r})")
                        }
                        _ => String::new(),
                    };
                    let applied = if v.not_applied.contains(&e.id) {
                        "  (not applied)"
                    } else {
                        ""
                    };
                    writeln!(
                        out,
                        "  {}  {}  {}{detail}{applied}  [{}]",
                        time::utc(e.at_ms),
                        e.kind.name(),
                        e.by,
                        e.id
                    )?;
                }
            }
        }
    }
    Ok(())
}
