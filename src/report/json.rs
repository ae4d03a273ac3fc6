//! The `azcost.audit/v1` JSON document (snapshot-v1.md): the required keys
//! first, breakdowns, coverage and findings beside them.
//!
//! Numbers are plain JSON numbers with fixed rounding (bytes to a
//! thousandth, USD to a millionth); whole values print without `.0`.

use crate::findings::{Finding, Findings, KindSummary};
use crate::model::cost::{Analysis, Cost, ScenarioTotals, TopicCost};
use crate::model::frames::{round_bytes, round_gb, round_usd};
use crate::model::{BYTES_PER_GB, PerScenario};
use crate::numbers::Num;
use serde::Serialize;

/// The format tag of the audit document.
pub const AUDIT_FORMAT: &str = "azcost.audit/v1";

fn bytes(v: f64) -> Num {
    Num(round_bytes(v))
}

fn usd(v: f64) -> Num {
    Num(round_usd(v))
}

/// The whole document.
#[derive(Serialize)]
pub struct AuditDoc<'a> {
    format: &'static str,
    cluster: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    /// Optional extension: the snapshot's `cluster.arn`, which
    /// `azcost reconcile --audit` looks for in the bill.
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_arn: Option<&'a str>,
    window: WindowDoc<'a>,
    window_seconds: Num,
    price_per_gb_usd: Num,
    bytes_per_gb: Num,
    month_hours: Num,
    platform: &'static str,
    replica_selector: Option<&'a str>,
    rack_aware_selector_enabled: bool,
    zones: &'a [String],
    scenarios: PerScenario<ScenarioDoc>,
    savings: SavingsDoc,
    coverage: CoverageDoc,
    findings: &'a [Finding],
    findings_by_kind: &'a [KindSummary],
    warnings: &'a [String],
    warnings_by_kind: Vec<WarningKindDoc<'a>>,
    breakdowns: BreakdownsDoc<'a>,
    provenance: &'a [crate::snapshot::Provenance],
    not_covered: &'static [&'static str],
}

/// One kind of warning: how many, what share of bytes, a few examples.
#[derive(Serialize)]
struct WarningKindDoc<'a> {
    kind: &'static str,
    count: usize,
    affected_bytes: Option<Num>,
    share_of: crate::model::warnings::Basis,
    share: Option<Num>,
    examples: Vec<&'a str>,
}

/// How many example sentences a kind of warning shows in summaries.
pub const WARNING_EXAMPLES: usize = 3;

#[derive(Serialize)]
struct WindowDoc<'a> {
    start: &'a str,
    end: &'a str,
}

#[derive(Serialize)]
struct ScenarioDoc {
    consume_cross_az_bytes: Num,
    produce_cross_az_bytes: Num,
    replication_cross_az_bytes: Num,
    billed_cross_az_bytes: Num,
    billed_cross_az_gb: Num,
    cost_usd: Num,
    monthly_cost_usd: Num,
}

impl From<&ScenarioTotals> for ScenarioDoc {
    fn from(t: &ScenarioTotals) -> Self {
        ScenarioDoc {
            consume_cross_az_bytes: bytes(t.consume_cross_az_bytes),
            produce_cross_az_bytes: bytes(t.produce_cross_az_bytes),
            replication_cross_az_bytes: bytes(t.replication_cross_az_bytes),
            billed_cross_az_bytes: bytes(t.billed_cross_az_bytes),
            billed_cross_az_gb: Num(round_gb(t.billed_cross_az_bytes)),
            cost_usd: usd(t.cost_usd),
            monthly_cost_usd: usd(t.monthly_cost_usd),
        }
    }
}

#[derive(Serialize)]
struct SavingsDoc {
    monthly_usd_rack_aware_vs_leader_only: Num,
    monthly_usd_rack_aware_vs_current: Num,
}

#[derive(Serialize)]
struct CoverageDoc {
    partitions: usize,
    partitions_offline: usize,
    bytes_in_total: Num,
    bytes_in_offline: Num,
    bytes_read: Num,
    bytes_read_offline: Num,
    bytes_read_unknown_zone: Num,
    bytes_read_unowned: Num,
    members: usize,
    members_unknown_zone: usize,
}

#[derive(Serialize)]
struct CostDoc {
    bytes: Num,
    cost_usd: Num,
    monthly_usd: Num,
}

