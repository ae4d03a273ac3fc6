//! What an MSK collection needs, resolved: a plain struct the command line
//! (`config.rs`) and the report config (`job/config.rs`) both fill in, and
//! the window rules they share. No flag parsing here.

use super::arn::ClusterArn;
use super::aws::SdkAws;
use super::cloudwatch;
use super::listener::KafkaAuth;
use crate::collect::kafka::KafkaOptions;
use crate::collect::zone_map::ZoneMap;
use crate::error::Error;
use std::time::Duration;

/// Default `--window` for MSK: a week of CloudWatch history.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(7 * 86_400);
/// Default `--kafka-window`: long enough to see offsets move on a busy
/// cluster, short enough to wait for.
pub const DEFAULT_KAFKA_WINDOW: Duration = Duration::from_secs(60);

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
    /// How to read Kafka (client settings, group filter, broker zones,
    /// sampling, timeout); the collection fills in what MSK reports: the
    /// bootstrap brokers of the chosen listener and its security settings
    /// (unless given), `kafka_window`, the cluster name (unless given), the
    /// configuration's selector and the VPC's zone map. `None`: Kafka is
    /// not read (`--no-kafka`).
    pub kafka: Option<KafkaOptions>,
    /// Live Kafka window.
    pub kafka_window: Duration,
    /// Listener to use; default the first of plaintext, TLS, SASL/SCRAM, IAM.
    pub kafka_auth: Option<KafkaAuth>,
    /// Client networks given by the user (beat EC2's subnets).
    pub zone_map: ZoneMap,
    /// No progress notes.
    pub quiet: bool,
}

impl MskOptions {
    /// The real AWS adapter for this cluster's region and profile.
    pub fn sdk(&self) -> Result<SdkAws, Error> {
        SdkAws::from_env(
            Some(self.region.as_deref().unwrap_or(&self.arn.region)),
            self.profile.as_deref(),
        )
    }
}

/// The window of `length` (default [`DEFAULT_WINDOW`]) ending at the last
/// whole hour before `now` (epoch seconds): every period is complete and
/// two runs in the same hour read the same datapoints.
pub fn last_whole_hours(length: Option<Duration>, now: i64) -> (i64, i64) {
    let end = now - now.rem_euclid(3_600);
    let w = length.unwrap_or(DEFAULT_WINDOW).as_secs() as i64;
    (end - w, end)
}

/// Checks a window that starts before it ends against the clock and
/// CloudWatch's retention and limits (a usage error otherwise).
pub fn check_window(start: i64, end: i64, now: i64) -> Result<(), Error> {
    if end > now {
        return Err(Error::usage(
            "the window ends in the future: CloudWatch has no datapoints there yet",
        ));
    }
    cloudwatch::plan(start, end, now)?;
    Ok(())
}
