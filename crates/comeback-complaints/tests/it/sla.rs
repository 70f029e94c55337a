//! The SLA clock: hand-computed fixtures (arithmetic in the comments) and property tests
//! (additivity, monotonicity, 24/7 = wall time, agreement with a minute-by-minute oracle).

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use comeback_complaints::sla::{BusinessCalendar, Pauses, Shift, SlaError, WeeklyHours};
use proptest::prelude::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn cal(tz: Tz, spec: &str, holidays: &[(i32, u32, u32)]) -> BusinessCalendar {
    BusinessCalendar::new(
        tz,
        WeeklyHours::parse(spec).unwrap(),
        holidays
            .iter()
            .map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
    )
}

fn h(x: i64) -> TimeDelta {
    TimeDelta::hours(x)
}

#[test]
fn parse_specifications() {
    let w = WeeklyHours::parse("Mon-Fri 09:00-17:00; Sat 10:00-14:00").unwrap();
    assert_eq!(w.to_string(), "Mon-Fri 09:00-17:00; Sat 10:00-14:00");
    let w = WeeklyHours::parse("Sun 10:00-12:00; Mon-Wed 09:00-17:00; Fri 09:00-17:00").unwrap();
    assert_eq!(
        w.to_string(),
        "Mon-Wed 09:00-17:00; Fri 09:00-17:00; Sun 10:00-12:00"
    );
    assert_eq!(WeeklyHours::always().to_string(), "Mon-Sun 00:00-24:00");
    let w = WeeklyHours::parse("Mon,Wed 08:00-12:00 13:00-17:00").unwrap();
    assert_eq!(w.shifts(Weekday::Wed).len(), 2);
    assert!(w.shifts(Weekday::Tue).is_empty());
    // A range wraps round the week; full names and any case.
    let w = WeeklyHours::parse("friday-MON 22:00-06:00").unwrap();
    for d in [Weekday::Fri, Weekday::Sat, Weekday::Sun, Weekday::Mon] {
        assert_eq!(w.shifts(d), &[Shift::new(22 * 60, 6 * 60).unwrap()]);
    }
    assert!(w.shifts(Weekday::Tue).is_empty());
    // No days = every day; the overnight shift lasts 8 wall hours.
    let w = WeeklyHours::parse("22:00-06:00").unwrap();
    assert_eq!(w.shifts(Weekday::Sun)[0].wall_minutes(), 480);
    assert!(w.shifts(Weekday::Sun)[0].is_overnight());
    assert_eq!(WeeklyHours::parse("24/7").unwrap(), WeeklyHours::always());
    assert_eq!(
        WeeklyHours::parse("daily 00:00-24:00").unwrap(),
        WeeklyHours::always()
    );
}

#[test]
fn parse_errors_name_the_part() {
    for (spec, part) in [
        ("Mon-Fry 09:00-17:00", "unknown day \"Fry\""),
        ("Mon-Fri 9-17", "\"9\" in \"9-17\" is not an opening time"),
        (
            "Mon-Fri 09:00",
            "\"09:00\" is not a shift (expected HH:MM-HH:MM)",
        ),
        (
            "Mon-Fri 09:00-25:00",
            "\"25:00\" in \"09:00-25:00\" is not a closing time",
        ),
        (
            "Mon-Fri 24:00-06:00",
            "\"24:00\" in \"24:00-06:00\" is not an opening time",
        ),
        ("Mon-Fri 09:60-17:00", "\"09:60\""),
        ("Mon-Fri", "\"Mon-Fri\" has no opening hours"),
        ("", "no opening hours"),
    ] {
        let e = WeeklyHours::parse(spec).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, SlaError::Hours { .. }));
        assert!(msg.contains(part), "{spec:?}: {msg}");
        assert!(msg.contains(&format!("{spec:?}")), "{msg}");
    }
}

