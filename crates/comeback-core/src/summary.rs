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
use rustc_hash::FxHashMap;

/// One customer's purchases on one local day, summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTotal {
    /// The local calendar day.
    pub day: Day,
    /// Number of purchase rows (amount ≥ 0) that day; 0 means the day holds only refunds.
    pub purchase_rows: u32,
    /// Net amount of the day (purchases plus netted refunds).
    pub amount: Amount,
}

/// One customer's occasions, sorted by day, each day at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerDays {
    /// Days in increasing order.
    pub days: Vec<DayTotal>,
}

impl CustomerDays {
    fn add(&mut self, day: Day, amount: Amount, is_purchase: bool) -> bool {
        let inc = u32::from(is_purchase);
        match self.days.last_mut() {
            Some(last) if last.day == day => return merge(last, amount, inc),
            Some(last) if last.day < day => {}
            None => {}
            Some(_) => {
                return match self.days.binary_search_by_key(&day, |d| d.day) {
                    Ok(i) => merge(&mut self.days[i], amount, inc),
                    Err(i) => {
                        self.days.insert(
                            i,
                            DayTotal {
                                day,
                                purchase_rows: inc,
                                amount,
                            },
                        );
                        true
                    }
                };
            }
        }
        self.days.push(DayTotal {
            day,
            purchase_rows: inc,
            amount,
        });
        true
    }
}

fn merge(d: &mut DayTotal, amount: Amount, inc: u32) -> bool {
    match d.amount.checked_add(amount) {
        Some(a) => {
            d.amount = a;
            d.purchase_rows += inc;
            true
        }
        None => false,
    }
}

/// A streaming group-by from rows to per-customer day totals.
///
/// Feed rows in any order with [`add`](Self::add); [`finish`](Self::finish) returns the
/// immutable [`TransactionLog`], customers sorted by id (byte order).
#[derive(Debug, Default)]
pub struct TransactionLogBuilder {
    index: FxHashMap<Box<str>, u32>,
    customers: Vec<CustomerDays>,
    observation_end: Option<Day>,
    rows_kept: u64,
    rows_after_end: u64,
    refund_rows: u64,
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
}

impl TransactionLogBuilder {
    /// A builder that ignores (and counts) rows after `observation_end`; `None` keeps all
    /// rows and uses the last purchase day as the observation end.
    pub fn new(observation_end: Option<Day>) -> Self {
        TransactionLogBuilder {
            observation_end,
            ..Default::default()
        }
    }

    /// Adds one row. `customer` is trimmed; amounts < 0 are refunds netted into the same
    /// customer's same day (a day with refunds only is dropped by [`finish`](Self::finish)
    /// and counted). Returns `Ok(false)` when the row lies after the observation end and was
    /// ignored.
    ///
    /// # Errors
    /// [`SummaryError::Overflow`] when the customer's day total leaves the exact range.
    pub fn add(&mut self, customer: &str, day: Day, amount: Amount) -> Result<bool, SummaryError> {
        if self.observation_end.is_some_and(|end| day > end) {
            self.rows_after_end += 1;
            return Ok(false);
        }
        let customer = customer.trim();
        let idx = match self.index.get(customer) {
            Some(&i) => i as usize,
            None => {
                let i = self.customers.len();
                self.index.insert(customer.into(), i as u32);
                self.customers.push(CustomerDays::default());
                i
            }
        };
        let is_purchase = !amount.is_negative();
        if !is_purchase {
            self.refund_rows += 1;
        }
        if !self.customers[idx].add(day, amount, is_purchase) {
            return Err(SummaryError::Overflow {
                customer: customer.to_string(),
                day,
            });
        }
        self.rows_kept += 1;
        Ok(true)
    }

    /// Number of distinct customers so far.
    pub fn customer_count(&self) -> usize {
        self.customers.len()
    }

