//! Interval estimates and two-sample tests shared by the survey metrics.
//!
//! Quantiles come from `statrs` (normal: inverse complementary error function; Student t:
//! inverse regularised incomplete beta function), the normal distribution function from
//! `libm`'s `erfc` (the FreeBSD/musl implementation, < 1 ulp; `statrs`' own normal CDF is
//! off by ~1e-10 relative, e.g. Φ(−1)). All confidence levels are two-sided and must lie
//! strictly between 0 and 1.

use crate::VoiceError;
pub use crate::period::YearMonth;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Checks that `confidence` lies strictly between 0 and 1.
pub(crate) fn check_confidence(confidence: f64) -> Result<(), VoiceError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(VoiceError::InvalidConfidence(confidence))
    }
}

fn standard_normal() -> Normal {
    // Infallible: mean 0, standard deviation 1.
    Normal::standard()
}

/// The two-sided standard normal critical value z = Φ⁻¹((1 + confidence)/2), so that a
/// standard normal variable lies in [−z, z] with probability `confidence`
/// (0.95 → 1.959963984540054).
///
/// # Errors
/// [`VoiceError::InvalidConfidence`] unless 0 < `confidence` < 1.
pub fn z_critical(confidence: f64) -> Result<f64, VoiceError> {
    check_confidence(confidence)?;
    Ok(standard_normal().inverse_cdf(0.5 + confidence / 2.0))
}

/// The standard normal distribution function Φ(x) = ½·erfc(−x/√2) (Abramowitz & Stegun
/// 26.2.29) with `libm::erfc`, accurate in both tails: relative error about
/// max(1, x²)·1e−16 (rounding x/√2), e.g. Φ(−8) = 6.220960574271e−16 to 14 digits.
/// Φ(−∞) = 0, Φ(∞) = 1; NaN gives NaN.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The upper tail 1 − Φ(x) = ½·erfc(x/√2), computed without cancellation.
pub(crate) fn normal_sf(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

fn students_t(df: f64) -> Result<StudentsT, VoiceError> {
    if !(df.is_finite() && df > 0.0) {
        return Err(VoiceError::InvalidArgument(format!(
            "degrees of freedom {df} must be finite and positive"
        )));
    }
    StudentsT::new(0.0, 1.0, df).map_err(|e| VoiceError::InvalidArgument(e.to_string()))
}

/// The two-sided Student t critical value t = F⁻¹_df((1 + confidence)/2) for `df` degrees of
/// freedom (fractional `df`, e.g. Welch–Satterthwaite, allowed). 0.95 with df = 9 →
/// 2.2621571627…
///
/// # Errors
/// [`VoiceError::InvalidConfidence`] unless 0 < `confidence` < 1;
/// [`VoiceError::InvalidArgument`] unless `df` is finite and positive.
pub fn t_critical(confidence: f64, df: f64) -> Result<f64, VoiceError> {
    check_confidence(confidence)?;
    Ok(students_t(df)?.inverse_cdf(0.5 + confidence / 2.0))
}

/// A sample mean with its Student t interval.
///
/// `ci_low`/`ci_high` are `mean ∓ t·se` with t = [`t_critical`]`(confidence, n − 1)`; the
/// scale-aware functions ([`crate::scales::ces`], the service dimensions, report cards) clip
/// them to the rating scale, so there the interval may be narrower than ±t·se.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanEstimate {
    /// Number of observations (≥ 2).
    pub n: u64,
    /// Sample mean, in the unit of the values.
    pub mean: f64,
    /// Sample standard deviation with the n − 1 denominator.
    pub sd: f64,
    /// Standard error of the mean, sd/√n.
    pub se: f64,
    /// Lower bound of the interval.
    pub ci_low: f64,
    /// Upper bound of the interval.
    pub ci_high: f64,
    /// Two-sided confidence level of the interval, in (0, 1).
    pub confidence: f64,
}

