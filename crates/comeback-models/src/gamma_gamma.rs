//! Gamma-Gamma model of spend per transaction (Colombo & Jiang 1999; Fader & Hardie 2013,
//! "The Gamma-Gamma Model of Monetary Value", brucehardie.com note 025; also FHL 2005 "RFM
//! and CLV", *JMR* 42(4), §"Adding monetary value").
//!
//! Each transaction value z ~ Gamma(p, ν) (shape p, rate ν), ν ~ Gamma(q, γ) across
//! customers, independent of the purchase process. For a customer with x repeat
//! transactions and mean repeat spend m̄ (note 025, eq. 1–4):
//!
//! - density of m̄: f(m̄ | p, q, γ, x) = Γ(px+q) / (Γ(px)Γ(q)) · γ^q m̄^(px−1) x^(px) /
//!   (γ + m̄x)^(px+q) — the likelihood fitted here (note 025 eq. 3), repeat customers only;
//! - E\[M\] = pγ/(q − 1) (q > 1), the population mean spend per transaction;
//! - E[M | p, q, γ, m̄, x] = (pγ + p x m̄)/(px + q − 1) (note 025 eq. 5, a weighted mean of
//!   the population mean and the customer's own mean) — defined only when px + q > 1; it is
//!   an error, never a negative number, otherwise.
//!
//! The model assumes spend is independent of frequency: the fit reports the (weighted)
//! Pearson correlation of x and m̄ among the fitted customers. Customers with x = 0 carry no
//! spend information and customers whose mean spend is not positive cannot come from a gamma
//! distribution: both are excluded and counted.

use crate::fit::{
    DataError, FitError, FitOptions, Fitted, Objective, ParamError, check_positive, check_weights,
    fit_objective,
};
use crate::math::{digamma, ln_gamma};

/// Parameter names as in note 025.
pub const PARAM_NAMES: &[&str] = &["p", "q", "gamma"];

/// Spend data of repeat customers: (x, m̄) pairs, compressed and weighted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpendData {
    rows: Vec<(f64, f64)>,
    weights: Vec<f64>,
    total_weight: f64,
    n_excluded_no_repeat: usize,
    n_excluded_nonpositive: usize,
    correlation: f64,
}

