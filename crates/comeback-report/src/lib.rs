//! The self-contained HTML retention report: charts as inline SVG, six languages.
//!
//! The principal items:
//! - [`ReportInput`]: plain data — everything the report shows, filled by the caller
//!   (`comeback analyze`). No dependency on the models crate; only `comeback-core`'s
//!   [`Day`](comeback_core::Day) and [`TimeUnit`](comeback_core::TimeUnit).
//! - [`render`]: `ReportInput` + [`Lang`] → one HTML5 page as a `String`.
//! - [`Lang`]: `en`, `es`, `pt`, `fi`, `de`, `fr` (parse with [`str::parse`]).
//! - [`sample_input`]: a realistic, deterministic input for smoke tests.
//! - [`render_report_card`]: a [`ReportCardInput`] (one employee at one location for one
//!   month) → a printable, self-contained staff report card page.
//! - [`render_nps_page`]: an [`NpsPageInput`] (NPS per group with intervals, monthly
//!   trends, a comparison) → the page of `comeback nps --html`.
//!
//! ```
//! use comeback_report::{render, sample_input, Lang};
//!
//! let lang: Lang = "de".parse()?;
//! let html = render(&sample_input(), lang);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains(r#"<html lang="de">"#));
//! # Ok::<(), comeback_report::UnknownLang>(())
//! ```
//!
//! # Design
//! **Architecture invariant:** the crate does no I/O, reads no clock and computes no
//! statistics; it formats what it is given. It never panics on any input: NaN, infinite
//! or absurd (|x| > 10¹⁵) numbers are shown as "—" and left out of charts, empty sections
//! say so.
//!
//! The page is one self-contained file: inline CSS and SVG, no JavaScript, no fonts or
//! images to load, and a Content-Security-Policy that forbids loading anything, so it
//! opens from disk and works offline. No `http://` or `https://` appears in it except
//! the SVG namespace. The template (minijinja) escapes every value; the only unescaped
//! inserts are the stylesheet and the SVG charts, which [`chart`] builds with its own
//! escaping. Customer ids and file names are user data and come out escaped.
//!
//! Charts come from the small [`chart`] module rather than a charting crate: `plotters`'
//! SVG backend writes anonymous primitives (no classes, data attributes, `<title>` or
//! `<desc>`), and `charming` needs JavaScript. Every data point is one element with
//! `class="mark"` and a `data-series` attribute, so tests can count marks; every chart is a
//! `<figure>` with a `<figcaption>`, an SVG with `role="img"`, `<title>` and `<desc>`, and
//! a data table in a `<details>` element.
//!
//! Every message is in the message catalogue (`src/catalog/`, one table per language; a
//! test keeps them complete and translated); numbers, money, percentages and dates follow
//! the language's conventions ([`format`](mod@format)).

#![deny(missing_docs)]

mod catalog;
pub mod chart;
pub mod format;
mod input;
mod lang;
mod page;
mod reasons;
mod report_card;
mod sample;
mod voice;

pub use input::*;
pub use lang::{Lang, UnknownLang};
pub use page::TOP_N;
pub use reasons::{REASON_KEYS, ReasonRow, ReasonsInput, render_reasons};
pub use report_card::{CardCriterion, KNOWN_CRITERIA, ReportCardInput, render_report_card};
pub use sample::{sample_input, standard_citations};
pub use voice::{NpsPageComparison, NpsPageGroup, NpsPageInput, NpsPageMonth, render_nps_page};