    /// Merges another builder (e.g. one filled by a second thread) into this one.
    ///
    /// # Errors
    /// [`SummaryError::Overflow`] as for [`add`](Self::add).
    pub fn merge(&mut self, other: TransactionLogBuilder) -> Result<(), SummaryError> {
        self.rows_after_end += other.rows_after_end;
        self.rows_kept += other.rows_kept;
        self.refund_rows += other.refund_rows;
        let mut slots: Vec<Option<CustomerDays>> = other.customers.into_iter().map(Some).collect();
        for (id, i) in other.index {
            let days = slots[i as usize].take().unwrap_or_default();
            match self.index.get(&id) {
                Some(&j) => {
                    let target = &mut self.customers[j as usize];
                    for d in days.days {
                        let ok = target.add(d.day, d.amount, true);
                        if !ok {
                            return Err(SummaryError::Overflow {
                                customer: id.to_string(),
                                day: d.day,
                            });
                        }
                        // `add` counted one purchase row; restore the true count.
                        if let Ok(k) = target.days.binary_search_by_key(&d.day, |x| x.day) {
                            target.days[k].purchase_rows =
                                target.days[k].purchase_rows - 1 + d.purchase_rows;
                        }
                    }
                }
                None => {
                    let j = self.customers.len() as u32;
                    self.index.insert(id, j);
                    self.customers.push(days);
                }
            }
        }
        Ok(())
    }

    /// Ends the stream: drops refund-only days (counted in
    /// [`TransactionLog::refund_only_days`]), drops customers left without a purchase, and
    /// sorts customers by id.
    pub fn finish(self) -> TransactionLog {
        let mut refund_only_days = 0u64;
        let mut refund_only_amount = 0i128;
        let mut pairs: Vec<(Box<str>, CustomerDays)> = Vec::with_capacity(self.index.len());
        let mut slots: Vec<Option<CustomerDays>> = self.customers.into_iter().map(Some).collect();
        for (id, i) in self.index {
            let mut cd = slots[i as usize].take().unwrap_or_default();
            cd.days.retain(|d| {
                if d.purchase_rows == 0 {
                    refund_only_days += 1;
                    refund_only_amount += d.amount.micros() as i128;
                    false
                } else {
                    true
                }
            });
            if !cd.days.is_empty() {
                pairs.push((id, cd));
            }
        }
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let last_day = pairs
            .iter()
            .filter_map(|(_, c)| c.days.last().map(|d| d.day))
            .max();
        let (ids, customers) = pairs.into_iter().unzip();
        TransactionLog {
            ids,
            customers,
            observation_end: self.observation_end.or(last_day),
            rows_kept: self.rows_kept,
            rows_after_end: self.rows_after_end,
            refund_rows: self.refund_rows,
            refund_only_days,
            refund_only_amount: Amount::from_micros(
                refund_only_amount.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            ),
        }
    }
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
        let customers = (0..self.len())
            .map(|i| {
                let occ = self.occasions(i, opts.collapse);
                let first = occ[0].0;
                let last = occ[occ.len() - 1].0;
                let frequency = (occ.len() - 1) as u32;
                CustomerSummary {
                    customer_id: self.ids[i].clone(),
                    first_purchase: self.customers[i].days[0].day,
                    last_purchase: self.customers[i].days[self.customers[i].days.len() - 1].day,
                    frequency,
                    recency: unit.from_days((last.0 - first.0) as i64),
                    t: unit.from_days((end_p.0 - first.0) as i64),
                    monetary_value: mean(&occ[1..]),
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
                monetary_value_cal: mean(&cal[1..]),
                frequency_holdout: hold.len() as u32,
                monetary_value_holdout: mean(hold),
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
fn mean(occ: &[(Day, Amount)]) -> f64 {
    if occ.is_empty() {
        return 0.0;
    }
    let s: i128 = occ.iter().map(|o| o.1.micros() as i128).sum();
    s as f64 / (Amount::SCALE as f64 * occ.len() as f64)
}
