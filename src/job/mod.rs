//! `azcost report`: the unattended job. Runs every configured cluster,
//! writes one bundle per cluster and date, appends to the history, and
//! optionally writes a Prometheus textfile. One cluster failing does not
//! stop the others.
//!
//! Owns orchestration and files; every number comes from `model`, every
//! rendering from `report`.

pub mod bundle;
pub mod chargeback;
pub mod config;
pub mod fleet;
pub mod history;
pub mod hooks;
pub mod interrupt;
pub mod lock;
pub mod log;
pub mod prometheus;

use crate::error::Error;
use crate::findings::{Findings, analyze_planned, find_prepared};
use crate::model::flows::Index;
use crate::model::{Analysis, Scenario, frames};
use crate::numbers::usd;
use crate::report::{self, Format, html, table};
use crate::snapshot::{parse_and_validate_keeping, read_with_room};
use chargeback::ChargebackRow;
use config::{ClusterJob, ClusterSource, ReportConfig};
use history::HistoryRow;
use log::Log;
use polars::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// The bundle's files. Several are made at once on two cores, so the order
/// they are written in is not this one.
pub const BUNDLE_FILES: [&str; 10] = [
    "snapshot.json",
    "audit.json",
    "finance.csv",
    "chargeback.csv",
    "findings.csv",
    "warnings.csv",
    "breakdowns.parquet",
    "placement.parquet",
    "summary.md",
    "summary.html",
];

/// Runs the job: up to `jobs` clusters at once (see [`fleet`]). Exit
/// status: 0 all clusters done; otherwise the error says how many failed,
/// with 2 when every failure was bad input (config, snapshot, a bundle
/// that exists) and 1 when any failed at run time (I/O, a full disk, a
/// deadline, a lock held too long).
pub fn run(cfg: &ReportConfig) -> Result<(), Error> {
    let log = Log {
        json: cfg.json_logs,
        quiet: cfg.quiet,
    };
    lock::started();
    interrupt::install(&log);
    std::fs::create_dir_all(&cfg.out)
        .map_err(|e| Error::io(format!("creating {}", cfg.out.display()), e))?;
    bundle::clear_stale(&cfg.out);
    let shared = Arc::new(cfg.clone());
    let tasks = cfg
        .clusters
        .iter()
        .enumerate()
        .map(|(i, job)| {
            let cfg = Arc::clone(&shared);
            fleet::Task {
                name: job.name.clone(),
                deadline: job.deadline,
                work: Box::new(move |claim: &fleet::Claim| {
                    run_cluster(&cfg, &cfg.clusters[i], claim, &log)
                }),
            }
        })
        .collect();
    let results = fleet::run_all(tasks, cfg.jobs, &|name| {
        log.info(Some(name), "started");
    });
    interrupt::await_handler();
    let mut failed: Vec<(String, u8)> = Vec::new();
    for (job, result) in cfg.clusters.iter().zip(results) {
        if let Err(e) = result {
            log.error(Some(&job.name), &e.to_string());
            failed.push((job.name.clone(), e.exit_code()));
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    let code = if failed
        .iter()
        .all(|(_, c)| *c == crate::error::EXIT_BAD_INPUT)
    {
        crate::error::EXIT_BAD_INPUT
    } else {
        crate::error::EXIT_RUNTIME
    };
    Err(Error::Partial {
        failed: failed.iter().map(|(n, _)| n.clone()).collect(),
        total: cfg.clusters.len(),
        code,
    })
}

/// Bundle files by name, with their bytes, in the order they are written.
type BundleFiles<'a> = Vec<(&'a str, Vec<u8>)>;

/// The audit of one cluster and every bundle file made of it but
/// `snapshot.json` and `reconcile.csv`. Each file that gets no section
/// later is staged as soon as it is made, while the other core is still
/// busy (at 2M partitions, writing and fsyncing them takes seconds); the
/// summaries are handed back, to be staged in order.
fn analyse<'a>(
    cfg: &ReportConfig,
    job: &ClusterJob,
    snap: &crate::snapshot::Snapshot,
    staged: &bundle::Staged,
) -> Result<(Analysis, Findings, BundleFiles<'a>), Error> {
    // A snapshot of the wrong length is refused before any work.
    let window_seconds = crate::model::cost::window_seconds(snap);
    if let (Some(expected), ClusterSource::Snapshot(_)) = (job.window_seconds, &job.source)
        && (window_seconds - expected).abs() > 1.0
    {
        return Err(Error::usage(format!(
            "{} covers {} but the config expects window = {}: refusing to report it as this period's evidence",
            job.source.label(),
            crate::numbers::duration(window_seconds),
            crate::numbers::duration(expected)
        )));
    }
    // Indexed once for the model, the findings and the placement map.
    let index = Index::new(snap);
    // The placement map (every read of the cluster, millions at scale)
    // needs only the index: it is made on one core from here on, while the
    // analysis, the findings and the other files are made on the other
    // (which the analysis shares with the replica fix's pricing).
    let (placement, rest) = std::thread::scope(|scope| {
        // `placement.parquet` is staged as it is encoded: nothing is added
        // to it later, and its 100 MB need not wait for the rest.
        let placement = scope.spawn(|| {
            let mut by_reason = Vec::new();
            staged.write_with("placement.parquet", |out| {
                by_reason = crate::placement::write_parquet(&index, out)?;
                Ok(())
            })?;
            Ok::<_, Error>(by_reason)
        });
        let rest = (|| {
            let (a, plan) = analyze_planned(&index, &cfg.pricing);
            let found = find_prepared(&index, &a, &cfg.findings, plan);
            let later = stage_findings_and_summaries(cfg, job, &a, &found, staged)?;
            Ok::<_, Error>((a, found, later))
        })();
        // A panic in the thread is a bug; re-raise it where it happened.
        let placement = placement
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (placement, rest)
    });
    drop(index);
    let (a, found, mut files) = rest?;
    let why_crosses = crate::placement::why_crosses_rows(&placement?, &a);
    add_why_crosses(&mut files, why_crosses);
    Ok((a, found, files))
}

