//! The survey table reader: header lookup, field parsers and their error messages.

use comeback_ingest::{
    DateFormat, DecimalMark, IngestError, Table, TableOptions, read_table, read_table_path,
};
use proptest::prelude::*;

fn table(data: &str) -> Table {
    read_table(data.as_bytes(), "responses.csv", &TableOptions::default()).unwrap()
}

fn err(r: Result<impl std::fmt::Debug, IngestError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn reads_header_rows_and_physical_lines() {
    let t =
        table("Customer , Score,date\n\na,9,2025-03-01\n\"b\nb\",  ,2025-03-02\nc,10,2025-03-03\n");
    assert_eq!(t.headers, ["Customer", "Score", "date"]);
    let lines: Vec<u64> = t.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4, 6]);
    assert_eq!(t.rows[1].fields, ["b\nb", "", "2025-03-02"]);
    assert_eq!(t.rows[2].get(1), "10");
    assert_eq!(t.rows[2].get(7), "");
}

#[test]
fn detects_semicolons_and_tabs() {
    let t = table("a;b\n1;2\n");
    assert_eq!(t.rows[0].fields, ["1", "2"]);
    let t = table("a\tb\n1\t2\n");
    assert_eq!(t.rows[0].fields, ["1", "2"]);
}

#[test]
fn column_lookup_ignores_case_spaces_and_separators() {
    let t = table("Customer ID,NPS score,date\nx,1,2025-01-01\n");
    assert_eq!(t.column("customer_id").unwrap(), 0);
    assert_eq!(t.column("nps-score").unwrap(), 1);
    assert_eq!(t.column(" DATE ").unwrap(), 2);
    assert_eq!(t.optional_column("csat").unwrap(), None);
    assert_eq!(
        err(t.column("scroe")),
        r#"responses.csv: no column "scroe" in header "Customer ID", "NPS score", "date""#
    );
    let t = table("score,Score\n1,2\n");
    assert_eq!(t.column("Score").unwrap(), 1, "an exact match wins");
    assert_eq!(
        err(t.column("SCORE")),
        r#"responses.csv: column name "SCORE" matches several columns: "score", "Score""#
    );
}

#[test]
fn wrong_field_count_names_the_line() {
    let r = read_table(
        "a,b\n1,2\n\n3\n".as_bytes(),
        "r.csv",
        &TableOptions::default(),
    );
    assert_eq!(
        err(r),
        "r.csv:4: expected 2 comma-separated fields, found 1"
    );
}

#[test]
fn empty_input_is_an_error() {
    let r = read_table("".as_bytes(), "r.csv", &TableOptions::default());
    assert_eq!(err(r), "r.csv: the input is empty");
    let t = table("a,b\n");
    assert!(t.rows.is_empty());
}

#[test]
fn scores_blank_integer_and_range() {
    let t = table("score\n9\n\n 0 \n7.5\n11\n-1\ngood\n10.0\n");
    let s = t.column("score").unwrap();
    let p = |i: usize| t.parse_score(&t.rows[i], s, 0.0, 10.0, true);
    assert_eq!(p(0).unwrap(), Some(9.0));
    assert_eq!(p(1).unwrap(), Some(0.0));
    assert_eq!(
        err(p(2)),
        r#"responses.csv:5: column "score": cannot parse "7.5" as a score (not an integer score; expected a whole number from 0 to 10)"#
    );
    assert_eq!(
        err(p(3)),
        r#"responses.csv:6: column "score": cannot parse "11" as a score (out of range; expected a whole number from 0 to 10)"#
    );
    assert_eq!(
        err(p(4)),
        r#"responses.csv:7: column "score": cannot parse "-1" as a score (out of range; expected a whole number from 0 to 10)"#
    );
    assert_eq!(
        err(p(5)),
        r#"responses.csv:8: column "score": cannot parse "good" as a score (expected a whole number from 0 to 10)"#
    );
    assert_eq!(p(6).unwrap(), Some(10.0), "10.0 is a whole number");
    // A blank line is skipped by the reader, a blank field is a non-response.
    let t = table("id,score\na,\n");
    assert_eq!(t.parse_score(&t.rows[0], 1, 0.0, 10.0, true).unwrap(), None);
    // Non-integer scales.
    let t = table("ces\n3.5\n7.01\n");
    assert_eq!(
        t.parse_score(&t.rows[0], 0, 1.0, 7.0, false).unwrap(),
        Some(3.5)
    );
    assert_eq!(
        err(t.parse_score(&t.rows[1], 0, 1.0, 7.0, false)),
        r#"responses.csv:3: column "ces": cannot parse "7.01" as a score (out of range; expected a number from 1 to 7)"#
    );
}

#[test]
fn numbers_with_either_decimal_mark() {
    let t = table("n\n12.5\n\nnan\ninf\n1,5\n");
    let p = |i: usize| t.parse_number(&t.rows[i], 0);
    assert_eq!(p(0).unwrap(), Some(12.5));
    assert_eq!(
        err(p(1)),
        r#"responses.csv:4: column "n": cannot parse "nan" as a number (decimal mark '.')"#
    );
    assert!(p(2).is_err());
    assert!(p(3).is_err());
    let opts = TableOptions {
        decimal: DecimalMark::Comma,
        ..TableOptions::default()
    };
    let t = read_table("n;m\n7,5;\n".as_bytes(), "r.csv", &opts).unwrap();
    assert_eq!(t.parse_number(&t.rows[0], 0).unwrap(), Some(7.5));
    assert_eq!(t.parse_number(&t.rows[0], 1).unwrap(), None);
    assert_eq!(
        t.parse_score(&t.rows[0], 0, 0.0, 10.0, false).unwrap(),
        Some(7.5)
    );
}

