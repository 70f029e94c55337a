//! Intervals, tests and quantiles of `comeback_voice::stats` against the committed
//! independent reference (`data/reference/voice/reference.py`, stdlib NormalDist + mpmath).

use comeback_core::Day;
use comeback_voice::VoiceError;
use comeback_voice::YearMonth;
use comeback_voice::stats::{
    MeanEstimate, compare_means, compare_proportions, mean_interval, normal_cdf, paired_difference,
    t_critical, wilson, z_critical,
};
use proptest::prelude::*;

const REFERENCE: &str = include_str!("../../../../data/reference/voice/reference.json");

/// The reference value `name` from `reference.json` (a flat object, one pair per line).
pub fn reference(name: &str) -> f64 {
    let key = format!("\"{name}\":");
    let line = REFERENCE
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&key))
        .unwrap_or_else(|| panic!("no reference value {name}"));
    line[key.len()..]
        .trim()
        .trim_end_matches(',')
        .parse()
        .unwrap_or_else(|e| panic!("reference value {name}: {e}"))
}

/// Asserts |actual − expected| ≤ tol·max(1, |expected|).
#[track_caller]
pub fn assert_close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol * expected.abs().max(1.0),
        "{actual} != {expected} (tolerance {tol})"
    );
}

/// Tolerance against the reference values.
pub const TOL: f64 = 1e-9;

/// Sample data shared with `reference.py`.
pub const A: [f64; 10] = [4., 5., 3., 4., 5., 2., 4., 4., 5., 3.];
/// Second sample of `reference.py`.
pub const B: [f64; 8] = [3., 2., 4., 3., 1., 3., 2., 4.];
/// Expectations paired with `A` in `reference.py`.
pub const E: [f64; 10] = [5., 5., 4., 4., 5., 3., 5., 4., 4., 4.];

#[test]
fn z_critical_matches_reference_and_the_issue() {
    assert_close(z_critical(0.95).unwrap(), 1.959963984540054, 1e-15);
    for conf in ["0.8", "0.9", "0.95", "0.99"] {
        let c: f64 = conf.parse().unwrap();
        assert_close(
            z_critical(c).unwrap(),
            reference(&format!("z_critical/{conf}")),
            1e-13,
        );
    }
}

#[test]
fn invalid_confidence_is_an_error() {
    for c in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
        assert!(matches!(
            z_critical(c),
            Err(VoiceError::InvalidConfidence(_))
        ));
        assert!(matches!(
            t_critical(c, 5.0),
            Err(VoiceError::InvalidConfidence(_))
        ));
        assert!(matches!(
            wilson(1, 2, c),
            Err(VoiceError::InvalidConfidence(_))
        ));
    }
    assert_eq!(
        z_critical(1.0).unwrap_err().to_string(),
        "confidence 1 must be strictly between 0 and 1"
    );
}

#[test]
fn normal_cdf_matches_reference() {
    // Relative accuracy, including the far tail where 1 − Φ(20) would cancel to 0.
    for x in ["-20.0", "-8.0", "-3.0", "-1.0", "0.0", "0.5", "2.0"] {
        let v: f64 = x.parse().unwrap();
        let expected = reference(&format!("normal_cdf/{x}"));
        let rel = (normal_cdf(v) - expected).abs() / expected;
        // Rounding x/√2 costs a relative error of about x²·ε in the tail.
        let tol = 1e-14 * (v * v / 4.0).max(1.0);
        assert!(rel < tol, "Φ({x}) = {} vs {expected}", normal_cdf(v));
    }
    assert_eq!(normal_cdf(f64::NEG_INFINITY), 0.0);
    assert_eq!(normal_cdf(f64::INFINITY), 1.0);
}

#[test]
fn t_critical_matches_reference() {
    for (conf, df) in [
        ("0.95", "1"),
        ("0.95", "2"),
        ("0.95", "9"),
        ("0.99", "4.5"),
        ("0.9", "30"),
        ("0.95", "2.7"),
    ] {
        let got = t_critical(conf.parse().unwrap(), df.parse().unwrap()).unwrap();
        assert_close(got, reference(&format!("t_critical/{conf}/{df}")), TOL);
    }
    for df in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            t_critical(0.95, df),
            Err(VoiceError::InvalidArgument(_))
        ));
    }
}

