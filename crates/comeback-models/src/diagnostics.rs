//! Goodness-of-fit and validation diagnostics, as data (drawing is the report's job).
//!
//! - [`frequency_histogram`]: actual vs expected number of customers with 0, 1, …, k−1 and
//!   k+ repeat purchases in the calibration period (FHL 2005 Figure 2), with Pearson's
//!   chi-square, its degrees of freedom (bins − 1 − parameters) and p-value;
//! - [`calibration_holdout`]: mean actual vs mean predicted holdout purchases by calibration
//!   frequency (FHL 2005 Figure 4);
//! - [`tracking_curve`]: expected cumulative repeat purchases of a whole cohort per period
//!   given each customer's first-purchase time (FHL 2005 Figure 3); the caller has the
//!   actual series.

use crate::fit::{DataError, Rfm};
use crate::math::inc_gamma;
use crate::transaction::TransactionModel;

/// One bin of [`FrequencyHistogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramBin {
    /// Lowest frequency of the bin (the last bin is "this or more").
    pub frequency: u64,
    /// Whether this is the open last bin (k+).
    pub open: bool,
    /// Customers observed in the bin.
    pub actual: f64,
    /// Customers expected in the bin: Σᵢ P(X(Tᵢ) = x).
    pub expected: f64,
}

/// Actual vs expected frequency histogram with Pearson's chi-square.
#[derive(Debug, Clone, PartialEq)]
pub struct FrequencyHistogram {
    /// Bins 0..k−1 and k+.
    pub bins: Vec<HistogramBin>,
    /// Σ (actual − expected)² / expected over the bins with expected > 0.
    pub chi_square: f64,
    /// Number of bins − 1 − number of model parameters (may be ≤ 0).
    pub df: i64,
    /// P(χ²_df ≥ chi_square); `None` when df ≤ 0.
    pub p_value: Option<f64>,
}

/// Upper tail of the chi-square distribution.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    (1.0 - inc_gamma(x / 2.0, df / 2.0)).clamp(0.0, 1.0)
}

/// Expected vs actual frequency histogram over bins 0..k−1 and k+ (`k` ≥ 1), for customers
/// observed over their own T (FHL 2005 Figure 2).
///
/// # Errors
/// [`DataError::Empty`] for no customers; [`DataError::Invalid`] for k = 0.
pub fn frequency_histogram<M: TransactionModel + ?Sized>(
    model: &M,
    customers: &[Rfm],
    k: u64,
) -> Result<FrequencyHistogram, DataError> {
    if customers.is_empty() {
        return Err(DataError::Empty);
    }
    if k == 0 {
        return Err(DataError::Invalid {
            row: 0,
            message: "the histogram needs at least one bin before the open one (k >= 1)".into(),
        });
    }
    let nb = k as usize + 1;
    let mut actual = vec![0.0; nb];
    for c in customers {
        let i = (c.frequency() as u64).min(k) as usize;
        actual[i] += 1.0;
    }
    // Expected counts per distinct T.
    let mut ts: Vec<f64> = customers.iter().map(Rfm::t).collect();
    ts.sort_by(f64::total_cmp);
    let mut expected = vec![0.0; nb];
    let mut i = 0;
    while i < ts.len() {
        let t = ts[i];
        let mut j = i;
        while j < ts.len() && ts[j] == t {
            j += 1;
        }
        let w = (j - i) as f64;
        let mut closed = 0.0;
        for (x, e) in expected.iter_mut().enumerate().take(k as usize) {
            let p = model.prob_purchases(t, x as u64);
            closed += p;
            *e += w * p;
        }
        expected[k as usize] += w * (1.0 - closed).max(0.0);
        i = j;
    }
    let mut chi_square = 0.0;
    for (a, e) in actual.iter().zip(&expected) {
        if *e > 0.0 {
            chi_square += (a - e) * (a - e) / e;
        }
    }
    let df = nb as i64 - 1 - model.params().len() as i64;
    let p_value = (df > 0).then(|| chi_square_sf(chi_square, df as f64));
    let bins = (0..nb)
        .map(|x| HistogramBin {
            frequency: x as u64,
            open: x == k as usize,
            actual: actual[x],
            expected: expected[x],
        })
        .collect();
    Ok(FrequencyHistogram {
        bins,
        chi_square,
        df,
        p_value,
    })
}

/// One row of [`calibration_holdout`].
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationHoldoutRow {
    /// Calibration frequency (the last row is "this or more").
    pub frequency: u64,
    /// Whether this is the open last row.
    pub open: bool,
    /// Customers in the row.
    pub n_customers: usize,
    /// Mean actual holdout purchases.
    pub mean_actual: f64,
    /// Mean predicted holdout purchases E[Y(durationᵢ) | calibration data].
    pub mean_predicted: f64,
}

