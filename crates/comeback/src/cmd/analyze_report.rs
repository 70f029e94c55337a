//! Fills the report's plain-data input from what `comeback analyze` computed. Every number
//! shown in the report comes from the same values as summary.json.

use super::analyze::Args;
use super::ingest_args::Loaded;
use comeback_analysis::models::Reason;
use comeback_analysis::{Analysis, Tracking, comparison_model};
use comeback_core::{LifecycleStage, PAliveGrid, RfmSegment};
use comeback_models::fit::FitReport;
use comeback_report::{
    ActionList, ActionRow, Bucket, ChoiceReason, CohortRow, CountBar, FrequencyBar, GroupSize,
    Headline, HeatCell, Interval, Metadata, ModelComparison, ModelFit, PAliveHeatmap, Parameter,
    ParameterSet, ReportInput, Thresholds, TrackingCurve, TrackingPoint, WhatIf,
    standard_citations,
};
use serde_json::Value;

/// Everything the report needs: the flags, the input, the analysis and summary.json.
pub(super) struct ReportParts<'a> {
    pub args: &'a Args,
    pub loaded: &'a Loaded,
    pub analysis: &'a Analysis,
    pub summary: &'a Value,
    pub economics: &'a comeback_analysis::economics::Economics,
    pub survival: Option<&'a comeback_report::Survival>,
    pub loyalty: Option<&'a comeback_analysis::loyalty::LoyaltyComparison>,
    pub advocate_share: comeback_report::AdvocatesSection,
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn interval(v: &Value) -> Interval {
    Interval {
        estimate: f(&v["estimate"]),
        lower: f(&v["ci_low"]),
        upper: f(&v["ci_high"]),
    }
}

