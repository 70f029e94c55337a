//! Cox proportional hazards: h(t | x) = h₀(t) exp(xᵀβ) (Cox 1972).
//!
//! **Partial likelihood with ties** (Therneau & Grambsch 2000, §3.3; Kalbfleisch &
//! Prentice 2002, §4.2.3). At a distinct event time with d events D and risk set R
//! (duration ≥ t), with wᵢ = exp(ηᵢ), ηᵢ = xᵢᵀβ, S₀ = Σ_R wᵢ, S₁ = Σ_R wᵢxᵢ,
//! S₂ = Σ_R wᵢxᵢxᵢᵀ and D₀, D₁, D₂ the same sums over D:
//! - Efron (1977, JASA 72, eq. 3.6): ℓ += Σ_D ηᵢ − Σ_{l=0}^{d−1} ln(S₀ − (l/d) D₀);
//! - Breslow (1974): the same with l/d replaced by 0 (d copies of ln S₀).
//!
//! With aₗ = S₀ − f D₀, mₗ = (S₁ − f D₁)/aₗ (f = l/d or 0), the score is
//! Σ_D xᵢ − Σₗ mₗ and the information Σₗ [(S₂ − f D₂)/aₗ − mₗmₗᵀ] (Therneau & Grambsch
//! eqs. 3.16–3.18). The fit is Newton–Raphson from β = 0 with step halving whenever the
//! log-likelihood does not increase (Therneau & Grambsch §3.4), on covariates centred at
//! their means (which changes neither β nor ℓ); it stops when every step is below
//! 10⁻¹⁰ · max(1, |βⱼ|).
//!
//! **Inference** (Klein & Moeschberger 2003, §8.3): standard errors from the inverse
//! information at β̂; Wald z = β/se with two-sided normal p; hazard ratio exp(β) with
//! interval exp(β ± z·se); likelihood-ratio test 2(ℓ(β̂) − ℓ(0)) ~ χ²_p.
//!
//! **Concordance** (Harrell et al. 1982, JAMA 247; Harrell, Lee & Mark 1996): the share of
//! comparable pairs in which the subject with the higher risk score xᵀβ̂ has the event
//! first; a pair is comparable when the shorter duration ends in an event (equal durations:
//! when exactly one of the two is an event, the event being the shorter); equal risk scores
//! count ½. The same pairs as lifelines' `concordance_index`; computed in O(n log n).
//!
//! **Proportional-hazards check** ([`PhTest`]): the test of Grambsch & Therneau (1994,
//! Biometrika 81) on scaled Schoenfeld residuals, as R's `cox.zph` computed it before
//! survival 3.0 and lifelines' `proportional_hazard_test` does. Schoenfeld residual of event
//! i: rᵢ = xᵢ − x̄(tᵢ), with x̄ the Efron-weighted mean of the risk set (for Efron ties the
//! mean of the d means mₗ; Breslow: S₁/S₀). With g the transformed event times centred at
//! their mean, u = Σᵢ gᵢrᵢ, V the covariance of β̂ and d events: per covariate
//! Tⱼ = d (Vu)ⱼ² / (Vⱼⱼ Σg²) ~ χ²₁, global T = d uᵀVu / Σg² ~ χ²_p. The default transform is
//! `km` (g = 1 − Ŝ(t), R's default), `identity` uses the time itself.

// Index loops read as the matrix formulas they implement.
#![allow(clippy::needless_range_loop)]

use crate::linalg::{Mat, chol_inverse, cholesky};
use crate::stats::{check_confidence, chi2_sf, normal_two_sided_p, z_for};
use crate::{KmOptions, SurvivalError, check_input, kaplan_meier};
use std::collections::BTreeSet;

/// How tied event times enter the partial likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ties {
    /// Efron (1977): the default, close to the exact partial likelihood (R's default).
    #[default]
    Efron,
    /// Breslow (1974): simpler, biased towards 0 with many ties.
    Breslow,
}

