//! Gauss hypergeometric function ₂F₁(a, b; c; z) for real parameters and real z ≤ 1.
//!
//! Used for the Pareto/NBD likelihood in its published form (Fader & Hardie 2005, "A Note on
//! Deriving the Pareto/NBD Model and Related Expressions", §3; `pareto_nbd` evaluates the same
//! quantity by a specialised series) and the BG/NBD conditional expectation (Fader, Hardie &
//! Lee 2005, "Counting Your Customers the Easy Way").
//!
//! # Method
//! All formulas are from Abramowitz & Stegun (1964), chapter 15 ("A&S"), and DLMF §15.
//! 1. Defining power series (A&S 15.1.1), rescaled so that intermediate terms never overflow
//!    (the result is also available as a logarithm, [`ln_hyp2f1`]); stopped by a tail bound
//!    once k has passed −a, −b and −c (before that a term can grow again).
//! 2. z < 0: Pfaff transformation (A&S 15.3.4)
//!    ₂F₁(a, b; c; z) = (1 − z)^(−a) ₂F₁(a, c − b; c; z/(z − 1)), which maps z ∈ (−∞, 0)
//!    onto w ∈ (0, 1) (1 − w = 1/(1 − z) is carried separately, exactly).
//! 3. 0 < z < 1: the function itself or its Euler transform (A&S 15.3.3)
//!    (1 − z)^(c−a−b) ₂F₁(c − a, c − b; c; z) — terminating form first, then the one with
//!    terms of one sign (no cancellation), then the smaller |a′b′/c|; the other when the
//!    first fails. (For large a and b with c ≈ a + b the Euler form turns thousands of
//!    growing terms into a handful of shrinking ones.)
//! 4. z > 0.75: a short series first (large c converges fast even near 1); otherwise the
//!    hypergeometric differential equation (A&S 15.5.1)
//!    z(1 − z)w″ + [c − (a + b + 1)z]w′ − ab w = 0 is integrated by analytic continuation:
//!    from the series value and derivative at z₀ = 1/2, Taylor expansions about the current
//!    point (coefficients from the three-term recurrence the equation implies) are summed over
//!    steps of a fixed fraction of the distance to the singular point 1 (~40 steps to reach
//!    1 − 10⁻¹²). Unlike the connection formula for 1 − z (A&S 15.3.6), this does not care
//!    whether c − a − b is an integer (scipy returns NaN there; the published Pareto/NBD
//!    likelihood hits it whenever s is an integer). It is run twice with different step
//!    sequences and the results must agree to 1e-11 (rounding amplified along an unstable
//!    direction shows up as disagreement).
//! 5. Last resort near 1: the connection formula A&S 15.3.6, when c − a − b is at least 0.05
//!    from an integer and its two terms do not cancel to fewer than 11 digits.
//!
//! Accuracy: worst 1.1e-12 relative over the 119 committed mpmath cases
//! (`data/reference/mpmath/hyp2f1_values.csv`: z → 1⁻, z ≪ −1, large a and b, integer and
//! near-integer c − a − b); over 800 seeded random cases (`hyp2f1_random_values.csv`) no value
//! is wrong and 15 are refused with [`Hyp2f1Error::NoConvergence`] (large parameters with z
//! within ~1e-4 of 1 and c − a − b within 0.05 of an integer; |b| ~ 10³ with z ≪ −1). An
//! error is returned whenever a series or a Taylor step does not converge within its term
//! budget or loses more than 5 of its 16 digits to cancellation — never a partial sum.
//!
//! Near z = 1 the argument itself limits the accuracy: an f64 z determines 1 − z only to
//! about 1.1·10⁻¹⁶/(1 − z) relative, and ₂F₁ ~ (1 − z)^(c−a−b) (DLMF 15.4(ii)) turns that
//! into |c − a − b|·1.1·10⁻¹⁶/(1 − z) (3·10⁻⁵ at 1 − z = 10⁻¹², c − a − b = −1.45) however
//! exactly ₂F₁ is evaluated at the rounded z. A caller that knows 1 − z more accurately
//! than as 1 − z (the BG/NBD expectations, `bgnbd`) should not go through this function
//! there.

