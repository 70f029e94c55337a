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
        todo!()
    }

    /// The month containing `day`.
    pub fn from_day(day: Day) -> YearMonth {
        todo!()
    }

    /// Parses `YYYY-MM` (surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`VoiceError::InvalidMonth`] naming the text.
    pub fn parse(s: &str) -> Result<YearMonth, VoiceError> {
        todo!()
    }

    /// The month before this one.
    pub fn prev(self) -> YearMonth {
        todo!()
    }

    /// The month after this one.
    pub fn next(self) -> YearMonth {
        todo!()
    }

    /// The first day of the month (`None` outside chrono's date range).
    pub fn first_day(self) -> Option<Day> {
        todo!()
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