impl Ties {
    /// `efron` or `breslow`.
    pub fn as_str(self) -> &'static str {
        match self {
            Ties::Efron => "efron",
            Ties::Breslow => "breslow",
        }
    }
}

/// Time transform of the proportional-hazards test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeTransform {
    /// g(t) = 1 − Ŝ(t), the Kaplan–Meier estimate of all subjects (R's `cox.zph` default).
    #[default]
    Km,
    /// g(t) = t.
    Identity,
}

impl TimeTransform {
    /// `km` or `identity`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeTransform::Km => "km",
            TimeTransform::Identity => "identity",
        }
    }
}

/// Options of [`fit_cox`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoxOptions {
    /// Tie handling (default Efron).
    pub ties: Ties,
    /// Confidence level of the hazard-ratio intervals (default 0.95).
    pub confidence: f64,
    /// Most Newton iterations (default 100).
    pub max_iterations: usize,
    /// Time transform of the proportional-hazards test (default `km`).
    pub ph_transform: TimeTransform,
    /// Significance level below which the proportional-hazards test warns (default 0.05).
    pub ph_alpha: f64,
}

impl Default for CoxOptions {
    fn default() -> Self {
        CoxOptions {
            ties: Ties::Efron,
            confidence: 0.95,
            max_iterations: 100,
            ph_transform: TimeTransform::Km,
            ph_alpha: 0.05,
        }
    }
}

/// The covariate matrix of a Cox model: named numeric columns, one value per subject.
///
/// A categorical covariate with levels L₁ < L₂ < … (sorted as text) becomes one 0/1 column
/// `name=Lₖ` per level except the first, which is the reference: each hazard ratio compares
/// a level with the reference level (R's default treatment contrasts).
///
/// ```
/// use comeback_survival::Design;
/// # fn main() -> Result<(), comeback_survival::SurvivalError> {
/// let mut x = Design::new(4);
/// x.numeric("age", vec![30.0, 41.0, 52.0, 28.0])?;
/// x.categorical("channel", &["web", "store", "web", "ads"])?;
/// assert_eq!(x.names(), ["age", "channel=store", "channel=web"]);
/// assert_eq!(x.reference_levels(), [("channel".to_string(), "ads".to_string())]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Design {
    n: usize,
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
    reference_levels: Vec<(String, String)>,
}

impl Design {
    /// An empty design for `n` subjects.
    pub fn new(n: usize) -> Self {
        Design {
            n,
            ..Design::default()
        }
    }

    /// Number of subjects.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Column names, in order (dummy columns as `name=level`).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Column `j`, one value per subject.
    pub fn column(&self, j: usize) -> &[f64] {
        &self.columns[j]
    }

    /// (covariate, reference level) of every categorical covariate.
    pub fn reference_levels(&self) -> &[(String, String)] {
        &self.reference_levels
    }

    fn check_name(&self, name: &str) -> Result<(), SurvivalError> {
        if name.trim().is_empty() {
            return Err(SurvivalError::Design("a covariate name is empty".into()));
        }
        if self.names.iter().any(|n| n == name) {
            return Err(SurvivalError::Design(format!("\"{name}\" is given twice")));
        }
        Ok(())
    }

