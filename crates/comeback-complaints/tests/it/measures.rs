//! Complaint measures and field parsers: hand-computed fixtures (arithmetic in comments).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use comeback_complaints::measures::{
    Calendars, ComplaintRow, MeasureError, MeasureOptions, measure, percentile_type7,
};
use comeback_complaints::parse::{parse_compensation, parse_target, parse_timestamp, parse_yes_no};
use comeback_complaints::sla::{BusinessCalendar, WeeklyHours};
use comeback_core::Amount;
use proptest::prelude::*;

fn utc(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, d, h, 0, 0).unwrap()
}

fn row(id: &str, received: DateTime<Utc>) -> ComplaintRow {
    ComplaintRow {
        complaint_id: id.into(),
        customer_id: format!("cust-{id}"),
        received_at: received,
        category: "quality".into(),
        ..ComplaintRow::default()
    }
}

fn close(got: Option<f64>, want: f64) {
    let g = got.expect("a value");
    assert!((g - want).abs() < 1e-12, "got {g}, want {want}");
}

#[test]
fn percentile_type7_matches_r() {
    // R: quantile(c(1, 2.5, 3, 6), c(0.5, 0.9), type = 7) → 2.75, 5.1
    // (h = 3 × 0.5 = 1.5: 2.5 + 0.5 × (3 − 2.5); h = 2.7: 3 + 0.7 × (6 − 3)).
    let x = [1.0, 2.5, 3.0, 6.0];
    close(percentile_type7(&x, 0.5), 2.75);
    close(percentile_type7(&x, 0.9), 5.1);
    close(percentile_type7(&x, 0.0), 1.0);
    close(percentile_type7(&x, 1.0), 6.0);
    close(percentile_type7(&[7.0], 0.9), 7.0);
    assert_eq!(percentile_type7(&[], 0.5), None);
}

/// Four complaints on a 24/7 clock, targets 4 h and 72 h, as-of = the latest timestamp.
#[test]
fn sla_shares_count_breached_waiting_complaints() {
    // A: response after 1 h (met), resolved after 24 h (met).
    let mut a = row("A", utc(5, 9));
    a.first_response_at = Some(utc(5, 10));
    a.resolved_at = Some(utc(6, 9));
    // B: response after 6 h (missed), resolved after 96 h (missed), reopened.
    let mut b = row("B", utc(5, 12));
    b.first_response_at = Some(utc(5, 18));
    b.resolved_at = Some(utc(9, 12));
    b.reopened_at = Some(utc(10, 8));
    // C: no response, received 2026-01-10 02:00 — 6 h before as-of (missed its 4 h
    // first-response target while waiting; within its 72 h resolution target).
    let c = row("C", utc(10, 2));
    // D: no response, received at as-of: within both targets, not counted.
    let d = row("D", utc(10, 8));
    let rows = [a, b, c, d];
    let m = measure(
        &rows,
        &Calendars::single(BusinessCalendar::always()),
        &MeasureOptions::default(),
    )
    .unwrap();
    assert_eq!(m.as_of, utc(10, 8)); // B's reopening and D's receipt
    assert_eq!((m.n, m.open), (4, 2));
    // First response: met 1 (A) ÷ (2 with a time + 1 breached waiting, C) = 1/3.
    assert_eq!(m.first_response_sla.met, 1);
    assert_eq!(m.first_response_sla.missed, 1);
    assert_eq!(m.first_response_sla.waiting_breached, 1);
    assert_eq!(m.first_response_sla.waiting_within, 1);
    close(m.first_response_sla.share, 1.0 / 3.0);
    // Resolution: met 1 (A) ÷ (2 resolved + 0 breached) = 1/2; C waited 6 h, D 0 h.
    assert_eq!(m.resolution_sla.waiting_within, 2);
    close(m.resolution_sla.share, 0.5);
    // Times: first response [1, 6] → median 3.5, p90 = 1 + 0.9 × 5 = 5.5;
    // resolution [24, 96] → median 60, p90 = 24 + 0.9 × 72 = 88.8.
    close(m.first_response_hours.median, 3.5);
    close(m.first_response_hours.p90, 5.5);
    close(m.resolution_hours.median, 60.0);
    close(m.resolution_hours.p90, 88.8);
    // Reopen rate = 1 reopened ÷ 2 resolved.
    close(m.reopen_rate, 0.5);
    // Iceberg: 4 complaints × 10 = 40; TARP 4 × 26 = 104.
    assert_eq!(m.iceberg.silent_dissatisfied, 40.0);
    assert_eq!(m.iceberg.tarp_silent_dissatisfied, 104.0);
    // A later as-of: C has now waited 74 h > 72 h, D 66 h > 4 h.
    let later = MeasureOptions {
        as_of: Some(utc(13, 4)),
        ..MeasureOptions::default()
    };
    let m = measure(
        &rows,
        &Calendars::single(BusinessCalendar::always()),
        &later,
    )
    .unwrap();
    // First response: 1 ÷ (2 + 2) = 0.25; resolution: 1 ÷ (2 + 1) = 1/3.
    close(m.first_response_sla.share, 0.25);
    close(m.resolution_sla.share, 1.0 / 3.0);
}

