//! BG/NBD and MBG/NBD on CDNOW against lifetimes 0.11.3 and the published values.

use crate::common::*;
use comeback_models::bgnbd::{BgNbd, MbgNbd};
use comeback_models::fit::{FitOptions, Rfm};
use comeback_models::transaction::{ClvOptions, TransactionModel};

#[test]
fn bgnbd_fit_matches_published_and_lifetimes() {
    let d = cdnow_data();
    let fit = BgNbd::fit(&d, &FitOptions::default()).unwrap();
    let rep = &fit.report;
    assert!(rep.converged, "{}", rep.message);
    let reference = reference();
    for (i, name) in ["r", "alpha", "a", "b"].iter().enumerate() {
        let want = num(
            &reference,
            &format!("/computed_lifetimes/cdnow_sample_2357/BG~1NBD/params/{name}"),
        );
        assert_rel(rep.params[i], want, 1e-3, name);
    }
    // Published LL −9582.4 (1 decimal): within 0.05; and no worse than lifetimes'.
    assert!(
        (rep.log_likelihood - -9582.4).abs() < 0.05,
        "{}",
        rep.log_likelihood
    );
    let lifetimes_ll = num(
        &reference,
        "/computed_lifetimes/cdnow_sample_2357/BG~1NBD/total_log_likelihood",
    );
    assert!(
        rep.log_likelihood >= lifetimes_ll - 1e-6,
        "{}",
        rep.log_likelihood
    );
    assert_eq!(rep.n_customers, 2357.0);
    assert!(rep.std_errors.is_some());
    eprintln!("{rep}");
}

#[test]
fn mbgnbd_fit_matches_lifetimes() {
    let d = cdnow_data();
    let fit = MbgNbd::fit(&d, &FitOptions::default()).unwrap();
    let rep = &fit.report;
    assert!(rep.converged, "{}", rep.message);
    let reference = reference();
    for (i, name) in ["r", "alpha", "a", "b"].iter().enumerate() {
        let want = num(
            &reference,
            &format!("/computed_lifetimes/cdnow_sample_2357/MBG~1NBD/params/{name}"),
        );
        assert_rel(rep.params[i], want, 1e-3, name);
    }
    let lifetimes_ll = num(
        &reference,
        "/computed_lifetimes/cdnow_sample_2357/MBG~1NBD/total_log_likelihood",
    );
    assert!(
        rep.log_likelihood >= lifetimes_ll - 1e-6,
        "{}",
        rep.log_likelihood
    );
    eprintln!("{rep}");
}

fn model_at_reference<M>(key: &str, make: impl Fn(&[f64]) -> M) -> M {
    let reference = reference();
    let p: Vec<f64> = ["r", "alpha", "a", "b"]
        .iter()
        .map(|n| {
            num(
                &reference,
                &format!("/computed_lifetimes/cdnow_sample_2357/{key}/params/{n}"),
            )
        })
        .collect();
    make(&p)
}

fn check_customers(m: &dyn TransactionModel, key: &str) {
    let reference = reference();
    let (ids, cs) = cdnow();
    for id in ["1", "2", "3", "1516", "157", "244"] {
        let i = ids.iter().position(|v| v.to_string() == id).unwrap();
        let c = &cs[i];
        let base = format!("/computed_lifetimes/cdnow_sample_2357/{key}/customers/{id}");
        assert_rel(
            m.p_alive(c),
            num(&reference, &format!("{base}/p_alive")),
            1e-6,
            &format!("{key} p_alive {id}"),
        );
        assert_rel(
            m.conditional_expected_purchases(c, 39.0),
            num(&reference, &format!("{base}/expected_purchases_next_39w")),
            1e-6,
            &format!("{key} E[Y(39)] {id}"),
        );
    }
}

#[test]
fn per_customer_predictions_match_lifetimes() {
    let bg = model_at_reference("BG~1NBD", |p| BgNbd::from_params(p).unwrap());
    check_customers(&bg, "BG~1NBD");
    let mbg = model_at_reference("MBG~1NBD", |p| MbgNbd::from_params(p).unwrap());
    check_customers(&mbg, "MBG~1NBD");
}

