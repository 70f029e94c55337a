//! Value at risk and the three action lists: whom to keep, whom to win back, whom to ask
//! for referrals (PRODUCT R5, R8, R9).
//!
//! # Definitions
//!
//! - **CLV if alive** = CLV ÷ P(alive): the value the customer would bring if we knew they
//!   were still a customer. The models' CLV is already weighted by P(alive), so dividing
//!   undoes that weight.
//! - **Value at risk** = CLV if alive × (1 − P(alive)) = CLV × (1 − P(alive)) ÷ P(alive): the
//!   part of that value we expect to lose because the customer may already have left.
//! - When P(alive) = 0 (the model is certain the customer has left), CLV ÷ P(alive) is
//!   undefined. Then CLV if alive and value at risk are set to 0 and the row is flagged
//!   (`clv_if_alive_defined = false`); the same happens if the division overflows. When the
//!   model can give the conditional CLV directly (expected value given alive), prefer
//!   [`value_at_risk_given_alive`], which needs no division and is defined for every
//!   P(alive).
//! - **Value-at-risk rank**: 1 = largest value at risk; equal values are ranked by position,
//!   which is customer-id order for slices parallel to a [`TransactionLog`](crate::TransactionLog)
//!   or [`Summary`](crate::Summary).
//!
//! Action lists (positions of customers, best first; ties by position, i.e. customer id):
//! - **at risk**: lifecycle stage `at_risk`, by value at risk, largest first;
//! - **win back**: lifecycle stage `lost`, by historical revenue, largest first;
//! - **advocates**: F score ≥ 4, M score ≥ 4 and P(alive) ≥ 0.9 (thresholds in
//!   [`AdvocateParams`]), by CLV, largest first — referral candidates.

use crate::Amount;
use crate::lifecycle::{LifecycleStage, check_p_alive};
use crate::retention::RetentionError;
use crate::rfm::RfmScore;
use std::cmp::Ordering;

/// One customer's value at risk (currency units) and its rank.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueAtRisk {
    /// CLV ÷ P(alive) (or the given conditional CLV); 0 when undefined.
    pub clv_if_alive: f64,
    /// CLV if alive × (1 − P(alive)); 0 when CLV if alive is undefined.
    pub value_at_risk: f64,
    /// 1 = largest value at risk; unique, ties by position.
    pub rank: usize,
    /// False when P(alive) = 0 (or the division overflowed) and the fallback 0 was used.
    pub clv_if_alive_defined: bool,
}

fn check_finite(what: &'static str, values: &[f64], n: usize) -> Result<(), RetentionError> {
    if values.len() != n {
        return Err(RetentionError::LengthMismatch {
            what,
            expected: n,
            found: values.len(),
        });
    }
    match values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((index, &value)) => Err(RetentionError::NotFinite { what, index, value }),
        None => Ok(()),
    }
}

