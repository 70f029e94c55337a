//! Dates and timestamps → business-local calendar days.
//!
//! The hot path (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, `YYYYMMDD`) is parsed by hand without
//! allocation; everything else goes through chrono. The hand-written path is property-tested
//! against chrono (`tests/it/dates.rs`).

use chrono::format::{Fixed, Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _};
use chrono_tz::Tz;
use comeback_core::Day;

/// How the date column is written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DateFormat {
    /// Recognise the format from the first data row and keep it for the whole file: an ISO
    /// 8601 date (`%Y-%m-%d`), an ISO 8601 timestamp (`T` or space separator, optional
    /// seconds, fractional seconds, `Z` or `±HH:MM` offset), or `%Y%m%d`. Day and month order
    /// is never guessed: `03/04/2024` is rejected in this mode.
    #[default]
    Auto,
    /// A chrono strftime format such as `%d.%m.%Y` or `%m/%d/%Y %H:%M`. With an offset
    /// specifier (`%z`, `%:z`) the value is a timestamp with an offset.
    Strftime(String),
}

impl DateFormat {
    /// A strftime format (`"%Y%m%d"`); `"auto"` gives [`DateFormat::Auto`].
    pub fn new(format: &str) -> DateFormat {
        if format.eq_ignore_ascii_case("auto") {
            DateFormat::Auto
        } else {
            DateFormat::Strftime(format.to_string())
        }
    }
}

impl std::str::FromStr for DateFormat {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(DateFormat::new(s))
    }
}

impl std::fmt::Display for DateFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateFormat::Auto => f.write_str("auto"),
            DateFormat::Strftime(s) => f.write_str(s),
        }
    }
}

/// The shapes the automatic mode recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AutoKind {
    IsoDate,
    IsoTimestamp,
    Compact,
}

