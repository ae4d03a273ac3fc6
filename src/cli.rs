//! The command line. Doc comments here are the `--help` text, so they say
//! what each flag does and its default; the shell completions and man
//! pages are generated from the same definitions.

use crate::placement::Format as PlacementFormat;
use crate::reconcile::render::Format as ReconcileFormat;
use crate::report::Format;
use crate::snapshot::Platform;
use clap::{Args, CommandFactory, Parser, Subcommand};
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
    /// Audit a snapshot before and after changes (client.rack, selector,
    /// replica placement, leaders, KIP-1123 producers, consumer moves, price)
    /// and print the difference; `-o` keeps the changed snapshot as evidence.
    #[command(name = "what-if")]
    WhatIf(WhatIfArgs),
    /// The placement map: one row per read (group, member, topic,
    /// partition) with the broker that serves it in each scenario, the
    /// bytes that cross zones and why the current fetch crosses or not.
    /// Same sources as `audit`. Rows are streamed as they are computed.
    Placement(PlacementArgs),
    /// Reconcile the estimate with the AWS bill: the cluster's regional
    /// data-transfer usage in Cost and Usage Report files (CUR 2.0 Parquet,
    /// legacy Parquet or CSV.gz) beside the estimate's expected GB, per UTC
    /// day of the window and in total, with the share the estimate explains.
    Reconcile(ReconcileArgs),
    /// Run every cluster of a config file and write one bundle per cluster
    /// and date under `OUT/cluster=<name>/date=<YYYY-MM-DD>/` (summary.md,
    /// summary.html, finance.csv, chargeback.csv, breakdowns.parquet,
    /// audit.json, snapshot.json), plus OUT/history.parquet. For cron and
    /// systemd timers: every file is written to a temp name and renamed.
    Report(ReportArgs),
    /// Collect a snapshot from a live source, without auditing it: the
    /// evidence to keep, or to audit later with `audit --snapshot`.
    #[command(subcommand)]
    Collect(CollectCommand),
    /// Print a completion script for SHELL to standard output, e.g.
    /// `azcost completions bash > ~/.local/share/bash-completion/completions/azcost`.
    Completions(CompletionsArgs),
    /// Print the man page azcost(1) to standard output (`azcost man | man -l -`),
    /// or write it and one page per command (azcost-audit.1, …) into `--dir`.
    Man(ManArgs),
}

/// Flags of `azcost completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Flags of `azcost man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write azcost.1 and one page per command (azcost-audit.1,
    /// azcost-collect-kafka.1, …) into DIR, each atomically, instead of
    /// printing azcost.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The completion script of `shell` for these definitions.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "azcost", &mut out);
    out
}

/// The man pages of these definitions, `(file name, roff)`: azcost.1
/// first, then one per command and subcommand (`azcost-collect-msk.1`).
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>, std::io::Error> {
    fn walk(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut roff = Vec::new();
        man.render(&mut roff)?;
        pages.push((man.get_filename(), roff));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, pages)?;
        }
        Ok(())
    }
    // Built, so each subcommand knows its full name (azcost-audit).
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    walk(&cmd, &mut pages)?;
    Ok(pages)
}

/// Sources `azcost collect` reads.
#[derive(Debug, Subcommand)]
pub enum CollectCommand {
    /// Read a running Kafka cluster (Amazon MSK or self-managed) through
    /// the Kafka protocol: brokers and racks, partitions, consumer groups and
    /// their members, and the bytes produced and read during `--window`.
    /// Read-only: it never joins a group, commits an offset, creates a topic
    /// or changes a config.
    Kafka(CollectKafkaArgs),
    /// Read an Amazon MSK cluster: brokers and their zones from the MSK and
    /// EC2 APIs, bytes over `--window` (default 7d) from CloudWatch, and
    /// placement and consumer groups from Kafka through the listener MSK
    /// reports. Credentials and region come from the standard AWS chain
    /// (environment, profiles, SSO, instance and container roles).
    /// Read-only; prints the number of CloudWatch metrics requested.
    Msk(CollectMskArgs),
}

/// Flags of `azcost collect msk`.
#[derive(Debug, Args)]
pub struct CollectMskArgs {
    /// The MSK cluster and the AWS side.
    #[command(flatten)]
    pub msk: MskSourceArgs,

