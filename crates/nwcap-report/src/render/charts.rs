//! The charts, drawn as SVG by `plotters` from data that is already
//! aggregated: at most one point per time bin and class, one bar per
//! histogram bin, so a chart's size does not depend on the number of
//! packets or flows.
//!
//! No text in a chart comes off the wire (axis labels, units and times
//! only): names are shown in HTML tables, where the template escapes them.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;

use super::fmt;
use crate::hist::HistData;
use crate::timeline::{Cell, TimelineData};

/// Chart size in pixels (the page scales it to its width).
const W: u32 = 960;
const H: u32 = 300;

/// Colour-blind-safe palettes (Paul Tol's "bright" and "muted" schemes).
pub const PROTOCOL_COLOURS: [RGBColor; 5] = [
    RGBColor(0x44, 0x77, 0xAA),
    RGBColor(0xEE, 0x66, 0x77),
    RGBColor(0x22, 0x88, 0x33),
    RGBColor(0xCC, 0xBB, 0x44),
    RGBColor(0xAA, 0xAA, 0xAA),
];
/// Failed connection states, then "other" (the connections that did not
/// fail) in light grey.
pub const STATE_COLOURS: [RGBColor; 9] = [
    RGBColor(0xCC, 0x66, 0x77),
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0xAA, 0x44, 0x99),
    RGBColor(0xDD, 0xCC, 0x77),
    RGBColor(0x11, 0x77, 0x33),
    RGBColor(0x44, 0xAA, 0x99),
    RGBColor(0x88, 0xCC, 0xEE),
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0xDD, 0xDD, 0xDD),
];
const BAR: RGBColor = RGBColor(0x44, 0x77, 0xAA);

