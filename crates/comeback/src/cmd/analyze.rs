//! `comeback analyze`: from a transaction file to a retention report a business owner can
//! act on.
//!
//! ingest → summary → calibration/holdout comparison of BG/NBD, MBG/NBD and Pareto/NBD
//! (see `analyze_models`) → the chosen model refitted on all data → Gamma-Gamma for spend →
//! per-customer scores (P(alive), expected purchases, spend, CLV, RFM, lifecycle stage,
//! value at risk) → action lists, headline numbers, report.
//!
//! All output files are written into a fresh temporary directory beside `-o DIR` and moved
//! into `DIR` only when every file is complete, so a failed run leaves nothing half-written.

use super::analyze_models::{Comparison, Reason, compare, compare_without_holdout, rows_of};
use super::common::progress_bar;
use super::distinct::Distinct;
use super::ingest_args::{IngestArgs, Loaded};
use anyhow::{Context, Result, bail};
use comeback_core::{
    AdvocateParams, Amount, Day, LifecycleParams, LifecycleStage, RecencyAxis, RfmScore,
    SummaryOptions, TimeUnit, advocates_list, at_risk_list, clv_histogram, cohort_table, defection,
    historical_revenue, lifecycle_stages, p_alive_grid, rfm_scores, value_at_risk, win_back_list,
};
use comeback_models::diagnostics::{frequency_histogram, tracking_curve};
use comeback_models::fit::{FitOptions, FitReport, RfmData};
use comeback_models::gamma_gamma::{GammaGamma, SpendData};
use comeback_models::purchase_model::{PurchaseModel, retention_what_if};
use comeback_models::transaction::{ClvOptions, TransactionModel, discounted_expected_purchases};
use comeback_report::Lang;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Flags of `comeback analyze`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub(super) ingest: IngestArgs,
    /// Customers file (id, first seen, loyalty membership, location, language, other
    /// attributes; columns recognised like the transaction file's): its loyalty, location and
    /// language are added to customers.csv and the lists. T always starts at the first
    /// purchase.
    #[arg(long, value_name = "CUSTOMERS.csv")]
    pub(super) customers: Option<PathBuf>,
    /// Unit of recency, T, horizon and holdout: days, weeks or months.
    #[arg(long, default_value = "weeks")]
    pub(super) unit: TimeUnit,
    /// Forecast horizon for expected purchases and revenue, in `--unit`s.
    #[arg(long, default_value_t = 52.0)]
    pub(super) horizon: f64,
    /// Holdout period for the model comparison, in `--unit`s (the last part of the data is
    /// held out); default: a third of the observed span; 0 compares on all data by BIC.
    #[arg(long)]
    pub(super) holdout: Option<f64>,
    /// CLV: discount rate per discount period (0.01 = 1 % per month by default).
    #[arg(long, default_value_t = 0.01)]
    pub(super) discount_rate: f64,
    /// CLV: length of a discount period in `--unit`s; default one month (365.25/12 days).
    #[arg(long)]
    pub(super) discount_period: Option<f64>,
    /// CLV: number of discount periods summed; default: the forecast horizon in discount
    /// periods (52 weeks = 12 months), so CLV and the expected revenue cover the same time.
    #[arg(long)]
    pub(super) clv_periods: Option<usize>,
    /// CLV: profit margin as a share of revenue (1 = revenue CLV).
    #[arg(long, default_value_t = 1.0)]
    pub(super) margin: f64,
    /// What-if: percentage points of 12-month survival added to the alive base.
    #[arg(long, default_value_t = 5.0)]
    pub(super) what_if_retention: f64,
    /// Lifecycle: `lost` below this P(alive).
    #[arg(long, default_value_t = 0.2)]
    pub(super) lost_below: f64,
    /// Lifecycle: `at_risk` below this P(alive) (and at least `--lost-below`).
    #[arg(long, default_value_t = 0.6)]
    pub(super) at_risk_below: f64,
    /// Parametric-bootstrap draws for the 95 % intervals of the forecasts (0 = none); lowered
    /// (to at least 50) when draws × distinct (x, tₓ, T) rows would exceed 2 × 10⁷.
    #[arg(long, default_value_t = 200)]
    pub(super) bootstrap: usize,
    /// Random seed of the bootstrap.
    #[arg(long, default_value_t = 42)]
    pub(super) seed: u64,
    /// Report language: en, es, pt, fi, de or fr.
    #[arg(long, default_value = "en")]
    pub(super) lang: Lang,
    /// Output directory (created; files in it are replaced).
    #[arg(short, long, default_value = "report")]
    pub(super) output: PathBuf,
}