    /// Adds a numeric covariate.
    ///
    /// # Errors
    /// [`SurvivalError::LengthMismatch`] unless one value per subject,
    /// [`SurvivalError::InvalidCovariate`] for a non-finite value,
    /// [`SurvivalError::Design`] for an empty or repeated name.
    pub fn numeric(&mut self, name: &str, values: Vec<f64>) -> Result<&mut Self, SurvivalError> {
        self.check_name(name)?;
        if values.len() != self.n {
            return Err(SurvivalError::LengthMismatch {
                what: "covariate values",
                expected: self.n,
                found: values.len(),
            });
        }
        if let Some((i, &v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(SurvivalError::InvalidCovariate {
                name: name.to_string(),
                index: i,
                value: v,
            });
        }
        self.names.push(name.to_string());
        self.columns.push(values);
        Ok(self)
    }

    /// Adds a categorical covariate as dummy columns (see the type's docs).
    ///
    /// # Errors
    /// [`SurvivalError::LengthMismatch`] unless one label per subject,
    /// [`SurvivalError::Design`] for an empty or repeated name or fewer than two levels.
    pub fn categorical<S: AsRef<str>>(
        &mut self,
        name: &str,
        labels: &[S],
    ) -> Result<&mut Self, SurvivalError> {
        self.check_name(name)?;
        if labels.len() != self.n {
            return Err(SurvivalError::LengthMismatch {
                what: "covariate labels",
                expected: self.n,
                found: labels.len(),
            });
        }
        let levels: BTreeSet<&str> = labels.iter().map(AsRef::as_ref).collect();
        if levels.len() < 2 {
            return Err(SurvivalError::Design(format!(
                "categorical covariate \"{name}\" has {} level(s); it needs two or more",
                levels.len()
            )));
        }
        let mut it = levels.iter();
        let reference = it.next().map(|s| s.to_string()).unwrap_or_default();
        for level in it {
            let col_name = format!("{name}={level}");
            self.check_name(&col_name)?;
            let col = labels
                .iter()
                .map(|l| if l.as_ref() == *level { 1.0 } else { 0.0 })
                .collect();
            self.names.push(col_name);
            self.columns.push(col);
        }
        self.reference_levels.push((name.to_string(), reference));
        Ok(self)
    }
}

/// One covariate of a [`PhTest`].
#[derive(Debug, Clone, PartialEq)]
pub struct PhTestRow {
    /// The covariate (column) name.
    pub name: String,
    /// Chi-square statistic, 1 degree of freedom.
    pub statistic: f64,
    /// Its p-value.
    pub p_value: f64,
}

/// The scaled-Schoenfeld-residual test of proportional hazards (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct PhTest {
    /// The time transform used.
    pub transform: TimeTransform,
    /// One test per covariate.
    pub covariates: Vec<PhTestRow>,
    /// The global statistic, p degrees of freedom.
    pub global_statistic: f64,
    /// Degrees of freedom of the global test.
    pub global_df: usize,
    /// Its p-value.
    pub global_p_value: f64,
    /// A plain-language warning when the global test or a covariate's test has p below the
    /// chosen level; `None` when the assumption is not contradicted.
    pub warning: Option<String>,
}

/// A fitted Cox model. Vectors are parallel to `names`.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxModel {
    /// Covariate (column) names.
    pub names: Vec<String>,
    /// β̂: log hazard ratios per unit of each covariate.
    pub coefficients: Vec<f64>,
    /// Standard errors of β̂.
    pub std_errors: Vec<f64>,
    /// Wald z = β̂ / se.
    pub z: Vec<f64>,
    /// Two-sided Wald p-values.
    pub p_values: Vec<f64>,
    /// exp(β̂).
    pub hazard_ratios: Vec<f64>,
    /// Lower ends of the hazard-ratio intervals, exp(β̂ − z se).
    pub ci_low: Vec<f64>,
    /// Upper ends, exp(β̂ + z se).
    pub ci_high: Vec<f64>,
    /// Covariance matrix of β̂ (inverse information), row-major.
    pub covariance: Vec<Vec<f64>>,
    /// Partial log-likelihood at β̂.
    pub log_likelihood: f64,
    /// Partial log-likelihood at β = 0.
    pub null_log_likelihood: f64,
    /// Likelihood-ratio statistic 2(ℓ(β̂) − ℓ(0)).
    pub lr_statistic: f64,
    /// Its degrees of freedom (number of covariates).
    pub lr_df: usize,
    /// Its p-value.
    pub lr_p_value: f64,
    /// Harrell's concordance of xᵀβ̂ (`None` without a comparable pair).
    pub concordance: Option<f64>,
    /// Number of subjects.
    pub n: usize,
    /// Number of events.
    pub events: usize,
    /// Newton iterations used.
    pub iterations: usize,
    /// The options used.
    pub options: CoxOptions,
    /// The proportional-hazards check.
    pub ph_test: PhTest,
}

