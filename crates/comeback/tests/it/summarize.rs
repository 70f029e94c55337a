//! `comeback summarize`: exactness on CDNOW through the real CLI, malformed input, outputs.

use crate::{CDNOW_SAMPLE_COLUMNS, assert_fails, comeback, data_path, stderr};
use std::collections::HashMap;

/// The exactness command reproduces data/cdnow_customers_summary.csv (frequency
/// exactly; recency and T to the file's 2 decimals) and the zbar column of
/// cdnow_customers_summary_with_transactions.csv to ±0.005 (the file rounds 78 half-cent
/// ties up).
#[test]
fn cdnow_exactness_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let sample = data_path("CDNOW_sample.txt");
    let mut args = vec!["summarize", sample.to_str().unwrap()];
    args.extend_from_slice(CDNOW_SAMPLE_COLUMNS);
    args.extend_from_slice(&[
        "--unit",
        "weeks",
        "--observation-end",
        "1997-09-30",
        "-o",
        "s.csv",
    ]);
    let o = comeback(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("s.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("customer_id,frequency,recency,T,monetary_value")
    );
    let ours: HashMap<u32, Vec<f64>> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1..].iter().map(|x| x.parse().unwrap()).collect(),
            )
        })
        .collect();
    assert_eq!(ours.len(), 2357);
    let want = std::fs::read_to_string(data_path("cdnow_customers_summary.csv")).unwrap();
    for l in want.lines().skip(1) {
        let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
        let c = &ours[&(f[0] as u32)];
        assert_eq!(c[0], f[1], "frequency of {}", f[0]);
        assert_eq!(
            format!("{:.2}", c[1]),
            format!("{:.2}", f[2]),
            "recency of {}",
            f[0]
        );
        assert_eq!(
            format!("{:.2}", c[2]),
            format!("{:.2}", f[3]),
            "T of {}",
            f[0]
        );
    }
    let want = std::fs::read_to_string(data_path("cdnow_customers_summary_with_transactions.csv"))
        .unwrap();
    for l in want.lines().skip(1) {
        let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
        assert!(
            (ours[&(f[0] as u32)][3] - f[4]).abs() <= 0.005 + 1e-9,
            "zbar of {}",
            f[0]
        );
    }
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("s.csv.meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta["unit"], "weeks");
    assert_eq!(meta["observation_end"], "1997-09-30");
    assert_eq!(meta["rows"]["read"], 6919);
    assert_eq!(meta["rows"]["after_observation_end"], 6919 - 4960);
    assert_eq!(
        meta["input"]["sha256"],
        "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a"
    );
}

#[test]
fn calibration_holdout_columns_on_cdnow_master() {
    let dir = tempfile::tempdir().unwrap();
    let master = data_path("CDNOW_master.txt");
    let o = comeback(
        dir.path(),
        &[
            "summarize",
            master.to_str().unwrap(),
            "--unit",
            "weeks",
            "--calibration-end",
            "1997-09-30",
            "-q",
            "-o",
            "ch.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("ch.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "customer_id,frequency_cal,recency_cal,T_cal,monetary_value_cal,frequency_holdout,monetary_value_holdout,duration_holdout"
        )
    );
    let (mut cal, mut hold, mut n) = (0u64, 0u64, 0);
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        cal += f[1].parse::<u64>().unwrap();
        hold += f[5].parse::<u64>().unwrap();
        assert_eq!(f[7], "39");
        n += 1;
    }
    assert_eq!((n, cal, hold), (23570, 24337, 19684));
}

/// Each malformed input gives a message naming file, line, column, value and expectation,
/// a non-zero exit, and no output file.
#[test]
fn malformed_inputs_are_clear_errors_and_write_nothing() {
    let cases: &[(&str, &[u8], &[&str], &str)] = &[
        (
            "bad date",
            b"customer,date,amount\nc1,1997-01-01,10\nc2,1997-13-01,5\n",
            &[],
            "sales.csv:3: column \"date\": cannot parse \"1997-13-01\" as a date (format %Y-%m-%d)",
        ),
        (
            "bad amount",
            b"customer,date,amount\nc1,1997-01-01,ten\n",
            &[],
            "sales.csv:2: column \"amount\": cannot parse \"ten\" as an amount",
        ),
        (
            "field count",
            b"customer,date,amount\nc1,1997-01-01\n",
            &[],
            "sales.csv:2: expected 3 comma-separated fields, found 2",
        ),
        (
            "empty customer",
            b"customer,date,amount\n ,1997-01-01,3\n",
            &[],
            "sales.csv:2: column \"customer\": empty customer id",
        ),
        (
            "two currencies",
            b"customer,date,amount\nc1,1997-01-01,$3\nc2,1997-01-02,\xe2\x82\xac4\n",
            &[],
            "sales.csv:3: column \"amount\": \"€4\" has another currency symbol than \"$\" on line 2",
        ),
        (
            "ambiguous header",
            b"customer,client,date,amount\nc1,c1,1997-01-01,3\n",
            &[],
            "sales.csv: ambiguous header: columns \"customer\", \"client\" all match field customer",
        ),
        (
            "no such column",
            b"customer,date,amount\nc1,1997-01-01,3\n",
            &["--amount-col", "price"],
            "sales.csv: column \"price\" for field amount is not in header",
        ),
        ("empty file", b"", &[], "sales.csv: the input is empty"),
        (
            "invalid utf-8",
            b"customer,date,amount\nc\xff1,1997-01-01,3\n",
            &[],
            "sales.csv:2: column \"customer\": invalid UTF-8 in \"c\\xff1\"",
        ),
    ];
    for (what, input, flags, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sales.csv"), input).unwrap();
        let mut args = vec!["summarize", "sales.csv", "-o", "out.csv"];
        args.extend_from_slice(flags);
        let o = comeback(dir.path(), &args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{what}: {err}");
        assert!(
            err.contains(message),
            "{what}: expected {message:?} in {err:?}"
        );
        assert!(!err.contains("panicked"), "{what}: {err}");
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            files,
            vec![std::ffi::OsString::from("sales.csv")],
            "{what}: nothing else written"
        );
    }
}

