//! Findings: what to change, on which group, topic or broker, what it is
//! worth per month, and what it costs in latency or resilience (issue 6).
//!
//! Pure: computed from the snapshot and its analysis. A fix's value is
//! priced by the model with the fix's what-if rule (`whatif`), so a
//! finding's dollars are the model's dollars, never a separate estimate;
//! only the partitions a fix touches are summed again, from the snapshot's
//! index (`model::flows::Index`), bit for bit as an audit of the changed
//! snapshot would (tests/it/incremental.rs keeps that path as reference).

use crate::model::cost::{Analysis, MemberRow};
use crate::model::flows::{Beside, Index};
use crate::model::placement::{Placement, UNKNOWN_ZONE};
use crate::model::{BYTES_PER_GB, Pricing};
use crate::snapshot::{Member, RACK_AWARE_SELECTOR, Snapshot};
use crate::whatif::{self, PartitionFix};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What follower fetching costs, said once for every finding that turns it on.
pub const FOLLOWER_FETCH_TRADEOFF: &str = "Follower fetching adds end-to-end latency (a follower serves only up to the high watermark it has received) and consumers may see OFFSET_NOT_AVAILABLE or OFFSET_OUT_OF_RANGE while a follower catches up, which they must retry or reset (KIP-392, KIP-320).";

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// $100 a month or more, or silently defeats rack awareness.
    High,
    /// Worth fixing: money, or resilience.
    Medium,
    /// A little money.
    Low,
    /// No money at stake.
    Info,
}

impl Severity {
    /// The name reports print.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// The severity of a monthly amount of money: $100 high, $10 medium,
    /// anything above half a cent low.
    pub fn for_money(monthly_usd: f64) -> Self {
        if monthly_usd >= 100.0 {
            Severity::High
        } else if monthly_usd >= 10.0 {
            Severity::Medium
        } else if monthly_usd > 0.005 {
            Severity::Low
        } else {
            Severity::Info
        }
    }
}

/// The objects a finding names.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Objects {
    /// Topics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// Partitions as `topic/partition`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<String>,
    /// Consumer groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Members as `group/member`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Broker ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub brokers: Vec<i32>,
}

/// One thing to change and what it is worth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id: the kind, then the object (`client-rack-missing/billing`).
    pub id: String,
    /// How much it matters.
    pub severity: Severity,
    /// One line saying what is wrong.
    pub title: String,
    /// What it names.
    pub objects: Objects,
    /// What the fix saves per month (0 when no money is at stake).
    #[serde(serialize_with = "usd")]
    pub monthly_usd: f64,
    /// The exact change.
    pub fix: String,
    /// What the change costs in latency or resilience, in one line.
    pub tradeoff: String,
}

fn usd<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    crate::numbers::Num(crate::model::frames::round_usd(*v)).serialize(s)
}

/// Settings that findings need beyond the snapshot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FindingOptions {
    /// Share of records produced without a key (KIP-1123 moves only those).
    pub unkeyed_share: f64,
}

impl Default for FindingOptions {
    fn default() -> Self {
        FindingOptions { unkeyed_share: 1.0 }
    }
}

/// Every finding, most valuable first (then by id), and the same findings
/// by kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    /// Every finding, most valuable first.
    pub items: Vec<Finding>,
    /// One summary per kind, most valuable first.
    pub by_kind: Vec<KindSummary>,
}

/// How many objects the findings of a kind name, each counted once.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ObjectCounts {
    /// Topics.
    pub topics: usize,
    /// Partitions.
    pub partitions: usize,
    /// Consumer groups.
    pub groups: usize,
    /// Members.
    pub members: usize,
    /// Brokers.
    pub brokers: usize,
}

