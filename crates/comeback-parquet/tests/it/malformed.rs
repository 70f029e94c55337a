//! Malformed Parquet: every problem is a clear error naming the file (and the row and
//! column for a bad value), never a panic.

use crate::{parquet_summary, write_parquet};
use arrow_array::{ArrayRef, BooleanArray, Date32Array, Decimal128Array, StringArray};
use comeback_ingest::{ColumnRef, IngestOptions, TransactionColumns, TransactionReader};
use std::path::Path;
use std::sync::Arc;

fn good(path: &Path) {
    let ids: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..1000).map(|i| format!("c{}", i % 37)),
    ));
    let dates: ArrayRef = Arc::new(Date32Array::from_iter_values((0..1000).map(|i| 19_000 + i)));
    write_parquet(path, vec![("customer", ids), ("date", dates)], 100);
}

fn err(path: &Path, options: &IngestOptions) -> String {
    parquet_summary(path, options).unwrap_err()
}

#[test]
fn a_truncated_file_is_not_readable_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    good(&path);
    let bytes = std::fs::read(&path).unwrap();
    assert!(parquet_summary(&path, &IngestOptions::default()).is_ok());
    for keep in [bytes.len() - 1, bytes.len() / 2, 4, 0] {
        std::fs::write(&path, &bytes[..keep]).unwrap();
        let e = err(&path, &IngestOptions::default());
        assert!(
            e.starts_with("tx.parquet: not a readable Parquet file: "),
            "{keep} bytes: {e}"
        );
    }
    // Text under a Parquet name.
    std::fs::write(&path, "customer,date\nc1,2024-01-01\n").unwrap();
    let e = err(&path, &IngestOptions::default());
    assert!(
        e.starts_with("tx.parquet: not a readable Parquet file: "),
        "{e}"
    );
}

#[test]
fn a_corrupt_page_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.parquet");
    good(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    // Overwrite the start of the data pages (after the 4-byte magic), keep the footer.
    for b in &mut bytes[4..200] {
        *b = 0xff;
    }
    std::fs::write(&path, &bytes).unwrap();
    let e = err(&path, &IngestOptions::default());
    assert!(e.starts_with("tx.parquet: "), "{e}");
}

#[test]
fn a_column_of_the_wrong_type_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.parquet");
    let ids: ArrayRef = Arc::new(StringArray::from(vec!["a"]));
    let dates: ArrayRef = Arc::new(Date32Array::from(vec![19_000]));
    let amount: ArrayRef = Arc::new(BooleanArray::from(vec![true]));
    write_parquet(
        &path,
        vec![
            ("customer", ids.clone()),
            ("date", dates),
            ("amount", amount),
        ],
        10,
    );
    assert_eq!(
        err(&path, &IngestOptions::default()),
        "tx.parquet: column \"amount\" (field amount) has type Boolean; expected DECIMAL, floating-point, integers or text"
    );
    let dates: ArrayRef = Arc::new(BooleanArray::from(vec![true]));
    write_parquet(&path, vec![("customer", ids), ("date", dates)], 10);
    assert_eq!(
        err(&path, &IngestOptions::default()),
        "tx.parquet: column \"date\" (field date) has type Boolean; expected DATE, TIMESTAMP or text"
    );
}

#[test]
fn a_missing_column_is_named_with_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.parquet");
    let ids: ArrayRef = Arc::new(StringArray::from(vec!["a"]));
    let other: ArrayRef = Arc::new(StringArray::from(vec!["b"]));
    write_parquet(&path, vec![("customer", ids), ("note", other)], 10);
    assert_eq!(
        err(&path, &IngestOptions::default()),
        "tx.parquet: no column for field date in header \"customer\", \"note\" (name it explicitly, or see the synonym table)"
    );
    let named = IngestOptions {
        columns: TransactionColumns {
            date: Some(ColumnRef::Name("when".into())),
            ..TransactionColumns::default()
        },
        ..IngestOptions::default()
    };
    assert_eq!(
        err(&path, &named),
        "tx.parquet: column \"when\" for field date is not in header \"customer\", \"note\""
    );
}

