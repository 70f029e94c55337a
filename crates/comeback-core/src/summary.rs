//! The exact per-customer summary (frequency, recency, T, monetary value) of a purchase log.
//!
//! Definitions (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way", §2; the
//! same as lifetimes' `summary_data_from_transaction_data` with `freq='D'`):
//! - purchases of one customer on the same local calendar day are one *occasion* whose value
//!   is the sum of the day's amounts (`--collapse week|month` uses calendar weeks starting on
//!   Monday or calendar months instead of days: every date is moved to its period's first day);
//! - `frequency` x = number of occasions after the first one (repeat purchases);
//! - `recency` t_x = last occasion − first occasion (0 when x = 0);
//! - `T` = observation end − first occasion (a purchase on the end day counts, so T ≥ t_x ≥ 0);
//! - `monetary_value` = mean value of the repeat occasions, the first occasion excluded
//!   (0 when x = 0), as the Gamma-Gamma model expects (Fader & Hardie 2013, note 025).
//!
//! Times are whole days converted to the chosen [`TimeUnit`] only at the end.
//!
//! Memory: [`TransactionLogBuilder`] keeps one 16-byte [`DayTotal`] per distinct
//! (customer, day) pair plus about 80 bytes per customer (id, hash slot, vector header);
//! rows themselves are never stored.

use crate::{Amount, Day, TimeUnit};
use hashbrown::HashTable;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One customer's purchases on one local day, summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTotal {
    /// The local calendar day.
    pub day: Day,
    /// True when at least one purchase row (amount ≥ 0) fell on the day; false means the day
    /// held only refunds.
    pub has_purchase: bool,
    /// Net amount of the day (purchases plus netted refunds).
    pub amount: Amount,
}

/// One customer's occasions, sorted by day, each day at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerDays {
    /// Days in increasing order.
    pub days: Vec<DayTotal>,
}

/// Days the builder accepts: |day| < 2³⁰ (± 2.9 million years); one bit of the stored day
/// word flags a purchase.
const DAY_LIMIT: i32 = 1 << 30;

/// A stored day: `tag` = 2·day + 1 when a purchase row fell on it (2·day for refunds only),
/// and the exact net amount in micros. 12 bytes.
#[derive(Debug, Clone, Copy)]
#[repr(C, packed(4))]
struct DayRec {
    tag: i32,
    amount: i64,
}

impl DayRec {
    #[inline]
    fn day(self) -> i32 {
        self.tag >> 1
    }

    #[inline]
    fn purchase(self) -> bool {
        self.tag & 1 == 1
    }

    fn total(self) -> DayTotal {
        DayTotal {
            day: Day(self.day()),
            has_purchase: self.purchase(),
            amount: Amount::from_micros(self.amount),
        }
    }

    #[inline]
    fn merge(&mut self, purchase: bool, amount: i64) -> bool {
        let a = self.amount;
        match a.checked_add(amount) {
            Some(s) => {
                self.amount = s;
                self.tag |= i32::from(purchase);
                true
            }
            None => false,
        }
    }
}

/// Capacity after growing a day vector of length `n` (steps of 1.5× or 1.33×, so a
/// customer's unused tail is at most a third of its days): 2, 3, 4, 6, 8, 12, 16, 24, …
#[inline]
fn grown(n: usize) -> usize {
    let m = n + 1;
    if m <= 2 {
        return 2;
    }
    let p = m.next_power_of_two();
    if p / 4 * 3 >= m { p / 4 * 3 } else { p }
}

/// Adds one row to a customer's days (sorted, one record per day); `false` when the day's
/// total would overflow.
#[inline]
fn add_day(days: &mut Vec<DayRec>, day: i32, purchase: bool, amount: i64) -> bool {
    let n = days.len();
    let at = match days.last() {
        None => 0,
        Some(l) if l.day() < day => n,
        Some(l) if l.day() == day => return days[n - 1].merge(purchase, amount),
        Some(_) => match days.binary_search_by_key(&day, |r| r.day()) {
            Ok(i) => return days[i].merge(purchase, amount),
            Err(i) => i,
        },
    };
    if n == days.capacity() {
        days.reserve_exact(grown(n) - n);
    }
    days.insert(
        at,
        DayRec {
            tag: (day << 1) | i32::from(purchase),
            amount,
        },
    );
    true
}

