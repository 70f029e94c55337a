//! The reasons page: why customers leave or stay, from classified open answers, as one
//! self-contained HTML page in six languages (inline CSS and SVG, no network, no JavaScript).
//!
//! The page shows a reason Pareto chart (bars: each reason's share of all reason mentions;
//! line: the cumulative share, Juran's "vital few" first), the table behind it and up to a
//! few representative quotes per reason. Like the rest of the crate it computes nothing: the
//! counts, shares and chosen quotes come from the caller (`comeback reasons`, from
//! `comeback_voice::classify::reason_pareto` and `representative_quotes`). Every text comes
//! from the message catalogue (keys starting with `rs_`, reason names `reason_<label>`);
//! reasons a business added itself are shown by their label.

use crate::Lang;
use crate::chart::{COLORS, WIDTH, escape};
use crate::format::{self as fmt, usable};
use std::fmt::Write as _;

const CSS: &str = include_str!("report.css");

/// The reasons of the default taxonomy, which the catalogue names (`reason_<label>`).
pub const REASON_KEYS: [&str; 11] = [
    "price",
    "quality",
    "competitor_offer",
    "inadequate_response",
    "broken_promise",
    "unresolved_complaint",
    "general_dissatisfaction",
    "praise_staff",
    "praise_quality",
    "praise_value",
    "praise_speed",
];

/// Everything the reasons page shows: plain data, filled by the caller.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReasonsInput {
    /// The answers file's display name (user data: escaped).
    pub input_file: String,
    /// Rows of the file (answers given or blank).
    pub answers: u64,
    /// Blank answers (non-responses).
    pub non_responses: u64,
    /// Non-blank answers in which no reason was found.
    pub no_reason: u64,
    /// The Pareto table, most frequent reason first.
    pub rows: Vec<ReasonRow>,
    /// Answers per language code (`en`, …) or `?` for undetected, in display order.
    pub languages: Vec<(String, u64)>,
    /// Comeback version, e.g. `0.1.0`.
    pub version: String,
}

/// One reason of the Pareto table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReasonRow {
    /// The reason label (`price`, … or a business's own).
    pub reason: String,
    /// Answers that give the reason.
    pub count: u64,
    /// Share of all reason mentions, in [0, 1].
    pub share: f64,
    /// Cumulative share up to this row, in [0, 1].
    pub cumulative_share: f64,
    /// Representative answers (user data: escaped), best first.
    pub quotes: Vec<String>,
}

struct Ctx {
    lang: Lang,
}

impl Ctx {
    fn t(&self, key: &str) -> String {
        self.lang.message(key).to_string()
    }

    fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.format(key, args)
    }

    /// The translated name of a default reason, or the label itself.
    fn reason(&self, label: &str) -> String {
        if REASON_KEYS.contains(&label) {
            self.t(&format!("reason_{label}"))
        } else {
            label.to_string()
        }
    }

    fn pct(&self, x: f64) -> String {
        fmt::percent(x, 1, self.lang)
    }
}

