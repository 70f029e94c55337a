//! Complaint measures of the stored complaints (issue 9 item 5), the same numbers as `comeback
//! complaints --json` on the same data: both hand `comeback_complaints::measures::measure`
//! the same rows and print them with [`measures_json`] (the CLI calls this function too).
//!
//! A stored complaint becomes a row of the CLI's file ([`rows`], [`export_csv`]):
//! `first_response_at` is its first acknowledgement, `resolved_at` its first closure,
//! `reopened_at` its first reopening after that closure, `compensation` the value of the
//! last compensation step (zero for a non-monetary one; empty while none was decided),
//! `compensation_type` its kind, `satisfied` the last follow-up's answer, `paused` its
//! waits for the customer (`wait_for_customer` to `resume`, the last one open while it
//! still waits: `comeback_complaints::recovery::pause_intervals`); `customer_id` is
//! `unidentified:REFERENCE` for an unidentified or erased customer (the CLI needs one).

use chrono::{DateTime, Utc};
use comeback_complaints::file::{OPTIONAL_COLUMNS, REQUIRED_COLUMNS};
use comeback_complaints::measures::{
    ComplaintMeasures, ComplaintRow, HoursSummary, MeasureOptions, SlaShare,
};
use comeback_complaints::recovery::{Action, Status};
use comeback_core::Amount;
use comeback_store::Complaint;
use serde_json::{Map, Value, json};

use crate::dashboard::csv_text;

/// The clock the measures were taken on, for the `clock` key: the default calendar (the
/// CLI's only one; on the server the 24/7 clock of complaints without a location calendar)
/// and the per-location calendars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// The default opening hours in `--business-hours` syntax (`None`: 24/7).
    pub hours: Option<String>,
    /// The IANA time zone of the default hours and of the months.
    pub timezone: String,
    /// The number of holidays of the default calendar.
    pub holidays: usize,
    /// The calendars of locations that have one, by location code (the CLI has none).
    pub locations: Vec<LocationClock>,
}

/// A location's calendar in the `clock.locations` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationClock {
    /// The location's code.
    pub code: String,
    /// Opening hours in `--business-hours` syntax.
    pub hours: String,
    /// The location's IANA time zone.
    pub timezone: String,
    /// Its number of holidays.
    pub holidays: usize,
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |x| json!(x))
}

fn hours_json(h: &HoursSummary) -> Value {
    json!({"median": opt(h.median), "p90": opt(h.p90), "n": h.n})
}

fn target_hours(d: chrono::TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 3.6e6
}

fn sla_json(s: &SlaShare, target: chrono::TimeDelta) -> Value {
    json!({
        "target_hours": target_hours(target),
        "met": s.met,
        "missed": s.missed,
        "waiting_breached": s.waiting_breached,
        "waiting_within": s.waiting_within,
        "share": opt(s.share),
    })
}

fn counts(m: &std::collections::BTreeMap<String, u64>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect::<Map<_, _>>(),
    )
}

/// The JSON of `comeback complaints --json`: `n, open, as_of, by_category,
/// first_response_hours {median, p90, n}, resolution_hours, first_response_sla_met,
/// resolution_sla_met, compensation_total, first_response_sla / resolution_sla {target_hours,
/// met, missed, waiting_breached, waiting_within, share}, first_response_missing,
/// compensated, compensation_by_type, by_location, by_employee, by_severity, by_channel,
/// by_month, reopened, reopen_rate, satisfaction {answered, satisfied, share, ci_low,
/// ci_high, confidence} (Wilson 95 % interval, Wilson 1927), iceberg {ratio,
/// silent_dissatisfied, tarp_ratio, tarp_silent_dissatisfied}, clock {business_hours,
/// timezone, holidays, locations}`. `clock.business_hours` is always one specification in
/// the syntax of `--business-hours` (`Mon-Fri 09:00-17:00; Sat 10:00-14:00`), or `null` for
/// a 24/7 clock: the CLI's calendar, or on the server the default clock of complaints whose
/// location has no calendar (24/7). Per-location calendars are
/// `clock.locations {CODE: {business_hours, timezone, holidays}}` (`{}` in the CLI). Hours are real numbers; `null` where there is nothing to measure.
///
/// # Errors
/// The Wilson interval's error (not reachable for counts the measures produce).
pub fn measures_json(
    m: &ComplaintMeasures,
    o: &MeasureOptions,
    clock: &Clock,
) -> Result<Value, comeback_voice::VoiceError> {
    let s = m.satisfaction;
    let ci = if s.answered == 0 {
        None
    } else {
        let e = comeback_voice::stats::wilson(s.satisfied, s.answered, 0.95)?;
        Some((e.ci_low, e.ci_high))
    };
    let by_type: Map<String, Value> = m
        .compensation_by_type
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                json!({"count": v.count, "total": v.total.to_f64()}),
            )
        })
        .collect();
    Ok(json!({
        "n": m.n,
        "open": m.open,
        "as_of": m.as_of.to_rfc3339(),
        "by_category": counts(&m.by_category),
        "first_response_hours": hours_json(&m.first_response_hours),
        "resolution_hours": hours_json(&m.resolution_hours),
        "first_response_sla_met": opt(m.first_response_sla.share),
        "resolution_sla_met": opt(m.resolution_sla.share),
        "compensation_total": m.compensation_total.to_f64(),
        "first_response_sla": sla_json(&m.first_response_sla, o.first_response_target),
        "resolution_sla": sla_json(&m.resolution_sla, o.resolution_target),
        "first_response_missing": m.first_response_missing,
        "compensated": m.compensated,
        "compensation_by_type": by_type,
        "by_location": counts(&m.by_location),
        "by_employee": counts(&m.by_employee),
        "by_severity": counts(&m.by_severity),
        "by_channel": counts(&m.by_channel),
        "by_month": counts(&m.by_month),
        "reopened": m.reopened,
        "reopen_rate": opt(m.reopen_rate),
        "satisfaction": {
            "answered": m.satisfaction.answered,
            "satisfied": m.satisfaction.satisfied,
            "share": opt(m.satisfaction.share),
            "ci_low": opt(ci.map(|c| c.0)),
            "ci_high": opt(ci.map(|c| c.1)),
            "confidence": 0.95,
        },
        "iceberg": {
            "ratio": m.iceberg.ratio,
            "silent_dissatisfied": m.iceberg.silent_dissatisfied,
            "tarp_ratio": m.iceberg.tarp_ratio,
            "tarp_silent_dissatisfied": m.iceberg.tarp_silent_dissatisfied,
        },
        "clock": {
            "business_hours": clock.hours,
            "timezone": clock.timezone,
            "holidays": clock.holidays,
            "locations": clock.locations.iter().map(|l| (l.code.clone(), json!({
                "business_hours": l.hours,
                "timezone": l.timezone,
                "holidays": l.holidays,
            }))).collect::<Map<_, _>>(),
        },
    }))
}

