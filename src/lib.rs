//! azcost: what traffic between availability zones costs a Kafka / Amazon
//! MSK cluster, and what rack awareness (KIP-392 follower fetching) saves.
//!
//! collect → snapshot → model → report (`shared/design/architecture.md`):
//! [`snapshot`] is the only thing that passes from collecting to modelling,
//! [`model`] is pure and offline, [`report`] only presents.

pub mod cli;
pub mod config;
pub mod error;
pub mod model;
pub mod output;
pub mod report;
pub mod snapshot;
pub mod synth;

use cli::{Cli, Command};
use config::AuditConfig;
use error::Error;
use std::io::IsTerminal;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Audit(args) => audit(&AuditConfig::from_args(&args)?),
    }
}

/// `azcost audit`: load, model, render, write.
pub fn audit(cfg: &AuditConfig) -> Result<(), Error> {
    if cfg.source == snapshot::SnapshotSource::Demo && !cfg.quiet {
        eprintln!(
            "azcost: no --snapshot or live source given: auditing the built-in demo snapshot (fixtures/demo.json)"
        );
    }
    let snap = snapshot::load(&cfg.source)?;
    let analysis = model::analyze(&snap, &cfg.pricing);
    let width = terminal_width(cfg);
    let text = report::render(&analysis, cfg.format, width, cfg.top)?;
    output::emit(cfg.output.as_deref(), &text)?;
    if cfg.fail_on_warnings && !analysis.warnings.is_empty() {
        return Err(Error::Warnings(analysis.warnings.len()));
    }
    Ok(())
}

/// The terminal's width when the table goes to a terminal; otherwise none,
/// so files and pipes get the same bytes on every machine.
fn terminal_width(cfg: &AuditConfig) -> Option<u16> {
    if cfg.output.is_some() || !std::io::stdout().is_terminal() {
        return None;
    }
    comfy_table::Table::new().width()
}
