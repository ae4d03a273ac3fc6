//! azcost: what traffic between availability zones costs a Kafka / Amazon
//! MSK cluster, and what rack awareness (KIP-392 follower fetching) saves.
//!
//! collect → snapshot → model → report (`shared/design/architecture.md`):
//! [`snapshot`] is the only thing that passes from collecting to modelling,
//! [`model`] is pure and offline, [`report`] only presents.

pub mod cli;
pub mod collect;
pub mod config;
pub mod direct_file;
pub mod dispose;
pub mod error;
pub mod findings;
pub mod job;
pub mod model;
pub mod numbers;
pub mod output;
pub mod placement;
pub mod reconcile;
pub mod report;
pub mod snapshot;
pub mod synth;
pub mod whatif;

use cli::{Cli, Command};
use config::{AuditConfig, WhatIfConfig};
use error::Error;
use std::io::IsTerminal;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Audit(args) => audit(&AuditConfig::from_args(&args, jiff::Timestamp::now())?),
        Command::WhatIf(args) => what_if(&WhatIfConfig::from_args(&args)?),
        Command::Placement(args) => placement(&placement::Config::from_args(
            &args,
            jiff::Timestamp::now(),
        )?),
        Command::Reconcile(args) => reconcile(&reconcile::Config::from_args(&args)?),
        Command::Collect(cli::CollectCommand::Kafka(args)) => collect_kafka(&args),
        Command::Collect(cli::CollectCommand::Msk(args)) => collect_msk(&args),
        Command::Completions(args) => output::emit(None, &utf8(cli::completions(args.shell))?),
        Command::Man(args) => man(args.dir.as_deref()),
        // The clock is read here, at the edge, never in the model.
        Command::Report(args) => job::run(&job::config::resolve(&args, jiff::Timestamp::now())?),
    }
}

/// Generated text (completions, roff) is UTF-8; if not, that is a bug.
fn utf8(bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes)
        .map_err(|e| Error::Runtime(format!("generated text is not UTF-8 (please report): {e}")))
}

/// `azcost man`: azcost(1) to standard output, or every page into `dir`.
pub fn man(dir: Option<&std::path::Path>) -> Result<(), Error> {
    let pages =
        cli::man_pages().map_err(|e| Error::Runtime(format!("rendering the man pages: {e}")))?;
    let Some(dir) = dir else {
        let (_, roff) = pages
            .into_iter()
            .next()
            .ok_or_else(|| Error::Runtime("no man page was rendered (please report)".into()))?;
        return output::emit(None, &utf8(roff)?);
    };
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "--dir {}: expected an existing directory",
            dir.display()
        )));
    }
    for (name, roff) in &pages {
        output::write_atomic(&dir.join(name), roff)?;
    }
    eprintln!(
        "azcost: {} man pages written into {}",
        pages.len(),
        dir.display()
    );
    Ok(())
}

/// `azcost collect kafka`: a snapshot from a live cluster, to a file or
/// standard output.
pub fn collect_kafka(args: &cli::CollectKafkaArgs) -> Result<(), Error> {
    let mut opts = config::kafka_options(&args.kafka, args.quiet)?
        .ok_or_else(|| Error::usage("collect kafka needs --bootstrap HOST:PORT"))?;
    config::bootstrap_auth(
        &mut opts,
        args.kafka_auth,
        args.region.as_deref(),
        args.profile.as_deref(),
    )?;
    let snap = collect::kafka::collect(&opts)?;
    output::emit(args.output.as_deref(), &snapshot::to_json(&snap))?;
    if !args.quiet {
        note_collection(&snap, args.output.as_deref());
    }
    Ok(())
}

/// `azcost collect msk`: a snapshot of an Amazon MSK cluster from the
/// MSK, EC2 and CloudWatch APIs and Kafka, to a file or standard output.
pub fn collect_msk(args: &cli::CollectMskArgs) -> Result<(), Error> {
    let opts = config::msk_options(&args.msk, &args.kafka, args.quiet, jiff::Timestamp::now())?
        .ok_or_else(|| Error::usage("collect msk needs --cluster-arn ARN"))?;
    let snap = collect::msk::run(&opts)?;
    output::emit(args.output.as_deref(), &snapshot::to_json(&snap))?;
    if !args.quiet {
        note_collection(&snap, args.output.as_deref());
    }
    Ok(())
}

