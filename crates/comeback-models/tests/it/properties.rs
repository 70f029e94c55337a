//! Property tests: P(alive) ∈ [0, 1]; expectations finite, ≥ 0 and non-decreasing in t;
//! likelihoods finite — over wide parameter and input ranges (x and T up to 10⁴, recency 0
//! and = T, T = 0, tiny and huge parameters).

use comeback_models::bgbb::BgBb;
use comeback_models::bgnbd::{BgNbd, MbgNbd};
use comeback_models::fit::Rfm;
use comeback_models::gamma_gamma::GammaGamma;
use comeback_models::sbg::Sbg;
use comeback_models::transaction::TransactionModel;
use proptest::prelude::*;

fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.ln()..hi.ln()).prop_map(f64::exp)
}

/// (x, tₓ, T) with x ≤ 10⁴, T ≤ 10⁴, tₓ ∈ {0, T, uniform}.
fn customer() -> impl Strategy<Value = Rfm> {
    (
        prop_oneof![Just(0.0), 0.0..10_000.0, Just(10_000.0)],
        0u32..10_001,
        prop_oneof![Just(0.0), Just(1.0), 0.0..1.0],
    )
        .prop_map(|(t, x, u)| {
            let x = if t == 0.0 { 0.0 } else { f64::from(x) };
            let tx = if x == 0.0 { 0.0 } else { u * t };
            Rfm::new(x, tx, t).unwrap()
        })
}

fn check_model(m: &dyn TransactionModel, c: &Rfm, t1: f64, t2: f64) -> Result<(), TestCaseError> {
    let (lo, hi) = if t1 <= t2 { (t1, t2) } else { (t2, t1) };
    let ll = m.log_likelihood(c);
    // A density in continuous time (ln L may be positive): only finiteness is required.
    prop_assert!(ll.is_finite(), "ln L = {ll}");
    let pa = m.p_alive(c);
    prop_assert!((0.0..=1.0).contains(&pa), "P(alive) = {pa}");
    let (e1, e2) = (
        m.conditional_expected_purchases(c, lo),
        m.conditional_expected_purchases(c, hi),
    );
    prop_assert!(
        e1.is_finite() && e2.is_finite() && e1 >= 0.0,
        "E[Y] = {e1}, {e2}"
    );
    prop_assert!(
        e2 >= e1 * (1.0 - 1e-10),
        "E[Y] decreasing: {e1} at {lo}, {e2} at {hi}"
    );
    let (u1, u2) = (m.expected_purchases(lo), m.expected_purchases(hi));
    prop_assert!(
        u1.is_finite() && u2.is_finite() && u1 >= 0.0,
        "E[X] = {u1}, {u2}"
    );
    prop_assert!(
        u2 >= u1 * (1.0 - 1e-10),
        "E[X] decreasing: {u1} at {lo}, {u2} at {hi}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn bgnbd_family_invariants(
        r in log_uniform(1e-3, 50.0),
        alpha in log_uniform(1e-3, 1e4),
        a in log_uniform(1e-3, 1e3),
        b in log_uniform(1e-3, 1e3),
        c in customer(),
        t1 in prop_oneof![Just(0.0), 0.0..100.0, 0.0..10_000.0],
        t2 in prop_oneof![0.0..100.0, 0.0..10_000.0],
    ) {
        check_model(&BgNbd::new(r, alpha, a, b).unwrap(), &c, t1, t2)?;
        check_model(&MbgNbd::new(r, alpha, a, b).unwrap(), &c, t1, t2)?;
    }

    #[test]
    fn bgbb_invariants(
        alpha in log_uniform(1e-2, 1e2),
        beta in log_uniform(1e-2, 1e2),
        gamma in log_uniform(1e-2, 1e2),
        delta in log_uniform(1e-2, 1e2),
        n in 0u32..200,
        xs in 0.0..1.0f64,
        us in 0.0..1.0f64,
        m1 in 0u64..50,
        m2 in 0u64..50,
    ) {
        let n = f64::from(n);
        let tx = (us * n).floor();
        let x = if tx == 0.0 { 0.0 } else { (1.0 + xs * (tx - 1.0)).floor() };
        let c = Rfm::new(x, tx, n).unwrap();
        let m = BgBb::new(alpha, beta, gamma, delta).unwrap();
        check_model(&m, &c, m1 as f64, m2 as f64)?;
    }

    #[test]
    fn sbg_invariants(alpha in log_uniform(1e-3, 1e3), beta in log_uniform(1e-3, 1e3), d in log_uniform(1e-4, 10.0)) {
        let m = Sbg::new(alpha, beta).unwrap();
        let s = m.survival_curve(50);
        prop_assert!(s.windows(2).all(|w| w[1] <= w[0] && w[1] >= 0.0));
        let d1 = m.discounted_expected_residual_lifetime(d, 3).unwrap();
        let d2 = m.discounted_expected_residual_lifetime(d * 2.0, 3).unwrap();
        prop_assert!(d1.is_finite() && d2 <= d1 && d2 >= 0.0, "{d1} {d2}");
    }

    #[test]
    fn gamma_gamma_spend_is_positive_or_an_error(
        p in log_uniform(1e-3, 1e3),
        q in log_uniform(1e-3, 1e3),
        g in log_uniform(1e-3, 1e6),
        x in 0u32..10_000,
        mbar in log_uniform(1e-3, 1e6),
    ) {
        let m = GammaGamma::new(p, q, g).unwrap();
        match m.conditional_expected_average_spend(f64::from(x), mbar) {
            Ok(v) => prop_assert!(v.is_finite() && v > 0.0, "{v}"),
            Err(_) => prop_assert!(p * f64::from(x) + q <= 1.0),
        }
    }
}
