//! The per-customer summary straight from rows, in memory proportional to customers.
//!
//! [`TransactionLogBuilder`](super::TransactionLogBuilder) keeps every distinct
//! customer-day (12 bytes each): at 10⁹ rows that is gigabytes more than the summary needs.
//! [`SummaryBuilder`] keeps per customer only what the summary needs, and gives the same
//! output as [`CompactLog::for_each_summary`](super::CompactLog::for_each_summary) for rows
//! in any order:
//!
//! - a bitmap of the customer's purchase days (bit `d − 64·base` for day `d`, one `u64`
//!   word per 64 days between its first and last purchase day), so that a row on a day
//!   already seen is recognised whatever the row order: the number of occasions is the
//!   number of distinct periods (days, ISO weeks or months) among the set bits;
//! - the first occasion's period and its exact total (`i128` micros), and the exact total
//!   of all later occasions: when a row moves the first period earlier, the old first total
//!   joins the later ones. The repeat-occasion mean is `later / (occasions − 1)`, exactly as
//!   [`mean_of`](super::mean_of) computes it from the occasion totals;
//! - refund rows (amount < 0) on a day that has no purchase *yet* wait in a per-shard list
//!   (customer, day, amount) and are settled at the end: netted into their day's occasion
//!   when the day turned out to hold a purchase, else counted as a refund-only day. Rows on
//!   a day with a purchase already seen are netted at once.
//!
//! Memory: per customer one hash-index slot (as in the log builder: 37–73 bytes, id inline
//! up to 22 bytes), an 80-byte record and the bitmap (8 bytes per 64 days of span between
//! first and last purchase day, plus 8 bytes of allocator header; its capacity is rounded
//! up to the allocator's block, an odd number of words and at least 3, so that a growing
//! bitmap is rarely reallocated): for two years of span
//! about 200–240 bytes per customer, independent of the number of rows. Plus 16 bytes per
//! refund row on a day without a purchase seen so far, and about 20 MB of batches in
//! flight. The bound is on the span, not on rows: a customer whose purchases lie 100 years
//! apart costs 4.6 kB.
//!
//! Difference from the log builder: totals are summed in `i128`, so a customer-day total
//! beyond ±9.2 × 10¹² currency units (which the log builder refuses with
//! [`SummaryError::Overflow`]) is summed exactly here.

use super::{
    BATCH, BATCH_ID_BYTES, Collapse, DAY_LIMIT, Key, PRow, Pending, SHARDS, Scratch, ShardTable,
    SummaryError, SummaryRow, Worker, apply_part, customer_number, hash_id, shard_of,
};
use crate::{Amount, Day, TimeUnit};
use hashbrown::HashTable;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// No first period yet.
const NONE: i32 = i32::MAX;

/// One customer's running summary (see the module docs).
#[derive(Debug)]
struct Agg {
    /// Word index (day.div_euclid(64)) of `bits[0]`.
    base: i32,
    /// Start of the first occasion's period, [`NONE`] before the first purchase.
    first_p: i32,
    /// Exact total of the first occasion (micros).
    first: i128,
    /// Exact total of the later occasions (micros).
    later: i128,
    /// Purchase days.
    bits: Vec<u64>,
}

impl Agg {
    fn new() -> Agg {
        Agg {
            base: 0,
            first_p: NONE,
            first: 0,
            later: 0,
            bits: Vec::new(),
        }
    }

    /// True when day `d` holds a purchase seen so far.
    #[inline]
    fn has(&self, d: i32) -> bool {
        let w = i64::from(d.div_euclid(64)) - i64::from(self.base);
        usize::try_from(w)
            .ok()
            .and_then(|w| self.bits.get(w))
            .is_some_and(|x| (x >> d.rem_euclid(64)) & 1 == 1)
    }

    /// Marks day `d` as a purchase day (the bitmap grows by whole words).
    #[inline]
    fn set(&mut self, d: i32) {
        let w = d.div_euclid(64);
        if self.bits.is_empty() {
            self.base = w;
            self.room(1);
            self.bits.push(0);
        } else if w < self.base {
            let k = (self.base - w) as usize;
            self.room(self.bits.len() + k);
            self.bits.splice(0..0, std::iter::repeat_n(0, k));
            self.base = w;
        } else if (w - self.base) as usize >= self.bits.len() {
            let n = (w - self.base) as usize + 1;
            self.room(n);
            self.bits.resize(n, 0);
        }
        self.bits[(w - self.base) as usize] |= 1 << d.rem_euclid(64);
    }

