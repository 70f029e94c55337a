//! `comeback predict`: per-customer predictions from a summary.
//!
//! Output CSV: `customer_id,frequency,recency,T,p_alive,expected_purchases` where
//! `expected_purchases` is E[Y(horizon) | x, tₓ, T]; with monetary values also
//! `expected_avg_spend,expected_revenue,clv` (Gamma-Gamma spend; CLV as in lifetimes:
//! margin × spend × Σₖ₌₁..K (E[Y(kΔ)] − E[Y((k−1)Δ)]) / (1+d)ᵏ, K by default the horizon in
//! discount periods as in `analyze`); for a calibration/holdout
//! summary the holdout actuals `frequency_holdout[,monetary_value_holdout],duration_holdout`.
//! Parameters come from `--params`, a saved `--model-file`, or a fit on the file itself.

use super::common::{parse_discount_rate, parse_horizon, parse_params, write_real_table};
use super::fit::{ModelArg, bgbb_data, fit_table, rfm_data, spend_data};
use super::summary_input::{ColumnFlags, DatabaseSource, SummaryTable, load_summary};
use anyhow::{Context, Result, bail};
use comeback_models::bgbb::BgBb;
use comeback_models::bgnbd::{BgNbd, MbgNbd};
use comeback_models::fit::{FitOptions, Rfm, rfm_from_columns};
use comeback_models::gamma_gamma::GammaGamma;
use comeback_models::pareto_nbd::ParetoNbd;
use comeback_models::transaction::{ClvOptions, TransactionModel, clv, clv_periods_for_horizon};
use std::path::{Path, PathBuf};

/// Flags of `comeback predict`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Summary CSV (output of `comeback summarize`, or BTYD column names); or use
    /// --database-url with --query.
    pub summary: Option<PathBuf>,
    /// Transaction model (bgnbd, mbgnbd, pareto-nbd, bgbb) or gamma-gamma for spend only.
    #[arg(long, value_enum)]
    pub model: ModelArg,
    /// Prediction horizon t in the summary's time unit, > 0 (BG/BB: whole opportunities).
    #[arg(long, value_parser = parse_horizon)]
    pub horizon: Option<f64>,
    /// Model parameters, e.g. r=0.243,alpha=4.414,a=0.793,b=2.426 (instead of fitting).
    #[arg(long)]
    pub params: Option<String>,
    /// A model saved by `comeback fit --save` (instead of fitting).
    #[arg(long)]
    pub model_file: Option<PathBuf>,
    /// Gamma-Gamma parameters p=..,q=..,gamma=.. (otherwise fitted on the file's spend).
    #[arg(long)]
    pub spend_params: Option<String>,
    /// Discount rate per discount period for the CLV, ≥ 0 (0.01 = 1 % per period).
    #[arg(long, default_value_t = 0.01, value_parser = parse_discount_rate)]
    pub discount_rate: f64,
    /// Discount period Δ in the summary's unit; default one month (365.25/12 days).
    #[arg(long)]
    pub discount_period: Option<f64>,
    /// Number of discount periods K in the CLV; default: the horizon in discount periods
    /// (rounded, at least 1; 39 weeks = 9 months), so CLV and expected revenue cover the
    /// same time, as in `analyze`.
    #[arg(long)]
    pub clv_periods: Option<usize>,
    /// Margin multiplier (1 = revenue CLV).
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// Output file, written atomically: CSV, or Parquet when it ends in `.parquet`
    /// (`customer_id` STRING, every other column DOUBLE); default standard output (CSV).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// No warnings on stderr (a model fit that did not converge); errors still print.
    #[arg(short, long)]
    pub quiet: bool,
    /// Explicit column names.
    #[command(flatten)]
    pub cols: ColumnFlags,
    /// The summary from a PostgreSQL query instead of a file.
    #[command(flatten)]
    pub db: DatabaseSource,
}

