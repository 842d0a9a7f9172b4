//! The timeline plot (`simulation.md` section 5) as SVG, drawn with `plotters` and no
//! system font library: the SVG backend writes text as `<text>` elements in a generic
//! `sans-serif` family for the viewer to render, and lays labels out with plotters' own
//! size estimate.
//!
//! Two panels on one time axis: tasks (active, running) above; nodes (in the pool,
//! usable) and targets (effective, and the raw target where a cap held it back) below,
//! with every evaluation marked under the nodes (failed evaluations in red). With two
//! runs (`--compare`), both are drawn in their own colours, the second dashed.

use batchscale::Timestamp;
use batchscale::time::TICKS_PER_HOUR;
use plotters::prelude::*;

use crate::sim::PlotData;

/// A line of the nodes panel: palette index, legend text, value, stroke width.
type Line = (usize, &'static str, fn(&crate::sim::PlotPoint) -> f64, u32);

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 760;

/// The colours of a run: (active, running, nodes, usable, target, raw target).
fn palette(run: usize) -> [RGBColor; 6] {
    if run == 0 {
        [
            RGBColor(214, 96, 77),   // active: brick
            RGBColor(67, 147, 195),  // running: blue
            RGBColor(33, 102, 172),  // nodes: dark blue
            RGBColor(90, 174, 97),   // usable: green
            RGBColor(118, 42, 131),  // target: purple
            RGBColor(194, 165, 207), // raw target: light purple
        ]
    } else {
        [
            RGBColor(244, 165, 130),
            RGBColor(146, 197, 222),
            RGBColor(230, 97, 1),
            RGBColor(166, 217, 106),
            RGBColor(140, 81, 10),
            RGBColor(223, 194, 125),
        ]
    }
}

/// The time axis: x is measured in `unit` hours from `origin`, a whole multiple of the
/// unit (UTC), so that plotters' round key points fall on whole hours or days.
#[derive(Clone, Copy)]
struct Axis {
    origin: i64,
    unit: i64,
}

impl Axis {
    fn new(start: Timestamp, span_hours: f64) -> Axis {
        let unit_hours = [1i64, 2, 3, 6, 12, 24, 48, 168, 336, 672]
            .into_iter()
            .find(|s| span_hours / *s as f64 <= 10.0)
            .unwrap_or(24 * 56);
        let unit = unit_hours * TICKS_PER_HOUR;
        Axis {
            origin: start.ticks().div_euclid(unit) * unit,
            unit,
        }
    }

    fn x(&self, t: Timestamp) -> f64 {
        (t.ticks() - self.origin) as f64 / self.unit as f64
    }

    /// A label for `x`: `Mon 06 09:00` (UTC).
    fn label(&self, x: f64) -> String {
        let ticks = self.origin + (x * self.unit as f64).round() as i64;
        let Some(t) = Timestamp::from_ticks(ticks) else {
            return String::new();
        };
        let f = t.fields();
        let day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][f.weekday as usize % 7];
        format!("{day} {:02} {:02}:{:02}", f.day, f.hour, f.minute)
    }
}

fn hours_since(start: Timestamp, t: Timestamp) -> f64 {
    t.since(start).ticks() as f64 / TICKS_PER_HOUR as f64
}

/// The timeline of one or more runs as an SVG document. `runs` pairs a name (shown in the
/// legend when there are several) with the run's plot data.
pub fn timeline_svg(title: &str, runs: &[(&str, &PlotData)]) -> String {
    let mut svg = String::new();
    // Drawing into a string cannot fail but for a programming error.
    draw(&mut svg, title, runs).expect("drawing an SVG into a string");
    svg
}

