//! Complaint measures: volume, first-response and resolution times against SLA targets,
//! compensation, reopen rate, satisfaction with complaint handling and the iceberg of
//! silent dissatisfied customers.
//!
//! # Definitions
//! - **Times** are business hours from `received_at` on the complaint's
//!   [`BusinessCalendar`] (24/7 without business hours), as real numbers, with the clock
//!   stopped while the complaint waited for the customer ([`ComplaintRow::paused`], through
//!   [`BusinessCalendar::business_duration_paused`]; a pause still open counts up to
//!   `as_of`).
//! - **Percentiles** are Hyndman & Fan (1996) type 7, the default of R and NumPy: for the
//!   sorted times x₁ ≤ … ≤ xₙ and probability p, h = (n − 1)p, and the percentile is
//!   x₍⌊h⌋+1₎ + (h − ⌊h⌋)(x₍⌊h⌋+2₎ − x₍⌊h⌋+1₎) (1-based). `None` without times.
//! - **SLA share** = met ÷ (complaints with a time + complaints still waiting whose target
//!   passed before `as_of`); a time is met when it is at most the target. "Still waiting"
//!   for a first response means neither a first response nor a resolution; a complaint
//!   resolved without a recorded first response is left out of the first-response measures
//!   and counted in [`ComplaintMeasures::first_response_missing`]. `None` when the
//!   denominator is zero.
//! - **Reopen rate** = complaints with `reopened_at` ÷ resolved complaints.
//! - **Satisfaction with complaint handling** (ISO 10002:2018 §8.3, monitoring the
//!   complainant's satisfaction) = satisfied ÷ those who answered.
//! - **Iceberg**: "for every complaint there are at least ten other customers with the same
//!   criticism" (PRODUCT R7, source 004): silent dissatisfied customers ≈ complaints ×
//!   ratio (default 10). The figure of 26 silent customers per complaint commonly
//!   attributed to TARP (Technical Assistance Research Programs) is shown as the
//!   alternative.

use crate::sla::{BusinessCalendar, Pauses};
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use chrono_tz::Tz;
use comeback_core::Amount;
use std::collections::BTreeMap;

/// The default iceberg ratio: silent dissatisfied customers per complaint (source 004).
pub const ICEBERG_RATIO: f64 = 10.0;
/// TARP's ratio: 26 silent dissatisfied customers per complaint.
pub const TARP_RATIO: f64 = 26.0;

/// One complaint as the measures need it (a row of `COMPLAINTS.csv`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ComplaintRow {
    /// The complaint's reference.
    pub complaint_id: String,
    /// The customer's id.
    pub customer_id: String,
    /// When the complaint was received.
    pub received_at: DateTime<Utc>,
    /// First response to the customer (`None`: not yet).
    pub first_response_at: Option<DateTime<Utc>>,
    /// Resolution (`None`: open).
    pub resolved_at: Option<DateTime<Utc>>,
    /// The category as written (trimmed).
    pub category: String,
    /// Compensation value in the business currency (`None`: not yet decided; zero: a
    /// non-monetary gesture or none).
    pub compensation: Option<Amount>,
    /// Location (its calendar is looked up by this name).
    pub location: Option<String>,
    /// Employee involved.
    pub employee: Option<String>,
    /// Severity as written.
    pub severity: Option<String>,
    /// Channel (email, phone, web, ...).
    pub channel: Option<String>,
    /// When the complaint was reopened (`None`: never).
    pub reopened_at: Option<DateTime<Utc>>,
    /// The complainant's answer to "are you satisfied with how we handled your complaint?"
    /// (`None`: not asked or no answer).
    pub satisfied: Option<bool>,
    /// Kind of compensation (refund, discount, gift, free service, none).
    pub compensation_type: Option<String>,
    /// Intervals spent waiting for the customer (the SLA clock stopped), in order and not
    /// overlapping; the last one may be open (`None`: still waiting at `as_of`).
    pub paused: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
}

