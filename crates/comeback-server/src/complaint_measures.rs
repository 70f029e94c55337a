//! Complaint measures of the stored complaints (issue 9 item 5), the same numbers as `comeback
//! complaints --json` on the same data: both hand `comeback_complaints::measures::measure`
//! the same rows and print them with [`measures_json`] (the CLI calls this function too).
//!
//! A stored complaint becomes a row of the CLI's file ([`rows`], [`export_csv`]):
//! `first_response_at` is its first acknowledgement, `resolved_at` its first closure,
//! `reopened_at` its first reopening after that closure, `compensation` the value of the
//! last compensation step (zero for a non-monetary one; empty while none was decided),
//! `compensation_type` its kind, `satisfied` the last follow-up's answer; `customer_id` is
//! `unidentified:REFERENCE` for an unidentified or erased customer (the CLI needs one).

use chrono::{DateTime, Utc};
use comeback_complaints::measures::{
    ComplaintMeasures, ComplaintRow, HoursSummary, MeasureOptions, SlaShare,
};
use comeback_complaints::recovery::{Action, Status};
use comeback_core::Amount;
use comeback_store::Complaint;
use serde_json::{Map, Value, json};

use crate::dashboard::csv_text;

/// The clock the measures were taken on, for the `clock` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// The opening hours (`None`: 24/7).
    pub hours: Option<String>,
    /// The IANA time zone of the hours and the months.
    pub timezone: String,
    /// The number of holidays.
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
/// timezone, holidays}`. Hours are real numbers; `null` where there is nothing to measure.
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
        },
    }))
}

/// A stored complaint as a row of the CLI's complaints file (see the module documentation).
pub fn row(c: &Complaint) -> ComplaintRow {
    let first_response_at = c
        .history
        .iter()
        .find(|e| matches!(e.action, Action::Acknowledge { .. }))
        .map(|e| e.at);
    let closed = c
        .history
        .iter()
        .position(|e| e.to == Status::Closed && matches!(e.action, Action::Close { .. }));
    let resolved_at = closed.map(|i| c.history[i].at);
    let reopened_at = closed.and_then(|i| {
        c.history[i..]
            .iter()
            .find(|e| matches!(e.action, Action::Reopen { .. }))
            .map(|e| e.at)
    });
    let last_compensation = c.history.iter().rev().find_map(|e| match &e.action {
        Action::Compensate { compensation } => Some(compensation.clone()),
        _ => None,
    });
    let satisfied = c.history.iter().rev().find_map(|e| match &e.action {
        Action::FollowUp { satisfied, .. } => Some(*satisfied),
        _ => None,
    });
    ComplaintRow {
        complaint_id: c.reference.clone(),
        customer_id: c
            .customer
            .clone()
            .unwrap_or_else(|| format!("unidentified:{}", c.reference)),
        received_at: c.received_at,
        first_response_at,
        resolved_at,
        category: c.category.as_str().to_owned(),
        compensation: last_compensation
            .as_ref()
            .map(|k| k.value().unwrap_or(Amount::from_micros(0))),
        location: c.location.clone(),
        employee: c.employee.clone(),
        severity: Some(c.severity.as_str().to_owned()),
        channel: Some(c.channel.as_str().to_owned()),
        reopened_at,
        satisfied,
        compensation_type: last_compensation.map(|k| k.kind().as_str().to_owned()),
    }
}

/// Every stored complaint as a row.
pub fn rows(complaints: &[Complaint]) -> Vec<ComplaintRow> {
    complaints.iter().map(row).collect()
}

fn ts(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// The rows as the CLI's complaints file (all fourteen columns, UTC timestamps in RFC
/// 3339, `yes`/`no`, exact amounts), readable by `comeback complaints`. Free-text cells
/// that a spreadsheet would evaluate get a leading `'` ([`crate::dashboard::csv_text`]).
pub fn export_csv(rows: &[ComplaintRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "complaint_id",
        "customer_id",
        "received_at",
        "first_response_at",
        "resolved_at",
        "category",
        "compensation",
        "location",
        "employee",
        "severity",
        "channel",
        "reopened_at",
        "satisfied",
        "compensation_type",
    ]);
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
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
