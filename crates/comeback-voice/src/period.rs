//! Calendar months for trends and report cards.

use crate::VoiceError;
use comeback_core::Day;
use std::fmt;
use std::str::FromStr;

/// A calendar month (proleptic Gregorian), ordered chronologically; displayed and parsed as
/// `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// The year, e.g. 2025.
    pub year: i32,
    /// The month, 1–12.
    pub month: u32,
}

impl YearMonth {
    /// The month `year`-`month`.
    ///
    /// # Errors
    /// [`VoiceError::InvalidMonth`] when `month` is not 1–12.
    pub fn new(year: i32, month: u32) -> Result<YearMonth, VoiceError> {
        if (1..=12).contains(&month) {
            Ok(YearMonth { year, month })
        } else {
            Err(VoiceError::InvalidMonth(format!("{year:04}-{month:02}")))
        }
    }

    /// The month containing `day`.
    pub fn from_day(day: Day) -> YearMonth {
        let (year, month, _) = day.to_ymd();
        YearMonth { year, month }
    }

    /// Parses `YYYY-MM`: four-digit year, two-digit month 01–12 (surrounding whitespace
    /// ignored).
    ///
    /// # Errors
    /// [`VoiceError::InvalidMonth`] naming the text.
    pub fn parse(s: &str) -> Result<YearMonth, VoiceError> {
        let bad = || VoiceError::InvalidMonth(s.to_string());
        let t = s.trim();
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        if y.len() != 4 || m.len() != 2 || !digits(y) || !digits(m) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        YearMonth::new(year, month).map_err(|_| bad())
    }

    /// The month before this one (January → December of the previous year).
    pub fn prev(self) -> YearMonth {
        if self.month <= 1 {
            YearMonth {
                year: self.year - 1,
                month: 12,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month after this one (December → January of the next year).
    pub fn next(self) -> YearMonth {
        if self.month >= 12 {
            YearMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The first day of the month (`None` outside chrono's date range).
    pub fn first_day(self) -> Option<Day> {
        Day::from_ymd(self.year, self.month, 1)
    }
}

impl From<Day> for YearMonth {
    fn from(day: Day) -> YearMonth {
        YearMonth::from_day(day)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = VoiceError;
    fn from_str(s: &str) -> Result<YearMonth, VoiceError> {
        YearMonth::parse(s)
    }
}
