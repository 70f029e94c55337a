//! `comeback analyze --summary FILE` (or `--database-url URL --query SQL`): the analyze
//! pipeline on a per-customer summary instead of transactions
//! (`comeback_analysis::analyze_summary`). Writes customers.csv, advocates.csv and
//! summary.json; summary.json lists under `"omitted"` the sections that need transactions
//! (`comeback_analysis::OMITTED_SECTIONS`), and the same list is printed on stderr.

use super::analyze::{Args, cli_error, params_json};
use super::summary_input::{SummaryTable, load_summary};
use anyhow::{Context, Result, bail};
use comeback_analysis::{OMITTED_SECTIONS, SummaryAnalysis, analyze_summary};
use comeback_core::{CustomerSummary, Day, Summary, TimeUnit};
use serde_json::{Value, json};

/// True when `analyze` was given a summary instead of a transaction file.
pub(super) fn wanted(args: &Args) -> bool {
    args.summary.is_some() || args.db.database_url.is_some()
}

/// The summary's time unit: the sidecar's (or `--query-unit`), else `--unit`.
fn source_unit(t: &SummaryTable, args: &Args) -> Result<TimeUnit> {
    match &t.unit {
        Some(u) => u.parse::<TimeUnit>().map_err(|e| {
            anyhow::anyhow!(
                "{}: unit \"{u}\" in the sidecar is not days, weeks or months ({e})",
                t.path.display()
            )
        }),
        None => Ok(args.model.unit),
    }
}

/// The table as a core [`Summary`] in `unit` (times converted from `from`; whole days stay
/// exact). Purchase dates are not in a summary: `first_purchase` and `last_purchase` are
/// set to day 0 and not used.
fn to_summary(t: &SummaryTable, from: TimeUnit, unit: TimeUnit) -> Result<Summary> {
    if t.calibration {
        bail!(
            "{}: a calibration/holdout summary (_cal columns); analyze --summary takes a plain summary \
             (comeback summarize without --calibration-end)",
            t.path.display()
        );
    }
    let Some(m) = &t.monetary else {
        bail!(
            "{}: no monetary value column (monetary_value or zbar): analyze needs the mean repeat spend",
            t.path.display()
        );
    };
    if t.weights.is_some() {
        bail!(
            "{}: a weights column: analyze --summary needs one row per customer",
            t.path.display()
        );
    }
    let convert = |x: f64| -> f64 {
        if from == unit {
            return x;
        }
        let days = x * from.days();
        let whole = days.round();
        if (days - whole).abs() < 1e-6 && whole.abs() < 1e15 {
            // The value `comeback summarize --unit UNIT` prints for that many days.
            unit.from_days(whole as i64)
        } else {
            days / unit.days()
        }
    };
    let mut customers = Vec::with_capacity(t.ids.len());
    for (i, (id, &m)) in t.ids.iter().zip(m).enumerate() {
        let x = t.frequency[i];
        if !(x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX)) {
            bail!(
                "{}: data row {} (customer {}), column frequency: {x} is not a whole number ≥ 0",
                t.path.display(),
                i + 1,
                id
            );
        }
        customers.push(CustomerSummary {
            customer_id: id.as_str().into(),
            first_purchase: Day(0),
            last_purchase: Day(0),
            frequency: x as u32,
            recency: convert(t.recency[i]),
            t: convert(t.t[i]),
            monetary_value: m,
        });
    }
    Ok(Summary {
        unit,
        observation_end: Day(0),
        customers,
    })
}

/// Runs `analyze` on a summary; returns the output files.
pub(super) fn run(
    args: &Args,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    if args.model.holdout.is_some_and(|h| h > 0.0) {
        bail!(
            "--holdout needs transactions: with --summary the models are compared on all data by BIC (--holdout 0)"
        );
    }
    for (flag, given) in [
        ("--customers", args.customers.is_some()),
        ("--members", args.members.is_some()),
        ("--acquisition-cost", args.acquisition_cost.is_some()),
    ] {
        if given {
            bail!(
                "{flag} needs transactions (its sections use purchase dates); leave it out with --summary"
            );
        }
    }
    let table = load_summary(args.summary.as_deref(), &args.db, &args.cols)?;
    let from = match (&args.db.database_url, args.db.unit) {
        (Some(_), Some(u)) => u,
        _ => source_unit(&table, args)?,
    };
    let unit = args.model.unit;
    let summary = to_summary(&table, from, unit)?;
    let file = table.path.display().to_string();
    let mut options = args.model.options();
    options.holdout = Some(0.0);
    let a = analyze_summary(&summary, &options, progress).map_err(|e| cli_error(e, &file))?;
    for n in &a.notes {
        note!("note: {n}");
    }
    if !args.ingest.quiet {
        note!(
            "{file}: {} customers ({} in {}); sections that need transactions are omitted: {}",
            a.summary.customers.len(),
            if table.unit.is_some() || args.db.unit.is_some() {
                "times"
            } else {
                "times assumed"
            },
            from.as_str(),
            OMITTED_SECTIONS
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    progress("writing outputs");
    let all_csv = customers_csv(&a, None)?;
    let advocates_csv = customers_csv(&a, Some(&a.advocates))?;
    let mut bytes = serde_json::to_vec_pretty(&summary_json(args, &a, &table, from))?;
    bytes.push(b'\n');
    Ok(vec![
        ("customers.csv", all_csv),
        ("advocates.csv", advocates_csv),
        ("summary.json", bytes),
    ])
}

/// customers.csv (every customer in the summary's order) or the advocates list (in list
/// order): the columns of the transaction analysis that a summary can give.
fn customers_csv(a: &SummaryAnalysis, list: Option<&[usize]>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "customer_id",
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
        "value_at_risk",
        "value_at_risk_rank",
    ])?;
    let all: Vec<usize>;
    let idx = match list {
        Some(l) => l,
        None => {
            all = (0..a.summary.customers.len()).collect();
            &all
        }
    };
    let s = &a.scores;
    for &i in idx {
        let c = &a.summary.customers[i];
        w.write_record([
            c.customer_id.to_string(),
            c.frequency.to_string(),
            c.recency.to_string(),
            c.t.to_string(),
            c.monetary_value.to_string(),
            s.p_alive[i].to_string(),
            s.expected_purchases[i].to_string(),
            s.spend[i].to_string(),
            s.revenue[i].to_string(),
            s.clv[i].to_string(),
            a.rfm[i].r.to_string(),
            a.rfm[i].f.to_string(),
            a.rfm[i].m.to_string(),
            a.rfm[i].segment.key().to_string(),
            a.value_at_risk[i].value_at_risk.to_string(),
            a.value_at_risk[i].rank.to_string(),
        ])?;
    }
    w.into_inner()
        .map_err(|e| e.into_error())
        .context("cannot write customers.csv")
}