/// Every bundle file made of the analysis and its findings but the
/// placement map's: those that get no section later are staged; the
/// summaries are handed back.
fn stage_findings_and_summaries<'a>(
    cfg: &ReportConfig,
    job: &ClusterJob,
    a: &Analysis,
    found: &Findings,
    staged: &bundle::Staged,
) -> Result<BundleFiles<'a>, Error> {
    let charge = chargeback::chargeback(a, &cfg.owners)
        .map_err(|e| Error::usage(format!("{}: {e}", config_name(cfg))))?;
    // Read for the trend only; the row is appended under the lock later.
    let earlier = history::read(&cfg.out.join("history.parquet"))?;
    let trend = history::previous(&earlier, &job.name).map(|p| trend_sentence(p, a));
    let files = bundle_files(cfg, a, found, &charge, trend)?;
    let (later, now): (BundleFiles<'a>, BundleFiles<'a>) = files
        .into_iter()
        .partition(|(name, _)| SECTIONS_ADDED_TO.contains(name));
    for (name, bytes) in now {
        staged.write(name, &bytes)?;
    }
    // The largest, staged as they are made.
    staged.write_with("finance.csv", |out| report::csv::write_finance(a, out))?;
    staged.write_with("findings.csv", |out| {
        report::csv::write_findings(&found.items, out)
    })?;
    staged.write_with("audit.json", |out| {
        report::json::write(a, found, cfg.top, out)
    })?;
    Ok(later)
}

