//! From [`ReportInput`] to the page: formats every number for the language, draws the
//! charts and fills the template (auto-escaping everything but the generated SVG and CSS).

use crate::chart::{self, BarSeries, Cell, ChartText, LineSeries, Panel};
use crate::format::{self as fmt, usable};
use crate::input::*;
use crate::lang::fill;
use crate::{Lang, catalog};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("report.html.j2");
const CSS: &str = include_str!("report.css");

/// Rows of each action list shown in the report.
pub const TOP_N: usize = 20;

#[derive(Serialize)]
struct View {
    lang: &'static str,
    title: String,
    css: &'static str,
    t: BTreeMap<&'static str, &'static str>,
    meta_line: String,
    cards: Vec<Card>,
    what_if: Option<WhatIfView>,
    lists: Vec<ListView>,
    customer_figures: Vec<Figure>,
    cohort_figure: Figure,
    economics: Option<EconomicsView>,
    survival: Option<SurvivalView>,
    loyalty: Option<LoyaltyView>,
    advocate_share: AdvocatesView,
    forecast_intro: String,
    forecast_figures: Vec<Figure>,
    models: ModelsView,
    method: Vec<String>,
    params: Vec<ParamsView>,
    definitions: Vec<(String, String)>,
    citations: Vec<String>,
    run: Vec<(String, String)>,
    footer: String,
}

#[derive(Serialize)]
struct Card {
    key: &'static str,
    label: String,
    value: String,
    interval: Option<String>,
    explain: String,
}

#[derive(Serialize)]
struct WhatIfView {
    title: String,
    model_value: String,
    model: String,
    naive_value: String,
    naive: String,
    why: String,
}

#[derive(Serialize)]
struct EconomicsView {
    intro: String,
    /// (key, label, value, explanation)
    rows: Vec<(&'static str, String, String, String)>,
}

#[derive(Serialize)]
struct SurvivalView {
    intro: String,
    figure: Figure,
    test: String,
    verdict: String,
}

#[derive(Serialize)]
struct LoyaltyView {
    table: Table,
    raw: String,
    matched: String,
    assumptions: Vec<String>,
}

#[derive(Serialize)]
struct AdvocatesView {
    /// Paragraphs: the measured share, or why there is none.
    lines: Vec<String>,
    measured: bool,
}

#[derive(Serialize)]
struct ListView {
    id: &'static str,
    title: String,
    explain: String,
    showing: String,
    value_header: String,
    rows: Vec<[String; 6]>,
}

#[derive(Serialize, Default)]
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Columns (by index) holding numbers: right-aligned.
    numeric: Vec<usize>,
}

#[derive(Serialize)]
struct Figure {
    id: &'static str,
    title: String,
    caption: String,
    svg: Option<String>,
    table: Table,
}

#[derive(Serialize, Default)]
struct ModelsView {
    holdout_actual: String,
    table: Table,
    chosen_row: Option<usize>,
    failed_rows: Vec<usize>,
    choice: String,
}

#[derive(Serialize)]
struct ParamsView {
    model: String,
    log_likelihood: String,
    table: Table,
}

struct Ctx<'a> {
    lang: Lang,
    input: &'a ReportInput,
}

impl Ctx<'_> {
    fn t(&self, key: &str) -> String {
        self.lang.message(key).to_string()
    }
    fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.lang.message(key), args)
    }
    fn num(&self, x: f64, d: usize) -> String {
        fmt::number(x, d, self.lang)
    }
    fn count(&self, n: u64) -> String {
        fmt::count(n, self.lang)
    }
    fn money(&self, x: f64) -> String {
        fmt::money(x, &self.input.meta.currency, self.lang)
    }
    fn pct(&self, x: f64, d: usize) -> String {
        fmt::percent(x, d, self.lang)
    }
    fn unit(&self) -> String {
        self.t(&format!("unit_{}", self.input.meta.unit.as_str()))
    }
    fn unit_name(&self) -> String {
        self.t(&format!("unit_name_{}", self.input.meta.unit.as_str()))
    }
    fn horizon(&self) -> String {
        fmt::auto(self.input.meta.horizon, self.lang)
    }
    fn time_axis(&self) -> String {
        self.t(&format!("axis_time_{}", self.input.meta.unit.as_str()))
    }
    fn currency(&self) -> String {
        let c: String = self
            .input
            .meta
            .currency
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(8)
            .collect();
        c
    }
    fn bucket(&self, b: &Bucket) -> String {
        let n = |x: f64| fmt::auto(x, self.lang);
        match b.hi {
            None => format!("{}+", n(b.lo)),
            Some(hi) if hi == b.lo => n(b.lo),
            Some(hi) => format!("{}–{}", n(b.lo), n(hi)),
        }
    }
    fn group_name(&self, prefix: &str, key: &str) -> String {
        let k = format!("{prefix}_{key}");
        let m = self.lang.message(&k);
        if m == k {
            key.to_string()
        } else {
            m.to_string()
        }
    }
}

/// Renders the page; on an (unexpected) template error, a minimal valid page naming it.
pub fn render(input: &ReportInput, lang: Lang) -> String {
    render_template(
        "report.html",
        TEMPLATE,
        &build(&Ctx { lang, input }),
        lang,
        "report",
    )
}

