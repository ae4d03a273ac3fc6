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
        chart
            .draw_series(
                Histogram::horizontal(&chart)
                    .style(BAR.filled())
                    .margin(6)
                    .data(items.iter().enumerate().map(|(i, (_, v))| (i as u32, *v))),
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
