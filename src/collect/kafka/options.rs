//! What a Kafka collection needs, resolved: [`KafkaOptions`], a plain
//! struct the command line (`config.rs`) and the report config
//! (`job/config.rs`) both fill in, with its defaults and the checks they
//! share. No flag parsing here.

use super::client::Settings;
use crate::collect::zone_map::ZoneMap;
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
    /// A collection from `bootstrap` with every default: no client
    /// settings, every group, no zone map, progress shown.
    pub fn new(bootstrap: String) -> Self {
        KafkaOptions {
            bootstrap,
            settings: Settings::default(),
            window: DEFAULT_WINDOW,
            timeout: DEFAULT_TIMEOUT,
            group_filter: None,
            zone_map: ZoneMap::default(),
            broker_zones: BTreeMap::new(),
            cluster_name: None,
            replica_selector: None,
            sample_partitions: DEFAULT_SAMPLE_PARTITIONS,
            sample_records: DEFAULT_SAMPLE_RECORDS,
            progress: true,
        }
    }
}

/// Checks `HOST:PORT[,HOST:PORT..]` and trims it; `what` names the flag or
/// config key in the error.
pub fn bootstrap(text: &str, what: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() || text.split(',').any(|b| !b.trim().contains(':')) {
        return Err(Error::usage(format!(
            "{what} {text:?}: expected HOST:PORT[,HOST:PORT..]"
        )));
    }
    Ok(text.to_string())
}

/// Compiles a group id filter; `what` names the flag or config key.
pub fn group_filter(pattern: &str, what: &str) -> Result<Regex, Error> {
    Regex::new(pattern)
        .map_err(|e| Error::usage(format!("{what} {pattern:?}: not a regular expression: {e}")))
}
