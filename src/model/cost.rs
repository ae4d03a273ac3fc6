//! Prices, totals, monthly projection, savings and breakdown rows.
//!
//! `cost_S = billed_S / 2^30 · price`, `monthly_S = cost_S · (730·3600 / W)`
//! (cost-model.md, "Sums"). Replication is billed only on `self-managed`.

use super::finance::FinanceRows;
pub use super::finance::FlowRow;
use super::flows::{self, Coverage, FlowKey, Flows, NO_GROUP, NO_MEMBER};
use super::money::Money;
use super::placement::ZoneId;
use super::{DEFAULT_MONTH_HOURS, DEFAULT_PRICE_PER_GB, PerScenario, Traffic, warnings};
use crate::snapshot::{Platform, Provenance, Snapshot, parse_rfc3339};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// What a GB costs and how a window projects to a month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pricing {
    /// USD per GB (2^30 bytes) that crosses zones.
    pub price_per_gb: f64,
    /// Overrides the snapshot's platform when set.
    pub platform: Option<Platform>,
    /// Hours in a month.
    pub month_hours: f64,
}

impl Default for Pricing {
    fn default() -> Self {
        Pricing {
            price_per_gb: DEFAULT_PRICE_PER_GB,
            platform: None,
            month_hours: DEFAULT_MONTH_HOURS,
        }
    }
}

/// The sums of one scenario, with the `azcost.audit/v1` key names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioTotals {
    /// Consume bytes crossing zones.
    pub consume_cross_az_bytes: f64,
    /// Produce bytes crossing zones.
    pub produce_cross_az_bytes: f64,
    /// Replication bytes crossing zones (billed only when self-managed).
    pub replication_cross_az_bytes: f64,
    /// The bytes that are billed.
    pub billed_cross_az_bytes: f64,
    /// USD in the window.
    pub cost_usd: f64,
    /// USD projected to a month.
    pub monthly_cost_usd: f64,
}

/// Bytes and what they cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cost {
    /// Bytes crossing zones (billed or not).
    pub bytes: f64,
    /// Billed USD in the window.
    pub cost_usd: f64,
    /// Billed USD per month.
    pub monthly_usd: f64,
}

/// A topic's crossing bytes by kind, and what is billed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopicCost {
    /// Produce bytes crossing.
    pub produce_bytes: f64,
    /// Replication bytes crossing.
    pub replication_bytes: f64,
    /// Consume bytes crossing.
    pub consume_bytes: f64,
    /// Billed bytes.
    pub billed_bytes: f64,
    /// Billed USD in the window.
    pub cost_usd: f64,
    /// Billed USD per month.
    pub monthly_usd: f64,
}

/// One row of the by-topic breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicRow {
    /// Topic.
    pub topic: String,
    /// Per scenario.
    pub scenarios: PerScenario<TopicCost>,
}

/// One row of the by-group breakdown (consume traffic only).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    /// Group id.
    pub group: String,
    /// Bytes the group read from online partitions.
    pub bytes_read: f64,
    /// Per scenario.
    pub scenarios: PerScenario<Cost>,
}

/// One row of the by-zone-pair breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct ZonePairRow {
    /// Zone the bytes leave.
    pub src_zone: String,
    /// Zone the bytes enter (`unknown` for consumers we cannot place).
    pub dst_zone: String,
    /// Traffic kind.
    pub traffic: Traffic,
    /// Whether this kind is billed on this platform.
    pub billed: bool,
    /// Per scenario.
    pub scenarios: PerScenario<Cost>,
}

/// One row of the by-member breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    /// Group id.
    pub group: String,
    /// Position in the group's `members[]`; `None` for reads no live member owns.
    pub member_index: Option<usize>,
    /// Member id; `None` for reads of partitions no live member owns.
    pub member_id: Option<String>,
    /// `client.id`.
    pub client_id: Option<String>,
    /// Client host.
    pub host: Option<String>,
    /// `client.rack` as sent.
    pub client_rack: Option<String>,
    /// The zone the model placed it in (`unknown` if none).
    pub zone: String,
    /// Bytes it read.
    pub bytes_read: f64,
    /// Per scenario.
    pub scenarios: PerScenario<Cost>,
}

