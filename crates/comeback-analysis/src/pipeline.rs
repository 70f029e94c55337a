//! The pipeline: [`analyze`] and its typed results.

use crate::distinct::Distinct;
use crate::models::{Comparison, compare, compare_without_holdout, rows_of};
use crate::{AnalysisError, AnalysisOptions};
use comeback_core::{
    Amount, CalibrationHoldoutSummary, CohortTable, CustomerSummary, Day, Defection, Histogram,
    Lifecycle, LifecycleStage, PAliveGrid, RecencyAxis, RfmScore, Summary, SummaryOptions,
    TimeUnit, TransactionLog, ValueAtRisk, advocates_list, at_risk_list, clv_histogram,
    cohort_table, defection, historical_revenue, lifecycle_stages, p_alive_grid, rfm_scores,
    value_at_risk, win_back_list,
};
use comeback_models::diagnostics::{FrequencyHistogram, frequency_histogram, tracking_curve};
use comeback_models::fit::{FitOptions, FitReport, Fitted, Rfm, RfmData};
use comeback_models::gamma_gamma::{GammaGamma, SpendData};
use comeback_models::purchase_model::{PurchaseModel, RetentionWhatIf, retention_what_if};
use comeback_models::transaction::{
    ClvOptions, TransactionModel, clv_periods_for_horizon, discounted_expected_purchases,
};

/// Row predictions the bootstrap may spend (draws × distinct rows), about 10 s on 2 cores.
pub const BOOTSTRAP_BUDGET: usize = 20_000_000;

/// Fewer repeat customers than this cannot identify four model parameters.
pub const MIN_REPEAT_CUSTOMERS: usize = 10;

/// Everything computed for each customer; every vector is parallel to
/// [`Analysis::summary`]`.customers` (the log's customers, in id order).
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// P(alive) at the observation end under the chosen model, in [0, 1].
    pub p_alive: Vec<f64>,
    /// E[Y(horizon) | x, tₓ, T]: expected purchases over the horizon.
    pub expected_purchases: Vec<f64>,
    /// Expected average spend per purchase (the Gamma-Gamma conditional expectation of
    /// `comeback_models::gamma_gamma`; the mean observed repeat spend when Gamma-Gamma
    /// fails), in the currency unit.
    pub spend: Vec<f64>,
    /// Expected revenue over the horizon: expected purchases × spend.
    pub revenue: Vec<f64>,
    /// CLVᵢ = margin × spendᵢ × discounted expected purchases (see [`ClvOptions`]).
    pub clv: Vec<f64>,
}

/// A 95 % interval around an estimate (bounds NaN when there is no interval).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The point estimate.
    pub estimate: f64,
    /// 2.5 % quantile.
    pub ci_low: f64,
    /// 97.5 % quantile.
    pub ci_high: f64,
}

/// The headline numbers of `summary.json` (the retention totals).
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// Customers with a purchase.
    pub customers: usize,
    /// Customers with at least one repeat purchase (x > 0).
    pub repeat_customers: usize,
    /// Σ P(alive): expected customers alive at the observation end.
    pub expected_alive_now: f64,
    /// Expected purchases over the horizon, with bootstrap interval.
    pub expected_purchases: Interval,
    /// Expected revenue over the horizon, with bootstrap interval (currency unit).
    pub expected_revenue: Interval,
    /// Bootstrap draws used (0 without intervals).
    pub bootstrap_draws: usize,
    /// Σ CLV.
    pub clv_total: f64,
    /// Σ value at risk of the at-risk list.
    pub revenue_at_risk: f64,
    /// Σ value at risk of all customers.
    pub value_at_risk_total: f64,
}

/// The retention what-if: the chosen model with the dropout rescaled so that 12-month
/// survival of the alive base rises by `retention_points` (see [`retention_what_if`]).
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIf {
    /// Percentage points asked for.
    pub retention_points: f64,
    /// The rescaled model and the survival before and after.
    pub result: RetentionWhatIf,
    /// Σ CLV under the rescaled model − Σ CLV.
    pub model_clv_gain: f64,
    /// margin × annual revenue × (1/churn_after − 1/churn): the gain of the undiscounted
    /// constant-churn lifetime value (annual value ÷ churn); NaN when a churn is ≤ 0.
    pub naive_clv_gain: f64,
    /// Expected revenue of the next year from the current base.
    pub annual_revenue_alive_base: f64,
}

