//! BG/BB: discrete-time non-contractual model (Fader, Hardie & Shang 2010, "Customer-Base
//! Analysis in a Discrete-Time Noncontractual Setting", *Marketing Science* 29(6)).
//!
//! In each of n transaction opportunities an alive customer transacts with probability
//! p ~ Beta(α, β); at the start of every opportunity after the first purchase the customer
//! may become inactive with probability θ ~ Beta(γ, δ). A customer is summarised by the
//! number of repeat transactions x, the opportunity tₓ of the last one (0 if none) and the
//! number of opportunities n.
//!
//! | quantity | FHS 2010 |
//! |---|---|
//! | L(α, β, γ, δ \| x, tₓ, n) = B(α+x, β+n−x)/B(α,β)·B(γ, δ+n)/B(γ,δ) + Σᵢ₌₀^(n−tₓ−1) B(α+x, β+tₓ−x+i)/B(α,β)·B(γ+1, δ+tₓ+i)/B(γ,δ) | eq. (5) |
//! | P(X(n) = x) | eq. (7) |
//! | E[X(n)] = Σₜ₌₁ⁿ α/(α+β)·B(γ, δ+t)/B(γ,δ) (a finite sum equal to eq. (8)) | eq. (8) |
//! | P(alive at n+m \| x, tₓ, n) = B(α+x, β+n−x)/B(α,β)·B(γ, δ+n+m)/B(γ,δ) / L | eq. (11) (m = 1 there; m = 0 gives "alive at the end of the observed periods") |
//! | E[X(n, n+n*) \| x, tₓ, n] = B(α+x+1, β+n−x)/B(α,β) · Σₖ₌₁^(n*) B(γ, δ+n+k)/B(γ,δ) / L (the finite sum form of eq. (13), which avoids its 0/0 at γ = 1) | eq. (13) |
//! | DERT(d) = B(α+x+1, β+n−x)/B(α,β) · Σₖ≥₁ B(γ, δ+n+k)/B(γ,δ)/(1+d)ᵏ / L | eq. (14), as a series |
//!
//! All terms are computed in logs; the likelihood is a log-sum-exp over its n − tₓ + 1 terms.

use crate::fit::{
    DataError, FitError, FitOptions, Fitted, Objective, ParamError, Rfm, RfmData, check_positive,
    fit_objective, rfm_from_columns,
};
use crate::math::{digamma, ln_beta, ln_gamma};
use crate::transaction::TransactionModel;

/// Parameter names as in FHS 2010.
pub const PARAM_NAMES: &[&str] = &["alpha", "beta", "gamma", "delta"];

/// Validates discrete-time (x, tₓ, n) columns: whole numbers, 0 ≤ x ≤ tₓ ≤ n, tₓ = 0 iff
/// x = 0; compresses them (n is stored as T).
///
/// # Errors
/// [`DataError`] naming the first invalid row.
pub fn data_from_columns(
    frequency: &[f64],
    recency: &[f64],
    periods: &[f64],
    weights: Option<&[f64]>,
) -> Result<RfmData, DataError> {
    let rows = rfm_from_columns(frequency, recency, periods)?;
    for (row, c) in rows.iter().enumerate() {
        for (field, value) in [("recency", c.recency()), ("periods", c.t())] {
            if value.fract() != 0.0 {
                return Err(DataError::NotInteger { row, field, value });
            }
        }
        if c.frequency() > c.recency() {
            return Err(DataError::Invalid {
                row,
                message: format!(
                    "frequency {} exceeds recency {} (at most one transaction per period)",
                    c.frequency(),
                    c.recency()
                ),
            });
        }
    }
    RfmData::new(&rows, weights)
}

/// The BG/BB model with parameters α, β (transaction probability) and γ, δ (dropout).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgBb {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

/// ln of each likelihood term and its gradient pieces.
struct Term {
    ln: f64,
    // exponents: B(α+x, β+m), B(γ+e, δ+k)
    m: f64,
    e: f64,
    k: f64,
}

