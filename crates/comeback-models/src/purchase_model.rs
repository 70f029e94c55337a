//! A purchase model chosen at run time (BG/NBD, MBG/NBD or Pareto/NBD), and the retention
//! what-if built on it.
//!
//! `comeback analyze` compares the three models and keeps one; [`PurchaseModel`] lets the
//! rest of the pipeline treat the choice as one value. On top of it:
//!
//! - [`PurchaseModel::survival_if_alive`]: the probability that a customer who is alive now
//!   is still alive `t` later, given the customer's history. Closed forms:
//!   - BG/NBD: given alive at T, λ ~ Gamma(r + x, α + T) and p ~ Beta(a, b + x)
//!     independently (the "alive" term of FHL 2005 eq. 3 is (1 − p)^x λ^x e^{−λT}); a
//!     dropout follows each future purchase with probability p, so
//!     P(alive at T + t | λ, p) = E[(1 − p)^{N(t)}] = e^{−λpt} with N(t) ~ Poisson(λt);
//!     integrating λ gives (1 + pt/(α + T))^{−(r+x)} and integrating p gives
//!     ₂F₁(r + x, a; a + b + x; −t/(α + T)) (Euler's integral, DLMF 15.6.1).
//!   - MBG/NBD (Batislam et al. 2007): the same with p ~ Beta(a, b + x + 1), because a
//!     dropout can also follow the first purchase.
//!   - Pareto/NBD (SMC 1987): given alive at T, μ ~ Gamma(s, β + T), so
//!     P = E[e^{−μt}] = ((β + T)/(β + T + t))^s.
//! - [`PurchaseModel::with_dropout_scaled`]: the same model with the dropout process scaled by
//!   k (k < 1 keeps customers longer): BG/NBD and MBG/NBD keep a + b and set a' = k·a,
//!   b' = a + b − k·a, so E(p) = a/(a + b) is multiplied by k; Pareto/NBD sets β' = β/k, so
//!   E(μ) = s/β is multiplied by k.
//! - [`retention_what_if`]: the k for which the 12-month survival of the currently alive
//!   base rises by X points (bisection), with the survival before and after.

use crate::bgnbd::{BgNbd, MbgNbd};
use crate::fit::{FitError, FitOptions, FitReport, ParamError, Rfm, RfmData};
use crate::hyp2f1::try_hyp2f1;
use crate::pareto_nbd::ParetoNbd;
use crate::transaction::TransactionModel;

/// Which purchase model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PurchaseModelKind {
    /// BG/NBD (Fader, Hardie & Lee 2005).
    BgNbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007).
    MbgNbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987).
    ParetoNbd,
}

impl PurchaseModelKind {
    /// All kinds, in the order analyze compares them.
    pub const ALL: [PurchaseModelKind; 3] = [
        PurchaseModelKind::BgNbd,
        PurchaseModelKind::MbgNbd,
        PurchaseModelKind::ParetoNbd,
    ];

    /// The name as printed in papers and reports: `BG/NBD`, `MBG/NBD`, `Pareto/NBD`.
    pub fn display_name(self) -> &'static str {
        match self {
            PurchaseModelKind::BgNbd => "BG/NBD",
            PurchaseModelKind::MbgNbd => "MBG/NBD",
            PurchaseModelKind::ParetoNbd => "Pareto/NBD",
        }
    }

    /// The name on the command line: `bgnbd`, `mbgnbd`, `pareto-nbd`.
    pub fn cli_name(self) -> &'static str {
        match self {
            PurchaseModelKind::BgNbd => BgNbd::NAME,
            PurchaseModelKind::MbgNbd => MbgNbd::NAME,
            PurchaseModelKind::ParetoNbd => "pareto-nbd",
        }
    }

    /// Maximum-likelihood fit of this kind.
    ///
    /// # Errors
    /// The model's [`FitError`].
    pub fn fit(
        self,
        data: &RfmData,
        opts: &FitOptions,
    ) -> Result<(PurchaseModel, FitReport), FitError> {
        Ok(match self {
            PurchaseModelKind::BgNbd => {
                let f = BgNbd::fit(data, opts)?;
                (PurchaseModel::BgNbd(f.model), f.report)
            }
            PurchaseModelKind::MbgNbd => {
                let f = MbgNbd::fit(data, opts)?;
                (PurchaseModel::MbgNbd(f.model), f.report)
            }
            PurchaseModelKind::ParetoNbd => {
                let f = ParetoNbd::fit(data, opts)?;
                (PurchaseModel::ParetoNbd(f.model), f.report)
            }
        })
    }

    /// A model of this kind from its parameter vector (paper order).
    ///
    /// # Errors
    /// [`ParamError`] for a wrong length or a non-positive parameter.
    pub fn from_params(self, v: &[f64]) -> Result<PurchaseModel, ParamError> {
        Ok(match self {
            PurchaseModelKind::BgNbd => PurchaseModel::BgNbd(BgNbd::from_params(v)?),
            PurchaseModelKind::MbgNbd => PurchaseModel::MbgNbd(MbgNbd::from_params(v)?),
            PurchaseModelKind::ParetoNbd => match v {
                [r, alpha, s, beta] => {
                    PurchaseModel::ParetoNbd(ParetoNbd::new(*r, *alpha, *s, *beta)?)
                }
                _ => {
                    return Err(ParamError::Undefined(format!(
                        "expected 4 parameters (r, alpha, s, beta), got {}",
                        v.len()
                    )));
                }
            },
        })
    }
}