/// Bytes of a customer id kept inline (no heap allocation).
const INLINE: usize = 22;

/// A customer id: up to [`INLINE`] bytes inline, longer ones on the heap. 24 bytes.
#[derive(Debug, Clone)]
enum Key {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Key {
    fn new(b: &[u8]) -> Key {
        if b.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..b.len()].copy_from_slice(b);
            Key::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            Key::Heap(b.into())
        }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, buf } => &buf[..usize::from(*len).min(INLINE)],
            Key::Heap(b) => b,
        }
    }

    /// The id as text (always valid UTF-8: keys are made from `&str`).
    fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// A 64-bit hash of an id (folded multiplication, as in wyhash): every bit depends on every
/// input byte, so shard and bucket bits are independent.
#[inline]
fn hash_id(b: &[u8]) -> u64 {
    const K0: u64 = 0x9E37_79B9_7F4A_7C15;
    const K1: u64 = 0xD6E8_FEB8_6659_FD93;
    #[inline]
    fn fold(a: u64, b: u64) -> u64 {
        let m = u128::from(a) * u128::from(b);
        (m as u64) ^ ((m >> 64) as u64)
    }
    let mut h = (b.len() as u64) ^ K1;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = fold(h ^ u64::from_le_bytes(w), K0);
    }
    let r = chunks.remainder();
    if !r.is_empty() {
        let mut w = [0u8; 8];
        w[..r.len()].copy_from_slice(r);
        h = fold(h ^ u64::from_le_bytes(w), K1);
    }
    fold(h, K0)
}

/// Number of shards: customers are split by hash so that two threads can fill disjoint
/// halves and each table stays small.
const SHARDS: usize = 1 << SHARD_BITS;
const SHARD_BITS: u32 = 6;

/// The shard of a hash: its low bits.
#[inline]
fn shard_of(hash: u64) -> usize {
    (hash as usize) & (SHARDS - 1)
}

/// The hash a shard's table sees: the shard bits dropped from the low end (hashbrown picks
/// the bucket from the low bits), the top 7 bits (hashbrown's tag) kept.
#[inline]
fn table_hash(hash: u64) -> u64 {
    const LOW: u64 = (1 << 57) - 1;
    ((hash >> SHARD_BITS) & LOW) | (hash & !LOW)
}

/// Sort key of a buffered row: shard, then the low 16 bits of its bucket, so that rows
/// reach each table in bucket order and walk it nearly sequentially.
#[inline]
fn sort_key(hash: u64) -> usize {
    (shard_of(hash) << 16) | ((hash >> SHARD_BITS) as usize & 0xFFFF)
}

/// One customer: id and days.
#[derive(Debug, Clone)]
struct Entry {
    key: Key,
    days: Vec<DayRec>,
}

/// A hash table of customers (indices into `entries`, which hold ids and days).
#[derive(Debug, Default, Clone)]
struct Shard {
    index: HashTable<u32>,
    entries: Vec<Entry>,
}

impl Shard {
    /// Adds a row; `false` on overflow of the day's total.
    #[inline]
    fn add(&mut self, hash: u64, id: &[u8], day: i32, purchase: bool, amount: i64) -> bool {
        let Shard { index, entries } = self;
        let hash = table_hash(hash);
        let found = index
            .find(hash, |&i| entries[i as usize].key.as_bytes() == id)
            .copied();
        let i = match found {
            Some(i) => i as usize,
            None => {
                let i = entries.len();
                entries.push(Entry {
                    key: Key::new(id),
                    days: Vec::new(),
                });
                index.insert_unique(hash, i as u32, |&j| {
                    table_hash(hash_id(entries[j as usize].key.as_bytes()))
                });
                i
            }
        };
        add_day(&mut entries[i].days, day, purchase, amount)
    }
}

/// A buffered row (its id in [`Pending::ids`]).
#[derive(Debug, Clone, Copy, Default)]
struct PRow {
    hash: u64,
    amount: i64,
    id_start: u32,
    id_len: u32,
    day: i32,
    purchase: bool,
}

/// Rows waiting to be applied, in batches split by shard.
#[derive(Debug, Default)]
struct Pending {
    ids: Vec<u8>,
    rows: Vec<PRow>,
    sorted: Vec<PRow>,
}

