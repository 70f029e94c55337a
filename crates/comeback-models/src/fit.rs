//! Shared maximum-likelihood machinery for every model in this crate.
//!
//! - [`Rfm`]: one validated (frequency x, recency tₓ, age T) triple; [`RfmData`]: a validated,
//!   compressed and weighted set of them (identical rows merged, so a fit costs per distinct
//!   row, not per customer).
//! - [`Objective`]: a model's weighted **mean** negative log-likelihood over unconstrained
//!   log-parameters, with its exact analytic gradient.
//! - [`fit_objective`]: the minimiser (damped Newton / Levenberg–Marquardt on the
//!   log-parameters, Hessian from differences of the exact gradient), followed by the
//!   standard errors, 95 % intervals, AIC and BIC of a [`FitReport`].
//!
//! In the final phase a differenced Hessian is reused for the next iteration (a chord step)
//! when the quadratic model predicted a short step (< 0.05 in every log-parameter) to within
//! 25 %: Pareto/NBD on CDNOW takes 31 evaluations instead of 39.
//!
//! # Boundaries
//! When the likelihood is maximised at the edge of the parameter space (Pareto/NBD r, α → ∞
//! without heterogeneity; BG/NBD b → ∞), Newton walks along a flat ridge whose limit is the
//! supremum. The minimiser stops there instead of creeping on to parameters of ~1e9: after
//! 3 consecutive steps of ≥ 0.1 in a log-parameter that each lower the mean negative
//! log-likelihood by < 1e-9 (relative), or 10 iterations that together gain < 1e-3 in the
//! total log-likelihood. The report then says `converged: false`, names the diverging
//! parameters, and no alternative starts are tried.
//!
//! # Why not argmin
//! The models have at most four parameters, and the Hessian is needed anyway for the
//! standard errors, so a Newton method whose Hessian comes from forward differences of the
//! exact gradient costs only `p` extra gradient evaluations per iteration and converges
//! quadratically to the tight tolerances the reference tests ask for (gradient of the mean
//! negative log-likelihood below 1e-9). A hand-written loop also keeps full control of
//! non-finite trial points and of the iteration, evaluation and time budgets (the argmin
//! More–Thuente line search was seen to loop on NaN costs ignoring `max_iters`, see
//! `NOTES-stack.md`).
//!
//! # Accuracy of the Hessian
//! Objectives may provide their exact Hessian ([`Objective::value_gradient_hessian`]; BG/NBD
//! and MBG/NBD do): then each Newton iteration costs one evaluation and the standard errors
//! are exact. Otherwise the Hessian reported at the optimum is computed by central
//! differences of the exact gradient with step 1e-5 in log-parameter space: truncation error
//! ~h² ≈ 1e-10 relative and rounding ~1e-16/h ≈ 1e-11, so standard errors are accurate to
//! ~1e-8 relative.

use std::fmt;
use std::time::{Duration, Instant};

/// Errors in input data. `row` is the 0-based index into the input slices (the caller adds
/// the header offset of its file).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// A value is NaN or infinite.
    #[error("row {row}: {field} is not a finite number ({value})")]
    NotFinite {
        /// Row index.
        row: usize,
        /// Column name.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// A value is negative.
    #[error("row {row}: {field} is negative ({value})")]
    Negative {
        /// Row index.
        row: usize,
        /// Column name.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// A count is not a whole number.
    #[error("row {row}: {field} {value} is not a whole number")]
    NotInteger {
        /// Row index.
        row: usize,
        /// Column name.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// Recency after the end of observation.
    #[error("row {row}: recency {recency} is greater than T {t}")]
    RecencyAfterT {
        /// Row index.
        row: usize,
        /// Recency tₓ.
        recency: f64,
        /// Age T.
        t: f64,
    },
    /// A customer without repeat purchases has a non-zero recency.
    #[error("row {row}: recency {recency} must be 0 when frequency is 0")]
    RecencyWithoutRepeat {
        /// Row index.
        row: usize,
        /// Recency tₓ.
        recency: f64,
    },
    /// A weight is negative, zero or not finite.
    #[error("row {row}: weight {value} is not a positive finite number")]
    BadWeight {
        /// Row index.
        row: usize,
        /// The weight.
        value: f64,
    },
    /// Any other model-specific constraint on a row.
    #[error("row {row}: {message}")]
    Invalid {
        /// Row index.
        row: usize,
        /// What is wrong, with the offending value.
        message: String,
    },
    /// Input columns of different lengths.
    #[error("input columns have different lengths ({0} and {1})")]
    LengthMismatch(usize, usize),
    /// Nothing to fit.
    #[error("no rows to fit")]
    Empty,
}

/// Errors of a fit (not of the data).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// Invalid input data.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Invalid fit options.
    #[error("invalid fit options: {0}")]
    Options(String),
    /// The log-likelihood is not finite at any starting point.
    #[error("the log-likelihood is not finite at the starting values ({0})")]
    NonFiniteStart(String),
    /// A model-specific reason why the data cannot be fitted.
    #[error("{0}")]
    Unfittable(String),
}

/// Errors for invalid model parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// A parameter is not a positive finite number.
    #[error("parameter {name} must be a positive finite number, got {value}")]
    NotPositive {
        /// Parameter name as in the paper.
        name: &'static str,
        /// The value.
        value: f64,
    },
    /// A prediction is undefined for these parameters (e.g. a moment that does not exist).
    #[error("{0}")]
    Undefined(String),
}

/// Checks that a parameter is positive and finite.
pub fn check_positive(name: &'static str, value: f64) -> Result<f64, ParamError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ParamError::NotPositive { name, value })
    }
}