/// A fitted purchase model of one of the three kinds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PurchaseModel {
    /// BG/NBD.
    BgNbd(BgNbd),
    /// MBG/NBD.
    MbgNbd(MbgNbd),
    /// Pareto/NBD.
    ParetoNbd(ParetoNbd),
}

macro_rules! dispatch {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            PurchaseModel::BgNbd($m) => $e,
            PurchaseModel::MbgNbd($m) => $e,
            PurchaseModel::ParetoNbd($m) => $e,
        }
    };
}

impl TransactionModel for PurchaseModel {
    fn name(&self) -> &'static str {
        dispatch!(self, m => TransactionModel::name(m))
    }
    fn param_names(&self) -> &'static [&'static str] {
        dispatch!(self, m => TransactionModel::param_names(m))
    }
    fn params(&self) -> Vec<f64> {
        dispatch!(self, m => TransactionModel::params(m))
    }
    fn log_likelihood(&self, c: &Rfm) -> f64 {
        dispatch!(self, m => TransactionModel::log_likelihood(m, c))
    }
    fn p_alive(&self, c: &Rfm) -> f64 {
        dispatch!(self, m => TransactionModel::p_alive(m, c))
    }
    fn expected_purchases(&self, t: f64) -> f64 {
        dispatch!(self, m => TransactionModel::expected_purchases(m, t))
    }
    fn conditional_expected_purchases(&self, c: &Rfm, t: f64) -> f64 {
        dispatch!(self, m => TransactionModel::conditional_expected_purchases(m, c, t))
    }
    fn prob_purchases(&self, t: f64, n: u64) -> f64 {
        dispatch!(self, m => TransactionModel::prob_purchases(m, t, n))
    }
    fn dert(&self, c: &Rfm, delta: f64) -> Option<f64> {
        dispatch!(self, m => TransactionModel::dert(m, c, delta))
    }
}

impl PurchaseModel {
    /// The kind of this model.
    pub fn kind(&self) -> PurchaseModelKind {
        match self {
            PurchaseModel::BgNbd(_) => PurchaseModelKind::BgNbd,
            PurchaseModel::MbgNbd(_) => PurchaseModelKind::MbgNbd,
            PurchaseModel::ParetoNbd(_) => PurchaseModelKind::ParetoNbd,
        }
    }

