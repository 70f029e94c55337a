//! CSAT, CES and the service dimensions against the committed reference values.

use crate::stats::{A, B, E, TOL, assert_close, reference};
use comeback_voice::VoiceError;
use comeback_voice::scales::{CES_SCALE, Dimension, ces, csat, dimension_score, dimension_scores};
use proptest::prelude::*;

#[test]
fn csat_is_the_top_two_box_share_with_wilson() {
    // 45 of 60 answers are 4 or 5 on 1–5: the Wilson reference for 45/60.
    let mut scores = vec![4u8; 20];
    scores.extend([5u8; 25]);
    scores.extend([3u8; 10]);
    scores.extend([1u8; 3]);
    scores.extend([2u8; 2]);
    let c = csat(&scores, 5, 0.95).unwrap();
    assert_eq!((c.successes, c.n, c.share), (45, 60, 0.75));
    assert_close(c.ci_low, reference("wilson/45_60/ci_low"), TOL);
    assert_close(c.ci_high, reference("wilson/45_60/ci_high"), TOL);
    // On 1–7 the top two boxes are 6 and 7.
    assert_eq!(csat(&[5, 6, 7, 7], 7, 0.95).unwrap().successes, 3);
}

#[test]
fn csat_errors() {
    assert_eq!(csat(&[], 5, 0.95), Err(VoiceError::NoResponses));
    assert_eq!(
        csat(&[4, 6], 5, 0.95),
        Err(VoiceError::ScoreOutOfRange {
            score: 6.0,
            min: 1.0,
            max: 5.0
        })
    );
    assert!(matches!(
        csat(&[0], 5, 0.95),
        Err(VoiceError::ScoreOutOfRange { score, .. }) if score == 0.0
    ));
    assert!(matches!(
        csat(&[1, 2], 2, 0.95),
        Err(VoiceError::InvalidScale { .. })
    ));
}

#[test]
fn ces_is_a_t_interval_clipped_to_the_scale() {
    let c = ces(&A, CES_SCALE, 0.95).unwrap();
    for (field, v) in [
        ("mean", c.mean),
        ("se", c.se),
        ("ci_low", c.ci_low),
        ("ci_high", c.ci_high),
    ] {
        assert_close(v, reference(&format!("mean/A/0.95/{field}")), TOL);
    }
    // Two answers, 7 and 6: t(0.95, 1)·se = 12.7·0.5 reaches far beyond 7 and is clipped.
    let high = ces(&[7.0, 6.0], CES_SCALE, 0.95).unwrap();
    assert_eq!((high.ci_low, high.ci_high), (1.0, 7.0));
    assert_eq!(high.mean, 6.5);
    assert_eq!(
        ces(&[7.5, 3.0], CES_SCALE, 0.95),
        Err(VoiceError::ScoreOutOfRange {
            score: 7.5,
            min: 1.0,
            max: 7.0
        })
    );
    assert!(matches!(
        ces(&[2.0, 3.0], (5.0, 1.0), 0.95),
        Err(VoiceError::InvalidScale { .. })
    ));
    assert!(matches!(
        ces(&[f64::NAN, 3.0], CES_SCALE, 0.95),
        Err(VoiceError::ScoreOutOfRange { .. })
    ));
    assert!(matches!(
        ces(&[3.0], CES_SCALE, 0.95),
        Err(VoiceError::InsufficientData { got: 1, .. })
    ));
}

#[test]
fn dimension_names() {
    for d in Dimension::ALL {
        assert_eq!(Dimension::parse(d.as_str()), Some(d));
    }
    assert_eq!(Dimension::parse(" Empathy"), Some(Dimension::Empathy));
    assert_eq!(Dimension::parse("tangibles"), None);
}

#[test]
fn dimension_scores_with_servqual_gaps() {
    let pairs: Vec<(f64, f64)> = A.iter().copied().zip(E).collect();
    let scores = dimension_scores(
        &[
            (Dimension::Empathy, B.to_vec()),
            (Dimension::Reliability, A.to_vec()),
        ],
        &[(Dimension::Reliability, pairs)],
        0.95,
    )
    .unwrap();
    assert_eq!(scores.len(), 2);
    assert_eq!(scores[0].dimension, Dimension::Reliability, "ALL order");
    assert_eq!(scores[1].dimension, Dimension::Empathy);
    assert_eq!(scores[1].gap, None);
    let r = &scores[0];
    assert_close(r.perception.mean, reference("mean/A/0.95/mean"), TOL);
    assert_close(r.perception.ci_high, reference("mean/A/0.95/ci_high"), TOL);
    let gap = r.gap.unwrap();
    // P − E of reference.py: mean (39 − 43)/10 = −0.4 (the service falls short of expectations).
    assert_close(gap.mean, -0.4, 1e-12);
    for field in ["mean", "sd", "se", "ci_low", "ci_high"] {
        let v = match field {
            "mean" => gap.mean,
            "sd" => gap.sd,
            "se" => gap.se,
            "ci_low" => gap.ci_low,
            _ => gap.ci_high,
        };
        assert_close(v, reference(&format!("mean/A-E/0.95/{field}")), TOL);
    }
    // Empathy: 8 answers with mean 2.75, interval inside 1–5.
    assert_close(scores[1].perception.mean, 2.75, 1e-12);
    assert!(scores[1].perception.ci_low >= 1.0);
}