/// Renders the reasons page in `lang`. Never panics: odd numbers are shown as "—" and left
/// out of the chart; an empty table says so.
///
/// ```
/// use comeback_report::{Lang, ReasonRow, ReasonsInput, render_reasons};
///
/// let input = ReasonsInput {
///     input_file: "exit.csv".into(),
///     answers: 3,
///     rows: vec![ReasonRow {
///         reason: "price".into(),
///         count: 2,
///         share: 1.0,
///         cumulative_share: 1.0,
///         quotes: vec!["Too expensive.".into()],
///     }],
///     ..ReasonsInput::default()
/// };
/// let html = render_reasons(&input, Lang::Fi);
/// assert!(html.contains("Hinta"));
/// assert!(html.contains("Too expensive."));
/// ```
pub fn render_reasons(input: &ReasonsInput, lang: Lang) -> String {
    let c = Ctx { lang };
    let title = c.t("rs_page_title");
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="{code}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="color-scheme" content="light">
<title>{title}</title>
<style>{CSS}
.quotes {{ margin: 0; padding-left: 0; list-style: none; }}
.quotes li {{ border-left: 4px solid var(--line); padding: 4px 12px; margin: 8px 0; max-width: 80ch; }}
</style>
</head>
<body>
<header class="masthead"><div class="wrap"><p class="brand">Comeback</p><h1>{title}</h1><p class="meta">{meta}</p></div></header>
<main class="wrap">
"#,
        code = lang.code(),
        title = escape(&title),
        meta = escape(&c.tf("rs_meta", &[("file", &input.input_file)])),
    );
    let given = input.answers.saturating_sub(input.non_responses);
    let _ = write!(
        h,
        r#"<section id="summary" aria-labelledby="h-summary"><h2 id="h-summary">{}</h2><p class="lead" data-value="answers">{}</p>"#,
        escape(&c.t("rs_summary_title")),
        escape(&c.tf(
            "rs_summary",
            &[
                ("answers", &fmt::count(input.answers, lang)),
                ("given", &fmt::count(given, lang)),
                ("blank", &fmt::count(input.non_responses, lang)),
                ("none", &fmt::count(input.no_reason, lang)),
            ],
        )),
    );
    if !input.languages.is_empty() {
        let langs: Vec<String> = input
            .languages
            .iter()
            .map(|(l, n)| format!("{l}: {}", fmt::count(*n, lang)))
            .collect();
        let _ = write!(
            h,
            r#"<p class="note">{}</p>"#,
            escape(&c.tf("rs_languages", &[("list", &langs.join(" · "))]))
        );
    }
    h.push_str("</section>\n");

    // The Pareto chart and its table.
    let rows: Vec<&ReasonRow> = input
        .rows
        .iter()
        .filter(|r| usable(r.share) && usable(r.cumulative_share))
        .collect();
    let _ = write!(
        h,
        r#"<section id="pareto" aria-labelledby="h-pareto"><h2 id="h-pareto">{}</h2><p class="lead">{}</p>"#,
        escape(&c.t("rs_pareto_title")),
        escape(&c.t("rs_pareto_intro")),
    );
    let _ = write!(
        h,
        r#"<figure class="chart-figure" id="fig-pareto" data-figure="pareto"><figcaption><strong>{}</strong> {}</figcaption>"#,
        escape(&c.t("rs_chart_title")),
        escape(&c.t("rs_chart_caption")),
    );
    if rows.is_empty() {
        let _ = write!(
            h,
            r#"<p class="empty">{}</p>"#,
            escape(&c.t("rs_no_reasons"))
        );
    } else {
        let _ = write!(
            h,
            r#"<div class="chart-wrap">{}</div>"#,
            pareto_svg(&c, &rows)
        );
        let _ = write!(
            h,
            r#"<details class="data-details"><summary>{}</summary><div class="table-scroll"><table class="data" data-table="pareto"><caption>{}</caption><thead><tr><th scope="col">{}</th><th scope="col" class="num">{}</th><th scope="col" class="num">{}</th><th scope="col" class="num">{}</th></tr></thead><tbody>"#,
            escape(&c.t("show_data")),
            escape(&c.t("rs_chart_title")),
            escape(&c.t("rs_col_reason")),
            escape(&c.t("rs_col_count")),
            escape(&c.t("rs_col_share")),
            escape(&c.t("rs_col_cumulative")),
        );
        for r in &rows {
            let _ = write!(
                h,
                r#"<tr><th scope="row">{}</th><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
                escape(&c.reason(&r.reason)),
                fmt::count(r.count, lang),
                escape(&c.pct(r.share)),
                escape(&c.pct(r.cumulative_share)),
            );
        }
        h.push_str("</tbody></table></div></details>");
    }
    h.push_str("</figure></section>\n");

    // Quotes.
    let _ = write!(
        h,
        r#"<section id="quotes" aria-labelledby="h-quotes"><h2 id="h-quotes">{}</h2><p class="lead">{}</p>"#,
        escape(&c.t("rs_quotes_title")),
        escape(&c.t("rs_quotes_intro")),
    );
    if input.rows.is_empty() {
        let _ = write!(
            h,
            r#"<p class="empty">{}</p>"#,
            escape(&c.t("rs_no_reasons"))
        );
    }
    for r in &input.rows {
        let _ = write!(
            h,
            r#"<section data-reason="{}"><h3>{} <span class="note">({})</span></h3><ul class="quotes">"#,
            escape(&r.reason),
            escape(&c.reason(&r.reason)),
            escape(&c.tf("rs_answers_n", &[("n", &fmt::count(r.count, lang))])),
        );
        for q in &r.quotes {
            let _ = write!(h, r#"<li><q>{}</q></li>"#, escape(q));
        }
        h.push_str("</ul></section>");
    }
    h.push_str("</section>\n");

    let _ = write!(
        h,
        r#"<section id="method" aria-labelledby="h-method"><h2 id="h-method">{}</h2><p>{}</p><p>{}</p></section>
</main>
<footer class="wrap"><p class="note">{}</p></footer>
</body>
</html>
"#,
        escape(&c.t("rs_method_title")),
        escape(&c.t("rs_method")),
        escape(&c.t("rs_method_quotes")),
        escape(&c.tf("rs_footer", &[("version", &input.version)])),
    );
    h
}

