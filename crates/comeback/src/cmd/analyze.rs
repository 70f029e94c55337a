//! `comeback analyze`: from a transaction file to a retention report a business owner can
//! act on.
//!
//! ingest → `comeback_analysis::analyze` (summary → calibration/holdout comparison of BG/NBD,
//! MBG/NBD and Pareto/NBD → the chosen model refitted on all data → Gamma-Gamma for spend →
//! per-customer scores (P(alive), expected purchases, spend, CLV, RFM, lifecycle stage,
//! value at risk) → action lists, headline numbers, chart data) → summary.json,
//! customers.csv, the action-list CSVs and report.html. The server uses the same library, so
//! both give the same numbers.
//!
//! All output files are written into a fresh temporary directory beside `-o DIR` and moved
//! into `DIR` only when every file is complete, so a failed run leaves nothing half-written.

use super::common::{parse_discount_rate, parse_horizon, progress_bar};
use super::ingest_args::{IngestArgs, Loaded};
use anyhow::{Context, Result, anyhow, bail};
use comeback_analysis::models::{Comparison, Reason};
use comeback_analysis::{
    Analysis, AnalysisError, AnalysisNote, AnalysisOptions, MIN_REPEAT_CUSTOMERS, Scores,
    analyze_with_progress,
};
use comeback_core::{
    Amount, Day, LifecycleParams, LifecycleStage, RfmScore, Summary, TimeUnit, ValueAtRisk,
};
use comeback_models::fit::FitReport;
use comeback_report::Lang;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Flags of `comeback analyze`.
#[derive(Debug, clap::Args)]
#[command(mut_arg("input", |a| a
    .required(false)
    .default_value("-")
    .hide_default_value(true)
    .required_unless_present_any(["summary", "database_url"])))]
pub struct Args {
    #[command(flatten)]
    pub(super) ingest: IngestArgs,
    /// Analyse a per-customer summary (the columns of `comeback summarize` or `comeback sql`;
    /// time unit from its `.meta.json` sidecar, else `--unit`) instead of a transaction file.
    /// Sections that need transactions (holdout comparison, lifecycle, at-risk and win-back
    /// lists, defection, cohorts, tracking, economics, survival) are omitted and listed in
    /// summary.json under "omitted"; writes customers.csv, advocates.csv and summary.json.
    #[arg(long, value_name = "SUMMARY.csv", conflicts_with = "input")]
    pub(super) summary: Option<PathBuf>,
    /// The summary from a PostgreSQL query (`--database-url URL --query SQL`) instead.
    #[command(flatten)]
    pub(super) db: super::summary_input::DatabaseSource,
    /// Explicit column names of the summary.
    #[command(flatten)]
    pub(super) cols: super::summary_input::ColumnFlags,
    /// Customers file (id, first seen, loyalty membership, location, language, other
    /// attributes; columns recognised like the transaction file's): its loyalty, location and
    /// language are added to customers.csv and the lists. T always starts at the first
    /// purchase.
    #[arg(long, value_name = "CUSTOMERS.csv")]
    pub(super) customers: Option<PathBuf>,
    #[command(flatten)]
    pub(super) model: ModelArgs,
    /// Cost of acquiring one new customer (currency of the amounts): adds the replacement
    /// cost, payback and acquisition cost saved to the economics section.
    #[arg(long, value_name = "COST")]
    pub(super) acquisition_cost: Option<f64>,
    /// Loyalty members file (`customer_id,enrolled_at`; blank day = unknown; see
    /// `comeback loyalty`): adds the members vs non-members section.
    #[arg(long, value_name = "MEMBERS.csv")]
    pub(super) members: Option<PathBuf>,
    /// NPS answers (`--responses FILE`, see `comeback loyalty`): adds the advocates section
    /// and, with `--members`, NPS per loyalty group.
    #[command(flatten)]
    pub(super) responses: super::responses::ResponsesArgs,
    /// Report language: en, es, pt, fi, de or fr.
    #[arg(long, default_value = "en")]
    pub(super) lang: Lang,
    /// Output directory (created; files in it are replaced).
    #[arg(short, long, default_value = "report")]
    pub(super) output: PathBuf,
}

