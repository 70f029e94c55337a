//! The SLA clock: elapsed business time between two instants at one location.
//!
//! A [`BusinessCalendar`] is a time zone, weekly opening hours ([`WeeklyHours`], overnight
//! shifts allowed) and holidays. [`BusinessCalendar::business_duration`] is the time the
//! location was open between two instants, and
//! [`BusinessCalendar::business_duration_paused`] also stops the clock during [`Pauses`]
//! (intervals spent waiting for the customer, as help desks do with a "pending" status).
//!
//! # Definitions
//! - **Shifts** are wall-clock intervals `HH:MM-HH:MM` on a weekday. A shift whose end is
//!   not after its start (`22:00-06:00`) is an overnight shift: it ends on the next calendar
//!   day. `24:00` is midnight at the end of the day; `00:00-24:00` is the whole day.
//! - **A shift belongs to the day it opens.** A holiday cancels every shift that opens on
//!   that local date, including the part of an overnight shift after midnight; a shift
//!   that opened the evening before a holiday runs to its end.
//! - **Daylight saving time.** Wall times are converted to instants in the calendar's time
//!   zone, and durations are measured between instants, so a shift of `00:00-06:00` lasts
//!   5 real hours on the spring-forward night and 7 on the fall-back night (Europe). A
//!   wall time that does not exist (inside a spring-forward gap) is taken as the first
//!   instant after the gap; a repeated wall time (in a fall-back overlap) opens at its
//!   first occurrence and closes at its second, so a shift never loses time it was open.
//! - Open intervals that overlap (two shifts, or an overlap created by a fall-back) are
//!   counted once.
//!
//! The business duration `d(a, b)` is the measure of the set of open instants in `[a, b)`
//! minus the pauses; for `b < a` it is `−d(b, a)`. It is additive
//! (`d(a, c) = d(a, b) + d(b, c)` for every `a`, `b`, `c`), monotone in `b`, and on a 24/7
//! calendar without pauses equal to `b − a` (all property-tested).

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use chrono::{LocalResult, Offset, TimeZone, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeSet;
use std::fmt;

/// Minutes in a day (`24:00`).
const DAY_MINUTES: u16 = 24 * 60;

/// Why a business-hours specification, a holiday or a pause was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlaError {
    /// A business-hours specification that does not parse.
    #[error("invalid business hours {spec:?}: {reason}")]
    Hours {
        /// The whole specification as given.
        spec: String,
        /// What is wrong, naming the offending part.
        reason: String,
    },
    /// A pause whose end is before its start.
    #[error("pause ends ({end}) before it starts ({start})")]
    PauseOrder {
        /// Start of the pause (RFC 3339).
        start: String,
        /// End of the pause (RFC 3339).
        end: String,
    },
}

/// One shift: opens at `start` minutes after local midnight, closes `end` minutes after
/// local midnight of the same day when `end > start`, else of the next day (overnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shift {
    start: u16,
    end: u16,
}

impl Shift {
    /// A shift from `start` to `end`, in minutes after local midnight (0–1439 for the start,
    /// 0–1440 for the end); `end <= start` makes an overnight shift ending the next day
    /// (`start == end` is 24 hours).
    ///
    /// # Errors
    /// `None` when a bound is out of range.
    pub fn new(start: u16, end: u16) -> Option<Shift> {
        (start < DAY_MINUTES && end <= DAY_MINUTES).then_some(Shift { start, end })
    }

    /// Opening time, minutes after local midnight.
    pub fn start_minutes(self) -> u16 {
        self.start
    }

    /// Closing time, minutes after local midnight (of the next day when
    /// [`Shift::is_overnight`]).
    pub fn end_minutes(self) -> u16 {
        self.end
    }

    /// Whether the shift ends on the next calendar day.
    pub fn is_overnight(self) -> bool {
        self.end <= self.start
    }

    /// Wall-clock length in minutes (ignoring daylight saving time).
    pub fn wall_minutes(self) -> u16 {
        if self.is_overnight() {
            DAY_MINUTES - self.start + self.end
        } else {
            self.end - self.start
        }
    }
}

impl fmt::Display for Shift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// Weekly opening hours: the shifts that open on each weekday (Monday first).
///
/// Parsed from a specification such as `Mon-Fri 09:00-17:00; Sat 10:00-14:00`,
/// `Mon,Wed 08:00-12:00 13:00-17:00`, `22:00-06:00` (every day) or `24/7`:
/// entries separated by `;`, each an optional day set (`Mon`–`Sun`, ranges `Fri-Mon` wrap
/// round the week, lists with `,`, `daily`) followed by one or more shifts separated by
/// blanks or `,`. Day names are English, case-insensitive, three letters or full.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeeklyHours {
    days: [Vec<Shift>; 7],
}