impl ComplaintRow {
    /// The latest timestamp of the row.
    pub fn latest(&self) -> DateTime<Utc> {
        [self.first_response_at, self.resolved_at, self.reopened_at]
            .into_iter()
            .flatten()
            .chain(
                self.paused
                    .iter()
                    .flat_map(|&(a, b)| [Some(a), b])
                    .flatten(),
            )
            .fold(self.received_at, DateTime::max)
    }

    /// The pauses as the SLA clock takes them, an open one ending at `as_of`.
    pub fn pauses(&self, as_of: DateTime<Utc>) -> Pauses {
        let mut p = Pauses::none();
        for &(a, b) in &self.paused {
            // Checked by `measure`: a pause never ends before it starts.
            let _ = p.add(a, b.unwrap_or(as_of).max(a));
        }
        p
    }
}

/// Per-location calendars, with a default for other locations and rows without one.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendars {
    /// The calendar of rows whose location has none of its own.
    pub default: BusinessCalendar,
    /// Calendars by location name (as written in the file, trimmed).
    pub by_location: BTreeMap<String, BusinessCalendar>,
}

impl Calendars {
    /// One calendar for every location.
    pub fn single(calendar: BusinessCalendar) -> Calendars {
        Calendars {
            default: calendar,
            by_location: BTreeMap::new(),
        }
    }

    /// The calendar of a row's location.
    pub fn for_location(&self, location: Option<&str>) -> &BusinessCalendar {
        location
            .and_then(|l| self.by_location.get(l))
            .unwrap_or(&self.default)
    }
}

/// Options of [`measure`].
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureOptions {
    /// First-response target (business time). Default 4 hours.
    pub first_response_target: TimeDelta,
    /// Resolution target (business time). Default 72 hours.
    pub resolution_target: TimeDelta,
    /// The moment of the measurement (`None`: the latest timestamp of the complaints).
    pub as_of: Option<DateTime<Utc>>,
    /// Silent dissatisfied customers per complaint. Default [`ICEBERG_RATIO`].
    pub iceberg_ratio: f64,
    /// Time zone of the months in [`ComplaintMeasures::by_month`]. Default UTC.
    pub month_timezone: Tz,
}

impl Default for MeasureOptions {
    fn default() -> Self {
        MeasureOptions {
            first_response_target: TimeDelta::hours(4),
            resolution_target: TimeDelta::hours(72),
            as_of: None,
            iceberg_ratio: ICEBERG_RATIO,
            month_timezone: Tz::UTC,
        }
    }
}

/// The first pause of `paused` that breaks the order rules — starting before `received_at`,
/// ending before it starts, starting before the previous one ends, or open (no end) while
/// not the last — as its index and the reason; `None` when they all hold. [`measure`] and
/// the complaints file reader ([`crate::file`]) apply the same rules.
pub fn pause_problem(
    received_at: DateTime<Utc>,
    paused: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
) -> Option<(usize, &'static str)> {
    let mut previous_end = Some(received_at);
    for (k, &(a, b)) in paused.iter().enumerate() {
        let reason = if a < received_at {
            Some("starts before received_at")
        } else if b.is_some_and(|b| b < a) {
            Some("ends before it starts")
        } else if previous_end.is_some_and(|p| a < p) && k > 0 {
            Some("starts before the previous pause ends")
        } else if b.is_none() && k + 1 < paused.len() {
            Some("is open (no end) but is not the last pause")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Some((k, reason));
        }
        previous_end = b;
    }
    None
}