/// One cluster: collect or read, analyse and render without any lock, stage
/// the bundle; then, holding the `--out` lock, write the new history and
/// textfile to temp files (where a full disk fails, changing nothing) and
/// rename bundle, history and textfile into place.
fn run_cluster(
    cfg: &ReportConfig,
    job: &ClusterJob,
    claim: &fleet::Claim,
    log: &Log,
) -> Result<(), Error> {
    let target = bundle::bundle_dir(&cfg.out, &job.name, &cfg.date);
    if target.exists() && !cfg.force {
        return Err(bundle::exists(&target));
    }
    let (raw, snap) = match &job.source {
        ClusterSource::Snapshot(path) => {
            let raw = read_with_room(path).map_err(|e| {
                Error::usage(format!(
                    "snapshot {}: cannot read the file: {e}",
                    path.display()
                ))
            })?;
            let (snap, raw) = parse_and_validate_keeping(raw, &path.display().to_string())?;
            (raw, snap)
        }
        ClusterSource::Msk(opts) => {
            let snap = crate::collect::msk::run(opts)?;
            (crate::snapshot::to_json(&snap).into_bytes(), snap)
        }
        ClusterSource::Kafka(opts) => {
            let snap = crate::collect::kafka::collect(opts)?;
            (crate::snapshot::to_json(&snap).into_bytes(), snap)
        }
    };
    // The snapshot's copy is written and fsynced (hundreds of MB at scale)
    // while the cluster is analysed: it is the bundle's first file either way.
    let staged = bundle::begin(&cfg.out, &job.name, &cfg.date)?;
    let (analysed, snapshot_written) = std::thread::scope(|scope| {
        let written = scope.spawn(|| staged.write("snapshot.json", &raw));
        let analysed = analyse(cfg, job, &snap, &staged);
        // A panic in the thread is a bug; re-raise it where it happened.
        let written = written
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (analysed, written)
    });
    // Bad input found by the analysis (exit 2) is reported before a failed
    // write, as when nothing was written before the analysis.
    let (a, found, mut files) = analysed?;
    snapshot_written?;
    drop(raw);
    let bill_explained = match &job.cur {
        Some(cur) => add_reconcile(&mut files, &snap, &a, cur, &job.cur_resource)?,
        None => None,
    };
    for (name, bytes) in &files {
        staged.write(name, bytes)?;
    }
    if !claim.start_publishing() {
        return Err(Error::Runtime("past the cluster's deadline".to_string()));
    }
    let lock = lock::acquire(
        &cfg.out,
        cfg.lock_wait,
        "publish the bundle and its history row",
    )?;
    hooks::pause("locked")?;
    if staged.target().exists() && !cfg.force {
        return Err(bundle::exists(staged.target()));
    }
    // Every new byte is written first, to temp files: a full disk fails
    // here, while nothing has changed yet. Then renames only.
    let mut row = HistoryRow::of(
        &job.name,
        &a,
        &cfg.date,
        &jiff::Timestamp::now().to_string(),
        found.items.len(),
    );
    row.bill_explained = bill_explained;
    let history_path = cfg.out.join("history.parquet");
    let mut rows = history::read(&history_path)?;
    rows.push(row);
    let new_history = crate::output::prepare_atomic(&history_path, &history::to_parquet(&rows)?)?;
    let textfile = match &cfg.prometheus_textfile {
        Some(path) => Some(prepare_textfile(
            cfg,
            &lock,
            path,
            &job.name,
            &a,
            bill_explained,
        )?),
        None => None,
    };
    let swapped = staged.swap_in(cfg.force)?;
    if let Err(e) = new_history.commit() {
        swapped.rollback();
        return Err(e);
    }
    let dir = swapped.target().to_path_buf();
    swapped.commit();
    bundle::crash_point("history.parquet");
    // Logged holding the lock: a line here means a history row exists,
    // even when a signal stops the process right after.
    log.info(
        Some(&job.name),
        &format!(
            "{} written: {} per month now, {} still to be had",
            dir.display(),
            usd(a.scenarios.current.monthly_cost_usd),
            usd(a.savings.monthly_usd_rack_aware_vs_current)
        ),
    );
    if let Some((file, _dir_lock)) = textfile {
        file.commit()?;
    }
    drop(lock);
    crate::dispose::in_background((snap, a, found));
    Ok(())
}

/// The textfile with this cluster's lines replaced, written to a temp file
/// beside it, holding its directory's lock (unless that is `--out`, whose
/// lock `out_lock` already is).
fn prepare_textfile(
    cfg: &ReportConfig,
    out_lock: &lock::DirLock,
    path: &Path,
    cluster: &str,
    a: &Analysis,
    bill_explained: Option<f64>,
) -> Result<(crate::output::Prepared, Option<lock::DirLock>), Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "--prometheus-textfile {}: the directory {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    let same = match (dir.canonicalize(), out_lock.dir().canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    let dir_lock = if same {
        None
    } else {
        Some(out_lock.also(dir, cfg.lock_wait, "update the Prometheus textfile")?)
    };
    let previous = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let sample = prometheus::Sample {
        cluster,
        analysis: a,
        finished_unix: jiff::Timestamp::now().as_second(),
        bill_explained,
    };
    let text = prometheus::merge(previous.as_deref(), &[sample]);
    Ok((
        crate::output::prepare_atomic(path, text.as_bytes())?,
        dir_lock,
    ))
}

