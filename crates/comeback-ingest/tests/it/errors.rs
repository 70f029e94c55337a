//! Every malformed-input case names file, line, column, value and expectation, exactly.

use crate::{error, read, read_bytes};
use comeback_ingest::{
    ColumnRef, DateFormat, DecimalMark, Delimiter, HeaderMode, IngestError, IngestOptions,
    TransactionColumns, TransactionReader, read_transactions,
};

fn opts() -> IngestOptions {
    IngestOptions::default()
}

const HEAD: &str = "customer,date,amount\nc1,1997-01-01,1.00\n";

#[test]
fn bad_date() {
    assert_eq!(
        error(&format!("{HEAD}c2,1997-13-01,2\n"), &opts()),
        r#"sales.csv:3: column "date": cannot parse "1997-13-01" as a date (format %Y-%m-%d)"#
    );
}

#[test]
fn bad_date_with_explicit_format_and_no_header() {
    let o = IngestOptions {
        header: HeaderMode::Absent,
        date_format: DateFormat::new("%d.%m.%Y"),
        columns: TransactionColumns {
            customer: Some(ColumnRef::Position(1)),
            date: Some(ColumnRef::Position(3)),
            ..Default::default()
        },
        ..opts()
    };
    assert_eq!(
        error("a;x;31.01.2024\nb;y;2024-02-01\n", &o),
        r#"sales.csv:2: column 3: cannot parse "2024-02-01" as a date (format %d.%m.%Y)"#
    );
}

#[test]
fn day_and_month_order_is_never_guessed() {
    assert_eq!(
        error("customer,date\nc1,03/04/2024\n", &opts()),
        r#"sales.csv:2: column "date": cannot parse "03/04/2024" as a date (format %Y-%m-%d, %Y%m%d or an ISO 8601 timestamp)"#
    );
}

#[test]
fn wrong_number_of_fields() {
    assert_eq!(
        error(&format!("{HEAD}c2,1997-01-02\n"), &opts()),
        "sales.csv:3: expected 3 comma-separated fields, found 2"
    );
    assert_eq!(
        error(&format!("{HEAD}c2,1997-01-02,1,\n"), &opts()),
        "sales.csv:3: expected 3 comma-separated fields, found 4"
    );
}

#[test]
fn empty_customer_id() {
    assert_eq!(
        error(&format!("{HEAD}  ,1997-01-02,1\n"), &opts()),
        r#"sales.csv:3: column "customer": empty customer id"#
    );
}

#[test]
fn missing_values() {
    assert_eq!(
        error(&format!("{HEAD}c2,,1\n"), &opts()),
        r#"sales.csv:3: column "date": missing value (expected a date, format %Y-%m-%d)"#
    );
    assert_eq!(
        error(&format!("{HEAD}c2,1997-01-02,\n"), &opts()),
        r#"sales.csv:3: column "amount": missing value (expected an amount, e.g. -1,234.56)"#
    );
}

#[test]
fn unparseable_amounts() {
    assert_eq!(
        error(&format!("{HEAD}c2,1997-01-02,\"12,50\"\n"), &opts()),
        r#"sales.csv:3: column "amount": cannot parse "12,50" as an amount (expected a number like -1,234.56)"#
    );
    let comma = IngestOptions {
        decimal: DecimalMark::Comma,
        ..opts()
    };
    assert_eq!(
        error("customer;date;amount\nc1;1997-01-01;12.5\n", &comma),
        r#"sales.csv:2: column "amount": cannot parse "12.5" as an amount (expected a number like -1.234,56 (decimal comma))"#
    );
    assert_eq!(
        error(&format!("{HEAD}c2,1997-01-02,0.1234567\n"), &opts()),
        r#"sales.csv:3: column "amount": cannot parse "0.1234567" as an amount (more than 6 decimal places)"#
    );
    assert_eq!(
        error(&format!("{HEAD}c2,1997-01-02,99999999999999\n"), &opts()),
        r#"sales.csv:3: column "amount": cannot parse "99999999999999" as an amount (out of range, more than 9.2e12)"#
    );
}