/// Spring forward in New York on Sunday 2026-03-08 (02:00 EST → 03:00 EDT).
#[test]
fn daylight_saving_change_over_a_weekend() {
    let ny = chrono_tz::America::New_York;
    let c = cal(ny, "Mon-Fri 09:00-17:00", &[]);
    // Friday 16:00 EST (21:00 UTC) → Monday 10:00 EDT (14:00 UTC): wall time 65 h,
    // business time = Friday 16:00–17:00 (1 h) + Monday 09:00–10:00 (1 h) = 2 h.
    let a = local(ny, 2026, 3, 6, 16, 0);
    let b = local(ny, 2026, 3, 9, 10, 0);
    assert_eq!(a, utc(2026, 3, 6, 21, 0));
    assert_eq!(b, utc(2026, 3, 9, 14, 0));
    assert_eq!(b - a, h(65));
    assert_eq!(c.business_duration(a, b), h(2));
    // The whole Monday after the change is 8 h (09:00 EDT = 13:00 UTC to 21:00 UTC).
    assert_eq!(
        c.business_duration(utc(2026, 3, 9, 0, 0), utc(2026, 3, 10, 0, 0)),
        h(8)
    );
    // A whole Monday before the change: 09:00 EST = 14:00 UTC to 22:00 UTC, also 8 h; a
    // fixed UTC−5 offset would count 09:00–17:00 EST on 2026-03-09 from 14:00 UTC and miss
    // 13:00–14:00 UTC.
    assert_eq!(
        c.business_duration(utc(2026, 3, 9, 13, 0), utc(2026, 3, 9, 14, 0)),
        h(1)
    );
}

/// Overnight shifts across both changes in Helsinki (EET UTC+2 / EEST UTC+3).
#[test]
fn daylight_saving_changes_inside_an_overnight_shift() {
    let hel = chrono_tz::Europe::Helsinki;
    let c = cal(hel, "daily 22:00-06:00", &[]);
    // Night of Sat 28 → Sun 29 March 2026: clocks jump 03:00 → 04:00. Opens 22:00 EET =
    // 20:00 UTC, closes 06:00 EEST = 03:00 UTC: 7 h, not 8.
    assert_eq!(
        c.business_duration(utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)),
        h(7)
    );
    // Night of Sat 24 → Sun 25 October 2026: clocks fall back 04:00 → 03:00. Opens 22:00
    // EEST = 19:00 UTC, closes 06:00 EET = 04:00 UTC: 9 h.
    assert_eq!(
        c.business_duration(utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0)),
        h(9)
    );
    // An ordinary night: 8 h.
    assert_eq!(
        c.business_duration(utc(2026, 10, 17, 12, 0), utc(2026, 10, 18, 12, 0)),
        h(8)
    );
}

/// A shift that opens inside the spring-forward gap opens when the gap ends.
#[test]
fn opening_inside_a_gap() {
    let ny = chrono_tz::America::New_York;
    let c = cal(ny, "Sun 02:30-05:00", &[]);
    // 2026-03-08: 02:30 does not exist; the shift opens at 03:00 EDT (07:00 UTC) and closes
    // at 05:00 EDT (09:00 UTC): 2 h.
    let iv = c.open_intervals(utc(2026, 3, 7, 0, 0), utc(2026, 3, 9, 0, 0));
    assert_eq!(iv, vec![(utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 9, 0))]);
}

/// The overnight shift 22:00–06:00 (London in January, GMT = UTC).
#[test]
fn overnight_shift() {
    let c = cal(chrono_tz::Europe::London, "Fri-Sat 22:00-06:00", &[]);
    // Fri 2026-01-09 23:00 → Sun 2026-01-11 12:00: Friday's shift from 23:00 to Sat 06:00
    // (7 h) + Saturday's shift 22:00 → Sun 06:00 (8 h) = 15 h.
    assert_eq!(
        c.business_duration(utc(2026, 1, 9, 23, 0), utc(2026, 1, 11, 12, 0)),
        h(15)
    );
    // Sat 03:00–05:00 lies in Friday's shift: 2 h.
    assert_eq!(
        c.business_duration(utc(2026, 1, 10, 3, 0), utc(2026, 1, 10, 5, 0)),
        h(2)
    );
    // Sunday's night is closed (no shift opens on Sunday): Sun 12:00 → Mon 12:00 = 0.
    assert_eq!(
        c.business_duration(utc(2026, 1, 11, 12, 0), utc(2026, 1, 12, 12, 0)),
        h(0)
    );
}