    /// P(alive at T + t | alive at T, x, tₓ, T), t ≥ 0 in the data's unit (closed forms in
    /// the module docs). In [0, 1]; 1 at t = 0.
    pub fn survival_if_alive(&self, c: &Rfm, t: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        let x = c.frequency();
        let s = match self {
            PurchaseModel::BgNbd(m) => bg_survival(m.r(), m.alpha(), m.a(), m.b() + x, x, c.t(), t),
            PurchaseModel::MbgNbd(m) => {
                bg_survival(m.r(), m.alpha(), m.a(), m.b() + x + 1.0, x, c.t(), t)
            }
            PurchaseModel::ParetoNbd(m) => {
                ((m.beta() + c.t()) / (m.beta() + c.t() + t)).powf(m.s())
            }
        };
        if s.is_finite() {
            s.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// The same model with the dropout process scaled by `k` (> 0; module docs).
    ///
    /// # Errors
    /// [`ParamError`] when k is not positive, or (BG/NBD, MBG/NBD) k ≥ (a + b)/a, which would
    /// make b' ≤ 0.
    pub fn with_dropout_scaled(&self, k: f64) -> Result<PurchaseModel, ParamError> {
        if !(k.is_finite() && k > 0.0) {
            return Err(ParamError::NotPositive {
                name: "k",
                value: k,
            });
        }
        if k == 1.0 {
            return Ok(*self);
        }
        Ok(match self {
            PurchaseModel::BgNbd(m) => PurchaseModel::BgNbd(BgNbd::new(
                m.r(),
                m.alpha(),
                k * m.a(),
                m.a() + m.b() - k * m.a(),
            )?),
            PurchaseModel::MbgNbd(m) => PurchaseModel::MbgNbd(MbgNbd::new(
                m.r(),
                m.alpha(),
                k * m.a(),
                m.a() + m.b() - k * m.a(),
            )?),
            PurchaseModel::ParetoNbd(m) => {
                PurchaseModel::ParetoNbd(ParetoNbd::new(m.r(), m.alpha(), m.s(), m.beta() / k)?)
            }
        })
    }
}

/// E_p[(1 + pt/(α+T))^{−(r+x)}] for p ~ Beta(a, b_post) = ₂F₁(r + x, a; a + b_post; −t/(α+T)).
fn bg_survival(r: f64, alpha: f64, a: f64, b_post: f64, x: f64, big_t: f64, t: f64) -> f64 {
    let z = -t / (alpha + big_t);
    try_hyp2f1(r + x, a, a + b_post, z).unwrap_or(f64::NAN)
}

/// The alive-weighted survival of a customer base: Σᵢ P(aliveᵢ)·Sᵢ(t) / Σᵢ P(aliveᵢ), with
/// Sᵢ from [`PurchaseModel::survival_if_alive`]. `weights` multiplies each row (e.g. counts
/// of identical rows); `None` = 1 each. Returns 1 for an empty or all-dead base.
pub fn alive_base_survival(
    model: &PurchaseModel,
    rows: &[Rfm],
    p_alive: &[f64],
    weights: Option<&[f64]>,
    t: f64,
) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (i, c) in rows.iter().enumerate() {
        let w = p_alive.get(i).copied().unwrap_or(0.0) * weights.map_or(1.0, |w| w[i]);
        if w > 0.0 {
            num += w * model.survival_if_alive(c, t);
            den += w;
        }
    }
    if den > 0.0 { num / den } else { 1.0 }
}

/// The answer of [`retention_what_if`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetentionWhatIf {
    /// Requested rise in percentage points.
    pub points: f64,
    /// Dropout scale factor found (< 1 for a rise).
    pub k: f64,
    /// Survival of the alive base over `t` with the fitted model.
    pub survival_before: f64,
    /// … with the rescaled model (before + points/100 unless capped).
    pub survival_after: f64,
    /// True when the target was above what any k can reach and the largest reachable rise
    /// was used instead.
    pub capped: bool,
    /// The rescaled model.
    pub model: PurchaseModel,
}

