//! CDNOW sample (2,357 customers; Fader, Hardie & Lee 2005): the calibration fits against
//! lifetimes, the holdout count against the paper, and the scores against closed forms.

use crate::{data_path, log_of, rel};
use comeback_analysis::models::Reason;
use comeback_analysis::{AnalysisOptions, analyze};
use comeback_core::{Day, TimeUnit, TransactionLog};
use comeback_models::purchase_model::{PurchaseModel, PurchaseModelKind};

/// CDNOW_sample.txt (whitespace-separated: master id, sample id, yyyymmdd, CDs, dollars;
/// customers by sample id, as `comeback analyze --customer-col 2`) up to
/// 1998-06-30.
fn cdnow() -> TransactionLog {
    let text = std::fs::read_to_string(data_path("CDNOW_sample.txt")).unwrap();
    let rows: Vec<(String, i32, u32, u32, i64)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let d = f[2];
            let cents = (f[4].parse::<f64>().unwrap() * 100.0).round() as i64;
            (
                f[1].to_string(),
                d[..4].parse().unwrap(),
                d[4..6].parse().unwrap(),
                d[6..].parse().unwrap(),
                cents,
            )
        })
        .collect();
    log_of(Day::from_ymd(1998, 6, 30), &rows)
}

/// Reference parameters: `computed_lifetimes` in data/reference/clv_reference.json (lifetimes
/// 0.11.3 on the 2-decimal CDNOW calibration summary, 39-week holdout). Our calibration
/// summary is exact, so the tolerance is 1e-3 relative, as in the CLI test.
fn reference_params(kind: PurchaseModelKind) -> [f64; 4] {
    match kind {
        PurchaseModelKind::BgNbd => [
            0.2425929282798216,
            4.4135322652718125,
            0.7928859664406493,
            2.42575238262571,
        ],
        PurchaseModelKind::MbgNbd => [
            0.5248377255676407,
            6.182988479133824,
            0.8913562809311867,
            1.6140000256723184,
        ],
        PurchaseModelKind::ParetoNbd => [
            0.5532654961421906,
            10.57746280793608,
            0.6062000034552779,
            11.667616745346674,
        ],
    }
}

#[test]
fn calibration_fits_match_lifetimes_and_the_holdout_count_fhl_2005() {
    let log = cdnow();
    let o = AnalysisOptions {
        holdout: Some(39.0),
        bootstrap: 50,
        ..AnalysisOptions::default()
    };
    let a = analyze(&log, &o).unwrap();
    assert_eq!(a.summary.customers.len(), 2357);
    assert_eq!(a.observation_end, Day::from_ymd(1998, 6, 30).unwrap());
    let cal = a.calibration.as_ref().expect("a holdout period");
    assert_eq!(cal.calibration_end, Day::from_ymd(1997, 9, 30).unwrap());
    // FHL 2005, Figure 4: 1,882 repeat purchases in weeks 40–78 (the CLI test pins the same).
    assert_eq!(a.comparison.holdout_actual, 1882.0);
    assert_eq!(a.comparison.candidates.len(), 3);
    for c in &a.comparison.candidates {
        let (_, r) = c.fit.as_ref().unwrap();
        for (got, want) in r.params.iter().zip(reference_params(c.kind)) {
            assert!(rel(*got, want) < 1e-3, "{:?}: {got} vs {want}", c.kind);
        }
        assert!(c.score.is_finite() && c.holdout_predicted > 1000.0);
    }
    assert!(a.headline.bootstrap_draws >= 10);
    let e = a.headline.expected_purchases;
    assert!(e.ci_low < e.estimate && e.estimate < e.ci_high, "{e:?}");
}

/// P(alive) of BG/NBD, FH note 021 eq. (1), written out here independently of the models
/// crate: 1/(1 + δ(x>0)·a/(b+x−1)·((α+T)/(α+tₓ))^(r+x)).
fn bgnbd_p_alive(p: &[f64], x: f64, tx: f64, t: f64) -> f64 {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    if x == 0.0 {
        return 1.0;
    }
    1.0 / (1.0 + a / (b + x - 1.0) * ((alpha + t) / (alpha + tx)).powf(r + x))
}

#[test]
fn scores_are_the_chosen_model_at_each_customers_own_summary() {
    let log = cdnow();
    let o = AnalysisOptions {
        holdout: Some(0.0),
        models: vec![PurchaseModelKind::BgNbd],
        bootstrap: 0,
        unit: TimeUnit::Days,
        ..AnalysisOptions::default()
    };
    let a = analyze(&log, &o).unwrap();
    assert_eq!(a.comparison.reason, Reason::OnlyFitted);
    assert!(matches!(a.model, PurchaseModel::BgNbd(_)));
    let p = &a.fit.params;
    // Customer "0001" (first rows of the file): purchases on 1997-01-01, 01-18, 08-02,
    // 12-12 → x = 3, tₓ = 345 days, T = 545 days at 1998-06-30.
    let i = a.customer_index("0001").unwrap();
    let c = a.customer(i).unwrap();
    assert_eq!(
        (c.summary.frequency, c.summary.recency, c.summary.t),
        (3, 345.0, 545.0)
    );
    let want = bgnbd_p_alive(p, 3.0, 345.0, 545.0);
    assert!(rel(c.p_alive, want) < 1e-12, "{} vs {want}", c.p_alive);
    for (k, s) in a.summary.customers.iter().enumerate().step_by(97) {
        let want = bgnbd_p_alive(p, s.frequency as f64, s.recency, s.t);
        assert!(rel(a.scores.p_alive[k], want) < 1e-12, "{}", s.customer_id);
    }
    // No bootstrap: the intervals are NaN and no draws are reported.
    assert_eq!(a.headline.bootstrap_draws, 0);
    assert!(a.headline.expected_revenue.ci_low.is_nan());
    assert!(a.customer(a.summary.customers.len()).is_none());
    assert!(a.customer_index("no such customer").is_none());
}
