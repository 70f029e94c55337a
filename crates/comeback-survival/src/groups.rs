//! Kaplan–Meier curves per segment with the log-rank test between them, and the segment
//! the analyze report uses: terciles of the first purchase's value.
//!
//! **First-purchase value terciles** ([`first_purchase_terciles`]): each customer's value is
//! the net amount of their first purchase day. With the n values sorted, a value's mid-rank
//! is the mean of its 1-based positions (tied values share it); `low` is a mid-rank ≤ n/3,
//! `middle` ≤ 2n/3, `high` the rest. Ties stay together, so the groups can differ in size.

use crate::{KaplanMeier, KmOptions, LogRank, LostRecord, SurvivalError, kaplan_meier, logrank};
use comeback_core::TransactionLog;

/// The tercile labels of [`first_purchase_terciles`], lowest first.
pub const TERCILE_LABELS: [&str; 3] = ["low", "middle", "high"];

/// The first-purchase value tercile of each record (parallel to `records`; module docs).
/// A record whose customer is not in `log` counts as a first purchase of 0.
pub fn first_purchase_terciles(log: &TransactionLog, records: &[LostRecord]) -> Vec<&'static str> {
    let first_value = |id: &str| -> f64 {
        log.ids()
            .binary_search_by(|x| (**x).cmp(id))
            .ok()
            .and_then(|i| log.customers()[i].days.iter().find(|d| d.has_purchase))
            .map_or(0.0, |d| d.amount.to_f64())
    };
    let values: Vec<f64> = records
        .iter()
        .map(|r| first_value(&r.customer_id))
        .collect();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let third = sorted.len() as f64 / 3.0;
    values
        .iter()
        .map(|&v| {
            let first = sorted.partition_point(|x| *x < v);
            let last = sorted.partition_point(|x| *x <= v);
            let mid_rank = (first + last + 1) as f64 / 2.0;
            if mid_rank <= third {
                TERCILE_LABELS[0]
            } else if mid_rank <= 2.0 * third {
                TERCILE_LABELS[1]
            } else {
                TERCILE_LABELS[2]
            }
        })
        .collect()
}

/// One segment's curve.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCurve {
    /// The segment label.
    pub label: String,
    /// Its Kaplan–Meier estimate.
    pub km: KaplanMeier,
}

/// Curves per segment and the log-rank test between them.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedSurvival {
    /// The segments, in the order asked for (labels not asked for follow, sorted).
    pub groups: Vec<GroupCurve>,
    /// The k-group log-rank test (Mantel 1966).
    pub logrank: LogRank,
}

/// Kaplan–Meier per segment (`groups`: one label per subject) and the log-rank test.
/// Segments are listed in `order` first (labels of `order` without subjects are skipped),
/// then the other labels sorted.
///
/// # Errors
/// The errors of [`kaplan_meier`] and [`logrank`] (fewer than two segments, no events, a
/// length mismatch).
pub fn km_by_group<S: AsRef<str>>(
    durations: &[f64],
    events: &[bool],
    groups: &[S],
    order: &[&str],
    options: &KmOptions,
) -> Result<GroupedSurvival, SurvivalError> {
    let test = logrank(durations, events, groups)?;
    let mut labels: Vec<&str> = order
        .iter()
        .copied()
        .filter(|l| groups.iter().any(|g| g.as_ref() == *l))
        .collect();
    let mut rest: Vec<&str> = groups
        .iter()
        .map(AsRef::as_ref)
        .filter(|g| !order.contains(g))
        .collect();
    rest.sort_unstable();
    rest.dedup();
    labels.extend(rest);
    let mut out = Vec::with_capacity(labels.len());
    for label in labels {
        let idx: Vec<usize> = (0..groups.len())
            .filter(|&i| groups[i].as_ref() == label)
            .collect();
        let d: Vec<f64> = idx.iter().map(|&i| durations[i]).collect();
        let e: Vec<bool> = idx.iter().map(|&i| events[i]).collect();
        out.push(GroupCurve {
            label: label.to_string(),
            km: kaplan_meier(&d, &e, options)?,
        });
    }
    Ok(GroupedSurvival {
        groups: out,
        logrank: test,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two groups by hand: a = {1, 2, 3+}, b = {2, 4}; the curves are each group's own KM
    /// and the test is the log-rank of the pooled data.
    #[test]
    fn curves_per_group_in_order() {
        let d = [1.0, 2.0, 3.0, 2.0, 4.0, 5.0];
        let e = [true, true, false, true, true, false];
        let g = ["a", "a", "a", "b", "b", "c"];
        let r = km_by_group(&d, &e, &g, &["b", "x", "a"], &KmOptions::default()).unwrap();
        let labels: Vec<&str> = r.groups.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["b", "a", "c"]);
        assert!((r.groups[1].km.survival_at(2.0) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.groups[0].km.survival_at(4.0), 0.0);
        assert_eq!(r.logrank, logrank(&d, &e, &g).unwrap());
        assert!(km_by_group(&d, &e, &["a"; 6], &[], &KmOptions::default()).is_err());
    }
}