fn check_mean(e: &MeanEstimate, name: &str, conf: &str) {
    for (field, v) in [
        ("mean", e.mean),
        ("sd", e.sd),
        ("se", e.se),
        ("ci_low", e.ci_low),
        ("ci_high", e.ci_high),
    ] {
        assert_close(v, reference(&format!("mean/{name}/{conf}/{field}")), TOL);
    }
}

#[test]
fn mean_interval_matches_reference() {
    for conf in ["0.9", "0.95"] {
        let c = conf.parse().unwrap();
        let a = mean_interval(&A, c).unwrap();
        assert_eq!(a.n, 10);
        assert_eq!(a.confidence, c);
        check_mean(&a, "A", conf);
        check_mean(&mean_interval(&B, c).unwrap(), "B", conf);
    }
}

#[test]
fn mean_interval_edge_cases() {
    assert_eq!(mean_interval(&[], 0.95), Err(VoiceError::NoResponses));
    assert_eq!(
        mean_interval(&[3.0], 0.95),
        Err(VoiceError::InsufficientData {
            what: "a t interval",
            needed: 2,
            got: 1
        })
    );
    let nan = mean_interval(&[3.0, f64::NAN], 0.95).unwrap_err();
    assert!(matches!(nan, VoiceError::NotFinite(x) if x.is_nan()));
    assert_eq!(nan.to_string(), "value NaN is not a finite number");
    assert_eq!(
        mean_interval(&[f64::INFINITY, 1.0], 0.95),
        Err(VoiceError::NotFinite(f64::INFINITY))
    );
    let c = mean_interval(&[4.0, 4.0, 4.0], 0.95).unwrap();
    assert_eq!(
        (c.mean, c.sd, c.se, c.ci_low, c.ci_high),
        (4.0, 0.0, 0.0, 4.0, 4.0)
    );
}

#[test]
fn wilson_matches_reference() {
    for (x, n) in [(8, 10), (0, 10), (10, 10), (45, 60), (1, 1)] {
        let w = wilson(x, n, 0.95).unwrap();
        assert_eq!((w.successes, w.n), (x, n));
        assert_eq!(w.share, x as f64 / n as f64);
        assert_close(w.ci_low, reference(&format!("wilson/{x}_{n}/ci_low")), TOL);
        assert_close(
            w.ci_high,
            reference(&format!("wilson/{x}_{n}/ci_high")),
            TOL,
        );
    }
    // Zero successes: the lower bound is exactly 0, the upper bound is not.
    let w = wilson(0, 10, 0.95).unwrap();
    assert_eq!(w.ci_low, 0.0);
    assert!(w.ci_high > 0.2);
    assert_eq!(wilson(0, 0, 0.95), Err(VoiceError::NoResponses));
    assert!(matches!(
        wilson(3, 2, 0.95),
        Err(VoiceError::InvalidArgument(m)) if m.contains('3')
    ));
}

#[test]
fn compare_proportions_matches_reference_and_hand_value() {
    let d = compare_proportions((45, 60), (30, 60), 0.95).unwrap();
    // By hand: p̄ = 0.625, pooled se = √(0.625·0.375·(2/60)) = √0.0078125, z = 0.25/se = 2√2.
    assert_close(d.statistic, 2.0 * 2f64.sqrt(), 1e-12);
    assert_close(d.difference, 0.25, 1e-15);
    assert_eq!(d.df, None);
    for (field, v) in [
        ("statistic", d.statistic),
        ("p_value", d.p_value),
        ("se", d.se),
        ("ci_low", d.ci_low),
        ("ci_high", d.ci_high),
    ] {
        assert_close(
            v,
            reference(&format!("prop_compare/45_60-30_60/{field}")),
            TOL,
        );
    }
    // All successes in both: no difference, statistic 0, p = 1.
    let same = compare_proportions((5, 5), (7, 7), 0.95).unwrap();
    assert_eq!(
        (same.statistic, same.p_value, same.difference),
        (0.0, 1.0, 0.0)
    );
    assert_eq!(
        compare_proportions((0, 0), (1, 2), 0.95),
        Err(VoiceError::NoResponses)
    );
}

