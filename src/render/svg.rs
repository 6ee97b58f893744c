//! A small SVG writer for the report's charts: horizontal grouped bars (with optional
//! interval whiskers), stacked bars and a heat map.
//!
//! Output is deterministic (fixed number formatting, input order only) and uses only
//! "Libertinus Serif", a font typst embeds, so no system font is needed.

use std::fmt::Write as _;

use super::escape::xml;

const FONT: &str = "Libertinus Serif";
const WIDTH: f64 = 520.0;
const ROW: f64 = 18.0;
const GAP: f64 = 10.0;
const AXIS_COLOUR: &str = "#444444";
/// Grey for suppressed cells and bars.
const SUPPRESSED: &str = "#d9d9d9";

/// Colours for series, colour-blind-safe (Okabe–Ito).
pub const PALETTE: [&str; 6] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
];

/// One bar: its value, its printed label, an optional interval, and whether it is suppressed.
#[derive(Debug, Clone, Default)]
pub struct Bar {
    /// Value on the axis scale; `None` draws no bar.
    pub value: Option<f64>,
    /// Text printed at the bar end (already formatted).
    pub label: String,
    /// Interval (low, high) drawn as a whisker, on the axis scale.
    pub interval: Option<(f64, f64)>,
    /// Suppressed: drawn as a short hatched stub marked `–`.
    pub suppressed: bool,
}

/// A series of bars, one per category.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// One bar per category, in category order.
    pub bars: Vec<Bar>,
}

/// A horizontal grouped bar chart.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Category labels, top to bottom.
    pub categories: Vec<String>,
    /// Series drawn side by side within each category.
    pub series: Vec<Series>,
    /// Axis maximum (the axis starts at 0); computed from the data when `None`.
    pub max: Option<f64>,
    /// Formats an axis tick.
    pub tick: fn(f64) -> String,
}

/// One stacked bar: segments in legend order.
#[derive(Debug, Clone)]
pub struct Stack {
    /// Label left of the bar.
    pub label: String,
    /// Segment values (same length as the legend); non-positive segments are skipped.
    pub segments: Vec<f64>,
    /// Total printed at the end.
    pub total_label: String,
}

/// A horizontal stacked bar chart.
#[derive(Debug, Clone)]
pub struct StackChart {
    /// Legend entries, one per segment.
    pub legend: Vec<String>,
    /// Bars, top to bottom.
    pub stacks: Vec<Stack>,
    /// Formats an axis tick.
    pub tick: fn(f64) -> String,
}

/// A heat-map cell.
#[derive(Debug, Clone)]
pub struct HeatCell {
    /// Value on the colour scale; `None` for suppressed or missing.
    pub value: Option<f64>,
    /// Text shown in the cell.
    pub label: String,
    /// Suppressed: hatched grey with `–`.
    pub suppressed: bool,
}

/// A rows × columns heat map.
#[derive(Debug, Clone)]
pub struct HeatMap {
    /// Column headings.
    pub columns: Vec<String>,
    /// Row headings.
    pub rows: Vec<String>,
    /// Cells, row-major.
    pub cells: Vec<Vec<HeatCell>>,
    /// Colour scale (low, high).
    pub range: (f64, f64),
    /// Legend text for the scale.
    pub legend: String,
}

struct Svg {
    body: String,
    height: f64,
}

impl Svg {
    fn new() -> Self {
        Svg {
            body: String::new(),
            height: 0.0,
        }
    }
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
            f(x),
            f(y),
            f(w.max(0.0)),
            f(h.max(0.0)),
            fill
        );
    }
    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"/>"#,
            f(x1),
            f(y1),
            f(x2),
            f(y2),
            stroke,
            f(width)
        );
    }
    fn text(&mut self, x: f64, y: f64, anchor: &str, size: f64, text: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" text-anchor="{}" font-size="{}">{}</text>"#,
            f(x),
            f(y),
            anchor,
            f(size),
            xml(text)
        );
    }
    fn finish(self) -> String {
        let h = self.height.ceil();
        format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" "#,
                r#"viewBox="0 0 {w} {h}" font-family="{font}" fill="{fill}">"#,
                "\n<defs><pattern id=\"prikket\" width=\"6\" height=\"6\" ",
                "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">",
                "<rect width=\"6\" height=\"6\" fill=\"{grey}\"/>",
                "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#999999\" stroke-width=\"2\"/>",
                "</pattern></defs>\n{body}</svg>\n"
            ),
            w = f(WIDTH),
            h = f(h),
            font = FONT,
            fill = "#222222",
            grey = SUPPRESSED,
            body = self.body
        )
    }
}

