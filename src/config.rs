//! Raw flags → one resolved configuration per command, holding every
//! default and every validation in one place (ripgrep's low/high args).

use crate::cli::{AuditArgs, PricingArgs};
use crate::error::Error;
use crate::model::Pricing;
use crate::report::Format;
use crate::snapshot::SnapshotSource;
use std::path::PathBuf;

/// Everything `azcost audit` needs, resolved.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Where the snapshot comes from.
    pub source: SnapshotSource,
    /// Prices and projection.
    pub pricing: Pricing,
    /// Rows in the top tables.
    pub top: usize,
    /// Output format.
    pub format: Format,
    /// Output file, or stdout.
    pub output: Option<PathBuf>,
    /// Exit 3 on warnings.
    pub fail_on_warnings: bool,
    /// Say nothing but the report.
    pub quiet: bool,
}

impl AuditConfig {
    /// Resolves `azcost audit` flags.
    pub fn from_args(args: &AuditArgs) -> Result<Self, Error> {
        let source = match args.snapshot.as_deref() {
            None => SnapshotSource::Demo,
            Some(p) if p.as_os_str() == "-" => SnapshotSource::Stdin,
            Some(p) => SnapshotSource::File(p.to_path_buf()),
        };
        if args.top == 0 {
            return Err(Error::usage("--top 0: expected at least 1 row"));
        }
        Ok(AuditConfig {
            source,
            pricing: pricing(&args.pricing),
            top: args.top,
            format: args.format,
            output: args.output.clone(),
            fail_on_warnings: args.fail_on_warnings,
            quiet: args.quiet,
        })
    }
}

/// Resolves the pricing flags (already range-checked by their parsers).
pub fn pricing(args: &PricingArgs) -> Pricing {
    Pricing {
        price_per_gb: args.price_per_gb,
        platform: args.platform,
        month_hours: args.month_hours,
    }
}