/// Parameters from `--params` or `--model-file`, if given.
fn given_params(
    model: ModelArg,
    params: &Option<String>,
    model_file: &Option<PathBuf>,
) -> Result<Option<Vec<f64>>> {
    match (params, model_file) {
        (Some(_), Some(_)) => bail!("give --params or --model-file, not both"),
        (Some(p), None) => Ok(Some(parse_params("--params", p, model.param_names())?)),
        (None, Some(f)) => Ok(Some(read_model_file(model, f)?)),
        (None, None) => Ok(None),
    }
}

/// Reads the parameters of a `fit --save` file, checking its model.
pub fn read_model_file(model: ModelArg, path: &Path) -> Result<Vec<f64>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    let name = v
        .get("model")
        .and_then(|m| m.as_str())
        .with_context(|| format!("{}: no \"model\"", path.display()))?;
    if ModelArg::from_name(name) != Some(model) {
        bail!(
            "{} holds a {name} model, not {}",
            path.display(),
            model.name()
        );
    }
    model
        .param_names()
        .iter()
        .map(|n| {
            v.pointer(&format!("/params/{n}"))
                .and_then(|x| x.as_f64())
                .with_context(|| format!("{}: no parameter {n}", path.display()))
        })
        .collect()
}

fn transaction_model(model: ModelArg, p: &[f64]) -> Result<Box<dyn TransactionModel>> {
    Ok(match model {
        ModelArg::Bgnbd => Box::new(BgNbd::from_params(p)?),
        ModelArg::Mbgnbd => Box::new(MbgNbd::from_params(p)?),
        ModelArg::ParetoNbd => Box::new(ParetoNbd::new(p[0], p[1], p[2], p[3])?),
        ModelArg::Bgbb => Box::new(BgBb::from_params(p)?),
        ModelArg::GammaGamma | ModelArg::Sbg => {
            bail!("{} is not a transaction model", model.name())
        }
    })
}

/// One month in the summary's unit.
fn default_discount_period(t: &SummaryTable) -> Result<f64> {
    match t.unit.as_deref() {
        Some("days") => Ok(365.25 / 12.0),
        Some("weeks") => Ok(365.25 / 12.0 / 7.0),
        Some("months") => Ok(1.0),
        Some(u) => bail!("unknown time unit \"{u}\" in the meta sidecar: pass --discount-period"),
        None => bail!(
            "{} has no .meta.json sidecar with its time unit: pass --discount-period (one month in the file's unit)",
            t.path.display()
        ),
    }
}

fn spend_model(args: &Args, t: &SummaryTable) -> Result<GammaGamma> {
    let p = match &args.spend_params {
        Some(s) => parse_params(
            "--spend-params",
            s,
            comeback_models::gamma_gamma::PARAM_NAMES,
        )?,
        None => {
            let rep = GammaGamma::fit(&spend_data(t)?, &FitOptions::default())?.report;
            if !rep.converged && !args.quiet {
                note!("warning: gamma-gamma: {}", rep.message);
            }
            rep.params
        }
    };
    Ok(GammaGamma::from_params(&p)?)
}

