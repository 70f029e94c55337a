//! The analyze pipeline on a per-customer summary alone (`comeback analyze --summary`):
//! everything that needs only (x, tₓ, T, monetary value) per customer.
//!
//! The summary may come from `comeback summarize`, from `comeback sql` run in the user's
//! own engine, or from any BTYD tool. The model stage is the very code [`crate::analyze`]
//! runs ([`crate::pipeline`]'s `model_stage`), so for the same summary both give the same
//! parameters, scores and CLV. What needs the transaction log is left out and listed in
//! [`OMITTED_SECTIONS`].

use crate::models::{Comparison, compare_without_holdout, rows_of};
use crate::pipeline::{ModelStage, comparison_model, model_stage};
use crate::{
    AnalysisError, AnalysisNote, AnalysisOptions, ClvSettings, Headline, Interval,
    MIN_REPEAT_CUSTOMERS, Scores, SpendModel, WhatIf,
};
use comeback_core::{
    Histogram, PAliveGrid, RecencyAxis, RfmScore, Summary, ValueAtRisk, advocates_list,
    clv_histogram, p_alive_grid, rfm_scores, value_at_risk,
};
use comeback_models::diagnostics::{FrequencyHistogram, frequency_histogram};
use comeback_models::fit::{FitOptions, FitReport, Rfm, RfmData};
use comeback_models::purchase_model::PurchaseModel;

/// The sections of the transaction analysis that a summary cannot give: (key, why). The
/// keys are those of summary.json and of the report.
pub const OMITTED_SECTIONS: &[(&str, &str)] = &[
    (
        "holdout_comparison",
        "the calibration/holdout split needs the purchase dates; the models are compared on all data by BIC",
    ),
    (
        "lifecycle",
        "stages need each customer's purchase days (median inter-purchase time)",
    ),
    ("at_risk", "the at-risk list is made of lifecycle stages"),
    (
        "win_back",
        "the win-back list needs lifecycle stages and historical revenue",
    ),
    (
        "historical_revenue",
        "the summary has the mean repeat spend, not the first purchase's value",
    ),
    (
        "defection",
        "defection counts active customers month by month",
    ),
    ("cohorts", "cohorts need first-purchase months"),
    (
        "tracking",
        "the tracking curve needs repeat purchases by date",
    ),
    (
        "economics",
        "the economics section uses the at-risk list and defection",
    ),
    ("survival", "survival by segment needs the purchase days"),
];

/// The result of [`analyze_summary`]: the fields of [`crate::Analysis`] a summary can give.
#[derive(Debug, Clone)]
pub struct SummaryAnalysis {
    /// The options as given.
    pub options: AnalysisOptions,
    /// The summary analysed (one row per customer, in the order given).
    pub summary: Summary,
    /// Validated model rows, parallel to the summary.
    pub rows: Vec<Rfm>,
    /// Model comparison on all data by BIC (rule in [`crate::models`]).
    pub comparison: Comparison,
    /// The chosen model fitted on all data.
    pub model: PurchaseModel,
    /// Its fit report.
    pub fit: FitReport,
    /// Spend.
    pub spend_model: SpendModel,
    /// CLV settings used.
    pub clv: ClvSettings,
    /// Per-customer scores, parallel to the summary.
    pub scores: Scores,
    /// RFM scores and segments.
    pub rfm: Vec<RfmScore>,
    /// Value at risk (CLV × (1 − P(alive))) and its rank.
    pub value_at_risk: Vec<ValueAtRisk>,
    /// Advocates (positions into the summary), by CLV.
    pub advocates: Vec<usize>,
    /// Headline totals; `revenue_at_risk` is NaN (it sums the at-risk list, which needs
    /// lifecycle stages).
    pub headline: Headline,
    /// Retention what-if.
    pub what_if: WhatIf,
    /// Mean P(alive) by frequency and recency.
    pub p_alive_grid: PAliveGrid,
    /// CLV distribution.
    pub clv_histogram: Histogram,
    /// Actual vs expected customers per frequency (FHL 2005, Figure 2).
    pub frequency_histogram: Option<FrequencyHistogram>,
    /// Notes for the user.
    pub notes: Vec<AnalysisNote>,
}

