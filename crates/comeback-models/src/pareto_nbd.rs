//! Pareto/NBD model (Schmittlein, Morrison & Colombo 1987, "Counting Your Customers: Who Are
//! They and What Will They Do Next?", Management Science 33(1):1–24; "SMC").
//!
//! Assumptions (SMC §2): while alive a customer buys as a Poisson process with rate λ; the
//! lifetime is exponential with rate μ; λ ~ Gamma(r, α) and μ ~ Gamma(s, β) (shape, rate),
//! independent across customers. Data per customer: x repeat purchases, the last at tₓ, in
//! (0, T]. Times are in the unit of the data; α and β are in that unit.
//!
//! | parameter | meaning | range |
//! |---|---|---|
//! | `r` | shape of the purchase-rate gamma | > 0 |
//! | `alpha` | rate (inverse scale) of the purchase-rate gamma | > 0 |
//! | `s` | shape of the dropout-rate gamma | > 0 |
//! | `beta` | rate of the dropout-rate gamma | > 0 |
//!
//! # Formulas
//! "FH" is Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related
//! Expressions" (brucehardie.com/notes/009): §3 likelihood, §4 mean, §5 P(alive), §6
//! conditional expectation. Equations (P1)–(P8) are numbered here.
//!
//! (P1) Likelihood (FH §3). Integrating the individual likelihood
//! λˣ e^(−(λ+μ)T) + λˣ μ ∫_{tₓ}^{T} e^(−(λ+μ)τ) dτ over the two gamma densities gives
//!
//!   L = Γ(r+x) αʳ βˢ / Γ(r) · [ (α+T)^(−(r+x)) (β+T)^(−s) + s·(I(tₓ) − I(T)) ],
//!   I(τ) = ∫_τ^∞ (α+u)^(−(r+x)) (β+u)^(−(s+1)) du,
//!
//! which is FH's expression: I(τ) = ₂F₁(r+s+x, s+1; r+s+x+1; (α−β)/(α+τ)) / ((r+s+x)(α+τ)^(r+s+x))
//! for α ≥ β, and the same with (α, r+x) and (β, s+1) exchanged for α < β.
//!
//! (P2) Evaluation of I(τ) (stable for both α ≥ β and α < β). Let M = max(α, β) with
//! exponent e_M (r+x if M = α, else s+1), m = min(α, β) with exponent e_m (the other one),
//! a = e_M + e_m − 1 = r+s+x, A = M+τ, B = m+τ and z = (M−m)/A ∈ [0, 1). Euler's transformation
//! (A&S 15.3.3) of FH's ₂F₁ gives
//!
//!   I(τ) = A^(−e_M) B^(1−e_m) S / a,   S = ₂F₁(1, e_M; a+1; z) = Σ_k (e_M)_k/(e_M+e_m)_k zᵏ,
//!
//! a series of positive terms whose ratio (e_M+k)/(e_M+e_m+k)·z never exceeds z: no
//! cancellation, no overflow (the powers are kept as logarithms), ~40 terms at z = 0.4 whatever
//! x is. Its derivatives with respect to e_M, e_m and z are accumulated term by term in the
//! same pass (∂ln(term_k)/∂e_M = Σ_{j<k} 1/(e_M+j) − 1/(e_M+e_m+j), ∂/∂e_m = −Σ_{j<k}
//! 1/(e_M+e_m+j)), so the gradient of the log-likelihood is exact and costs one pass, with no
//! derivative of ₂F₁ with respect to its parameters needed.
//!
//! (P3) z > 0.97 (m ≪ M and τ small): the series would need thousands of terms (up to 0.97,
//! ~1,300 cheap terms still cost less than the quadrature). Then
//! I(τ) = ∫_τ^{τ₁} (…) du + I(τ₁) with τ₁ = M − 2m, where z(τ₁) = 1/2 so (P2) converges fast;
//! the finite piece and its parameter derivatives (integrands times −ln(M+u), −ln(m+u),
//! −e_M/(M+u), −e_m/(m+u)) are computed by adaptive Gauss–Kronrod (7/15) quadrature in
//! w = ln(m+u) − ln(m+τ), with the integrand written relative to its value at w = 0 (so
//! neither the huge terms e_M ln(M+u) cancel nor the nodes are quantised when r or s ~ 1e9)
//! and the range cut where the integrand has fallen below e^−60. The split point cancels
//! from every derivative (Leibniz rule), so it is held fixed when differentiating.
//!
//! Huge parameters (a fit whose maximum lies at a boundary, e.g. r, α → ∞: the Poisson
//! limit). ln L is assembled as [ln Γ(r+x) − ln Γ(r) − x ln(α+T)] − r ln(1 + T/α)
//! − s ln(1 + T/β) + ln(W/E), the ln Γ ratio by Stirling differences for r ≥ 10³, and ln(W/E)
//! (= −ln P(alive)) from ln(1 + G/(α+tₓ))-type terms, so that no terms of size r·ln α cancel.
//!
//! (P4) P(alive) (FH §5): P(Ω > T | x, tₓ, T) = Γ(r+x)αʳβˢ/(Γ(r)(α+T)^(r+x)(β+T)ˢ) / L,
//! the first term of (P1) over the whole; computed as exp(ln E − ln W) with log-sum-exp.
//!
//! (P5) E[X(t)] (FH §4; SMC 1987): rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)], and rβ/α · ln(1+t/β)
//! at s = 1; evaluated as rβ/α · g(s−1, ln(1+t/β)) with g(c, u) = (1 − e^(−cu))/c (= u at c = 0)
//! through `expm1`, so s near 1 is exact.
//!
//! (P6) E[Y(t) | x, tₓ, T] (FH §6; SMC 1987): (r+x)(β+T)/((α+T)(s−1)) ·
//! [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive), with the same g.
//!
//! (P7) DERT (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for Customer
//! Base Analysis", JMR 42(4):415–430, Appendix): with continuous discount rate δ,
//! DERT = αʳ βˢ δ^(s−1) Γ(r+x+1) Ψ(s, s; δ(β+T)) / (Γ(r) (α+T)^(r+x+1) L), Ψ Tricomi's
//! confluent hypergeometric function of the second kind. Since z^(s−1) Ψ(s, s; z) =
//! ∫_0^∞ e^(−zy) (1+y)^(−s) dy (DLMF 13.4.4), this equals
//! P(alive) · (r+x)(β+T)/(α+T) · G(s, δ(β+T)), G(s, z) = ∫_0^∞ e^(−zy)(1+y)^(−s) dy,
//! i.e. P(alive)·E[λ | alive]·E[1/(δ+μ) | alive], finite for δ > 0 and decreasing in δ. G is
//! computed by adaptive Gauss–Kronrod quadrature in w = ln(1+y).
//!
//! (P8) P(X(t) = n) (Fader & Hardie 2006, "Deriving an Expression for P(X(t) = x) under the
//! Pareto/NBD Model", notes/012, §3–4, before their binomial expansion):
//! Γ(r+n)/(Γ(r) n!) (α/(α+t))ʳ (t/(α+t))ⁿ (β/(β+t))ˢ
//!   plus Γ(r+n) αʳ s βˢ/(Γ(r) n!) ∫_0^t τⁿ (α+τ)^(−(r+n)) (β+τ)^(−(s+1)) dτ,
//! the integral by adaptive Gauss–Kronrod quadrature (the closed form with n+1 ₂F₁ terms of
//! alternating sign cancels badly for large n).
//!
//! Accuracy: against 50-digit mpmath values of FH's ₂F₁ forms (committed under
//! `data/reference/mpmath/pareto_*`: α ≥ β and α < β, α = β, integer s, x up to 10⁴, T up to
//! 10⁴, recency 0 and = T, T = 0) the worst relative error is 2e-14 (ln L, P(alive),
//! conditional expectations, DERT) and 5e-14 (E[X(t)], P(X(t) = n)); against 50-digit
//! quadratures of (P1) at huge and tiny parameters (`pareto_nbd_huge.csv`: r up to 10¹²,
//! s up to 10⁸, β down to 10⁻³) 1e-14 (ln L, P(alive)).
//!
//! Speed: the objective ([`ParetoNbdObjective`]) shares ln(α+T), ln(β+T) per distinct T,
//! ln Γ, ψ and the series coefficients of (P2) per distinct x (each series is then four short
//! polynomials in z), I(tₓ) per distinct (x, tₓ) and I(T) per distinct (x, T), and combines
//! the terms of (P1) with one exp and one ln_1p per row. On CDNOW (1,016 distinct rows, 586
//! distinct (x, tₓ), 464 distinct (x, T)) one value-and-gradient takes ~120 µs and a fit (31
//! evaluations) ~4 ms in a release build (shared 2-core machine; lifetimes 0.11.3: 0.28 s);
//! the CDNOW master calibration summary (23,570 customers, 8,685 distinct rows) ~20 ms.
//! Anywhere in the region the minimiser explores (log-parameters within ±40) one evaluation
//! on CDNOW takes ~3.6 ms on average and ~11 ms at worst (400 random points; the (P3)
//! quadrature dominates), where it once took up to 0.5 s.