impl From<&Cost> for CostDoc {
    fn from(c: &Cost) -> Self {
        CostDoc {
            bytes: bytes(c.bytes),
            cost_usd: usd(c.cost_usd),
            monthly_usd: usd(c.monthly_usd),
        }
    }
}

#[derive(Serialize)]
struct TopicCostDoc {
    produce_bytes: Num,
    replication_bytes: Num,
    consume_bytes: Num,
    billed_bytes: Num,
    cost_usd: Num,
    monthly_usd: Num,
}

impl From<&TopicCost> for TopicCostDoc {
    fn from(c: &TopicCost) -> Self {
        TopicCostDoc {
            produce_bytes: bytes(c.produce_bytes),
            replication_bytes: bytes(c.replication_bytes),
            consume_bytes: bytes(c.consume_bytes),
            billed_bytes: bytes(c.billed_bytes),
            cost_usd: usd(c.cost_usd),
            monthly_usd: usd(c.monthly_usd),
        }
    }
}

#[derive(Serialize)]
struct BreakdownsDoc<'a> {
    by_topic: Vec<TopicDoc<'a>>,
    by_consumer_group: Vec<GroupDoc<'a>>,
    by_zone_pair: Vec<ZonePairDoc<'a>>,
    by_member: Vec<MemberDoc<'a>>,
    zone_matrix: ZoneMatrixDoc,
}

/// `breakdowns.zone_matrix`: `scenarios.<scenario>.<kind>[src][dst]` bytes
/// over `zones`.
#[derive(Serialize)]
struct ZoneMatrixDoc {
    zones: Vec<String>,
    scenarios: PerScenario<KindMatrixDoc>,
}

#[derive(Serialize)]
struct KindMatrixDoc {
    produce: Vec<Vec<Num>>,
    replication: Vec<Vec<Num>>,
    consume: Vec<Vec<Num>>,
}

fn zone_matrix_doc(a: &Analysis) -> ZoneMatrixDoc {
    use crate::model::{Scenario, Traffic};
    let m = crate::model::matrix::ZoneMatrix::from_pairs(&a.by_zone_pair);
    let doc = |s: Scenario, t: Traffic| {
        m.get(s, t)
            .iter()
            .map(|row| row.iter().map(|&b| bytes(b)).collect())
            .collect()
    };
    ZoneMatrixDoc {
        zones: m.zones.clone(),
        scenarios: PerScenario::from_fn(|s| KindMatrixDoc {
            produce: doc(s, Traffic::Produce),
            replication: doc(s, Traffic::Replication),
            consume: doc(s, Traffic::Consume),
        }),
    }
}

#[derive(Serialize)]
struct TopicDoc<'a> {
    topic: &'a str,
    scenarios: PerScenario<TopicCostDoc>,
}

#[derive(Serialize)]
struct GroupDoc<'a> {
    consumer_group: &'a str,
    bytes_read: Num,
    scenarios: PerScenario<CostDoc>,
}

#[derive(Serialize)]
struct ZonePairDoc<'a> {
    src_zone: &'a str,
    dst_zone: &'a str,
    traffic: &'static str,
    billed: bool,
    scenarios: PerScenario<CostDoc>,
}

#[derive(Serialize)]
struct MemberDoc<'a> {
    consumer_group: &'a str,
    member_id: Option<&'a str>,
    client_id: Option<&'a str>,
    host: Option<&'a str>,
    client_rack: Option<&'a str>,
    zone: &'a str,
    bytes_read: Num,
    scenarios: PerScenario<CostDoc>,
}

fn map<'b, T, U>(p: &'b PerScenario<T>, f: impl Fn(&'b T) -> U) -> PerScenario<U> {
    PerScenario {
        leader_only: f(&p.leader_only),
        current: f(&p.current),
        rack_aware: f(&p.rack_aware),
    }
}

/// What the model does not cover (cost-model.md): every report says so.
pub const NOT_COVERED: &[&str] = &[
    "fetch-session overhead and request headers",
    "retries and re-reads after a rebalance",
    "traffic to ZooKeeper/KRaft controllers",
    "cross-region and internet egress",
    "MSK Serverless and other platforms whose pricing differs",
    "tiered-storage reads (they come from S3, not from a broker in another zone)",
];