use special::Gamma;

/// Why ₂F₁ could not be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum Hyp2f1Error {
    /// An argument is NaN or infinite.
    #[error("hyp2f1: non-finite argument (a = {a}, b = {b}, c = {c}, z = {z})")]
    NonFinite {
        /// First numerator parameter.
        a: f64,
        /// Second numerator parameter.
        b: f64,
        /// Denominator parameter.
        c: f64,
        /// Argument.
        z: f64,
    },
    /// z > 1, or z = 1 with c − a − b ≤ 0 (the series diverges there).
    #[error("hyp2f1: z = {z} outside the supported domain (z < 1, or z = 1 with c - a - b > 0)")]
    Domain {
        /// Argument.
        z: f64,
    },
    /// c is a non-positive integer and the series does not terminate before the pole.
    #[error("hyp2f1: c = {c} is a non-positive integer (pole of the function)")]
    Pole {
        /// Denominator parameter.
        c: f64,
    },
    /// The series or the analytic continuation did not converge within its term budget, or
    /// cancellation destroyed more than 10 significant digits.
    #[error("hyp2f1: no convergence for a = {a}, b = {b}, c = {c}, z = {z} ({terms} terms)")]
    NoConvergence {
        /// First numerator parameter.
        a: f64,
        /// Second numerator parameter.
        b: f64,
        /// Denominator parameter.
        c: f64,
        /// Argument.
        z: f64,
        /// Terms summed before giving up.
        terms: usize,
    },
    /// The value is finite mathematically but outside the f64 range; use [`ln_hyp2f1`].
    #[error("hyp2f1: |value| = exp({ln_abs}) overflows f64; use ln_hyp2f1")]
    Overflow {
        /// Natural logarithm of the absolute value.
        ln_abs: f64,
    },
}

/// Gauss hypergeometric function ₂F₁(a, b; c; z) (A&S 15.1.1), convenience form.
///
/// Real a, b, c; real z < 1 (z = 1 when c − a − b > 0). Returns `f64::NAN` only where
/// [`try_hyp2f1`] returns an error (invalid input, pole, overflow or non-convergence); use
/// [`try_hyp2f1`] or [`ln_hyp2f1`] to learn why, or when the value may overflow.
///
/// # Examples
/// ```
/// use comeback_models::hyp2f1::hyp2f1;
/// // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z
/// let z: f64 = 0.5;
/// assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0 - z).ln() / z)).abs() < 1e-15);
/// ```
#[must_use]
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    try_hyp2f1(a, b, c, z).unwrap_or(f64::NAN)
}

/// Gauss hypergeometric function ₂F₁(a, b; c; z) (A&S 15.1.1) with a typed error.
///
/// # Errors
/// [`Hyp2f1Error`]: non-finite input, z outside the domain, c a pole, no convergence, or a
/// value outside the f64 range (then [`ln_hyp2f1`] still works).
pub fn try_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64, Hyp2f1Error> {
    let (ln_abs, sign) = ln_hyp2f1(a, b, c, z)?;
    if sign == 0.0 {
        return Ok(0.0);
    }
    let v = ln_abs.exp();
    if v.is_finite() {
        Ok(sign * v)
    } else {
        Err(Hyp2f1Error::Overflow { ln_abs })
    }
}

/// ln |₂F₁(a, b; c; z)| and its sign (−1, 0 or +1), for values beyond the f64 range
/// (heavy buyers: prefactors like (1 − z)^(−a) with a ~ 10⁴).
///
/// Returns `(ln_abs, sign)`; for a zero value `(−∞, 0.0)`.
///
/// # Errors
/// As [`try_hyp2f1`], except that overflow cannot occur.
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<(f64, f64), Hyp2f1Error> {
    let s = eval(a, b, c, z)?;
    Ok(s.ln_sign())
}

