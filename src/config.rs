//! Raw flags → one resolved configuration per command, holding every
//! default and every validation in one place (ripgrep's low/high args).

use crate::cli::{AuditArgs, PricingArgs, WhatIfArgs, WhatIfFormat};
use crate::error::Error;
use crate::findings::FindingOptions;
use crate::model::Pricing;
use crate::report::Format;
use crate::snapshot::SnapshotSource;
use crate::whatif::{Change, Target};
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
    /// Settings of the findings.
    pub findings: crate::findings::FindingOptions,
    /// A live Kafka cluster to collect from instead of `source`.
    pub live: Option<crate::collect::kafka::KafkaOptions>,
    /// An Amazon MSK cluster to collect from instead of `source`.
    pub msk: Option<crate::collect::msk::MskOptions>,
    /// Where to keep the collected snapshot.
    pub save_snapshot: Option<PathBuf>,
}

impl AuditConfig {
    /// Resolves `azcost audit` flags; `now` (read at the edge) ends a
    /// `--window` of CloudWatch history.
    pub fn from_args(args: &AuditArgs, now: jiff::Timestamp) -> Result<Self, Error> {
        let msk =
            crate::collect::msk::MskOptions::from_args(&args.msk, &args.kafka, args.quiet, now)?;
        let live = if msk.is_some() {
            None
        } else {
            crate::collect::kafka::KafkaOptions::from_args(&args.kafka, args.quiet)?
        };
        if args.save_snapshot.is_some() && msk.is_none() && live.is_none() {
            return Err(Error::usage(
                "--save-snapshot needs --bootstrap or --cluster-arn (a live source whose snapshot to keep)",
            ));
        }
        let source = source(args.snapshot.as_deref());
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
            findings: crate::findings::FindingOptions {
                unkeyed_share: args.unkeyed_share,
            },
            live,
            msk,
            save_snapshot: args.save_snapshot.clone(),
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

/// Everything `azcost what-if` needs, resolved.
#[derive(Debug, Clone)]
pub struct WhatIfConfig {
    /// Where the snapshot comes from.
    pub source: SnapshotSource,
    /// Changes, in the order they are applied.
    pub changes: Vec<Change>,
    /// Prices of the "before" audit.
    pub before: Pricing,
    /// Prices of the "after" audit.
    pub after: Pricing,
    /// Rows in the difference tables.
    pub top: usize,
    /// Output format.
    pub format: WhatIfFormat,
    /// Where the report goes (stdout when none).
    pub output: Option<PathBuf>,
    /// Where the changed snapshot goes, if anywhere.
    pub output_snapshot: Option<PathBuf>,
    /// Say nothing but the report.
    pub quiet: bool,
    /// Settings of the findings in both audits.
    pub findings: FindingOptions,
}

impl WhatIfConfig {
    /// Resolves `azcost what-if` flags. Consumers move first, then racks
    /// are set (so a moved member gets its new zone's rack), then the rest.
    pub fn from_args(args: &WhatIfArgs) -> Result<Self, Error> {
        let mut changes = Vec::new();
        for spec in &args.move_consumers {
            let Some((group, zone)) = spec.rsplit_once('=') else {
                return Err(Error::usage(format!(
                    "--move-consumers {spec}: expected GROUP=ZONE, e.g. billing=use1-az1"
                )));
            };
            if group.is_empty() || zone.is_empty() {
                return Err(Error::usage(format!(
                    "--move-consumers {spec}: expected GROUP=ZONE with both parts non-empty"
                )));
            }
            changes.push(Change::MoveConsumers {
                group: group.to_string(),
                zone: zone.to_string(),
            });
        }
        changes.extend(
            args.set_client_rack
                .iter()
                .map(|g| Change::SetClientRack(Target::parse(g))),
        );
        if args.enable_selector {
            changes.push(Change::EnableSelector);
        }
        if args.replication_factor.is_some() || args.one_replica_per_zone {
            changes.push(Change::PlaceReplicas {
                topics: Target::parse(&args.topic),
                rf: args.replication_factor.map(usize::from),
            });
        }
        if args.balance_leaders {
            changes.push(Change::BalanceLeaders);
        }
        changes.extend(
            args.producer_rack_aware
                .iter()
                .map(|t| Change::ProducerRackAware {
                    topics: Target::parse(t),
                    unkeyed_share: args.unkeyed_share,
                }),
        );
        if args.top == 0 {
            return Err(Error::usage("--top 0: expected at least 1 row"));
        }
        let before = Pricing {
            price_per_gb: args.base_price_per_gb,
            platform: args.platform,
            month_hours: args.month_hours,
        };
        let after = Pricing {
            price_per_gb: args.price_per_gb.unwrap_or(args.base_price_per_gb),
            ..before
        };
        Ok(WhatIfConfig {
            source: source(args.snapshot.as_deref()),
            changes,
            before,
            after,
            top: args.top,
            format: args.format,
            output: args.output.clone(),
            output_snapshot: args.output_snapshot.clone(),
            quiet: args.quiet,
            findings: FindingOptions {
                unkeyed_share: args.unkeyed_share,
            },
        })
    }
}

/// `--snapshot`: a file, `-` for stdin, or the demo when absent.
fn source(path: Option<&std::path::Path>) -> SnapshotSource {
    match path {
        None => SnapshotSource::Demo,
        Some(p) if p.as_os_str() == "-" => SnapshotSource::Stdin,
        Some(p) => SnapshotSource::File(p.to_path_buf()),
    }
}