// Index loops over the fixed 4- and 5-component arrays read like the formulas.
#![allow(clippy::needless_range_loop)]

use crate::fit::{
    FitError, FitOptions, Fitted, Objective, ParamError, Rfm, RfmData, check_positive,
    fit_objective,
};
use crate::transaction::TransactionModel;
use special::Gamma;

/// A Pareto/NBD model with parameters r, α, s, β (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParetoNbd {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

/// Parameter names in the order of the parameter vector.
pub const PARAM_NAMES: &[&str] = &["r", "alpha", "s", "beta"];

impl ParetoNbd {
    /// A model with the given parameters.
    ///
    /// # Errors
    /// [`ParamError::NotPositive`] when a parameter is not a positive finite number.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self, ParamError> {
        Ok(ParetoNbd {
            r: check_positive("r", r)?,
            alpha: check_positive("alpha", alpha)?,
            s: check_positive("s", s)?,
            beta: check_positive("beta", beta)?,
        })
    }

    /// Shape r of the purchase-rate gamma.
    pub fn r(&self) -> f64 {
        self.r
    }
    /// Rate α of the purchase-rate gamma (per unit of time).
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// Shape s of the dropout-rate gamma.
    pub fn s(&self) -> f64 {
        self.s
    }
    /// Rate β of the dropout-rate gamma (per unit of time).
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// Fits r, α, s, β by maximum likelihood (P1) with the exact gradient (P2, P3), through
    /// [`fit_objective`] (damped Newton on the log-parameters). Deterministic start:
    /// r = s = 1/2, α = r·mean T / max(mean x, 0.1) (so that r/α is the observed purchase
    /// rate), β = mean T / 3 (a mean lifetime of the order of the observation window). On
    /// CDNOW this takes 6 Newton iterations (11 from r = s = 1, β = mean T); on 18 simulated
    /// data sets it was as fast or faster in 14.
    ///
    /// # Errors
    /// As [`fit_objective`].
    pub fn fit(data: &RfmData, opts: &FitOptions) -> Result<Fitted<ParetoNbd>, FitError> {
        let obj = ParetoNbdObjective::new(data);
        let mut report = fit_objective("pareto-nbd", &obj, opts)?;
        report.message.push_str(&boundary_note(&report.params));
        let p = &report.params;
        let model = ParetoNbd::new(p[0], p[1], p[2], p[3])
            .map_err(|e| FitError::Unfittable(format!("fitted parameters invalid: {e}")))?;
        Ok(Fitted { model, report })
    }

    /// Individual log-likelihood ln L(r, α, s, β | x, tₓ, T) (P1). Finite for every valid
    /// [`Rfm`] (x and T up to 10⁴ and beyond).
    pub fn log_likelihood(&self, c: &Rfm) -> f64 {
        self.row(c, false).ln_l
    }

    /// Individual log-likelihood and its gradient with respect to (r, α, s, β) (natural
    /// scale), from (P1)–(P3).
    pub fn log_likelihood_gradient(&self, c: &Rfm) -> (f64, [f64; 4]) {
        let e = self.row(c, true);
        (e.ln_l, e.grad)
    }

    /// P(alive at T | x, tₓ, T) (P4), in [0, 1].
    pub fn p_alive(&self, c: &Rfm) -> f64 {
        let e = self.row(c, false);
        (-e.l1q).exp().clamp(0.0, 1.0)
    }

    /// E[X(t)], expected repeat purchases of a new customer in (0, t] (P5). `t` ≥ 0, finite;
    /// NaN otherwise.
    pub fn expected_purchases(&self, t: f64) -> f64 {
        if !(t.is_finite() && t >= 0.0) {
            return f64::NAN;
        }
        self.r / self.alpha * self.beta * g(self.s - 1.0, (t / self.beta).ln_1p())
    }

    /// E[Y(t) | x, tₓ, T], expected purchases in (T, T + t] (P6). `t` ≥ 0, finite; NaN
    /// otherwise.
    pub fn conditional_expected_purchases(&self, c: &Rfm, t: f64) -> f64 {
        if !(t.is_finite() && t >= 0.0) {
            return f64::NAN;
        }
        let bt = self.beta + c.t();
        (self.r + c.frequency()) / (self.alpha + c.t())
            * bt
            * g(self.s - 1.0, (t / bt).ln_1p())
            * self.p_alive(c)
    }

    /// Discounted expected residual transactions (P7) with continuous discount rate
    /// `delta` > 0 per unit of time (an annual rate d over periods of length Δ corresponds to
    /// δ = ln(1 + d)/Δ).
    ///
    /// # Errors
    /// [`ParamError::Undefined`] when `delta` is not positive and finite, or the quadrature
    /// fails (not seen in tests).
    pub fn dert(&self, c: &Rfm, delta: f64) -> Result<f64, ParamError> {
        if !(delta.is_finite() && delta > 0.0) {
            return Err(ParamError::Undefined(format!(
                "DERT needs a positive discount rate, got {delta}"
            )));
        }
        let bt = self.beta + c.t();
        let gv = dert_g(self.s, delta * bt).ok_or_else(|| {
            ParamError::Undefined(format!(
                "DERT quadrature did not converge (s = {}, z = {})",
                self.s,
                delta * bt
            ))
        })?;
        Ok(self.p_alive(c) * (self.r + c.frequency()) / (self.alpha + c.t()) * bt * gv)
    }

    /// P(X(t) = n) for a new customer (P8). `t` ≥ 0, finite.
    ///
    /// # Errors
    /// [`ParamError::Undefined`] for an invalid `t` or when the quadrature fails.
    pub fn prob_purchases(&self, t: f64, n: u64) -> Result<f64, ParamError> {
        if !(t.is_finite() && t >= 0.0) {
            return Err(ParamError::Undefined(format!(
                "time must be finite and non-negative, got {t}"
            )));
        }
        let nf = n as f64;
        let (r, al, s, be) = (self.r, self.alpha, self.s, self.beta);
        if t == 0.0 {
            return Ok(if n == 0 { 1.0 } else { 0.0 });
        }
        let ln_k = Gamma::ln_gamma(r + nf).0 - Gamma::ln_gamma(r).0 - Gamma::ln_gamma(nf + 1.0).0;
        // Alive throughout (0, t]: the NBD term.
        let ln_nbd =
            ln_k + r * (al / (al + t)).ln() + nf * (t / (al + t)).ln() - s * (t / be).ln_1p();
        // Died at τ ∈ (0, t]: ∫_0^t τⁿ (α+τ)^(−(r+n)) (β+τ)^(−(s+1)) dτ.
        let ln_f = |tau: f64| -> f64 {
            let lt = if n == 0 { 0.0 } else { nf * tau.ln() };
            lt - (r + nf) * (al + tau).ln() - (s + 1.0) * (be + tau).ln()
        };
        let ln_int = ln_quad_0_t(ln_f, t).ok_or_else(|| {
            ParamError::Undefined(format!("P(X(t) = n) quadrature failed (t = {t}, n = {n})"))
        })?;
        let ln_dead = ln_k + r * al.ln() + s.ln() + s * be.ln() + ln_int;
        Ok(log_add(ln_nbd, ln_dead).exp().clamp(0.0, 1.0))
    }

    /// Everything per customer: ln L, ln of the "alive" term, ln W and optionally the gradient.
    fn row(&self, c: &Rfm, grad: bool) -> RowEval {
        let (r, al, s, be) = (self.r, self.alpha, self.s, self.beta);
        let x = c.frequency();
        let ln_c = Gamma::ln_gamma(r + x).0 - Gamma::ln_gamma(r).0 + r * al.ln() + s * be.ln();
        let dln_c = if grad {
            [
                (r + x).digamma() - r.digamma() + al.ln(),
                r / al,
                be.ln(),
                s / be,
            ]
        } else {
            [0.0; 4]
        };
        let pc = PerX { r, al, s, be, x };
        let ix = if c.recency() < c.t() {
            Some(pc.integral(c.recency(), grad))
        } else {
            None
        };
        let lg = Logs {
            lat: (al + c.t()).ln(),
            lbt: (be + c.t()).ln(),
            ln_s: s.ln(),
            tab: None,
            it: None,
        };
        let mut e = row_eval_with_tx(
            &pc,
            ln_c,
            &dln_c,
            (c.recency(), c.t()),
            &lg,
            ix.as_ref(),
            grad,
        );
        e.ln_l = ln_c_e(ln_gamma_ratio(r, x), r, x, al, s, be, c.t(), lg.lat) + e.l1q;
        e
    }
}

