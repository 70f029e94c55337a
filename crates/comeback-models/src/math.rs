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

/// ψ₁(x + n) − ψ₁(x) (trigamma): exact sum for small whole n, differences otherwise.
#[inline]
pub(crate) fn trigamma_diff(x: f64, n: f64) -> f64 {
    if n == 0.0 {
        0.0
    } else if n <= 8.0 && n.fract() == 0.0 {
        let mut s = 0.0;
        let mut k = 0.0;
        while k < n {
            s -= 1.0 / ((x + k) * (x + k));
            k += 1.0;
        }
        s
    } else {
        Gamma::trigamma(&(x + n)) - Gamma::trigamma(&x)
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

/// Gauss–Kronrod 7–15 nodes and weights on [−1, 1].
const GK_X: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const GK_WK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_728,
];
const GK_WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

fn gk15(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c);
    let mut k = GK_WK[7] * fc;
    let mut g = GK_WG[3] * fc;
    for i in 0..7 {
        let x = h * GK_X[i];
        let s = f(c - x) + f(c + x);
        k += GK_WK[i] * s;
        if i % 2 == 1 {
            g += GK_WG[i / 2] * s;
        }
    }
    (k * h, ((k - g) * h).abs())
}

/// ∫ₐᵇ f by adaptive Gauss–Kronrod (7–15), relative tolerance ~1e-13, bounded effort.
#[cfg(test)]
pub(crate) fn integrate(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    integrate_tol(f, a, b, 1e-13)
}

/// ∫ₐᵇ f by adaptive Gauss–Kronrod (7–15) to about `rel` relative, bounded effort.
pub(crate) fn integrate_tol(f: &dyn Fn(f64) -> f64, a: f64, b: f64, rel: f64) -> f64 {
    integrate_tol_floor(f, a, b, rel, 0.0)
}

/// As [`integrate_tol`], with an absolute error target of at least `floor` (for a panel
/// whose value is negligible next to a known total).
///
/// Globally adaptive (as QUADPACK's QAG): the interval with the largest error estimate is
/// halved until the summed estimates meet the target or the budget of 4 000 rules is spent.
/// When rounding noise makes the target unreachable, the effort is thus spread where the
/// error is, instead of leaving unrefined intervals behind.
fn integrate_tol_floor(f: &dyn Fn(f64) -> f64, a: f64, b: f64, rel: f64, floor: f64) -> f64 {
    let (whole, whole_err) = gk15(f, a, b);
    let mut parts = vec![(a, b, whole, whole_err)];
    let mut sum = whole;
    let mut err_sum = whole_err;
    for _ in 0..2_000 {
        let tol = (rel * sum.abs()).max(floor).max(f64::MIN_POSITIVE);
        if err_sum <= tol || !err_sum.is_finite() {
            break;
        }
        let (i, _) = parts
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (i, p)| {
                if p.3 > best.1 { (i, p.3) } else { best }
            });
        let (lo, hi, v, e) = parts.swap_remove(i);
        let mid = 0.5 * (lo + hi);
        if !(mid > lo && mid < hi) {
            // Cannot be split further: keep it and stop.
            parts.push((lo, hi, v, 0.0));
            err_sum -= e;
            continue;
        }
        let (v1, e1) = gk15(f, lo, mid);
        let (v2, e2) = gk15(f, mid, hi);
        sum += v1 + v2 - v;
        err_sum += e1 + e2 - e;
        parts.push((lo, mid, v1, e1));
        parts.push((mid, hi, v2, e2));
    }
    // Re-add for a sum free of the running updates' rounding.
    parts.iter().map(|p| p.2).sum()
}

