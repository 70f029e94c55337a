//! `comeback sql`: the query of each dialect run on a real engine over CDNOW_master.txt
//! (69,659 rows, 23,570 customers) gives what `comeback summarize` gives on the same file:
//! the same customers in the same order, integers equal, reals within 1e-9 relative; plain
//! and calibration/holdout, in days and weeks, with and without an observation end.
//! SQLite always; PostgreSQL under `COMEBACK_TEST_POSTGRES_URL`; Spark SQL (local pyspark)
//! and DuckDB under `COMEBACK_TEST_SPARK_PYTHON`, a Python with pyspark and duckdb (`.ci/run`
//! makes one), through tests/sql_engines.py.

use crate::{comeback, data_path, stderr};
use sqlx::{AssertSqlSafe, Row};
use std::path::{Path, PathBuf};

/// A case: `comeback summarize`/`comeback sql` options in common.
const CASES: &[&[&str]] = &[
    &["--unit", "days"],
    &["--unit", "weeks"],
    &["--unit", "weeks", "--observation-end", "1997-09-30"],
    &["--unit", "days", "--calibration-end", "1997-09-30"],
    &["--unit", "weeks", "--calibration-end", "1997-09-30"],
    &[
        "--unit",
        "months",
        "--calibration-end",
        "1997-06-30",
        "--observation-end",
        "1998-03-31",
    ],
];

/// A summary table as text: header and rows.
#[derive(Debug)]
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn parse_csv(text: &str) -> Table {
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    Table { header, rows }
}

/// `comeback summarize` of CDNOW_master.txt with `opts`.
fn summarize(dir: &Path, opts: &[&str]) -> Table {
    let master = data_path("CDNOW_master.txt");
    let mut args = vec![
        "summarize",
        master.to_str().unwrap(),
        "--customer-col",
        "customer_id",
        "--date-col",
        "date",
        "--amount-col",
        "dollar_value",
        "--date-format",
        "%Y%m%d",
        "-q",
        "-o",
        "s.csv",
    ];
    args.extend_from_slice(opts);
    let o = comeback(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    parse_csv(&std::fs::read_to_string(dir.join("s.csv")).unwrap())
}

/// `comeback sql` for the table `transactions(customer_id, date, amount)`.
fn sql(dir: &Path, dialect: &str, table: &str, opts: &[&str]) -> String {
    let mut args = vec![
        "sql",
        "--dialect",
        dialect,
        "--table",
        table,
        "--customer-col",
        "customer_id",
        "--date-col",
        "date",
        "--amount-col",
        "amount",
    ];
    args.extend_from_slice(opts);
    let o = comeback(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// CDNOW_master.txt rows as (customer id, ISO date, dollars as written).
fn cdnow_rows() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(data_path("CDNOW_master.txt")).unwrap();
    let rows: Vec<_> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let d = f[1];
            (
                f[0].to_string(),
                format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8]),
                f[3].to_string(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 69_659);
    rows
}

/// Asserts that an engine's table equals summarize's: header, customers and order, integer
/// columns exactly, reals within 1e-9 relative (absolute near 0).
fn assert_same(case: &[&str], engine: &str, want: &Table, got: &Table) {
    let ctx = format!("{engine} {case:?}");
    assert_eq!(got.header, want.header, "{ctx}: header");
    assert_eq!(got.rows.len(), want.rows.len(), "{ctx}: rows");
    assert!(!want.rows.is_empty(), "{ctx}: no rows");
    for (w, g) in want.rows.iter().zip(&got.rows) {
        assert_eq!(g[0], w[0], "{ctx}: customer order");
        for (k, (a, b)) in w.iter().zip(g).enumerate().skip(1) {
            let col = &want.header[k];
            if col.starts_with("frequency") {
                assert_eq!(b, a, "{ctx}: {col} of {}", w[0]);
            } else {
                let (x, y): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
                assert!(
                    (x - y).abs() <= 1e-9 * x.abs().max(1e-3),
                    "{ctx}: {col} of {}: summarize {a}, {engine} {b}",
                    w[0]
                );
            }
        }
    }
}

/// Rows of an sqlx result as text (frequencies as integers, reals in round-trip form).
fn rows_as_text<R: Row>(rows: &[R], header: &[String]) -> Table
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let got_header: Vec<String> = rows
        .first()
        .map(|r| {
            use sqlx::Column;
            r.columns().iter().map(|c| c.name().to_string()).collect()
        })
        .unwrap_or_else(|| header.to_vec());
    let rows = rows
        .iter()
        .map(|r| {
            (0..got_header.len())
                .map(|k| {
                    if k == 0 {
                        r.get::<String, _>(k)
                    } else if got_header[k].starts_with("frequency") {
                        r.get::<i64, _>(k).to_string()
                    } else {
                        r.get::<f64, _>(k).to_string()
                    }
                })
                .collect()
        })
        .collect();
    Table {
        header: got_header,
        rows,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sqlite_query_equals_summarize_on_cdnow() {
    let dir = tempfile::tempdir().unwrap();
    let rows = cdnow_rows();
    runtime().block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        // Dates as ISO 8601 text, amounts as REAL (SQLite's numbers).
        sqlx::query("CREATE TABLE transactions (customer_id TEXT, date TEXT, amount REAL)")
            .execute(&mut db)
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        for chunk in rows.chunks(300) {
            let mut b = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO transactions (customer_id, date, amount) ",
            );
            b.push_values(chunk, |mut r, (c, d, a)| {
                r.push_bind(c)
                    .push_bind(d)
                    .push_bind(a.parse::<f64>().unwrap());
            });
            b.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        for case in CASES {
            let want = summarize(dir.path(), case);
            let q = sql(dir.path(), "sqlite", "transactions", case);
            let got = sqlx::query(AssertSqlSafe(q.as_str()))
                .fetch_all(&mut db)
                .await
                .unwrap();
            assert_same(case, "sqlite", &want, &rows_as_text(&got, &want.header));
        }
    });
}