/// Shape above which a gamma mixing distribution is reported as degenerate (coefficient of
/// variation 1/√shape ≤ 3 %).
const DEGENERATE_SHAPE: f64 = 1e3;

/// What a fit at the edge of the parameter space means for Pareto/NBD (appended to the fit
/// message; empty inside). λ ~ Gamma(r, α) has mean r/α and coefficient of variation 1/√r,
/// so r, α → ∞ with r/α fixed is the Poisson limit (no heterogeneity in purchase rates, SMC
/// §2); likewise s, β → ∞ for exponential lifetimes with one dropout rate s/β; s → 0 puts
/// almost all customers at μ ≈ 0 (no dropout seen within the observation window).
fn boundary_note(p: &[f64]) -> String {
    let (r, al, s, be) = (p[0], p[1], p[2], p[3]);
    let mut notes = Vec::new();
    if r >= DEGENERATE_SHAPE {
        notes.push(format!(
            "r and alpha grow together (r = {r:.3e}): no heterogeneity in purchase rates, \
             the Poisson limit with one rate lambda = r/alpha = {:.6} per unit of time",
            r / al
        ));
    }
    if s >= DEGENERATE_SHAPE {
        notes.push(format!(
            "s and beta grow together (s = {s:.3e}): no heterogeneity in dropout rates, \
             exponential lifetimes with one rate mu = s/beta = {:.6} per unit of time",
            s / be
        ));
    }
    if s <= 1e-3 {
        notes.push(format!(
            "s is near 0 (s = {s:.3e}): almost no dropout is identified in the observation \
             window"
        ));
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!(
            "; the likelihood is maximised at a boundary of the parameter space (estimates are \
             a point on a flat ridge; only the limits below are identified): {}",
            notes.join("; ")
        )
    }
}

/// Parameters plus x: everything I(τ) needs.
#[derive(Debug, Clone, Copy)]
struct PerX {
    r: f64,
    al: f64,
    s: f64,
    be: f64,
    x: f64,
}

/// I(τ) = e^pow · sa, with `pow` the power prefactors of (P2) as a logarithm and `sa` = S/a
/// (a moderate positive number), and ∂ ln I/∂(r, α, s, β).
#[derive(Debug, Clone, Copy, Default)]
struct LnI {
    pow: f64,
    sa: f64,
    d: [f64; 4],
    /// ln(α+τ) and ln(β+τ), reused when differencing against τ = T.
    ln_at: f64,
    ln_bt: f64,
}

impl PerX {
    /// (e_M, M, e_m, m, α ≥ β).
    fn roles(&self) -> (f64, f64, f64, f64, bool) {
        if self.al >= self.be {
            (self.r + self.x, self.al, self.s + 1.0, self.be, true)
        } else {
            (self.s + 1.0, self.be, self.r + self.x, self.al, false)
        }
    }