/// Renders `template` (registered as `name`) with `view`, HTML auto-escaping on and undefined
/// variables an error; on an (unexpected) template error, a minimal valid page naming it
/// (`what` says which page, e.g. "report"). Shared by every page of this crate.
pub(crate) fn render_template(
    name: &str,
    template: &str,
    view: &impl serde::Serialize,
    lang: Lang,
    what: &str,
) -> String {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let result = env
        .add_template(name, template)
        .and_then(|_| env.get_template(name))
        .and_then(|t| t.render(view));
    match result {
        Ok(s) => s,
        Err(e) => format!(
            "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>Comeback</title></head><body><h1>Comeback</h1><p>{}</p></body></html>",
            lang.code(),
            chart::escape(&format!("{what} template error: {e}"))
        ),
    }
}

fn build(c: &Ctx) -> View {
    let m = &c.input.meta;
    let title = match &m.title {
        Some(t) if !t.trim().is_empty() => t.clone(),
        _ => c.t("report_title"),
    };
    let t = catalog::table(c.lang);
    let meta_line = c.tf(
        "meta_line",
        &[
            ("file", &m.input_file),
            ("date", &fmt::date(m.observation_end, c.lang)),
            ("currency", &c.currency()),
            ("unit", &c.unit_name()),
        ],
    );
    View {
        lang: c.lang.code(),
        title,
        css: CSS,
        t,
        meta_line,
        cards: cards(c),
        what_if: what_if(c),
        lists: lists(c),
        customer_figures: vec![
            p_alive_figure(c),
            clv_figure(c),
            rfm_figure(c),
            lifecycle_figure(c),
        ],
        cohort_figure: cohort_figure(c),
        economics: economics(c),
        survival: survival(c),
        loyalty: loyalty(c),
        advocate_share: advocate_share(c),
        forecast_intro: c.tf(
            "forecast_intro",
            &[
                ("holdout", &fmt::auto(m.holdout, c.lang)),
                ("unit", &c.unit()),
            ],
        ),
        forecast_figures: vec![tracking_figure(c), frequency_figure(c)],
        models: models(c),
        method: method(c),
        params: params(c),
        definitions: definitions(c),
        citations: c.input.citations.clone(),
        run: run(c),
        footer: c.tf("footer", &[("version", &m.version)]),
    }
}

fn interval(c: &Ctx, i: &Interval, f: &dyn Fn(f64) -> String) -> Option<String> {
    (usable(i.lower) && usable(i.upper))
        .then(|| c.tf("interval", &[("lo", &f(i.lower)), ("hi", &f(i.upper))]))
}

fn cards(c: &Ctx) -> Vec<Card> {
    let h = &c.input.headline;
    let m = &c.input.meta;
    let share = if h.customers > 0 {
        h.expected_alive_now / h.customers as f64
    } else {
        f64::NAN
    };
    let lost = c.count(h.customers_lost_12m);
    let hz = c.horizon();
    let unit = c.unit();
    let period = [("horizon", hz.as_str()), ("unit", unit.as_str())];
    let card = |key: &'static str, value: String, interval: Option<String>, explain: String| Card {
        key,
        label: c.tf(&format!("card_{key}"), &period),
        value,
        interval,
        explain,
    };
    vec![
        card(
            "customers",
            c.count(h.customers),
            None,
            c.tf(
                "card_customers_explain",
                &[("date", &fmt::date(m.observation_end, c.lang))],
            ),
        ),
        card(
            "alive",
            c.num(h.expected_alive_now, 0),
            None,
            c.tf("card_alive_explain", &[("share", &c.pct(share, 0))]),
        ),
        card(
            "defection",
            c.pct(h.defection_rate_12m, 1),
            None,
            c.tf("card_defection_explain", &[("lost", &lost)]),
        ),
        card(
            "revenue_lost",
            c.money(h.revenue_lost_12m),
            None,
            c.tf("card_revenue_lost_explain", &[("lost", &lost)]),
        ),
        card(
            "purchases",
            c.num(h.expected_purchases.estimate, 0),
            interval(c, &h.expected_purchases, &|x| c.num(x, 0)),
            c.t("card_purchases_explain"),
        ),
        card(
            "revenue",
            c.money(h.expected_revenue.estimate),
            interval(c, &h.expected_revenue, &|x| c.money(x)),
            c.t("card_revenue_explain"),
        ),
        card(
            "at_risk",
            c.money(h.revenue_at_risk),
            None,
            c.t("card_at_risk_explain"),
        ),
    ]
}

fn what_if(c: &Ctx) -> Option<WhatIfView> {
    let w = c.input.headline.what_if?;
    let hz = c.horizon();
    let unit = c.unit();
    let model_value = c.money(w.model_revenue_gain);
    let naive_value = c.money(w.naive_revenue_gain);
    Some(WhatIfView {
        title: c.tf(
            "what_if_title",
            &[("points", &fmt::points(w.points, c.lang))],
        ),
        model: c.tf(
            "what_if_model",
            &[
                ("horizon", &hz),
                ("unit", &unit),
                ("before", &c.pct(w.survival_before, 0)),
                ("after", &c.pct(w.survival_after, 0)),
            ],
        ),
        model_value,
        naive: c.t("what_if_naive"),
        naive_value,
        why: c.t("what_if_why"),
    })
}