/// A stored complaint as a row of the CLI's complaints file (see the module documentation).
///
/// The history is read in order: an `import` event sets every field to what the imported
/// file says (its complaint id, times, category, compensation, location, employee,
/// severity, channel and answer, as written); after it, the first acknowledgement sets the
/// first response and the first closure the resolution when still unset, the first
/// reopening after a resolution the reopening, and the last compensation and follow-up
/// their fields.
pub fn row(c: &Complaint) -> ComplaintRow {
    let mut r = ComplaintRow {
        complaint_id: c.reference.clone(),
        customer_id: c
            .customer
            .clone()
            .unwrap_or_else(|| format!("unidentified:{}", c.reference)),
        received_at: c.received_at,
        first_response_at: None,
        resolved_at: None,
        category: c.category.as_str().to_owned(),
        compensation: None,
        location: c.location.clone(),
        employee: c.employee.clone(),
        severity: Some(c.severity.as_str().to_owned()),
        channel: Some(c.channel.as_str().to_owned()),
        reopened_at: None,
        satisfied: None,
        compensation_type: None,
        paused: comeback_complaints::recovery::pause_intervals(
            c.history.iter().map(|e| (e.at, &e.action)),
        ),
    };
    for e in &c.history {
        match &e.action {
            Action::Import { imported: i } => {
                r.complaint_id.clone_from(&i.external_id);
                r.first_response_at = i.first_response_at;
                r.resolved_at = i.resolved_at;
                r.reopened_at = i.reopened_at;
                r.category.clone_from(&i.category);
                r.compensation = i.compensation;
                r.compensation_type.clone_from(&i.compensation_type);
                r.location.clone_from(&i.location);
                r.employee.clone_from(&i.employee);
                r.severity.clone_from(&i.severity);
                r.channel.clone_from(&i.channel);
                r.satisfied = i.satisfied;
            }
            Action::Acknowledge { .. } if r.first_response_at.is_none() => {
                r.first_response_at = Some(e.at);
            }
            Action::Close { .. } if e.to == Status::Closed && r.resolved_at.is_none() => {
                r.resolved_at = Some(e.at);
            }
            Action::Reopen { .. } if r.resolved_at.is_some() && r.reopened_at.is_none() => {
                r.reopened_at = Some(e.at);
            }
            Action::Compensate { compensation: k } => {
                r.compensation = Some(k.value().unwrap_or(Amount::from_micros(0)));
                r.compensation_type = Some(k.kind().as_str().to_owned());
            }
            Action::FollowUp { satisfied, .. } => r.satisfied = Some(*satisfied),
            _ => {}
        }
    }
    r
}

/// Every stored complaint as a row.
pub fn rows(complaints: &[Complaint]) -> Vec<ComplaintRow> {
    complaints.iter().map(row).collect()
}

fn ts(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// The `paused` cell: ISO 8601 intervals `START/END` separated by `;`, an open one `START/`.
fn pauses_cell(p: &[(DateTime<Utc>, Option<DateTime<Utc>>)]) -> String {
    p.iter()
        .map(|&(a, b)| format!("{}/{}", ts(Some(a)), ts(b)))
        .collect::<Vec<_>>()
        .join(";")
}

/// The rows as the CLI's complaints file (all fifteen columns, UTC timestamps in RFC
/// 3339, `yes`/`no`, exact amounts), readable by `comeback complaints`. Free-text cells
/// that a spreadsheet would evaluate get a leading `'` ([`crate::dashboard::csv_text`]).
pub fn export_csv(rows: &[ComplaintRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(REQUIRED_COLUMNS.iter().chain(&OPTIONAL_COLUMNS));
    for r in rows {
        let _ = w.write_record([
            r.complaint_id.clone(),
            csv_text(&r.customer_id),
            ts(Some(r.received_at)),
            ts(r.first_response_at),
            ts(r.resolved_at),
            csv_text(&r.category),
            r.compensation.map(|a| a.to_string()).unwrap_or_default(),
            csv_text(r.location.as_deref().unwrap_or_default()),
            csv_text(r.employee.as_deref().unwrap_or_default()),
            r.severity.clone().unwrap_or_default(),
            csv_text(r.channel.as_deref().unwrap_or_default()),
            ts(r.reopened_at),
            r.satisfied
                .map(|s| if s { "yes" } else { "no" }.to_owned())
                .unwrap_or_default(),
            r.compensation_type.clone().unwrap_or_default(),
            pauses_cell(&r.paused),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