/// A value m·e^ln_s kept in two parts so that it cannot overflow.
#[derive(Debug, Clone, Copy)]
struct Scaled {
    m: f64,
    ln_s: f64,
}

impl Scaled {
    fn one() -> Self {
        Self { m: 1.0, ln_s: 0.0 }
    }
    fn ln_sign(self) -> (f64, f64) {
        if self.m == 0.0 {
            (f64::NEG_INFINITY, 0.0)
        } else {
            (self.m.abs().ln() + self.ln_s, self.m.signum())
        }
    }
    fn times_exp(self, ln_f: f64) -> Self {
        Self {
            m: self.m,
            ln_s: self.ln_s + ln_f,
        }
    }
}

const EPS: f64 = 1.1e-16;
/// Series terms before giving up (|z| ≤ 0.75 after transformation needs < 200 for moderate
/// parameters; large parameters need up to ~ |ab/c| more).
const MAX_SERIES_TERMS: usize = 200_000;
/// Budget of the first, optimistic series attempt beyond [`SERIES_LIMIT`].
const SHORT_SERIES_TERMS: usize = 3_000;
/// Taylor coefficients per continuation step before giving up.
const MAX_STEP_TERMS: usize = 20_000;
/// Above this z the series is replaced by analytic continuation from z₀ = 1/2 (after a
/// short series attempt).
const SERIES_LIMIT: f64 = 0.75;
/// Tolerated cancellation: max |term| / |sum| (1e5: at most 5 of the 16 digits lost).
const MAX_CANCELLATION: f64 = 1e5;
/// Agreement required between the two continuations with different step sequences.
const CONTINUATION_AGREEMENT: f64 = 1e-11;
const RESCALE: f64 = 1e200;

fn is_nonpos_int(x: f64) -> bool {
    x <= 0.0 && x == x.round()
}

fn eval(a: f64, b: f64, c: f64, z: f64) -> Result<Scaled, Hyp2f1Error> {
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite()) {
        return Err(Hyp2f1Error::NonFinite { a, b, c, z });
    }
    if z > 1.0 {
        return Err(Hyp2f1Error::Domain { z });
    }
    let a_poly = is_nonpos_int(a);
    let b_poly = is_nonpos_int(b);
    if is_nonpos_int(c) {
        // (c)_k vanishes at k = 1 − c; a terminating series of degree −a ≤ −c is still fine.
        let ok = (a_poly && a >= c) || (b_poly && b >= c);
        if !ok {
            return Err(Hyp2f1Error::Pole { c });
        }
    }
    if z == 0.0 || a == 0.0 || b == 0.0 {
        return Ok(Scaled::one());
    }
    if a_poly || b_poly {
        // Terminating series: a polynomial of degree min(−a, −b) in z (A&S 15.4.1).
        let (s, _) = series(a, b, c, z, false, MAX_SERIES_TERMS)?;
        return Ok(s);
    }
    if z == 1.0 {
        return gauss_sum(a, b, c);
    }
    if z < 0.0 {
        // Pfaff (A&S 15.3.4): (1 − z)^(−a) ₂F₁(a, c − b; c; z/(z − 1)).
        // 1 − w = 1/(1 − z) is passed separately: forming it from w would cost digits
        // when w is close to 1 (z ≪ −1).
        let w = z / (z - 1.0);
        let y = 1.0 / (1.0 - z);
        let pre = -a * (-z).ln_1p();
        return Ok(positive(a, c - b, c, w, y)?.times_exp(pre));
    }
    positive(a, b, c, z, 1.0 - z)
}

/// Gauss's theorem (A&S 15.1.20): ₂F₁(a, b; c; 1) = Γ(c)Γ(c − a − b)/(Γ(c − a)Γ(c − b)),
/// c − a − b > 0.
fn gauss_sum(a: f64, b: f64, c: f64) -> Result<Scaled, Hyp2f1Error> {
    let d = c - a - b;
    if d <= 0.0 {
        return Err(Hyp2f1Error::Domain { z: 1.0 });
    }
    if is_nonpos_int(c - a) || is_nonpos_int(c - b) {
        return Ok(Scaled { m: 0.0, ln_s: 0.0 });
    }
    let (l1, s1) = Gamma::ln_gamma(c);
    let (l2, s2) = Gamma::ln_gamma(d);
    let (l3, s3) = Gamma::ln_gamma(c - a);
    let (l4, s4) = Gamma::ln_gamma(c - b);
    let sign = f64::from(s1 * s2 * s3 * s4);
    Ok(Scaled {
        m: sign,
        ln_s: l1 + l2 - l3 - l4,
    })
}

