//! `comeback complaints`: responsiveness and volume measures of a complaints file
//! (PRODUCT R7; issue 9 item 5). The measures are `comeback_complaints::measures`; this
//! module reads, checks and prints.
//!
//! Input: a delimited file with a header and the columns `complaint_id, customer_id,
//! received_at, first_response_at, resolved_at, category, compensation` (blank = not yet),
//! optionally `location, employee, severity, channel, reopened_at, satisfied,
//! compensation_type, paused`. Timestamps are ISO 8601; naive ones are wall times in
//! `--timezone`. `paused` lists the intervals the complaint waited for the customer (the SLA
//! clock stopped) as ISO 8601 intervals `START/END` separated by `;`, the last one possibly
//! open (`START/`: still waiting at `--as-of`). `severity` is one of low, medium, high,
//! critical in any case. The file is read by `comeback_complaints::file::read_complaints`,
//! the server's import's reader too: every problem of every row is an error naming the
//! file, line and column (all are printed, up to 100); nothing else is printed then.
//!
//! JSON keys: `n, open, as_of, by_category, first_response_hours {median, p90, n},
//! resolution_hours {median, p90, n}, first_response_sla_met, resolution_sla_met,
//! compensation_total` (the issue's), and `first_response_sla` / `resolution_sla` (the
//! counts behind the shares and the target in hours), `first_response_missing`,
//! `compensated`, `compensation_by_type`, `by_location, by_employee, by_severity,
//! by_channel, by_month`, `reopened, reopen_rate`, `satisfaction {answered, satisfied,
//! share, ci_low, ci_high, confidence}` (Wilson 95 % interval), `iceberg {ratio,
//! silent_dissatisfied, tarp_ratio, tarp_silent_dissatisfied}` and `clock {business_hours,
//! timezone, holidays, locations}` (`business_hours` in `--business-hours` syntax, `null`
//! for 24/7; `locations` is `{}` here and holds the server's per-location calendars).

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, TimeDelta};
use comeback_complaints::file::{ReadOptions, read_complaints};
use comeback_complaints::measures::{
    Calendars, ComplaintMeasures, ComplaintRow, MeasureError, MeasureOptions, TARP_RATIO, measure,
};
use comeback_complaints::parse::{parse_target, parse_timestamp};
use comeback_complaints::sla::{BusinessCalendar, WeeklyHours};
use comeback_ingest::Delimiter;
use comeback_ingest::Tz;
use comeback_voice::stats::wilson;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Flags of `comeback complaints`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Complaints file: one complaint per row, with a header (see `comeback complaints
    /// --help` and the README for the columns).
    pub input: PathBuf,
    /// First-response target, in business time when --business-hours is set: 4h, 90m,
    /// 1h30m.
    #[arg(long, default_value = "4h", value_parser = target, value_name = "DURATION")]
    pub first_response_target: TimeDelta,
    /// Resolution target, in business time when --business-hours is set.
    #[arg(long, default_value = "72h", value_parser = target, value_name = "DURATION")]
    pub resolution_target: TimeDelta,
    /// The moment of the measurement (ISO 8601; naive = --timezone): complaints still
    /// waiting whose target passed before it count as missed. Default: the latest
    /// timestamp in the file.
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// Opening hours, e.g. "Mon-Fri 09:00-17:00; Sat 10:00-14:00" or "22:00-06:00"
    /// (overnight). Without it the clock runs 24/7.
    #[arg(long, value_name = "SPEC")]
    pub business_hours: Option<String>,
    /// IANA time zone of naive timestamps, of the business hours and of the months.
    #[arg(long, default_value = "UTC", value_name = "TZ")]
    pub timezone: Tz,
    /// Holidays: a file with one date (YYYY-MM-DD) per line, optionally followed by
    /// `,name`; a header `date` and lines starting with `#` are skipped. Needs
    /// --business-hours.
    #[arg(long, value_name = "FILE", requires = "business_hours")]
    pub holidays: Option<PathBuf>,
    /// Silent dissatisfied customers estimated per complaint (the iceberg; 10 in source
    /// 004; TARP's 26 is shown beside it).
    #[arg(long, default_value_t = 10.0, value_name = "RATIO")]
    pub iceberg_ratio: f64,
    /// Field separator: auto, comma, semicolon, tab, whitespace, or one character.
    #[arg(long, default_value = "auto")]
    pub delimiter: Delimiter,
    /// Transaction file of the same customers (columns recognised as by `comeback
    /// analyze`; --timezone is its time zone): adds the recovery effect — P(alive) now and
    /// repeat purchases within --repeat-windows days of the complaint, for customers whose
    /// first complaint was resolved quickly, slowly or not at all, vs customers who never
    /// complained (`comeback_analysis::recovery_effect`).
    #[arg(long, value_name = "FILE")]
    pub transactions: Option<PathBuf>,
    /// A complaint is "resolved quickly" when resolved within this time of receipt (business
    /// time with --business-hours). Default: --resolution-target.
    #[arg(long, value_parser = target, value_name = "DURATION", requires = "transactions")]
    pub quick_within: Option<TimeDelta>,
    /// Repeat-purchase windows of the recovery effect, in days.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "90,180",
        value_name = "DAYS",
        requires = "transactions"
    )]
    pub repeat_windows: Vec<u32>,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

