//! Amazon MSK collection (issue 4): `collect msk --cluster-arn ARN` and
//! `audit --cluster-arn ARN`. The control plane (DescribeClusterV2,
//! ListNodes, GetBootstrapBrokers, DescribeConfigurationRevision) names the
//! brokers, their subnets and the selector; EC2 turns subnets into AZ IDs;
//! the Kafka collector, run for a short live window through the listener
//! MSK reports, gives placement, groups and relative weights; CloudWatch
//! gives the absolute bytes of the requested (past) window. Assembly into
//! the snapshot is pure and lives in [`super::msk_snapshot`].
//!
//! This module owns the flags → [`MskOptions`] resolution and the order of
//! the calls; it prices nothing.

use super::aws::{AwsApi, BootstrapBrokers, ClusterDescription, NodeEntry, SdkAws};
use super::cloudwatch::{self, Measured, MetricKey, MetricName};
use super::ec2::{self, NetworkZones};
use super::follower_check::{self, Verdict};
use super::kafka::{self, KafkaOptions};
use super::msk_snapshot;
use super::zone_map::ZoneMap;
use crate::cli::{KafkaAuth, KafkaSourceArgs, MskSourceArgs};
use crate::error::Error;
use crate::snapshot::Snapshot;
use std::collections::BTreeSet;
use std::time::Duration;

/// Default `--window` for MSK: a week of CloudWatch history.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(7 * 86_400);
/// Default `--kafka-window`: long enough to see offsets move on a busy
/// cluster, short enough to wait for.
pub const DEFAULT_KAFKA_WINDOW: Duration = Duration::from_secs(60);

/// A parsed MSK cluster ARN:
/// `arn:aws:kafka:us-east-1:123456789012:cluster/orders-prod/6f1c…-3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterArn {
    /// The whole ARN.
    pub text: String,
    /// Partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// Region.
    pub region: String,
    /// Account id (12 digits).
    pub account: String,
    /// Cluster name.
    pub name: String,
}

impl ClusterArn {
    /// Parses and checks the ARN; a malformed one is a usage error.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::usage(format!(
                "--cluster-arn {text:?}: expected arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID ({why})"
            ))
        };
        let parts: Vec<&str> = text.trim().splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" {
            return Err(bad("not an ARN"));
        }
        if !parts[1].starts_with("aws") || parts[2] != "kafka" {
            return Err(bad("not an Amazon MSK ARN"));
        }
        if parts[3].is_empty() {
            return Err(bad("no region"));
        }
        if parts[4].len() != 12 || !parts[4].bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the account id has 12 digits"));
        }
        let resource: Vec<&str> = parts[5].split('/').collect();
        if resource.len() != 3 || resource[0] != "cluster" || resource[1].is_empty() {
            return Err(bad("the resource is cluster/NAME/UUID"));
        }
        if resource[2].is_empty() {
            return Err(bad("no cluster UUID"));
        }
        Ok(ClusterArn {
            text: text.trim().to_string(),
            partition: parts[1].to_string(),
            region: parts[3].to_string(),
            account: parts[4].to_string(),
            name: resource[1].to_string(),
        })
    }
}

/// Everything an MSK collection needs, resolved.
#[derive(Debug, Clone)]
pub struct MskOptions {
    /// The cluster.
    pub arn: ClusterArn,
    /// Region override (default: the ARN's).
    pub region: Option<String>,
    /// Named AWS profile.
    pub profile: Option<String>,
    /// Window start, epoch seconds.
    pub start: i64,
    /// Window end, epoch seconds.
    pub end: i64,
    /// When the collection runs, epoch seconds (for CloudWatch retention).
    pub now: i64,
    /// The Kafka flags (bootstrap filled in from GetBootstrapBrokers);
    /// `None` with `--no-kafka`.
    pub kafka: Option<KafkaSourceArgs>,
    /// Live Kafka window.
    pub kafka_window: Duration,
    /// Listener to use; default the first of plaintext, TLS, SASL/SCRAM.
    pub kafka_auth: Option<KafkaAuth>,
    /// Client networks given by the user (beat EC2's subnets).
    pub zone_map: ZoneMap,
    /// No progress notes.
    pub quiet: bool,
}