/// ∫₀^top f by adaptive Gauss–Kronrod on geometric panels [top·2^−(k+1), top·2^−k],
/// k = 0, 1, …, each further split at the `breaks` inside it, for a non-negative f with
/// 0 ≤ f ≤ `bound` on (0, top]; relative accuracy about `rel`.
///
/// A single adaptive start on [0, top] can miss a feature that lives at a tiny scale near 0
/// (its first Gauss–Kronrod nodes all land where f is flat, so the error estimate is small
/// and the answer wrong); halving panels resolve features at every scale, and `breaks`
/// (e.g. around a narrow peak) those that the caller knows of. A first pass estimates each
/// piece by one 15-point rule and stops once the rest, at most lo·bound, is below 10⁻¹⁸ of
/// the estimated sum (the rest [0, lo] is then added by one 15-point rule); the second
/// refines each piece adaptively to `rel` of its own value or 10⁻³·`rel` of the estimated
/// sum, whichever is larger (pieces negligible next to the total are not refined to full
/// relative accuracy).
pub(crate) fn integrate_geometric(
    f: &dyn Fn(f64) -> f64,
    top: f64,
    bound: f64,
    breaks: &[f64],
    rel: f64,
) -> f64 {
    let pieces = |lo: f64, hi: f64| -> Vec<(f64, f64)> {
        let mut pts: Vec<f64> = breaks
            .iter()
            .copied()
            .filter(|&x| x > lo && x < hi)
            .collect();
        pts.sort_by(f64::total_cmp);
        pts.dedup();
        let mut out = Vec::with_capacity(pts.len() + 1);
        let mut from = lo;
        for x in pts {
            out.push((from, x));
            from = x;
        }
        out.push((from, hi));
        out
    };
    let mut estimate = 0.0;
    let mut hi = top;
    let mut panels = 0usize;
    while panels < 1100 && hi > 0.0 {
        for (l, h) in pieces(0.5 * hi, hi) {
            estimate += gk15(f, l, h).0;
        }
        hi *= 0.5;
        panels += 1;
        if hi * bound <= 1e-18 * estimate {
            break;
        }
    }
    let floor = 1e-3 * rel * estimate;
    let mut total = 0.0;
    let mut hi = top;
    for _ in 0..panels {
        let lo = 0.5 * hi;
        for (l, h) in pieces(lo, hi) {
            total += integrate_tol_floor(f, l, h, rel, floor);
        }
        hi = lo;
    }
    if hi > 0.0 {
        total += gk15(f, 0.0, hi).0;
    }
    total
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
                let e = trigamma_diff(x, n);
                let f = Gamma::trigamma(&(x + n)) - Gamma::trigamma(&x);
                assert!((e - f).abs() <= 1e-9 * f.abs().max(1.0), "{x} {n} {e} {f}");
            }
        }
    }

    #[test]
    fn integrates_known_functions() {
        let v = integrate(&|x: f64| x.sqrt(), 0.0, 1.0);
        assert!((v - 2.0 / 3.0).abs() < 1e-12, "{v}");
        let v = integrate(&|x: f64| (-x).exp(), 0.0, 50.0);
        assert!((v - (1.0 - (-50f64).exp())).abs() < 1e-12, "{v}");
    }

    #[test]
    fn geometric_panels_find_features_near_zero() {
        // ∫₀¹ e^(−u/ε)/ε du = 1 − e^(−1/ε): a single adaptive start sees only ~0.
        for eps in [1e-3, 1e-9, 1e-25, 1e-100] {
            let f = |u: f64| (-u / eps).exp() / eps;
            let v = integrate_geometric(&f, 1.0, 1.0 / eps, &[], 1e-13);
            assert!((v - 1.0).abs() < 1e-12, "{eps}: {v}");
        }
        // ∫₀¹ ε/(ε + u)² du = 1/(1 + ε): a plateau of height 1/ε and width ε.
        let eps = 1e-40;
        let f = |u: f64| eps / ((eps + u) * (eps + u));
        let v = integrate_geometric(&f, 1.0, 1.0 / eps, &[], 1e-13);
        assert!((v - 1.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn log_add_exp_is_stable() {
        assert!((log_add_exp(1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(log_add_exp(f64::NEG_INFINITY, -3.0), -3.0);
        assert!((inv_one_plus_exp(800.0)).is_finite());
        assert_eq!(inv_one_plus_exp(-800.0), 1.0);
    }
}