/// CSS colour of a palette entry.
pub fn css(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

fn colour(palette: &[RGBColor], k: usize) -> RGBColor {
    palette[k % palette.len()]
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A linear axis whose grid lines and labels sit at the given values (round
/// UTC times, decades), where plotters would pick round numbers of its own.
struct Ticked {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Ticked {
        let hi = if hi > lo { hi } else { lo + 1.0 };
        Ticked {
            range: lo..hi,
            ticks,
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = (v - self.range.start) / (self.range.end - self.range.start);
        let px = f64::from(limit.1 - limit.0) * t;
        limit.0 + px.clamp(-1e6, 1e6).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Draws into a new SVG document; an error becomes the text the page shows
/// instead of the chart.
fn svg(draw: impl FnOnce(&Area<'_>) -> Result<(), String>) -> Result<String, String> {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(s)
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// What a throughput chart shows per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// Bits per second (wire bytes x 8).
    Bits,
    /// Packets per second.
    Packets,
}

/// The time axis of a timeline: ticks (seconds from the first bin's start)
/// and their labels.
struct TimeAxis {
    start_ns: i64,
    span_s: f64,
    ticks: Vec<f64>,
    step_ns: i64,
    within_day: bool,
}

impl TimeAxis {
    fn of(d: &TimelineData) -> TimeAxis {
        let span_ns = d.width_ns.saturating_mul(d.bins.len().max(1) as i64);
        let end = d.start_ns.saturating_add(span_ns);
        let (ticks, step_ns) = fmt::time_ticks(d.start_ns, end, 9);
        TimeAxis {
            start_ns: d.start_ns,
            span_s: span_ns as f64 / 1e9,
            ticks: ticks
                .iter()
                .map(|t| (t - d.start_ns) as f64 / 1e9)
                .collect(),
            step_ns,
            within_day: fmt::same_day(d.start_ns, end.saturating_sub(1)),
        }
    }

    fn label(&self, x: f64) -> String {
        let ns = self.start_ns.saturating_add((x * 1e9).round() as i64);
        fmt::tick(ns, self.step_ns, self.within_day)
    }

    fn desc(&self) -> String {
        if self.within_day {
            format!("time (UTC), {}", fmt::utc_date(self.start_ns))
        } else {
            "time (UTC)".to_owned()
        }
    }
}

/// Throughput over time, stacked by class (first class at the bottom), as
/// steps: each bin's rate is flat over the bin.
pub fn throughput(d: &TimelineData, rate: Rate) -> Result<String, String> {
    let width_s = d.width_ns as f64 / 1e9;
    let value = |c: &Cell| match rate {
        Rate::Bits => c.bytes as f64 * 8.0 / width_s,
        Rate::Packets => c.count as f64 / width_s,
    };
    let n = d.bins.len();
    let k = d.classes.len();
    // cum[c][i]: the top of class c's band in bin i.
    let mut cum = vec![vec![0f64; n]; k];
    for (i, bin) in d.bins.iter().enumerate() {
        let mut acc = 0.0;
        for (c, cell) in bin.iter().enumerate().take(k) {
            acc += value(cell);
            cum[c][i] = acc;
        }
    }
    let top = cum
        .last()
        .map_or(0.0, |v| v.iter().copied().fold(0.0, f64::max));
    let ymax = if top > 0.0 { top * 1.08 } else { 1.0 };
    let totals = d.totals();
    let axis = TimeAxis::of(d);
    let unit = match rate {
        Rate::Bits => "bit/s",
        Rate::Packets => "pkt/s",
    };
    svg(|root| {
        let mut chart = time_chart(root, &axis, ymax, unit, None)?;
        for c in (0..k).rev() {
            if totals.get(c).is_none_or(|t| t.count == 0) {
                continue;
            }
            let steps = cum[c]
                .iter()
                .enumerate()
                .flat_map(|(i, &v)| [(i as f64 * width_s, v), ((i + 1) as f64 * width_s, v)]);
            chart
                .draw_series(AreaSeries::new(
                    steps,
                    0.0,
                    colour(&PROTOCOL_COLOURS, c).filled(),
                ))
                .map_err(err)?;
        }
        Ok(())
    })
}

/// A chart over a timeline's span, its mesh drawn: UTC time on x, `unit`
/// from 0 to `ymax` on y (the throughput and connection charts).
fn time_chart<'a, 'b>(
    root: &'a Area<'b>,
    axis: &TimeAxis,
    ymax: f64,
    unit: &str,
    y_desc: Option<String>,
) -> Result<
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<Ticked, plotters::coord::types::RangedCoordf64>>,
    String,
> {
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .margin_right(36)
        .x_label_area_size(44)
        .y_label_area_size(84)
        .build_cartesian_2d(
            Ticked::new(0.0, axis.span_s, axis.ticks.clone()),
            0f64..ymax,
        )
        .map_err(err)?;
    let xf = |x: &f64| axis.label(*x);
    let yf = |y: &f64| fmt::si(*y, unit);
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .x_desc(axis.desc())
        .y_labels(6)
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
        .label_style(("sans-serif", 13));
    if let Some(desc) = y_desc {
        mesh.y_desc(desc);
    }
    mesh.draw().map_err(err)?;
    Ok(chart)
}

/// TCP connections by the time they started: failed ones by state at the
/// bottom, the others (light grey) on top.
pub fn connections(d: &TimelineData) -> Result<String, String> {
    let width_s = d.width_ns as f64 / 1e9;
    let top = d
        .bins
        .iter()
        .map(|b| b.iter().map(|c| c.count).sum::<u64>())
        .max()
        .unwrap_or(0);
    let ymax = (top as f64 * 1.08).max(1.0);
    let axis = TimeAxis::of(d);
    svg(|root| {
        let y_desc = format!("connections per {}", fmt::width(d.width_ns));
        let mut chart = time_chart(root, &axis, ymax, "", Some(y_desc))?;
        let mut bars = Vec::new();
        for (i, bin) in d.bins.iter().enumerate() {
            let x0 = i as f64 * width_s;
            let x1 = x0 + width_s * 0.9;
            let mut y = 0.0;
            for (c, cell) in bin.iter().enumerate() {
                if cell.count == 0 {
                    continue;
                }
                let y1 = y + cell.count as f64;
                bars.push(Rectangle::new(
                    [(x0, y), (x1, y1)],
                    colour(&STATE_COLOURS, c).filled(),
                ));
                y = y1;
            }
        }
        chart.draw_series(bars).map_err(err)?;
        Ok(())
    })
}

/// What a histogram counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds, labelled as durations.
    Nanoseconds,
    /// Bytes.
    Bytes,
}

fn decade_label(k: i32, unit: Unit) -> String {
    match unit {
        Unit::Bytes => fmt::si(10f64.powi(k), "B"),
        Unit::Nanoseconds => match k {
            ..=2 => format!("{} ns", 10f64.powi(k)),
            3..=5 => format!("{} µs", 10f64.powi(k - 3)),
            6..=8 => format!("{} ms", 10f64.powi(k - 6)),
            _ => format!("{} s", 10f64.powi(k - 9)),
        },
    }
}

/// A distribution on a logarithmic x axis (one bar per bin), counts on a
/// linear y axis.
pub fn histogram(d: &HistData, unit: Unit, what: &str) -> Result<String, String> {
    let lg = |v: u64| (v.max(1) as f64).log10();
    let (Some(first), Some(last)) = (d.bins.first(), d.bins.last()) else {
        return Err("no values".into());
    };
    let x0 = lg(first.lo).floor();
    let x1 = lg(last.hi).ceil().max(x0 + 1.0);
    let top = d.bins.iter().map(|b| b.count).max().unwrap_or(0);
    let ymax = (top as f64 * 1.08).max(1.0);
    let decades: Vec<f64> = (x0 as i32..=x1 as i32).map(f64::from).collect();
    svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(36)
            .x_label_area_size(44)
            .y_label_area_size(84)
            .build_cartesian_2d(Ticked::new(x0, x1, decades), 0f64..ymax)
            .map_err(err)?;
        let xf = |x: &f64| decade_label(x.round() as i32, unit);
        let yf = |y: &f64| fmt::si(*y, "");
        chart
            .configure_mesh()
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .x_desc(format!("{what} (logarithmic axis)"))
            .y_desc("flows")
            .y_labels(6)
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(d.bins.iter().filter(|b| b.count > 0).map(|b| {
                let (a, z) = (lg(b.lo), lg(b.hi));
                let pad = (z - a) * 0.06;
                Rectangle::new([(a + pad, 0.0), (z - pad, b.count as f64)], BAR.filled())
            }))
            .map_err(err)?;
        Ok(())
    })
}