/// 0 < z < 1: choose between the series and its Euler transform, and continue
/// analytically beyond [`SERIES_LIMIT`]. `y` = 1 − z, supplied accurately by the caller.
fn positive(a: f64, b: f64, c: f64, z: f64, y: f64) -> Result<Scaled, Hyp2f1Error> {
    // Two representations: the function itself and its Euler transform (A&S 15.3.3)
    // (1 − z)^(c−a−b) ₂F₁(c − a, c − b; c; z). Tried in order of preference: a terminating
    // one first, then one whose terms keep one sign (no negative non-integer numerator
    // parameter: no cancellation), then the smaller |a′b′/c|; the next is tried when one fails.
    let euler_pre = (c - a - b) * y.ln();
    let rank = |p: f64, q: f64| -> (u8, f64) {
        if is_nonpos_int(p) || is_nonpos_int(q) {
            (0, 0.0)
        } else {
            let sign_changes = u8::from(p < 0.0) + u8::from(q < 0.0) + u8::from(c < 0.0);
            (1 + sign_changes, (p * q).abs() / c.abs().max(1.0))
        }
    };
    let mut forms = [
        (a, b, 0.0, rank(a, b)),
        (c - a, c - b, euler_pre, rank(c - a, c - b)),
    ];
    if forms[1].3 < forms[0].3 {
        forms.swap(0, 1);
    }
    let mut last_err = None;
    for &(pa, pb, pre, _) in &forms {
        match one_form(pa, pb, c, z, y) {
            Ok(v) => return Ok(v.times_exp(pre)),
            Err(e) => last_err = Some(e),
        }
    }
    // Last resort near 1: the connection formula for 1 − z (A&S 15.3.6), when c − a − b is
    // not within 0.05 of an integer.
    if z > SERIES_LIMIT
        && let Some(v) = connection(a, b, c, y)
    {
        return Ok(v);
    }
    Err(last_err.unwrap_or(Hyp2f1Error::NoConvergence {
        a,
        b,
        c,
        z,
        terms: 0,
    }))
}

/// ₂F₁(a, b; c; z) for 0 < z < 1 by the series, or beyond [`SERIES_LIMIT`] by a short series,
/// the continuation, then a long series.
fn one_form(a: f64, b: f64, c: f64, z: f64, y: f64) -> Result<Scaled, Hyp2f1Error> {
    if is_nonpos_int(a) || is_nonpos_int(b) || z <= SERIES_LIMIT {
        return Ok(series(a, b, c, z, false, MAX_SERIES_TERMS)?.0);
    }
    // Large c makes the series converge fast even close to 1 (and makes the Taylor steps of
    // the continuation unstable), so try a short series first.
    if let Ok((v, _)) = series(a, b, c, z, false, SHORT_SERIES_TERMS) {
        return Ok(v);
    }
    match continuation(a, b, c, z, y) {
        Ok(v) => Ok(v),
        Err(e) => Ok(series(a, b, c, z, false, MAX_SERIES_TERMS)
            .map_err(|_| e)?
            .0),
    }
}

/// 1/Γ(x) as (ln|1/Γ|, sign), sign 0 at the poles x = 0, −1, −2, ….
fn rgamma(x: f64) -> (f64, f64) {
    if is_nonpos_int(x) {
        (f64::NEG_INFINITY, 0.0)
    } else {
        let (l, s) = Gamma::ln_gamma(x);
        (-l, f64::from(s))
    }
}