/// The analysis flags shared by `analyze` and `economics`: the same options with the same
/// defaults, so both commands compute the same numbers from the same file.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// Unit of recency, T, horizon and holdout: days, weeks or months.
    #[arg(long, default_value = "weeks")]
    pub unit: TimeUnit,
    /// Forecast horizon for expected purchases and revenue, in `--unit`s (> 0).
    #[arg(long, default_value_t = 52.0, value_parser = parse_horizon)]
    pub horizon: f64,
    /// Holdout period for the model comparison, in `--unit`s (the last part of the data is
    /// held out); default: a third of the observed span; 0 compares on all data by BIC.
    #[arg(long)]
    pub holdout: Option<f64>,
    /// CLV: discount rate per discount period, ≥ 0 (0.01 = 1 % per month by default).
    #[arg(long, default_value_t = 0.01, value_parser = parse_discount_rate)]
    pub discount_rate: f64,
    /// CLV: length of a discount period in `--unit`s; default one month (365.25/12 days).
    #[arg(long)]
    pub discount_period: Option<f64>,
    /// CLV: number of discount periods summed; default: the forecast horizon in discount
    /// periods (52 weeks = 12 months), so CLV and the expected revenue cover the same time.
    #[arg(long)]
    pub clv_periods: Option<usize>,
    /// CLV: profit margin as a share of revenue (1 = revenue CLV).
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// What-if: percentage points of 12-month survival added to the alive base.
    #[arg(long, default_value_t = 5.0)]
    pub what_if_retention: f64,
    /// Lifecycle: `lost` below this P(alive).
    #[arg(long, default_value_t = 0.2)]
    pub lost_below: f64,
    /// Lifecycle: `at_risk` below this P(alive) (and at least `--lost-below`).
    #[arg(long, default_value_t = 0.6)]
    pub at_risk_below: f64,
    /// Parametric-bootstrap draws for the 95 % intervals of the forecasts (0 = none); lowered
    /// (to at least 50) when draws × distinct (x, tₓ, T) rows would exceed 2 × 10⁷.
    #[arg(long, default_value_t = 200)]
    pub bootstrap: usize,
    /// Random seed of the bootstrap.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl ModelArgs {
    /// Checks the ranges the library does not (a clear message naming the flag).
    ///
    /// # Errors
    /// A flag out of range.
    pub fn check(&self) -> Result<()> {
        check_args(self)
    }

    /// The options of the analysis.
    pub fn options(&self) -> AnalysisOptions {
        options(self)
    }
}

