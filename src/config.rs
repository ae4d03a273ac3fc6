//! Raw flags → one resolved configuration per command, holding every
//! default and every validation in one place (ripgrep's low/high args).

use crate::cli::{
    AuditArgs, KafkaSourceArgs, MskSourceArgs, PlacementArgs, PricingArgs, ReconcileArgs,
    WhatIfArgs, WhatIfFormat,
};
use crate::collect::kafka::client::Settings;
use crate::collect::kafka::options::{self as kafka_opts, KafkaOptions, MAX_TIMEOUT};
use crate::collect::msk::options::{self as msk_opts, DEFAULT_KAFKA_WINDOW, MskOptions};
use crate::collect::msk::{ClusterArn, KafkaAuth};
use crate::collect::zone_map::{self, ZoneMap};
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
    pub live: Option<KafkaOptions>,
    /// An Amazon MSK cluster to collect from instead of `source`.
    pub msk: Option<MskOptions>,
    /// Where to keep the collected snapshot.
    pub save_snapshot: Option<PathBuf>,
}

impl AuditConfig {
    /// Resolves `azcost audit` flags; `now` (read at the edge) ends a
    /// `--window` of CloudWatch history.
    pub fn from_args(args: &AuditArgs, now: jiff::Timestamp) -> Result<Self, Error> {
        let msk = msk_options(&args.msk, &args.kafka, args.quiet, now)?;
        let live = if msk.is_some() {
            None
        } else {
            match kafka_options(&args.kafka, args.quiet)? {
                Some(mut live) => {
                    bootstrap_auth(
                        &mut live,
                        args.msk.kafka_auth,
                        args.msk.region.as_deref(),
                        args.msk.profile.as_deref(),
                    )?;
                    Some(live)
                }
                None => None,
            }
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

impl crate::reconcile::Config {
    /// Resolves `azcost reconcile` flags. A missing output directory is
    /// reported before any CUR file is read.
    pub fn from_args(args: &ReconcileArgs) -> Result<Self, Error> {
        use crate::reconcile::EstimateSource;
        let source = match (&args.snapshot, &args.audit) {
            (Some(_), Some(_)) => {
                return Err(Error::usage(
                    "give --snapshot FILE or --audit FILE, not both",
                ));
            }
            (None, Some(a)) => EstimateSource::Audit(a.clone()),
            (s, None) => EstimateSource::Snapshot(source(s.as_deref())),
        };
        output_directory_exists(args.output.as_deref())?;
        Ok(crate::reconcile::Config {
            cur: args.cur.clone(),
            source,
            resources: args.cur_resource.clone(),
            platform: args.platform,
            month_hours: args.month_hours,
            format: args.format,
            output: args.output.clone(),
            quiet: args.quiet,
        })
    }
}

impl crate::placement::Config {
    /// Resolves `azcost placement` flags the way `audit` resolves its
    /// sources; `--group` is a row filter too, so without a live source it
    /// is not a stray collection flag.
    pub fn from_args(args: &PlacementArgs, now: jiff::Timestamp) -> Result<Self, Error> {
        let live_source = args.kafka.bootstrap.is_some() || args.msk.cluster_arn.is_some();
        let mut kafka = args.kafka.clone();
        if !live_source {
            kafka.group = None;
        }
        let msk = msk_options(&args.msk, &kafka, args.quiet, now)?;
        let live = if msk.is_some() {
            None
        } else {
            kafka_options(&kafka, args.quiet)?
        };
        if args.save_snapshot.is_some() && msk.is_none() && live.is_none() {
            return Err(Error::usage(
                "--save-snapshot needs --bootstrap or --cluster-arn (a live source whose snapshot to keep)",
            ));
        }
        let regex = |flag: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| {
                    regex::Regex::new(t).map_err(|e| {
                        Error::usage(format!("{flag} {t:?}: expected a regular expression ({e})"))
                    })
                })
                .transpose()
        };
        output_directory_exists(args.output.as_deref())?;
        Ok(crate::placement::Config {
            source: source(args.snapshot.as_deref()),
            live,
            msk,
            save_snapshot: args.save_snapshot.clone(),
            filter: crate::placement::Filter {
                group: regex("--group", &args.kafka.group)?,
                topic: regex("--topic", &args.topic)?,
                member: regex("--member", &args.member)?,
                crossing_only: args.crossing_only,
            },
            format: args.format,
            output: args.output.clone(),
            quiet: args.quiet,
        })
    }
}

/// Resolves the Kafka source flags (`collect kafka`, `audit --bootstrap`).
/// `None` when no `--bootstrap` was given; then no other Kafka flag may be
/// either, since it would silently do nothing.
pub fn kafka_options(args: &KafkaSourceArgs, quiet: bool) -> Result<Option<KafkaOptions>, Error> {
    let Some(bootstrap) = args.bootstrap.as_deref() else {
        if let Some(flag) = stray_kafka_flag(args) {
            return Err(Error::usage(format!(
                "{flag} needs a live cluster to collect from: --bootstrap HOST:PORT (or, on audit, --cluster-arn ARN)"
            )));
        }
        return Ok(None);
    };
    let bootstrap = kafka_opts::bootstrap(bootstrap, "--bootstrap")?;
    kafka_client(args, bootstrap, quiet).map(Some)
}

/// `--kafka-auth iam` with `--bootstrap` (`collect kafka`, `audit
/// --bootstrap`): MSK IAM tokens for `--region`, from the standard AWS
/// credential chain (`--profile`). Other listeners need only `-X`
/// settings, so another `--kafka-auth` is refused there, and `--region` or
/// `--profile` without `iam` would do nothing.
pub fn bootstrap_auth(
    opts: &mut KafkaOptions,
    auth: Option<crate::cli::KafkaAuth>,
    region: Option<&str>,
    profile: Option<&str>,
) -> Result<(), Error> {
    match auth {
        None => {
            if region.is_some() || profile.is_some() {
                let flag = if region.is_some() {
                    "--region"
                } else {
                    "--profile"
                };
                return Err(Error::usage(format!(
                    "{flag} with --bootstrap needs --kafka-auth iam (or --cluster-arn ARN)"
                )));
            }
            Ok(())
        }
        Some(crate::cli::KafkaAuth::Iam) => {
            let region = region.ok_or_else(|| {
                Error::usage(
                    "--kafka-auth iam with --bootstrap needs --region REGION: the cluster's region, which the tokens are signed for",
                )
            })?;
            let lifetime = crate::collect::kafka::iam::lifetime_from_env()?;
            let auth = crate::collect::kafka::iam::IamAuth::from_chain(region, profile, lifetime)?;
            opts.settings.with_iam(std::sync::Arc::new(auth));
            // `-X sasl.*` would fight the IAM settings.
            opts.settings.check_reserved()
        }
        Some(other) => Err(Error::usage(format!(
            "--kafka-auth {} with --bootstrap: give that listener's settings with -X (security.protocol, sasl.*); --kafka-auth picks a listener only with --cluster-arn, or iam",
            KafkaAuth::from(other).as_str()
        ))),
    }
}

/// Every Kafka flag but `--bootstrap`, onto the defaults.
fn kafka_client(
    args: &KafkaSourceArgs,
    bootstrap: String,
    quiet: bool,
) -> Result<KafkaOptions, Error> {
    let mut opts = KafkaOptions::new(bootstrap);
    if let Some(path) = &args.kafka_config {
        opts.settings = Settings::read_file(path)?;
    }
    for spec in &args.kafka_setting {
        opts.settings.add_spec(spec, "-X")?;
    }
    opts.settings.check_reserved()?;
    opts.group_filter = args
        .group
        .as_deref()
        .map(|g| kafka_opts::group_filter(g, "--group"))
        .transpose()?;
    opts.zone_map = zone_map(args)?;
    let positive = |v: Option<usize>, default: usize, flag: &str| match v {
        Some(0) => Err(Error::usage(format!("{flag} 0: expected at least 1"))),
        Some(n) => Ok(n),
        None => Ok(default),
    };
    if let Some(timeout) = args.timeout {
        // librdkafka's socket.timeout.ms stops at 300 s.
        if timeout > MAX_TIMEOUT || timeout < std::time::Duration::from_millis(10) {
            return Err(Error::usage(format!(
                "--timeout {}: expected from 10ms to 5m",
                humantime::format_duration(timeout)
            )));
        }
        opts.timeout = timeout;
    }
    if args
        .cluster_name
        .as_deref()
        .is_some_and(|n| n.trim().is_empty())
    {
        return Err(Error::usage("--cluster-name: expected a non-empty name"));
    }
    if let Some(window) = args.window {
        opts.window = window;
    }
    opts.broker_zones = zone_map::broker_zones(args.broker_zone.iter().map(String::as_str))?;
    opts.cluster_name = args.cluster_name.clone();
    opts.replica_selector = args.replica_selector.clone();
    opts.sample_partitions = positive(
        args.sample_partitions,
        opts.sample_partitions,
        "--sample-partitions",
    )?;
    opts.sample_records = positive(args.sample_records, opts.sample_records, "--sample-records")?;
    opts.progress = !quiet;
    Ok(opts)
}

/// `--zone-map-file`, then `--zone-map`.
fn zone_map(args: &KafkaSourceArgs) -> Result<ZoneMap, Error> {
    let mut map = match &args.zone_map_file {
        Some(path) => ZoneMap::read_file(path)?,
        None => ZoneMap::default(),
    };
    map.extend(ZoneMap::parse(
        args.zone_map.iter().map(String::as_str),
        "--zone-map",
    )?);
    Ok(map)
}

fn stray_kafka_flag(a: &KafkaSourceArgs) -> Option<&'static str> {
    [
        (a.window.is_some(), "--window"),
        (!a.kafka_setting.is_empty(), "-X"),
        (a.kafka_config.is_some(), "--kafka-config"),
        (a.group.is_some(), "--group"),
        (!a.zone_map.is_empty(), "--zone-map"),
        (a.zone_map_file.is_some(), "--zone-map-file"),
        (!a.broker_zone.is_empty(), "--broker-zone"),
        (a.cluster_name.is_some(), "--cluster-name"),
        (a.replica_selector.is_some(), "--replica-selector"),
        (a.timeout.is_some(), "--timeout"),
        (a.sample_partitions.is_some(), "--sample-partitions"),
        (a.sample_records.is_some(), "--sample-records"),
    ]
    .into_iter()
    .find(|(given, _)| *given)
    .map(|(_, flag)| flag)
}