impl SpendData {
    /// Validates frequency and mean repeat spend columns. Rows with x = 0 and rows with
    /// x > 0 but m̄ ≤ 0 are excluded and counted.
    ///
    /// # Errors
    /// [`DataError`] naming the row for NaN/infinite values, negative or non-whole x, bad
    /// weights; [`DataError::Empty`] when no repeat customer with positive spend remains.
    pub fn from_columns(
        frequency: &[f64],
        monetary_value: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<Self, DataError> {
        if frequency.len() != monetary_value.len() {
            return Err(DataError::LengthMismatch(
                frequency.len(),
                monetary_value.len(),
            ));
        }
        check_weights(frequency.len(), weights)?;
        let mut keyed: Vec<((u64, u64), f64)> = Vec::with_capacity(frequency.len());
        let (mut no_repeat, mut nonpositive) = (0, 0);
        for (row, (&x, &m)) in frequency.iter().zip(monetary_value).enumerate() {
            for (field, value) in [("frequency", x), ("monetary_value", m)] {
                if !value.is_finite() {
                    return Err(DataError::NotFinite { row, field, value });
                }
            }
            if x < 0.0 {
                return Err(DataError::Negative {
                    row,
                    field: "frequency",
                    value: x,
                });
            }
            if x.fract() != 0.0 {
                return Err(DataError::NotInteger {
                    row,
                    field: "frequency",
                    value: x,
                });
            }
            if x == 0.0 {
                no_repeat += 1;
                continue;
            }
            if m <= 0.0 {
                nonpositive += 1;
                continue;
            }
            keyed.push(((x.to_bits(), m.to_bits()), weights.map_or(1.0, |w| w[row])));
        }
        if keyed.is_empty() {
            return Err(DataError::Empty);
        }
        // Weighted correlation of x and m̄ before compression (same result after).
        let tw: f64 = keyed.iter().map(|k| k.1).sum();
        let (mut mx, mut mm) = (0.0, 0.0);
        for ((xb, mb), w) in &keyed {
            mx += w * f64::from_bits(*xb);
            mm += w * f64::from_bits(*mb);
        }
        mx /= tw;
        mm /= tw;
        let (mut sxx, mut smm, mut sxm) = (0.0, 0.0, 0.0);
        for ((xb, mb), w) in &keyed {
            let dx = f64::from_bits(*xb) - mx;
            let dm = f64::from_bits(*mb) - mm;
            sxx += w * dx * dx;
            smm += w * dm * dm;
            sxm += w * dx * dm;
        }
        let correlation = if sxx > 0.0 && smm > 0.0 {
            sxm / (sxx * smm).sqrt()
        } else {
            0.0
        };
        keyed.sort_unstable_by_key(|k| k.0);
        let mut rows: Vec<(f64, f64)> = Vec::new();
        let mut ws: Vec<f64> = Vec::new();
        let mut last = None;
        for (key, w) in keyed {
            if last == Some(key) {
                *ws.last_mut().expect("non-empty") += w;
            } else {
                rows.push((f64::from_bits(key.0), f64::from_bits(key.1)));
                ws.push(w);
                last = Some(key);
            }
        }
        Ok(SpendData {
            rows,
            weights: ws,
            total_weight: tw,
            n_excluded_no_repeat: no_repeat,
            n_excluded_nonpositive: nonpositive,
            correlation,
        })
    }

    /// Distinct (x, m̄) rows.
    pub fn rows(&self) -> &[(f64, f64)] {
        &self.rows
    }
    /// Their weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
    /// Sum of the weights (repeat customers fitted).
    pub fn total_weight(&self) -> f64 {
        self.total_weight
    }
    /// Input rows excluded because x = 0.
    pub fn n_excluded_no_repeat(&self) -> usize {
        self.n_excluded_no_repeat
    }
    /// Input rows excluded because x > 0 but m̄ ≤ 0.
    pub fn n_excluded_nonpositive(&self) -> usize {
        self.n_excluded_nonpositive
    }
    /// Weighted Pearson correlation of x and m̄ among the fitted customers.
    pub fn correlation(&self) -> f64 {
        self.correlation
    }
}

/// The Gamma-Gamma spend model with parameters p, q, γ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    p: f64,
    q: f64,
    gamma: f64,
}

struct GgObjective<'a> {
    data: &'a SpendData,
}

impl Objective for GgObjective<'_> {
    fn param_names(&self) -> &'static [&'static str] {
        PARAM_NAMES
    }
    fn total_weight(&self) -> f64 {
        self.data.total_weight
    }
    fn n_distinct(&self) -> usize {
        self.data.rows.len()
    }
    fn initial_log_params(&self) -> Vec<f64> {
        // E[M] = pγ/(q−1): start at p = 1, q = 2, γ = weighted mean spend.
        let mean: f64 = self
            .data
            .rows
            .iter()
            .zip(&self.data.weights)
            .map(|(r, w)| r.1 * w)
            .sum::<f64>()
            / self.data.total_weight;
        vec![0.0, 2f64.ln(), mean.ln()]
    }
    fn value_and_gradient(&self, lp: &[f64], g: &mut [f64]) -> f64 {
        let (p, q, gam) = (lp[0].exp(), lp[1].exp(), lp[2].exp());
        let (lq, dq) = (ln_gamma(q), digamma(q));
        let ln_gam = gam.ln();
        let (mut f, mut gp, mut gq, mut gg) = (0.0, 0.0, 0.0, 0.0);
        let mut cur_x = f64::NAN;
        let (mut lg_pxq, mut lg_px, mut dg_pxq, mut dg_px, mut ln_x) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&(x, m), &w) in self.data.rows.iter().zip(&self.data.weights) {
            let px = p * x;
            if x != cur_x {
                cur_x = x;
                lg_pxq = ln_gamma(px + q);
                lg_px = ln_gamma(px);
                dg_pxq = digamma(px + q);
                dg_px = digamma(px);
                ln_x = x.ln();
            }
            let ln_m = m.ln();
            let ln_gxm = (gam + x * m).ln();
            let ll = lg_pxq - lg_px - lq + q * ln_gam + (px - 1.0) * ln_m + px * ln_x
                - (px + q) * ln_gxm;
            f += w * ll;
            gp += w * x * (dg_pxq - dg_px + ln_m + ln_x - ln_gxm);
            gq += w * (dg_pxq - dq + ln_gam - ln_gxm);
            gg += w * (q / gam - (px + q) / (gam + x * m));
        }
        let n = self.data.total_weight;
        g[0] = -gp * p / n;
        g[1] = -gq * q / n;
        g[2] = -gg * gam / n;
        let v = -f / n;
        if v.is_finite() { v } else { f64::INFINITY }
    }
}