/// The CLV settings after defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvSettings {
    /// Margin as a share of revenue.
    pub margin: f64,
    /// Discount rate per discount period.
    pub discount_rate: f64,
    /// Length of a discount period, in the unit.
    pub discount_period: f64,
    /// Discount periods summed.
    pub periods: usize,
}

/// The Gamma-Gamma spend model.
#[derive(Debug, Clone)]
pub struct SpendModel {
    /// The fit and the frequency–spend correlation, or why it failed.
    pub fit: Result<(Fitted<GammaGamma>, f64), String>,
    /// Why the mean observed repeat spend was used instead, if it was.
    pub note: Option<String>,
}

/// Positions (into [`Analysis::summary`]`.customers`) of the action lists, in list order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionLists {
    /// At risk, by value at risk.
    pub at_risk: Vec<usize>,
    /// Win back (lost customers), by historical revenue.
    pub win_back: Vec<usize>,
    /// Advocates, by CLV.
    pub advocates: Vec<usize>,
}

/// Actual and predicted cumulative repeat purchases per period (one period = one unit, or a
/// whole number of units when there would be more than 200 periods), from the calibration
/// fit (FHL 2005, Figure 3).
#[derive(Debug, Clone, PartialEq)]
pub struct Tracking {
    /// Period ends, in units since the first purchase day.
    pub ends: Vec<f64>,
    /// Actual cumulative repeat purchases.
    pub actual: Vec<f64>,
    /// Predicted cumulative repeat purchases.
    pub predicted: Vec<f64>,
    /// Calibration end, in units since the first purchase day.
    pub calibration_end: Option<f64>,
}

/// The data of the report's charts.
#[derive(Debug, Clone)]
pub struct Charts {
    /// Monthly acquisition cohorts.
    pub cohorts: CohortTable,
    /// Mean P(alive) by frequency and recency.
    pub p_alive_grid: PAliveGrid,
    /// CLV distribution (12 buckets at most).
    pub clv_histogram: Histogram,
    /// Actual vs expected customers per calibration frequency (FHL 2005, Figure 2).
    pub frequency_histogram: Option<FrequencyHistogram>,
    /// Cumulative tracking curve.
    pub tracking: Option<Tracking>,
}

/// Something the user should know about a result that is not an error.
#[derive(Debug, Clone, PartialEq)]
pub enum AnalysisNote {
    /// The holdout was as long as the data or longer; the models were compared by BIC.
    HoldoutTooLong {
        /// The holdout asked for, in `unit`s.
        holdout: f64,
        /// The observed span, in `unit`s.
        span: f64,
        /// The unit.
        unit: TimeUnit,
    },
    /// The refit of the chosen model on all data stopped before convergence.
    NotConverged {
        /// Display name of the model.
        model: &'static str,
        /// The fitter's message.
        message: String,
    },
}

impl std::fmt::Display for AnalysisNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalysisNote::HoldoutTooLong {
                holdout,
                span,
                unit,
            } => write!(
                f,
                "the holdout of {holdout} {unit} is as long as the data or longer ({span:.1} {unit}); \
                 the models are compared on all data by BIC instead"
            ),
            AnalysisNote::NotConverged { model, message } => write!(
                f,
                "the {model} fit did not converge ({message}); its predictions are the limit the data \
                 point to, treat them with care"
            ),
        }
    }
}