/// Why the measures cannot be computed. Indices are 0-based positions in the input slice.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    /// A timestamp before the complaint was received.
    #[error("complaint {complaint_id:?}: {field} ({at}) is before received_at ({received})")]
    BeforeReceipt {
        /// Position in the input.
        index: usize,
        /// The complaint's reference.
        complaint_id: String,
        /// `first_response_at`, `resolved_at` or `reopened_at`.
        field: &'static str,
        /// The offending timestamp (RFC 3339).
        at: String,
        /// The receipt (RFC 3339).
        received: String,
    },
    /// A complaint reopened without having been resolved.
    #[error("complaint {complaint_id:?}: reopened_at is set but resolved_at is empty")]
    ReopenedUnresolved {
        /// Position in the input.
        index: usize,
        /// The complaint's reference.
        complaint_id: String,
    },
    /// `as_of` before a timestamp of the data.
    #[error("as-of {as_of} is before complaint {complaint_id:?}'s latest timestamp {latest}")]
    AsOfTooEarly {
        /// Position in the input.
        index: usize,
        /// The complaint's reference.
        complaint_id: String,
        /// The as-of instant (RFC 3339).
        as_of: String,
        /// The complaint's latest timestamp (RFC 3339).
        latest: String,
    },
    /// A pause before receipt, ending before it starts, overlapping the previous one, or
    /// open while not the last.
    #[error("complaint {complaint_id:?}: pause {start}/{end}: {reason}")]
    Pause {
        /// Position in the input.
        index: usize,
        /// The complaint's reference.
        complaint_id: String,
        /// The pause's start (RFC 3339).
        start: String,
        /// The pause's end (RFC 3339; empty when open).
        end: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An iceberg ratio that is not a finite non-negative number.
    #[error("iceberg ratio must be a finite number ≥ 0, got {0}")]
    Ratio(f64),
    /// The compensation total overflows the amount type.
    #[error("the compensation total overflows (more than 9.2 × 10^12 in the business currency)")]
    Overflow,
}

/// Median and 90th percentile of a time measure, in hours.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HoursSummary {
    /// Complaints with a time.
    pub n: u64,
    /// Median (type 7); `None` when `n = 0`.
    pub median: Option<f64>,
    /// 90th percentile (type 7); `None` when `n = 0`.
    pub p90: Option<f64>,
}

/// Share of complaints that met a target.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SlaShare {
    /// Complaints whose time is at most the target.
    pub met: u64,
    /// Complaints with a time above the target.
    pub missed: u64,
    /// Complaints still waiting whose target passed before as-of (breached).
    pub waiting_breached: u64,
    /// Complaints still waiting within their target (not counted).
    pub waiting_within: u64,
    /// met ÷ (met + missed + waiting_breached); `None` when that is zero.
    pub share: Option<f64>,
}

/// Answers to the satisfaction question.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Satisfaction {
    /// Complainants who answered.
    pub answered: u64,
    /// Of them, satisfied.
    pub satisfied: u64,
    /// satisfied ÷ answered; `None` without answers.
    pub share: Option<f64>,
}

/// The iceberg estimate of silent dissatisfied customers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Iceberg {
    /// The ratio used (silent per complaint).
    pub ratio: f64,
    /// complaints × ratio.
    pub silent_dissatisfied: f64,
    /// TARP's ratio, [`TARP_RATIO`].
    pub tarp_ratio: f64,
    /// complaints × TARP's ratio.
    pub tarp_silent_dissatisfied: f64,
}

/// Count and total compensation of one compensation type.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CompensationByType {
    /// Complaints with this type.
    pub count: u64,
    /// Their compensation total (exact).
    pub total: Amount,
}