/// Row predictions the bootstrap may spend (draws × distinct rows), about 10 s on 2 cores.
pub const BOOTSTRAP_BUDGET: usize = 20_000_000;

/// Fewer repeat customers than this cannot identify four model parameters.
pub const MIN_REPEAT_CUSTOMERS: usize = 10;

/// Everything computed for one customer.
struct Scores {
    p_alive: Vec<f64>,
    expected_purchases: Vec<f64>,
    spend: Vec<f64>,
    revenue: Vec<f64>,
    clv: Vec<f64>,
}

/// Runs `comeback analyze`.
pub fn run(args: Args) -> Result<()> {
    args.ingest.check_outputs(&[&args.output])?;
    check_args(&args)?;
    let loaded = args.ingest.load()?;
    let attributes = match &args.customers {
        Some(path) => Some(read_attributes(path, &args.ingest)?),
        None => None,
    };
    let pb = progress_bar(args.ingest.quiet, None, "summarising");
    let result = analyze(&args, &loaded, attributes.as_ref(), &mut |m: &str| {
        pb.set_message(m.to_string())
    });
    pb.finish_and_clear();
    let files = result?;
    write_outputs(&args.output, &files)?;
    if !args.ingest.quiet {
        note!(
            "report written to {}",
            args.output.join("report.html").display()
        );
    }
    Ok(())
}

fn check_args(a: &Args) -> Result<()> {
    for (flag, v) in [
        ("--horizon", a.horizon),
        ("--margin", a.margin),
        ("--what-if-retention", a.what_if_retention),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            bail!("{flag} must be a number ≥ 0, got {v}");
        }
    }
    if let Some(h) = a.holdout
        && !(h.is_finite() && h >= 0.0)
    {
        bail!("--holdout must be a number ≥ 0, got {h}");
    }
    if !(0.0..=1.0).contains(&a.lost_below) || !(a.lost_below..=1.0).contains(&a.at_risk_below) {
        bail!(
            "need 0 ≤ --lost-below ≤ --at-risk-below ≤ 1, got {} and {}",
            a.lost_below,
            a.at_risk_below
        );
    }
    Ok(())
}

