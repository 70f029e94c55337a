//! Retention economics: what defection costs and what keeping more customers is worth, in
//! profit and acquisition cost (PRODUCT R8; Reichheld & Sasser 1990, "Zero Defections").
//!
//! Nothing here is redefined: the defection rate, customers and revenue lost, CLV, revenue
//! at risk and the retention what-if are those of [`analyze`](crate::analyze) (see
//! [`Analysis::defection`], [`Analysis::headline`], [`Analysis::what_if`]). CLV, value at
//! risk and the what-if gains there are already margin-adjusted (the analysis' `margin`
//! multiplies every CLV), so with a margin below 1 they are profit figures. This module adds
//! the figures that need the margin or an acquisition cost on top of them:
//!
//! | figure | definition |
//! |---|---|
//! | profit lost (12 m) | margin × revenue lost (12 m) |
//! | replacement cost (12 m) | acquisition cost × customers lost (12 m): what it costs to win as many new customers as were lost |
//! | annual revenue per alive customer | expected revenue of the next 12 months from the current base ÷ Σ P(alive) |
//! | annual margin per alive customer | margin × annual revenue per alive customer |
//! | payback (months) | acquisition cost ÷ (annual margin per alive customer ÷ 12): months of an average alive customer's expected margin that pay for acquiring one |
//! | naive lifetime (years) | 1 ÷ defection rate (12 m): the constant-churn lifetime |
//! | naive CLV per customer | annual margin per alive customer ÷ defection rate (undiscounted constant-churn value) |
//! | naive CLV ÷ acquisition cost | the "LTV : CAC" ratio of the naive figures |
//! | what-if customers kept | Σ P(alive) × (12-month survival after − before): customers still there in a year who would otherwise have left |
//! | what-if acquisition cost saved | acquisition cost × customers kept: what replacing them would have cost |
//!
//! The model-based what-if gain ([`WhatIf::model_clv_gain`]) and the naive constant-churn
//! gain ([`WhatIf::naive_clv_gain`]) are shown side by side, as in `analyze`.

use crate::{Analysis, AnalysisError, WhatIf};

/// Retention economics of an [`Analysis`]; see the module documentation for definitions.
/// Money in the currency unit; `None` where the inputs leave a figure undefined (no
/// acquisition cost given, nobody active, a zero defection rate or margin).
#[derive(Debug, Clone, PartialEq)]
pub struct Economics {
    /// Margin as a share of revenue (the analysis' margin).
    pub margin: f64,
    /// Cost of acquiring one customer, if given.
    pub acquisition_cost: Option<f64>,
    /// margin × revenue lost over the last 12 months.
    pub profit_lost_12m: f64,
    /// acquisition cost × customers lost over the last 12 months.
    pub replacement_cost_12m: Option<f64>,
    /// Expected revenue of the next 12 months per expected alive customer.
    pub annual_revenue_per_alive_customer: Option<f64>,
    /// margin × [`Economics::annual_revenue_per_alive_customer`].
    pub annual_margin_per_alive_customer: Option<f64>,
    /// Months of an average alive customer's expected margin that pay for acquiring one.
    pub payback_months: Option<f64>,
    /// 1 ÷ defection rate, in years.
    pub naive_lifetime_years: Option<f64>,
    /// Annual margin per alive customer ÷ defection rate (undiscounted).
    pub naive_clv_per_customer: Option<f64>,
    /// Naive CLV per customer ÷ acquisition cost.
    pub naive_clv_to_acquisition_cost: Option<f64>,
    /// Customers kept over a year by the what-if: Σ P(alive) × (survival after − before).
    pub what_if_customers_kept: f64,
    /// acquisition cost × what-if customers kept.
    pub what_if_acquisition_cost_saved: Option<f64>,
}

/// Positive and finite, else `None`.
fn positive(v: f64) -> Option<f64> {
    (v.is_finite() && v > 0.0).then_some(v)
}

/// The inputs of [`economics_of`], taken from an [`Analysis`] by [`economics`]; separate so
/// that the arithmetic can be checked on hand-made numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct EconomicsInputs {
    /// Margin as a share of revenue.
    pub margin: f64,
    /// Customers lost over the last 12 months.
    pub customers_lost_12m: usize,
    /// Their revenue in the 12 months before (currency unit).
    pub revenue_lost_12m: f64,
    /// The 12-month defection rate (`None` when nobody was active in the previous window).
    pub defection_rate_12m: Option<f64>,
    /// Σ P(alive).
    pub expected_alive_now: f64,
    /// Expected revenue of the next 12 months from the current base.
    pub annual_revenue_alive_base: f64,
    /// 12-month survival of the alive base before the what-if.
    pub survival_before: f64,
    /// … and after.
    pub survival_after: f64,
}

impl EconomicsInputs {
    /// The inputs of an analysis.
    pub fn of(a: &Analysis) -> Self {
        let w: &WhatIf = &a.what_if;
        EconomicsInputs {
            margin: a.clv.margin,
            customers_lost_12m: a.defection.customers_lost,
            revenue_lost_12m: a.defection.revenue_lost.to_f64(),
            defection_rate_12m: a.defection.rate,
            expected_alive_now: a.headline.expected_alive_now,
            annual_revenue_alive_base: w.annual_revenue_alive_base,
            survival_before: w.result.survival_before,
            survival_after: w.result.survival_after,
        }
    }
}

