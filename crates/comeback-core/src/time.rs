//! Calendar days and time units.

use chrono::{Datelike, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// A business-local calendar day: the number of days since 1970-01-01 (proleptic
/// Gregorian calendar). Summaries are computed on days, never on times of day.
///
/// The conversion from a timestamp to its local day (time zone, offset) happens at the edge
/// (`comeback-ingest`); here a day is just an integer with calendar helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Day(pub i32);

const UNIX_EPOCH_CE_DAYS: i32 = 719_163; // NaiveDate(1970-01-01).num_days_from_ce()

impl Day {
    /// The day of a calendar date.
    pub fn from_date(date: NaiveDate) -> Day {
        Day(date.num_days_from_ce() - UNIX_EPOCH_CE_DAYS)
    }

    /// The day for year, month (1–12) and day of month, or `None` if it is not a date.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        NaiveDate::from_ymd_opt(year, month, day).map(Day::from_date)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Day> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .ok()
            .map(Day::from_date)
    }

    /// The calendar date of this day (`None` only for days outside chrono's range,
    /// ±262,000 years).
    pub fn date(self) -> Option<NaiveDate> {
        NaiveDate::from_num_days_from_ce_opt(self.0.checked_add(UNIX_EPOCH_CE_DAYS)?)
    }

    /// (year, month 1–12, day 1–31) of this day by integer arithmetic (Hinnant's
    /// `civil_from_days`, valid for the whole `i32` range); a hot path for writing dates,
    /// property-tested against chrono.
    pub fn to_ymd(self) -> (i32, u32, u32) {
        let z = self.0 as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y as i32, m, d)
    }

    /// Writes `YYYY-MM-DD` (years 0–9999) into `buf`; other years fall back to
    /// [`Display`](fmt::Display).
    pub fn write_iso(self, buf: &mut Vec<u8>) {
        let (y, m, d) = self.to_ymd();
        if (0..=9999).contains(&y) {
            let y = y as u32;
            buf.extend_from_slice(&[
                b'0' + (y / 1000) as u8,
                b'0' + (y / 100 % 10) as u8,
                b'0' + (y / 10 % 10) as u8,
                b'0' + (y % 10) as u8,
                b'-',
                b'0' + (m / 10) as u8,
                b'0' + (m % 10) as u8,
                b'-',
                b'0' + (d / 10) as u8,
                b'0' + (d % 10) as u8,
            ]);
        } else {
            buf.extend_from_slice(self.to_string().as_bytes());
        }
    }

    /// The Monday that starts this day's ISO week.
    pub fn week_start(self) -> Day {
        // 1970-01-01 was a Thursday: (d + 3) mod 7 is 0 on Mondays.
        Day(self.0 - (self.0 + 3).rem_euclid(7))
    }

    /// The first day of this day's calendar month.
    pub fn month_start(self) -> Day {
        match self.date() {
            Some(d) => Day(self.0 - (d.day() as i32 - 1)),
            None => self,
        }
    }

    /// (year, month) of this day, for cohort tables.
    pub fn year_month(self) -> (i32, u32) {
        match self.date() {
            Some(d) => (d.year(), d.month()),
            None => (1970, 1),
        }
    }

    /// Whole calendar months from `self` to `later` (negative if `later` is earlier),
    /// counting month boundaries crossed: 2024-01-31 → 2024-02-01 is 1.
    pub fn months_until(self, later: Day) -> i32 {
        let (y0, m0) = self.year_month();
        let (y1, m1) = later.year_month();
        (y1 - y0) * 12 + (m1 as i32 - m0 as i32)
    }

    /// This day shifted by `months` calendar months, day of month clamped to the
    /// target month's length (2024-03-31 − 1 month = 2024-02-29).
    pub fn add_months(self, months: i32) -> Day {
        let Some(d) = self.date() else { return self };
        let total = d.year() * 12 + d.month0() as i32 + months;
        let (y, m0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
        let mut dom = d.day();
        loop {
            if let Some(nd) = NaiveDate::from_ymd_opt(y, m0 + 1, dom) {
                return Day::from_date(nd);
            }
            dom -= 1;
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.date() {
            Some(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            None => write!(f, "day {}", self.0),
        }
    }
}

/// The unit in which recency, T and forecast horizons are expressed. The unit only scales
/// time: a week is exactly 7 days and a month exactly 365.25 / 12 = 30.4375 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimeUnit {
    /// 1 day.
    #[default]
    Days,
    /// 7 days.
    Weeks,
    /// 365.25 / 12 days (the mean Gregorian month).
    Months,
}

impl TimeUnit {
    /// Length of one unit in days.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
            TimeUnit::Months => 365.25 / 12.0,
        }
    }

    /// A whole number of days expressed in this unit.
    pub fn from_days(self, days: i64) -> f64 {
        match self {
            TimeUnit::Days => days as f64,
            TimeUnit::Weeks => days as f64 / 7.0,
            TimeUnit::Months => days as f64 * 12.0 / 365.25,
        }
    }

    /// The lowercase plural name used in files and flags: `days`, `weeks`, `months`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
            TimeUnit::Months => "months",
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TimeUnit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "days" | "d" => Ok(TimeUnit::Days),
            "week" | "weeks" | "w" => Ok(TimeUnit::Weeks),
            "month" | "months" | "m" => Ok(TimeUnit::Months),
            other => Err(format!(
                "unknown time unit \"{other}\" (expected days, weeks or months)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fast_ymd_equals_chrono(d in -800_000i32..3_000_000) {
            let day = Day(d);
            let date = day.date().unwrap();
            prop_assert_eq!(day.to_ymd(), (date.year(), date.month(), date.day()));
            let mut buf = Vec::new();
            day.write_iso(&mut buf);
            prop_assert_eq!(String::from_utf8(buf).unwrap(), day.to_string());
        }
    }

    #[test]
    fn epoch_and_round_trip() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Some(Day(0)));
        assert_eq!(
            Day::from_ymd(1997, 9, 30).unwrap().to_string(),
            "1997-09-30"
        );
        assert_eq!(Day::parse_iso("1969-12-31"), Some(Day(-1)));
        assert_eq!(Day::from_ymd(1997, 2, 30), None);
    }

    #[test]
    fn week_and_month_starts() {
        // 2024-01-03 is a Wednesday; its ISO week starts Monday 2024-01-01.
        let d = Day::parse_iso("2024-01-03").unwrap();
        assert_eq!(d.week_start().to_string(), "2024-01-01");
        assert_eq!(
            Day::parse_iso("2023-12-31")
                .unwrap()
                .week_start()
                .to_string(),
            "2023-12-25"
        );
        assert_eq!(
            Day::parse_iso("2024-02-29")
                .unwrap()
                .month_start()
                .to_string(),
            "2024-02-01"
        );
        assert_eq!(
            Day::parse_iso("2024-03-31")
                .unwrap()
                .add_months(-1)
                .to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Day::parse_iso("2024-01-31")
                .unwrap()
                .months_until(Day::parse_iso("2024-02-01").unwrap()),
            1
        );
    }

    #[test]
    fn units_scale_only() {
        assert_eq!(TimeUnit::Weeks.from_days(273), 39.0);
        assert_eq!(TimeUnit::Months.from_days(0), 0.0);
        assert!((TimeUnit::Months.from_days(365) - 11.991786447638603).abs() < 1e-12);
        assert_eq!("Weeks".parse::<TimeUnit>(), Ok(TimeUnit::Weeks));
        assert!("fortnights".parse::<TimeUnit>().is_err());
    }
}