fn lists(c: &Ctx) -> Vec<ListView> {
    let th = &c.input.meta.thresholds;
    let specs: [(&'static str, &ActionList, String, &str); 3] = [
        (
            "at_risk",
            &c.input.at_risk,
            c.tf(
                "list_at_risk_explain",
                &[
                    ("lo", &c.pct(th.lost_below, 0)),
                    ("hi", &c.pct(th.at_risk_below, 0)),
                ],
            ),
            "col_value_at_risk",
        ),
        (
            "win_back",
            &c.input.win_back,
            c.tf("list_win_back_explain", &[("lo", &c.pct(th.lost_below, 0))]),
            "col_revenue",
        ),
        (
            "advocates",
            &c.input.advocates,
            c.tf(
                "list_advocates_explain",
                &[
                    ("score", &th.advocate_min_score.to_string()),
                    ("p", &c.pct(th.advocate_min_p_alive, 0)),
                ],
            ),
            "col_revenue",
        ),
    ];
    specs
        .into_iter()
        .map(|(id, list, explain, value_key)| {
            let rows: Vec<[String; 6]> = list
                .rows
                .iter()
                .take(TOP_N)
                .enumerate()
                .map(|(i, r)| {
                    [
                        (i + 1).to_string(),
                        r.customer_id.clone(),
                        c.money(r.value),
                        c.money(r.clv),
                        c.pct(r.p_alive, 0),
                        fmt::date(r.last_purchase, c.lang),
                    ]
                })
                .collect();
            let total = list.total.max(rows.len() as u64);
            let showing = if rows.is_empty() {
                c.t("list_empty")
            } else {
                c.tf(
                    "list_showing",
                    &[
                        ("shown", &c.count(rows.len() as u64)),
                        ("total", &c.count(total)),
                        ("file", &list.file),
                    ],
                )
            };
            ListView {
                id,
                title: c.t(&format!("list_{id}")),
                explain,
                showing,
                value_header: c.t(value_key),
                rows,
            }
        })
        .collect()
}

fn figure(
    c: &Ctx,
    id: &'static str,
    title: String,
    caption_key: &str,
    svg: Option<String>,
    table: Table,
) -> Figure {
    Figure {
        id,
        title,
        caption: c.t(caption_key),
        svg,
        table,
    }
}

fn text(id: &str, title: &str, desc: String, x: String, y: String) -> ChartText {
    ChartText {
        id: id.to_string(),
        title: title.to_string(),
        desc,
        x_title: x,
        y_title: y,
    }
}

fn p_alive_figure(c: &Ctx) -> Figure {
    let h = &c.input.p_alive;
    let title = c.t("fig_p_alive_title");
    let rows: Vec<String> = h.frequency.iter().map(|b| c.bucket(b)).collect();
    let cols: Vec<String> = h.recency.iter().map(|b| c.bucket(b)).collect();
    let valid: Vec<&HeatCell> = h
        .cells
        .iter()
        .filter(|x| x.row < rows.len() && x.col < cols.len() && usable(x.mean_p_alive))
        .collect();
    let mut table = Table {
        headers: vec![
            c.t("col_frequency"),
            c.t("col_recency"),
            c.t("col_customers"),
            c.t("col_mean_p_alive"),
        ],
        numeric: vec![2, 3],
        rows: Vec::new(),
    };
    let mut cells = Vec::new();
    for x in &valid {
        let p = c.pct(x.mean_p_alive, 0);
        let n = c.count(x.customers);
        table.rows.push(vec![
            rows[x.row].clone(),
            cols[x.col].clone(),
            n.clone(),
            p.clone(),
        ]);
        cells.push(Cell {
            row: x.row,
            col: x.col,
            value: x.mean_p_alive,
            label: p.clone(),
            tooltip: format!(
                "{} · {}",
                c.tf(
                    "cell_p_alive",
                    &[("frequency", &rows[x.row]), ("recency", &cols[x.col])]
                ),
                c.tf("cell_tooltip", &[("customers", &n), ("p", &p)])
            ),
        });
    }
    let svg = (!cells.is_empty()).then(|| {
        let (lo, hi) = valid
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |a, x| {
                (a.0.min(x.mean_p_alive), a.1.max(x.mean_p_alive))
            });
        let desc = c.tf(
            "desc_p_alive",
            &[
                ("cells", &c.count(cells.len() as u64)),
                ("max", &c.pct(hi, 0)),
                ("min", &c.pct(lo, 0)),
            ],
        );
        let unit = c.unit_name();
        chart::heatmap(
            &text(
                "fig-p-alive",
                &title,
                desc,
                c.tf("axis_recency", &[("unit", &unit)]),
                c.t("axis_frequency"),
            ),
            &rows,
            &cols,
            &cells,
            (&c.pct(0.0, 0), &c.pct(1.0, 0)),
        )
    });
    figure(c, "p-alive", title, "fig_p_alive_caption", svg, table)
}

