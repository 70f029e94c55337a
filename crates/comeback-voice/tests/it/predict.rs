//! `comeback_voice::predict`: AUC and DeLong variance against an independent computation,
//! invariants, the outcome definition on a hand-built log, and simulated data whose truth
//! is known.

use comeback_core::{Amount, Day, TransactionLog, TransactionLogBuilder};
use comeback_voice::VoiceError;
use comeback_voice::nps::NpsClass;
use comeback_voice::predict::{
    PredictError, PredictOptions, Response, Responses, Strength, Verdict, auc, compare_aucs,
    predictors, spearman, spend_ratio,
};
use comeback_voice::stats::MeanEstimate;
use proptest::prelude::*;

fn day(s: &str) -> Day {
    Day::parse_iso(s).unwrap()
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * b.abs().max(1.0),
        "{what}: {a} vs reference {b}"
    );
}

fn reals(s: &str) -> Vec<f64> {
    s.split(',').map(|x| x.parse().unwrap()).collect()
}

/// data/reference/voice/delong_values.csv, written by delong_reference.py (pairwise
/// definitions, O(mn), standard-library Python). Tolerance 1e-12 relative: both sides sum
/// the same few hundred terms in another order.
fn reference() -> Vec<Vec<String>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/reference/voice/delong_values.csv"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(';').map(str::to_string).collect())
        .collect()
}

#[test]
fn auc_and_delong_variance_match_the_pairwise_reference() {
    let rows: Vec<_> = reference().into_iter().filter(|r| r[0] == "auc").collect();
    assert_eq!(rows.len(), 9);
    for r in rows {
        let conf: f64 = r[2].parse().unwrap();
        let want = reals(&r[5]);
        let a = auc(&reals(&r[3]), &reals(&r[4]), conf).unwrap();
        close(a.auc, want[0], 1e-12, &format!("{} auc", r[1]));
        close(a.se, want[1], 1e-12, &format!("{} se", r[1]));
        close(
            a.ci_low.unwrap(),
            want[2],
            1e-12,
            &format!("{} ci_low", r[1]),
        );
        close(
            a.ci_high.unwrap(),
            want[3],
            1e-12,
            &format!("{} ci_high", r[1]),
        );
        assert_eq!(a.confidence, conf);
    }
}

#[test]
fn paired_auc_difference_matches_the_pairwise_reference() {
    let rows: Vec<_> = reference()
        .into_iter()
        .filter(|r| r[0] == "paired")
        .collect();
    assert_eq!(rows.len(), 2);
    for r in rows {
        let flags: Vec<bool> = r[5].split(',').map(|x| x == "1").collect();
        let want = reals(&r[6]);
        let d = compare_aucs(&reals(&r[3]), &reals(&r[4]), &flags, 0.95).unwrap();
        close(
            d.difference,
            want[0],
            1e-12,
            &format!("{} difference", r[1]),
        );
        close(d.se, want[1], 1e-12, &format!("{} se", r[1]));
        close(d.p_value, want[2], 1e-9, &format!("{} p", r[1]));
        assert_eq!(d.n as usize, flags.len());
    }
}

#[test]
fn spearman_matches_the_reference() {
    let rows: Vec<_> = reference()
        .into_iter()
        .filter(|r| r[0] == "spearman")
        .collect();
    assert_eq!(rows.len(), 2);
    for r in rows {
        let want = reals(&r[5]);
        let s = spearman(&reals(&r[3]), &reals(&r[4]), 0.95).unwrap();
        close(s.rho, want[0], 1e-12, &format!("{} rho", r[1]));
        close(s.ci_low, want[1], 1e-12, &format!("{} ci_low", r[1]));
        close(s.ci_high, want[2], 1e-12, &format!("{} ci_high", r[1]));
    }
}