/// The Pareto chart: one bar (`rect.mark`, series `share`) per reason and one point
/// (`circle.mark`, series `cumulative`) of the cumulative line, on a 0–100 % axis.
fn pareto_svg(c: &Ctx, rows: &[&ReasonRow]) -> String {
    let n = rows.len().max(1) as f64;
    let labels: Vec<String> = rows.iter().map(|r| c.reason(&r.reason)).collect();
    // Rough text width at `size` px (average glyph ≈ 0.56 em), as in the chart module.
    let width = |s: &str, size: f64| s.chars().count() as f64 * size * 0.56;
    let right = WIDTH - 16.0;
    let long = labels
        .iter()
        .any(|l| width(l, 11.0) > (right - 78.0) / n - 6.0);
    let widest = labels.iter().map(|l| width(l, 11.0)).fold(0.0, f64::max);
    // Labels rotated by 35° reach 0.82 of their width down and left of their anchor: the
    // plot is taller and, when the first label is long, starts further right.
    let height = if long { 380.0 + 0.57 * widest } else { 380.0 };
    let mut left = 78.0;
    if long {
        let first = labels.first().map_or(0.0, |l| width(l, 12.0) * 0.82);
        let band0 = (right - left) / n;
        left = f64::max(left, first - band0 / 2.0 + 12.0);
    }
    let top = 34.0;
    let bottom = height - if long { 52.0 + 0.57 * widest } else { 52.0 };
    let y = |v: f64| bottom - (bottom - top) * v.clamp(0.0, 1.0);
    let band = (right - left) / n;
    let title = c.t("rs_chart_title");
    let desc = c.t("rs_chart_desc");
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="pareto-title pareto-desc" class="chart"><title id="pareto-title">{}</title><desc id="pareto-desc">{}</desc>"#,
        escape(&title),
        escape(&desc),
    );
    for i in 0..=4 {
        let v = i as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{right}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e5e7eb"/><text class="tick" x="{tx}" y="{ty:.1}" text-anchor="end" fill="#4a5563">{label}</text>"##,
            yy = y(v),
            tx = left - 6.0,
            ty = y(v) + 4.0,
            label = escape(&fmt::percent(v, 0, c.lang)),
        );
    }
    let _ = write!(s, r#"<g class="marks" data-series="share">"#);
    for (i, r) in rows.iter().enumerate() {
        let x = left + band * i as f64 + band * 0.1;
        let _ = write!(
            s,
            r#"<rect class="mark" data-series="share" x="{x:.1}" y="{yy:.1}" width="{w:.1}" height="{hh:.1}" fill="{col}"><title>{l}: {n} ({p})</title></rect>"#,
            yy = y(r.share),
            w = band * 0.8,
            hh = bottom - y(r.share),
            col = COLORS[0],
            l = escape(&labels[i]),
            n = fmt::count(r.count, c.lang),
            p = escape(&c.pct(r.share)),
        );
    }
    s.push_str("</g>");
    let pts: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "{:.1},{:.1}",
                left + band * (i as f64 + 0.5),
                y(r.cumulative_share)
            )
        })
        .collect();
    let _ = write!(
        s,
        r#"<g class="marks" data-series="cumulative"><polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
        pts.join(" "),
        COLORS[1],
    );
    for (i, r) in rows.iter().enumerate() {
        let _ = write!(
            s,
            r#"<circle class="mark" data-series="cumulative" cx="{:.1}" cy="{:.1}" r="4" fill="{}"><title>{}: {}</title></circle>"#,
            left + band * (i as f64 + 0.5),
            y(r.cumulative_share),
            COLORS[1],
            escape(&labels[i]),
            escape(&c.pct(r.cumulative_share)),
        );
    }
    s.push_str("</g>");
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#6b7280"/>"##
    );
    for (i, l) in labels.iter().enumerate() {
        let cx = left + band * (i as f64 + 0.5);
        let ty = bottom + 16.0;
        if long {
            let _ = write!(
                s,
                r##"<text class="tick" x="{cx:.1}" y="{ty:.1}" text-anchor="end" transform="rotate(-35 {cx:.1} {ty:.1})" fill="#4a5563">{}</text>"##,
                escape(l)
            );
        } else {
            let _ = write!(
                s,
                r##"<text class="tick" x="{cx:.1}" y="{ty:.1}" text-anchor="middle" fill="#4a5563">{}</text>"##,
                escape(l)
            );
        }
    }
    // Legend and y-axis title.
    let share_label = c.t("rs_series_share");
    let x2 = left + 18.0 + width(&share_label, 12.0) + 24.0;
    let _ = write!(
        s,
        r##"<rect x="{left}" y="8" width="12" height="12" fill="{}"/><text class="tick" x="{:.1}" y="18" fill="#1f2933">{}</text><line x1="{x2:.1}" x2="{:.1}" y1="14" y2="14" stroke="{}" stroke-width="2"/><text class="tick" x="{:.1}" y="18" fill="#1f2933">{}</text>"##,
        COLORS[0],
        left + 18.0,
        escape(&share_label),
        x2 + 20.0,
        COLORS[1],
        x2 + 26.0,
        escape(&c.t("rs_series_cumulative")),
    );
    let cy = (top + bottom) / 2.0;
    let _ = write!(
        s,
        r##"<text class="axis-title" x="14" y="{cy:.1}" transform="rotate(-90 14 {cy:.1})" text-anchor="middle">{}</text></svg>"##,
        escape(&c.t("rs_axis_share")),
    );
    s
}