impl GammaGamma {
    /// Model name as on the command line.
    pub const NAME: &'static str = "gamma-gamma";

    /// A model with the given parameters.
    ///
    /// # Errors
    /// [`ParamError::NotPositive`] when a parameter is not positive and finite.
    pub fn new(p: f64, q: f64, gamma: f64) -> Result<Self, ParamError> {
        Ok(GammaGamma {
            p: check_positive("p", p)?,
            q: check_positive("q", q)?,
            gamma: check_positive("gamma", gamma)?,
        })
    }
    /// From a slice `[p, q, gamma]`.
    ///
    /// # Errors
    /// As [`GammaGamma::new`], or for a wrong length.
    pub fn from_params(v: &[f64]) -> Result<Self, ParamError> {
        match v {
            [p, q, g] => Self::new(*p, *q, *g),
            _ => Err(ParamError::Undefined(format!(
                "expected 3 parameters (p, q, gamma), got {}",
                v.len()
            ))),
        }
    }
    /// Shape p of the per-transaction gamma.
    pub fn p(&self) -> f64 {
        self.p
    }
    /// Shape q of the customer-level rate ν.
    pub fn q(&self) -> f64 {
        self.q
    }
    /// Rate γ (scale of spend) of ν.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }
    /// Parameters as a vector `[p, q, gamma]`.
    pub fn params(&self) -> Vec<f64> {
        vec![self.p, self.q, self.gamma]
    }