    /// Kafka client settings, zone maps and the window (`--window`).
    #[command(flatten)]
    pub kafka: KafkaSourceArgs,

    /// Write the snapshot to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// No progress bar and no notes on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `--kafka-auth`: how the collector authenticates to MSK's Kafka
/// listeners (`collect::msk::KafkaAuth` once resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KafkaAuth {
    /// PLAINTEXT listener (port 9092).
    Plaintext,
    /// TLS listener (9094); client certificates through -X ssl.* settings.
    Tls,
    /// SASL/SCRAM-SHA-512 over TLS (9096); give -X sasl.username=… -X sasl.password=….
    SaslScram,
    /// SASL/IAM (9098): SASL/OAUTHBEARER with MSK IAM tokens signed by the
    /// AWS credentials of the MSK calls; chosen by default when it is the
    /// cluster's only listener.
    Iam,
}

/// An Amazon MSK cluster to collect from (`collect msk`, and `audit`
/// with `--cluster-arn`).
#[derive(Debug, Args, Clone, Default, PartialEq)]
pub struct MskSourceArgs {
    /// The MSK cluster's ARN,
    /// `arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID`. On `audit` this
    /// collects a snapshot first and audits it. `--window` is then the
    /// CloudWatch history to read (default 7d; e.g. 30d).
    #[arg(long, value_name = "ARN")]
    pub cluster_arn: Option<String>,

    /// AWS region of the calls. Default: the ARN's.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// AWS profile (~/.aws/config). Default: the standard chain.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Window start, RFC 3339 (e.g. 2026-11-01T00:00:00Z), with --end,
    /// instead of --window.
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,

    /// Window end, RFC 3339, with --start.
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,

    /// How long to watch Kafka live for placement, groups and the relative
    /// weights of partitions and groups. Default: 1m.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub kafka_window: Option<std::time::Duration>,

    /// Kafka listener: plaintext, tls, sasl-scram, iam (SASL/OAUTHBEARER
    /// with MSK IAM tokens from the same AWS credentials). Default: the
    /// first the cluster has, in that order.
    #[arg(long, value_enum, value_name = "AUTH")]
    pub kafka_auth: Option<KafkaAuth>,

    /// Do not read Kafka: CloudWatch and the control plane only (placement
    /// assumed, consumers of unknown zone; flagged in the warnings).
    #[arg(long)]
    pub no_kafka: bool,
}

/// Flags of `azcost collect kafka`.
#[derive(Debug, Args)]
pub struct CollectKafkaArgs {
    /// Where and how to read the cluster.
    #[command(flatten)]
    pub kafka: KafkaSourceArgs,

    /// `iam`: authenticate to an MSK IAM listener (port 9098) with
    /// SASL/OAUTHBEARER and MSK IAM tokens from the standard AWS
    /// credential chain; needs --region. Other listeners need only -X.
    #[arg(long, value_enum, value_name = "AUTH")]
    pub kafka_auth: Option<KafkaAuth>,

    /// With --kafka-auth iam: the cluster's AWS region, which tokens are
    /// signed for.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// With --kafka-auth iam: the AWS profile (~/.aws/config).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Write the snapshot to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// No progress bar and no notes on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// A live Kafka cluster to collect from (`collect kafka`, and `audit`
/// with `--bootstrap`).
#[derive(Debug, Args, Clone, Default)]
pub struct KafkaSourceArgs {
    /// Bootstrap brokers, `HOST:PORT[,HOST:PORT..]`. On `audit` this
    /// collects a snapshot first and audits it.
    #[arg(long, value_name = "HOST:PORT[,..]")]
    pub bootstrap: Option<String>,

    /// How long to watch the cluster: offsets are read at the start and at
    /// the end, so bytes are what was produced and read in between
    /// (e.g. `30s`, `10m`, `1h`). Default: 10m. With `--cluster-arn`: the
    /// CloudWatch history to read, ending at the last whole hour (e.g.
    /// `7d`, `30d`). Default there: 7d.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub window: Option<std::time::Duration>,

    /// A librdkafka client setting, `KEY=VALUE` (repeatable), e.g.
    /// `-X security.protocol=SASL_SSL -X sasl.mechanism=SCRAM-SHA-512`.
    /// Beats `--kafka-config`. Values are never printed.
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    pub kafka_setting: Vec<String>,