impl MskOptions {
    /// `None` without `--cluster-arn`. `now` is read by the caller (the
    /// clock stays at the edge).
    pub fn from_args(
        msk: &MskSourceArgs,
        kafka: &KafkaSourceArgs,
        quiet: bool,
        now: jiff::Timestamp,
    ) -> Result<Option<Self>, Error> {
        let Some(arn) = msk.cluster_arn.as_deref() else {
            let stray = [
                (msk.region.is_some(), "--region"),
                (msk.profile.is_some(), "--profile"),
                (msk.start.is_some(), "--start"),
                (msk.end.is_some(), "--end"),
                (msk.kafka_window.is_some(), "--kafka-window"),
                (msk.kafka_auth.is_some(), "--kafka-auth"),
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
            (None, None, w) => {
                // Whole hours, so every period is complete and two runs in
                // the same hour read the same datapoints.
                let end = now_s - now_s.rem_euclid(3_600);
                let w = w.unwrap_or(DEFAULT_WINDOW).as_secs() as i64;
                (end - w, end)
            }
        };
        if end <= start {
            return Err(Error::usage(format!(
                "--start {} must be before --end {}",
                msk.start.as_deref().unwrap_or(""),
                msk.end.as_deref().unwrap_or("")
            )));
        }
        if end > now_s {
            return Err(Error::usage(
                "the window ends in the future: CloudWatch has no datapoints there yet",
            ));
        }
        cloudwatch::plan(start, end, now_s)?;
        let mut zone_map = match &kafka.zone_map_file {
            Some(p) => ZoneMap::read_file(p)?,
            None => ZoneMap::default(),
        };
        zone_map.extend(ZoneMap::parse(
            kafka.zone_map.iter().map(String::as_str),
            "--zone-map",
        )?);
        if msk.no_kafka && msk.kafka_auth.is_some() {
            return Err(Error::usage(
                "--kafka-auth and --no-kafka exclude each other",
            ));
        }
        Ok(Some(MskOptions {
            region: msk.region.clone(),
            profile: msk.profile.clone(),
            arn,
            start,
            end,
            now: now_s,
            kafka: (!msk.no_kafka).then(|| kafka.clone()),
            kafka_window: msk.kafka_window.unwrap_or(DEFAULT_KAFKA_WINDOW),
            kafka_auth: msk.kafka_auth,
            zone_map,
            quiet,
        }))
    }

    /// The real AWS adapter for this cluster's region and profile.
    pub fn sdk(&self) -> Result<SdkAws, Error> {
        SdkAws::from_env(
            Some(self.region.as_deref().unwrap_or(&self.arn.region)),
            self.profile.as_deref(),
        )
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

/// What the control plane says.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    /// DescribeClusterV2.
    pub cluster: ClusterDescription,
    /// ListNodes, brokers only.
    pub nodes: Vec<NodeEntry>,
    /// GetBootstrapBrokers.
    pub bootstrap: BootstrapBrokers,
    /// `replica.selector.class` and where it came from.
    pub selector: (Option<String>, String),
}

/// Reads the control plane.
pub fn control(api: &dyn AwsApi, arn: &ClusterArn) -> Result<Control, Error> {
    let cluster = api.describe_cluster(&arn.text)?;
    if cluster.kind == super::aws::ClusterKind::Serverless {
        return Err(Error::usage(format!(
            "{} is MSK Serverless: it has no brokers or zones to audit and its pricing differs (cost-model.md, not covered)",
            arn.text
        )));
    }
    let nodes = api.list_nodes(&arn.text)?;
    let bootstrap = api.bootstrap_brokers(&arn.text)?;
    let selector = match &cluster.configuration {
        Some((conf, rev)) => {
            let props = api.server_properties(conf, *rev)?;
            (
                selector_of(&props),
                format!("MSK configuration {conf} revision {rev} (DescribeConfigurationRevision)"),
            )
        }
        None => (
            None,
            "MSK default configuration (no custom configuration attached): replica.selector.class not set".to_string(),
        ),
    };
    Ok(Control {
        cluster,
        nodes,
        bootstrap,
        selector,
    })
}

/// `replica.selector.class` in server properties text (`key=value` lines,
/// `#` comments), if set.
pub fn selector_of(properties: &str) -> Option<String> {
    properties
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').or_else(|| l.split_once(':')))
        .find(|(k, _)| k.trim() == "replica.selector.class")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The bootstrap string and client settings for the chosen listener.
/// IAM is not supported yet (it needs a signed SASL/OAUTHBEARER token).
pub fn listener(
    b: &BootstrapBrokers,
    wanted: Option<KafkaAuth>,
) -> Result<(KafkaAuth, String, Vec<&'static str>), Error> {
    let pick = |auth: KafkaAuth| -> Option<String> {
        match auth {
            KafkaAuth::Plaintext => b.plaintext.clone(),
            KafkaAuth::Tls => b.tls.clone(),
            KafkaAuth::SaslScram => b.sasl_scram.clone(),
            KafkaAuth::Iam => b.sasl_iam.clone(),
        }
    };
    let settings = |auth: KafkaAuth| -> Vec<&'static str> {
        match auth {
            KafkaAuth::Plaintext => vec![],
            KafkaAuth::Tls => vec!["security.protocol=SSL"],
            KafkaAuth::SaslScram => {
                vec!["security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512"]
            }
            KafkaAuth::Iam => vec![],
        }
    };
    let iam_only = || {
        Error::Runtime(
            "the cluster's only Kafka listener is IAM (SASL/IAM, port 9098), which azcost does not support yet: enable plaintext, TLS or SASL/SCRAM on the cluster, or run with --no-kafka (CloudWatch only, placement assumed)".to_string(),
        )
    };
    match wanted {
        Some(KafkaAuth::Iam) => Err(iam_only()),
        Some(auth) => pick(auth)
            .map(|s| (auth, s, settings(auth)))
            .ok_or_else(|| {
                Error::Runtime(format!(
                    "--kafka-auth {}: GetBootstrapBrokers reports no such listener on this cluster",
                    auth.as_str()
                ))
            }),
        None => [KafkaAuth::Plaintext, KafkaAuth::Tls, KafkaAuth::SaslScram]
            .into_iter()
            .find_map(|a| pick(a).map(|s| (a, s, settings(a))))
            .ok_or_else(|| {
                if b.sasl_iam.is_some() {
                    iam_only()
                } else {
                    Error::Runtime("GetBootstrapBrokers reports no Kafka listener".to_string())
                }
            }),
    }
}

/// A finished MSK collection.
#[derive(Debug, Clone)]
pub struct Collection {
    /// The snapshot (validated).
    pub snapshot: Snapshot,
    /// CloudWatch reads and coverage.
    pub measured: Measured,
    /// Follower fetching observed?
    pub verdict: Verdict,
}

/// Runs the whole collection against `api`. `during_kafka_window` runs
/// inside the live Kafka window (tests produce there).
pub fn collect(
    opts: &MskOptions,
    api: &dyn AwsApi,
    during_kafka_window: &mut dyn FnMut(),
) -> Result<Collection, Error> {
    let note = |m: &str| {
        if !opts.quiet {
            eprintln!("azcost: {m}");
        }
    };
    note(&format!("reading MSK cluster {}", opts.arn.text));
    let control = control(api, &opts.arn)?;
    let mut broker_subnets: Vec<String> = control
        .nodes
        .iter()
        .filter_map(|n| n.client_subnet.clone())
        .collect();
    broker_subnets.extend(control.cluster.client_subnets.iter().cloned());
    let network: NetworkZones = ec2::read(api, &broker_subnets)?;

    let mut kafka_warnings = Vec::new();
    let kafka_snap = match &opts.kafka {
        None => {
            kafka_warnings.push("--no-kafka: Kafka was not read".to_string());
            None
        }
        Some(args) => {
            let (auth, bootstrap, auth_settings) =
                match listener(&control.bootstrap, opts.kafka_auth) {
                    Ok(l) => l,
                    // Asked for explicitly: fail. Otherwise the audit still
                    // works from CloudWatch, and says why Kafka was not read.
                    Err(e) if opts.kafka_auth.is_none() => {
                        kafka_warnings.push(e.to_string());
                        return finish(opts, api, control, network, None, kafka_warnings);
                    }
                    Err(e) => return Err(e),
                };
            let mut args = args.clone();
            args.bootstrap = Some(bootstrap.clone());
            args.window = Some(opts.kafka_window);
            if args.cluster_name.is_none() {
                args.cluster_name = Some(control.cluster.name.clone());
            }
            args.replica_selector = Some(
                control
                    .selector
                    .0
                    .clone()
                    .unwrap_or_else(|| "none".to_string()),
            );
            let given: BTreeSet<String> = args
                .kafka_setting
                .iter()
                .filter_map(|s| s.split_once('=').map(|(k, _)| k.trim().to_string()))
                .collect();
            for s in auth_settings.iter().rev() {
                let key = s.split_once('=').map(|(k, _)| k).unwrap_or(s);
                if !given.contains(key) {
                    args.kafka_setting.insert(0, s.to_string());
                }
            }
            let mut kopts: KafkaOptions = KafkaOptions::from_args(&args, opts.quiet)?
                .ok_or_else(|| Error::Runtime("internal: no bootstrap".to_string()))?;
            // Consumers' zones: the VPC's subnets, then the user's networks
            // (the longest prefix wins; on a tie the later, the user's).
            let mut zones = network.clients.clone();
            zones.extend(opts.zone_map.clone());
            kopts.zone_map = zones;
            note(&format!(
                "reading Kafka through the {} listener for {} (placement, groups, relative weights)",
                auth.as_str(),
                humantime::format_duration(opts.kafka_window)
            ));
            match kafka::collect_with(&kopts, during_kafka_window) {
                Ok(s) => Some((s, auth)),
                Err(e) => {
                    kafka_warnings.push(format!("Kafka at {bootstrap} could not be read ({e})"));
                    None
                }
            }
        }
    };

    finish(opts, api, control, network, kafka_snap, kafka_warnings)
}

/// CloudWatch, assembly and the follower check, once Kafka was read (or not).
fn finish(
    opts: &MskOptions,
    api: &dyn AwsApi,
    control: Control,
    network: NetworkZones,
    kafka_snap: Option<(Snapshot, KafkaAuth)>,
    kafka_warnings: Vec<String>,
) -> Result<Collection, Error> {
    let note = |m: &str| {
        if !opts.quiet {
            eprintln!("azcost: {m}");
        }
    };
    let keys = metric_keys(&control, kafka_snap.as_ref().map(|k| &k.0));
    note(&format!(
        "reading {} CloudWatch metrics over {:.1} days",
        keys.len(),
        (opts.end - opts.start) as f64 / 86_400.0
    ));
    let measured = cloudwatch::read(
        api,
        &control.cluster.name,
        &keys,
        opts.start,
        opts.end,
        opts.now,
    )?;
    let snapshot = msk_snapshot::assemble(&msk_snapshot::Inputs {
        arn: &opts.arn,
        region: opts.region.as_deref().unwrap_or(&opts.arn.region),
        control: &control,
        network: &network,
        kafka: kafka_snap.as_ref().map(|(s, a)| (s, *a)),
        kafka_warnings: &kafka_warnings,
        measured: &measured,
        start: opts.start,
        end: opts.end,
    })?;
    let verdict = follower_check::check(&snapshot, &measured);
    let mut snapshot = snapshot;
    snapshot.warnings.push(verdict.sentence());
    snapshot.provenance.push(crate::snapshot::Provenance {
        source: "cloudwatch".to_string(),
        detail: verdict.sentence(),
    });
    Ok(Collection {
        snapshot,
        measured,
        verdict,
    })
}

/// Enhanced monitoring levels at which MSK publishes the per-broker topic
/// series (`Cluster Name`, `Broker ID`, `Topic`).
pub fn has_broker_topic_series(monitoring: &str) -> bool {
    matches!(
        monitoring,
        "PER_TOPIC_PER_BROKER" | "PER_TOPIC_PER_PARTITION"
    )
}

/// The metrics to read. With Kafka, at `PER_TOPIC_PER_BROKER` and above:
/// `BytesInPerSec` and `BytesOutPerSec` per (broker, topic) on every
/// broker hosting a replica of the topic (leadership moves during the
/// window, so bytes in are summed over all of them); below that level the
/// per-broker topic series do not exist and the cluster-wide per-topic
/// series (`Cluster Name` + `Topic`, broker [`cloudwatch::ALL_BROKERS`]) are
/// read. Without Kafka, per broker. Replication per broker when the
/// monitoring level has it.
pub fn metric_keys(control: &Control, kafka: Option<&Snapshot>) -> Vec<MetricKey> {
    let mut keys = BTreeSet::new();
    let per_broker = has_broker_topic_series(&control.cluster.monitoring);
    match kafka {
        Some(s) => {
            for p in &s.partitions {
                let brokers: Vec<i32> = if per_broker {
                    p.replicas.clone()
                } else {
                    vec![cloudwatch::ALL_BROKERS]
                };
                for broker in brokers {
                    for metric in [MetricName::BytesIn, MetricName::BytesOut] {
                        keys.insert(MetricKey {
                            metric,
                            broker,
                            topic: Some(p.topic.clone()),
                        });
                    }
                }
            }
        }
        None => {
            for n in &control.nodes {
                for metric in [MetricName::BytesIn, MetricName::BytesOut] {
                    keys.insert(MetricKey {
                        metric,
                        broker: n.broker_id,
                        topic: None,
                    });
                }
            }
        }
    }
    if control.cluster.monitoring != "DEFAULT" {
        for n in &control.nodes {
            for metric in [
                MetricName::ReplicationBytesIn,
                MetricName::ReplicationBytesOut,
            ] {
                keys.insert(MetricKey {
                    metric,
                    broker: n.broker_id,
                    topic: None,
                });
            }
        }
    }
    keys.into_iter().collect()
}
