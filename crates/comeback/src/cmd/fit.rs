//! `comeback fit`: maximum-likelihood fit of a customer-base model to a summary.
//!
//! `--json` prints one object `{"model", "unit", "params", "std_errors", "ci_low", "ci_high",
//! "log_likelihood", "aic", "bic", "n_customers", "n_rows_distinct", "iterations",
//! "converged", "message"}` (plus `"extras"` for model-specific statistics, e.g. the
//! Gamma-Gamma frequency–spend correlation). `--save` writes the same object to a file that
//! `comeback predict --model-file` reads.

use super::common::write_atomically;
use super::summary_input::{ColumnFlags, DatabaseSource, SummaryTable, load_summary};
use anyhow::{Context, Result, bail};
use comeback_models::bgbb::{self, BgBb};
use comeback_models::bgnbd::{BgNbd, MbgNbd};
use comeback_models::fit::{FitOptions, FitReport, RfmData};
use comeback_models::gamma_gamma::{GammaGamma, SpendData};
use comeback_models::pareto_nbd::ParetoNbd;
use comeback_models::sbg::{Sbg, Survivors};
use serde_json::{Map, Value, json};
use std::path::PathBuf;

/// The models `fit` and `predict` know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelArg {
    /// BG/NBD (Fader, Hardie & Lee 2005): r, alpha, a, b.
    Bgnbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007): r, alpha, a, b.
    Mbgnbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987): r, alpha, s, beta.
    ParetoNbd,
    /// Gamma-Gamma spend (Fader & Hardie 2013): p, q, gamma.
    GammaGamma,
    /// BG/BB, discrete opportunities (Fader, Hardie & Shang 2010): alpha, beta, gamma, delta.
    Bgbb,
    /// Shifted-beta-geometric contractual retention (Fader & Hardie 2007): alpha, beta.
    Sbg,
}

impl ModelArg {
    /// Name as on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ModelArg::Bgnbd => "bgnbd",
            ModelArg::Mbgnbd => "mbgnbd",
            ModelArg::ParetoNbd => "pareto-nbd",
            ModelArg::GammaGamma => "gamma-gamma",
            ModelArg::Bgbb => "bgbb",
            ModelArg::Sbg => "sbg",
        }
    }
    /// Parameter names as in the papers.
    pub fn param_names(self) -> &'static [&'static str] {
        match self {
            ModelArg::Bgnbd | ModelArg::Mbgnbd => comeback_models::bgnbd::PARAM_NAMES,
            ModelArg::ParetoNbd => &["r", "alpha", "s", "beta"],
            ModelArg::GammaGamma => comeback_models::gamma_gamma::PARAM_NAMES,
            ModelArg::Bgbb => comeback_models::bgbb::PARAM_NAMES,
            ModelArg::Sbg => comeback_models::sbg::PARAM_NAMES,
        }
    }
    /// From a name in a model file.
    pub fn from_name(s: &str) -> Option<Self> {
        [
            ModelArg::Bgnbd,
            ModelArg::Mbgnbd,
            ModelArg::ParetoNbd,
            ModelArg::GammaGamma,
            ModelArg::Bgbb,
            ModelArg::Sbg,
        ]
        .into_iter()
        .find(|m| m.name() == s)
    }
}

/// Flags of `comeback fit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Summary CSV (output of `comeback summarize`, or BTYD column names). Not used by sbg.
    pub summary: Option<PathBuf>,
    /// Model to fit.
    #[arg(long, value_enum)]
    pub model: ModelArg,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON report to this file (for `predict --model-file`).
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// No warning on stderr when the fit did not converge (the report still says so);
    /// errors still print.
    #[arg(short, long)]
    pub quiet: bool,
    /// sBG: survivors at the start of each period, the cohort size first (e.g. 1000,631,468).
    #[arg(long, value_delimiter = ',')]
    pub survivors: Option<Vec<f64>>,
    /// L2 penalty c·Σθ² on the mean negative log-likelihood (lifetimes' penalizer_coef).
    #[arg(long, default_value_t = 0.0)]
    pub penalizer_coef: f64,
    /// Explicit column names.
    #[command(flatten)]
    pub cols: ColumnFlags,
    /// The summary from a PostgreSQL query instead of a file.
    #[command(flatten)]
    pub db: DatabaseSource,
}

/// Reads the RFM part of a table into validated, compressed data.
pub fn rfm_data(t: &SummaryTable) -> Result<RfmData> {
    RfmData::from_columns(&t.frequency, &t.recency, &t.t, t.weights.as_deref())
        .map_err(|e| t.explain(e))
}

/// BG/BB data (whole numbers, x ≤ tₓ ≤ n).
pub fn bgbb_data(t: &SummaryTable) -> Result<RfmData> {
    bgbb::data_from_columns(&t.frequency, &t.recency, &t.t, t.weights.as_deref())
        .map_err(|e| t.explain(e))
}