/// Resolves the MSK source flags (`collect msk`, `audit --cluster-arn`)
/// with the Kafka flags that go with them. `None` without
/// `--cluster-arn`. `now` is read by the caller (the clock stays at the
/// edge) and ends a `--window`.
pub fn msk_options(
    msk: &MskSourceArgs,
    kafka: &KafkaSourceArgs,
    quiet: bool,
    now: jiff::Timestamp,
) -> Result<Option<MskOptions>, Error> {
    let Some(arn) = msk.cluster_arn.as_deref() else {
        // With --bootstrap, these three belong to its IAM authentication.
        let own = kafka.bootstrap.is_none();
        let stray = [
            (own && msk.region.is_some(), "--region"),
            (own && msk.profile.is_some(), "--profile"),
            (msk.start.is_some(), "--start"),
            (msk.end.is_some(), "--end"),
            (msk.kafka_window.is_some(), "--kafka-window"),
            (own && msk.kafka_auth.is_some(), "--kafka-auth"),
            (msk.no_kafka, "--no-kafka"),
        ]
        .into_iter()
        .find(|(given, _)| *given);
        if let Some((_, flag)) = stray {
            return Err(Error::usage(format!(
                "{flag} needs --cluster-arn ARN (an Amazon MSK cluster to collect from)"
            )));
        }
        return Ok(None);
    };
    let arn = ClusterArn::parse(arn)?;
    if kafka.bootstrap.is_some() {
        return Err(Error::usage(
            "--bootstrap and --cluster-arn exclude each other: with --cluster-arn the brokers come from GetBootstrapBrokers",
        ));
    }
    let now_s = now.as_second();
    let (start, end) = match (&msk.start, &msk.end, kafka.window) {
        (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
            return Err(Error::usage(
                "--window and --start/--end exclude each other: give a length (--window 30d) or both ends",
            ));
        }
        (Some(s), Some(e), None) => (rfc3339(s, "--start")?, rfc3339(e, "--end")?),
        (Some(_), None, None) | (None, Some(_), None) => {
            return Err(Error::usage("--start and --end go together"));
        }
        (None, None, w) => msk_opts::last_whole_hours(w, now_s),
    };
    if end <= start {
        return Err(Error::usage(format!(
            "--start {} must be before --end {}",
            msk.start.as_deref().unwrap_or(""),
            msk.end.as_deref().unwrap_or("")
        )));
    }
    msk_opts::check_window(start, end, now_s)?;
    let zone_map = zone_map(kafka)?;
    if msk.no_kafka && msk.kafka_auth.is_some() {
        return Err(Error::usage(
            "--kafka-auth and --no-kafka exclude each other",
        ));
    }
    // The bootstrap brokers come from GetBootstrapBrokers at collection.
    let kafka = if msk.no_kafka {
        None
    } else {
        Some(kafka_client(kafka, String::new(), quiet)?)
    };
    Ok(Some(MskOptions {
        region: msk.region.clone(),
        profile: msk.profile.clone(),
        arn,
        start,
        end,
        now: now_s,
        kafka,
        kafka_window: msk.kafka_window.unwrap_or(DEFAULT_KAFKA_WINDOW),
        kafka_auth: msk.kafka_auth.map(KafkaAuth::from),
        zone_map,
        quiet,
    }))
}