    /// The mean-negative-log-likelihood objective over (ln p, ln q, ln γ).
    pub fn objective(data: &SpendData) -> impl Objective + '_ {
        GgObjective { data }
    }

    /// Maximum-likelihood fit on repeat customers. The report's `extras` carry
    /// `corr_frequency_spend`, `n_excluded_no_repeat` and `n_excluded_nonpositive`.
    ///
    /// # Errors
    /// [`FitError`] for invalid options or a likelihood not finite at the start.
    pub fn fit(data: &SpendData, opts: &FitOptions) -> Result<Fitted<Self>, FitError> {
        let obj = Self::objective(data);
        let mut report = fit_objective(Self::NAME, &obj, opts)?;
        report.extras = vec![
            ("corr_frequency_spend", data.correlation),
            ("n_excluded_no_repeat", data.n_excluded_no_repeat as f64),
            ("n_excluded_nonpositive", data.n_excluded_nonpositive as f64),
        ];
        let model =
            Self::from_params(&report.params).map_err(|e| FitError::Unfittable(e.to_string()))?;
        Ok(Fitted { model, report })
    }

    /// ln f(m̄ | x) for a repeat customer (x ≥ 1, m̄ > 0).
    pub fn log_likelihood(&self, x: f64, m: f64) -> f64 {
        let (p, q, g) = (self.p, self.q, self.gamma);
        let px = p * x;
        ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
            + q * g.ln()
            + (px - 1.0) * m.ln()
            + px * x.ln()
            - (px + q) * (g + x * m).ln()
    }

    /// Population mean spend per transaction E\[M\] = pγ/(q − 1).
    ///
    /// # Errors
    /// [`ParamError::Undefined`] when q ≤ 1 (the mean does not exist).
    pub fn population_mean_spend(&self) -> Result<f64, ParamError> {
        if self.q <= 1.0 {
            return Err(ParamError::Undefined(format!(
                "the population mean spend p*gamma/(q-1) does not exist for q = {} <= 1",
                self.q
            )));
        }
        Ok(self.p * self.gamma / (self.q - 1.0))
    }

    /// Conditional expected average spend E[M | x, m̄] = (pγ + p x m̄)/(px + q − 1) (note 025
    /// eq. 5). For x = 0 this is the population mean. `m` is ignored when x = 0.
    ///
    /// # Errors
    /// [`ParamError::Undefined`] when p·x + q ≤ 1 (the expectation does not exist), or when
    /// x is negative/not finite or m̄ is negative/not finite for x > 0.
    pub fn conditional_expected_average_spend(&self, x: f64, m: f64) -> Result<f64, ParamError> {
        if !(x.is_finite() && x >= 0.0) {
            return Err(ParamError::Undefined(format!(
                "frequency must be a non-negative number, got {x}"
            )));
        }
        let denom = self.p * x + self.q - 1.0;
        if denom <= 0.0 {
            return Err(ParamError::Undefined(format!(
                "expected average spend is undefined when p*x + q <= 1 (p = {}, q = {}, x = {x})",
                self.p, self.q
            )));
        }
        if x == 0.0 {
            return Ok(self.p * self.gamma / denom);
        }
        if !(m.is_finite() && m >= 0.0) {
            return Err(ParamError::Undefined(format!(
                "mean spend must be a non-negative number, got {m}"
            )));
        }
        Ok((self.p * self.gamma + self.p * x * m) / denom)
    }

    /// [`GammaGamma::conditional_expected_average_spend`] for many customers.
    ///
    /// # Errors
    /// The first row's error, with its index.
    pub fn conditional_expected_average_spend_many(
        &self,
        frequency: &[f64],
        monetary_value: &[f64],
    ) -> Result<Vec<f64>, DataError> {
        frequency
            .iter()
            .zip(monetary_value)
            .enumerate()
            .map(|(row, (&x, &m))| {
                self.conditional_expected_average_spend(x, m)
                    .map_err(|e| DataError::Invalid {
                        row,
                        message: e.to_string(),
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::gradient_check;

    #[test]
    fn gradient_is_exact() {
        let d =
            SpendData::from_columns(&[1.0, 2.0, 5.0, 3.0], &[10.0, 25.5, 40.0, 7.0], None).unwrap();
        assert!(gradient_check(&GammaGamma::objective(&d), &[1.5, 1.0, 2.5]) < 1e-6);
    }

    #[test]
    fn excludes_and_counts() {
        let d =
            SpendData::from_columns(&[0.0, 2.0, 1.0, 1.0], &[0.0, -1.0, 5.0, 5.0], None).unwrap();
        assert_eq!(d.n_excluded_no_repeat(), 1);
        assert_eq!(d.n_excluded_nonpositive(), 1);
        assert_eq!(d.rows().len(), 1);
        assert_eq!(d.total_weight(), 2.0);
    }

    #[test]
    fn undefined_spend_is_an_error() {
        let m = GammaGamma::new(0.1, 0.5, 10.0).unwrap();
        assert!(m.conditional_expected_average_spend(1.0, 20.0).is_err());
        assert!(m.conditional_expected_average_spend(0.0, 0.0).is_err());
        assert!(m.population_mean_spend().is_err());
        assert!(m.conditional_expected_average_spend(10.0, 20.0).unwrap() > 0.0);
    }
}