#[test]
fn welch_matches_reference() {
    let a = mean_interval(&A, 0.95).unwrap();
    let b = mean_interval(&B, 0.95).unwrap();
    let d = compare_means(&a, &b, 0.95).unwrap();
    assert_close(d.df.unwrap(), reference("welch/A-B/df"), TOL);
    for (field, v) in [
        ("difference", d.difference),
        ("se", d.se),
        ("statistic", d.statistic),
        ("p_value", d.p_value),
        ("ci_low", d.ci_low),
        ("ci_high", d.ci_high),
    ] {
        assert_close(v, reference(&format!("welch/A-B/{field}")), TOL);
    }
    // Reversed order: the difference and statistic change sign, the p-value does not.
    let r = compare_means(&b, &a, 0.95).unwrap();
    assert_close(r.statistic, -d.statistic, 1e-14);
    assert_close(r.p_value, d.p_value, 1e-14);
}

#[test]
fn welch_degenerate_inputs() {
    let c = mean_interval(&[4.0, 4.0], 0.95).unwrap();
    assert_eq!(compare_means(&c, &c, 0.95), Err(VoiceError::ZeroVariance));
    let mut one = c;
    one.n = 1;
    let a = mean_interval(&A, 0.95).unwrap();
    assert!(matches!(
        compare_means(&one, &a, 0.95),
        Err(VoiceError::InsufficientData { got: 1, .. })
    ));
}

#[test]
fn paired_difference_matches_reference() {
    let g = paired_difference(&A, &E, 0.95).unwrap();
    check_mean(&g, "A-E", "0.95");
    assert_eq!(
        paired_difference(&A, &B, 0.95),
        Err(VoiceError::LengthMismatch { left: 10, right: 8 })
    );
}

#[test]
fn year_month_parse_display_and_arithmetic() {
    let m = YearMonth::parse("2025-03").unwrap();
    assert_eq!(
        m,
        YearMonth {
            year: 2025,
            month: 3
        }
    );
    assert_eq!(m.to_string(), "2025-03");
    assert_eq!(
        " 2025-12 ".parse::<YearMonth>().unwrap().next().to_string(),
        "2026-01"
    );
    assert_eq!(
        YearMonth::parse("2025-01").unwrap().prev().to_string(),
        "2024-12"
    );
    for bad in [
        "2025-13",
        "2025-00",
        "2025-3",
        "25-03",
        "2025/03",
        "",
        "2025-03-01",
    ] {
        assert_eq!(
            YearMonth::parse(bad),
            Err(VoiceError::InvalidMonth(bad.to_string())),
            "{bad}"
        );
    }
    assert_eq!(
        YearMonth::from_day(Day::from_ymd(2024, 2, 29).unwrap()),
        YearMonth {
            year: 2024,
            month: 2
        }
    );
    assert_eq!(
        YearMonth::from(Day::from_ymd(1969, 12, 31).unwrap()).to_string(),
        "1969-12"
    );
    assert_eq!(m.first_day(), Day::from_ymd(2025, 3, 1));
    assert!(YearMonth::new(2025, 13).is_err());
}

proptest! {
    #[test]
    fn wilson_stays_in_unit_interval_and_contains_share(
        n in 1u64..5_000, frac in 0.0f64..=1.0, conf in 0.5f64..0.999
    ) {
        let x = ((n as f64) * frac).round() as u64;
        let w = wilson(x, n, conf).unwrap();
        prop_assert!(0.0 <= w.ci_low && w.ci_low <= w.share + 1e-12);
        prop_assert!(w.share <= w.ci_high + 1e-12 && w.ci_high <= 1.0);
        let wider = wilson(x, n, (conf + 1.0) / 2.0).unwrap();
        prop_assert!(wider.ci_low <= w.ci_low && wider.ci_high >= w.ci_high);
    }

    #[test]
    fn t_exceeds_z_and_falls_with_df(df in 1.0f64..500.0, conf in 0.5f64..0.995) {
        let z = z_critical(conf).unwrap();
        let t = t_critical(conf, df).unwrap();
        let t2 = t_critical(conf, df * 2.0).unwrap();
        prop_assert!(t > z && t2 < t && t2 > z, "z {z} t {t} t2 {t2}");
    }

    #[test]
    fn mean_interval_contains_mean_and_is_shift_equivariant(
        xs in proptest::collection::vec(1.0f64..7.0, 2..60), shift in -3.0f64..3.0
    ) {
        let e = mean_interval(&xs, 0.95).unwrap();
        prop_assert!(e.ci_low <= e.mean && e.mean <= e.ci_high);
        let shifted: Vec<f64> = xs.iter().map(|x| x + shift).collect();
        let s = mean_interval(&shifted, 0.95).unwrap();
        prop_assert!((s.mean - e.mean - shift).abs() < 1e-9);
        prop_assert!((s.se - e.se).abs() < 1e-9);
    }
}