/// Finds k such that the alive-base survival over `t` rises by `points` percentage points
/// (bisection on ln k to 1e-10; survival is decreasing in k). The base weights are the
/// current P(alive) of the fitted model; the rescaled model is applied to each customer's
/// history.
///
/// # Errors
/// [`ParamError`] when `points` is negative or not finite.
pub fn retention_what_if(
    model: &PurchaseModel,
    rows: &[Rfm],
    weights: Option<&[f64]>,
    t: f64,
    points: f64,
) -> Result<RetentionWhatIf, ParamError> {
    if !(points.is_finite() && points >= 0.0) {
        return Err(ParamError::Undefined(format!(
            "the retention rise must be ≥ 0 points, got {points}"
        )));
    }
    // Survival given alive depends on (x, T) only: one term per distinct (x, T), weighted by
    // the customers' current P(alive) (their weights summed).
    let mut base: Vec<(Rfm, f64)> = Vec::new();
    {
        let mut index = std::collections::HashMap::new();
        for (i, c) in rows.iter().enumerate() {
            let w = model.p_alive(c) * weights.map_or(1.0, |w| w[i]);
            let key = (c.frequency().to_bits(), c.t().to_bits());
            let j = *index.entry(key).or_insert_with(|| {
                base.push((*c, 0.0));
                base.len() - 1
            });
            base[j].1 += w;
        }
    }
    let (groups, alive): (Vec<Rfm>, Vec<f64>) = base.into_iter().unzip();
    let surv = |m: &PurchaseModel| alive_base_survival(m, &groups, &alive, None, t);
    let before = surv(model);
    let target = before + points / 100.0;
    let mut lo = 1e-6f64.ln(); // survival(lo) is the highest reachable
    let mut hi = 0.0f64; // k = 1
    let best = model.with_dropout_scaled(lo.exp())?;
    let reachable = surv(&best);
    if points == 0.0 {
        return Ok(RetentionWhatIf {
            points,
            k: 1.0,
            survival_before: before,
            survival_after: before,
            capped: false,
            model: *model,
        });
    }
    if reachable < target {
        return Ok(RetentionWhatIf {
            points,
            k: lo.exp(),
            survival_before: before,
            survival_after: reachable,
            capped: true,
            model: best,
        });
    }
    while hi - lo > 1e-10 {
        let mid = 0.5 * (lo + hi);
        let m = model.with_dropout_scaled(mid.exp())?;
        if surv(&m) >= target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let k = lo.exp();
    let m = model.with_dropout_scaled(k)?;
    Ok(RetentionWhatIf {
        points,
        k,
        survival_before: before,
        survival_after: surv(&m),
        capped: false,
        model: m,
    })
}

/// `n` draws of log-parameters from the normal approximation N(ln θ̂, Σ) of the
/// maximum-likelihood estimator (Σ: [`FitReport::log_covariance`], k × k row-major), for
/// parametric-bootstrap intervals of predictions. Deterministic for a seed. Returns no draws
/// when Σ is not positive definite or its size does not match θ̂.
pub fn draw_log_params(
    params: &[f64],
    log_covariance: &[f64],
    n: usize,
    seed: u64,
) -> Vec<Vec<f64>> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let k = params.len();
    let Some(l) = cholesky(log_covariance, k) else {
        return Vec::new();
    };
    let mean: Vec<f64> = params.iter().map(|p| p.ln()).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let z: Vec<f64> = (0..k).map(|_| StandardNormal.sample(&mut rng)).collect();
            (0..k)
                .map(|i| mean[i] + (0..=i).map(|j| l[i * k + j] * z[j]).sum::<f64>())
                .collect()
        })
        .collect()
}