    /// A librdkafka properties file (`key=value` lines, `#` comments), for
    /// TLS, SASL/SCRAM or other client settings kept out of the shell
    /// history.
    #[arg(long, value_name = "FILE")]
    pub kafka_config: Option<PathBuf>,

    /// Only consumer groups whose id matches this regular expression
    /// (default: every group).
    #[arg(long, value_name = "REGEX")]
    pub group: Option<String>,

    /// A client network and the zone it lies in, `CIDR=ZONE` (repeatable),
    /// e.g. `10.0.0.0/20=use1-az1`: a member whose client host falls in it
    /// runs in that zone. Without a match a member's zone is unknown.
    #[arg(long, value_name = "CIDR=ZONE")]
    pub zone_map: Vec<String>,

    /// A file of `CIDR=ZONE` lines (`#` comments), read before `--zone-map`.
    #[arg(long, value_name = "FILE")]
    pub zone_map_file: Option<PathBuf>,

    /// The zone of a broker, `ID=ZONE` (repeatable): for brokers without
    /// `broker.rack`, or whose rack is not their zone.
    #[arg(long, value_name = "ID=ZONE")]
    pub broker_zone: Vec<String>,

    /// The snapshot's cluster name. Default: the Kafka cluster id.
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,

    /// The brokers' `replica.selector.class`, when azcost may not read
    /// broker configs (DescribeConfigs). Default: read from the brokers.
    #[arg(long, value_name = "CLASS")]
    pub replica_selector: Option<String>,

    /// How long one request may take before the collection gives up
    /// (e.g. `30s`). Default: 30s.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub timeout: Option<std::time::Duration>,

    /// At most this many partitions, those with the most new records, are
    /// sampled for their stored bytes per record; the rest use their
    /// topic's average. Default: 1000.
    #[arg(long, value_name = "N")]
    pub sample_partitions: Option<usize>,

    /// Newest records read per sampled partition. Default: 200.
    #[arg(long, value_name = "N")]
    pub sample_records: Option<usize>,
}

/// Flags of `azcost report`. Each also reads an `AZCOST_*` variable; a
/// flag beats the variable, which beats the config file, which beats the
/// default.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// TOML config: `[defaults]`, `[pricing]`, `[[clusters]]`, `[[owners]]`
    /// (see examples/azcost.toml).
    #[arg(long, short = 'c', value_name = "FILE", env = "AZCOST_CONFIG")]
    pub config: Option<PathBuf>,

    /// Directory of the bundles and history.parquet [default: reports].
    #[arg(long, value_name = "DIR", env = "AZCOST_OUT")]
    pub out: Option<PathBuf>,

    /// Date of the bundles, YYYY-MM-DD [default: today, UTC].
    #[arg(long, value_name = "YYYY-MM-DD", env = "AZCOST_DATE")]
    pub date: Option<String>,

    /// Replace a bundle that exists for the same cluster and date.
    #[arg(long)]
    pub force: bool,

    /// USD per GB (2^30 bytes) crossing zones [default: 0.02].
    #[arg(long, value_name = "USD", env = "AZCOST_PRICE_PER_GB", value_parser = non_negative)]
    pub price_per_gb: Option<f64>,

    /// Platform for every cluster [default: each snapshot's, else msk].
    #[arg(long, value_enum, env = "AZCOST_PLATFORM")]
    pub platform: Option<Platform>,

    /// Hours in the month that monthly figures project to [default: 730].
    #[arg(long, value_name = "HOURS", env = "AZCOST_MONTH_HOURS", value_parser = positive)]
    pub month_hours: Option<f64>,

    /// Also write metrics for node_exporter's textfile collector to FILE.
    #[arg(long, value_name = "FILE", env = "AZCOST_PROMETHEUS_TEXTFILE")]
    pub prometheus_textfile: Option<PathBuf>,

    /// Print only errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Log lines as text or as JSON objects (one per line) for schedulers.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "AZCOST_LOG_FORMAT")]
    pub log_format: LogFormat,

    /// Clusters run at once (each live one watches its window meanwhile)
    /// [default: 4].
    #[arg(long, short = 'j', value_name = "N", env = "AZCOST_JOBS")]
    pub jobs: Option<usize>,

    /// Longest wait for another run's lock on --out or the textfile's
    /// directory, then exit 1 naming the holder [default: 2m].
    #[arg(long, value_name = "DURATION", env = "AZCOST_LOCK_TIMEOUT", value_parser = duration)]
    pub lock_timeout: Option<std::time::Duration>,
}

