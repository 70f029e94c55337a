//! A small SVG chart module: line, grouped-bar, horizontal-bar and heat-map charts.
//!
//! Why not a charting crate: `plotters`' SVG backend writes anonymous primitives (no
//! `class`/`data-*` attributes, no `role`, `<title>` or `<desc>`), so a test could count
//! marks only by colour, and screen readers would get nothing; `charming` needs
//! JavaScript. The report needs exactly what this module emits: a responsive `viewBox`,
//! CSS-styled text, a text alternative, and one element with `class="mark"` and
//! `data-series` per data point, so the page and a browser test can count marks.
//!
//! Every string that reaches the SVG goes through [`escape`]. Points whose values are not
//! usable numbers (NaN, ±∞, beyond ±10¹⁵) are skipped, never drawn at odd places.

use crate::format::usable;
use std::fmt::Write as _;

/// Width of every chart's coordinate system (the SVG scales to its container).
pub const WIDTH: f64 = 760.0;

/// Colours (Okabe–Ito, safe for colour-blind readers): actual, predicted/expected, third.
pub const COLORS: [&str; 3] = ["#0b5394", "#d55e00", "#009e73"];

/// Escapes text for XML/HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The texts of a chart: accessible name and description, axis titles with units.
#[derive(Debug, Clone, Default)]
pub struct ChartText {
    /// Unique id prefix of the chart within the page (letters, digits, `-`).
    pub id: String,
    /// Short title (the SVG `<title>`).
    pub title: String,
    /// One or two sentences describing what the chart shows (the SVG `<desc>`).
    pub desc: String,
    /// Horizontal axis title, with unit.
    pub x_title: String,
    /// Vertical axis title, with unit.
    pub y_title: String,
}

/// A number formatter for tick labels and tooltips.
pub type Fmt<'a> = &'a dyn Fn(f64) -> String;

/// "Nice" tick values covering `lo..=hi` with about `target` intervals (steps 1, 2, 2.5,
/// 5 × 10ᵏ). Always returns at least two ticks, ascending.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (mut lo, mut hi) = if usable(lo) && usable(hi) {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    if hi - lo < 1e-12 {
        if lo == 0.0 {
            hi = 1.0;
        } else {
            let pad = lo.abs() * 0.1;
            lo -= pad;
            hi += pad;
        }
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor();
    let end = (hi / step).ceil();
    let n = ((end - start) as usize).clamp(1, 100);
    (0..=n).map(|i| (start + i as f64) * step).collect()
}

/// A linear map from a data domain to pixels.
#[derive(Debug, Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    fn map(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span.abs() < f64::MIN_POSITIVE {
            return self.r0;
        }
        self.r0 + (v - self.d0) / span * (self.r1 - self.r0)
    }
}

fn f(v: f64) -> String {
    // Two decimals are plenty for pixel coordinates; avoid "-0".
    let r = (v * 100.0).round() / 100.0;
    if r == 0.0 { "0".into() } else { format!("{r}") }
}

fn open_svg(out: &mut String, text: &ChartText, height: f64) {
    let id = escape(&text.id);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12"><title id="{id}-t">{t}</title><desc id="{id}-d">{d}</desc>"#,
        w = f(WIDTH),
        h = f(height),
        t = escape(&text.title),
        d = escape(&text.desc),
    );
}

fn axis_titles(out: &mut String, text: &ChartText, plot: &Plot, height: f64) {
    let _ = write!(
        out,
        r#"<text class="axis-title" x="{x}" y="{y}" text-anchor="middle">{t}</text>"#,
        x = f((plot.left + plot.right) / 2.0),
        y = f(height - 8.0),
        t = escape(&text.x_title)
    );
    // A rotated title longer than the plot is tall (e.g. a heat map of three cohorts) would
    // be clipped by the SVG: it goes under the row labels, left-aligned, instead.
    if text_width(&text.y_title, 13.0) > plot.bottom - plot.top {
        let _ = write!(
            out,
            r#"<text class="axis-title" x="4" y="{y}" text-anchor="start">{t}</text>"#,
            y = f(height - 8.0),
            t = escape(&text.y_title)
        );
        return;
    }
    let cy = (plot.top + plot.bottom) / 2.0;
    let _ = write!(
        out,
        r#"<text class="axis-title" x="14" y="{cy}" text-anchor="middle" transform="rotate(-90 14 {cy})">{t}</text>"#,
        cy = f(cy),
        t = escape(&text.y_title)
    );
}

#[derive(Debug, Clone, Copy)]
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