#[test]
fn bad_quantity() {
    assert_eq!(
        error("customer,date,qty\nc1,2024-01-01,1.5\n", &opts()),
        r#"sales.csv:2: column "qty": cannot parse "1.5" as a quantity (expected a whole number)"#
    );
}

#[test]
fn invalid_utf8() {
    let data = b"customer,date,amount\nab\xff,1997-01-01,1\n";
    let e = read_bytes(data, &opts()).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"sales.csv:2: column "customer": invalid UTF-8 in "ab\xff""#
    );
    // An unused column may hold anything.
    let data = b"customer,date,note\nab,1997-01-01,\xff\xfe\n";
    assert_eq!(read_bytes(data, &opts()).unwrap().0.len(), 1);
}

#[test]
fn two_currency_symbols() {
    assert_eq!(
        error(
            "customer,date,amount\nc1,2024-01-01,$1.00\nc1,2024-01-02,2\nc1,2024-01-03,€2\n",
            &opts()
        ),
        r#"sales.csv:4: column "amount": "€2" has another currency symbol than "$" on line 2 (two currencies in one file)"#
    );
    let usd = IngestOptions {
        currency: Some("USD".into()),
        ..opts()
    };
    assert_eq!(
        error("customer,date,amount\nc1,2024-01-01,12.00 EUR\n", &usd),
        r#"sales.csv:2: column "amount": "12.00 EUR" is in EUR, but the currency is set to USD"#
    );
}

#[test]
fn line_numbers_are_physical() {
    // Blank lines, a CRLF file and a quoted field spanning two lines.
    let data = "customer,note,date\r\nc1,\"two\r\nlines\",2024-01-01\r\n\r\nc2,x,2024-13-01\r\n";
    assert_eq!(
        error(data, &opts()),
        r#"sales.csv:5: column "date": cannot parse "2024-13-01" as a date (format %Y-%m-%d)"#
    );
    let ws = " customer   date\n\n   c1 19970101\n c2 1997011\n";
    assert_eq!(
        error(ws, &opts()),
        r#"sales.csv:4: column "date": cannot parse "1997011" as a date (format %Y%m%d)"#
    );
}

#[test]
fn ambiguous_header_lists_the_candidates() {
    assert_eq!(
        error("id,customer_id,date\n1,2,2024-01-01\n", &opts()),
        r#"sales.csv: ambiguous header: columns "id", "customer_id" all match field customer; choose one with the customer column option"#
    );
    // Naming the column resolves it.
    let o = IngestOptions {
        columns: TransactionColumns {
            customer: Some("customer_id".parse().unwrap()),
            ..Default::default()
        },
        ..opts()
    };
    let (rows, report) = read("id,customer_id,date\n1,2,2024-01-01\n", &o).unwrap();
    assert_eq!(rows[0].customer, "2");
    assert_eq!(
        report.mapping_lines()[0],
        r#"customer ← "customer_id" (column 2, by name)"#
    );
}

#[test]
fn mapping_errors() {
    assert_eq!(
        error("client,when\n1,2024-01-01\n", &opts()),
        r#"sales.csv: no column for field date in header "client", "when" (name it explicitly, or see the synonym table)"#
    );
    assert_eq!(
        error("1,2024-01-01\n", &opts()),
        "sales.csv: the file has no header, so field customer needs a column position"
    );
    let o = IngestOptions {
        columns: TransactionColumns {
            date: Some(ColumnRef::Position(7)),
            ..Default::default()
        },
        ..opts()
    };
    assert_eq!(
        error("customer,date\n1,2024-01-01\n", &o),
        "sales.csv: column 7 for field date does not exist: line 1 has 2 fields"
    );
    let o = IngestOptions {
        header: HeaderMode::Absent,
        columns: TransactionColumns {
            customer: Some(ColumnRef::Name("who".into())),
            ..Default::default()
        },
        ..opts()
    };
    assert_eq!(
        error("1,2024-01-01\n", &o),
        r#"sales.csv: column "who" for field customer is given by name, but the file has no header"#
    );
    let o = IngestOptions {
        columns: TransactionColumns {
            customer: Some(ColumnRef::Position(1)),
            date: Some(ColumnRef::Position(1)),
            ..Default::default()
        },
        ..opts()
    };
    assert_eq!(
        error("1,2024-01-01\n", &o),
        "sales.csv: fields customer and date both use column 1"
    );
}