/// `--kafka-auth` as the MSK collector's listener choice.
impl From<crate::cli::KafkaAuth> for KafkaAuth {
    fn from(auth: crate::cli::KafkaAuth) -> Self {
        match auth {
            crate::cli::KafkaAuth::Plaintext => KafkaAuth::Plaintext,
            crate::cli::KafkaAuth::Tls => KafkaAuth::Tls,
            crate::cli::KafkaAuth::SaslScram => KafkaAuth::SaslScram,
            crate::cli::KafkaAuth::Iam => KafkaAuth::Iam,
        }
    }
}

fn rfc3339(text: &str, flag: &str) -> Result<i64, Error> {
    text.trim()
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|e| {
            Error::usage(format!(
                "{flag} {text:?}: expected an RFC 3339 time such as 2026-11-01T00:00:00Z ({e})"
            ))
        })
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
/// `--output FILE` names a file in a directory that exists: checked before
/// any work, so a typo does not cost a collection window or a CUR scan.
fn output_directory_exists(output: Option<&std::path::Path>) -> Result<(), Error> {
    if let Some(file) = output
        && let Some(dir) = file.parent()
        && !dir.as_os_str().is_empty()
        && !dir.is_dir()
    {
        return Err(Error::usage(format!(
            "--output {}: the directory {} does not exist",
            file.display(),
            dir.display()
        )));
    }
    Ok(())
}

fn source(path: Option<&std::path::Path>) -> SnapshotSource {
    match path {
        None => SnapshotSource::Demo,
        Some(p) if p.as_os_str() == "-" => SnapshotSource::Stdin,
        Some(p) => SnapshotSource::File(p.to_path_buf()),
    }
}