fn finite_or_null(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

/// summary.json of a summary analysis: the keys of the transaction analysis that a summary
/// can fill, the same names and meanings, plus `"source"` and `"omitted"`.
fn summary_json(args: &Args, a: &SummaryAnalysis, t: &SummaryTable, from: TimeUnit) -> Value {
    let h = &a.headline;
    let w = &a.what_if;
    let c = &a.comparison;
    let chosen = &c.candidates[c.chosen];
    let fit = &a.fit;
    let by_name = |v: &Option<Vec<f64>>| {
        v.as_ref().map(|s| {
            fit.param_names
                .iter()
                .zip(s)
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect::<serde_json::Map<_, _>>()
        })
    };
    json!({
        "comeback_version": env!("CARGO_PKG_VERSION"),
        "source": {
            "kind": "summary",
            "file": t.path.display().to_string(),
            "unit": from.as_str(),
            "unit_from": if t.unit.is_some() { "sidecar" } else if args.db.unit.is_some() { "--query-unit" } else { "--unit (assumed)" },
        },
        "omitted": OMITTED_SECTIONS.iter().map(|(k, why)| json!({"section": k, "needs": "transactions", "why": why})).collect::<Vec<_>>(),
        "model": {
            "chosen": chosen.kind.cli_name(),
            "chosen_name": chosen.kind.display_name(),
            "reason": c.reason.key(),
            "rule": "compared on all data by BIC (a summary has no dates to hold out)",
            "candidates": c.candidates.iter().map(|k| match &k.fit {
                Ok((_, r)) => json!({"model": k.kind.cli_name(), "params": params_json(r), "log_likelihood": r.log_likelihood, "bic": r.bic, "converged": r.converged}),
                Err(e) => json!({"model": k.kind.cli_name(), "error": e}),
            }).collect::<Vec<_>>(),
            "fit_all_data": {
                "params": params_json(fit),
                "std_errors": by_name(&fit.std_errors),
                "ci_low": by_name(&fit.ci_low),
                "ci_high": by_name(&fit.ci_high),
                "log_likelihood": fit.log_likelihood, "aic": fit.aic, "bic": fit.bic, "converged": fit.converged, "message": fit.message,
            },
        },
        "spend_model": match &a.spend_model.fit {
            Ok((gg, corr)) => json!({"model": "gamma-gamma", "params": params_json(&gg.report), "log_likelihood": gg.report.log_likelihood,
                                     "frequency_spend_correlation": corr, "note": a.spend_model.note}),
            Err(e) => json!({"model": null, "error": e, "note": a.spend_model.note}),
        },
        "lists": {"advocates": a.advocates.len()},
        "unit": args.model.unit.as_str(),
        "horizon": args.model.horizon,
        "customers": h.customers,
        "repeat_customers": h.repeat_customers,
        "expected_alive_now": h.expected_alive_now,
        "expected_purchases": {"estimate": h.expected_purchases.estimate, "ci_low": finite_or_null(h.expected_purchases.ci_low), "ci_high": finite_or_null(h.expected_purchases.ci_high)},
        "expected_revenue": {"estimate": h.expected_revenue.estimate, "ci_low": finite_or_null(h.expected_revenue.ci_low), "ci_high": finite_or_null(h.expected_revenue.ci_high)},
        "bootstrap_draws": h.bootstrap_draws,
        "clv_total": h.clv_total,
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
        "clv": {"margin": a.clv.margin, "discount_rate": a.clv.discount_rate, "discount_period": a.clv.discount_period, "periods": a.clv.periods, "horizon": a.clv.periods as f64 * a.clv.discount_period},
        "seed": args.model.seed,
    })
}