/// The analysis of a per-customer summary. `summary.customers[i]` supplies x, tₓ, T (in
/// `options.unit`) and the monetary value; its dates are not used.
///
/// # Errors
/// [`AnalysisError::InvalidOption`] for a holdout > 0 (a summary has no dates to hold out)
/// and the options [`crate::analyze`] refuses; [`AnalysisError::NoPurchases`] for an empty
/// summary; the repeat-customer, fit and row errors of [`crate::analyze`].
pub fn analyze_summary(
    summary: &Summary,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<SummaryAnalysis, AnalysisError> {
    options.validate()?;
    if let Some(h) = options.holdout
        && h > 0.0
    {
        return Err(AnalysisError::InvalidOption {
            name: "holdout",
            value: h.to_string(),
            expected: "0 for a summary (the holdout split needs transactions)",
        });
    }
    let full = summary;
    let n = full.customers.len();
    if n == 0 {
        return Err(AnalysisError::NoPurchases);
    }
    let rows = rows_of(
        &full
            .customers
            .iter()
            .map(|c| c.frequency)
            .collect::<Vec<_>>(),
        &full.customers.iter().map(|c| c.recency).collect::<Vec<_>>(),
        &full.customers.iter().map(|c| c.t).collect::<Vec<_>>(),
    )?;
    let repeaters = full.customers.iter().filter(|c| c.frequency > 0).count();
    if repeaters == 0 {
        return Err(AnalysisError::NoRepeatCustomers);
    }
    if repeaters < MIN_REPEAT_CUSTOMERS {
        return Err(AnalysisError::TooFewRepeatCustomers {
            repeaters,
            customers: n,
            minimum: MIN_REPEAT_CUSTOMERS,
        });
    }
    let fit_opts = FitOptions::default().time_budget(options.fit_time_budget);
    let comparison = compare_without_holdout(
        &RfmData::new(&rows, None)?,
        &options.models,
        &fit_opts,
        &mut *progress,
    )?;
    let mut notes = Vec::new();
    let ModelStage {
        model,
        report,
        spend_fit,
        spend_note,
        discount_period,
        clv_periods,
        scores,
        intervals,
        what_if,
        total_purchases,
        total_revenue,
    } = model_stage(
        full,
        &rows,
        &comparison,
        options,
        &mut notes,
        &mut *progress,
    )?;
    let rfm = rfm_scores(&full.customers);
    let var = value_at_risk(&scores.clv, &scores.p_alive)?;
    let advocates = advocates_list(&rfm, &scores.p_alive, &scores.clv, &options.advocates)?;
    let headline = Headline {
        customers: n,
        repeat_customers: repeaters,
        expected_alive_now: scores.p_alive.iter().sum(),
        expected_purchases: Interval {
            estimate: total_purchases,
            ci_low: intervals.0[0],
            ci_high: intervals.0[1],
        },
        expected_revenue: Interval {
            estimate: total_revenue,
            ci_low: intervals.1[0],
            ci_high: intervals.1[1],
        },
        bootstrap_draws: intervals.2,
        clv_total: scores.clv.iter().sum(),
        revenue_at_risk: f64::NAN,
        value_at_risk_total: var.iter().map(|v| v.value_at_risk).sum::<f64>(),
    };
    let p_alive_grid = p_alive_grid(
        &full.customers,
        &scores.p_alive,
        &[0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0],
        &crate::pipeline::recency_edges(full),
        RecencyAxis::Recency,
    )?;
    let clv_histogram = clv_histogram(&scores.clv, 12)?;
    let frequency_histogram =
        frequency_histogram(&comparison_model(&comparison).unwrap_or(model), &rows, 7).ok();
    Ok(SummaryAnalysis {
        options: options.clone(),
        summary: full.clone(),
        rows,
        comparison,
        model,
        fit: report,
        spend_model: SpendModel {
            fit: spend_fit,
            note: spend_note,
        },
        clv: ClvSettings {
            margin: options.margin,
            discount_rate: options.discount_rate,
            discount_period,
            periods: clv_periods,
        },
        scores,
        rfm,
        value_at_risk: var,
        advocates,
        headline,
        what_if,
        p_alive_grid,
        clv_histogram,
        frequency_histogram,
        notes,
    })
}