#[test]
fn hand_computed_auc() {
    // Pairs (3,1)=1 (3,2)=1 (1,1)=½ (1,2)=0: Â = 2.5/4. V₁₀ = (1, ¼), V₀₁ = (¾, ½);
    // S₁₀ = 0.28125, S₀₁ = 0.03125, var = S₁₀/2 + S₀₁/2 = 0.15625.
    let a = auc(&[3.0, 1.0], &[1.0, 2.0], 0.95).unwrap();
    assert_eq!(a.auc, 0.625);
    close(a.se, 0.15625f64.sqrt(), 1e-15, "se");
    assert_eq!((a.n_positive, a.n_negative), (2, 2));
    // Perfect separation: variance 0, the interval collapses to 1.
    let p = auc(&[5.0, 6.0], &[1.0, 2.0, 3.0], 0.95).unwrap();
    assert_eq!(
        (p.auc, p.se, p.ci_low, p.ci_high),
        (1.0, 0.0, Some(1.0), Some(1.0))
    );
    // All equal: ½, no information, and no interval (not a zero-width one at ½).
    let t = auc(&[4.0, 4.0], &[4.0, 4.0], 0.95).unwrap();
    assert_eq!((t.auc, t.se, t.ci_low, t.ci_high), (0.5, 0.0, None, None));
    assert_eq!(Verdict::of(Some(&t)), Verdict::CoinToss);
}

#[test]
fn auc_errors() {
    assert!(matches!(
        auc(&[1.0], &[1.0, 2.0], 0.95),
        Err(PredictError::Stats(VoiceError::InsufficientData {
            got: 1,
            ..
        }))
    ));
    let e = auc(&[1.0, f64::NAN], &[1.0, 2.0], 0.95).unwrap_err();
    assert_eq!(
        e.to_string(),
        "response 1: metric \"positive score\" is NaN, not a finite number"
    );
    assert!(matches!(
        auc(&[1.0, 2.0], &[1.0, 2.0], 1.0),
        Err(PredictError::Stats(VoiceError::InvalidConfidence(_)))
    ));
    assert!(matches!(
        compare_aucs(&[1.0, 2.0], &[1.0], &[true, false], 0.95),
        Err(PredictError::Stats(VoiceError::LengthMismatch { .. }))
    ));
    assert!(spearman(&[1.0, 1.0, 1.0, 1.0], &[1.0, 2.0, 3.0, 4.0], 0.95).is_err());
}

#[test]
fn strength_and_verdict() {
    assert_eq!(Strength::of(0.65), Strength::Weak);
    assert_eq!(Strength::of(0.7), Strength::Acceptable);
    assert_eq!(Strength::of(0.85), Strength::Excellent);
    assert_eq!(Strength::of(0.95), Strength::Outstanding);
    // Scores that go down as retention goes up: reversed, with the strength of 1 − AUC.
    let a = auc(&[1.0, 2.0, 1.0, 2.0], &[7.0, 8.0, 9.0, 3.0], 0.95).unwrap();
    assert_eq!(a.auc, 0.0);
    let b = auc(&[1.0, 2.0, 1.0, 4.0, 1.0], &[7.0, 8.0, 9.0, 3.0], 0.95).unwrap();
    assert!(b.ci_high.unwrap() < 0.5, "{b:?}");
    assert_eq!(
        Verdict::of(Some(&b)),
        Verdict::Reversed(Strength::Outstanding)
    );
    assert_eq!(Verdict::of(None), Verdict::TooFewCustomers);
}

