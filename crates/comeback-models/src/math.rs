//! Small numerical helpers over the `special` crate (ln Γ, ψ, ln B, regularised incomplete
//! beta), kept in one place so the models read like their papers.

use special::{Beta, Gamma};

/// ln Γ(x) for x > 0.
#[inline]
pub(crate) fn ln_gamma(x: f64) -> f64 {
    Gamma::ln_gamma(x).0
}

/// Digamma ψ(x) for x > 0.
#[inline]
pub(crate) fn digamma(x: f64) -> f64 {
    x.digamma()
}

/// ln B(a, b) for a, b > 0.
#[inline]
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// ln Γ(x + n) − ln Γ(x): exact running sum of logs for small n, ln Γ differences otherwise.
#[inline]
pub(crate) fn ln_poch(x: f64, n: f64) -> f64 {
    if n == 0.0 {
        0.0
    } else if n <= 8.0 && n.fract() == 0.0 {
        let mut s = 1.0;
        let mut k = 0.0;
        while k < n {
            s *= x + k;
            k += 1.0;
        }
        s.ln()
    } else {
        ln_gamma(x + n) - ln_gamma(x)
    }
}

/// ψ(x + n) − ψ(x): exact sum of reciprocals for small whole n, ψ differences otherwise.
#[inline]
pub(crate) fn digamma_diff(x: f64, n: f64) -> f64 {
    if n == 0.0 {
        0.0
    } else if n <= 8.0 && n.fract() == 0.0 {
        let mut s = 0.0;
        let mut k = 0.0;
        while k < n {
            s += 1.0 / (x + k);
            k += 1.0;
        }
        s
    } else {
        digamma(x + n) - digamma(x)
    }
}

/// ln(eᵃ + eᵇ) without overflow.
#[inline]
pub(crate) fn log_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + (-(a - b).abs()).exp().ln_1p()
}

/// Logistic 1 / (1 + eᶻ) without overflow.
#[inline]
pub(crate) fn inv_one_plus_exp(z: f64) -> f64 {
    if z > 0.0 {
        let e = (-z).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + z.exp())
    }
}

/// Regularised incomplete beta I_x(p, q).
#[inline]
pub(crate) fn inc_beta(x: f64, p: f64, q: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else if x >= 1.0 {
        1.0
    } else {
        x.inc_beta(p, q, ln_beta(p, q))
    }
}

/// Regularised lower incomplete gamma P(p, x).
#[inline]
pub(crate) fn inc_gamma(x: f64, p: f64) -> f64 {
    if x <= 0.0 { 0.0 } else { x.inc_gamma(p) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pochhammer_paths_agree() {
        for &x in &[0.01, 0.5, 3.7, 120.0] {
            for n in 0..=8 {
                let n = n as f64;
                let a = ln_poch(x, n);
                let b = ln_gamma(x + n) - ln_gamma(x);
                assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{x} {n}");
                let c = digamma_diff(x, n);
                let d = digamma(x + n) - digamma(x);
                assert!((c - d).abs() <= 1e-10 * d.abs().max(1.0), "{x} {n} {c} {d}");
            }
        }
    }

    #[test]
    fn log_add_exp_is_stable() {
        assert!((log_add_exp(1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(log_add_exp(f64::NEG_INFINITY, -3.0), -3.0);
        assert!((inv_one_plus_exp(800.0)).is_finite());
        assert_eq!(inv_one_plus_exp(-800.0), 1.0);
    }
}