    /// ln I(τ) of (P1) by (P2), or (P3) when z > 0.97.
    fn integral(&self, tau: f64, grad: bool) -> LnI {
        let (ln_at, ln_bt) = ((self.al + tau).ln(), (self.be + tau).ln());
        self.integral_with_logs(tau, ln_at, ln_bt, grad, None)
    }

    /// [`PerX::integral`] given ln(α+τ) and ln(β+τ) (shared across rows by the objective), and
    /// optionally the series coefficients tabulated for this x.
    fn integral_with_logs(
        &self,
        tau: f64,
        ln_at: f64,
        ln_bt: f64,
        grad: bool,
        tab: Option<&Recips>,
    ) -> LnI {
        let (em_big, m_big, em_small, m_small, alpha_is_max) = self.roles();
        let a = em_big + em_small - 1.0;
        let big_a = m_big + tau;
        let big_b = m_small + tau;
        let (ln_big_a, ln_big_b) = if alpha_is_max {
            (ln_at, ln_bt)
        } else {
            (ln_bt, ln_at)
        };
        let z = (m_big - m_small) / big_a;
        let pow = -em_big * ln_big_a + (1.0 - em_small) * ln_big_b;
        // Derivatives with respect to (e_M, M, e_m, m).
        let (sa, dd) = if z <= Z_SPLIT {
            let sr = s_series(em_big, em_small, z, grad, tab);
            let sa = sr.s / a;
            let dd = if grad {
                let inv_s = 1.0 / sr.s;
                [
                    -ln_big_a - 1.0 / a + sr.d_em_big * inv_s,
                    -em_big / big_a + sr.d_z * inv_s * big_b / (big_a * big_a),
                    -ln_big_b - 1.0 / a + sr.d_em_small * inv_s,
                    (1.0 - em_small) / big_b - sr.d_z * inv_s / big_a,
                ]
            } else {
                [0.0; 4]
            };
            (sa, dd)
        } else {
            split_integral(em_big, m_big, em_small, m_small, tau, pow)
        };
        let d = if !grad {
            [0.0; 4]
        } else if alpha_is_max {
            // e_M = r + x, M = α, e_m = s + 1, m = β.
            [dd[0], dd[1], dd[2], dd[3]]
        } else {
            // e_M = s + 1, M = β, e_m = r + x, m = α.
            [dd[2], dd[3], dd[0], dd[1]]
        };
        LnI {
            pow,
            sa,
            d,
            ln_at,
            ln_bt,
        }
    }
}

/// Above this z, I(τ) is split (P3).
const Z_SPLIT: f64 = 0.97;

/// Result of one evaluation of the per-customer likelihood.
#[derive(Debug, Clone, Copy)]
struct RowEval {
    ln_l: f64,
    /// ln(W/E) = −ln P(alive), accurate even when ln E and ln W are huge.
    l1q: f64,
    grad: [f64; 4],
}

/// Shared by many rows: ln(α+T), ln(β+T) (per distinct T), ln s, and the series
/// coefficients of this x.
#[derive(Debug, Clone, Copy)]
struct Logs<'t> {
    lat: f64,
    lbt: f64,
    ln_s: f64,
    tab: Option<&'t Recips>,
    /// I(T) when the caller has it already (the objective caches it per (x, T)).
    it: Option<LnI>,
}

/// Combines (P1): W = E + s(I(tₓ) − I(T)) in log space, and its gradient. `ix` is I(tₓ)
/// (`None` when tₓ = T).
fn row_eval_with_tx(
    pc: &PerX,
    ln_c: f64,
    dln_c: &[f64; 4],
    (tx, t): (f64, f64),
    lg: &Logs,
    ix: Option<&LnI>,
    grad: bool,
) -> RowEval {
    let (r, al, s, be, x) = (pc.r, pc.al, pc.s, pc.be, pc.x);
    let (lat, lbt) = (lg.lat, lg.lbt);
    let ln_e = -(r + x) * lat - s * lbt;
    let mut g = [0.0; 4];
    let Some(ix) = ix else {
        // tₓ = T: I(tₓ) − I(T) = 0.
        if grad {
            let de = [-lat, -(r + x) / (al + t), -lbt, -s / (be + t)];
            for k in 0..4 {
                g[k] = dln_c[k] + de[k];
            }
        }
        return RowEval {
            ln_l: ln_c + ln_e,
            l1q: 0.0,
            grad: g,
        };
    };
    let it = match lg.it {
        Some(it) => it,
        None => pc.integral_with_logs(t, lat, lbt, grad, lg.tab),
    };
    // d = ln I(T) − ln I(tₓ) ≤ 0. The power parts are differenced as logs, or through ln_1p
    // when tₓ is close to T (where the plain difference would lose digits).
    let (em_big, _, em_small, m_small, alpha_is_max) = pc.roles();
    let gap = t - tx;
    // la = ln((α+T)/(α+tₓ)), lb = ln((β+T)/(β+tₓ)): through ln_1p when tₓ is close to T or
    // the exponents they multiply are large (r, s ~ 1e9 at a boundary: a difference of
    // logarithms would lose ~e·ε), else from the logarithms already at hand.
    let (la, lb) = if gap < 0.5 * (m_small + tx) || r + x + s > 1e3 {
        ((gap / (al + tx)).ln_1p(), (gap / (be + tx)).ln_1p())
    } else {
        (lat - ix.ln_at, lbt - ix.ln_bt)
    };
    let (l_big, l_small) = if alpha_is_max { (la, lb) } else { (lb, la) };
    let dpow = -em_big * l_big + (1.0 - em_small) * l_small;
    // e^d = I(T)/I(tₓ) and 1 − e^d, without logarithms of the series unless e^d > 1/2
    // (then 1 − e^d comes from expm1 of the accurate d).
    let rho = it.sa / ix.sa;
    let mut ed = (dpow.exp() * rho).min(1.0);
    let one_minus_ed = if ed > 0.5 {
        let d = (dpow + rho.ln()).min(0.0);
        ed = d.exp();
        -d.exp_m1()
    } else {
        1.0 - ed
    };
    // W = E·(1 + q_ae), q_ae = s·I(tₓ)(1 − e^d)/E, directly when its exponent is moderate.
    // ln(s·e^pow(tₓ)/E) = ln s + (r+x) ln(1 + G/(α+tₓ)) + s ln(1 + G/(β+tₓ)) (+ ln(α+tₓ)
    // − ln(β+tₓ) when α < β, from the prefactor A^(−e_M) B^(1−e_m) of (P2)), G = T − tₓ:
    // free of the cancellation between the large terms of pow and ln E.
    let lr = lg.ln_s
        + (r + x) * la
        + s * lb
        + if alpha_is_max {
            0.0
        } else {
            ix.ln_at - ix.ln_bt
        };
    let (ln_w, e_is_hi, q) = if lr.abs() < 600.0 {
        let q_ae = lr.exp() * ix.sa * one_minus_ed;
        if q_ae <= 1.0 {
            (q_ae.ln_1p(), true, q_ae)
        } else {
            (q_ae.ln_1p(), false, 1.0 / q_ae)
        }
    } else {
        // ln of the second term relative to E.
        let la = lr + ix.sa.ln() + one_minus_ed.ln();
        let q = (-la.abs()).exp();
        (la.max(0.0) + q.ln_1p(), la <= 0.0, q)
    };
    // ln(W/E), and ln W.
    let l1q = ln_w;
    let ln_w = ln_e + l1q;
    if grad {
        let (w_e, w_a) = if e_is_hi {
            (1.0 / (1.0 + q), q / (1.0 + q))
        } else {
            (q / (1.0 + q), 1.0 / (1.0 + q))
        };
        // u_x = s·I(tₓ)/W = w_a/(1 − e^d); u_T = u_x e^d.
        let u_x = if one_minus_ed > 0.0 {
            w_a / one_minus_ed
        } else {
            (lg.ln_s + ix.pow + ix.sa.ln() - ln_w).exp()
        };
        let u_t = u_x * ed;
        let de = [-lat, -(r + x) / (al + t), -lbt, -s / (be + t)];
        for k in 0..4 {
            g[k] = dln_c[k] + w_e * de[k] + u_x * ix.d[k] - u_t * it.d[k];
        }
        g[2] += w_a / s;
    }
    RowEval {
        ln_l: ln_c + ln_w,
        l1q,
        grad: g,
    }
}