fn target(s: &str) -> Result<TimeDelta, String> {
    parse_target(s).map_err(|e| format!("{s:?}: {e}"))
}

/// Reads the holidays file (see [`Args::holidays`]).
fn read_holidays(path: &Path) -> Result<Vec<NaiveDate>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("{name}: cannot read"))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let field = line
            .split([',', ';', '\t'])
            .next()
            .unwrap_or_default()
            .trim();
        if out.is_empty() && field.eq_ignore_ascii_case("date") {
            continue;
        }
        let d = NaiveDate::parse_from_str(field, "%Y-%m-%d").map_err(|_| {
            anyhow::anyhow!(
                "{name}:{}: column 1: cannot parse {field:?} as a date (expected YYYY-MM-DD)",
                i + 1
            )
        })?;
        out.push(d);
    }
    Ok(out)
}

/// Runs `comeback complaints`.
pub fn run(a: Args) -> Result<()> {
    let tz = a.timezone;
    if !(a.iceberg_ratio.is_finite() && a.iceberg_ratio >= 0.0) {
        bail!(
            "--iceberg-ratio must be a number ≥ 0, got {}",
            a.iceberg_ratio
        );
    }
    let as_of = a
        .as_of
        .as_deref()
        .map(|s| parse_timestamp(s, tz).map_err(|e| anyhow::anyhow!("--as-of {s:?}: {e}")))
        .transpose()?;
    let calendar = match &a.business_hours {
        None => BusinessCalendar::always(),
        Some(spec) => {
            let hours = WeeklyHours::parse(spec).context("--business-hours")?;
            let holidays = a.holidays.as_deref().map(read_holidays).transpose()?;
            BusinessCalendar::new(tz, hours, holidays.unwrap_or_default())
        }
    };
    let name = a.input.display().to_string();
    let input = std::fs::File::open(&a.input).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let file = read_complaints(
        input,
        &name,
        &ReadOptions {
            delimiter: a.delimiter,
            timezone: tz,
            clock: None,
        },
    )?;
    let lines: Vec<u64> = file.iter().map(|r| r.line).collect();
    let rows: Vec<ComplaintRow> = file.into_iter().map(|r| r.complaint).collect();
    let options = MeasureOptions {
        first_response_target: a.first_response_target,
        resolution_target: a.resolution_target,
        as_of,
        iceberg_ratio: a.iceberg_ratio,
        month_timezone: tz,
    };
    let m = measure(&rows, &Calendars::single(calendar.clone()), &options).map_err(|e| {
        let line = |i: usize| lines.get(i).copied().unwrap_or_default();
        match &e {
            MeasureError::AsOfTooEarly { index, latest, .. } => anyhow::anyhow!(
                "--as-of {} is before {}:{}'s latest timestamp {latest}",
                a.as_of.as_deref().unwrap_or_default(),
                name,
                line(*index)
            ),
            MeasureError::BeforeReceipt { index, .. }
            | MeasureError::ReopenedUnresolved { index, .. }
            | MeasureError::Pause { index, .. } => {
                anyhow::anyhow!("{name}:{}: {e}", line(*index))
            }
            _ => anyhow::anyhow!("{e}"),
        }
    })?;
    let clock = Clock {
        hours: a
            .business_hours
            .as_ref()
            .map(|_| calendar.hours().to_string()),
        tz,
        holidays: calendar.holidays().count(),
    };
    if a.repeat_windows.is_empty() || a.repeat_windows.contains(&0) {
        bail!(
            "--repeat-windows: each window must be at least 1 day, got {:?}",
            a.repeat_windows
        );
    }
    let effect = match &a.transactions {
        Some(path) => Some(super::complaints_effect::compute(
            path,
            &rows,
            &calendar,
            a.quick_within.unwrap_or(a.resolution_target),
            &a.repeat_windows,
            tz,
        )?),
        None => None,
    };
    let mut out = std::io::stdout().lock();
    if a.json {
        let mut v = to_json(&m, &options, &clock)?;
        if let (Some(e), Value::Object(o)) = (&effect, &mut v) {
            o.insert("recovery_effect".into(), e.to_json());
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        write_text(&mut out, &m, &options, &clock)?;
        if let Some(e) = &effect {
            writeln!(out)?;
            e.write_text(&mut out)?;
        }
    }
    Ok(())
}

struct Clock {
    hours: Option<String>,
    tz: Tz,
    holidays: usize,
}

/// Wilson 95 % interval of the satisfied share: (low, high), `None` without answers.
fn satisfaction_interval(m: &ComplaintMeasures) -> Result<Option<(f64, f64)>> {
    let s = m.satisfaction;
    if s.answered == 0 {
        return Ok(None);
    }
    let e = wilson(s.satisfied, s.answered, 0.95)?;
    Ok(Some((e.ci_low, e.ci_high)))
}

/// The JSON of the measures: the server's function, so that `comeback complaints --json` and
/// `GET /api/v1/complaint-measures` print the same keys and numbers for the same rows.
fn to_json(m: &ComplaintMeasures, o: &MeasureOptions, clock: &Clock) -> Result<Value> {
    Ok(comeback_server::complaint_measures::measures_json(
        m,
        o,
        &comeback_server::complaint_measures::Clock {
            hours: clock.hours.clone(),
            timezone: clock.tz.name().to_owned(),
            holidays: clock.holidays,
            locations: Vec::new(),
        },
    )?)
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".to_string(), |x| format!("{x:.decimals$}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |x| format!("{:.1} %", 100.0 * x))
}

