//! Round trips: CDNOW_master as text and as Parquet (several column types) give the same
//! summary; summaries written as Parquet read back equal; random logs agree.

use crate::{data_path, days, parquet_summary, text_summary, write_parquet};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, Int64Array, StringArray,
    TimestampMicrosecondArray, TimestampMillisecondArray,
};
use chrono::NaiveDate;
use comeback_core::{Day, TransactionLogBuilder};
use comeback_ingest::{ColumnRef, IngestOptions, TransactionColumns, TransactionReader, Tz};
use comeback_parquet::{ColumnKind, TableWriter, Value};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;
use std::sync::Arc;

/// CDNOW_master.txt split by hand: (id as written, yyyymmdd, CDs, dollars in cents).
fn cdnow_rows() -> (String, Vec<(String, String, i64, i64)>) {
    let text = std::fs::read_to_string(data_path("CDNOW_master.txt")).unwrap();
    let rows = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (units, cents) = f[3].split_once('.').unwrap();
            let cents = units.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap();
            (
                f[0].to_string(),
                f[1].to_string(),
                f[2].parse().unwrap(),
                cents,
            )
        })
        .collect();
    (text, rows)
}

fn epoch_days(yyyymmdd: &str) -> i32 {
    let d = NaiveDate::parse_from_str(yyyymmdd, "%Y%m%d").unwrap();
    Day::from_date(d).0
}

#[test]
fn cdnow_master_as_string_date_and_decimal_columns_equals_the_text_file() {
    let (text, rows) = cdnow_rows();
    assert_eq!(rows.len(), 69_659);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cdnow.parquet");
    let ids: ArrayRef = Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.0)));
    let dates: ArrayRef = Arc::new(Date32Array::from_iter_values(
        rows.iter().map(|r| epoch_days(&r.1)),
    ));
    let cds: ArrayRef = Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.2)));
    let dollars: ArrayRef = Arc::new(
        Decimal128Array::from_iter_values(rows.iter().map(|r| i128::from(r.3)))
            .with_precision_and_scale(12, 2)
            .unwrap(),
    );
    // Row groups of 10,000 rows: the read crosses row groups and 64 Ki-row batches.
    write_parquet(
        &path,
        vec![
            ("customer_id", ids),
            ("date", dates),
            ("number_of_cds", cds),
            ("dollar_value", dollars),
        ],
        10_000,
    );
    let opts = IngestOptions::default();
    let want = text_summary(&text, &opts);
    assert_eq!(want.customers.len(), 23_570);
    let got = parquet_summary(&path, &opts).unwrap();
    assert_eq!(got, want);
}

#[test]
fn cdnow_master_as_integer_ids_text_dates_and_float_amounts_equals_the_text_file() {
    let (text, rows) = cdnow_rows();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cdnow.parquet");
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(
        rows.iter().map(|r| r.0.parse::<i64>().unwrap()),
    ));
    let dates: ArrayRef = Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.1)));
    let dollars: ArrayRef = Arc::new(Float64Array::from_iter_values(
        rows.iter().map(|r| r.3 as f64 / 100.0),
    ));
    write_parquet(
        &path,
        vec![("cliente", ids), ("fecha", dates), ("importe", dollars)],
        30_000,
    );
    let opts = IngestOptions::default();
    let mut want = text_summary(&text, &opts);
    // The integer ids lose their leading zeros: "00001" is 1.
    for c in &mut want.customers {
        c.customer_id = c.customer_id.parse::<u64>().unwrap().to_string().into();
    }
    want.customers
        .sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    let got = parquet_summary(&path, &opts).unwrap();
    assert_eq!(got, want);
}

/// Collects (customer, day) of a Parquet file's accepted rows.
fn days_of(path: &std::path::Path, options: IngestOptions) -> Vec<(String, Day)> {
    let mut out = Vec::new();
    let mut tr = TransactionReader::new(options);
    comeback_parquet::read_transactions(&mut tr, path, "t.parquet", |r| {
        out.push((r.customer.to_string(), r.day));
        Ok::<(), std::io::Error>(())
    })
    .unwrap();
    out
}

