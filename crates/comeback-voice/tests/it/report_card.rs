//! Report cards on a hand-built rating set: means, intervals, changes, ranks with ties,
//! ordering and the validation of ratings and criteria.

use crate::stats::{assert_close, reference};
use comeback_core::Day;
use comeback_voice::VoiceError;
use comeback_voice::YearMonth;
use comeback_voice::report_card::{DEFAULT_CRITERIA, Rating, ReportCard, report_cards};
use proptest::prelude::*;

fn rating(employee: &str, location: &str, date: &str, criterion: &str, score: u8) -> Rating {
    Rating {
        employee: employee.into(),
        location: location.into(),
        day: Day::parse_iso(date).unwrap(),
        criterion: criterion.into(),
        score,
    }
}

fn criteria() -> Vec<String> {
    DEFAULT_CRITERIA.iter().map(|c| c.to_string()).collect()
}

fn march() -> YearMonth {
    YearMonth::parse("2025-03").unwrap()
}

/// North: ana, ben, cy; South: dee. February and March 2025, plus an April rating and a
/// February-only employee (eve) who must get no March card.
fn ratings() -> Vec<Rating> {
    let mut r = vec![
        // ana, March: reliability 3, 4, 5; empathy 5.
        rating("ana", "North", "2025-03-01", "reliability", 3),
        rating("ana", "North", "2025-03-15", "reliability", 4),
        rating("ana", "North", "2025-03-31", "Reliability ", 5),
        rating("ana", "North", "2025-03-31", "empathy", 5),
        // ana, February: reliability 2, 3.
        rating("ana", "North", "2025-02-28", "reliability", 2),
        rating("ana", "North", "2025-02-01", "reliability", 3),
        // ben, March: reliability 4, 4 (ties ana's 4.0).
        rating("ben", "North", "2025-03-10", "reliability", 4),
        rating("ben", "North", "2025-03-11", "reliability", 4),
        // cy, March: reliability 5; empathy 2.
        rating("cy", "North", "2025-03-05", "reliability", 5),
        rating("cy", "North", "2025-03-05", "empathy", 2),
        // dee, South, March: reliability 1, 2.
        rating("dee", "South", "2025-03-20", "reliability", 1),
        rating("dee", "South", "2025-03-21", "reliability", 2),
        // Outside the two months, or only last month.
        rating("ana", "North", "2025-04-01", "reliability", 1),
        rating("eve", "North", "2025-02-10", "empathy", 5),
    ];
    r.reverse();
    r
}

fn card<'a>(cards: &'a [ReportCard], employee: &str) -> &'a ReportCard {
    cards.iter().find(|c| c.employee == employee).unwrap()
}

#[test]
fn cards_by_hand() {
    let cards = report_cards(&ratings(), march(), &criteria(), 0.95).unwrap();
    let order: Vec<(&str, &str)> = cards
        .iter()
        .map(|c| (c.location.as_str(), c.employee.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("North", "ana"),
            ("North", "ben"),
            ("North", "cy"),
            ("South", "dee")
        ]
    );
    let ana = card(&cards, "ana");
    assert_eq!(ana.month, march());
    let names: Vec<&str> = ana.criteria.iter().map(|c| c.criterion.as_str()).collect();
    assert_eq!(names, DEFAULT_CRITERIA);
    let rel = &ana.criteria[0];
    assert_eq!((rel.n, rel.mean), (3, Some(4.0)));
    // [3, 4, 5]: sd 1, se 1/√3, t(0.95, 2) from the reference: 4 ± t/√3, upper end clipped.
    let half = reference("t_critical/0.95/2") / 3f64.sqrt();
    assert_close(rel.ci_low.unwrap(), 4.0 - half, 1e-9);
    assert_eq!(rel.ci_high, Some(5.0));
    assert_eq!(rel.previous_mean, Some(2.5));
    assert_eq!(rel.change, Some(1.5));
    // Reliability in North: ana 4.0, ben 4.0, cy 5.0 → cy 1, ana and ben 2.
    assert_eq!((rel.rank, rel.peers), (Some(2), 3));
    assert_eq!(card(&cards, "ben").criteria[0].rank, Some(2));
    assert_eq!(card(&cards, "cy").criteria[0].rank, Some(1));
    // Empathy in North: ana 5 (one rating: no interval), cy 2; ben unrated.
    let emp = &ana.criteria[2];
    assert_eq!(
        (emp.n, emp.mean, emp.ci_low, emp.ci_high),
        (1, Some(5.0), None, None)
    );
    assert_eq!((emp.rank, emp.peers, emp.previous_mean), (Some(1), 2, None));
    let ben_emp = &card(&cards, "ben").criteria[2];
    assert_eq!(
        (ben_emp.n, ben_emp.mean, ben_emp.rank, ben_emp.peers),
        (0, None, None, 2)
    );
    assert_eq!(card(&cards, "cy").criteria[2].rank, Some(2));
    // Responsiveness and assurance: nobody rated.
    assert_eq!((ana.criteria[1].n, ana.criteria[1].peers), (0, 0));
    // Overall: ana 17/4 = 4.25 (prev 2.5), ben 4.0, cy 3.5 → ranks 1, 2, 3.
    assert_eq!(ana.overall.criterion, "overall");
    assert_eq!((ana.overall.n, ana.overall.mean), (4, Some(4.25)));
    assert_eq!(ana.overall.change, Some(1.75));
    let ranks: Vec<_> = ["ana", "ben", "cy"]
        .iter()
        .map(|e| card(&cards, e).overall.rank)
        .collect();
    assert_eq!(ranks, [Some(1), Some(2), Some(3)]);
    // South is ranked on its own.
    let dee = card(&cards, "dee");
    assert_eq!((dee.overall.rank, dee.overall.peers), (Some(1), 1));
    assert_eq!(dee.criteria[0].mean, Some(1.5));
    assert_eq!(dee.criteria[0].ci_low, Some(1.0), "clipped to the scale");
}

