//! Data behind two report charts: the P(alive) heat map by frequency × recency and the CLV
//! distribution. Pure functions on slices; drawing happens in the report crate.
//!
//! # Definitions
//!
//! - **Buckets from edges** `e₀ < e₁ < … < e_k`: bucket `i < k` holds the values `v` with
//!   `eᵢ ≤ v < eᵢ₊₁`; the last bucket holds `v ≥ e_k` (open-ended, so no value is lost at the
//!   top). In the heat map, values below `e₀` count in the first bucket; in a histogram they
//!   are counted apart (`below`).
//! - **Round edges** ([`nice_edges`]): `0, s, 2s, …` with the step `s` the smallest of
//!   1, 2, 5 × 10ⁿ that needs at most the requested number of buckets to reach the maximum.
//! - **P(alive) heat map**: customers grouped by frequency bucket (repeat purchases) and
//!   recency bucket; each cell gives the number of customers and their mean P(alive) (`None`
//!   for an empty cell). The recency axis is, by choice ([`RecencyAxis`]), the time since the
//!   last purchase `T − recency` (recommended: "how long ago did they last buy?") or the
//!   recency `t_x` of the BTYD literature (time between first and last purchase), in the
//!   summary's time unit.
//! - **CLV distribution** ([`clv_histogram`]): round edges from 0 up to the 99th percentile of
//!   CLV (the value at rank ⌈0.99·n⌉ in ascending order), so that a few very valuable
//!   customers do not squash the chart; everything above falls in the open last bucket.
//!   Each bucket gives the number of customers and their total CLV.

use crate::CustomerSummary;
use crate::lifecycle::check_p_alive;
use crate::retention::RetentionError;

/// Which recency the heat map's second axis shows (in the summary's time unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RecencyAxis {
    /// `T − recency`: time since the last purchase (small = bought recently).
    #[default]
    TimeSinceLast,
    /// `recency` (t_x): time from the first to the last purchase (large = bought recently,
    /// for a given age T).
    Recency,
}

/// One cell of the heat map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridCell {
    /// Customers in the cell.
    pub customers: usize,
    /// Their mean P(alive); `None` when the cell is empty.
    pub mean_p_alive: Option<f64>,
}

/// The P(alive) heat map (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct PAliveGrid {
    /// Lower edges of the frequency buckets (repeat purchases).
    pub frequency_edges: Vec<f64>,
    /// Lower edges of the recency buckets (summary time unit).
    pub recency_edges: Vec<f64>,
    /// The recency measure of the second axis.
    pub axis: RecencyAxis,
    /// `cells[f][r]`: frequency bucket `f`, recency bucket `r`.
    pub cells: Vec<Vec<GridCell>>,
}

fn check_edges(name: &'static str, edges: &[f64]) -> Result<(), RetentionError> {
    let ok = !edges.is_empty()
        && edges.iter().all(|e| e.is_finite())
        && edges.windows(2).all(|w| w[0] < w[1]);
    if ok {
        Ok(())
    } else {
        Err(RetentionError::InvalidParameter {
            name,
            value: format!("{edges:?}"),
            expected: "a non-empty list of finite, strictly increasing edges",
        })
    }
}

/// The bucket of `v` under `edges` (checked): `None` below the first edge.
fn bucket(edges: &[f64], v: f64) -> Option<usize> {
    edges.partition_point(|&e| e <= v).checked_sub(1)
}

/// The P(alive) heat map of `customers` (with `p_alive` parallel to it).
///
/// # Errors
/// [`RetentionError::InvalidParameter`] for empty, non-finite or non-increasing edges;
/// [`RetentionError::LengthMismatch`] / [`RetentionError::NotAProbability`] for a bad
/// `p_alive`.
pub fn p_alive_grid(
    customers: &[CustomerSummary],
    p_alive: &[f64],
    frequency_edges: &[f64],
    recency_edges: &[f64],
    axis: RecencyAxis,
) -> Result<PAliveGrid, RetentionError> {
    check_edges("frequency_edges", frequency_edges)?;
    check_edges("recency_edges", recency_edges)?;
    check_p_alive(p_alive, customers.len())?;
    let mut acc = vec![vec![(0usize, 0f64); recency_edges.len()]; frequency_edges.len()];
    for (c, &p) in customers.iter().zip(p_alive) {
        let rec = match axis {
            RecencyAxis::TimeSinceLast => c.t - c.recency,
            RecencyAxis::Recency => c.recency,
        };
        let f = bucket(frequency_edges, c.frequency as f64).unwrap_or(0);
        let r = bucket(recency_edges, rec).unwrap_or(0);
        acc[f][r].0 += 1;
        acc[f][r].1 += p;
    }
    let cells = acc
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|(n, s)| GridCell {
                    customers: n,
                    mean_p_alive: (n > 0).then(|| (s / n as f64).clamp(0.0, 1.0)),
                })
                .collect()
        })
        .collect();
    Ok(PAliveGrid {
        frequency_edges: frequency_edges.to_vec(),
        recency_edges: recency_edges.to_vec(),
        axis,
        cells,
    })
}