/// The URL from `var`; without it prints `SKIPPED <test>: <var> not set` and returns `None`
/// — unless `CI` is set, when it fails.
fn env_or_skip(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: {var} must be set when CI is set"
            );
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {var} not set");
            None
        }
    }
}

#[test]
fn postgres_query_equals_summarize_on_cdnow() {
    let test = "postgres_query_equals_summarize_on_cdnow";
    let Some(url) = env_or_skip("COMEBACK_TEST_POSTGRES_URL", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rows = cdnow_rows();
    // A fresh schema whose name needs quoting (mixed case, a dot): the table path is
    // written `"Comeback.Sql_<pid>".transactions`.
    let schema = format!(
        "Comeback.Sql_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let table = format!("\"{schema}\".transactions");
    runtime().block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .execute(&mut db)
            .await
            .unwrap();
        sqlx::query(AssertSqlSafe(format!(
            "CREATE TABLE {table} (customer_id TEXT, date DATE, amount NUMERIC(12, 2))"
        )))
        .execute(&mut db)
        .await
        .unwrap();
        let (c, d, a): (Vec<_>, Vec<_>, Vec<_>) =
            rows.iter()
                .cloned()
                .fold((Vec::new(), Vec::new(), Vec::new()), |mut v, (c, d, a)| {
                    v.0.push(c);
                    v.1.push(d);
                    v.2.push(a);
                    v
                });
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {table} SELECT c, CAST(d AS DATE), CAST(a AS NUMERIC) \
             FROM UNNEST($1::text[], $2::text[], $3::text[]) AS u(c, d, a)"
        )))
        .bind(c)
        .bind(d)
        .bind(a)
        .execute(&mut db)
        .await
        .unwrap();
        let mut result = Ok(());
        for case in CASES {
            let want = summarize(dir.path(), case);
            let q = sql(dir.path(), "postgres", &table, case);
            let got = sqlx::query(AssertSqlSafe(q.as_str()))
                .fetch_all(&mut db)
                .await;
            // The schema is dropped before a failure is reported.
            result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let got = got.unwrap();
                assert_same(case, "postgres", &want, &rows_as_text(&got, &want.header));
            }));
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            result = std::panic::catch_unwind(|| {
                fit_and_predict_from_postgres(dir.path(), &url, &table)
            });
        }
        sqlx::query(AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
            .execute(&mut db)
            .await
            .unwrap();
        if let Err(e) = result {
            std::panic::resume_unwind(e);
        }
    });
}