#[test]
fn skip_invalid_writes_rejects_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sales.csv"),
        "customer,date,amount\nc1,1997-01-01,10\nc2,1997-13-01,5\nc1,1997-01-08,4\n",
    )
    .unwrap();
    let o = comeback(
        dir.path(),
        &[
            "summarize",
            "sales.csv",
            "--skip-invalid",
            "--unit",
            "weeks",
            "-o",
            "out.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 rows rejected"), "{}", stderr(&o));
    let rejects = std::fs::read_to_string(dir.path().join("sales.csv.rejects.csv")).unwrap();
    assert!(rejects.starts_with("line,reason,row\n3,"), "{rejects}");
    assert!(rejects.contains("1997-13-01"), "{rejects}");
    let out = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert_eq!(
        out,
        "customer_id,frequency,recency,T,monetary_value\nc1,1,1,1,4\n"
    );
}

#[test]
fn refunds_are_reported_and_excluded_or_netted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.csv"),
        "customer;date;amount\nc1;2024-01-01;10,00\nc1;2024-01-02;20,00\nc1;2024-01-02;-5,00\n",
    )
    .unwrap();
    let o = comeback(dir.path(), &["summarize", "s.csv", "--decimal-comma"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 rows with a negative amount"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "customer_id,frequency,recency,T,monetary_value\nc1,1,1,1,20\n"
    );
    let o = comeback(
        dir.path(),
        &["summarize", "s.csv", "--decimal-comma", "--refunds", "net"],
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "customer_id,frequency,recency,T,monetary_value\nc1,1,1,1,15\n"
    );
}

#[test]
fn simulate_pipes_into_summarize() {
    let dir = tempfile::tempdir().unwrap();
    let o = comeback(
        dir.path(),
        &[
            "simulate",
            "--customers",
            "500",
            "--seed",
            "3",
            "-o",
            "log.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = comeback(
        dir.path(),
        &[
            "summarize",
            "log.csv",
            "--unit",
            "weeks",
            "--format",
            "json",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 500);
    for r in rows {
        let (x, tx, t, m) = (
            r["frequency"].as_f64().unwrap(),
            r["recency"].as_f64().unwrap(),
            r["T"].as_f64().unwrap(),
            r["monetary_value"].as_f64().unwrap(),
        );
        assert!(x >= 0.0 && (0.0..=t).contains(&tx) && m >= 0.0 && (x > 0.0 || m == 0.0));
    }
}

/// Outputs never overwrite the input or each other; standard input's rejects file has a
/// plain name; a calibration end before every first purchase is an error, not an empty file.
#[test]
fn outputs_never_clobber_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let input = "customer,date,amount\nc1,2024-01-01,10\nc2,2024-13-01,5\nc1,2024-01-08,4\n";
    std::fs::write(dir.path().join("sales.csv"), input).unwrap();
    assert_fails(
        dir.path(),
        &[
            "summarize",
            "sales.csv",
            "--skip-invalid",
            "--rejects",
            "sales.csv",
            "-q",
        ],
        "sales.csv is the input file",
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sales.csv")).unwrap(),
        input,
        "input untouched"
    );
    assert_fails(
        dir.path(),
        &[
            "summarize",
            "sales.csv",
            "--skip-invalid",
            "--rejects",
            "r.csv",
            "-o",
            "r.csv",
            "-q",
        ],
        "given for two outputs",
    );

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_comeback"))
        .current_dir(dir.path())
        .args(["summarize", "-", "--skip-invalid", "-q"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert!(dir.path().join("stdin.rejects.csv").exists());

    assert_fails(
        dir.path(),
        &[
            "summarize",
            "sales.csv",
            "--skip-invalid",
            "--calibration-end",
            "2023-01-01",
            "-q",
            "-o",
            "c.csv",
        ],
        "choose a later --calibration-end",
    );
    assert!(!dir.path().join("c.csv").exists());
}

/// The two most common export mismatches get a hint naming the flag.
#[test]
fn hints_for_decimal_comma_and_date_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("es.csv"),
        "cliente;fecha;importe\na;2024-01-02;101,52 €\n",
    )
    .unwrap();
    let o = comeback(dir.path(), &["summarize", "es.csv", "-q"]);
    assert!(
        stderr(&o).contains("(amounts like 1.234,56 need --decimal-comma)"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        dir.path().join("x.csv"),
        "customer,date,amount\na,2024-01-02,ten\n",
    )
    .unwrap();
    let o = comeback(dir.path(), &["summarize", "x.csv", "-q"]);
    assert!(!stderr(&o).contains("--decimal-comma"), "{}", stderr(&o));
    std::fs::write(
        dir.path().join("fi.csv"),
        "asiakas,päivämäärä,summa\na,3.2.2025,1\n",
    )
    .unwrap();
    let o = comeback(dir.path(), &["summarize", "fi.csv", "-q"]);
    assert!(
        stderr(&o).contains("--date-format, e.g. %d.%m.%Y"),
        "{}",
        stderr(&o)
    );
}