/// Renders the report as one self-contained HTML5 page in `lang`.
///
/// Never panics; never fails on odd data (see the crate docs).
pub fn render(input: &ReportInput, lang: Lang) -> String {
    page::render(input, lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn marks(html: &str, series: &str) -> usize {
        html.matches(&format!(r#"class="mark" data-series="{series}""#))
            .count()
    }

    fn figure<'a>(html: &'a str, id: &str) -> &'a str {
        let start = html
            .find(&format!(r#"data-figure="{id}""#))
            .unwrap_or_else(|| panic!("figure {id}"));
        let end = html[start..].find("</figure>").unwrap() + start;
        &html[start..end]
    }

    fn no_urls(html: &str) -> bool {
        let s = html.replace(r#"xmlns="http://www.w3.org/2000/svg""#, "");
        !s.contains("http://") && !s.contains("https://")
    }

    #[test]
    fn headline_numbers_per_language() {
        let input = sample_input();
        let expect: [(Lang, &[&str]); 6] = [
            (
                Lang::En,
                &[
                    "2,357", "1,125", "31.2%", "$28,741", "$66,271", "$31,513", "1,893", "$4,812",
                ],
            ),
            (
                Lang::De,
                &[
                    "2.357",
                    "1.125",
                    "31,2\u{a0}%",
                    "28.741\u{a0}$",
                    "66.271\u{a0}$",
                ],
            ),
            (
                Lang::Es,
                &[
                    "2357",
                    "1125",
                    "31,2\u{a0}%",
                    "28.741\u{a0}$",
                    "66.271\u{a0}$",
                ],
            ),
            (
                Lang::Pt,
                &["2.357", "31,2%", "$\u{a0}28.741", "$\u{a0}66.271"],
            ),
            (
                Lang::Fi,
                &["2\u{a0}357", "31,2\u{a0}%", "28\u{a0}741\u{a0}$"],
            ),
            (
                Lang::Fr,
                &["2\u{202f}357", "31,2\u{202f}%", "28\u{202f}741\u{a0}$"],
            ),
        ];
        for (lang, numbers) in expect {
            let html = render(&input, lang);
            assert!(html.contains(&format!(r#"<html lang="{}">"#, lang.code())));
            for n in numbers {
                assert!(html.contains(n), "{lang}: {n:?} missing");
            }
            assert!(
                html.contains(lang.message("section_headline")),
                "{lang}: heading"
            );
        }
    }

    fn card(html: &str, key: &str) -> String {
        let needle = format!(r#"data-value="{key}">"#);
        let start = html.find(&needle).expect("card") + needle.len();
        let end = html[start..].find('<').expect("card end") + start;
        html[start..end].to_string()
    }

    /// The product brief's worked fact: 700 customers spending $300 a year, 20 % of
    /// them defect → 140 customers and $42,000 lost.
    #[test]
    fn small_input_snapshot() {
        let input = ReportInput {
            meta: Metadata {
                currency: "EUR".into(),
                observation_end: comeback_core::Day::from_ymd(2024, 12, 31).unwrap(),
                ..Metadata::default()
            },
            headline: Headline {
                customers: 700,
                expected_alive_now: 612.4,
                defection_rate_12m: 0.2,
                customers_lost_12m: 140,
                revenue_lost_12m: 42_000.0,
                expected_purchases: Interval {
                    estimate: 1234.5,
                    lower: 1100.0,
                    upper: 1400.0,
                },
                expected_revenue: Interval {
                    estimate: 370_350.0,
                    lower: f64::NAN,
                    upper: f64::NAN,
                },
                revenue_at_risk: 0.5,
                what_if: None,
            },
            ..ReportInput::default()
        };
        let expect: [(Lang, [&str; 7]); 6] = [
            (
                Lang::En,
                [
                    "700",
                    "612",
                    "20.0%",
                    "€42,000",
                    "1,235",
                    "€370,350",
                    "€0.50",
                ],
            ),
            (
                Lang::Es,
                [
                    "700",
                    "612",
                    "20,0\u{a0}%",
                    "42.000\u{a0}€",
                    "1235",
                    "370.350\u{a0}€",
                    "0,50\u{a0}€",
                ],
            ),
            (
                Lang::Pt,
                [
                    "700",
                    "612",
                    "20,0%",
                    "€\u{a0}42.000",
                    "1.235",
                    "€\u{a0}370.350",
                    "€\u{a0}0,50",
                ],
            ),
            (
                Lang::Fi,
                [
                    "700",
                    "612",
                    "20,0\u{a0}%",
                    "42\u{a0}000\u{a0}€",
                    "1\u{a0}235",
                    "370\u{a0}350\u{a0}€",
                    "0,50\u{a0}€",
                ],
            ),
            (
                Lang::De,
                [
                    "700",
                    "612",
                    "20,0\u{a0}%",
                    "42.000\u{a0}€",
                    "1.235",
                    "370.350\u{a0}€",
                    "0,50\u{a0}€",
                ],
            ),
            (
                Lang::Fr,
                [
                    "700",
                    "612",
                    "20,0\u{202f}%",
                    "42\u{202f}000\u{a0}€",
                    "1\u{202f}235",
                    "370\u{202f}350\u{a0}€",
                    "0,50\u{a0}€",
                ],
            ),
        ];
        let keys = [
            "customers",
            "alive",
            "defection",
            "revenue_lost",
            "purchases",
            "revenue",
            "at_risk",
        ];
        for (lang, values) in expect {
            let html = render(&input, lang);
            for (key, value) in keys.iter().zip(values) {
                assert_eq!(card(&html, key), value, "{lang} {key}");
            }
            // 140 customers lost, in the explanation; no interval for the revenue.
            assert!(html.contains("140"), "{lang}");
            assert!(!html.contains(r#"data-value="what_if_model""#));
        }
        let de = render(&input, Lang::De);
        assert!(de.contains("31.12.2024"));
        assert!(de.contains("95-%-Bereich: 1.100 bis 1.400"));
        assert_eq!(de.matches("95-%-Bereich:").count(), 1);
    }

    #[test]
    fn one_mark_per_data_point() {
        let input = sample_input();
        let html = render(&input, Lang::En);
        let t = figure(&html, "tracking");
        assert_eq!(marks(t, "actual"), input.tracking.points.len());
        assert_eq!(marks(t, "predicted"), input.tracking.points.len());
        assert_eq!(t.matches(r#"class="boundary""#).count(), 1);
        let f = figure(&html, "frequency");
        assert_eq!(marks(f, "actual"), input.frequency.len());
        assert_eq!(marks(f, "expected"), input.frequency.len());
        assert_eq!(
            marks(figure(&html, "p-alive"), "cells"),
            input.p_alive.cells.len()
        );
        assert_eq!(
            marks(figure(&html, "clv"), "customers"),
            input.clv_distribution.len()
        );
        let r = figure(&html, "rfm");
        assert_eq!(marks(r, "customers"), input.rfm_segments.len());
        assert_eq!(marks(r, "value"), input.rfm_segments.len());
        let cells: usize = input.cohorts.iter().map(|c| c.retention.len()).sum();
        assert_eq!(marks(figure(&html, "cohorts"), "cells"), cells);
    }

    #[test]
    fn page_structure_and_accessibility() {
        let html = render(&sample_input(), Lang::En);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(no_urls(&html), "a URL other than the SVG namespace");
        assert!(!html.contains("<script"));
        assert!(!html.contains("NaN") && !html.contains("inf<"));
        assert_eq!(html.matches("<figure").count(), 7);
        assert_eq!(html.matches("<figcaption>").count(), 7);
        assert_eq!(html.matches(r#"role="img""#).count(), 7);
        assert_eq!(html.matches("<desc id=").count(), 7);
        // Top 20 of each list (the sample has 25 rows each).
        for list in ["at_risk", "win_back", "advocates"] {
            let start = html.find(&format!(r#"data-list="{list}""#)).unwrap();
            let end = html[start..].find("</table>").unwrap() + start;
            assert_eq!(html[start..end].matches("<tr>").count(), 1 + TOP_N);
        }
        // "How this was computed" comes last.
        let method = html.find(r#"id="method""#).unwrap();
        for id in ["headline", "actions", "customers", "retention", "forecast"] {
            assert!(html.find(&format!(r#"id="{id}""#)).unwrap() < method);
        }
        assert!(html.contains("Fader, P. S."));
        assert!(html.contains("@media print"));
    }

    #[test]
    fn user_data_is_escaped() {
        let mut input = sample_input();
        let evil = r#"<script>alert("x")</script>&"#;
        input.meta.input_file = evil.into();
        input.meta.title = Some(evil.into());
        input.at_risk.rows[0].customer_id = evil.into();
        input.rfm_segments[0].key = evil.into();
        input.models.models[0].name = evil.into();
        input.models.chosen = Some(evil.into());
        input.citations.push(evil.into());
        input.meta.flags.push(("--x".into(), evil.into()));
        input.parameters[0].parameters[0].name = evil.into();
        for lang in Lang::ALL {
            let html = render(&input, lang);
            assert!(!html.contains("<script"), "{lang}");
            assert!(html.contains("&lt;script&gt;"));
            assert!(no_urls(&html));
        }
    }

    #[test]
    fn empty_input_renders_degenerate_page() {
        let input = ReportInput::default();
        for lang in Lang::ALL {
            let html = render(&input, lang);
            assert!(html.contains("</html>"), "{lang}");
            assert!(html.contains(lang.message("no_data")));
            assert!(html.contains(lang.message("list_empty")));
            assert!(html.contains(lang.message("no_model")));
            assert!(!html.contains("report template error"));
            assert_eq!(html.matches(r#"class="mark""#).count(), 0);
        }
    }

    #[test]
    fn odd_numbers_show_as_dashes() {
        let mut input = sample_input();
        input.headline.expected_alive_now = f64::NAN;
        input.headline.revenue_lost_12m = f64::INFINITY;
        input.headline.expected_revenue.lower = f64::NAN;
        input.tracking.points[5].actual = f64::NAN;
        input.tracking.points[6].predicted = 1e300;
        input.p_alive.cells[3].mean_p_alive = f64::NAN;
        input.p_alive.cells.push(HeatCell {
            row: 99,
            col: 0,
            mean_p_alive: 0.5,
            customers: 1,
        });
        input.cohorts[0].retention[2] = None;
        input.headline.customers = u64::MAX;
        let html = render(&input, Lang::En);
        assert!(!html.contains("NaN") && !html.contains("inf<"));
        assert!(html.contains(r#"data-value="alive">—<"#));
        assert!(html.contains(r#"data-value="revenue_lost">—<"#));
        let n = input.tracking.points.len();
        assert_eq!(marks(figure(&html, "tracking"), "actual"), n - 1);
        assert_eq!(marks(figure(&html, "tracking"), "predicted"), n - 1);
        assert_eq!(
            marks(figure(&html, "p-alive"), "cells"),
            input.p_alive.cells.len() - 2
        );
    }

    fn odd_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.0),
            Just(-0.0),
            Just(1e300),
            Just(-1e300),
            Just(f64::MIN_POSITIVE),
            -1e6f64..1e6,
            any::<f64>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn never_panics_on_odd_numbers(
            xs in proptest::collection::vec(odd_f64(), 16),
            n in any::<u64>(),
            len in 0usize..4,
            lang in 0usize..6,
        ) {
            let mut input = sample_input();
            input.headline.expected_alive_now = xs[0];
            input.headline.defection_rate_12m = xs[1];
            input.headline.expected_purchases = Interval { estimate: xs[2], lower: xs[3], upper: xs[4] };
            input.headline.customers = n;
            if let Some(w) = input.headline.what_if.as_mut() { w.points = xs[5]; w.model_revenue_gain = xs[6]; }
            input.tracking.points.truncate(len * 20);
            for p in input.tracking.points.iter_mut().step_by(3) { p.actual = xs[7]; p.period = xs[8]; }
            input.tracking.calibration_end = xs[9];
            input.frequency.truncate(len * 3);
            if let Some(b) = input.frequency.first_mut() { b.expected = xs[10]; b.bucket.lo = xs[11]; }
            for c in input.p_alive.cells.iter_mut().step_by(4) { c.mean_p_alive = xs[12]; }
            input.rfm_segments.truncate(len * 4);
            if let Some(s) = input.rfm_segments.first_mut() { s.value = xs[13]; s.customers = n; }
            input.clv_distribution.truncate(len * 3);
            if let Some(c) = input.cohorts.first_mut() { c.retention.push(Some(xs[14])); c.month = n as u32; }
            input.meta.horizon = xs[15];
            input.meta.observation_end = comeback_core::Day(n as i32);
            let html = render(&input, Lang::ALL[lang]);
            prop_assert!(html.ends_with("</html>\n") || html.ends_with("</html>"));
            prop_assert!(!html.contains("NaN"));
            prop_assert!(!html.contains("report template error"));
        }
    }
}