/// ln Γ(r+x) − ln Γ(r) without the cancellation of two huge ln Γ when r is large: a sum of
/// logarithms for small x, Stirling's series differenced term by term for r ≥ 1e3
/// (A&S 6.1.41; the first omitted term is below 1e-18 there), else the plain difference.
fn ln_gamma_ratio(r: f64, x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    if x <= 16.0 && r >= 1.0 {
        let mut prod = 1.0;
        let mut j = 0.0;
        while j < x {
            prod *= r + j;
            j += 1.0;
        }
        return prod.ln();
    }
    if r >= 1e3 {
        let z = r + x;
        let u = x / r;
        // (z − ½) ln z − z − [(r − ½) ln r − r] = (r − ½) ln(1 + x/r) + x ln z − x.
        let main = (r - 0.5) * u.ln_1p() + x * z.ln() - x;
        // 1/(12 z) − 1/(12 r) − (1/(360 z³) − 1/(360 r³)).
        let c1 = -x / (12.0 * r * z);
        let c3 = -(1.0 / (z * z * z) - 1.0 / (r * r * r)) / 360.0;
        return main + c1 + c3;
    }
    Gamma::ln_gamma(r + x).0 - Gamma::ln_gamma(r).0
}

/// ln C + ln E of (P1): ln Γ(r+x) − ln Γ(r) + r ln α + s ln β − (r+x) ln(α+T) − s ln(β+T),
/// written as `lg_ratio` − x ln(α+T) − r ln(1 + T/α) − s ln(1 + T/β) so that no huge terms
/// cancel when r, α or s, β are large.
#[allow(clippy::too_many_arguments)]
fn ln_c_e(lg_ratio: f64, r: f64, x: f64, al: f64, s: f64, be: f64, t: f64, lat: f64) -> f64 {
    lg_ratio - x * lat - r * (t / al).ln_1p() - s * (t / be).ln_1p()
}

/// ln(eᵃ + eᵇ).
fn log_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// g(c, u) = (1 − e^(−cu))/c, = u at c = 0 (P5).
fn g(c: f64, u: f64) -> f64 {
    let cu = c * u;
    if cu.abs() < 1e-10 {
        u * (1.0 - 0.5 * cu)
    } else {
        -(-cu).exp_m1() / c
    }
}

/// S = Σ_k (e_M)_k/(e_M+e_m)_k zᵏ and its derivatives (P2).
struct SSeries {
    s: f64,
    d_em_big: f64,
    d_em_small: f64,
    d_z: f64,
}

/// Number of series coefficients tabulated per x in [`Recips`].
const N_RECIPS: usize = 48;

/// The coefficients of the series of (P2) for one (e_M, e_m), tabulated once per x by the
/// objective: R_k = (e_M)_k/(e_M+e_m)_k and its products with ∂ln R_k/∂e_M, ∂ln R_k/∂e_m and
/// k, so that each row evaluates S and its derivatives as four polynomials in z (Horner),
/// without divisions.
#[derive(Debug, Clone)]
struct Recips {
    r: [f64; N_RECIPS],
    rm: [f64; N_RECIPS],
    rs: [f64; N_RECIPS],
    /// (k+1)·R_(k+1): coefficients of dS/dz.
    rz: [f64; N_RECIPS],
    /// max over k of 1 + |∂ln R_k/∂e_M| + |∂ln R_k/∂e_m| (the last one; they grow with k).
    dmax: f64,
}

impl Recips {
    fn new(em_big: f64, c: f64) -> Self {
        let mut t = Recips {
            r: [0.0; N_RECIPS],
            rm: [0.0; N_RECIPS],
            rs: [0.0; N_RECIPS],
            rz: [0.0; N_RECIPS],
            dmax: 1.0,
        };
        let (mut rk, mut dm, mut ds) = (1.0_f64, 0.0_f64, 0.0_f64);
        for k in 0..N_RECIPS {
            t.r[k] = rk;
            t.rm[k] = rk * dm;
            t.rs[k] = rk * ds;
            let kf = k as f64;
            let inv_c = 1.0 / (c + kf);
            rk *= (em_big + kf) * inv_c;
            dm += 1.0 / (em_big + kf) - inv_c;
            ds -= inv_c;
            t.rz[k] = (kf + 1.0) * rk;
        }
        t.dmax = 1.0 + dm.abs() + ds.abs();
        t
    }

    /// S and its derivatives by Horner, when K ≤ N_RECIPS terms reach the tolerance of
    /// [`s_series`] (terms are below z^k, derivative terms below (k+1)·dmax·z^k).
    fn eval(&self, z: f64) -> Option<SSeries> {
        if z <= 0.0 {
            return None;
        }
        let n = N_RECIPS as f64;
        let need = (1e-17 / ((n + 2.0) * self.dmax) * (1.0 - z) * (1.0 - z)).ln() / z.ln();
        if need.is_nan() || need >= n - 1.0 {
            return None;
        }
        let k = (need.ceil() as usize + 1).min(N_RECIPS - 1);
        let (mut s, mut sm, mut ss, mut sz) = (0.0, 0.0, 0.0, 0.0);
        for i in (0..=k).rev() {
            s = s * z + self.r[i];
            sm = sm * z + self.rm[i];
            ss = ss * z + self.rs[i];
            sz = sz * z + self.rz[i];
        }
        Some(SSeries {
            s,
            d_em_big: sm,
            d_em_small: ss,
            d_z: sz,
        })
    }
}

