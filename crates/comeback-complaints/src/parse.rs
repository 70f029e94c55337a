//! Field parsers for complaint files and flags: ISO 8601 timestamps (naive ones in a given
//! time zone), SLA targets (`4h`, `90m`, `1h30m`) and compensation values (exact decimals).
//!
//! Each returns a [`FieldError`] that says what was expected; the caller adds the file,
//! line and column.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use comeback_core::Amount;

/// Why a field did not parse: the expectation, ready to follow `cannot parse "x" as ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{expected}")]
pub struct FieldError {
    /// What was expected (or why the value is refused).
    pub expected: String,
}

fn field_error(expected: impl Into<String>) -> FieldError {
    FieldError {
        expected: expected.into(),
    }
}

const NAIVE_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
];

const OFFSET_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M%#z",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M%#z",
];

/// Parses an ISO 8601 timestamp: `2026-03-01T09:30`, `2026-03-01 09:30:00`,
/// `2026-03-01T09:30:00.250Z`, `2026-03-01T09:30:00+02:00` (or `+0200`, `+02`). A timestamp
/// without an offset is a wall time in `tz`.
///
/// ```
/// use comeback_complaints::parse::parse_timestamp;
/// let t = parse_timestamp("2026-03-29T04:30", chrono_tz::Europe::Helsinki).unwrap();
/// assert_eq!(t.to_rfc3339(), "2026-03-29T01:30:00+00:00"); // EEST, UTC+3
/// // 03:30 that morning does not exist (03:00 → 04:00): an error asks for the offset.
/// assert!(parse_timestamp("2026-03-29T03:30", chrono_tz::Europe::Helsinki).is_err());
/// ```
///
/// # Errors
/// [`FieldError`] for another format, for a wall time that does not exist in `tz` (a
/// spring-forward gap) and for one that occurs twice (a fall-back overlap): those need an
/// explicit offset.
pub fn parse_timestamp(s: &str, tz: Tz) -> Result<DateTime<Utc>, FieldError> {
    let s = s.trim();
    let expected = || {
        field_error(
            "expected an ISO 8601 timestamp such as 2026-03-01T09:30, 2026-03-01 09:30:00 or 2026-03-01T09:30:00+02:00",
        )
    };
    // `Z` is UTC; chrono's lenient offset parser wants digits.
    let with_offset = match s.strip_suffix(['Z', 'z']) {
        Some(rest) => Some(format!("{rest}+00:00")),
        None => {
            // An offset follows the time: a `+` or a `-` after the `T`/blank.
            let time = s.get(10..).unwrap_or("");
            time.contains(['+', '-']).then(|| s.to_string())
        }
    };
    if let Some(v) = with_offset {
        for f in OFFSET_FORMATS {
            if let Ok(t) = DateTime::<FixedOffset>::parse_from_str(&v, f) {
                return Ok(t.with_timezone(&Utc));
            }
        }
        return Err(expected());
    }
    let naive = NAIVE_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(expected)?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Err(field_error(format!(
            "the wall time occurs twice in {tz} (daylight saving time ends): write its offset, {} or {}",
            a.format("%:z"),
            b.format("%:z")
        ))),
        LocalResult::None => Err(field_error(format!(
            "the wall time does not exist in {tz} (the clocks jump forward): write its offset"
        ))),
    }
}