/// One customer's summary: repeat-purchase frequency x, recency tₓ (time of the last repeat
/// purchase, measured from the first purchase) and age T (time from the first purchase to the
/// end of observation). Validated on construction: all finite and non-negative, x whole,
/// tₓ ≤ T, and tₓ = 0 when x = 0.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rfm {
    frequency: f64,
    recency: f64,
    t: f64,
}

impl Rfm {
    /// A validated summary (errors name row 0; use [`Rfm::new_at`] for a row index).
    ///
    /// # Errors
    /// [`DataError`] when a value is NaN, negative, a non-whole frequency, recency > T, or
    /// recency ≠ 0 with frequency 0.
    pub fn new(frequency: f64, recency: f64, t: f64) -> Result<Self, DataError> {
        Self::new_at(0, frequency, recency, t)
    }

    /// A validated summary whose errors name `row`.
    ///
    /// # Errors
    /// As [`Rfm::new`].
    pub fn new_at(row: usize, frequency: f64, recency: f64, t: f64) -> Result<Self, DataError> {
        for (field, value) in [("frequency", frequency), ("recency", recency), ("T", t)] {
            if !value.is_finite() {
                return Err(DataError::NotFinite { row, field, value });
            }
            if value < 0.0 {
                return Err(DataError::Negative { row, field, value });
            }
        }
        if frequency.fract() != 0.0 {
            return Err(DataError::NotInteger {
                row,
                field: "frequency",
                value: frequency,
            });
        }
        if recency > t * (1.0 + 1e-12) {
            return Err(DataError::RecencyAfterT { row, recency, t });
        }
        if frequency == 0.0 && recency != 0.0 {
            return Err(DataError::RecencyWithoutRepeat { row, recency });
        }
        // Normalise -0.0 and clamp a rounding-level excess of recency over T.
        Ok(Rfm {
            frequency: frequency + 0.0,
            recency: recency.min(t) + 0.0,
            t: t + 0.0,
        })
    }

    /// Repeat-purchase frequency x.
    pub fn frequency(&self) -> f64 {
        self.frequency
    }
    /// Recency tₓ.
    pub fn recency(&self) -> f64 {
        self.recency
    }
    /// Age T.
    pub fn t(&self) -> f64 {
        self.t
    }
}

/// Validates parallel columns into [`Rfm`] values, naming the first bad row.
///
/// # Errors
/// [`DataError`] for the first invalid row or mismatched lengths.
pub fn rfm_from_columns(
    frequency: &[f64],
    recency: &[f64],
    t: &[f64],
) -> Result<Vec<Rfm>, DataError> {
    if frequency.len() != recency.len() {
        return Err(DataError::LengthMismatch(frequency.len(), recency.len()));
    }
    if frequency.len() != t.len() {
        return Err(DataError::LengthMismatch(frequency.len(), t.len()));
    }
    frequency
        .iter()
        .zip(recency)
        .zip(t)
        .enumerate()
        .map(|(i, ((&x, &tx), &tt))| Rfm::new_at(i, x, tx, tt))
        .collect()
}

/// Validates optional weights (all positive and finite).
pub(crate) fn check_weights(n: usize, weights: Option<&[f64]>) -> Result<(), DataError> {
    if let Some(w) = weights {
        if w.len() != n {
            return Err(DataError::LengthMismatch(n, w.len()));
        }
        for (row, &value) in w.iter().enumerate() {
            if !(value.is_finite() && value > 0.0) {
                return Err(DataError::BadWeight { row, value });
            }
        }
    }
    Ok(())
}

/// A compressed, weighted set of [`Rfm`] rows: identical (x, tₓ, T) rows merged, their
/// weights summed; sorted by (x, tₓ, T), so rows with equal x are adjacent (models compute
/// per-x terms once).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RfmData {
    rows: Vec<Rfm>,
    weights: Vec<f64>,
    total_weight: f64,
    n_input_rows: usize,
}

impl RfmData {
    /// Compresses validated rows with optional weights (default 1 each).
    ///
    /// # Errors
    /// [`DataError::Empty`] for no rows, [`DataError::BadWeight`] or
    /// [`DataError::LengthMismatch`] for bad weights.
    pub fn new(rows: &[Rfm], weights: Option<&[f64]>) -> Result<Self, DataError> {
        if rows.is_empty() {
            return Err(DataError::Empty);
        }
        check_weights(rows.len(), weights)?;
        let mut keyed: Vec<((u64, u64, u64), f64)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    (r.frequency.to_bits(), r.recency.to_bits(), r.t.to_bits()),
                    weights.map_or(1.0, |w| w[i]),
                )
            })
            .collect();
        // Non-negative finite doubles order like their bit patterns.
        keyed.sort_unstable_by_key(|k| k.0);
        let mut out_rows: Vec<Rfm> = Vec::new();
        let mut out_w: Vec<f64> = Vec::new();
        let mut last: Option<(u64, u64, u64)> = None;
        for (key, w) in keyed {
            if last == Some(key) {
                *out_w.last_mut().expect("non-empty") += w;
            } else {
                out_rows.push(Rfm {
                    frequency: f64::from_bits(key.0),
                    recency: f64::from_bits(key.1),
                    t: f64::from_bits(key.2),
                });
                out_w.push(w);
                last = Some(key);
            }
        }
        let total_weight = out_w.iter().sum();
        Ok(RfmData {
            rows: out_rows,
            weights: out_w,
            total_weight,
            n_input_rows: rows.len(),
        })
    }

    /// Validates and compresses parallel columns.
    ///
    /// # Errors
    /// As [`rfm_from_columns`] and [`RfmData::new`].
    pub fn from_columns(
        frequency: &[f64],
        recency: &[f64],
        t: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<Self, DataError> {
        let rows = rfm_from_columns(frequency, recency, t)?;
        Self::new(&rows, weights)
    }

    /// The distinct rows, sorted by (x, tₓ, T).
    pub fn rows(&self) -> &[Rfm] {
        &self.rows
    }
    /// The weight of each distinct row.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
    /// Sum of the weights (the number of customers when unweighted).
    pub fn total_weight(&self) -> f64 {
        self.total_weight
    }
    /// Number of distinct rows.
    pub fn n_distinct(&self) -> usize {
        self.rows.len()
    }
    /// Number of input rows before compression.
    pub fn n_input_rows(&self) -> usize {
        self.n_input_rows
    }
    /// Weighted means of (x, tₓ, T), used for starting values.
    pub fn weighted_means(&self) -> (f64, f64, f64) {
        let (mut sx, mut sr, mut st) = (0.0, 0.0, 0.0);
        for (r, &w) in self.rows.iter().zip(&self.weights) {
            sx += w * r.frequency;
            sr += w * r.recency;
            st += w * r.t;
        }
        let n = self.total_weight;
        (sx / n, sr / n, st / n)
    }
}