impl WeeklyHours {
    /// Open around the clock, every day.
    pub fn always() -> WeeklyHours {
        let full = Shift {
            start: 0,
            end: DAY_MINUTES,
        };
        WeeklyHours {
            days: std::array::from_fn(|_| vec![full]),
        }
    }

    /// Adds `shift` on `day` (a shift already present is not added twice).
    pub fn add(&mut self, day: Weekday, shift: Shift) {
        let v = &mut self.days[day.num_days_from_monday() as usize];
        if !v.contains(&shift) {
            v.push(shift);
            v.sort();
        }
    }

    /// The shifts opening on `day`, sorted by opening time.
    pub fn shifts(&self, day: Weekday) -> &[Shift] {
        &self.days[day.num_days_from_monday() as usize]
    }

    /// Whether no shift opens on any day (such a calendar is never open).
    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// Parses a specification (see the type's documentation).
    ///
    /// ```
    /// use comeback_complaints::sla::WeeklyHours;
    /// use chrono::Weekday;
    /// let h = WeeklyHours::parse("Mon-Fri 09:00-17:00; Sat 10:00-14:00").unwrap();
    /// assert_eq!(h.shifts(Weekday::Wed)[0].wall_minutes(), 8 * 60);
    /// assert!(h.shifts(Weekday::Sun).is_empty());
    /// ```
    ///
    /// # Errors
    /// [`SlaError::Hours`] naming the part that does not parse: an unknown day, a time that
    /// is not `HH:MM` (00:00–24:00), an entry without a shift, or an empty specification.
    pub fn parse(spec: &str) -> Result<WeeklyHours, SlaError> {
        let err = |reason: String| SlaError::Hours {
            spec: spec.to_string(),
            reason,
        };
        let trimmed = spec.trim();
        if trimmed.eq_ignore_ascii_case("24/7") {
            return Ok(WeeklyHours::always());
        }
        let mut hours = WeeklyHours::default();
        let mut any = false;
        for entry in trimmed.split(';') {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let tokens: Vec<&str> = entry
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|t| !t.is_empty())
                .collect();
            // Leading tokens without a ':' are days; the rest are shifts. A day list may be
            // written `Mon, Wed` (split above) or `Mon,Wed`.
            let n_days = tokens
                .iter()
                .take_while(|t| !t.contains(':') && !t.starts_with(|c: char| c.is_ascii_digit()))
                .count();
            let mut days = BTreeSet::new();
            for t in &tokens[..n_days] {
                parse_days(t, &mut days).map_err(&err)?;
            }
            if n_days == 0 {
                days.extend(0..7);
            }
            let shifts = &tokens[n_days..];
            if shifts.is_empty() {
                return Err(err(format!("{entry:?} has no opening hours (HH:MM-HH:MM)")));
            }
            for s in shifts {
                let shift = parse_shift(s).map_err(&err)?;
                for &d in &days {
                    hours.add(weekday(d), shift);
                    any = true;
                }
            }
        }
        if !any {
            return Err(err(
                "no opening hours (write e.g. \"Mon-Fri 09:00-17:00\" or \"24/7\")".into(),
            ));
        }
        Ok(hours)
    }
}

impl fmt::Display for WeeklyHours {
    /// The specification syntax, consecutive days with the same shifts joined:
    /// `Mon-Fri 09:00-17:00; Sat 10:00-14:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut i = 0;
        while i < 7 {
            let shifts = &self.days[i];
            let mut j = i;
            while j + 1 < 7 && self.days[j + 1] == *shifts {
                j += 1;
            }
            if !shifts.is_empty() {
                if !first {
                    f.write_str("; ")?;
                }
                first = false;
                write!(f, "{}", weekday(i as u8))?;
                if j > i {
                    write!(f, "-{}", weekday(j as u8))?;
                }
                for s in shifts {
                    write!(f, " {s}")?;
                }
            }
            i = j + 1;
        }
        Ok(())
    }
}

fn weekday(i: u8) -> Weekday {
    Weekday::try_from(i).unwrap_or(Weekday::Mon)
}

fn day_index(name: &str) -> Option<u8> {
    let l = name.to_ascii_lowercase();
    let names = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    names
        .iter()
        .position(|n| l.len() >= 3 && n.starts_with(&l))
        .map(|i| i as u8)
}

fn parse_days(token: &str, out: &mut BTreeSet<u8>) -> Result<(), String> {
    if token.eq_ignore_ascii_case("daily") {
        out.extend(0..7);
        return Ok(());
    }
    let unknown =
        |d: &str| format!("unknown day {d:?} (expected Mon, Tue, Wed, Thu, Fri, Sat or Sun)");
    match token.split_once('-') {
        Some((a, b)) => {
            let a = day_index(a).ok_or_else(|| unknown(a))?;
            let b = day_index(b).ok_or_else(|| unknown(b))?;
            let mut d = a;
            loop {
                out.insert(d);
                if d == b {
                    break;
                }
                d = (d + 1) % 7;
            }
        }
        None => {
            out.insert(day_index(token).ok_or_else(|| unknown(token))?);
        }
    }
    Ok(())
}