/// The result of [`analyze`].
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The options as given.
    pub options: AnalysisOptions,
    /// The observation end.
    pub observation_end: Day,
    /// The earliest first purchase.
    pub first_day: Day,
    /// Holdout used, in units (0 without holdout).
    pub holdout: f64,
    /// The summary on all data: one row per log customer, in id order.
    pub summary: Summary,
    /// Validated model rows of `summary`, parallel to it.
    pub rows: Vec<Rfm>,
    /// The calibration/holdout summary of the comparison, when there was a holdout.
    pub calibration: Option<CalibrationHoldoutSummary>,
    /// Model comparison and choice (rule in [`crate::models`]).
    pub comparison: Comparison,
    /// The chosen model refitted on all data.
    pub model: PurchaseModel,
    /// Its fit report.
    pub fit: FitReport,
    /// Spend.
    pub spend_model: SpendModel,
    /// CLV settings used.
    pub clv: ClvSettings,
    /// Per-customer scores.
    pub scores: Scores,
    /// RFM scores and segments, parallel to the summary.
    pub rfm: Vec<RfmScore>,
    /// Lifecycle stages.
    pub lifecycle: Lifecycle,
    /// Value at risk and its rank, parallel to the summary.
    pub value_at_risk: Vec<ValueAtRisk>,
    /// Net historical revenue, parallel to the summary.
    pub historical_revenue: Vec<Amount>,
    /// Action lists.
    pub lists: ActionLists,
    /// Defection over the last 12 months vs the 12 before.
    pub defection: Defection,
    /// Headline totals.
    pub headline: Headline,
    /// Retention what-if.
    pub what_if: WhatIf,
    /// Chart data.
    pub charts: Charts,
    /// Notes for the user, in the order they arose.
    pub notes: Vec<AnalysisNote>,
}

/// One customer's scores, borrowed from an [`Analysis`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerScore<'a> {
    /// The summary row (external id, first and last purchase, x, tₓ, T, monetary value).
    pub summary: &'a CustomerSummary,
    /// P(alive).
    pub p_alive: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Expected average spend.
    pub expected_avg_spend: f64,
    /// Expected revenue over the horizon.
    pub expected_revenue: f64,
    /// CLV.
    pub clv: f64,
    /// RFM scores and segment.
    pub rfm: RfmScore,
    /// Lifecycle stage.
    pub lifecycle_stage: LifecycleStage,
    /// Value at risk and rank.
    pub value_at_risk: ValueAtRisk,
    /// Net historical revenue.
    pub historical_revenue: Amount,
}

impl Analysis {
    /// Position of the customer with external id `id` (the summary is sorted by id).
    pub fn customer_index(&self, id: &str) -> Option<usize> {
        self.summary
            .customers
            .binary_search_by(|c| (*c.customer_id).cmp(id))
            .ok()
    }

    /// The scores of the customer at position `i`; `None` past the end.
    pub fn customer(&self, i: usize) -> Option<CustomerScore<'_>> {
        Some(CustomerScore {
            summary: self.summary.customers.get(i)?,
            p_alive: self.scores.p_alive[i],
            expected_purchases: self.scores.expected_purchases[i],
            expected_avg_spend: self.scores.spend[i],
            expected_revenue: self.scores.revenue[i],
            clv: self.scores.clv[i],
            rfm: self.rfm[i],
            lifecycle_stage: self.lifecycle.stages[i],
            value_at_risk: self.value_at_risk[i],
            historical_revenue: self.historical_revenue[i],
        })
    }

    /// Customers per lifecycle stage, in [`LifecycleStage::ALL`] order.
    pub fn lifecycle_counts(&self) -> Vec<(LifecycleStage, usize)> {
        LifecycleStage::ALL
            .iter()
            .map(|s| (*s, self.lifecycle.stages.iter().filter(|x| *x == s).count()))
            .collect()
    }
}

/// [`analyze_with_progress`] without progress messages.
///
/// # Errors
/// See [`analyze_with_progress`].
pub fn analyze(log: &TransactionLog, options: &AnalysisOptions) -> Result<Analysis, AnalysisError> {
    analyze_with_progress(log, options, &mut |_| {})
}

