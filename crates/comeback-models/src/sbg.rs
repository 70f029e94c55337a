//! Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, "How to
//! Project Customer Retention", *Journal of Interactive Marketing* 21(1); discounted
//! lifetimes from Fader & Hardie 2010, "Customer-Base Valuation in a Contractual Setting:
//! The Perils of Ignoring Heterogeneity", *Marketing Science* 29(1)).
//!
//! At the end of each period a customer churns with probability θ ~ Beta(α, β). With T the
//! period in which a customer churns:
//!
//! | quantity | formula | FH 2007 |
//! |---|---|---|
//! | P(T = t) | B(α+1, β+t−1)/B(α,β) | eq. (5) |
//! | S(t) = P(T > t) | B(α, β+t)/B(α,β) | eq. (6) |
//! | retention rₜ = S(t)/S(t−1) | (β+t−1)/(α+β+t−1) | eq. (8) |
//! | LL from survivor counts | Σₜ nₜ ln P(T=t) + S_last ln S(last) | eq. (7) |
//! | E\[lifetime\] in periods = Σₜ≥₀ S(t) | (α+β−1)/(α−1) for α > 1, infinite otherwise | |
//! | DEL(d) = Σₜ≥₀ S(t)/(1+d)ᵗ | ₂F₁(1, β; α+β; 1/(1+d)) | FH 2010 eq. (5) |
//! | DERL(d \| n−1 renewals) = Σₖ≥₀ S(n+k)/S(n−1)/(1+d)ᵏ | (β+n−1)/(α+β+n−1)·₂F₁(1, β+n; α+β+n; 1/(1+d)) | FH 2010 eq. (6) |
//!
//! The series are summed directly (their terms fall like (1+d)⁻ᵏ), which needs no ₂F₁.

use crate::fit::{
    FitError, FitOptions, Fitted, Objective, ParamError, check_positive, fit_objective,
};
use crate::math::{digamma_diff, ln_poch};

/// Parameter names as in FH 2007.
pub const PARAM_NAMES: &[&str] = &["alpha", "beta"];

/// Errors in survivor counts (the index is the period, 0 = cohort start).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurvivorsError {
    /// Fewer than two counts.
    #[error("need at least two survivor counts (the cohort size and one later period)")]
    TooShort,
    /// A count is NaN, infinite or negative.
    #[error("survivors[{period}] = {value} is not a non-negative number")]
    Invalid {
        /// Period index.
        period: usize,
        /// The count.
        value: f64,
    },
    /// The cohort size is zero.
    #[error("the cohort size survivors[0] must be positive")]
    EmptyCohort,
    /// Counts increase.
    #[error("survivors increase from period {period} ({from}) to {} ({to})", period + 1)]
    Increasing {
        /// Period index.
        period: usize,
        /// Count at `period`.
        from: f64,
        /// Count at `period + 1`.
        to: f64,
    },
}

/// Survivor counts of a cohort at the start of periods 0, 1, …, n (validated).
#[derive(Debug, Clone, PartialEq)]
pub struct Survivors(Vec<f64>);

impl Survivors {
    /// Validates counts: at least two, non-negative, non-increasing, positive cohort size.
    ///
    /// # Errors
    /// [`SurvivorsError`] naming the period.
    pub fn new(counts: &[f64]) -> Result<Self, SurvivorsError> {
        if counts.len() < 2 {
            return Err(SurvivorsError::TooShort);
        }
        for (period, &value) in counts.iter().enumerate() {
            if !(value.is_finite() && value >= 0.0) {
                return Err(SurvivorsError::Invalid { period, value });
            }
        }
        if counts[0] <= 0.0 {
            return Err(SurvivorsError::EmptyCohort);
        }
        for (period, w) in counts.windows(2).enumerate() {
            if w[1] > w[0] {
                return Err(SurvivorsError::Increasing {
                    period,
                    from: w[0],
                    to: w[1],
                });
            }
        }
        Ok(Survivors(counts.to_vec()))
    }
    /// The counts.
    pub fn counts(&self) -> &[f64] {
        &self.0
    }
}

/// The sBG model with parameters α, β.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sbg {
    alpha: f64,
    beta: f64,
}

struct SbgObjective<'a> {
    s: &'a Survivors,
}

