//! The command line. Doc comments here are the `--help` text, so they say
//! what each flag does and its default.

use crate::report::Format;
use crate::snapshot::Platform;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// What traffic between availability zones costs a Kafka / Amazon MSK
/// cluster, and what rack awareness (KIP-392 follower fetching) saves.
#[derive(Debug, Parser)]
#[command(name = "azcost", version, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit a snapshot: cross-AZ bytes and dollars for three scenarios
    /// (leader_only, current, rack_aware), where the money goes, and warnings.
    Audit(AuditArgs),
}

/// Flags of `azcost audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Snapshot to audit (`azcost.snapshot/v1` JSON); `-` reads standard
    /// input. Without it the built-in demo snapshot is audited.
    #[arg(long, short = 's', value_name = "FILE")]
    pub snapshot: Option<PathBuf>,

    /// Pricing, platform and report settings.
    #[command(flatten)]
    pub pricing: PricingArgs,

    /// Rows in the top topics / groups / members tables (and members in JSON).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the report to FILE (atomically: temp file, then rename)
    /// instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with status 3 when the audit has warnings (after writing it).
    #[arg(long)]
    pub fail_on_warnings: bool,

    /// Print nothing but the report (no note about the demo snapshot).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Price and projection settings shared by every command that prices.
#[derive(Debug, Args, Clone)]
pub struct PricingArgs {
    /// USD per GB (2^30 bytes) that crosses zones: $0.01 out + $0.01 in on AWS.
    #[arg(long, value_name = "USD", default_value_t = 0.02, value_parser = non_negative)]
    pub price_per_gb: f64,

    /// Platform: `msk` does not bill replication between brokers,
    /// `self-managed` (Kafka on EC2) does. Default: the snapshot's, else msk.
    #[arg(long, value_enum)]
    pub platform: Option<Platform>,

    /// Hours in the month that monthly figures project to.
    #[arg(long, value_name = "HOURS", default_value_t = 730.0, value_parser = positive)]
    pub month_hours: f64,
}

fn number(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("expected a number, found {text:?}"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("expected a finite number, found {text:?}"))
    }
}

fn non_negative(text: &str) -> Result<f64, String> {
    let v = number(text)?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("expected a number ≥ 0, found {text}"))
    }
}

fn positive(text: &str) -> Result<f64, String> {
    let v = number(text)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("expected a number > 0, found {text}"))
    }
}
