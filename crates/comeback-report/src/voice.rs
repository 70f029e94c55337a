//! The Net Promoter Score page of `comeback nps --html`: a table per group (counts, NPS,
//! interval, response rate, benchmark test), a monthly trend chart with the interval as a
//! shaded band, the comparison asked for, and how to read the numbers — one
//! self-contained HTML page in six languages (catalogue keys starting with `nps_`).
//!
//! Like the rest of the crate it computes no statistics: NPS values, intervals, changes and
//! p-values come from the caller (`comeback_voice::nps`, Rocks 2016 intervals). Scores are
//! in points from −100 to 100; a missing or non-finite number is shown as "—" and left out
//! of the chart.

use crate::chart::{COLORS, WIDTH, escape, nice_ticks};
use crate::format::{self as fmt, usable};
use crate::lang::fill;
use crate::{Lang, catalog};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const TEMPLATE: &str = include_str!("voice.html.j2");
const CSS: &str = include_str!("report_card.css");

/// Everything the NPS page shows: plain data, filled by the caller.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NpsPageInput {
    /// The responses file's display name (user data: escaped).
    pub file: String,
    /// `adjusted-wald` or `wald`: selects the explanation of the interval.
    pub method: String,
    /// Two-sided confidence level of every interval, a share in (0, 1).
    pub confidence: f64,
    /// One row per group (one row without a breakdown).
    pub groups: Vec<NpsPageGroup>,
    /// The comparison of two groups or months, if one was asked for.
    pub comparison: Option<NpsPageComparison>,
    /// The benchmark the groups were tested against (points), if any.
    pub benchmark: Option<f64>,
    /// Blank scores in the file (non-responses, not counted).
    pub non_responses: u64,
    /// Comeback version, e.g. `0.1.0`.
    pub version: String,
}

/// One group's NPS.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NpsPageGroup {
    /// The group's name; `None` for all responses together.
    pub name: Option<String>,
    /// Responses (promoters + passives + detractors).
    pub n: u64,
    /// Answers 9–10.
    pub promoters: u64,
    /// Answers 7–8.
    pub passives: u64,
    /// Answers 0–6.
    pub detractors: u64,
    /// The observed NPS in points; `None` without responses.
    pub nps: Option<f64>,
    /// Lower end of the interval, points.
    pub ci_low: Option<f64>,
    /// Upper end of the interval, points.
    pub ci_high: Option<f64>,
    /// Responses / invitations, a share; `None` when invitations are unknown.
    pub response_rate: Option<f64>,
    /// One-sided p-value of "NPS above the benchmark"; `None` without a test.
    pub benchmark_p: Option<f64>,
    /// The monthly trend, oldest first (empty: no chart).
    pub trend: Vec<NpsPageMonth>,
}

/// One month of a trend.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NpsPageMonth {
    /// Year, e.g. 2025.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Responses that month.
    pub n: u64,
    /// Observed NPS, points.
    pub nps: f64,
    /// Lower end of the interval, points.
    pub ci_low: f64,
    /// Upper end of the interval, points.
    pub ci_high: f64,
    /// Change from the previous month with responses, points (`None` for the first).
    pub change: Option<f64>,
    /// Two-sided p-value of the change.
    pub change_p: Option<f64>,
}

/// A comparison A − B.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NpsPageComparison {
    /// Label of A.
    pub a: String,
    /// Label of B.
    pub b: String,
    /// A's NPS, points.
    pub nps_a: f64,
    /// B's NPS, points.
    pub nps_b: f64,
    /// The difference of the estimates, points.
    pub difference: f64,
    /// Lower end of its interval.
    pub ci_low: f64,
    /// Upper end of its interval.
    pub ci_high: f64,
    /// The z statistic.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

