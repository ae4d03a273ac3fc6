//! The report job's TOML configuration, and the one place where defaults,
//! the file, `AZCOST_*` environment variables and flags are resolved, in
//! that order of precedence (each later one wins).
//!
//! Unknown keys are errors that name the key and the file: a typo in a
//! scheduled job must not silently fall back to a default.

use crate::cli::ReportArgs;
use crate::collect::kafka::client::Settings;
use crate::collect::kafka::options::{self as kafka_opts, KafkaOptions};
use crate::collect::msk::ClusterArn;
use crate::collect::msk::options::{self as msk_opts, DEFAULT_KAFKA_WINDOW, MskOptions};
use crate::collect::zone_map::{self, ZoneMap};
use crate::error::Error;
use crate::findings::FindingOptions;
use crate::model::{DEFAULT_MONTH_HOURS, DEFAULT_PRICE_PER_GB, Pricing};
use crate::snapshot::Platform;
use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Where bundles go and how the job reports.
    #[serde(default)]
    pub defaults: FileDefaults,
    /// Prices and projection.
    #[serde(default)]
    pub pricing: FilePricing,
    /// The clusters to report on.
    #[serde(default)]
    pub clusters: Vec<FileCluster>,
    /// Chargeback owners.
    #[serde(default)]
    pub owners: Vec<FileOwner>,
}

/// `[defaults]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDefaults {
    /// Directory of the bundles and history (default `reports`).
    pub out: Option<PathBuf>,
    /// Node-exporter textfile to write.
    pub prometheus_textfile: Option<PathBuf>,
    /// Rows in the top tables.
    pub top: Option<usize>,
    /// Clusters run at once (like `--jobs`).
    pub jobs: Option<usize>,
    /// Longest wait for another run's lock on `--out` or the textfile's
    /// directory, e.g. `"2m"` (like `--lock-timeout`).
    pub lock_timeout: Option<String>,
    /// CUR files (a path, directory or glob, relative to the config file)
    /// for every cluster without its own `cur`: each bundle gets
    /// `reconcile.csv` and a reconciliation section (`azcost reconcile`).
    pub cur: Option<String>,
}

/// `[pricing]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePricing {
    /// USD per GB (2^30 bytes) crossing zones.
    pub price_per_gb: Option<f64>,
    /// Overrides every snapshot's platform.
    pub platform: Option<Platform>,
    /// Hours in a month.
    pub month_hours: Option<f64>,
    /// Share of records produced without a key (KIP-1123 finding).
    pub unkeyed_share: Option<f64>,
}

/// One `[[clusters]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCluster {
    /// Name used in the bundle path `cluster=<name>`.
    pub name: String,
    /// Snapshot file, relative to the config file's directory.
    pub snapshot: Option<PathBuf>,
    /// Or an Amazon MSK cluster collected at each run (`collect msk`),
    /// over `window` (default 7d) ending at the last whole hour.
    pub cluster_arn: Option<String>,
    /// AWS region of the MSK calls (default: the ARN's).
    pub region: Option<String>,
    /// AWS profile of the MSK calls (default: the standard chain).
    pub profile: Option<String>,
    /// The window the job expects, e.g. `"1d"` or `"7d"`: a snapshot whose
    /// window has another length fails the cluster, so a stale or wrong
    /// file never passes for this period's evidence. With `bootstrap`, how
    /// long to watch the cluster.
    pub window: Option<String>,
    /// A live Kafka cluster to collect from instead of a snapshot file
    /// (the `--bootstrap` of `collect kafka`).
    pub bootstrap: Option<String>,
    /// librdkafka properties file (relative to the config file).
    pub kafka_config: Option<PathBuf>,
    /// librdkafka settings, like `-X` (`{ "security.protocol" = "SSL" }`).
    #[serde(default)]
    pub kafka: BTreeMap<String, String>,
    /// `CIDR=ZONE` entries, like `--zone-map`.
    #[serde(default)]
    pub zone_map: Vec<String>,
    /// `ID=ZONE` entries, like `--broker-zone`.
    #[serde(default)]
    pub broker_zone: Vec<String>,
    /// Group id regular expression, like `--group`.
    pub group: Option<String>,
    /// How long this cluster's run may take before the job gives up on it
    /// (default: 10m for a snapshot, window + 10m for `bootstrap`, 1h for
    /// `cluster_arn`).
    pub deadline: Option<String>,
    /// CUR files to reconcile the estimate with (a path, directory or
    /// glob, relative to the config file); beats `[defaults] cur`.
    pub cur: Option<String>,
    /// Other resource ids or regexes of the cluster in the bill, like
    /// `--cur-resource` (self-managed broker instances, ENIs).
    #[serde(default)]
    pub cur_resource: Vec<String>,
}

