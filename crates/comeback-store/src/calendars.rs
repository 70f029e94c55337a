//! Complaint responsiveness (issue 9, migration 8): each location's business calendar
//! (opening hours in `comeback_complaints::sla` syntax, holidays, the location's time zone)
//! for the SLA clock, and the breaches found so far, one row per complaint and deadline so
//! that each breach is reported once.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use comeback_complaints::recovery::Severity;
use comeback_complaints::sla::{BusinessCalendar, WeeklyHours};
use sqlx::Row;

use crate::accounts::UserId;
use crate::places::parse_tz;
use crate::store::{BeginWrite, on_pool};
use crate::util::{from_micros, to_micros};
use crate::{Store, StoreError};

/// A location's stored business calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationCalendar {
    /// The location's code.
    pub location: String,
    /// Its IANA time zone.
    pub time_zone: String,
    /// Opening hours (`Mon-Fri 09:00-17:00; Sat 10:00-14:00`), canonical form.
    pub hours: String,
    /// Holidays (local dates), sorted.
    pub holidays: Vec<NaiveDate>,
}

impl LocationCalendar {
    /// The library's calendar of these hours in the location's zone.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for a stored zone or hours that no longer parse.
    pub fn calendar(&self) -> Result<BusinessCalendar, StoreError> {
        let tz = parse_tz(&self.time_zone).map_err(|_| StoreError::Corrupt {
            column: "locations.time_zone",
            value: self.time_zone.clone(),
        })?;
        let hours = WeeklyHours::parse(&self.hours).map_err(|_| StoreError::Corrupt {
            column: "location_calendars.hours",
            value: self.hours.clone(),
        })?;
        Ok(BusinessCalendar::new(
            tz,
            hours,
            self.holidays.iter().copied(),
        ))
    }
}

/// Which deadline a breach is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BreachKind {
    /// No first response (acknowledgement) by the first-response deadline.
    FirstResponse,
    /// Not closed by the resolution deadline.
    Resolution,
}

impl BreachKind {
    /// `first_response` or `resolution`.
    pub fn as_str(self) -> &'static str {
        match self {
            BreachKind::FirstResponse => "first_response",
            BreachKind::Resolution => "resolution",
        }
    }
}

/// A breach found by [`Store::record_breaches`].
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    /// The complaint's reference.
    pub reference: String,
    /// Which deadline passed.
    pub kind: BreachKind,
    /// The deadline.
    pub due: DateTime<Utc>,
    /// When the breach was found.
    pub detected_at: DateTime<Utc>,
    /// The complaint's severity.
    pub severity: Severity,
    /// Its location code.
    pub location: Option<String>,
    /// Its owner.
    pub owner: Option<UserId>,
    /// The customer's external id (`None` for an unidentified or erased one).
    pub customer: Option<String>,
    /// The complaint's status when the breach was found.
    pub status: String,
}

fn holidays_text(days: &[NaiveDate]) -> String {
    days.iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn holidays_from(text: &str) -> Result<Vec<NaiveDate>, StoreError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt {
                column: "location_calendars.holidays",
                value: s.to_owned(),
            })
        })
        .collect()
}