#[test]
fn empty_month_has_no_cards() {
    let cards = report_cards(
        &ratings(),
        YearMonth::parse("2025-06").unwrap(),
        &criteria(),
        0.95,
    );
    assert_eq!(cards.unwrap(), []);
}

#[test]
fn configurable_criteria() {
    let r = vec![
        rating("ana", "North", "2025-03-01", "speed", 5),
        rating("ana", "North", "2025-03-01", "Friendliness", 3),
    ];
    let crit = vec!["friendliness".to_string(), "speed".to_string()];
    let cards = report_cards(&r, march(), &crit, 0.95).unwrap();
    let means: Vec<_> = cards[0]
        .criteria
        .iter()
        .map(|c| (c.criterion.as_str(), c.mean))
        .collect();
    assert_eq!(means, [("friendliness", Some(3.0)), ("speed", Some(5.0))]);
}

#[test]
fn invalid_ratings_and_criteria_are_errors() {
    let mut r = ratings();
    r.push(rating("ana", "North", "2024-01-01", "reliabilty", 4));
    assert_eq!(
        report_cards(&r, march(), &criteria(), 0.95),
        Err(VoiceError::UnknownCriterion("reliabilty".into()))
    );
    for score in [0, 6] {
        let mut r = ratings();
        r.push(rating("ana", "North", "2025-03-01", "empathy", score));
        assert_eq!(
            report_cards(&r, march(), &criteria(), 0.95),
            Err(VoiceError::ScoreOutOfRange {
                score: f64::from(score),
                min: 1.0,
                max: 5.0
            })
        );
    }
    for bad in [
        vec![],
        vec!["a".to_string(), "A".to_string()],
        vec!["overall".to_string()],
        vec![" ".to_string()],
    ] {
        assert!(matches!(
            report_cards(&ratings(), march(), &bad, 0.95),
            Err(VoiceError::InvalidArgument(_))
        ));
    }
    assert!(matches!(
        report_cards(
            &[rating("", "North", "2025-03-01", "empathy", 3)],
            march(),
            &criteria(),
            0.95
        ),
        Err(VoiceError::InvalidArgument(_))
    ));
    assert!(matches!(
        report_cards(&ratings(), march(), &criteria(), 0.0),
        Err(VoiceError::InvalidConfidence(_))
    ));
}

proptest! {
    #[test]
    fn card_invariants(
        raw in proptest::collection::vec((0usize..4, 0usize..2, 0i32..60, 0usize..4, 1u8..=5), 0..120)
    ) {
        let r: Vec<Rating> = raw
            .iter()
            .map(|&(e, l, d, c, s)| Rating {
                employee: format!("e{e}"),
                location: format!("l{l}"),
                day: Day(Day::from_ymd(2025, 2, 1).unwrap().0 + d),
                criterion: DEFAULT_CRITERIA[c].to_string(),
                score: s,
            })
            .collect();
        let cards = report_cards(&r, march(), &criteria(), 0.95).unwrap();
        let in_march = r.iter().filter(|x| YearMonth::from_day(x.day) == march()).count() as u64;
        prop_assert_eq!(cards.iter().map(|c| c.overall.n).sum::<u64>(), in_march);
        for card in &cards {
            prop_assert_eq!(card.criteria.iter().map(|c| c.n).sum::<u64>(), card.overall.n);
            for c in card.criteria.iter().chain([&card.overall]) {
                match (c.mean, c.rank) {
                    (Some(m), Some(rank)) => {
                        prop_assert!((1.0..=5.0).contains(&m));
                        prop_assert!(rank >= 1 && rank <= c.peers);
                        if let (Some(lo), Some(hi)) = (c.ci_low, c.ci_high) {
                            prop_assert!(1.0 <= lo && lo <= m + 1e-12 && m <= hi + 1e-12 && hi <= 5.0);
                        }
                    }
                    (None, None) => prop_assert_eq!(c.n, 0),
                    _ => prop_assert!(false, "mean and rank disagree"),
                }
            }
        }
    }
}