/// How `azcost report` logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `azcost: message`.
    Text,
    /// `{"ts": ..., "level": ..., "cluster": ..., "msg": ...}`.
    Json,
}

/// Flags of `azcost what-if`.
#[derive(Debug, Args)]
pub struct WhatIfArgs {
    /// Snapshot to start from; `-` reads standard input. Without it the
    /// built-in demo snapshot is used.
    #[arg(long, short = 's', value_name = "FILE")]
    pub snapshot: Option<PathBuf>,

    /// Every member of GROUP (or of every group with `all`) sends the
    /// broker.rack of the zone it runs in (repeatable).
    #[arg(long, value_name = "all|GROUP")]
    pub set_client_rack: Vec<String>,

    /// The brokers run RackAwareReplicaSelector.
    #[arg(long)]
    pub enable_selector: bool,

    /// Give the partitions of `--topic` N replicas, spread over as many zones
    /// as possible, all in sync.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub replication_factor: Option<u16>,

    /// One replica per broker zone (RF = number of zones unless
    /// --replication-factor says otherwise).
    #[arg(long)]
    pub one_replica_per_zone: bool,

    /// Topic that --replication-factor / --one-replica-per-zone change.
    #[arg(long, value_name = "all|TOPIC", default_value = "all")]
    pub topic: String,

    /// Move leaders among in-sync replicas so every zone leads an equal
    /// share of produced bytes.
    #[arg(long)]
    pub balance_leaders: bool,

    /// Producers of TOPIC (or of every topic with `all`) use KIP-1123
    /// rack-aware partitioning for their unkeyed records (repeatable).
    #[arg(long, value_name = "all|TOPIC")]
    pub producer_rack_aware: Vec<String>,

    /// Share of records produced without a key, from 0 to 1 (KIP-1123 moves
    /// only those).
    #[arg(long, value_name = "SHARE", default_value_t = 1.0, value_parser = share)]
    pub unkeyed_share: f64,

    /// Move every member of GROUP to ZONE (an AZ ID or name of a broker
    /// zone); a client.rack that was right follows it (repeatable).
    #[arg(long, value_name = "GROUP=ZONE")]
    pub move_consumers: Vec<String>,

    /// USD per GB crossing zones in the "after" audit (default: the same as before).
    #[arg(long, value_name = "USD", value_parser = non_negative)]
    pub price_per_gb: Option<f64>,

    /// USD per GB crossing zones in the "before" audit.
    #[arg(long, value_name = "USD", default_value_t = 0.02, value_parser = non_negative)]
    pub base_price_per_gb: f64,

    /// Platform for both audits (default: the snapshot's, else msk).
    #[arg(long, value_enum)]
    pub platform: Option<Platform>,

    /// Hours in the month that monthly figures project to.
    #[arg(long, value_name = "HOURS", default_value_t = 730.0, value_parser = positive)]
    pub month_hours: f64,

    /// Rows in the per-topic and per-group difference tables.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Output format (csv is not offered: the difference is not a finance table).
    #[arg(long, short = 'f', value_enum, default_value_t = WhatIfFormat::Table)]
    pub format: WhatIfFormat,

    /// Write the changed snapshot to FILE (atomically), to audit it later.
    #[arg(long = "output-snapshot", short = 'o', value_name = "FILE")]
    pub output_snapshot: Option<PathBuf>,

    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print nothing but the report.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Output formats of `azcost what-if`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WhatIfFormat {
    /// Terminal tables, before and after side by side.
    Table,
    /// `{"before": <audit>, "after": <audit>, "difference": {...}}`.
    Json,
    /// The table content as Markdown.
    Markdown,
}

/// Flags of `azcost audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Snapshot to audit (`azcost.snapshot/v1` JSON); `-` reads standard
    /// input. Without it (and without `--bootstrap`) the built-in demo
    /// snapshot is audited.
    #[arg(long, short = 's', value_name = "FILE", conflicts_with_all = ["bootstrap", "cluster_arn"])]
    pub snapshot: Option<PathBuf>,

    /// Collect from a live Kafka cluster first (the same flags as
    /// `collect kafka`).
    #[command(flatten)]
    pub kafka: KafkaSourceArgs,

