//! Complaints, as plain data. This first part is the business-hours SLA clock.
//!
//! - [`sla`]: [`BusinessCalendar`](sla::BusinessCalendar) (time zone, [`WeeklyHours`](sla::WeeklyHours)
//!   with overnight shifts, holidays) and [`Pauses`](sla::Pauses);
//!   `business_duration(start, end)` is correct across daylight-saving changes.
//!
//! **Design.** No I/O and no clock: "now" is always an argument. Instants are
//! `DateTime<Utc>`; wall times belong to a calendar's time zone.

pub mod sla;