fn s_series(em_big: f64, em_small: f64, z: f64, grad: bool, tab: Option<&Recips>) -> SSeries {
    let c = em_big + em_small;
    let mut out = SSeries {
        s: 1.0,
        d_em_big: 0.0,
        d_em_small: 0.0,
        d_z: 0.0,
    };
    if z == 0.0 {
        out.d_z = em_big / c;
        return out;
    }
    let mut t = 1.0_f64; // term k (includes zᵏ)
    let mut dm = 0.0_f64; // ∂ ln term_k / ∂ e_M
    let mut ds = 0.0_f64; // ∂ ln term_k / ∂ e_m
    let inv = 1.0 / ((1.0 - z) * (1.0 - z));
    let mut k = 0.0_f64;
    // z ≤ Z_SPLIT = 0.97 bounds the count (~1,300 terms); the cap is a safety net only.
    if let Some(v) = tab.and_then(|tb| tb.eval(z)) {
        return v;
    }
    for _ in 0..20_000usize {
        let inv_ck = 1.0 / (c + k);
        let inv_ek = 1.0 / (em_big + k);
        let ratio = (em_big + k) * inv_ck;
        if grad {
            dm += inv_ek - inv_ck;
            ds -= inv_ck;
            out.d_z += (k + 1.0) * t * ratio;
        }
        t *= ratio * z;
        out.s += t;
        if grad {
            out.d_em_big += t * dm;
            out.d_em_small += t * ds;
        }
        k += 1.0;
        if t * (k + 2.0) * inv * (1.0 + dm.abs() + ds.abs()) <= 1e-17 * out.s {
            break;
        }
    }
    out
}

/// (P3): I(τ) = ∫_τ^{τ₁} + I(τ₁), τ₁ = M − 2m. Returns (I·e^(−pow), derivatives of ln I with
/// respect to (e_M, M, e_m, m)).
fn split_integral(
    em_big: f64,
    m_big: f64,
    em_small: f64,
    m_small: f64,
    tau: f64,
    pow: f64,
) -> (f64, [f64; 4]) {
    let dmm = m_big - m_small;
    let tau1 = m_big - 2.0 * m_small;
    let a = em_big + em_small - 1.0;
    // Tail I(τ₁) by (P2) at z = 1/2.
    let a1 = m_big + tau1;
    let b1 = m_small + tau1;
    let sr = s_series(em_big, em_small, dmm / a1, true, None);
    let ln_i1 = -em_big * a1.ln() + (1.0 - em_small) * b1.ln() + sr.s.ln() - a.ln();
    let d1 = [
        -a1.ln() - 1.0 / a + sr.d_em_big / sr.s,
        -em_big / a1 + sr.d_z / sr.s * b1 / (a1 * a1),
        -b1.ln() - 1.0 / a + sr.d_em_small / sr.s,
        (1.0 - em_small) / b1 - sr.d_z / sr.s / a1,
    ];
    // Finite piece in w = ln(m + u) − ln(m + τ) ∈ [0, W]: with A0 = M + τ, B0 = m + τ,
    // M + u = A0 (1 + B0 (eʷ − 1)/A0) and the integrand relative to its value e^pow at
    // w = 0 is h(w) = exp(−e_M ln(1 + B0 (eʷ − 1)/A0) + (1 − e_m) w), largest at w = 0
    // (log-concave when e_m ≥ 1). Written relative to the lower end, neither the large terms
    // e_M ln(M + u) cancel (rounding noise e_M·ε) nor are the nodes quantised by an offset
    // ln(m + τ) when the decay length 60/κ is below its ulp; either would keep the
    // quadrature refining to its panel cap without meeting its tolerance.
    let (a0, b0) = (m_big + tau, m_small + tau);
    let (ln_a0, ln_b0) = (a0.ln(), b0.ln());
    let l0 = pow; // = −e_M ln A0 + (1 − e_m) ln B0
    let mut w1 = ((tau1 - tau) / b0).ln_1p();
    // Initial decay rate of ln h; beyond 60/κ the integrand is below e^−60 of its start.
    let kappa = (em_small - 1.0) + em_big * b0 / a0;
    if kappa > 0.0 {
        w1 = w1.min(60.0 / kappa);
    }
    // The e_M factor alone is below e^−(60 + (1 − e_m)w) beyond w_e solving
    // e_M ln(1 + B0 (e^w_e − 1)/A0) = 60 + max(1 − e_m, 0)·w_e (a few fixed-point steps from
    // below; the cap is applied only when the last step satisfies it). When e_M dominates
    // (e.g. r, α → ∞ with β small) this is far tighter than the tangent bound 60/κ.
    let ln_h = |w: f64| -em_big * (b0 * w.exp_m1() / a0).ln_1p() + (1.0 - em_small) * w;
    let grow = (1.0 - em_small).max(0.0);
    let mut w_e = 0.0_f64;
    for _ in 0..4 {
        w_e = (a0 / b0 * ((60.0 + grow * w_e) / em_big).exp_m1()).ln_1p();
    }
    if w_e.is_finite() && w_e < w1 && ln_h(w_e) <= -60.0 {
        w1 = w_e;
    }
    let f = |w: f64, out: &mut [f64; 5]| {
        let rel = b0 * w.exp_m1() / a0; // (M + u)/A0 − 1
        let l1 = rel.ln_1p();
        let h = (-em_big * l1 + (1.0 - em_small) * w).exp();
        out[0] = h;
        out[1] = -(ln_a0 + l1) * h;
        out[2] = -em_big / (a0 * (1.0 + rel)) * h;
        out[3] = -(ln_b0 + w) * h;
        out[4] = -em_small / (b0 * w.exp()) * h;
    };
    let j = gauss_kronrod5(&f, 0.0, w1, 1e-14);
    // Combine: I = e^l0 (J + e^(ln I1 − l0)).
    let q = (ln_i1 - l0).exp();
    let total = j[0] + q;
    let di1 = [d1[0] * q, d1[1] * q, d1[2] * q, d1[3] * q];
    let dd = [
        (j[1] + di1[0]) / total,
        (j[2] + di1[1]) / total,
        (j[3] + di1[2]) / total,
        (j[4] + di1[3]) / total,
    ];
    (total, dd)
}