/// Fits a Cox proportional-hazards model.
///
/// # Errors
/// The input errors of [`kaplan_meier`]; [`SurvivalError::LengthMismatch`] when `design`
/// is not for `durations.len()` subjects; [`SurvivalError::Design`] without covariates;
/// [`SurvivalError::NoEvents`]; [`SurvivalError::Collinear`] for a constant or dependent
/// covariate; [`SurvivalError::NotConverged`] when Newton–Raphson does not converge
/// (perfect separation); [`SurvivalError::InvalidOption`] for a confidence level or
/// `ph_alpha` outside (0, 1) or zero iterations.
pub fn fit_cox(
    durations: &[f64],
    events: &[bool],
    design: &Design,
    options: &CoxOptions,
) -> Result<CoxModel, SurvivalError> {
    check_input(durations, events)?;
    check_confidence(options.confidence)?;
    if !(options.ph_alpha > 0.0 && options.ph_alpha < 1.0) {
        return Err(SurvivalError::InvalidOption {
            name: "ph_alpha",
            value: options.ph_alpha.to_string(),
            expected: "a number strictly between 0 and 1",
        });
    }
    if options.max_iterations == 0 {
        return Err(SurvivalError::InvalidOption {
            name: "max_iterations",
            value: "0".into(),
            expected: "at least 1",
        });
    }
    if design.n != durations.len() {
        return Err(SurvivalError::LengthMismatch {
            what: "covariate rows",
            expected: durations.len(),
            found: design.n,
        });
    }
    let p = design.names.len();
    if p == 0 {
        return Err(SurvivalError::Design("no covariate given".into()));
    }
    let n_events = events.iter().filter(|&&e| e).count();
    if n_events == 0 {
        return Err(SurvivalError::NoEvents {
            what: "the Cox model",
            n: durations.len(),
        });
    }
    let data = Data::new(durations, events, design);
    for j in 0..p {
        if data.range[j] == 0.0 {
            return Err(SurvivalError::Collinear {
                name: design.names[j].clone(),
            });
        }
    }
    let beta0 = vec![0.0; p];
    let null = data.eval(&beta0, options.ties);
    cholesky(&null.info).map_err(|j| SurvivalError::Collinear {
        name: design.names[j].clone(),
    })?;

    // Newton–Raphson with step halving.
    let mut beta = beta0;
    let mut cur = null.clone();
    let mut iterations = 0;
    let mut converged = false;
    while iterations < options.max_iterations {
        iterations += 1;
        let l = match cholesky(&cur.info) {
            Ok(l) => l,
            Err(j) => {
                return Err(SurvivalError::Collinear {
                    name: design.names[j].clone(),
                });
            }
        };
        let step = crate::linalg::chol_solve(&l, &cur.score);
        let small = step
            .iter()
            .zip(&beta)
            .all(|(s, b)| s.abs() <= 1e-10 * b.abs().max(1.0));
        let mut scale = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect();
            let e = data.eval(&trial, options.ties);
            if e.ll.is_finite() && e.ll >= cur.ll - 1e-12 * cur.ll.abs().max(1.0) {
                accepted = Some((trial, e));
                break;
            }
            scale *= 0.5;
        }
        let Some((trial, e)) = accepted else {
            // No step improves the likelihood. At a maximum the Newton step is then at
            // rounding level; a step that is still large means the log-likelihood has
            // flattened while a coefficient runs to infinity (monotone likelihood, a
            // covariate that separates: R's coxph warns "Loglik converged before variable").
            if let Some(j) = (0..p).find(|&j| step[j].abs() > 1e-6 * beta[j].abs().max(1.0)) {
                return Err(SurvivalError::NotConverged {
                    iterations,
                    largest: design.names[j].clone(),
                    value: beta[j],
                });
            }
            converged = true;
            break;
        };
        beta = trial;
        cur = e;
        if small {
            converged = true;
            break;
        }
        // Perfect separation (monotone likelihood): a coefficient that makes exp(xβ) span
        // e^30 ≈ 10¹³ over the data. Past that the extreme rows' terms fall below the
        // rounding of the log-likelihood, Newton steps of about one unit stop changing it,
        // and where the iteration happens to stop depends on rounding (row order).
        if let Some(j) = (0..p).find(|&j| beta[j].abs() * data.range[j] > 30.0) {
            return Err(SurvivalError::NotConverged {
                iterations,
                largest: design.names[j].clone(),
                value: beta[j],
            });
        }
    }
    if !converged {
        let j = (0..p)
            .max_by(|&a, &b| beta[a].abs().total_cmp(&beta[b].abs()))
            .unwrap_or(0);
        return Err(SurvivalError::NotConverged {
            iterations,
            largest: design.names[j].clone(),
            value: beta[j],
        });
    }
    let l = cholesky(&cur.info).map_err(|j| SurvivalError::Collinear {
        name: design.names[j].clone(),
    })?;
    let covariance = chol_inverse(&l);
    let zc = z_for(options.confidence);
    let std_errors: Vec<f64> = (0..p).map(|j| covariance[j][j].sqrt()).collect();
    let z: Vec<f64> = (0..p).map(|j| beta[j] / std_errors[j]).collect();
    let lr_statistic = (2.0 * (cur.ll - null.ll)).max(0.0);
    let eta = data.eta(&beta);
    let concordance = concordance_index(durations, events, &eta)?;
    let ph_test = ph_test(&data, &beta, &covariance, options, &design.names)?;
    Ok(CoxModel {
        names: design.names.clone(),
        p_values: z.iter().map(|&z| normal_two_sided_p(z)).collect(),
        hazard_ratios: beta.iter().map(|b| b.exp()).collect(),
        ci_low: (0..p)
            .map(|j| (beta[j] - zc * std_errors[j]).exp())
            .collect(),
        ci_high: (0..p)
            .map(|j| (beta[j] + zc * std_errors[j]).exp())
            .collect(),
        coefficients: beta,
        std_errors,
        z,
        covariance,
        log_likelihood: cur.ll,
        null_log_likelihood: null.ll,
        lr_statistic,
        lr_df: p,
        lr_p_value: chi2_sf(lr_statistic, p as f64),
        concordance,
        n: durations.len(),
        events: n_events,
        iterations,
        options: *options,
        ph_test,
    })
}