impl ObjectCounts {
    /// "3 groups, 12 members": the non-zero counts in words.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.topics, "topic"),
            (self.partitions, "partition"),
            (self.groups, "group"),
            (self.members, "member"),
            (self.brokers, "broker"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|&(n, noun)| plural(n, noun))
        .collect();
        if parts.is_empty() {
            "the cluster".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// Every finding of one kind, and what fixing all of them is worth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindSummary {
    /// The kind: the part of a finding's id before `/`.
    pub kind: String,
    /// The highest of the findings' severities, raised to what the kind's
    /// total is worth (many small findings can add up to a large one).
    pub severity: Severity,
    /// How many findings.
    pub findings: usize,
    /// The objects they name.
    pub objects: ObjectCounts,
    /// What fixing all of them saves per month, priced by the model as one
    /// combined change (so objects two findings share count once).
    #[serde(serialize_with = "usd")]
    pub monthly_usd: f64,
    /// The fix, in one line.
    pub fix: String,
}

/// Every finding, most valuable first (then by id).
pub fn find(s: &Snapshot, a: &Analysis, opts: &FindingOptions) -> Vec<Finding> {
    find_grouped(s, a, opts).items
}

/// Every finding, and the findings grouped by kind with each kind priced
/// as one combined change.
pub fn find_grouped(s: &Snapshot, a: &Analysis, opts: &FindingOptions) -> Findings {
    find_grouped_indexed(&Index::new(s), a, opts)
}

/// [`find_grouped`] on a snapshot already indexed (the index the analysis
/// was made from: [`audit`] builds it once for both).
pub fn find_grouped_indexed(index: &Index<'_>, a: &Analysis, opts: &FindingOptions) -> Findings {
    find_planned(index, a, opts, Plan::Unpriced)
}

/// How far the replica-placement fix is priced when the findings start.
enum Plan<'c> {
    /// Not at all: both halves are priced here.
    Unpriced,
    /// Its "before" half, summed beside the analysis ([`ReplicaFix::beside`]).
    Half(ReplicaFix, &'c [(crate::model::flows::FlowKey, f64)]),
    /// Whole, with the "after" half of the shrunk-ISR fix
    /// ([`analyze_planned`]).
    Priced(PricedFixes),
}

/// What [`analyze_planned`] prices beside the analysis: the replica
/// placement fix, and the "after" half of restoring shrunk ISRs (when any
/// ISR is shrunk).
pub struct PricedFixes {
    replicas: ReplicaPlan,
    isr_after: Option<IsrAfter>,
}

/// The shrunk-ISR fix's "after" half: the partitions it restores (see
/// [`isr_shrunk`]) and their prices by topic once restored.
struct IsrAfter {
    keep: Vec<bool>,
    prices: Vec<(String, [f64; 3])>,
}

/// [`find_grouped_indexed`] with the replica placement priced as far as
/// `plan` says; the rest of it is priced beside the other kinds.
fn find_planned(
    index: &Index<'_>,
    a: &Analysis,
    opts: &FindingOptions,
    plan: Plan<'_>,
) -> Findings {
    let ctx = Ctx::new(index, a);
    // Pricing the replica placement is most of the findings' work on a
    // messy cluster: when not done yet, it runs beside all the other kinds.
    // When it is, the shrunk-ISR kind (which prices a fix of its own, the
    // largest of the rest) runs beside them instead, alone. Findings are
    // sorted below, so the order they are gathered in does not show.
    let (priced, isr_after, plan) = match plan {
        Plan::Priced(fixes) => (Some(fixes.replicas), fixes.isr_after, None),
        other => (None, None, Some(other)),
    };
    let isr_beside = priced.is_some();
    let (mut out, placed) = std::thread::scope(|scope| {
        let placed = scope.spawn(|| {
            let mut out = Out::default();
            match plan {
                Some(Plan::Unpriced) => {
                    replica_placement(&ctx, plan_replicas(index, &ctx.pricing), &mut out)
                }
                Some(Plan::Half(fix, before)) => {
                    let after = fix.price_after(index, &ctx.pricing);
                    let plan = fix.plan(index, &ctx.pricing, before, after);
                    replica_placement(&ctx, plan, &mut out);
                }
                Some(Plan::Priced(_)) | None => isr_shrinks(&ctx, isr_after, &mut out),
            }
            out
        });
        let mut out = Out::default();
        // A priced plan only needs writing up: here, so the other core
        // has the shrunk-ISR kind alone.
        if let Some(plan) = priced {
            replica_placement(&ctx, plan, &mut out);
        }
        selector(&ctx, &mut out);
        client_racks(&ctx, &mut out);
        if !isr_beside {
            isr_shrinks(&ctx, None, &mut out);
        }
        leader_skew(&ctx, &mut out);
        broker_load(&ctx, &mut out);
        replication_safety(&ctx, &mut out);
        producers(&ctx, opts, &mut out);
        // A panic in the thread is a bug; re-raise it where it happened.
        let placed = placed
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (out, placed)
    });
    out.items.extend(placed.items);
    for (kind, usd) in placed.combined {
        out.add_combined(kind, usd);
    }
    let Out {
        items: mut findings,
        combined,
    } = out;
    findings.sort_by(|x, y| {
        y.monthly_usd
            .total_cmp(&x.monthly_usd)
            .then_with(|| x.severity.cmp(&y.severity))
            .then_with(|| x.id.cmp(&y.id))
    });
    let by_kind = summarize(&findings, &combined);
    Findings {
        items: findings,
        by_kind,
    }
}

/// Audits a validated snapshot and finds what to change, indexing it once
/// for the model and the findings: what `audit`, `what-if` and `report` run.
pub fn audit(s: &Snapshot, pricing: &Pricing, opts: &FindingOptions) -> (Analysis, Findings) {
    let index = Index::new(s);
    let (analysis, plan) = analyze_planned(&index, pricing);
    let findings = find_prepared(&index, &analysis, opts, plan);
    (analysis, findings)
}

/// The analysis of an indexed snapshot, with the replica-placement fix
/// priced beside it: the partitions as they are, summed in the analysis's
/// own pass over the reads ([`crate::model::cost::analyze_beside`]), and
/// as the fix places them, on the other core. That fix concerns most
/// partitions of a messy cluster and is most of the findings' work there.
/// The other core, done before the analysis, then prices the shrunk ISRs
/// restored (that fix's "after" half). [`find_prepared`] finishes the
/// findings.
pub fn analyze_planned(index: &Index<'_>, pricing: &Pricing) -> (Analysis, PricedFixes) {
    let fix = ReplicaFix::find(index);
    let isr_after = || {
        let keep = isr_shrunk(index);
        keep.contains(&true).then(|| {
            let (fix, scenario) = isr_fix();
            let prices =
                whatif::price_fixed(index, &keep, fix, &effective(index, pricing), scenario);
            IsrAfter { keep, prices }
        })
    };
    let (analysis, before, after, isr_after) = std::thread::scope(|scope| {
        let other = scope.spawn(|| (fix.price_after(index, pricing), isr_after()));
        let (analysis, before) = match fix.beside() {
            Some(beside) => crate::model::cost::analyze_beside(index, pricing, beside),
            None => (
                crate::model::cost::analyze_indexed(index, pricing),
                Vec::new(),
            ),
        };
        // A panic in the thread is a bug; re-raise it where it happened.
        let (after, isr_after) = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (analysis, before, after, isr_after)
    });
    let replicas = fix.plan(index, pricing, &before, after);
    (
        analysis,
        PricedFixes {
            replicas,
            isr_after,
        },
    )
}

/// [`find_grouped_indexed`] with the replica placement priced by
/// [`analyze_planned`] (the same index and analysis).
pub fn find_prepared(
    index: &Index<'_>,
    a: &Analysis,
    opts: &FindingOptions,
    plan: PricedFixes,
) -> Findings {
    find_planned(index, a, opts, Plan::Priced(plan))
}

/// [`find_grouped_indexed`] with the replica fix's "before" half summed
/// beside the analysis `a` (its cells `before`, from
/// [`crate::model::cost::analyze_beside`] with [`ReplicaFix::beside`]; none
/// when that is `None`): the findings' work left once the analysis is
/// made, the "after" half included. [`audit`] prices that half beside the
/// analysis instead; the findings are the same.
pub fn find_fixing(
    index: &Index<'_>,
    a: &Analysis,
    opts: &FindingOptions,
    fix: ReplicaFix,
    before: &[(crate::model::flows::FlowKey, f64)],
) -> Findings {
    find_planned(index, a, opts, Plan::Half(fix, before))
}

/// The kind of a finding: its id up to the first `/`.
pub fn kind_of(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

/// Findings being gathered, and for kinds whose findings are priced
/// together, the combined saving of all of them.
#[derive(Default)]
struct Out {
    items: Vec<Finding>,
    combined: BTreeMap<&'static str, f64>,
}

impl Out {
    fn push(&mut self, f: Finding) {
        self.items.push(f);
    }

    /// Adds to a kind's combined saving (unclamped: a fix that costs money
    /// on one object offsets one that saves on another, as in the model).
    fn add_combined(&mut self, kind: &'static str, monthly_usd: f64) {
        *self.combined.entry(kind).or_default() += monthly_usd;
    }
}

fn summarize(findings: &[Finding], combined: &BTreeMap<&'static str, f64>) -> Vec<KindSummary> {
    // Only the number of distinct objects is kept, so hash sets (a messy
    // cluster's client-rack findings name ~10^5 members).
    #[derive(Default)]
    struct Acc<'a> {
        severity: Option<Severity>,
        count: usize,
        sum: f64,
        topics: HashSet<&'a str>,
        partitions: HashSet<&'a str>,
        groups: HashSet<&'a str>,
        members: HashSet<&'a str>,
        brokers: HashSet<i32>,
    }
    let mut kinds: BTreeMap<&str, Acc> = BTreeMap::new();
    for f in findings {
        let acc = kinds.entry(kind_of(&f.id)).or_default();
        acc.severity = Some(acc.severity.unwrap_or(Severity::Info).min(f.severity));
        acc.count += 1;
        acc.sum += f.monthly_usd;
        let o = &f.objects;
        acc.topics.extend(o.topics.iter().map(String::as_str));
        acc.partitions
            .extend(o.partitions.iter().map(String::as_str));
        acc.groups.extend(o.groups.iter().map(String::as_str));
        acc.members.extend(o.members.iter().map(String::as_str));
        acc.brokers.extend(o.brokers.iter().copied());
    }
    let mut out: Vec<KindSummary> = kinds
        .into_iter()
        .map(|(kind, acc)| {
            // A kind whose findings were not priced together has one
            // finding, or findings on objects the model prices apart, so
            // their sum is the combined change.
            let monthly_usd = combined.get(kind).map(|v| v.max(0.0)).unwrap_or(acc.sum);
            KindSummary {
                kind: kind.to_string(),
                severity: acc
                    .severity
                    .unwrap_or(Severity::Info)
                    .min(Severity::for_money(monthly_usd)),
                findings: acc.count,
                objects: ObjectCounts {
                    topics: acc.topics.len(),
                    partitions: acc.partitions.len(),
                    groups: acc.groups.len(),
                    members: acc.members.len(),
                    brokers: acc.brokers.len(),
                },
                monthly_usd,
                fix: kind_fix(kind).to_string(),
            }
        })
        .collect();
    out.sort_by(|x, y| {
        y.monthly_usd
            .total_cmp(&x.monthly_usd)
            .then_with(|| x.severity.cmp(&y.severity))
            .then_with(|| x.kind.cmp(&y.kind))
    });
    out
}

/// The fix of a whole kind in one line; each finding's own fix has the
/// exact values (per member, per topic).
fn kind_fix(kind: &str) -> &'static str {
    match kind {
        "selector-not-enabled" => {
            "Set replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector on the brokers, then client.rack on consumers."
        }
        "client-rack-missing" => {
            "Set client.rack on each named member to the AZ ID it runs in (the exact value per member is in each finding)."
        }
        "client-rack-az-name" => {
            "Replace the AZ name in client.rack with the AZ ID of the same zone (brokers' racks are AZ IDs)."
        }
        "client-rack-unmatched" => {
            "Set client.rack to a broker.rack value: the AZ ID the member runs in."
        }
        "client-rack-wrong-zone" => "Set client.rack to the AZ ID the member really runs in.",
        "replicas-not-in-every-zone" => {
            "Reassign the topics to one replica per zone (replication factor = number of broker zones)."
        }
        "isr-shrink-local-follower" => "Bring the named brokers' followers back in sync.",
        "leader-skew" => {
            "Rebalance leadership across zones (preferred-leader election after reordering replicas)."
        }
        "partitions-per-broker" => {
            "Use larger or more brokers so each stays within Amazon MSK's partitions-per-broker limit."
        }
        "replication-factor-1" | "replication-factor-equals-min-isr" => {
            "Use replication factor 3 with min.insync.replicas=2, one replica per zone."
        }
        "producer-cross-az" => {
            "On producers, set client.rack and partitioner.rack.aware=true (KIP-1123) for unkeyed records."
        }
        _ => "See each finding's fix.",
    }
}