fn parse_time(s: &str, allow_24: bool) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 {
        return None;
    }
    let t = h * 60 + m;
    (t < DAY_MINUTES || (allow_24 && t == DAY_MINUTES)).then_some(t)
}

fn parse_shift(s: &str) -> Result<Shift, String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("{s:?} is not a shift (expected HH:MM-HH:MM)"))?;
    let start = parse_time(a, false)
        .ok_or_else(|| format!("{a:?} in {s:?} is not an opening time from 00:00 to 23:59"))?;
    let end = parse_time(b, true)
        .ok_or_else(|| format!("{b:?} in {s:?} is not a closing time from 00:00 to 24:00"))?;
    Ok(Shift { start, end })
}

/// Intervals of instants during which the clock is stopped (for example while a complaint
/// waits for the customer's answer), kept sorted and merged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pauses {
    merged: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Pauses {
    /// No pause.
    pub fn none() -> Pauses {
        Pauses::default()
    }

    /// Adds the pause `[start, end)`; overlapping pauses are merged.
    ///
    /// # Errors
    /// [`SlaError::PauseOrder`] when `end < start`.
    pub fn add(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<(), SlaError> {
        if end < start {
            return Err(SlaError::PauseOrder {
                start: start.to_rfc3339(),
                end: end.to_rfc3339(),
            });
        }
        if end > start {
            self.merged.push((start, end));
            self.merged = union(std::mem::take(&mut self.merged));
        }
        Ok(())
    }

    /// The merged pauses, sorted.
    pub fn intervals(&self) -> &[(DateTime<Utc>, DateTime<Utc>)] {
        &self.merged
    }
}

/// Sorts and merges overlapping or touching intervals.
fn union(mut v: Vec<(DateTime<Utc>, DateTime<Utc>)>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    v.sort();
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// A location's business hours: time zone, weekly hours and holidays.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    tz: Tz,
    hours: WeeklyHours,
    holidays: BTreeSet<NaiveDate>,
    always: bool,
}

impl BusinessCalendar {
    /// A 24/7 calendar (every instant counts): the clock of a help desk without business
    /// hours. Its time zone (UTC) matters only for [`BusinessCalendar::timezone`].
    pub fn always() -> BusinessCalendar {
        BusinessCalendar {
            tz: Tz::UTC,
            hours: WeeklyHours::always(),
            holidays: BTreeSet::new(),
            always: true,
        }
    }

    /// A calendar open during `hours` in time zone `tz`, closed on `holidays` (local dates).
    pub fn new(
        tz: Tz,
        hours: WeeklyHours,
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> BusinessCalendar {
        BusinessCalendar {
            tz,
            hours,
            holidays: holidays.into_iter().collect(),
            always: false,
        }
    }

    /// The calendar's time zone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The weekly hours.
    pub fn hours(&self) -> &WeeklyHours {
        &self.hours
    }

    /// The holidays (local dates), sorted.
    pub fn holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays.iter().copied()
    }

    /// The open intervals `[open, close)` that meet `[from, to)`, merged, sorted and
    /// clipped to `[from, to)`.
    pub fn open_intervals(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if to <= from {
            return Vec::new();
        }
        if self.always {
            return vec![(from, to)];
        }
        // A shift lasts at most 24 wall hours, so shifts opening two days before `from`
        // (local) cannot reach it; two days of margin also covers whole-day time-zone jumps.
        let first = from.with_timezone(&self.tz).date_naive() - Days::new(2);
        let last = to.with_timezone(&self.tz).date_naive();
        let mut v = Vec::new();
        let mut day = first;
        while day <= last {
            if !self.holidays.contains(&day) {
                for &s in self.hours.shifts(day.weekday()) {
                    let open = self.instant(day, s.start, Bound::Open);
                    let close_day = if s.is_overnight() {
                        day + Days::new(1)
                    } else {
                        day
                    };
                    let close = self.instant(close_day, s.end, Bound::Close);
                    let (a, b) = (open.max(from), close.min(to));
                    if a < b {
                        v.push((a, b));
                    }
                }
            }
            day = day + Days::new(1);
        }
        union(v)
    }

    /// The business time between `start` and `end`: the open time in `[start, end)`;
    /// negative when `end < start` (see the module documentation).
    ///
    /// ```
    /// use comeback_complaints::sla::{BusinessCalendar, WeeklyHours};
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// let cal = BusinessCalendar::new(
    ///     chrono_tz::Europe::Helsinki,
    ///     WeeklyHours::parse("Mon-Fri 09:00-17:00").unwrap(),
    ///     [],
    /// );
    /// // Friday 2026-03-06 16:00 local (14:00 UTC) to Monday 10:00 local (08:00 UTC):
    /// // 1 h on Friday + 1 h on Monday.
    /// let start = Utc.with_ymd_and_hms(2026, 3, 6, 14, 0, 0).unwrap();
    /// let end = Utc.with_ymd_and_hms(2026, 3, 9, 8, 0, 0).unwrap();
    /// assert_eq!(cal.business_duration(start, end), TimeDelta::hours(2));
    /// ```
    pub fn business_duration(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> TimeDelta {
        self.business_duration_paused(start, end, &Pauses::none())
    }

    /// As [`BusinessCalendar::business_duration`], with the clock also stopped during
    /// `pauses`.
    pub fn business_duration_paused(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        pauses: &Pauses,
    ) -> TimeDelta {
        if end < start {
            return -self.business_duration_paused(end, start, pauses);
        }
        let mut total = TimeDelta::zero();
        for (a, b) in self.open_intervals(start, end) {
            total += b - a;
            for &(p, q) in pauses.intervals() {
                let (x, y) = (a.max(p), b.min(q));
                if x < y {
                    total -= y - x;
                }
            }
        }
        total
    }

    /// The instant at which `budget` of business time (with `pauses`) has elapsed since
    /// `start`: the SLA deadline of a target. `None` when the calendar never opens again
    /// within 20 years after `start` (no opening hours).
    pub fn deadline(
        &self,
        start: DateTime<Utc>,
        budget: TimeDelta,
        pauses: &Pauses,
    ) -> Option<DateTime<Utc>> {
        if budget <= TimeDelta::zero() {
            return Some(start);
        }
        let mut left = budget;
        let mut from = start;
        let step = TimeDelta::days(28);
        let horizon = start + TimeDelta::days(20 * 366);
        while from < horizon {
            let to = from + step;
            for (a, b) in self.open_intervals(from, to) {
                // Subtract the pauses from [a, b) and walk the remaining pieces.
                let mut pieces = vec![(a, b)];
                for &(p, q) in pauses.intervals() {
                    pieces = pieces
                        .into_iter()
                        .flat_map(|(x, y)| {
                            let mut out = Vec::new();
                            if p >= y || q <= x {
                                out.push((x, y));
                            } else {
                                if x < p {
                                    out.push((x, p));
                                }
                                if q < y {
                                    out.push((q, y));
                                }
                            }
                            out
                        })
                        .collect();
                }
                for (x, y) in pieces {
                    if y - x >= left {
                        return Some(x + left);
                    }
                    left -= y - x;
                }
            }
            from = to;
        }
        None
    }

    fn instant(&self, day: NaiveDate, minutes: u16, bound: Bound) -> DateTime<Utc> {
        let naive = if minutes == DAY_MINUTES {
            (day + Days::new(1)).and_time(NaiveTime::MIN)
        } else {
            day.and_time(
                NaiveTime::from_hms_opt(u32::from(minutes / 60), u32::from(minutes % 60), 0)
                    .unwrap_or(NaiveTime::MIN),
            )
        };
        local_to_utc(self.tz, naive, bound)
    }
}

/// Which occurrence a repeated wall time means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// An opening: the first occurrence.
    Open,
    /// A closing: the last occurrence.
    Close,
}

/// The instant of wall time `naive` in `tz`; a time inside a spring-forward gap is the
/// first instant after the gap.
fn local_to_utc(tz: Tz, naive: NaiveDateTime, bound: Bound) -> DateTime<Utc> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => match bound {
            Bound::Open => a.min(b).with_timezone(&Utc),
            Bound::Close => a.max(b).with_timezone(&Utc),
        },
        LocalResult::None => gap_end(tz, naive),
    }
}

/// The first instant whose wall time in `tz` is at or after `naive` (which lies in a gap):
/// a binary search over whole seconds within ±26 hours, where the wall time grows with the
/// instant (transitions are months apart).
pub(crate) fn gap_end(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    let guess = naive.and_utc().timestamp();
    let (mut lo, mut hi) = (guess - 26 * 3600, guess + 26 * 3600);
    let wall = |s: i64| {
        let u = DateTime::<Utc>::from_timestamp(s, 0).unwrap_or_default();
        let off = tz.offset_from_utc_datetime(&u.naive_utc()).fix();
        u.naive_utc() + TimeDelta::seconds(i64::from(off.local_minus_utc()))
    };
    // Invariant: wall(lo) < naive <= wall(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if wall(mid) >= naive {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::<Utc>::from_timestamp(hi, 0).unwrap_or_default()
}
