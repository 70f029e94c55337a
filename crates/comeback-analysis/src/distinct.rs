//! Distinct (x, tₓ, T) rows: every model prediction depends on a customer only through
//! these three numbers, so `analyze` computes each prediction once per distinct row (on all
//! cores) and maps it back to customers. A day-resolution summary of 10⁶ customers has about
//! 2 × 10⁵ distinct rows.

use comeback_models::fit::Rfm;
use std::collections::HashMap;

/// The distinct rows of a customer list and, for each customer, its row.
pub struct Distinct {
    /// The distinct rows, in order of first appearance.
    pub rows: Vec<Rfm>,
    /// Customers per row.
    pub weight: Vec<f64>,
    /// Row of each customer.
    pub of: Vec<u32>,
}

impl Distinct {
    /// Groups identical (x, tₓ, T) rows (compared bit for bit).
    pub fn new(customers: &[Rfm]) -> Distinct {
        let mut index: HashMap<[u64; 3], u32> = HashMap::with_capacity(customers.len() / 4 + 16);
        let (mut rows, mut weight, mut of) =
            (Vec::new(), Vec::new(), Vec::with_capacity(customers.len()));
        for c in customers {
            let key = [
                c.frequency().to_bits(),
                c.recency().to_bits(),
                c.t().to_bits(),
            ];
            let i = *index.entry(key).or_insert_with(|| {
                rows.push(*c);
                weight.push(0.0);
                (rows.len() - 1) as u32
            });
            weight[i as usize] += 1.0;
            of.push(i);
        }
        Distinct { rows, weight, of }
    }

    /// `f` on every distinct row, split over the available cores.
    pub fn map(&self, f: impl Fn(&Rfm) -> f64 + Sync) -> Vec<f64> {
        par_map(&self.rows, &f)
    }

    /// A per-row value spread back to customers.
    pub fn per_customer(&self, per_row: &[f64]) -> Vec<f64> {
        self.of.iter().map(|&i| per_row[i as usize]).collect()
    }

    /// A per-customer value summed per row.
    pub fn sum_per_row(&self, per_customer: &[f64]) -> Vec<f64> {
        let mut s = vec![0.0; self.rows.len()];
        for (&i, v) in self.of.iter().zip(per_customer) {
            s[i as usize] += v;
        }
        s
    }
}

/// `f` over `items` on all available cores (scoped threads, contiguous chunks), in order.
pub fn par_map<T: Sync>(items: &[T], f: &(impl Fn(&T) -> f64 + Sync)) -> Vec<f64> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads <= 1 || items.len() < 2048 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<f64>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_maps_back() {
        let c = |x: f64, r: f64, t: f64| Rfm::new(x, r, t).unwrap();
        let customers = vec![c(1.0, 2.0, 5.0), c(0.0, 0.0, 5.0), c(1.0, 2.0, 5.0)];
        let d = Distinct::new(&customers);
        assert_eq!(d.rows.len(), 2);
        assert_eq!(d.weight, vec![2.0, 1.0]);
        assert_eq!(d.of, vec![0, 1, 0]);
        let per_row = d.map(|r| r.frequency() * 10.0 + r.t());
        assert_eq!(d.per_customer(&per_row), vec![15.0, 5.0, 15.0]);
        assert_eq!(d.sum_per_row(&[1.0, 2.0, 3.0]), vec![4.0, 2.0]);
        let many: Vec<f64> = (0..10_000).map(f64::from).collect();
        assert_eq!(
            par_map(&many, &|v| v * 2.0),
            many.iter().map(|v| v * 2.0).collect::<Vec<_>>()
        );
    }
}