fn duration_label(d: TimeDelta) -> String {
    let m = d.num_minutes();
    match (m / 60, m % 60) {
        (h, 0) => format!("{h}h"),
        (0, mm) => format!("{mm}m"),
        (h, mm) => format!("{h}h{mm}m"),
    }
}

fn write_text(
    out: &mut impl Write,
    m: &ComplaintMeasures,
    o: &MeasureOptions,
    clock: &Clock,
) -> Result<()> {
    writeln!(
        out,
        "Complaints: {} ({} open) as of {}",
        m.n,
        m.open,
        m.as_of.with_timezone(&clock.tz).format("%Y-%m-%d %H:%M %Z")
    )?;
    match &clock.hours {
        None => writeln!(out, "Clock: 24/7 (no business hours)")?,
        Some(h) => writeln!(
            out,
            "Clock: business hours {h} ({}), {} holiday{}",
            clock.tz.name(),
            clock.holidays,
            if clock.holidays == 1 { "" } else { "s" }
        )?,
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<16} {:>5} {:>8} {:>8} {:>7} {:>5} {:>7} {:>9} {:>8}",
        "hours", "n", "median", "p90", "target", "met", "missed", "breached", "SLA met"
    )?;
    for (name, h, s, t) in [
        (
            "first response",
            &m.first_response_hours,
            &m.first_response_sla,
            o.first_response_target,
        ),
        (
            "resolution",
            &m.resolution_hours,
            &m.resolution_sla,
            o.resolution_target,
        ),
    ] {
        writeln!(
            out,
            "{:<16} {:>5} {:>8} {:>8} {:>7} {:>5} {:>7} {:>9} {:>8}",
            name,
            h.n,
            num(h.median, 2),
            num(h.p90, 2),
            duration_label(t),
            s.met,
            s.missed,
            s.waiting_breached,
            pct(s.share)
        )?;
    }
    writeln!(
        out,
        "(breached = still waiting past the target; SLA met = met ÷ (met + missed + breached))"
    )?;
    if m.first_response_missing > 0 {
        writeln!(
            out,
            "{} resolved complaint(s) without a recorded first response are left out of the first-response figures",
            m.first_response_missing
        )?;
    }
    writeln!(out)?;
    let s = m.satisfaction;
    let ci = satisfaction_interval(m)?;
    writeln!(
        out,
        "Compensation total: {} over {} complaint(s)",
        m.compensation_total, m.compensated
    )?;
    for (k, v) in &m.compensation_by_type {
        writeln!(out, "  {k:<20} {:>5}  {}", v.count, v.total)?;
    }
    writeln!(
        out,
        "Reopened: {} of {} resolved ({})",
        m.reopened,
        m.n - m.open,
        pct(m.reopen_rate)
    )?;
    match ci {
        Some((lo, hi)) => writeln!(
            out,
            "Satisfied with the handling: {} of {} answers ({}; 95 % Wilson interval {:.1}–{:.1} %)",
            s.satisfied,
            s.answered,
            pct(s.share),
            100.0 * lo,
            100.0 * hi
        )?,
        None => writeln!(out, "Satisfied with the handling: no answers")?,
    }
    writeln!(
        out,
        "Iceberg: about {} silent dissatisfied customers ({} per complaint; TARP's {}: {})",
        m.iceberg.silent_dissatisfied,
        m.iceberg.ratio,
        TARP_RATIO,
        m.iceberg.tarp_silent_dissatisfied
    )?;
    for (title, map) in [
        ("category", &m.by_category),
        ("location", &m.by_location),
        ("employee", &m.by_employee),
        ("severity", &m.by_severity),
        ("channel", &m.by_channel),
        ("month", &m.by_month),
    ] {
        if map.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(
            out,
            "{:<24} {:>6} {:>7}",
            format!("by {title}"),
            "n",
            "share"
        )?;
        for (k, v) in map {
            writeln!(
                out,
                "{:<24} {:>6} {:>7}",
                k,
                v,
                pct(Some(*v as f64 / m.n as f64))
            )?;
        }
    }
    Ok(())
}