fn clv_figure(c: &Ctx) -> Figure {
    let d = &c.input.clv_distribution;
    let hz = c.horizon();
    let unit = c.unit();
    let title = c.tf("fig_clv_title", &[("horizon", &hz), ("unit", &unit)]);
    let cats: Vec<String> = d.iter().map(|b| c.bucket(&b.bucket)).collect();
    let table = Table {
        headers: vec![
            c.tf("col_clv_range", &[("currency", &c.currency())]),
            c.t("col_customers"),
        ],
        numeric: vec![1],
        rows: d
            .iter()
            .zip(&cats)
            .map(|(b, l)| vec![l.clone(), c.count(b.customers)])
            .collect(),
    };
    let svg = (!d.is_empty()).then(|| {
        let total: u64 = d.iter().map(|b| b.customers).fold(0, u64::saturating_add);
        let top = d
            .iter()
            .zip(&cats)
            .max_by_key(|(b, _)| b.customers)
            .map(|(b, l)| (l.clone(), b.customers))
            .unwrap_or_default();
        let desc = c.tf(
            "desc_clv",
            &[
                ("customers", &c.count(total)),
                ("buckets", &c.count(d.len() as u64)),
                ("top", &top.0),
                ("count", &c.count(top.1)),
            ],
        );
        let yf = |v: f64| c.num(v, 0);
        chart::bar_chart(
            &text(
                "fig-clv",
                &title,
                desc,
                c.tf("axis_clv", &[("currency", &c.currency())]),
                c.t("axis_customers"),
            ),
            &cats,
            &[BarSeries {
                key: "customers",
                label: c.t("col_customers"),
                values: d.iter().map(|b| b.customers as f64).collect(),
            }],
            &yf,
        )
    });
    figure(c, "clv", title, "fig_clv_caption", svg, table)
}

fn groups_figure(
    c: &Ctx,
    id: &'static str,
    groups: &[GroupSize],
    prefix: &str,
    title_key: &str,
    caption_key: &str,
    desc_key: &str,
) -> Figure {
    let title = c.t(title_key);
    let names: Vec<String> = groups
        .iter()
        .map(|g| c.group_name(prefix, &g.key))
        .collect();
    let total: u64 = groups
        .iter()
        .map(|g| g.customers)
        .fold(0, u64::saturating_add);
    let share = |n: u64| {
        if total > 0 {
            n as f64 / total as f64
        } else {
            f64::NAN
        }
    };
    let value_title = c.tf("col_total_clv", &[("currency", &c.currency())]);
    let table = Table {
        headers: vec![
            c.t(if prefix == "segment" {
                "col_segment"
            } else {
                "col_stage"
            }),
            c.t("col_customers"),
            c.t("col_share"),
            value_title.clone(),
        ],
        numeric: vec![1, 2, 3],
        rows: groups
            .iter()
            .zip(&names)
            .map(|(g, n)| {
                vec![
                    n.clone(),
                    c.count(g.customers),
                    c.pct(share(g.customers), 1),
                    c.money(g.value),
                ]
            })
            .collect(),
    };
    let svg = (!groups.is_empty()).then(|| {
        let top = groups
            .iter()
            .zip(&names)
            .max_by_key(|(g, _)| g.customers)
            .map(|(g, n)| (n.clone(), g.customers))
            .unwrap_or_default();
        let desc = c.tf(
            desc_key,
            &[
                ("n", &c.count(groups.len() as u64)),
                ("top", &top.0),
                ("count", &c.count(top.1)),
            ],
        );
        let count_fmt = |v: f64| c.num(v, 0);
        let money_fmt = |v: f64| c.money(v);
        chart::hbar_panels(
            &text(
                &format!("fig-{id}"),
                &title,
                desc,
                String::new(),
                String::new(),
            ),
            &names,
            &[
                Panel {
                    key: "customers",
                    title: c.t("col_customers"),
                    values: groups.iter().map(|g| g.customers as f64).collect(),
                    fmt: &count_fmt,
                },
                Panel {
                    key: "value",
                    title: value_title.clone(),
                    values: groups.iter().map(|g| g.value).collect(),
                    fmt: &money_fmt,
                },
            ],
        )
    });
    figure(c, id, title, caption_key, svg, table)
}

fn rfm_figure(c: &Ctx) -> Figure {
    groups_figure(
        c,
        "rfm",
        &c.input.rfm_segments,
        "segment",
        "fig_rfm_title",
        "fig_rfm_caption",
        "desc_rfm",
    )
}

fn lifecycle_figure(c: &Ctx) -> Figure {
    groups_figure(
        c,
        "lifecycle",
        &c.input.lifecycle,
        "stage",
        "fig_lifecycle_title",
        "fig_lifecycle_caption",
        "desc_lifecycle",
    )
}