/// Fixed-precision coordinate, trailing zeros trimmed.
fn f(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// Rough text width in points for `size`-point Libertinus Serif (counts characters, not
/// bytes, so æøå are not overcounted).
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.52
}

/// `text` shortened with `…` to at most `max_width` points at `size`.
fn fit(text: &str, size: f64, max_width: f64) -> String {
    if text_width(text, size) <= max_width {
        return text.to_string();
    }
    let keep = ((max_width / (size * 0.5)) as usize).saturating_sub(1);
    let mut out: String = text.chars().take(keep).collect();
    out.push('…');
    out
}

/// A "nice" axis maximum ≥ `max`, and its tick step.
fn nice_axis(max: f64) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

fn legend(svg: &mut Svg, x0: f64, y: f64, items: &[(String, &str)]) {
    let mut x = x0;
    for (name, colour) in items {
        svg.rect(x, y - 9.0, 10.0, 10.0, colour);
        svg.text(x + 14.0, y, "start", 10.0, name);
        x += 24.0 + text_width(name, 10.0);
    }
}

/// Draw `chart` as SVG.
pub fn bar_chart(chart: &BarChart) -> String {
    let mut svg = Svg::new();
    let label_w = chart
        .categories
        .iter()
        .map(|c| text_width(c, 11.0))
        .fold(60.0, f64::max)
        .min(250.0)
        + 10.0;
    let value_w = 70.0;
    let x0 = label_w;
    let plot_w = WIDTH - x0 - value_w;
    let data_max = chart
        .series
        .iter()
        .flat_map(|s| s.bars.iter())
        .flat_map(|b| [b.value, b.interval.map(|i| i.1)])
        .flatten()
        .fold(0.0, f64::max);
    let (max, step) = nice_axis(chart.max.unwrap_or(data_max).max(data_max));
    let scale = |v: f64| x0 + (v.max(0.0) / max).min(1.0) * plot_w;
    let mut y = 16.0;
    if chart.series.len() > 1 {
        let items: Vec<(String, &str)> = chart
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), PALETTE[i % PALETTE.len()]))
            .collect();
        legend(&mut svg, x0, y, &items);
        y += 14.0;
    }
    let top = y;
    let n_series = chart.series.len().max(1);
    let group_h = n_series as f64 * ROW + GAP;
    for (ci, cat) in chart.categories.iter().enumerate() {
        let gy = top + ci as f64 * group_h;
        svg.text(
            x0 - 6.0,
            gy + group_h / 2.0,
            "end",
            11.0,
            &fit(cat, 11.0, x0 - 8.0),
        );
        for (si, series) in chart.series.iter().enumerate() {
            let Some(bar) = series.bars.get(ci) else {
                continue;
            };
            let by = gy + si as f64 * ROW + 2.0;
            let bh = ROW - 4.0;
            let colour = PALETTE[si % PALETTE.len()];
            if bar.suppressed {
                svg.rect(x0, by, 24.0, bh, "url(#prikket)");
                svg.text(x0 + 28.0, by + bh - 3.0, "start", 10.0, &bar.label);
                continue;
            }
            let Some(v) = bar.value else {
                svg.text(x0 + 4.0, by + bh - 3.0, "start", 10.0, &bar.label);
                continue;
            };
            let xe = scale(v);
            svg.rect(x0, by, xe - x0, bh, colour);
            let mut label_x = xe + 4.0;
            if let Some((lo, hi)) = bar.interval {
                let (xl, xh) = (scale(lo), scale(hi));
                let cy = by + bh / 2.0;
                svg.line(xl, cy, xh, cy, "#000000", 1.2);
                svg.line(xl, cy - 4.0, xl, cy + 4.0, "#000000", 1.2);
                svg.line(xh, cy - 4.0, xh, cy + 4.0, "#000000", 1.2);
                label_x = label_x.max(xh + 4.0);
            }
            svg.text(label_x, by + bh - 3.0, "start", 10.0, &bar.label);
        }
    }
    let bottom = top + chart.categories.len() as f64 * group_h;
    axis(&mut svg, x0, plot_w, top, bottom, max, step, chart.tick);
    svg.height = bottom + 24.0;
    svg.finish()
}