/// Runs `comeback analyze`.
pub fn run(args: Args) -> Result<()> {
    check_args(&args.model)?;
    if super::analyze_summary::wanted(&args) {
        let pb = progress_bar(args.ingest.quiet, None, "analysing the summary");
        let result =
            super::analyze_summary::run(&args, &mut |m: &str| pb.set_message(m.to_string()));
        pb.finish_and_clear();
        write_outputs(&args.output, &result?)?;
        if !args.ingest.quiet {
            note!("outputs written to {}", args.output.display());
        }
        return Ok(());
    }
    args.ingest.check_outputs(&[&args.output])?;
    if let Some(c) = args.acquisition_cost
        && !(c.is_finite() && c >= 0.0)
    {
        bail!("--acquisition-cost must be a number ≥ 0, got {c}");
    }
    let members = match &args.members {
        Some(path) => Some(super::loyalty::read_members_file(
            path,
            &super::loyalty::MembersFormat {
                member_col: "customer_id",
                enrolled_col: "enrolled_at",
                date_format: comeback_ingest::DateFormat::default(),
                delimiter: args.ingest.delimiter,
                timezone: args.ingest.timezone,
            },
        )?),
        None => None,
    };
    let answers = args.responses.read(args.ingest.delimiter)?;
    let loaded = args.ingest.load()?;
    let attributes = match &args.customers {
        Some(path) => Some(read_attributes(path, &args.ingest)?),
        None => None,
    };
    let pb = progress_bar(args.ingest.quiet, None, "summarising");
    let result = analyze(
        &args,
        &loaded,
        attributes.as_ref(),
        members.as_ref(),
        answers.as_ref(),
        &mut |m: &str| pb.set_message(m.to_string()),
    );
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

fn check_args(a: &ModelArgs) -> Result<()> {
    // --horizon and --discount-rate are checked by clap (parse_horizon, parse_discount_rate).
    for (flag, v) in [
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

/// The options of the analysis from the flags.
fn options(a: &ModelArgs) -> AnalysisOptions {
    AnalysisOptions {
        unit: a.unit,
        horizon: a.horizon,
        holdout: a.holdout,
        discount_rate: a.discount_rate,
        discount_period: a.discount_period,
        clv_periods: a.clv_periods,
        margin: a.margin,
        what_if_retention: a.what_if_retention,
        lifecycle: LifecycleParams {
            lost_below: a.lost_below,
            at_risk_below: a.at_risk_below,
            ..LifecycleParams::default()
        },
        bootstrap: a.bootstrap,
        seed: a.seed,
        ..AnalysisOptions::default()
    }
}

/// The library's errors, worded for the command line (file name, flags).
pub(super) fn cli_error(e: AnalysisError, file: &str) -> anyhow::Error {
    match e {
        AnalysisError::NoRepeatCustomers => anyhow!(
            "no customer bought twice (on two different days) in {file}: the models need repeat purchases to learn \
             how often customers come back. Check the customer and date columns, or use a longer period"
        ),
        AnalysisError::TooFewRepeatCustomers {
            repeaters,
            customers: n,
            ..
        } => anyhow!(
            "only {repeaters} customers bought more than once in {file} ({n} customers in all): the models need at \
             least {MIN_REPEAT_CUSTOMERS} repeat customers to estimate how often customers buy and leave. Use a \
             longer period or a larger file"
        ),
        AnalysisError::TooFewCalibrationRepeaters {
            repeaters: cal_repeaters,
            calibration_end: cal_end,
            holdout,
            unit,
        } => anyhow!(
            "only {cal_repeaters} customers bought twice before the calibration end {cal_end}: use a shorter \
             --holdout (now {holdout} {unit}) or --holdout 0 to compare the models on all data"
        ),
        AnalysisError::NoModelFitted { reasons } => anyhow!(
            "no purchase model could be fitted ({reasons}). The models need repeat customers: check that the \
             customer and date columns are right, use a longer period, or a shorter --holdout"
        ),
        e => e.into(),
    }
}

/// The analysis' notes on stderr, worded for the command line.
pub(super) fn print_notes(analysis: &Analysis) {
    for n in &analysis.notes {
        match n {
            AnalysisNote::HoldoutTooLong {
                holdout,
                span,
                unit,
            } => note!(
                "note: --holdout {holdout} {unit} is as long as the data or longer ({span:.1} {unit}); \
             the models are compared on all data by BIC instead"
            ),
            n => note!("note: {n}"),
        }
    }
}

/// The computation (in `comeback_analysis`) and the output files; returns (file name,
/// contents) pairs.
fn analyze(
    args: &Args,
    loaded: &Loaded,
    attributes: Option<&Attributes>,
    members: Option<&super::loyalty::MembersFile>,
    answers: Option<&super::responses::Answers>,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let log = &loaded.log;
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
    let analysis = analyze_with_progress(log, &options(&args.model), &mut *progress)
        .map_err(|e| cli_error(e, &loaded.report.file))?;
    print_notes(&analysis);
    let Analysis {
        summary: full,
        comparison,
        calibration: cal_summary,
        fit: report,
        scores,
        rfm,
        lifecycle,
        value_at_risk: var,
        historical_revenue: history,
        lists,
        holdout,
        spend_model,
        ..
    } = &analysis;
    let holdout = *holdout;
    let n = full.customers.len();
    let (at_risk, win_back, advocates) = (&lists.at_risk, &lists.win_back, &lists.advocates);

    // Files.
    progress("writing outputs");
    let ctx = Ctx {
        full,
        scores,
        rfm,
        stages: &lifecycle.stages,
        var,
        history,
        attributes,
    };
    let customers_csv = ctx.customers_csv(None)?;
    let at_risk_csv = ctx.customers_csv(Some(at_risk))?;
    let win_back_csv = ctx.customers_csv(Some(win_back))?;
    let advocates_csv = ctx.customers_csv(Some(advocates))?;

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
    let mut summary = json!({
        "comeback_version": env!("CARGO_PKG_VERSION"),
        "model": model_json(comparison, report, cal_summary.as_ref().map(|c| c.calibration_end), holdout),
        "spend_model": match &spend_model.fit {
            Ok((gg, corr)) => json!({"model": "gamma-gamma", "params": params_json(&gg.report), "log_likelihood": gg.report.log_likelihood,
                                     "frequency_spend_correlation": corr, "note": spend_model.note}),
            Err(e) => json!({"model": null, "error": e, "note": spend_model.note}),
        },
        "lists": {"at_risk": at_risk.len(), "win_back": win_back.len(), "advocates": advocates.len()},
        "lifecycle": LifecycleStage::ALL.iter().map(|s| (s.key().to_string(), json!(lifecycle.stages.iter().filter(|x| *x == s).count()))).collect::<serde_json::Map<_, _>>(),
        "thresholds": {"lost_below": args.model.lost_below, "at_risk_below": args.model.at_risk_below, "advocate_min_p_alive": 0.9, "advocate_min_fm_score": 4},
        "input": {"file": loaded.report.file, "sha256": loaded.sha256, "rows_read": loaded.report.rows_read, "rows_used": log.rows_kept()},
        "customers_file": attributes.map(|a| json!({
            "file": a.file,
            "rows": a.by_id.len(),
            "matched": matched,
            "without_transactions": a.by_id.len() - matched.unwrap_or(0),
            "loyalty_members_with_transactions": full.customers.iter().filter(|c| a.by_id.get(&*c.customer_id).is_some_and(|r| r.loyalty == Some(true))).count(),
        })),
        "flags": flags_json(args, holdout),
        "seed": args.model.seed,
    });
    let economics = super::analyze_extra::economics_of(&analysis, args.acquisition_cost)?;
    let survival = super::analyze_extra::survival(log);
    if let Err(e) = &survival {
        note!("note: no survival section: {e}");
    }
    // Each customer's latest NPS answer, by the summary's customers (advocates) and by the
    // log's (loyalty groups); both are sorted by id.
    let nps = answers.map(|a| {
        let (by_summary, unknown) = a.join(
            &full
                .customers
                .iter()
                .map(|c| &*c.customer_id)
                .collect::<Vec<_>>(),
        );
        if unknown > 0 {
            note!(
                "note: {unknown} of the {} customers who answered in {} have no purchase in {} (left out)",
                a.latest.len(),
                a.file,
                loaded.report.file
            );
        }
        (by_summary, a.join(log.ids()).0, unknown)
    });
    let advocates = match &nps {
        Some((by_summary, _, _)) => super::analyze_extra::advocates(&analysis, by_summary)?,
        None => None,
    };
    let loyalty = match members {
        Some(m) => {
            let clv = super::loyalty::clv_of(&analysis, log);
            let extras = comeback_analysis::loyalty::Extras {
                clv: Some(&clv),
                nps: nps.as_ref().map(|n| n.1.as_slice()),
            };
            Some(super::analyze_extra::loyalty(log, m, &extras)?)
        }
        None => None,
    };
    if let (Value::Object(m), Value::Object(h)) =
        (&mut summary, headline_json(&analysis, &args.model, loaded))
    {
        m.extend(h);
        m.insert(
            "economics".into(),
            super::analyze_extra::economics_json(&economics),
        );
        m.insert(
            "survival".into(),
            super::analyze_extra::survival_json(&survival),
        );
        m.insert(
            "loyalty".into(),
            match (&loyalty, members) {
                (Some(c), Some(f)) => super::analyze_extra::loyalty_summary(c, f, log),
                _ => Value::Null,
            },
        );
        m.insert(
            "advocates".into(),
            match (answers, &nps) {
                (Some(a), Some((_, _, unknown))) => {
                    super::analyze_extra::advocates_json(advocates.as_ref(), a, *unknown)
                }
                _ => Value::Null,
            },
        );
    }

    let report_input = super::analyze_report::report_input(&super::analyze_report::ReportParts {
        args,
        loaded,
        analysis: &analysis,
        summary: &summary,
        economics: &economics,
        survival: survival.as_ref().ok(),
        loyalty: loyalty.as_ref(),
        advocate_share: super::analyze_extra::advocates_report(
            advocates.as_ref(),
            answers.is_some(),
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

/// The keys of summary.json that `economics --json` prints too (the same function, so the
/// same values): headline counts, defection, CLV and value at risk totals, the what-if and
/// the CLV settings.
pub(super) fn headline_json(analysis: &Analysis, model: &ModelArgs, loaded: &Loaded) -> Value {
    let Analysis {
        summary: full,
        defection: defect,
        headline: h,
        what_if: w,
        clv,
        ..
    } = analysis;
    let currency = loaded
        .report
        .currency
        .clone()
        .or_else(|| loaded.report.currency_symbol.clone());
    let end = loaded.log.observation_end().map(|d| d.to_string());
    json!({
        "unit": model.unit.as_str(),
        "currency": currency,
        "observation_end": end,
        "horizon": model.horizon,
        "customers": full.customers.len(),
        "repeat_customers": h.repeat_customers,
        "expected_alive_now": h.expected_alive_now,
        "defection_rate_12m": defect.rate,
        "customers_lost_12m": defect.customers_lost,
        "revenue_lost_12m": defect.revenue_lost.to_f64(),
        "customers_active_previous_12m": defect.active_previous,
        "expected_purchases": {"estimate": h.expected_purchases.estimate, "ci_low": h.expected_purchases.ci_low, "ci_high": h.expected_purchases.ci_high},
        "expected_revenue": {"estimate": h.expected_revenue.estimate, "ci_low": h.expected_revenue.ci_low, "ci_high": h.expected_revenue.ci_high},
        "bootstrap_draws": h.bootstrap_draws,
        "clv_total": h.clv_total,
        "revenue_at_risk": h.revenue_at_risk,
        "value_at_risk_total": h.value_at_risk_total,
        "what_if": {
            "retention_points": w.retention_points,
            "dropout_scale_k": w.result.k,
            "survival_12m_before": w.result.survival_before,
            "survival_12m_after": w.result.survival_after,
            "capped": w.result.capped,
            "model_clv_gain": w.model_clv_gain,
            "naive_clv_gain": finite_or_null(w.naive_clv_gain),
            "annual_revenue_alive_base": w.annual_revenue_alive_base,
        },
        "clv": {"margin": clv.margin, "discount_rate": clv.discount_rate, "discount_period": clv.discount_period, "periods": clv.periods, "horizon": clv.periods as f64 * clv.discount_period},
    })
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
        "unit": a.model.unit.as_str(), "horizon": a.model.horizon, "holdout": holdout,
        "discount_rate": a.model.discount_rate, "discount_period": a.model.discount_period, "clv_periods": a.model.clv_periods,
        "margin": a.model.margin, "what_if_retention": a.model.what_if_retention, "lost_below": a.model.lost_below,
        "at_risk_below": a.model.at_risk_below, "acquisition_cost": a.acquisition_cost,
        "members": a.members.as_ref().map(|p| p.display().to_string()), "responses": a.responses.responses.as_ref().map(|p| p.display().to_string()), "bootstrap": a.model.bootstrap, "seed": a.model.seed, "lang": a.lang.to_string(),
        "observation_end": a.ingest.observation_end.map(|d| d.to_string()), "refunds": a.ingest.refunds.to_string(),
        "timezone": a.ingest.timezone.map(|t| t.name().to_string()), "currency": a.ingest.currency,
    })
}

struct Ctx<'a> {
    full: &'a Summary,
    scores: &'a Scores,
    rfm: &'a [RfmScore],
    stages: &'a [LifecycleStage],
    var: &'a [ValueAtRisk],
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
