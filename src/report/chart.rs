//! Charts for the HTML summary, drawn by plotters into inline SVG strings
//! so the page needs no file, script or network beside it.

use crate::model::{Analysis, Scenario};
use plotters::prelude::*;

const BAR: RGBColor = RGBColor(0x2f, 0x6f, 0xb3);

/// Horizontal bars: one per (label, value), largest first as given.
fn bars(title: &str, items: &[(String, f64)], x_label: &str) -> Result<String, String> {
    let mut svg = String::new();
    let height = 70 + 34 * items.len().max(1) as u32;
    {
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = items.iter().map(|(_, v)| *v).fold(0.0f64, f64::max);
        let top = if max > 0.0 { max * 1.15 } else { 1.0 };
        let n = items.len().max(1) as u32;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(170)
            .build_cartesian_2d(0f64..top, (0u32..n).into_segmented())
            .map_err(|e| e.to_string())?;
        let labels: Vec<String> = items.iter().map(|(l, _)| l.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_label)
            .y_labels(items.len().max(1))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_label_formatter(&|v| format!("${v:.0}"))
            .draw()
            .map_err(|e| e.to_string())?;
        // One rectangle per item, drawn in the items' order. (plotters'
        // `Histogram` sums its data in a HashMap and so draws the same bars
        // in a different order on every run: a summary must be
        // byte-identical for the same input.)
        let segment = |i: usize| {
            if i < items.len() {
                SegmentValue::Exact(i as u32)
            } else {
                SegmentValue::Last
            }
        };
        chart
            .draw_series(items.iter().enumerate().map(|(i, (_, v))| {
                let mut bar =
                    Rectangle::new([(*v, segment(i)), (0.0, segment(i + 1))], BAR.filled());
                bar.set_margin(6, 6, 0, 0);
                bar
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

const BILLED: RGBColor = RGBColor(0xd4, 0x7a, 0x1f);

/// Estimated vs billed GB per day (`azcost reconcile`): two bars per
/// `(day, expected GB, billed GB)`, the estimate in blue, the bill in orange.
pub fn bill_days(days: &[(String, f64, f64)]) -> Result<String, String> {
    let mut svg = String::new();
    let n = days.len().max(1);
    let width = (120 + 46 * n).clamp(480, 1080) as u32;
    {
        let root = SVGBackend::with_string(&mut svg, (width, 340)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = days
            .iter()
            .map(|(_, e, b)| e.max(*b))
            .fold(0.0f64, f64::max);
        let top = if max > 0.0 { max * 1.15 } else { 1.0 };
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Regional data transfer per day: estimated (blue) vs billed (orange)",
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
            .map_err(|e| e.to_string())?;
        let label = |v: &f64| -> String {
            let i = (v - 0.5).round();
            if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
                days.get(i as usize)
                    .map(|(d, ..)| d.get(5..).unwrap_or(d).to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&label)
            .y_desc("GB (2^30 bytes)")
            .draw()
            .map_err(|e| e.to_string())?;
        let bar = |i: usize, lo: f64, hi: f64, v: f64, color: RGBColor| {
            Rectangle::new([(i as f64 + lo, 0.0), (i as f64 + hi, v)], color.filled())
        };
        chart
            .draw_series(
                days.iter()
                    .enumerate()
                    .map(|(i, (_, e, _))| bar(i, 0.1, 0.48, *e, BAR)),
            )
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(
                days.iter()
                    .enumerate()
                    .map(|(i, (_, _, b))| bar(i, 0.52, 0.9, *b, BILLED)),
            )
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Monthly USD of the three scenarios.
pub fn scenarios(a: &Analysis) -> Result<String, String> {
    let items: Vec<(String, f64)> = Scenario::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), a.scenarios.get(*s).monthly_cost_usd))
        .collect();
    bars("Monthly USD by scenario", &items, "USD per month")
}

/// Monthly USD (current) of the top topics.
pub fn top_topics(a: &Analysis, top: usize) -> Result<String, String> {
    let items: Vec<(String, f64)> = a
        .by_topic
        .iter()
        .take(top)
        .map(|t| (t.topic.clone(), t.scenarios.current.monthly_usd))
        .collect();
    bars("Monthly USD by topic (current)", &items, "USD per month")
}

/// A heat map of the zone matrix of the current scenario for one traffic
/// kind: GB from each zone (rows) to each zone (columns), darker for more.
pub fn zone_matrix(a: &Analysis, traffic: crate::model::Traffic) -> Result<String, String> {
    let m = crate::model::matrix::ZoneMatrix::from_pairs(&a.by_zone_pair);
    let cells = m.get(Scenario::Current, traffic);
    let n = m.zones.len().max(1) as i32;
    let (label_w, top_h, cell_w, cell_h) = (110i32, 70i32, 100i32, 40i32);
    let (w, h) = (label_w + cell_w * n + 10, top_h + cell_h * n + 10);
    let max = cells.iter().flatten().copied().fold(0.0f64, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w as u32, h as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let err = |e: DrawingAreaErrorKind<_>| e.to_string();
        let title = format!(
            "{} GB crossing zones (current): from row to column",
            traffic.as_str()
        );
        root.draw(&Text::new(title, (10, 8), ("sans-serif", 16)))
            .map_err(err)?;
        let text = ("sans-serif", 13);
        for (i, zone) in m.zones.iter().enumerate() {
            let i = i as i32;
            root.draw(&Text::new(
                zone.clone(),
                (label_w + i * cell_w + 6, top_h - 22),
                text,
            ))
            .map_err(err)?;
            root.draw(&Text::new(zone.clone(), (6, top_h + i * cell_h + 12), text))
                .map_err(err)?;
        }
        for (r, row) in cells.iter().enumerate() {
            for (c, &bytes) in row.iter().enumerate() {
                let share = if max > 0.0 { bytes / max } else { 0.0 };
                // White for nothing, the bar blue for the largest cell.
                let mix = |full: u8| (255.0 - (255.0 - f64::from(full)) * share).round() as u8;
                let fill = RGBColor(mix(BAR.0), mix(BAR.1), mix(BAR.2));
                let (x, y) = (label_w + c as i32 * cell_w, top_h + r as i32 * cell_h);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell_w - 2, y + cell_h - 2)],
                    fill.filled(),
                ))
                .map_err(err)?;
                let ink = if share > 0.5 { WHITE } else { BLACK };
                let gb = bytes / crate::model::BYTES_PER_GB;
                root.draw(&Text::new(
                    format!("{gb:.2}"),
                    (x + 8, y + 12),
                    text.into_font().color(&ink),
                ))
                .map_err(err)?;
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
