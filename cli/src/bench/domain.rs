//! `offgrid bench domain`: the domain operations an inspector feels.
//!
//! 1. Instantiate an inspection from a 200-item template (`domain.instantiate_200_ms`, p50).
//! 2. One answer on a 500-item template with 200 visibility conditions, including the
//!    re-evaluation and the commit (`domain.answer_500_p50_ms`, and p99).
//! 3. The hazard register over N hazards (default 10,000): filtered by project and overdue,
//!    sorted by grade, first page, with counts by status and grade (`domain.register_10k_ms`).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use offgrid_core::checklist::{Template, parse};
use offgrid_core::hazard::RegisterQuery;
use offgrid_core::inspection::NewInspection;
use offgrid_core::{Clock, ListSort};
use serde_json::{Value as Json, json};

use super::{emit, percentile_ms};

const RUNS: usize = 50;
const ANSWERS: usize = 200;
const DAY: i64 = 86_400_000;

pub(crate) fn run(dir: Option<&Path>, hazards: usize) -> Result<()> {
    let (_tmp, clock, store) = super::open_store(dir, "domain.db")?;

    // 1. Instantiate a 200-item inspection.
    let t200 = template("bench-200", 200, 0)?;
    store.publish_template(&t200)?;
    let new = |id: &str| NewInspection {
        template_id: id.into(),
        template_version: Some(1),
        project: "p1".into(),
        site: "B1".into(),
        title: None,
    };
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        store.create_inspection(&new("bench-200"))?;
        times.push(start.elapsed());
    }
    emit(
        "domain.instantiate_200_ms",
        percentile_ms(&times, 50.0),
        "ms",
    )?;

    // 2. Answers on a 500-item template with 200 conditions.
    let t500 = template("bench-500", 500, 200)?;
    store.publish_template(&t500)?;
    let id = store.create_inspection(&new("bench-500"))?;
    let mut times: Vec<Duration> = Vec::with_capacity(ANSWERS);
    let mut shown = 0;
    for i in 0..ANSWERS {
        // Gate items (which conditions read) and plain ones, pass and fail.
        let item = format!("i{}", (i * 7) % 300);
        let value = if i % 3 == 0 { "fail" } else { "pass" };
        let start = Instant::now();
        let out = store.answer(&id, &item, &json!(value), None)?;
        times.push(start.elapsed());
        shown += out.shown.len();
    }
    ensure!(
        shown > 0,
        "no answer changed visibility: the benchmark template lost its conditions"
    );
    emit(
        "domain.answer_500_p50_ms",
        percentile_ms(&times, 50.0),
        "ms",
    )?;
    emit(
        "domain.answer_500_p99_ms",
        percentile_ms(&times, 99.0),
        "ms",
    )?;

    // 3. The register over many hazards.
    // One in ten gets a rectification order, half of those already past their deadline.
    let now = clock.now().unix_ms;
    super::fixtures::hazards(&store, hazards, |i| {
        (i % 10 == 0).then_some(now + if i % 20 == 0 { -DAY } else { 7 * DAY })
    })?;
    let query = RegisterQuery {
        project: Some("p0".into()),
        overdue: true,
        sort: ListSort::Grade,
        limit: Some(100),
        ..Default::default()
    };
    let mut times = Vec::with_capacity(RUNS);
    let mut rows = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let reg = store.register(&query)?;
        times.push(start.elapsed());
        rows = reg.rows.len() + reg.by_status.len();
    }
    ensure!(
        hazards < 100 || rows > 0,
        "the register query matched nothing"
    );
    emit("domain.register_hazards", hazards, "hazards")?;
    emit("domain.register_10k_ms", percentile_ms(&times, 50.0), "ms")?;
    let all = RegisterQuery {
        sort: ListSort::Grade,
        limit: Some(100),
        ..Default::default()
    };
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        store.register(&all)?;
        times.push(start.elapsed());
    }
    emit(
        "domain.register_all_10k_ms",
        percentile_ms(&times, 50.0),
        "ms",
    )?;
    Ok(())
}

/// A template of `items` pass/fail items, `conditions` of which show only when an earlier
/// "gate" item (one of the first 100) failed.
pub(super) fn template(id: &str, items: usize, conditions: usize) -> Result<Template> {
    let text = |s: String| json!({"zh-CN": format!("检查项 {s}"), "en": format!("Item {s}")});
    let list: Vec<Json> = (0..items)
        .map(|i| {
            let mut item =
                json!({"id": format!("i{i}"), "type": "pass_fail", "text": text(i.to_string())});
            if i >= items - conditions {
                item["visible_if"] =
                    json!({"op": "eq", "item": format!("i{}", i % 100), "value": "fail"});
            }
            item
        })
        .collect();
    let sections: Vec<Json> = list
        .chunks(50)
        .enumerate()
        .map(|(s, chunk)| json!({"id": format!("s{s}"), "title": text(format!("section {s}")), "items": chunk}))
        .collect();
    let t = json!({"id": id, "version": 1, "title": text(id.to_owned()), "purpose": "patrol", "sections": sections});
    Ok(parse(&t.to_string())?)
}