#[test]
fn nulls_when_there_is_nothing_to_measure() {
    let rows = [row("A", utc(5, 9))];
    let m = measure(
        &rows,
        &Calendars::single(BusinessCalendar::always()),
        &MeasureOptions::default(),
    )
    .unwrap();
    assert_eq!(m.first_response_hours.median, None);
    assert_eq!(m.resolution_hours.p90, None);
    // The only complaint was received at as-of: nothing met, missed or breached.
    assert_eq!(m.first_response_sla.share, None);
    assert_eq!(m.reopen_rate, None);
    assert_eq!(m.satisfaction.share, None);
    let empty = measure(
        &[],
        &Calendars::single(BusinessCalendar::always()),
        &MeasureOptions::default(),
    )
    .unwrap();
    assert_eq!((empty.n, empty.open), (0, 0));
}

#[test]
fn per_location_calendars() {
    // Same instants, Helsinki (UTC+2) and New York (UTC−5), Mon–Fri 09–17: Mon 2026-01-12
    // 12:00 → 20:00 UTC is 3 business hours in Helsinki and 6 in New York.
    let hours = WeeklyHours::parse("Mon-Fri 09:00-17:00").unwrap();
    let mut cals = Calendars::single(BusinessCalendar::always());
    for (name, tz) in [
        ("HEL", chrono_tz::Europe::Helsinki),
        ("NYC", chrono_tz::America::New_York),
    ] {
        cals.by_location
            .insert(name.into(), BusinessCalendar::new(tz, hours.clone(), []));
    }
    let mk = |loc: &str| {
        let mut r = row(loc, utc(12, 12));
        r.location = Some(loc.into());
        r.first_response_at = Some(utc(12, 20));
        r
    };
    let m = measure(&[mk("HEL")], &cals, &MeasureOptions::default()).unwrap();
    close(m.first_response_hours.median, 3.0);
    let m = measure(&[mk("NYC")], &cals, &MeasureOptions::default()).unwrap();
    close(m.first_response_hours.median, 6.0);
    // A location without a calendar of its own uses the default (24/7): 8 h.
    let m = measure(&[mk("elsewhere")], &cals, &MeasureOptions::default()).unwrap();
    close(m.first_response_hours.median, 8.0);
}

