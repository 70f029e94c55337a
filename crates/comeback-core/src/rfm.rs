//! RFM scores (recency, frequency, monetary value) and the named segments of the (R, F) grid.
//!
//! # Definitions
//!
//! Each customer gets three scores from 1 (worst) to 5 (best), computed from their
//! [`CustomerSummary`]:
//! - **R** ranks the *time since the last purchase*, `T − recency` (observation end − last
//!   occasion): the more recent the last purchase, the higher the score;
//! - **F** ranks `frequency` (repeat purchases): more purchases score higher;
//! - **M** ranks `monetary_value` (mean value of the repeat purchases, 0 for one-time
//!   buyers): higher spend scores higher.
//!
//! Scores are quintiles by rank. For each measure, customers are sorted from worst to best
//! value; customers with equal values are ordered by customer id (the smaller id first, so
//! it gets the lower score). The customer at rank `i` (0-based) out of `n` gets score
//! `1 + ⌊5·i / n⌋`. Every score thus holds `n/5` customers, give or take one, and the result
//! does not depend on the input order. A consequence worth knowing: many customers with the
//! same value (e.g. all one-time buyers, frequency 0) can be split across neighbouring scores
//! by id.
//!
//! The **segment** of a customer depends on R and F only, by [`RFM_SEGMENT_MAP`] — the
//! widely used 10-segment (R, F) map, with its bottom-left cell split so that customers with
//! R = 1 and F ≤ 2 are `lost` rather than `hibernating`:
//!
//! | segment (key) | R | F | who they are |
//! |---|---|---|---|
//! | Champions (`champions`) | 5 | 4–5 | bought recently, buy often |
//! | Loyal (`loyal`) | 3–4 | 4–5 | buy often, fairly recently |
//! | Potential loyalist (`potential_loyalist`) | 4–5 | 2–3 | recent, a few purchases |
//! | New (`new`) | 5 | 1 | very recent, few purchases |
//! | Promising (`promising`) | 4 | 1 | recent, few purchases |
//! | Need attention (`need_attention`) | 3 | 3 | average recency and frequency |
//! | About to sleep (`about_to_sleep`) | 3 | 1–2 | slipping, few purchases |
//! | At risk (`at_risk`) | 1–2 | 3–4 | bought often, but long ago |
//! | Can't lose them (`cant_lose_them`) | 1–2 | 5 | bought most often, but long ago |
//! | Hibernating (`hibernating`) | 2 | 1–2 | long ago, few purchases |
//! | Lost (`lost`) | 1 | 1–2 | longest ago, few purchases |
//!
//! The 11 rules cover each of the 25 (R, F) cells exactly once (tested).

use crate::retention::{RetentionError, to_amount};
use crate::{Amount, CustomerSummary};
use std::cmp::Ordering;

/// A named RFM segment. [`key`](Self::key) is the stable identifier used in files and as
/// the translation key of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RfmSegment {
    /// R 5, F 4–5.
    Champions,
    /// R 3–4, F 4–5.
    Loyal,
    /// R 4–5, F 2–3.
    PotentialLoyalist,
    /// R 5, F 1.
    New,
    /// R 4, F 1.
    Promising,
    /// R 3, F 3.
    NeedAttention,
    /// R 3, F 1–2.
    AboutToSleep,
    /// R 1–2, F 3–4.
    AtRisk,
    /// R 1–2, F 5.
    CantLoseThem,
    /// R 2, F 1–2.
    Hibernating,
    /// R 1, F 1–2.
    Lost,
}

impl RfmSegment {
    /// All segments, in the order of [`RFM_SEGMENT_MAP`] (best first).
    pub const ALL: [RfmSegment; 11] = [
        RfmSegment::Champions,
        RfmSegment::Loyal,
        RfmSegment::PotentialLoyalist,
        RfmSegment::New,
        RfmSegment::Promising,
        RfmSegment::NeedAttention,
        RfmSegment::AboutToSleep,
        RfmSegment::AtRisk,
        RfmSegment::CantLoseThem,
        RfmSegment::Hibernating,
        RfmSegment::Lost,
    ];