/// The bill next to the estimate (issue 14): `reconcile.csv`, and a
/// section with the per-day chart at the end of summary.md and
/// summary.html. A CUR that cannot be read, or has none of the cluster's
/// lines, fails the cluster as bad input (exit 2), like a bad snapshot.
/// Returns the share of the bill the estimate explains.
fn add_reconcile(
    files: &mut Vec<(&str, Vec<u8>)>,
    snap: &crate::snapshot::Snapshot,
    a: &Analysis,
    cur: &str,
    resources: &[String],
) -> Result<Option<f64>, Error> {
    use crate::reconcile::{self, estimate::Estimate, render};
    let estimate = Estimate::from_analysis(a, snap.cluster.arn.as_deref())?;
    let (r, finding) = reconcile::reconcile(
        &estimate,
        &[cur.to_string()],
        "cur",
        resources,
        a.month_hours,
    )?;
    let csv = render::csv(&r)?;
    let section = render::render(&r, finding.as_ref(), render::Format::Markdown, None)?;
    // The Markdown report's title becomes a section heading of the summary.
    let section = section.replacen("# azcost reconcile:", "## Reconcile with the AWS bill:", 1);
    let days: Vec<(String, f64, f64)> = r
        .days
        .iter()
        .map(|d| (d.date.clone(), d.expected_gb, d.billed_gb))
        .collect();
    let svg = report::chart::bill_days(&days);
    for (name, bytes) in files.iter_mut() {
        if *name == "summary.md" {
            bytes.extend_from_slice(b"\n");
            bytes.extend_from_slice(section.as_bytes());
        } else if *name == "summary.html" {
            let page = String::from_utf8_lossy(bytes).into_owned();
            let header = render::DAY_HEADER;
            let rows = render::day_rows(&r);
            let html = html::bill_section(
                &header,
                &rows,
                svg.as_deref().map_err(String::as_str),
                finding.as_ref().map(|f| f.title.as_str()),
            );
            *bytes = match page.rfind("</body>") {
                Some(at) => format!("{}{html}{}", &page[..at], &page[at..]),
                None => page + &html,
            }
            .into_bytes();
        }
    }
    files.push(("reconcile.csv", csv.into_bytes()));
    Ok(r.total.explained)
}

/// The bundle files that get sections after the analysis: the placement
/// map's ([`add_why_crosses`]) and the bill's (`add_reconcile`).
const SECTIONS_ADDED_TO: [&str; 2] = ["summary.md", "summary.html"];

/// Adds the placement map's "why it still crosses" table (issue 15) at
/// the end of summary.md and summary.html.
fn add_why_crosses(files: &mut [(&str, Vec<u8>)], rows: Vec<Vec<String>>) {
    let header = crate::placement::WHY_CROSSES_HEADER;
    for (name, bytes) in files.iter_mut() {
        if *name == "summary.md" {
            let mut r = table::Renderer::new(table::Layout {
                style: table::Style::Markdown,
                width: None,
                top: rows.len(),
            });
            r.heading("Why it still crosses (current)");
            if rows.is_empty() {
                r.line("No consume byte crosses zones now.");
            } else {
                r.table(&header, rows.clone(), 1);
            }
            bytes.extend_from_slice(r.finish().as_bytes());
        } else if *name == "summary.html" {
            let page = String::from_utf8_lossy(bytes).into_owned();
            let section = html::why_crosses_section(&header, &rows);
            *bytes = match page.rfind("</body>") {
                Some(at) => format!("{}{section}{}", &page[..at], &page[at..]),
                None => page + &section,
            }
            .into_bytes();
        }
    }
}

fn config_name(cfg: &ReportConfig) -> String {
    cfg.file
        .as_deref()
        .map(Path::display)
        .map(|d| d.to_string())
        .unwrap_or_else(|| "config".to_string())
}