/// One `[[owners]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileOwner {
    /// Team or person.
    pub name: String,
    /// Finance's cost center.
    pub cost_center: Option<String>,
    /// Regexes of the topics whose produce and replication it pays.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Regexes of the groups whose consume traffic it pays.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A chargeback owner, regexes compiled.
#[derive(Debug, Clone)]
pub struct Owner {
    /// Team or person.
    pub name: String,
    /// Cost center, if any.
    pub cost_center: Option<String>,
    /// Topic patterns (anchored as written).
    pub topics: Vec<Regex>,
    /// Group patterns.
    pub groups: Vec<Regex>,
}

/// Where a cluster's snapshot comes from.
#[derive(Debug, Clone)]
pub enum ClusterSource {
    /// A snapshot file.
    Snapshot(PathBuf),
    /// An MSK cluster collected at each run over the window ending at the
    /// last whole hour before the job started, with the Kafka settings of
    /// the entry (`kafka`, `kafka_config`, `zone_map`, `broker_zone`,
    /// `group`) for the live Kafka read.
    Msk(Box<MskOptions>),
    /// A live Kafka cluster, collected over the configured window.
    Kafka(Box<KafkaOptions>),
}

impl ClusterSource {
    /// The file or the ARN, for messages.
    pub fn label(&self) -> String {
        match self {
            ClusterSource::Snapshot(p) => format!("snapshot {}", p.display()),
            ClusterSource::Msk(o) => format!("MSK cluster {}", o.arn.text),
            ClusterSource::Kafka(k) => format!("Kafka cluster at {}", k.bootstrap),
        }
    }
}

/// A cluster to report on, resolved.
#[derive(Debug, Clone)]
pub struct ClusterJob {
    /// Name in the bundle path.
    pub name: String,
    /// Snapshot file or live source.
    pub source: ClusterSource,
    /// Expected window length in seconds, if configured.
    pub window_seconds: Option<f64>,
    /// How long the run may take (see [`FileCluster::deadline`]).
    pub deadline: std::time::Duration,
    /// CUR files to reconcile with, resolved against the config's
    /// directory (the entry's `cur`, else `[defaults] cur`).
    pub cur: Option<String>,
    /// `cur_resource` of the entry.
    pub cur_resource: Vec<String>,
}

/// Everything `azcost report` needs, resolved.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    /// The config file it came from, for messages.
    pub file: Option<PathBuf>,
    /// Bundle root.
    pub out: PathBuf,
    /// `YYYY-MM-DD` of the bundles.
    pub date: String,
    /// Replace a bundle of the same date.
    pub force: bool,
    /// Prices.
    pub pricing: Pricing,
    /// Finding settings.
    pub findings: FindingOptions,
    /// Rows in the top tables.
    pub top: usize,
    /// Clusters in file order.
    pub clusters: Vec<ClusterJob>,
    /// Chargeback owners.
    pub owners: Vec<Owner>,
    /// Textfile for Prometheus.
    pub prometheus_textfile: Option<PathBuf>,
    /// Say nothing but errors.
    pub quiet: bool,
    /// Logs as JSON lines.
    pub json_logs: bool,
    /// Clusters run at once.
    pub jobs: usize,
    /// Longest wait for a lock held by another run.
    pub lock_wait: std::time::Duration,
}