    /// The stable snake_case key: `champions`, `loyal`, `potential_loyalist`, `new`,
    /// `promising`, `need_attention`, `about_to_sleep`, `at_risk`, `cant_lose_them`,
    /// `hibernating`, `lost`.
    pub fn key(self) -> &'static str {
        match self {
            RfmSegment::Champions => "champions",
            RfmSegment::Loyal => "loyal",
            RfmSegment::PotentialLoyalist => "potential_loyalist",
            RfmSegment::New => "new",
            RfmSegment::Promising => "promising",
            RfmSegment::NeedAttention => "need_attention",
            RfmSegment::AboutToSleep => "about_to_sleep",
            RfmSegment::AtRisk => "at_risk",
            RfmSegment::CantLoseThem => "cant_lose_them",
            RfmSegment::Hibernating => "hibernating",
            RfmSegment::Lost => "lost",
        }
    }

    /// The English display name (the report translates by [`key`](Self::key)).
    pub fn name_en(self) -> &'static str {
        match self {
            RfmSegment::Champions => "Champions",
            RfmSegment::Loyal => "Loyal",
            RfmSegment::PotentialLoyalist => "Potential loyalist",
            RfmSegment::New => "New",
            RfmSegment::Promising => "Promising",
            RfmSegment::NeedAttention => "Need attention",
            RfmSegment::AboutToSleep => "About to sleep",
            RfmSegment::AtRisk => "At risk",
            RfmSegment::CantLoseThem => "Can't lose them",
            RfmSegment::Hibernating => "Hibernating",
            RfmSegment::Lost => "Lost",
        }
    }

    /// The segment with this key, if any.
    pub fn from_key(key: &str) -> Option<RfmSegment> {
        RfmSegment::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The segment of an (R, F) score pair by [`RFM_SEGMENT_MAP`]; scores outside 1–5 are
    /// clamped into it first.
    pub fn of(r: u8, f: u8) -> RfmSegment {
        let (r, f) = (r.clamp(1, 5), f.clamp(1, 5));
        RFM_SEGMENT_MAP
            .iter()
            .find(|rule| rule.matches(r, f))
            .map_or(RfmSegment::Hibernating, |rule| rule.segment)
    }
}

/// One row of the segment map: the segment of every customer with `r_min ≤ R ≤ r_max` and
/// `f_min ≤ F ≤ f_max` (inclusive ranges of scores 1–5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRule {
    /// The segment.
    pub segment: RfmSegment,
    /// Lowest R score (inclusive).
    pub r_min: u8,
    /// Highest R score (inclusive).
    pub r_max: u8,
    /// Lowest F score (inclusive).
    pub f_min: u8,
    /// Highest F score (inclusive).
    pub f_max: u8,
}

impl SegmentRule {
    /// True when (r, f) lies in this rule's ranges.
    pub fn matches(&self, r: u8, f: u8) -> bool {
        (self.r_min..=self.r_max).contains(&r) && (self.f_min..=self.f_max).contains(&f)
    }
}

const fn rule(segment: RfmSegment, r: (u8, u8), f: (u8, u8)) -> SegmentRule {
    SegmentRule {
        segment,
        r_min: r.0,
        r_max: r.1,
        f_min: f.0,
        f_max: f.1,
    }
}

/// The (R, F) segment map (see the module docs for the table). Exactly one rule
/// matches each of the 25 cells.
pub const RFM_SEGMENT_MAP: [SegmentRule; 11] = [
    rule(RfmSegment::Champions, (5, 5), (4, 5)),
    rule(RfmSegment::Loyal, (3, 4), (4, 5)),
    rule(RfmSegment::PotentialLoyalist, (4, 5), (2, 3)),
    rule(RfmSegment::New, (5, 5), (1, 1)),
    rule(RfmSegment::Promising, (4, 4), (1, 1)),
    rule(RfmSegment::NeedAttention, (3, 3), (3, 3)),
    rule(RfmSegment::AboutToSleep, (3, 3), (1, 2)),
    rule(RfmSegment::AtRisk, (1, 2), (3, 4)),
    rule(RfmSegment::CantLoseThem, (1, 2), (5, 5)),
    rule(RfmSegment::Hibernating, (2, 2), (1, 2)),
    rule(RfmSegment::Lost, (1, 1), (1, 2)),
];

