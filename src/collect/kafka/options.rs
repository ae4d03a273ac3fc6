//! Resolves the Kafka source flags into [`KafkaOptions`]: every default and
//! every check in one place (architecture habit 2).

use super::client::Settings;
use crate::cli::KafkaSourceArgs;
use crate::collect::zone_map::{self, ZoneMap};
use crate::error::Error;
use regex::Regex;
use std::collections::BTreeMap;
use std::time::Duration;

/// Default `--window`.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(600);
/// Default `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest `--timeout`: librdkafka's `socket.timeout.ms` limit.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(300);
/// Default `--sample-partitions`.
pub const DEFAULT_SAMPLE_PARTITIONS: usize = 1000;
/// Default `--sample-records`.
pub const DEFAULT_SAMPLE_RECORDS: usize = 200;

/// Everything a Kafka collection needs, resolved.
#[derive(Debug, Clone)]
pub struct KafkaOptions {
    /// `bootstrap.servers`.
    pub bootstrap: String,
    /// Client settings: `--kafka-config` first, then `-X`.
    pub settings: Settings,
    /// How long to watch.
    pub window: Duration,
    /// How long one request may take.
    pub timeout: Duration,
    /// Only groups whose id matches.
    pub group_filter: Option<Regex>,
    /// Client networks → zones.
    pub zone_map: ZoneMap,
    /// Broker id → zone, beating the rack.
    pub broker_zones: BTreeMap<i32, String>,
    /// The snapshot's cluster name.
    pub cluster_name: Option<String>,
    /// `replica.selector.class` given by the user.
    pub replica_selector: Option<String>,
    /// Partitions sampled for bytes per record.
    pub sample_partitions: usize,
    /// Records read per sampled partition.
    pub sample_records: usize,
    /// Show a progress bar on a terminal.
    pub progress: bool,
}

impl KafkaOptions {
    /// `None` when no `--bootstrap` was given; then no other Kafka flag may
    /// be either, since it would silently do nothing.
    pub fn from_args(args: &KafkaSourceArgs, quiet: bool) -> Result<Option<Self>, Error> {
        let Some(bootstrap) = args.bootstrap.as_deref() else {
            if let Some(flag) = stray_flag(args) {
                return Err(Error::usage(format!(
                    "{flag} needs a live cluster to collect from: --bootstrap HOST:PORT (or, on audit, --cluster-arn ARN)"
                )));
            }
            return Ok(None);
        };
        let bootstrap = bootstrap.trim();
        if bootstrap.is_empty() || bootstrap.split(',').any(|b| !b.trim().contains(':')) {
            return Err(Error::usage(format!(
                "--bootstrap {bootstrap:?}: expected HOST:PORT[,HOST:PORT..]"
            )));
        }
        let mut settings = match &args.kafka_config {
            Some(path) => Settings::read_file(path)?,
            None => Settings::default(),
        };
        for spec in &args.kafka_setting {
            settings.add_spec(spec, "-X")?;
        }
        settings.check_reserved()?;
        let group_filter = args
            .group
            .as_deref()
            .map(|g| {
                Regex::new(g).map_err(|e| {
                    Error::usage(format!("--group {g:?}: not a regular expression: {e}"))
                })
            })
            .transpose()?;
        let mut zone_map = match &args.zone_map_file {
            Some(path) => ZoneMap::read_file(path)?,
            None => ZoneMap::default(),
        };
        zone_map.extend(ZoneMap::parse(
            args.zone_map.iter().map(String::as_str),
            "--zone-map",
        )?);
        let positive = |v: Option<usize>, default: usize, flag: &str| match v {
            Some(0) => Err(Error::usage(format!("{flag} 0: expected at least 1"))),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let timeout = args.timeout.unwrap_or(DEFAULT_TIMEOUT);
        // librdkafka's socket.timeout.ms stops at 300 s.
        if timeout > MAX_TIMEOUT || timeout < Duration::from_millis(10) {
            return Err(Error::usage(format!(
                "--timeout {}: expected from 10ms to 5m",
                humantime::format_duration(timeout)
            )));
        }
        if args
            .cluster_name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty())
        {
            return Err(Error::usage("--cluster-name: expected a non-empty name"));
        }
        Ok(Some(KafkaOptions {
            bootstrap: bootstrap.to_string(),
            settings,
            window: args.window.unwrap_or(DEFAULT_WINDOW),
            timeout,
            group_filter,
            zone_map,
            broker_zones: zone_map::broker_zones(args.broker_zone.iter().map(String::as_str))?,
            cluster_name: args.cluster_name.clone(),
            replica_selector: args.replica_selector.clone(),
            sample_partitions: positive(
                args.sample_partitions,
                DEFAULT_SAMPLE_PARTITIONS,
                "--sample-partitions",
            )?,
            sample_records: positive(
                args.sample_records,
                DEFAULT_SAMPLE_RECORDS,
                "--sample-records",
            )?,
            progress: !quiet,
        }))
    }
}

fn stray_flag(a: &KafkaSourceArgs) -> Option<&'static str> {
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