#[derive(Serialize)]
struct View {
    lang: &'static str,
    title: String,
    css: &'static str,
    t: BTreeMap<&'static str, &'static str>,
    file: String,
    summary: String,
    headers: Vec<String>,
    rows: Vec<Vec<(String, String)>>,
    notes: Vec<String>,
    charts: Vec<ChartView>,
    comparison: Option<String>,
    method: Vec<String>,
    footer: String,
}

#[derive(Serialize)]
struct ChartView {
    title: String,
    svg: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

struct Ctx<'a> {
    lang: Lang,
    input: &'a NpsPageInput,
}

impl Ctx<'_> {
    fn t(&self, key: &str) -> String {
        self.lang.message(key).to_string()
    }
    fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.lang.message(key), args)
    }
    fn pts(&self, x: Option<f64>) -> String {
        match x {
            Some(x) if usable(x) => fmt::number(x, 1, self.lang),
            _ => fmt::MISSING.to_string(),
        }
    }
    fn p(&self, p: Option<f64>) -> String {
        match p {
            Some(p) if usable(p) && p < 1e-4 => format!("< {}", fmt::number(0.0001, 4, self.lang)),
            Some(p) if usable(p) => fmt::number(p, 4, self.lang),
            _ => fmt::MISSING.to_string(),
        }
    }
    fn confidence(&self) -> String {
        fmt::percent_auto(self.input.confidence, self.lang)
    }
    fn group_name(&self, g: &NpsPageGroup) -> String {
        match &g.name {
            None => self.t("nps_all"),
            Some(s) if s.is_empty() => fmt::MISSING.to_string(),
            Some(s) => s.clone(),
        }
    }
    fn range(&self, lo: Option<f64>, hi: Option<f64>) -> String {
        match (lo, hi) {
            (Some(l), Some(h)) if usable(l) && usable(h) => self.tf(
                "nps_range",
                &[("lo", &self.pts(Some(l))), ("hi", &self.pts(Some(h)))],
            ),
            _ => fmt::MISSING.to_string(),
        }
    }
}

/// Renders the NPS page as one self-contained HTML5 page in `lang`.
///
/// Never panics and never fails: odd numbers are shown as "—", and on an (unexpected)
/// template error the page names the error instead.
///
/// ```
/// use comeback_report::{Lang, NpsPageGroup, NpsPageInput, render_nps_page};
///
/// let page = NpsPageInput {
///     file: "responses.csv".into(),
///     method: "adjusted-wald".into(),
///     confidence: 0.95,
///     groups: vec![NpsPageGroup {
///         n: 100, promoters: 50, passives: 30, detractors: 20,
///         nps: Some(30.0), ci_low: Some(14.05), ci_high: Some(44.20),
///         ..NpsPageGroup::default()
///     }],
///     ..NpsPageInput::default()
/// };
/// let html = render_nps_page(&page, Lang::En);
/// assert!(html.contains("14.1 to 44.2"));
/// ```
pub fn render_nps_page(input: &NpsPageInput, lang: Lang) -> String {
    crate::page::render_template(
        "voice.html",
        TEMPLATE,
        &build(&Ctx { lang, input }),
        lang,
        "nps page",
    )
}