struct Ctx<'a> {
    s: &'a Snapshot,
    a: &'a Analysis,
    pricing: Pricing,
    /// Zones and brokers, as the index placed them.
    placement: &'a Placement,
    /// The snapshot resolved once, to price fixes from.
    index: &'a Index<'a>,
    /// Every `broker.rack`, as clients must send them.
    broker_racks: BTreeSet<&'a str>,
    /// Every (`broker.rack`, zone) a broker has: whether a rack is served in
    /// a zone, asked once per member, without a scan of the brokers.
    rack_zones: HashSet<(&'a str, u16)>,
}

impl<'a> Ctx<'a> {
    fn new(index: &'a Index<'a>, a: &'a Analysis) -> Self {
        let s = index.s;
        Ctx {
            s,
            a,
            pricing: Pricing {
                price_per_gb: a.price_per_gb,
                platform: Some(a.platform),
                month_hours: a.month_hours,
            },
            placement: &index.placement,
            index,
            broker_racks: s.brokers.iter().filter_map(|b| b.rack.as_deref()).collect(),
            rack_zones: s
                .brokers
                .iter()
                .zip(&index.placement.brokers)
                .filter_map(|(b, place)| Some((b.rack.as_deref()?, place.zone)))
                .collect(),
        }
    }

    /// Monthly USD of bytes in the window.
    fn monthly(&self, bytes: f64) -> f64 {
        bytes / BYTES_PER_GB * self.a.price_per_gb * self.a.month_hours * 3600.0
            / self.a.window_seconds
    }
}