fn draw(
    svg: &mut String,
    title: &str,
    runs: &[(&str, &PlotData)],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 22))?;
    let (top, bottom) = root.split_vertically(HEIGHT * 2 / 5);
    let Some(&(_, first)) = runs.first() else {
        return Ok(());
    };
    let start = first.start;
    let span = runs
        .iter()
        .map(|(_, d)| hours_since(start, d.end))
        .fold(0.0f64, f64::max)
        .max(0.25);
    let max_of = |f: &dyn Fn(&crate::sim::PlotPoint) -> f64| {
        runs.iter()
            .flat_map(|(_, d)| d.points.iter().map(f))
            .fold(0.0f64, f64::max)
    };
    let tasks_max = max_of(&|p| p.active.max(p.running)).max(1.0) * 1.1;
    let nodes_max =
        max_of(&|p| p.nodes.max(p.usable).max(p.target).max(p.raw_target)).max(1.0) * 1.15;
    let several = runs.len() > 1;
    let name = |run: &str, what: &str| {
        if several {
            format!("{run}: {what}")
        } else {
            what.to_string()
        }
    };
    let axis = Axis::new(start, span);
    let label = |x: &f64| axis.label(*x);
    let x_range = axis.x(start)..axis.x(start) + span * TICKS_PER_HOUR as f64 / axis.unit as f64;
    let x_labels = 14;
    let whole = |y: &f64| {
        if *y < 0.0 {
            String::new()
        } else {
            format!("{y:.0}")
        }
    };

    // Tasks.
    let mut chart = ChartBuilder::on(&top)
        .margin(12)
        .margin_right(48)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .caption("Tasks", ("sans-serif", 16))
        .build_cartesian_2d(x_range.clone(), 0.0..tasks_max)?;
    chart
        .configure_mesh()
        .x_labels(x_labels)
        .x_label_formatter(&label)
        .y_label_formatter(&whole)
        .y_desc("tasks")
        .x_desc("time (UTC)")
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (i, (run, data)) in runs.iter().enumerate() {
        let colors = palette(i);
        let points = |f: fn(&crate::sim::PlotPoint) -> f64| {
            data.points
                .iter()
                .map(move |p| (axis.x(p.time), f(p)))
                .collect::<Vec<_>>()
        };
        for (k, what, f) in [
            (
                0,
                "active (queued)",
                (|p: &crate::sim::PlotPoint| p.active) as fn(&_) -> f64,
            ),
            (1, "running", |p| p.running),
        ] {
            let style = colors[k].stroke_width(2);
            let anno = if i == 0 {
                chart.draw_series(LineSeries::new(points(f), style))?
            } else {
                chart.draw_series(DashedLineSeries::new(points(f), 8, 5, style))?
            };
            anno.label(name(run, what)).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colors[k].stroke_width(3))
            });
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font(("sans-serif", 13))
        .draw()?;

    // Nodes and targets, with the evaluations along the bottom.
    let mut chart = ChartBuilder::on(&bottom)
        .margin(12)
        .margin_right(48)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .caption(
            "Nodes and targets (evaluations marked along the bottom; failed in red)",
            ("sans-serif", 16),
        )
        .build_cartesian_2d(x_range.clone(), (-0.06 * nodes_max)..nodes_max)?;
    chart
        .configure_mesh()
        .x_labels(x_labels)
        .x_label_formatter(&label)
        .y_label_formatter(&whole)
        .y_desc("nodes")
        .x_desc("time (UTC)")
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (i, (run, data)) in runs.iter().enumerate() {
        let colors = palette(i);
        let points = |f: fn(&crate::sim::PlotPoint) -> f64| {
            data.points
                .iter()
                .map(move |p| (axis.x(p.time), f(p)))
                .collect::<Vec<_>>()
        };
        let capped = data.points.iter().any(|p| p.raw_target > p.target);
        let mut lines: Vec<Line> = vec![
            (4, "target (effective)", |p| p.target, 2),
            (2, "nodes in the pool", |p| p.nodes, 2),
            (3, "usable nodes", |p| p.usable, 2),
        ];
        if capped {
            lines.insert(0, (5, "target (raw, before caps)", |p| p.raw_target, 3));
        }
        for (k, what, f, width) in lines {
            let style = colors[k].stroke_width(width);
            let anno = if i == 0 {
                chart.draw_series(LineSeries::new(points(f), style))?
            } else {
                chart.draw_series(DashedLineSeries::new(points(f), 8, 5, style))?
            };
            anno.label(name(run, what)).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colors[k].stroke_width(3))
            });
        }
        // Evaluation marks: a short stroke each, one row per run.
        let y0 = -0.06 * nodes_max * (0.25 + 0.4 * i as f64);
        let y1 = y0 - 0.02 * nodes_max;
        let ok = RGBColor(150, 150, 150);
        let failed = RGBColor(215, 25, 28);
        chart.draw_series(data.evaluations.iter().filter(|(_, f)| !f).map(|(t, _)| {
            let x = axis.x(*t);
            PathElement::new(vec![(x, y0), (x, y1)], ok.stroke_width(1))
        }))?;
        let failures =
            chart.draw_series(data.evaluations.iter().filter(|(_, f)| *f).map(|(t, _)| {
                let x = axis.x(*t);
                PathElement::new(vec![(x, y0), (x, y1)], failed.stroke_width(2))
            }))?;
        if i == 0 {
            failures.label("failed evaluation").legend(move |(x, y)| {
                PathElement::new(
                    vec![(x + 10, y - 6), (x + 10, y + 6)],
                    failed.stroke_width(2),
                )
            });
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font(("sans-serif", 13))
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_counts_whole_units_from_a_round_origin() {
        let start = Timestamp::parse_rfc3339("2025-01-06T09:00:49Z").unwrap();
        let axis = Axis::new(start, 5.0 * 24.0);
        assert_eq!(axis.unit, 12 * TICKS_PER_HOUR);
        assert_eq!(axis.label(1.0), "Mon 06 12:00");
        assert_eq!(axis.label(2.0), "Tue 07 00:00");
        let axis = Axis::new(start, 7.0 * 24.0);
        assert_eq!(axis.unit, 24 * TICKS_PER_HOUR);
        assert_eq!(axis.label(1.5), "Tue 07 12:00");
        let axis = Axis::new(start, 3.0);
        assert_eq!(axis.label(1.0), "Mon 06 10:00");
    }
}