/// A model's objective over unconstrained log-parameters.
///
/// Implementations return the weighted **mean** negative log-likelihood (so gradients are
/// O(1) whatever the number of customers) and fill `grad` with its exact gradient with respect
/// to the log-parameters. Return `f64::INFINITY` where the likelihood is not finite (the
/// minimiser treats it as "step too far"). The total log-likelihood is
/// `-value * total_weight()`.
pub trait Objective {
    /// Parameter names as in the paper, in the order of the parameter vector.
    fn param_names(&self) -> &'static [&'static str];
    /// Sum of the weights (n in AIC/BIC).
    fn total_weight(&self) -> f64;
    /// Number of distinct data rows (reported only).
    fn n_distinct(&self) -> usize;
    /// Weighted mean negative log-likelihood at θ = exp(log_params), with its gradient.
    fn value_and_gradient(&self, log_params: &[f64], grad: &mut [f64]) -> f64;
    /// Deterministic starting log-parameters.
    fn initial_log_params(&self) -> Vec<f64>;
    /// Optionally the exact Hessian too: value and gradient as in
    /// [`Objective::value_and_gradient`], and `hess` (row-major p × p) filled with the second
    /// derivatives of the mean negative log-likelihood with respect to the log-parameters.
    /// Return `None` (the default) when not implemented; the minimiser then differences the
    /// gradient.
    fn value_gradient_hessian(
        &self,
        _log_params: &[f64],
        _grad: &mut [f64],
        _hess: &mut [f64],
    ) -> Option<f64> {
        None
    }
    /// Total log-likelihood (sum over customers of ln Lᵢ) at natural-scale parameters.
    fn total_log_likelihood(&self, params: &[f64]) -> f64 {
        let lp: Vec<f64> = params.iter().map(|p| p.ln()).collect();
        let mut g = vec![0.0; lp.len()];
        -self.value_and_gradient(&lp, &mut g) * self.total_weight()
    }
}

/// Options of every fit (the hyper-parameters; the fitted model is a separate value).
///
/// | option | default | meaning |
/// |---|---|---|
/// | `penalizer_coef` | 0 | L2 penalty c·Σθ² added to the mean negative log-likelihood (θ on the natural scale), as lifetimes' `penalizer_coef` |
/// | `max_iterations` | 200 | Newton iterations |
/// | `max_evaluations` | 5000 | objective-and-gradient evaluations |
/// | `time_budget` | none | wall-time limit; the only use of a clock in this crate, and only when set |
/// | `gradient_tolerance` | 1e-9 | convergence when max \|∂(mean NLL)/∂ log θ\| is below this |
/// | `initial_log_params` | none | starting log-parameters instead of the model's own |
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// L2 penalty coefficient (≥ 0).
    pub penalizer_coef: f64,
    /// Maximum Newton iterations.
    pub max_iterations: usize,
    /// Maximum objective evaluations.
    pub max_evaluations: usize,
    /// Optional wall-time budget.
    pub time_budget: Option<Duration>,
    /// Gradient tolerance on the mean negative log-likelihood.
    pub gradient_tolerance: f64,
    /// Optional starting log-parameters.
    pub initial_log_params: Option<Vec<f64>>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            penalizer_coef: 0.0,
            max_iterations: 200,
            max_evaluations: 5000,
            time_budget: None,
            gradient_tolerance: 1e-9,
            initial_log_params: None,
        }
    }
}

impl FitOptions {
    /// Sets the L2 penalty.
    pub fn penalizer_coef(mut self, c: f64) -> Self {
        self.penalizer_coef = c;
        self
    }
    /// Sets a wall-time budget.
    pub fn time_budget(mut self, d: Duration) -> Self {
        self.time_budget = Some(d);
        self
    }
    /// Sets the starting log-parameters.
    pub fn initial_log_params(mut self, lp: Vec<f64>) -> Self {
        self.initial_log_params = Some(lp);
        self
    }

    fn check(&self, n_params: usize) -> Result<(), FitError> {
        if !(self.penalizer_coef.is_finite() && self.penalizer_coef >= 0.0) {
            return Err(FitError::Options(format!(
                "penalizer_coef must be a non-negative number, got {}",
                self.penalizer_coef
            )));
        }
        if !(self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0) {
            return Err(FitError::Options(format!(
                "gradient_tolerance must be positive, got {}",
                self.gradient_tolerance
            )));
        }
        if self.max_iterations == 0 || self.max_evaluations == 0 {
            return Err(FitError::Options(
                "max_iterations and max_evaluations must be positive".into(),
            ));
        }
        if let Some(lp) = &self.initial_log_params
            && (lp.len() != n_params || lp.iter().any(|v| !v.is_finite()))
        {
            return Err(FitError::Options(format!(
                "initial_log_params must be {n_params} finite numbers, got {lp:?}"
            )));
        }
        Ok(())
    }
}