impl AutoKind {
    fn describe(self) -> &'static str {
        match self {
            AutoKind::IsoDate => "%Y-%m-%d",
            AutoKind::IsoTimestamp => "ISO 8601 timestamp, e.g. %Y-%m-%dT%H:%M:%S%:z",
            AutoKind::Compact => "%Y%m%d",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fast {
    None,
    IsoDate,
    IsoDateTime,
    Compact,
}

#[derive(Debug, Clone)]
enum Mode {
    Auto(Option<AutoKind>),
    Strftime {
        format: String,
        has_offset: bool,
        fast: Fast,
    },
}

/// Parses one column of dates into [`Day`]s. Cheap to call per row; holds the format.
#[derive(Debug, Clone)]
pub(crate) struct DateParser {
    mode: Mode,
    tz: Option<Tz>,
}

impl DateParser {
    /// Validates a strftime format.
    pub(crate) fn new(format: &DateFormat, tz: Option<Tz>) -> Result<DateParser, String> {
        let mode = match format {
            DateFormat::Auto => Mode::Auto(None),
            DateFormat::Strftime(f) => {
                let mut has_offset = false;
                let mut has_date = false;
                for item in StrftimeItems::new(f) {
                    match item {
                        Item::Error => return Err(format!("invalid date format {f:?}")),
                        Item::Fixed(
                            Fixed::TimezoneOffset
                            | Fixed::TimezoneOffsetColon
                            | Fixed::TimezoneOffsetDoubleColon
                            | Fixed::TimezoneOffsetTripleColon
                            | Fixed::TimezoneOffsetColonZ
                            | Fixed::TimezoneOffsetZ
                            | Fixed::RFC3339
                            | Fixed::RFC2822,
                        ) => {
                            has_offset = true;
                            has_date = true;
                        }
                        Item::Numeric(_, _) | Item::Fixed(_) => has_date = true,
                        _ => {}
                    }
                }
                if !has_date {
                    return Err(format!("date format {f:?} contains no date fields"));
                }
                let fast = match f.as_str() {
                    "%Y-%m-%d" => Fast::IsoDate,
                    "%Y-%m-%d %H:%M:%S" => Fast::IsoDateTime,
                    "%Y%m%d" => Fast::Compact,
                    _ => Fast::None,
                };
                Mode::Strftime {
                    format: f.clone(),
                    has_offset,
                    fast,
                }
            }
        };
        Ok(DateParser { mode, tz })
    }

    /// What the parser expects, for error messages: `format %Y-%m-%d`.
    pub(crate) fn expected(&self) -> String {
        match &self.mode {
            Mode::Auto(Some(k)) => format!("format {}", k.describe()),
            Mode::Auto(None) => "format %Y-%m-%d, %Y%m%d or an ISO 8601 timestamp".to_string(),
            Mode::Strftime { format, .. } => format!("format {format}"),
        }
    }

    /// The effective format, for the report.
    pub(crate) fn describe(&self) -> String {
        match &self.mode {
            Mode::Auto(Some(k)) => k.describe().to_string(),
            Mode::Auto(None) => "auto (no date seen)".to_string(),
            Mode::Strftime { format, .. } => format.clone(),
        }
    }

    /// Parses without changing the detected format (header detection).
    pub(crate) fn parses(&self, s: &str) -> bool {
        match &self.mode {
            Mode::Auto(None) => detect(s.trim()).is_some(),
            _ => self.parse_day(s).is_some(),
        }
    }

    /// Parses and, in automatic mode, fixes the format from the first value seen.
    pub(crate) fn parse(&mut self, s: &str) -> Option<Day> {
        if let Mode::Auto(None) = self.mode {
            let (kind, day) = detect(s.trim())?;
            self.mode = Mode::Auto(Some(kind));
            return self.finish(day);
        }
        self.parse_day(s)
    }

    fn parse_day(&self, s: &str) -> Option<Day> {
        let s = s.trim();
        match &self.mode {
            Mode::Auto(None) => None,
            Mode::Auto(Some(AutoKind::IsoDate)) => parse_iso_date(s.as_bytes()),
            Mode::Auto(Some(AutoKind::Compact)) => parse_compact(s.as_bytes()),
            Mode::Auto(Some(AutoKind::IsoTimestamp)) => match parse_iso_datetime(s.as_bytes()) {
                Some(d) => Some(d),
                None => self.finish(parse_iso_timestamp(s)?),
            },
            Mode::Strftime {
                format,
                has_offset,
                fast,
            } => {
                let quick = match fast {
                    Fast::IsoDate => parse_iso_date(s.as_bytes()),
                    Fast::IsoDateTime => parse_iso_datetime(s.as_bytes()),
                    Fast::Compact => parse_compact(s.as_bytes()),
                    Fast::None => None,
                };
                if quick.is_some() {
                    return quick;
                }
                if *has_offset {
                    let dt = DateTime::parse_from_str(s, format).ok()?;
                    match self.tz {
                        Some(tz) => Some(Day::from_date(dt.with_timezone(&tz).date_naive())),
                        None => Some(Day::from_date(dt.date_naive())),
                    }
                } else if let Ok(dt) = NaiveDateTime::parse_from_str(s, format) {
                    Some(Day::from_date(dt.date()))
                } else {
                    NaiveDate::parse_from_str(s, format)
                        .ok()
                        .map(Day::from_date)
                }
            }
        }
    }

    fn finish(&self, p: Parsed) -> Option<Day> {
        match p {
            Parsed::Local(d) => Some(d),
            Parsed::WithOffset {
                local_day,
                utc_seconds,
            } => match self.tz {
                None => Some(local_day),
                Some(tz) => {
                    let t = tz.timestamp_opt(utc_seconds, 0).single()?;
                    Some(Day::from_date(t.date_naive()))
                }
            },
        }
    }
}

/// A parsed value before the time zone is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parsed {
    /// A date or a naive timestamp: the written date is the business-local day.
    Local(Day),
    /// A timestamp with an offset: its own local day, and the instant.
    WithOffset { local_day: Day, utc_seconds: i64 },
}

fn detect(s: &str) -> Option<(AutoKind, Parsed)> {
    let b = s.as_bytes();
    if b.len() == 10 {
        return parse_iso_date(b).map(|d| (AutoKind::IsoDate, Parsed::Local(d)));
    }
    if b.len() == 8 {
        return parse_compact(b).map(|d| (AutoKind::Compact, Parsed::Local(d)));
    }
    parse_iso_timestamp(s).map(|p| (AutoKind::IsoTimestamp, p))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
/// `m` in 1..=12, `d` valid for the month.
#[inline]
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[inline]
fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

#[inline]
fn digits<const N: usize>(b: &[u8]) -> Option<u32> {
    if b.len() < N {
        return None;
    }
    let mut v = 0u32;
    for &c in &b[..N] {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u32;
    }
    Some(v)
}

#[inline]
fn ymd(y: u32, m: u32, d: u32) -> Option<Day> {
    let y = y as i32;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(Day(days_from_civil(y, m, d)))
}

/// `YYYY-MM-DD`, exactly 10 bytes.
#[inline]
pub fn parse_iso_date(b: &[u8]) -> Option<Day> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    ymd(
        digits::<4>(b)?,
        digits::<2>(&b[5..])?,
        digits::<2>(&b[8..])?,
    )
}

/// `YYYYMMDD`, exactly 8 bytes.
#[inline]
pub fn parse_compact(b: &[u8]) -> Option<Day> {
    if b.len() != 8 {
        return None;
    }
    ymd(
        digits::<4>(b)?,
        digits::<2>(&b[4..])?,
        digits::<2>(&b[6..])?,
    )
}

/// `YYYY-MM-DD HH:MM:SS`, exactly 19 bytes (seconds up to 60, a leap second, as chrono).
#[inline]
pub fn parse_iso_datetime(b: &[u8]) -> Option<Day> {
    if b.len() != 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let day = parse_iso_date(&b[..10])?;
    let (h, mi, s) = (
        digits::<2>(&b[11..])?,
        digits::<2>(&b[14..])?,
        digits::<2>(&b[17..])?,
    );
    (h < 24 && mi < 60 && s <= 60).then_some(day)
}

/// The full ISO 8601 / RFC 3339 timestamp family: `YYYY-MM-DD[T| ]HH:MM[:SS[.f+]][Z|±HH[:]MM|±HH]`.
fn parse_iso_timestamp(s: &str) -> Option<Parsed> {
    let b = s.as_bytes();
    if b.len() < 16 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' {
        return None;
    }
    let day = parse_iso_date(&b[..10])?;
    let h = digits::<2>(&b[11..])?;
    let mi = digits::<2>(&b[14..])?;
    let mut i = 16;
    let mut sec = 0;
    if b.get(i) == Some(&b':') {
        sec = digits::<2>(&b[i + 1..])?;
        i += 3;
        if matches!(b.get(i), Some(b'.' | b',')) {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    if h >= 24 || mi >= 60 || sec > 60 {
        return None;
    }
    let rest = &b[i..];
    let offset_secs: i64 = match rest {
        [] => return Some(Parsed::Local(day)),
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (oh, om) = match tail {
                [_, _] => (digits::<2>(tail)?, 0),
                [_, _, b':', _, _] => (digits::<2>(tail)?, digits::<2>(&tail[3..])?),
                [_, _, _, _] => (digits::<2>(tail)?, digits::<2>(&tail[2..])?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let o = i64::from(oh * 3600 + om * 60);
            if *sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    let local = i64::from(day.0) * 86_400 + i64::from(h * 3600 + mi * 60 + sec.min(59));
    Some(Parsed::WithOffset {
        local_day: day,
        utc_seconds: local - offset_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse_iso(s).unwrap()
    }

    #[test]
    fn civil() {
        assert_eq!(parse_iso_date(b"1970-01-01"), Some(Day(0)));
        assert_eq!(parse_compact(b"19970101"), Some(day("1997-01-01")));
        assert_eq!(parse_iso_date(b"2024-02-29"), Some(day("2024-02-29")));
        assert_eq!(parse_iso_date(b"2023-02-29"), None);
        assert_eq!(parse_iso_date(b"1997-13-01"), None);
        assert_eq!(
            parse_iso_datetime(b"2014-03-08 00:00:00"),
            Some(day("2014-03-08"))
        );
        assert_eq!(parse_iso_datetime(b"2014-03-08 24:00:00"), None);
    }

    #[test]
    fn offsets() {
        let p = |s: &str, tz: Option<Tz>| {
            let mut d = DateParser::new(&DateFormat::Auto, tz).unwrap();
            d.parse(s).map(|d| d.to_string())
        };
        assert_eq!(
            p("2024-03-10T23:30:00-05:00", None).as_deref(),
            Some("2024-03-10")
        );
        assert_eq!(
            p(
                "2024-03-10T23:30:00-05:00",
                Some(chrono_tz::Europe::Helsinki)
            )
            .as_deref(),
            Some("2024-03-11")
        );
        assert_eq!(
            p(
                "2024-01-01T02:00:00.123Z",
                Some(chrono_tz::America::New_York)
            )
            .as_deref(),
            Some("2023-12-31")
        );
        assert_eq!(
            p("2024-01-01 02:00", Some(chrono_tz::America::New_York)).as_deref(),
            Some("2024-01-01")
        );
        assert_eq!(
            p("2024-01-01T02:00+0130", None).as_deref(),
            Some("2024-01-01")
        );
        assert_eq!(p("2024-01-01T02:00+01:3", None), None);
    }
}