#[test]
fn empty_input_and_bad_options() {
    assert_eq!(error("", &opts()), "sales.csv: the input is empty");
    assert_eq!(
        error("\u{feff}\r\n\r\n", &opts()),
        "sales.csv: the input is empty"
    );
    let o = IngestOptions {
        date_format: DateFormat::new("%Y-%Q"),
        ..opts()
    };
    assert_eq!(
        error(HEAD, &o),
        r#"invalid option: invalid date format "%Y-%Q""#
    );
    let o = IngestOptions {
        currency: Some("euro".into()),
        ..opts()
    };
    assert_eq!(
        error(HEAD, &o),
        r#"invalid option: invalid currency "euro" (expected an ISO 4217 code such as USD or EUR)"#
    );
}

#[test]
fn skip_invalid_collects_every_reject() {
    let o = IngestOptions {
        skip_invalid: true,
        ..opts()
    };
    let data = "customer,date,amount\nc1,2024-01-01,1\nc2,2024-02-30,2\n,2024-01-02,3\n\"c,4\",2024-01-03,x\nc5,2024-01-04,5\n";
    let (rows, report) = read(data, &o).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.customer.as_str()).collect::<Vec<_>>(),
        ["c1", "c5"]
    );
    assert_eq!(
        (report.rows_read, report.rows_accepted, report.rows_rejected),
        (5, 2, 3)
    );
    let got: Vec<(u64, &str, String)> = report
        .rejects
        .iter()
        .map(|r| (r.line, r.raw.as_str(), r.error.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            (
                3,
                "c2,2024-02-30,2",
                r#"sales.csv:3: column "date": cannot parse "2024-02-30" as a date (format %Y-%m-%d)"#.to_string()
            ),
            (4, ",2024-01-02,3", r#"sales.csv:4: column "customer": empty customer id"#.to_string()),
            (
                5,
                "\"c,4\",2024-01-03,x",
                r#"sales.csv:5: column "amount": cannot parse "x" as an amount (expected a number like -1,234.56)"#
                    .to_string()
            ),
        ]
    );

    // With a callback nothing is kept in the report.
    let mut lines = Vec::new();
    let report = TransactionReader::new(o)
        .on_reject(|r| {
            lines.push(r.line);
            Ok(())
        })
        .read(data.as_bytes(), "sales.csv", |_| {
            Ok::<_, std::convert::Infallible>(())
        })
        .unwrap();
    assert_eq!(
        (lines, report.rejects.len(), report.rows_rejected),
        (vec![3, 4, 5], 0, 3)
    );
}

#[test]
fn sink_errors_carry_the_line() {
    let e =
        read_transactions(HEAD.as_bytes(), "sales.csv", &opts(), |_| Err("disk full")).unwrap_err();
    assert!(matches!(e, IngestError::Sink { line: 2, .. }));
    assert_eq!(e.to_string(), "sales.csv:2: disk full");
}

#[test]
fn delimiter_option_is_obeyed() {
    let o = IngestOptions {
        delimiter: Delimiter::Byte(b';'),
        ..opts()
    };
    assert_eq!(
        error("customer,date\nc1,2024-01-01\n", &o),
        r#"sales.csv: no column for field customer in header "customer,date" (name it explicitly, or see the synonym table)"#
    );
}

#[test]
fn field_count_names_the_delimiter() {
    assert_eq!(
        error(" customer date\n c1 19970101 7\n", &opts()),
        "sales.csv:2: expected 2 whitespace-separated fields, found 3"
    );
    assert_eq!(
        error("customer;date\nc1;2024-01-01;\n", &opts()),
        "sales.csv:2: expected 2 semicolon-separated fields, found 3"
    );
    assert_eq!(
        error(
            "customer|date\nc1\n",
            &IngestOptions {
                delimiter: Delimiter::Byte(b'|'),
                ..opts()
            }
        ),
        "sales.csv:2: expected 2 fields separated by '|', found 1"
    );
}