/// Monthly savings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Savings {
    /// `monthly_leader_only − monthly_rack_aware`.
    pub monthly_usd_rack_aware_vs_leader_only: f64,
    /// `monthly_current − monthly_rack_aware`: what is still to be had.
    pub monthly_usd_rack_aware_vs_current: f64,
}

/// Everything an audit reports about one snapshot.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Cluster name.
    pub cluster: String,
    /// Region, if given.
    pub region: Option<String>,
    /// The MSK cluster ARN, if the snapshot has one (`cluster.arn`).
    pub cluster_arn: Option<String>,
    /// Window start, as given.
    pub window_start: String,
    /// Window end, as given.
    pub window_end: String,
    /// `W`, seconds.
    pub window_seconds: f64,
    /// Price per GB.
    pub price_per_gb: f64,
    /// Hours in a month.
    pub month_hours: f64,
    /// Effective platform.
    pub platform: Platform,
    /// The brokers' `replica.selector.class`, as given.
    pub replica_selector: Option<String>,
    /// Whether it is `RackAwareReplicaSelector`.
    pub selector_enabled: bool,
    /// Broker zones, sorted.
    pub zones: Vec<String>,
    /// Totals per scenario.
    pub scenarios: PerScenario<ScenarioTotals>,
    /// Savings.
    pub savings: Savings,
    /// By topic, most expensive (current, monthly) first.
    pub by_topic: Vec<TopicRow>,
    /// By group, most expensive (current, monthly) first.
    pub by_group: Vec<GroupRow>,
    /// By zone pair and kind.
    pub by_zone_pair: Vec<ZonePairRow>,
    /// By member, most expensive (current, monthly) first.
    pub by_member: Vec<MemberRow>,
    /// The finance rows.
    pub flows: FinanceRows,
    /// What the estimate covers.
    pub coverage: Coverage,
    /// What was left out or guessed, in words.
    pub warnings: Vec<String>,
    /// The same warnings grouped by kind, with the bytes each kind touches.
    pub warnings_by_kind: Vec<warnings::WarningGroup>,
    /// Where the snapshot came from.
    pub provenance: Vec<Provenance>,
}

/// The analysis' costs, from the one formula of [`Money`].
impl Money {
    /// Consume bytes are always billed.
    fn consume_costs(self, cross: &[f64; 3]) -> PerScenario<Cost> {
        PerScenario::from_fn(|s| self.cost(cross[s.index()], cross[s.index()]))
    }

    fn cost(self, bytes: f64, billed_bytes: f64) -> Cost {
        let usd = self.usd(billed_bytes);
        Cost {
            bytes,
            cost_usd: usd,
            monthly_usd: usd * self.month_factor,
        }
    }
}

/// Audits a validated snapshot.
pub fn analyze(s: &Snapshot, pricing: &Pricing) -> Analysis {
    analyze_indexed(&flows::Index::new(s), pricing)
}

/// [`analyze`] of a snapshot already indexed, so findings can share the index.
pub fn analyze_indexed(index: &flows::Index<'_>, pricing: &Pricing) -> Analysis {
    analyze_flows(index, flows::from_index(index), pricing)
}

/// [`analyze_indexed`], and the cells `beside` asks for, summed in the
/// same pass over the reads ([`flows::Index::tally_beside`]).
pub fn analyze_beside(
    index: &flows::Index<'_>,
    pricing: &Pricing,
    beside: flows::Beside<'_>,
) -> (Analysis, Vec<(FlowKey, f64)>) {
    let (flows, cells) = flows::from_index_beside(index, beside);
    (analyze_flows(index, flows, pricing), cells)
}