/// The analysis of `log`; `progress` receives a short message before each step.
///
/// # Errors
/// [`AnalysisError::InvalidOption`]; [`AnalysisError::NoPurchases`] for an empty log;
/// [`AnalysisError::NoRepeatCustomers`] / [`AnalysisError::TooFewRepeatCustomers`] /
/// [`AnalysisError::TooFewCalibrationRepeaters`] when the data cannot identify the models;
/// [`AnalysisError::NoModelFitted`] / [`AnalysisError::Refit`] when no model can be fitted;
/// the core and model errors of the steps for input they reject.
pub fn analyze_with_progress(
    log: &TransactionLog,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Analysis, AnalysisError> {
    options.validate()?;
    let opts = SummaryOptions {
        unit: options.unit,
        ..SummaryOptions::default()
    };
    let full = log.summarize(&opts);
    analyze_inner(log, options, full, Calibration::FromLog, progress)
}

/// The calibration end of the model comparison [`analyze`] makes for a log whose summary
/// on all data is `summary`: the observation end minus the holdout (`options.holdout`, or
/// a third of the span from the first purchase to the observation end, in whole units),
/// or `None` when there is no holdout or it leaves no calibration period (the models are
/// then compared on all data by BIC). An empty summary has none.
pub fn comparison_calibration_end(summary: &Summary, options: &AnalysisOptions) -> Option<Day> {
    let unit = options.unit;
    let end = summary.observation_end;
    let first_day = summary.customers.iter().map(|c| c.first_purchase).min()?;
    let span_days = (end.0 - first_day.0) as f64;
    let holdout = options
        .holdout
        .unwrap_or_else(|| (span_days / 3.0 / unit.days()).floor());
    let holdout_days = (holdout * unit.days()).round() as i32;
    let cal_end = Day(end.0 - holdout_days);
    (holdout_days > 0 && cal_end > first_day).then_some(cal_end)
}

/// [`analyze_with_progress`] with the summaries computed elsewhere — by the summary query
/// of `comeback-sql` inside the database that holds the transactions, say — from the same
/// data as `log`: `summary` on all data in `options.unit` and `calibration`, the
/// calibration/holdout summary at [`comparison_calibration_end`] of `summary` (`None` when
/// that is `None`). The log still gives what needs purchase days (lifecycle stages,
/// historical revenue, defection, cohorts, the tracking curve). For the summaries the log
/// itself gives, the result equals [`analyze_with_progress`]'s.
///
/// # Errors
/// [`AnalysisError::SummaryMismatch`] when `summary` has another unit, observation end or
/// customer list than `log`, or `calibration` another calibration end, unit or presence than
/// the comparison needs; otherwise those of [`analyze_with_progress`].
pub fn analyze_with_summaries(
    log: &TransactionLog,
    options: &AnalysisOptions,
    summary: Summary,
    calibration: Option<CalibrationHoldoutSummary>,
    progress: &mut dyn FnMut(&str),
) -> Result<Analysis, AnalysisError> {
    options.validate()?;
    let mismatch = |s: String| Err(AnalysisError::SummaryMismatch(s));
    if summary.unit != options.unit {
        return mismatch(format!(
            "the summary is in {}, the analysis in {}",
            summary.unit.as_str(),
            options.unit.as_str()
        ));
    }
    if let Some(end) = log.observation_end()
        && summary.observation_end != end
    {
        return mismatch(format!(
            "observation end {} in the summary, {end} in the log",
            summary.observation_end
        ));
    }
    if summary.customers.len() != log.ids().len()
        || summary
            .customers
            .iter()
            .zip(log.ids())
            .any(|(c, id)| *c.customer_id != **id)
    {
        return mismatch(format!(
            "{} customers in the summary, {} in the log, or other ids",
            summary.customers.len(),
            log.ids().len()
        ));
    }
    let expected = comparison_calibration_end(&summary, options);
    match (&calibration, expected) {
        (None, None) => {}
        (Some(c), Some(e)) if c.calibration_end == e && c.unit == options.unit => {}
        (c, e) => {
            return mismatch(format!(
                "calibration summary at {:?}, the comparison needs one at {:?}",
                c.as_ref().map(|c| c.calibration_end.to_string()),
                e.map(|e| e.to_string())
            ));
        }
    }
    analyze_inner(
        log,
        options,
        summary,
        Calibration::Given(calibration),
        progress,
    )
}

/// Where [`analyze_inner`] takes the calibration/holdout summary from.
enum Calibration {
    /// `TransactionLog::calibration_holdout`.
    FromLog,
    /// Computed by the caller at [`comparison_calibration_end`].
    Given(Option<CalibrationHoldoutSummary>),
}

fn analyze_inner(
    log: &TransactionLog,
    options: &AnalysisOptions,
    full: Summary,
    calibration: Calibration,
    progress: &mut dyn FnMut(&str),
) -> Result<Analysis, AnalysisError> {
    let args = options;
    let unit = args.unit;
    let end = log.observation_end().ok_or(AnalysisError::NoPurchases)?;
    let mut notes = Vec::new();
    let opts = SummaryOptions {
        unit,
        ..SummaryOptions::default()
    };
    let n = full.customers.len();
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
    let first_day = full
        .customers
        .iter()
        .map(|c| c.first_purchase)
        .min()
        .unwrap_or(end);
    let span_days = (end.0 - first_day.0) as f64;
    let fit_opts = FitOptions::default().time_budget(args.fit_time_budget);

    // Model comparison on a calibration/holdout split.
    let holdout = args
        .holdout
        .unwrap_or_else(|| (span_days / 3.0 / unit.days()).floor());
    let holdout_days = (holdout * unit.days()).round() as i32;
    let cal_end = Day(end.0 - holdout_days);
    let mut cal_summary = None;
    let comparison = if holdout_days > 0 && cal_end > first_day {
        let ch = match calibration {
            Calibration::FromLog => log.calibration_holdout(cal_end, &opts)?,
            Calibration::Given(Some(ch)) => ch,
            Calibration::Given(None) => {
                return Err(AnalysisError::SummaryMismatch(format!(
                    "no calibration summary given, the comparison needs one at {cal_end}"
                )));
            }
        };
        let cal_repeaters = ch.customers.iter().filter(|c| c.frequency_cal > 0).count();
        if cal_repeaters < MIN_REPEAT_CUSTOMERS {
            return Err(AnalysisError::TooFewCalibrationRepeaters {
                repeaters: cal_repeaters,
                calibration_end: cal_end,
                holdout,
                unit,
            });
        }
        let cmp = compare(&ch, &args.models, &fit_opts, &mut *progress)?;
        cal_summary = Some(ch);
        cmp
    } else {
        if holdout_days > 0 {
            notes.push(AnalysisNote::HoldoutTooLong {
                holdout,
                span: span_days / unit.days(),
                unit,
            });
        }
        compare_without_holdout(
            &RfmData::new(&rows, None)?,
            &args.models,
            &fit_opts,
            &mut *progress,
        )?
    };
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
    } = model_stage(&full, &rows, &comparison, args, &mut notes, &mut *progress)?;
    let rfm = rfm_scores(&full.customers);
    let history = historical_revenue(log)?;
    let lifecycle = lifecycle_stages(log, end, &scores.p_alive, &args.lifecycle)?;
    let var = value_at_risk(&scores.clv, &scores.p_alive)?;
    let at_risk = at_risk_list(&lifecycle.stages, &var)?;
    let win_back = win_back_list(&lifecycle.stages, &history)?;
    let advocates = advocates_list(&rfm, &scores.p_alive, &scores.clv, &args.advocates)?;
    let defect = defection(log, end, 12)?;

    let alive: f64 = scores.p_alive.iter().sum();
    // `+ 0.0` turns an empty sum's −0.0 into 0.
    let revenue_at_risk: f64 = at_risk.iter().map(|&i| var[i].value_at_risk).sum::<f64>() + 0.0;
    let headline = Headline {
        customers: n,
        repeat_customers: repeaters,
        expected_alive_now: alive,
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
        revenue_at_risk,
        value_at_risk_total: var.iter().map(|v| v.value_at_risk).sum::<f64>(),
    };

    // Chart data.
    let charts = Charts {
        cohorts: cohort_table(log, end)?,
        p_alive_grid: p_alive_grid(
            &full.customers,
            &scores.p_alive,
            &[0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0],
            &recency_edges(&full),
            RecencyAxis::Recency,
        )?,
        clv_histogram: clv_histogram(&scores.clv, 12)?,
        frequency_histogram: frequency_histogram(
            &comparison_model(&comparison).unwrap_or(model),
            if cal_summary.is_some() {
                &comparison.calibration_rows
            } else {
                &rows
            },
            7,
        )
        .ok(),
        tracking: tracking(
            log,
            &comparison,
            &model,
            unit,
            first_day,
            end,
            cal_summary.as_ref().map(|c| c.calibration_end),
        ),
    };

    Ok(Analysis {
        options: options.clone(),
        observation_end: end,
        first_day,
        holdout,
        summary: full,
        rows,
        calibration: cal_summary,
        comparison,
        model,
        fit: report,
        spend_model: SpendModel {
            fit: spend_fit,
            note: spend_note,
        },
        clv: ClvSettings {
            margin: args.margin,
            discount_rate: args.discount_rate,
            discount_period,
            periods: clv_periods,
        },
        scores,
        rfm,
        lifecycle,
        value_at_risk: var,
        historical_revenue: history,
        lists: ActionLists {
            at_risk,
            win_back,
            advocates,
        },
        defection: defect,
        headline,
        what_if,
        charts,
        notes,
    })
}

