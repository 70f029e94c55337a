//! A realistic, deterministic [`ReportInput`] for smoke tests, screenshots and for
//! comparing with `comeback analyze` output. The numbers are shaped like the CDNOW sample
//! (2,357 customers, BG/NBD parameters of Fader, Hardie & Lee 2005, 1,882 holdout repeat
//! purchases) but are not computed from it.

use crate::input::*;
use comeback_core::{Day, TimeUnit};

/// The literature behind the report's methods, as plain-text citations (no links).
pub fn standard_citations() -> Vec<String> {
    [
        "Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who are they and what will they do next? Management Science 33(1), 1–24.",
        "Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). “Counting your customers” the easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275–284.",
        "Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and comparison of models for customer base analysis. International Journal of Research in Marketing 24(3), 201–209.",
        "Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for customer base analysis. Journal of Marketing Research 42(4), 415–430.",
        "Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value. Technical note.",
        "Reichheld, F. F. & Sasser, W. E. (1990). Zero defections: quality comes to services. Harvard Business Review 68(5), 105–111.",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// A tiny deterministic generator (no dependency, same numbers on every platform).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn day(y: i32, m: u32, d: u32) -> Day {
    Day::from_ymd(y, m, d).unwrap_or_default()
}

fn action_list(
    rng: &mut Lcg,
    prefix: &str,
    n: usize,
    total: u64,
    file: &str,
    p_range: (f64, f64),
    top_value: f64,
) -> ActionList {
    let end = day(1998, 6, 30);
    let rows = (0..n)
        .map(|i| {
            let value = top_value * (0.93f64).powi(i as i32) * (0.97 + 0.03 * rng.next());
            let p = p_range.0 + (p_range.1 - p_range.0) * rng.next();
            let clv = value * (0.4 + 0.8 * rng.next());
            let ago = (30.0 + 400.0 * rng.next()) as i32;
            ActionRow {
                customer_id: format!("{prefix}{:05}", 1000 + (rng.next() * 22000.0) as u32),
                clv,
                p_alive: p,
                value,
                last_purchase: Day(end.0 - ago),
            }
        })
        .collect();
    ActionList {
        rows,
        total,
        file: file.to_string(),
    }
}

/// A complete sample report input (weeks, USD, observation end 1998-06-30, 52-week
/// horizon, 39-week holdout). Every section is filled; the action lists have 25 rows
/// each, of which the report shows 20.
pub fn sample_input() -> ReportInput {
    let mut rng = Lcg(0x5eed_cafe);
    let meta = Metadata {
        title: None,
        generated_at: "2026-11-30 09:00 UTC".into(),
        currency: "USD".into(),
        unit: TimeUnit::Weeks,
        observation_end: day(1998, 6, 30),
        horizon: 52.0,
        holdout: 39.0,
        discount_rate: 0.1,
        margin: 1.0,
        thresholds: Thresholds::default(),
        input_file: "transactions.csv".into(),
        input_checksum: "sha256:9c1e6b0f3a8d4e27b5f0c2a1d6e3f4a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d"
            .into(),
        version: env!("CARGO_PKG_VERSION").into(),
        flags: vec![
            ("--observation-end".into(), "1998-06-30".into()),
            ("--unit".into(), "weeks".into()),
            ("--holdout".into(), "39".into()),
            ("--horizon".into(), "52".into()),
        ],
        seed: Some(42),
    };
    let headline = Headline {
        customers: 2357,
        expected_alive_now: 1124.6,
        defection_rate_12m: 0.312,
        customers_lost_12m: 412,
        revenue_lost_12m: 28_740.5,
        expected_purchases: Interval {
            estimate: 1893.4,
            lower: 1702.1,
            upper: 2088.9,
        },
        expected_revenue: Interval {
            estimate: 66_271.2,
            lower: 58_940.0,
            upper: 74_105.3,
        },
        revenue_at_risk: 31_512.8,
        what_if: Some(WhatIf {
            points: 5.0,
            survival_before: 0.62,
            survival_after: 0.67,
            model_revenue_gain: 4_812.0,
            naive_revenue_gain: 9_350.0,
        }),
    };

    let at_risk = action_list(&mut rng, "C", 25, 312, "at_risk.csv", (0.2, 0.6), 840.0);
    let win_back = action_list(&mut rng, "C", 25, 958, "win_back.csv", (0.01, 0.2), 2_150.0);
    let advocates = action_list(
        &mut rng,
        "C",
        25,
        121,
        "advocates.csv",
        (0.9, 0.99),
        3_400.0,
    );

    let lifecycle = [
        ("new", 180, 7_420.0),
        ("active", 790, 41_880.0),
        ("won_back", 64, 2_310.0),
        ("at_risk", 312, 9_870.0),
        ("lost", 1011, 4_790.0),
    ]
    .into_iter()
    .map(|(k, n, v)| GroupSize {
        key: k.into(),
        customers: n,
        value: v,
    })
    .collect();

    let rfm_segments = [
        ("champions", 236, 24_310.0),
        ("loyal", 283, 15_820.0),
        ("potential_loyalist", 212, 6_940.0),
        ("new", 118, 2_870.0),
        ("promising", 94, 1_960.0),
        ("need_attention", 165, 3_720.0),
        ("about_to_sleep", 189, 2_410.0),
        ("at_risk", 258, 4_980.0),
        ("cant_lose_them", 71, 2_130.0),
        ("hibernating", 342, 840.0),
        ("lost", 389, 271.2),
    ]
    .into_iter()
    .map(|(k, n, v)| GroupSize {
        key: k.into(),
        customers: n,
        value: v,
    })
    .collect();

    let frequency_buckets = vec![
        Bucket::single(0.0),
        Bucket::single(1.0),
        Bucket::single(2.0),
        Bucket::single(3.0),
        Bucket::range(4.0, 6.0),
        Bucket::open(7.0),
    ];
    let recency_buckets = vec![
        Bucket::range(0.0, 9.0),
        Bucket::range(10.0, 19.0),
        Bucket::range(20.0, 29.0),
        Bucket::range(30.0, 39.0),
        Bucket::range(40.0, 49.0),
        Bucket::range(50.0, 59.0),
        Bucket::range(60.0, 78.0),
    ];
    let mut cells = vec![HeatCell {
        row: 0,
        col: 0,
        mean_p_alive: 0.71,
        customers: 1411,
    }];
    for row in 1..frequency_buckets.len() {
        for col in 0..recency_buckets.len() {
            // Recent last purchases keep customers alive; frequent buyers who went quiet
            // early are most likely gone.
            let rec = col as f64 / 6.0;
            let freq = row as f64 / 5.0;
            let p = (0.08 + 0.9 * rec.powf(0.8 + 2.0 * freq) - 0.05 * freq).clamp(0.02, 0.98);
            let n = (180.0 * (1.0 - freq * 0.7) * (0.5 + rng.next())) as u64 + 3;
            cells.push(HeatCell {
                row,
                col,
                mean_p_alive: p,
                customers: n,
            });
        }
    }
    let p_alive = PAliveHeatmap {
        frequency: frequency_buckets,
        recency: recency_buckets,
        cells,
    };

    let clv_distribution = [
        (Bucket::range(0.0, 10.0), 912),
        (Bucket::range(10.0, 25.0), 487),
        (Bucket::range(25.0, 50.0), 366),
        (Bucket::range(50.0, 100.0), 281),
        (Bucket::range(100.0, 250.0), 196),
        (Bucket::range(250.0, 500.0), 79),
        (Bucket::open(500.0), 36),
    ]
    .into_iter()
    .map(|(bucket, customers)| CountBar { bucket, customers })
    .collect();

    let cohorts = (0..12)
        .map(|i| {
            let (year, month) = if i < 6 { (1997, 7 + i) } else { (1998, i - 5) };
            let observed = 12 - i as usize;
            let customers = (150.0 + 120.0 * rng.next()) as u64;
            let retention = (0..observed)
                .map(|m| {
                    Some(if m == 0 {
                        1.0
                    } else {
                        (0.34 * (m as f64).powf(-0.45) * (0.9 + 0.2 * rng.next())).min(1.0)
                    })
                })
                .collect();
            CohortRow {
                year,
                month,
                customers,
                retention,
            }
        })
        .collect();

    let mut actual = 0.0;
    let mut predicted = 0.0;
    let points = (1..=78)
        .map(|w| {
            let wf = w as f64;
            // Acquisition during the first 12 weeks, then a slowly thinning base.
            let expected = if w <= 12 {
                6.5 * wf
            } else {
                78.0 * (1.0 - 0.0055 * (wf - 12.0))
            };
            actual += (expected * (0.86 + 0.28 * rng.next())).round();
            predicted += expected;
            TrackingPoint {
                period: wf,
                actual,
                predicted,
            }
        })
        .collect();
    let tracking = TrackingCurve {
        points,
        calibration_end: 39.0,
    };

    let frequency = [
        (1411, 1396.2),
        (439, 450.8),
        (214, 221.9),
        (100, 120.3),
        (62, 68.9),
        (38, 40.6),
        (29, 24.5),
        (64, 33.8),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (actual, expected))| FrequencyBar {
        bucket: if i < 7 {
            Bucket::single(i as f64)
        } else {
            Bucket::open(7.0)
        },
        actual,
        expected,
    })
    .collect();

    let ln_n = 2357f64.ln();
    let fit = |name: &str, params: &[(&str, f64)], ll: f64, pred: f64, err: f64| ModelFit {
        name: name.into(),
        params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        log_likelihood: ll,
        bic: -2.0 * ll + params.len() as f64 * ln_n,
        holdout_predicted: pred,
        frequency_error: err,
        failure: None,
    };
    let models = ModelComparison {
        models: vec![
            fit(
                "BG/NBD",
                &[("r", 0.243), ("α", 4.414), ("a", 0.793), ("b", 2.426)],
                -9582.4,
                1893.5,
                0.118,
            ),
            fit(
                "MBG/NBD",
                &[("r", 0.251), ("α", 4.523), ("a", 1.112), ("b", 3.307)],
                -9587.9,
                1861.2,
                0.131,
            ),
            fit(
                "Pareto/NBD",
                &[("r", 0.553), ("α", 10.58), ("s", 0.606), ("β", 11.67)],
                -9595.0,
                1920.4,
                0.126,
            ),
        ],
        holdout_actual: 1882.0,
        chosen: Some("BG/NBD".into()),
        reason: ChoiceReason::HoldoutError,
    };

    let param = |name: &str, est: f64, se: f64| Parameter {
        name: name.into(),
        value: Interval {
            estimate: est,
            lower: est - 1.96 * se,
            upper: est + 1.96 * se,
        },
        std_error: se,
    };
    let parameters = vec![
        ParameterSet {
            model: "BG/NBD".into(),
            parameters: vec![
                param("r", 0.2426, 0.0126),
                param("α", 4.4136, 0.3782),
                param("a", 0.7929, 0.1859),
                param("b", 2.4258, 0.7054),
            ],
            log_likelihood: -9582.4,
        },
        ParameterSet {
            model: "Gamma-Gamma".into(),
            parameters: vec![
                param("p", 6.25, 0.56),
                param("q", 3.74, 0.27),
                param("γ", 15.44, 2.01),
            ],
            log_likelihood: -4063.6,
        },
    ];

    ReportInput {
        meta,
        headline,
        at_risk,
        win_back,
        advocates,
        lifecycle,
        rfm_segments,
        p_alive,
        clv_distribution,
        cohorts,
        models,
        tracking,
        frequency,
        parameters,
        citations: standard_citations(),
        economics: None,
        survival: None,
        loyalty: None,
        advocate_share: AdvocatesSection::NeedsAnswers,
    }
}