fn terms(x: f64, tx: f64, n: f64, lb_ab: f64, lb_gd: f64, p: &BgBb) -> Vec<Term> {
    let BgBb {
        alpha,
        beta,
        gamma,
        delta,
    } = *p;
    let mut out = Vec::with_capacity((n - tx) as usize + 1);
    let m = n - x;
    out.push(Term {
        ln: ln_beta(alpha + x, beta + m) - lb_ab + ln_beta(gamma, delta + n) - lb_gd,
        m,
        e: 0.0,
        k: n,
    });
    let mut i = 0.0;
    while i < n - tx {
        let m = tx - x + i;
        let k = tx + i;
        out.push(Term {
            ln: ln_beta(alpha + x, beta + m) - lb_ab + ln_beta(gamma + 1.0, delta + k) - lb_gd,
            m,
            e: 1.0,
            k,
        });
        i += 1.0;
    }
    out
}

fn log_sum(ts: &[Term]) -> f64 {
    let mx = ts.iter().map(|t| t.ln).fold(f64::NEG_INFINITY, f64::max);
    mx + ts.iter().map(|t| (t.ln - mx).exp()).sum::<f64>().ln()
}

struct BgBbObjective<'a> {
    data: &'a RfmData,
}

impl Objective for BgBbObjective<'_> {
    fn param_names(&self) -> &'static [&'static str] {
        PARAM_NAMES
    }
    fn total_weight(&self) -> f64 {
        self.data.total_weight()
    }
    fn n_distinct(&self) -> usize {
        self.data.n_distinct()
    }
    fn initial_log_params(&self) -> Vec<f64> {
        vec![0.0; 4]
    }
    fn value_and_gradient(&self, lp: &[f64], g: &mut [f64]) -> f64 {
        let p = BgBb {
            alpha: lp[0].exp(),
            beta: lp[1].exp(),
            gamma: lp[2].exp(),
            delta: lp[3].exp(),
        };
        let lb_ab = ln_beta(p.alpha, p.beta);
        let lb_gd = ln_beta(p.gamma, p.delta);
        let d_ab = digamma(p.alpha + p.beta);
        let d_gd = digamma(p.gamma + p.delta);
        let (da0, db0, dg0, dd0) = (
            digamma(p.alpha) - d_ab,
            digamma(p.beta) - d_ab,
            digamma(p.gamma) - d_gd,
            digamma(p.delta) - d_gd,
        );
        let mut f = 0.0;
        let mut gr = [0.0; 4];
        for (row, &w) in self.data.rows().iter().zip(self.data.weights()) {
            let (x, tx, n) = (row.frequency(), row.recency(), row.t());
            let ts = terms(x, tx, n, lb_ab, lb_gd, &p);
            let ll = log_sum(&ts);
            f += w * ll;
            let da_x = digamma(p.alpha + x);
            for t in &ts {
                let pi = (t.ln - ll).exp();
                let s_ab = digamma(p.alpha + p.beta + x + t.m);
                let s_gd = digamma(p.gamma + p.delta + t.e + t.k);
                gr[0] += w * pi * (da_x - s_ab - da0);
                gr[1] += w * pi * (digamma(p.beta + t.m) - s_ab - db0);
                gr[2] += w * pi * (digamma(p.gamma + t.e) - s_gd - dg0);
                gr[3] += w * pi * (digamma(p.delta + t.k) - s_gd - dd0);
            }
        }
        let nw = self.data.total_weight();
        for (i, gi) in g.iter_mut().enumerate().take(4) {
            *gi = -gr[i] * lp[i].exp() / nw;
        }
        let v = -f / nw;
        if v.is_finite() { v } else { f64::INFINITY }
    }
}

impl BgBb {
    /// Model name as on the command line.
    pub const NAME: &'static str = "bgbb";