#[test]
fn holidays() {
    let hel = chrono_tz::Europe::Helsinki;
    let c = cal(
        hel,
        "Mon-Fri 09:00-17:00",
        &[(2026, 12, 24), (2026, 12, 25)],
    );
    // Wed 2026-12-23 15:00 → Mon 2026-12-28 11:00 local (EET): Wednesday 15:00–17:00 (2 h)
    // + Thu 24 and Fri 25 holidays (0) + weekend (0) + Monday 09:00–11:00 (2 h) = 4 h.
    let a = local(hel, 2026, 12, 23, 15, 0);
    let b = local(hel, 2026, 12, 28, 11, 0);
    assert_eq!(c.business_duration(a, b), h(4));
    // Without the holidays: 2 + 8 + 8 + 2 = 20 h.
    let open = cal(hel, "Mon-Fri 09:00-17:00", &[]);
    assert_eq!(open.business_duration(a, b), h(20));
    // An overnight shift belongs to the day it opens: with 25 December a holiday, the night
    // of 24 → 25 runs whole (8 h) and the night of 25 → 26 is cancelled: 24th 12:00 →
    // 26th 12:00 (UTC) = 8 h.
    let night = cal(Tz::UTC, "daily 22:00-06:00", &[(2026, 12, 25)]);
    assert_eq!(
        night.business_duration(utc(2026, 12, 24, 12, 0), utc(2026, 12, 26, 12, 0)),
        h(8)
    );
}

#[test]
fn pause_over_a_weekend() {
    let c = cal(Tz::UTC, "Mon-Fri 09:00-17:00", &[]);
    // Received Thu 2026-01-08 10:00, resolved Tue 2026-01-13 15:00.
    let a = utc(2026, 1, 8, 10, 0);
    let b = utc(2026, 1, 13, 15, 0);
    // Without a pause: Thu 10–17 (7) + Fri 9–17 (8) + Mon (8) + Tue 9–15 (6) = 29 h.
    assert_eq!(c.business_duration(a, b), h(29));
    // Waiting for the customer from Fri 12:00 to Tue 11:00 stops the clock for Fri 12–17
    // (5) + Mon (8) + Tue 9–11 (2) = 15 h: 29 − 15 = 14 h (= Thu 7 + Fri 3 + Tue 4).
    let mut p = Pauses::none();
    p.add(utc(2026, 1, 9, 12, 0), utc(2026, 1, 13, 11, 0))
        .unwrap();
    assert_eq!(c.business_duration_paused(a, b, &p), h(14));
    // Overlapping pauses count once: adding Sat–Mon 10:00 changes nothing.
    p.add(utc(2026, 1, 10, 0, 0), utc(2026, 1, 12, 10, 0))
        .unwrap();
    assert_eq!(p.intervals().len(), 1);
    assert_eq!(c.business_duration_paused(a, b, &p), h(14));
    // A reversed pause is refused.
    assert!(matches!(p.add(b, a), Err(SlaError::PauseOrder { .. })));
}

#[test]
fn two_locations_in_different_time_zones() {
    let hel = cal(chrono_tz::Europe::Helsinki, "Mon-Fri 09:00-17:00", &[]);
    let ny = cal(chrono_tz::America::New_York, "Mon-Fri 09:00-17:00", &[]);
    // Mon 2026-01-12 12:00 → 20:00 UTC.
    let a = utc(2026, 1, 12, 12, 0);
    let b = utc(2026, 1, 12, 20, 0);
    // Helsinki (UTC+2): 14:00 → 22:00 local, open 14:00–17:00 = 3 h.
    assert_eq!(hel.business_duration(a, b), h(3));
    // New York (UTC−5): 07:00 → 15:00 local, open 09:00–15:00 = 6 h.
    assert_eq!(ny.business_duration(a, b), h(6));
}