impl Store {
    /// Sets the opening hours and holidays of location `code` (replacing earlier ones).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown location, [`StoreError::Database`].
    pub async fn set_location_calendar(
        &self,
        code: &str,
        hours: &WeeklyHours,
        holidays: &[NaiveDate],
    ) -> Result<LocationCalendar, StoreError> {
        let mut days = holidays.to_vec();
        days.sort_unstable();
        days.dedup();
        let hours_text = hours.to_string();
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar("SELECT id FROM locations WHERE code = $1")
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound { what: "location", key: code.to_owned() })?;
            sqlx::query(
                "INSERT INTO location_calendars (location_id, hours, holidays) VALUES ($1, $2, $3) \
                 ON CONFLICT (location_id) DO UPDATE SET hours = excluded.hours, holidays = excluded.holidays",
            )
            .bind(id)
            .bind(&hours_text)
            .bind(holidays_text(&days))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.location_calendar(code)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "location",
                key: code.to_owned(),
            })
    }

    /// The calendar of location `code`: `None` when it has none (a 24/7 clock).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown location, [`StoreError::Database`],
    /// [`StoreError::Corrupt`].
    pub async fn location_calendar(
        &self,
        code: &str,
    ) -> Result<Option<LocationCalendar>, StoreError> {
        let row: Option<(String, Option<String>, Option<String>)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT l.time_zone, c.hours, c.holidays FROM locations l \
                 LEFT JOIN location_calendars c ON c.location_id = l.id WHERE l.code = $1",
            )
            .bind(code)
            .fetch_optional(p)
            .await?
        });
        let (time_zone, hours, holidays) = row.ok_or_else(|| StoreError::NotFound {
            what: "location",
            key: code.to_owned(),
        })?;
        match hours {
            None => Ok(None),
            Some(hours) => Ok(Some(LocationCalendar {
                location: code.to_owned(),
                time_zone,
                hours,
                holidays: holidays_from(holidays.as_deref().unwrap_or(""))?,
            })),
        }
    }

    /// Every location's calendar, by code (locations without one are absent: 24/7).
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn location_calendars(
        &self,
    ) -> Result<BTreeMap<String, LocationCalendar>, StoreError> {
        let rows: Vec<(String, String, String, String)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT l.code, l.time_zone, c.hours, c.holidays FROM location_calendars c \
                 JOIN locations l ON l.id = c.location_id ORDER BY l.code",
            )
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(location, time_zone, hours, holidays)| {
                Ok((
                    location.clone(),
                    LocationCalendar {
                        location,
                        time_zone,
                        hours,
                        holidays: holidays_from(&holidays)?,
                    },
                ))
            })
            .collect()
    }

    /// Finds the deadlines passed by `now` that were not recorded yet — a complaint still
    /// `received` after its first-response deadline, or not `closed` after its resolution
    /// deadline; a complaint waiting for the customer is skipped (its clock is stopped, and
    /// its deadlines move by the paused time when it resumes) — records each in `complaint_breaches` (one row per complaint and kind, so
    /// a breach is returned once, even by concurrent callers) and returns them, oldest
    /// deadline first.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn record_breaches(&self, now: DateTime<Utc>) -> Result<Vec<Breach>, StoreError> {
        let now_us = to_micros(now);
        let mut out = Vec::new();
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let rows = sqlx::query(
                "SELECT c.id, c.reference, c.first_response_due, c.resolution_due, c.status, \
                 c.severity, l.code, c.owner_user_id, cu.external_id, \
                 EXISTS (SELECT 1 FROM complaint_breaches b WHERE b.complaint_id = c.id AND b.kind = 'first_response'), \
                 EXISTS (SELECT 1 FROM complaint_breaches b WHERE b.complaint_id = c.id AND b.kind = 'resolution') \
                 FROM complaints c JOIN customers cu ON cu.id = c.customer_id \
                 LEFT JOIN locations l ON l.id = c.location_id \
                 WHERE c.waiting_since IS NULL AND ((c.status = 'received' AND c.first_response_due < $1) \
                    OR (c.status <> 'closed' AND c.resolution_due < $1))",
            )
            .bind(now_us)
            .fetch_all(&mut *tx)
            .await?;
            for r in rows {
                let id: i64 = r.try_get(0)?;
                let status: String = r.try_get(4)?;
                let severity: String = r.try_get(5)?;
                let candidates = [
                    (BreachKind::FirstResponse, r.try_get::<Option<i64>, _>(2)?, status == "received", r.try_get::<bool, _>(9)?),
                    (BreachKind::Resolution, r.try_get::<Option<i64>, _>(3)?, status != "closed", r.try_get::<bool, _>(10)?),
                ];
                for (kind, due, applies, recorded) in candidates {
                    let Some(due) = due.filter(|d| *d < now_us) else { continue };
                    if !applies || recorded {
                        continue;
                    }
                    let inserted = sqlx::query(
                        "INSERT INTO complaint_breaches (complaint_id, kind, due, detected_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (complaint_id, kind) DO NOTHING",
                    )
                    .bind(id)
                    .bind(kind.as_str())
                    .bind(due)
                    .bind(now_us)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 1 {
                        out.push(Breach {
                            reference: r.try_get(1)?,
                            kind,
                            due: from_micros("due", due)?,
                            detected_at: now,
                            severity: Severity::parse(&severity).ok_or_else(|| StoreError::Corrupt {
                                column: "severity",
                                value: severity.clone(),
                            })?,
                            location: r.try_get(6)?,
                            owner: r.try_get::<Option<i64>, _>(7)?.map(UserId),
                            customer: r.try_get(8)?,
                            status: status.clone(),
                        });
                    }
                }
            }
            tx.commit().await?;
        });
        out.sort_by(|a, b| (a.due, &a.reference, a.kind).cmp(&(b.due, &b.reference, b.kind)));
        Ok(out)
    }
}