/// Connection formula for 1 − z (A&S 15.3.6), m = c − a − b not near an integer:
/// Γ(c)Γ(m)/(Γ(c−a)Γ(c−b)) ₂F₁(a, b; 1−m; y) + y^m Γ(c)Γ(−m)/(Γ(a)Γ(b)) ₂F₁(c−a, c−b; 1+m; y),
/// y = 1 − z. `None` when m is within 0.05 of an integer, c is a pole, an inner function fails
/// or the two terms cancel to fewer than 11 digits.
fn connection(a: f64, b: f64, c: f64, y: f64) -> Option<Scaled> {
    let m = c - a - b;
    if (m - m.round()).abs() < 0.05 || is_nonpos_int(c) || y >= 0.5 {
        return None;
    }
    let (lgc, sgc) = Gamma::ln_gamma(c);
    let (lgm, sgm) = Gamma::ln_gamma(m);
    let (lgnm, sgnm) = Gamma::ln_gamma(-m);
    let (r1, s1) = rgamma(c - a);
    let (r2, s2) = rgamma(c - b);
    let (r3, s3) = rgamma(a);
    let (r4, s4) = rgamma(b);
    let term = |sign: f64, ln_pre: f64, f: Scaled| -> (f64, f64) {
        if sign == 0.0 || f.m == 0.0 {
            (f64::NEG_INFINITY, 0.0)
        } else {
            (ln_pre + f.ln_s + f.m.abs().ln(), sign * f.m.signum())
        }
    };
    let f1 = eval(a, b, 1.0 - m, y).ok()?;
    let f2 = eval(c - a, c - b, 1.0 + m, y).ok()?;
    let t1 = term(f64::from(sgc * sgm) * s1 * s2, lgc + lgm + r1 + r2, f1);
    let t2 = term(
        f64::from(sgc * sgnm) * s3 * s4,
        m * y.ln() + lgc + lgnm + r3 + r4,
        f2,
    );
    let hi = t1.0.max(t2.0);
    if !hi.is_finite() {
        return None;
    }
    let v = t1.1 * (t1.0 - hi).exp() + t2.1 * (t2.0 - hi).exp();
    // The larger term is 1 in these units: demand 11 digits left after cancellation
    // (beyond the ~1 digit lost to Γ(±m) with |m − round(m)| ≥ 0.05).
    if v.abs() < 1e-5 {
        return None;
    }
    Some(Scaled { m: v, ln_s: hi })
}

/// Power series Σ (a)_k (b)_k / ((c)_k k!) z^k (A&S 15.1.1), |z| < 1.
///
/// Returns the sum and, when `deriv`, z·F′(z) = Σ k t_k, both with the same scale.
fn series(
    a: f64,
    b: f64,
    c: f64,
    z: f64,
    deriv: bool,
    max_terms: usize,
) -> Result<(Scaled, f64), Hyp2f1Error> {
    let mut t = 1.0_f64;
    let mut sum = 1.0_f64;
    let mut dsum = 0.0_f64;
    let mut ln_s = 0.0_f64;
    // Largest |term| relative to the current scale, for the cancellation check.
    let mut max_t = 1.0_f64;
    let mut k = 0usize;
    let k_min = (-a).max(-b).max(-c).max(0.0) + 1.0;
    loop {
        if k >= max_terms {
            return Err(Hyp2f1Error::NoConvergence {
                a,
                b,
                c,
                z,
                terms: k,
            });
        }
        let kf = k as f64;
        let ratio = (a + kf) * (b + kf) / ((c + kf) * (kf + 1.0)) * z;
        t *= ratio;
        k += 1;
        if t == 0.0 {
            break; // terminating series
        }
        sum += t;
        if deriv {
            dsum += k as f64 * t;
        }
        max_t = max_t.max(t.abs());
        if t.abs() > RESCALE || sum.abs() > RESCALE {
            t /= RESCALE;
            sum /= RESCALE;
            dsum /= RESCALE;
            max_t /= RESCALE;
            ln_s += RESCALE.ln();
        }
        // Tail bound: once the term ratio is below one it tends monotonically to |z| for
        // the k reached here, so |t|·q/(1 − q) with q = max(|ratio_next|, |z|) bounds the tail.
        let kf = k as f64;
        let next = ((a + kf) * (b + kf) / ((c + kf) * (kf + 1.0)) * z).abs();
        // Before k passes −a, −b and −c a factor of the ratio may still come close to zero
        // (or the denominator to a pole) and the terms grow again: no stopping there.
        if next < 1.0 && kf > k_min {
            let q = next.max(z.abs());
            if q < 1.0 {
                let tail = t.abs() * next / (1.0 - q);
                let mut done = tail <= 0.5 * EPS * sum.abs();
                if deriv {
                    let dtail = t.abs() * next * (kf + 1.0) / ((1.0 - q) * (1.0 - q));
                    done &= dtail <= 0.5 * EPS * dsum.abs().max(f64::MIN_POSITIVE);
                }
                if done {
                    break;
                }
            }
        }
    }
    if sum == 0.0 || max_t / sum.abs() > MAX_CANCELLATION {
        return Err(Hyp2f1Error::NoConvergence {
            a,
            b,
            c,
            z,
            terms: k,
        });
    }
    Ok((Scaled { m: sum, ln_s }, dsum))
}

