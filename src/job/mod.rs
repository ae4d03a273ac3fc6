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
pub mod history;
pub mod log;
pub mod prometheus;

use crate::error::Error;
use crate::findings::{Findings, find_grouped};
use crate::model::{Analysis, Scenario, analyze, frames};
use crate::numbers::usd;
use crate::report::{self, Format, html, table};
use crate::snapshot::parse_and_validate;
use chargeback::ChargebackRow;
use config::{ClusterJob, ClusterSource, ReportConfig};
use history::HistoryRow;
use log::Log;
use polars::prelude::*;
use std::path::Path;

/// The bundle's files, in the order they are written.
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

/// Runs the job. Exit status: 0 all clusters done; otherwise the error
/// says how many failed, with 2 when every failure was bad input (config,
/// snapshot, a bundle that exists) and 1 when any failed at run time.
pub fn run(cfg: &ReportConfig) -> Result<(), Error> {
    let log = Log {
        json: cfg.json_logs,
        quiet: cfg.quiet,
    };
    std::fs::create_dir_all(&cfg.out)
        .map_err(|e| Error::io(format!("creating {}", cfg.out.display()), e))?;
    bundle::clear_stale(&cfg.out);
    let history_path = cfg.out.join("history.parquet");
    let mut history = history::read(&history_path)?;
    let mut done: Vec<(String, Analysis, i64)> = Vec::new();
    let mut failed: Vec<(String, u8)> = Vec::new();
    for job in &cfg.clusters {
        match run_cluster(cfg, job, &history) {
            Ok((analysis, row, dir)) => {
                history.push(row);
                crate::output::write_atomic(&history_path, &history::to_parquet(&history)?)?;
                bundle::crash_point("history.parquet");
                log.info(
                    Some(&job.name),
                    &format!(
                        "{} written: {} per month now, {} still to be had",
                        dir.display(),
                        usd(analysis.scenarios.current.monthly_cost_usd),
                        usd(analysis.savings.monthly_usd_rack_aware_vs_current)
                    ),
                );
                done.push((
                    job.name.clone(),
                    analysis,
                    jiff::Timestamp::now().as_second(),
                ));
            }
            Err(e) => {
                log.error(Some(&job.name), &e.to_string());
                failed.push((job.name.clone(), e.exit_code()));
            }
        }
    }
    if let Some(path) = &cfg.prometheus_textfile {
        let previous = std::fs::read_to_string(path).ok();
        let samples: Vec<prometheus::Sample> = done
            .iter()
            .map(|(name, a, t)| prometheus::Sample {
                cluster: name,
                analysis: a,
                finished_unix: *t,
            })
            .collect();
        let carried: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
        let text = prometheus::render(&samples, previous.as_deref(), &carried);
        crate::output::write_atomic(path, text.as_bytes())?;
        log.info(None, &format!("metrics written to {}", path.display()));
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

fn run_cluster(
    cfg: &ReportConfig,
    job: &ClusterJob,
    history: &[HistoryRow],
) -> Result<(Analysis, HistoryRow, std::path::PathBuf), Error> {
    let target = bundle::bundle_dir(&cfg.out, &job.name, &cfg.date);
    if target.exists() && !cfg.force {
        return Err(bundle::exists(&target));
    }
    let (raw, snap) = match &job.source {
        ClusterSource::Snapshot(path) => {
            let raw = std::fs::read(path).map_err(|e| {
                Error::usage(format!(
                    "snapshot {}: cannot read the file: {e}",
                    path.display()
                ))
            })?;
            let snap = parse_and_validate(&raw, &path.display().to_string())?;
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
    let a = analyze(&snap, &cfg.pricing);
    if let (Some(expected), ClusterSource::Snapshot(_)) = (job.window_seconds, &job.source)
        && (a.window_seconds - expected).abs() > 1.0
    {
        return Err(Error::usage(format!(
            "{} covers {} but the config expects window = {}: refusing to report it as this period's evidence",
            job.source.label(),
            crate::numbers::duration(a.window_seconds),
            crate::numbers::duration(expected)
        )));
    }
    let found = find_grouped(&snap, &a, &cfg.findings);
    let charge = chargeback::chargeback(&a, &cfg.owners)
        .map_err(|e| Error::usage(format!("{}: {e}", config_name(cfg))))?;
    let trend = history::previous(history, &job.name).map(|p| trend_sentence(p, &a));
    let mut files = bundle_files(cfg, &a, &found, &charge, trend, raw)?;
    add_placement(&mut files, &snap, &a)?;
    let dir = bundle::publish(&cfg.out, &job.name, &cfg.date, &files, cfg.force)?;
    let row = HistoryRow::of(
        &job.name,
        &a,
        &cfg.date,
        &jiff::Timestamp::now().to_string(),
        found.items.len(),
    );
    Ok((a, row, dir))
}

/// The placement map (`placement.parquet`) and the "why it still crosses"
/// table at the end of summary.md and summary.html (issue 15).
fn add_placement(
    files: &mut Vec<(&str, Vec<u8>)>,
    snap: &crate::snapshot::Snapshot,
    a: &Analysis,
) -> Result<(), Error> {
    let parquet = crate::placement::parquet_bytes(snap)
        .map_err(|e| Error::Runtime(format!("writing placement.parquet: {e}")))?;
    let rows = crate::placement::why_crosses_rows(snap, a);
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
    files.push(("placement.parquet", parquet));
    Ok(())
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
    raw_snapshot: Vec<u8>,
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
    let mut chargeback_df = DataFrame::new(
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
    let mut chargeback_csv = Vec::new();
    CsvWriter::new(&mut chargeback_csv)
        .include_header(true)
        .with_float_scientific(Some(false))
        .finish(&mut chargeback_df)
        .map_err(polars_err("chargeback.csv"))?;
    let mut breakdowns = frames::breakdowns(a).map_err(polars_err("breakdowns.parquet"))?;
    let finance = report::render(a, found, Format::Csv, None, cfg.top)?;
    let audit = report::render(a, found, Format::Json, None, cfg.top)?;
    Ok(vec![
        ("snapshot.json", raw_snapshot),
        ("audit.json", audit.into_bytes()),
        ("finance.csv", finance.into_bytes()),
        ("chargeback.csv", chargeback_csv),
        (
            "findings.csv",
            report::findings_csv(&found.items)?.into_bytes(),
        ),
        ("warnings.csv", report::warnings_csv(a)?.into_bytes()),
        (
            "breakdowns.parquet",
            history::parquet_bytes(&mut breakdowns)?,
        ),
        ("summary.md", markdown.into_bytes()),
        ("summary.html", page.into_bytes()),
    ])
}