#[allow(clippy::too_many_arguments)]
fn axis(
    svg: &mut Svg,
    x0: f64,
    plot_w: f64,
    top: f64,
    bottom: f64,
    max: f64,
    step: f64,
    tick: fn(f64) -> String,
) {
    svg.line(x0, top - 2.0, x0, bottom, AXIS_COLOUR, 1.0);
    svg.line(x0, bottom, x0 + plot_w, bottom, AXIS_COLOUR, 1.0);
    let n = (max / step).round() as usize;
    for i in 0..=n {
        let v = i as f64 * step;
        let x = x0 + v / max * plot_w;
        svg.line(x, bottom, x, bottom + 4.0, AXIS_COLOUR, 1.0);
        svg.text(x, bottom + 15.0, "middle", 9.0, &tick(v));
    }
}

/// Draw `chart` as SVG.
pub fn stack_chart(chart: &StackChart) -> String {
    let mut svg = Svg::new();
    let label_w = chart
        .stacks
        .iter()
        .map(|s| text_width(&s.label, 11.0))
        .fold(60.0, f64::max)
        .min(250.0)
        + 10.0;
    let x0 = label_w;
    let plot_w = WIDTH - x0 - 60.0;
    let data_max = chart
        .stacks
        .iter()
        .map(|s| s.segments.iter().filter(|v| **v > 0.0).sum())
        .fold(0.0, f64::max);
    let (max, step) = nice_axis(data_max);
    let items: Vec<(String, &str)> = chart
        .legend
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), PALETTE[i % PALETTE.len()]))
        .collect();
    legend(&mut svg, 4.0, 16.0, &items);
    let top = 30.0;
    for (i, stack) in chart.stacks.iter().enumerate() {
        let by = top + i as f64 * (ROW + 4.0);
        svg.text(
            x0 - 6.0,
            by + ROW - 5.0,
            "end",
            11.0,
            &fit(&stack.label, 11.0, x0 - 8.0),
        );
        let mut x = x0;
        for (si, v) in stack.segments.iter().enumerate() {
            if *v <= 0.0 {
                continue;
            }
            let w = v / max * plot_w;
            svg.rect(x, by, w, ROW, PALETTE[si % PALETTE.len()]);
            x += w;
        }
        svg.text(x + 4.0, by + ROW - 5.0, "start", 10.0, &stack.total_label);
    }
    let bottom = top + chart.stacks.len() as f64 * (ROW + 4.0);
    axis(&mut svg, x0, plot_w, top, bottom, max, step, chart.tick);
    svg.height = bottom + 24.0;
    svg.finish()
}

/// Sequential colour from light yellow (low) to dark red (high) for `t` in 0–1.
fn heat_colour(t: f64) -> (String, bool) {
    let stops = [
        (255.0, 247.0, 188.0),
        (254.0, 196.0, 79.0),
        (236.0, 112.0, 20.0),
        (153.0, 52.0, 4.0),
    ];
    let t = t.clamp(0.0, 1.0) * (stops.len() - 1) as f64;
    let i = (t.floor() as usize).min(stops.len() - 2);
    let u = t - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * u).round() as u8;
    let (r, g, bl) = (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2));
    let dark = t > 1.6;
    (format!("#{r:02x}{g:02x}{bl:02x}"), dark)
}