/// What the analysis computes from the summary alone: the chosen model refitted on all
/// data, spend, scores, bootstrap intervals and the what-if (shared by [`analyze`] and
/// [`crate::analyze_summary`], so both give the same numbers for the same summary).
pub(crate) struct ModelStage {
    pub model: PurchaseModel,
    pub report: FitReport,
    pub spend_fit: Result<(Fitted<GammaGamma>, f64), String>,
    pub spend_note: Option<String>,
    pub discount_period: f64,
    pub clv_periods: usize,
    pub scores: Scores,
    /// Bootstrap quantiles of purchases and revenue, and the draws used.
    pub intervals: ([f64; 2], [f64; 2], usize),
    pub what_if: WhatIf,
    pub total_purchases: f64,
    pub total_revenue: f64,
}

/// The model stage of the pipeline on the summary `full` and its validated `rows`, after
/// the model `comparison`.
pub(crate) fn model_stage(
    full: &Summary,
    rows: &[Rfm],
    comparison: &Comparison,
    args: &AnalysisOptions,
    notes: &mut Vec<AnalysisNote>,
    progress: &mut dyn FnMut(&str),
) -> Result<ModelStage, AnalysisError> {
    let unit = args.unit;
    let n = full.customers.len();
    let fit_opts = FitOptions::default().time_budget(args.fit_time_budget);
    let chosen_kind = comparison.candidates[comparison.chosen].kind;
    progress(&format!(
        "fitting {} on all data",
        chosen_kind.display_name()
    ));
    let data = RfmData::new(rows, None)?;
    let (model, report) =
        chosen_kind
            .fit(&data, &fit_opts)
            .map_err(|source| AnalysisError::Refit {
                model: chosen_kind.display_name(),
                source,
            })?;
    if !report.converged {
        notes.push(AnalysisNote::NotConverged {
            model: chosen_kind.display_name(),
            message: report.message.clone(),
        });
    }

    // Spend.
    progress("fitting Gamma-Gamma spend");
    let freq: Vec<f64> = full.customers.iter().map(|c| c.frequency as f64).collect();
    let monetary: Vec<f64> = full.customers.iter().map(|c| c.monetary_value).collect();
    let spend_fit = SpendData::from_columns(&freq, &monetary, None)
        .map_err(|e| e.to_string())
        .and_then(|d| {
            GammaGamma::fit(&d, &fit_opts)
                .map(|f| (f, d.correlation()))
                .map_err(|e| e.to_string())
        });
    let observed_mean = {
        let (s, k) = full
            .customers
            .iter()
            .filter(|c| c.frequency > 0)
            .fold((0.0, 0usize), |(s, k), c| (s + c.monetary_value, k + 1));
        if k > 0 { s / k as f64 } else { 0.0 }
    };
    let mut spend_note = None;
    let spend: Vec<f64> = match &spend_fit {
        Ok((gg, _)) => full
            .customers
            .iter()
            .map(|c| {
                gg.model
                    .conditional_expected_average_spend(c.frequency as f64, c.monetary_value)
            })
            .collect::<Result<Vec<f64>, _>>()
            .unwrap_or_else(|e| {
                spend_note = Some(format!(
                    "Gamma-Gamma spend undefined ({e}); the mean observed repeat spend is used"
                ));
                vec![observed_mean; n]
            }),
        Err(e) => {
            spend_note = Some(format!(
                "Gamma-Gamma could not be fitted ({e}); the mean observed repeat spend is used"
            ));
            vec![observed_mean; n]
        }
    };

    // Per-customer scores.
    progress("scoring customers");
    let discount_period = args.discount_period.unwrap_or(365.25 / 12.0 / unit.days());
    let clv_periods = args
        .clv_periods
        .unwrap_or_else(|| clv_periods_for_horizon(args.horizon, discount_period));
    let clv_opts = ClvOptions::new(
        args.margin,
        args.discount_rate,
        discount_period,
        clv_periods,
    )?;
    let distinct = Distinct::new(rows);
    let spend_per_row = distinct.sum_per_row(&spend);
    let scores = score(&model, &distinct, &spend, args.horizon, &clv_opts);
    // Forecast intervals by parametric bootstrap over the parameter covariance.
    progress("bootstrap intervals");
    let total_purchases: f64 = scores.expected_purchases.iter().sum();
    let total_revenue: f64 = scores.revenue.iter().sum();
    let intervals = bootstrap(args, &model, &report, &distinct, &spend_per_row);

    // What-if.
    progress("retention what-if");
    let year = 365.25 / unit.days();
    let what_if = retention_what_if(
        &model,
        data.rows(),
        Some(data.weights()),
        year,
        args.what_if_retention,
    )?;
    let dep_after = distinct.map(|c| discounted_expected_purchases(&what_if.model, c, &clv_opts));
    let clv_after: f64 = args.margin
        * dep_after
            .iter()
            .zip(&spend_per_row)
            .map(|(d, s)| d * s)
            .sum::<f64>();
    let clv_before: f64 = scores.clv.iter().sum();
    let model_gain = clv_after - clv_before;
    let annual_revenue: f64 = distinct
        .map(|c| model.conditional_expected_purchases(c, year))
        .iter()
        .zip(&spend_per_row)
        .map(|(e, s)| e * s)
        .sum();
    let churn = 1.0 - what_if.survival_before;
    let churn_after = churn - (what_if.survival_after - what_if.survival_before);
    let naive_gain = if churn_after > 0.0 && churn > 0.0 {
        args.margin * annual_revenue * (1.0 / churn_after - 1.0 / churn)
    } else {
        f64::NAN
    };

    Ok(ModelStage {
        model,
        report,
        spend_fit,
        spend_note,
        discount_period,
        clv_periods,
        scores,
        intervals,
        what_if: WhatIf {
            retention_points: args.what_if_retention,
            result: what_if,
            model_clv_gain: model_gain,
            naive_clv_gain: naive_gain,
            annual_revenue_alive_base: annual_revenue,
        },
        total_purchases,
        total_revenue,
    })
}