/// Clusters run at once by default: live windows are mostly waiting, so
/// more than the cores; few enough that a fleet does not open hundreds of
/// broker connections at once.
pub const DEFAULT_JOBS: usize = 4;

/// Most clusters run at once.
pub const MAX_JOBS: usize = 256;

/// Reads and checks a config file.
pub fn read_file(path: &Path) -> Result<FileConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::usage(format!(
            "--config {}: cannot read the file: {e}",
            path.display()
        ))
    })?;
    parse(&text, &path.display().to_string())
}

/// Parses config text; `name` is what errors call it.
pub fn parse(text: &str, name: &str) -> Result<FileConfig, Error> {
    toml::from_str(text).map_err(|e| Error::usage(format!("{name}: {}", e.to_string().trim_end())))
}

/// Resolves defaults < file < environment < flags. `now` (read at the
/// edge) gives the date used when neither `--date` nor `AZCOST_DATE` is
/// given (UTC), and ends the CloudWatch window of `cluster_arn` entries.
pub fn resolve(args: &ReportArgs, now: jiff::Timestamp) -> Result<ReportConfig, Error> {
    let today = now.strftime("%Y-%m-%d").to_string();
    let file = args.config.clone();
    let fc = match &file {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    let name = file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(no config file)".to_string());
    let base = file
        .as_ref()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let price_per_gb = args
        .price_per_gb
        .or(fc.pricing.price_per_gb)
        .unwrap_or(DEFAULT_PRICE_PER_GB);
    check_range(&name, "pricing.price_per_gb", price_per_gb, 0.0, 1e6)?;
    let month_hours = args
        .month_hours
        .or(fc.pricing.month_hours)
        .unwrap_or(DEFAULT_MONTH_HOURS);
    if !(month_hours.is_finite() && month_hours > 0.0) {
        return Err(Error::usage(format!(
            "{name}: pricing.month_hours: expected a number > 0, found {month_hours}"
        )));
    }
    let unkeyed_share = fc.pricing.unkeyed_share.unwrap_or(1.0);
    check_range(&name, "pricing.unkeyed_share", unkeyed_share, 0.0, 1.0)?;
    let date = args.date.clone().unwrap_or(today);
    if jiff::civil::Date::strptime("%Y-%m-%d", &date).is_err() || date.len() != 10 {
        return Err(Error::usage(format!(
            "--date {date}: expected a date as YYYY-MM-DD"
        )));
    }
    if fc.clusters.is_empty() {
        return Err(Error::usage(format!(
            "{name}: no [[clusters]]: expected at least one, e.g. [[clusters]] name = \"orders-prod\" snapshot = \"orders-prod.json\""
        )));
    }
    let mut clusters = Vec::new();
    for (i, c) in fc.clusters.iter().enumerate() {
        // The name becomes `OUT/cluster=<name>`: nothing in it may leave
        // `--out` (`/`, `..`) or make the directory hard to handle.
        if c.name.trim().is_empty()
            || c.name.contains(['/', '\\', '='])
            || c.name.starts_with('.')
            || c.name.chars().any(char::is_control)
            || c.name.len() > 200
        {
            return Err(Error::usage(format!(
                "{name}: clusters[{i}].name {:?}: expected a non-empty name of at most 200 bytes without '/', '\\', '=', control characters or a leading '.' (it becomes a directory name)",
                c.name
            )));
        }
        if clusters.iter().any(|j: &ClusterJob| j.name == c.name) {
            return Err(Error::usage(format!(
                "{name}: clusters[{i}].name {:?} appears twice",
                c.name
            )));
        }
        let sources = usize::from(c.snapshot.is_some())
            + usize::from(c.cluster_arn.is_some())
            + usize::from(c.bootstrap.is_some());
        if sources > 1 {
            return Err(Error::usage(format!(
                "{name}: clusters[{i}] ({}): snapshot, cluster_arn and bootstrap exclude each other",
                c.name
            )));
        }
        let window_seconds = || -> Result<Option<f64>, Error> {
            c.window
                .as_ref()
                .map(|w| {
                    humantime::parse_duration(w)
                        .map(|d| d.as_secs_f64())
                        .map_err(|e| {
                            Error::usage(format!(
                                "{name}: clusters[{i}].window {w:?}: expected a length such as \"1d\" or \"7d\": {e}"
                            ))
                        })
                })
                .transpose()
        };
        let in_entry = |e: Error| Error::usage(format!("{name}: clusters[{i}] ({}): {e}", c.name));
        let source = match (&c.snapshot, &c.cluster_arn, &c.bootstrap) {
            (Some(snapshot), _, _) => ClusterSource::Snapshot(base.join(snapshot)),
            (None, Some(arn), _) => {
                let arn = ClusterArn::parse(arn)
                    .map_err(|e| Error::usage(format!("{name}: clusters[{i}].cluster_arn: {e}")))?;
                let now_s = now.as_second();
                let length = window_seconds()?.map(std::time::Duration::from_secs_f64);
                let (start, end) = msk_opts::last_whole_hours(length, now_s);
                msk_opts::check_window(start, end, now_s).map_err(in_entry)?;
                ClusterSource::Msk(Box::new(MskOptions {
                    arn,
                    region: c.region.clone(),
                    profile: c.profile.clone(),
                    start,
                    end,
                    now: now_s,
                    // The bootstrap brokers come from GetBootstrapBrokers.
                    kafka: Some(kafka_client(c, &base, String::new()).map_err(in_entry)?),
                    kafka_window: DEFAULT_KAFKA_WINDOW,
                    kafka_auth: None,
                    zone_map: ZoneMap::parse(c.zone_map.iter().map(String::as_str), "zone_map")
                        .map_err(in_entry)?,
                    quiet: true,
                }))
            }
            (None, None, Some(bootstrap)) => {
                let Some(window) = &c.window else {
                    return Err(Error::usage(format!(
                        "{name}: clusters[{i}] ({}): bootstrap needs window = \"10m\" (how long to watch the cluster)",
                        c.name
                    )));
                };
                let window = humantime::parse_duration(window)
                    .ok()
                    .filter(|w| !w.is_zero())
                    .ok_or_else(|| {
                        Error::usage(format!(
                            "{name}: clusters[{i}].window {window:?}: expected a length above zero such as \"10m\""
                        ))
                    })?;
                let bootstrap = kafka_opts::bootstrap(bootstrap, "bootstrap").map_err(in_entry)?;
                let mut opts = kafka_client(c, &base, bootstrap).map_err(in_entry)?;
                opts.window = window;
                opts.cluster_name = Some(c.name.clone());
                ClusterSource::Kafka(Box::new(opts))
            }
            (None, None, None) => {
                return Err(Error::usage(format!(
                    "{name}: clusters[{i}] ({}): missing source: expected snapshot = \"path/to/snapshot.json\", bootstrap = \"host:9092\" or cluster_arn = \"arn:aws:kafka:…\"",
                    c.name
                )));
            }
        };
        if !matches!(source, ClusterSource::Msk(..)) && (c.region.is_some() || c.profile.is_some())
        {
            return Err(Error::usage(format!(
                "{name}: clusters[{i}] ({}): region and profile need cluster_arn",
                c.name
            )));
        }
        let window_seconds = window_seconds()?;
        let deadline = match &c.deadline {
            Some(d) => humantime::parse_duration(d)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    Error::usage(format!(
                        "{name}: clusters[{i}].deadline {d:?}: expected a length above zero such as \"30m\""
                    ))
                })?,
            None => default_deadline(&source),
        };
        if c.cur.is_none() && fc.defaults.cur.is_none() && !c.cur_resource.is_empty() {
            return Err(Error::usage(format!(
                "{name}: clusters[{i}] ({}): cur_resource needs cur (here or in [defaults])",
                c.name
            )));
        }
        let cur = c
            .cur
            .as_ref()
            .or(fc.defaults.cur.as_ref())
            .map(|p| base.join(p).to_string_lossy().into_owned());
        clusters.push(ClusterJob {
            name: c.name.clone(),
            source,
            window_seconds,
            deadline,
            cur,
            cur_resource: c.cur_resource.clone(),
        });
    }
    let mut owners = Vec::new();
    for (i, o) in fc.owners.iter().enumerate() {
        let compile = |kind: &str, patterns: &[String]| -> Result<Vec<Regex>, Error> {
            patterns
                .iter()
                .enumerate()
                .map(|(j, p)| {
                    Regex::new(p).map_err(|e| {
                        Error::usage(format!(
                            "{name}: owners[{i}].{kind}[{j}] {p:?}: not a valid regex: {e}"
                        ))
                    })
                })
                .collect()
        };
        owners.push(Owner {
            name: o.name.clone(),
            cost_center: o.cost_center.clone(),
            topics: compile("topics", &o.topics)?,
            groups: compile("groups", &o.groups)?,
        });
    }
    let jobs = args.jobs.or(fc.defaults.jobs).unwrap_or(DEFAULT_JOBS);
    if !(1..=MAX_JOBS).contains(&jobs) {
        return Err(Error::usage(format!(
            "--jobs {jobs} (or [defaults] jobs in {name}): expected from 1 to {MAX_JOBS}"
        )));
    }
    let lock_wait = match (&args.lock_timeout, &fc.defaults.lock_timeout) {
        (Some(d), _) => *d,
        (None, Some(text)) => humantime::parse_duration(text).map_err(|e| {
            Error::usage(format!(
                "{name}: defaults.lock_timeout {text:?}: expected a length such as \"2m\": {e}"
            ))
        })?,
        (None, None) => super::lock::DEFAULT_WAIT,
    };
    let out = args
        .out
        .clone()
        .or(fc.defaults.out.map(|o| base.join(o)))
        .unwrap_or_else(|| PathBuf::from("reports"));
    Ok(ReportConfig {
        file,
        out,
        date,
        force: args.force,
        pricing: Pricing {
            price_per_gb,
            platform: args.platform.or(fc.pricing.platform),
            month_hours,
        },
        findings: FindingOptions { unkeyed_share },
        top: fc.defaults.top.unwrap_or(10).max(1),
        clusters,
        owners,
        prometheus_textfile: args
            .prometheus_textfile
            .clone()
            .or(fc.defaults.prometheus_textfile.map(|p| base.join(p))),
        quiet: args.quiet,
        json_logs: args.log_format == crate::cli::LogFormat::Json,
        jobs,
        lock_wait,
    })
}