/// Rows per batch.
const BATCH: usize = 1 << 18;
/// Id bytes per batch.
const BATCH_ID_BYTES: usize = 8 << 20;

/// A streaming group-by from rows to per-customer day totals.
///
/// Feed rows in any order with [`add`](Self::add); [`finish`](Self::finish) returns the
/// immutable [`TransactionLog`], customers sorted by id (byte order), and
/// [`finish_compact`](Self::finish_compact) the same data in a compact form for streaming
/// output.
///
/// Rows are buffered in small batches (32 Ki rows), split by a hash of the customer id into
/// 64 shards and applied shard by shard, on [`threads`](Self::threads) threads. While the sum
/// of all |amounts| stays below the exact range no day total can overflow; past that, every
/// row is applied at once so that an overflow is reported by the `add` that causes it.
///
/// Memory: per customer 48 bytes (id of up to 22 bytes inline, day vector header) plus
/// about 9 bytes of hash index, plus 12 bytes per distinct customer-day (vectors grow in
/// steps of at most 25 %, plus the allocator's 8–16 bytes per customer); rows themselves
/// are never stored beyond the current batch (about 1.3 MB).
#[derive(Debug)]
pub struct TransactionLogBuilder {
    shards: Vec<Shard>,
    pending: Pending,
    abs_total: u128,
    threads: usize,
    observation_end: Option<Day>,
    rows_kept: u64,
    rows_after_end: u64,
    refund_rows: u64,
}

impl Default for TransactionLogBuilder {
    fn default() -> Self {
        TransactionLogBuilder::new(None)
    }
}

/// Why a row or an option was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SummaryError {
    /// The calibration end lies after the observation end.
    #[error("calibration end {calibration_end} is after the observation end {observation_end}")]
    CalibrationAfterObservationEnd {
        /// The requested calibration end.
        calibration_end: Day,
        /// The observation end.
        observation_end: Day,
    },
    /// One customer's day total left the exact range (±9.2 × 10¹²).
    #[error("the total of customer \"{customer}\" on {day} overflows (more than 9.2e12)")]
    Overflow {
        /// The customer id.
        customer: String,
        /// The day.
        day: Day,
    },
    /// A day more than 2³⁰ days (± 2.9 million years) away from 1970-01-01.
    #[error("day {} is out of range (more than 2^30 days from 1970-01-01)", .day.0)]
    DayOutOfRange {
        /// The day.
        day: Day,
    },
}

/// Applies sorted rows to `shards` (shard `base + k` is `shards[k]`).
fn apply(shards: &mut [Shard], base: usize, rows: &[PRow], ids: &[u8]) -> Result<(), SummaryError> {
    for r in rows {
        let s = r.id_start as usize;
        let id = &ids[s..s + r.id_len as usize];
        let k = shard_of(r.hash) - base;
        if !shards[k].add(r.hash, id, r.day, r.purchase, r.amount) {
            return Err(SummaryError::Overflow {
                customer: String::from_utf8_lossy(id).into_owned(),
                day: Day(r.day),
            });
        }
    }
    Ok(())
}

impl TransactionLogBuilder {
    /// A builder that ignores (and counts) rows after `observation_end`; `None` keeps all
    /// rows and uses the last purchase day as the observation end.
    pub fn new(observation_end: Option<Day>) -> Self {
        TransactionLogBuilder {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            pending: Pending::default(),
            abs_total: 0,
            threads: 1,
            observation_end,
            rows_kept: 0,
            rows_after_end: 0,
            refund_rows: 0,
        }
    }