fn y_grid(out: &mut String, plot: &Plot, y: &Scale, ticks: &[f64], fmt: Fmt) {
    out.push_str(r#"<g class="grid">"#);
    for &t in ticks {
        let py = y.map(t);
        let _ = write!(
            out,
            r##"<line x1="{l}" x2="{r}" y1="{py}" y2="{py}" stroke="#d9dee5" stroke-width="1"/><text class="tick" x="{tx}" y="{ty}" text-anchor="end" fill="#4a5563">{lab}</text>"##,
            l = f(plot.left),
            r = f(plot.right),
            py = f(py),
            tx = f(plot.left - 6.0),
            ty = f(py + 4.0),
            lab = escape(&fmt(t)),
        );
    }
    out.push_str("</g>");
}

fn legend(out: &mut String, items: &[(&str, &str, bool)], x0: f64) {
    // (label, colour, dashed)
    let mut x = x0;
    out.push_str(r#"<g class="legend">"#);
    for (label, color, dashed) in items {
        let dash = if *dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = write!(
            out,
            r##"<line x1="{x1}" x2="{x2}" y1="14" y2="14" stroke="{color}" stroke-width="3"{dash}/><text x="{tx}" y="18" fill="#1f2933">{l}</text>"##,
            x1 = f(x),
            x2 = f(x + 22.0),
            tx = f(x + 28.0),
            l = escape(label),
        );
        x += 28.0 + text_width(label, 12.0) + 24.0;
    }
    out.push_str("</g>");
}

/// Rough width of `s` in pixels at `size` px (average glyph ≈ 0.56 em).
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.56
}

/// One series of a line chart.
#[derive(Debug, Clone)]
pub struct LineSeries<'a> {
    /// Stable key written to `data-series` (e.g. `actual`).
    pub key: &'a str,
    /// Legend label.
    pub label: String,
    /// Points `(x, y)`; unusable points are skipped.
    pub points: Vec<(f64, f64)>,
    /// Dashed line (for predictions).
    pub dashed: bool,
}