fn selector(ctx: &Ctx, out: &mut Out) {
    if ctx.a.selector_enabled {
        return;
    }
    let gap = ctx.a.savings.monthly_usd_rack_aware_vs_current.max(0.0);
    out.push(Finding {
        id: "selector-not-enabled".to_string(),
        severity: Severity::for_money(gap).min(Severity::Medium),
        title: format!(
            "Brokers do not run RackAwareReplicaSelector, so every consumer reads from the leader; with it and correct client.rack the cluster would save {}/month",
            money(gap)
        ),
        objects: Objects {
            brokers: ctx.s.brokers.iter().map(|b| b.id).collect(),
            ..Objects::default()
        },
        monthly_usd: gap,
        fix: format!(
            "Add `replica.selector.class={RACK_AWARE_SELECTOR}` to the cluster configuration (MSK: a new configuration revision, applied with a rolling update; Terraform: aws_msk_configuration server_properties = <<PROPERTIES\\nreplica.selector.class={RACK_AWARE_SELECTOR}\\nPROPERTIES), and set client.rack on every consumer (see the client-rack findings)."
        ),
        tradeoff: FOLLOWER_FETCH_TRADEOFF.to_string(),
    });
}

/// Why a member is not served locally by rack awareness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RackProblem {
    Missing,
    AzName,
    Unmatched,
    WrongZone,
}

impl RackProblem {
    fn id(self) -> &'static str {
        match self {
            RackProblem::Missing => "client-rack-missing",
            RackProblem::AzName => "client-rack-az-name",
            RackProblem::Unmatched => "client-rack-unmatched",
            RackProblem::WrongZone => "client-rack-wrong-zone",
        }
    }
}

fn rack_problem(ctx: &Ctx, m: &Member, zone: u16) -> Option<RackProblem> {
    let broker_racks = &ctx.broker_racks;
    let Some(rack) = m.client_rack.as_deref().filter(|r| !r.is_empty()) else {
        return Some(RackProblem::Missing);
    };
    if !broker_racks.contains(rack) {
        let as_id = ctx.placement.zones.canonical(rack);
        return Some(if as_id != rack && broker_racks.contains(as_id) {
            RackProblem::AzName
        } else {
            RackProblem::Unmatched
        });
    }
    // The rack matches brokers: wrong only if they are not in the member's zone.
    let serves_zone = ctx.rack_zones.contains(&(rack, zone));
    (zone != UNKNOWN_ZONE && !serves_zone).then_some(RackProblem::WrongZone)
}

fn client_racks(ctx: &Ctx, out: &mut Out) {
    // Looked up, never walked in order: a hash map, not a tree of strings,
    // sized once: grown by doubling, it rehashed its entries over and over
    // (inserting was a third of this kind's profile at 130,000 members).
    let mut rows: HashMap<(&str, usize), &MemberRow> =
        HashMap::with_capacity_and_hasher(ctx.a.by_member.len(), Default::default());
    for r in &ctx.a.by_member {
        if let Some(i) = r.member_index {
            rows.insert((r.group.as_str(), i), r);
        }
    }
    // Members' zones as the index resolved them, by the group's sorted
    // position (the zones of `ctx.placement`, which is the index's).
    let index = ctx.index;
    let mut sorted_at = vec![0usize; index.group_order.len()];
    for (at, &g) in index.group_order.iter().enumerate() {
        sorted_at[g] = at;
    }
    let placement = ctx.placement;
    let zone_rack: Vec<Option<&str>> = (0..placement.zones.count())
        .map(|z| placement.rack_of_zone(z as u16))
        .collect();
    let rack_of_zone = |z: u16| zone_rack.get(usize::from(z)).copied().flatten();
    for (g, group) in ctx.s.consumer_groups.iter().enumerate() {
        let zones = &index.member_zones[sorted_at[g]];
        let mut by_problem: BTreeMap<RackProblem, Vec<(usize, u16)>> = BTreeMap::new();
        for (i, m) in group.members.iter().enumerate() {
            let zone = zones[i];
            if let Some(p) = rack_problem(ctx, m, zone) {
                by_problem.entry(p).or_default().push((i, zone));
            }
        }
        for (problem, members) in by_problem {
            // Members' reads are priced apart by the model, so the kind's
            // combined change is the sum over all its members.
            let unclamped: f64 = members
                .iter()
                .filter_map(|(i, _)| rows.get(&(group.group.as_str(), *i)))
                .map(|r| r.scenarios.current.monthly_usd - r.scenarios.rack_aware.monthly_usd)
                .sum::<f64>();
            out.add_combined(problem.id(), unclamped);
            let saving = unclamped.max(0.0);
            let label = |i: usize| crate::model::member_label(&group.members[i], i);
            let fixes: Vec<String> = members
                .iter()
                .map(|&(i, zone)| match rack_of_zone(zone) {
                    Some(rack) => format!("{}: client.rack={rack}", label(i)),
                    None => format!(
                        "{}: zone unknown, set client.rack to the AZ ID it runs in (EC2 metadata placement/availability-zone-id)",
                        label(i)
                    ),
                })
                .collect();
            let what = match problem {
                RackProblem::Missing => "send no client.rack, so they always read from the leader".to_string(),
                RackProblem::AzName => "send an AZ name as client.rack while the brokers' racks are AZ IDs: no broker matches, so follower fetching is silently off".to_string(),
                RackProblem::Unmatched => "send a client.rack that matches no broker.rack, so they read from the leader".to_string(),
                RackProblem::WrongZone => "send a client.rack of another zone than the one they run in, so they are served across zones (worse than no rack at all)".to_string(),
            };
            let needs_selector = if ctx.a.selector_enabled {
                ""
            } else {
                " Needs the selector too (selector-not-enabled)."
            };
            let severity = match problem {
                RackProblem::AzName | RackProblem::WrongZone => {
                    Severity::for_money(saving).min(Severity::Medium)
                }
                _ => Severity::for_money(saving),
            };
            out.push(Finding {
                id: format!("{}/{}", problem.id(), group.group),
                severity,
                title: format!(
                    "group {}: {} of {} members {what}",
                    group.group,
                    members.len(),
                    group.members.len()
                ),
                objects: Objects {
                    groups: vec![group.group.clone()],
                    members: members
                        .iter()
                        .map(|&(i, _)| format!("{}/{}", group.group, label(i)))
                        .collect(),
                    ..Objects::default()
                },
                monthly_usd: saving,
                fix: format!("Set per member {}.{needs_selector}", fixes.join("; ")),
                tradeoff: FOLLOWER_FETCH_TRADEOFF.to_string(),
            });
        }
    }
}

