//! The self-contained HTML summary of a report bundle: inline CSS and
//! inline SVG charts, no script, nothing fetched, so it opens the same from
//! a file share, an email attachment or S3.

use super::chart;
use crate::findings::Findings;
use crate::model::{Analysis, Scenario};
use crate::numbers::{count, duration, gb, usd};
use std::fmt::Write;

/// What the page shows beside the audit.
pub struct Extras<'a> {
    /// Chargeback rows as (owner, cost center, monthly USD per scenario, share of current).
    pub chargeback: &'a [(String, String, [f64; 3], f64)],
    /// One sentence on the change since the previous run, if there was one.
    pub trend: Option<String>,
    /// Rows in the top tables.
    pub top: usize,
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>], numeric_from: usize) {
    out.push_str("<table><thead><tr>");
    for (i, h) in header.iter().enumerate() {
        let class = if i >= numeric_from {
            " class=\"n\""
        } else {
            ""
        };
        let _ = write!(out, "<th{class}>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let class = if i >= numeric_from {
                " class=\"n\""
            } else {
                ""
            };
            let _ = write!(out, "<td{class}>{}</td>", esc(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2329;padding:0 1rem}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f3f5f7}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.lead{font-size:1.05rem}.charts{display:flex;flex-wrap:wrap;gap:1rem}.muted{color:#57606a;font-size:.85rem}";

/// A "why it still crosses" section (header and rows of
/// `placement::why_crosses_rows`), for the bundle to put before `</body>`.
pub fn why_crosses_section(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut o = String::from("<h2 id=\"why-crosses\">Why it still crosses (current)</h2>\n");
    if rows.is_empty() {
        o.push_str("<p>No consume byte crosses zones now.</p>\n");
    } else {
        table(&mut o, header, rows, 1);
    }
    o
}

/// The "reconcile with the AWS bill" section (`azcost reconcile`): the
/// per-day chart, the table, and the gap finding's title if any, for the
/// bundle to put before `</body>`.
pub fn bill_section(
    header: &[&str],
    rows: &[Vec<String>],
    svg: Result<&str, &str>,
    finding: Option<&str>,
) -> String {
    let mut o = String::from("<h2 id=\"bill\">Reconcile with the AWS bill</h2>\n");
    o.push_str("<p class=\"muted\">Regional data transfer (usage line items of the cluster's resources in the CUR) beside the estimate's produce + consume (current; + 2 × replication when self-managed), per UTC day; GB = 2^30 bytes.</p>\n");
    if let Some(f) = finding {
        let _ = writeln!(o, "<p id=\"bill-finding\">{}</p>", esc(f));
    }
    match svg {
        Ok(svg) => {
            o.push_str("<div class=\"charts\">\n");
            o.push_str(svg);
            o.push_str("</div>\n");
        }
        Err(e) => {
            let _ = writeln!(o, "<p>chart not drawn: {}</p>", esc(e));
        }
    }
    table(&mut o, header, rows, 1);
    o
}

/// The page.
pub fn render(a: &Analysis, findings: &Findings, extras: &Extras) -> String {
    let mut o = String::new();
    let title = format!("azcost: {} cross-AZ cost", a.cluster);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&title)
    );
    let _ = writeln!(o, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        o,
        "<p class=\"muted\">Window {} to {} ({}); platform {}; ${} per GB crossing zones (GB = 2^30 bytes); month = {} h; follower fetching {}.</p>",
        esc(&a.window_start),
        esc(&a.window_end),
        duration(a.window_seconds),
        a.platform.as_str(),
        a.price_per_gb,
        a.month_hours,
        if a.selector_enabled { "on" } else { "off" }
    );
    let _ = writeln!(
        o,
        "<p class=\"lead\" id=\"totals\">Now <b>{}</b> per month; leader-only {}; fully rack-aware {}. Rack awareness saves <b>{}</b> per month against leader-only fetching; <b>{}</b> per month is still to be had over the current setup.</p>",
        usd(a.scenarios.current.monthly_cost_usd),
        usd(a.scenarios.leader_only.monthly_cost_usd),
        usd(a.scenarios.rack_aware.monthly_cost_usd),
        usd(a.savings.monthly_usd_rack_aware_vs_leader_only),
        usd(a.savings.monthly_usd_rack_aware_vs_current)
    );
    if let Some(trend) = &extras.trend {
        let _ = writeln!(o, "<p id=\"trend\">{}</p>", esc(trend));
    }
    o.push_str("<h2>Scenarios</h2>\n");
    let row = |label: &str, f: &dyn Fn(Scenario) -> String| {
        let mut r = vec![label.to_string()];
        r.extend(Scenario::ALL.iter().map(|&s| f(s)));
        r
    };
    let s = &a.scenarios;
    table(
        &mut o,
        &["", "leader_only", "current", "rack_aware"],
        &[
            row("consume GB", &|x| gb(s.get(x).consume_cross_az_bytes)),
            row("produce GB", &|x| gb(s.get(x).produce_cross_az_bytes)),
            row("replication GB", &|x| {
                gb(s.get(x).replication_cross_az_bytes)
            }),
            row("billed GB", &|x| gb(s.get(x).billed_cross_az_bytes)),
            row("USD in window", &|x| usd(s.get(x).cost_usd)),
            row("USD per month", &|x| usd(s.get(x).monthly_cost_usd)),
        ],
        1,
    );
    o.push_str("<div class=\"charts\" id=\"charts\">\n");
    for svg in [
        chart::scenarios(a),
        chart::top_topics(a, extras.top),
        chart::zone_matrix(a, crate::model::Traffic::Consume),
        chart::zone_matrix(a, crate::model::Traffic::Produce),
    ] {
        match svg {
            Ok(svg) => o.push_str(&svg),
            Err(e) => {
                let _ = write!(o, "<p>chart not drawn: {}</p>", esc(&e));
            }
        }
    }
    o.push_str("</div>\n<h2>Top topics</h2>\n");
    let topics: Vec<Vec<String>> = a
        .by_topic
        .iter()
        .take(extras.top)
        .map(|t| {
            let mut r = vec![t.topic.clone()];
            r.extend(
                Scenario::ALL
                    .iter()
                    .map(|&x| usd(t.scenarios.get(x).monthly_usd)),
            );
            r
        })
        .collect();
    table(
        &mut o,
        &[
            "topic",
            "leader_only $/mo",
            "current $/mo",
            "rack_aware $/mo",
        ],
        &topics,
        1,
    );
    o.push_str("<h2>Top consumer groups</h2>\n");
    let groups: Vec<Vec<String>> = a
        .by_group
        .iter()
        .take(extras.top)
        .map(|g| {
            let mut r = vec![g.group.clone(), gb(g.bytes_read)];
            r.extend(
                Scenario::ALL
                    .iter()
                    .map(|&x| usd(g.scenarios.get(x).monthly_usd)),
            );
            r
        })
        .collect();
    table(
        &mut o,
        &[
            "consumer group",
            "GB read",
            "leader_only $/mo",
            "current $/mo",
            "rack_aware $/mo",
        ],
        &groups,
        1,
    );
    if !extras.chargeback.is_empty() {
        o.push_str("<h2>Chargeback</h2>\n");
        let rows: Vec<Vec<String>> = extras
            .chargeback
            .iter()
            .map(|(owner, cc, per, share)| {
                let mut r = vec![owner.clone(), cc.clone()];
                r.extend(per.iter().map(|v| usd(*v)));
                r.push(format!("{:.1}%", share * 100.0));
                r
            })
            .collect();
        table(
            &mut o,
            &[
                "owner",
                "cost center",
                "leader_only $/mo",
                "current $/mo",
                "rack_aware $/mo",
                "share (current)",
            ],
            &rows,
            2,
        );
    }
    findings_section(&mut o, findings, extras.top);
    warnings_section(&mut o, a);
    o.push_str("<p class=\"muted\">Not covered: ");
    o.push_str(&esc(&super::json::NOT_COVERED.join("; ")));
    o.push_str(".</p>\n</body></html>\n");
    o
}

/// Findings by kind, then the `top` biggest single findings; the full list
/// is in the bundle's findings.csv (issue 16: a page of 7,000 rows helps
/// nobody and opens slowly).
fn findings_section(o: &mut String, found: &Findings, top: usize) {
    let items = &found.items;
    let _ = writeln!(
        o,
        "<h2 id=\"findings\">Findings ({}) in {} kinds</h2>",
        count(items.len()),
        found.by_kind.len()
    );
    if items.is_empty() {
        o.push_str("<p>None: no setting to change was found.</p>\n");
        return;
    }
    table(
        o,
        &super::table::KIND_HEADER,
        &super::table::kind_rows(found),
        4,
    );
    o.push_str("<p class=\"muted\">Each kind is priced by the model as one combined change (an object two findings share counts once); kinds overlap each other.</p>\n");
    let shown = &items[..items.len().min(top)];
    let _ = writeln!(
        o,
        "<h3>{}</h3>",
        if shown.len() < items.len() {
            format!(
                "Top {} of {} findings by monthly USD",
                shown.len(),
                count(items.len())
            )
        } else {
            format!("Every finding ({})", items.len())
        }
    );
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|f| {
            vec![
                f.severity.as_str().to_string(),
                f.id.clone(),
                f.title.clone(),
                f.fix.clone(),
                f.tradeoff.clone(),
                usd(f.monthly_usd),
            ]
        })
        .collect();
    table(
        o,
        &[
            "severity",
            "finding",
            "what",
            "fix",
            "trade-off",
            "saves $/mo",
        ],
        &rows,
        5,
    );
    if shown.len() < items.len() {
        let _ = writeln!(
            o,
            "<p>{} more findings: every one is in this bundle's <a href=\"findings.csv\">findings.csv</a> and audit.json.</p>",
            count(items.len() - shown.len())
        );
    }
}

