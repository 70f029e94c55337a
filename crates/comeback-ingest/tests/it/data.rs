//! The shipped lifetimes/CDNOW files in the repository's `data/` directory.

use comeback_core::TransactionLogBuilder;
use comeback_ingest::{
    ColumnRef, DateFormat, Delimiter, HeaderMode, IngestOptions, MatchedBy, TransactionColumns,
    TransactionReader,
};
use std::collections::HashSet;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

#[test]
fn cdnow_master_is_recognised_without_options() {
    let mut customers = HashSet::new();
    let (mut total, mut qty, mut zero, mut progress) = (0i64, 0i64, 0, 0);
    let report = TransactionReader::new(IngestOptions::default())
        .on_progress(|_| progress += 1)
        .read_path(&data("CDNOW_master.txt"), |r| {
            customers.insert(r.customer.to_string());
            total += r.amount.micros();
            qty += r.quantity.unwrap();
            zero += i32::from(r.amount.micros() == 0);
            Ok::<_, std::convert::Infallible>(())
        })
        .unwrap();
    assert_eq!(report.delimiter, Delimiter::Whitespace);
    assert!(report.header.is_some());
    assert_eq!(
        report.mapping_lines(),
        [
            r#"customer ← "customer_id" (column 1, synonym)"#,
            r#"date ← "date" (column 2, synonym)"#,
            r#"amount ← "dollar_value" (column 4, synonym)"#,
            r#"quantity ← "number_of_cds" (column 3, synonym)"#,
        ]
    );
    assert_eq!(report.date_format, "%Y%m%d");
    assert_eq!(
        (report.rows_read, report.rows_accepted, report.rows_rejected),
        (69_659, 69_659, 0)
    );
    assert_eq!(customers.len(), 23_570);
    assert!(customers.contains("00001"), "ids are never reformatted");
    assert_eq!(total, 2_500_315_630_000);
    assert_eq!(qty, 167_881);
    assert_eq!(zero, 80);
    assert_eq!(report.refund_rows, 0);
    assert_eq!(
        report.bytes_read,
        std::fs::metadata(data("CDNOW_master.txt")).unwrap().len()
    );
    let (a, b) = report.day_range.unwrap();
    assert_eq!(
        (a.to_string().as_str(), b.to_string().as_str()),
        ("1997-01-01", "1998-06-30")
    );
    assert!(progress >= 2);
}

#[test]
fn cdnow_sample_by_position_feeds_the_core_builder() {
    let opts = IngestOptions {
        header: HeaderMode::Absent,
        columns: TransactionColumns {
            customer: Some(ColumnRef::Position(2)),
            date: Some(ColumnRef::Position(3)),
            amount: Some(ColumnRef::Position(5)),
            ..Default::default()
        },
        date_format: DateFormat::new("%Y%m%d"),
        ..Default::default()
    };
    let mut log = TransactionLogBuilder::new(None);
    let report = TransactionReader::new(opts)
        .read_path(&data("CDNOW_sample.txt"), |r| {
            log.add(r.customer, r.day, r.amount).map(drop)
        })
        .unwrap();
    assert_eq!(report.rows_accepted, 6_919);
    assert_eq!(report.header, None);
    assert_eq!(
        report.column("customer").unwrap().matched_by,
        MatchedBy::Position
    );
    assert_eq!(report.mapping_lines()[1], "date ← column 3 (by position)");
    let log = log.finish();
    assert_eq!(log.len(), 2_357);
    assert_eq!(&*log.ids()[0], "0001");
}

#[test]
fn cdnow_sample_header_is_detected_as_absent() {
    // Auto header with positions: line 1's date field parses, so it is data.
    let opts = IngestOptions {
        columns: TransactionColumns {
            customer: Some(ColumnRef::Position(2)),
            date: Some(ColumnRef::Position(3)),
            amount: Some(ColumnRef::Position(5)),
            ..Default::default()
        },
        ..Default::default()
    };
    let report = TransactionReader::new(opts)
        .read_path(&data("CDNOW_sample.txt"), |_| {
            Ok::<_, std::convert::Infallible>(())
        })
        .unwrap();
    assert_eq!((report.header, report.rows_accepted), (None, 6_919));
}

#[test]
fn example_transactions_has_no_amount_column() {
    let mut customers = HashSet::new();
    let mut nonzero = 0;
    let report = TransactionReader::new(IngestOptions::default())
        .read_path(&data("example_transactions.csv"), |r| {
            customers.insert(r.customer.to_string());
            nonzero += i32::from(r.amount.micros() != 0);
            Ok::<_, std::convert::Infallible>(())
        })
        .unwrap();
    assert_eq!(report.delimiter, Delimiter::Byte(b','));
    assert_eq!(report.rows_accepted, 15_273);
    assert_eq!(customers.len(), 5_000);
    assert_eq!(nonzero, 0);
    assert!(report.amount_column().is_none());
    assert_eq!(
        report.mapping_lines(),
        [
            r#"customer ← "id" (column 2, synonym)"#,
            r#"date ← "date" (column 1, synonym)"#,
            "amount ← none: no amount column, every amount is 0",
        ]
    );
    let (a, b) = report.day_range.unwrap();
    assert!(a.to_string().starts_with("2014-") && b.to_string().starts_with("2014-"));
}