    /// Room for `n` words in the bitmap. The capacity is rounded up to an odd number of
    /// words, at least 3: the allocator hands out blocks of 16·k bytes with an 8-byte
    /// header, so those words are there anyway, and using them saves most reallocations
    /// of growing bitmaps.
    #[inline]
    fn room(&mut self, n: usize) {
        if self.bits.capacity() < n {
            self.bits.reserve_exact((n | 1).max(3) - self.bits.len());
        }
    }

    /// Adds `a` micros to the occasion of period `p` (a purchase day's period).
    #[inline]
    fn credit(&mut self, p: i32, a: i64) {
        let a = i128::from(a);
        if p == self.first_p {
            self.first += a;
        } else if p < self.first_p {
            if self.first_p != NONE {
                self.later += self.first;
            }
            self.first_p = p;
            self.first = a;
        } else {
            self.later += a;
        }
    }

    /// Purchase days in increasing order.
    fn days(&self) -> impl Iterator<Item = i32> + '_ {
        self.bits.iter().enumerate().flat_map(move |(i, &w)| {
            let base = (self.base + i as i32) * 64;
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros() as i32;
                w &= w - 1;
                Some(base + b)
            })
        })
    }
}

/// A shard of the streaming summary: hash index, per-customer records, waiting refunds.
#[derive(Debug, Default)]
struct AggShard {
    index: HashTable<(Key, u32)>,
    customers: u32,
    aggs: Vec<Agg>,
    /// Refund rows on days without a purchase seen so far: (customer, day, micros).
    refunds: Vec<(u32, i32, i64)>,
    collapse: Collapse,
}

impl ShardTable for AggShard {
    fn apply(
        shards: &mut [Self],
        base: usize,
        rows: &[PRow],
        ids: &[u8],
    ) -> Result<(), SummaryError> {
        for r in rows {
            let s = r.id_start as usize;
            let id = &ids[s..s + r.id_len as usize];
            let shard = &mut shards[shard_of(r.hash) - base];
            let c = customer_number(&mut shard.index, &mut shard.customers, r.hash, id);
            if c as usize == shard.aggs.len() {
                shard.aggs.push(Agg::new());
            }
            let p = shard.collapse.period_start(Day(r.day)).0;
            let g = &mut shard.aggs[c as usize];
            if r.purchase {
                g.set(r.day);
                g.credit(p, r.amount);
            } else if g.has(r.day) {
                g.credit(p, r.amount);
            } else {
                shard.refunds.push((c, r.day, r.amount));
            }
        }
        Ok(())
    }
}

/// A finished customer: id, first and last occasion period, occasions, later total.
#[derive(Debug)]
struct Done {
    key: Key,
    first_p: i32,
    last_p: i32,
    occasions: u32,
    later: i128,
}

/// A finished shard, customers in id order; refund-only days dropped, their count and net
/// amount, and the last purchase day.
fn finish_shard(shard: AggShard) -> (Vec<Done>, u64, i128, Option<i32>) {
    let AggShard {
        index,
        mut aggs,
        mut refunds,
        collapse,
        ..
    } = shard;
    // Waiting refunds: netted into a purchase day, or a refund-only day.
    refunds.sort_unstable_by_key(|&(c, d, _)| (c, d));
    let (mut refund_days, mut refund_amount) = (0u64, 0i128);
    let mut prev = None;
    for &(c, d, a) in &refunds {
        let g = &mut aggs[c as usize];
        if g.has(d) {
            g.credit(collapse.period_start(Day(d)).0, a);
        } else {
            if prev != Some((c, d)) {
                refund_days += 1;
            }
            refund_amount += i128::from(a);
        }
        prev = Some((c, d));
    }
    drop(refunds);
    let mut last_day = None;
    let mut done: Vec<Done> = Vec::with_capacity(aggs.len());
    for (key, c) in index {
        // Taken out, so that each bitmap is freed once read.
        let g = std::mem::replace(&mut aggs[c as usize], Agg::new());
        if g.first_p == NONE {
            continue;
        }
        let (mut occasions, mut last_p, mut last) = (0u32, NONE, 0);
        for d in g.days() {
            let p = collapse.period_start(Day(d)).0;
            if p != last_p {
                occasions += 1;
                last_p = p;
            }
            last = d;
        }
        last_day = last_day.max(Some(last));
        done.push(Done {
            key,
            first_p: g.first_p,
            last_p,
            occasions,
            later: g.later,
        });
    }
    drop(aggs);
    done.sort_unstable_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
    (done, refund_days, refund_amount, last_day)
}