/// Positions sorted by `key` descending, ties by position ascending.
fn rank_desc_by<T: Copy>(
    idx: impl Iterator<Item = usize>,
    key: impl Fn(usize) -> T,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> Vec<usize> {
    let mut v: Vec<usize> = idx.collect();
    v.sort_by(|&a, &b| cmp(&key(b), &key(a)).then(a.cmp(&b)));
    v
}

fn with_ranks(mut rows: Vec<ValueAtRisk>) -> Vec<ValueAtRisk> {
    let order = rank_desc_by(0..rows.len(), |i| rows[i].value_at_risk, f64::total_cmp);
    for (r, i) in order.into_iter().enumerate() {
        rows[i].rank = r + 1;
    }
    rows
}

/// Value at risk from the CLV and P(alive) of each customer (parallel slices), by
/// CLV if alive = CLV ÷ P(alive) (see the module docs for the P(alive) = 0 fallback).
///
/// # Errors
/// [`RetentionError::LengthMismatch`] when the slices differ in length;
/// [`RetentionError::NotFinite`] for a non-finite CLV; [`RetentionError::NotAProbability`]
/// for a P(alive) outside [0, 1].
pub fn value_at_risk(clv: &[f64], p_alive: &[f64]) -> Result<Vec<ValueAtRisk>, RetentionError> {
    check_p_alive(p_alive, clv.len())?;
    check_finite("clv", clv, clv.len())?;
    let rows = clv
        .iter()
        .zip(p_alive)
        .map(|(&c, &p)| {
            let if_alive = c / p;
            if p > 0.0 && if_alive.is_finite() {
                ValueAtRisk {
                    clv_if_alive: if_alive,
                    value_at_risk: if_alive * (1.0 - p),
                    rank: 0,
                    clv_if_alive_defined: true,
                }
            } else {
                ValueAtRisk {
                    clv_if_alive: 0.0,
                    value_at_risk: 0.0,
                    rank: 0,
                    clv_if_alive_defined: false,
                }
            }
        })
        .collect();
    Ok(with_ranks(rows))
}

/// Value at risk from a CLV the model computed *given the customer is alive* (no division,
/// defined for every P(alive)): value at risk = `clv_if_alive × (1 − P(alive))`.
///
/// # Errors
/// As [`value_at_risk`].
pub fn value_at_risk_given_alive(
    clv_if_alive: &[f64],
    p_alive: &[f64],
) -> Result<Vec<ValueAtRisk>, RetentionError> {
    check_p_alive(p_alive, clv_if_alive.len())?;
    check_finite("clv_if_alive", clv_if_alive, clv_if_alive.len())?;
    let rows = clv_if_alive
        .iter()
        .zip(p_alive)
        .map(|(&c, &p)| ValueAtRisk {
            clv_if_alive: c,
            value_at_risk: c * (1.0 - p),
            rank: 0,
            clv_if_alive_defined: true,
        })
        .collect();
    Ok(with_ranks(rows))
}

/// The at-risk list: positions of customers in stage `at_risk`, by value at risk, largest
/// first (ties by position).
///
/// # Errors
/// [`RetentionError::LengthMismatch`] when the slices differ in length.
pub fn at_risk_list(
    stages: &[LifecycleStage],
    var: &[ValueAtRisk],
) -> Result<Vec<usize>, RetentionError> {
    if var.len() != stages.len() {
        return Err(RetentionError::LengthMismatch {
            what: "value_at_risk",
            expected: stages.len(),
            found: var.len(),
        });
    }
    let members = (0..stages.len()).filter(|&i| stages[i] == LifecycleStage::AtRisk);
    Ok(rank_desc_by(
        members,
        |i| var[i].value_at_risk,
        f64::total_cmp,
    ))
}

/// The win-back list: positions of customers in stage `lost`, by historical revenue, largest
/// first (ties by position).
///
/// # Errors
/// [`RetentionError::LengthMismatch`] when the slices differ in length.
pub fn win_back_list(
    stages: &[LifecycleStage],
    revenue: &[Amount],
) -> Result<Vec<usize>, RetentionError> {
    if revenue.len() != stages.len() {
        return Err(RetentionError::LengthMismatch {
            what: "revenue",
            expected: stages.len(),
            found: revenue.len(),
        });
    }
    let members = (0..stages.len()).filter(|&i| stages[i] == LifecycleStage::Lost);
    Ok(rank_desc_by(members, |i| revenue[i], Ord::cmp))
}

/// Who counts as an advocate (referral candidate).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `min_f` | 4 | lowest F score |
/// | `min_m` | 4 | lowest M score |
/// | `min_p_alive` | 0.9 | lowest P(alive) |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdvocateParams {
    /// Lowest F score (1–5).
    pub min_f: u8,
    /// Lowest M score (1–5).
    pub min_m: u8,
    /// Lowest P(alive), in [0, 1].
    pub min_p_alive: f64,
}

impl Default for AdvocateParams {
    fn default() -> Self {
        AdvocateParams {
            min_f: 4,
            min_m: 4,
            min_p_alive: 0.9,
        }
    }
}