/// The result of a fit: what the CLI serialises as
/// `{"model","unit","params","std_errors","ci_low","ci_high","log_likelihood","aic","bic",
/// "n_customers","n_rows_distinct","iterations","converged","message"}` (the unit is the
/// caller's). Vectors are in the order of `param_names`.
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    /// Model name as on the command line (`bgnbd`, `mbgnbd`, `pareto-nbd`, `gamma-gamma`,
    /// `bgbb`, `sbg`).
    pub model: &'static str,
    /// Parameter names as in the paper.
    pub param_names: &'static [&'static str],
    /// Maximum-likelihood estimates (natural scale).
    pub params: Vec<f64>,
    /// Natural-scale standard errors by the delta method (θ̂·SE(log θ̂)); `None` when the
    /// Hessian is not positive definite (the message says so).
    pub std_errors: Option<Vec<f64>>,
    /// Lower 95 % bounds exp(log θ̂ − 1.96·SE(log θ̂)).
    pub ci_low: Option<Vec<f64>>,
    /// Upper 95 % bounds exp(log θ̂ + 1.96·SE(log θ̂)).
    pub ci_high: Option<Vec<f64>>,
    /// Covariance matrix of the log-parameters (k × k, row-major): the inverse of the
    /// Hessian of the negative total log-likelihood in log θ at the estimate; `None` with
    /// the standard errors. Used for parametric-bootstrap intervals of predictions.
    pub log_covariance: Option<Vec<f64>>,
    /// Total log-likelihood Σ wᵢ ln Lᵢ (without the penalty), in the data's time unit.
    pub log_likelihood: f64,
    /// 2k − 2 LL.
    pub aic: f64,
    /// k ln n − 2 LL with n the sum of the weights.
    pub bic: f64,
    /// Sum of the weights (customers).
    pub n_customers: f64,
    /// Distinct rows actually fitted.
    pub n_rows_distinct: usize,
    /// Newton iterations.
    pub iterations: usize,
    /// Objective-and-gradient evaluations (including the final Hessian).
    pub evaluations: usize,
    /// Whether the gradient tolerance was reached.
    pub converged: bool,
    /// Human-readable status.
    pub message: String,
    /// The L2 penalty used.
    pub penalizer_coef: f64,
    /// Model-specific extra statistics (name, value), e.g. Gamma-Gamma's frequency–spend
    /// correlation.
    pub extras: Vec<(&'static str, f64)>,
}

impl FitReport {
    /// A parameter by name.
    pub fn param(&self, name: &str) -> Option<f64> {
        self.param_names
            .iter()
            .position(|n| *n == name)
            .map(|i| self.params[i])
    }
}

impl fmt::Display for FitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} (n = {}, {} distinct rows)",
            self.model, self.message, self.n_customers, self.n_rows_distinct
        )?;
        for (i, name) in self.param_names.iter().enumerate() {
            write!(f, "  {name:>6} = {:.6}", self.params[i])?;
            if let (Some(se), Some(lo), Some(hi)) = (&self.std_errors, &self.ci_low, &self.ci_high)
            {
                write!(f, "  (se {:.6}; 95% {:.6} .. {:.6})", se[i], lo[i], hi[i])?;
            }
            writeln!(f)?;
        }
        write!(
            f,
            "  log-likelihood {:.4}, AIC {:.4}, BIC {:.4}, {} iterations",
            self.log_likelihood, self.aic, self.bic, self.iterations
        )
    }
}

/// A fitted model together with the report of its fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted<M> {
    /// The model at the maximum-likelihood estimates.
    pub model: M,
    /// How the fit went: estimates, standard errors, log-likelihood, ...
    pub report: FitReport,
}

/// Largest |log θ| the minimiser explores (θ within e^±40).
const MAX_LOG_PARAM: f64 = 40.0;

struct Counted<'a> {
    obj: &'a dyn Objective,
    penalizer: f64,
    evaluations: usize,
}

impl Counted<'_> {
    /// Penalised mean NLL; +∞ for non-finite values or out-of-range parameters.
    fn eval(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
        self.evaluations += 1;
        if x.iter().any(|v| !v.is_finite() || v.abs() > MAX_LOG_PARAM) {
            g.iter_mut().for_each(|v| *v = 0.0);
            return f64::INFINITY;
        }
        let mut f = self.obj.value_and_gradient(x, g);
        if self.penalizer > 0.0 {
            for (gi, &xi) in g.iter_mut().zip(x) {
                let th = xi.exp();
                f += self.penalizer * th * th;
                *gi += 2.0 * self.penalizer * th * th;
            }
        }
        if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
            return f64::INFINITY;
        }
        f
    }

    /// Penalised value, gradient and exact Hessian when the objective has one (`None`
    /// otherwise, without counting an evaluation).
    fn eval_hessian(&mut self, x: &[f64], g: &mut [f64], h: &mut [f64]) -> Option<f64> {
        if x.iter().any(|v| !v.is_finite() || v.abs() > MAX_LOG_PARAM) {
            return Some(f64::INFINITY);
        }
        let mut f = self.obj.value_gradient_hessian(x, g, h)?;
        self.evaluations += 1;
        let n = x.len();
        if self.penalizer > 0.0 {
            for (i, &xi) in x.iter().enumerate() {
                let th2 = (2.0 * xi).exp();
                f += self.penalizer * th2;
                g[i] += 2.0 * self.penalizer * th2;
                h[i * n + i] += 4.0 * self.penalizer * th2;
            }
        }
        if !f.is_finite() || g.iter().chain(h.iter()).any(|v| !v.is_finite()) {
            return Some(f64::INFINITY);
        }
        Some(f)
    }
}