/// A streaming group-by from rows straight to the per-customer summary, in memory that
/// grows with customers and never with rows (layout and bound: `summary/stream.rs`).
///
/// Feed rows in any order with [`add`](Self::add); [`finish`](Self::finish) returns the
/// [`StreamedSummary`], whose [`for_each_summary`](StreamedSummary::for_each_summary) gives
/// the same rows as [`CompactLog::for_each_summary`](super::CompactLog::for_each_summary)
/// for the same rows and collapse. Unlike the log builder it cannot give day totals (the
/// calibration/holdout split and the retention analytics need those).
#[derive(Debug)]
pub struct SummaryBuilder {
    shards: Vec<AggShard>,
    pending: Pending,
    workers: Vec<Worker<AggShard>>,
    spare: Option<std::sync::mpsc::Receiver<std::sync::Arc<Pending>>>,
    scratch: Scratch,
    threads: usize,
    observation_end: Option<Day>,
    collapse: Collapse,
    rows_kept: u64,
    rows_after_end: u64,
    refund_rows: u64,
}

impl SummaryBuilder {
    /// A builder that ignores (and counts) rows after `observation_end` (`None`: the last
    /// purchase day is the observation end) and forms occasions by `collapse`.
    pub fn new(observation_end: Option<Day>, collapse: Collapse) -> Self {
        SummaryBuilder {
            shards: (0..SHARDS)
                .map(|_| AggShard {
                    collapse,
                    ..AggShard::default()
                })
                .collect(),
            pending: Pending::default(),
            workers: Vec::new(),
            spare: None,
            scratch: Scratch::default(),
            threads: 1,
            observation_end,
            collapse,
            rows_kept: 0,
            rows_after_end: 0,
            refund_rows: 0,
        }
    }

