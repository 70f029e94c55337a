//! `TextTable`: every supported column type as the text a CSV would hold, across row groups
//! and batches; unsupported types and broken files are errors.

use crate::write_parquet;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int8Array,
    LargeStringArray, StringArray, UInt64Array,
};
use comeback_parquet::{ParquetError, TextTable};
use std::sync::Arc;

#[test]
fn cells_are_the_text_a_csv_would_hold() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let n = 40_000; // more than one batch (16,384 rows) and row group (7,000 rows)
    let dec = Decimal128Array::from_iter_values((0..n).map(|i| i as i128 - 5))
        .with_precision_and_scale(12, 2)
        .unwrap();
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "s",
            Arc::new(StringArray::from_iter(
                (0..n).map(|i| (i % 7 != 3).then(|| format!("c{i:05}"))),
            )),
        ),
        (
            "ls",
            Arc::new(LargeStringArray::from_iter_values(
                (0..n).map(|i| format!("x{i}")),
            )),
        ),
        (
            "i8",
            Arc::new(Int8Array::from_iter_values(
                (0..n).map(|i| (i % 256) as u8 as i8),
            )),
        ),
        (
            "u64",
            Arc::new(UInt64Array::from_iter_values(
                (0..n).map(|i| u64::MAX - i as u64),
            )),
        ),
        (
            "f64",
            Arc::new(Float64Array::from_iter_values(
                (0..n).map(|i| i as f64 / 10.0),
            )),
        ),
        (
            "f32",
            Arc::new(Float32Array::from_iter_values(
                (0..n).map(|i| i as f32 * 0.25),
            )),
        ),
        ("dec", Arc::new(dec)),
        (
            "day",
            Arc::new(Date32Array::from_iter_values((0..n).map(|i| i as i32 - 1))),
        ),
        (
            "b",
            Arc::new(BooleanArray::from_iter((0..n).map(|i| Some(i % 2 == 0)))),
        ),
    ];
    write_parquet(&path, columns, 7_000);
    let t = TextTable::open(&path, "t.parquet").unwrap();
    assert_eq!(
        t.header(),
        ["s", "ls", "i8", "u64", "f64", "f32", "dec", "day", "b"]
    );
    let rows: Vec<Vec<String>> = t.map(Result::unwrap).collect();
    assert_eq!(rows.len(), n);
    let show = |i: usize| rows[i].join(",");
    assert_eq!(
        show(0),
        "c00000,x0,0,18446744073709551615,0,0,-0.05,1969-12-31,true"
    );
    // A null string is empty; reals in shortest round-trip form.
    assert_eq!(
        show(3),
        ",x3,3,18446744073709551612,0.3,0.75,-0.02,1970-01-03,false"
    );
    assert_eq!(
        show(1),
        "c00001,x1,1,18446744073709551614,0.1,0.25,-0.04,1970-01-01,false"
    );
    assert_eq!(
        show(39_999),
        "c39999,x39999,63,18446744073709511616,3999.9,9999.75,399.94,2079-07-06,false"
    );
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[4].parse::<f64>().unwrap(), i as f64 / 10.0, "row {i}");
    }
}

#[test]
fn unsupported_types_and_broken_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ts.parquet");
    let ts: ArrayRef = Arc::new(arrow_array::TimestampMillisecondArray::from(vec![1, 2]));
    write_parquet(&path, vec![("when", ts)], 10);
    let e = TextTable::open(&path, "ts.parquet").unwrap_err();
    assert!(matches!(e, ParquetError::ColumnType { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "ts.parquet: column \"when\" (field table) has type Timestamp(ms); expected text, \
         integers, FLOAT/DOUBLE, DECIMAL, DATE or BOOLEAN"
    );
    std::fs::write(dir.path().join("x.parquet"), b"customer_id,frequency\n").unwrap();
    let e = TextTable::open(&dir.path().join("x.parquet"), "x.parquet").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("x.parquet: not a readable Parquet file"),
        "{e}"
    );
    let e = TextTable::open(&dir.path().join("missing.parquet"), "missing.parquet").unwrap_err();
    assert!(matches!(e, ParquetError::Io { .. }), "{e:?}");
}