/// Mean actual vs predicted holdout purchases by calibration frequency 0..k−1 and k+ (FHL
/// 2005 Figure 4). `holdout_actual[i]` and `holdout_duration[i]` belong to `calibration[i]`.
/// Rows without customers are omitted.
///
/// # Errors
/// [`DataError`] for mismatched lengths, or a negative/non-finite actual or duration (named
/// by row).
pub fn calibration_holdout<M: TransactionModel + ?Sized>(
    model: &M,
    calibration: &[Rfm],
    holdout_actual: &[f64],
    holdout_duration: &[f64],
    k: u64,
) -> Result<Vec<CalibrationHoldoutRow>, DataError> {
    if calibration.len() != holdout_actual.len() {
        return Err(DataError::LengthMismatch(
            calibration.len(),
            holdout_actual.len(),
        ));
    }
    if calibration.len() != holdout_duration.len() {
        return Err(DataError::LengthMismatch(
            calibration.len(),
            holdout_duration.len(),
        ));
    }
    let nb = k as usize + 1;
    let mut n = vec![0usize; nb];
    let mut sa = vec![0.0; nb];
    let mut sp = vec![0.0; nb];
    for (row, ((c, &a), &d)) in calibration
        .iter()
        .zip(holdout_actual)
        .zip(holdout_duration)
        .enumerate()
    {
        for (field, value) in [("holdout frequency", a), ("holdout duration", d)] {
            if !value.is_finite() {
                return Err(DataError::NotFinite { row, field, value });
            }
            if value < 0.0 {
                return Err(DataError::Negative { row, field, value });
            }
        }
        let i = (c.frequency() as u64).min(k) as usize;
        n[i] += 1;
        sa[i] += a;
        sp[i] += model.conditional_expected_purchases(c, d);
    }
    Ok((0..nb)
        .filter(|&i| n[i] > 0)
        .map(|i| CalibrationHoldoutRow {
            frequency: i as u64,
            open: i == k as usize,
            n_customers: n[i],
            mean_actual: sa[i] / n[i] as f64,
            mean_predicted: sp[i] / n[i] as f64,
        })
        .collect())
}

/// Expected cumulative repeat purchases of a cohort, per period.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingCurve {
    /// End of each period, in the time unit, measured from the common origin.
    pub period_end: Vec<f64>,
    /// Σᵢ E[X(period_end − sᵢ)] over customers with first purchase sᵢ < period_end.
    pub cumulative: Vec<f64>,
    /// Differences of `cumulative` (expected repeat purchases within each period).
    pub incremental: Vec<f64>,
}

/// Expected cumulative repeat purchases of the whole cohort at the end of each of `periods`
/// periods of length `period` from a common origin, given each customer's first-purchase
/// time sᵢ ≥ 0 from that origin (FHL 2005 Figure 3).
///
/// # Errors
/// [`DataError`] for a negative or non-finite first-purchase time (named by row) or a
/// non-positive period length.
pub fn tracking_curve<M: TransactionModel + ?Sized>(
    model: &M,
    first_purchase: &[f64],
    period: f64,
    periods: usize,
) -> Result<TrackingCurve, DataError> {
    if !(period.is_finite() && period > 0.0) {
        return Err(DataError::Invalid {
            row: 0,
            message: format!("period length must be positive, got {period}"),
        });
    }
    for (row, &value) in first_purchase.iter().enumerate() {
        if !value.is_finite() {
            return Err(DataError::NotFinite {
                row,
                field: "first purchase",
                value,
            });
        }
        if value < 0.0 {
            return Err(DataError::Negative {
                row,
                field: "first purchase",
                value,
            });
        }
    }
    let mut s = first_purchase.to_vec();
    s.sort_by(f64::total_cmp);
    let mut groups: Vec<(f64, f64)> = Vec::new();
    for v in s {
        match groups.last_mut() {
            Some(g) if g.0 == v => g.1 += 1.0,
            _ => groups.push((v, 1.0)),
        }
    }
    let mut period_end = Vec::with_capacity(periods);
    let mut cumulative = Vec::with_capacity(periods);
    for j in 1..=periods {
        let end = j as f64 * period;
        let total: f64 = groups
            .iter()
            .filter(|g| g.0 < end)
            .map(|g| g.1 * model.expected_purchases(end - g.0))
            .sum();
        period_end.push(end);
        cumulative.push(total);
    }
    let mut incremental = Vec::with_capacity(periods);
    let mut prev = 0.0;
    for &c in &cumulative {
        incremental.push(c - prev);
        prev = c;
    }
    Ok(TrackingCurve {
        period_end,
        cumulative,
        incremental,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_square_tail_known_values() {
        // χ²₁ at 3.841458820694124 → 0.05; χ²₄ at 9.487729036781154 → 0.05.
        assert!((chi_square_sf(3.841458820694124, 1.0) - 0.05).abs() < 1e-9);
        assert!((chi_square_sf(9.487729036781154, 4.0) - 0.05).abs() < 1e-9);
        assert_eq!(chi_square_sf(0.0, 3.0), 1.0);
    }
}