#[test]
fn deadlines() {
    let hel = chrono_tz::Europe::Helsinki;
    let c = cal(hel, "Mon-Fri 09:00-17:00", &[]);
    // A 4 h target from Fri 2026-01-16 16:00 local: 1 h on Friday, 3 h on Monday →
    // Monday 12:00 local = 10:00 UTC.
    let start = local(hel, 2026, 1, 16, 16, 0);
    assert_eq!(
        c.deadline(start, h(4), &Pauses::none()),
        Some(utc(2026, 1, 19, 10, 0))
    );
    // Paused from Friday 17:00 local (15:00 UTC, closing time) to Monday 11:00 local
    // (09:00 UTC): Friday's 1 h still counts, Monday 09:00–11:00 does not, so the other
    // 3 h run 11:00–14:00 local → 12:00 UTC.
    let mut p = Pauses::none();
    p.add(utc(2026, 1, 16, 15, 0), utc(2026, 1, 19, 9, 0))
        .unwrap();
    assert_eq!(c.deadline(start, h(4), &p), Some(utc(2026, 1, 19, 12, 0)));
    // Paused from Friday 16:30 local instead: 30 min on Friday, 3 h 30 min from Monday
    // 11:00 local → 14:30 local = 12:30 UTC.
    let mut p = Pauses::none();
    p.add(utc(2026, 1, 16, 14, 30), utc(2026, 1, 19, 9, 0))
        .unwrap();
    assert_eq!(c.deadline(start, h(4), &p), Some(utc(2026, 1, 19, 12, 30)));
    // A calendar that never opens has no deadline.
    let never = BusinessCalendar::new(Tz::UTC, WeeklyHours::default(), []);
    assert_eq!(never.deadline(start, h(1), &Pauses::none()), None);
    assert_eq!(
        BusinessCalendar::always().deadline(start, h(4), &Pauses::none()),
        Some(start + h(4))
    );
}

// ---------------------------------------------------------------------------------------
// Property tests.

const ZONES: [Tz; 6] = [
    Tz::UTC,
    chrono_tz::Europe::Helsinki,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe, // 30-minute DST shift
    chrono_tz::America::Santiago,    // DST change at midnight
    chrono_tz::Asia::Kolkata,
];

/// Zones without DST since 1970 (for the minute-by-minute oracle).
const FIXED: [Tz; 3] = [Tz::UTC, chrono_tz::Asia::Kolkata, chrono_tz::Asia::Tokyo];

fn shift() -> impl Strategy<Value = Shift> {
    (0u16..48, 0u16..=48).prop_map(|(a, b)| Shift::new(a * 30, b * 30).unwrap())
}

fn hours() -> impl Strategy<Value = WeeklyHours> {
    prop::collection::vec((0u8..7, shift()), 0..8).prop_map(|v| {
        let mut w = WeeklyHours::default();
        for (d, s) in v {
            w.add(Weekday::try_from(d).unwrap(), s);
        }
        w
    })
}

fn calendar(zones: &'static [Tz]) -> impl Strategy<Value = BusinessCalendar> {
    (
        0..zones.len(),
        hours(),
        prop::collection::vec(0i64..60, 0..4),
    )
        .prop_map(move |(z, w, hol)| {
            let base = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
            BusinessCalendar::new(
                zones[z],
                w,
                hol.into_iter().map(|d| base + TimeDelta::days(d)),
            )
        })
}

/// An instant within 2026-03-01 .. 2026-05-01 (covers the March/April DST changes).
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..61 * 24 * 60).prop_map(|m| utc(2026, 3, 1, 0, 0) + TimeDelta::minutes(m))
}