/// One customer's RFM scores (each 1–5) and segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RfmScore {
    /// Recency score: 5 = bought most recently.
    pub r: u8,
    /// Frequency score: 5 = most repeat purchases.
    pub f: u8,
    /// Monetary score: 5 = highest mean repeat-purchase value.
    pub m: u8,
    /// The segment of (r, f).
    pub segment: RfmSegment,
}

/// Quintile scores 1–5 for `n` items ordered from worst to best by `worse_first`
/// (`Ordering::Less` = the first argument is worse). Item at rank `i` gets `1 + ⌊5i/n⌋`.
pub fn quintile_scores_by(
    n: usize,
    mut worse_first: impl FnMut(usize, usize) -> Ordering,
) -> Vec<u8> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| worse_first(a, b));
    let mut scores = vec![0u8; n];
    for (rank, &i) in order.iter().enumerate() {
        scores[i] = 1 + (5 * rank as u128 / n as u128) as u8;
    }
    scores
}

/// RFM scores and segments of every customer, parallel to `customers` (see the
/// module docs). Empty input gives an empty vector; one customer gets (1, 1, 1),
/// segment `lost`.
pub fn rfm_scores(customers: &[CustomerSummary]) -> Vec<RfmScore> {
    let n = customers.len();
    let id = |a: usize, b: usize| customers[a].customer_id.cmp(&customers[b].customer_id);
    let since_last = |c: &CustomerSummary| c.t - c.recency;
    // Worse recency = longer since the last purchase: sort by time since last, descending.
    let r = quintile_scores_by(n, |a, b| {
        since_last(&customers[b])
            .total_cmp(&since_last(&customers[a]))
            .then_with(|| id(a, b))
    });
    let f = quintile_scores_by(n, |a, b| {
        customers[a]
            .frequency
            .cmp(&customers[b].frequency)
            .then_with(|| id(a, b))
    });
    let m = quintile_scores_by(n, |a, b| {
        customers[a]
            .monetary_value
            .total_cmp(&customers[b].monetary_value)
            .then_with(|| id(a, b))
    });
    (0..n)
        .map(|i| RfmScore {
            r: r[i],
            f: f[i],
            m: m[i],
            segment: RfmSegment::of(r[i], f[i]),
        })
        .collect()
}

/// Size and value of one segment, for the report's "RFM segment sizes and value" chart.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentStats {
    /// The segment.
    pub segment: RfmSegment,
    /// Number of customers in it.
    pub customers: usize,
    /// Their total historical revenue (exact).
    pub revenue: Amount,
    /// Their total CLV, in the currency unit (0 when no CLV was given).
    pub clv: f64,
}