/// Outcome of the minimiser.
#[derive(Debug, Clone)]
struct Optimum {
    x: Vec<f64>,
    f: f64,
    grad: Vec<f64>,
    iterations: usize,
    converged: bool,
    message: String,
    /// Stopped on a flat ridge running to the boundary (see [`BOUNDARY_ITERATIONS`]).
    boundary: bool,
    /// Log-parameter displacement over the flat steps (boundary stops only).
    ridge: Vec<f64>,
}

/// Largest accepted step (max |Δ log θ|) after which a differenced Hessian is reused for the
/// next iteration when the quadratic model predicted the decrease to within 25 %.
const CHORD_STEP: f64 = 0.05;

/// Consecutive accepted Newton steps that each move some log-parameter by at least
/// [`BOUNDARY_STEP`] while lowering the mean negative log-likelihood by less than
/// [`BOUNDARY_DECREASE`] (relative) before the minimiser concludes that the supremum lies at
/// the boundary of the parameter space (e.g. Pareto/NBD r, α → ∞ together: no
/// heterogeneity). Along such a ridge the objective approaches its limit like e^(−t) in the
/// log-parameters, so Newton keeps taking unit steps while gaining nothing measurable; the
/// gradient tolerance would only be met at parameters of ~1e9 after many more iterations.
const BOUNDARY_ITERATIONS: usize = 3;
/// See [`BOUNDARY_ITERATIONS`].
const BOUNDARY_STEP: f64 = 0.1;
/// See [`BOUNDARY_ITERATIONS`].
const BOUNDARY_DECREASE: f64 = 1e-9;
/// Slower creep towards the boundary (a nearly singular Hessian damps the steps): over this
/// many accepted iterations a log-parameter moved by at least 1/2 while the **total**
/// log-likelihood gained less than [`BOUNDARY_GAIN`].
const BOUNDARY_WINDOW: usize = 10;
/// See [`BOUNDARY_WINDOW`]: far below any difference of statistical meaning.
const BOUNDARY_GAIN: f64 = 1e-3;

/// Cholesky factorisation in place (lower triangle); false when not positive definite.
fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if !(d > 0.0 && d.is_finite()) {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    true
}

/// Solves L Lᵀ x = b given the factor from [`cholesky`].
fn cholesky_solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= l[i * n + k] * y[k];
        }
        y[i] /= l[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= l[k * n + i] * y[k];
        }
        y[i] /= l[i * n + i];
    }
    y
}

/// Inverse of a symmetric positive-definite matrix, `None` if it is not.
pub(crate) fn spd_inverse(h: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = h.to_vec();
    if !cholesky(&mut l, n) {
        return None;
    }
    let mut inv = vec![0.0; n * n];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let col = cholesky_solve(&l, n, &e);
        for i in 0..n {
            inv[i * n + j] = col[i];
        }
    }
    Some(inv)
}

/// Hessian by differences of the gradient: forward (p evaluations) or central (2p).
fn fd_hessian(c: &mut Counted<'_>, x: &[f64], g0: &[f64], central: bool) -> Option<Vec<f64>> {
    let n = x.len();
    let mut h = vec![0.0; n * n];
    let mut gp = vec![0.0; n];
    let mut gm = vec![0.0; n];
    // 1e-5 for forward differences too: truncation error ~1e-5 relative only slows Newton's
    // final convergence marginally, while a smaller step amplifies gradient rounding noise
    // (large near a boundary, e.g. Pareto/NBD at r ~ 1e6) into a useless Hessian.
    let step = 1e-5;
    for i in 0..n {
        let mut xp = x.to_vec();
        xp[i] += step;
        if !c.eval(&xp, &mut gp).is_finite() {
            return None;
        }
        if central {
            let mut xm = x.to_vec();
            xm[i] -= step;
            if !c.eval(&xm, &mut gm).is_finite() {
                return None;
            }
            for j in 0..n {
                h[i * n + j] = (gp[j] - gm[j]) / (2.0 * step);
            }
        } else {
            for j in 0..n {
                h[i * n + j] = (gp[j] - g0[j]) / step;
            }
        }
    }
    for i in 0..n {
        for j in 0..i {
            let s = 0.5 * (h[i * n + j] + h[j * n + i]);
            h[i * n + j] = s;
            h[j * n + i] = s;
        }
    }
    Some(h)
}

