//! The k-group log-rank test of equal survival (Mantel 1966; Peto & Peto 1972).
//!
//! At each distinct event time t with n subjects at risk and d events in all groups, group
//! g with n_g at risk and d_g events contributes to (Klein & Moeschberger 2003, §7.3,
//! eqs. 7.3.2–7.3.4):
//! - observed O_g += d_g, expected E_g += d n_g / n,
//! - covariance V_gh += d (n − d)/(n − 1) · (n_g/n) (δ_gh − n_h/n) (for n > 1).
//!
//! The statistic is (O − E)ᵀ V⁻¹ (O − E) over the first k − 1 groups (the k deviations
//! sum to zero), chi-square with k − 1 degrees of freedom under equal survival. For two
//! groups it is (O₁ − E₁)² / V₁₁. The same as lifelines' `multivariate_logrank_test` and R's
//! `survdiff(rho = 0)`.

use crate::linalg::{chol_solve, cholesky};
use crate::stats::chi2_sf;
use crate::{SurvivalError, check_input};
use std::collections::BTreeMap;

/// One group of a [`LogRank`] test.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRankGroup {
    /// The group label.
    pub label: String,
    /// Subjects in the group.
    pub n: u64,
    /// Observed events.
    pub observed: u64,
    /// Expected events under equal survival.
    pub expected: f64,
}

/// The result of [`logrank`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogRank {
    /// The groups, sorted by label.
    pub groups: Vec<LogRankGroup>,
    /// The chi-square statistic.
    pub statistic: f64,
    /// Degrees of freedom, k − 1.
    pub df: usize,
    /// P(χ²_df > statistic).
    pub p_value: f64,
}

/// The log-rank test of equal survival across the groups named by `groups` (one label per
/// subject).
///
/// # Errors
/// The input errors of [`kaplan_meier`](crate::kaplan_meier);
/// [`SurvivalError::TooFewGroups`] for fewer than two distinct labels;
/// [`SurvivalError::NoEvents`] when nobody had an event; [`SurvivalError::Design`] when the
/// covariance of the deviations is singular (a group without anyone at risk at any event
/// time).
pub fn logrank<S: AsRef<str>>(
    durations: &[f64],
    events: &[bool],
    groups: &[S],
) -> Result<LogRank, SurvivalError> {
    check_input(durations, events)?;
    if groups.len() != durations.len() {
        return Err(SurvivalError::LengthMismatch {
            what: "groups",
            expected: durations.len(),
            found: groups.len(),
        });
    }
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for g in groups {
        index.entry(g.as_ref()).or_insert(0);
    }
    let k = index.len();
    if k < 2 {
        return Err(SurvivalError::TooFewGroups { found: k });
    }
    for (i, v) in index.values_mut().enumerate() {
        *v = i;
    }
    if !events.iter().any(|&e| e) {
        return Err(SurvivalError::NoEvents {
            what: "the log-rank test",
            n: durations.len(),
        });
    }
    let gi: Vec<usize> = groups.iter().map(|g| index[g.as_ref()]).collect();
    let mut order: Vec<usize> = (0..durations.len()).collect();
    order.sort_by(|&a, &b| durations[a].total_cmp(&durations[b]));

    let mut at_risk = vec![0u64; k];
    for &g in &gi {
        at_risk[g] += 1;
    }
    let sizes = at_risk.clone();
    let mut observed = vec![0u64; k];
    let mut expected = vec![0.0; k];
    let mut v = vec![vec![0.0; k]; k];
    let mut pos = 0;
    while pos < order.len() {
        let t = durations[order[pos]];
        let start = pos;
        let mut d_g = vec![0u64; k];
        while pos < order.len() && durations[order[pos]] == t {
            if events[order[pos]] {
                d_g[gi[order[pos]]] += 1;
            }
            pos += 1;
        }
        let d: u64 = d_g.iter().sum();
        let n: u64 = at_risk.iter().sum();
        if d > 0 {
            let (df, nf) = (d as f64, n as f64);
            for g in 0..k {
                observed[g] += d_g[g];
                expected[g] += df * at_risk[g] as f64 / nf;
            }
            if n > 1 {
                let f = df * (nf - df) / (nf - 1.0);
                for g in 0..k {
                    let pg = at_risk[g] as f64 / nf;
                    for h in 0..k {
                        let ph = at_risk[h] as f64 / nf;
                        v[g][h] += f * pg * (if g == h { 1.0 } else { 0.0 } - ph);
                    }
                }
            }
        }
        for &i in &order[start..pos] {
            at_risk[gi[i]] -= 1;
        }
    }
    let m = k - 1;
    let dev: Vec<f64> = (0..m).map(|g| observed[g] as f64 - expected[g]).collect();
    let sub: Vec<Vec<f64>> = (0..m).map(|g| v[g][..m].to_vec()).collect();
    let labels: Vec<&str> = index.keys().copied().collect();
    let l = cholesky(&sub).map_err(|j| {
        SurvivalError::Design(format!(
            "group \"{}\" has no one at risk at any event time; the log-rank test cannot compare it",
            labels[j]
        ))
    })?;
    let x = chol_solve(&l, &dev);
    let statistic: f64 = dev.iter().zip(&x).map(|(a, b)| a * b).sum();
    let groups = labels
        .iter()
        .enumerate()
        .map(|(g, label)| LogRankGroup {
            label: (*label).to_string(),
            n: sizes[g],
            observed: observed[g],
            expected: expected[g],
        })
        .collect();
    Ok(LogRank {
        groups,
        statistic,
        df: m,
        p_value: chi2_sf(statistic, m as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_groups_by_hand() {
        // A: events at 1, 3; B: events at 2, censored at 4.
        // t=1: n=4 (A2,B2) d=1: E_A=1/2, V=1·3/3·(1/2)(1/2)=1/4.
        // t=2: n=3 (A1,B2) d=1: E_A+=1/3, V+=1·2/2·(1/3)(2/3)=2/9.
        // t=3: n=2 (A1,B1) d=1: E_A+=1/2, V+=1·1/1·(1/4)=1/4.
        let t = [1.0, 3.0, 2.0, 4.0];
        let e = [true, true, true, false];
        let g = ["A", "A", "B", "B"];
        let r = logrank(&t, &e, &g).unwrap();
        let ea = 0.5 + 1.0 / 3.0 + 0.5;
        let var = 0.25 + 2.0 / 9.0 + 0.25;
        assert!((r.groups[0].expected - ea).abs() < 1e-15);
        assert!((r.statistic - (2.0 - ea).powi(2) / var).abs() < 1e-12);
        assert_eq!(r.df, 1);
    }

    #[test]
    fn one_group_is_an_error() {
        let r = logrank(&[1.0, 2.0], &[true, true], &["a", "a"]);
        assert_eq!(r, Err(SurvivalError::TooFewGroups { found: 1 }));
    }
}
