//! Amazon MSK collection (issue 4): `collect msk --cluster-arn ARN` and
//! `audit --cluster-arn ARN`. The control plane (DescribeClusterV2,
//! ListNodes, GetBootstrapBrokers, DescribeConfigurationRevision) names the
//! brokers, their subnets and the selector; EC2 turns subnets into AZ IDs;
//! the Kafka collector, run for a short live window through the listener
//! MSK reports, gives placement, groups and relative weights; CloudWatch
//! gives the absolute bytes of the requested (past) window.
//!
//! This module owns the order of the calls; it prices nothing. The parts,
//! in that order: [`arn`] and [`options`] (what to collect, resolved by
//! `config.rs` or the report config), [`aws`] (the [`AwsApi`] trait and its
//! SDK adapter), [`control`], [`ec2`], [`mod@listener`], [`cloudwatch`] (which
//! metrics, at what period, and what came back), [`assemble`] (pure: the
//! snapshot) and [`follower_check`] (pure: is follower fetching happening).

pub mod arn;
pub mod assemble;
pub mod aws;
pub mod cloudwatch;
pub mod control;
pub mod ec2;
pub mod follower_check;
pub mod listener;
pub mod options;

pub use arn::ClusterArn;
pub use aws::{AwsApi, SdkAws};
pub use control::Control;
pub use listener::KafkaAuth;
pub use options::MskOptions;

use crate::collect::kafka;
use crate::error::Error;
use crate::snapshot::Snapshot;
use cloudwatch::Measured;
use ec2::NetworkZones;
use follower_check::Verdict;
use listener::listener;

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

/// Runs an MSK collection with the real AWS adapter and prints the
/// follower-fetching verdict and the CloudWatch bill of the run.
pub fn run(opts: &MskOptions) -> Result<Snapshot, Error> {
    let api = opts.sdk()?;
    let done = collect(opts, &api, &mut || {})?;
    if !opts.quiet {
        eprintln!("azcost: {}", done.verdict.sentence());
    }
    // Printed unless quiet (the snapshot's provenance keeps it too): it is
    // money spent on the user's account.
    if !opts.quiet {
        eprintln!(
            "azcost: CloudWatch: {} metrics requested in {} GetMetricData requests, about ${:.4} at $0.01 per 1,000 metrics",
            done.measured.metrics_requested,
            done.measured.requests,
            done.measured.cost_usd()
        );
    }
    Ok(done.snapshot)
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
    let control = control::read(api, &opts.arn)?;
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
        Some(kafka) => {
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
            let mut kopts = kafka.clone();
            kopts.bootstrap = bootstrap.clone();
            kopts.window = opts.kafka_window;
            if kopts.cluster_name.is_none() {
                kopts.cluster_name = Some(control.cluster.name.clone());
            }
            kopts.replica_selector = Some(
                control
                    .selector
                    .0
                    .clone()
                    .unwrap_or_else(|| "none".to_string()),
            );
            // The listener's settings, unless the user gave the key.
            for s in auth_settings.iter().rev() {
                if let Some((key, value)) = s.split_once('=') {
                    kopts.settings.set_default(key, value);
                }
            }
            if auth == KafkaAuth::Iam {
                match iam_auth(opts, api) {
                    Ok(a) => kopts.settings.with_iam(std::sync::Arc::new(a)),
                    Err(e) if opts.kafka_auth.is_none() => {
                        kafka_warnings.push(format!(
                            "the cluster's only Kafka listener is IAM and {e}: Kafka was not read"
                        ));
                        return finish(opts, api, control, network, None, kafka_warnings);
                    }
                    Err(e) => return Err(e),
                }
                // `-X sasl.*` would fight the IAM settings: refused.
                kopts.settings.check_reserved()?;
            }
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

/// MSK IAM tokens for the Kafka read: the credentials and region of the
/// MSK calls themselves (`--region`, else the ARN's). The token lifetime
/// is 15 minutes unless [`kafka::iam::LIFETIME_ENV`] (tests only) says less.
fn iam_auth(opts: &MskOptions, api: &dyn AwsApi) -> Result<kafka::iam::IamAuth, Error> {
    let provider = api.credentials().ok_or_else(|| {
        Error::Runtime(
            "IAM authentication: no AWS credentials to sign Kafka tokens with".to_string(),
        )
    })?;
    let region = opts.region.as_deref().unwrap_or(&opts.arn.region);
    kafka::iam::IamAuth::new(region, provider, kafka::iam::lifetime_from_env()?)
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
    let keys = cloudwatch::metric_keys(&control, kafka_snap.as_ref().map(|k| &k.0));
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
    let snapshot = assemble::assemble(&assemble::Inputs {
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