/// `[a, b, …]` with two decimals.
fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:+.2}")).collect();
    format!("[{}]", parts.join(", "))
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Damped Newton (Levenberg–Marquardt) from `x0`.
fn minimize(c: &mut Counted<'_>, x0: &[f64], opts: &FitOptions, start: Instant) -> Optimum {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut mu = 0.0_f64;
    let mut gn = vec![0.0; n];
    let mut iterations = 0;
    // Exact Hessian at the current point, when the objective provides one.
    let mut hn = vec![0.0; n * n];
    let mut has_hessian = false;
    let mut h_cur: Option<Vec<f64>> = None;
    let mut f = match c.eval_hessian(&x, &mut g, &mut hn) {
        Some(v) => {
            if v.is_finite() {
                h_cur = Some(hn.clone());
            }
            v
        }
        None => c.eval(&x, &mut g),
    };
    let out = |x: Vec<f64>, f: f64, grad: Vec<f64>, it: usize, ok: bool, msg: String| Optimum {
        x,
        f,
        grad,
        iterations: it,
        converged: ok,
        message: msg,
        boundary: false,
        ridge: Vec::new(),
    };
    // Flat-ridge detection (see BOUNDARY_ITERATIONS): consecutive flat steps and the
    // log-parameter displacement over them.
    let mut flat_steps = 0usize;
    // A differenced Hessian kept for one more iteration (chord step), see CHORD_STEP.
    let mut h_reuse: Option<Vec<f64>> = None;
    let mut ridge_start = x.clone();
    // Accepted iterates (x, f), for the slower-creep test over BOUNDARY_WINDOW iterations.
    let mut history: Vec<(Vec<f64>, f64)> = vec![(x.clone(), f)];
    let n_weight = c.obj.total_weight().max(1.0);
    if !f.is_finite() {
        return out(x, f, g, 0, false, "not finite at the start".into());
    }
    loop {
        let gmax = max_abs(&g);
        if gmax <= opts.gradient_tolerance {
            return out(x, f, g, iterations, true, "converged".into());
        }
        if iterations >= opts.max_iterations {
            return out(
                x,
                f,
                g,
                iterations,
                false,
                format!(
                    "iteration budget of {} reached (gradient {gmax:.2e})",
                    opts.max_iterations
                ),
            );
        }
        if c.evaluations >= opts.max_evaluations {
            return out(
                x,
                f,
                g,
                iterations,
                false,
                format!(
                    "evaluation budget of {} reached (gradient {gmax:.2e})",
                    opts.max_evaluations
                ),
            );
        }
        if let Some(budget) = opts.time_budget
            && start.elapsed() > budget
        {
            return out(
                x,
                f,
                g,
                iterations,
                false,
                format!("time budget of {budget:?} reached (gradient {gmax:.2e})"),
            );
        }
        iterations += 1;
        let analytic = h_cur.take();
        let stale = h_reuse.take();
        let h = match analytic.or(stale).or_else(|| fd_hessian(c, &x, &g, false)) {
            Some(h) => h,
            None => {
                // Hessian probe left the finite region: fall back to a scaled gradient.
                let mut h = vec![0.0; n * n];
                for i in 0..n {
                    h[i * n + i] = 1.0;
                }
                h
            }
        };
        let scale = (0..n).map(|i| h[i * n + i].abs()).fold(1e-12, f64::max);
        let mut accepted = false;
        for _ in 0..60 {
            let mut a = h.clone();
            for i in 0..n {
                a[i * n + i] += mu * scale;
            }
            if !cholesky(&mut a, n) {
                mu = (mu * 10.0).max(1e-6);
                continue;
            }
            let neg: Vec<f64> = g.iter().map(|v| -v).collect();
            let mut d = cholesky_solve(&a, n, &neg);
            let m = max_abs(&d);
            if m > 3.0 {
                d.iter_mut().for_each(|v| *v *= 3.0 / m);
            }
            let xn: Vec<f64> = x.iter().zip(&d).map(|(a, b)| a + b).collect();
            let fnew = match c.eval_hessian(&xn, &mut gn, &mut hn) {
                Some(v) => {
                    has_hessian = true;
                    v
                }
                None => c.eval(&xn, &mut gn),
            };
            let mut hd = 0.0;
            for i in 0..n {
                for j in 0..n {
                    hd += d[i] * h[i * n + j] * d[j];
                }
            }
            let gd: f64 = g.iter().zip(&d).map(|(a, b)| a * b).sum();
            let pred = -(gd + 0.5 * hd);
            if fnew.is_finite() && fnew <= f {
                let rho = if pred > 0.0 { (f - fnew) / pred } else { 1.0 };
                // Chord step: keep a differenced Hessian for the next iteration when the
                // quadratic model predicted this short step well (saves p evaluations per
                // iteration in the final, nearly quadratic phase).
                if !has_hessian && rho > 0.75 && rho < 1.25 && max_abs(&d) < CHORD_STEP {
                    h_reuse = Some(h.clone());
                }
                if rho > 0.75 {
                    mu *= 0.2;
                    if mu < 1e-10 {
                        mu = 0.0;
                    }
                } else if rho < 0.25 {
                    mu = (mu * 4.0).max(1e-6);
                }
                let small_change = (f - fnew) <= 1e-15 * f.abs().max(1.0) && max_abs(&d) < 1e-9;
                if f - fnew < BOUNDARY_DECREASE * f.abs().max(1.0) && max_abs(&d) >= BOUNDARY_STEP {
                    if flat_steps == 0 {
                        ridge_start.clone_from(&x);
                    }
                    flat_steps += 1;
                } else {
                    flat_steps = 0;
                }
                x = xn;
                f = fnew;
                std::mem::swap(&mut g, &mut gn);
                if has_hessian {
                    h_cur = Some(hn.clone());
                }
                accepted = true;
                if small_change {
                    // A step below 1e-9 that gains nothing: the iteration has stalled at
                    // rounding level (Levenberg–Marquardt would otherwise keep shrinking it).
                    let gmax = max_abs(&g);
                    let ok = gmax < 1e-6;
                    return out(
                        x,
                        f,
                        g,
                        iterations,
                        ok,
                        if ok {
                            "converged (no further decrease at rounding level)".into()
                        } else {
                            format!(
                                "stalled: no further decrease at rounding level (gradient \
                                 {gmax:.2e})"
                            )
                        },
                    );
                }
                history.push((x.clone(), f));
                // Creeping along a ridge: over the last BOUNDARY_WINDOW iterations the total
                // log-likelihood gained less than BOUNDARY_GAIN while a log-parameter moved by
                // at least 1/2.
                let window = (history.len() > BOUNDARY_WINDOW)
                    .then(|| &history[history.len() - 1 - BOUNDARY_WINDOW]);
                let creeping = window.is_some_and(|(x_old, f_old)| {
                    (f_old - f) * n_weight < BOUNDARY_GAIN
                        && x.iter().zip(x_old).any(|(a, b)| (a - b).abs() >= 0.5)
                });
                // Creeping without getting anywhere (an ill-conditioned valley: tiny damped
                // steps, each gaining a little): stop too, saying so.
                if !creeping
                    && let Some((x_old, f_old)) = window
                    && (f_old - f) * n_weight < BOUNDARY_GAIN
                {
                    let moved: Vec<f64> = x.iter().zip(x_old).map(|(a, b)| a - b).collect();
                    let gmax = max_abs(&g);
                    let mut o = out(
                        x,
                        f,
                        g,
                        iterations,
                        false,
                        format!(
                            "stopped: the log-likelihood gained less than {BOUNDARY_GAIN:e} over \
                             the last {BOUNDARY_WINDOW} iterations (log-parameters moved by {}; \
                             gradient {gmax:.2e}): a flat, ill-conditioned ridge",
                            fmt_vec(&moved)
                        ),
                    );
                    o.boundary = true;
                    o.ridge = moved;
                    return o;
                }
                if creeping {
                    ridge_start.clone_from(&history[history.len() - 1 - BOUNDARY_WINDOW].0);
                    flat_steps = BOUNDARY_WINDOW;
                }
                if flat_steps >= BOUNDARY_ITERATIONS || creeping {
                    let moved: Vec<f64> = x.iter().zip(&ridge_start).map(|(a, b)| a - b).collect();
                    let gmax = max_abs(&g);
                    let mut o = out(
                        x,
                        f,
                        g,
                        iterations,
                        false,
                        format!(
                            "stopped at a boundary: over the last {flat_steps} iterations the \
                             log-parameters moved by {} while the log-likelihood hardly changed \
                             (gradient {gmax:.2e}); the maximum is approached as parameters \
                             diverge, the estimates are a point on that ridge",
                            fmt_vec(&moved)
                        ),
                    );
                    o.boundary = true;
                    o.ridge = moved;
                    return o;
                }
                break;
            }
            mu = (mu * 10.0).max(1e-6);
            if c.evaluations >= opts.max_evaluations {
                break;
            }
        }
        if !accepted {
            let gmax = max_abs(&g);
            let ok = gmax < 1e-6;
            return out(
                x,
                f,
                g,
                iterations,
                ok,
                if ok {
                    "converged (no further decrease at rounding level)".into()
                } else {
                    format!("line search failed to decrease the objective (gradient {gmax:.2e})")
                },
            );
        }
    }
}