/// `fit` and `predict` on the PostgreSQL query's result (`--database-url`, `--query @FILE`)
/// give what they give on `summarize`'s file: the CDNOW calibration summary (39 weeks).
fn fit_and_predict_from_postgres(dir: &Path, url: &str, table: &str) {
    let case = ["--unit", "weeks", "--observation-end", "1997-09-30"];
    summarize(dir, &case);
    std::fs::write(dir.join("q.sql"), sql(dir, "postgres", table, &case)).unwrap();
    let db = [
        "--database-url",
        url,
        "--query",
        "@q.sql",
        "--query-unit",
        "weeks",
    ];
    let run = |args: &[&str]| {
        let o = comeback(dir, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    for model in ["bgnbd", "pareto-nbd", "gamma-gamma"] {
        let from_file: serde_json::Value =
            serde_json::from_str(&run(&["fit", "s.csv", "--model", model, "--json"])).unwrap();
        let mut args = vec!["fit", "--model", model, "--json"];
        args.extend_from_slice(&db);
        let from_db: serde_json::Value = serde_json::from_str(&run(&args)).unwrap();
        assert_eq!(from_db["unit"], "weeks");
        assert_eq!(from_db["n_customers"], from_file["n_customers"], "{model}");
        let params = from_file["params"].as_object().unwrap();
        assert!(params.len() >= 3, "{model}: {params:?}");
        for (k, v) in params {
            let (a, b) = (v.as_f64().unwrap(), from_db["params"][k].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-6 * a.abs(),
                "{model} {k}: file {a}, postgres {b}"
            );
        }
    }
    let from_file = run(&["predict", "s.csv", "--model", "bgnbd", "--horizon", "39"]);
    let mut args = vec!["predict", "--model", "bgnbd", "--horizon", "39"];
    args.extend_from_slice(&db);
    let from_db = run(&args);
    let (a, b) = (parse_csv(&from_file), parse_csv(&from_db));
    assert_eq!(a.header, b.header);
    assert_eq!(a.rows.len(), 23_570);
    assert_eq!(a.rows.len(), b.rows.len());
    for (x, y) in a.rows.iter().zip(&b.rows) {
        assert_eq!(x[0], y[0]);
        for (u, v) in x.iter().zip(y).skip(1) {
            let (u, v): (f64, f64) = (u.parse().unwrap(), v.parse().unwrap());
            assert!((u - v).abs() <= 1e-6 * u.abs().max(1e-6), "{x:?} vs {y:?}");
        }
    }
    // A query that fails in PostgreSQL is an error naming --query.
    let mut args = vec!["fit", "--model", "bgnbd"];
    args.extend_from_slice(&["--database-url", url, "--query", "SELECT nope FROM nowhere"]);
    let o = comeback(dir, &args);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--query"), "{}", stderr(&o));
}

/// Runs every case's query on `engine` (spark or duckdb) through tests/sql_engines.py.
fn python_engine(engine: &str, python: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("transactions.csv");
    let mut csv = String::from("customer_id,date,amount\n");
    for (c, d, a) in cdnow_rows() {
        csv.push_str(&format!("{c},{d},{a}\n"));
    }
    std::fs::write(&data, csv).unwrap();
    let mut jobs = Vec::new();
    let mut wants = Vec::new();
    for (k, case) in CASES.iter().enumerate() {
        wants.push(summarize(dir.path(), case));
        let q = dir.path().join(format!("q{k}.sql"));
        std::fs::write(&q, sql(dir.path(), engine, "transactions", case)).unwrap();
        let out: PathBuf = dir.path().join(format!("out{k}.csv"));
        jobs.push((q, out));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sql_engines.py");
    let o = std::process::Command::new(python)
        .arg(&script)
        .arg(engine)
        .arg("dates")
        .arg(&data)
        .args(
            jobs.iter()
                .map(|(q, out)| format!("{}={}", q.display(), out.display())),
        )
        .output()
        .expect("run the Python engine driver");
    assert!(o.status.success(), "{engine}: {}", stderr(&o));
    for ((case, want), (_, out)) in CASES.iter().zip(&wants).zip(&jobs) {
        let got = parse_csv(&std::fs::read_to_string(out).unwrap());
        assert_same(case, engine, want, &got);
    }
}

#[test]
fn spark_query_equals_summarize_on_cdnow() {
    let test = "spark_query_equals_summarize_on_cdnow";
    if let Some(python) = env_or_skip("COMEBACK_TEST_SPARK_PYTHON", test) {
        python_engine("spark", &python);
    }
}

#[test]
fn duckdb_query_equals_summarize_on_cdnow() {
    let test = "duckdb_query_equals_summarize_on_cdnow";
    if let Some(python) = env_or_skip("COMEBACK_TEST_SPARK_PYTHON", test) {
        python_engine("duckdb", &python);
    }
}

#[test]
fn bad_flags_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "sql",
        "--customer-col",
        "c",
        "--date-col",
        "d",
        "--amount-col",
        "a",
    ];
    let run = |extra: &[&str], message: &str| {
        let mut args = base.to_vec();
        if !extra.contains(&"--table") {
            args.extend_from_slice(&["--table", "t"]);
        }
        args.extend_from_slice(extra);
        let o = comeback(dir.path(), &args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}: partial output");
    };
    run(
        &["--dialect", "sqlite", "--timezone", "Europe/Helsinki"],
        "SQLite has no time zones",
    );
    run(&["--dialect", "oracle"], "unknown SQL dialect \"oracle\"");
    run(
        &["--dialect", "postgres", "--timezone", "Mars/Base"],
        "Mars/Base",
    );
    run(
        &[
            "--dialect",
            "duckdb",
            "--calibration-end",
            "1997-10-01",
            "--observation-end",
            "1997-09-30",
        ],
        "--calibration-end 1997-10-01 is after --observation-end 1997-09-30",
    );
    run(
        &["--dialect", "spark", "--table", "s..t"],
        "--table: empty identifier",
    );
}

/// `--timezone` on PostgreSQL: instants (`timestamptz`) near midnight in Helsinki fall on
/// the local day `summarize --timezone Europe/Helsinki` gives them. By hand: customer a buys
/// 10 at 23:30 local on 2024-01-01 and 5 + 7 on 2024-01-02 (x = 1, tₓ = 1, T = 182 days to
/// the last day 2024-07-01, monetary 12); b buys 4 on 2024-06-30 and 3 at 00:30 local on
/// 2024-07-01 (summer time, UTC+3): x = 1, tₓ = 1, T = 1, monetary 3. In UTC the days differ.
#[test]
fn postgres_timezone_matches_summarize() {
    let test = "postgres_timezone_matches_summarize";
    let Some(url) = env_or_skip("COMEBACK_TEST_POSTGRES_URL", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let want = helsinki_summary(dir.path());
    let rows = HELSINKI;
    let schema = format!("comeback_sql_tz_{}", std::process::id());
    runtime().block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
        for stmt in [
            format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
            format!("CREATE SCHEMA {schema}"),
            format!("CREATE TABLE {schema}.tx (customer TEXT, ts TIMESTAMPTZ, amount NUMERIC)"),
        ] {
            sqlx::query(AssertSqlSafe(stmt))
                .execute(&mut db)
                .await
                .unwrap();
        }
        for (c, t, a) in rows {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {schema}.tx VALUES ($1, CAST($2 AS TIMESTAMPTZ), CAST($3 AS NUMERIC))"
            )))
            .bind(c)
            .bind(t)
            .bind(a)
            .execute(&mut db)
            .await
            .unwrap();
        }
        let q = helsinki_sql(dir.path(), "postgres", &format!("{schema}.tx"));
        let got = sqlx::query(AssertSqlSafe(q.as_str()))
            .fetch_all(&mut db)
            .await;
        sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&mut db)
            .await
            .unwrap();
        let got = rows_as_text(&got.unwrap(), &want.header);
        assert_same(&["--timezone", "Europe/Helsinki"], "postgres", &want, &got);
    });
}