fn build(c: &Ctx) -> View {
    let i = c.input;
    let t = catalog::table(c.lang);
    let confidence = c.confidence();
    let n: u64 = i.groups.iter().map(|g| g.n).sum();
    let summary = c.tf(
        "nps_summary",
        &[
            ("n", &fmt::count(n, c.lang)),
            ("blank", &fmt::count(i.non_responses, c.lang)),
        ],
    );
    let has_rate = i.groups.iter().any(|g| g.response_rate.is_some());
    let mut headers = vec![
        c.t("nps_col_group"),
        c.t("nps_col_n"),
        c.t("nps_col_promoters"),
        c.t("nps_col_passives"),
        c.t("nps_col_detractors"),
        c.t("nps_col_nps"),
        c.tf("nps_col_interval", &[("confidence", &confidence)]),
    ];
    if has_rate {
        headers.push(c.t("nps_col_rate"));
    }
    let bench = i.benchmark.filter(|b| usable(*b));
    if let Some(b) = bench {
        headers.push(c.tf("nps_col_benchmark", &[("benchmark", &c.pts(Some(b)))]));
    }
    let mut notes = Vec::new();
    let mut rows = Vec::new();
    for g in &i.groups {
        let name = c.group_name(g);
        let mut r = vec![
            ("name".to_string(), name.clone()),
            ("n".into(), fmt::count(g.n, c.lang)),
            ("promoters".into(), fmt::count(g.promoters, c.lang)),
            ("passives".into(), fmt::count(g.passives, c.lang)),
            ("detractors".into(), fmt::count(g.detractors, c.lang)),
            ("nps".into(), c.pts(g.nps)),
            ("interval".into(), c.range(g.ci_low, g.ci_high)),
        ];
        if has_rate {
            r.push((
                "rate".into(),
                g.response_rate
                    .map_or(fmt::MISSING.to_string(), |x| fmt::percent(x, 1, c.lang)),
            ));
        }
        if bench.is_some() {
            r.push(("benchmark".into(), c.p(g.benchmark_p)));
        }
        rows.push(r);
        if let (Some(x), Some(lo), Some(hi)) = (g.nps, g.ci_low, g.ci_high)
            && usable(x)
            && (x < lo || x > hi)
        {
            notes.push(c.tf("nps_excludes_note", &[("group", &name)]));
        }
        if g.n == 0 {
            notes.push(c.tf("nps_no_responses", &[("group", &name)]));
        }
    }
    if let Some(b) = bench {
        notes.push(c.tf(
            "nps_benchmark_note",
            &[
                ("benchmark", &fmt::points(b, c.lang)),
                ("alpha", &alpha(1.0 - i.confidence, c.lang)),
            ],
        ));
    }
    let charts = i
        .groups
        .iter()
        .enumerate()
        .filter(|(_, g)| !g.trend.is_empty())
        .map(|(k, g)| chart_view(c, g, k))
        .collect();
    let comparison = i.comparison.as_ref().map(|d| {
        let verdict = if usable(d.p_value) && d.p_value < 1.0 - i.confidence {
            c.t("nps_significant")
        } else {
            c.t("nps_not_significant")
        };
        let text = c.tf(
            "nps_comparison_text",
            &[
                ("a", &d.a),
                ("b", &d.b),
                ("nps_a", &c.pts(Some(d.nps_a))),
                ("nps_b", &c.pts(Some(d.nps_b))),
                ("difference", &c.pts(Some(d.difference))),
                ("confidence", &confidence),
                ("range", &c.range(Some(d.ci_low), Some(d.ci_high))),
                (
                    "z",
                    &if usable(d.z) {
                        fmt::number(d.z, 2, c.lang)
                    } else {
                        fmt::MISSING.to_string()
                    },
                ),
                ("p", &c.p(Some(d.p_value))),
            ],
        );
        format!("{text} {verdict}")
    });
    let mut method = vec![
        c.t("nps_method_definition"),
        c.tf("nps_method_range", &[("confidence", &confidence)]),
    ];
    method.push(if i.method == "wald" {
        c.t("nps_method_wald")
    } else {
        c.t("nps_method_adjusted")
    });
    View {
        lang: c.lang.code(),
        title: c.tf("nps_page_title", &[("file", &i.file)]),
        css: CSS,
        t,
        file: i.file.clone(),
        summary,
        headers,
        rows,
        notes,
        charts,
        comparison,
        method,
        footer: c.tf("nps_footer", &[("version", &i.version)]),
    }
}

/// 1 − confidence with as many decimals as it needs (0.05, 0.005), at most 6.
fn alpha(a: f64, lang: Lang) -> String {
    let d = (0..6)
        .find(|d| {
            let x = a * 10f64.powi(*d);
            (x - x.round()).abs() < 1e-6
        })
        .unwrap_or(6);
    fmt::number(a, d as usize, lang)
}

