//! What the estimate says the bill should show, from either a snapshot's
//! analysis or an `azcost.audit/v1` document: the `current` scenario's
//! cross-zone bytes, the window, the platform, the cluster ARN when known,
//! and what the analysis says about its own blind spots (cost-model.md,
//! "What the bill should show").

use crate::error::Error;
use crate::model::Analysis;
use crate::model::Scenario;
use crate::snapshot::Platform;
use serde::Deserialize;

/// The estimate's side of a reconciliation.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Cluster name.
    pub cluster: String,
    /// Decides whether replication is on the bill.
    pub platform: Platform,
    /// The MSK cluster ARN, when the snapshot or audit has it.
    pub arn: Option<String>,
    /// Window start.
    pub start: jiff::Timestamp,
    /// Window end.
    pub end: jiff::Timestamp,
    /// Produce bytes crossing zones (`current`).
    pub produce: f64,
    /// Consume bytes crossing zones (`current`).
    pub consume: f64,
    /// Replication bytes crossing zones (`current`).
    pub replication: f64,
    /// Members whose zone is unknown.
    pub members_unknown_zone: usize,
    /// Bytes read by members of unknown zone, and all bytes read.
    pub bytes_read_unknown_zone: f64,
    /// Bytes read by consumer groups.
    pub bytes_read: f64,
    /// Some stored sizes were estimated from uncompressed record sizes.
    pub sizes_estimated: bool,
    /// Collection warnings (the snapshot's own), for the finding's causes.
    pub collection_warnings: usize,
}

impl Estimate {
    /// `expected_usage` of cost-model.md: produce + consume_current, plus
    /// 2 · replication on a self-managed cluster (out of one broker, into
    /// another). Bytes.
    pub fn expected_bytes(&self) -> f64 {
        let replication = match self.platform {
            Platform::Msk => 0.0,
            Platform::SelfManaged => 2.0 * self.replication,
        };
        self.produce + self.consume + replication
    }

    /// From an analysis of a snapshot (`--snapshot`), with the snapshot's
    /// `cluster.arn`.
    pub fn from_analysis(a: &Analysis, arn: Option<&str>) -> Result<Self, Error> {
        let current = a.scenarios.get(Scenario::Current);
        Ok(Estimate {
            cluster: a.cluster.clone(),
            platform: a.platform,
            arn: arn.map(str::to_string),
            start: time(&a.window_start, "window.start", &a.cluster)?,
            end: time(&a.window_end, "window.end", &a.cluster)?,
            produce: current.produce_cross_az_bytes,
            consume: current.consume_cross_az_bytes,
            replication: current.replication_cross_az_bytes,
            members_unknown_zone: a.coverage.members_unknown_zone,
            bytes_read_unknown_zone: a.coverage.bytes_read_unknown_zone
                + a.coverage.bytes_read_unowned,
            bytes_read: a.coverage.bytes_read,
            sizes_estimated: sizes_estimated(
                a.provenance.iter().map(|p| p.detail.as_str()),
                a.warnings.iter().map(String::as_str),
            ),
            collection_warnings: a
                .warnings_by_kind
                .iter()
                .filter(|g| g.kind == crate::model::warnings::WarningKind::Collection)
                .map(|g| g.indices.len())
                .sum(),
        })
    }

    /// From an `azcost.audit/v1` document (`--audit FILE`); `name` is what
    /// errors call it.
    pub fn from_audit_json(bytes: &[u8], name: &str) -> Result<Self, Error> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let doc: AuditDoc = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            Error::usage(format!(
                "{name}: {}: expected an azcost.audit/v1 document ({})",
                e.path(),
                e.inner()
            ))
        })?;
        if doc.format != crate::report::json::AUDIT_FORMAT {
            return Err(Error::usage(format!(
                "{name}: format: expected \"{}\", found {:?}",
                crate::report::json::AUDIT_FORMAT,
                doc.format
            )));
        }
        let platform = match doc.platform.as_str() {
            "msk" => Platform::Msk,
            "self-managed" => Platform::SelfManaged,
            other => {
                return Err(Error::usage(format!(
                    "{name}: platform: expected msk or self-managed, found {other:?}"
                )));
            }
        };
        let c = &doc.scenarios.current;
        let collection_warnings = doc
            .warnings_by_kind
            .iter()
            .filter(|w| w.kind == "collection")
            .map(|w| w.count)
            .sum();
        Ok(Estimate {
            cluster: doc.cluster.clone(),
            platform,
            arn: doc.cluster_arn.clone(),
            start: time(&doc.window.start, "window.start", name)?,
            end: time(&doc.window.end, "window.end", name)?,
            produce: c.produce_cross_az_bytes,
            consume: c.consume_cross_az_bytes,
            replication: c.replication_cross_az_bytes,
            members_unknown_zone: doc.coverage.members_unknown_zone,
            bytes_read_unknown_zone: doc.coverage.bytes_read_unknown_zone
                + doc.coverage.bytes_read_unowned,
            bytes_read: doc.coverage.bytes_read,
            sizes_estimated: sizes_estimated(
                doc.provenance.iter().map(|p| p.detail.as_str()),
                doc.warnings.iter().map(String::as_str),
            ),
            collection_warnings,
        })
    }
}

/// The collectors say "uncompressed" where a stored size could not be
/// measured and the record's uncompressed size stands in for it.
fn sizes_estimated<'a>(
    provenance: impl Iterator<Item = &'a str>,
    mut warnings: impl Iterator<Item = &'a str>,
) -> bool {
    let mut provenance = provenance;
    provenance.any(|d| d.contains("uncompressed")) || warnings.any(|w| w.contains("uncompressed"))
}

fn time(text: &str, field: &str, name: &str) -> Result<jiff::Timestamp, Error> {
    text.parse::<jiff::Timestamp>().map_err(|e| {
        Error::usage(format!(
            "{name}: {field}: expected an RFC 3339 time, found {text:?} ({e})"
        ))
    })
}

/// The keys of `azcost.audit/v1` the reconciliation reads.
#[derive(Deserialize)]
struct AuditDoc {
    format: String,
    cluster: String,
    #[serde(default)]
    cluster_arn: Option<String>,
    window: WindowDoc,
    platform: String,
    scenarios: ScenariosDoc,
    coverage: CoverageDoc,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    warnings_by_kind: Vec<WarningKindDoc>,
    #[serde(default)]
    provenance: Vec<crate::snapshot::Provenance>,
}

#[derive(Deserialize)]
struct WindowDoc {
    start: String,
    end: String,
}

#[derive(Deserialize)]
struct ScenariosDoc {
    current: ScenarioDoc,
}

#[derive(Deserialize)]
struct ScenarioDoc {
    produce_cross_az_bytes: f64,
    consume_cross_az_bytes: f64,
    replication_cross_az_bytes: f64,
}

#[derive(Deserialize)]
struct CoverageDoc {
    bytes_read: f64,
    bytes_read_unknown_zone: f64,
    #[serde(default)]
    bytes_read_unowned: f64,
    members_unknown_zone: usize,
}

#[derive(Deserialize)]
struct WarningKindDoc {
    kind: String,
    count: usize,
}
