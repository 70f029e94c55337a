//! NPS: classes, the issue's fixtures, full-precision reference values, comparisons,
//! benchmark tests, breakdowns and trends on a generated response set, invariants.

use crate::stats::{TOL, assert_close, reference};
use comeback_voice::VoiceError;
use comeback_voice::YearMonth;
use comeback_voice::nps::{
    IntervalMethod, NpsClass, NpsCounts, against_benchmark, compare, estimate, monthly_trend,
    response_rate,
};
use proptest::prelude::*;

fn counts(promoters: u64, passives: u64, detractors: u64) -> NpsCounts {
    NpsCounts {
        promoters,
        passives,
        detractors,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

const AW: IntervalMethod = IntervalMethod::AdjustedWald;
const WALD: IntervalMethod = IntervalMethod::Wald;

#[test]
fn classes_at_the_boundaries() {
    let classes: Vec<_> = (0..=11).map(NpsClass::from_score).collect();
    use NpsClass::*;
    let d = Some(Detractor);
    assert_eq!(
        classes,
        [
            d,
            d,
            d,
            d,
            d,
            d,
            d,
            Some(Passive),
            Some(Passive),
            Some(Promoter),
            Some(Promoter),
            None
        ]
    );
    assert_eq!(Promoter.as_str(), "promoter");
    assert_eq!(Passive.as_str(), "passive");
    assert_eq!(Detractor.as_str(), "detractor");
    let mut c = NpsCounts::default();
    assert_eq!(c.add_score(10), Ok(Promoter));
    assert_eq!(c.add_score(6), Ok(Detractor));
    assert_eq!(c.add_score(7), Ok(Passive));
    assert_eq!(
        c.add_score(11),
        Err(VoiceError::ScoreOutOfRange {
            score: 11.0,
            min: 0.0,
            max: 10.0
        })
    );
    assert_eq!(c, counts(1, 1, 1));
    assert_eq!(c.n(), 3);
    assert_eq!(c.nps(), Some(0.0));
    let mut m = counts(2, 0, 0);
    m.merge(&c);
    assert_eq!(m, counts(3, 1, 1));
    assert_eq!(NpsCounts::default().nps(), None);
    // Absurd counts saturate instead of overflowing.
    let mut huge = counts(u64::MAX, 1, 0);
    assert_eq!(huge.n(), u64::MAX);
    huge.add(NpsClass::Promoter);
    huge.merge(&counts(5, 0, 0));
    assert_eq!(huge.promoters, u64::MAX);
    assert!(estimate(huge, AW, 0.95).is_ok());
}

#[test]
fn response_rates() {
    assert_eq!(response_rate(30, 120), Ok(0.25));
    assert_eq!(response_rate(0, 5), Ok(0.0));
    assert_eq!(
        response_rate(6, 5),
        Err(VoiceError::InvalidArgument(
            "6 responses from 5 invitations".into()
        ))
    );
    assert!(response_rate(0, 0).is_err());
}

#[test]
fn interval_method_names() {
    assert_eq!(IntervalMethod::default(), AW);
    for m in [AW, WALD] {
        assert_eq!(IntervalMethod::parse(m.as_str()), Some(m));
    }
    assert_eq!(IntervalMethod::parse(" Adjusted-Wald "), Some(AW));
    assert_eq!(IntervalMethod::parse("wilson"), None);
}

#[test]
fn issue_fixture_50_30_20() {
    let a = estimate(counts(50, 30, 20), AW, 0.95).unwrap();
    assert_eq!(a.nps, 30.0);
    assert_eq!((round2(a.ci_low), round2(a.ci_high)), (14.05, 44.20));
    let w = estimate(counts(50, 30, 20), WALD, 0.95).unwrap();
    assert_eq!(w.nps, 30.0);
    assert_eq!(w.nps_adjusted, 30.0);
    assert_eq!((round2(w.ci_low), round2(w.ci_high)), (14.69, 45.31));
    assert_eq!(a.method, AW);
    assert_eq!(a.counts.n(), 100);
    assert_close(a.z, 1.959963984540054, 1e-15);
}

#[test]
fn issue_fixture_one_promoter_interval_excludes_observed() {
    let a = estimate(counts(1, 0, 0), AW, 0.95).unwrap();
    assert_eq!(a.nps, 100.0);
    // n′ = 4, p′ = 1.75/4, d′ = 0.75/4: centre 25, shrunk toward 0.
    assert_close(a.nps_adjusted, 25.0, 1e-14);
    assert_eq!((round2(a.ci_low), round2(a.ci_high)), (-48.50, 98.50));
    assert!(a.ci_high < a.nps, "the documented tiny-n exclusion");
}

#[test]
fn all_reference_cases_to_full_precision() {
    for case in [
        "50_30_20", "1_0_0", "0_0_1", "0_1_0", "25_0_0", "40_30_30", "3_4_5",
    ] {
        let v: Vec<u64> = case.split('_').map(|x| x.parse().unwrap()).collect();
        for method in [AW, WALD] {
            for conf in ["0.9", "0.95"] {
                let e = estimate(counts(v[0], v[1], v[2]), method, conf.parse().unwrap()).unwrap();
                let pre = format!("nps/{case}/{}/{conf}", method.as_str());
                for (field, got) in [
                    ("nps", e.nps),
                    ("nps_adjusted", e.nps_adjusted),
                    ("se", e.se),
                    ("ci_low", e.ci_low),
                    ("ci_high", e.ci_high),
                ] {
                    assert_close(got, reference(&format!("{pre}/{field}")), TOL);
                }
            }
        }
    }
}

#[test]
fn all_promoters_and_single_responses() {
    let w = estimate(counts(25, 0, 0), WALD, 0.95).unwrap();
    assert_eq!(
        (w.nps, w.se, w.ci_low, w.ci_high),
        (100.0, 0.0, 100.0, 100.0)
    );
    let a = estimate(counts(25, 0, 0), AW, 0.95).unwrap();
    assert_eq!(a.ci_high, 100.0, "clipped");
    assert!(a.ci_low < 90.0 && a.se > 0.0);
    let d = estimate(counts(0, 0, 1), AW, 0.95).unwrap();
    assert_eq!(d.nps, -100.0);
    assert_eq!((round2(d.ci_low), round2(d.ci_high)), (-98.50, 48.50));
    let p = estimate(counts(0, 1, 0), AW, 0.95).unwrap();
    assert_eq!((p.nps, p.nps_adjusted), (0.0, 0.0));
    assert_close(p.ci_low, -p.ci_high, 1e-14);
}

#[test]
fn no_responses_is_an_error_not_zero() {
    let err = estimate(NpsCounts::default(), AW, 0.95).unwrap_err();
    assert_eq!(err, VoiceError::NoResponses);
    assert!(err.to_string().contains("n = 0"));
    assert!(matches!(
        estimate(counts(1, 1, 1), AW, 1.0),
        Err(VoiceError::InvalidConfidence(_))
    ));
}

#[test]
fn comparison_matches_hand_and_reference() {
    // Wald by hand: var_a = (0.7 − 0.09)/100, var_b = (0.7 − 0.01)/100 → se = √130 points,
    // z = 20/√130.
    let w = compare(counts(50, 30, 20), counts(40, 30, 30), WALD, 0.95).unwrap();
    assert_close(w.difference.difference, 20.0, 1e-12);
    assert_close(w.difference.statistic, 20.0 / 130f64.sqrt(), 1e-12);
    assert_eq!(w.difference.df, None);
    for method in [AW, WALD] {
        let c = compare(counts(50, 30, 20), counts(40, 30, 30), method, 0.95).unwrap();
        let pre = format!("nps_compare/50_30_20-40_30_30/{}", method.as_str());
        let d = c.difference;
        for (field, got) in [
            ("difference", d.difference),
            ("se", d.se),
            ("z", d.statistic),
            ("p_value", d.p_value),
            ("ci_low", d.ci_low),
            ("ci_high", d.ci_high),
        ] {
            assert_close(got, reference(&format!("{pre}/{field}")), TOL);
        }
        assert_eq!(c.a, estimate(counts(50, 30, 20), method, 0.95).unwrap());
    }
    assert_eq!(
        compare(counts(3, 0, 0), counts(5, 0, 0), WALD, 0.95).unwrap_err(),
        VoiceError::ZeroVariance
    );
    assert_eq!(
        compare(counts(3, 0, 0), NpsCounts::default(), AW, 0.95).unwrap_err(),
        VoiceError::NoResponses
    );
}

#[test]
fn benchmark_test_matches_hand_and_reference() {
    // Wald by hand: z = (30 − 20)/√61.
    let t = against_benchmark(counts(50, 30, 20), 20.0, WALD, 0.95).unwrap();
    assert_close(t.z, 10.0 / 61f64.sqrt(), 1e-12);
    assert!(!t.above, "p ≈ 0.10 is not below 0.05");
    for method in [AW, WALD] {
        for bench in ["20.0", "15.0"] {
            let b: f64 = bench.parse().unwrap();
            let t = against_benchmark(counts(50, 30, 20), b, method, 0.95).unwrap();
            let pre = format!("nps_benchmark/50_30_20/{}/{bench}", method.as_str());
            assert_close(t.z, reference(&format!("{pre}/z")), TOL);
            assert_close(t.p_value, reference(&format!("{pre}/p_value")), TOL);
            assert_eq!(t.above, t.p_value < 0.05);
            assert_eq!(t.benchmark, b);
        }
    }
    assert!(
        against_benchmark(counts(50, 30, 20), 15.0, WALD, 0.95)
            .unwrap()
            .above
    );
    for bad in [100.5, -101.0, f64::NAN] {
        assert!(matches!(
            against_benchmark(counts(1, 0, 0), bad, AW, 0.95),
            Err(VoiceError::InvalidArgument(_))
        ));
    }
}

/// A reproducible response set: (month index 0–5, store 0–2, score 0–10 or blank) from a
/// linear congruential generator; month 3 has no responses at all.
fn generated_responses() -> Vec<(u32, usize, Option<u8>)> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    let mut rows = Vec::new();
    for _ in 0..900 {
        let month = next() % 6;
        if month == 3 {
            continue;
        }
        let store = (next() % 3) as usize;
        // Store 0 skews high, store 2 low; one answer in ten is blank.
        let r = next() % 100;
        let score = if r < 10 {
            None
        } else {
            let base = next() % 11;
            Some(match store {
                0 => (base + 3).min(10),
                2 => base.saturating_sub(2),
                _ => base,
            } as u8)
        };
        rows.push((month, store, score));
    }
    rows
}

#[test]
fn breakdowns_and_trend_on_a_generated_response_set() {
    let rows = generated_responses();
    // Independent tally: classify with explicit comparisons, not NpsClass.
    let mut by_store = [[0u64; 3]; 3]; // [promoters, passives, detractors]
    let mut by_month = [[0u64; 3]; 6];
    let mut blanks = 0;
    for &(m, s, score) in &rows {
        let Some(x) = score else {
            blanks += 1;
            continue;
        };
        let k = if x >= 9 {
            0
        } else if x >= 7 {
            1
        } else {
            2
        };
        by_store[s][k] += 1;
        by_month[m as usize][k] += 1;
    }
    assert!(blanks > 0);
    let mut store_counts = [NpsCounts::default(); 3];
    let mut month_counts = [NpsCounts::default(); 6];
    for &(m, s, score) in &rows {
        if let Some(x) = score {
            store_counts[s].add_score(x).unwrap();
            month_counts[m as usize].add_score(x).unwrap();
        }
    }
    for s in 0..3 {
        let [p, a, d] = by_store[s];
        assert_eq!(store_counts[s], counts(p, a, d));
        let e = estimate(store_counts[s], AW, 0.95).unwrap();
        assert_eq!(e.nps, 100.0 * (p as f64 - d as f64) / (p + a + d) as f64);
    }
    let mut total = NpsCounts::default();
    store_counts.iter().for_each(|c| total.merge(c));
    assert_eq!(total.n() as usize, rows.len() - blanks);
    // Store 0 is clearly better than store 2.
    let c = compare(store_counts[0], store_counts[2], AW, 0.95).unwrap();
    assert!(c.difference.difference > 30.0 && c.difference.p_value < 1e-6);

    // Trend: months given out of order; month 3 is empty and skipped.
    let months: Vec<(YearMonth, NpsCounts)> = [5usize, 0, 3, 2, 1, 4]
        .iter()
        .map(|&i| (YearMonth::new(2025, 1 + i as u32).unwrap(), month_counts[i]))
        .collect();
    let trend = monthly_trend(&months, AW, 0.95).unwrap();
    let shown: Vec<String> = trend.iter().map(|t| t.month.to_string()).collect();
    assert_eq!(
        shown,
        ["2025-01", "2025-02", "2025-03", "2025-05", "2025-06"]
    );
    assert_eq!(trend[0].change, None);
    let pairs = [(1, 0), (2, 1), (4, 2), (5, 4)];
    for (t, (cur, prev)) in trend[1..].iter().zip(pairs) {
        assert_eq!(t.estimate, estimate(month_counts[cur], AW, 0.95).unwrap());
        let expected = compare(month_counts[cur], month_counts[prev], AW, 0.95).unwrap();
        assert_eq!(t.change, Some(expected.difference));
    }
    let mut dup = months.clone();
    dup.push(months[0]);
    assert!(matches!(
        monthly_trend(&dup, AW, 0.95),
        Err(VoiceError::InvalidArgument(m)) if m.contains("2025-06")
    ));
    assert_eq!(monthly_trend(&[], AW, 0.95).unwrap(), []);
}

fn any_counts() -> impl Strategy<Value = NpsCounts> {
    (0u64..400, 0u64..400, 0u64..400)
        .prop_filter("n > 0", |(p, a, d)| p + a + d > 0)
        .prop_map(|(p, a, d)| counts(p, a, d))
}

proptest! {
    #[test]
    fn interval_contains_centre_and_stays_in_range(
        c in any_counts(), conf in 0.5f64..0.999, wald in any::<bool>()
    ) {
        let method = if wald { WALD } else { AW };
        let e = estimate(c, method, conf).unwrap();
        prop_assert!(-100.0 <= e.ci_low && e.ci_low <= e.nps_adjusted);
        prop_assert!(e.nps_adjusted <= e.ci_high && e.ci_high <= 100.0);
        prop_assert!((-100.0..=100.0).contains(&e.nps));
        let wider = estimate(c, method, (1.0 + conf) / 2.0).unwrap();
        prop_assert!(wider.ci_low <= e.ci_low && wider.ci_high >= e.ci_high);
        prop_assert!(wider.se == e.se);
    }

    #[test]
    fn scaling_the_counts_keeps_nps_and_shrinks_the_error(c in any_counts(), k in 2u64..50) {
        let big = counts(c.promoters * k, c.passives * k, c.detractors * k);
        prop_assert_eq!(big.nps(), c.nps());
        let (w1, wk) = (estimate(c, WALD, 0.95).unwrap(), estimate(big, WALD, 0.95).unwrap());
        prop_assert!((wk.se - w1.se / (k as f64).sqrt()).abs() < 1e-9);
        let (a1, ak) = (estimate(c, AW, 0.95).unwrap(), estimate(big, AW, 0.95).unwrap());
        prop_assert!(ak.se < a1.se, "{} !< {}", ak.se, a1.se);
        // The adjusted centre moves toward the observed NPS as n grows.
        prop_assert!((ak.nps_adjusted - ak.nps).abs() <= (a1.nps_adjusted - a1.nps).abs() + 1e-9);
    }

    #[test]
    fn comparison_is_antisymmetric(a in any_counts(), b in any_counts()) {
        let ab = compare(a, b, AW, 0.95).unwrap().difference;
        let ba = compare(b, a, AW, 0.95).unwrap().difference;
        prop_assert!((ab.statistic + ba.statistic).abs() < 1e-9);
        prop_assert!((ab.p_value - ba.p_value).abs() < 1e-12);
        prop_assert!((0.0..=1.0).contains(&ab.p_value));
        prop_assert!(ab.ci_low <= ab.difference && ab.difference <= ab.ci_high);
    }
}