/// The measures of a set of complaints (see the module documentation).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ComplaintMeasures {
    /// Complaints.
    pub n: u64,
    /// Complaints not resolved.
    pub open: u64,
    /// The instant the measures refer to.
    pub as_of: DateTime<Utc>,
    /// Complaints by category (as written, trimmed).
    pub by_category: BTreeMap<String, u64>,
    /// Complaints by location (rows without one are left out).
    pub by_location: BTreeMap<String, u64>,
    /// Complaints by employee involved (rows without one are left out).
    pub by_employee: BTreeMap<String, u64>,
    /// Complaints by severity (rows without one are left out).
    pub by_severity: BTreeMap<String, u64>,
    /// Complaints by channel (rows without one are left out).
    pub by_channel: BTreeMap<String, u64>,
    /// Complaints by month received (`YYYY-MM` in the month time zone).
    pub by_month: BTreeMap<String, u64>,
    /// First-response times (business hours).
    pub first_response_hours: HoursSummary,
    /// Resolution times (business hours).
    pub resolution_hours: HoursSummary,
    /// First-response SLA.
    pub first_response_sla: SlaShare,
    /// Resolution SLA.
    pub resolution_sla: SlaShare,
    /// Resolved complaints without a recorded first response.
    pub first_response_missing: u64,
    /// Sum of the compensation values (exact).
    pub compensation_total: Amount,
    /// Complaints with a compensation value.
    pub compensated: u64,
    /// Compensation by type (rows with a type).
    pub compensation_by_type: BTreeMap<String, CompensationByType>,
    /// Complaints reopened.
    pub reopened: u64,
    /// reopened ÷ resolved; `None` when nothing is resolved.
    pub reopen_rate: Option<f64>,
    /// Satisfaction with complaint handling.
    pub satisfaction: Satisfaction,
    /// The iceberg of silent dissatisfied customers.
    pub iceberg: Iceberg,
}