/// "Since the previous run (2026-11-22): current $270.00 → $250.00 per month (−$20.00)…"
fn trend_sentence(prev: &HistoryRow, a: &Analysis) -> String {
    let now = a.scenarios.current.monthly_cost_usd;
    let opp = a.savings.monthly_usd_rack_aware_vs_current;
    format!(
        "Since the previous run ({}): current {} → {} per month ({}); still to be had {} → {} ({}).",
        prev.date,
        usd(prev.current_monthly_usd),
        usd(now),
        signed(now - prev.current_monthly_usd),
        usd(prev.opportunity_monthly_usd),
        usd(opp),
        signed(opp - prev.opportunity_monthly_usd)
    )
}

fn signed(v: f64) -> String {
    if v > 0.005 {
        format!("+{}", usd(v))
    } else {
        usd(v)
    }
}

/// Chargeback per owner with the three scenarios side by side, for the summaries.
fn chargeback_table(rows: &[ChargebackRow]) -> Vec<(String, String, [f64; 3], f64)> {
    let mut out: Vec<(String, String, [f64; 3], f64)> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|(o, ..)| o != &r.owner) {
            out.push((
                r.owner.clone(),
                r.cost_center.clone().unwrap_or_default(),
                [0.0; 3],
                0.0,
            ));
        }
        if let Some(last) = out.last_mut() {
            last.2[r.scenario.index()] = r.monthly_usd;
            if r.scenario == Scenario::Current {
                last.3 = r.share;
            }
        }
    }
    out
}

fn bundle_files<'a>(
    cfg: &ReportConfig,
    a: &Analysis,
    found: &Findings,
    charge: &[ChargebackRow],
    trend: Option<String>,
) -> Result<Vec<(&'a str, Vec<u8>)>, Error> {
    let polars_err = |what: &str| {
        let what = what.to_string();
        move |e: PolarsError| Error::Runtime(format!("writing {what}: {e}"))
    };
    let charge_rows = chargeback_table(charge);
    let markdown = {
        let mut text = report::render(a, found, Format::Markdown, None, cfg.top)?;
        let mut r = table::Renderer::new(table::Layout {
            style: table::Style::Markdown,
            width: None,
            top: cfg.top,
        });
        if let Some(t) = &trend {
            r.heading("Since the previous run");
            r.line(t);
        }
        if !charge_rows.is_empty() && !cfg.owners.is_empty() {
            r.heading("Chargeback (monthly USD)");
            let rows = charge_rows
                .iter()
                .map(|(o, cc, per, share)| {
                    let mut row = vec![o.clone(), cc.clone()];
                    row.extend(per.iter().map(|v| usd(*v)));
                    row.push(format!("{:.1}%", share * 100.0));
                    row
                })
                .collect();
            r.table(
                &[
                    "owner",
                    "cost center",
                    "leader_only",
                    "current",
                    "rack_aware",
                    "share (current)",
                ],
                rows,
                2,
            );
        }
        text.push_str(&r.finish());
        text
    };
    let page = html::render(
        a,
        found,
        &html::Extras {
            chargeback: if cfg.owners.is_empty() {
                &[]
            } else {
                &charge_rows
            },
            trend,
            top: cfg.top,
        },
    );
    let chargeback_df = DataFrame::new(
        charge.len(),
        vec![
            Column::new(
                "owner".into(),
                charge.iter().map(|r| r.owner.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "cost_center".into(),
                charge
                    .iter()
                    .map(|r| r.cost_center.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "scenario".into(),
                charge
                    .iter()
                    .map(|r| r.scenario.as_str().to_string())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "monthly_usd".into(),
                charge
                    .iter()
                    .map(|r| frames::round_usd(r.monthly_usd))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "share".into(),
                charge
                    .iter()
                    .map(|r| (r.share * 1e6).round() / 1e6)
                    .collect::<Vec<_>>(),
            ),
        ],
    )
    .map_err(polars_err("chargeback.csv"))?;
    let chargeback_csv = report::csv::write(&chargeback_df)
        .map_err(polars_err("chargeback.csv"))?
        .into_bytes();
    let mut breakdowns = frames::breakdowns(a).map_err(polars_err("breakdowns.parquet"))?;
    Ok(vec![
        ("chargeback.csv", chargeback_csv),
        ("warnings.csv", report::warnings_csv(a)?.into_bytes()),
        (
            "breakdowns.parquet",
            history::parquet_bytes(&mut breakdowns)?,
        ),
        ("summary.md", markdown.into_bytes()),
        ("summary.html", page.into_bytes()),
    ])
}