fn cohort_figure(c: &Ctx) -> Figure {
    let rows_in = &c.input.cohorts;
    let title = c.t("fig_cohort_title");
    let ncols = rows_in
        .iter()
        .map(|r| r.retention.len())
        .max()
        .unwrap_or(0)
        .min(120);
    let rows: Vec<String> = rows_in
        .iter()
        .map(|r| {
            c.tf(
                "cohort_row",
                &[
                    ("month", &fmt::month(r.year, r.month, c.lang)),
                    ("n", &c.count(r.customers)),
                ],
            )
        })
        .collect();
    let cols: Vec<String> = (0..ncols).map(|i| i.to_string()).collect();
    let mut cells = Vec::new();
    let mut table = Table {
        headers: vec![c.t("col_cohort"), c.t("col_customers")],
        numeric: (1..2 + ncols).collect(),
        rows: Vec::new(),
    };
    table.headers.extend(cols.iter().cloned());
    // Month 0 is 100 % by definition; scale the colours to the later months so that
    // their differences are visible (the legend names the top of the scale).
    let scale_max = rows_in
        .iter()
        .flat_map(|r| r.retention.iter().skip(usize::from(ncols > 1)))
        .filter_map(|v| v.filter(|v| usable(*v)))
        .fold(0.0f64, f64::max);
    let scale_max = if scale_max > 0.0 {
        scale_max.min(1.0)
    } else {
        1.0
    };
    for (ri, r) in rows_in.iter().enumerate() {
        let mut trow = vec![fmt::month(r.year, r.month, c.lang), c.count(r.customers)];
        for (ci, col) in cols.iter().enumerate() {
            let v = r
                .retention
                .get(ci)
                .copied()
                .flatten()
                .filter(|v| usable(*v));
            trow.push(v.map(|v| c.pct(v, 0)).unwrap_or_default());
            if let Some(v) = v {
                let p = c.pct(v, 0);
                cells.push(Cell {
                    row: ri,
                    col: ci,
                    value: (v / scale_max).clamp(0.0, 1.0),
                    label: p.clone(),
                    tooltip: c.tf(
                        "cell_cohort",
                        &[("cohort", &rows[ri]), ("months", col), ("p", &p)],
                    ),
                });
            }
        }
        table.rows.push(trow);
    }
    let svg = (!cells.is_empty()).then(|| {
        let desc = c.tf(
            "desc_cohort",
            &[
                ("rows", &c.count(rows.len() as u64)),
                ("cols", &c.count(ncols.saturating_sub(1) as u64)),
            ],
        );
        chart::heatmap(
            &text(
                "fig-cohort",
                &title,
                desc,
                c.t("axis_months_since"),
                c.t("axis_cohort"),
            ),
            &rows,
            &cols,
            &cells,
            (&c.pct(0.0, 0), &format!("≥\u{a0}{}", c.pct(scale_max, 0))),
        )
    });
    figure(c, "cohorts", title, "fig_cohort_caption", svg, table)
}

/// The retention economics rows (rows needing the acquisition cost only when it is given).
fn economics(c: &Ctx) -> Option<EconomicsView> {
    let e = c.input.economics?;
    let mut rows = Vec::new();
    let mut row = |key: &'static str, value: String, args: &[(&str, &str)]| {
        rows.push((
            key,
            c.t(&format!("econ_{key}")),
            value,
            c.tf(&format!("econ_{key}_explain"), args),
        ));
    };
    let cost = e.acquisition_cost.map(|v| c.money(v));
    let num_or_dash = |v: f64, d: usize| if usable(v) { c.num(v, d) } else { "—".into() };
    row("profit_lost", c.money(e.profit_lost_12m), &[]);
    if let Some(cost) = &cost {
        row(
            "replacement_cost",
            c.money(e.replacement_cost_12m),
            &[("cost", cost)],
        );
    }
    row(
        "margin_per_alive",
        c.money(e.annual_margin_per_alive_customer),
        &[],
    );
    if e.acquisition_cost.is_some() {
        row(
            "payback",
            c.tf("econ_months", &[("n", &num_or_dash(e.payback_months, 1))]),
            &[],
        );
    }
    row(
        "naive_lifetime",
        c.tf(
            "econ_years",
            &[("n", &num_or_dash(e.naive_lifetime_years, 1))],
        ),
        &[],
    );
    row("naive_clv", c.money(e.naive_clv_per_customer), &[]);
    row("kept", num_or_dash(e.what_if_customers_kept, 0), &[]);
    if e.acquisition_cost.is_some() {
        row("cost_saved", c.money(e.what_if_acquisition_cost_saved), &[]);
    }
    Some(EconomicsView {
        intro: c.tf("economics_intro", &[("margin", &c.pct(e.margin, 0))]),
        rows,
    })
}

/// The Kaplan–Meier figure of time to lost by group, with the log-rank test.
fn survival(c: &Ctx) -> Option<SurvivalView> {
    let sv = c.input.survival.as_ref()?;
    let title = c.t("fig_survival_title");
    let name = |key: &str| c.group_name("surv_group", key);
    let table = Table {
        headers: vec![
            c.t("col_group"),
            c.t("col_customers"),
            c.t("col_lost"),
            c.t("col_median_months"),
        ],
        numeric: vec![1, 2, 3],
        rows: sv
            .groups
            .iter()
            .map(|g| {
                vec![
                    name(&g.key),
                    c.count(g.customers),
                    c.count(g.lost),
                    if usable(g.median_months) {
                        c.num(g.median_months, 1)
                    } else {
                        c.t("not_reached")
                    },
                ]
            })
            .collect(),
    };
    let has_points = sv.groups.iter().any(|g| g.curve.len() > 1);
    let svg = has_points.then(|| {
        let series: Vec<LineSeries> = sv
            .groups
            .iter()
            .map(|g| LineSeries {
                key: g.key.as_str(),
                label: name(&g.key),
                points: g.curve.clone(),
                dashed: false,
            })
            .collect();
        chart::line_chart(
            &text(
                "fig-survival",
                &title,
                c.t("desc_survival"),
                c.t("axis_months_since_first"),
                c.t("axis_not_lost"),
            ),
            &series,
            None,
            // Ticks can fall between whole months (2.5, 7.5): no rounding to a wrong month.
            &|v| {
                if (v - v.round()).abs() < 1e-9 {
                    c.num(v, 0)
                } else {
                    c.num(v, 1)
                }
            },
            &|v| c.pct(v, 0),
        )
    });
    // The relation is part of the value: "p < 0.001" below three decimals, else "p = 0.023".
    let p = if sv.logrank_p < 0.001 {
        format!("< {}", c.num(0.001, 3))
    } else {
        format!("= {}", c.num(sv.logrank_p, 3))
    };
    Some(SurvivalView {
        intro: c.tf(
            "survival_intro",
            &[("k", &fmt::auto(sv.lost_rule_k, c.lang))],
        ),
        figure: figure(c, "survival", title, "fig_survival_caption", svg, table),
        test: c.tf(
            "survival_test",
            &[
                ("chi2", &c.num(sv.logrank_statistic, 2)),
                ("df", &c.count(sv.logrank_df)),
                ("p", &p),
            ],
        ),
        verdict: c.t(if sv.logrank_p < 0.05 {
            "survival_differs"
        } else {
            "survival_similar"
        }),
    })
}