/// Builds the document; `top` caps the member breakdown.
pub fn document<'a>(a: &'a Analysis, findings: &'a Findings, top: usize) -> AuditDoc<'a> {
    let c = &a.coverage;
    AuditDoc {
        format: AUDIT_FORMAT,
        cluster: &a.cluster,
        region: a.region.as_deref(),
        cluster_arn: a.cluster_arn.as_deref(),
        window: WindowDoc {
            start: &a.window_start,
            end: &a.window_end,
        },
        window_seconds: Num(round_usd(a.window_seconds)),
        price_per_gb_usd: Num(a.price_per_gb),
        bytes_per_gb: Num(BYTES_PER_GB),
        month_hours: Num(a.month_hours),
        platform: a.platform.as_str(),
        replica_selector: a.replica_selector.as_deref(),
        rack_aware_selector_enabled: a.selector_enabled,
        zones: &a.zones,
        scenarios: map(&a.scenarios, ScenarioDoc::from),
        savings: SavingsDoc {
            monthly_usd_rack_aware_vs_leader_only: usd(a
                .savings
                .monthly_usd_rack_aware_vs_leader_only),
            monthly_usd_rack_aware_vs_current: usd(a.savings.monthly_usd_rack_aware_vs_current),
        },
        coverage: CoverageDoc {
            partitions: c.partitions,
            partitions_offline: c.partitions_offline,
            bytes_in_total: bytes(c.bytes_in_total),
            bytes_in_offline: bytes(c.bytes_in_offline),
            bytes_read: bytes(c.bytes_read),
            bytes_read_offline: bytes(c.bytes_read_offline),
            bytes_read_unknown_zone: bytes(c.bytes_read_unknown_zone),
            bytes_read_unowned: bytes(c.bytes_read_unowned),
            members: c.members,
            members_unknown_zone: c.members_unknown_zone,
        },
        findings: &findings.items,
        findings_by_kind: &findings.by_kind,
        warnings: &a.warnings,
        warnings_by_kind: a
            .warnings_by_kind
            .iter()
            .map(|g| WarningKindDoc {
                kind: g.kind.as_str(),
                count: g.indices.len(),
                affected_bytes: g.affected_bytes.map(bytes),
                share_of: g.basis,
                share: g.share.map(|v| Num(round_usd(v))),
                examples: g
                    .indices
                    .iter()
                    .take(WARNING_EXAMPLES)
                    .filter_map(|&i| a.warnings.get(i).map(String::as_str))
                    .collect(),
            })
            .collect(),
        breakdowns: BreakdownsDoc {
            by_topic: a
                .by_topic
                .iter()
                .map(|r| TopicDoc {
                    topic: &r.topic,
                    scenarios: map(&r.scenarios, TopicCostDoc::from),
                })
                .collect(),
            by_consumer_group: a
                .by_group
                .iter()
                .map(|r| GroupDoc {
                    consumer_group: &r.group,
                    bytes_read: bytes(r.bytes_read),
                    scenarios: map(&r.scenarios, CostDoc::from),
                })
                .collect(),
            by_zone_pair: a
                .by_zone_pair
                .iter()
                .map(|r| ZonePairDoc {
                    src_zone: &r.src_zone,
                    dst_zone: &r.dst_zone,
                    traffic: r.traffic.as_str(),
                    billed: r.billed,
                    scenarios: map(&r.scenarios, CostDoc::from),
                })
                .collect(),
            by_member: a
                .by_member
                .iter()
                .take(top)
                .map(|r| MemberDoc {
                    consumer_group: &r.group,
                    member_id: r.member_id.as_deref(),
                    client_id: r.client_id.as_deref(),
                    host: r.host.as_deref(),
                    client_rack: r.client_rack.as_deref(),
                    zone: &r.zone,
                    bytes_read: bytes(r.bytes_read),
                    scenarios: map(&r.scenarios, CostDoc::from),
                })
                .collect(),
            zone_matrix: zone_matrix_doc(a),
        },
        provenance: &a.provenance,
        not_covered: NOT_COVERED,
    }
}

/// The document as pretty JSON with a trailing newline.
pub fn render(a: &Analysis, findings: &Findings, top: usize) -> String {
    let mut text = Vec::new();
    // Plain data with string keys into memory: writing cannot fail.
    let _ = write(a, findings, top, &mut text);
    String::from_utf8(text).unwrap_or_default()
}

/// [`render`]'s bytes, written to `out` as they are made (in many small
/// pieces: `out` should buffer): a 2M-partition
/// cluster's document is about 90 MB, which [`crate::output::emit_streamed`]
/// writes on the other core while the rest is still being made.
pub fn write(
    a: &Analysis,
    findings: &Findings,
    top: usize,
    mut out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, &document(a, findings, top))?;
    out.write_all(b"\n")
}