fn analyze_flows(index: &flows::Index<'_>, flows: flows::Flows, pricing: &Pricing) -> Analysis {
    let s = index.s;
    let platform = pricing.platform.or(s.cluster.platform).unwrap_or_default();
    let window_seconds = window_seconds(s);
    let money = Money::new(pricing.price_per_gb, pricing.month_hours, window_seconds);
    let billed = |t: Traffic| t != Traffic::Replication || platform == Platform::SelfManaged;
    // Zone indices follow interning order; sorting by each zone's rank by
    // name puts the rows in the order readers expect without comparing text.
    let zone_rank = flows.placement.zones.rank_by_name();
    let rank = |z: ZoneId| zone_rank.get(usize::from(z)).copied().unwrap_or(usize::MAX);
    // The cells in the order every sum visits them (already report order,
    // see [`flows::Tally::cells`]), so the same cells always add up to the
    // same bits.
    let cells = &flows.cells[..];

    let scenarios = totals(cells, money, billed);
    let savings = Savings {
        monthly_usd_rack_aware_vs_leader_only: scenarios.leader_only.monthly_cost_usd
            - scenarios.rack_aware.monthly_cost_usd,
        monthly_usd_rack_aware_vs_current: scenarios.current.monthly_cost_usd
            - scenarios.rack_aware.monthly_cost_usd,
    };
    let zone_name = |z: ZoneId| flows.placement.zones.name(z).to_string();
    let (by_topic, by_group, by_zone_pair, by_member, warnings) = (
        by_topic(&flows, cells, money, billed),
        by_group(&flows, cells, money),
        by_zone_pair(cells, money, billed, &zone_name, &rank),
        by_member(s, &flows, money),
        warnings::collect(s, &flows),
    );
    let zones = flows
        .placement
        .zones
        .broker_zone_ids()
        .map(zone_name)
        .collect();
    let coverage = flows.coverage;
    let selector_enabled = flows.placement.selector_enabled;
    // Every zone's name by id, then the unknown zone's.
    let zone_names = (0..flows.placement.zones.count())
        .map(|z| z as ZoneId)
        .chain([super::placement::UNKNOWN_ZONE])
        .map(zone_name)
        .collect();
    let finance = FinanceRows {
        cells: flows.cells,
        topics: flows.topics,
        groups: flows.groups,
        zones: zone_names,
        money,
        replication_billed: billed(Traffic::Replication),
    };
    Analysis {
        cluster: s.cluster.name.clone(),
        region: s.cluster.region.clone(),
        cluster_arn: s.cluster.arn.clone(),
        window_start: s.window.start.clone(),
        window_end: s.window.end.clone(),
        window_seconds,
        price_per_gb: pricing.price_per_gb,
        month_hours: pricing.month_hours,
        platform,
        replica_selector: s.cluster.replica_selector.clone(),
        selector_enabled,
        zones,
        scenarios,
        savings,
        by_topic,
        by_group,
        by_zone_pair,
        by_member,
        flows: finance,
        coverage,
        warnings: warnings.all,
        warnings_by_kind: warnings.by_kind,
        provenance: s.provenance.clone(),
    }
}

/// Monthly USD per topic and scenario and the cluster's totals: what
/// findings need to price a change, without the breakdowns, warnings and
/// finance rows of a full [`analyze`]. The numbers are bit for bit those of
/// [`analyze`]'s `by_topic` and `scenarios` (same cells, same order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Priced {
    /// (topic, monthly USD by [`Scenario::index`](super::Scenario::index)), topics sorted by name.
    pub by_topic: Vec<(String, [f64; 3])>,
    /// The cluster's totals.
    pub scenarios: PerScenario<ScenarioTotals>,
}

/// Prices a validated snapshot: [`Priced`].
pub fn price(s: &Snapshot, pricing: &Pricing) -> Priced {
    let flows = flows::compute(s);
    price_cells(s, &flows.cells, &flows.topics, None, pricing)
}