/// Members vs non-members with intervals, the raw gap and the matched estimate.
fn loyalty(c: &Ctx) -> Option<LoyaltyView> {
    let l = c.input.loyalty?;
    let with_ci = |i: &Interval, f: &dyn Fn(f64) -> String| {
        if !usable(i.estimate) {
            return "—".to_string();
        }
        match interval(c, i, f) {
            Some(ci) => format!("{} ({ci})", f(i.estimate)),
            None => f(i.estimate),
        }
    };
    let pct = |v: f64| c.pct(v, 1);
    let one = |v: f64| c.num(v, 1);
    let money = |v: f64| c.money(v);
    let (m, n) = (&l.members, &l.non_members);
    let table = Table {
        headers: vec![String::new(), c.t("col_members"), c.t("col_non_members")],
        numeric: vec![1, 2],
        rows: vec![
            vec![
                c.t("loyalty_customers"),
                c.count(m.customers),
                c.count(n.customers),
            ],
            vec![
                c.t("loyalty_retention"),
                with_ci(&m.retention, &pct),
                with_ci(&n.retention, &pct),
            ],
            vec![
                c.t("loyalty_visits"),
                with_ci(&m.visits_per_year, &one),
                with_ci(&n.visits_per_year, &one),
            ],
            vec![
                c.t("loyalty_gap"),
                with_ci(&m.inter_visit_days, &one),
                with_ci(&n.inter_visit_days, &one),
            ],
            vec![
                c.t("loyalty_spend"),
                with_ci(&m.spend_per_visit, &money),
                with_ci(&n.spend_per_visit, &money),
            ],
        ],
    };
    let mut table = table;
    if usable(m.clv.estimate) || usable(n.clv.estimate) {
        table.rows.push(vec![
            c.t("loyalty_clv"),
            with_ci(&m.clv, &money),
            with_ci(&n.clv, &money),
        ]);
    }
    if usable(m.nps.estimate) || usable(n.nps.estimate) {
        table.rows.push(vec![
            c.t("loyalty_nps"),
            with_ci(&m.nps, &one),
            with_ci(&n.nps, &one),
        ]);
    }
    let days = c.count(u64::from(l.post_days));
    let effect = |i: &Interval| {
        let signed = |v: f64| {
            let s = c.pct(v, 0);
            if v > 0.0 { format!("+{s}") } else { s }
        };
        (
            signed(i.estimate),
            interval(c, i, &signed).unwrap_or_else(|| "—".into()),
        )
    };
    let raw = match &l.raw {
        Some(i) => {
            let (e, ci) = effect(i);
            c.tf(
                "loyalty_raw",
                &[("effect", &e), ("interval", &ci), ("days", &days)],
            )
        }
        None => c.tf("loyalty_no_estimate", &[("days", &days)]),
    };
    let matched = match &l.matched {
        Some(i) => {
            let (e, ci) = effect(i);
            c.tf(
                "loyalty_matched",
                &[
                    ("effect", &e),
                    ("interval", &ci),
                    ("members", &c.count(l.matched_members)),
                    ("non_members", &c.count(l.matched_non_members)),
                ],
            )
        }
        None => c.tf("loyalty_no_estimate", &[("days", &days)]),
    };
    Some(LoyaltyView {
        table,
        raw,
        matched,
        assumptions: (1..=3)
            .map(|i| c.t(&format!("loyalty_assumption_{i}")))
            .collect(),
    })
}

/// The advocates' share, or why it is not measured.
fn advocate_share(c: &Ctx) -> AdvocatesView {
    let a = match c.input.advocate_share {
        AdvocatesSection::NeedsAnswers => {
            return AdvocatesView {
                lines: vec![c.t("advocates_needs_answers")],
                measured: false,
            };
        }
        AdvocatesSection::NoRespondents => {
            return AdvocatesView {
                lines: vec![c.t("advocates_no_respondents")],
                measured: false,
            };
        }
        AdvocatesSection::Measured(a) => a,
    };
    let pct = |v: f64| c.pct(v, 1);
    let ci = |i: &Interval| interval(c, i, &pct).unwrap_or_else(|| "—".into());
    let mut lines = vec![
        c.tf(
            "advocates_intro",
            &[
                ("top", &c.pct(a.top_share, 0)),
                ("threshold", &c.money(a.clv_threshold)),
            ],
        ),
        c.tf(
            "advocates_share",
            &[
                ("advocates", &c.count(a.advocates)),
                ("respondents", &c.count(a.respondents)),
                ("share", &pct(a.share.estimate)),
                ("interval", &ci(&a.share)),
            ],
        ),
    ];
    if usable(a.promoters_among_high_value.estimate) {
        lines.push(c.tf(
            "advocates_high_value",
            &[
                ("high_value", &c.count(a.high_value)),
                ("share", &pct(a.promoters_among_high_value.estimate)),
                ("interval", &ci(&a.promoters_among_high_value)),
            ],
        ));
    }
    if usable(a.advocate_clv_share) {
        lines.push(c.tf("advocates_clv", &[("share", &pct(a.advocate_clv_share))]));
    }
    AdvocatesView {
        lines,
        measured: true,
    }
}

