//! Distribution functions: normal via `libm::erfc` (accurate in both tails), normal
//! quantile and chi-square survival function via `statrs`.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

/// Two-sided normal p-value of a z statistic, 2·Φ(−|z|) = erfc(|z|/√2).
pub(crate) fn normal_two_sided_p(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// The standard normal quantile z with Φ(z) = 1 − (1 − confidence)/2 (1.959964 for 0.95).
pub(crate) fn z_for(confidence: f64) -> f64 {
    // `Normal::new(0, 1)` cannot fail.
    Normal::new(0.0, 1.0)
        .map(|n| n.inverse_cdf(1.0 - (1.0 - confidence) / 2.0))
        .unwrap_or(f64::NAN)
}

/// P(χ²_df > x); 1 for x ≤ 0.
pub(crate) fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 1.0;
    }
    ChiSquared::new(df).map(|c| c.sf(x)).unwrap_or(f64::NAN)
}

/// Checks a confidence level strictly between 0 and 1.
pub(crate) fn check_confidence(confidence: f64) -> Result<(), crate::SurvivalError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(crate::SurvivalError::InvalidOption {
            name: "confidence",
            value: confidence.to_string(),
            expected: "a number strictly between 0 and 1",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_quantiles_and_tails() {
        assert!((z_for(0.95) - 1.959963984540054).abs() < 1e-12);
        assert!((normal_two_sided_p(1.959963984540054) - 0.05).abs() < 1e-15);
        // χ²₁ > 3.841459 has probability 0.05; χ²₃ > 7.814728 too.
        assert!((chi2_sf(3.841458820694124, 1.0) - 0.05).abs() < 1e-12);
        assert!((chi2_sf(7.814727903251178, 3.0) - 0.05).abs() < 1e-12);
        assert_eq!(chi2_sf(0.0, 2.0), 1.0);
    }
}