/// The replica-placement finding's pricing, which needs only the index
/// and the prices: the partitions short of a broker zone, per topic, and
/// the kind's fix priced on them. [`analyze_planned`] makes it beside the
/// analysis.
#[derive(Debug)]
pub struct ReplicaPlan {
    /// topic → (partitions short of a zone, smallest RF, fewest zones), by
    /// topic index: topics are ranked by name, the order of the findings.
    short: Vec<(u32, (usize, usize, usize))>,
    /// Monthly USD per topic before and after the fix (rack_aware only).
    fixed: BTreeMap<String, ([f64; 3], [f64; 3])>,
}

/// The replica-placement fix before it is priced: the online partitions
/// whose replicas miss a broker zone (the ones it moves), and per topic
/// index with any, (how many, smallest RF, fewest zones). Priced in two
/// halves: the partitions as they are, which [`ReplicaFix::beside`] asks
/// the analysis to sum in its own pass, and as the fix places them
/// ([`ReplicaFix::price_after`]); [`ReplicaFix::plan`] joins them.
pub struct ReplicaFix {
    keep: Vec<bool>,
    short: Vec<(u32, (usize, usize, usize))>,
}

impl ReplicaFix {
    /// The partitions the fix would move.
    pub fn find(index: &Index<'_>) -> Self {
        short_of_a_zone(index)
    }

    /// What the analysis should sum beside its own cells for the "before"
    /// half; `None` when no partition is short of a zone.
    pub fn beside(&self) -> Option<Beside<'_>> {
        (!self.short.is_empty()).then(|| Beside {
            keep: &self.keep,
            scenario: crate::model::Scenario::RackAware,
        })
    }

    /// The "after" half: the moved partitions' rack_aware prices by topic.
    pub fn price_after(&self, index: &Index<'_>, pricing: &Pricing) -> Vec<(String, [f64; 3])> {
        if self.short.is_empty() {
            return Vec::new();
        }
        let (fix, scenario) = replica_fix(index);
        whatif::price_fixed(index, &self.keep, fix, &effective(index, pricing), scenario)
    }

    /// The priced plan, from the cells the analysis summed for
    /// [`ReplicaFix::beside`] (none when it is `None`, exactly when no
    /// partition is short) and [`ReplicaFix::price_after`]'s prices.
    pub fn plan(
        self,
        index: &Index<'_>,
        pricing: &Pricing,
        before: &[(crate::model::flows::FlowKey, f64)],
        after: Vec<(String, [f64; 3])>,
    ) -> ReplicaPlan {
        // The cells of `beside()`: its one scenario, and some only if it asks.
        debug_assert!(
            before
                .iter()
                .all(|(k, _)| k.scenario == crate::model::Scenario::RackAware)
        );
        debug_assert!(!self.short.is_empty() || before.is_empty());
        let fixed = if self.short.is_empty() {
            BTreeMap::new()
        } else {
            let before =
                whatif::priced_before(index, &self.keep, before, &effective(index, pricing));
            whatif::paired(before, after)
        };
        ReplicaPlan {
            short: self.short,
            fixed,
        }
    }
}

/// `pricing` with the platform it takes effect on named, as [`Ctx`]'s is.
fn effective(index: &Index<'_>, pricing: &Pricing) -> Pricing {
    Pricing {
        platform: Some(
            pricing
                .platform
                .or(index.s.cluster.platform)
                .unwrap_or_default(),
        ),
        ..*pricing
    }
}

fn short_of_a_zone(index: &Index<'_>) -> ReplicaFix {
    let placement = &index.placement;
    let s = index.s;
    let n = placement.zones.broker_zone_count();
    // Distinct zones of a partition's replicas (few: a short list, no set).
    // An online partition's place already holds them, as zone ids: its
    // leader's (a replica, by validation) and every other replica's.
    let zone_count = |i: usize, p: &crate::snapshot::Partition| -> usize {
        let mut seen: smallvec::SmallVec<[u16; 8]> = smallvec::SmallVec::new();
        let mut see = |z: u16| {
            if !seen.contains(&z) {
                seen.push(z);
            }
        };
        match &index.places[i] {
            Some(place) if p.replicas.contains(&p.leader.unwrap_or(-1)) => {
                see(place.leader_zone);
                place.follower_zones.iter().for_each(|&z| see(z));
            }
            _ => p
                .replicas
                .iter()
                .filter_map(|r| placement.broker_index.get(r))
                .for_each(|&b| see(placement.brokers[b].zone)),
        }
        seen.len()
    };
    let mut keep = vec![false; s.partitions.len()];
    let mut by_index: Vec<Option<(usize, usize, usize)>> = vec![None; index.topics.len()];
    for (i, p) in s.partitions.iter().enumerate() {
        if p.leader.is_none_or(|l| l < 0) {
            continue;
        }
        let zones = zone_count(i, p);
        if zones >= n {
            continue;
        }
        keep[i] = true;
        let e = by_index[index.topic_of[i] as usize].get_or_insert((0, usize::MAX, usize::MAX));
        e.0 += 1;
        e.1 = e.1.min(p.replicas.len());
        e.2 = e.2.min(zones);
    }
    let short = by_index
        .into_iter()
        .enumerate()
        .filter_map(|(t, e)| e.map(|e| (t as u32, e)))
        .collect();
    ReplicaFix { keep, short }
}

