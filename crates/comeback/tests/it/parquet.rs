//! Parquet through the CLI: CDNOW_master as text and as Parquet give byte-identical
//! summaries; summaries and predictions written as Parquet hold the CSV's values; broken
//! files give clear errors and no output.

use crate::{assert_fails, comeback, data_path, stderr};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use comeback_parquet::{ColumnKind, TableWriter, Value};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;

/// CDNOW_master.txt as a Parquet file: `customer_id` text as written (`00001`), `date`
/// text `YYYYMMDD`, `number_of_cds` INT64 and `dollar_value` DOUBLE.
fn cdnow_parquet(path: &Path) {
    let text = std::fs::read_to_string(data_path("CDNOW_master.txt")).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = TableWriter::new(
        file,
        &[
            ("customer_id", ColumnKind::Text),
            ("date", ColumnKind::Text),
            ("number_of_cds", ColumnKind::Int),
            ("dollar_value", ColumnKind::Real),
        ],
    )
    .unwrap();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split_whitespace().collect();
        w.push(&[
            Value::Text(f[0]),
            Value::Text(f[1]),
            Value::Int(f[2].parse().unwrap()),
            Value::Real(f[3].parse().unwrap()),
        ])
        .unwrap();
    }
    w.finish().unwrap();
}

/// Every column of a Parquet file as text (reals in shortest round-trip form).
fn parquet_columns(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let b = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let names: Vec<String> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut cols = vec![Vec::new(); names.len()];
    for batch in b.build().unwrap() {
        let batch = batch.unwrap();
        for (k, col) in cols.iter_mut().enumerate() {
            let a = batch.column(k);
            for i in 0..batch.num_rows() {
                col.push(match a.data_type() {
                    arrow_schema::DataType::Utf8 => a.as_string::<i32>().value(i).to_string(),
                    arrow_schema::DataType::Int64 => {
                        a.as_primitive::<Int64Type>().value(i).to_string()
                    }
                    arrow_schema::DataType::Float64 => {
                        a.as_primitive::<Float64Type>().value(i).to_string()
                    }
                    t => panic!("unexpected column type {t}"),
                });
            }
        }
    }
    (names, cols)
}

/// A CSV file's header and columns as text.
fn csv_columns(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let names: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let mut cols = vec![Vec::new(); names.len()];
    for l in lines {
        for (k, v) in l.split(',').enumerate() {
            cols[k].push(v.to_string());
        }
    }
    (names, cols)
}