/// Deterministic alternative starts around `x0` (tried when the first start fails).
fn alternative_starts(x0: &[f64]) -> Vec<Vec<f64>> {
    let n = x0.len();
    let mut out = Vec::new();
    for shift in [1.0, -1.0, 2.0, -2.0] {
        out.push(x0.iter().map(|v| v + shift).collect());
        out.push(
            x0.iter()
                .enumerate()
                .map(|(i, v)| v + if i % 2 == 0 { shift } else { -shift })
                .collect(),
        );
    }
    out.push(vec![0.0; n]);
    out
}

/// Fits a model: minimises the penalised mean negative log-likelihood from the model's (or
/// the options') starting values, retrying from deterministic alternative starts when the
/// first does not converge, then reports the estimates, standard errors, intervals and
/// information criteria. `model` is the name recorded in the report.
///
/// # Errors
/// [`FitError::Options`] for invalid options, [`FitError::NonFiniteStart`] when the
/// likelihood is not finite at any start. A fit that stops without converging is not an
/// error: the report says `converged: false` and why.
pub fn fit_objective(
    model: &'static str,
    obj: &dyn Objective,
    opts: &FitOptions,
) -> Result<FitReport, FitError> {
    let names = obj.param_names();
    let k = names.len();
    opts.check(k)?;
    let start = Instant::now();
    let mut c = Counted {
        obj,
        penalizer: opts.penalizer_coef,
        evaluations: 0,
    };
    let x0 = opts
        .initial_log_params
        .clone()
        .unwrap_or_else(|| obj.initial_log_params());
    let mut best = minimize(&mut c, &x0, opts, start);
    let mut total_iterations = best.iterations;
    // A boundary stop is not retried: the objective fell monotonically from the start onto a
    // ridge whose limit is the supremum along that path.
    if !best.converged && !best.boundary {
        for alt in alternative_starts(&x0) {
            if c.evaluations >= opts.max_evaluations
                || opts.time_budget.is_some_and(|b| start.elapsed() > b)
            {
                break;
            }
            let o = minimize(&mut c, &alt, opts, start);
            total_iterations += o.iterations;
            let better = o.f.is_finite() && (!best.f.is_finite() || o.f < best.f - 1e-12);
            if (o.converged && (!best.converged || better)) || (!best.converged && better) {
                best = o;
            }
            if best.converged {
                break;
            }
        }
    }
    if !best.f.is_finite() {
        return Err(FitError::NonFiniteStart(format!("log-parameters {x0:?}")));
    }
    let params: Vec<f64> = best.x.iter().map(|v| v.exp()).collect();
    let mut g = vec![0.0; k];
    let mean_nll = obj.value_and_gradient(&best.x, &mut g);
    let w = obj.total_weight();
    let log_likelihood = -mean_nll * w;
    let mut message = best.message.clone();
    let (mut std_errors, mut ci_low, mut ci_high, mut log_covariance) = (None, None, None, None);
    let mut g_h = vec![0.0; k];
    let mut h_exact = vec![0.0; k * k];
    let exact = match c.eval_hessian(&best.x, &mut g_h, &mut h_exact) {
        Some(v) if v.is_finite() => Some(h_exact),
        _ => None,
    };
    match exact.or_else(|| fd_hessian(&mut c, &best.x, &best.grad, true)) {
        Some(h) => {
            let ht: Vec<f64> = h.iter().map(|v| v * w).collect();
            match spd_inverse(&ht, k) {
                Some(cov) if (0..k).all(|i| cov[i * k + i] > 0.0 && cov[i * k + i].is_finite()) => {
                    let se_log: Vec<f64> = (0..k).map(|i| cov[i * k + i].sqrt()).collect();
                    std_errors = Some(params.iter().zip(&se_log).map(|(p, s)| p * s).collect());
                    ci_low = Some(
                        best.x
                            .iter()
                            .zip(&se_log)
                            .map(|(l, s)| (l - 1.96 * s).exp())
                            .collect(),
                    );
                    ci_high = Some(
                        best.x
                            .iter()
                            .zip(&se_log)
                            .map(|(l, s)| (l + 1.96 * s).exp())
                            .collect(),
                    );
                    log_covariance = Some(cov);
                }
                _ => message.push_str(
                    "; the Hessian is not positive definite at the estimate (a parameter may be at \
                     a boundary or not identified): no standard errors",
                ),
            }
        }
        None => message.push_str("; the Hessian could not be evaluated: no standard errors"),
    }
    if !best.converged && best.x.iter().any(|v| v.abs() > MAX_LOG_PARAM - 1.0) {
        message.push_str("; a parameter is diverging towards 0 or infinity");
    }
    if best.boundary {
        let diverging: Vec<String> = names
            .iter()
            .zip(&best.x)
            .zip(&best.ridge)
            .filter(|(_, d)| d.abs() >= 0.5)
            .map(|((n, x), d)| {
                format!(
                    "{n} → {} (now {:.4e})",
                    if *d > 0.0 { "∞" } else { "0" },
                    x.exp()
                )
            })
            .collect();
        if !diverging.is_empty() {
            message.push_str(&format!("; diverging: {}", diverging.join(", ")));
        }
    }
    let kf = k as f64;
    Ok(FitReport {
        model,
        param_names: names,
        params,
        std_errors,
        ci_low,
        ci_high,
        log_covariance,
        log_likelihood,
        aic: 2.0 * kf - 2.0 * log_likelihood,
        bic: kf * w.ln() - 2.0 * log_likelihood,
        n_customers: w,
        n_rows_distinct: obj.n_distinct(),
        iterations: total_iterations,
        evaluations: c.evaluations,
        converged: best.converged,
        message,
        penalizer_coef: opts.penalizer_coef,
        extras: Vec::new(),
    })
}