fn chart_view(c: &Ctx, g: &NpsPageGroup, k: usize) -> ChartView {
    let name = c.group_name(g);
    let title = c.tf("nps_trend_title", &[("group", &name)]);
    let confidence = c.confidence();
    let desc = c.tf("nps_trend_desc", &[("confidence", &confidence)]);
    let labels: Vec<String> = g
        .trend
        .iter()
        .map(|m| fmt::month(m.year, m.month, c.lang))
        .collect();
    let svg = band_chart(
        &format!("nps-trend-{k}"),
        &title,
        &desc,
        &c.t("nps_axis_month"),
        &c.t("nps_axis_nps"),
        &labels,
        &g.trend,
    );
    let headers = vec![
        c.t("nps_col_month"),
        c.t("nps_col_n"),
        c.t("nps_col_nps"),
        c.tf("nps_col_interval", &[("confidence", &confidence)]),
        c.t("nps_col_change"),
    ];
    let rows = g
        .trend
        .iter()
        .zip(&labels)
        .map(|(m, l)| {
            let change = match m.change {
                Some(d) if usable(d) => {
                    let sign = if d > 0.0 { "+" } else { "" };
                    format!("{sign}{} (p {})", c.pts(Some(d)), c.p(m.change_p))
                }
                _ => fmt::MISSING.to_string(),
            };
            vec![
                l.clone(),
                fmt::count(m.n, c.lang),
                c.pts(Some(m.nps)),
                c.range(Some(m.ci_low), Some(m.ci_high)),
                change,
            ]
        })
        .collect();
    ChartView {
        title,
        svg,
        headers,
        rows,
    }
}

fn px(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    if r == 0.0 { "0".into() } else { format!("{r}") }
}