/// The mean of `values` with its Student t interval x̄ ± t₍₁₋α/₂, n−1₎ · s/√n (Student 1908;
/// any textbook, e.g. Moore, McCabe & Craig, *Introduction to the Practice of Statistics*,
/// §7.1). Mean and variance are accumulated with Welford's (1962) update.
///
/// A single observation has no spread to measure, so n < 2 is an error rather than an
/// interval of invented width; callers that must show n = 1 show the value without an
/// interval. Constant values give sd = se = 0 and a zero-width interval.
///
/// # Errors
/// [`VoiceError::NoResponses`] for no values, [`VoiceError::InsufficientData`] for one,
/// [`VoiceError::NotFinite`] for a NaN or infinite value,
/// [`VoiceError::InvalidConfidence`] unless 0 < `confidence` < 1.
pub fn mean_interval(values: &[f64], confidence: f64) -> Result<MeanEstimate, VoiceError> {
    check_confidence(confidence)?;
    match values.len() {
        0 => return Err(VoiceError::NoResponses),
        1 => {
            return Err(VoiceError::InsufficientData {
                what: "a t interval",
                needed: 2,
                got: 1,
            });
        }
        _ => {}
    }
    let (mut mean, mut m2) = (0.0_f64, 0.0_f64);
    for (i, &x) in values.iter().enumerate() {
        if !x.is_finite() {
            return Err(VoiceError::NotFinite(x));
        }
        let delta = x - mean;
        mean += delta / (i + 1) as f64;
        m2 += delta * (x - mean);
    }
    let n = values.len() as f64;
    let sd = (m2.max(0.0) / (n - 1.0)).sqrt();
    let se = sd / n.sqrt();
    let t = t_critical(confidence, n - 1.0)?;
    Ok(MeanEstimate {
        n: values.len() as u64,
        mean,
        sd,
        se,
        ci_low: mean - t * se,
        ci_high: mean + t * se,
        confidence,
    })
}

/// A proportion with its Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionEstimate {
    /// Number of trials (answers), ≥ 1.
    pub n: u64,
    /// Number of successes (e.g. top-2-box answers), ≤ n.
    pub successes: u64,
    /// successes / n, in \[0, 1\].
    pub share: f64,
    /// Lower bound of the Wilson interval, in \[0, 1\].
    pub ci_low: f64,
    /// Upper bound of the Wilson interval, in \[0, 1\].
    pub ci_high: f64,
    /// Two-sided confidence level of the interval, in (0, 1).
    pub confidence: f64,
}

/// The share `successes / n` with the Wilson (1927, JASA 22(158):209–212) score interval
///
/// (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n),
///
/// the interval of all p that a two-sided score test at level 1 − `confidence` does not
/// reject (Agresti & Coull 1998, The American Statistician 52(2), eq. 2). Unlike the Wald
/// interval it stays inside \[0, 1\] and has non-zero width at p̂ = 0 or 1.
///
/// # Errors
/// [`VoiceError::NoResponses`] for n = 0, [`VoiceError::InvalidArgument`] when
/// `successes > n`, [`VoiceError::InvalidConfidence`] unless 0 < `confidence` < 1.
pub fn wilson(successes: u64, n: u64, confidence: f64) -> Result<ProportionEstimate, VoiceError> {
    let z = z_critical(confidence)?;
    if n == 0 {
        return Err(VoiceError::NoResponses);
    }
    if successes > n {
        return Err(VoiceError::InvalidArgument(format!(
            "successes {successes} exceed the number of answers {n}"
        )));
    }
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    // At p̂ = 0 (1) the lower (upper) bound is exactly 0 (1); computed, it would suffer
    // cancellation (2.8e−17 instead of 0 for 0 of 10).
    let ci_low = if successes == 0 {
        0.0
    } else {
        (centre - half).clamp(0.0, 1.0)
    };
    let ci_high = if successes == n {
        1.0
    } else {
        (centre + half).clamp(0.0, 1.0)
    };
    Ok(ProportionEstimate {
        n,
        successes,
        share: p,
        ci_low,
        ci_high,
        confidence,
    })
}

/// A difference a − b with its interval and two-sided test.
///
/// Units are those of the compared quantities (shares in \[−1, 1\] for proportions, NPS
/// points for NPS, scale points for means).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// The estimate a − b.
    pub difference: f64,
    /// Standard error of the difference used for the interval.
    pub se: f64,
    /// Lower bound of the interval of the difference.
    pub ci_low: f64,
    /// Upper bound of the interval of the difference.
    pub ci_high: f64,
    /// The test statistic: z when `df` is `None`, Welch t otherwise.
    pub statistic: f64,
    /// Welch–Satterthwaite degrees of freedom of a t statistic; `None` for z.
    pub df: Option<f64>,
    /// Two-sided p-value of H0: no difference.
    pub p_value: f64,
    /// Two-sided confidence level of the interval, in (0, 1).
    pub confidence: f64,
}

fn check_counts(successes: u64, n: u64) -> Result<(), VoiceError> {
    if n == 0 {
        return Err(VoiceError::NoResponses);
    }
    if successes > n {
        return Err(VoiceError::InvalidArgument(format!(
            "successes {successes} exceed the number of answers {n}"
        )));
    }
    Ok(())
}