/// A line chart with one circle mark per usable point and an optional marked boundary
/// `(x, label)` after which the background is shaded (the holdout period).
pub fn line_chart(
    text: &ChartText,
    series: &[LineSeries],
    boundary: Option<(f64, &str)>,
    x_fmt: Fmt,
    y_fmt: Fmt,
) -> String {
    let height = 380.0;
    let plot = Plot {
        left: 78.0,
        right: WIDTH - 16.0,
        top: 34.0,
        bottom: height - 52.0,
    };
    let pts = |s: &LineSeries| -> Vec<(f64, f64)> {
        s.points
            .iter()
            .copied()
            .filter(|(x, y)| usable(*x) && usable(*y))
            .collect()
    };
    let all: Vec<(f64, f64)> = series.iter().flat_map(pts).collect();
    let (mut x0, mut x1, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    let mut y0 = 0.0f64;
    for (x, y) in &all {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    if all.is_empty() {
        (x0, x1) = (0.0, 1.0);
    }
    if let Some((b, _)) = boundary.filter(|(b, _)| usable(*b)) {
        x0 = x0.min(b);
        x1 = x1.max(b);
    }
    let yt = nice_ticks(y0, y1, 5);
    let xt = nice_ticks(x0, x1, 8);
    let xs = Scale {
        d0: x0,
        d1: if x1 > x0 { x1 } else { x0 + 1.0 },
        r0: plot.left,
        r1: plot.right,
    };
    let ys = Scale {
        d0: yt[0],
        d1: yt[yt.len() - 1],
        r0: plot.bottom,
        r1: plot.top,
    };
    let mut out = String::new();
    open_svg(&mut out, text, height);
    if let Some((b, label)) = boundary.filter(|(b, _)| usable(*b)) {
        let bx = xs.map(b);
        let _ = write!(
            out,
            r##"<rect class="holdout" x="{bx}" y="{t}" width="{w}" height="{h}" fill="#f3f4f6"/>"##,
            bx = f(bx),
            t = f(plot.top),
            w = f((plot.right - bx).max(0.0)),
            h = f(plot.bottom - plot.top),
        );
        y_grid(&mut out, &plot, &ys, &yt, y_fmt);
        let anchor = if bx > plot.right - 160.0 {
            "end"
        } else {
            "start"
        };
        let dx = if anchor == "end" { -6.0 } else { 6.0 };
        let _ = write!(
            out,
            r##"<line class="boundary" x1="{bx}" x2="{bx}" y1="{t}" y2="{b}" stroke="#374151" stroke-width="1.5" stroke-dasharray="4 3"/><text class="boundary-label" x="{lx}" y="{ly}" text-anchor="{anchor}" fill="#374151">{l}</text>"##,
            bx = f(bx),
            t = f(plot.top),
            b = f(plot.bottom),
            lx = f(bx + dx),
            ly = f(plot.top + 14.0),
            l = escape(label),
        );
    } else {
        y_grid(&mut out, &plot, &ys, &yt, y_fmt);
    }
    // x ticks
    out.push_str(r#"<g class="x-ticks">"#);
    for t in xt.iter().filter(|t| **t >= x0 - 1e-9 && **t <= x1 + 1e-9) {
        let px = xs.map(*t);
        let _ = write!(
            out,
            r##"<line x1="{px}" x2="{px}" y1="{b}" y2="{b5}" stroke="#6b7280"/><text class="tick" x="{px}" y="{ty}" text-anchor="middle" fill="#4a5563">{l}</text>"##,
            px = f(px),
            b = f(plot.bottom),
            b5 = f(plot.bottom + 5.0),
            ty = f(plot.bottom + 18.0),
            l = escape(&x_fmt(*t)),
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        r##"<line x1="{l}" x2="{r}" y1="{b}" y2="{b}" stroke="#6b7280"/>"##,
        l = f(plot.left),
        r = f(plot.right),
        b = f(plot.bottom)
    );
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let p = pts(s);
        let key = escape(s.key);
        if p.len() > 1 {
            let d: Vec<String> = p
                .iter()
                .map(|(x, y)| format!("{},{}", f(xs.map(*x)), f(ys.map(*y))))
                .collect();
            let dash = if s.dashed {
                r#" stroke-dasharray="7 4""#
            } else {
                ""
            };
            let _ = write!(
                out,
                r#"<polyline class="line" data-series="{key}" points="{pts}" fill="none" stroke="{color}" stroke-width="2.25"{dash}/>"#,
                pts = d.join(" ")
            );
        }
        let r = if p.len() > 120 { 1.6 } else { 2.6 };
        let _ = write!(out, r#"<g class="marks" data-series="{key}">"#);
        for (x, y) in &p {
            let _ = write!(
                out,
                r#"<circle class="mark" data-series="{key}" cx="{cx}" cy="{cy}" r="{r}" fill="{fill}" stroke="{color}" stroke-width="1"><title>{lab}: {xv} → {yv}</title></circle>"#,
                cx = f(xs.map(*x)),
                cy = f(ys.map(*y)),
                fill = if s.dashed { "#ffffff" } else { color },
                lab = escape(&s.label),
                xv = escape(&x_fmt(*x)),
                yv = escape(&y_fmt(*y)),
            );
        }
        out.push_str("</g>");
    }
    let items: Vec<(&str, &str, bool)> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.label.as_str(), COLORS[i % COLORS.len()], s.dashed))
        .collect();
    legend(&mut out, &items, plot.left);
    axis_titles(&mut out, text, &plot, height);
    out.push_str("</svg>");
    out
}

/// One series of a bar chart: one value per category (unusable values get no bar).
#[derive(Debug, Clone)]
pub struct BarSeries<'a> {
    /// Stable key written to `data-series`.
    pub key: &'a str,
    /// Legend label (no legend for a single series).
    pub label: String,
    /// One value per category.
    pub values: Vec<f64>,
}

/// A vertical bar chart: categories along x, one bar (`rect.mark`) per category and usable
/// value of each series, bars of a category side by side.
pub fn bar_chart(
    text: &ChartText,
    categories: &[String],
    series: &[BarSeries],
    y_fmt: Fmt,
) -> String {
    let height = 340.0;
    let top = if series.len() > 1 { 34.0 } else { 16.0 };
    let n = categories.len().max(1);
    let long_labels = categories
        .iter()
        .any(|c| text_width(c, 11.0) > (WIDTH - 94.0) / n as f64);
    let bottom_pad = if long_labels { 86.0 } else { 52.0 };
    let plot = Plot {
        left: 78.0,
        right: WIDTH - 16.0,
        top,
        bottom: height - bottom_pad,
    };
    let mut y0 = 0.0f64;
    let mut y1 = 0.0f64;
    for s in series {
        for v in s.values.iter().copied().filter(|v| usable(*v)) {
            y0 = y0.min(v);
            y1 = y1.max(v);
        }
    }
    let yt = nice_ticks(y0, y1, 5);
    let ys = Scale {
        d0: yt[0],
        d1: yt[yt.len() - 1],
        r0: plot.bottom,
        r1: plot.top,
    };
    let band = (plot.right - plot.left) / n as f64;
    let inner = band * 0.8;
    let bw = inner / series.len().max(1) as f64;
    let mut out = String::new();
    open_svg(&mut out, text, height);
    y_grid(&mut out, &plot, &ys, &yt, y_fmt);
    let base = ys.map(0.0);
    for (si, s) in series.iter().enumerate() {
        let color = COLORS[si % COLORS.len()];
        let key = escape(s.key);
        let _ = write!(out, r#"<g class="marks" data-series="{key}">"#);
        for (ci, cat) in categories.iter().enumerate() {
            let Some(v) = s.values.get(ci).copied().filter(|v| usable(*v)) else {
                continue;
            };
            let x = plot.left + band * ci as f64 + (band - inner) / 2.0 + bw * si as f64;
            let py = ys.map(v);
            let (y, h) = if py < base {
                (py, base - py)
            } else {
                (base, py - base)
            };
            let _ = write!(
                out,
                r#"<rect class="mark" data-series="{key}" x="{x}" y="{y}" width="{w}" height="{h}" fill="{color}"><title>{c} · {l}: {v}</title></rect>"#,
                x = f(x),
                y = f(y),
                w = f((bw - 1.0).max(0.5)),
                h = f(h),
                c = escape(cat),
                l = escape(&s.label),
                v = escape(&y_fmt(v)),
            );
        }
        out.push_str("</g>");
    }
    let _ = write!(
        out,
        r##"<line x1="{l}" x2="{r}" y1="{b}" y2="{b}" stroke="#6b7280"/>"##,
        l = f(plot.left),
        r = f(plot.right),
        b = f(base)
    );
    out.push_str(r#"<g class="x-ticks">"#);
    for (ci, cat) in categories.iter().enumerate() {
        let cx = plot.left + band * (ci as f64 + 0.5);
        let ty = plot.bottom + 16.0;
        if long_labels {
            let _ = write!(
                out,
                r##"<text class="tick" x="{cx}" y="{ty}" text-anchor="end" transform="rotate(-35 {cx} {ty})" fill="#4a5563">{c}</text>"##,
                cx = f(cx),
                ty = f(ty),
                c = escape(cat)
            );
        } else {
            let _ = write!(
                out,
                r##"<text class="tick" x="{cx}" y="{ty}" text-anchor="middle" fill="#4a5563">{c}</text>"##,
                cx = f(cx),
                ty = f(ty),
                c = escape(cat)
            );
        }
    }
    out.push_str("</g>");
    if series.len() > 1 {
        let items: Vec<(&str, &str, bool)> = series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.label.as_str(), COLORS[i % COLORS.len()], false))
            .collect();
        legend(&mut out, &items, plot.left);
    }
    axis_titles(&mut out, text, &plot, height);
    out.push_str("</svg>");
    out
}

/// One panel of a horizontal bar chart.
#[derive(Clone)]
pub struct Panel<'a> {
    /// Stable key written to `data-series`.
    pub key: &'a str,
    /// Panel heading (what the bars measure, with unit).
    pub title: String,
    /// One value per row.
    pub values: Vec<f64>,
    /// Formats values for the bar labels.
    pub fmt: Fmt<'a>,
}