fn tracking_figure(c: &Ctx) -> Figure {
    let tr = &c.input.tracking;
    let title = c.t("fig_tracking_title");
    let xf = |v: f64| {
        if (v - v.round()).abs() < 1e-9 {
            c.num(v, 0)
        } else {
            c.num(v, 1)
        }
    };
    let yf = |v: f64| c.num(v, 0);
    let table = Table {
        headers: vec![c.time_axis(), c.t("series_actual"), c.t("series_predicted")],
        numeric: vec![0, 1, 2],
        rows: tr
            .points
            .iter()
            .map(|p| vec![xf(p.period), c.num(p.actual, 0), c.num(p.predicted, 0)])
            .collect(),
    };
    let svg = (!tr.points.is_empty()).then(|| {
        let last = tr
            .points
            .iter()
            .rev()
            .find(|p| usable(p.actual) || usable(p.predicted));
        let desc = match last {
            Some(p) => c.tf(
                "desc_tracking",
                &[
                    ("end", &xf(p.period)),
                    ("unit", &c.unit()),
                    ("actual", &c.num(p.actual, 0)),
                    ("predicted", &c.num(p.predicted, 0)),
                ],
            ),
            None => String::new(),
        };
        let boundary = c.t("boundary_label");
        chart::line_chart(
            &text(
                "fig-tracking",
                &title,
                desc,
                c.time_axis(),
                c.t("axis_cum_purchases"),
            ),
            &[
                LineSeries {
                    key: "actual",
                    label: c.t("series_actual"),
                    points: tr.points.iter().map(|p| (p.period, p.actual)).collect(),
                    dashed: false,
                },
                LineSeries {
                    key: "predicted",
                    label: c.t("series_predicted"),
                    points: tr.points.iter().map(|p| (p.period, p.predicted)).collect(),
                    dashed: true,
                },
            ],
            Some((tr.calibration_end, &boundary)),
            &xf,
            &yf,
        )
    });
    figure(c, "tracking", title, "fig_tracking_caption", svg, table)
}

fn frequency_figure(c: &Ctx) -> Figure {
    let fr = &c.input.frequency;
    let title = c.t("fig_freq_title");
    let cats: Vec<String> = fr.iter().map(|b| c.bucket(&b.bucket)).collect();
    let table = Table {
        headers: vec![
            c.t("col_repeat_purchases"),
            c.t("series_actual"),
            c.t("series_expected"),
        ],
        numeric: vec![1, 2],
        rows: fr
            .iter()
            .zip(&cats)
            .map(|(b, l)| vec![l.clone(), c.count(b.actual), c.num(b.expected, 1)])
            .collect(),
    };
    let svg = (!fr.is_empty()).then(|| {
        let desc = c.tf(
            "desc_freq",
            &[
                ("n", &c.count(fr.len() as u64)),
                ("first", &cats[0]),
                ("actual", &c.count(fr[0].actual)),
                ("expected", &c.num(fr[0].expected, 0)),
            ],
        );
        let yf = |v: f64| c.num(v, 0);
        chart::bar_chart(
            &text(
                "fig-frequency",
                &title,
                desc,
                c.t("axis_repeat"),
                c.t("axis_customers"),
            ),
            &cats,
            &[
                BarSeries {
                    key: "actual",
                    label: c.t("series_actual"),
                    values: fr.iter().map(|b| b.actual as f64).collect(),
                },
                BarSeries {
                    key: "expected",
                    label: c.t("series_expected"),
                    values: fr.iter().map(|b| b.expected).collect(),
                },
            ],
            &yf,
        )
    });
    figure(c, "frequency", title, "fig_freq_caption", svg, table)
}