/// The report input.
pub(super) fn report_input(p: &ReportParts<'_>) -> ReportInput {
    let a = p.args;
    let s = p.summary;
    let an = p.analysis;
    let full = &an.summary;
    let periods_per_year = 365.25 / (an.clv.discount_period * a.model.unit.days());
    let annual_discount = (1.0 + a.model.discount_rate).powf(periods_per_year) - 1.0;
    let meta = Metadata {
        title: None,
        generated_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        currency: p
            .loaded
            .report
            .currency
            .clone()
            .or_else(|| p.loaded.report.currency_symbol.clone())
            .unwrap_or_default(),
        unit: a.model.unit,
        observation_end: full.observation_end,
        horizon: a.model.horizon,
        holdout: an.holdout,
        discount_rate: annual_discount,
        margin: a.model.margin,
        thresholds: Thresholds {
            lost_below: a.model.lost_below,
            at_risk_below: a.model.at_risk_below,
            ..Thresholds::default()
        },
        input_file: p.loaded.report.file.clone(),
        input_checksum: format!("sha256:{}", p.loaded.sha256),
        version: env!("CARGO_PKG_VERSION").to_string(),
        flags: flags(&s["flags"]),
        seed: Some(a.model.seed),
    };
    let w = &s["what_if"];
    let headline = Headline {
        customers: full.customers.len() as u64,
        expected_alive_now: f(&s["expected_alive_now"]),
        defection_rate_12m: f(&s["defection_rate_12m"]),
        customers_lost_12m: s["customers_lost_12m"].as_u64().unwrap_or(0),
        revenue_lost_12m: f(&s["revenue_lost_12m"]),
        expected_purchases: interval(&s["expected_purchases"]),
        expected_revenue: interval(&s["expected_revenue"]),
        revenue_at_risk: f(&s["revenue_at_risk"]),
        what_if: Some(WhatIf {
            points: f(&w["retention_points"]),
            survival_before: f(&w["survival_12m_before"]),
            survival_after: f(&w["survival_12m_after"]),
            model_revenue_gain: f(&w["model_clv_gain"]),
            naive_revenue_gain: f(&w["naive_clv_gain"]),
        }),
    };
    let (at_risk, win_back, advocates) = (
        &an.lists.at_risk[..],
        &an.lists.win_back[..],
        &an.lists.advocates[..],
    );
    let clv = &an.scores.clv;
    let list = |idx: &[usize], file: &str, value: &dyn Fn(usize) -> f64| ActionList {
        rows: idx
            .iter()
            .take(comeback_report::TOP_N)
            .map(|&i| ActionRow {
                customer_id: full.customers[i].customer_id.to_string(),
                clv: clv[i],
                p_alive: an.scores.p_alive[i],
                value: value(i),
                last_purchase: full.customers[i].last_purchase,
            })
            .collect(),
        total: idx.len() as u64,
        file: file.to_string(),
    };
    let lifecycle = LifecycleStage::ALL
        .iter()
        .map(|st| GroupSize {
            key: st.key().to_string(),
            customers: an.lifecycle.stages.iter().filter(|x| *x == st).count() as u64,
            value: an
                .lifecycle
                .stages
                .iter()
                .zip(clv)
                .filter(|(x, _)| *x == st)
                .map(|(_, c)| c)
                .sum(),
        })
        .collect();
    let rfm_segments = RfmSegment::ALL
        .iter()
        .map(|seg| GroupSize {
            key: seg.key().to_string(),
            customers: an.rfm.iter().filter(|r| r.segment == *seg).count() as u64,
            value: an
                .rfm
                .iter()
                .zip(clv)
                .filter(|(r, _)| r.segment == *seg)
                .map(|(_, c)| c)
                .sum(),
        })
        .collect();
    ReportInput {
        meta,
        headline,
        at_risk: list(at_risk, "at_risk.csv", &|i| {
            an.value_at_risk[i].value_at_risk
        }),
        win_back: list(win_back, "win_back.csv", &|i| {
            an.historical_revenue[i].to_f64()
        }),
        advocates: list(advocates, "advocates.csv", &|i| {
            an.historical_revenue[i].to_f64()
        }),
        lifecycle,
        rfm_segments,
        p_alive: heatmap(&an.charts.p_alive_grid),
        clv_distribution: an
            .charts
            .clv_histogram
            .buckets
            .iter()
            .map(|b| CountBar {
                bucket: match b.upper {
                    Some(u) => Bucket::range(b.lower, u),
                    None => Bucket::open(b.lower),
                },
                customers: b.count as u64,
            })
            .collect(),
        cohorts: an
            .charts
            .cohorts
            .cohorts
            .iter()
            .map(|c| CohortRow {
                year: c.year,
                month: c.month,
                customers: c.customers as u64,
                retention: c
                    .cells
                    .iter()
                    .map(|cell| cell.complete.then_some(cell.share_active))
                    .collect(),
            })
            .collect(),
        models: models(p),
        tracking: tracking(an.charts.tracking.as_ref()),
        frequency: an
            .charts
            .frequency_histogram
            .as_ref()
            .map(|h| {
                h.bins
                    .iter()
                    .map(|b| FrequencyBar {
                        bucket: if b.open {
                            Bucket::open(b.frequency as f64)
                        } else {
                            Bucket::single(b.frequency as f64)
                        },
                        actual: b.actual.round() as u64,
                        expected: b.expected,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        parameters: [
            Some((
                format!("{} ({})", an.model.kind().display_name(), "all data"),
                &an.fit,
            )),
            an.spend_model
                .fit
                .as_ref()
                .ok()
                .map(|(gg, _)| ("Gamma-Gamma".to_string(), &gg.report)),
        ]
        .into_iter()
        .flatten()
        .map(|(name, r)| parameter_set(name, r))
        .collect(),
        citations: {
            let mut c = standard_citations();
            if p.survival.is_some() {
                c.push("Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete observations. Journal of the American Statistical Association 53(282), 457–481.".into());
                c.push("Mantel, N. (1966). Evaluation of survival data and two new rank order statistics arising in its consideration. Cancer Chemotherapy Reports 50(3), 163–170.".into());
            }
            if matches!(
                p.advocate_share,
                comeback_report::AdvocatesSection::Measured(_)
            ) {
                c.push("Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review 81(12), 46–54.".into());
                c.push("Rocks, B. (2016). Interval estimation for the \"net promoter score\". The American Statistician 70(4), 365–372.".into());
            }
            if p.loyalty.is_some() {
                c.push("Iacus, S. M., King, G. & Porro, G. (2012). Causal inference without balance checking: coarsened exact matching. Political Analysis 20(1), 1–24.".into());
            }
            c
        },
        economics: Some(super::analyze_extra::economics_report(p.economics)),
        survival: p.survival.cloned(),
        loyalty: p.loyalty.map(super::analyze_extra::loyalty_report),
        advocate_share: p.advocate_share,
    }
}

fn flags(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    (
                        format!("--{}", k.replace('_', "-")),
                        v.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn heatmap(g: &PAliveGrid) -> PAliveHeatmap {
    let buckets = |edges: &[f64], integer: bool| -> Vec<Bucket> {
        edges
            .iter()
            .enumerate()
            .map(|(i, &lo)| match edges.get(i + 1) {
                Some(&hi) if integer && hi - lo <= 1.0 => Bucket::single(lo),
                Some(&hi) if integer => Bucket::range(lo, hi - 1.0),
                Some(&hi) => Bucket::range(lo, hi),
                None => Bucket::open(lo),
            })
            .collect()
    };
    let mut cells = Vec::new();
    for (row, r) in g.cells.iter().enumerate() {
        for (col, c) in r.iter().enumerate() {
            if let Some(m) = c.mean_p_alive {
                cells.push(HeatCell {
                    row,
                    col,
                    mean_p_alive: m,
                    customers: c.customers as u64,
                });
            }
        }
    }
    PAliveHeatmap {
        frequency: buckets(&g.frequency_edges, true),
        recency: buckets(&g.recency_edges, false),
        cells,
    }
}

fn models(p: &ReportParts<'_>) -> ModelComparison {
    let c = &p.analysis.comparison;
    ModelComparison {
        models: c
            .candidates
            .iter()
            .map(|k| match &k.fit {
                Ok((_, r)) => ModelFit {
                    name: k.kind.display_name().to_string(),
                    params: r
                        .param_names
                        .iter()
                        .zip(&r.params)
                        .map(|(n, v)| (n.to_string(), *v))
                        .collect(),
                    log_likelihood: r.log_likelihood,
                    bic: r.bic,
                    holdout_predicted: k.holdout_predicted,
                    frequency_error: k.frequency_error,
                    failure: None,
                },
                Err(e) => ModelFit {
                    name: k.kind.display_name().to_string(),
                    params: Vec::new(),
                    log_likelihood: f64::NAN,
                    bic: f64::NAN,
                    holdout_predicted: f64::NAN,
                    frequency_error: f64::NAN,
                    failure: Some(e.clone()),
                },
            })
            .collect(),
        holdout_actual: if p.analysis.calibration.is_some() {
            c.holdout_actual
        } else {
            f64::NAN
        },
        chosen: comparison_model(c).map(|_| c.candidates[c.chosen].kind.display_name().to_string()),
        reason: match c.reason {
            Reason::HoldoutError => ChoiceReason::HoldoutError,
            Reason::Bic | Reason::BicNoHoldout => ChoiceReason::Bic,
            Reason::OnlyFitted => ChoiceReason::OnlyFitted,
        },
    }
}

fn tracking(t: Option<&Tracking>) -> TrackingCurve {
    match t {
        None => TrackingCurve::default(),
        Some(t) => TrackingCurve {
            points: t
                .ends
                .iter()
                .zip(&t.actual)
                .zip(&t.predicted)
                .map(|((&period, &actual), &predicted)| TrackingPoint {
                    period,
                    actual,
                    predicted,
                })
                .collect(),
            calibration_end: t.calibration_end.unwrap_or(f64::NAN),
        },
    }
}

fn parameter_set(model: String, r: &FitReport) -> ParameterSet {
    ParameterSet {
        model,
        parameters: r
            .param_names
            .iter()
            .enumerate()
            .map(|(i, n)| Parameter {
                name: n.to_string(),
                value: Interval {
                    estimate: r.params[i],
                    lower: r.ci_low.as_ref().map_or(f64::NAN, |v| v[i]),
                    upper: r.ci_high.as_ref().map_or(f64::NAN, |v| v[i]),
                },
                std_error: r.std_errors.as_ref().map_or(f64::NAN, |v| v[i]),
            })
            .collect(),
        log_likelihood: r.log_likelihood,
    }
}