/// The type-7 percentile of sorted `x` (Hyndman & Fan 1996, definition 7):
/// h = (n − 1)p, x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋ + 1] − x[⌊h⌋]) with 0-based x. `None` when empty.
pub fn percentile_type7(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

fn hours(d: TimeDelta) -> f64 {
    // Whole seconds plus nanoseconds, so that sub-second timestamps are exact to 1 ns.
    d.num_seconds() as f64 / 3600.0 + f64::from(d.subsec_nanos()) / 3.6e12
}

fn summarize(mut v: Vec<f64>) -> HoursSummary {
    v.sort_by(f64::total_cmp);
    HoursSummary {
        n: v.len() as u64,
        median: percentile_type7(&v, 0.5),
        p90: percentile_type7(&v, 0.9),
    }
}

fn share(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn count(map: &mut BTreeMap<String, u64>, key: Option<&str>) {
    if let Some(k) = key.map(str::trim).filter(|k| !k.is_empty()) {
        *map.entry(k.to_string()).or_default() += 1;
    }
}

/// Computes the measures of `rows`.
///
/// # Errors
/// [`MeasureError::BeforeReceipt`] when a first response, resolution or reopening precedes
/// receipt, [`MeasureError::ReopenedUnresolved`], [`MeasureError::AsOfTooEarly`] when
/// `as_of` precedes a timestamp, [`MeasureError::Ratio`] and [`MeasureError::Overflow`].
pub fn measure(
    rows: &[ComplaintRow],
    calendars: &Calendars,
    options: &MeasureOptions,
) -> Result<ComplaintMeasures, MeasureError> {
    if !(options.iceberg_ratio.is_finite() && options.iceberg_ratio >= 0.0) {
        return Err(MeasureError::Ratio(options.iceberg_ratio));
    }
    for (index, r) in rows.iter().enumerate() {
        for (field, t) in [
            ("first_response_at", r.first_response_at),
            ("resolved_at", r.resolved_at),
            ("reopened_at", r.reopened_at),
        ] {
            if let Some(t) = t.filter(|&t| t < r.received_at) {
                return Err(MeasureError::BeforeReceipt {
                    index,
                    complaint_id: r.complaint_id.clone(),
                    field,
                    at: t.to_rfc3339(),
                    received: r.received_at.to_rfc3339(),
                });
            }
        }
        if let Some((k, reason)) = pause_problem(r.received_at, &r.paused) {
            let (a, b) = r.paused[k];
            return Err(MeasureError::Pause {
                index,
                complaint_id: r.complaint_id.clone(),
                start: a.to_rfc3339(),
                end: b.map(|b| b.to_rfc3339()).unwrap_or_default(),
                reason,
            });
        }
        if r.reopened_at.is_some() && r.resolved_at.is_none() {
            return Err(MeasureError::ReopenedUnresolved {
                index,
                complaint_id: r.complaint_id.clone(),
            });
        }
    }
    let latest = rows.iter().map(ComplaintRow::latest).max();
    let as_of = match options.as_of {
        Some(a) => {
            if let Some((index, r)) = rows.iter().enumerate().find(|(_, r)| r.latest() > a) {
                return Err(MeasureError::AsOfTooEarly {
                    index,
                    complaint_id: r.complaint_id.clone(),
                    as_of: a.to_rfc3339(),
                    latest: r.latest().to_rfc3339(),
                });
            }
            a
        }
        None => latest.unwrap_or_default(),
    };
    let mut m = ComplaintMeasures {
        n: rows.len() as u64,
        as_of,
        ..ComplaintMeasures::default()
    };
    let mut fr = Vec::new();
    let mut res = Vec::new();
    let mut resolved = 0u64;
    for r in rows {
        let cal = calendars.for_location(r.location.as_deref());
        let pauses = r.pauses(as_of);
        let dur = |t: DateTime<Utc>| cal.business_duration_paused(r.received_at, t, &pauses);
        count(&mut m.by_category, Some(&r.category));
        count(&mut m.by_location, r.location.as_deref());
        count(&mut m.by_employee, r.employee.as_deref());
        count(&mut m.by_severity, r.severity.as_deref());
        count(&mut m.by_channel, r.channel.as_deref());
        let local = r.received_at.with_timezone(&options.month_timezone);
        count(
            &mut m.by_month,
            Some(&format!("{:04}-{:02}", local.year(), local.month())),
        );
        // First response.
        match r.first_response_at {
            Some(t) => {
                let d = dur(t);
                fr.push(hours(d));
                tally(
                    &mut m.first_response_sla,
                    d <= options.first_response_target,
                );
            }
            None if r.resolved_at.is_some() => m.first_response_missing += 1,
            None => wait(
                &mut m.first_response_sla,
                dur(as_of) > options.first_response_target,
            ),
        }
        // Resolution.
        match r.resolved_at {
            Some(t) => {
                resolved += 1;
                let d = dur(t);
                res.push(hours(d));
                tally(&mut m.resolution_sla, d <= options.resolution_target);
            }
            None => {
                m.open += 1;
                wait(
                    &mut m.resolution_sla,
                    dur(as_of) > options.resolution_target,
                );
            }
        }
        if let Some(c) = r.compensation {
            m.compensated += 1;
            m.compensation_total = m
                .compensation_total
                .checked_add(c)
                .ok_or(MeasureError::Overflow)?;
        }
        if let Some(k) = r
            .compensation_type
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            let e = m.compensation_by_type.entry(k.to_string()).or_default();
            e.count += 1;
            e.total = e
                .total
                .checked_add(r.compensation.unwrap_or_default())
                .ok_or(MeasureError::Overflow)?;
        }
        if r.reopened_at.is_some() {
            m.reopened += 1;
        }
        if let Some(s) = r.satisfied {
            m.satisfaction.answered += 1;
            m.satisfaction.satisfied += u64::from(s);
        }
    }
    m.first_response_hours = summarize(fr);
    m.resolution_hours = summarize(res);
    for s in [&mut m.first_response_sla, &mut m.resolution_sla] {
        s.share = share(s.met, s.met + s.missed + s.waiting_breached);
    }
    m.reopen_rate = share(m.reopened, resolved);
    m.satisfaction.share = share(m.satisfaction.satisfied, m.satisfaction.answered);
    let n = m.n as f64;
    m.iceberg = Iceberg {
        ratio: options.iceberg_ratio,
        silent_dissatisfied: n * options.iceberg_ratio,
        tarp_ratio: TARP_RATIO,
        tarp_silent_dissatisfied: n * TARP_RATIO,
    };
    Ok(m)
}

fn tally(s: &mut SlaShare, met: bool) {
    if met {
        s.met += 1;
    } else {
        s.missed += 1;
    }
}

fn wait(s: &mut SlaShare, breached: bool) {
    if breached {
        s.waiting_breached += 1;
    } else {
        s.waiting_within += 1;
    }
}