impl Objective for SbgObjective<'_> {
    fn param_names(&self) -> &'static [&'static str] {
        PARAM_NAMES
    }
    fn total_weight(&self) -> f64 {
        self.s.0[0]
    }
    fn n_distinct(&self) -> usize {
        self.s.0.len() - 1
    }
    fn initial_log_params(&self) -> Vec<f64> {
        vec![0.0, 0.0]
    }
    fn value_and_gradient(&self, lp: &[f64], g: &mut [f64]) -> f64 {
        let (a, b) = (lp[0].exp(), lp[1].exp());
        let c = &self.s.0;
        let last = c.len() - 1;
        let (mut f, mut ga, mut gb) = (0.0, 0.0, 0.0);
        for t in 1..=last {
            let lost = c[t - 1] - c[t];
            let tf = t as f64;
            if lost > 0.0 {
                // ln P(T=t) = ln α + [lnΓ(β+t−1) − lnΓ(β)] − [lnΓ(α+β+t) − lnΓ(α+β)]
                f += lost * (a.ln() + ln_poch(b, tf - 1.0) - ln_poch(a + b, tf));
                ga += lost * (1.0 / a - digamma_diff(a + b, tf));
                gb += lost * (digamma_diff(b, tf - 1.0) - digamma_diff(a + b, tf));
            }
        }
        let alive = c[last];
        if alive > 0.0 {
            let tf = last as f64;
            f += alive * (ln_poch(b, tf) - ln_poch(a + b, tf));
            ga += alive * (-digamma_diff(a + b, tf));
            gb += alive * (digamma_diff(b, tf) - digamma_diff(a + b, tf));
        }
        let n = c[0];
        g[0] = -ga * a / n;
        g[1] = -gb * b / n;
        let v = -f / n;
        if v.is_finite() { v } else { f64::INFINITY }
    }
}

impl Sbg {
    /// Model name as on the command line.
    pub const NAME: &'static str = "sbg";

    /// A model with the given parameters.
    ///
    /// # Errors
    /// [`ParamError::NotPositive`] when a parameter is not positive and finite.
    pub fn new(alpha: f64, beta: f64) -> Result<Self, ParamError> {
        Ok(Sbg {
            alpha: check_positive("alpha", alpha)?,
            beta: check_positive("beta", beta)?,
        })
    }
    /// α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// β.
    pub fn beta(&self) -> f64 {
        self.beta
    }
    /// Parameters `[alpha, beta]`.
    pub fn params(&self) -> Vec<f64> {
        vec![self.alpha, self.beta]
    }