#[test]
fn bad_values_name_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.parquet");
    let ids: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some("b"), Some("c")]));
    let dates: ArrayRef = Arc::new(StringArray::from(vec![
        Some("2024-01-01"),
        Some("2024-01-02"),
        None,
    ]));
    let amounts: ArrayRef = Arc::new(StringArray::from(vec![
        Some("1.50"),
        Some("12,3x"),
        Some("2"),
    ]));
    write_parquet(
        &path,
        vec![
            ("customer", ids.clone()),
            ("date", dates.clone()),
            ("amount", amounts),
        ],
        2,
    );
    assert_eq!(
        err(&path, &IngestOptions::default()),
        "tx.parquet:2: column \"amount\": cannot parse \"12,3x\" as an amount (expected a number like -1,234.56)"
    );
    let amounts: ArrayRef = Arc::new(StringArray::from(vec!["1", "2", "3"]));
    write_parquet(
        &path,
        vec![
            ("customer", ids.clone()),
            ("date", dates),
            ("amount", amounts),
        ],
        2,
    );
    let e = err(&path, &IngestOptions::default());
    assert!(
        e.starts_with("tx.parquet:3: column \"date\": missing value (expected a date, "),
        "{e}"
    );
    // A text date that is not a date.
    let dates: ArrayRef = Arc::new(StringArray::from(vec!["2024-01-01", "2024-13-01", "x"]));
    write_parquet(&path, vec![("customer", ids.clone()), ("date", dates)], 2);
    assert_eq!(
        err(&path, &IngestOptions::default()),
        "tx.parquet:2: column \"date\": cannot parse \"2024-13-01\" as a date (format %Y-%m-%d)"
    );
    // A decimal with a seventh decimal place, and an empty customer.
    let dates: ArrayRef = Arc::new(Date32Array::from(vec![19_000, 19_001, 19_002]));
    let amounts: ArrayRef = Arc::new(
        Decimal128Array::from(vec![10_000_000, 12_345_678, 1])
            .with_precision_and_scale(10, 7)
            .unwrap(),
    );
    write_parquet(
        &path,
        vec![
            ("customer", ids),
            ("date", dates.clone()),
            ("amount", amounts),
        ],
        2,
    );
    assert_eq!(
        err(&path, &IngestOptions::default()),
        "tx.parquet:2: column \"amount\": cannot parse \"1.2345678\" as an amount (more than 6 decimal places)"
    );
    let ids: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some(" "), None]));
    write_parquet(&path, vec![("customer", ids), ("date", dates)], 2);
    assert_eq!(
        err(&path, &IngestOptions::default()),
        "tx.parquet:2: column \"customer\": empty customer id"
    );
}

#[test]
fn skip_invalid_collects_rejects_with_row_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.parquet");
    let ids: ArrayRef = Arc::new(StringArray::from(vec!["a", "b,2", "c"]));
    let dates: ArrayRef = Arc::new(StringArray::from(vec!["2024-01-01", "nope", "2024-01-03"]));
    let amounts: ArrayRef = Arc::new(
        Decimal128Array::from(vec![150, 200, -300])
            .with_precision_and_scale(8, 2)
            .unwrap(),
    );
    write_parquet(
        &path,
        vec![("customer", ids), ("date", dates), ("amount", amounts)],
        2,
    );
    let opts = IngestOptions {
        skip_invalid: true,
        ..IngestOptions::default()
    };
    let mut accepted = Vec::new();
    let mut tr = TransactionReader::new(opts);
    let report = comeback_parquet::read_transactions(&mut tr, &path, "s.parquet", |r| {
        accepted.push((r.customer.to_string(), r.amount.micros()));
        Ok::<(), std::io::Error>(())
    })
    .unwrap();
    assert_eq!(accepted, vec![("a".to_string(), 1_500_000)]);
    assert_eq!(report.rows_read, 3);
    assert_eq!(report.rows_rejected, 1);
    // Row 3 is a refund, excluded by default.
    assert_eq!(report.refund_rows, 1);
    assert_eq!(report.refund_total.micros(), -3_000_000);
    assert_eq!(report.rejects.len(), 1);
    assert_eq!(report.rejects[0].line, 2);
    assert_eq!(report.rejects[0].raw, "\"b,2\",nope,2.00");
    assert_eq!(
        report.rejects[0].error.to_string(),
        "s.parquet:2: column \"date\": cannot parse \"nope\" as a date (format %Y-%m-%d)"
    );
}

#[test]
fn a_missing_file_is_named() {
    let e = parquet_summary(
        Path::new("/nonexistent/x.parquet"),
        &IngestOptions::default(),
    )
    .unwrap_err();
    assert!(e.starts_with("tx.parquet: "), "{e}");
    assert!(e.contains("No such file"), "{e}");
}