// Gauss–Kronrod 7/15 nodes and weights (Piessens et al. 1983, QUADPACK qk15).
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// One 15-point Kronrod panel of a 5-component integrand; returns (K15 sums, error estimate
/// of component 0). The estimate is QUADPACK's (Piessens et al. 1983, qk15):
/// |K|·min(1, (200·|K15 − G7|/|K|)^1.5) for a non-negative integrand, far less pessimistic
/// than |K15 − G7| itself.
fn gk_panel(f: &dyn Fn(f64, &mut [f64; 5]), a: f64, b: f64) -> ([f64; 5], f64) {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let mut k = [0.0; 5];
    let mut g0 = 0.0;
    let mut buf = [0.0; 5];
    f(c, &mut buf);
    for i in 0..5 {
        k[i] += WGK[7] * buf[i];
    }
    g0 += WG[3] * buf[0];
    for j in 0..7 {
        let dx = h * XGK[j];
        let mut lo = [0.0; 5];
        let mut hi = [0.0; 5];
        f(c - dx, &mut lo);
        f(c + dx, &mut hi);
        for i in 0..5 {
            k[i] += WGK[j] * (lo[i] + hi[i]);
        }
        if j % 2 == 1 {
            g0 += WG[j / 2] * (lo[0] + hi[0]);
        }
    }
    for v in &mut k {
        *v *= h;
    }
    let diff = (k[0] - g0 * h).abs();
    let mag = k[0].abs();
    let err = if mag > 0.0 {
        mag * (200.0 * diff / mag).powf(1.5).min(1.0)
    } else {
        diff
    };
    (k, err)
}

/// Panels of [`gauss_kronrod5`] before it gives up refining (the estimate is then returned
/// as is; callers compare against mpmath in the tests).
const MAX_PANELS: usize = 400;

/// Adaptive Gauss–Kronrod over [a, b] for a non-negative first component: bisects the panel
/// with the largest error estimate until the summed estimate is below `rel_tol` × integral
/// (or [`MAX_PANELS`] panels). The other components are integrated on the same panels.
fn gauss_kronrod5(f: &dyn Fn(f64, &mut [f64; 5]), a: f64, b: f64, rel_tol: f64) -> [f64; 5] {
    let mut panels: Vec<(f64, f64, [f64; 5], f64)> = Vec::with_capacity(16);
    let n0 = 4;
    let (mut total, mut err) = (0.0, 0.0);
    for i in 0..n0 {
        let lo = a + (b - a) * (i as f64) / (n0 as f64);
        let hi = a + (b - a) * ((i + 1) as f64) / (n0 as f64);
        let (k, e) = gk_panel(f, lo, hi);
        total += k[0];
        err += e;
        panels.push((lo, hi, k, e));
    }
    while panels.len() < MAX_PANELS && err > rel_tol * total.abs() && err.is_finite() {
        let (idx, _) =
            panels.iter().enumerate().fold(
                (0, -1.0),
                |acc, (i, p)| if p.3 > acc.1 { (i, p.3) } else { acc },
            );
        let (lo, hi, k0, e0) = panels.swap_remove(idx);
        let mid = 0.5 * (lo + hi);
        let (k1, e1) = gk_panel(f, lo, mid);
        let (k2, e2) = gk_panel(f, mid, hi);
        total += k1[0] + k2[0] - k0[0];
        err += e1 + e2 - e0;
        panels.push((lo, mid, k1, e1));
        panels.push((mid, hi, k2, e2));
    }
    let mut out = [0.0; 5];
    for p in &panels {
        for i in 0..5 {
            out[i] += p.2[i];
        }
    }
    out
}

/// ln ∫_0^t exp(ln_f(τ)) dτ for a smooth integrand, by adaptive Gauss–Kronrod on panels that
/// are geometrically finer towards 0, scaled by the largest sampled value. `None` when no
/// sample is finite.
fn ln_quad_0_t(ln_f: impl Fn(f64) -> f64, t: f64) -> Option<f64> {
    // Break points t·2^(−k), k = 0..60, and a uniform grid, for the scale.
    let mut ln_max = f64::NEG_INFINITY;
    for k in 0..=60 {
        let v = ln_f(t * 0.5_f64.powi(k));
        if v.is_finite() {
            ln_max = ln_max.max(v);
        }
    }
    for i in 1..=256 {
        let v = ln_f(t * f64::from(i) / 256.0);
        if v.is_finite() {
            ln_max = ln_max.max(v);
        }
    }
    if !ln_max.is_finite() {
        return None;
    }
    let f = |tau: f64, out: &mut [f64; 5]| {
        let v = ln_f(tau);
        out[0] = if v.is_finite() {
            (v - ln_max).exp()
        } else {
            0.0
        };
    };
    let mut total = 0.0;
    let mut hi = t;
    for _ in 0..60 {
        let lo = 0.5 * hi;
        total += gauss_kronrod5(&f, lo, hi, 1e-14)[0];
        hi = lo;
    }
    total += gauss_kronrod5(&f, 0.0, hi, 1e-14)[0];
    if total > 0.0 && total.is_finite() {
        Some(ln_max + total.ln())
    } else if total == 0.0 {
        Some(f64::NEG_INFINITY)
    } else {
        None
    }
}

/// G(s, z) = ∫_0^∞ e^(−zy) (1+y)^(−s) dy for z > 0 (P7), in w = ln(1+y):
/// ∫_0^∞ exp(−z(e^w − 1) + (1 − s)w) dw, a log-concave integrand.
fn dert_g(s: f64, z: f64) -> Option<f64> {
    let phi = |w: f64| -z * w.exp_m1() + (1.0 - s) * w;
    // Mode: w* = ln((1 − s)/z) when that is positive.
    let w_star = if s < 1.0 && (1.0 - s) / z > 1.0 {
        ((1.0 - s) / z).ln()
    } else {
        0.0
    };
    let top = phi(w_star);
    // Upper end where φ has dropped by 60 (φ is concave, so it stays below after that).
    let mut w_hi = w_star + 1.0;
    let mut iter = 0;
    while phi(w_hi) > top - 60.0 {
        w_hi = w_star + 2.0 * (w_hi - w_star);
        iter += 1;
        if iter > 200 {
            return None;
        }
    }
    let f = |w: f64, out: &mut [f64; 5]| {
        out[0] = (phi(w) - top).exp();
    };
    let mut total = 0.0;
    // Panels: [0, w*] and [w*, w_hi], each adaptively refined.
    if w_star > 0.0 {
        total += gauss_kronrod5(&f, 0.0, w_star, 1e-14)[0];
    }
    total += gauss_kronrod5(&f, w_star, w_hi, 1e-14)[0];
    let v = top.exp() * total;
    (v.is_finite() && v > 0.0).then_some(v)
}

/// The Pareto/NBD mean negative log-likelihood over log-parameters (for [`fit_objective`]).
///
/// Cost per evaluation: ln(α+T), ln(β+T) once per distinct T; ln Γ, ψ and ln(r+s+x) once per
/// distinct x; I(tₓ) once per distinct (x, tₓ); then a handful of exp/ln and a short series
/// per distinct row.
#[derive(Debug, Clone)]
pub struct ParetoNbdObjective<'a> {
    data: &'a RfmData,
    /// Distinct T values, and for each row the index of its T.
    t_values: Vec<f64>,
    t_index: Vec<usize>,
}