/// Checks an analytic gradient against central differences of the value (test helper):
/// returns the largest relative discrepancy.
pub fn gradient_check(obj: &dyn Objective, log_params: &[f64]) -> f64 {
    let n = log_params.len();
    let mut g = vec![0.0; n];
    obj.value_and_gradient(log_params, &mut g);
    let mut scratch = vec![0.0; n];
    let mut worst = 0.0_f64;
    for i in 0..n {
        let h = 1e-6;
        let mut xp = log_params.to_vec();
        xp[i] += h;
        let mut xm = log_params.to_vec();
        xm[i] -= h;
        let fd = (obj.value_and_gradient(&xp, &mut scratch)
            - obj.value_and_gradient(&xm, &mut scratch))
            / (2.0 * h);
        worst = worst.max((fd - g[i]).abs() / g[i].abs().max(1e-3));
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean NLL of a normal sample with log-σ and log-μ parameters: a smooth test objective.
    struct Quadratic;
    impl Objective for Quadratic {
        fn param_names(&self) -> &'static [&'static str] {
            &["u", "v"]
        }
        fn total_weight(&self) -> f64 {
            10.0
        }
        fn n_distinct(&self) -> usize {
            1
        }
        fn value_and_gradient(&self, lp: &[f64], g: &mut [f64]) -> f64 {
            // minimum at u = 2, v = 0.5
            let (u, v) = (lp[0].exp(), lp[1].exp());
            g[0] = 2.0 * (u - 2.0) * u;
            g[1] = 2.0 * (v - 0.5) * v;
            (u - 2.0).powi(2) + (v - 0.5).powi(2)
        }
        fn initial_log_params(&self) -> Vec<f64> {
            vec![3.0, -3.0]
        }
    }

    #[test]
    fn minimises_and_reports() {
        let r = fit_objective("test", &Quadratic, &FitOptions::default()).unwrap();
        assert!(r.converged, "{}", r.message);
        assert!((r.params[0] - 2.0).abs() < 1e-9);
        assert!((r.params[1] - 0.5).abs() < 1e-9);
        // Hessian of 10·f in u: 20 → var(u) = 1/20; se(log u) = sqrt(1/20)/2 (delta).
        let se = r.std_errors.unwrap();
        assert!((se[0] - (1.0_f64 / 20.0).sqrt()).abs() < 1e-6, "{se:?}");
    }

    #[test]
    fn compresses_identical_rows() {
        let d = RfmData::from_columns(
            &[0.0, 1.0, 0.0, 1.0],
            &[0.0, 2.0, 0.0, 2.0],
            &[5.0, 5.0, 5.0, 5.0],
            None,
        )
        .unwrap();
        assert_eq!(d.n_distinct(), 2);
        assert_eq!(d.weights(), &[2.0, 2.0]);
        assert_eq!(d.total_weight(), 4.0);
    }

    #[test]
    fn validation_names_rows() {
        let e = RfmData::from_columns(&[0.0, 1.5], &[0.0, 1.0], &[2.0, 2.0], None).unwrap_err();
        assert_eq!(e.to_string(), "row 1: frequency 1.5 is not a whole number");
        let e = RfmData::from_columns(&[1.0], &[3.0], &[2.0], None).unwrap_err();
        assert!(matches!(e, DataError::RecencyAfterT { row: 0, .. }));
        let e = RfmData::from_columns(&[1.0], &[f64::NAN], &[2.0], None).unwrap_err();
        assert!(matches!(e, DataError::NotFinite { row: 0, .. }));
        let e = RfmData::from_columns(&[-1.0], &[0.0], &[2.0], None).unwrap_err();
        assert!(matches!(e, DataError::Negative { row: 0, .. }));
        let e = RfmData::from_columns(&[1.0], &[1.0], &[2.0], Some(&[0.0])).unwrap_err();
        assert!(matches!(e, DataError::BadWeight { row: 0, .. }));
    }
}