#[test]
fn cdnow_master_as_parquet_gives_the_csv_summary() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("cdnow.parquet");
    cdnow_parquet(&pq);
    let master = data_path("CDNOW_master.txt");
    let o = comeback(
        dir.path(),
        &["summarize", master.to_str().unwrap(), "-o", "text.csv"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = comeback(dir.path(), &["summarize", "cdnow.parquet", "-o", "pq.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(r#"customer ← "customer_id" (column 1, synonym)"#),
        "{err}"
    );
    assert!(err.contains("69659 rows read"), "{err}");
    let text = std::fs::read_to_string(dir.path().join("text.csv")).unwrap();
    assert_eq!(text.lines().count(), 23_571);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pq.csv")).unwrap(),
        text
    );
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("pq.csv.meta.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["rows"]["read"], 69_659);
    assert_eq!(
        meta["input"]["bytes"],
        std::fs::metadata(&pq).unwrap().len()
    );
    assert_eq!(meta["date_format"], "%Y%m%d");
    // Recognised by its magic bytes under another name, too.
    std::fs::copy(&pq, dir.path().join("cdnow.dat")).unwrap();
    let o = comeback(
        dir.path(),
        &["summarize", "cdnow.dat", "--quiet", "-o", "dat.csv"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dat.csv")).unwrap(),
        text
    );
}

#[test]
fn summaries_and_predictions_written_as_parquet_hold_the_csv_values() {
    let dir = tempfile::tempdir().unwrap();
    let sample = data_path("CDNOW_master.txt");
    for out in ["s.csv", "s.parquet"] {
        let o = comeback(
            dir.path(),
            &[
                "summarize",
                sample.to_str().unwrap(),
                "--unit",
                "weeks",
                "--quiet",
                "-o",
                out,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (csv_names, csv_cols) = csv_columns(&dir.path().join("s.csv"));
    let (pq_names, pq_cols) = parquet_columns(&dir.path().join("s.parquet"));
    assert_eq!(pq_names, csv_names);
    assert_eq!(pq_cols, csv_cols);
    assert!(dir.path().join("s.parquet.meta.json").exists());
    // Calibration/holdout too.
    for out in ["c.csv", "c.parquet"] {
        let o = comeback(
            dir.path(),
            &[
                "summarize",
                sample.to_str().unwrap(),
                "--calibration-end",
                "1997-09-30",
                "--quiet",
                "-o",
                out,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(
        parquet_columns(&dir.path().join("c.parquet")),
        csv_columns(&dir.path().join("c.csv"))
    );
    // Predictions.
    for out in ["p.csv", "p.parquet"] {
        let o = comeback(
            dir.path(),
            &[
                "predict",
                "s.csv",
                "--model",
                "bgnbd",
                "--params",
                "r=0.24,alpha=4.41,a=0.79,b=2.43",
                "--horizon",
                "39",
                "-o",
                out,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (names, cols) = parquet_columns(&dir.path().join("p.parquet"));
    let (cnames, ccols) = csv_columns(&dir.path().join("p.csv"));
    assert_eq!(names, cnames);
    assert!(names.contains(&"p_alive".to_string()), "{names:?}");
    assert_eq!(cols, ccols);
    assert_eq!(cols[0].len(), 23_570);
}

#[test]
fn broken_parquet_inputs_are_clear_errors_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("cdnow.parquet");
    cdnow_parquet(&pq);
    let bytes = std::fs::read(&pq).unwrap();
    std::fs::write(dir.path().join("cut.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    assert_fails(
        dir.path(),
        &["summarize", "cut.parquet", "-o", "out.csv"],
        "cut.parquet: not a readable Parquet file",
    );
    assert!(!dir.path().join("out.csv").exists());
    // The column options are checked as for text files.
    assert_fails(
        dir.path(),
        &[
            "summarize",
            "cdnow.parquet",
            "--amount-col",
            "date",
            "--date-col",
            "date",
            "-o",
            "out.csv",
        ],
        "fields date and amount both use column 2",
    );
    assert_fails(
        dir.path(),
        &[
            "summarize",
            "cdnow.parquet",
            "--date-col",
            "when",
            "-o",
            "out.csv",
        ],
        r#"cdnow.parquet: column "when" for field date is not in header"#,
    );
    assert_fails(
        dir.path(),
        &[
            "summarize",
            "cdnow.parquet",
            "--date-format",
            "%d/%m/%Y",
            "-o",
            "out.csv",
        ],
        r#"cdnow.parquet:1: column "date": cannot parse "19970101" as a date (format %d/%m/%Y)"#,
    );
    assert!(!dir.path().join("out.csv").exists());
    assert_fails(
        dir.path(),
        &["summarize", "cdnow.parquet", "--format", "parquet"],
        "Parquet output needs an output file",
    );
}

/// Writes `columns` (name, array) to a Parquet file.
fn write_arrays(path: &Path, columns: Vec<(&str, arrow_array::ArrayRef)>) {
    let batch = arrow_array::RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn parquet_summaries_are_read_back_as_their_csv_twins() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sample = data_path("CDNOW_master.txt");
    // A plain and a calibration/holdout summary, each as CSV and as Parquet (with sidecars).
    for (out, extra) in [
        ("s", &["--unit", "weeks"][..]),
        (
            "c",
            &["--unit", "weeks", "--calibration-end", "1997-09-30"][..],
        ),
    ] {
        for ext in ["csv", "parquet"] {
            let file = format!("{out}.{ext}");
            let mut args = vec![
                "summarize",
                sample.to_str().unwrap(),
                "--quiet",
                "-o",
                &file,
            ];
            args.extend_from_slice(extra);
            let o = comeback(d, &args);
            assert!(o.status.success(), "{}", stderr(&o));
        }
    }
    // fit: the same estimates to the last digit, the unit from the sidecar.
    let fit = |file: &str, model: &str| {
        let o = comeback(d, &["fit", file, "--model", model, "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let mut j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        // The input's name is the one expected difference.
        if let Some(m) = j.as_object_mut() {
            m.remove("input");
            m.remove("summary");
        }
        j
    };
    for model in ["bgnbd", "gamma-gamma"] {
        let (a, b) = (fit("s.csv", model), fit("s.parquet", model));
        assert_eq!(a, b, "{model}");
        assert_eq!(b["unit"], "weeks");
    }
    // A value a CSV summary's fit gives (the CSV path is checked against the published
    // tables elsewhere): the Parquet twin's is the same number.
    assert_eq!(fit("s.parquet", "bgnbd")["n_customers"], 23_570.0);
    // predict, with the holdout actuals of a calibration summary: byte-identical output.
    for src in ["c.csv", "c.parquet"] {
        let out = format!("p_{src}.csv");
        let o = comeback(
            d,
            &[
                "predict",
                src,
                "--model",
                "bgnbd",
                "--params",
                "r=0.24,alpha=4.41,a=0.79,b=2.43",
                "--horizon",
                "39",
                "-o",
                &out,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (pc, pp) = (
        std::fs::read_to_string(d.join("p_c.csv.csv")).unwrap(),
        std::fs::read_to_string(d.join("p_c.parquet.csv")).unwrap(),
    );
    assert!(
        pc.lines().next().unwrap().contains("frequency_holdout"),
        "{pc:.200}"
    );
    assert_eq!(pc, pp);
    assert_eq!(pc.lines().count(), 23_571);
    // analyze --summary: the same summary.json but for the input's name.
    for (src, out) in [("s.csv", "a_csv"), ("s.parquet", "a_pq")] {
        let o = comeback(d, &["analyze", "--summary", src, "-q", "-o", out]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let strip = |p: &str| {
        std::fs::read_to_string(d.join(p))
            .unwrap()
            .replace("s.parquet", "s.csv")
    };
    assert_eq!(strip("a_csv/summary.json"), strip("a_pq/summary.json"));
    assert_eq!(strip("a_csv/customers.csv"), strip("a_pq/customers.csv"));
}

#[test]
fn bad_parquet_summaries_name_the_file_row_and_column() {
    use arrow_array::{ArrayRef, Float64Array, Int64Array, StringArray, TimestampSecondArray};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ids: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c"]));
    // A null frequency in the third row.
    write_arrays(
        &d.join("null.parquet"),
        vec![
            ("customer_id", ids.clone()),
            (
                "frequency",
                Arc::new(Int64Array::from(vec![Some(1), Some(0), None])),
            ),
            ("recency", Arc::new(Float64Array::from(vec![3.0, 0.0, 2.0]))),
            ("T", Arc::new(Float64Array::from(vec![10.0, 9.0, 8.0]))),
        ],
    );
    assert_fails(
        d,
        &["fit", "null.parquet", "--model", "bgnbd"],
        r#"null.parquet: data row 3, column frequency: "" is not a number"#,
    );
    // Values the models refuse are reported with row and customer, as for CSV.
    write_arrays(
        &d.join("late.parquet"),
        vec![
            ("customer_id", ids.clone()),
            ("frequency", Arc::new(Int64Array::from(vec![1, 0, 2]))),
            (
                "recency",
                Arc::new(Float64Array::from(vec![3.0, 0.0, 12.0])),
            ),
            ("T", Arc::new(Float64Array::from(vec![10.0, 9.0, 8.0]))),
        ],
    );
    assert_fails(
        d,
        &["fit", "late.parquet", "--model", "bgnbd"],
        "late.parquet: data row 3 (customer c)",
    );
    // No T column: the synonyms are listed.
    write_arrays(
        &d.join("no_t.parquet"),
        vec![
            ("customer_id", ids.clone()),
            ("frequency", Arc::new(Int64Array::from(vec![1, 0, 2]))),
            ("recency", Arc::new(Float64Array::from(vec![3.0, 0.0, 2.0]))),
        ],
    );
    assert_fails(
        d,
        &[
            "predict",
            "no_t.parquet",
            "--model",
            "bgnbd",
            "--params",
            "r=1,alpha=1,a=1,b=1",
        ],
        "no_t.parquet: no T column (looked for T_cal, T, periods, n",
    );
    // A column type without a text form.
    write_arrays(
        &d.join("ts.parquet"),
        vec![
            ("customer_id", ids),
            ("frequency", Arc::new(Int64Array::from(vec![1, 0, 2]))),
            ("recency", Arc::new(Float64Array::from(vec![3.0, 0.0, 2.0]))),
            ("T", Arc::new(TimestampSecondArray::from(vec![10, 9, 8]))),
        ],
    );
    assert_fails(
        d,
        &["fit", "ts.parquet", "--model", "bgnbd"],
        r#"ts.parquet: column "T" (field table) has type Timestamp(s)"#,
    );
    // Truncated.
    let bytes = std::fs::read(d.join("null.parquet")).unwrap();
    std::fs::write(d.join("cut.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    assert_fails(
        d,
        &["analyze", "--summary", "cut.parquet", "-o", "out"],
        "cut.parquet: not a readable Parquet file",
    );
    assert!(!d.join("out").exists());
    // A database URL that is not PostgreSQL's is refused by name, not by a failed lookup.
    assert_fails(
        d,
        &[
            "fit",
            "--database-url",
            "sqlite://comeback.db",
            "--query",
            "SELECT 1",
            "--model",
            "bgnbd",
        ],
        "--database-url: only PostgreSQL is read with --query",
    );
}