#[test]
fn timestamps_fall_on_local_days() {
    let dir = tempfile::tempdir().unwrap();
    // 2024-03-10T23:30:00Z and 1969-12-31T23:59:59Z, in microseconds.
    let instants = [1_710_113_400_000_000i64, -1_000_000];
    let d = |y, m, dd| Day::from_ymd(y, m, dd).unwrap();
    let ids = || -> ArrayRef { Arc::new(StringArray::from(vec!["a", "b"])) };
    // With a time zone (UTC): the UTC date, or the --timezone date.
    let utc = dir.path().join("utc.parquet");
    let ts: ArrayRef =
        Arc::new(TimestampMicrosecondArray::from(instants.to_vec()).with_timezone("UTC"));
    write_parquet(&utc, vec![("customer", ids()), ("timestamp", ts)], 10);
    assert_eq!(
        days_of(&utc, IngestOptions::default()),
        vec![("a".into(), d(2024, 3, 10)), ("b".into(), d(1969, 12, 31))]
    );
    let helsinki = IngestOptions {
        timezone: Some("Europe/Helsinki".parse::<Tz>().unwrap()),
        ..IngestOptions::default()
    };
    assert_eq!(
        days_of(&utc, helsinki.clone()),
        vec![("a".into(), d(2024, 3, 11)), ("b".into(), d(1970, 1, 1))]
    );
    // Without a time zone: wall time, whatever the option says.
    let naive = dir.path().join("naive.parquet");
    let ts: ArrayRef = Arc::new(TimestampMicrosecondArray::from(instants.to_vec()));
    write_parquet(&naive, vec![("customer", ids()), ("created_at", ts)], 10);
    assert_eq!(
        days_of(&naive, helsinki),
        vec![("a".into(), d(2024, 3, 10)), ("b".into(), d(1969, 12, 31))]
    );
    // A fixed offset of its own: −05:00 puts 23:30Z on the same day, 18:30.
    let fixed = dir.path().join("fixed.parquet");
    let ms: Vec<i64> = instants.iter().map(|u| u / 1000).collect();
    let ts: ArrayRef = Arc::new(TimestampMillisecondArray::from(ms).with_timezone("-05:00"));
    write_parquet(&fixed, vec![("customer", ids()), ("datetime", ts)], 10);
    assert_eq!(
        days_of(&fixed, IngestOptions::default()),
        vec![("a".into(), d(2024, 3, 10)), ("b".into(), d(1969, 12, 31))]
    );
}

#[test]
fn explicit_columns_and_projection_of_unused_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.parquet");
    let a: ArrayRef = Arc::new(StringArray::from(vec!["x", "y"]));
    let b: ArrayRef = Arc::new(StringArray::from(vec!["2024-01-02", "2024-01-03"]));
    let c: ArrayRef = Arc::new(Int64Array::from(vec![5, 7]));
    let other: ArrayRef = Arc::new(arrow_array::BooleanArray::from(vec![true, false]));
    write_parquet(
        &path,
        vec![("who", a), ("when", b), ("flag", other), ("paid", c)],
        10,
    );
    let opts = IngestOptions {
        columns: TransactionColumns {
            customer: Some(ColumnRef::Name("who".into())),
            date: Some(ColumnRef::Name("when".into())),
            amount: Some(ColumnRef::Position(4)),
            ..TransactionColumns::default()
        },
        ..IngestOptions::default()
    };
    let mut got = Vec::new();
    let mut tr = TransactionReader::new(opts);
    let report = comeback_parquet::read_transactions(&mut tr, &path, "p.parquet", |r| {
        got.push((r.customer.to_string(), r.day, r.amount.micros(), r.line));
        Ok::<(), std::io::Error>(())
    })
    .unwrap();
    assert_eq!(
        got,
        vec![
            ("x".into(), Day::from_ymd(2024, 1, 2).unwrap(), 5_000_000, 1),
            ("y".into(), Day::from_ymd(2024, 1, 3).unwrap(), 7_000_000, 2),
        ]
    );
    assert_eq!(report.rows_read, 2);
    assert_eq!(report.date_format, "%Y-%m-%d");
    assert_eq!(
        report.mapping_lines(),
        vec![
            r#"customer ← "who" (column 1, by name)"#,
            r#"date ← "when" (column 2, by name)"#,
            r#"amount ← "paid" (column 4, by position)"#,
        ]
    );
}

