//! The printable staff report card: one employee at one location for one month, as one
//! self-contained HTML page (A4 print stylesheet, no network, no JavaScript).
//!
//! The card shows the employee only their own numbers: per criterion the mean score
//! (1–5), its confidence interval, the number of ratings, the change against last month
//! and their rank among the colleagues at the same location — never a colleague's name or
//! score. [`ReportCardInput`] holds no other employee's data, so a card cannot leak one.
//!
//! Like the retention report, this module computes no statistics: the means, intervals,
//! changes and ranks come from the caller (`comeback report-card`, from
//! `comeback_voice::report_cards`), and every text comes from the message catalogue
//! (keys starting with `rc_`).

use crate::format::{self as fmt, usable};
use crate::lang::fill;
use crate::{Lang, catalog};
use serde::Serialize;
use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("report_card.html.j2");
const CSS: &str = include_str!("report_card.css");

/// The criteria with a translated name and definition in the catalogue (the four SERVQUAL
/// dimensions that describe a person's service, Parasuraman, Zeithaml & Berry 1988,
/// *Journal of Retailing* 64(1), 12–40, p. 23). Other criteria are shown as given.
pub const KNOWN_CRITERIA: [&str; 4] = ["reliability", "responsiveness", "empathy", "assurance"];

/// One employee's report card at one location for one month: plain data, filled by the
/// caller.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportCardInput {
    /// The employee's name as in the ratings (user data: escaped).
    pub employee: String,
    /// The location's name as in the ratings (user data: escaped).
    pub location: String,
    /// Year of the month reported, e.g. 2025.
    pub year: i32,
    /// Month reported, 1–12.
    pub month: u32,
    /// Confidence level of the intervals, a share in (0, 1), e.g. 0.95.
    pub confidence: f64,
    /// Lowest score of the rating scale (1).
    pub scale_min: u8,
    /// Highest score of the rating scale (5).
    pub scale_max: u8,
    /// One row per criterion, in the configured order.
    pub criteria: Vec<CardCriterion>,
    /// All of this month's ratings of the employee at this location together; `None`
    /// leaves the row out.
    pub overall: Option<CardCriterion>,
    /// When the card was made, already formatted by the caller (the crate reads no
    /// clock), e.g. `2026-11-30 09:12 UTC`; empty leaves it out.
    pub generated_at: String,
    /// Comeback version, e.g. `0.1.0`.
    pub version: String,
}

/// One row of a card: a criterion's result this month. Scores are on the card's scale;
/// a missing or non-finite number is shown as "—".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CardCriterion {
    /// The criterion as configured, e.g. `reliability` (translated when in
    /// [`KNOWN_CRITERIA`], shown as given otherwise).
    pub criterion: String,
    /// Number of ratings this month.
    pub n: u64,
    /// Mean score this month; `None` without ratings.
    pub mean: Option<f64>,
    /// Lower end of the confidence interval of the mean; `None` when there is none (fewer
    /// than two ratings).
    pub ci_low: Option<f64>,
    /// Upper end of the confidence interval of the mean.
    pub ci_high: Option<f64>,
    /// This month's mean minus last month's; `None` without ratings last month.
    pub change: Option<f64>,
    /// Rank among the colleagues at the location rated on this criterion this month, 1 =
    /// highest mean (equal means share a rank); `None` when not ranked.
    pub rank: Option<u32>,
    /// Number of employees ranked on this criterion at the location (including this one).
    pub peers: u32,
    /// True when another employee has the same rank.
    pub tied: bool,
}

#[derive(Serialize)]
struct View {
    lang: &'static str,
    title: String,
    css: &'static str,
    t: BTreeMap<&'static str, &'static str>,
    employee: String,
    subtitle: String,
    summary: String,
    headers: Vec<String>,
    rows: Vec<RowView>,
    overall: Option<RowView>,
    notes: Vec<(String, String)>,
    definitions: Vec<(String, String)>,
    footer: String,
}

#[derive(Serialize)]
struct RowView {
    key: String,
    name: String,
    mean: String,
    interval: String,
    n: String,
    change: String,
    direction: &'static str,
    rank: String,
}

struct Ctx<'a> {
    lang: Lang,
    input: &'a ReportCardInput,
}