    /// Applies batches on `n` threads (1 or 2 are useful; the default is 1). The result does
    /// not depend on it.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.clamp(1, 2);
        self
    }

    /// Adds one row. `customer` is trimmed; amounts < 0 are refunds netted into the same
    /// customer's same day (a day with refunds only is dropped by [`finish`](Self::finish)
    /// and counted). Returns `Ok(false)` when the row lies after the observation end and was
    /// ignored.
    ///
    /// # Errors
    /// [`SummaryError::Overflow`] when the customer's day total leaves the exact range;
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
        let purchase = a >= 0;
        let hash = hash_id(id);
        self.abs_total += u128::from(a.unsigned_abs());
        if self.abs_total > i64::MAX as u128 {
            // Totals may overflow from now on: apply at once so the error names this row.
            self.flush()?;
            if !self.shards[shard_of(hash)].add(hash, id, day.0, purchase, a) {
                return Err(SummaryError::Overflow {
                    customer: customer.trim().to_string(),
                    day,
                });
            }
        } else {
            let p = &mut self.pending;
            p.rows.push(PRow {
                hash,
                amount: a,
                id_start: p.ids.len() as u32,
                id_len: id.len() as u32,
                day: day.0,
                purchase,
            });
            p.ids.extend_from_slice(id);
            if p.rows.len() >= BATCH || p.ids.len() >= BATCH_ID_BYTES {
                self.flush()?;
            }
        }
        if !purchase {
            self.refund_rows += 1;
        }
        self.rows_kept += 1;
        Ok(true)
    }

    /// Applies the buffered rows.
    fn flush(&mut self) -> Result<(), SummaryError> {
        let p = &mut self.pending;
        if p.rows.is_empty() {
            return Ok(());
        }
        // Two-pass LSD radix sort by `sort_key` (22 bits, 11 per pass).
        const DIGITS: usize = 1 << 11;
        let mut c1 = vec![0usize; DIGITS + 1];
        let mut c2 = vec![0usize; DIGITS + 1];
        for r in &p.rows {
            let k = sort_key(r.hash);
            c1[(k & (DIGITS - 1)) + 1] += 1;
            c2[(k >> 11) + 1] += 1;
        }
        for d in 0..DIGITS {
            c1[d + 1] += c1[d];
            c2[d + 1] += c2[d];
        }
        // Shard k's rows start where digit 2 reaches k << 5.
        let bounds: Vec<usize> = (0..=SHARDS).map(|k| c2[(k << 5).min(DIGITS)]).collect();
        p.sorted.clear();
        p.sorted.resize(p.rows.len(), PRow::default());
        for r in &p.rows {
            let d = sort_key(r.hash) & (DIGITS - 1);
            p.sorted[c1[d]] = *r;
            c1[d] += 1;
        }
        for r in &p.sorted {
            let d = sort_key(r.hash) >> 11;
            p.rows[c2[d]] = *r;
            c2[d] += 1;
        }
        std::mem::swap(&mut p.rows, &mut p.sorted);
        let (rows, ids) = (&p.sorted, &p.ids);
        let result = if self.threads > 1 {
            let half = SHARDS / 2;
            let (lo, hi) = self.shards.split_at_mut(half);
            let (rlo, rhi) = rows.split_at(bounds[half]);
            std::thread::scope(|s| {
                let h = s.spawn(|| apply(hi, half, rhi, ids));
                let a = apply(lo, 0, rlo, ids);
                let b = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                a.and(b)
            })
        } else {
            apply(&mut self.shards, 0, rows, ids)
        };
        p.rows.clear();
        p.ids.clear();
        result
    }

    /// Number of distinct customers so far.
    pub fn customer_count(&mut self) -> usize {
        // Buffered rows cannot overflow (see the type's docs), so flushing cannot fail here.
        let _ = self.flush();
        self.shards.iter().map(|s| s.entries.len()).sum()
    }

    /// Merges another builder (e.g. one filled by a second thread) into this one.
    ///
    /// # Errors
    /// [`SummaryError::Overflow`] as for [`add`](Self::add).
    pub fn merge(&mut self, mut other: TransactionLogBuilder) -> Result<(), SummaryError> {
        self.flush()?;
        other.flush()?;
        self.rows_after_end += other.rows_after_end;
        self.rows_kept += other.rows_kept;
        self.refund_rows += other.refund_rows;
        self.abs_total += other.abs_total;
        for (k, shard) in other.shards.into_iter().enumerate() {
            let target = &mut self.shards[k];
            for e in shard.entries {
                let id = e.key.as_bytes();
                let h = hash_id(id);
                for d in e.days {
                    if !target.add(h, id, d.day(), d.purchase(), d.amount) {
                        return Err(SummaryError::Overflow {
                            customer: e.key.as_str().to_string(),
                            day: Day(d.day()),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends the stream in compact form: drops refund-only days (counted), drops customers
    /// left without a purchase, and sorts customers by id. No copy of the days is made.
    pub fn finish_compact(mut self) -> CompactLog {
        // Buffered rows cannot overflow (see the type's docs).
        let _ = self.flush();
        let mut refund_only_days = 0u64;
        let mut refund_only_amount = 0i128;
        let mut last_day: Option<i32> = None;
        let mut len = 0;
        let mut shards: Vec<Vec<Entry>> = Vec::with_capacity(SHARDS);
        for shard in self.shards {
            drop(shard.index);
            let mut entries = shard.entries;
            entries.retain_mut(|e| {
                e.days.retain(|d| {
                    if d.purchase() {
                        true
                    } else {
                        refund_only_days += 1;
                        refund_only_amount += i128::from(d.amount);
                        false
                    }
                });
                if let Some(l) = e.days.last() {
                    last_day = Some(last_day.map_or(l.day(), |m| m.max(l.day())));
                }
                !e.days.is_empty()
            });
            entries.sort_unstable_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
            len += entries.len();
            shards.push(entries);
        }
        CompactLog {
            len,
            shards,
            observation_end: self.observation_end.or(last_day.map(Day)),
            rows_kept: self.rows_kept,
            rows_after_end: self.rows_after_end,
            refund_rows: self.refund_rows,
            refund_only_days,
            refund_only_amount: Amount::from_micros(
                refund_only_amount.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            ),
        }
    }

    /// Ends the stream: drops refund-only days (counted in
    /// [`TransactionLog::refund_only_days`]), drops customers left without a purchase, and
    /// sorts customers by id.
    pub fn finish(self) -> TransactionLog {
        self.finish_compact().into_log()
    }
}

/// Per-customer day totals, customers sorted by id, in compact form (ids inline, 12 bytes
/// per day), produced by [`TransactionLogBuilder::finish_compact`]: what `summarize` streams
/// from without building a [`TransactionLog`].
#[derive(Debug)]
pub struct CompactLog {
    shards: Vec<Vec<Entry>>,
    len: usize,
    observation_end: Option<Day>,
    rows_kept: u64,
    rows_after_end: u64,
    refund_rows: u64,
    refund_only_days: u64,
    refund_only_amount: Amount,
}

/// One customer's summary row as streamed by [`CompactLog::for_each_summary`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SummaryRow<'a> {
    /// The customer id as read, trimmed.
    pub customer_id: &'a str,
    /// x: number of repeat occasions.
    pub frequency: u32,
    /// t_x, in the unit.
    pub recency: f64,
    /// T, in the unit.
    pub t: f64,
    /// Mean value of the repeat occasions (0 when frequency = 0).
    pub monetary_value: f64,
}

impl CompactLog {
    /// Customers in id order: a merge of the shards, each sorted by id.
    fn sorted(&self) -> impl Iterator<Item = &Entry> {
        let mut heap: BinaryHeap<Reverse<(&[u8], usize, usize)>> = self
            .shards
            .iter()
            .enumerate()
            .filter_map(|(k, v)| v.first().map(|e| Reverse((e.key.as_bytes(), k, 0))))
            .collect();
        std::iter::from_fn(move || {
            let Reverse((_, k, i)) = heap.pop()?;
            let shard = &self.shards[k];
            if let Some(next) = shard.get(i + 1) {
                heap.push(Reverse((next.key.as_bytes(), k, i + 1)));
            }
            shard.get(i)
        })
    }

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

    /// Calls `f` with each customer's summary in id order (the same values as
    /// [`TransactionLog::summarize`], without materialising them).
    ///
    /// # Errors
    /// The first error `f` returns.
    pub fn for_each_summary<E>(
        &self,
        opts: &SummaryOptions,
        mut f: impl FnMut(SummaryRow<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let end_p = opts
            .collapse
            .period_start(self.observation_end.unwrap_or_default());
        let mut occ = Vec::new();
        for e in self.sorted() {
            occasions_into(
                e.days.iter().map(|d| (Day(d.day()), d.amount)),
                opts.collapse,
                &mut occ,
            );
            let s = summary_of(&occ, end_p, opts.unit);
            f(SummaryRow {
                customer_id: e.key.as_str(),
                frequency: s.0,
                recency: s.1,
                t: s.2,
                monetary_value: s.3,
            })?;
        }
        Ok(())
    }

    /// The full [`TransactionLog`] (consumes the compact form shard by shard).
    pub fn into_log(self) -> TransactionLog {
        let mut ids = Vec::with_capacity(self.len);
        let mut customers = Vec::with_capacity(self.len);
        for e in self.sorted() {
            ids.push(Box::<str>::from(e.key.as_str()));
            customers.push(CustomerDays {
                days: e.days.iter().map(|d| d.total()).collect(),
            });
        }
        TransactionLog {
            ids,
            customers,
            observation_end: self.observation_end,
            rows_kept: self.rows_kept,
            rows_after_end: self.rows_after_end,
            refund_rows: self.refund_rows,
            refund_only_days: self.refund_only_days,
            refund_only_amount: self.refund_only_amount,
        }
    }
}

/// Occasions (period start, summed micros) of sorted days under `collapse`, into `out`.
fn occasions_into(
    days: impl Iterator<Item = (Day, i64)>,
    collapse: Collapse,
    out: &mut Vec<(Day, i64)>,
) {
    out.clear();
    for (d, a) in days {
        let p = collapse.period_start(d);
        match out.last_mut() {
            Some(last) if last.0 == p => last.1 = last.1.saturating_add(a),
            _ => out.push((p, a)),
        }
    }
}

/// (frequency, recency, T, monetary value) of non-empty occasions.
fn summary_of(occ: &[(Day, i64)], end_p: Day, unit: TimeUnit) -> (u32, f64, f64, f64) {
    let first = occ.first().map_or(end_p, |o| o.0);
    let last = occ.last().map_or(end_p, |o| o.0);
    (
        occ.len().saturating_sub(1) as u32,
        unit.from_days((last.0 - first.0) as i64),
        unit.from_days((end_p.0 - first.0) as i64),
        mean(occ.get(1..).unwrap_or_default()),
    )
}

/// Per-customer day totals, customers sorted by id. Immutable; produced by
/// [`TransactionLogBuilder::finish`].
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionLog {
    ids: Vec<Box<str>>,
    customers: Vec<CustomerDays>,
    observation_end: Option<Day>,
    rows_kept: u64,
    rows_after_end: u64,
    refund_rows: u64,
    refund_only_days: u64,
    refund_only_amount: Amount,
}

/// How occasions are formed from purchases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collapse {
    /// One occasion per local calendar day (the BTYD standard).
    #[default]
    Day,
    /// One occasion per ISO week (Monday–Sunday), dated on its Monday.
    Week,
    /// One occasion per calendar month, dated on its first day.
    Month,
}

impl Collapse {
    /// The first day of the period containing `d`.
    pub fn period_start(self, d: Day) -> Day {
        match self {
            Collapse::Day => d,
            Collapse::Week => d.week_start(),
            Collapse::Month => d.month_start(),
        }
    }

    /// `day`, `week` or `month`.
    pub fn as_str(self) -> &'static str {
        match self {
            Collapse::Day => "day",
            Collapse::Week => "week",
            Collapse::Month => "month",
        }
    }
}

/// Options of [`TransactionLog::summarize`] and [`TransactionLog::calibration_holdout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SummaryOptions {
    /// Unit of recency and T.
    pub unit: TimeUnit,
    /// Occasion period.
    pub collapse: Collapse,
}

/// One customer's summary. Times in the summary's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerSummary {
    /// The customer id as read, trimmed.
    pub customer_id: Box<str>,
    /// First occasion.
    pub first_purchase: Day,
    /// Last occasion.
    pub last_purchase: Day,
    /// x: number of repeat occasions (occasions − 1).
    pub frequency: u32,
    /// t_x: last − first occasion.
    pub recency: f64,
    /// T: observation end − first occasion.
    pub t: f64,
    /// Mean value of the repeat occasions (0 when frequency = 0), in the currency unit.
    pub monetary_value: f64,
}

/// The summary of a whole log.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Unit of recency and T.
    pub unit: TimeUnit,
    /// The observation end used.
    pub observation_end: Day,
    /// One row per customer, sorted by id.
    pub customers: Vec<CustomerSummary>,
}

/// One customer's calibration/holdout summary. Times in the summary's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationHoldout {
    /// The customer id.
    pub customer_id: Box<str>,
    /// First occasion (always within calibration).
    pub first_purchase: Day,
    /// Repeat occasions up to the calibration end.
    pub frequency_cal: u32,
    /// Last calibration occasion − first occasion.
    pub recency_cal: f64,
    /// Calibration end − first occasion.
    pub t_cal: f64,
    /// Mean value of the repeat calibration occasions (0 when none).
    pub monetary_value_cal: f64,
    /// Number of occasions after the calibration end up to the observation end.
    pub frequency_holdout: u32,
    /// Mean value of the holdout occasions (0 when none).
    pub monetary_value_holdout: f64,
    /// Holdout length (observation end − calibration end), the same for every customer.
    pub duration_holdout: f64,
}