/// Analytic continuation along (1/2, z] by Taylor steps of the hypergeometric equation
/// (A&S 15.5.1), 1/2 < z < 1. Each step from z₀ goes at most half way to the singular
/// point 1, so its Taylor series converges at least like 2^(−n).
///
/// The continuation is run twice, with steps of 1/2 and 2/5 of the distance to 1. Where the
/// wanted solution is recessive (the other solution of the equation grows faster along the
/// path) rounding errors are amplified, differently along the two step sequences: when the
/// two results differ by more than [`CONTINUATION_AGREEMENT`] an error is returned instead.
fn continuation(a: f64, b: f64, c: f64, z: f64, y: f64) -> Result<Scaled, Hyp2f1Error> {
    let v1 = continuation_steps(a, b, c, z, y, 0.5)?;
    let v2 = continuation_steps(a, b, c, z, y, 0.4)?;
    let (l1, s1) = v1.ln_sign();
    let (l2, s2) = v2.ln_sign();
    if s1 != s2 || (l1 - l2).abs() > CONTINUATION_AGREEMENT {
        return Err(Hyp2f1Error::NoConvergence {
            a,
            b,
            c,
            z,
            terms: 0,
        });
    }
    Ok(v1)
}

/// One continuation with steps of `rho` times the distance to 1.
fn continuation_steps(
    a: f64,
    b: f64,
    c: f64,
    z: f64,
    y: f64,
    rho: f64,
) -> Result<Scaled, Hyp2f1Error> {
    let z_start = 0.5_f64;
    // Distances to the singular point 1 are tracked directly (y0 = 1 − z0), so that the
    // last step lands on 1 − z without rounding.
    let (s, dz) = series(a, b, c, z_start, true, MAX_SERIES_TERMS)?;
    // Normalised state: w = W·e^ln_s, w′ = D·e^ln_s.
    let mut w = s.m;
    let mut d = dz / z_start;
    let mut ln_s = s.ln_s;
    let mut y0 = 1.0 - z_start;
    let ab = a * b;
    let q1 = -(a + b + 1.0);
    let mut total_terms = 0usize;
    while y0 > y {
        let z0 = 1.0 - y0;
        let h = (y0 - y).min(rho * y0);
        let p0 = z0 * y0;
        let p1 = y0 - z0;
        let q0 = c - (a + b + 1.0) * z0;
        // d_n = c_n hⁿ; w(z0 + h) = Σ d_n, h·w′(z0 + h) = Σ n d_n.
        let mut d0 = w;
        let mut d1 = d * h;
        let mut sw = d0 + d1;
        let mut sd = d1;
        let mut max_abs = d0.abs().max(d1.abs());
        let mut n = 0usize;
        loop {
            if n >= MAX_STEP_TERMS {
                return Err(Hyp2f1Error::NoConvergence {
                    a,
                    b,
                    c,
                    z,
                    terms: total_terms + n,
                });
            }
            let nf = n as f64;
            let num = (nf + 1.0) * (p1 * nf + q0) * d1 * h
                + (-nf * (nf - 1.0) + q1 * nf - ab) * d0 * h * h;
            let d2 = -num / (p0 * (nf + 2.0) * (nf + 1.0));
            sw += d2;
            sd += (nf + 2.0) * d2;
            max_abs = max_abs.max(d2.abs());
            n += 1;
            let small = |x: f64, ref_: f64| x.abs() <= EPS * 0.25 * ref_.abs();
            // Growth bound of the recurrence at this n: below one, later terms keep shrinking.
            let nn = nf + 1.0;
            let growth = ((p1 * nn + q0) * h / (p0 * (nn + 2.0))).abs()
                + ((-nn * (nn - 1.0) + q1 * nn - ab) * h * h / (p0 * (nn + 2.0) * (nn + 1.0)))
                    .abs();
            if n > 3
                && growth < 1.0
                && small(d1, sw)
                && small(d2, sw)
                && small((nf + 1.0) * d1, sd.abs().max(sw.abs() * 1e-300))
                && small((nf + 2.0) * d2, sd.abs().max(sw.abs() * 1e-300))
            {
                break;
            }
            d0 = d1;
            d1 = d2;
        }
        total_terms += n;
        let scale = sw.abs().max((sd / h).abs() * (y0 - h));
        if !(scale.is_finite()) || scale == 0.0 || max_abs / scale > MAX_CANCELLATION {
            return Err(Hyp2f1Error::NoConvergence {
                a,
                b,
                c,
                z,
                terms: total_terms,
            });
        }
        w = sw / scale;
        d = sd / h / scale;
        ln_s += scale.ln();
        y0 -= h;
        if h == 0.0 {
            break;
        }
    }
    Ok(Scaled { m: w, ln_s })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn elementary_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z (A&S 15.1.3)
        for &z in &[-1e6, -50.0, -0.9, -0.1, 0.1, 0.5, 0.8, 0.99, 0.999_999] {
            let f = hyp2f1(1.0, 1.0, 2.0, z);
            let want = -(-z).ln_1p() / z;
            assert!(rel(f, want) < 1e-13, "z={z}: {f} vs {want}");
        }
        // ₂F₁(a, b; b; z) = (1 − z)^(−a) (A&S 15.1.8)
        for &z in &[-100.0, -0.5, 0.3, 0.9, 0.9999] {
            let f = hyp2f1(2.5, 1.5, 1.5, z);
            let want = (1.0 - z).powf(-2.5);
            assert!(rel(f, want) < 1e-13, "z={z}: {f} vs {want}");
        }
    }

    #[test]
    fn errors_not_nan() {
        assert!(matches!(
            try_hyp2f1(1.0, 1.0, -2.0, 0.5),
            Err(Hyp2f1Error::Pole { .. })
        ));
        assert!(matches!(
            try_hyp2f1(1.0, 1.0, 2.0, 1.5),
            Err(Hyp2f1Error::Domain { .. })
        ));
        assert!(matches!(
            try_hyp2f1(f64::NAN, 1.0, 2.0, 0.5),
            Err(Hyp2f1Error::NonFinite { .. })
        ));
        // Polynomial with a pole-free termination: ₂F₁(−2, 1; −3; z) = 1 + 2z/3 + z²/3.
        let z = 0.7;
        let want = 1.0 + 2.0 * z / 3.0 + z * z / 3.0;
        assert!(rel(hyp2f1(-2.0, 1.0, -3.0, z), want) < 1e-15);
    }

    #[test]
    fn gauss_sum_at_one() {
        // ₂F₁(1, 1; 3; 1) = Γ(3)Γ(1)/(Γ(2)Γ(2)) = 2
        assert!(rel(hyp2f1(1.0, 1.0, 3.0, 1.0), 2.0) < 1e-14);
    }
}