/// Subjects sorted by decreasing duration, covariates centred, row-major.
struct Data {
    p: usize,
    /// Durations in decreasing order.
    time: Vec<f64>,
    event: Vec<bool>,
    /// Centred covariates, row-major (n × p), in the sorted order.
    x: Vec<f64>,
    /// Position in the caller's order of each sorted subject.
    original: Vec<usize>,
    /// max − min of each covariate.
    range: Vec<f64>,
}

/// Log-likelihood, score and information at one β.
#[derive(Clone)]
struct Eval {
    ll: f64,
    score: Vec<f64>,
    info: Mat,
}

impl Data {
    fn new(durations: &[f64], events: &[bool], design: &Design) -> Self {
        let n = durations.len();
        let p = design.names.len();
        let mut order: Vec<usize> = (0..n).collect();
        // Decreasing duration; ties in the caller's order (irrelevant to every result).
        order.sort_by(|&a, &b| durations[b].total_cmp(&durations[a]));
        let means: Vec<f64> = design
            .columns
            .iter()
            .map(|c| c.iter().sum::<f64>() / n as f64)
            .collect();
        let range = design
            .columns
            .iter()
            .map(|c| {
                let (lo, hi) = c
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                        (lo.min(v), hi.max(v))
                    });
                hi - lo
            })
            .collect();
        let mut x = Vec::with_capacity(n * p);
        for &i in &order {
            for j in 0..p {
                x.push(design.columns[j][i] - means[j]);
            }
        }
        Data {
            p,
            time: order.iter().map(|&i| durations[i]).collect(),
            event: order.iter().map(|&i| events[i]).collect(),
            x,
            original: order,
            range,
        }
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.p..(i + 1) * self.p]
    }

    /// xᵢᵀβ in the caller's order.
    fn eta(&self, beta: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.time.len()];
        for i in 0..self.time.len() {
            out[self.original[i]] = dot(self.row(i), beta);
        }
        out
    }

    /// Calls `f(start, end)` for each block of equal durations (decreasing).
    fn blocks(&self, mut f: impl FnMut(usize, usize)) {
        let mut start = 0;
        while start < self.time.len() {
            let mut end = start + 1;
            while end < self.time.len() && self.time[end] == self.time[start] {
                end += 1;
            }
            f(start, end);
            start = end;
        }
    }

    fn eval(&self, beta: &[f64], ties: Ties) -> Eval {
        let p = self.p;
        let mut ll = 0.0;
        let mut score = vec![0.0; p];
        let mut info = vec![vec![0.0; p]; p];
        let (mut s0, mut s1, mut s2) = (0.0, vec![0.0; p], vec![vec![0.0; p]; p]);
        self.blocks(|start, end| {
            let (mut d0, mut d1, mut d2) = (0.0, vec![0.0; p], vec![vec![0.0; p]; p]);
            let mut d = 0usize;
            for i in start..end {
                let xi = self.row(i);
                let eta = dot(xi, beta);
                let w = eta.exp();
                s0 += w;
                add_outer(&mut s1, &mut s2, xi, w);
                if self.event[i] {
                    d += 1;
                    d0 += w;
                    add_outer(&mut d1, &mut d2, xi, w);
                    ll += eta;
                    for j in 0..p {
                        score[j] += xi[j];
                    }
                }
            }
            for l in 0..d {
                let f = match ties {
                    Ties::Efron => l as f64 / d as f64,
                    Ties::Breslow => 0.0,
                };
                let a = s0 - f * d0;
                ll -= a.ln();
                let m: Vec<f64> = (0..p).map(|j| (s1[j] - f * d1[j]) / a).collect();
                for j in 0..p {
                    score[j] -= m[j];
                    for k in 0..p {
                        info[j][k] += (s2[j][k] - f * d2[j][k]) / a - m[j] * m[k];
                    }
                }
            }
        });
        Eval { ll, score, info }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn add_outer(s1: &mut [f64], s2: &mut [Vec<f64>], x: &[f64], w: f64) {
    for j in 0..x.len() {
        s1[j] += w * x[j];
        for k in 0..x.len() {
            s2[j][k] += w * x[j] * x[k];
        }
    }
}

/// The proportional-hazards test at the fitted β (module docs).
fn ph_test(
    data: &Data,
    beta: &[f64],
    covariance: &Mat,
    options: &CoxOptions,
    names: &[String],
) -> Result<PhTest, SurvivalError> {
    let p = data.p;
    // Transformed event times and Schoenfeld residuals, one per event.
    let g_of: Box<dyn Fn(f64) -> f64> = match options.ph_transform {
        TimeTransform::Identity => Box::new(|t| t),
        TimeTransform::Km => {
            let km = kaplan_meier(&data.time, &data.event, &KmOptions::default())?;
            Box::new(move |t| 1.0 - km.survival_at(t))
        }
    };
    let mut g = Vec::new();
    let mut resid: Vec<Vec<f64>> = Vec::new();
    let (mut s0, mut s1) = (0.0, vec![0.0; p]);
    data.blocks(|start, end| {
        let (mut d0, mut d1) = (0.0, vec![0.0; p]);
        let mut d = 0usize;
        for i in start..end {
            let xi = data.row(i);
            let w = dot(xi, beta).exp();
            s0 += w;
            for j in 0..p {
                s1[j] += w * xi[j];
            }
            if data.event[i] {
                d += 1;
                d0 += w;
                for j in 0..p {
                    d1[j] += w * xi[j];
                }
            }
        }
        if d == 0 {
            return;
        }
        let mut mean = vec![0.0; p];
        for l in 0..d {
            let f = match options.ties {
                Ties::Efron => l as f64 / d as f64,
                Ties::Breslow => 0.0,
            };
            let a = s0 - f * d0;
            for j in 0..p {
                mean[j] += (s1[j] - f * d1[j]) / a / d as f64;
            }
        }
        let gt = g_of(data.time[start]);
        for i in start..end {
            if data.event[i] {
                let xi = data.row(i);
                resid.push((0..p).map(|j| xi[j] - mean[j]).collect());
                g.push(gt);
            }
        }
    });
    let d = g.len() as f64;
    let gbar = g.iter().sum::<f64>() / d;
    let mut u = vec![0.0; p];
    let mut sgg = 0.0;
    for (gi, r) in g.iter().zip(&resid) {
        let c = gi - gbar;
        sgg += c * c;
        for j in 0..p {
            u[j] += c * r[j];
        }
    }
    let vu: Vec<f64> = (0..p).map(|j| dot(&covariance[j], &u)).collect();
    let (covariates, global_statistic) = if sgg > 0.0 {
        let rows: Vec<PhTestRow> = (0..p)
            .map(|j| {
                let s = d * vu[j] * vu[j] / (covariance[j][j] * sgg);
                PhTestRow {
                    name: names[j].clone(),
                    statistic: s,
                    p_value: chi2_sf(s, 1.0),
                }
            })
            .collect();
        (rows, d * dot(&u, &vu) / sgg)
    } else {
        // All events at one time: nothing can change over time.
        let rows = names
            .iter()
            .map(|n| PhTestRow {
                name: n.clone(),
                statistic: 0.0,
                p_value: 1.0,
            })
            .collect();
        (rows, 0.0)
    };
    let global_p_value = chi2_sf(global_statistic, p as f64);
    let failing: Vec<&PhTestRow> = covariates
        .iter()
        .filter(|r: &&PhTestRow| r.p_value < options.ph_alpha)
        .collect();
    let warning = if failing.is_empty() && global_p_value >= options.ph_alpha {
        None
    } else {
        let who = if failing.is_empty() {
            "the covariates taken together".to_string()
        } else {
            failing
                .iter()
                .map(|r| format!("{} (p = {:.3})", r.name, r.p_value))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Some(format!(
            "proportional hazards doubtful: the effect of {who} changes over follow-up time \
             (global test p = {global_p_value:.3}); a hazard ratio is then only an average over \
             time — read it with care, or split follow-up into periods or stratify on that covariate"
        ))
    };
    Ok(PhTest {
        transform: options.ph_transform,
        covariates,
        global_statistic,
        global_df: p,
        global_p_value,
        warning,
    })
}

/// Harrell's concordance index of risk scores (higher = expected to have the event
/// sooner) against right-censored durations; comparable pairs and ties as in the module
/// docs. `Ok(None)` when no pair is comparable.
///
/// # Errors
/// The input errors of [`kaplan_meier`]; [`SurvivalError::LengthMismatch`] for `risk`;
/// [`SurvivalError::InvalidCovariate`] for a non-finite risk score.
pub fn concordance_index(
    durations: &[f64],
    events: &[bool],
    risk: &[f64],
) -> Result<Option<f64>, SurvivalError> {
    check_input(durations, events)?;
    if risk.len() != durations.len() {
        return Err(SurvivalError::LengthMismatch {
            what: "risk scores",
            expected: durations.len(),
            found: risk.len(),
        });
    }
    if let Some((i, &v)) = risk.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(SurvivalError::InvalidCovariate {
            name: "risk score".into(),
            index: i,
            value: v,
        });
    }
    // Ranks of the risk scores (equal scores share a rank), for a Fenwick tree of counts.
    let mut sorted: Vec<f64> = risk.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let rank = |v: f64| sorted.partition_point(|&s| s < v);
    let m = sorted.len();
    let mut tree = vec![0u64; m + 1];
    let add = |tree: &mut [u64], r: usize| {
        let mut i = r + 1;
        while i <= m {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    };
    // Number of inserted scores with rank < r.
    let below = |tree: &[u64], r: usize| {
        let mut s = 0;
        let mut i = r;
        while i > 0 {
            s += tree[i];
            i -= i & i.wrapping_neg();
        }
        s
    };
    let mut order: Vec<usize> = (0..durations.len()).collect();
    order.sort_by(|&a, &b| durations[b].total_cmp(&durations[a]));
    let (mut concordant, mut tied, mut pairs) = (0u64, 0u64, 0u64);
    let mut inserted = 0u64;
    let mut start = 0;
    while start < order.len() {
        let t = durations[order[start]];
        let mut end = start;
        while end < order.len() && durations[order[end]] == t {
            end += 1;
        }
        // Censored at t are comparable with events at t (they outlived them).
        for &i in &order[start..end] {
            if !events[i] {
                add(&mut tree, rank(risk[i]));
                inserted += 1;
            }
        }
        for &i in &order[start..end] {
            if events[i] {
                let r = rank(risk[i]);
                let lo = below(&tree, r);
                let eq = below(&tree, r + 1) - lo;
                concordant += lo;
                tied += eq;
                pairs += inserted;
            }
        }
        for &i in &order[start..end] {
            if events[i] {
                add(&mut tree, rank(risk[i]));
                inserted += 1;
            }
        }
        start = end;
    }
    Ok((pairs > 0).then(|| (concordant as f64 + 0.5 * tied as f64) / pairs as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairwise definition, for checking the O(n log n) count.
    fn naive(t: &[f64], e: &[bool], r: &[f64]) -> Option<f64> {
        let (mut num, mut pairs) = (0.0, 0.0);
        for a in 0..t.len() {
            for b in 0..t.len() {
                let comparable = e[a] && (t[a] < t[b] || (t[a] == t[b] && !e[b]));
                if comparable {
                    pairs += 1.0;
                    num += if r[a] > r[b] {
                        1.0
                    } else if r[a] == r[b] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        (pairs > 0.0).then(|| num / pairs)
    }

    #[test]
    fn concordance_matches_the_pairwise_definition() {
        let t = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0];
        let e = [true, true, false, true, false, true, true, false];
        let r = [0.9, 0.3, 0.3, 0.5, 0.1, 0.5, 0.2, 0.2];
        let fast = concordance_index(&t, &e, &r).unwrap().unwrap();
        assert!((fast - naive(&t, &e, &r).unwrap()).abs() < 1e-15);
        assert_eq!(concordance_index(&[1.0], &[true], &[0.0]).unwrap(), None);
    }

    #[test]
    fn single_binary_covariate_without_ties_matches_a_hand_score() {
        // With one covariate the score at β = 0 is Σ_events (x_i − mean of risk set).
        let t = [1.0, 2.0, 3.0, 4.0];
        let e = [true, true, true, true];
        let mut x = Design::new(4);
        x.numeric("g", vec![1.0, 0.0, 1.0, 0.0]).unwrap();
        let data = Data::new(&t, &e, &x);
        let ev = data.eval(&[0.0], Ties::Efron);
        // Risk sets {1..4}: mean ½, {2..4}: ⅓, {3,4}: ½, {4}: 0 → score ½ − ⅓ + ½ − 0.
        assert!((ev.score[0] - (0.5 - 1.0 / 3.0 + 0.5)).abs() < 1e-12);
        // ℓ(0) = −ln(4·3·2·1).
        assert!((ev.ll + 24f64.ln()).abs() < 1e-12);
    }
}