/// The fix the replica-placement finding prices: one replica per broker
/// zone. Only the rack_aware scenario is judged (b[2] − a[2] below).
fn replica_fix(index: &Index<'_>) -> (PartitionFix, crate::model::Scenario) {
    let n = index.placement.zones.broker_zone_count();
    (
        PartitionFix::PlaceReplicas { rf: Some(n.max(1)) },
        crate::model::Scenario::RackAware,
    )
}

/// Plans and prices the replica-placement fix (see [`ReplicaPlan`]).
/// `pricing` must name the effective platform, as [`Ctx`]'s does.
fn plan_replicas(index: &Index<'_>, pricing: &Pricing) -> ReplicaPlan {
    let ReplicaFix { keep, short } = short_of_a_zone(index);
    let fixed = if short.is_empty() {
        BTreeMap::new()
    } else {
        let (fix, scenario) = replica_fix(index);
        whatif::price_fix_in(index, &keep, fix, pricing, scenario)
    };
    ReplicaPlan { short, fixed }
}

/// Topics with partitions whose replicas miss a broker zone.
fn replica_placement(ctx: &Ctx, plan: ReplicaPlan, out: &mut Out) {
    let n = ctx.placement.zones.broker_zone_count();
    let ReplicaPlan { short, fixed } = plan;
    let topics = &ctx.index.topics;
    let short: Vec<(&str, (usize, usize, usize))> = short
        .into_iter()
        .map(|(t, e)| (topics[t as usize].as_str(), e))
        .collect();
    if short.is_empty() {
        return;
    }
    // One combined audit of every short partition prices the whole kind.
    out.add_combined(
        "replicas-not-in-every-zone",
        short
            .iter()
            .filter_map(|(t, _)| fixed.get(*t))
            .map(|(b, a)| b[2] - a[2])
            .sum(),
    );
    let rows: HashMap<&str, &crate::model::cost::TopicRow> = ctx
        .a
        .by_topic
        .iter()
        .map(|r| (r.topic.as_str(), r))
        .collect();
    for (topic, (count, rf, zones)) in short {
        // The first row of the topic, as a scan would find (topics are unique).
        let residual = rows
            .get(topic)
            .map(|r| ctx.monthly(r.scenarios.rack_aware.consume_bytes))
            .unwrap_or(0.0);
        let saving = fixed
            .get(topic)
            .map(|(b, a)| (b[2] - a[2]).max(0.0))
            .unwrap_or(0.0);
        let why = if rf < n {
            format!("replication factor {rf} is below the {n} broker zones")
        } else {
            format!(
                "replicas are packed into {zones} of {n} zones although the RF allows one per zone"
            )
        };
        out.push(Finding {
            id: format!("replicas-not-in-every-zone/{topic}"),
            severity: Severity::for_money(saving),
            title: format!(
                "topic {topic}: no replica in some zone for {} ({why}); rack awareness cannot remove {}/month of its consume traffic",
                plural(count, "partition"),
                money(residual)
            ),
            objects: Objects {
                topics: vec![topic.to_string()],
                ..Objects::default()
            },
            monthly_usd: saving,
            fix: format!(
                "Reassign {topic} to one replica per zone (RF {n}, e.g. kafka-reassign-partitions with a rack-aware plan); `azcost what-if --replication-factor {n} --one-replica-per-zone` shows the audit after it. Saves {}/month in the rack_aware scenario{}.",
                money(saving),
                if ctx.a.platform == crate::snapshot::Platform::SelfManaged {
                    ", net of the extra replication it bills"
                } else {
                    " (MSK does not bill the extra replication)"
                }
            ),
            tradeoff: "More replicas cost broker storage and replication bandwidth, and reassigning moves data; RF 3 over 3 zones also survives a zone outage.".to_string(),
        });
    }
}

/// The partitions the shrunk-ISR finding prices: online, with a shrunk ISR.
fn isr_shrunk(index: &Index<'_>) -> Vec<bool> {
    let online_shrunk = |p: &crate::snapshot::Partition| {
        p.isr.len() < p.replicas.len() && p.leader.is_some_and(|l| l >= 0)
    };
    index.s.partitions.iter().map(online_shrunk).collect()
}

/// The fix the shrunk-ISR finding prices, and the scenario it is judged in.
fn isr_fix() -> (PartitionFix, crate::model::Scenario) {
    (PartitionFix::RestoreIsr, crate::model::Scenario::Current)
}

