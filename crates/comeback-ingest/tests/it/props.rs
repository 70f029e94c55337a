//! Property tests: the fast date path agrees with chrono; amounts round-trip.

use chrono::{NaiveDate, NaiveDateTime};
use comeback_core::{Amount, Day};
use comeback_ingest::fast::{parse_compact, parse_iso_date, parse_iso_datetime};
use comeback_ingest::{DecimalMark, IngestOptions, RefundPolicy};
use proptest::prelude::*;

fn chrono_date(s: &str, f: &str) -> Option<Day> {
    NaiveDate::parse_from_str(s, f).ok().map(Day::from_date)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn iso_date_matches_chrono(y in 0u32..10000, m in 0u32..14, d in 0u32..33) {
        let s = format!("{y:04}-{m:02}-{d:02}");
        prop_assert_eq!(parse_iso_date(s.as_bytes()), chrono_date(&s, "%Y-%m-%d"), "{}", s);
        let c = format!("{y:04}{m:02}{d:02}");
        prop_assert_eq!(parse_compact(c.as_bytes()), chrono_date(&c, "%Y%m%d"), "{}", c);
    }

    #[test]
    fn iso_datetime_matches_chrono(y in 1900u32..2100, m in 1u32..13, d in 1u32..32, h in 0u32..26, mi in 0u32..62, s in 0u32..62) {
        let t = format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}");
        let want = NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S").ok().map(|dt| Day::from_date(dt.date()));
        prop_assert_eq!(parse_iso_datetime(t.as_bytes()), want, "{}", t);
    }

    #[test]
    fn fast_path_never_accepts_what_chrono_rejects(s in "[0-9 :-]{8,19}") {
        if let Some(d) = parse_iso_date(s.as_bytes()) {
            prop_assert_eq!(Some(d), chrono_date(&s, "%Y-%m-%d"));
        }
        if let Some(d) = parse_compact(s.as_bytes()) {
            prop_assert_eq!(Some(d), chrono_date(&s, "%Y%m%d"));
        }
        if let Some(d) = parse_iso_datetime(s.as_bytes()) {
            let want = NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S").ok().map(|dt| Day::from_date(dt.date()));
            prop_assert_eq!(Some(d), want);
        }
    }

    #[test]
    fn amounts_round_trip(micros in -9_000_000_000_000_000i64..9_000_000_000_000_000, comma: bool, sep in 0usize..4, sym in 0usize..4, paren: bool) {
        let a = Amount::from_micros(micros);
        let plain = a.to_string(); // -1234567.891 form
        let (neg, body) = match plain.strip_prefix('-') { Some(b) => (true, b), None => (false, plain.as_str()) };
        let (int, frac) = body.split_once('.').unwrap();
        let seps = if comma { [".", " ", "'", ""] } else { [",", " ", "'", ""] };
        let s = seps[sep];
        let mut grouped = String::new();
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 { grouped.push_str(s); }
            grouped.push(ch);
        }
        let number = format!("{grouped}{}{frac}", if comma { ',' } else { '.' });
        let symbol = ["", "$", "€ ", "EUR "][sym];
        let text = match (neg, paren) {
            (true, true) => format!("({symbol}{number})"),
            (true, false) => format!("-{symbol}{number}"),
            (false, _) => format!("{symbol}{number}"),
        };
        let o = IngestOptions {
            decimal: if comma { DecimalMark::Comma } else { DecimalMark::Point },
            refunds: RefundPolicy::Net,
            delimiter: comeback_ingest::Delimiter::Byte(b'|'),
            ..IngestOptions::default()
        };
        let data = format!("customer|date|amount\nc|2024-01-01|{text}\n");
        let (rows, _) = crate::read(&data, &o).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(rows[0].amount, micros, "{}", text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Never panic on user input: arbitrary bytes (biased towards separators, digits,
    /// quotes, symbols and line ends) under several option sets give rows or an error.
    #[test]
    fn arbitrary_input_never_panics(
        data in proptest::collection::vec(
            prop_oneof![
                Just(b','), Just(b';'), Just(b'\t'), Just(b' '), Just(b'\n'), Just(b'\r'), Just(b'"'),
                Just(b'-'), Just(b'.'), Just(b':'), Just(b'T'), Just(b'Z'), Just(b'+'), Just(b'$'),
                Just(0xE2), Just(0x82), Just(0xAC), Just(0xFF), Just(b'('), Just(b')'),
                (b'0'..=b'9'), any::<u8>(),
            ],
            0..200,
        ),
        header in 0usize..3,
        comma: bool,
        skip: bool,
        tz: bool,
    ) {
        let mut with_header = b"customer,date,amount,qty,order_id\n".to_vec();
        with_header.extend_from_slice(&data);
        for input in [&data[..], &with_header[..]] {
            let o = IngestOptions {
                header: [comeback_ingest::HeaderMode::Auto, comeback_ingest::HeaderMode::Present, comeback_ingest::HeaderMode::Absent][header],
                columns: if header == 2 {
                    comeback_ingest::TransactionColumns {
                        customer: Some("1".parse().unwrap()),
                        date: Some("2".parse().unwrap()),
                        amount: Some("3".parse().unwrap()),
                        ..Default::default()
                    }
                } else {
                    Default::default()
                },
                decimal: if comma { DecimalMark::Comma } else { DecimalMark::Point },
                skip_invalid: skip,
                timezone: tz.then_some(comeback_ingest::Tz::Pacific__Kiritimati),
                ..IngestOptions::default()
            };
            let _ = crate::read_bytes(input, &o);
            let _ = comeback_ingest::read_customers(input, "c.csv", &comeback_ingest::CustomerOptions::default(), |_| {
                Ok::<_, std::convert::Infallible>(())
            });
        }
    }
}