/// Runs `comeback predict`.
pub fn run(args: Args) -> Result<()> {
    let table = load_summary(args.summary.as_deref(), &args.db, &args.cols)?;
    let given = given_params(args.model, &args.params, &args.model_file)?;
    if args.model == ModelArg::Sbg {
        bail!(
            "sbg has no per-customer predictions: use `comeback fit --model sbg --survivors ...`"
        );
    }
    if args.model == ModelArg::GammaGamma {
        return predict_spend(&args, &table, given);
    }
    let horizon = args
        .horizon
        .context("--horizon is required (the prediction window, in the summary's unit)")?;
    // Validate every row (errors name the row), in the model's own terms.
    let customers: Vec<Rfm> = if args.model == ModelArg::Bgbb {
        bgbb_data(&table)?;
        rfm_from_columns(&table.frequency, &table.recency, &table.t)
            .map_err(|e| table.explain(e))?
    } else {
        rfm_data(&table)?;
        rfm_from_columns(&table.frequency, &table.recency, &table.t)
            .map_err(|e| table.explain(e))?
    };
    let params = match given {
        Some(p) => p,
        None => {
            let rep = fit_table(args.model, &table, &FitOptions::default())?;
            if !rep.converged && !args.quiet {
                note!("warning: {}: {}", rep.model, rep.message);
            }
            rep.params
        }
    };
    let model = transaction_model(args.model, &params)?;
    let money = match &table.monetary {
        Some(m) => {
            let gg = spend_model(&args, &table)?;
            let period = match args.discount_period {
                Some(p) => p,
                None => default_discount_period(&table)?,
            };
            let periods = args
                .clv_periods
                .unwrap_or_else(|| clv_periods_for_horizon(horizon, period));
            let opts = ClvOptions::new(args.margin, args.discount_rate, period, periods)?;
            let spend = gg
                .conditional_expected_average_spend_many(&table.frequency, m)
                .map_err(|e| table.explain(e))?;
            Some((spend, opts))
        }
        None => None,
    };

    let mut header = vec![
        "customer_id",
        "frequency",
        "recency",
        "T",
        "p_alive",
        "expected_purchases",
    ];
    if money.is_some() {
        header.extend(["expected_avg_spend", "expected_revenue", "clv"]);
    }
    if table.frequency_holdout.is_some() {
        header.push("frequency_holdout");
    }
    if table.monetary_holdout.is_some() {
        header.push("monetary_value_holdout");
    }
    if table.duration_holdout.is_some() {
        header.push("duration_holdout");
    }
    ignore_broken_pipe(write_real_table(args.output.as_deref(), &header, |row| {
        let mut rec: Vec<f64> = Vec::with_capacity(header.len());
        for (i, c) in customers.iter().enumerate() {
            let e = model.conditional_expected_purchases(c, horizon);
            rec.clear();
            rec.extend([c.frequency(), c.recency(), c.t(), model.p_alive(c), e]);
            if let Some((spend, opts)) = &money {
                rec.push(spend[i]);
                rec.push(e * spend[i]);
                rec.push(clv(model.as_ref(), c, spend[i], opts));
            }
            for col in [
                &table.frequency_holdout,
                &table.monetary_holdout,
                &table.duration_holdout,
            ]
            .into_iter()
            .flatten()
            {
                rec.push(col[i]);
            }
            row(&table.ids[i], &rec)?;
        }
        Ok(())
    }))
}

/// `--model gamma-gamma`: expected average spend per customer.
fn predict_spend(args: &Args, table: &SummaryTable, given: Option<Vec<f64>>) -> Result<()> {
    let m = table
        .monetary
        .as_ref()
        .with_context(|| format!("{}: no monetary value column", table.path.display()))?;
    rfm_data(table)?;
    let gg = match given {
        Some(p) => GammaGamma::from_params(&p)?,
        None => spend_model(args, table)?,
    };
    let spend = gg
        .conditional_expected_average_spend_many(&table.frequency, m)
        .map_err(|e| table.explain(e))?;
    ignore_broken_pipe(write_real_table(
        args.output.as_deref(),
        &[
            "customer_id",
            "frequency",
            "monetary_value",
            "expected_avg_spend",
        ],
        |row| {
            for i in 0..spend.len() {
                row(&table.ids[i], &[table.frequency[i], m[i], spend[i]])?;
            }
            Ok(())
        },
    ))
}

/// A reader that closed the pipe early (`| head`) is not an error.
fn ignore_broken_pipe(r: Result<()>) -> Result<()> {
    match r {
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                    || c.downcast_ref::<csv::Error>().is_some_and(|ce| {
                        matches!(ce.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
                    })
            }) =>
        {
            Ok(())
        }
        r => r,
    }
}