/// Purchases as instants around midnight in Helsinki (see the tests that use them).
const HELSINKI: [(&str, &str, &str); 5] = [
    ("a", "2024-01-01T21:30:00Z", "10"),
    ("a", "2024-01-01T22:30:00Z", "5"),
    ("a", "2024-01-02T10:00:00+02:00", "7"),
    ("b", "2024-06-30T21:30:00Z", "3"),
    ("b", "2024-06-30T20:30:00Z", "4"),
];

/// Writes [`HELSINKI`] to `dir/tx.csv` (header customer,ts,amount) and returns `comeback
/// summarize --timezone Europe/Helsinki` of it, after checking it against the hand values.
fn helsinki_summary(dir: &Path) -> Table {
    let mut csv = String::from("customer,ts,amount\n");
    for (c, t, a) in HELSINKI {
        csv.push_str(&format!("{c},{t},{a}\n"));
    }
    std::fs::write(dir.join("tx.csv"), csv).unwrap();
    let o = comeback(
        dir,
        &[
            "summarize",
            "tx.csv",
            "--customer-col",
            "customer",
            "--date-col",
            "ts",
            "--amount-col",
            "amount",
            "--timezone",
            "Europe/Helsinki",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let want = parse_csv(&String::from_utf8(o.stdout).unwrap());
    let by_hand = [["a", "1", "1", "182", "12"], ["b", "1", "1", "1", "3"]];
    assert_eq!(want.rows, by_hand.map(|r| r.map(str::to_string)));
    want
}

/// `comeback sql --timezone Europe/Helsinki` for the table `tx(customer, ts, amount)`.
fn helsinki_sql(dir: &Path, dialect: &str, table: &str) -> String {
    let o = comeback(
        dir,
        &[
            "sql",
            "--dialect",
            dialect,
            "--table",
            table,
            "--customer-col",
            "customer",
            "--date-col",
            "ts",
            "--amount-col",
            "amount",
            "--timezone",
            "Europe/Helsinki",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// `--timezone` on Spark SQL (session time zone UTC) and DuckDB (`TIMESTAMPTZ`): the
/// [`HELSINKI`] instants, in a table named `tx` (so the query's own CTE names must not
/// shadow it), give `summarize --timezone Europe/Helsinki`'s days.
fn python_engine_timezone(engine: &str, python: &str) {
    let dir = tempfile::tempdir().unwrap();
    let want = helsinki_summary(dir.path());
    let q = dir.path().join("q.sql");
    std::fs::write(&q, helsinki_sql(dir.path(), engine, "tx")).unwrap();
    let out = dir.path().join("out.csv");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sql_engines.py");
    let o = std::process::Command::new(python)
        .arg(&script)
        .arg(engine)
        .arg("instants")
        .arg(dir.path().join("tx.csv"))
        .arg(format!("{}={}", q.display(), out.display()))
        .output()
        .expect("run the Python engine driver");
    assert!(o.status.success(), "{engine}: {}", stderr(&o));
    let got = parse_csv(&std::fs::read_to_string(out).unwrap());
    assert_same(&["--timezone", "Europe/Helsinki"], engine, &want, &got);
}

#[test]
fn spark_timezone_matches_summarize() {
    let test = "spark_timezone_matches_summarize";
    if let Some(python) = env_or_skip("COMEBACK_TEST_SPARK_PYTHON", test) {
        python_engine_timezone("spark", &python);
    }
}

#[test]
fn duckdb_timezone_matches_summarize() {
    let test = "duckdb_timezone_matches_summarize";
    if let Some(python) = env_or_skip("COMEBACK_TEST_SPARK_PYTHON", test) {
        python_engine_timezone("duckdb", &python);
    }
}
