//! Gamma-Gamma, BG/BB and sBG against lifetimes 0.11.3 and the published values.

use crate::common::*;
use comeback_models::bgbb::{self, BgBb};
use comeback_models::fit::{FitOptions, Rfm};
use comeback_models::gamma_gamma::{GammaGamma, SpendData};
use comeback_models::sbg::{Sbg, Survivors};

fn cdnow_spend() -> (Vec<u32>, Vec<f64>, Vec<f64>) {
    let (h, rows) = read_csv("cdnow_customers_summary_with_transactions.csv");
    let ids = column(&h, &rows, "ID").iter().map(|v| *v as u32).collect();
    (ids, column(&h, &rows, "x"), column(&h, &rows, "zbar"))
}

#[test]
fn gamma_gamma_fit_matches_lifetimes() {
    let reference = reference();
    let (_, x, m) = cdnow_spend();
    let d = SpendData::from_columns(&x, &m, None).unwrap();
    assert_eq!(d.total_weight(), 946.0);
    assert_eq!(d.n_excluded_nonpositive(), 0);
    let fit = GammaGamma::fit(&d, &FitOptions::default()).unwrap();
    let rep = &fit.report;
    assert!(rep.converged, "{}", rep.message);
    for (i, (name, key)) in [("p", "p"), ("q", "q"), ("gamma", "v")].iter().enumerate() {
        let want = num(
            &reference,
            &format!("/computed_lifetimes/cdnow_sample_2357/Gamma-Gamma/params/{key}"),
        );
        assert_rel(rep.params[i], want, 1e-3, name);
    }
    let ll = num(
        &reference,
        "/computed_lifetimes/cdnow_sample_2357/Gamma-Gamma/total_log_likelihood_own_formula",
    );
    assert!(rep.log_likelihood >= ll - 1e-6, "{}", rep.log_likelihood);
    assert!((rep.log_likelihood - ll).abs() < 0.01);
    let corr = num(
        &reference,
        "/computed_lifetimes/cdnow_sample_2357/Gamma-Gamma/corr_frequency_monetary",
    );
    let got_corr = rep
        .extras
        .iter()
        .find(|e| e.0 == "corr_frequency_spend")
        .unwrap()
        .1;
    assert_rel(got_corr, corr, 1e-9, "correlation");
    eprintln!("{rep}");
}

#[test]
fn gamma_gamma_predictions_match_lifetimes() {
    let reference = reference();
    let p: Vec<f64> = ["p", "q", "v"]
        .iter()
        .map(|k| {
            num(
                &reference,
                &format!("/computed_lifetimes/cdnow_sample_2357/Gamma-Gamma/params/{k}"),
            )
        })
        .collect();
    let gg = GammaGamma::from_params(&p).unwrap();
    assert_rel(
        gg.population_mean_spend().unwrap(),
        num(
            &reference,
            "/computed_lifetimes/cdnow_sample_2357/Gamma-Gamma/population_mean_spend_E_M",
        ),
        1e-9,
        "E[M]",
    );
    let (ids, x, m) = cdnow_spend();
    for id in ["1", "2", "3", "1516", "157", "244"] {
        let i = ids.iter().position(|v| v.to_string() == id).unwrap();
        let got = gg.conditional_expected_average_spend(x[i], m[i]).unwrap();
        let want = num(
            &reference,
            &format!(
                "/computed_lifetimes/cdnow_sample_2357/Gamma-Gamma/customers/{id}/conditional_expected_average_profit"
            ),
        );
        assert_rel(got, want, 1e-6, id);
    }
}

fn donations() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let (h, rows) = read_csv("donations.csv");
    (
        column(&h, &rows, "frequency"),
        column(&h, &rows, "recency"),
        column(&h, &rows, "periods"),
        column(&h, &rows, "weights"),
    )
}