#[test]
fn holdout_sums_match_lifetimes() {
    let reference = reference();
    let (_, cs) = cdnow();
    for key in ["BG~1NBD", "MBG~1NBD"] {
        let m: Box<dyn TransactionModel> = if key == "BG~1NBD" {
            Box::new(model_at_reference(key, |p| BgNbd::from_params(p).unwrap()))
        } else {
            Box::new(model_at_reference(key, |p| MbgNbd::from_params(p).unwrap()))
        };
        let base = format!("/computed_lifetimes/cdnow_sample_2357/{key}");
        let cond: f64 = m
            .conditional_expected_purchases_many(&cs, 39.0)
            .iter()
            .sum();
        assert_rel(
            cond,
            num(
                &reference,
                &format!("{base}/holdout_39w_expected_repeat_transactions_sum_conditional"),
            ),
            1e-6,
            key,
        );
        let uncond: f64 = cs
            .iter()
            .map(|c| m.expected_purchases(c.t() + 39.0) - m.expected_purchases(c.t()))
            .sum();
        assert_rel(
            uncond,
            num(
                &reference,
                &format!("{base}/holdout_39w_expected_repeat_transactions_sum_unconditional"),
            ),
            1e-6,
            key,
        );
    }
}

#[test]
fn clv_matches_lifetimes_convention() {
    // lifetimes: GammaGammaFitter.customer_lifetime_value(bgf, x, t_x, T, zbar, time=12,
    // discount_rate=0.01, freq="W"): 12 steps of 4.345 weeks, step k discounted by 1.01^k,
    // times the Gamma-Gamma conditional expected average spend.
    let reference = reference();
    let bg = model_at_reference("BG~1NBD", |p| BgNbd::from_params(p).unwrap());
    let (ids, cs) = cdnow();
    let opts = ClvOptions::new(1.0, 0.01, 4.345, 12).unwrap();
    for id in ["1", "2", "3", "1516", "157", "244"] {
        let i = ids.iter().position(|v| v.to_string() == id).unwrap();
        let base = format!("/computed_lifetimes/cdnow_sample_2357/Gamma-Gamma/customers/{id}");
        let spend = num(
            &reference,
            &format!("{base}/conditional_expected_average_profit"),
        );
        let got = comeback_models::transaction::clv(&bg, &cs[i], spend, &opts);
        assert_rel(
            got,
            num(
                &reference,
                &format!("{base}/clv_12m_disc0.01_freqW_using_BGNBD"),
            ),
            1e-6,
            &format!("clv {id}"),
        );
    }
}

#[test]
fn clv_periods_for_horizon_rounds_to_whole_periods() {
    use comeback_models::transaction::clv_periods_for_horizon;
    let month_in_weeks = 365.25 / 12.0 / 7.0; // 4.348 weeks
    assert_eq!(clv_periods_for_horizon(52.0, month_in_weeks), 12);
    assert_eq!(clv_periods_for_horizon(39.0, month_in_weeks), 9); // 8.97 months
    assert_eq!(clv_periods_for_horizon(365.25, 365.25 / 12.0), 12);
    // Never 0 periods, and no panic on a degenerate period.
    assert_eq!(clv_periods_for_horizon(1.0, month_in_weeks), 1);
    assert_eq!(clv_periods_for_horizon(f64::NAN, 1.0), 1);
}

#[test]
fn diagnostics_on_cdnow() {
    use comeback_models::diagnostics::{calibration_holdout, frequency_histogram, tracking_curve};
    let bg = model_at_reference("BG~1NBD", |p| BgNbd::from_params(p).unwrap());
    let (_, cs) = cdnow();
    let h = frequency_histogram(&bg, &cs, 7).unwrap();
    let total_a: f64 = h.bins.iter().map(|b| b.actual).sum();
    let total_e: f64 = h.bins.iter().map(|b| b.expected).sum();
    assert_eq!(total_a, 2357.0);
    assert!((total_e - 2357.0).abs() < 1e-6, "{total_e}");
    assert_eq!(h.bins[0].actual, 1411.0);
    assert_eq!(h.df, 8 - 1 - 4);
    let p = h.p_value.unwrap();
    assert!(p > 0.0 && p < 1.0 && h.chi_square.is_finite());
    // FHL 2005 Figure 2: the BG/NBD tracks the histogram closely (chi-square small vs n).
    assert!(h.chi_square < 30.0, "{}", h.chi_square);

    let reference = reference();
    let zeros = vec![0.0; cs.len()];
    let dur = vec![39.0; cs.len()];
    let rows = calibration_holdout(&bg, &cs, &zeros, &dur, 7).unwrap();
    let pred: f64 = rows
        .iter()
        .map(|r| r.mean_predicted * r.n_customers as f64)
        .sum();
    assert_rel(
        pred,
        num(
            &reference,
            "/computed_lifetimes/cdnow_sample_2357/BG~1NBD/holdout_39w_expected_repeat_transactions_sum_conditional",
        ),
        1e-9,
        "calibration/holdout predicted total",
    );
    // Tracking: first purchase sᵢ = end − Tᵢ; the cumulative at `end` is Σ E[X(Tᵢ)].
    let end = cs.iter().map(|c| c.t()).fold(0.0, f64::max);
    let s: Vec<f64> = cs.iter().map(|c| end - c.t()).collect();
    let tc = tracking_curve(&bg, &s, end / 10.0, 10).unwrap();
    let direct: f64 = cs.iter().map(|c| bg.expected_purchases(c.t())).sum();
    assert_rel(*tc.cumulative.last().unwrap(), direct, 1e-9, "tracking");
    assert!(tc.incremental.iter().all(|v| *v >= 0.0));
}

