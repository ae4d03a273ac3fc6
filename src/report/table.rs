//! The human-readable audit: a terminal table (comfy-table) or the same
//! content as Markdown for a ticket or wiki.
//!
//! Both styles share one layout so they never drift apart; only the table
//! preset and the way headings and lists are written differ.

use super::json::{NOT_COVERED, WARNING_EXAMPLES};
use crate::findings::Findings;
use crate::model::cost::Analysis;
use crate::model::{Scenario, Traffic};
use crate::numbers::{count, duration, gb, usd};
use comfy_table::presets::{ASCII_MARKDOWN, UTF8_FULL_CONDENSED};
use comfy_table::{CellAlignment, ContentArrangement, Table};
use std::fmt::Write;

/// Terminal table or Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Box-drawn tables for a terminal.
    Terminal,
    /// GitHub-flavoured Markdown.
    Markdown,
}

/// How to lay the report out.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Table or Markdown.
    pub style: Style,
    /// Width to fit; `None` lets every table take the width its content needs.
    pub width: Option<u16>,
    /// Rows in the top-topics, top-groups and top-members tables.
    pub top: usize,
}

/// Renders the audit.
pub fn render(a: &Analysis, findings: &Findings, layout: Layout) -> String {
    let mut r = Renderer::new(layout);
    r.header(a);
    r.scenarios(a);
    r.sentences(a);
    r.top_topics(a);
    r.top_groups(a);
    r.top_members(a);
    r.findings(findings);
    r.warnings(a);
    r.zone_matrix(a);
    r.footer(a);
    r.finish()
}

/// A report being written: headings, lines, bullets and tables in the
/// chosen style. The audit and the what-if both write through it.
pub struct Renderer {
    out: String,
    layout: Layout,
}

impl Renderer {
    /// An empty report.
    pub fn new(layout: Layout) -> Self {
        Renderer {
            out: String::new(),
            layout,
        }
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.out
    }

    /// Whether this is Markdown.
    pub fn markdown(&self) -> bool {
        self.layout.style == Style::Markdown
    }

    /// A section heading.
    pub fn heading(&mut self, text: &str) {
        if self.markdown() {
            let _ = writeln!(self.out, "\n## {text}\n");
        } else {
            let _ = writeln!(self.out, "\n{text}");
        }
    }

    /// A line of text, as is.
    pub fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    /// A list item (Markdown-escaped in Markdown).
    pub fn bullet(&mut self, text: &str) {
        if self.markdown() {
            let _ = writeln!(self.out, "- {}", escape_markdown(text));
        } else {
            let _ = writeln!(self.out, "  - {text}");
        }
    }