/// Partitions whose out-of-sync follower was the only replica in its zone;
/// `after` is the fix's "after" half when priced already
/// ([`analyze_planned`]).
fn isr_shrinks(ctx: &Ctx, after: Option<IsrAfter>, out: &mut Out) {
    let zone_of = |id: &i32| {
        ctx.placement
            .broker_index
            .get(id)
            .map(|&i| ctx.placement.brokers[i].zone)
    };
    let mut by_topic: BTreeMap<&str, (Vec<String>, BTreeSet<i32>)> = BTreeMap::new();
    for p in &ctx.s.partitions {
        // Nothing is lost while every replica is in sync (most partitions).
        // Validation makes the ISR a subset of the replicas, neither with
        // repeats: every replica is in sync when the two are as long (the
        // lengths are read without following each list to the heap).
        if p.leader.is_none_or(|l| l < 0) || p.isr.len() >= p.replicas.len() {
            continue;
        }
        let in_sync: BTreeSet<u16> = p
            .isr
            .iter()
            .chain(p.leader.iter())
            .filter_map(zone_of)
            .collect();
        let lost: Vec<i32> = p
            .replicas
            .iter()
            .filter(|r| !p.isr.contains(r) && zone_of(r).is_some_and(|z| !in_sync.contains(&z)))
            .copied()
            .collect();
        if !lost.is_empty() {
            let e = by_topic.entry(&p.topic).or_default();
            e.0.push(format!("{}/{}", p.topic, p.partition));
            e.1.extend(lost);
        }
    }
    if by_topic.is_empty() {
        return;
    }
    // Only the partitions with a shrunk ISR are audited, before and after
    // restoring it; restoring a follower whose zone already has an in-sync
    // replica changes no cost, so they may all be restored at once.
    let (fix, scenario) = isr_fix();
    let fixed = match after {
        Some(IsrAfter { keep, prices }) => whatif::paired(
            whatif::price_kept(ctx.index, &keep, &ctx.pricing, scenario),
            prices,
        ),
        None => {
            let keep = isr_shrunk(ctx.index);
            whatif::price_fix_in(ctx.index, &keep, fix, &ctx.pricing, scenario)
        }
    };
    out.add_combined(
        "isr-shrink-local-follower",
        by_topic
            .keys()
            .filter_map(|t| fixed.get(*t))
            .map(|(b, a)| b[1] - a[1])
            .sum(),
    );
    for (topic, (partitions, brokers)) in by_topic {
        let saving = fixed
            .get(topic)
            .map(|(b, a)| (b[1] - a[1]).max(0.0))
            .unwrap_or(0.0);
        out.push(Finding {
            id: format!("isr-shrink-local-follower/{topic}"),
            severity: Severity::for_money(saving).min(Severity::Medium),
            title: format!(
                "topic {topic}: the only in-sync replica in a zone dropped out for {}, so readers there fall back to a leader in another zone ({}/month now)",
                plural(partitions.len(), "partition"),
                money(saving)
            ),
            objects: Objects {
                topics: vec![topic.to_string()],
                partitions,
                brokers: brokers.into_iter().collect(),
                ..Objects::default()
            },
            monthly_usd: saving,
            fix: "Bring the named brokers' followers back in sync (check broker health, disk and network; kafka-topics --describe --under-replicated-partitions).".to_string(),
            tradeoff: "None for cost; an ISR shrink also lowers durability until the follower catches up.".to_string(),
        });
    }
}

fn leader_skew(ctx: &Ctx, out: &mut Out) {
    let n = ctx.placement.zones.broker_zone_count();
    if n < 2 {
        return;
    }
    let mut led = vec![0.0f64; n];
    let mut total = 0.0;
    for p in &ctx.s.partitions {
        let Some(l) = p.leader.filter(|&l| l >= 0) else {
            continue;
        };
        if let Some(&i) = ctx.placement.broker_index.get(&l) {
            led[usize::from(ctx.placement.brokers[i].zone)] += p.bytes_in;
            total += p.bytes_in;
        }
    }
    if total <= 0.0 {
        return;
    }
    let even = 1.0 / n as f64;
    let worst = led
        .iter()
        .map(|b| (b / total - even).abs())
        .fold(0.0, f64::max);
    if worst <= 0.10 {
        return;
    }
    let after = whatif::price_balanced_leaders(ctx.index, &ctx.pricing);
    let saving = (ctx.a.scenarios.current.monthly_cost_usd
        - after.scenarios.current.monthly_cost_usd)
        .max(0.0);
    let produce_moved = ctx.a.scenarios.current.produce_cross_az_bytes
        - after.scenarios.current.produce_cross_az_bytes;
    let effect = if produce_moved >= 0.0 {
        format!(
            "balancing takes {:.2} GB of producer traffic per window off the zone boundaries",
            produce_moved / BYTES_PER_GB
        )
    } else {
        format!(
            "balancing would add {:.2} GB of producer traffic per window: the skew follows where producers run, so keep it",
            -produce_moved / BYTES_PER_GB
        )
    };
    let shares: Vec<String> = led
        .iter()
        .enumerate()
        .map(|(z, b)| {
            format!(
                "{} {:.0}%",
                ctx.placement.zones.name(z as u16),
                b / total * 100.0
            )
        })
        .collect();
    out.push(Finding {
        id: "leader-skew".to_string(),
        severity: Severity::for_money(saving),
        title: format!(
            "Leaders are skewed across zones by produced bytes ({}; even is {:.0}% each); {effect}",
            shares.join(", "),
            even * 100.0,
        ),
        objects: Objects::default(),
        monthly_usd: saving,
        fix: "Rebalance leadership across zones (reorder replicas so the preferred leaders spread evenly, then run a preferred-leader election; `azcost what-if --balance-leaders` shows the result).".to_string(),
        tradeoff: "Leader moves cause brief produce retries and more load on the brokers that gain leaders.".to_string(),
    });
}

/// Amazon MSK's recommended maximum partitions (replicas included) per broker.
fn msk_partition_limit(instance_type: &str) -> Option<usize> {
    let t = instance_type.trim_start_matches("kafka.");
    match t {
        "t3.small" => Some(300),
        "m5.large" | "m5.xlarge" | "m7g.large" | "m7g.xlarge" => Some(1000),
        "m5.2xlarge" | "m7g.2xlarge" => Some(2000),
        _ if t.starts_with("m5.") || t.starts_with("m7g.") => {
            let size = t.split('.').nth(1)?.trim_end_matches("xlarge");
            size.parse::<u32>().ok().filter(|&k| k >= 4).map(|_| 4000)
        }
        _ => None,
    }
}