#[test]
fn bgbb_fit_matches_published() {
    let reference = reference();
    let (x, tx, n, w) = donations();
    let d = bgbb::data_from_columns(&x, &tx, &n, Some(&w)).unwrap();
    let fit = BgBb::fit(&d, &FitOptions::default()).unwrap();
    let rep = &fit.report;
    assert!(rep.converged, "{}", rep.message);
    assert_eq!(rep.n_customers, 11104.0);
    // Published values are printed to 3 decimals: |Δ| ≤ 1e-3 absolute, and 1e-3 relative to
    // lifetimes' full-precision estimates.
    for (i, name) in ["alpha", "beta", "gamma", "delta"].iter().enumerate() {
        let published = num(
            &reference,
            &format!("/published/BG~1BB_donations_11104/{name}"),
        );
        assert!(
            (rep.params[i] - published).abs() <= 1e-3,
            "{name} {}",
            rep.params[i]
        );
        let lt = num(
            &reference,
            &format!("/computed_lifetimes/donations_bgbb/params/{name}"),
        );
        assert_rel(rep.params[i], lt, 1e-3, name);
    }
    assert!(
        (rep.log_likelihood - -33225.6).abs() <= 0.05,
        "{}",
        rep.log_likelihood
    );
    eprintln!("{rep}");
}

#[test]
fn bgbb_patterns_match_lifetimes() {
    let reference = reference();
    let p: Vec<f64> = ["alpha", "beta", "gamma", "delta"]
        .iter()
        .map(|k| {
            num(
                &reference,
                &format!("/computed_lifetimes/donations_bgbb/params/{k}"),
            )
        })
        .collect();
    let m = BgBb::from_params(&p).unwrap();
    let (x, tx, n, _) = donations();
    let mut total = 0.0;
    for i in 0..x.len() {
        let c = Rfm::new(x[i], tx[i], n[i]).unwrap();
        let key = format!(
            "/computed_lifetimes/donations_bgbb/patterns/x={},t_x={},n={}",
            x[i], tx[i], n[i]
        );
        let what = format!("x={} tx={}", x[i], tx[i]);
        assert_rel(
            m.p_alive_after(&c, 0),
            num(&reference, &format!("{key}/p_alive_now_m0")),
            1e-6,
            &what,
        );
        assert_rel(
            m.p_alive_after(&c, 1),
            num(&reference, &format!("{key}/p_alive_next_period_m1")),
            1e-6,
            &what,
        );
        let e = m.conditional_expected_transactions(&c, 5);
        assert_rel(
            e,
            num(
                &reference,
                &format!("{key}/expected_transactions_next_5_periods"),
            ),
            1e-6,
            &what,
        );
        total += e * num(&reference, &format!("{key}/weight"));
    }
    assert_rel(
        total,
        num(
            &reference,
            "/computed_lifetimes/donations_bgbb/expected_total_transactions_next_5_periods_all_donors",
        ),
        1e-6,
        "total",
    );
}

#[test]
fn sbg_reproduces_fader_hardie_2007() {
    let reference = reference();
    let cases = [
        ("regular", [220.1, 204.4, 191.2, 179.9, 170.0]),
        ("high_end", [460.4, 435.8, 414.2, 395.1, 378.0]),
    ];
    for (seg, projected) in cases {
        let counts: Vec<f64> = (0..=12)
            .map(|t| {
                num(
                    &reference,
                    &format!("/published/sBG_FH2007/data_survivors_per_1000_years_0_12/{seg}/{t}"),
                )
            })
            .collect();
        let s = Survivors::new(&counts[..=7]).unwrap();
        let fit = Sbg::fit(&s, &FitOptions::default()).unwrap();
        assert!(fit.report.converged);
        for (i, name) in ["alpha", "beta"].iter().enumerate() {
            let want = num(&reference, &format!("/published/sBG_FH2007/{seg}/{name}"));
            assert!(
                (fit.report.params[i] - want).abs() <= 1e-3,
                "{seg} {name}: {} vs {want}",
                fit.report.params[i]
            );
        }
        let proj = fit.model.projected_survivors(1000.0, 12);
        for (k, want) in projected.iter().enumerate() {
            let got = proj[8 + k];
            assert!(
                (got - want).abs() <= 0.1,
                "{seg} year {}: {got} vs {want}",
                8 + k
            );
        }
        eprintln!("{}", fit.report);
    }
}