/// Prices flow cells in report order (a [`flows::Tally`] of `s`) as
/// [`price`] does; `present` (by topic index) leaves out topics that had no
/// partition in the tally, as a snapshot without them would.
pub fn price_cells(
    s: &Snapshot,
    cells: &[(FlowKey, f64)],
    topics: &[String],
    present: Option<&[bool]>,
    pricing: &Pricing,
) -> Priced {
    let platform = pricing.platform.or(s.cluster.platform).unwrap_or_default();
    let money = Money::new(pricing.price_per_gb, pricing.month_hours, window_seconds(s));
    let billed = |t: Traffic| t != Traffic::Replication || platform == Platform::SelfManaged;
    let scenarios = totals(cells, money, billed);
    let mut billed_bytes = vec![[0.0f64; 3]; topics.len()];
    for (k, bytes) in cells {
        if billed(k.traffic) {
            billed_bytes[k.topic as usize][k.scenario.index()] += bytes;
        }
    }
    let by_topic = topics
        .iter()
        .zip(billed_bytes)
        .enumerate()
        .filter(|(t, _)| present.is_none_or(|p| p[*t]))
        .map(|(_, (t, b))| {
            (
                t.clone(),
                b.map(|bytes| money.usd(bytes) * money.month_factor),
            )
        })
        .collect();
    Priced {
        by_topic,
        scenarios,
    }
}

/// `W` in seconds; validation guarantees end > start.
/// The snapshot's window in seconds (NaN when a bound does not parse).
pub fn window_seconds(s: &Snapshot) -> f64 {
    match (parse_rfc3339(&s.window.start), parse_rfc3339(&s.window.end)) {
        (Ok(start), Ok(end)) => {
            let nanos = end.as_nanosecond() - start.as_nanosecond();
            nanos as f64 / 1e9
        }
        _ => f64::NAN,
    }
}

fn totals(
    cells: &[(FlowKey, f64)],
    money: Money,
    billed: impl Fn(Traffic) -> bool,
) -> PerScenario<ScenarioTotals> {
    PerScenario::from_fn(|scenario| {
        let mut t = ScenarioTotals::default();
        for (k, bytes) in cells.iter().filter(|(k, _)| k.scenario == scenario) {
            match k.traffic {
                Traffic::Produce => t.produce_cross_az_bytes += bytes,
                Traffic::Replication => t.replication_cross_az_bytes += bytes,
                Traffic::Consume => t.consume_cross_az_bytes += bytes,
            }
            if billed(k.traffic) {
                t.billed_cross_az_bytes += bytes;
            }
        }
        t.cost_usd = money.usd(t.billed_cross_az_bytes);
        t.monthly_cost_usd = t.cost_usd * money.month_factor;
        t
    })
}