/// Round bucket edges `0, s, 2s, …` (all below `max`) for at most `max_buckets` buckets, the
/// last one open-ended (see the module docs). `[0.0]` (one bucket) when `max ≤ 0`,
/// `max` is not finite, or `max_buckets ≤ 1`.
pub fn nice_edges(max: f64, max_buckets: usize) -> Vec<f64> {
    if !(max.is_finite() && max > 0.0) || max_buckets <= 1 {
        return vec![0.0];
    }
    let raw = max / max_buckets as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag);
    if !(step.is_finite() && step > 0.0) {
        return vec![0.0];
    }
    (0..max_buckets)
        .map(|k| k as f64 * step)
        .take_while(|&e| e == 0.0 || e < max)
        .collect()
}

/// One histogram bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramBucket {
    /// Lower edge (included).
    pub lower: f64,
    /// Upper edge (excluded); `None` for the open last bucket.
    pub upper: Option<f64>,
    /// Number of values in the bucket.
    pub count: usize,
    /// Sum of the values in the bucket.
    pub sum: f64,
}

/// A histogram (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Values below the first edge.
    pub below: usize,
    /// Their sum.
    pub below_sum: f64,
    /// The buckets, in increasing order; the last is open-ended.
    pub buckets: Vec<HistogramBucket>,
}

/// The histogram of `values` under `edges`.
///
/// # Errors
/// [`RetentionError::InvalidParameter`] for bad edges; [`RetentionError::NotFinite`] for a
/// non-finite value.
pub fn histogram(values: &[f64], edges: &[f64]) -> Result<Histogram, RetentionError> {
    check_edges("edges", edges)?;
    if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(RetentionError::NotFinite {
            what: "value",
            index,
            value,
        });
    }
    let mut buckets: Vec<HistogramBucket> = edges
        .iter()
        .enumerate()
        .map(|(i, &lower)| HistogramBucket {
            lower,
            upper: edges.get(i + 1).copied(),
            count: 0,
            sum: 0.0,
        })
        .collect();
    let (mut below, mut below_sum) = (0, 0.0);
    for &v in values {
        match bucket(edges, v) {
            Some(i) => {
                buckets[i].count += 1;
                buckets[i].sum += v;
            }
            None => {
                below += 1;
                below_sum += v;
            }
        }
    }
    Ok(Histogram {
        below,
        below_sum,
        buckets,
    })
}

