//! BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).
//!
//! Both assume: while alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α)
//! (shape r, rate α); the customer drops out with probability p ~ Beta(a, b), independent of
//! λ. In **BG/NBD** the dropout chance comes after every purchase, so a customer with no
//! repeat purchase is alive for sure. In **MBG/NBD** there is also a chance at time 0, so
//! P(alive) < 1 even for x = 0.
//!
//! | quantity | BG/NBD (FHL 2005, *Marketing Science* 24(2)) | MBG/NBD (BDF 2007, *IJRM* 24) |
//! |---|---|---|
//! | likelihood L(r, α, a, b \| x, tₓ, T) | eq. (6) | eq. (7) in BDF; lifetimes' `ModifiedBetaGeoFitter` |
//! | P(X(t) = n) | eq. (8) | BDF's analogue (dropout at 0 adds one Beta factor) |
//! | E[X(t)] | eq. (9) | b/(a−1)·[1 − (α/(α+t))ʳ ₂F₁(r, b+1; a+b; t/(α+t))] |
//! | E[Y(t) \| x, tₓ, T] | eq. (10) | as eq. (10) with b+x → b+x+1 in the Beta terms |
//! | P(alive \| x, tₓ, T) | FH note 021, eq. (1): 1/(1 + δₓ₍>0₎ a/(b+x−1)·((α+T)/(α+tₓ))^(r+x)) | 1/(1 + a/(b+x)·((α+T)/(α+tₓ))^(r+x)) |
//!
//! # Numerics
//! The likelihood is evaluated as ln L = [ln Γ(r+x) − ln Γ(r) + r ln α] − [ln Γ(a+b+x+k) −
//! ln Γ(a+b)] + [ln Γ(b+x−1+k) − ln Γ(b)] + ln((b+x−1+k)(α+T)^−(r+x) + a(α+tₓ)^−(r+x))
//! (k = 0 BG, 1 MBG) with a log-sum-exp, and the Γ-terms once per distinct x, so it stays
//! finite for x, T ≫ 10⁴. The gradient is analytic (ψ differences).
//!
//! The conditional expectation is E[Y(t)|…] = P(alive)·Φ with Φ the expected purchases of an
//! alive customer, Φ = C/(a−1)·[1 − ((α+T)/(α+T+t))^R ₂F₁(R, B; C; t/(α+T+t))], R = r+x,
//! B = b+x+k, C = a+b+x−1+k. By Pfaff's transformation the bracket is
//! 1 − ₂F₁(R, a−1; C; w) with w = −t/(α+T), and dividing the series term by term by (a−1)
//! gives a series with no 0/0 at a = 1 and no pole at C = 0:
//! Φ = −Σₙ≥₁ (R)ₙ (a)ₙ₋₁ / ((C+1)ₙ₋₁ n!) wⁿ, used for |w| ≤ ½. For larger t the second Pfaff
//! form (in z = t/(α+T+t)) is used: Φ = C(1 − (1−z)^(a−1))/(a−1) − (1−z)^(a−1) Σₙ≥₁
//! (C−R)ₙ (a)ₙ₋₁ / ((C+1)ₙ₋₁ n!) zⁿ. Both are exact series; the second converges like zⁿ.
//! Beyond z = 0.99 (t > 99(α+T)) neither the series (~40/(1−z) terms, whose rounding grows
//! with their number) nor the closed form with [`crate::hyp2f1`] is accurate to 1e-10 (z as
//! an f64 knows 1 − z only to ε/(1 − z), amplified by |c − a − b| in ₂F₁ ~ (1 − z)^(c−a−b)):
//! Φ is then the Beta mixture
//! Φ = E[(1 − (1 + pt/(α+T))^−R)/p], p ~ Beta(a, B) (the Euler integral behind the Pfaff
//! form, DLMF 15.6.1 and 15.8.1), integrated on halving panels that resolve its features at
//! every scale (`beta_mixture`). It has no special case at integer c − a − b, a = 1 or
//! C ≤ 0, and agrees with 50-digit mpmath to 6e-12 for 1 − z = 10⁻³ … 10⁻¹²
//! (`data/reference/mpmath/bgnbd_near_one.*`). The same quadrature gives the DERT.

use crate::fit::{
    FitError, FitOptions, Fitted, Objective, ParamError, Rfm, RfmData, check_positive,
    fit_objective,
};
use crate::hyp2f1::ln_hyp2f1;
use crate::math::{
    digamma_diff, inc_beta, inv_one_plus_exp, ln_beta, ln_gamma, ln_poch, log_add_exp,
    trigamma_diff,
};
use crate::transaction::TransactionModel;

/// Parameter names of both models, as in the papers.
pub const PARAM_NAMES: &[&str] = &["r", "alpha", "a", "b"];

/// Which of the two models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Bg,
    Mbg,
}