/// The economics of an analysis with an optional acquisition cost per customer.
///
/// # Errors
/// [`AnalysisError::InvalidOption`] when `acquisition_cost` is negative or not finite.
pub fn economics(a: &Analysis, acquisition_cost: Option<f64>) -> Result<Economics, AnalysisError> {
    economics_of(&EconomicsInputs::of(a), acquisition_cost)
}

/// The arithmetic of [`economics`] on plain numbers (definitions in the module docs).
///
/// # Errors
/// [`AnalysisError::InvalidOption`] when `acquisition_cost` or the margin is negative or not
/// finite.
pub fn economics_of(
    i: &EconomicsInputs,
    acquisition_cost: Option<f64>,
) -> Result<Economics, AnalysisError> {
    for (name, v) in [
        ("acquisition_cost", acquisition_cost.unwrap_or(0.0)),
        ("margin", i.margin),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(AnalysisError::InvalidOption {
                name,
                value: v.to_string(),
                expected: "a number ≥ 0",
            });
        }
    }
    let m = i.margin;
    let revenue_per_alive = positive(i.expected_alive_now).map(|n| i.annual_revenue_alive_base / n);
    let margin_per_alive = revenue_per_alive.map(|r| m * r);
    let rate = i.defection_rate_12m.and_then(positive);
    let naive_clv = match (margin_per_alive, rate) {
        (Some(v), Some(r)) => Some(v / r),
        _ => None,
    };
    let kept = i.expected_alive_now * (i.survival_after - i.survival_before);
    Ok(Economics {
        margin: m,
        acquisition_cost,
        profit_lost_12m: m * i.revenue_lost_12m,
        replacement_cost_12m: acquisition_cost.map(|c| c * i.customers_lost_12m as f64),
        annual_revenue_per_alive_customer: revenue_per_alive,
        annual_margin_per_alive_customer: margin_per_alive,
        payback_months: match (acquisition_cost, margin_per_alive.and_then(positive)) {
            (Some(c), Some(v)) => Some(c / (v / 12.0)),
            _ => None,
        },
        naive_lifetime_years: rate.map(|r| 1.0 / r),
        naive_clv_per_customer: naive_clv,
        naive_clv_to_acquisition_cost: match (naive_clv, acquisition_cost.and_then(positive)) {
            (Some(v), Some(c)) => Some(v / c),
            _ => None,
        },
        what_if_customers_kept: kept,
        what_if_acquisition_cost_saved: acquisition_cost.map(|c| c * kept),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PRODUCT R8's example with a 30 % margin and $50 per new customer, by hand:
    /// 140 lost customers who spent $42,000 → profit lost 0.3 × 42,000 = 12,600; replacing
    /// them costs 140 × 50 = 7,000. 560 customers expected alive, $168,000 expected next
    /// year → $300 revenue and $90 margin per alive customer; payback 50 ÷ (90/12) = 6.667
    /// months. Defection 20 % → naive lifetime 5 years, naive CLV 90 ÷ 0.2 = 450, 9 × the
    /// acquisition cost. Survival 0.80 → 0.85 keeps 560 × 0.05 = 28 customers, whose
    /// replacement would cost 1,400.
    #[test]
    fn hand_computed_example() {
        let i = EconomicsInputs {
            margin: 0.3,
            customers_lost_12m: 140,
            revenue_lost_12m: 42_000.0,
            defection_rate_12m: Some(0.2),
            expected_alive_now: 560.0,
            annual_revenue_alive_base: 168_000.0,
            survival_before: 0.80,
            survival_after: 0.85,
        };
        let e = economics_of(&i, Some(50.0)).unwrap();
        let close = |a: Option<f64>, b: f64| {
            let a = a.unwrap();
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
        };
        close(Some(e.profit_lost_12m), 12_600.0);
        close(e.replacement_cost_12m, 7_000.0);
        close(e.annual_revenue_per_alive_customer, 300.0);
        close(e.annual_margin_per_alive_customer, 90.0);
        close(e.payback_months, 50.0 / 7.5);
        close(e.naive_lifetime_years, 5.0);
        close(e.naive_clv_per_customer, 450.0);
        close(e.naive_clv_to_acquisition_cost, 9.0);
        close(Some(e.what_if_customers_kept), 28.0);
        close(e.what_if_acquisition_cost_saved, 1_400.0);

        // Without an acquisition cost the cost figures are undefined, not 0.
        let e = economics_of(&i, None).unwrap();
        assert_eq!(
            (
                e.replacement_cost_12m,
                e.payback_months,
                e.naive_clv_to_acquisition_cost,
                e.what_if_acquisition_cost_saved
            ),
            (None, None, None, None)
        );
        // Nobody defected: no naive lifetime.
        let e = economics_of(
            &EconomicsInputs {
                defection_rate_12m: Some(0.0),
                ..i.clone()
            },
            Some(50.0),
        )
        .unwrap();
        assert_eq!(
            (e.naive_lifetime_years, e.naive_clv_per_customer),
            (None, None)
        );
        assert!(economics_of(&i, Some(-1.0)).is_err());
        assert!(economics_of(&i, Some(f64::NAN)).is_err());
    }
}