impl Ctx<'_> {
    fn t(&self, key: &str) -> String {
        self.lang.message(key).to_string()
    }
    fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.lang.message(key), args)
    }
    fn score(&self, x: Option<f64>) -> String {
        match x {
            Some(x) if usable(x) => fmt::number(x, 2, self.lang),
            _ => fmt::MISSING.to_string(),
        }
    }
    fn confidence(&self) -> String {
        fmt::percent_auto(self.input.confidence, self.lang)
    }
    fn known(&self, criterion: &str) -> Option<&'static str> {
        KNOWN_CRITERIA
            .into_iter()
            .find(|k| k.eq_ignore_ascii_case(criterion.trim()))
    }

    fn row(&self, c: &CardCriterion, overall: bool) -> RowView {
        let name = if overall {
            self.t("rc_overall")
        } else {
            match self.known(&c.criterion) {
                Some(k) => self.t(&format!("rc_criterion_{k}")),
                None => c.criterion.clone(),
            }
        };
        let interval = match (c.ci_low, c.ci_high) {
            (Some(lo), Some(hi)) if usable(lo) && usable(hi) => {
                format!("{}–{}", self.score(Some(lo)), self.score(Some(hi)))
            }
            _ if c.n == 1 => self.t("rc_interval_one"),
            _ => fmt::MISSING.to_string(),
        };
        let (change, direction) = match c.change {
            Some(d) if usable(d) => {
                // The change is shown rounded like the means; a change that rounds to 0.00
                // is "no change", not an arrow.
                let shown = fmt::number(d.abs(), 2, self.lang);
                if (d.abs() * 100.0).round() == 0.0 {
                    (self.t("rc_change_same"), "same")
                } else if d > 0.0 {
                    (format!("↑ {shown}"), "up")
                } else {
                    (format!("↓ {shown}"), "down")
                }
            }
            _ => (self.t("rc_change_none"), "none"),
        };
        let rank = match c.rank {
            Some(r) if c.peers > 0 => {
                let args = [
                    ("rank", fmt::count(u64::from(r), self.lang)),
                    ("peers", fmt::count(u64::from(c.peers), self.lang)),
                ];
                let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                self.tf(if c.tied { "rc_rank_tied" } else { "rc_rank" }, &args)
            }
            _ => fmt::MISSING.to_string(),
        };
        RowView {
            key: if overall {
                "overall".to_string()
            } else {
                c.criterion.clone()
            },
            name,
            mean: self.score(c.mean),
            interval,
            n: fmt::count(c.n, self.lang),
            change,
            direction,
            rank,
        }
    }
}

/// Renders one report card as a self-contained HTML5 page in `lang`.
///
/// Never panics and never fails: odd numbers are shown as "—", and on an (unexpected)
/// template error the page names the error instead.
///
/// ```
/// use comeback_report::{CardCriterion, Lang, ReportCardInput, render_report_card};
///
/// let card = ReportCardInput {
///     employee: "Ana García".into(),
///     location: "Downtown".into(),
///     year: 2025,
///     month: 3,
///     confidence: 0.95,
///     scale_min: 1,
///     scale_max: 5,
///     criteria: vec![CardCriterion {
///         criterion: "reliability".into(),
///         n: 4,
///         mean: Some(4.5),
///         ci_low: Some(3.58),
///         ci_high: Some(5.0),
///         change: Some(1.0 / 6.0),
///         rank: Some(1),
///         peers: 4,
///         tied: true,
///     }],
///     ..ReportCardInput::default()
/// };
/// let html = render_report_card(&card, Lang::En);
/// assert!(html.contains("Ana García"));
/// assert!(html.contains("↑ 0.17"));
/// assert!(html.contains("1 of 4 (shared)"));
/// ```
pub fn render_report_card(input: &ReportCardInput, lang: Lang) -> String {
    crate::page::render_template(
        "report_card.html",
        TEMPLATE,
        &build(&Ctx { lang, input }),
        lang,
        "report card",
    )
}

