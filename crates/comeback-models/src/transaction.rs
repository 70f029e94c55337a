//! What every continuous-time transaction model (BG/NBD, MBG/NBD, Pareto/NBD) predicts, as
//! one trait, and the customer-lifetime-value sum built on it.
//!
//! Inputs are validated [`Rfm`] values, so every prediction is a finite number: the
//! implementations work in logarithms (ln Γ, log-sum-exp) and stay finite for heavy buyers
//! (x and T up to 10⁴ and beyond).

use crate::fit::{ParamError, Rfm};

/// Predictions of a fitted transaction model. Times are in the unit of the data it was
/// fitted on. `t` arguments must be finite and ≥ 0.
pub trait TransactionModel {
    /// Model name as on the command line (`bgnbd`, `mbgnbd`, `pareto-nbd`).
    fn name(&self) -> &'static str;
    /// Parameter names as in the paper.
    fn param_names(&self) -> &'static [&'static str];
    /// Parameter values, in the order of [`TransactionModel::param_names`].
    fn params(&self) -> Vec<f64>;
    /// Individual log-likelihood ln L(θ | x, tₓ, T).
    fn log_likelihood(&self, c: &Rfm) -> f64;
    /// P(alive at T | x, tₓ, T).
    fn p_alive(&self, c: &Rfm) -> f64;
    /// E[X(t)]: expected repeat purchases of a new customer in (0, t].
    fn expected_purchases(&self, t: f64) -> f64;
    /// E[Y(t) | x, tₓ, T]: expected purchases in (T, T + t].
    fn conditional_expected_purchases(&self, c: &Rfm, t: f64) -> f64;
    /// P(X(t) = n) for a new customer.
    fn prob_purchases(&self, t: f64, n: u64) -> f64;
    /// Discounted expected residual transactions with continuous discount rate `delta` > 0
    /// (per unit of time), where the model has it; `None` otherwise.
    fn dert(&self, _c: &Rfm, _delta: f64) -> Option<f64> {
        None
    }

    /// [`TransactionModel::p_alive`] for many customers.
    fn p_alive_many(&self, cs: &[Rfm]) -> Vec<f64> {
        cs.iter().map(|c| self.p_alive(c)).collect()
    }
    /// [`TransactionModel::conditional_expected_purchases`] for many customers.
    fn conditional_expected_purchases_many(&self, cs: &[Rfm], t: f64) -> Vec<f64> {
        cs.iter()
            .map(|c| self.conditional_expected_purchases(c, t))
            .collect()
    }
    /// Sum over customers of ln Lᵢ.
    fn total_log_likelihood(&self, cs: &[Rfm]) -> f64 {
        cs.iter().map(|c| self.log_likelihood(c)).sum()
    }
}

/// Options of the customer-lifetime-value sum.
///
/// CLVᵢ = margin × spendᵢ × Σ_{k=1..K} (E[Y(kΔ)|…] − E[Y((k−1)Δ)|…]) / (1 + d)^k.
///
/// This is lifetimes' `customer_lifetime_value` convention (0.11.3): K steps of length Δ
/// (e.g. `freq="W"` means Δ = 4.345 weeks, a month), each step's increment of the conditional
/// expectation discounted by (1 + d)^k, where d is the rate per step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvOptions {
    margin: f64,
    discount_rate: f64,
    discount_period: f64,
    periods: usize,
}

impl ClvOptions {
    /// Validated options.
    ///
    /// # Errors
    /// [`ParamError`] when the margin or the rate is negative or not finite, or the period
    /// not positive.
    pub fn new(
        margin: f64,
        discount_rate: f64,
        discount_period: f64,
        periods: usize,
    ) -> Result<Self, ParamError> {
        if !(margin.is_finite() && margin >= 0.0) {
            return Err(ParamError::Undefined(format!(
                "margin must be a non-negative number, got {margin}"
            )));
        }
        if !(discount_rate.is_finite() && discount_rate > -1.0) {
            return Err(ParamError::Undefined(format!(
                "discount rate must be greater than -1, got {discount_rate}"
            )));
        }
        if !(discount_period.is_finite() && discount_period > 0.0) {
            return Err(ParamError::Undefined(format!(
                "discount period must be positive, got {discount_period}"
            )));
        }
        Ok(ClvOptions {
            margin,
            discount_rate,
            discount_period,
            periods,
        })
    }
    /// Margin multiplier (1 = revenue CLV).
    pub fn margin(&self) -> f64 {
        self.margin
    }
    /// Discount rate per period.
    pub fn discount_rate(&self) -> f64 {
        self.discount_rate
    }
    /// Period length Δ in the data's time unit.
    pub fn discount_period(&self) -> f64 {
        self.discount_period
    }
    /// Number of periods K.
    pub fn periods(&self) -> usize {
        self.periods
    }
}

/// The number of discount periods K that covers `horizon`: `horizon / discount_period`
/// rounded to the nearest whole period, at least 1 (52 weeks with a monthly period of
/// 365.25/12/7 weeks gives 12), so that a CLV sums the same time as the expected revenue
/// over `horizon`. Both arguments are in the same time unit. This is the default CLV length
/// of `comeback analyze` and `comeback predict`.
pub fn clv_periods_for_horizon(horizon: f64, discount_period: f64) -> usize {
    // `as` saturates (NaN gives 0, raised to 1): no panic on any input.
    ((horizon / discount_period).round() as usize).max(1)
}

/// Discounted expected number of purchases Σ_k (E[Y(kΔ)] − E[Y((k−1)Δ)]) / (1+d)^k.
pub fn discounted_expected_purchases<M: TransactionModel + ?Sized>(
    model: &M,
    c: &Rfm,
    opts: &ClvOptions,
) -> f64 {
    let mut total = 0.0;
    let mut prev = 0.0;
    let mut disc = 1.0;
    for k in 1..=opts.periods {
        let e = model.conditional_expected_purchases(c, k as f64 * opts.discount_period);
        disc /= 1.0 + opts.discount_rate;
        total += (e - prev) * disc;
        prev = e;
    }
    total
}

/// CLV of one customer given the expected average spend per purchase (e.g. from
/// the Gamma-Gamma conditional expected average spend).
pub fn clv<M: TransactionModel + ?Sized>(
    model: &M,
    c: &Rfm,
    expected_avg_spend: f64,
    opts: &ClvOptions,
) -> f64 {
    opts.margin * expected_avg_spend * discounted_expected_purchases(model, c, opts)
}

/// [`clv`] for many customers (`spends[i]` belongs to `cs[i]`).
///
/// # Panics
/// When the slices differ in length.
pub fn clv_many<M: TransactionModel + ?Sized>(
    model: &M,
    cs: &[Rfm],
    spends: &[f64],
    opts: &ClvOptions,
) -> Vec<f64> {
    assert_eq!(cs.len(), spends.len(), "one spend per customer");
    cs.iter()
        .zip(spends)
        .map(|(c, &s)| clv(model, c, s, opts))
        .collect()
}