/// The chosen model's calibration fit (for the calibration diagnostics).
pub fn comparison_model(c: &Comparison) -> Option<PurchaseModel> {
    c.candidates[c.chosen].fit.as_ref().ok().map(|(m, _)| *m)
}

/// Six equal recency buckets from 0 to the largest T, edges rounded to 2 decimals (fewer
/// when T is so small that rounded edges coincide).
pub(crate) fn recency_edges(full: &Summary) -> Vec<f64> {
    let max_t = full.customers.iter().map(|c| c.t).fold(0.0, f64::max);
    let step = (max_t / 6.0).max(1e-9);
    let mut edges: Vec<f64> = (0..6)
        .map(|i| (i as f64 * step * 100.0).round() / 100.0)
        .collect();
    edges.dedup();
    edges
}

fn tracking(
    log: &TransactionLog,
    comparison: &Comparison,
    model: &PurchaseModel,
    unit: TimeUnit,
    first_day: Day,
    end: Day,
    calibration_end: Option<Day>,
) -> Option<Tracking> {
    let days = unit.days();
    let span = (end.0 - first_day.0 + 1) as f64 / days;
    let step = (span / 200.0).ceil().max(1.0);
    let periods = (span / step).ceil() as usize;
    let mut actual = vec![0.0; periods];
    let mut firsts = Vec::with_capacity(log.len());
    for cd in log.customers() {
        let f = cd.days[0].day;
        firsts.push((f.0 - first_day.0) as f64 / days);
        for d in &cd.days[1..] {
            let t = (d.day.0 - first_day.0) as f64 / days;
            let j = ((t / step).floor() as usize).min(periods - 1);
            actual[j] += 1.0;
        }
    }
    let mut acc = 0.0;
    for a in actual.iter_mut() {
        acc += *a;
        *a = acc;
    }
    let m = comparison_model(comparison).unwrap_or(*model);
    let curve = tracking_curve(&m, &firsts, step, periods).ok()?;
    let calibration_end = calibration_end.map(|c| (c.0 - first_day.0 + 1) as f64 / days);
    Some(Tracking {
        ends: curve.period_end,
        actual,
        predicted: curve.cumulative,
        calibration_end,
    })
}