/// The trend as an SVG line with the interval as a shaded band; one `class="mark"` circle
/// with `data-series="nps"` per month with a usable value.
fn band_chart(
    id: &str,
    title: &str,
    desc: &str,
    x_title: &str,
    y_title: &str,
    labels: &[String],
    months: &[NpsPageMonth],
) -> String {
    let height = 360.0;
    let (left, right, top, bottom) = (70.0, WIDTH - 20.0, 24.0, height - 60.0);
    let ok: Vec<(usize, &NpsPageMonth)> = months
        .iter()
        .enumerate()
        .filter(|(_, m)| usable(m.nps))
        .collect();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, m) in &ok {
        for v in [m.nps, m.ci_low, m.ci_high] {
            if usable(v) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    if !lo.is_finite() {
        (lo, hi) = (-100.0, 100.0);
    }
    let ticks = nice_ticks(lo.min(0.0), hi.max(0.0), 5);
    let (y0, y1) = (ticks[0], ticks[ticks.len() - 1]);
    let ny = |v: f64| bottom - (v - y0) / (y1 - y0).max(1e-9) * (bottom - top);
    let slots = months.len().max(1) as f64;
    let nx = |i: usize| left + (i as f64 + 0.5) / slots * (right - left);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d" font-family="system-ui, sans-serif" font-size="12"><title id="{id}-t">{t}</title><desc id="{id}-d">{d}</desc>"#,
        w = px(WIDTH),
        h = px(height),
        id = escape(id),
        t = escape(title),
        d = escape(desc),
    );
    for &tk in &ticks {
        let y = ny(tk);
        let _ = write!(
            out,
            r##"<line x1="{l}" x2="{r}" y1="{y}" y2="{y}" stroke="{c}"/><text x="{tx}" y="{ty}" text-anchor="end" fill="#4a5563">{v}</text>"##,
            l = px(left),
            r = px(right),
            y = px(y),
            c = if tk == 0.0 { "#6b7280" } else { "#d9dee5" },
            tx = px(left - 6.0),
            ty = px(y + 4.0),
            v = escape(&format!("{tk}")),
        );
    }
    let band: Vec<(usize, &NpsPageMonth)> = ok
        .iter()
        .copied()
        .filter(|(_, m)| usable(m.ci_low) && usable(m.ci_high))
        .collect();
    if !band.is_empty() {
        let mut pts: Vec<String> = band
            .iter()
            .map(|(i, m)| format!("{},{}", px(nx(*i)), px(ny(m.ci_high))))
            .collect();
        pts.extend(
            band.iter()
                .rev()
                .map(|(i, m)| format!("{},{}", px(nx(*i)), px(ny(m.ci_low)))),
        );
        if band.len() == 1 {
            // One month: a bar of the interval instead of a polygon without area.
            let (i, m) = band[0];
            let _ = write!(
                out,
                r##"<rect class="band" x="{x}" y="{y}" width="12" height="{h}" fill="#0b5394" fill-opacity="0.18"/>"##,
                x = px(nx(i) - 6.0),
                y = px(ny(m.ci_high)),
                h = px((ny(m.ci_low) - ny(m.ci_high)).max(0.0)),
            );
        } else {
            let _ = write!(
                out,
                r##"<polygon class="band" points="{p}" fill="#0b5394" fill-opacity="0.18" stroke="none"/>"##,
                p = pts.join(" ")
            );
        }
    }
    if ok.len() > 1 {
        let p: Vec<String> = ok
            .iter()
            .map(|(i, m)| format!("{},{}", px(nx(*i)), px(ny(m.nps))))
            .collect();
        let _ = write!(
            out,
            r#"<polyline class="line" data-series="nps" points="{}" fill="none" stroke="{}" stroke-width="2.25"/>"#,
            p.join(" "),
            COLORS[0]
        );
    }
    for (i, m) in &ok {
        let _ = write!(
            out,
            r#"<circle class="mark" data-series="nps" cx="{x}" cy="{y}" r="3.5" fill="{c}"><title>{l}: {v} (n = {n})</title></circle>"#,
            x = px(nx(*i)),
            y = px(ny(m.nps)),
            c = COLORS[0],
            l = escape(&labels[*i]),
            v = escape(&format!("{:.1}", m.nps)),
            n = m.n,
        );
    }
    let step = (months.len() / 12).max(1);
    for (i, l) in labels.iter().enumerate().filter(|(i, _)| i % step == 0) {
        let _ = write!(
            out,
            r##"<text x="{x}" y="{y}" text-anchor="middle" fill="#4a5563">{l}</text>"##,
            x = px(nx(i)),
            y = px(bottom + 18.0),
            l = escape(l),
        );
    }
    let cy = (top + bottom) / 2.0;
    let _ = write!(
        out,
        r#"<text x="{x}" y="{y}" text-anchor="middle">{xt}</text><text x="14" y="{cy}" text-anchor="middle" transform="rotate(-90 14 {cy})">{yt}</text></svg>"#,
        x = px((left + right) / 2.0),
        y = px(height - 12.0),
        cy = px(cy),
        xt = escape(x_title),
        yt = escape(y_title),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> NpsPageInput {
        let month = |m: u32, nps: f64, lo: f64, hi: f64, change: Option<f64>| NpsPageMonth {
            year: 2025,
            month: m,
            n: 40,
            nps,
            ci_low: lo,
            ci_high: hi,
            change,
            change_p: change.map(|_| 0.2),
        };
        NpsPageInput {
            file: "responses.csv".into(),
            method: "adjusted-wald".into(),
            confidence: 0.95,
            groups: vec![
                NpsPageGroup {
                    name: Some("Downtown".into()),
                    n: 100,
                    promoters: 50,
                    passives: 30,
                    detractors: 20,
                    nps: Some(30.0),
                    ci_low: Some(14.05),
                    ci_high: Some(44.20),
                    response_rate: Some(0.25),
                    benchmark_p: Some(0.01),
                    trend: vec![
                        month(1, 20.0, 0.0, 40.0, None),
                        month(2, 35.0, 15.0, 52.0, Some(15.0)),
                        month(3, f64::NAN, f64::NAN, f64::NAN, None),
                    ],
                },
                NpsPageGroup {
                    name: Some("Airport".into()),
                    n: 1,
                    promoters: 1,
                    nps: Some(100.0),
                    ci_low: Some(-48.5),
                    ci_high: Some(98.5),
                    ..NpsPageGroup::default()
                },
            ],
            comparison: Some(NpsPageComparison {
                a: "Downtown".into(),
                b: "Airport".into(),
                nps_a: 30.0,
                nps_b: 100.0,
                difference: 3.9,
                ci_low: -40.0,
                ci_high: 48.0,
                z: 0.17,
                p_value: 0.86,
            }),
            benchmark: Some(10.0),
            non_responses: 3,
            version: "0.1.0".into(),
        }
    }

    #[test]
    fn english_page() {
        let html = render_nps_page(&sample(), Lang::En);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("14.1 to 44.2"), "interval");
        assert!(html.contains("−48.5 to 98.5"));
        assert!(html.contains("below 0.05 the NPS"), "{html}");
        assert!(html.contains("25.0%"), "response rate");
        assert!(html.contains("Downtown") && html.contains("Airport"));
        // Two usable months → two marks; the NaN month is left out.
        assert_eq!(html.matches(r#"class="mark" data-series="nps""#).count(), 2);
        assert!(html.contains(r#"class="band""#));
        assert!(html.contains(lang_msg(Lang::En, "nps_not_significant")));
        assert!(html.contains("Rocks"), "method explained");
        assert!(!html.contains("NaN"));
    }

    fn lang_msg(l: Lang, k: &str) -> &str {
        l.message(k)
    }

    #[test]
    fn every_language_is_complete() {
        for lang in Lang::ALL {
            let html = render_nps_page(&sample(), lang);
            assert!(html.contains(&format!(r#"<html lang="{}">"#, lang.code())));
            assert!(!html.contains("template error"), "{lang}");
            let body = &html[html.find("</style>").expect("style")..];
            assert!(!body.contains("nps_"), "{lang}: an untranslated key");
            assert!(!body.contains('{'), "{lang}: an unfilled placeholder");
        }
    }

    #[test]
    fn escaped_and_offline() {
        let mut input = sample();
        input.file = "<script>x</script>".into();
        input.groups[0].name = Some("<b>&".into());
        let html = render_nps_page(&input, Lang::Fi);
        assert!(!html.contains("<script>x") && !html.contains("<b>&"));
        let s = html.replace(r#"xmlns="http://www.w3.org/2000/svg""#, "");
        assert!(!s.contains("http://") && !s.contains("https://"));
        assert!(html.contains("default-src 'none'"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn never_panics_or_shows_nan(
            xs in proptest::collection::vec(prop_oneof![
                Just(f64::NAN), Just(f64::INFINITY), -200.0f64..200.0, any::<f64>()
            ], 5),
            lang in 0usize..6,
            months in 0usize..30,
        ) {
            let mut input = sample();
            input.confidence = xs[0];
            input.groups[0].nps = Some(xs[1]);
            input.groups[0].ci_low = Some(xs[2]);
            input.groups[0].trend = (0..months).map(|i| NpsPageMonth {
                year: 2025, month: (i % 12) as u32 + 1, n: i as u64,
                nps: xs[i % 5], ci_low: xs[(i + 1) % 5], ci_high: xs[(i + 2) % 5],
                change: Some(xs[3]), change_p: Some(xs[4]),
            }).collect();
            let html = render_nps_page(&input, Lang::ALL[lang]);
            prop_assert!(html.trim_end().ends_with("</html>"));
            prop_assert!(!html.contains("NaN") && !html.contains(">inf"));
            prop_assert!(!html.contains("template error"));
        }
    }
}
