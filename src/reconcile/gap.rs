//! The finding when the estimate explains less than 90% or more than 110%
//! of the billed regional usage: how big the gap is, the likely causes the
//! snapshot can tell, and what to collect to close it. Worded and graded
//! like the audit's findings (`findings.rs`): the severity follows the
//! unexplained dollars projected to a month.

use super::daily::Reconciliation;
use crate::findings::{Finding, Objects, Severity};
use crate::numbers::{thousands, usd};
use crate::snapshot::Platform;

/// Below this share the estimate misses part of the bill.
pub const LOW: f64 = 0.9;
/// Above this share the estimate is larger than the bill.
pub const HIGH: f64 = 1.1;

/// The gap finding, if the total share is below [`LOW`] or above [`HIGH`].
pub fn finding(r: &Reconciliation, month_hours: f64) -> Option<Finding> {
    let explained = r.total.explained?;
    if (LOW..=HIGH).contains(&explained) {
        return None;
    }
    let e = &r.estimate;
    let covered = r.total.window_seconds.max(1.0);
    // The bill covers whole days; its dollars per month follow them.
    let billed_seconds = r.days.len() as f64 * 86_400.0;
    let monthly_gap = r.total.unexplained_usd.abs() * month_hours * 3600.0 / billed_seconds;
    let under = explained < LOW;
    let title = format!(
        "The estimate explains {}% of the bill's regional data transfer for {} ({} GB expected, {} GB billed: {} GB and {} {})",
        thousands(explained * 100.0, 0),
        e.cluster,
        thousands(r.total.expected_gb, 2),
        thousands(r.total.billed_gb, 2),
        thousands(r.total.unexplained_gb.abs(), 2),
        usd(r.total.unexplained_usd.abs()),
        if under {
            "unexplained"
        } else {
            "above the bill"
        },
    );
    let mut causes: Vec<String> = Vec::new();
    let mut collect: Vec<String> = Vec::new();
    if !r.days_without_cur.is_empty() {
        causes.push(format!(
            "the CUR files have no regional data transfer on {} of the window's {} days ({})",
            r.days_without_cur.len(),
            r.days.len(),
            r.days_without_cur.join(", ")
        ));
        collect.push(
            "the CUR files of every day of the window (both months when it spans two)".into(),
        );
    }
    let start_whole = e.start.as_second() % 86_400 == 0;
    let end_whole = e.end.as_second() % 86_400 == 0;
    if !(start_whole && end_whole) || covered < billed_seconds {
        causes.push(format!(
            "the snapshot's window ({} to {}) is not whole UTC days, while the bill counts whole days: {} of the {} billed hours are outside the window",
            e.start,
            e.end,
            thousands((billed_seconds - covered) / 3600.0, 1),
            thousands(billed_seconds / 3600.0, 0)
        ));
        collect.push("a snapshot whose window is whole UTC days (`collect msk --start YYYY-MM-DDT00:00:00Z --end …`)".into());
    }
    if under {
        causes.push(
            "clients the snapshot does not see read or write through the cluster: Kafka Connect workers, MirrorMaker 2 or other replicators, Lambda event source mappings, consumers in other accounts or VPCs".into(),
        );
        collect.push("their consumer groups (a longer --kafka-window catches short-lived ones; --group must not filter them out)".into());
    }
    if e.members_unknown_zone > 0 {
        let share = if e.bytes_read > 0.0 {
            format!(
                ", {}% of the bytes read",
                thousands(100.0 * e.bytes_read_unknown_zone / e.bytes_read, 0)
            )
        } else {
            String::new()
        };
        causes.push(format!(
            "{} consumer member(s) of unknown zone{share}: their reads were spread uniformly over the zones",
            e.members_unknown_zone
        ));
        collect.push(
            "the consumers' zones (--zone-map CIDR=ZONE, or client.rack on the clients)".into(),
        );
    }
    if e.sizes_estimated {
        causes.push("stored batch sizes were estimated from uncompressed record sizes (provenance), which overstates compressed topics".into());
        collect.push("measured batch sizes (let the collector sample the partitions: --sample-partitions, --sample-records)".into());
    }
    if e.collection_warnings > 0 {
        causes.push(format!(
            "the collector reported {} warnings of what it could not see (the audit's warnings)",
            e.collection_warnings
        ));
    }
    let msk_products = r.resources.iter().all(|x| x.product == "AmazonMSK");
    if e.platform == Platform::SelfManaged && msk_products && !r.resources.is_empty() {
        causes.push("the platform is self-managed but every matched line is AmazonMSK, which does not bill replication: try --platform msk".into());
    }
    if e.platform == Platform::Msk && !msk_products {
        causes.push("the platform is msk but some matched lines are not AmazonMSK (EC2 instances or ENIs): if the brokers are self-managed, replication is billed too (--platform self-managed)".into());
    }
    let fix = format!(
        "Likely causes: {}. To close the gap, collect {}.",
        causes.join("; "),
        if collect.is_empty() {
            "a snapshot over the same days as the CUR files".to_string()
        } else {
            collect.join("; ")
        }
    );
    Some(Finding {
        id: format!("bill-gap/{}", e.cluster),
        severity: Severity::for_money(monthly_gap),
        title,
        objects: Objects::default(),
        monthly_usd: 0.0,
        fix,
        tradeoff: "None: the collectors only read.".into(),
    })
}