/// A calibration/holdout summary of a whole log.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationHoldoutSummary {
    /// Unit of all times.
    pub unit: TimeUnit,
    /// Last day of the calibration period (inclusive).
    pub calibration_end: Day,
    /// Last day of the holdout period (inclusive).
    pub observation_end: Day,
    /// Holdout length in `unit`.
    pub duration_holdout: f64,
    /// One row per customer first seen by the calibration end, sorted by id.
    pub customers: Vec<CalibrationHoldout>,
    /// Customers first seen after the calibration end, left out.
    pub excluded_after_calibration: usize,
}

impl TransactionLog {
    /// Customer ids, sorted.
    pub fn ids(&self) -> &[Box<str>] {
        &self.ids
    }

    /// Day totals, parallel to [`ids`](Self::ids).
    pub fn customers(&self) -> &[CustomerDays] {
        &self.customers
    }

    /// The observation end: the builder's, else the last purchase day (`None` for an empty
    /// log).
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

    /// Refund rows (negative amounts) accepted for netting.
    pub fn refund_rows(&self) -> u64 {
        self.refund_rows
    }

    /// Days that held only refunds (no purchase to net against), dropped, and their net
    /// amount.
    pub fn refund_only_days(&self) -> (u64, Amount) {
        (self.refund_only_days, self.refund_only_amount)
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no customer has a purchase.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Occasions of customer `i` under `collapse`: (period start, summed amount) in order.
    pub fn occasions(&self, i: usize, collapse: Collapse) -> Vec<(Day, Amount)> {
        let mut out: Vec<(Day, Amount)> = Vec::with_capacity(self.customers[i].days.len());
        for d in &self.customers[i].days {
            let p = collapse.period_start(d.day);
            match out.last_mut() {
                Some(last) if last.0 == p => {
                    last.1 = Amount::from_micros(last.1.micros().saturating_add(d.amount.micros()))
                }
                _ => out.push((p, d.amount)),
            }
        }
        out
    }

    /// The summary at the observation end.
    pub fn summarize(&self, opts: &SummaryOptions) -> Summary {
        let end = self.observation_end.unwrap_or_default();
        let end_p = opts.collapse.period_start(end);
        let unit = opts.unit;
        let mut occ = Vec::new();
        let customers = (0..self.len())
            .map(|i| {
                let days = &self.customers[i].days;
                occasions_into(
                    days.iter().map(|d| (d.day, d.amount.micros())),
                    opts.collapse,
                    &mut occ,
                );
                let (frequency, recency, t, monetary_value) = summary_of(&occ, end_p, unit);
                CustomerSummary {
                    customer_id: self.ids[i].clone(),
                    first_purchase: days.first().map_or(end, |d| d.day),
                    last_purchase: days.last().map_or(end, |d| d.day),
                    frequency,
                    recency,
                    t,
                    monetary_value,
                }
            })
            .collect();
        Summary {
            unit,
            observation_end: end,
            customers,
        }
    }

    /// The calibration/holdout split at `calibration_end` (inclusive in calibration).
    ///
    /// # Errors
    /// [`SummaryError::CalibrationAfterObservationEnd`].
    pub fn calibration_holdout(
        &self,
        calibration_end: Day,
        opts: &SummaryOptions,
    ) -> Result<CalibrationHoldoutSummary, SummaryError> {
        let end = self.observation_end.unwrap_or(calibration_end);
        if calibration_end > end {
            return Err(SummaryError::CalibrationAfterObservationEnd {
                calibration_end,
                observation_end: end,
            });
        }
        let unit = opts.unit;
        let cal_p = opts.collapse.period_start(calibration_end);
        let end_p = opts.collapse.period_start(end);
        let duration_holdout = unit.from_days((end_p.0 - cal_p.0) as i64);
        let mut excluded = 0;
        let mut customers = Vec::with_capacity(self.len());
        for i in 0..self.len() {
            let occ = self.occasions(i, opts.collapse);
            let first = occ[0].0;
            if first > cal_p {
                excluded += 1;
                continue;
            }
            let n_cal = occ.partition_point(|o| o.0 <= cal_p);
            let (cal, hold) = occ.split_at(n_cal);
            customers.push(CalibrationHoldout {
                customer_id: self.ids[i].clone(),
                first_purchase: self.customers[i].days[0].day,
                frequency_cal: (n_cal - 1) as u32,
                recency_cal: unit.from_days((cal[n_cal - 1].0.0 - first.0) as i64),
                t_cal: unit.from_days((cal_p.0 - first.0) as i64),
                monetary_value_cal: mean_amounts(&cal[1..]),
                frequency_holdout: hold.len() as u32,
                monetary_value_holdout: mean_amounts(hold),
                duration_holdout,
            });
        }
        Ok(CalibrationHoldoutSummary {
            unit,
            calibration_end,
            observation_end: end,
            duration_holdout,
            customers,
            excluded_after_calibration: excluded,
        })
    }
}

/// Mean amount of the occasions in currency units (0 for none), from the exact integer sum.
fn mean(occ: &[(Day, i64)]) -> f64 {
    mean_of(occ.iter().map(|o| o.1), occ.len())
}

/// As [`mean`], for occasions with [`Amount`]s.
fn mean_amounts(occ: &[(Day, Amount)]) -> f64 {
    mean_of(occ.iter().map(|o| o.1.micros()), occ.len())
}

fn mean_of(micros: impl Iterator<Item = i64>, n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let s: i128 = micros.map(i128::from).sum();
    s as f64 / (Amount::SCALE as f64 * n as f64)
}

/// Appends `x` exactly as Rust's `{}` prints an `f64` (shortest round-trip digits, plain
/// decimal notation, `-0`, `NaN`, `inf`), using `ryu` for the common case.
pub fn push_real(out: &mut String, x: f64) {
    if x.is_finite() {
        let mut b = ryu::Buffer::new();
        let s = b.format_finite(x);
        if !s.contains('e') {
            out.push_str(s.strip_suffix(".0").unwrap_or(s));
            return;
        }
    }
    use std::fmt::Write;
    let _ = write!(out, "{x}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn display(x: f64) -> String {
        let mut s = String::new();
        push_real(&mut s, x);
        s
    }

    proptest! {
        #[test]
        fn push_real_equals_display_bits(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(display(x), x.to_string());
        }

        #[test]
        fn push_real_equals_display_ratios(num in -10_000_000_000i64..10_000_000_000, den in 1i64..100_000) {
            let x = num as f64 / den as f64;
            prop_assert_eq!(display(x), x.to_string());
            let w = num as f64 / 7.0 / 365.25 * 12.0;
            prop_assert_eq!(display(w), w.to_string());
        }
    }

    #[test]
    fn push_real_edges() {
        for x in [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e-5,
            1e-7,
            123.456,
            1e15,
            1e16,
            1e17,
            1e21,
            1e300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(display(x), x.to_string());
        }
    }

    #[test]
    fn growth_steps_are_small() {
        let mut n = 0;
        while n < 100_000 {
            let g = grown(n);
            assert!(g > n && g <= n * 3 / 2 + 2, "{n} -> {g}");
            n = g;
        }
    }

    #[test]
    fn long_ids_and_order() {
        let mut b = TransactionLogBuilder::new(None).threads(2);
        let long = "x".repeat(40);
        for (c, d) in [("b", 3), (long.as_str(), 1), ("a", 2), ("b", 1), ("a", 2)] {
            b.add(c, Day(d), Amount::from_micros(1)).unwrap();
        }
        let log = b.finish();
        let ids: Vec<&str> = log.ids().iter().map(|s| s.as_ref()).collect();
        assert_eq!(ids, ["a", "b", long.as_str()]);
        assert_eq!(log.customers()[0].days.len(), 1);
        assert_eq!(log.customers()[0].days[0].amount, Amount::from_micros(2));
        assert_eq!(log.customers()[1].days.len(), 2);
    }
}