/// The computation; returns (file name, contents) pairs.
fn analyze(
    args: &Args,
    loaded: &Loaded,
    attributes: Option<&Attributes>,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let log = &loaded.log;
    let unit = args.unit;
    let end = log.observation_end().context("no purchases")?;
    // The core reads no clock; the CLI can warn when the data end after today.
    let today = Day::from_date(chrono::Utc::now().date_naive());
    if end > today && args.ingest.observation_end.is_none() {
        note!(
            "note: the last purchase in {} is dated {end}, after today ({today}); if that date is an error, \
             fix the row or pass --observation-end",
            loaded.report.file
        );
    }
    let opts = SummaryOptions {
        unit,
        ..SummaryOptions::default()
    };
    let full = log.summarize(&opts);
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
        bail!(
            "no customer bought twice (on two different days) in {}: the models need repeat purchases to learn \
             how often customers come back. Check the customer and date columns, or use a longer period",
            loaded.report.file
        );
    }
    if repeaters < MIN_REPEAT_CUSTOMERS {
        bail!(
            "only {repeaters} customers bought more than once in {} ({n} customers in all): the models need at \
             least {MIN_REPEAT_CUSTOMERS} repeat customers to estimate how often customers buy and leave. Use a \
             longer period or a larger file",
            loaded.report.file
        );
    }
    let first_day = full
        .customers
        .iter()
        .map(|c| c.first_purchase)
        .min()
        .unwrap_or(end);
    let span_days = (end.0 - first_day.0) as f64;
    let fit_opts = FitOptions::default().time_budget(std::time::Duration::from_secs(60));

    // Model comparison on a calibration/holdout split.
    let holdout = args
        .holdout
        .unwrap_or_else(|| (span_days / 3.0 / unit.days()).floor());
    let holdout_days = (holdout * unit.days()).round() as i32;
    let cal_end = Day(end.0 - holdout_days);
    let mut cal_summary = None;
    let comparison = if holdout_days > 0 && cal_end > first_day {
        let ch = log.calibration_holdout(cal_end, &opts)?;
        let cal_repeaters = ch.customers.iter().filter(|c| c.frequency_cal > 0).count();
        if cal_repeaters < MIN_REPEAT_CUSTOMERS {
            bail!(
                "only {cal_repeaters} customers bought twice before the calibration end {cal_end}: use a shorter \
                 --holdout (now {holdout} {unit}) or --holdout 0 to compare the models on all data"
            );
        }
        let cmp = compare(&ch, &fit_opts, &mut *progress)?;
        cal_summary = Some(ch);
        cmp
    } else {
        if holdout_days > 0 {
            note!(
                "note: --holdout {holdout} {unit} is as long as the data or longer ({:.1} {unit}); \
                 the models are compared on all data by BIC instead",
                span_days / unit.days()
            );
        }
        compare_without_holdout(&RfmData::new(&rows, None)?, &fit_opts, &mut *progress)?
    };
    let chosen_kind = comparison.candidates[comparison.chosen].kind;
    progress(&format!(
        "fitting {} on all data",
        chosen_kind.display_name()
    ));
    let data = RfmData::new(&rows, None)?;
    let (model, report) = chosen_kind.fit(&data, &fit_opts).with_context(|| {
        format!(
            "{} could not be refitted on all data",
            chosen_kind.display_name()
        )
    })?;
    if !report.converged {
        note!(
            "note: the {} fit did not converge ({}); its predictions are the limit the data point to, \
             treat them with care",
            chosen_kind.display_name(),
            report.message
        );
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
        .unwrap_or_else(|| ((args.horizon / discount_period).round() as usize).max(1));
    let clv_opts = ClvOptions::new(
        args.margin,
        args.discount_rate,
        discount_period,
        clv_periods,
    )?;
    let distinct = Distinct::new(&rows);
    let spend_per_row = distinct.sum_per_row(&spend);
    let scores = score(&model, &distinct, &spend, args.horizon, &clv_opts);
    let rfm = rfm_scores(&full.customers);
    let history = historical_revenue(log)?;
    let lifecycle = lifecycle_stages(
        log,
        end,
        &scores.p_alive,
        &LifecycleParams {
            lost_below: args.lost_below,
            at_risk_below: args.at_risk_below,
            ..LifecycleParams::default()
        },
    )?;
    let var = value_at_risk(&scores.clv, &scores.p_alive)?;
    let at_risk = at_risk_list(&lifecycle.stages, &var)?;
    let win_back = win_back_list(&lifecycle.stages, &history)?;
    let advocates = advocates_list(
        &rfm,
        &scores.p_alive,
        &scores.clv,
        &AdvocateParams::default(),
    )?;
    let defect = defection(log, end, 12)?;

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

    // Files.
    progress("writing outputs");
    let ctx = Ctx {
        full: &full,
        scores: &scores,
        rfm: &rfm,
        stages: &lifecycle.stages,
        var: &var,
        history: &history,
        attributes,
    };
    let customers_csv = ctx.customers_csv(None)?;
    let at_risk_csv = ctx.customers_csv(Some(&at_risk))?;
    let win_back_csv = ctx.customers_csv(Some(&win_back))?;
    let advocates_csv = ctx.customers_csv(Some(&advocates))?;

    // Customers with purchases that the --customers file knows.
    let matched = attributes.map(|a| {
        full.customers
            .iter()
            .filter(|c| a.by_id.contains_key(&*c.customer_id))
            .count()
    });
    if let (Some(a), Some(matched)) = (attributes, matched)
        && matched < full.customers.len() / 2
    {
        note!(
            "note: only {matched} of the {n} customers with purchases are in {} ({} rows): are the ids written \
             the same way in both files?",
            a.file,
            a.by_id.len()
        );
    }
    let alive: f64 = scores.p_alive.iter().sum();
    // `+ 0.0` turns an empty sum's −0.0 into 0.
    let revenue_at_risk: f64 = at_risk.iter().map(|&i| var[i].value_at_risk).sum::<f64>() + 0.0;
    let currency = loaded
        .report
        .currency
        .clone()
        .or_else(|| loaded.report.currency_symbol.clone());
    let summary = json!({
        "comeback_version": env!("CARGO_PKG_VERSION"),
        "unit": unit.as_str(),
        "currency": currency,
        "observation_end": end.to_string(),
        "horizon": args.horizon,
        "model": model_json(&comparison, &report, cal_summary.as_ref().map(|c| c.calibration_end), holdout),
        "spend_model": match &spend_fit {
            Ok((gg, corr)) => json!({"model": "gamma-gamma", "params": params_json(&gg.report), "log_likelihood": gg.report.log_likelihood,
                                     "frequency_spend_correlation": corr, "note": spend_note}),
            Err(e) => json!({"model": null, "error": e, "note": spend_note}),
        },
        "customers": n,
        "repeat_customers": repeaters,
        "expected_alive_now": alive,
        "defection_rate_12m": defect.rate,
        "customers_lost_12m": defect.customers_lost,
        "revenue_lost_12m": defect.revenue_lost.to_f64(),
        "customers_active_previous_12m": defect.active_previous,
        "expected_purchases": {"estimate": total_purchases, "ci_low": intervals.0[0], "ci_high": intervals.0[1]},
        "expected_revenue": {"estimate": total_revenue, "ci_low": intervals.1[0], "ci_high": intervals.1[1]},
        "bootstrap_draws": intervals.2,
        "clv_total": clv_before,
        "revenue_at_risk": revenue_at_risk,
        "value_at_risk_total": var.iter().map(|v| v.value_at_risk).sum::<f64>(),
        "lists": {"at_risk": at_risk.len(), "win_back": win_back.len(), "advocates": advocates.len()},
        "lifecycle": LifecycleStage::ALL.iter().map(|s| (s.key().to_string(), json!(lifecycle.stages.iter().filter(|x| *x == s).count()))).collect::<serde_json::Map<_, _>>(),
        "what_if": {
            "retention_points": args.what_if_retention,
            "dropout_scale_k": what_if.k,
            "survival_12m_before": what_if.survival_before,
            "survival_12m_after": what_if.survival_after,
            "capped": what_if.capped,
            "model_clv_gain": model_gain,
            "naive_clv_gain": finite_or_null(naive_gain),
            "annual_revenue_alive_base": annual_revenue,
        },
        "clv": {"margin": args.margin, "discount_rate": args.discount_rate, "discount_period": discount_period, "periods": clv_periods, "horizon": clv_periods as f64 * discount_period},
        "thresholds": {"lost_below": args.lost_below, "at_risk_below": args.at_risk_below, "advocate_min_p_alive": 0.9, "advocate_min_fm_score": 4},
        "input": {"file": loaded.report.file, "sha256": loaded.sha256, "rows_read": loaded.report.rows_read, "rows_used": log.rows_kept()},
        "customers_file": attributes.map(|a| json!({
            "file": a.file,
            "rows": a.by_id.len(),
            "matched": matched,
            "without_transactions": a.by_id.len() - matched.unwrap_or(0),
            "loyalty_members_with_transactions": full.customers.iter().filter(|c| a.by_id.get(&*c.customer_id).is_some_and(|r| r.loyalty == Some(true))).count(),
        })),
        "flags": flags_json(args, holdout),
        "seed": args.seed,
    });

    let report_input = super::analyze_report::report_input(&super::analyze_report::ReportParts {
        args,
        loaded,
        full: &full,
        comparison: &comparison,
        cal_summary: cal_summary.as_ref(),
        model: &model,
        report: &report,
        spend_report: spend_fit.as_ref().ok().map(|(gg, _)| &gg.report),
        scores_p_alive: &scores.p_alive,
        clv: &scores.clv,
        rfm: &rfm,
        stages: &lifecycle.stages,
        var: &var,
        history: &history,
        lists: [&at_risk, &win_back, &advocates],
        summary: &summary,
        holdout,
        discount_period,
        cohorts: cohort_table(log, end)?,
        grid: p_alive_grid(
            &full.customers,
            &scores.p_alive,
            &[0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0],
            &recency_edges(&full),
            RecencyAxis::Recency,
        )?,
        clv_hist: clv_histogram(&scores.clv, 12)?,
        freq_hist: frequency_histogram(
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
    });
    let html = comeback_report::render(&report_input, args.lang);

    let mut summary_bytes = serde_json::to_vec_pretty(&summary)?;
    summary_bytes.push(b'\n');
    Ok(vec![
        ("customers.csv", customers_csv),
        ("at_risk.csv", at_risk_csv),
        ("win_back.csv", win_back_csv),
        ("advocates.csv", advocates_csv),
        ("summary.json", summary_bytes),
        ("report.html", html.into_bytes()),
    ])
}

/// The chosen model's calibration fit (for the calibration diagnostics).
pub(super) fn comparison_model(c: &Comparison) -> Option<PurchaseModel> {
    c.candidates[c.chosen].fit.as_ref().ok().map(|(m, _)| *m)
}

/// Six equal recency buckets from 0 to the largest T, edges rounded to 2 decimals (fewer
/// when T is so small that rounded edges coincide).
fn recency_edges(full: &comeback_core::Summary) -> Vec<f64> {
    let max_t = full.customers.iter().map(|c| c.t).fold(0.0, f64::max);
    let step = (max_t / 6.0).max(1e-9);
    let mut edges: Vec<f64> = (0..6)
        .map(|i| (i as f64 * step * 100.0).round() / 100.0)
        .collect();
    edges.dedup();
    edges
}

/// Actual and predicted cumulative repeat purchases per period (one period = one unit, or a
/// whole number of units when there would be more than 200 periods), from the calibration
/// fit (FHL 2005, Figure 3).
pub(super) struct Tracking {
    pub ends: Vec<f64>,
    pub actual: Vec<f64>,
    pub predicted: Vec<f64>,
    pub calibration_end: Option<f64>,
}

fn tracking(
    log: &comeback_core::TransactionLog,
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
/// spend per customer held fixed). NaN when the fit has no covariance or `--bootstrap 0`.
fn bootstrap(
    args: &Args,
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
    // Each draw re-predicts every distinct row; past BOOTSTRAP_BUDGET row predictions the
    // number of draws is lowered (never below 50) and summary.json says how many were used.
    let n_draws = if distinct.rows.len() * args.bootstrap > BOOTSTRAP_BUDGET {
        (BOOTSTRAP_BUDGET / distinct.rows.len().max(1))
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

fn finite_or_null(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

pub(super) fn params_json(r: &FitReport) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in r.param_names.iter().zip(&r.params) {
        m.insert(k.to_string(), json!(v));
    }
    Value::Object(m)
}

fn model_json(
    c: &Comparison,
    full: &FitReport,
    calibration_end: Option<Day>,
    holdout: f64,
) -> Value {
    let chosen = &c.candidates[c.chosen];
    json!({
        "chosen": chosen.kind.cli_name(),
        "chosen_name": chosen.kind.display_name(),
        "reason": c.reason.key(),
        "rule": "lowest holdout error (relative total error + per-frequency MAE / mean holdout purchases); models within 0.02 of the best are equally good and the lowest BIC among them wins",
        "calibration_end": calibration_end.map(|d| d.to_string()),
        "holdout": holdout,
        "holdout_actual": c.holdout_actual,
        "candidates": c.candidates.iter().map(|k| match &k.fit {
            Ok((_, r)) => json!({
                "model": k.kind.cli_name(), "params": params_json(r), "log_likelihood": r.log_likelihood, "bic": r.bic,
                "holdout_predicted": finite_or_null(k.holdout_predicted), "frequency_error": finite_or_null(k.frequency_error),
                "holdout_error": finite_or_null(k.score), "converged": r.converged,
            }),
            Err(e) => json!({"model": k.kind.cli_name(), "error": e}),
        }).collect::<Vec<_>>(),
        "fit_all_data": {
            "params": params_json(full),
            "std_errors": full.std_errors.as_ref().map(|s| full.param_names.iter().zip(s).map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>()),
            "ci_low": full.ci_low.as_ref().map(|s| full.param_names.iter().zip(s).map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>()),
            "ci_high": full.ci_high.as_ref().map(|s| full.param_names.iter().zip(s).map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>()),
            "log_likelihood": full.log_likelihood, "aic": full.aic, "bic": full.bic, "converged": full.converged, "message": full.message,
        },
        "no_holdout": c.reason == Reason::BicNoHoldout,
    })
}

fn flags_json(a: &Args, holdout: f64) -> Value {
    json!({
        "unit": a.unit.as_str(), "horizon": a.horizon, "holdout": holdout,
        "discount_rate": a.discount_rate, "discount_period": a.discount_period, "clv_periods": a.clv_periods,
        "margin": a.margin, "what_if_retention": a.what_if_retention, "lost_below": a.lost_below,
        "at_risk_below": a.at_risk_below, "bootstrap": a.bootstrap, "seed": a.seed, "lang": a.lang.to_string(),
        "observation_end": a.ingest.observation_end.map(|d| d.to_string()), "refunds": a.ingest.refunds.to_string(),
        "timezone": a.ingest.timezone.map(|t| t.name().to_string()), "currency": a.ingest.currency,
    })
}

struct Ctx<'a> {
    full: &'a comeback_core::Summary,
    scores: &'a Scores,
    rfm: &'a [RfmScore],
    stages: &'a [LifecycleStage],
    var: &'a [comeback_core::ValueAtRisk],
    history: &'a [Amount],
    attributes: Option<&'a Attributes>,
}

/// The attributes of `--customers`, by customer id.
pub(super) struct Attributes {
    file: String,
    by_id: std::collections::HashMap<String, CustomerAttributes>,
}

struct CustomerAttributes {
    loyalty: Option<bool>,
    location: Option<String>,
    language: Option<String>,
}

fn read_attributes(path: &Path, ingest: &IngestArgs) -> Result<Attributes> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {file}"))?;
    let opts = comeback_ingest::CustomerOptions {
        delimiter: ingest.delimiter,
        timezone: ingest.timezone,
        ..comeback_ingest::CustomerOptions::default()
    };
    let mut by_id = std::collections::HashMap::new();
    let report = comeback_ingest::read_customers(std::io::BufReader::new(f), &file, &opts, |c| {
        by_id.insert(
            c.id.to_string(),
            CustomerAttributes {
                loyalty: c.loyalty,
                location: c.location.map(String::from),
                language: c.language.map(String::from),
            },
        );
        Ok::<_, std::convert::Infallible>(())
    })?;
    if !ingest.quiet {
        note!("{file}: {} customers; columns", report.rows_accepted);
        for c in &report.columns {
            note!("  {c}");
        }
    }
    Ok(Attributes { file, by_id })
}

impl Ctx<'_> {
    /// customers.csv (all customers, in id order) or an action list (`Some(indices)`, in list
    /// order, with `historical_revenue` appended).
    fn customers_csv(&self, list: Option<&[usize]>) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec![
            "customer_id",
            "first_purchase",
            "last_purchase",
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "p_alive",
            "expected_purchases",
            "expected_avg_spend",
            "expected_revenue",
            "clv",
            "r_score",
            "f_score",
            "m_score",
            "rfm_segment",
            "lifecycle_stage",
            "value_at_risk",
            "value_at_risk_rank",
        ];
        if list.is_some() {
            header.push("historical_revenue");
        }
        if self.attributes.is_some() {
            header.extend(["loyalty_member", "location", "language"]);
        }
        w.write_record(&header)?;
        let all: Vec<usize>;
        let idx = match list {
            Some(l) => l,
            None => {
                all = (0..self.full.customers.len()).collect();
                &all
            }
        };
        let s = self.scores;
        for &i in idx {
            let c = &self.full.customers[i];
            let mut rec = vec![
                c.customer_id.to_string(),
                c.first_purchase.to_string(),
                c.last_purchase.to_string(),
                c.frequency.to_string(),
                c.recency.to_string(),
                c.t.to_string(),
                c.monetary_value.to_string(),
                s.p_alive[i].to_string(),
                s.expected_purchases[i].to_string(),
                s.spend[i].to_string(),
                s.revenue[i].to_string(),
                s.clv[i].to_string(),
                self.rfm[i].r.to_string(),
                self.rfm[i].f.to_string(),
                self.rfm[i].m.to_string(),
                self.rfm[i].segment.key().to_string(),
                self.stages[i].key().to_string(),
                self.var[i].value_at_risk.to_string(),
                self.var[i].rank.to_string(),
            ];
            if list.is_some() {
                rec.push(self.history[i].to_string());
            }
            if let Some(a) = self.attributes {
                let r = a.by_id.get(&*c.customer_id);
                rec.push(
                    r.and_then(|r| r.loyalty)
                        .map_or(String::new(), |b| b.to_string()),
                );
                rec.push(r.and_then(|r| r.location.clone()).unwrap_or_default());
                rec.push(r.and_then(|r| r.language.clone()).unwrap_or_default());
            }
            w.write_record(&rec)?;
        }
        Ok(w.into_inner().map_err(|e| e.into_error())?)
    }
}

/// Writes every file into a fresh temporary directory beside `dir`, then moves them into
/// `dir` (created if needed) only when all are complete.
fn write_outputs(dir: &Path, files: &[(&'static str, Vec<u8>)]) -> Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".comeback-report-")
        .tempdir_in(parent)
        .with_context(|| {
            format!(
                "cannot create a temporary directory in {}",
                parent.display()
            )
        })?;
    for (name, bytes) in files {
        let mut f = std::fs::File::create(tmp.path().join(name))
            .with_context(|| format!("cannot write {name}"))?;
        f.write_all(bytes)?;
        f.sync_all().ok();
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, _) in files {
        std::fs::rename(tmp.path().join(name), dir.join(name))
            .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
    }
    Ok(())
}