    /// Collect from an Amazon MSK cluster first (the same flags as
    /// `collect msk`).
    #[command(flatten)]
    pub msk: MskSourceArgs,

    /// With `--bootstrap` or `--cluster-arn`: also keep the collected
    /// snapshot in FILE, the evidence this audit was computed from.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,

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

    /// Share of records produced without a key, from 0 to 1: the part of
    /// producer traffic KIP-1123 rack-aware partitioning can keep in-zone
    /// (used by the producer-cross-az finding).
    #[arg(long, value_name = "SHARE", default_value_t = 1.0, value_parser = share)]
    pub unkeyed_share: f64,
}

/// Flags of `azcost reconcile`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("estimate").required(true).args(["snapshot", "audit"]))]
pub struct ReconcileArgs {
    /// CUR files: files, directories (read recursively for .parquet, .csv
    /// and .csv.gz) or globs (quote them), CUR 2.0 Data Exports Parquet or
    /// the legacy CUR's Parquet or CSV (repeatable).
    #[arg(long, value_name = "PATH", required = true, num_args = 1..)]
    pub cur: Vec<String>,

    /// The snapshot the estimate is computed from; `-` reads standard
    /// input. Its `cluster.arn` (filled by `collect msk`) finds the
    /// cluster's line items.
    #[arg(long, short = 's', value_name = "FILE")]
    pub snapshot: Option<PathBuf>,

    /// An `azcost audit --format json` document instead of a snapshot; it
    /// carries `cluster_arn` when its snapshot had one, else give
    /// --cur-resource.
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,

    /// Another resource id of the cluster, or a regular expression over
    /// the bill's resource ids (self-managed broker instances, ENIs)
    /// (repeatable).
    #[arg(long, value_name = "ID_OR_REGEX")]
    pub cur_resource: Vec<String>,

    /// Platform of the estimate (`self-managed` expects replication on the
    /// bill, twice). Default: the snapshot's or audit's, else msk.
    #[arg(long, value_enum)]
    pub platform: Option<Platform>,

    /// Hours in the month that the finding's unexplained dollars project to.
    #[arg(long, value_name = "HOURS", default_value_t = 730.0, value_parser = positive)]
    pub month_hours: f64,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReconcileFormat::Table)]
    pub format: ReconcileFormat,

    /// Write the report to FILE (atomically: temp file, then rename)
    /// instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print nothing but the report.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Flags of `azcost placement`.
#[derive(Debug, Args)]
pub struct PlacementArgs {
    /// Snapshot to map (`azcost.snapshot/v1` JSON); `-` reads standard
    /// input. Without it (and without a live source) the built-in demo
    /// snapshot is mapped.
    #[arg(long, short = 's', value_name = "FILE", conflicts_with_all = ["bootstrap", "cluster_arn"])]
    pub snapshot: Option<PathBuf>,

    /// Collect from a live Kafka cluster first (the same flags as
    /// `collect kafka`). `--group REGEX` also keeps only the rows of the
    /// groups it matches, whatever the source.
    #[command(flatten)]
    pub kafka: KafkaSourceArgs,

    /// Collect from an Amazon MSK cluster first (the same flags as
    /// `collect msk`).
    #[command(flatten)]
    pub msk: MskSourceArgs,

    /// With `--bootstrap` or `--cluster-arn`: also keep the collected
    /// snapshot in FILE.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,

    /// Only rows whose topic matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub topic: Option<String>,

    /// Only rows whose member id matches this regular expression (reads no
    /// member owns have an empty member id).
    #[arg(long, value_name = "REGEX")]
    pub member: Option<String>,

    /// Only rows whose current fetch crosses zones (current_cross_az_bytes > 0).
    #[arg(long)]
    pub crossing_only: bool,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = PlacementFormat::Table)]
    pub format: PlacementFormat,

    /// Write the rows to FILE (atomically: temp file, then rename) instead
    /// of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print nothing but the rows (no note about the demo snapshot).
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

fn duration(text: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(text.trim())
        .map_err(|e| format!("expected a duration such as 30s, 10m or 1h, found {text:?} ({e})"))?;
    if d.is_zero() {
        Err(format!("expected a duration above zero, found {text:?}"))
    } else {
        Ok(d)
    }
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

fn share(text: &str) -> Result<f64, String> {
    let v = number(text)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("expected a share from 0 to 1, found {text}"))
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