/// The Kafka client settings of an entry (`kafka`, `kafka_config`,
/// `group`, `zone_map`, `broker_zone`) onto the defaults, without progress
/// output (a scheduled job logs instead).
fn kafka_client(c: &FileCluster, base: &Path, bootstrap: String) -> Result<KafkaOptions, Error> {
    let mut opts = KafkaOptions::new(bootstrap);
    if let Some(path) = &c.kafka_config {
        opts.settings = Settings::read_file(&base.join(path))?;
    }
    for (key, value) in &c.kafka {
        opts.settings.add_spec(&format!("{key}={value}"), "kafka")?;
    }
    opts.settings.check_reserved()?;
    opts.group_filter = c
        .group
        .as_deref()
        .map(|g| kafka_opts::group_filter(g, "group"))
        .transpose()?;
    opts.zone_map = ZoneMap::parse(c.zone_map.iter().map(String::as_str), "zone_map")?;
    opts.broker_zones = zone_map::broker_zones(c.broker_zone.iter().map(String::as_str))?;
    opts.progress = false;
    Ok(opts)
}

/// How long a cluster's run may take when its entry does not say.
fn default_deadline(source: &ClusterSource) -> std::time::Duration {
    const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);
    match source {
        ClusterSource::Snapshot(_) => 10 * MINUTE,
        ClusterSource::Kafka(k) => k.window + 10 * MINUTE,
        ClusterSource::Msk(..) => 60 * MINUTE,
    }
}

fn check_range(name: &str, key: &str, v: f64, lo: f64, hi: f64) -> Result<(), Error> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "{name}: {key}: expected a number from {lo} to {hi}, found {v}"
        )))
    }
}
