//! The finance rows of an analysis (one per flow cell: scenario × kind ×
//! topic × group × zone pair), kept as the cells and the names they index,
//! and made into [`FlowRow`]s as they are read.
//!
//! Why not a `Vec` of rows: a 2M-partition cluster has 1.7M cells, and a
//! row holding its names was ~96 bytes, built on every audit although only
//! the CSV, the chargeback and one finding read them (160 MB at the audit's
//! peak of memory, for nothing on `--format json`). A cell is 24 bytes, and
//! the money of a row is the same arithmetic done when it is read.

use super::flows::{FlowKey, NO_GROUP};
use super::money::Money;
use super::placement::ZoneId;
use super::{Scenario, Traffic};

/// One row of the finance CSV, its names borrowed from the analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowRow<'a> {
    /// Scenario.
    pub scenario: Scenario,
    /// Traffic kind.
    pub traffic: Traffic,
    /// Topic.
    pub topic: &'a str,
    /// Consumer group, for consume rows.
    pub consumer_group: Option<&'a str>,
    /// Source zone.
    pub src_zone: &'a str,
    /// Destination zone.
    pub dst_zone: &'a str,
    /// Bytes.
    pub bytes: f64,
    /// Whether billed.
    pub billed: bool,
    /// Billed USD in the window (0 when not billed).
    pub usd: f64,
    /// Billed USD per month (0 when not billed).
    pub monthly_usd: f64,
}

/// Every finance row, in report order (by scenario, kind, topic, group,
/// then source and destination zone ranked by name).
#[derive(Debug, Clone, PartialEq)]
pub struct FinanceRows {
    /// The flow cells, in report order; their keys index the names below.
    pub(super) cells: Vec<(FlowKey, f64)>,
    /// Topic names, sorted.
    pub(super) topics: Vec<String>,
    /// Group ids, sorted.
    pub(super) groups: Vec<String>,
    /// Every zone's name by [`ZoneId`], then the unknown zone's.
    pub(super) zones: Vec<String>,
    pub(super) money: Money,
    /// Whether replication is billed (self-managed Kafka; MSK does not bill it).
    pub(super) replication_billed: bool,
}

impl FinanceRows {
    /// How many rows.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether there are none (nothing crosses zones).
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The rows, in report order.
    pub fn iter(&self) -> Rows<'_> {
        Rows {
            of: self,
            cells: self.cells.iter(),
        }
    }

    /// The rows of one scenario and kind, in report order, made only for
    /// those cells (a finding reading the produce rows skips the million
    /// consume cells without making a row of each).
    pub fn of(&self, scenario: Scenario, traffic: Traffic) -> impl Iterator<Item = FlowRow<'_>> {
        self.cells
            .iter()
            .filter(move |(k, _)| k.scenario == scenario && k.traffic == traffic)
            .map(|(k, bytes)| self.row(k, *bytes))
    }

    fn zone(&self, z: ZoneId) -> &str {
        let unknown = self.zones.len() - 1;
        &self.zones[usize::from(z).min(unknown)]
    }

    fn row(&self, key: &FlowKey, bytes: f64) -> FlowRow<'_> {
        let billed = key.traffic != Traffic::Replication || self.replication_billed;
        let usd = if billed { self.money.usd(bytes) } else { 0.0 };
        FlowRow {
            scenario: key.scenario,
            traffic: key.traffic,
            topic: &self.topics[key.topic as usize],
            consumer_group: (key.group != NO_GROUP)
                .then(|| self.groups[key.group as usize].as_str()),
            src_zone: self.zone(key.src),
            dst_zone: self.zone(key.dst),
            bytes,
            billed,
            usd,
            monthly_usd: usd * self.money.month_factor,
        }
    }
}

/// The rows of [`FinanceRows::iter`].
#[derive(Debug, Clone)]
pub struct Rows<'a> {
    of: &'a FinanceRows,
    cells: std::slice::Iter<'a, (FlowKey, f64)>,
}

impl<'a> Iterator for Rows<'a> {
    type Item = FlowRow<'a>;

    fn next(&mut self) -> Option<FlowRow<'a>> {
        self.cells.next().map(|(k, bytes)| self.of.row(k, *bytes))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.cells.size_hint()
    }
}

impl ExactSizeIterator for Rows<'_> {}

impl<'a> IntoIterator for &'a FinanceRows {
    type Item = FlowRow<'a>;
    type IntoIter = Rows<'a>;

    fn into_iter(self) -> Rows<'a> {
        self.iter()
    }
}