/// One line on standard error: what was collected and how many warnings.
fn note_collection(snap: &snapshot::Snapshot, path: Option<&std::path::Path>) {
    let groups = snap.consumer_groups.len();
    eprintln!(
        "azcost: collected {} brokers, {} partitions, {groups} consumer groups{}{}",
        snap.brokers.len(),
        snap.partitions.len(),
        path.map(|p| format!(" into {}", p.display()))
            .unwrap_or_default(),
        if snap.warnings.is_empty() {
            String::new()
        } else {
            format!(
                "; {} warnings (in the snapshot's `warnings`)",
                snap.warnings.len()
            )
        }
    );
    for w in &snap.warnings {
        eprintln!("azcost: warning: {w}");
    }
}

/// `azcost placement`: the snapshot as `audit` gets it (file, demo or a
/// live collection), then one row per read.
pub fn placement(cfg: &placement::Config) -> Result<(), Error> {
    let snap = acquire(
        &cfg.source,
        cfg.live.as_ref(),
        cfg.msk.as_ref(),
        cfg.save_snapshot.as_deref(),
        cfg.quiet,
        "mapping",
    )?;
    placement::emit(&snap, cfg)
}

/// `azcost reconcile`: the estimate (a snapshot audited here, or an audit
/// document), the CUR files, the table.
pub fn reconcile(cfg: &reconcile::Config) -> Result<(), Error> {
    let mut estimate = match &cfg.source {
        reconcile::EstimateSource::Snapshot(source) => {
            let snap = snapshot::load(source)?;
            let pricing = model::Pricing {
                platform: cfg.platform,
                ..model::Pricing::default()
            };
            let analysis = model::analyze(&snap, &pricing);
            reconcile::estimate::Estimate::from_analysis(&analysis, snap.cluster.arn.as_deref())?
        }
        reconcile::EstimateSource::Audit(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| Error::usage(format!("--audit {}: {e}", path.display())))?;
            reconcile::estimate::Estimate::from_audit_json(&bytes, &path.display().to_string())?
        }
    };
    if let Some(p) = cfg.platform {
        estimate.platform = p;
    }
    let (r, finding) = reconcile::reconcile(
        &estimate,
        &cfg.cur,
        "--cur",
        &cfg.resources,
        cfg.month_hours,
    )?;
    let text = reconcile::render::render(
        &r,
        finding.as_ref(),
        cfg.format,
        terminal_width(cfg.output.is_some()),
    )?;
    output::emit(cfg.output.as_deref(), &text)?;
    if !cfg.quiet
        && let Some(f) = &finding
        && cfg.format != reconcile::render::Format::Table
        && cfg.format != reconcile::render::Format::Markdown
    {
        eprintln!("azcost: finding [{}]: {}", f.severity.as_str(), f.title);
    }
    Ok(())
}

/// `azcost what-if`: audit before and after the changes, print the difference.
pub fn what_if(cfg: &WhatIfConfig) -> Result<(), Error> {
    if cfg.source == snapshot::SnapshotSource::Demo && !cfg.quiet {
        eprintln!(
            "azcost: no --snapshot given: the what-if starts from the built-in demo snapshot (fixtures/demo.json)"
        );
    }
    let before_snap = snapshot::load(&cfg.source)?;
    let after_snap = whatif::apply(&before_snap, &cfg.changes)?;
    // A change must leave a valid snapshot; if not, that is a bug to report.
    let problems = snapshot::validate(&after_snap);
    if !problems.is_empty() {
        return Err(Error::Runtime(format!(
            "the what-if produced an invalid snapshot (please report): {}",
            problems[0]
        )));
    }
    // The two audits are independent: one per core.
    let (before, after) = std::thread::scope(|scope| {
        let after = scope.spawn(|| findings::audit(&after_snap, &cfg.after, &cfg.findings));
        let before = findings::audit(&before_snap, &cfg.before, &cfg.findings);
        (before, after.join())
    });
    let after = after
        .map_err(|_| Error::Runtime("the after audit panicked (please report)".to_string()))?;
    let compared = report::whatif::Comparison {
        changes: &cfg.changes,
        before: (&before.0, &before.1),
        after: (&after.0, &after.1),
        top: cfg.top,
    };
    let text = match cfg.format {
        cli::WhatIfFormat::Table => compared.table(terminal_width(cfg.output.is_some())),
        cli::WhatIfFormat::Markdown => compared.markdown(),
        cli::WhatIfFormat::Json => compared.json(),
    };
    if let Some(path) = &cfg.output_snapshot {
        output::write_atomic(path, snapshot::to_json(&after_snap).as_bytes())?;
    }
    output::emit(cfg.output.as_deref(), &text)?;
    dispose::in_background((before_snap, after_snap, before, after, text));
    Ok(())
}