fn broker_load(ctx: &Ctx, out: &mut Out) {
    let limited = |b: &crate::snapshot::Broker| {
        b.instance_type
            .as_deref()
            .and_then(msk_partition_limit)
            .is_some()
    };
    // Replicas are counted only when some broker has a known limit (a
    // self-managed cluster names no MSK instance type).
    if !ctx.s.brokers.iter().any(limited) {
        return;
    }
    let mut count: HashMap<i32, usize> = HashMap::default();
    for p in &ctx.s.partitions {
        for r in &p.replicas {
            *count.entry(*r).or_default() += 1;
        }
    }
    for b in &ctx.s.brokers {
        let Some(kind) = b.instance_type.as_deref() else {
            continue;
        };
        let Some(limit) = msk_partition_limit(kind) else {
            continue;
        };
        let have = count.get(&b.id).copied().unwrap_or(0);
        if have > limit {
            out.push(Finding {
                id: format!("partitions-per-broker/{}", b.id),
                severity: Severity::Medium,
                title: format!(
                    "broker {} ({kind}) holds {have} partition replicas, above the {limit} Amazon MSK recommends for its type",
                    b.id
                ),
                objects: Objects { brokers: vec![b.id], ..Objects::default() },
                monthly_usd: 0.0,
                fix: format!("Move to a larger broker type or add brokers and reassign partitions so each holds at most {limit}."),
                tradeoff: "Larger or more brokers cost more per hour; reassignment moves data.".to_string(),
            });
        }
    }
}

fn replication_safety(ctx: &Ctx, out: &mut Out) {
    // Smallest RF per topic, by topic index (topics ranked by name).
    let mut smallest = vec![usize::MAX; ctx.index.topics.len()];
    for (i, p) in ctx.s.partitions.iter().enumerate() {
        let e = &mut smallest[ctx.index.topic_of[i] as usize];
        *e = (*e).min(p.replicas.len());
    }
    let rf = ctx.index.topics.iter().map(String::as_str).zip(smallest);
    let min_isr: BTreeMap<&str, i32> = ctx
        .s
        .topics
        .iter()
        .filter_map(|t| t.min_insync_replicas.map(|m| (t.topic.as_str(), m)))
        .collect();
    for (topic, rf) in rf {
        let problem = if rf <= 1 {
            Some((
                "replication-factor-1",
                "has replication factor 1: one broker or zone outage loses data or availability"
                    .to_string(),
            ))
        } else {
            min_isr
                .get(topic)
                .filter(|&&m| m as usize >= rf)
                .map(|m| ("replication-factor-equals-min-isr", format!("has replication factor {rf} and min.insync.replicas {m}: producers with acks=all stop when any one replica is down")))
        };
        if let Some((kind, what)) = problem {
            out.push(Finding {
                id: format!("{kind}/{topic}"),
                severity: Severity::Medium,
                title: format!("topic {topic} {what}"),
                objects: Objects { topics: vec![topic.to_string()], ..Objects::default() },
                monthly_usd: 0.0,
                fix: "Use replication factor 3 with min.insync.replicas=2, one replica per zone, the usual safe setting on three zones.".to_string(),
                tradeoff: "More replicas cost storage and replication bandwidth (billed on self-managed Kafka, not on MSK).".to_string(),
            });
        }
    }
}

fn producers(ctx: &Ctx, opts: &FindingOptions, out: &mut Out) {
    let produce = ctx.a.scenarios.current.produce_cross_az_bytes;
    if produce <= 0.0 {
        return;
    }
    // KIP-1123 keeps home the unkeyed share of every produce flow whose
    // source zone leads a partition of the topic (the model's rule, see
    // `flows::RackAwareProducers`); topics already rack-aware are counted.
    let already: BTreeSet<&str> = ctx
        .s
        .producers
        .as_ref()
        .and_then(|p| p.rack_aware_topics.as_ref())
        .map(|t| t.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if already.contains(crate::snapshot::ALL_TOPICS) {
        return;
    }
    // Whether each (topic index, zone) leads a partition.
    // Producers are spread over the broker zones only.
    let zones = ctx.placement.zones.broker_zone_count();
    let mut leads = vec![false; ctx.index.topics.len() * zones];
    for (i, p) in ctx.s.partitions.iter().enumerate() {
        let Some(&b) = p.leader.and_then(|l| ctx.placement.broker_index.get(&l)) else {
            continue;
        };
        let zone = usize::from(ctx.placement.brokers[b].zone);
        leads[ctx.index.topic_of[i] as usize * zones + zone] = true;
    }
    let topic_index: HashMap<&str, usize> = ctx
        .index
        .topics
        .iter()
        .enumerate()
        .map(|(t, name)| (name.as_str(), t))
        .collect();
    let zone_index = |name: &str| (0..zones).find(|&z| ctx.placement.zones.name(z as u16) == name);
    let kept: f64 = ctx
        .a
        .flows
        .of(
            crate::model::Scenario::Current,
            crate::model::Traffic::Produce,
        )
        .filter(|f| !already.contains(f.topic))
        .filter(
            |f| match (topic_index.get(f.topic), zone_index(f.src_zone)) {
                (Some(t), Some(z)) => leads[t * zones + z],
                _ => false,
            },
        )
        .map(|f| f.bytes * opts.unkeyed_share)
        .sum();
    let saving = ctx.monthly(kept);
    // Nothing to change when KIP-1123 is on already or cannot help (no zone
    // with producers leads a partition of their topics).
    if saving < 0.005 {
        return;
    }
    let topics: Vec<String> = ctx
        .a
        .by_topic
        .iter()
        .filter(|t| t.scenarios.current.produce_bytes > 0.0)
        .take(5)
        .map(|t| t.topic.clone())
        .collect();
    out.push(Finding {
        id: "producer-cross-az".to_string(),
        severity: Severity::for_money(saving),
        title: format!(
            "Producers send {}/month across zones to leaders elsewhere; nothing on the consumer side removes it. KIP-1123 rack-aware partitioning could remove {}/month, assuming {:.0}% of records are unkeyed (--unkeyed-share)",
            money(ctx.monthly(produce)),
            money(saving),
            opts.unkeyed_share * 100.0
        ),
        objects: Objects { topics, ..Objects::default() },
        monthly_usd: saving,
        fix: "On producers (Apache Kafka clients with KIP-1123) set client.rack=<AZ ID of the producer> and partitioner.rack.aware=true; it applies to records without a key.".to_string(),
        tradeoff: "Unkeyed records concentrate on the partitions led in the producer's zone, so partition sizes follow where producers run.".to_string(),
    });
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", crate::numbers::count(n))
    }
}

fn money(v: f64) -> String {
    crate::numbers::usd(v)
}