fn by_topic(
    flows: &Flows,
    cells: &[(FlowKey, f64)],
    money: Money,
    billed: impl Fn(Traffic) -> bool,
) -> Vec<TopicRow> {
    let mut acc: BTreeMap<u32, [TopicCost; 3]> = BTreeMap::new();
    for (k, bytes) in cells {
        let c = &mut acc.entry(k.topic).or_default()[k.scenario.index()];
        match k.traffic {
            Traffic::Produce => c.produce_bytes += bytes,
            Traffic::Replication => c.replication_bytes += bytes,
            Traffic::Consume => c.consume_bytes += bytes,
        }
        if billed(k.traffic) {
            c.billed_bytes += bytes;
        }
    }
    let mut rows: Vec<TopicRow> = (0..flows.topics.len() as u32)
        .map(|t| {
            let costs = acc.remove(&t).unwrap_or_default();
            TopicRow {
                topic: flows.topics[t as usize].clone(),
                scenarios: PerScenario::from_fn(|s| {
                    let mut c = costs[s.index()].clone();
                    c.cost_usd = money.usd(c.billed_bytes);
                    c.monthly_usd = c.cost_usd * money.month_factor;
                    c
                }),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        by_monthly_desc(
            a.scenarios.current.monthly_usd,
            b.scenarios.current.monthly_usd,
        )
        .then_with(|| a.topic.cmp(&b.topic))
    });
    rows
}

fn by_group(flows: &Flows, cells: &[(FlowKey, f64)], money: Money) -> Vec<GroupRow> {
    let mut cross = vec![[0.0f64; 3]; flows.groups.len()];
    for (k, bytes) in cells {
        if k.group != NO_GROUP {
            cross[k.group as usize][k.scenario.index()] += bytes;
        }
    }
    let mut read = vec![0.0f64; flows.groups.len()];
    for ((g, _), m) in &flows.members {
        read[*g as usize] += m.read;
    }
    let mut rows: Vec<GroupRow> = flows
        .groups
        .iter()
        .enumerate()
        .map(|(g, name)| GroupRow {
            group: name.clone(),
            bytes_read: read[g],
            scenarios: money.consume_costs(&cross[g]),
        })
        .collect();
    rows.sort_by(|a, b| {
        by_monthly_desc(
            a.scenarios.current.monthly_usd,
            b.scenarios.current.monthly_usd,
        )
        .then_with(|| a.group.cmp(&b.group))
    });
    rows
}

fn by_zone_pair(
    cells: &[(FlowKey, f64)],
    money: Money,
    billed: impl Fn(Traffic) -> bool,
    zone_name: &impl Fn(ZoneId) -> String,
    rank: &impl Fn(ZoneId) -> usize,
) -> Vec<ZonePairRow> {
    // (src rank, dst rank, kind) → (src, dst, bytes per scenario)
    type PairBytes = (ZoneId, ZoneId, [f64; 3]);
    let mut acc: BTreeMap<(usize, usize, Traffic), PairBytes> = BTreeMap::new();
    for (k, bytes) in cells {
        acc.entry((rank(k.src), rank(k.dst), k.traffic))
            .or_insert((k.src, k.dst, [0.0; 3]))
            .2[k.scenario.index()] += bytes;
    }
    acc.into_iter()
        .map(|((_, _, traffic), (src, dst, bytes))| {
            let (src_zone, dst_zone) = (zone_name(src), zone_name(dst));
            let is_billed = billed(traffic);
            ZonePairRow {
                src_zone,
                dst_zone,
                traffic,
                billed: is_billed,
                scenarios: PerScenario::from_fn(|s| {
                    let b = bytes[s.index()];
                    money.cost(b, if is_billed { b } else { 0.0 })
                }),
            }
        })
        .collect()
}

fn by_member(s: &Snapshot, flows: &Flows, money: Money) -> Vec<MemberRow> {
    let mut rows: Vec<MemberRow> = flows
        .members
        .iter()
        .map(|((g, m), f)| {
            let group = &s.consumer_groups[flows.group_source[*g as usize]];
            let member = (*m != NO_MEMBER).then(|| &group.members[*m as usize]);
            let zone = match member {
                Some(_) => flows.member_zones[*g as usize][*m as usize],
                None => super::placement::UNKNOWN_ZONE,
            };
            MemberRow {
                group: group.group.clone(),
                member_index: member.map(|_| *m as usize),
                member_id: member.and_then(|m| m.member_id.clone()),
                client_id: member.and_then(|m| m.client_id.clone()),
                host: member.and_then(|m| m.host.clone()),
                client_rack: member.and_then(|m| m.client_rack.clone()),
                zone: flows.placement.zones.name(zone).to_string(),
                bytes_read: f.read,
                scenarios: money.consume_costs(&f.cross),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        by_monthly_desc(
            a.scenarios.current.monthly_usd,
            b.scenarios.current.monthly_usd,
        )
        .then_with(|| a.group.cmp(&b.group))
        .then_with(|| a.member_id.cmp(&b.member_id))
        .then_with(|| a.client_id.cmp(&b.client_id))
        .then_with(|| a.host.cmp(&b.host))
    });
    rows
}

fn by_monthly_desc(a: f64, b: f64) -> Ordering {
    b.partial_cmp(&a).unwrap_or(Ordering::Equal)
}