#[test]
fn spend_ratio_delta_method() {
    let m = |mean: f64, se: f64| MeanEstimate {
        n: 100,
        mean,
        sd: se * 10.0,
        se,
        ci_low: 0.0,
        ci_high: 0.0,
        confidence: 0.95,
    };
    // ln r = ln 1.46; sd = √((7.3/146)² + (5/100)²) = √(0.0025 + 0.0025) = 0.0707107.
    let r = spend_ratio(&m(146.0, 7.3), &m(100.0, 5.0), 0.95)
        .unwrap()
        .unwrap();
    close(r.ratio, 1.46, 1e-15, "ratio");
    let sd = 0.005f64.sqrt();
    let z = 1.959963984540054;
    close(r.ci_low, 1.46 * (-z * sd).exp(), 1e-9, "low");
    close(r.ci_high, 1.46 * (z * sd).exp(), 1e-9, "high");
    assert!(
        spend_ratio(&m(146.0, 7.3), &m(0.0, 5.0), 0.95)
            .unwrap()
            .is_none()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// AUC depends on scores only through their order: any strictly increasing transform
    /// keeps Â and its variance; negating the scores gives 1 − Â with the same variance.
    #[test]
    fn auc_is_invariant_to_monotone_transforms(
        pos in prop::collection::vec(0u8..=10, 2..40),
        neg in prop::collection::vec(0u8..=10, 2..40),
    ) {
        let p: Vec<f64> = pos.iter().map(|&x| x as f64).collect();
        let n: Vec<f64> = neg.iter().map(|&x| x as f64).collect();
        let f = |v: &[f64]| v.iter().map(|x| (x / 3.0).exp() * 2.0 - 7.0).collect::<Vec<_>>();
        let a = auc(&p, &n, 0.95).unwrap();
        let b = auc(&f(&p), &f(&n), 0.95).unwrap();
        prop_assert!((a.auc - b.auc).abs() < 1e-12);
        prop_assert!((a.se - b.se).abs() < 1e-12);
        let neg_p: Vec<f64> = p.iter().map(|x| -x).collect();
        let neg_n: Vec<f64> = n.iter().map(|x| -x).collect();
        let c = auc(&neg_p, &neg_n, 0.95).unwrap();
        prop_assert!((c.auc - (1.0 - a.auc)).abs() < 1e-12);
        prop_assert!((c.se - a.se).abs() < 1e-12);
        prop_assert!((0.0..=1.0).contains(&a.auc));
        if let (Some(lo), Some(hi)) = (a.ci_low, a.ci_high) {
            prop_assert!(lo <= a.auc && a.auc <= hi);
            prop_assert!(lo >= 0.0 && hi <= 1.0);
        } else {
            prop_assert!(a.se == 0.0 && a.auc > 0.0 && a.auc < 1.0, "{a:?}");
        }
        // Â is the Mann–Whitney U over m·n.
        let mut u = 0.0;
        for x in &p {
            for y in &n {
                u += if x > y { 1.0 } else if x == y { 0.5 } else { 0.0 };
            }
        }
        prop_assert!((a.auc - u / (p.len() * n.len()) as f64).abs() < 1e-12);
    }

    /// A metric compared with itself differs by exactly 0.
    #[test]
    fn a_metric_equals_itself(
        v in prop::collection::vec((0u8..=10, any::<bool>()), 4..60),
    ) {
        let x: Vec<f64> = v.iter().map(|t| t.0 as f64).collect();
        let r: Vec<bool> = v.iter().map(|t| t.1).collect();
        let kept = r.iter().filter(|b| **b).count();
        prop_assume!(kept >= 2 && r.len() - kept >= 2);
        let d = compare_aucs(&x, &x, &r, 0.95).unwrap();
        prop_assert_eq!(d.difference, 0.0);
        prop_assert!(d.se < 1e-12);
    }
}

// ---------------------------------------------------------------- outcome on a hand-built log

fn log(rows: &[(&str, &str, i64)], end: &str) -> TransactionLog {
    let mut b = TransactionLogBuilder::new(Some(day(end)));
    for (c, d, micros) in rows {
        b.add(c, day(d), Amount::from_micros(*micros)).unwrap();
    }
    b.finish()
}

fn resp(customer: &str, d: &str, values: &[Option<f64>]) -> Response {
    Response {
        customer: customer.to_string(),
        day: day(d),
        values: values.to_vec(),
    }
}

#[test]
fn outcome_window_censoring_and_latest_response() {
    let l = log(
        &[
            // a: bought on the response day (not counted) and 10 days later (retained).
            ("a", "2024-01-01", 5_000_000),
            ("a", "2024-01-11", 7_500_000),
            // b: buys exactly at day + 10 (window end, inclusive) → retained.
            ("b", "2024-01-01", 1_000_000),
            ("b", "2024-01-21", 2_000_000),
            // c: buys 11 days after → defected.
            ("c", "2024-01-01", 1_000_000),
            ("c", "2024-01-13", 3_000_000),
            // d: answers twice; the latest (2024-01-05) decides: defected.
            ("d", "2024-01-01", 1_000_000),
            ("d", "2024-01-04", 1_000_000),
            // e: answers on 2024-01-25: window ends 2024-02-04 > end → censored.
            ("e", "2024-01-01", 1_000_000),
            ("z", "2024-02-01", 1_000_000),
        ],
        "2024-02-01",
    );
    let responses = Responses {
        metrics: vec!["score".into(), "noise".into()],
        rows: vec![
            resp("a", "2024-01-01", &[Some(10.0), Some(1.0)]),
            resp("b", "2024-01-11", &[Some(9.0), None]),
            resp("c", "2024-01-02", &[Some(3.0), Some(2.0)]),
            resp("d", "2024-01-01", &[Some(10.0), Some(3.0)]),
            resp("d", "2024-01-05", &[Some(6.0), Some(4.0)]),
            resp("e", "2024-01-25", &[Some(0.0), Some(5.0)]),
            resp("ghost", "2024-01-02", &[Some(5.0), None]),
            resp(" ghost ", "2024-01-03", &[Some(5.0), None]),
            resp("a", "2024-03-01", &[Some(1.0), None]),
        ],
    };
    let opts = PredictOptions {
        window_days: 10,
        nps_metric: Some("score".into()),
        ..PredictOptions::default()
    };
    let r = predictors(&responses, &l, &opts, None).unwrap();
    assert_eq!(r.observation_end, day("2024-02-01"));
    let c = r.counts;
    assert_eq!(c.responses, 9);
    assert_eq!((c.unknown_customer_responses, c.unknown_customers), (2, 1));
    assert_eq!(c.after_end, 1);
    assert_eq!(c.censored, 1);
    assert_eq!(c.with_outcome, 5);
    assert_eq!((c.customers_with_outcome, c.customers_retained), (4, 2));
    // score: retained {10 (a), 9 (b)}, defected {3 (c), 6 (d, latest)} → Â = 1.
    let score = r.metrics.iter().find(|m| m.metric == "score").unwrap();
    assert_eq!((score.n, score.retained, score.defected), (4, 2, 2));
    assert_eq!(score.auc.unwrap().auc, 1.0);
    // noise: b has no value → only a retained: too few for an AUC, ranked last.
    let noise = &r.metrics[1];
    assert_eq!(noise.metric, "noise");
    assert_eq!((noise.n, noise.retained, noise.defected), (3, 1, 2));
    assert_eq!(noise.verdict, Verdict::TooFewCustomers);
    assert!(r.best_vs_runner_up.is_none());
    // NPS classes: promoters a (10, spend 7.5), b (9, spend 2.0); passives none;
    // detractors c (3, spend 0: the purchase of 2024-01-13 is outside (01-02, 01-12]) and
    // d (6, spend 0).
    let nps = r.nps.unwrap();
    let [pro, pas, det] = &nps.classes;
    assert_eq!((pro.class, pro.n), (NpsClass::Promoter, 2));
    assert_eq!(pro.retention.unwrap().successes, 2);
    assert_eq!(pro.spend.unwrap().mean, 4.75);
    // t interval 4.75 ± t(0.975, 1) · 2.75, t with 1 df being Cauchy: tan(0.475π) = 12.7062047:
    // the lower bound −30.19 is clipped at 0, spends being non-negative.
    assert_eq!(pro.spend.unwrap().ci_low, 0.0);
    assert!((pro.spend.unwrap().ci_high - 39.692063).abs() < 1e-5);
    assert_eq!((pas.n, pas.retention, pas.spend), (0, None, None));
    assert_eq!((det.n, det.retention.unwrap().successes), (2, 0));
    assert_eq!(det.spend.unwrap().mean, 0.0);
    assert!(nps.promoters_vs_passives.is_none());
}

#[test]
fn predictor_errors() {
    let l = log(&[("a", "2024-01-01", 1)], "2024-02-01");
    let ok = Responses {
        metrics: vec!["score".into()],
        rows: vec![resp("a", "2024-01-01", &[Some(7.0)])],
    };
    let o = PredictOptions::default();
    let err = |r: &Responses, o: &PredictOptions, p: Option<&[f64]>| {
        predictors(r, &l, o, p).unwrap_err().to_string()
    };
    assert_eq!(
        err(
            &ok,
            &PredictOptions {
                window_days: 0,
                ..o.clone()
            },
            None
        ),
        "the follow-up window must be at least 1 day, got 0"
    );
    assert_eq!(
        err(
            &ok,
            &PredictOptions {
                nps_metric: Some("nps".into()),
                ..o.clone()
            },
            None
        ),
        "no metric named \"nps\" (metrics: score)"
    );
    let eleven = Responses {
        metrics: vec!["score".into()],
        rows: vec![resp("a", "2024-01-01", &[Some(7.5)])],
    };
    assert_eq!(
        err(
            &eleven,
            &PredictOptions {
                nps_metric: Some("score".into()),
                ..o.clone()
            },
            None
        ),
        "response 0: nps metric \"score\" is 7.5, not a whole number from 0 to 10"
    );
    let wide = Responses {
        metrics: vec!["score".into()],
        rows: vec![resp("a", "2024-01-01", &[Some(7.0), None])],
    };
    assert_eq!(
        err(&wide, &o, None),
        "response 0 has 2 metric values, expected 1"
    );
    let nan = Responses {
        metrics: vec!["score".into()],
        rows: vec![resp("a", "2024-01-01", &[Some(f64::INFINITY)])],
    };
    assert_eq!(
        err(&nan, &o, None),
        "response 0: metric \"score\" is inf, not a finite number"
    );
    let dup = Responses {
        metrics: vec!["score".into(), "score".into()],
        rows: vec![],
    };
    assert_eq!(
        err(&dup, &o, None),
        "metric name \"score\" is empty or given twice"
    );
    assert_eq!(
        err(&ok, &o, Some(&[0.5, 0.5])),
        "p(alive) has 2 values for 1 customers in the transaction log"
    );
    assert_eq!(
        err(&ok, &o, Some(&[1.5])),
        "p(alive) of customer \"a\" is 1.5, outside 0–1"
    );
    assert!(
        err(
            &ok,
            &PredictOptions {
                confidence: 0.0,
                ..o.clone()
            },
            None
        )
        .contains("confidence 0")
    );
    let empty = TransactionLogBuilder::new(None).finish();
    assert_eq!(
        predictors(&ok, &empty, &o, None).unwrap_err(),
        PredictError::NoObservationEnd
    );
}

// ---------------------------------------------------------------- simulated truth

/// SplitMix64 (Steele, Lea & Flood 2014): a seeded, dependency-free generator for the test
/// data.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` customers who bought in 2023-01; each answers a survey in 2023-06 with an NPS score
/// (0–10), a noise rating (1–5, independent of everything) and a CES (1–7, unrelated too).
/// P(purchase in the next 365 days) = 1/(1 + exp(−(−3 + 0.45·score))): promoters stay far
/// more often. Retained customers buy 1 + (score ≥ 9) times, 50 each.
struct World {
    log: TransactionLog,
    responses: Responses,
    p_alive: Vec<f64>,
}

fn world(n: usize, seed: u64) -> World {
    let mut rng = SplitMix(seed);
    let mut b = TransactionLogBuilder::new(Some(day("2024-12-31")));
    let mut rows = Vec::new();
    let mut alive = Vec::new();
    let start = day("2023-01-01");
    let survey = day("2023-06-01");
    for i in 0..n {
        let id = format!("c{i:05}");
        b.add(
            &id,
            Day(start.0 + rng.below(28) as i32),
            Amount::from_micros(20_000_000),
        )
        .unwrap();
        let score = rng.below(11) as f64;
        let noise = 1.0 + rng.below(5) as f64;
        let ces = 1.0 + rng.below(7) as f64;
        let d = Day(survey.0 + rng.below(30) as i32);
        let p = 1.0 / (1.0 + (3.0 - 0.45 * score).exp());
        let retained = rng.uniform() < p;
        if retained {
            let k = if score >= 9.0 { 2 } else { 1 };
            for _ in 0..k {
                let when = Day(d.0 + 1 + rng.below(365) as i32);
                b.add(&id, when, Amount::from_micros(50_000_000)).unwrap();
            }
        }
        rows.push(resp(
            &id,
            &d.to_string(),
            &[Some(score), Some(noise), Some(ces)],
        ));
        // A P(alive) that follows the score loosely.
        alive.push((id, (0.05 * score + 0.5 * rng.uniform()).min(1.0)));
    }
    let log = b.finish();
    let p_alive = log
        .ids()
        .iter()
        .map(|id| {
            alive
                .iter()
                .find(|(c, _)| c.as_str() == id.as_ref())
                .unwrap()
                .1
        })
        .collect();
    World {
        log,
        responses: Responses {
            metrics: vec!["score".into(), "noise".into(), "ces".into()],
            rows,
        },
        p_alive,
    }
}

#[test]
fn simulated_nps_drives_retention_and_noise_does_not() {
    let w = world(1500, 7);
    let opts = PredictOptions {
        nps_metric: Some("score".into()),
        ..PredictOptions::default()
    };
    let r = predictors(&w.responses, &w.log, &opts, Some(&w.p_alive)).unwrap();
    assert_eq!(r.counts.customers_with_outcome, 1500);
    assert_eq!(r.counts.censored, 0);
    let best = &r.metrics[0];
    assert_eq!(best.metric, "score");
    let a = best.auc.unwrap();
    assert!(a.ci_low.unwrap() > 0.5, "{a:?}");
    assert!(matches!(best.verdict, Verdict::Predicts(_)));
    for m in &r.metrics[1..] {
        let e = m.auc.unwrap();
        assert!(
            e.ci_low.unwrap() < 0.5 && 0.5 < e.ci_high.unwrap(),
            "{}: {e:?}",
            m.metric
        );
        assert_eq!(m.verdict, Verdict::CoinToss);
        assert_eq!(m.n, 1500);
    }
    let cmp = r.best_vs_runner_up.as_ref().unwrap();
    assert_eq!(cmp.best, "score");
    assert!(cmp.difference.ci_low > 0.0, "{cmp:?}");
    // Spearman with P(alive): clearly positive for the score.
    assert!(best.p_alive.unwrap().ci_low > 0.3, "{:?}", best.p_alive);
    // Promoters are retained more and spend more than passives, passives more than
    // detractors.
    let nps = r.nps.unwrap();
    let [pro, pas, det] = &nps.classes;
    let share = |c: &comeback_voice::predict::ClassOutcome| c.retention.unwrap();
    assert!(share(pro).ci_low > share(pas).ci_high);
    assert!(share(pas).share > share(det).share);
    assert_eq!(pro.n + pas.n + det.n, 1500);
    let ratio = nps.promoters_vs_passives.unwrap();
    assert!(ratio.ci_low > 1.0, "{ratio:?}");
    assert!(ratio.ci_low < ratio.ratio && ratio.ratio < ratio.ci_high);
    let ratio = nps.detractors_vs_passives.unwrap();
    assert!(ratio.ci_high < 1.0, "{ratio:?}");
    assert!(pro.p_alive.unwrap().mean > det.p_alive.unwrap().mean);
}

/// Over 200 simulated worlds the 95 % interval of the score's AUC contains the population
/// AUC (delong_reference.py, `truth` row: 0.8207) about 95 % of the time, and that of the
/// noise metric contains 0.5 about 95 % of the time. Binomial sd of a coverage of 0.95 over
/// 200 worlds: 0.015; the bounds are 3 sd away.
#[test]
fn intervals_cover_the_truth_in_repeated_worlds() {
    let truth: f64 = reference()
        .into_iter()
        .find(|r| r[0] == "truth")
        .map(|r| r[2].parse().unwrap())
        .unwrap();
    let (mut score_hits, mut noise_hits, worlds) = (0, 0, 200);
    for seed in 0..worlds {
        let w = world(400, 1000 + seed);
        let r = predictors(&w.responses, &w.log, &PredictOptions::default(), None).unwrap();
        let get = |name: &str| {
            r.metrics
                .iter()
                .find(|m| m.metric == name)
                .unwrap()
                .auc
                .unwrap()
        };
        let a = get("score");
        score_hits += usize::from(a.ci_low.unwrap() < truth && truth < a.ci_high.unwrap());
        let b = get("noise");
        noise_hits += usize::from(b.ci_low.unwrap() < 0.5 && 0.5 < b.ci_high.unwrap());
    }
    let cover = |h: usize| h as f64 / worlds as f64;
    assert!(
        (0.905..=0.995).contains(&cover(score_hits)),
        "score coverage {}",
        cover(score_hits)
    );
    assert!(
        (0.905..=0.995).contains(&cover(noise_hits)),
        "noise coverage {}",
        cover(noise_hits)
    );
}

#[test]
fn a_shorter_window_censors_recent_answers() {
    let w = world(200, 11);
    // Observation end 2024-03-01: windows of 365 days from 2023-06-01..30 end after it.
    let opts = PredictOptions {
        observation_end: Some(day("2024-03-01")),
        ..PredictOptions::default()
    };
    let r = predictors(&w.responses, &w.log, &opts, None).unwrap();
    assert_eq!(r.counts.censored, 200);
    assert!(
        r.metrics
            .iter()
            .all(|m| m.verdict == Verdict::TooFewCustomers)
    );
    let opts = PredictOptions {
        window_days: 180,
        ..opts
    };
    let r = predictors(&w.responses, &w.log, &opts, None).unwrap();
    assert_eq!(r.counts.censored, 0);
    assert_eq!(r.window_days, 180);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every response is counted exactly once (unknown customer, after the end, before the
    /// first purchase, censored or with an outcome), each metric's n splits into retained and defected, and the report
    /// does not depend on the order of the responses (no customer answers twice on a day).
    #[test]
    fn counts_add_up_and_order_does_not_matter(
        purchases in prop::collection::vec((0u8..12, 0i32..400), 1..80),
        answers in prop::collection::btree_map((0u8..14, 0i32..400), (0u8..=10, prop::option::of(1u8..=5)), 0..60),
        window in 1u32..200,
        rotate in 0usize..60,
    ) {
        let base = day("2024-01-01").0;
        let mut b = TransactionLogBuilder::new(Some(Day(base + 399)));
        for (c, d) in &purchases {
            b.add(&format!("c{c}"), Day(base + d), Amount::from_micros(1_000_000)).unwrap();
        }
        let l = b.finish();
        // Customers 12 and 13 never buy.
        let rows: Vec<Response> = answers
            .iter()
            .map(|((c, d), (s, x))| Response {
                customer: format!("c{c}"),
                day: Day(base + d),
                values: vec![Some(*s as f64), x.map(f64::from)],
            })
            .collect();
        let mut responses = Responses { metrics: vec!["score".into(), "x".into()], rows };
        let opts = PredictOptions {
            window_days: window,
            nps_metric: Some("score".into()),
            ..PredictOptions::default()
        };
        let r = predictors(&responses, &l, &opts, None).unwrap();
        let c = r.counts;
        prop_assert_eq!(
            c.responses,
            c.unknown_customer_responses
                + c.after_end
                + c.before_first_purchase
                + c.censored
                + c.with_outcome
        );
        prop_assert!(c.customers_retained <= c.customers_with_outcome);
        for m in &r.metrics {
            prop_assert_eq!(m.n, m.retained + m.defected);
            prop_assert!(m.n <= c.customers_with_outcome);
        }
        let nps = r.nps.as_ref().unwrap();
        prop_assert_eq!(nps.classes.iter().map(|k| k.n).sum::<u64>(), r.metrics.iter().find(|m| m.metric == "score").unwrap().n);
        let k = responses.rows.len();
        if k > 0 {
            responses.rows.rotate_left(rotate % k);
            responses.rows.reverse();
        }
        let again = predictors(&responses, &l, &opts, None).unwrap();
        prop_assert_eq!(r, again);
    }
}

/// An answer before the customer's first purchase is not a retention observation: f answers
/// on 2024-01-01 and first buys on 01-05, inside the window, which is not buying *again*.
#[test]
fn answers_before_the_first_purchase_are_counted_apart() {
    let l = log(
        &[
            ("a", "2024-01-01", 1_000_000),
            ("a", "2024-01-03", 1_000_000),
            ("f", "2024-01-05", 9_000_000),
            ("f", "2024-01-06", 9_000_000),
            ("z", "2024-02-01", 1_000_000),
        ],
        "2024-02-01",
    );
    let responses = Responses {
        metrics: vec!["score".into()],
        rows: vec![
            resp("a", "2024-01-01", &[Some(9.0)]),
            resp("f", "2024-01-01", &[Some(10.0)]),
            // On the day of a first purchase the answer follows it: used.
            resp("f", "2024-01-05", &[Some(8.0)]),
        ],
    };
    let opts = PredictOptions {
        window_days: 10,
        ..PredictOptions::default()
    };
    let c = predictors(&responses, &l, &opts, None).unwrap().counts;
    assert_eq!(c.responses, 3);
    assert_eq!(c.before_first_purchase, 1);
    assert_eq!(c.with_outcome, 2);
    assert_eq!((c.customers_with_outcome, c.customers_retained), (2, 2));
}