/// One row per segment, all 11 in the order of [`RfmSegment::ALL`] (empty segments have
/// zeros). `revenue` is each customer's historical revenue; `clv` is optional (pass an empty
/// slice to skip it). All slices are parallel to `scores`.
///
/// # Errors
/// [`RetentionError::LengthMismatch`] when `revenue` (or a non-empty `clv`) differs in
/// length from `scores`; [`RetentionError::NotFinite`] for a non-finite CLV;
/// [`RetentionError::Overflow`] when a segment's revenue leaves the exact range.
pub fn segment_stats(
    scores: &[RfmScore],
    revenue: &[Amount],
    clv: &[f64],
) -> Result<Vec<SegmentStats>, RetentionError> {
    let n = scores.len();
    if revenue.len() != n {
        return Err(RetentionError::LengthMismatch {
            what: "revenue",
            expected: n,
            found: revenue.len(),
        });
    }
    if !clv.is_empty() && clv.len() != n {
        return Err(RetentionError::LengthMismatch {
            what: "clv",
            expected: n,
            found: clv.len(),
        });
    }
    if let Some((index, &value)) = clv.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(RetentionError::NotFinite {
            what: "clv",
            index,
            value,
        });
    }
    let mut acc = [(0usize, 0i128, 0f64); 11];
    for (i, s) in scores.iter().enumerate() {
        let slot = &mut acc[RfmSegment::ALL
            .iter()
            .position(|x| *x == s.segment)
            .unwrap_or(0)];
        slot.0 += 1;
        slot.1 += revenue[i].micros() as i128;
        slot.2 += clv.get(i).copied().unwrap_or(0.0);
    }
    RfmSegment::ALL
        .iter()
        .zip(acc)
        .map(|(&segment, (customers, rev, clv))| {
            Ok(SegmentStats {
                segment,
                customers,
                revenue: to_amount(rev, "revenue of a segment")?,
                clv,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Day;
    use proptest::prelude::*;

    fn cust(
        id: &str,
        frequency: u32,
        recency: f64,
        t: f64,
        monetary_value: f64,
    ) -> CustomerSummary {
        CustomerSummary {
            customer_id: id.into(),
            first_purchase: Day(0),
            last_purchase: Day(0),
            frequency,
            recency,
            t,
            monetary_value,
        }
    }

    #[test]
    fn map_partitions_the_grid() {
        for r in 1..=5 {
            for f in 1..=5 {
                let n = RFM_SEGMENT_MAP.iter().filter(|x| x.matches(r, f)).count();
                assert_eq!(n, 1, "cell R{r} F{f}");
            }
        }
        assert_eq!(RfmSegment::of(5, 5), RfmSegment::Champions);
        assert_eq!(RfmSegment::of(1, 5), RfmSegment::CantLoseThem);
        assert_eq!(RfmSegment::of(1, 1), RfmSegment::Lost);
        assert_eq!(RfmSegment::of(2, 2), RfmSegment::Hibernating);
        assert_eq!(RfmSegment::of(5, 1), RfmSegment::New);
        assert_eq!(RfmSegment::of(0, 9), RfmSegment::CantLoseThem);
        for s in RfmSegment::ALL {
            assert_eq!(RfmSegment::from_key(s.key()), Some(s));
        }
        let keys: Vec<&str> = RfmSegment::ALL.iter().map(|s| s.key()).collect();
        assert_eq!(keys.len(), 11);
        assert!(keys.contains(&"cant_lose_them"));
    }

    #[test]
    fn ten_customers_hand_computed() {
        // Customer i: frequency i, last purchase 10 − i units ago, monetary value 10·i.
        let cs: Vec<CustomerSummary> = (0..10)
            .map(|i| {
                cust(
                    &format!("c{i}"),
                    i,
                    20.0 - (10 - i) as f64,
                    20.0,
                    10.0 * i as f64,
                )
            })
            .collect();
        let s = rfm_scores(&cs);
        let r: Vec<u8> = s.iter().map(|x| x.r).collect();
        assert_eq!(r, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(s.iter().map(|x| x.f).collect::<Vec<_>>(), r);
        assert_eq!(s.iter().map(|x| x.m).collect::<Vec<_>>(), r);
        assert_eq!(s[9].segment, RfmSegment::Champions);
        assert_eq!(s[0].segment, RfmSegment::Lost);
        assert_eq!(s[4].segment, RfmSegment::NeedAttention);
    }

    #[test]
    fn ties_broken_by_id_not_input_order() {
        // All identical: scores follow the id order, whatever the input order.
        let ids = ["e", "b", "a", "d", "c"];
        let cs: Vec<CustomerSummary> = ids.iter().map(|id| cust(id, 0, 0.0, 5.0, 0.0)).collect();
        let s = rfm_scores(&cs);
        let expect = |id: &str| (id.as_bytes()[0] - b'a') + 1;
        for (c, sc) in cs.iter().zip(&s) {
            let e = expect(&c.customer_id);
            assert_eq!((sc.r, sc.f, sc.m), (e, e, e), "{}", c.customer_id);
        }
    }

    #[test]
    fn edge_cases() {
        assert!(rfm_scores(&[]).is_empty());
        let one = rfm_scores(&[cust("x", 3, 2.0, 4.0, 9.0)]);
        assert_eq!(
            one,
            vec![RfmScore {
                r: 1,
                f: 1,
                m: 1,
                segment: RfmSegment::Lost
            }]
        );
        let two = rfm_scores(&[cust("x", 3, 2.0, 4.0, 9.0), cust("y", 1, 4.0, 4.0, 1.0)]);
        // n = 2: ranks 0 and 1 give scores 1 and 1 + ⌊5/2⌋ = 3.
        assert_eq!((two[0].r, two[0].f, two[0].m), (1, 3, 3));
        assert_eq!((two[1].r, two[1].f, two[1].m), (3, 1, 1));
    }

    #[test]
    fn stats_per_segment() {
        let scores = vec![
            RfmScore {
                r: 5,
                f: 5,
                m: 5,
                segment: RfmSegment::Champions,
            },
            RfmScore {
                r: 5,
                f: 4,
                m: 1,
                segment: RfmSegment::Champions,
            },
            RfmScore {
                r: 1,
                f: 1,
                m: 1,
                segment: RfmSegment::Lost,
            },
        ];
        let rev = [
            Amount::from_micros(3),
            Amount::from_micros(4),
            Amount::from_micros(5),
        ];
        let st = segment_stats(&scores, &rev, &[1.0, 2.0, 0.5]).unwrap();
        assert_eq!(st.len(), 11);
        assert_eq!(
            (st[0].customers, st[0].revenue, st[0].clv),
            (2, Amount::from_micros(7), 3.0)
        );
        assert_eq!((st[10].segment, st[10].customers), (RfmSegment::Lost, 1));
        assert_eq!(st[1].customers, 0);
        assert_eq!(segment_stats(&scores, &rev, &[]).unwrap()[0].clv, 0.0);
        assert!(segment_stats(&scores, &rev[..2], &[]).is_err());
        assert!(segment_stats(&scores, &rev, &[1.0]).is_err());
        assert!(segment_stats(&scores, &rev, &[1.0, f64::NAN, 0.0]).is_err());
    }

    proptest! {
        #[test]
        fn scores_are_balanced_quintiles(
            rows in proptest::collection::vec((0u32..6, 0u32..50, 0u32..50, 0u32..4), 0..300),
        ) {
            let cs: Vec<CustomerSummary> = rows
                .iter()
                .enumerate()
                .map(|(i, (f, rec, gap, m))| {
                    cust(&format!("{:04}", (i * 7919) % 10_000), *f, *rec as f64, (*rec + *gap) as f64, *m as f64)
                })
                .collect();
            let s = rfm_scores(&cs);
            let n = cs.len();
            for get in [|x: &RfmScore| x.r, |x: &RfmScore| x.f, |x: &RfmScore| x.m] {
                for q in 1..=5u8 {
                    let size = s.iter().filter(|x| get(x) == q).count();
                    prop_assert!(size >= n / 5 && size <= n / 5 + 1, "score {} has {} of {}", q, size, n);
                }
            }
            for x in &s {
                prop_assert!((1..=5).contains(&x.r) && (1..=5).contains(&x.f) && (1..=5).contains(&x.m));
                prop_assert_eq!(x.segment, RfmSegment::of(x.r, x.f));
            }
            // Monotone: a strictly better value never gets a lower score.
            for a in 0..n {
                for b in 0..n {
                    if cs[a].frequency > cs[b].frequency {
                        prop_assert!(s[a].f >= s[b].f);
                    }
                    if cs[a].t - cs[a].recency < cs[b].t - cs[b].recency {
                        prop_assert!(s[a].r >= s[b].r);
                    }
                }
            }
            // Input order does not matter.
            let mut rev = cs.clone();
            rev.reverse();
            let mut s2 = rfm_scores(&rev);
            s2.reverse();
            prop_assert_eq!(s, s2);
        }
    }
}