impl Variant {
    fn k(self) -> f64 {
        match self {
            Variant::Bg => 0.0,
            Variant::Mbg => 1.0,
        }
    }
    /// Whether a customer with frequency x has the "dropped out after the last purchase"
    /// branch in the likelihood.
    fn has_death_branch(self, x: f64) -> bool {
        match self {
            Variant::Bg => x > 0.0,
            Variant::Mbg => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Params {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

impl Params {
    fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self, ParamError> {
        Ok(Params {
            r: check_positive("r", r)?,
            alpha: check_positive("alpha", alpha)?,
            a: check_positive("a", a)?,
            b: check_positive("b", b)?,
        })
    }
}

/// ln L for one customer.
fn log_likelihood(v: Variant, p: &Params, c: &Rfm) -> f64 {
    let (x, tx, t) = (c.frequency(), c.recency(), c.t());
    let Params { r, alpha, a, b } = *p;
    let lt = (alpha + t).ln();
    if !v.has_death_branch(x) {
        // BG/NBD, x = 0: L = (α/(α+T))^r.
        return -r * (t / alpha).ln_1p();
    }
    let k = v.k();
    let c1 = b + x - 1.0 + k;
    let head = ln_poch(r, x) + r * alpha.ln() - ln_poch(a + b, x + k) + ln_poch(b, x - 1.0 + k);
    let l1 = c1.ln() - (r + x) * lt;
    let l2 = a.ln() - (r + x) * (alpha + tx).ln();
    head + log_add_exp(l1, l2)
}

/// P(alive | x, tₓ, T).
fn p_alive(v: Variant, p: &Params, c: &Rfm) -> f64 {
    let (x, tx, t) = (c.frequency(), c.recency(), c.t());
    if !v.has_death_branch(x) {
        return 1.0;
    }
    let c1 = p.b + x - 1.0 + v.k();
    // ln[a/c1 · ((α+T)/(α+tₓ))^(r+x)]
    let z = (p.a / c1).ln() + (p.r + x) * ((t - tx) / (p.alpha + tx)).ln_1p();
    inv_one_plus_exp(z)
}

/// Φ: expected purchases in (T, T+t] of a customer alive at T, with R = r+x, Beta
/// parameters (a, B = C − a + 1) and C = a+b+x−1+k; `s` = α+T. See the module docs.
///
/// Tries, in order, the series in w (|w| ≤ ½), then for z ≤ [`Z_QUADRATURE`] the series in
/// z and the closed form with ₂F₁, and otherwise (or when those fail) quadrature of the Beta
/// mixture; the series in w is rejected when its terms grow more than 10⁵ times larger than
/// its value, the one in z at 10³ (cancellation), the closed form when it cancels more than
/// one digit. The quadrature always returns a finite value.
fn alive_expectation(big_r: f64, a: f64, c: f64, s: f64, t: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    let w = -t / s;
    if w >= -0.5
        && let Some(v) = series_w(big_r, a, c, w)
    {
        return v;
    }
    let z = t / (s + t);
    if z > Z_QUADRATURE {
        return quadrature(big_r, a, c - a + 1.0, s, t);
    }
    let lz = -(t / s).ln_1p(); // ln(1 − z)
    if let Some(v) = series_z(big_r, a, c, z, lz) {
        return v;
    }
    if let Some(v) = closed_form(big_r, a, c, z, lz) {
        return v;
    }
    quadrature(big_r, a, c - a + 1.0, s, t)
}

/// Beyond this z = t/(α+T+t) Φ is always computed by [`quadrature`]: the series in z needs
/// ~40/(1 − z) terms (rounding errors of 1e-10 at 1 − z ~ 10⁻³ in seeded random tests), and
/// the closed form passes z to ₂F₁ as an f64, whose 1 − z is then known only to ε/(1 − z)
/// relative — an error that ₂F₁ ~ (1 − z)^(C−R−B) amplifies by |C − R − B| (3·10⁻⁵ at
/// 1 − z = 10⁻¹², a = 0.8). The quadrature receives t/s itself.
const Z_QUADRATURE: f64 = 0.99;

/// Φ = −Σₙ≥₁ (R)ₙ (a)ₙ₋₁ / ((C+1)ₙ₋₁ n!) wⁿ.
fn series_w(big_r: f64, a: f64, c: f64, w: f64) -> Option<f64> {
    let mut term = -big_r * w;
    let mut sum = term;
    let mut biggest = term.abs();
    let mut n = 1.0;
    loop {
        term *= (big_r + n) * (a + n - 1.0) / ((c + n) * (n + 1.0)) * w;
        sum += term;
        biggest = biggest.max(term.abs());
        if term.abs() <= 1e-17 * sum.abs() {
            break;
        }
        n += 1.0;
        if n > 100_000.0 || !sum.is_finite() {
            return None;
        }
    }
    (sum.is_finite() && biggest <= 1e5 * sum.abs()).then_some(sum)
}

/// Φ = C(1 − (1−z)^ε)/ε − (1−z)^ε Σₙ≥₁ (C−R)ₙ (a)ₙ₋₁ / ((C+1)ₙ₋₁ n!) zⁿ, ε = a − 1.
fn series_z(big_r: f64, a: f64, c: f64, z: f64, lz: f64) -> Option<f64> {
    let eps = a - 1.0;
    let e = (eps * lz).exp();
    let first = if eps == 0.0 {
        -c * lz
    } else {
        -c * (eps * lz).exp_m1() / eps
    };
    let cr = c - big_r;
    let mut term = cr * z;
    let mut sum = term;
    let mut biggest = term.abs();
    let mut n = 1.0;
    while term != 0.0 {
        term *= (cr + n) * (a + n - 1.0) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        biggest = biggest.max(term.abs());
        if term.abs() <= 1e-17 * sum.abs() && n > cr.abs() {
            break;
        }
        n += 1.0;
        if n > 5_000_000.0 || !sum.is_finite() {
            return None;
        }
    }
    let v = first - e * sum;
    let scale = biggest * e;
    (v.is_finite() && (biggest <= 1.0 || e > 0.0) && scale <= 1e3 * v.abs()).then_some(v)
}

/// Φ = C/(a−1)·[1 − (1−z)^R ₂F₁(R, B; C; z)] with [`crate::hyp2f1`].
fn closed_form(big_r: f64, a: f64, c: f64, z: f64, lz: f64) -> Option<f64> {
    let eps = a - 1.0;
    if eps == 0.0 || c <= 0.0 {
        return None;
    }
    let (ln_f, sign) = ln_hyp2f1(big_r, c - a + 1.0, c, z).ok()?;
    let prod = sign * (big_r * lz + ln_f).exp();
    let v = c / eps * (1.0 - prod);
    (v.is_finite() && prod.abs() <= 10.0 * (1.0 - prod).abs()).then_some(v)
}

/// Φ = E[(1 − (s/(s+pt))^R)/p] over p ~ Beta(a, B) (the Beta mixture behind FHL 2005
/// eq. 10) by [`beta_mixture`]; h(p) = (1 − (1+pt/s)^−R)/p decreases from Rt/s at p = 0 to
/// about 1/p, with its feature at p ~ s/(Rt).
///
/// A single adaptive Gauss–Kronrod start on the whole substituted interval (the former
/// method) missed that feature and the Beta density's at p ~ 1/B: at r = 1, α = 0.0090009,
/// a = 5.046, b = 229.254, x = T = 0, t = 971.18 it returned 0.896 for E[Y] = 57.62.
fn quadrature(big_r: f64, a: f64, bb: f64, s: f64, t: f64) -> f64 {
    let theta = t / s;
    let h = |p: f64| -> f64 {
        if p <= 0.0 {
            big_r * theta
        } else {
            -(-big_r * (p * theta).ln_1p()).exp_m1() / p
        }
    };
    beta_mixture(a, bb, &h, big_r * theta, 1e-13)
}

/// E[h(p)] for p ~ Beta(a, B), for a non-negative h that is non-increasing on [0, 1] and
/// bounded by `h_max` (its value at 0), to about `rel` relative.
///
/// Split at p = ½; each half is integrated towards its endpoint (p = 0, resp. q = 1 − p = 0)
/// on halving panels ([`crate::math::integrate_geometric`]), which resolve features at any
/// scale near the endpoint (p ~ 1/B, the scale of h), with extra breakpoints at the mode
/// ± (1, 2, 5, 10, 20, 40) standard deviations of the Beta density (a narrow peak for large
/// a + B). A shape below 1 makes the density singular at its endpoint: that half uses
/// u = (2p)^a (resp. v = (2q)^B), with E over it = 2^−a/(a B(a, B)) ∫₀¹ (1 − p)^(B−1) h(p) du,
/// whose integrand is bounded and monotone up to a factor 2^(1−B) at most. Otherwise the
/// density itself is integrated, in logarithms (so huge a or B neither overflow nor
/// underflow its normalisation).
fn beta_mixture(a: f64, bb: f64, h: &dyn Fn(f64) -> f64, h_max: f64, rel: f64) -> f64 {
    let lb = ln_beta(a, bb);
    let ln2 = std::f64::consts::LN_2;
    let n = a + bb;
    let sd = (a * bb / (n * n * (n + 1.0))).sqrt();
    let mode = if a >= 1.0 && bb >= 1.0 && n > 2.0 {
        (a - 1.0) / (n - 2.0)
    } else {
        a / n
    };
    let offsets = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0];
    let mut breaks_p = Vec::new();
    for o in offsets {
        breaks_p.push(mode + o * sd);
        breaks_p.push(mode - o * sd);
    }
    let breaks_q: Vec<f64> = breaks_p.iter().map(|p| 1.0 - p).collect();
    // ln of the density p^(a−1) (1−p)^(B−1) / B(a, B) at p, with 1 − p = q given.
    let ln_dens = |p: f64, q: f64| -> f64 {
        let lp = if a == 1.0 { 0.0 } else { (a - 1.0) * p.ln() };
        let lq = if bb == 1.0 { 0.0 } else { (bb - 1.0) * q.ln() };
        lp + lq - lb
    };
    // Largest density on [0, ½] (left) and [½, 1] (right), for the panels' stop rule.
    let peak = |lo: f64, hi: f64| -> f64 {
        let m = mode.clamp(lo, hi);
        let cands = [m, lo.max(1e-300), hi.min(1.0 - 1e-16)];
        cands
            .iter()
            .map(|&p| ln_dens(p, 1.0 - p))
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let left = if a < 1.0 {
        let pre = -a * ln2 - a.ln() - lb;
        let f = |u: f64| -> f64 {
            let p = 0.5 * u.powf(1.0 / a);
            // Below 1e-290 p would be a subnormal number with few significant bits (a < 1
            // puts most of the mass there), which makes h(p) noisy: use h(0) = h_max.
            if p < 1e-290 {
                return pre.exp() * h_max;
            }
            ((bb - 1.0) * (-p).ln_1p() + pre).exp() * h(p)
        };
        let bound = (pre + (1.0 - bb).max(0.0) * ln2).exp() * h_max;
        let breaks: Vec<f64> = breaks_p
            .iter()
            .filter(|&&p| p > 0.0 && p < 0.5)
            .map(|&p| (2.0 * p).powf(a))
            .collect();
        crate::math::integrate_geometric(&f, 1.0, bound, &breaks, rel)
    } else {
        let f = |p: f64| -> f64 {
            if p <= 0.0 {
                return if a == 1.0 { (-lb).exp() * h_max } else { 0.0 };
            }
            ln_dens(p, 1.0 - p).exp() * h(p)
        };
        let bound = peak(0.0, 0.5).exp() * h_max;
        crate::math::integrate_geometric(&f, 0.5, bound, &breaks_p, rel)
    };
    let h_half = h(0.5);
    let right = if bb < 1.0 {
        let pre = -bb * ln2 - bb.ln() - lb;
        let f = |v: f64| -> f64 {
            let q = 0.5 * v.powf(1.0 / bb);
            ((a - 1.0) * (-q).ln_1p() + pre).exp() * h(1.0 - q)
        };
        let bound = (pre + (1.0 - a).max(0.0) * ln2).exp() * h_half;
        let breaks: Vec<f64> = breaks_q
            .iter()
            .filter(|&&q| q > 0.0 && q < 0.5)
            .map(|&q| (2.0 * q).powf(bb))
            .collect();
        crate::math::integrate_geometric(&f, 1.0, bound, &breaks, rel)
    } else {
        let f = |q: f64| -> f64 {
            if q <= 0.0 {
                return if bb == 1.0 { (-lb).exp() * h(1.0) } else { 0.0 };
            }
            ln_dens(1.0 - q, q).exp() * h(1.0 - q)
        };
        let bound = peak(0.5, 1.0).exp() * h_half;
        crate::math::integrate_geometric(&f, 0.5, bound, &breaks_q, rel)
    };
    left + right
}

/// E[Y(t) | x, tₓ, T].
fn conditional_expected(v: Variant, p: &Params, c: &Rfm, t: f64) -> f64 {
    let x = c.frequency();
    let k = v.k();
    let phi = alive_expectation(
        p.r + x,
        p.a,
        p.a + p.b + x - 1.0 + k,
        p.alpha + c.t(),
        t.max(0.0),
    );
    (phi * p_alive(v, p, c)).max(0.0)
}

/// E[X(t)] for a new customer.
fn unconditional_expected(v: Variant, p: &Params, t: f64) -> f64 {
    let k = v.k();
    let phi = alive_expectation(p.r, p.a, p.a + p.b - 1.0 + k, p.alpha, t.max(0.0));
    let alive0 = match v {
        Variant::Bg => 1.0,
        Variant::Mbg => p.b / (p.a + p.b),
    };
    (phi * alive0).max(0.0)
}

/// Discounted expected residual transactions with continuous discount rate δ per unit of
/// time: DERT = ∫₀^∞ e^(−δt) dE[Y(t)|…].
///
/// Given alive at T, λ ~ Gamma(R, s) and p ~ Beta(a, B) a posteriori (R = r+x, s = α+T,
/// B = b+x+k), and the purchase rate at T+t given (λ, p) is λe^(−λpt) (alive with
/// probability E[(1−p)^N(t)]). Integrating λ and then t:
/// DERT = P(alive)·R·E_p[K(R+1, δs/p)/p], with K(ν, z) = ∫₀^∞ e^(−zw)(1+w)^(−ν) dw =
/// e^z E_ν(z) (generalised exponential integral). No closed form is known for the remaining
/// Beta average (unlike the Pareto/NBD's DERT, FHL 2005 "RFM and CLV" eq. 2), so it is
/// computed by [`beta_mixture`] (relative accuracy ~1e-10), K by its
/// continued fraction (z ≥ 1 or ν ≥ 10) or by quadrature. Finite, and decreasing in δ
/// because K is decreasing in z.
fn dert(v: Variant, p: &Params, c: &Rfm, delta: f64) -> Option<f64> {
    if !(delta.is_finite() && delta > 0.0) {
        return None;
    }
    let x = c.frequency();
    let big_r = p.r + x;
    let bb = p.b + x + v.k();
    let s = p.alpha + c.t();
    let a = p.a;
    let h = |q: f64| -> f64 {
        if q <= 0.0 {
            // lim K(ν, z)/p as p → 0 with z = δs/p: 1/(δs).
            big_r / (delta * s)
        } else {
            big_r * exp_integral_k(big_r + 1.0, delta * s / q) / q
        }
    };
    // h(q) = R ∫₀^∞ e^(−δs·y) (1 + qy)^−(R+1) dy (w = qy in K) is non-increasing in q,
    // with h(0) = R/(δs).
    let e = beta_mixture(a, bb, &h, big_r / (delta * s), 1e-11);
    let out = p_alive(v, p, c) * e;
    out.is_finite().then_some(out.max(0.0))
}

/// K(ν, z) = ∫₀^∞ e^(−zw)(1+w)^(−ν) dw = e^z E_ν(z), for ν > 1, z > 0.
fn exp_integral_k(nu: f64, z: f64) -> f64 {
    if z >= 1.0 || nu >= 10.0 {
        // Continued fraction of E_ν (modified Lentz), converging fast here.
        let tiny = 1e-300;
        let mut b = z + nu;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        let mut i = 1.0;
        while i < 10_000.0 {
            let an = -i * (nu - 1.0 + i);
            b += 2.0;
            d = 1.0 / (an * d + b);
            c = b + an / c;
            let del = c * d;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
            i += 1.0;
        }
        h
    } else {
        // w = y/(1−y): K = ∫₀¹ e^(−zy/(1−y)) (1−y)^(ν−2) dy.
        let f = |y: f64| -> f64 {
            if y >= 1.0 {
                0.0
            } else {
                (-z * y / (1.0 - y) + (nu - 2.0) * (-y).ln_1p()).exp()
            }
        };
        crate::math::integrate_tol(&f, 0.0, 1.0, 1e-12)
    }
}

/// P(X(t) = n): FHL eq. (8) and its MBG analogue.
fn prob_purchases(v: Variant, p: &Params, t: f64, n: u64) -> f64 {
    let Params { r, alpha, a, b } = *p;
    let nf = n as f64;
    let k = v.k();
    if t <= 0.0 {
        // X(0) = 0.
        return if n == 0 { 1.0 } else { 0.0 };
    }
    // NB(n; r, α/(α+t)) in logs.
    let ln_q = (t / (alpha + t)).ln();
    let ln_p = -(t / alpha).ln_1p();
    let ln_nb = ln_poch(r, nf) - ln_gamma(nf + 1.0) + r * ln_p + nf * ln_q;
    let first = (ln_beta(a, b + nf + k) - ln_beta(a, b) + ln_nb).exp();
    let second = if v.has_death_branch(nf) {
        let tail = if n == 0 {
            1.0
        } else {
            inc_beta(t / (alpha + t), nf, r)
        };
        (ln_beta(a + 1.0, b + nf - 1.0 + k) - ln_beta(a, b)).exp() * tail
    } else {
        0.0
    };
    (first + second).clamp(0.0, 1.0)
}

/// Mean negative log-likelihood objective of BG/NBD or MBG/NBD over (ln r, ln α, ln a, ln b).
struct BgObjective<'a> {
    data: &'a RfmData,
    variant: Variant,
    /// Distinct T and tₓ values and each row's index into them, so that ln(α+T) and
    /// ln(α+tₓ) are computed once per distinct value and evaluation.
    t_vals: Vec<f64>,
    tx_vals: Vec<f64>,
    t_idx: Vec<u32>,
    tx_idx: Vec<u32>,
}

fn distinct_index(values: impl Iterator<Item = f64> + Clone) -> (Vec<f64>, Vec<u32>) {
    let mut v: Vec<f64> = values.clone().collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    let idx = values
        .map(|x| v.binary_search_by(|p| p.total_cmp(&x)).expect("present") as u32)
        .collect();
    (v, idx)
}

impl<'a> BgObjective<'a> {
    fn new(data: &'a RfmData, variant: Variant) -> Self {
        let (t_vals, t_idx) = distinct_index(data.rows().iter().map(Rfm::t));
        let (tx_vals, tx_idx) = distinct_index(data.rows().iter().map(Rfm::recency));
        BgObjective {
            data,
            variant,
            t_vals,
            tx_vals,
            t_idx,
            tx_idx,
        }
    }
}

impl Objective for BgObjective<'_> {
    fn param_names(&self) -> &'static [&'static str] {
        PARAM_NAMES
    }
    fn total_weight(&self) -> f64 {
        self.data.total_weight()
    }
    fn n_distinct(&self) -> usize {
        self.data.n_distinct()
    }
    fn initial_log_params(&self) -> Vec<f64> {
        let (mx, _, mt) = self.data.weighted_means();
        let alpha = mt.max(1e-3) / (mx + 0.1);
        vec![0.0, alpha.ln(), 0.0, 3f64.ln()]
    }
    fn value_and_gradient(&self, lp: &[f64], g: &mut [f64]) -> f64 {
        self.evaluate(lp, g, None)
    }
    fn value_gradient_hessian(&self, lp: &[f64], g: &mut [f64], h: &mut [f64]) -> Option<f64> {
        Some(self.evaluate(lp, g, Some(h)))
    }
}

impl BgObjective<'_> {
    /// Mean NLL, its gradient and optionally its exact Hessian in log-parameters.
    ///
    /// Per row ln L = A(r, α) + H(a, b) + m with A = ln Γ(r+x) − ln Γ(r) + r ln α,
    /// H = −[ln Γ(a+b+x+k) − ln Γ(a+b)] + ln Γ(b+x−1+k) − ln Γ(b) and m = ln(e^l₁ + e^l₂),
    /// l₁ = ln(b+x−1+k) − (r+x) ln(α+T), l₂ = ln a − (r+x) ln(α+tₓ); with πᵢ = e^(lᵢ−m),
    /// ∇m = π₁∇l₁ + π₂∇l₂ and ∇²m = π₁∇²l₁ + π₂∇²l₂ + π₁π₂(∇l₁−∇l₂)(∇l₁−∇l₂)ᵀ.
    fn evaluate(&self, lp: &[f64], g: &mut [f64], hess: Option<&mut [f64]>) -> f64 {
        let (r, alpha, a, b) = (lp[0].exp(), lp[1].exp(), lp[2].exp(), lp[3].exp());
        let th = [r, alpha, a, b];
        let want_h = hess.is_some();
        let k = self.variant.k();
        let ln_alpha = alpha.ln();
        let ln_a = a.ln();
        let lt_tab: Vec<f64> = self.t_vals.iter().map(|t| (alpha + t).ln()).collect();
        let it_tab: Vec<f64> = self.t_vals.iter().map(|t| 1.0 / (alpha + t)).collect();
        let ltx_tab: Vec<f64> = self.tx_vals.iter().map(|t| (alpha + t).ln()).collect();
        let itx_tab: Vec<f64> = self.tx_vals.iter().map(|t| 1.0 / (alpha + t)).collect();
        let (mut f, mut gr, mut gal, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        // Natural-scale Hessian of Σ w ln L (upper triangle: rr, rα, αα, aa, ab, bb, and
        // the cross terms of m between (r, α) and (a, b)).
        let mut hm = [[0.0f64; 4]; 4];
        // Per-x terms, recomputed when x changes (rows are sorted by x).
        let mut cur_x = f64::NAN;
        let (mut head, mut d_head_r, mut d_head_ab, mut d_head_b, mut ln_c1, mut c1) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let (mut t_head_r, mut t_head_ab, mut t_head_b) = (0.0, 0.0, 0.0);
        let rows = self.data.rows();
        let ws = self.data.weights();
        for i in 0..rows.len() {
            let (x, w) = (rows[i].frequency(), ws[i]);
            let ti = self.t_idx[i] as usize;
            let lt = lt_tab[ti];
            if !self.variant.has_death_branch(x) {
                f += w * r * (ln_alpha - lt);
                gr += w * (ln_alpha - lt);
                gal += w * r * (1.0 / alpha - it_tab[ti]);
                if want_h {
                    let it = it_tab[ti];
                    hm[0][1] += w * (1.0 / alpha - it);
                    hm[1][1] += w * r * (it * it - 1.0 / (alpha * alpha));
                }
                continue;
            }
            if x != cur_x {
                cur_x = x;
                c1 = b + x - 1.0 + k;
                ln_c1 = c1.ln();
                head = ln_poch(r, x) - ln_poch(a + b, x + k) + ln_poch(b, x - 1.0 + k);
                d_head_r = digamma_diff(r, x);
                d_head_ab = -digamma_diff(a + b, x + k);
                d_head_b = digamma_diff(b, x - 1.0 + k);
                if want_h {
                    t_head_r = trigamma_diff(r, x);
                    t_head_ab = -trigamma_diff(a + b, x + k);
                    t_head_b = trigamma_diff(b, x - 1.0 + k);
                }
            }
            let xi = self.tx_idx[i] as usize;
            let ltx = ltx_tab[xi];
            let rx = r + x;
            let l1 = ln_c1 - rx * lt;
            let l2 = ln_a - rx * ltx;
            // log-sum-exp and the two posterior weights from one exponential.
            let d = l1 - l2;
            let e = (-d.abs()).exp();
            let m = l1.max(l2) + e.ln_1p();
            let big = 1.0 / (1.0 + e);
            let (p1, p2) = if d >= 0.0 {
                (big, e * big)
            } else {
                (e * big, big)
            };
            let (it, itx) = (it_tab[ti], itx_tab[xi]);
            f += w * (head + r * ln_alpha + m);
            gr += w * (d_head_r + ln_alpha - p1 * lt - p2 * ltx);
            gal += w * (r / alpha - rx * (p1 * it + p2 * itx));
            ga += w * (d_head_ab + p2 / a);
            gb += w * (d_head_ab + d_head_b + p1 / c1);
            if want_h {
                // A and H parts.
                hm[0][0] += w * t_head_r;
                hm[0][1] += w / alpha;
                hm[1][1] -= w * r / (alpha * alpha);
                hm[2][2] += w * t_head_ab;
                hm[2][3] += w * t_head_ab;
                hm[3][3] += w * (t_head_ab + t_head_b);
                // π-weighted second derivatives of l₁, l₂.
                hm[0][1] -= w * (p1 * it + p2 * itx);
                hm[1][1] += w * rx * (p1 * it * it + p2 * itx * itx);
                hm[3][3] -= w * p1 / (c1 * c1);
                hm[2][2] -= w * p2 / (a * a);
                // π₁π₂ (∇l₁ − ∇l₂)(∇l₁ − ∇l₂)ᵀ.
                let dv = [-lt + ltx, -rx * (it - itx), -1.0 / a, 1.0 / c1];
                let pp = w * p1 * p2;
                for u in 0..4 {
                    for v in u..4 {
                        hm[u][v] += pp * dv[u] * dv[v];
                    }
                }
            }
        }
        let n = self.data.total_weight();
        let gnat = [gr, gal, ga, gb];
        for u in 0..4 {
            g[u] = -gnat[u] * th[u] / n;
        }
        if let Some(h) = hess {
            for u in 0..4 {
                for v in u..4 {
                    let mut val = -hm[u][v] * th[u] * th[v] / n;
                    if u == v {
                        val += g[u];
                    }
                    h[u * 4 + v] = val;
                    h[v * 4 + u] = val;
                }
            }
        }
        let v = -f / n;
        if v.is_finite() { v } else { f64::INFINITY }
    }
}

macro_rules! bg_family_model {
    ($ty:ident, $variant:expr, $cli:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct $ty {
            p: Params,
        }

        impl $ty {
            /// Model name as on the command line.
            pub const NAME: &'static str = $cli;

            /// A model with the given parameters.
            ///
            /// # Errors
            /// [`ParamError::NotPositive`] when a parameter is not positive and finite.
            pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self, ParamError> {
                Ok($ty {
                    p: Params::new(r, alpha, a, b)?,
                })
            }
            /// From a slice `[r, alpha, a, b]`.
            ///
            /// # Errors
            /// As [`Self::new`], or [`ParamError::Undefined`] for a wrong length.
            pub fn from_params(v: &[f64]) -> Result<Self, ParamError> {
                match v {
                    [r, alpha, a, b] => Self::new(*r, *alpha, *a, *b),
                    _ => Err(ParamError::Undefined(format!(
                        "expected 4 parameters (r, alpha, a, b), got {}",
                        v.len()
                    ))),
                }
            }
            /// Shape r of the purchase-rate gamma.
            pub fn r(&self) -> f64 {
                self.p.r
            }
            /// Rate α of the purchase-rate gamma (per unit of time).
            pub fn alpha(&self) -> f64 {
                self.p.alpha
            }
            /// Beta shape a of the dropout probability.
            pub fn a(&self) -> f64 {
                self.p.a
            }
            /// Beta shape b of the dropout probability.
            pub fn b(&self) -> f64 {
                self.p.b
            }

            /// The mean-negative-log-likelihood objective over (ln r, ln α, ln a, ln b).
            pub fn objective(data: &RfmData) -> impl Objective + '_ {
                BgObjective::new(data, $variant)
            }

            /// Maximum-likelihood fit.
            ///
            /// # Errors
            /// [`FitError`] for invalid options or a likelihood that is not finite at the start.
            pub fn fit(data: &RfmData, opts: &FitOptions) -> Result<Fitted<Self>, FitError> {
                let obj = Self::objective(data);
                let report = fit_objective(Self::NAME, &obj, opts)?;
                let model = Self::from_params(&report.params)
                    .map_err(|e| FitError::Unfittable(e.to_string()))?;
                Ok(Fitted { model, report })
            }
        }

        impl TransactionModel for $ty {
            fn name(&self) -> &'static str {
                Self::NAME
            }
            fn param_names(&self) -> &'static [&'static str] {
                PARAM_NAMES
            }
            fn params(&self) -> Vec<f64> {
                vec![self.p.r, self.p.alpha, self.p.a, self.p.b]
            }
            fn log_likelihood(&self, c: &Rfm) -> f64 {
                log_likelihood($variant, &self.p, c)
            }
            fn p_alive(&self, c: &Rfm) -> f64 {
                p_alive($variant, &self.p, c)
            }
            fn expected_purchases(&self, t: f64) -> f64 {
                unconditional_expected($variant, &self.p, t)
            }
            fn conditional_expected_purchases(&self, c: &Rfm, t: f64) -> f64 {
                conditional_expected($variant, &self.p, c, t)
            }
            fn prob_purchases(&self, t: f64, n: u64) -> f64 {
                prob_purchases($variant, &self.p, t, n)
            }
            fn dert(&self, c: &Rfm, delta: f64) -> Option<f64> {
                dert($variant, &self.p, c, delta)
            }
        }
    };
}