    /// Applies batches on `n` worker threads besides the caller (1 or 2; default 1: applied
    /// by the caller). The result does not depend on it.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.clamp(1, 2);
        self
    }

    /// Adds one row (as [`TransactionLogBuilder::add`](super::TransactionLogBuilder::add)):
    /// `customer` is trimmed; amounts < 0 are refunds netted into the same customer's same
    /// day. Returns `Ok(false)` when the row lies after the observation end and was ignored.
    ///
    /// # Errors
    /// [`SummaryError::DayOutOfRange`] for a day more than 2³⁰ days from 1970.
    pub fn add(&mut self, customer: &str, day: Day, amount: Amount) -> Result<bool, SummaryError> {
        if self.observation_end.is_some_and(|end| day > end) {
            self.rows_after_end += 1;
            return Ok(false);
        }
        if !(-DAY_LIMIT..DAY_LIMIT).contains(&day.0) {
            return Err(SummaryError::DayOutOfRange { day });
        }
        let id = customer.trim().as_bytes();
        let a = amount.micros();
        let p = &mut self.pending;
        p.rows.push(PRow {
            hash: hash_id(id),
            amount: a,
            id_start: p.ids.len() as u32,
            id_len: id.len() as u32,
            day: day.0,
            purchase: a >= 0,
        });
        p.ids.extend_from_slice(id);
        if p.rows.len() >= BATCH || p.ids.len() >= BATCH_ID_BYTES {
            self.flush()?;
        }
        if a < 0 {
            self.refund_rows += 1;
        }
        self.rows_kept += 1;
        Ok(true)
    }

    /// Hands the buffered rows to the workers (or applies them here with one thread).
    fn flush(&mut self) -> Result<(), SummaryError> {
        if self.pending.rows.is_empty() {
            return Ok(());
        }
        if self.threads < 2 {
            let r = apply_part(&mut self.shards, 0, &self.pending, &mut self.scratch);
            self.pending.rows.clear();
            self.pending.ids.clear();
            return r;
        }
        if self.workers.is_empty() {
            let hi = self.shards.split_off(SHARDS / 2);
            let lo = std::mem::take(&mut self.shards);
            let (back, rx) = std::sync::mpsc::channel();
            self.workers = vec![
                Worker::spawn(lo, 0, back.clone()),
                Worker::spawn(hi, SHARDS / 2, back),
            ];
            self.spare = Some(rx);
        }
        let mut next = None;
        if let Some(rx) = &self.spare {
            while let Ok(b) = rx.try_recv() {
                if let Ok(mut b) = std::sync::Arc::try_unwrap(b) {
                    b.rows.clear();
                    b.ids.clear();
                    next = Some(b);
                    break;
                }
            }
        }
        let next = next.unwrap_or_else(|| Pending {
            rows: Vec::with_capacity(BATCH),
            ids: Vec::with_capacity(self.pending.ids.capacity()),
        });
        let batch = std::sync::Arc::new(std::mem::replace(&mut self.pending, next));
        if self
            .workers
            .iter()
            .any(|w| w.tx.send(batch.clone()).is_err())
        {
            self.sync()?;
        }
        Ok(())
    }

    /// Waits for the worker threads and takes the shards back (in shard order).
    fn sync(&mut self) -> Result<(), SummaryError> {
        let mut result = Ok(());
        for w in std::mem::take(&mut self.workers) {
            drop(w.tx);
            let (shards, r) = w
                .handle
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            self.shards.extend(shards);
            result = result.and(r);
        }
        result
    }

    /// Ends the stream: settles waiting refunds, drops refund-only days (counted) and
    /// customers without a purchase, and sorts customers by id (two threads).
    ///
    /// # Errors
    /// None today (kept for symmetry with `add`; a worker's error would surface here).
    pub fn finish(mut self) -> Result<StreamedSummary, SummaryError> {
        self.flush()?;
        self.sync()?;
        let mut shards = std::mem::take(&mut self.shards);
        let hi = shards.split_off(SHARDS / 2);
        let finish_all = |v: Vec<AggShard>| v.into_iter().map(finish_shard).collect::<Vec<_>>();
        let (mut done, rest) = std::thread::scope(|s| {
            let h = s.spawn(|| finish_all(hi));
            let lo = finish_all(shards);
            (
                lo,
                h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
            )
        });
        done.extend(rest);
        let (mut refund_only_days, mut refund_only_amount, mut last_day) = (0u64, 0i128, None);
        let mut out = Vec::with_capacity(SHARDS);
        let mut len = 0;
        for (d, days, amount, last) in done {
            refund_only_days += days;
            refund_only_amount += amount;
            last_day = last_day.max(last);
            len += d.len();
            out.push(d);
        }
        Ok(StreamedSummary {
            shards: out,
            len,
            collapse: self.collapse,
            observation_end: self.observation_end.or(last_day.map(Day)),
            rows_kept: self.rows_kept,
            rows_after_end: self.rows_after_end,
            refund_rows: self.refund_rows,
            refund_only_days,
            refund_only_amount: Amount::from_micros(
                refund_only_amount.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            ),
        })
    }
}

/// The finished streaming summary: per customer (id order) the first and last occasion,
/// the number of occasions and the exact total of the repeat occasions.
#[derive(Debug)]
pub struct StreamedSummary {
    shards: Vec<Vec<Done>>,
    len: usize,
    collapse: Collapse,
    observation_end: Option<Day>,
    rows_kept: u64,
    rows_after_end: u64,
    refund_rows: u64,
    refund_only_days: u64,
    refund_only_amount: Amount,
}

impl StreamedSummary {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no customer has a purchase.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The observation end: the builder's, else the last purchase day.
    pub fn observation_end(&self) -> Option<Day> {
        self.observation_end
    }

    /// Rows accepted (purchases and refunds), before same-day collapse.
    pub fn rows_kept(&self) -> u64 {
        self.rows_kept
    }

    /// Rows ignored because they lie after the observation end.
    pub fn rows_after_end(&self) -> u64 {
        self.rows_after_end
    }