/// Warnings by kind: a few listed in full, many summarised with a share
/// and examples; every one is in warnings.csv.
fn warnings_section(o: &mut String, a: &Analysis) {
    let _ = writeln!(
        o,
        "<h2 id=\"warnings\">Warnings ({})</h2><ul>",
        count(a.warnings.len())
    );
    let mut summarised = false;
    for g in &a.warnings_by_kind {
        let text = |i: &usize| a.warnings.get(*i).map(String::as_str).unwrap_or("");
        if g.indices.len() <= super::json::WARNING_EXAMPLES {
            for i in &g.indices {
                let _ = writeln!(o, "<li>{}</li>", esc(text(i)));
            }
            continue;
        }
        summarised = true;
        let share = match g.share {
            Some(v) => format!(", touching {:.1}% {}", v * 100.0, g.basis.as_str()),
            None => String::new(),
        };
        let _ = write!(
            o,
            "<li><b>{} × {}</b>{}; for example:<ul>",
            count(g.indices.len()),
            esc(g.kind.as_str()),
            esc(&share)
        );
        for i in g.indices.iter().take(super::json::WARNING_EXAMPLES) {
            let _ = write!(o, "<li>{}</li>", esc(text(i)));
        }
        o.push_str("</ul></li>\n");
    }
    o.push_str("</ul>\n");
    if summarised {
        o.push_str("<p>Every warning is in this bundle's <a href=\"warnings.csv\">warnings.csv</a> and audit.json.</p>\n");
    }
}