bg_family_model!(
    BgNbd,
    Variant::Bg,
    "bgnbd",
    "BG/NBD model (Fader, Hardie & Lee 2005) with parameters r, α, a, b."
);
bg_family_model!(
    MbgNbd,
    Variant::Mbg,
    "mbgnbd",
    "MBG/NBD model (Batislam, Denizel & Filiztekin 2007) with parameters r, α, a, b."
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::gradient_check;

    fn small_data() -> RfmData {
        RfmData::from_columns(
            &[0.0, 1.0, 2.0, 5.0, 0.0, 3.0],
            &[0.0, 3.0, 10.0, 20.0, 0.0, 5.0],
            &[30.0, 30.0, 25.0, 21.0, 10.0, 40.0],
            None,
        )
        .unwrap()
    }

    #[test]
    fn gradients_are_exact() {
        let d = small_data();
        for lp in [[-1.0, 1.0, -0.5, 0.8], [0.5, 2.0, 1.0, -1.0]] {
            assert!(gradient_check(&BgNbd::objective(&d), &lp) < 1e-6);
            assert!(gradient_check(&MbgNbd::objective(&d), &lp) < 1e-6);
        }
    }

    #[test]
    fn analytic_hessian_matches_differences() {
        let d = small_data();
        for lp in [[-1.0, 1.0, -0.5, 0.8], [0.5, 2.0, 1.0, -1.0]] {
            for obj in [
                &BgObjective::new(&d, Variant::Bg) as &dyn Objective,
                &BgObjective::new(&d, Variant::Mbg),
            ] {
                let mut g = [0.0; 4];
                let mut h = [0.0; 16];
                obj.value_gradient_hessian(&lp, &mut g, &mut h).unwrap();
                let (mut gp, mut gm) = ([0.0; 4], [0.0; 4]);
                for i in 0..4 {
                    let (mut xp, mut xm) = (lp, lp);
                    xp[i] += 1e-5;
                    xm[i] -= 1e-5;
                    obj.value_and_gradient(&xp, &mut gp);
                    obj.value_and_gradient(&xm, &mut gm);
                    for j in 0..4 {
                        let fd = (gp[j] - gm[j]) / 2e-5;
                        let an = h[i * 4 + j];
                        assert!(
                            (fd - an).abs() <= 1e-6 * an.abs().max(1e-3),
                            "{i}{j}: {fd} {an}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn likelihood_matches_objective() {
        let d = small_data();
        let m = BgNbd::new(0.3, 4.0, 0.8, 2.5).unwrap();
        let direct: f64 = d
            .rows()
            .iter()
            .zip(d.weights())
            .map(|(c, w)| w * m.log_likelihood(c))
            .sum();
        let obj = BgNbd::objective(&d);
        assert!((obj.total_log_likelihood(&m.params()) - direct).abs() < 1e-10);
    }

    #[test]
    fn expectation_branches_agree() {
        // Both series at the switch point |w| = 1/2, and near a = 1.
        for &(r, a, c) in &[
            (0.3, 0.8, 2.2),
            (5.3, 1.0, 7.0),
            (2.0, 3.0, 4.5),
            (0.2, 0.1, 0.05),
        ] {
            let s = 10.0;
            let below = alive_expectation(r, a, c, s, 4.999_999_9);
            let above = alive_expectation(r, a, c, s, 5.000_000_1);
            assert!(
                (below - above).abs() < 1e-7 * below,
                "{r} {a} {c}: {below} {above}"
            );
        }
    }

    #[test]
    fn dert_is_the_discounted_conditional_expectation() {
        // DERT(δ) = ∫₀^∞ δ e^(−δt) E[Y(t)] dt = ∫₀¹ E[Y(−ln(1−y)/δ)] dy (by parts).
        let cs = [
            Rfm::new(0.0, 0.0, 38.86).unwrap(),
            Rfm::new(2.0, 30.43, 38.86).unwrap(),
            Rfm::new(26.0, 30.86, 31.0).unwrap(),
        ];
        for m in [
            &BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap() as &dyn TransactionModel,
            &MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap(),
        ] {
            for c in &cs {
                let mut last = f64::INFINITY;
                for delta in [0.05, 0.1, 0.2] {
                    let d = m.dert(c, delta).unwrap();
                    let f = |y: f64| {
                        if y >= 1.0 {
                            0.0
                        } else {
                            m.conditional_expected_purchases(c, -(-y).ln_1p() / delta)
                        }
                    };
                    let check = crate::math::integrate(&f, 0.0, 1.0);
                    // The check integrates E[Y(t)], unbounded for a < 1: ~1e-7 accurate.
                    assert!((d - check).abs() <= 1e-6 * check, "{d} vs {check}");
                    assert!(d < last);
                    last = d;
                }
                let small = m.dert(c, 0.001).unwrap();
                assert!(small.is_finite() && small > m.dert(c, 0.05).unwrap());
            }
        }
    }

    #[test]
    fn quadrature_finite_and_increasing_at_extremes() {
        // Shapes from 10⁻³ to 10⁵ (the former u = (2p)^a substitution on both halves gave
        // NaN for a or B ≥ 10³ with the other 10⁵), R from 10⁻³ to 10⁴, t/s up to 10¹³.
        let vals = [1e-3, 1.0, 1e3, 1e5];
        for &a in &vals {
            for &bb in &vals {
                for &r in &[1e-3, 1e4] {
                    let mut last = 0.0;
                    for &th in &[1e2, 1e6, 1e13] {
                        let v = quadrature(r, a, bb, 1.0, th);
                        assert!(
                            v.is_finite() && v > 0.0 && v >= last * (1.0 - 1e-12),
                            "{a} {bb} {r} {th}: {v} after {last}"
                        );
                        last = v;
                    }
                }
            }
        }
        // Φ ≤ E[1/p] = (a+B−1)/(a−1) for a > 1, approached as t → ∞.
        let v = quadrature(1e4, 1e5, 1e5, 1.0, 1e13);
        let lim = (2e5 - 1.0) / (1e5 - 1.0);
        assert!((v - lim).abs() <= 1e-9 * lim, "{v} vs {lim}");
    }

    #[test]
    fn probabilities_sum_to_one() {
        for m in [
            &BgNbd::new(0.24, 4.4, 0.79, 2.43).unwrap() as &dyn TransactionModel,
            &MbgNbd::new(0.52, 6.18, 0.89, 1.61).unwrap(),
        ] {
            let total: f64 = (0..400).map(|n| m.prob_purchases(39.0, n)).sum();
            assert!((total - 1.0).abs() < 1e-9, "{total}");
            let mean: f64 = (0..400).map(|n| n as f64 * m.prob_purchases(39.0, n)).sum();
            assert!((mean - m.expected_purchases(39.0)).abs() < 1e-8, "{mean}");
        }
    }
}