    /// Refund rows accepted for netting.
    pub fn refund_rows(&self) -> u64 {
        self.refund_rows
    }

    /// Days that held only refunds, dropped, and their net amount.
    pub fn refund_only_days(&self) -> (u64, Amount) {
        (self.refund_only_days, self.refund_only_amount)
    }

    /// Calls `f` with each customer's summary in id order, times in `unit` (the values of
    /// [`TransactionLog::summarize`](super::TransactionLog::summarize) with the builder's
    /// collapse).
    ///
    /// # Errors
    /// The first error `f` returns.
    pub fn for_each_summary<E>(
        &self,
        unit: TimeUnit,
        mut f: impl FnMut(SummaryRow<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let end_p = self
            .collapse
            .period_start(self.observation_end.unwrap_or_default())
            .0;
        let mut heap: BinaryHeap<Reverse<(&[u8], usize, usize)>> = self
            .shards
            .iter()
            .enumerate()
            .filter_map(|(k, s)| Some(Reverse((s.first()?.key.as_bytes(), k, 0))))
            .collect();
        while let Some(Reverse((_, k, i))) = heap.pop() {
            let shard = &self.shards[k];
            if let Some(next) = shard.get(i + 1) {
                heap.push(Reverse((next.key.as_bytes(), k, i + 1)));
            }
            let d = &shard[i];
            let n = d.occasions.saturating_sub(1);
            let monetary_value = if n == 0 {
                0.0
            } else {
                d.later as f64 / (Amount::SCALE as f64 * f64::from(n))
            };
            f(SummaryRow {
                customer_id: d.key.as_str(),
                frequency: n,
                recency: unit.from_days(i64::from(d.last_p - d.first_p)),
                t: unit.from_days(i64::from(end_p - d.first_p)),
                monetary_value,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SummaryOptions, TransactionLogBuilder};
    use super::*;
    use proptest::prelude::*;

    /// Both builders' summary rows as text (bit-exact reals), and the counts.
    fn both(
        rows: &[(String, i32, i64)],
        end: Option<Day>,
        collapse: Collapse,
        threads: usize,
    ) -> (Vec<String>, Vec<String>, [u64; 4], [u64; 4]) {
        let mut a = TransactionLogBuilder::new(end).threads(threads);
        let mut b = SummaryBuilder::new(end, collapse).threads(threads);
        for (c, d, m) in rows {
            let x = a.add(c, Day(*d), Amount::from_micros(*m)).unwrap();
            let y = b.add(c, Day(*d), Amount::from_micros(*m)).unwrap();
            assert_eq!(x, y);
        }
        let log = a.finish_compact();
        let s = b.finish().unwrap();
        let unit = TimeUnit::Weeks;
        let opts = SummaryOptions { unit, collapse };
        let show = |r: SummaryRow<'_>| {
            format!(
                "{} {} {:x} {:x} {:x}",
                r.customer_id,
                r.frequency,
                r.recency.to_bits(),
                r.t.to_bits(),
                r.monetary_value.to_bits()
            )
        };
        let mut ra = Vec::new();
        log.for_each_summary(&opts, |r| {
            ra.push(show(r));
            Ok::<_, ()>(())
        })
        .unwrap();
        let mut rb = Vec::new();
        s.for_each_summary(unit, |r| {
            rb.push(show(r));
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(log.observation_end(), s.observation_end());
        assert_eq!(log.len(), s.len());
        let ca = [
            log.rows_kept(),
            log.rows_after_end(),
            log.refund_rows(),
            log.refund_only_days().0,
        ];
        let cb = [
            s.rows_kept(),
            s.rows_after_end(),
            s.refund_rows(),
            s.refund_only_days().0,
        ];
        assert_eq!(log.refund_only_days().1, s.refund_only_days().1);
        (ra, rb, ca, cb)
    }

    fn collapse_of(k: u8) -> Collapse {
        match k % 3 {
            0 => Collapse::Day,
            1 => Collapse::Week,
            _ => Collapse::Month,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Any rows in any order (refunds, same-day rows, negative days, wide spans, an
        /// observation end cutting rows off): the same summary rows and counts as the log
        /// builder's, bit for bit.
        #[test]
        fn equals_the_log_builder(
            rows in prop::collection::vec(
                (0u8..12, -200i32..400, -50_000_000i64..200_000_000, 0u8..10),
                0..300,
            ),
            end in prop::option::of(-100i32..500),
            collapse in 0u8..3,
            threads in 1usize..3,
        ) {
            let rows: Vec<(String, i32, i64)> = rows
                .into_iter()
                // A few customers with days far apart; a third of the amounts are refunds.
                .map(|(c, d, m, k)| (format!(" c{c}"), if k == 0 { d * 97 } else { d }, if k < 3 { -m.abs() } else { m.abs() }))
                .collect();
            let (a, b, ca, cb) = both(&rows, end.map(Day), collapse_of(collapse), threads);
            prop_assert_eq!(a, b);
            prop_assert_eq!(ca, cb);
        }
    }

    #[test]
    fn many_customers_over_several_batches() {
        // 300 k rows (several 64 Ki batches, both threads) of 20 k customers in a
        // scrambled order, days spread over three years.
        let mut rows = Vec::new();
        let mut x: u64 = 12345;
        for _ in 0..300_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let c = (x >> 33) % 20_000;
            let d = 19_000 + ((x >> 17) % 1_100) as i32;
            let m = ((x >> 40) % 100_000_000) as i64 - 5_000_000;
            rows.push((format!("customer-{c}"), d, m));
        }
        for collapse in [Collapse::Day, Collapse::Week, Collapse::Month] {
            let (a, b, ca, cb) = both(&rows, None, collapse, 2);
            assert!(a.len() > 19_900, "{}", a.len());
            assert_eq!(a, b);
            assert_eq!(ca, cb);
            assert!(ca[3] > 0, "some refund-only days");
        }
    }

    #[test]
    fn bitmaps_grow_by_whole_allocator_blocks() {
        // Capacities: an odd number of words, at least 3 (glibc's blocks of 16·k bytes less
        // an 8-byte header), so that most growth needs no reallocation.
        let mut g = Agg::new();
        let shape = |g: &Agg| (g.base, g.bits.len(), g.bits.capacity());
        g.set(10);
        assert_eq!(shape(&g), (0, 1, 3));
        g.set(64 * 2 + 5);
        assert_eq!(shape(&g), (0, 3, 3));
        g.set(64 * 3);
        assert_eq!(shape(&g), (0, 4, 5));
        g.set(-64);
        assert_eq!(shape(&g), (-1, 5, 5));
        g.set(-65);
        assert_eq!(shape(&g), (-2, 6, 7));
        assert_eq!(g.days().collect::<Vec<_>>(), vec![-65, -64, 10, 133, 192]);
        assert!(g.has(133) && !g.has(134) && !g.has(-1000) && !g.has(1000));
    }

    #[test]
    fn hand_example() {
        // c1: 2024-01-01 10 + 5 (one occasion), a refund of 3 on 01-03 before its purchase
        // of 20 (net 17), a refund-only day 01-04; first occasion seen last.
        let d0 = Day::parse_iso("2024-01-01").unwrap().0;
        let m = |x: i64| x * 1_000_000;
        let mut b = SummaryBuilder::new(None, Collapse::Day);
        for (c, d, a) in [
            ("c1", d0 + 2, -m(3)),
            ("c1", d0 + 2, m(20)),
            ("c1", d0 + 9, m(40)),
            ("c1", d0 + 3, -m(1)),
            ("c1", d0, m(10)),
            ("c1", d0, m(5)),
            ("c2", d0 + 14, m(7)),
            ("c3", d0 + 1, -m(2)),
        ] {
            b.add(c, Day(d), Amount::from_micros(a)).unwrap();
        }
        let s = b.finish().unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.observation_end(), Some(Day(d0 + 14)));
        assert_eq!(s.refund_only_days(), (2, Amount::from_micros(-m(3))));
        let mut rows = Vec::new();
        s.for_each_summary(TimeUnit::Days, |r| {
            rows.push((
                r.customer_id.to_string(),
                r.frequency,
                r.recency,
                r.t,
                r.monetary_value,
            ));
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(
            rows,
            vec![
                ("c1".to_string(), 2, 9.0, 14.0, (17.0 + 40.0) / 2.0),
                ("c2".to_string(), 0, 0.0, 0.0, 0.0),
            ]
        );
    }
}