/// The advocates list: positions of customers with F ≥ `min_f`, M ≥ `min_m` and
/// P(alive) ≥ `min_p_alive`, by CLV, largest first (ties by position).
///
/// # Errors
/// [`RetentionError::LengthMismatch`] when the slices differ in length;
/// [`RetentionError::NotAProbability`] / [`RetentionError::NotFinite`] for bad P(alive) or
/// CLV values; [`RetentionError::InvalidParameter`] when `min_p_alive` is not in [0, 1].
pub fn advocates_list(
    rfm: &[RfmScore],
    p_alive: &[f64],
    clv: &[f64],
    params: &AdvocateParams,
) -> Result<Vec<usize>, RetentionError> {
    check_p_alive(p_alive, rfm.len())?;
    check_finite("clv", clv, rfm.len())?;
    if !(0.0..=1.0).contains(&params.min_p_alive) {
        return Err(RetentionError::InvalidParameter {
            name: "min_p_alive",
            value: params.min_p_alive.to_string(),
            expected: "a probability in [0, 1]",
        });
    }
    let members = (0..rfm.len()).filter(|&i| {
        rfm[i].f >= params.min_f && rfm[i].m >= params.min_m && p_alive[i] >= params.min_p_alive
    });
    Ok(rank_desc_by(members, |i| clv[i], f64::total_cmp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfm::RfmSegment;
    use LifecycleStage::*;
    use proptest::prelude::*;

    #[test]
    fn value_at_risk_hand_computed() {
        // CLV 40 at P(alive) 0.8 → if alive 50, at risk 10; CLV 10 at 0.25 → 40, 30;
        // P(alive) 0 → fallback 0; CLV 30 at 1 → 30, 0.
        let v = value_at_risk(&[40.0, 10.0, 0.0, 30.0], &[0.8, 0.25, 0.0, 1.0]).unwrap();
        assert!(
            (v[0].clv_if_alive - 50.0).abs() < 1e-12 && (v[0].value_at_risk - 10.0).abs() < 1e-12
        );
        assert_eq!((v[1].clv_if_alive, v[1].value_at_risk), (40.0, 30.0));
        assert_eq!(
            (
                v[2].clv_if_alive,
                v[2].value_at_risk,
                v[2].clv_if_alive_defined
            ),
            (0.0, 0.0, false)
        );
        assert_eq!(v[3].value_at_risk, 0.0);
        let ranks: Vec<usize> = v.iter().map(|x| x.rank).collect();
        assert_eq!(ranks, vec![2, 1, 3, 4]); // ties (0, 0) by position
        // Subnormal P(alive) overflowing the division also falls back.
        let v = value_at_risk(&[1e10], &[1e-320]).unwrap();
        assert!(!v[0].clv_if_alive_defined && v[0].value_at_risk == 0.0);
        let g = value_at_risk_given_alive(&[50.0, 40.0], &[0.8, 0.0]).unwrap();
        assert_eq!((g[1].value_at_risk, g[1].rank, g[0].rank), (40.0, 1, 2));
    }

    #[test]
    fn value_at_risk_errors_and_empty() {
        assert!(value_at_risk(&[], &[]).unwrap().is_empty());
        assert!(value_at_risk(&[1.0], &[]).is_err());
        assert!(value_at_risk(&[f64::NAN], &[0.5]).is_err());
        assert!(value_at_risk(&[1.0], &[-0.1]).is_err());
        assert!(value_at_risk_given_alive(&[f64::INFINITY], &[0.5]).is_err());
    }

    #[test]
    fn lists_are_filtered_and_ordered() {
        let stages = [AtRisk, Lost, AtRisk, Active, Lost, AtRisk];
        let var = value_at_risk(&[10.0, 5.0, 30.0, 99.0, 1.0, 10.0], &[0.5; 6]).unwrap();
        assert_eq!(at_risk_list(&stages, &var).unwrap(), vec![2, 0, 5]);
        let rev: Vec<Amount> = [1, 7, 0, 100, 9, 3]
            .into_iter()
            .map(Amount::from_micros)
            .collect();
        assert_eq!(win_back_list(&stages, &rev).unwrap(), vec![4, 1]);
        assert!(at_risk_list(&stages, &var[..2]).is_err());
        assert!(win_back_list(&stages, &rev[..2]).is_err());

        let s = |f, m| RfmScore {
            r: 5,
            f,
            m,
            segment: RfmSegment::Champions,
        };
        let rfm = [s(4, 4), s(5, 5), s(3, 5), s(5, 4), s(5, 5)];
        let p = [0.95, 0.9, 1.0, 0.89, 1.0];
        let clv = [10.0, 20.0, 99.0, 99.0, 20.0];
        assert_eq!(
            advocates_list(&rfm, &p, &clv, &AdvocateParams::default()).unwrap(),
            vec![1, 4, 0]
        );
        let bad = AdvocateParams {
            min_p_alive: 2.0,
            ..Default::default()
        };
        assert!(advocates_list(&rfm, &p, &clv, &bad).is_err());
        assert!(advocates_list(&rfm, &p[..1], &clv, &AdvocateParams::default()).is_err());
        assert!(
            advocates_list(&[], &[], &[], &AdvocateParams::default())
                .unwrap()
                .is_empty()
        );
    }

    proptest! {
        #[test]
        fn ranks_are_a_permutation_and_never_nan(
            rows in proptest::collection::vec((0.0f64..1e6, 0.0f64..=1.0), 0..100),
        ) {
            let (clv, p): (Vec<f64>, Vec<f64>) = rows.into_iter().unzip();
            let v = value_at_risk(&clv, &p).unwrap();
            let mut ranks: Vec<usize> = v.iter().map(|x| x.rank).collect();
            ranks.sort_unstable();
            prop_assert_eq!(ranks, (1..=clv.len()).collect::<Vec<_>>());
            for (i, x) in v.iter().enumerate() {
                prop_assert!(x.value_at_risk.is_finite() && x.value_at_risk >= 0.0);
                for y in &v {
                    if y.value_at_risk > x.value_at_risk {
                        prop_assert!(y.rank < x.rank, "{}", i);
                    }
                }
            }
        }
    }
}