/// Keys the page uses (for the catalogue test).
#[cfg(test)]
const PAGE_KEYS: [&str; 22] = [
    "rs_page_title",
    "rs_meta",
    "rs_summary_title",
    "rs_summary",
    "rs_languages",
    "rs_pareto_title",
    "rs_pareto_intro",
    "rs_chart_title",
    "rs_chart_caption",
    "rs_chart_desc",
    "rs_no_reasons",
    "rs_col_reason",
    "rs_col_count",
    "rs_col_share",
    "rs_col_cumulative",
    "rs_series_share",
    "rs_series_cumulative",
    "rs_axis_share",
    "rs_quotes_title",
    "rs_quotes_intro",
    "rs_answers_n",
    "rs_method_title",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn sample() -> ReasonsInput {
        ReasonsInput {
            input_file: "exit <2025>.csv".into(),
            answers: 10,
            non_responses: 2,
            no_reason: 1,
            rows: vec![
                ReasonRow {
                    reason: "price".into(),
                    count: 4,
                    share: 0.5,
                    cumulative_share: 0.5,
                    quotes: vec!["Too <b>expensive</b>".into(), "Pricey".into()],
                },
                ReasonRow {
                    reason: "parking".into(),
                    count: 3,
                    share: 0.375,
                    cumulative_share: 0.875,
                    quotes: vec!["No parking".into()],
                },
                ReasonRow {
                    reason: "quality".into(),
                    count: 1,
                    share: 0.125,
                    cumulative_share: 1.0,
                    quotes: vec![],
                },
            ],
            languages: vec![("en".into(), 7), ("fi".into(), 1)],
            version: "0.1.0".into(),
        }
    }

    #[test]
    fn one_mark_per_reason_and_escaped_user_data() {
        for lang in Lang::ALL {
            let html = render_reasons(&sample(), lang);
            assert!(html.starts_with("<!DOCTYPE html>"));
            assert!(html.contains(&format!(r#"<html lang="{}">"#, lang.code())));
            assert_eq!(
                html.matches(r#"class="mark" data-series="share""#).count(),
                3
            );
            assert_eq!(
                html.matches(r#"class="mark" data-series="cumulative""#)
                    .count(),
                3
            );
            assert!(!html.contains("<b>") && html.contains("&lt;b&gt;"));
            assert!(html.contains("exit &lt;2025&gt;.csv"));
            assert!(html.contains("parking"), "{lang}: own reasons by label");
            assert!(html.contains(lang.message("reason_price")));
            assert!(!html.contains("<script") && !html.contains("https://"));
            assert_eq!(html.matches("<li><q>").count(), 3);
            assert!(html.contains(&fmt::percent(0.875, 1, lang)));
        }
        let fi = render_reasons(&sample(), Lang::Fi);
        assert!(fi.contains("87,5\u{a0}%"));
    }

    #[test]
    fn empty_and_odd_inputs() {
        let html = render_reasons(&ReasonsInput::default(), Lang::De);
        assert!(html.contains(Lang::De.message("rs_no_reasons")));
        assert_eq!(html.matches(r#"class="mark""#).count(), 0);
        let mut odd = sample();
        odd.rows[0].share = f64::NAN;
        odd.rows[1].cumulative_share = f64::INFINITY;
        let html = render_reasons(&odd, Lang::En);
        assert!(!html.contains("NaN") && !html.contains("inf<"));
        assert_eq!(
            html.matches(r#"class="mark" data-series="share""#).count(),
            1
        );
    }

    #[test]
    fn every_key_is_in_every_catalogue() {
        for lang in Lang::ALL {
            let table = catalog::messages(lang);
            let has = |k: &str| table.iter().any(|(key, _)| *key == k);
            for k in PAGE_KEYS
                .iter()
                .copied()
                .chain(["rs_method", "rs_method_quotes", "rs_footer"])
            {
                assert!(has(k), "{lang}: {k}");
            }
            for r in REASON_KEYS {
                assert!(has(&format!("reason_{r}")), "{lang}: reason_{r}");
            }
        }
    }
}