fn build(c: &Ctx) -> View {
    let i = c.input;
    let t = catalog::table(c.lang);
    let month = fmt::month(i.year, i.month, c.lang);
    let confidence = c.confidence();
    let ratings = i
        .overall
        .as_ref()
        .map(|o| o.n)
        .unwrap_or_else(|| i.criteria.iter().map(|c| c.n).sum());
    let subtitle = format!("{} · {month}", i.location);
    let summary = c.tf(
        "rc_summary",
        &[
            ("n", &fmt::count(ratings, c.lang)),
            ("min", &i.scale_min.to_string()),
            ("max", &i.scale_max.to_string()),
        ],
    );
    let headers = vec![
        c.t("rc_col_criterion"),
        c.t("rc_col_mean"),
        c.tf("rc_col_interval", &[("confidence", &confidence)]),
        c.t("rc_col_n"),
        c.t("rc_col_change"),
        c.t("rc_col_rank"),
    ];
    let rows = i.criteria.iter().map(|r| c.row(r, false)).collect();
    let overall = i.overall.as_ref().map(|o| c.row(o, true));
    let notes = vec![
        (
            c.t("rc_col_mean"),
            c.tf(
                "rc_note_mean",
                &[
                    ("min", &i.scale_min.to_string()),
                    ("max", &i.scale_max.to_string()),
                ],
            ),
        ),
        (
            c.tf("rc_col_interval", &[("confidence", &confidence)]),
            c.tf("rc_note_interval", &[("confidence", &confidence)]),
        ),
        (c.t("rc_col_change"), c.t("rc_note_change")),
        (
            c.t("rc_col_rank"),
            c.tf("rc_note_rank", &[("location", &i.location)]),
        ),
    ];
    let definitions = i
        .criteria
        .iter()
        .filter_map(|r| c.known(&r.criterion))
        .map(|k| {
            (
                c.t(&format!("rc_criterion_{k}")),
                c.t(&format!("rc_define_{k}")),
            )
        })
        .collect();
    let mut footer = c.tf("rc_footer", &[("version", &i.version)]);
    if !i.generated_at.trim().is_empty() {
        footer.push(' ');
        footer.push_str(&c.tf("rc_generated", &[("when", &i.generated_at)]));
    }
    View {
        lang: c.lang.code(),
        title: c.tf(
            "rc_page_title",
            &[("employee", &i.employee), ("month", &month)],
        ),
        css: CSS,
        t,
        employee: i.employee.clone(),
        subtitle,
        summary,
        headers,
        rows,
        overall,
        notes,
        definitions,
        footer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> ReportCardInput {
        let row = |criterion: &str, n, mean, lo, hi, change, rank, tied| CardCriterion {
            criterion: criterion.into(),
            n,
            mean,
            ci_low: lo,
            ci_high: hi,
            change,
            rank,
            peers: 4,
            tied,
        };
        ReportCardInput {
            employee: "Chloé Dubois".into(),
            location: "Downtown".into(),
            year: 2025,
            month: 3,
            confidence: 0.95,
            scale_min: 1,
            scale_max: 5,
            criteria: vec![
                row(
                    "reliability",
                    3,
                    Some(14.0 / 3.0),
                    Some(3.232),
                    Some(6.101),
                    Some(1.0 / 6.0),
                    Some(1),
                    false,
                ),
                row(
                    "responsiveness",
                    3,
                    Some(14.0 / 3.0),
                    Some(3.232),
                    Some(6.101),
                    Some(-0.25),
                    Some(2),
                    true,
                ),
                row(
                    "empathy",
                    1,
                    Some(5.0),
                    None,
                    None,
                    Some(0.0),
                    Some(1),
                    false,
                ),
                row("courtesy", 0, None, None, None, None, None, false),
            ],
            overall: Some(row(
                "",
                10,
                Some(4.7),
                Some(4.4),
                Some(5.0),
                None,
                Some(1),
                false,
            )),
            generated_at: "2026-11-30 12:00 UTC".into(),
            version: "0.1.0".into(),
        }
    }

    fn cell<'a>(html: &'a str, criterion: &str, field: &str) -> &'a str {
        let row = html
            .find(&format!(r#"data-criterion="{criterion}""#))
            .unwrap_or_else(|| panic!("row {criterion}"));
        let needle = format!(r#"data-field="{field}">"#);
        let start = html[row..].find(&needle).expect("cell") + row + needle.len();
        let end = html[start..].find('<').expect("cell end") + start;
        &html[start..end]
    }

    #[test]
    fn english_card_values() {
        let html = render_report_card(&sample(), Lang::En);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(r#"<html lang="en">"#));
        assert!(html.contains("<title>Report card · Chloé Dubois · Mar\u{a0}2025</title>"));
        assert_eq!(cell(&html, "reliability", "mean"), "4.67");
        assert_eq!(cell(&html, "reliability", "interval"), "3.23–6.10");
        assert_eq!(cell(&html, "reliability", "n"), "3");
        assert_eq!(cell(&html, "reliability", "change"), "↑ 0.17");
        assert_eq!(cell(&html, "reliability", "rank"), "1 of 4");
        assert_eq!(cell(&html, "responsiveness", "change"), "↓ 0.25");
        assert_eq!(cell(&html, "responsiveness", "rank"), "2 of 4 (shared)");
        assert_eq!(cell(&html, "empathy", "interval"), "one rating: no range");
        assert_eq!(cell(&html, "empathy", "change"), "no change");
        assert_eq!(cell(&html, "courtesy", "mean"), "—");
        assert_eq!(cell(&html, "courtesy", "change"), "no ratings last month");
        assert_eq!(cell(&html, "courtesy", "rank"), "—");
        assert_eq!(cell(&html, "overall", "mean"), "4.70");
        assert!(
            html.contains(
                "Ratings from customers this month: 10. Scale: 1 (lowest) to 5 (highest)."
            ),
            "summary"
        );
        assert!(
            html.contains("courtesy"),
            "unknown criterion shown as given"
        );
        assert!(html.contains("95% range"));
        assert!(html.contains("Downtown"));
    }

    #[test]
    fn every_language_is_complete() {
        for lang in Lang::ALL {
            let html = render_report_card(&sample(), lang);
            assert!(html.contains(&format!(r#"<html lang="{}">"#, lang.code())));
            assert!(!html.contains("template error"), "{lang}");
            // A missing key would show as the key itself.
            let body = &html[html.find("</style>").expect("style")..];
            assert!(!body.contains("rc_"), "{lang}: an untranslated key");
            assert!(!body.contains('{'), "{lang}: an unfilled placeholder");
            for k in KNOWN_CRITERIA.iter().take(3) {
                assert!(html.contains(lang.message(&format!("rc_criterion_{k}"))));
            }
            assert!(html.contains(lang.message("rc_change_same")));
        }
        let de = render_report_card(&sample(), Lang::De);
        assert_eq!(cell(&de, "reliability", "mean"), "4,67");
        assert_eq!(cell(&de, "reliability", "rank"), "1 von 4");
    }

    #[test]
    fn self_contained_printable_and_escaped() {
        let mut input = sample();
        let evil = r#"<script>alert("x")</script>&"#;
        input.employee = evil.into();
        input.location = evil.into();
        input.criteria[3].criterion = evil.into();
        for lang in Lang::ALL {
            let html = render_report_card(&input, lang);
            assert!(!html.contains("<script"), "{lang}");
            assert!(html.contains("&lt;script&gt;"));
            assert!(!html.contains("http://") && !html.contains("https://"));
            assert!(html.contains("@media print"));
            assert!(html.contains("size: A4"));
            assert!(html.contains("default-src 'none'"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn never_panics_or_shows_nan(
            xs in proptest::collection::vec(prop_oneof![
                Just(f64::NAN), Just(f64::INFINITY), Just(-1e300), -10.0f64..10.0, any::<f64>()
            ], 4),
            n in any::<u64>(),
            rank in proptest::option::of(any::<u32>()),
            peers in any::<u32>(),
            month in any::<u32>(),
            lang in 0usize..6,
            name in "[a-zé' <>&]{0,12}",
        ) {
            let mut input = sample();
            input.month = month;
            input.confidence = xs[0];
            input.employee = name.clone();
            input.criteria[0] = CardCriterion {
                criterion: name,
                n,
                mean: Some(xs[1]),
                ci_low: Some(xs[2]),
                ci_high: Some(xs[3]),
                change: Some(xs[0]),
                rank,
                peers,
                tied: n % 2 == 0,
            };
            let html = render_report_card(&input, Lang::ALL[lang]);
            prop_assert!(html.trim_end().ends_with("</html>"));
            // Lowercase names: "NaN" can only come from a number.
            prop_assert!(!html.contains("NaN") && !html.contains(">inf"));
            prop_assert!(!html.contains("template error"));
        }
    }
}