/// Whether instant `t` is open by direct inspection of its wall time (valid where the zone
/// has no DST transitions).
fn oracle_open(c: &BusinessCalendar, t: DateTime<Utc>) -> bool {
    let l = t.with_timezone(&c.timezone());
    let day = l.date_naive();
    let m = (l.hour() * 60 + l.minute()) as u16;
    let hol: Vec<NaiveDate> = c.holidays().collect();
    let today = !hol.contains(&day)
        && c.hours().shifts(day.weekday()).iter().any(|s| {
            if s.is_overnight() {
                m >= s.start_minutes()
            } else {
                m >= s.start_minutes() && m < s.end_minutes()
            }
        });
    let prev = day.pred_opt().unwrap();
    let yesterday = !hol.contains(&prev)
        && c.hours()
            .shifts(prev.weekday())
            .iter()
            .any(|s| s.is_overnight() && m < s.end_minutes());
    today || yesterday
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn additive(c in calendar(&ZONES), a in instant(), b in instant(), x in instant()) {
        // d(a, x) = d(a, b) + d(b, x) for every order of the three instants.
        prop_assert_eq!(
            c.business_duration(a, x),
            c.business_duration(a, b) + c.business_duration(b, x)
        );
    }

    #[test]
    fn additive_with_pauses(
        c in calendar(&ZONES), a in instant(), b in instant(), x in instant(),
        p in prop::collection::vec((instant(), 0i64..5000), 0..4),
    ) {
        let mut pauses = Pauses::none();
        for (s, len) in p {
            pauses.add(s, s + TimeDelta::minutes(len)).unwrap();
        }
        let d = |u, v| c.business_duration_paused(u, v, &pauses);
        prop_assert_eq!(d(a, x), d(a, b) + d(b, x));
        // Pauses never add time.
        let (lo, hi) = (a.min(x), a.max(x));
        prop_assert!(d(lo, hi) <= c.business_duration(lo, hi));
        prop_assert!(d(lo, hi) >= TimeDelta::zero());
    }

    #[test]
    fn monotone(c in calendar(&ZONES), a in instant(), b in instant(), x in instant()) {
        let (b, x) = (b.min(x), b.max(x));
        prop_assert!(c.business_duration(a, b) <= c.business_duration(a, x));
        // Never more than the wall time.
        let (lo, hi) = (a.min(x), a.max(x));
        prop_assert!(c.business_duration(lo, hi) <= hi - lo);
    }

    #[test]
    fn around_the_clock_is_wall_time(z in 0..ZONES.len(), a in instant(), b in instant(), start in 0u16..48) {
        // Every instant is open: whole days, and a 24-hour shift from any half hour.
        let full = BusinessCalendar::new(ZONES[z], WeeklyHours::always(), []);
        prop_assert_eq!(full.business_duration(a, b), b - a);
        let mut w = WeeklyHours::default();
        let s = Shift::new(start * 30, start * 30).unwrap();
        for d in 0..7 {
            w.add(Weekday::try_from(d).unwrap(), s);
        }
        let rolling = BusinessCalendar::new(ZONES[z], w, []);
        prop_assert_eq!(rolling.business_duration(a, b), b - a);
        prop_assert_eq!(BusinessCalendar::always().business_duration(a, b), b - a);
    }

    #[test]
    fn agrees_with_a_minute_oracle(c in calendar(&FIXED), a in instant(), len in 0i64..(9 * 24 * 60)) {
        let b = a + TimeDelta::minutes(len);
        let open = (0..len)
            .filter(|&m| oracle_open(&c, a + TimeDelta::minutes(m)))
            .count() as i64;
        prop_assert_eq!(c.business_duration(a, b), TimeDelta::minutes(open));
    }

    #[test]
    fn deadline_inverts_duration(c in calendar(&ZONES), a in instant(), mins in 1i64..3000) {
        let budget = TimeDelta::minutes(mins);
        if let Some(t) = c.deadline(a, budget, &Pauses::none()) {
            prop_assert_eq!(c.business_duration(a, t), budget);
            // The deadline is the first such instant: just before it, less time elapsed.
            prop_assert!(c.business_duration(a, t - TimeDelta::seconds(1)) < budget);
        } else {
            prop_assert!(c.hours().is_empty());
        }
    }
}