fn models(c: &Ctx) -> ModelsView {
    let mc = &c.input.models;
    let actual = mc.holdout_actual;
    let mut view = ModelsView {
        holdout_actual: c.tf("holdout_actual", &[("n", &c.num(actual, 0))]),
        table: Table {
            headers: vec![
                c.t("col_model"),
                c.t("col_params"),
                c.t("col_ll"),
                c.t("col_bic"),
                c.t("col_holdout_pred"),
                c.t("col_holdout_err"),
                c.t("col_freq_err"),
            ],
            numeric: vec![2, 3, 4, 5, 6],
            rows: Vec::new(),
        },
        ..ModelsView::default()
    };
    for (i, m) in mc.models.iter().enumerate() {
        let chosen = mc.chosen.as_deref() == Some(m.name.as_str());
        let mut name = m.name.clone();
        if chosen {
            view.chosen_row = Some(i);
            name = format!("{name} ✓ {}", c.t("chosen_mark"));
        }
        if let Some(reason) = &m.failure {
            view.failed_rows.push(i);
            let mut row = vec![name, c.tf("model_failed", &[("reason", reason)])];
            row.extend(std::iter::repeat_n(String::new(), 5));
            view.table.rows.push(row);
            continue;
        }
        let params = m
            .params
            .iter()
            .map(|(k, v)| format!("{k} = {}", fmt::sig(*v, 3, c.lang)))
            .collect::<Vec<_>>()
            .join(", ");
        let err = if actual.abs() > 0.0 {
            (m.holdout_predicted - actual) / actual
        } else {
            f64::NAN
        };
        let err_s = if usable(err) && err > 0.0 {
            format!("+{}", c.pct(err, 1))
        } else {
            c.pct(err, 1)
        };
        view.table.rows.push(vec![
            name,
            params,
            c.num(m.log_likelihood, 1),
            c.num(m.bic, 1),
            c.num(m.holdout_predicted, 0),
            err_s,
            fmt::sig(m.frequency_error, 3, c.lang),
        ]);
    }
    view.choice = match &mc.chosen {
        None => c.t("no_model"),
        Some(name) => {
            let key = match mc.reason {
                ChoiceReason::HoldoutError => "choice_holdout_error",
                ChoiceReason::Bic => "choice_bic",
                ChoiceReason::OnlyFitted => "choice_only",
            };
            c.tf(key, &[("model", name)])
        }
    };
    view
}

fn method(c: &Ctx) -> Vec<String> {
    let m = &c.input.meta;
    vec![
        c.t("method_summary"),
        c.t("method_models"),
        c.tf(
            "method_clv",
            &[
                ("horizon", &c.horizon()),
                ("unit", &c.unit()),
                ("rate", &fmt::percent_auto(m.discount_rate, c.lang)),
                ("margin", &fmt::percent_auto(m.margin, c.lang)),
            ],
        ),
        c.t("method_intervals"),
    ]
}

fn params(c: &Ctx) -> Vec<ParamsView> {
    c.input
        .parameters
        .iter()
        .map(|set| ParamsView {
            model: set.model.clone(),
            log_likelihood: c.tf("log_likelihood", &[("ll", &c.num(set.log_likelihood, 1))]),
            table: Table {
                headers: vec![
                    c.t("col_parameter"),
                    c.t("col_estimate"),
                    c.t("col_se"),
                    c.t("col_ci"),
                ],
                numeric: vec![1, 2, 3],
                rows: set
                    .parameters
                    .iter()
                    .map(|p| {
                        let ci = if usable(p.value.lower) && usable(p.value.upper) {
                            format!(
                                "{} – {}",
                                fmt::sig(p.value.lower, 3, c.lang),
                                fmt::sig(p.value.upper, 3, c.lang)
                            )
                        } else {
                            fmt::MISSING.to_string()
                        };
                        vec![
                            p.name.clone(),
                            fmt::sig(p.value.estimate, 4, c.lang),
                            fmt::sig(p.std_error, 3, c.lang),
                            ci,
                        ]
                    })
                    .collect(),
            },
        })
        .collect()
}

fn definitions(c: &Ctx) -> Vec<(String, String)> {
    let th = &c.input.meta.thresholds;
    let lo = c.pct(th.lost_below, 0);
    let hi = c.pct(th.at_risk_below, 0);
    let p = c.pct(th.advocate_min_p_alive, 0);
    let score = th.advocate_min_score.to_string();
    let args: [(&str, &str); 4] = [("lo", &lo), ("hi", &hi), ("p", &p), ("score", &score)];
    let mut out = Vec::new();
    for key in [
        "p_alive",
        "clv",
        "defection",
        "revenue_lost",
        "value_at_risk",
        "rfm",
    ] {
        out.push((
            c.t(&format!("term_{key}")),
            c.tf(&format!("def_{key}"), &args),
        ));
    }
    for key in crate::LIFECYCLE_KEYS {
        out.push((
            c.t(&format!("stage_{key}")),
            c.tf(&format!("def_stage_{key}"), &args),
        ));
    }
    for key in ["advocates", "holdout", "bic"] {
        out.push((
            c.t(&format!("term_{key}")),
            c.tf(&format!("def_{key}"), &args),
        ));
    }
    out
}

fn run(c: &Ctx) -> Vec<(String, String)> {
    let m = &c.input.meta;
    let flags = m
        .flags
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k} {v}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = vec![
        (c.t("run_file"), m.input_file.clone()),
        (c.t("run_checksum"), m.input_checksum.clone()),
        (
            c.t("run_observation_end"),
            fmt::date(m.observation_end, c.lang),
        ),
        (c.t("run_currency"), c.currency()),
        (
            c.t("run_unit"),
            c.t(&format!("unit_title_{}", m.unit.as_str())),
        ),
        (c.t("run_horizon"), format!("{} {}", c.horizon(), c.unit())),
        (
            c.t("run_holdout"),
            format!("{} {}", fmt::auto(m.holdout, c.lang), c.unit()),
        ),
        (c.t("run_flags"), flags),
    ];
    if let Some(seed) = m.seed {
        out.push((c.t("run_seed"), seed.to_string()));
    }
    out.push((c.t("run_version"), m.version.clone()));
    out.push((c.t("run_generated"), m.generated_at.clone()));
    out
}