#[test]
fn days_fix_the_format_per_column() {
    let t = table("d,e\n2025-03-01,20250301\n2025-03-02,\n20250303,2025-03-04\n");
    let day = |r: usize, c: usize| t.parse_day(&t.rows[r], c);
    assert_eq!(day(0, 0).unwrap().unwrap().to_string(), "2025-03-01");
    assert_eq!(day(0, 1).unwrap().unwrap().to_string(), "2025-03-01");
    assert_eq!(day(1, 1).unwrap(), None);
    assert_eq!(
        err(day(2, 0)),
        r#"responses.csv:4: column "d": cannot parse "20250303" as a date (format %Y-%m-%d)"#
    );
    assert_eq!(
        err(day(2, 1)),
        r#"responses.csv:4: column "e": cannot parse "2025-03-04" as a date (format %Y%m%d)"#
    );
    let opts = TableOptions {
        date_format: DateFormat::new("%d.%m.%Y"),
        ..TableOptions::default()
    };
    let t = read_table("d\n31.12.2024\n".as_bytes(), "r.csv", &opts).unwrap();
    assert_eq!(
        t.parse_day(&t.rows[0], 0).unwrap().unwrap().to_string(),
        "2024-12-31"
    );
    let bad = TableOptions {
        date_format: DateFormat::new("no fields"),
        ..TableOptions::default()
    };
    assert!(read_table("d\n1\n".as_bytes(), "r.csv", &bad).is_err());
}

#[test]
fn reads_a_path_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.csv");
    std::fs::write(&p, "a,b\n1,2\n1\n").unwrap();
    let e = err(read_table_path(&p, &TableOptions::default()));
    assert_eq!(
        e,
        format!(
            "{}:3: expected 2 comma-separated fields, found 1",
            p.display()
        )
    );
    let missing = dir.path().join("none.csv");
    assert!(
        err(read_table_path(&missing, &TableOptions::default()))
            .starts_with(&format!("{}: ", missing.display()))
    );
}

proptest! {
    /// Every integer in range parses to itself, every other integer is an error, and the
    /// blank field is always a non-response.
    #[test]
    fn integer_scores_round_trip(v in -20i64..30, lo in 0i64..3, width in 1i64..11) {
        let hi = lo + width;
        let t = table(&format!("s,blank\n{v},\n"));
        let r = t.parse_score(&t.rows[0], 0, lo as f64, hi as f64, true);
        if (lo..=hi).contains(&v) {
            prop_assert_eq!(r.unwrap(), Some(v as f64));
        } else {
            prop_assert!(r.is_err());
        }
        prop_assert_eq!(t.parse_score(&t.rows[0], 1, lo as f64, hi as f64, true).unwrap(), None);
    }
}

#[test]
fn numbers_and_scores_are_plain_decimals() {
    let t = table("score\n1e1\n1E0\n.5e1\n+9\n9.\n-0.5\n1.2.3\n");
    let s = t.column("score").unwrap();
    let score = |i: usize| t.parse_score(&t.rows[i], s, 0.0, 10.0, true);
    assert_eq!(
        err(score(0)),
        r#"responses.csv:2: column "score": cannot parse "1e1" as a score (not a plain decimal number; expected a whole number from 0 to 10)"#
    );
    assert!(err(score(1)).contains("\"1E0\" as a score (not a plain decimal number;"));
    assert!(err(score(2)).contains("\".5e1\" as a score (not a plain decimal number;"));
    assert!(err(score(3)).contains("\"+9\" as a score (not a plain decimal number;"));
    assert_eq!(score(4).unwrap(), Some(9.0), "9. is plain decimal notation");
    let number = |i: usize| t.parse_number(&t.rows[i], s);
    assert_eq!(
        err(number(0)),
        r#"responses.csv:2: column "score": cannot parse "1e1" as a number (not a plain decimal number; decimal mark '.')"#
    );
    assert!(number(3).is_err());
    assert_eq!(number(5).unwrap(), Some(-0.5));
    assert_eq!(
        err(number(6)),
        r#"responses.csv:8: column "score": cannot parse "1.2.3" as a number (decimal mark '.')"#
    );
}

#[test]
fn one_column_files_strip_quotes() {
    for data in [
        "score\n\"9\"\n",
        "\"score\"\n\"9\"\n",
        "\"score\"\r\n9\r\n\r\n\"10\"\r\n",
    ] {
        let t = table(data);
        let s = t.column("score").unwrap();
        assert_eq!(t.headers, ["score"], "{data:?}");
        assert_eq!(
            t.parse_score(&t.rows[0], s, 0.0, 10.0, true).unwrap(),
            Some(9.0),
            "{data:?}"
        );
    }
    let t = table("\"comment\"\n\"very good, thanks\"\nok\n");
    assert_eq!(t.rows[0].get(0), "very good, thanks");
    assert_eq!(t.rows[1].line, 3);
    // Two whitespace-separated columns keep whitespace splitting.
    let t = table("id score\na 9\n");
    assert_eq!(t.headers, ["id", "score"]);
}