/// `azcost audit`: load, model, render, write.
pub fn audit(cfg: &AuditConfig) -> Result<(), Error> {
    let snap = acquire(
        &cfg.source,
        cfg.live.as_ref(),
        cfg.msk.as_ref(),
        cfg.save_snapshot.as_deref(),
        cfg.quiet,
        "auditing",
    )?;
    let (analysis, found) = findings::audit(&snap, &cfg.pricing, &cfg.findings);
    // The finance CSV's header never changes, so findings go beside it.
    if cfg.format == report::Format::Csv && !found.items.is_empty() {
        match cfg.output.as_deref() {
            Some(path) => {
                let side = report::findings_path(path);
                output::write_atomic(&side, report::findings_csv(&found.items).as_bytes())?;
                if !cfg.quiet {
                    eprintln!(
                        "azcost: {} findings written to {}",
                        found.items.len(),
                        side.display()
                    );
                }
            }
            None if !cfg.quiet => eprintln!(
                "azcost: {} findings are not in the finance CSV: use --output FILE to get FILE.findings.csv beside it, or --format table/json",
                found.items.len()
            ),
            None => {}
        }
    }
    let to = cfg.output.as_deref();
    match cfg.format {
        // The outputs that grow with the cluster (about 90 and 250 MB at
        // 2M partitions) are written out as they are made.
        report::Format::Json => output::emit_streamed(to, |out| {
            report::json::write(&analysis, &found, cfg.top, out)
        })?,
        report::Format::Csv => {
            output::emit_streamed(to, |out| report::csv::write_finance(&analysis, out))?
        }
        format => {
            let width = terminal_width(cfg.output.is_some());
            let text = report::render(&analysis, &found, format, width, cfg.top)?;
            output::emit(to, &text)?;
        }
    }
    let warnings = analysis.warnings.len();
    dispose::in_background((snap, analysis, found));
    if cfg.fail_on_warnings && warnings > 0 {
        return Err(Error::Warnings(warnings));
    }
    Ok(())
}

/// The snapshot a command works on: collected from MSK or Kafka when a live
/// source is given (kept in `save_snapshot` when asked), else loaded from
/// `source`, with a note when that is the demo. `doing` names the command's
/// work in that note ("auditing", "mapping").
pub fn acquire(
    source: &snapshot::SnapshotSource,
    live: Option<&collect::kafka::options::KafkaOptions>,
    msk: Option<&collect::msk::options::MskOptions>,
    save_snapshot: Option<&std::path::Path>,
    quiet: bool,
    doing: &str,
) -> Result<snapshot::Snapshot, Error> {
    let collected = match (msk, live) {
        (Some(msk), _) => Some(collect::msk::run(msk)?),
        (None, Some(kafka)) => Some(collect::kafka::collect(kafka)?),
        (None, None) => None,
    };
    match collected {
        Some(snap) => {
            if let Some(path) = save_snapshot {
                output::write_atomic(path, snapshot::to_json(&snap).as_bytes())?;
            }
            if !quiet {
                note_collection(&snap, save_snapshot);
            }
            Ok(snap)
        }
        None => {
            if *source == snapshot::SnapshotSource::Demo && !quiet {
                eprintln!(
                    "azcost: no --snapshot or live source given: {doing} the built-in demo snapshot (fixtures/demo.json)"
                );
            }
            snapshot::load(source)
        }
    }
}

/// The terminal's width when the table goes to a terminal; otherwise none,
/// so files and pipes get the same bytes on every machine.
fn terminal_width(to_file: bool) -> Option<u16> {
    if to_file || !std::io::stdout().is_terminal() {
        return None;
    }
    comfy_table::Table::new().width()
}