/// The CLV distribution: [`histogram`] with [`nice_edges`] from 0 to the 99th percentile of
/// `clv`, at most `max_buckets` buckets. Negative CLVs (not expected) are counted in `below`.
///
/// # Errors
/// [`RetentionError::NotFinite`] for a non-finite CLV.
pub fn clv_histogram(clv: &[f64], max_buckets: usize) -> Result<Histogram, RetentionError> {
    if let Some((index, &value)) = clv.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(RetentionError::NotFinite {
            what: "clv",
            index,
            value,
        });
    }
    let mut sorted = clv.to_vec();
    sorted.sort_by(f64::total_cmp);
    let p99 = match sorted.len() {
        0 => 0.0,
        n => sorted[(n * 99).div_ceil(100).clamp(1, n) - 1],
    };
    histogram(clv, &nice_edges(p99, max_buckets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Day;
    use proptest::prelude::*;

    fn cust(frequency: u32, recency: f64, t: f64) -> CustomerSummary {
        CustomerSummary {
            customer_id: "x".into(),
            first_purchase: Day(0),
            last_purchase: Day(0),
            frequency,
            recency,
            t,
            monetary_value: 0.0,
        }
    }

    #[test]
    fn grid_hand_computed() {
        let cs = [
            cust(0, 0.0, 10.0),
            cust(1, 9.0, 10.0),
            cust(1, 2.0, 10.0),
            cust(7, 10.0, 10.0),
        ];
        let p = [0.2, 0.9, 0.5, 1.0];
        let g = p_alive_grid(
            &cs,
            &p,
            &[0.0, 1.0, 5.0],
            &[0.0, 5.0],
            RecencyAxis::TimeSinceLast,
        )
        .unwrap();
        // time since last: 10, 1, 8, 0.
        assert_eq!(
            g.cells[0][1],
            GridCell {
                customers: 1,
                mean_p_alive: Some(0.2)
            }
        );
        assert_eq!(
            g.cells[1][0],
            GridCell {
                customers: 1,
                mean_p_alive: Some(0.9)
            }
        );
        assert_eq!(
            g.cells[1][1],
            GridCell {
                customers: 1,
                mean_p_alive: Some(0.5)
            }
        );
        assert_eq!(
            g.cells[2][0],
            GridCell {
                customers: 1,
                mean_p_alive: Some(1.0)
            }
        );
        assert_eq!(
            g.cells[0][0],
            GridCell {
                customers: 0,
                mean_p_alive: None
            }
        );
        let g = p_alive_grid(&cs, &p, &[0.0, 1.0], &[0.0, 5.0], RecencyAxis::Recency).unwrap();
        assert_eq!(g.cells[1][1].customers, 2);
        assert!((g.cells[1][1].mean_p_alive.unwrap() - 0.95).abs() < 1e-12);
        assert!(p_alive_grid(&cs, &p, &[], &[0.0], RecencyAxis::Recency).is_err());
        assert!(p_alive_grid(&cs, &p, &[1.0, 1.0], &[0.0], RecencyAxis::Recency).is_err());
        assert!(p_alive_grid(&cs, &p[..3], &[0.0], &[0.0], RecencyAxis::Recency).is_err());
        let empty = p_alive_grid(&[], &[], &[0.0], &[0.0], RecencyAxis::Recency).unwrap();
        assert_eq!(
            empty.cells,
            vec![vec![GridCell {
                customers: 0,
                mean_p_alive: None
            }]]
        );
    }

    #[test]
    fn round_edges() {
        assert_eq!(nice_edges(100.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0]);
        assert_eq!(nice_edges(7.0, 10), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(nice_edges(0.0, 10), vec![0.0]);
        assert_eq!(nice_edges(f64::NAN, 10), vec![0.0]);
        assert_eq!(
            nice_edges(1234.0, 10),
            vec![0.0, 200.0, 400.0, 600.0, 800.0, 1000.0, 1200.0]
        );
    }

    #[test]
    fn histograms() {
        let h = histogram(&[-1.0, 0.0, 0.5, 1.0, 9.0], &[0.0, 1.0]).unwrap();
        assert_eq!((h.below, h.below_sum), (1, -1.0));
        assert_eq!(
            h.buckets[0],
            HistogramBucket {
                lower: 0.0,
                upper: Some(1.0),
                count: 2,
                sum: 0.5
            }
        );
        assert_eq!(
            h.buckets[1],
            HistogramBucket {
                lower: 1.0,
                upper: None,
                count: 2,
                sum: 10.0
            }
        );
        assert!(histogram(&[f64::NAN], &[0.0]).is_err());
        // 100 customers with CLV 1..=100: p99 = 99 → step 10 (≤ 10 buckets), 100 in the last.
        let clv: Vec<f64> = (1..=100).map(f64::from).collect();
        let h = clv_histogram(&clv, 10).unwrap();
        assert_eq!(h.buckets.len(), 10);
        assert_eq!(h.buckets[0].count, 9);
        assert_eq!(h.buckets[9].count, 11);
        let h = clv_histogram(&[], 10).unwrap();
        assert_eq!((h.buckets.len(), h.buckets[0].count), (1, 0));
        let h = clv_histogram(&[5.0; 3], 10).unwrap();
        assert_eq!(h.buckets.iter().map(|b| b.count).sum::<usize>(), 3);
        assert!(clv_histogram(&[f64::INFINITY], 10).is_err());
    }

    proptest! {
        #[test]
        fn histogram_counts_everything(values in proptest::collection::vec(-10.0f64..1e6, 0..200), k in 0usize..20) {
            let h = clv_histogram(&values, k).unwrap();
            prop_assert!(h.buckets.len() <= k.max(1));
            prop_assert_eq!(h.below + h.buckets.iter().map(|b| b.count).sum::<usize>(), values.len());
            for w in h.buckets.windows(2) {
                prop_assert!(w[0].lower < w[1].lower);
                prop_assert_eq!(w[0].upper, Some(w[1].lower));
            }
        }
    }
}