    /// A model with the given parameters.
    ///
    /// # Errors
    /// [`ParamError::NotPositive`] when a parameter is not positive and finite.
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Self, ParamError> {
        Ok(BgBb {
            alpha: check_positive("alpha", alpha)?,
            beta: check_positive("beta", beta)?,
            gamma: check_positive("gamma", gamma)?,
            delta: check_positive("delta", delta)?,
        })
    }
    /// From a slice `[alpha, beta, gamma, delta]`.
    ///
    /// # Errors
    /// As [`BgBb::new`], or for a wrong length.
    pub fn from_params(v: &[f64]) -> Result<Self, ParamError> {
        match v {
            [a, b, g, d] => Self::new(*a, *b, *g, *d),
            _ => Err(ParamError::Undefined(format!(
                "expected 4 parameters (alpha, beta, gamma, delta), got {}",
                v.len()
            ))),
        }
    }
    /// α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// β.
    pub fn beta(&self) -> f64 {
        self.beta
    }
    /// γ.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }
    /// δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// The objective over (ln α, ln β, ln γ, ln δ); data from [`data_from_columns`].
    pub fn objective(data: &RfmData) -> impl Objective + '_ {
        BgBbObjective { data }
    }

    /// Maximum-likelihood fit on data from [`data_from_columns`].
    ///
    /// # Errors
    /// [`FitError`] for invalid options or a likelihood not finite at the start.
    pub fn fit(data: &RfmData, opts: &FitOptions) -> Result<Fitted<Self>, FitError> {
        let report = fit_objective(Self::NAME, &Self::objective(data), opts)?;
        let model =
            Self::from_params(&report.params).map_err(|e| FitError::Unfittable(e.to_string()))?;
        Ok(Fitted { model, report })
    }

    fn ln_l(&self, x: f64, tx: f64, n: f64) -> f64 {
        let ts = terms(
            x,
            tx,
            n,
            ln_beta(self.alpha, self.beta),
            ln_beta(self.gamma, self.delta),
            self,
        );
        log_sum(&ts)
    }

    /// ln B(α+x+1, β+n−x)/B(α,β) − ln L: the common factor of the conditional expectations.
    fn ln_alive_tx_factor(&self, x: f64, n: f64, ln_l: f64) -> f64 {
        ln_beta(self.alpha + x + 1.0, self.beta + n - x) - ln_beta(self.alpha, self.beta) - ln_l
    }

    /// P(alive at the start of opportunity n + m + 1 | x, tₓ, n), i.e. m periods after the
    /// end of the observed ones (m = 0: at the end of the observed periods).
    pub fn p_alive_after(&self, c: &Rfm, m: u64) -> f64 {
        let (x, tx, n) = (c.frequency(), c.recency(), c.t());
        let ln_l = self.ln_l(x, tx, n);
        let v = ln_beta(self.alpha + x, self.beta + n - x) - ln_beta(self.alpha, self.beta)
            + ln_beta(self.gamma, self.delta + n + m as f64)
            - ln_beta(self.gamma, self.delta)
            - ln_l;
        v.exp().clamp(0.0, 1.0)
    }

    /// Expected transactions in the next `future` opportunities, eq. (13).
    pub fn conditional_expected_transactions(&self, c: &Rfm, future: u64) -> f64 {
        let (x, tx, n) = (c.frequency(), c.recency(), c.t());
        let ln_l = self.ln_l(x, tx, n);
        let lf = self.ln_alive_tx_factor(x, n, ln_l);
        let lb_gd = ln_beta(self.gamma, self.delta);
        // B(γ, δ+n+k)/B(γ,δ) by the ratio (δ+n+k−1)/(γ+δ+n+k−1).
        let mut ln_s = ln_beta(self.gamma, self.delta + n) - lb_gd;
        let mut sum = 0.0;
        for k in 1..=future {
            let kk = k as f64;
            ln_s += ((self.delta + n + kk - 1.0) / (self.gamma + self.delta + n + kk - 1.0)).ln();
            sum += (lf + ln_s).exp();
        }
        sum
    }

    /// Discounted expected residual transactions with discount rate d > 0 per opportunity,
    /// eq. (14) evaluated as its series.
    ///
    /// # Errors
    /// [`ParamError::Undefined`] unless d > 0.
    pub fn dert(&self, c: &Rfm, d: f64) -> Result<f64, ParamError> {
        if !(d.is_finite() && d > 0.0) {
            return Err(ParamError::Undefined(format!(
                "discount rate must be positive, got {d}"
            )));
        }
        let (x, tx, n) = (c.frequency(), c.recency(), c.t());
        let ln_l = self.ln_l(x, tx, n);
        let lf = self.ln_alive_tx_factor(x, n, ln_l);
        let mut ln_s = ln_beta(self.gamma, self.delta + n) - ln_beta(self.gamma, self.delta);
        let ln_disc = -d.ln_1p();
        let mut sum = 0.0;
        let mut k = 1.0;
        loop {
            ln_s += ((self.delta + n + k - 1.0) / (self.gamma + self.delta + n + k - 1.0)).ln();
            let term = (lf + ln_s + k * ln_disc).exp();
            sum += term;
            if term <= 1e-17 * sum || k > 1e7 {
                break;
            }
            k += 1.0;
        }
        Ok(sum)
    }

    /// E[X(n)] for a new customer over n opportunities, eq. (8) as a finite sum.
    pub fn expected_transactions(&self, n: u64) -> f64 {
        let pm = self.alpha / (self.alpha + self.beta);
        let mut ln_s = 0.0; // ln B(γ, δ+t)/B(γ,δ) at t = 0
        let mut sum = 0.0;
        for t in 1..=n {
            let tt = t as f64;
            ln_s += ((self.delta + tt - 1.0) / (self.gamma + self.delta + tt - 1.0)).ln();
            sum += pm * ln_s.exp();
        }
        sum
    }

    /// P(X(n) = x) for a new customer, eq. (7).
    pub fn prob_transactions(&self, n: u64, x: u64) -> f64 {
        if x > n {
            return 0.0;
        }
        let (nf, xf) = (n as f64, x as f64);
        let lb_ab = ln_beta(self.alpha, self.beta);
        let lb_gd = ln_beta(self.gamma, self.delta);
        let ln_choose =
            |a: f64, b: f64| ln_gamma(a + 1.0) - ln_gamma(b + 1.0) - ln_gamma(a - b + 1.0);
        let mut total = (ln_choose(nf, xf) + ln_beta(self.alpha + xf, self.beta + nf - xf) - lb_ab
            + ln_beta(self.gamma, self.delta + nf)
            - lb_gd)
            .exp();
        for i in x..n {
            let i = i as f64;
            total += (ln_choose(i, xf) + ln_beta(self.alpha + xf, self.beta + i - xf) - lb_ab
                + ln_beta(self.gamma + 1.0, self.delta + i)
                - lb_gd)
                .exp();
        }
        total.clamp(0.0, 1.0)
    }
}