/// Draw `map` as SVG.
pub fn heat_map(map: &HeatMap) -> String {
    let mut svg = Svg::new();
    let label_w = map
        .rows
        .iter()
        .map(|r| text_width(r, 10.0))
        .fold(60.0, f64::max)
        .min(200.0)
        + 8.0;
    let ncol = map.columns.len().max(1);
    let cell_w = ((WIDTH - label_w - 80.0) / ncol as f64).floor().min(56.0);
    let cell_h = 18.0;
    let head_h = map
        .columns
        .iter()
        .map(|c| text_width(c, 10.0))
        .fold(30.0, f64::max)
        * 0.65
        + 14.0;
    for (ci, col) in map.columns.iter().enumerate() {
        let cx = label_w + (ci as f64 + 0.5) * cell_w;
        let _ = writeln!(
            svg.body,
            r#"<text transform="translate({},{}) rotate(-40)" text-anchor="start" font-size="10">{}</text>"#,
            f(cx - 2.0),
            f(head_h - 4.0),
            xml(col)
        );
    }
    for (ri, row) in map.rows.iter().enumerate() {
        let y = head_h + ri as f64 * cell_h;
        svg.text(
            label_w - 5.0,
            y + cell_h - 5.0,
            "end",
            10.0,
            &fit(row, 10.0, label_w - 6.0),
        );
        for (ci, cell) in map.cells.get(ri).into_iter().flatten().enumerate() {
            let x = label_w + ci as f64 * cell_w;
            let (fill, dark) = match (cell.suppressed, cell.value) {
                (true, _) => ("url(#prikket)".to_string(), false),
                (false, Some(v)) => {
                    let (lo, hi) = map.range;
                    heat_colour(if hi > lo { (v - lo) / (hi - lo) } else { 0.5 })
                }
                (false, None) => ("#ffffff".to_string(), false),
            };
            svg.rect(x + 0.5, y + 0.5, cell_w - 1.0, cell_h - 1.0, &fill);
            let _ = writeln!(
                svg.body,
                r#"<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="{}">{}</text>"#,
                f(x + cell_w / 2.0),
                f(y + cell_h - 5.0),
                if dark { "#ffffff" } else { "#222222" },
                xml(&cell.label)
            );
        }
    }
    let bottom = head_h + map.rows.len() as f64 * cell_h;
    // Colour-scale legend.
    let ly = bottom + 12.0;
    let steps = 20;
    let lw = 160.0;
    for i in 0..steps {
        let (c, _) = heat_colour(i as f64 / (steps - 1) as f64);
        svg.rect(
            label_w + i as f64 * lw / steps as f64,
            ly,
            lw / steps as f64 + 0.3,
            10.0,
            &c,
        );
    }
    svg.text(label_w - 4.0, ly + 9.0, "end", 9.0, &map.legend);
    svg.rect(label_w + lw + 20.0, ly, 14.0, 10.0, "url(#prikket)");
    svg.text(
        label_w + lw + 38.0,
        ly + 9.0,
        "start",
        9.0,
        "– prikket (færre enn k svar)",
    );
    svg.height = ly + 18.0;
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axis_rounds_up() {
        assert_eq!(nice_axis(0.23), (0.25, 0.05));
        assert_eq!(nice_axis(87.0), (100.0, 20.0));
    }

    #[test]
    fn bar_chart_is_deterministic_and_escapes_labels() {
        let chart = BarChart {
            categories: vec!["A <&> B".into()],
            series: vec![Series {
                name: "x".into(),
                bars: vec![Bar {
                    value: Some(0.5),
                    label: "50 %".into(),
                    ..Bar::default()
                }],
            }],
            max: Some(1.0),
            tick: |v| format!("{v}"),
        };
        let a = bar_chart(&chart);
        assert_eq!(a, bar_chart(&chart));
        assert!(a.contains("A &lt;&amp;&gt; B"));
        assert!(a.contains("Libertinus Serif"));
    }
}