#[test]
fn volumes_compensation_and_satisfaction() {
    let mut rows = Vec::new();
    for (i, (cat, comp, typ, sat)) in [
        ("quality", Some("10.25"), Some("refund"), Some(true)),
        (" quality ", Some("0"), Some("none"), Some(false)),
        ("Price", None, None, None),
        ("price", Some("4.75"), Some("refund"), Some(true)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = row(&i.to_string(), utc(1 + i as u32 * 10, 9));
        r.category = cat.into();
        r.compensation = comp.map(|c| parse_compensation(c).unwrap());
        r.compensation_type = typ.map(Into::into);
        r.satisfied = sat;
        rows.push(r);
    }
    let m = measure(
        &rows,
        &Calendars::single(BusinessCalendar::always()),
        &MeasureOptions {
            month_timezone: Tz::UTC,
            ..MeasureOptions::default()
        },
    )
    .unwrap();
    // Keys as written, trimmed: "quality" twice, "Price" and "price" apart.
    let cats: Vec<(&str, u64)> = m
        .by_category
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(cats, [("Price", 1), ("price", 1), ("quality", 2)]);
    // Received 2026-01-01, -11, -21, -31: all January.
    assert_eq!(m.by_month.get("2026-01"), Some(&4));
    // 10.25 + 0 + 4.75 = 15 exactly; refunds 15 over 2.
    assert_eq!(m.compensation_total, Amount::from_micros(15_000_000));
    assert_eq!(m.compensated, 3);
    assert_eq!(m.compensation_by_type["refund"].count, 2);
    assert_eq!(
        m.compensation_by_type["refund"].total,
        Amount::from_micros(15_000_000)
    );
    // Satisfied 2 of 3 answers.
    assert_eq!((m.satisfaction.satisfied, m.satisfaction.answered), (2, 3));
}

#[test]
fn errors() {
    let cal = Calendars::single(BusinessCalendar::always());
    let mut r = row("X", utc(5, 9));
    r.first_response_at = Some(utc(5, 8));
    let e = measure(&[row("ok", utc(1, 1)), r], &cal, &MeasureOptions::default()).unwrap_err();
    assert!(matches!(
        e,
        MeasureError::BeforeReceipt {
            index: 1,
            field: "first_response_at",
            ..
        }
    ));
    assert!(e.to_string().contains("first_response_at (2026-01-05T08:00:00+00:00) is before received_at (2026-01-05T09:00:00+00:00)"), "{e}");
    let mut r = row("Y", utc(5, 9));
    r.reopened_at = Some(utc(6, 9));
    assert!(matches!(
        measure(&[r], &cal, &MeasureOptions::default()),
        Err(MeasureError::ReopenedUnresolved { index: 0, .. })
    ));
    let early = MeasureOptions {
        as_of: Some(utc(5, 8)),
        ..MeasureOptions::default()
    };
    assert!(matches!(
        measure(&[row("Z", utc(5, 9))], &cal, &early),
        Err(MeasureError::AsOfTooEarly { index: 0, .. })
    ));
    let bad = MeasureOptions {
        iceberg_ratio: -1.0,
        ..MeasureOptions::default()
    };
    assert!(matches!(
        measure(&[], &cal, &bad),
        Err(MeasureError::Ratio(_))
    ));
}

#[test]
fn timestamps() {
    let hel = chrono_tz::Europe::Helsinki;
    let want = Utc.with_ymd_and_hms(2026, 1, 5, 7, 30, 0).unwrap();
    for s in [
        "2026-01-05T09:30",
        "2026-01-05 09:30",
        "2026-01-05T09:30:00",
        "2026-01-05T07:30:00Z",
        "2026-01-05T07:30Z",
        "2026-01-05T09:30:00+02:00",
        "2026-01-05T04:30:00-0300",
        "2026-01-05 09:30:00.000+02",
    ] {
        assert_eq!(parse_timestamp(s, hel), Ok(want), "{s}");
    }
    assert_eq!(
        parse_timestamp("2026-01-05T09:30:00.250Z", Tz::UTC).unwrap() - want,
        TimeDelta::hours(2) + TimeDelta::milliseconds(250)
    );
    for s in [
        "2026-01-05",
        "05/01/2026 09:30",
        "2026-13-05T09:30",
        "soon",
        "",
    ] {
        let e = parse_timestamp(s, hel).unwrap_err();
        assert!(e.expected.contains("ISO 8601"), "{s}: {e}");
    }
    // Fall back in Helsinki 2026-10-25 04:00 → 03:00: 03:30 occurs twice.
    let e = parse_timestamp("2026-10-25T03:30", hel).unwrap_err();
    assert!(e.expected.contains("+03:00 or +02:00"), "{e}");
}

#[test]
fn targets_compensation_and_answers() {
    assert_eq!(parse_target("4h"), Ok(TimeDelta::hours(4)));
    assert_eq!(parse_target("72H"), Ok(TimeDelta::hours(72)));
    assert_eq!(parse_target("90m"), Ok(TimeDelta::minutes(90)));
    assert_eq!(parse_target("0.5h"), Ok(TimeDelta::minutes(30)));
    for s in ["4", "h", "4d", "-4h", "0h", "4m3h", "4h4h", "", "1.2.3h"] {
        assert!(parse_target(s).is_err(), "{s}");
    }
    assert_eq!(
        parse_compensation("12.5"),
        Ok(Amount::from_micros(12_500_000))
    );
    assert_eq!(parse_compensation("0.000001"), Ok(Amount::from_micros(1)));
    assert_eq!(parse_compensation(".5"), Ok(Amount::from_micros(500_000)));
    for s in [
        "-1",
        "€5",
        "1,5",
        "1e3",
        "0.0000001",
        ".",
        "",
        "99999999999999999",
    ] {
        assert!(parse_compensation(s).is_err(), "{s}");
    }
    assert_eq!(parse_yes_no("Yes"), Ok(true));
    assert_eq!(parse_yes_no("0"), Ok(false));
    assert!(parse_yes_no("maybe").is_err());
}

proptest! {
    #[test]
    fn percentiles_are_ordered_and_bounded(mut v in prop::collection::vec(0.0f64..1e4, 1..40)) {
        v.sort_by(f64::total_cmp);
        let med = percentile_type7(&v, 0.5).unwrap();
        let p90 = percentile_type7(&v, 0.9).unwrap();
        prop_assert!(v[0] <= med && med <= p90 && p90 <= v[v.len() - 1]);
    }

    #[test]
    fn shares_are_fractions(
        times in prop::collection::vec((0u32..200, prop::option::of(0u32..200), prop::option::of(0u32..400)), 0..30),
    ) {
        let base = utc(1, 0);
        let rows: Vec<ComplaintRow> = times
            .iter()
            .enumerate()
            .map(|(i, &(rec, fr, res))| {
                let r0 = base + TimeDelta::hours(i64::from(rec));
                let mut r = row(&i.to_string(), r0);
                r.first_response_at = fr.map(|h| r0 + TimeDelta::hours(i64::from(h)));
                r.resolved_at = res.map(|h| r0 + TimeDelta::hours(i64::from(h)));
                r
            })
            .collect();
        let m = measure(&rows, &Calendars::single(BusinessCalendar::always()), &MeasureOptions::default()).unwrap();
        for s in [m.first_response_sla, m.resolution_sla] {
            if let Some(x) = s.share {
                prop_assert!((0.0..=1.0).contains(&x));
            }
        }
        // Every complaint is counted exactly once in each SLA.
        let r = m.resolution_sla;
        prop_assert_eq!(r.met + r.missed + r.waiting_breached + r.waiting_within, m.n);
        let f = m.first_response_sla;
        prop_assert_eq!(f.met + f.missed + f.waiting_breached + f.waiting_within + m.first_response_missing, m.n);
        prop_assert_eq!(m.open, r.waiting_breached + r.waiting_within);
    }
}

/// The clock stops while a complaint waits for the customer: a wait over a weekend on
/// Mon–Fri 09:00–17:00 in Helsinki (EET = UTC+2 in March 2026), an open wait counted up to
/// as-of, and the order rules of the pauses.
#[test]
fn pauses_stop_the_clock() {
    let hel = BusinessCalendar::new(
        chrono_tz::Europe::Helsinki,
        WeeklyHours::parse("Mon-Fri 09:00-17:00").unwrap(),
        [],
    );
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    // A: received Fri 6 March 14:00 EET, answered at 15:00 (1 h), waiting Fri 16:00 → Tue
    // 10 March 11:00 EET (1 + 8 + 2 = 11 business hours), resolved Wed 11 March 12:00 EET.
    // Resolution: Fri 3 + Mon 8 + Tue 8 + Wed 3 = 22 open hours − 11 = 11 h.
    let mut a = row("A", at("2026-03-06T12:00:00Z"));
    a.first_response_at = Some(at("2026-03-06T13:00:00Z"));
    a.resolved_at = Some(at("2026-03-11T10:00:00Z"));
    a.paused = vec![(at("2026-03-06T14:00:00Z"), Some(at("2026-03-10T09:00:00Z")))];
    // B: received Mon 9 March 09:00 EET, waiting since 10:00 EET, still waiting at as-of
    // Wed 11 March 12:00 EET: 1 business hour, not 8 + 8 + 3 = 19.
    let mut b = row("B", at("2026-03-09T07:00:00Z"));
    b.paused = vec![(at("2026-03-09T08:00:00Z"), None)];
    let rows = [a.clone(), b.clone()];
    let m = measure(
        &rows,
        &Calendars::single(hel.clone()),
        &MeasureOptions::default(),
    )
    .unwrap();
    assert_eq!(m.as_of, at("2026-03-11T10:00:00Z"));
    close(m.first_response_hours.median, 1.0);
    close(m.resolution_hours.median, 11.0);
    assert_eq!(m.resolution_sla.met, 1);
    // B waited 1 h of its 4 h first-response target: within.
    assert_eq!(m.first_response_sla.waiting_within, 1);
    assert_eq!(m.first_response_sla.waiting_breached, 0);
    // Without the pauses: A resolved in 22 h, B breached (19 h > 4 h).
    let (mut a0, mut b0) = (a.clone(), b.clone());
    a0.paused.clear();
    b0.paused.clear();
    let m0 = measure(
        &[a0, b0],
        &Calendars::single(hel.clone()),
        &MeasureOptions::default(),
    )
    .unwrap();
    close(m0.resolution_hours.median, 22.0);
    assert_eq!(m0.first_response_sla.waiting_breached, 1);
    // The order rules, with the row's index.
    for (paused, reason) in [
        (
            vec![(at("2026-03-09T06:00:00Z"), None)],
            "starts before received_at",
        ),
        (
            vec![(at("2026-03-09T09:00:00Z"), Some(at("2026-03-09T08:00:00Z")))],
            "ends before it starts",
        ),
        (
            vec![
                (at("2026-03-09T08:00:00Z"), Some(at("2026-03-09T10:00:00Z"))),
                (at("2026-03-09T09:00:00Z"), None),
            ],
            "starts before the previous pause ends",
        ),
        (
            vec![
                (at("2026-03-09T08:00:00Z"), None),
                (at("2026-03-09T09:00:00Z"), None),
            ],
            "is open (no end) but is not the last pause",
        ),
    ] {
        let mut bad = b.clone();
        bad.paused = paused;
        let e = measure(
            &[a.clone(), bad],
            &Calendars::single(hel.clone()),
            &MeasureOptions::default(),
        )
        .unwrap_err();
        match e {
            MeasureError::Pause {
                index, reason: r, ..
            } => {
                assert_eq!((index, r), (1, reason));
            }
            other => panic!("{other:?}"),
        }
    }
}