/// Lower-triangular L with L·Lᵀ = a (k × k row-major), or `None` when a is not symmetric
/// positive definite.
fn cholesky(a: &[f64], k: usize) -> Option<Vec<f64>> {
    if a.len() != k * k {
        return None;
    }
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = a[i * k + j] - (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum::<f64>();
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i * k + i] = s.sqrt();
            } else {
                l[i * k + j] = s / l[j * k + j];
            }
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Rfm> {
        vec![
            Rfm::new(0.0, 0.0, 38.86).unwrap(),
            Rfm::new(2.0, 30.43, 38.86).unwrap(),
            Rfm::new(26.0, 30.86, 31.0).unwrap(),
            Rfm::new(5.0, 5.14, 37.29).unwrap(),
        ]
    }

    fn models() -> Vec<PurchaseModel> {
        vec![
            PurchaseModel::BgNbd(BgNbd::new(0.2426, 4.4135, 0.7929, 2.4258).unwrap()),
            PurchaseModel::MbgNbd(MbgNbd::new(0.5248, 6.183, 0.8914, 1.614).unwrap()),
            PurchaseModel::ParetoNbd(ParetoNbd::new(0.5533, 10.5775, 0.6062, 11.6676).unwrap()),
        ]
    }

    /// Monte Carlo check of the closed forms: draw (λ, p) or μ from the posterior given
    /// alive and average the survival probability; 50,000 draws of a quantity in [0, 1]
    /// give a standard error below 0.5/√50000 = 0.0022, so the tolerance is 0.009 (4 SE).
    #[test]
    fn survival_matches_posterior_monte_carlo() {
        use rand::SeedableRng;
        use rand_distr::{Beta, Distribution, Gamma};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let t = 52.0;
        for m in models() {
            for c in rows() {
                let (x, big_t) = (c.frequency(), c.t());
                let n = 50_000;
                let mut acc = 0.0;
                match m {
                    PurchaseModel::BgNbd(b) => {
                        let lam = Gamma::new(b.r() + x, 1.0 / (b.alpha() + big_t)).unwrap();
                        let p = Beta::new(b.a(), b.b() + x).unwrap();
                        for _ in 0..n {
                            acc += (-lam.sample(&mut rng) * p.sample(&mut rng) * t).exp();
                        }
                    }
                    PurchaseModel::MbgNbd(b) => {
                        let lam = Gamma::new(b.r() + x, 1.0 / (b.alpha() + big_t)).unwrap();
                        let p = Beta::new(b.a(), b.b() + x + 1.0).unwrap();
                        for _ in 0..n {
                            acc += (-lam.sample(&mut rng) * p.sample(&mut rng) * t).exp();
                        }
                    }
                    PurchaseModel::ParetoNbd(pm) => {
                        let mu = Gamma::new(pm.s(), 1.0 / (pm.beta() + big_t)).unwrap();
                        for _ in 0..n {
                            acc += (-mu.sample(&mut rng) * t).exp();
                        }
                    }
                }
                let mc = acc / n as f64;
                let s = m.survival_if_alive(&c, t);
                assert!(
                    (s - mc).abs() < 0.009,
                    "{:?} {:?}: closed form {s} vs Monte Carlo {mc}",
                    m.kind(),
                    c
                );
            }
        }
    }

    #[test]
    fn draws_have_the_requested_mean_and_covariance() {
        let cov = [0.04, 0.01, 0.01, 0.09];
        let l = cholesky(&cov, 2).unwrap();
        // L·Lᵀ reproduces the matrix.
        let back = [
            l[0] * l[0],
            l[0] * l[2],
            l[2] * l[0],
            l[2] * l[2] + l[3] * l[3],
        ];
        for (a, b) in back.iter().zip(&cov) {
            assert!((a - b).abs() < 1e-15);
        }
        assert!(
            cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none(),
            "not positive definite"
        );
        let d = draw_log_params(&[1.0, std::f64::consts::E], &cov, 20_000, 5);
        let m0 = d.iter().map(|v| v[0]).sum::<f64>() / d.len() as f64;
        let m1 = d.iter().map(|v| v[1]).sum::<f64>() / d.len() as f64;
        let c01 = d.iter().map(|v| (v[0] - m0) * (v[1] - m1)).sum::<f64>() / d.len() as f64;
        // Standard errors: 0.2/√20000 = 0.0014 for m0; ~0.0008 for c01.
        assert!(m0.abs() < 0.006 && (m1 - 1.0).abs() < 0.009, "{m0} {m1}");
        assert!((c01 - 0.01).abs() < 0.004, "{c01}");
    }

    #[test]
    fn scaling_moves_mean_dropout_by_k() {
        for m in models() {
            let s = m.with_dropout_scaled(0.5).unwrap();
            let (p0, p1) = (m.params(), s.params());
            match m.kind() {
                PurchaseModelKind::ParetoNbd => assert!((p1[3] - 2.0 * p0[3]).abs() < 1e-12),
                _ => {
                    assert!(
                        ((p1[2] / (p1[2] + p1[3])) - 0.5 * p0[2] / (p0[2] + p0[3])).abs() < 1e-12
                    );
                    assert!((p1[2] + p1[3] - p0[2] - p0[3]).abs() < 1e-12);
                }
            }
            assert_eq!(m.with_dropout_scaled(1.0).unwrap().params(), m.params());
        }
        assert!(
            models()[0].with_dropout_scaled(5.0).is_err(),
            "k ≥ (a+b)/a makes b' ≤ 0"
        );
    }

    #[test]
    fn what_if_reaches_the_target_and_survival_is_monotone() {
        for m in models() {
            let w = retention_what_if(&m, &rows(), None, 52.0, 5.0).unwrap();
            assert!(!w.capped);
            assert!(w.k < 1.0);
            assert!(
                (w.survival_after - w.survival_before - 0.05).abs() < 1e-9,
                "{w:?}"
            );
            let mut prev = 1.0;
            for t in [0.0, 1.0, 10.0, 52.0, 520.0] {
                let s = m.survival_if_alive(&rows()[1], t);
                assert!((0.0..=prev).contains(&s));
                prev = s;
            }
        }
    }
}