/// Parses an SLA target: hours and minutes as `4h`, `72h`, `90m`, `1h30m` or `4.5h`
/// (business time when business hours are set). Zero is refused.
///
/// ```
/// use comeback_complaints::parse::parse_target;
/// use chrono::TimeDelta;
/// assert_eq!(parse_target("1h30m").unwrap(), TimeDelta::minutes(90));
/// assert_eq!(parse_target("4.5h").unwrap(), TimeDelta::minutes(270));
/// ```
///
/// # Errors
/// [`FieldError`] for anything else (a bare number is refused: its unit would be a guess).
pub fn parse_target(s: &str) -> Result<TimeDelta, FieldError> {
    let expected =
        || field_error("expected a duration in hours and minutes such as 4h, 72h, 90m or 1h30m");
    let s = s.trim();
    let mut total_ms: f64 = 0.0;
    let mut rest = s;
    let mut seen_h = false;
    let mut seen_m = false;
    if rest.is_empty() {
        return Err(expected());
    }
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(expected)?;
        let (num, tail) = rest.split_at(end);
        let unit = tail.chars().next().ok_or_else(expected)?;
        let ok_num = !num.is_empty()
            && num.bytes().filter(|&b| b == b'.').count() <= 1
            && num.bytes().any(|b| b.is_ascii_digit());
        if !ok_num {
            return Err(expected());
        }
        let v: f64 = num.parse().map_err(|_| expected())?;
        match unit {
            'h' | 'H' if !seen_h && !seen_m => {
                seen_h = true;
                total_ms += v * 3_600_000.0;
            }
            'm' | 'M' if !seen_m => {
                seen_m = true;
                total_ms += v * 60_000.0;
            }
            _ => return Err(expected()),
        }
        rest = &tail[1..];
    }
    if !(total_ms.is_finite() && total_ms > 0.0 && total_ms < 1e15) {
        return Err(field_error(
            "expected a positive duration such as 4h (a target of zero is always missed)",
        ));
    }
    Ok(TimeDelta::milliseconds(total_ms.round() as i64))
}

/// Parses a compensation value in the business currency: a non-negative plain decimal
/// (`12.50`, `0`), at most 6 decimals, exact. `0` is compensation of no monetary value
/// (an apology, a gesture).
///
/// # Errors
/// [`FieldError`] for signs, currency symbols, exponents, grouping marks, more than 6
/// decimals or values beyond ±9.2 × 10¹².
pub fn parse_compensation(s: &str) -> Result<Amount, FieldError> {
    let expected = || {
        field_error(
            "expected a non-negative amount in the business currency with a decimal point, such as 12.50",
        )
    };
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (int.is_empty() && s.starts_with('.') && frac.is_empty())
    {
        return Err(expected());
    }
    if frac.len() > 6 {
        return Err(field_error("expected at most 6 decimals"));
    }
    let int_v: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| expected())?
    };
    let mut frac_v: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| expected())?
    };
    for _ in frac.len()..6 {
        frac_v *= 10;
    }
    int_v
        .checked_mul(Amount::SCALE)
        .and_then(|m| m.checked_add(frac_v))
        .map(Amount::from_micros)
        .ok_or_else(expected)
}

/// Parses a yes/no answer (`satisfied`): `yes`/`no`, `true`/`false`, `1`/`0`, `y`/`n`
/// (case-insensitive).
///
/// # Errors
/// [`FieldError`] for anything else.
pub fn parse_yes_no(s: &str) -> Result<bool, FieldError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" => Ok(false),
        _ => Err(field_error("expected yes or no (also true/false, 1/0)")),
    }
}

/// A wait for the customer: start and end (`None`: still waiting).
pub type Pause = (DateTime<Utc>, Option<DateTime<Utc>>);

/// Parses a `paused` cell: ISO 8601 intervals `START/END` separated by `;`, the last one
/// possibly open (`START/`); empty = never paused. Each end point is read as
/// [`parse_timestamp`] reads it. The order rules (after receipt, in order, not
/// overlapping) are [`crate::measures::pause_problem`]'s.
///
/// ```
/// use comeback_complaints::parse::parse_pauses;
/// let p = parse_pauses("2026-03-06T16:00Z/2026-03-10T11:00Z; 2026-03-11T09:00Z/", chrono_tz::UTC).unwrap();
/// assert_eq!(p.len(), 2);
/// assert!(p[1].1.is_none()); // still waiting
/// ```
///
/// # Errors
/// [`FieldError`] for an interval without `/` or an end point that is no timestamp.
pub fn parse_pauses(s: &str, tz: Tz) -> Result<Vec<Pause>, FieldError> {
    let expected = |why: String| {
        field_error(format!(
            "intervals START/END separated by ';', the last one possibly open (START/): {why}"
        ))
    };
    let mut out = Vec::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part
            .split_once('/')
            .ok_or_else(|| expected(format!("{part:?} has no '/'")))?;
        let a = parse_timestamp(a.trim(), tz).map_err(|e| expected(e.expected))?;
        let b = match b.trim() {
            "" => None,
            b => Some(parse_timestamp(b, tz).map_err(|e| expected(e.expected))?),
        };
        out.push((a, b));
    }
    Ok(out)
}