/// BG/BB as a [`TransactionModel`]: times are numbers of opportunities and are truncated to
/// whole periods; P(alive) is at the end of the observed periods.
impl TransactionModel for BgBb {
    fn name(&self) -> &'static str {
        Self::NAME
    }
    fn param_names(&self) -> &'static [&'static str] {
        PARAM_NAMES
    }
    fn params(&self) -> Vec<f64> {
        vec![self.alpha, self.beta, self.gamma, self.delta]
    }
    fn log_likelihood(&self, c: &Rfm) -> f64 {
        self.ln_l(c.frequency(), c.recency(), c.t())
    }
    fn p_alive(&self, c: &Rfm) -> f64 {
        self.p_alive_after(c, 0)
    }
    fn expected_purchases(&self, t: f64) -> f64 {
        self.expected_transactions(t.max(0.0).floor() as u64)
    }
    fn conditional_expected_purchases(&self, c: &Rfm, t: f64) -> f64 {
        self.conditional_expected_transactions(c, t.max(0.0).floor() as u64)
    }
    fn prob_purchases(&self, t: f64, n: u64) -> f64 {
        self.prob_transactions(t.max(0.0).floor() as u64, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::gradient_check;

    #[test]
    fn gradient_is_exact() {
        let d = data_from_columns(
            &[0.0, 1.0, 3.0, 6.0],
            &[0.0, 2.0, 5.0, 6.0],
            &[6.0, 6.0, 6.0, 6.0],
            Some(&[10.0, 3.0, 2.0, 5.0]),
        )
        .unwrap();
        assert!(gradient_check(&BgBb::objective(&d), &[0.2, -0.3, -0.4, 1.0]) < 1e-6);
    }

    #[test]
    fn pmf_sums_to_one_and_matches_mean() {
        let m = BgBb::new(1.2, 0.75, 0.66, 2.78).unwrap();
        let total: f64 = (0..=10).map(|x| m.prob_transactions(10, x)).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        let mean: f64 = (0..=10)
            .map(|x| x as f64 * m.prob_transactions(10, x))
            .sum();
        assert!((mean - m.expected_transactions(10)).abs() < 1e-12);
    }

    #[test]
    fn rejects_impossible_patterns() {
        assert!(data_from_columns(&[3.0], &[2.0], &[6.0], None).is_err());
        assert!(data_from_columns(&[1.0], &[1.5], &[6.0], None).is_err());
    }
}