#[test]
fn a_summary_written_as_parquet_reads_back_equal() {
    let (text, _) = cdnow_rows();
    let summary = text_summary(&text, &IngestOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.parquet");
    let file = std::fs::File::create(&path).unwrap();
    let mut w = TableWriter::new(
        file,
        &[
            ("customer_id", ColumnKind::Text),
            ("frequency", ColumnKind::Int),
            ("recency", ColumnKind::Real),
            ("T", ColumnKind::Real),
            ("monetary_value", ColumnKind::Real),
        ],
    )
    .unwrap();
    for c in &summary.customers {
        w.push(&[
            Value::Text(&c.customer_id),
            Value::Int(i64::from(c.frequency)),
            Value::Real(c.recency),
            Value::Real(c.t),
            Value::Real(c.monetary_value),
        ])
        .unwrap();
    }
    w.finish().unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut n = 0;
    for batch in reader {
        let batch = batch.unwrap();
        let ids = batch.column(0).as_string::<i32>();
        let freq = batch.column(1).as_primitive::<Int64Type>();
        let reals: Vec<_> = (2..5)
            .map(|k| batch.column(k).as_primitive::<Float64Type>())
            .collect();
        for i in 0..batch.num_rows() {
            let c = &summary.customers[n];
            assert_eq!(ids.value(i), &*c.customer_id);
            assert_eq!(freq.value(i), i64::from(c.frequency));
            // Bit for bit.
            assert_eq!(reals[0].value(i).to_bits(), c.recency.to_bits());
            assert_eq!(reals[1].value(i).to_bits(), c.t.to_bits());
            assert_eq!(reals[2].value(i).to_bits(), c.monetary_value.to_bits());
            n += 1;
        }
    }
    assert_eq!(n, summary.customers.len());
}

#[test]
fn a_table_refuses_rows_of_the_wrong_shape() {
    let mut out = Vec::new();
    let mut w = TableWriter::new(
        &mut out,
        &[("customer_id", ColumnKind::Text), ("x", ColumnKind::Real)],
    )
    .unwrap();
    let e = w.push(&[Value::Text("a")]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot write Parquet: a row of 1 values for 2 columns"
    );
    let e = w.push(&[Value::Text("a"), Value::Int(1)]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot write Parquet: value Int(1) for column \"x\" of another type"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any log (refunds included, netted) gives the same summary and counts read as CSV
    /// and as Parquet (text ids, DATE, DECIMAL(18, 6)), whatever the row-group size.
    #[test]
    fn parquet_and_csv_agree(
        rows in prop::collection::vec((0u8..20, 0i32..400, -50_000_000i64..500_000_000), 1..300),
        row_group in 1usize..64,
    ) {
        let mut csv = String::from("customer,date,amount\n");
        for (c, d, a) in &rows {
            let (y, m, dd) = Day(19_000 + d).to_ymd();
            let sign = if *a < 0 { "-" } else { "" };
            csv.push_str(&format!(
                "c{c},{y:04}-{m:02}-{dd:02},{sign}{}.{:06}\n",
                a.abs() / 1_000_000,
                a.abs() % 1_000_000
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        let ids: ArrayRef = Arc::new(StringArray::from_iter_values(rows.iter().map(|r| format!("c{}", r.0))));
        let dates: ArrayRef = Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| 19_000 + r.1)));
        let amounts: ArrayRef = Arc::new(
            Decimal128Array::from_iter_values(rows.iter().map(|r| i128::from(r.2)))
                .with_precision_and_scale(18, 6)
                .unwrap(),
        );
        write_parquet(&path, vec![("customer", ids), ("date", dates), ("amount", amounts)], row_group);
        let opts = IngestOptions { refunds: comeback_ingest::RefundPolicy::Net, ..IngestOptions::default() };
        let mut tb = TransactionLogBuilder::new(None);
        let text_report = comeback_ingest::read_transactions(csv.as_bytes(), "r.csv", &opts, |r| {
            tb.add(r.customer, r.day, r.amount).map(|_| ())
        }).unwrap();
        let mut pb = TransactionLogBuilder::new(None);
        let mut tr = TransactionReader::new(opts.clone());
        let pq_report = comeback_parquet::read_transactions(&mut tr, &path, "r.parquet", |r| {
            pb.add(r.customer, r.day, r.amount).map(|_| ())
        }).unwrap();
        prop_assert_eq!(pq_report.rows_read, text_report.rows_read);
        prop_assert_eq!(pq_report.rows_accepted, text_report.rows_accepted);
        prop_assert_eq!(pq_report.refund_rows, text_report.refund_rows);
        prop_assert_eq!(pq_report.refund_total, text_report.refund_total);
        prop_assert_eq!(pq_report.day_range, text_report.day_range);
        prop_assert_eq!(pb.finish().summarize(&days()), tb.finish().summarize(&days()));
    }
}