    /// A table; columns from `numeric_from` on are right-aligned.
    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>, numeric_from: usize) {
        let mut t = Table::new();
        t.load_style(if self.markdown() {
            ASCII_MARKDOWN
        } else {
            UTF8_FULL_CONDENSED
        });
        match self.layout.width.filter(|_| !self.markdown()) {
            Some(w) => {
                t.set_content_arrangement(ContentArrangement::Dynamic);
                t.set_width(w);
            }
            None => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        t.set_header(header.to_vec());
        let markdown = self.markdown();
        for row in rows {
            t.add_row(
                row.into_iter()
                    .map(|c| if markdown { escape_markdown(&c) } else { c }),
            );
        }
        for i in numeric_from..header.len() {
            if let Some(col) = t.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        let _ = writeln!(self.out, "{t}");
    }

    /// The title of a report.
    pub fn title(&mut self, title: &str) {
        if self.markdown() {
            let _ = writeln!(self.out, "# {}\n", escape_markdown(title));
        } else {
            self.line(title);
        }
    }

    fn header(&mut self, a: &Analysis) {
        let region = a
            .region
            .as_deref()
            .map(|r| format!(", {r}"))
            .unwrap_or_default();
        let title = format!(
            "azcost audit: cluster {} ({}{region})",
            a.cluster,
            a.platform.as_str()
        );
        self.title(&title);
        self.line(&format!(
            "Window {} to {} ({}); price ${} per GB crossing zones (GB = 2^30 bytes); month = {} h.",
            a.window_start,
            a.window_end,
            duration(a.window_seconds),
            a.price_per_gb,
            a.month_hours
        ));
        let selector = if a.selector_enabled {
            "on (RackAwareReplicaSelector)".to_string()
        } else {
            match a.replica_selector.as_deref() {
                Some(c) if !c.trim().is_empty() => format!("off ({c})"),
                _ => "off (replica.selector.class not set)".to_string(),
            }
        };
        self.line(&format!(
            "Brokers in {} zones ({}); follower fetching: {selector}.",
            a.zones.len(),
            a.zones.join(", ")
        ));
    }

    fn scenarios(&mut self, a: &Analysis) {
        self.heading("Cross-AZ traffic by scenario");
        let s = &a.scenarios;
        let row = |label: &str, f: &dyn Fn(Scenario) -> String| {
            let mut r = vec![label.to_string()];
            r.extend(Scenario::ALL.iter().map(|&sc| f(sc)));
            r
        };
        let replication_label = if a.platform == crate::snapshot::Platform::Msk {
            "replication GB (not billed on MSK)"
        } else {
            "replication GB"
        };
        let rows = vec![
            row("consume GB", &|sc| gb(s.get(sc).consume_cross_az_bytes)),
            row("produce GB", &|sc| gb(s.get(sc).produce_cross_az_bytes)),
            row(replication_label, &|sc| {
                gb(s.get(sc).replication_cross_az_bytes)
            }),
            row("billed GB", &|sc| gb(s.get(sc).billed_cross_az_bytes)),
            row("USD in window", &|sc| usd(s.get(sc).cost_usd)),
            row("USD per month", &|sc| usd(s.get(sc).monthly_cost_usd)),
        ];
        self.table(&["", "leader_only", "current", "rack_aware"], rows, 1);
    }

    fn sentences(&mut self, a: &Analysis) {
        let s = &a.scenarios;
        self.line("");
        self.line(&format!(
            "Savings: fully rack-aware fetching costs {} per month less than leader-only fetching ({} vs {}).",
            usd(a.savings.monthly_usd_rack_aware_vs_leader_only),
            usd(s.rack_aware.monthly_cost_usd),
            usd(s.leader_only.monthly_cost_usd)
        ));
        self.line(&format!(
            "Opportunity: {} per month is still to be had over the current setup ({} now, {} fully rack-aware).",
            usd(a.savings.monthly_usd_rack_aware_vs_current),
            usd(s.current.monthly_cost_usd),
            usd(s.rack_aware.monthly_cost_usd)
        ));
    }

    fn top_topics(&mut self, a: &Analysis) {
        let top = self.layout.top;
        self.heading(&format!(
            "Top {} topics by monthly USD (current)",
            top.min(a.by_topic.len())
        ));
        let rows = a
            .by_topic
            .iter()
            .take(top)
            .map(|t| {
                let cur = &t.scenarios.current;
                vec![
                    t.topic.clone(),
                    gb(cur.produce_bytes),
                    gb(cur.replication_bytes),
                    gb(cur.consume_bytes),
                    usd(t.scenarios.leader_only.monthly_usd),
                    usd(cur.monthly_usd),
                    usd(t.scenarios.rack_aware.monthly_usd),
                ]
            })
            .collect();
        self.table(
            &[
                "topic",
                "produce GB",
                "replication GB",
                "consume GB (current)",
                "leader_only $/mo",
                "current $/mo",
                "rack_aware $/mo",
            ],
            rows,
            1,
        );
    }

    /// The zone matrix of the current scenario, consume and produce: GB
    /// leaving each zone (rows) for each zone (columns).
    fn zone_matrix(&mut self, a: &Analysis) {
        use crate::model::{Scenario, Traffic};
        let m = crate::model::matrix::ZoneMatrix::from_pairs(&a.by_zone_pair);
        if m.zones.is_empty() {
            return;
        }
        for (kind, name) in [(Traffic::Consume, "consume"), (Traffic::Produce, "produce")] {
            self.heading(&format!(
                "Zone matrix, {name} GB (current): from row zone to column zone"
            ));
            let rows = m
                .zones
                .iter()
                .zip(m.get(Scenario::Current, kind))
                .map(|(zone, cells)| {
                    std::iter::once(zone.clone())
                        .chain(cells.iter().map(|&b| gb(b)))
                        .collect()
                })
                .collect();
            let mut header = vec!["from / to"];
            header.extend(m.zones.iter().map(String::as_str));
            self.table(&header, rows, 1);
        }
    }

    fn top_groups(&mut self, a: &Analysis) {
        let top = self.layout.top;
        self.heading(&format!(
            "Top {} consumer groups by monthly USD (current)",
            top.min(a.by_group.len())
        ));
        let rows = a
            .by_group
            .iter()
            .take(top)
            .map(|g| {
                vec![
                    g.group.clone(),
                    gb(g.bytes_read),
                    gb(g.scenarios.current.bytes),
                    usd(g.scenarios.leader_only.monthly_usd),
                    usd(g.scenarios.current.monthly_usd),
                    usd(g.scenarios.rack_aware.monthly_usd),
                ]
            })
            .collect();
        self.table(
            &[
                "consumer group",
                "GB read",
                "GB crossing (current)",
                "leader_only $/mo",
                "current $/mo",
                "rack_aware $/mo",
            ],
            rows,
            1,
        );
    }

    fn top_members(&mut self, a: &Analysis) {
        let top = self.layout.top;
        let members: Vec<_> = a
            .by_member
            .iter()
            .filter(|m| m.scenarios.current.monthly_usd > 0.0)
            .take(top)
            .collect();
        if members.is_empty() {
            return;
        }
        self.heading(&format!(
            "Top {} members by monthly USD (current)",
            members.len()
        ));
        let rows = members
            .iter()
            .map(|m| {
                vec![
                    m.group.clone(),
                    m.member_id
                        .clone()
                        .or_else(|| m.client_id.clone())
                        .unwrap_or_else(|| "(no live member)".to_string()),
                    m.client_rack.clone().unwrap_or_else(|| "-".to_string()),
                    m.zone.clone(),
                    usd(m.scenarios.current.monthly_usd),
                    usd(m.scenarios.rack_aware.monthly_usd),
                ]
            })
            .collect();
        self.table(
            &[
                "group",
                "member",
                "client.rack",
                "zone",
                "current $/mo",
                "rack_aware $/mo",
            ],
            rows,
            4,
        );
    }

    /// Findings by kind, then the biggest single findings: on a big
    /// cluster thousands of findings would bury the few that matter
    /// (issue 16); the full list is in the JSON and the CSV files.
    fn findings(&mut self, found: &Findings) {
        let items = &found.items;
        self.heading(&format!(
            "Findings ({}) in {}, by monthly USD",
            count(items.len()),
            plural(found.by_kind.len(), "kind")
        ));
        if items.is_empty() {
            self.line("None: no setting to change was found.");
            return;
        }
        self.table(&KIND_HEADER, kind_rows(found), 4);
        self.line(
            "Each kind is priced by the model as one combined change (an object two findings share counts once). Kinds overlap each other (several fixes may remove the same bytes), so together they cannot exceed the opportunity above plus the producer and placement fixes.",
        );
        let shown = &items[..items.len().min(self.layout.top)];
        self.heading(&if shown.len() < items.len() {
            format!(
                "Top {} of {} findings by monthly USD",
                shown.len(),
                count(items.len())
            )
        } else {
            format!("Every finding ({}) by monthly USD", items.len())
        });
        let rows = shown
            .iter()
            .map(|f| {
                vec![
                    f.severity.as_str().to_string(),
                    f.id.clone(),
                    f.title.clone(),
                    usd(f.monthly_usd),
                ]
            })
            .collect();
        self.table(&["severity", "finding", "what", "saves $/mo"], rows, 3);
        self.heading("What to change");
        for f in shown {
            self.bullet(&format!("{}: {} Trade-off: {}", f.id, f.fix, f.tradeoff));
        }
        if shown.len() < items.len() {
            self.line("");
            self.line(&format!(
                "{} more findings (a --top above {} shows more). The full list: `azcost audit --format json` (key `findings`), `--format csv -o FILE` (FILE.findings.csv), or findings.csv in a report bundle.",
                count(items.len() - shown.len()),
                self.layout.top
            ));
        }
    }

    /// Warnings by kind: a kind with a few warnings lists them, a kind with
    /// many says how many, what share of bytes they touch, and a few
    /// examples. Every sentence stays in the JSON and the bundle.
    fn warnings(&mut self, a: &Analysis) {
        self.heading(&format!(
            "Warnings ({}){}",
            count(a.warnings.len()),
            if a.warnings_by_kind.len() > 1 {
                format!(" in {} kinds", a.warnings_by_kind.len())
            } else {
                String::new()
            }
        ));
        if a.warnings.is_empty() {
            self.line("None.");
        }
        for g in &a.warnings_by_kind {
            let text = |i: &usize| a.warnings.get(*i).map(String::as_str).unwrap_or("");
            if g.indices.len() <= WARNING_EXAMPLES {
                for i in &g.indices {
                    self.bullet(text(i));
                }
                continue;
            }
            let share = match g.share {
                Some(v) => format!(", touching {:.1}% {}", v * 100.0, g.basis.as_str()),
                None => String::new(),
            };
            let examples: Vec<&str> = g.indices.iter().take(WARNING_EXAMPLES).map(text).collect();
            self.bullet(&format!(
                "{} × {}{share}; e.g. {}",
                count(g.indices.len()),
                g.kind.as_str(),
                examples.join(" / ")
            ));
        }
        if a.warnings_by_kind
            .iter()
            .any(|g| g.indices.len() > WARNING_EXAMPLES)
        {
            self.line(
                "Every warning: `azcost audit --format json` (key `warnings`), or warnings.csv in a report bundle.",
            );
        }
    }

    fn footer(&mut self, a: &Analysis) {
        let c = &a.coverage;
        self.heading("Coverage and limits");
        self.bullet(&format!(
            "{} of {} partitions online; {} of {} GB produced counted.",
            c.partitions - c.partitions_offline,
            c.partitions,
            gb(c.bytes_in_total - c.bytes_in_offline),
            gb(c.bytes_in_total)
        ));
        self.bullet(&format!(
            "{} GB read by consumer groups; {} GB of it by consumers of unknown zone (spread uniformly over the broker zones).",
            gb(c.bytes_read),
            gb(c.bytes_read_unknown_zone)
        ));
        let kinds: Vec<&str> = Traffic::ALL.iter().map(|t| t.as_str()).collect();
        self.bullet(&format!(
            "Counted: {} traffic between zones. Not covered: {}.",
            kinds.join(", "),
            NOT_COVERED.join("; ")
        ));
        for p in &a.provenance {
            self.bullet(&format!("Source: {}: {}", p.source, p.detail));
        }
    }
}

/// The columns of the findings-by-kind table, in every format.
pub const KIND_HEADER: [&str; 6] = [
    "severity",
    "kind",
    "objects",
    "fix",
    "findings",
    "saves $/mo (all)",
];

/// One row per kind of finding, under [`KIND_HEADER`].
pub fn kind_rows(found: &Findings) -> Vec<Vec<String>> {
    found
        .by_kind
        .iter()
        .map(|k| {
            vec![
                k.severity.as_str().to_string(),
                k.kind.clone(),
                k.objects.describe(),
                k.fix.clone(),
                count(k.findings),
                usd(k.monthly_usd),
            ]
        })
        .collect()
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

/// Keeps `|` and friends from breaking a Markdown table or list: names
/// come from the cluster and may hold anything. `<` and `>` are escaped so
/// a renderer never takes text for an HTML tag, and a line break (which
/// would end a table row) becomes a space; the exact names are in
/// audit.json and breakdowns.parquet.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '*' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