#[test]
fn dimension_score_of_any_name_equals_the_built_in_ones() {
    // A survey's own dimension (say `cleanliness`) gets the numbers of a built-in one.
    let pairs: Vec<(f64, f64)> = A.iter().copied().zip(E).collect();
    let built_in = dimension_scores(
        &[(Dimension::Reliability, A.to_vec())],
        &[(Dimension::Reliability, pairs.clone())],
        0.95,
    )
    .unwrap()
    .pop()
    .unwrap();
    let (perception, gap) = dimension_score(&A, Some(&pairs), 0.95).unwrap();
    assert_eq!(perception, built_in.perception);
    assert_eq!(gap, built_in.gap);
    assert_close(gap.unwrap().mean, -0.4, 1e-12);
    assert_close(perception.mean, reference("mean/A/0.95/mean"), TOL);
    // Without expectations: no gap; 1, 2, 2, 5 → mean 2.5, interval clipped to 1–5.
    let (p, g) = dimension_score(&[1.0, 2.0, 2.0, 5.0], None, 0.95).unwrap();
    assert_eq!(g, None);
    assert_close(p.mean, 2.5, 1e-12);
    assert!(p.ci_low >= 1.0 && p.ci_high <= 5.0, "{p:?}");
    assert_eq!(
        dimension_score(&[1.0, 6.0], None, 0.95),
        Err(VoiceError::ScoreOutOfRange {
            score: 6.0,
            min: 1.0,
            max: 5.0
        })
    );
    assert_eq!(
        dimension_score(&[], None, 0.95),
        Err(VoiceError::NoResponses)
    );
}

#[test]
fn dimension_score_errors() {
    let p = |d, v: &[f64]| (d, v.to_vec());
    assert!(matches!(
        dimension_scores(
            &[p(Dimension::Delight, &[1.0, 2.0]), p(Dimension::Delight, &[3.0, 4.0])],
            &[],
            0.95
        ),
        Err(VoiceError::InvalidArgument(m)) if m.contains("delight")
    ));
    assert!(matches!(
        dimension_scores(
            &[p(Dimension::Delight, &[1.0, 2.0])],
            &[(Dimension::Empathy, vec![(3.0, 4.0), (2.0, 2.0)])],
            0.95
        ),
        Err(VoiceError::InvalidArgument(m)) if m.contains("empathy")
    ));
    assert_eq!(
        dimension_scores(&[p(Dimension::Delight, &[1.0, 6.0])], &[], 0.95),
        Err(VoiceError::ScoreOutOfRange {
            score: 6.0,
            min: 1.0,
            max: 5.0
        })
    );
    assert!(matches!(
        dimension_scores(
            &[p(Dimension::Delight, &[1.0, 2.0])],
            &[(Dimension::Delight, vec![(3.0, 0.0), (2.0, 2.0)])],
            0.95
        ),
        Err(VoiceError::ScoreOutOfRange { score, .. }) if score == 0.0
    ));
    assert_eq!(
        dimension_scores(&[p(Dimension::Delight, &[])], &[], 0.95),
        Err(VoiceError::NoResponses)
    );
}

proptest! {
    #[test]
    fn scale_statistics_stay_on_their_scales(
        xs in proptest::collection::vec(1u8..=5, 1..80)
    ) {
        let c = csat(&xs, 5, 0.95).unwrap();
        prop_assert_eq!(c.successes, xs.iter().filter(|&&x| x >= 4).count() as u64);
        prop_assert!(0.0 <= c.ci_low && c.ci_low <= c.share && c.share <= c.ci_high && c.ci_high <= 1.0);
        let v: Vec<f64> = xs.iter().map(|&x| f64::from(x)).collect();
        if v.len() >= 2 {
            let e = ces(&v, (1.0, 5.0), 0.95).unwrap();
            prop_assert!(1.0 <= e.ci_low && e.ci_low <= e.mean && e.mean <= e.ci_high && e.ci_high <= 5.0);
        }
    }
}