impl std::fmt::Debug for Panel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Panel")
            .field("key", &self.key)
            .field("title", &self.title)
            .field("values", &self.values)
            .finish_non_exhaustive()
    }
}

/// Horizontal bars: one row per category, one or more panels side by side sharing the
/// row labels (e.g. customers and value per segment). One `rect.mark` per usable value;
/// negative values are drawn as zero-length bars.
pub fn hbar_panels(text: &ChartText, categories: &[String], panels: &[Panel]) -> String {
    let row_h = 26.0;
    let label_w = categories
        .iter()
        .map(|c| text_width(c, 12.0))
        .fold(60.0f64, f64::max)
        .min(240.0)
        + 16.0;
    let top = 40.0;
    let height = top + row_h * categories.len().max(1) as f64 + 12.0;
    let gap = 24.0;
    let np = panels.len().max(1) as f64;
    let panel_w = (WIDTH - label_w - 16.0 - gap * (np - 1.0)) / np;
    let mut out = String::new();
    open_svg(&mut out, text, height);
    for (ri, cat) in categories.iter().enumerate() {
        let y = top + row_h * ri as f64 + row_h / 2.0 + 4.0;
        let _ = write!(
            out,
            r##"<text class="tick" x="{x}" y="{y}" text-anchor="end" fill="#1f2933">{c}</text>"##,
            x = f(label_w - 8.0),
            y = f(y),
            c = escape(cat)
        );
    }
    for (pi, p) in panels.iter().enumerate() {
        let color = COLORS[pi % COLORS.len()];
        let x0 = label_w + (panel_w + gap) * pi as f64;
        let max = p
            .values
            .iter()
            .copied()
            .filter(|v| usable(*v))
            .fold(0.0f64, f64::max);
        let xs = Scale {
            d0: 0.0,
            d1: if max > 0.0 { max } else { 1.0 },
            r0: x0,
            r1: x0 + panel_w * 0.72,
        };
        let key = escape(p.key);
        let _ = write!(
            out,
            r##"<text class="panel-title" x="{x}" y="22" font-weight="600" fill="#1f2933">{t}</text><line x1="{x}" x2="{x}" y1="{t0}" y2="{t1}" stroke="#6b7280"/><g class="marks" data-series="{key}">"##,
            x = f(x0),
            t = escape(&p.title),
            t0 = f(top),
            t1 = f(top + row_h * categories.len() as f64),
        );
        for (ri, cat) in categories.iter().enumerate() {
            let Some(v) = p.values.get(ri).copied().filter(|v| usable(*v)) else {
                continue;
            };
            let w = (xs.map(v.max(0.0)) - x0).max(0.0);
            let y = top + row_h * ri as f64 + 4.0;
            let label = (p.fmt)(v);
            let _ = write!(
                out,
                r##"<rect class="mark" data-series="{key}" x="{x}" y="{y}" width="{w}" height="{h}" fill="{color}"><title>{c} · {t}: {l}</title></rect><text class="value" x="{lx}" y="{ly}" fill="#1f2933">{l}</text>"##,
                x = f(x0),
                y = f(y),
                w = f(w),
                h = f(row_h - 8.0),
                c = escape(cat),
                t = escape(&p.title),
                l = escape(&label),
                lx = f(x0 + w + 5.0),
                ly = f(y + row_h / 2.0),
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// A cell of a heat map.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Row index.
    pub row: usize,
    /// Column index.
    pub col: usize,
    /// Value in `0..=1` that sets the colour.
    pub value: f64,
    /// Short text written in the cell if it fits (e.g. `42%`).
    pub label: String,
    /// Longer tooltip text.
    pub tooltip: String,
}

/// Sequential blue colour for `v` in `0..=1` (light to dark).
pub fn heat_color(v: f64) -> String {
    const STOPS: [(f64, [f64; 3]); 4] = [
        (0.0, [247.0, 251.0, 255.0]),
        (0.35, [158.0, 202.0, 225.0]),
        (0.7, [49.0, 130.0, 189.0]),
        (1.0, [8.0, 48.0, 107.0]),
    ];
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut k = 1;
    while k < STOPS.len() - 1 && v > STOPS[k].0 {
        k += 1;
    }
    let (a, ca) = STOPS[k - 1];
    let (b, cb) = STOPS[k];
    let t = if b > a { (v - a) / (b - a) } else { 0.0 };
    let c: Vec<u8> = (0..3)
        .map(|i| (ca[i] + (cb[i] - ca[i]) * t).round().clamp(0.0, 255.0) as u8)
        .collect();
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// WCAG relative luminance of a `#rrggbb` colour (0 = black, 1 = white).
fn luminance(hex: &str) -> f64 {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    let lin = |c: u32| {
        let c = c as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin((v >> 16) & 255) + 0.7152 * lin((v >> 8) & 255) + 0.0722 * lin(v & 255)
}

/// WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// White or dark text, whichever contrasts more with `fill`.
pub fn label_color(fill: &str) -> &'static str {
    const DARK: &str = "#000000";
    if contrast("#ffffff", fill) > contrast(DARK, fill) {
        "#ffffff"
    } else {
        DARK
    }
}

/// A heat map: one `rect.mark` per cell with a usable value, rows top to bottom,
/// columns left to right; cells absent from `cells` stay blank. `legend` gives the
/// labels of the colour scale's ends (e.g. `0%`, `100%`).
pub fn heatmap(
    text: &ChartText,
    rows: &[String],
    cols: &[String],
    cells: &[Cell],
    legend: (&str, &str),
) -> String {
    let label_w = rows
        .iter()
        .map(|c| text_width(c, 12.0))
        .fold(30.0f64, f64::max)
        .min(260.0)
        + 44.0;
    let nc = cols.len().max(1) as f64;
    let cell_w = ((WIDTH - label_w - 16.0) / nc).min(90.0);
    let cell_h = if rows.len() > 16 { 20.0 } else { 28.0 };
    let top = 40.0;
    let grid_h = cell_h * rows.len().max(1) as f64;
    let rotate_cols = cols.iter().any(|c| text_width(c, 11.0) > cell_w - 4.0);
    let col_labels_h = if rotate_cols { 64.0 } else { 24.0 };
    let height = top + grid_h + col_labels_h + 28.0;
    let plot = Plot {
        left: label_w,
        right: label_w + cell_w * nc,
        top,
        bottom: top + grid_h,
    };
    let mut out = String::new();
    open_svg(&mut out, text, height);
    // colour legend: five steps
    let lx = plot.left;
    let _ = write!(
        out,
        r##"<g class="legend"><text x="{x}" y="22" text-anchor="end" fill="#4a5563">{lo}</text>"##,
        x = f(lx - 6.0),
        lo = escape(legend.0)
    );
    for i in 0..5 {
        let _ = write!(
            out,
            r#"<rect x="{x}" y="10" width="28" height="14" fill="{c}"/>"#,
            x = f(lx + 28.0 * i as f64),
            c = heat_color(i as f64 / 4.0)
        );
    }
    let _ = write!(
        out,
        r##"<text x="{x}" y="22" fill="#4a5563">{hi}</text></g>"##,
        x = f(lx + 28.0 * 5.0 + 6.0),
        hi = escape(legend.1)
    );
    for (ri, r) in rows.iter().enumerate() {
        let _ = write!(
            out,
            r##"<text class="tick" x="{x}" y="{y}" text-anchor="end" fill="#1f2933">{r}</text>"##,
            x = f(plot.left - 6.0),
            y = f(top + cell_h * ri as f64 + cell_h / 2.0 + 4.0),
            r = escape(r)
        );
    }
    for (ci, c) in cols.iter().enumerate() {
        let cx = plot.left + cell_w * (ci as f64 + 0.5);
        let ty = plot.bottom + 16.0;
        if rotate_cols {
            let _ = write!(
                out,
                r##"<text class="tick" x="{cx}" y="{ty}" text-anchor="end" transform="rotate(-45 {cx} {ty})" fill="#4a5563">{c}</text>"##,
                cx = f(cx),
                ty = f(ty),
                c = escape(c)
            );
        } else {
            let _ = write!(
                out,
                r##"<text class="tick" x="{cx}" y="{ty}" text-anchor="middle" fill="#4a5563">{c}</text>"##,
                cx = f(cx),
                ty = f(ty),
                c = escape(c)
            );
        }
    }
    out.push_str(r#"<g class="marks" data-series="cells">"#);
    let font = if cell_h < 24.0 { 10.0 } else { 11.0 };
    for cell in cells {
        if cell.row >= rows.len() || cell.col >= cols.len() || !usable(cell.value) {
            continue;
        }
        let x = plot.left + cell_w * cell.col as f64;
        let y = top + cell_h * cell.row as f64;
        let v = cell.value.clamp(0.0, 1.0);
        let _ = write!(
            out,
            r##"<rect class="mark" data-series="cells" data-row="{r}" data-col="{c}" x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}" stroke="#ffffff" stroke-width="1"><title>{tt}</title></rect>"##,
            r = cell.row,
            c = cell.col,
            x = f(x),
            y = f(y),
            w = f(cell_w),
            h = f(cell_h),
            fill = heat_color(v),
            tt = escape(&cell.tooltip),
        );
        if text_width(&cell.label, font) < cell_w - 4.0 {
            let color = label_color(&heat_color(v));
            let _ = write!(
                out,
                r#"<text class="cell-label" x="{x}" y="{y}" text-anchor="middle" font-size="{font}" fill="{color}">{l}</text>"#,
                x = f(x + cell_w / 2.0),
                y = f(y + cell_h / 2.0 + font * 0.35),
                l = escape(&cell.label),
            );
        }
    }
    out.push_str("</g>");
    axis_titles(&mut out, text, &plot, height);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A y title longer than a short heat map is tall is written horizontally (a rotated one
    /// would be clipped by the SVG); a short title on a tall plot stays rotated.
    #[test]
    fn long_y_title_of_a_short_plot_is_not_rotated() {
        let mut t = text();
        t.y_title = "Month of first purchase (customers)".into();
        let rows: Vec<String> = vec!["Jan".into(), "Feb".into()];
        let svg = heatmap(&t, &rows, &["0".into()], &[], ("0%", "100%"));
        assert!(
            svg.contains(r#"text-anchor="start">Month of first purchase (customers)</text>"#),
            "{svg}"
        );
        assert!(!svg.contains("rotate(-90"));
        t.y_title = "n".into();
        let svg = heatmap(&t, &rows, &["0".into()], &[], ("0%", "100%"));
        assert!(svg.contains("rotate(-90"));
    }

    fn text() -> ChartText {
        ChartText {
            id: "c1".into(),
            title: "T <script>alert(1)</script>".into(),
            desc: "D & \"quotes\"".into(),
            x_title: "x <b>".into(),
            y_title: "y's".into(),
        }
    }

    fn marks(svg: &str, series: &str) -> usize {
        svg.matches(&format!(r#"class="mark" data-series="{series}""#))
            .count()
    }

    fn id(v: f64) -> String {
        format!("{v}")
    }

    /// No URL except the SVG namespace.
    fn assert_no_urls(svg: &str) {
        let stripped = svg.replace(r#"xmlns="http://www.w3.org/2000/svg""#, "");
        assert!(!stripped.contains("http://") && !stripped.contains("https://"));
    }

    fn assert_escaped(svg: &str) {
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("D &amp; &quot;quotes&quot;"));
        assert!(svg.contains("y&#39;s"));
    }

    #[test]
    fn escape_handles_markup_and_controls() {
        assert_eq!(
            escape("<a href='x'>&\"\u{1}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot; "
        );
    }

    #[test]
    fn nice_ticks_cover_range() {
        assert_eq!(
            nice_ticks(0.0, 10.0, 5),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        let t = nice_ticks(0.0, 4567.0, 5);
        assert!(t[0] <= 0.0 && *t.last().unwrap() >= 4567.0 && t.len() <= 8);
        let t = nice_ticks(0.0, 0.0, 5);
        assert_eq!((t.len(), t[0], t[5]), (6, 0.0, 1.0));
        let t = nice_ticks(f64::NAN, 1e300, 5);
        assert!(t.len() >= 2 && t.iter().all(|v| v.is_finite()));
        let t = nice_ticks(5.0, 5.0, 4);
        assert!(t[0] <= 5.0 && *t.last().unwrap() >= 5.0);
    }

    #[test]
    fn line_chart_one_mark_per_point() {
        let actual: Vec<(f64, f64)> = (1..=78).map(|w| (w as f64, (w * w) as f64)).collect();
        let mut predicted = actual.clone();
        predicted[3].1 = f64::NAN;
        let svg = line_chart(
            &text(),
            &[
                LineSeries {
                    key: "actual",
                    label: "Actual".into(),
                    points: actual,
                    dashed: false,
                },
                LineSeries {
                    key: "predicted",
                    label: "Predicted".into(),
                    points: predicted,
                    dashed: true,
                },
            ],
            Some((39.0, "holdout <starts>")),
            &id,
            &id,
        );
        assert_eq!(marks(&svg, "actual"), 78);
        assert_eq!(marks(&svg, "predicted"), 77);
        assert_eq!(svg.matches(r#"class="boundary""#).count(), 1);
        assert!(svg.contains("holdout &lt;starts&gt;"));
        assert!(svg.contains(r#"role="img""#) && svg.contains("<title id=\"c1-t\">"));
        assert_escaped(&svg);
        assert_no_urls(&svg);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn bar_chart_one_rect_per_value() {
        let cats: Vec<String> = (0..8).map(|i| i.to_string()).collect();
        let svg = bar_chart(
            &text(),
            &cats,
            &[
                BarSeries {
                    key: "actual",
                    label: "A".into(),
                    values: vec![1.0, 2.0, 3.0, 4.0, 0.0, 6.0, 7.0, 8.0],
                },
                BarSeries {
                    key: "expected",
                    label: "E".into(),
                    values: vec![1.5, f64::INFINITY, 3.0],
                },
            ],
            &id,
        );
        assert_eq!(marks(&svg, "actual"), 8);
        assert_eq!(marks(&svg, "expected"), 2);
        assert_escaped(&svg);
        assert_no_urls(&svg);
    }

    #[test]
    fn hbars_and_heatmap_marks() {
        let cats = vec!["Champions".to_string(), "<Lost>".to_string()];
        let fmt = |v: f64| format!("{v:.0}");
        let svg = hbar_panels(
            &text(),
            &cats,
            &[
                Panel {
                    key: "customers",
                    title: "Customers".into(),
                    values: vec![10.0, 20.0],
                    fmt: &fmt,
                },
                Panel {
                    key: "value",
                    title: "Value".into(),
                    values: vec![1e3, -5.0],
                    fmt: &fmt,
                },
            ],
        );
        assert_eq!(marks(&svg, "customers"), 2);
        assert_eq!(marks(&svg, "value"), 2);
        assert!(svg.contains("&lt;Lost&gt;"));
        assert_no_urls(&svg);

        let rows: Vec<String> = (0..4).map(|i| format!("r{i}")).collect();
        let cols: Vec<String> = (0..6).map(|i| format!("c{i}")).collect();
        let mut cells = Vec::new();
        for r in 0..4 {
            for c in 0..6 {
                if (r + c) % 5 != 0 {
                    cells.push(Cell {
                        row: r,
                        col: c,
                        value: (r * c) as f64 / 15.0,
                        label: "x".into(),
                        tooltip: "<t>".into(),
                    });
                }
            }
        }
        let n = cells.len();
        cells.push(Cell {
            row: 9,
            col: 0,
            value: 0.5,
            label: String::new(),
            tooltip: String::new(),
        });
        let svg = heatmap(&text(), &rows, &cols, &cells, ("0%", "100%"));
        assert_eq!(marks(&svg, "cells"), n);
        assert!(svg.contains("&lt;t&gt;"));
        assert_escaped(&svg);
        assert_no_urls(&svg);
    }

    fn any_value() -> impl proptest::strategy::Strategy<Value = f64> {
        use proptest::prelude::*;
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-1e300),
            -1e9f64..1e9,
            any::<f64>(),
        ]
    }

    proptest::proptest! {
        /// Whatever the numbers, each chart draws exactly one mark per usable value.
        #[test]
        fn marks_match_usable_values(
            ys in proptest::collection::vec(any_value(), 0..60),
            xs in proptest::collection::vec(any_value(), 0..60),
        ) {
            let pts: Vec<(f64, f64)> = xs.iter().copied().zip(ys.iter().copied()).collect();
            let usable_pts = pts.iter().filter(|(x, y)| usable(*x) && usable(*y)).count();
            let svg = line_chart(
                &text(),
                &[LineSeries { key: "actual", label: "A".into(), points: pts, dashed: false }],
                Some((xs.first().copied().unwrap_or(0.0), "b")),
                &id,
                &id,
            );
            proptest::prop_assert_eq!(marks(&svg, "actual"), usable_pts);
            let cats: Vec<String> = (0..ys.len()).map(|i| i.to_string()).collect();
            let svg = bar_chart(
                &text(),
                &cats,
                &[BarSeries { key: "s", label: "S".into(), values: ys.clone() }],
                &id,
            );
            let usable_ys = ys.iter().filter(|v| usable(**v)).count();
            proptest::prop_assert_eq!(marks(&svg, "s"), usable_ys);
            proptest::prop_assert!(!svg.contains("NaN"));
        }
    }

    #[test]
    fn empty_inputs_do_not_panic() {
        let t = ChartText::default();
        let svg = line_chart(&t, &[], None, &id, &id);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        let svg = bar_chart(&t, &[], &[], &id);
        assert_eq!(svg.matches(r#"class="mark""#).count(), 0);
        let svg = hbar_panels(&t, &[], &[]);
        assert!(svg.ends_with("</svg>"));
        let svg = heatmap(&t, &[], &[], &[], ("", ""));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn heat_map_labels_are_legible() {
        // Text: WCAG AA 4.5:1 everywhere on the scale. Series colours are graphical
        // objects: 3:1 against the white background.
        for i in 0..=100 {
            let fill = heat_color(i as f64 / 100.0);
            let c = contrast(label_color(&fill), &fill);
            assert!(c >= 4.5, "{fill}: {c}");
        }
        for c in COLORS {
            assert!(contrast(c, "#ffffff") >= 3.0, "{c}");
        }
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
    }

    #[test]
    fn heat_colors_are_monotone_in_lightness() {
        let lum = |c: &str| {
            let v = u32::from_str_radix(&c[1..], 16).unwrap();
            ((v >> 16) & 255) + ((v >> 8) & 255) + (v & 255)
        };
        let mut prev = u32::MAX;
        for i in 0..=20 {
            let l = lum(&heat_color(i as f64 / 20.0));
            assert!(l <= prev);
            prev = l;
        }
        assert_eq!(heat_color(f64::NAN), heat_color(0.0));
    }
}