/// Per-customer scores, each model prediction computed once per distinct (x, tₓ, T) row.
/// CLVᵢ = margin × spendᵢ × discounted expected purchases (see [`ClvOptions`]).
fn score(
    model: &PurchaseModel,
    distinct: &Distinct,
    spend: &[f64],
    horizon: f64,
    clv_opts: &ClvOptions,
) -> Scores {
    let p_alive = distinct.per_customer(&distinct.map(|c| model.p_alive(c)));
    let expected_purchases =
        distinct.per_customer(&distinct.map(|c| model.conditional_expected_purchases(c, horizon)));
    let dep =
        distinct.per_customer(&distinct.map(|c| discounted_expected_purchases(model, c, clv_opts)));
    let revenue = expected_purchases
        .iter()
        .zip(spend)
        .map(|(e, s)| e * s)
        .collect();
    let clv = dep
        .iter()
        .zip(spend)
        .map(|(d, s)| clv_opts.margin() * s * d)
        .collect();
    Scores {
        p_alive,
        expected_purchases,
        spend: spend.to_vec(),
        revenue,
        clv,
    }
}

/// 2.5 % and 97.5 % quantiles of total expected purchases and revenue over the horizon,
/// from parameter vectors drawn from N(log θ̂, Σ) (Σ: inverse Hessian of the log-parameters;
/// spend per customer held fixed). NaN when the fit has no covariance or `bootstrap` is 0.
fn bootstrap(
    args: &AnalysisOptions,
    model: &PurchaseModel,
    report: &FitReport,
    distinct: &Distinct,
    spend_per_row: &[f64],
) -> ([f64; 2], [f64; 2], usize) {
    let nan = ([f64::NAN; 2], [f64::NAN; 2], 0);
    let Some(cov) = report.log_covariance.as_ref() else {
        return nan;
    };
    if args.bootstrap == 0 {
        return nan;
    }
    // Each draw re-predicts every distinct row; past the budget of row predictions the
    // number of draws is lowered (never below 50) and summary.json says how many were used.
    let budget = args.bootstrap_budget;
    let n_draws = if distinct.rows.len().saturating_mul(args.bootstrap) > budget {
        (budget / distinct.rows.len().max(1))
            .max(50)
            .min(args.bootstrap)
    } else {
        args.bootstrap
    };
    let draws =
        comeback_models::purchase_model::draw_log_params(&report.params, cov, n_draws, args.seed);
    let mut purchases = Vec::with_capacity(draws.len());
    let mut revenue = Vec::with_capacity(draws.len());
    for lp in draws {
        let theta: Vec<f64> = lp.iter().map(|v| v.exp()).collect();
        let Ok(m) = model.kind().from_params(&theta) else {
            continue;
        };
        let e = distinct.map(|c| m.conditional_expected_purchases(c, args.horizon));
        let p: f64 = e.iter().zip(&distinct.weight).map(|(e, w)| e * w).sum();
        let r: f64 = e.iter().zip(spend_per_row).map(|(e, s)| e * s).sum();
        if p.is_finite() && r.is_finite() {
            purchases.push(p);
            revenue.push(r);
        }
    }
    let k = purchases.len();
    if k < 10 {
        return nan;
    }
    (quantiles(&mut purchases), quantiles(&mut revenue), k)
}

/// 2.5 % and 97.5 % sample quantiles of `v` (sorted in place), Hyndman & Fan (1996) type 7.
fn quantiles(v: &mut [f64]) -> [f64; 2] {
    v.sort_by(f64::total_cmp);
    let q = |p: f64| {
        // Type 7 (linear interpolation), h = (n − 1)p.
        let h = (v.len() - 1) as f64 * p;
        let (lo, frac) = (h.floor() as usize, h - h.floor());
        v[lo] + frac * (v[(lo + 1).min(v.len() - 1)] - v[lo])
    };
    [q(0.025), q(0.975)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Type-7 quantiles of 1..=11: h = 10p, so q(0.025) = 1 + 0.25 and q(0.975) = 10 + 0.75
    /// (R: `quantile(1:11, c(0.025, 0.975), type = 7)` = 1.25, 10.75).
    #[test]
    fn quantiles_type_7() {
        let mut v: Vec<f64> = (1..=11).rev().map(f64::from).collect();
        assert_eq!(quantiles(&mut v), [1.25, 10.75]);
    }
}