/// Repeat customers' spend data.
pub fn spend_data(t: &SummaryTable) -> Result<SpendData> {
    let m = t.monetary.as_ref().with_context(|| {
        format!(
            "{}: no monetary value column (monetary_value, monetary_value_cal or zbar)",
            t.path.display()
        )
    })?;
    // Validate the RFM part too, so every entry point rejects the same invalid rows.
    rfm_data(t)?;
    SpendData::from_columns(&t.frequency, m, t.weights.as_deref()).map_err(|e| t.explain(e))
}

/// Fits `model` on a summary table (not sBG).
pub fn fit_table(model: ModelArg, t: &SummaryTable, opts: &FitOptions) -> Result<FitReport> {
    Ok(match model {
        ModelArg::Bgnbd => BgNbd::fit(&rfm_data(t)?, opts)?.report,
        ModelArg::Mbgnbd => MbgNbd::fit(&rfm_data(t)?, opts)?.report,
        ModelArg::ParetoNbd => ParetoNbd::fit(&rfm_data(t)?, opts)?.report,
        ModelArg::GammaGamma => GammaGamma::fit(&spend_data(t)?, opts)?.report,
        ModelArg::Bgbb => BgBb::fit(&bgbb_data(t)?, opts)?.report,
        ModelArg::Sbg => bail!("sbg is fitted from --survivors, not from a summary file"),
    })
}

fn named(names: &[&str], v: &[f64]) -> Value {
    let mut m = Map::new();
    for (n, x) in names.iter().zip(v) {
        m.insert((*n).to_string(), json!(x));
    }
    Value::Object(m)
}

/// The JSON object of a fit report.
pub fn report_json(r: &FitReport, unit: Value) -> Value {
    let opt = |v: &Option<Vec<f64>>| v.as_ref().map_or(Value::Null, |v| named(r.param_names, v));
    let mut extras = Map::new();
    for (k, v) in &r.extras {
        extras.insert((*k).to_string(), json!(v));
    }
    json!({
        "model": r.model,
        "unit": unit,
        "params": named(r.param_names, &r.params),
        "std_errors": opt(&r.std_errors),
        "ci_low": opt(&r.ci_low),
        "ci_high": opt(&r.ci_high),
        "log_likelihood": r.log_likelihood,
        "aic": r.aic,
        "bic": r.bic,
        "n_customers": r.n_customers,
        "n_rows_distinct": r.n_rows_distinct,
        "iterations": r.iterations,
        "converged": r.converged,
        "message": r.message,
        "penalizer_coef": r.penalizer_coef,
        "extras": Value::Object(extras),
    })
}

/// Runs `comeback fit`.
pub fn run(args: Args) -> Result<()> {
    if !(args.penalizer_coef.is_finite() && args.penalizer_coef >= 0.0) {
        bail!(
            "--penalizer-coef must be a non-negative number, got {}",
            args.penalizer_coef
        );
    }
    let opts = FitOptions::default().penalizer_coef(args.penalizer_coef);
    let (report, unit) = if args.model == ModelArg::Sbg {
        let counts = args
            .survivors
            .as_ref()
            .context("sbg needs --survivors N0,N1,... (the cohort size first)")?;
        if args.summary.is_some() || args.db.database_url.is_some() {
            bail!("sbg is fitted from --survivors; do not pass a summary file or query");
        }
        let s = Survivors::new(counts).context("--survivors")?;
        (Sbg::fit(&s, &opts)?.report, json!("periods"))
    } else {
        if args.survivors.is_some() {
            bail!("--survivors is only for --model sbg");
        }
        if args.summary.is_none() && args.db.database_url.is_none() {
            bail!(
                "{} needs a summary file (or --database-url with --query)",
                args.model.name()
            );
        }
        let table = load_summary(args.summary.as_deref(), &args.db, &args.cols)?;
        if table.calibration && !args.json {
            outln!(
                "{}: calibration/holdout summary, fitted on the _cal columns",
                table.path.display()
            )?;
        }
        let report = fit_table(args.model, &table, &opts)?;
        let unit = match args.model {
            ModelArg::Bgbb => json!("periods"),
            _ => table.unit_json(),
        };
        (report, unit)
    };
    let j = report_json(&report, unit.clone());
    if let Some(path) = &args.save {
        write_atomically(path, |w| {
            serde_json::to_writer_pretty(&mut *w, &j)?;
            writeln!(w)?;
            Ok(())
        })?;
    }
    if args.json {
        outln!("{}", serde_json::to_string(&j)?)?;
    } else {
        outln!("{report}")?;
        match unit.as_str() {
            Some(u) => outln!("  time unit: {u}")?,
            None => outln!("  time unit: the file's own (no .meta.json sidecar)")?,
        }
        if !report.extras.is_empty() {
            for (k, v) in &report.extras {
                outln!("  {k}: {v}")?;
            }
        }
    }
    if !report.converged && !args.quiet {
        note!("warning: {}: {}", report.model, report.message);
    }
    Ok(())
}