impl<'a> ParetoNbdObjective<'a> {
    /// The objective over `data`.
    pub fn new(data: &'a RfmData) -> Self {
        let mut t_values: Vec<f64> = data.rows().iter().map(Rfm::t).collect();
        t_values.sort_by(f64::total_cmp);
        t_values.dedup();
        let t_index = data
            .rows()
            .iter()
            .map(|c| {
                t_values
                    .binary_search_by(|v| v.total_cmp(&c.t()))
                    .unwrap_or(0)
            })
            .collect();
        ParetoNbdObjective {
            data,
            t_values,
            t_index,
        }
    }
}

impl Objective for ParetoNbdObjective<'_> {
    fn param_names(&self) -> &'static [&'static str] {
        PARAM_NAMES
    }
    fn total_weight(&self) -> f64 {
        self.data.total_weight()
    }
    fn n_distinct(&self) -> usize {
        self.data.n_distinct()
    }
    fn value_and_gradient(&self, log_params: &[f64], grad: &mut [f64]) -> f64 {
        if log_params.len() != 4 || grad.len() != 4 {
            return f64::INFINITY;
        }
        let p: Vec<f64> = log_params.iter().map(|v| v.exp()).collect();
        if p.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return f64::INFINITY;
        }
        let (r, al, s, be) = (p[0], p[1], p[2], p[3]);
        let psi_r = r.digamma();
        let lg_r = Gamma::ln_gamma(r).0;
        let (ln_al, ln_be, ln_s) = (al.ln(), be.ln(), s.ln());
        let t_logs: Vec<(f64, f64)> = self
            .t_values
            .iter()
            .map(|t| ((al + t).ln(), (be + t).ln()))
            .collect();
        // r ln(1 + T/α) + s ln(1 + T/β) per distinct T (the T part of `ln_c_e`).
        let t_shrink: Vec<f64> = self
            .t_values
            .iter()
            .map(|t| r * (t / al).ln_1p() + s * (t / be).ln_1p())
            .collect();
        let mut tab = Recips::new(1.0, 1.0);
        // I(T) per (x, T): slot per distinct T, valid when its stamp equals the current x's.
        let mut it_cache: Vec<(usize, LnI)> =
            vec![(usize::MAX, LnI::default()); self.t_values.len()];
        let mut x_stamp = 0usize;
        let mut total = 0.0;
        let mut g = [0.0; 4];
        // Per-x cache (rows are sorted by x, then tₓ): ln Γ(r+x) − ln Γ(r), ψ(r+x) − ψ(r),
        // and the last I(tₓ).
        let mut last_x = f64::NAN;
        let (mut lg_diff, mut psi_diff) = (0.0, 0.0);
        let mut lg_ratio = 0.0;
        let mut last_tx = f64::NAN;
        let mut last_ix: Option<LnI> = None;
        for ((c, &w), &ti) in self
            .data
            .rows()
            .iter()
            .zip(self.data.weights())
            .zip(&self.t_index)
        {
            let x = c.frequency();
            if x != last_x {
                lg_diff = Gamma::ln_gamma(r + x).0 - lg_r;
                lg_ratio = ln_gamma_ratio(r, x);
                psi_diff = (r + x).digamma() - psi_r;
                let em_big = if al >= be { r + x } else { s + 1.0 };
                tab = Recips::new(em_big, r + s + x + 1.0);
                x_stamp += 1;
                last_x = x;
                last_tx = f64::NAN;
            }
            let pc = PerX { r, al, s, be, x };
            let ln_c = lg_diff + r * ln_al + s * ln_be;
            let dln_c = [psi_diff + ln_al, r / al, ln_be, s / be];
            let tx = c.recency();
            let ix = if tx < c.t() {
                if tx != last_tx {
                    let (la, lb) = if tx == 0.0 {
                        (ln_al, ln_be)
                    } else {
                        ((al + tx).ln(), (be + tx).ln())
                    };
                    last_ix = Some(pc.integral_with_logs(tx, la, lb, true, Some(&tab)));
                    last_tx = tx;
                }
                last_ix
            } else {
                None
            };
            let (lat, lbt) = t_logs[ti];
            let it = if ix.is_some() {
                let slot = &mut it_cache[ti];
                if slot.0 != x_stamp {
                    *slot = (
                        x_stamp,
                        pc.integral_with_logs(c.t(), lat, lbt, true, Some(&tab)),
                    );
                }
                Some(slot.1)
            } else {
                None
            };
            let lg = Logs {
                lat,
                lbt,
                ln_s,
                tab: Some(&tab),
                it,
            };
            let mut e = row_eval_with_tx(&pc, ln_c, &dln_c, (tx, c.t()), &lg, ix.as_ref(), true);
            e.ln_l = lg_ratio - x * lat - t_shrink[ti] + e.l1q;
            if !e.ln_l.is_finite() {
                return f64::INFINITY;
            }
            total += w * e.ln_l;
            for k in 0..4 {
                g[k] += w * e.grad[k];
            }
        }
        let n = self.data.total_weight();
        for k in 0..4 {
            grad[k] = -g[k] * p[k] / n;
        }
        if grad.iter().any(|v| !v.is_finite()) {
            return f64::INFINITY;
        }
        -total / n
    }
    fn initial_log_params(&self) -> Vec<f64> {
        let (mx, _, mt) = self.data.weighted_means();
        let mt = if mt > 0.0 { mt } else { 1.0 };
        vec![
            0.5_f64.ln(),
            (0.5 * mt / mx.max(0.1)).ln(),
            0.5_f64.ln(),
            (mt / 3.0).ln(),
        ]
    }
}

impl TransactionModel for ParetoNbd {
    fn name(&self) -> &'static str {
        "pareto-nbd"
    }
    fn param_names(&self) -> &'static [&'static str] {
        PARAM_NAMES
    }
    fn params(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.s, self.beta]
    }
    fn log_likelihood(&self, c: &Rfm) -> f64 {
        ParetoNbd::log_likelihood(self, c)
    }
    fn p_alive(&self, c: &Rfm) -> f64 {
        ParetoNbd::p_alive(self, c)
    }
    fn expected_purchases(&self, t: f64) -> f64 {
        ParetoNbd::expected_purchases(self, t)
    }
    fn conditional_expected_purchases(&self, c: &Rfm, t: f64) -> f64 {
        ParetoNbd::conditional_expected_purchases(self, c, t)
    }
    fn prob_purchases(&self, t: f64, n: u64) -> f64 {
        ParetoNbd::prob_purchases(self, t, n).unwrap_or(f64::NAN)
    }
    fn dert(&self, c: &Rfm, delta: f64) -> Option<f64> {
        ParetoNbd::dert(self, c, delta).ok()
    }
}