/// Compares two proportions given as `(successes, n)`: the difference p̂a − p̂b, the
/// two-proportion z test with the pooled standard error
/// z = (p̂a − p̂b) / √(p̄(1 − p̄)(1/na + 1/nb)), p̄ = (xa + xb)/(na + nb),
/// and the unpooled Wald interval (p̂a − p̂b) ± z₁₋α/₂ · √(p̂a(1 − p̂a)/na + p̂b(1 − p̂b)/nb)
/// (Agresti 2013, *Categorical Data Analysis*, 3rd ed., §3.1.3 and §1.4.2 notation).
/// `se` is the unpooled standard error of the interval; the test's pooled one is not stored.
/// The interval is clipped to \[−1, 1\].
///
/// When both samples are all successes or all failures the pooled standard error is 0 and
/// the difference 0: the statistic is then 0 and the p-value 1.
///
/// # Errors
/// [`VoiceError::NoResponses`] if either n is 0, [`VoiceError::InvalidArgument`] when
/// successes exceed n, [`VoiceError::InvalidConfidence`].
pub fn compare_proportions(
    a: (u64, u64),
    b: (u64, u64),
    confidence: f64,
) -> Result<Difference, VoiceError> {
    let z_crit = z_critical(confidence)?;
    check_counts(a.0, a.1)?;
    check_counts(b.0, b.1)?;
    let (na, nb) = (a.1 as f64, b.1 as f64);
    let (pa, pb) = (a.0 as f64 / na, b.0 as f64 / nb);
    let difference = pa - pb;
    let pooled = (a.0 + b.0) as f64 / (na + nb);
    let se0 = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    let statistic = if se0 > 0.0 { difference / se0 } else { 0.0 };
    let se = (pa * (1.0 - pa) / na + pb * (1.0 - pb) / nb).sqrt();
    Ok(Difference {
        difference,
        se,
        ci_low: (difference - z_crit * se).clamp(-1.0, 1.0),
        ci_high: (difference + z_crit * se).clamp(-1.0, 1.0),
        statistic,
        df: None,
        p_value: two_sided_normal_p(statistic),
        confidence,
    })
}

/// Two-sided normal p-value 2·(1 − Φ(|z|)).
pub(crate) fn two_sided_normal_p(z: f64) -> f64 {
    (2.0 * normal_sf(z.abs())).min(1.0)
}

/// Compares two means with Welch's (1947, Biometrika 34:28–35) unequal-variance t test:
/// t = (x̄a − x̄b)/se, se = √(sea² + seb²), with the Welch–Satterthwaite (Satterthwaite 1946,
/// Biometrics Bulletin 2(6):110–114) degrees of freedom
/// ν = se⁴ / (sea⁴/(na − 1) + seb⁴/(nb − 1)),
/// and the interval (x̄a − x̄b) ± t₁₋α/₂,ν · se. Uses each estimate's `mean`, `se` and `n`
/// (se² = s²/n), not its interval, so clipped intervals do not matter.
///
/// # Errors
/// [`VoiceError::InsufficientData`] if either n < 2, [`VoiceError::ZeroVariance`] when both
/// samples are constant (no t statistic exists), [`VoiceError::InvalidArgument`] for a
/// non-finite mean or se, [`VoiceError::InvalidConfidence`].
pub fn compare_means(
    a: &MeanEstimate,
    b: &MeanEstimate,
    confidence: f64,
) -> Result<Difference, VoiceError> {
    check_confidence(confidence)?;
    for e in [a, b] {
        if e.n < 2 {
            return Err(VoiceError::InsufficientData {
                what: "a Welch t test",
                needed: 2,
                got: e.n,
            });
        }
        if !(e.mean.is_finite() && e.se.is_finite() && e.se >= 0.0) {
            return Err(VoiceError::InvalidArgument(format!(
                "mean {} with standard error {} is not a valid estimate",
                e.mean, e.se
            )));
        }
    }
    let (va, vb) = (a.se * a.se, b.se * b.se);
    let var = va + vb;
    if var <= 0.0 {
        return Err(VoiceError::ZeroVariance);
    }
    let se = var.sqrt();
    let df = var * var / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let dist = students_t(df)?;
    let t_crit = dist.inverse_cdf(0.5 + confidence / 2.0);
    let difference = a.mean - b.mean;
    let statistic = difference / se;
    Ok(Difference {
        difference,
        se,
        ci_low: difference - t_crit * se,
        ci_high: difference + t_crit * se,
        statistic,
        df: Some(df),
        p_value: (2.0 * dist.sf(statistic.abs())).min(1.0),
        confidence,
    })
}

/// The mean of the paired differences xᵢ − yᵢ with its t interval ([`mean_interval`] of the
/// differences; the paired t test, Student 1908). Used for SERVQUAL gaps, perception −
/// expectation per respondent.
///
/// # Errors
/// [`VoiceError::LengthMismatch`] when the samples differ in length, otherwise those of
/// [`mean_interval`].
pub fn paired_difference(
    x: &[f64],
    y: &[f64],
    confidence: f64,
) -> Result<MeanEstimate, VoiceError> {
    if x.len() != y.len() {
        return Err(VoiceError::LengthMismatch {
            left: x.len(),
            right: y.len(),
        });
    }
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    mean_interval(&d, confidence)
}
