//! Complaints, as plain data: the business-hours SLA clock, the complaint measures, and
//! the ISO 10002 record with the five-step recovery.
//!
//! - [`sla`]: [`BusinessCalendar`](sla::BusinessCalendar) (time zone, [`WeeklyHours`](sla::WeeklyHours)
//!   with overnight shifts, holidays) and [`Pauses`](sla::Pauses);
//!   `business_duration(start, end)` is correct across daylight-saving changes.
//! - [`measures`]: [`measure`](measures::measure) turns [`ComplaintRow`](measures::ComplaintRow)s
//!   into volumes, first-response and resolution times (type-7 percentiles), SLA shares,
//!   compensation, reopen rate, satisfaction and the iceberg estimate.
//! - [`recovery`]: [`ComplaintRecord`](recovery::ComplaintRecord) (the ISO 10002 §7 record
//!   with an append-only history) and the five-step recovery as a state machine
//!   (acknowledged → action taken → empathy shown → compensated → followed up → closed,
//!   escalation and reopening; invalid transitions refused).
//! - [`parse`]: field parsers (ISO 8601 timestamps, SLA targets, compensation values,
//!   pause intervals).
//! - [`file`](mod@file): the complaints file, read into checked [`FileRow`](file::FileRow)s with
//!   every problem named by file, line and column — the one reader of `comeback
//!   complaints` and of the server's import.
//!
//! ```
//! use comeback_complaints::measures::{Calendars, ComplaintRow, MeasureOptions, measure};
//! use comeback_complaints::sla::BusinessCalendar;
//! use chrono::{TimeZone, Utc};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let at = |h| Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap();
//! let rows = vec![ComplaintRow {
//!     complaint_id: "C1".into(),
//!     customer_id: "A".into(),
//!     received_at: at(9),
//!     first_response_at: Some(at(11)),
//!     category: "quality".into(),
//!     ..ComplaintRow::default()
//! }];
//! let cal = Calendars::single(BusinessCalendar::always());
//! let m = measure(&rows, &cal, &MeasureOptions::default())?;
//! assert_eq!(m.first_response_hours.median, Some(2.0));
//! assert_eq!(m.open, 1);
//! # Ok(()) }
//! ```
//!
//! **Design.** No I/O and no clock: "now" is always an argument (`as_of`). Instants are
//! `DateTime<Utc>`; wall times belong to a calendar's time zone; money is exact
//! ([`comeback_core::Amount`], millionths of the business currency).

pub mod file;
pub mod measures;
pub mod parse;
pub mod recovery;
pub mod sla;