    /// The objective over (ln α, ln β) for survivor counts.
    pub fn objective(s: &Survivors) -> impl Objective + '_ {
        SbgObjective { s }
    }

    /// Maximum-likelihood fit to survivor counts (FH 2007 eq. 7). `n_customers` in the report
    /// is the cohort size.
    ///
    /// # Errors
    /// [`FitError`] for invalid options; [`FitError::Unfittable`] when nobody churned or
    /// everybody churned in the first period (the likelihood has no interior maximum).
    pub fn fit(s: &Survivors, opts: &FitOptions) -> Result<Fitted<Self>, FitError> {
        let c = s.counts();
        if c[c.len() - 1] == c[0] {
            return Err(FitError::Unfittable(
                "nobody churned: the sBG likelihood has no maximum".into(),
            ));
        }
        if c[1] == 0.0 {
            return Err(FitError::Unfittable(
                "everybody churned in the first period: the sBG likelihood has no maximum".into(),
            ));
        }
        let report = fit_objective(Self::NAME, &Self::objective(s), opts)?;
        let model = Self::new(report.params[0], report.params[1])
            .map_err(|e| FitError::Unfittable(e.to_string()))?;
        Ok(Fitted { model, report })
    }

    /// P(T = t) for t ≥ 1 (0 for t = 0).
    pub fn churn_probability(&self, t: u64) -> f64 {
        if t == 0 {
            return 0.0;
        }
        let tf = t as f64;
        (self.alpha.ln() + ln_poch(self.beta, tf - 1.0) - ln_poch(self.alpha + self.beta, tf)).exp()
    }

    /// Survival S(t) = P(T > t).
    pub fn survival(&self, t: u64) -> f64 {
        let tf = t as f64;
        (ln_poch(self.beta, tf) - ln_poch(self.alpha + self.beta, tf)).exp()
    }

    /// S(0), …, S(n).
    pub fn survival_curve(&self, n: u64) -> Vec<f64> {
        let mut out = Vec::with_capacity(n as usize + 1);
        let mut s = 1.0;
        out.push(s);
        for t in 1..=n {
            s *= self.retention_rate(t);
            out.push(s);
        }
        out
    }

    /// Retention rate rₜ = S(t)/S(t−1) = (β+t−1)/(α+β+t−1), t ≥ 1.
    pub fn retention_rate(&self, t: u64) -> f64 {
        let tf = t.max(1) as f64;
        (self.beta + tf - 1.0) / (self.alpha + self.beta + tf - 1.0)
    }

    /// r₁, …, rₙ.
    pub fn retention_curve(&self, n: u64) -> Vec<f64> {
        (1..=n).map(|t| self.retention_rate(t)).collect()
    }

    /// Expected lifetime in periods Σₜ≥₀ S(t) = (α+β−1)/(α−1).
    ///
    /// # Errors
    /// [`ParamError::Undefined`] when α ≤ 1 (the expectation is infinite).
    pub fn expected_lifetime(&self) -> Result<f64, ParamError> {
        if self.alpha <= 1.0 {
            return Err(ParamError::Undefined(format!(
                "expected lifetime is infinite for alpha = {} <= 1",
                self.alpha
            )));
        }
        Ok((self.alpha + self.beta - 1.0) / (self.alpha - 1.0))
    }

    fn discounted_sum(&self, start: f64, d: f64) -> Result<f64, ParamError> {
        if !(d.is_finite() && d > 0.0) {
            return Err(ParamError::Undefined(format!(
                "discount rate must be positive, got {d}"
            )));
        }
        // Σₖ≥₀ Π_{j<k} (β+start+j)/(α+β+start+j) / (1+d)ᵏ
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut k = 0.0;
        while k < 1e8 {
            term *= (self.beta + start + k) / (self.alpha + self.beta + start + k) / (1.0 + d);
            sum += term;
            if term <= 1e-17 * sum {
                break;
            }
            k += 1.0;
        }
        Ok(sum)
    }

    /// Discounted expected lifetime of a new customer, Σₜ≥₀ S(t)/(1+d)ᵗ (FH 2010 eq. 5).
    ///
    /// # Errors
    /// [`ParamError::Undefined`] unless d > 0.
    pub fn discounted_expected_lifetime(&self, d: f64) -> Result<f64, ParamError> {
        self.discounted_sum(0.0, d)
    }

    /// Discounted expected residual lifetime of a customer who has made `renewals` = n − 1
    /// renewals, evaluated just before the next renewal decision (FH 2010 eq. 6):
    /// Σₖ≥₀ S(n+k)/S(n−1)/(1+d)ᵏ. Finite and decreasing in d.
    ///
    /// # Errors
    /// [`ParamError::Undefined`] unless d > 0.
    pub fn discounted_expected_residual_lifetime(
        &self,
        d: f64,
        renewals: u64,
    ) -> Result<f64, ParamError> {
        let n = renewals as f64 + 1.0;
        let first = (self.beta + n - 1.0) / (self.alpha + self.beta + n - 1.0);
        Ok(first * self.discounted_sum(n, d)?)
    }

    /// Projected survivors for a cohort of `cohort` at periods 0..=n.
    pub fn projected_survivors(&self, cohort: f64, n: u64) -> Vec<f64> {
        self.survival_curve(n)
            .into_iter()
            .map(|s| s * cohort)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::gradient_check;

    #[test]
    fn gradient_is_exact() {
        let s = Survivors::new(&[1000.0, 631.0, 468.0, 382.0, 326.0]).unwrap();
        assert!(gradient_check(&Sbg::objective(&s), &[-0.3, 0.2]) < 1e-6);
    }

    #[test]
    fn discounted_lifetimes_match_the_closed_forms() {
        // FH 2010 eq. (5) and (6) with crate::hyp2f1.
        use crate::hyp2f1::hyp2f1;
        let m = Sbg::new(0.704, 1.182).unwrap();
        for d in [0.05, 0.1, 0.5] {
            let z = 1.0 / (1.0 + d);
            let del = hyp2f1(1.0, m.beta, m.alpha + m.beta, z);
            let got = m.discounted_expected_lifetime(d).unwrap();
            assert!((got - del).abs() <= 1e-10 * del, "{got} {del}");
            for renewals in [0u64, 1, 4] {
                let n = renewals as f64 + 1.0;
                let derl = (m.beta + n - 1.0) / (m.alpha + m.beta + n - 1.0)
                    * hyp2f1(1.0, m.beta + n, m.alpha + m.beta + n, z);
                let got = m
                    .discounted_expected_residual_lifetime(d, renewals)
                    .unwrap();
                assert!((got - derl).abs() <= 1e-10 * derl, "{got} {derl}");
            }
        }
    }

    #[test]
    fn identities() {
        let m = Sbg::new(0.7, 1.2).unwrap();
        let curve = m.survival_curve(10);
        for t in 0..=10u64 {
            assert!((curve[t as usize] - m.survival(t)).abs() < 1e-14);
            if t > 0 {
                let p = m.survival(t - 1) - m.survival(t);
                assert!((p - m.churn_probability(t)).abs() < 1e-14);
            }
        }
        let m2 = Sbg::new(2.5, 1.2).unwrap();
        let el = m2.expected_lifetime().unwrap();
        let sum: f64 = m2.survival_curve(200_000).iter().sum();
        assert!((el - sum).abs() < 1e-3, "{el} {sum}");
        let d1 = m.discounted_expected_residual_lifetime(0.1, 3).unwrap();
        let d2 = m.discounted_expected_residual_lifetime(0.2, 3).unwrap();
        assert!(d1 > d2 && d2 > 0.0);
        assert!(Survivors::new(&[10.0, 11.0]).is_err());
    }
}