/// Checks E[Y(t) | x, tₓ, T] and E[X(t)] against a CSV of 50-digit mpmath values (columns
/// model, r, alpha, a, b, x, t_x, T, t, cond_exp, uncond_exp) to 1e-10 relative (values below
/// 1e-290, where P(alive) underflows to a subnormal number, to 1e-300 absolute). Returns the
/// number of values and the worst relative error.
fn check_expectations_csv(rel_path: &str) -> (usize, f64) {
    let text = std::fs::read_to_string(data_path(rel_path)).unwrap();
    let mut worst: f64 = 0.0;
    let mut n = 0;
    let mut bad = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let v: Vec<f64> = f[1..].iter().map(|s| s.parse().unwrap()).collect();
        let (r, alpha, a, b, x, tx, big_t, t) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        let m: Box<dyn TransactionModel> = match f[0] {
            "bgnbd" => Box::new(BgNbd::new(r, alpha, a, b).unwrap()),
            _ => Box::new(MbgNbd::new(r, alpha, a, b).unwrap()),
        };
        let c = Rfm::new(x, tx, big_t).unwrap();
        for (got, want, what) in [
            (m.conditional_expected_purchases(&c, t), v[8], "E[Y]"),
            (m.expected_purchases(t), v[9], "E[X]"),
        ] {
            let ok = if want.abs() < 1e-290 {
                (got - want).abs() <= 1e-300
            } else {
                let rel = ((got - want) / want).abs();
                worst = worst.max(rel);
                rel <= 1e-10
            };
            if !ok {
                bad.push(format!("{line}: {what} = {got}, mpmath {want}"));
            }
            n += 1;
        }
    }
    assert!(bad.is_empty(), "{} wrong:\n{}", bad.len(), bad.join("\n"));
    (n, worst)
}

/// E[Y(t) | x, tₓ, T] and E[X(t)] as z = t/(α+T+t) → 1⁻ (1 − z = 10⁻³ … 10⁻¹², c − a − b
/// positive, negative, integer and near-integer, large r + x, small and large a and b)
/// against 50-digit mpmath (`data/reference/mpmath/bgnbd_near_one.py` and its `.csv`),
/// including the reported corner r = 1, α = 0.0090009, a = 5.046, b = 229.254, x = T = 0,
/// t = 971.18 (mpmath 57.62; the single-panel quadrature returned 0.896).
#[test]
fn expectations_near_z_one_match_mpmath() {
    let (n, worst) = check_expectations_csv("reference/mpmath/bgnbd_near_one.csv");
    assert!(n >= 380, "{n} values");
    eprintln!("near z = 1: {n} values, worst relative error {worst:e}");
}

/// The same at 400 seeded random parameter sets and customers drawn as in the property
/// test, z from 0.1 to 1 − 10⁻¹³ (`bgnbd_random_reference.py`, `bgnbd_random_values.csv`).
#[test]
fn expectations_at_random_inputs_match_mpmath() {
    let (n, worst) = check_expectations_csv("reference/mpmath/bgnbd_random_values.csv");
    assert!(n >= 1600, "{n} values");
    eprintln!("random: {n} values, worst relative error {worst:e}");
}

/// The reported corner: r = 1, α = 0.0090009, a = 5.046, b = 229.254, x = tₓ = T = 0,
/// t = 971.18 (z = t/(α+T+t) = 1 − 9.3·10⁻⁶, ₂F₁ does not converge there). The former
/// fallback quadrature returned 0.896; 50-digit mpmath (`bgnbd_near_one.py`) gives these.
#[test]
fn reported_near_one_corner() {
    let c = Rfm::new(0.0, 0.0, 0.0).unwrap();
    let bg = BgNbd::new(1.0, 0.0090009, 5.046, 229.254).unwrap();
    let mbg = MbgNbd::new(1.0, 0.0090009, 5.046, 229.254).unwrap();
    for (got, want) in [
        (
            bg.conditional_expected_purchases(&c, 971.18),
            57.621_174_635_701_63,
        ),
        (bg.expected_purchases(971.18), 57.621_174_635_701_63),
        (
            mbg.conditional_expected_purchases(&c, 971.18),
            56.621_708_668_971_24,
        ),
        (mbg.expected_purchases(971.18), 56.621_708_668_971_24),
    ] {
        assert!(((got - want) / want).abs() < 1e-12, "{got} vs {want}");
    }
}
