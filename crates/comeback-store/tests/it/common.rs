//! Test databases for both backends and the `store_test!` macro.

use chrono::{DateTime, Utc};
use comeback_core::Amount;
use comeback_store::{Store, StoreConfig, TransactionInput};

/// The environment variable that enables the PostgreSQL runs.
pub const PG_ENV: &str = "COMEBACK_TEST_POSTGRES_URL";

/// A store on a fresh database, and what must stay alive or be cleaned up with it.
pub struct TestDb {
    pub store: Store,
    /// SQLite: the temporary directory holding the file.
    pub dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server URL and the schema of this test.
    pub pg: Option<(String, String)>,
    /// Drops the schema when the test panics before [`TestDb::cleanup`].
    _guard: SchemaGuard,
}

/// Drops a PostgreSQL test schema when dropped (on a thread of its own, as `Drop` cannot
/// await), so that a failing test leaves nothing behind.
struct SchemaGuard(Option<(String, String)>);

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        if let Some((url, schema)) = self.0.take() {
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(drop_schema(&url, &schema));
            })
            .join();
        }
    }
}

impl TestDb {
    /// A fresh SQLite file in a temporary directory.
    pub async fn sqlite() -> TestDb {
        Self::sqlite_config(|c| c).await
    }

    /// As [`sqlite`](Self::sqlite) with a changed configuration.
    pub async fn sqlite_config(f: impl FnOnce(StoreConfig) -> StoreConfig) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = f(StoreConfig::new(url)).connect().await.unwrap();
        TestDb {
            store,
            dir: Some(dir),
            pg: None,
            _guard: SchemaGuard(None),
        }
    }

    /// The SQLite URL of this database.
    pub fn sqlite_url(&self) -> String {
        format!(
            "sqlite://{}",
            self.dir.as_ref().unwrap().path().join("test.db").display()
        )
    }

    /// A fresh schema `t_<random>` on the PostgreSQL server of [`PG_ENV`], or `None` after
    /// printing the SKIPPED line (a failure instead when `CI` is set).
    pub async fn postgres(test: &str) -> Option<TestDb> {
        Self::postgres_config(test, |c| c).await
    }

    /// As [`postgres`](Self::postgres) with a changed configuration.
    pub async fn postgres_config(
        test: &str,
        f: impl FnOnce(StoreConfig) -> StoreConfig,
    ) -> Option<TestDb> {
        // The harness's name of the test, without the binary's crate name.
        let test = test.strip_prefix("it::").unwrap_or(test);
        let Ok(url) = std::env::var(PG_ENV) else {
            if std::env::var_os("CI").is_some() {
                panic!("{test}: {PG_ENV} not set but CI is");
            }
            // Straight to stderr: the test harness captures eprintln! of passing tests.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {PG_ENV} not set");
            return None;
        };
        let schema = fresh_schema();
        let store = f(StoreConfig::new(url.clone()).pg_schema(schema.clone()))
            .connect()
            .await
            .unwrap();
        Some(TestDb {
            store,
            dir: None,
            pg: Some((url.clone(), schema.clone())),
            _guard: SchemaGuard(Some((url, schema))),
        })
    }

    /// Runs `sql` on a separate raw connection to the same database (not through the
    /// store), returning the affected row count or the database's error message.
    pub async fn raw_exec(&self, sql: &str) -> Result<u64, String> {
        use sqlx::Connection;
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.pg {
            None => {
                let mut c = sqlx::SqliteConnection::connect(&self.sqlite_url())
                    .await
                    .unwrap();
                sqlx::query(sql)
                    .execute(&mut c)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(|e| e.to_string())
            }
            Some((url, schema)) => {
                let opts = pg_options(url, schema);
                let mut c = sqlx::PgConnection::connect_with(&opts).await.unwrap();
                sqlx::query(sql)
                    .execute(&mut c)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Every row of `sql` with each column read as optional text (non-text columns must be
    /// cast by the query), on a separate raw connection.
    pub async fn raw_rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        use sqlx::{Connection, Row};
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.pg {
            None => {
                let mut c = sqlx::SqliteConnection::connect(&self.sqlite_url())
                    .await
                    .unwrap();
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter()
                    .map(|r| (0..r.len()).map(|i| r.try_get(i).unwrap()).collect())
                    .collect()
            }
            Some((url, schema)) => {
                let opts = pg_options(url, schema);
                let mut c = sqlx::PgConnection::connect_with(&opts).await.unwrap();
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter()
                    .map(|r| (0..r.len()).map(|i| r.try_get(i).unwrap()).collect())
                    .collect()
            }
        }
    }

    /// Closes the pool and drops the PostgreSQL schema (also done on a panic, by the
    /// guard).
    pub async fn cleanup(mut self) {
        self.store.close().await;
        if let Some((url, schema)) = self._guard.0.take() {
            drop_schema(&url, &schema).await;
        }
    }
}

/// Connection options of a test schema.
pub fn pg_options(url: &str, schema: &str) -> sqlx::postgres::PgConnectOptions {
    use std::str::FromStr;
    sqlx::postgres::PgConnectOptions::from_str(url)
        .unwrap()
        .options([("search_path", schema)])
}

/// A random schema name `t_<16 hex>`.
pub fn fresh_schema() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    format!(
        "t_{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    )
}

/// Drops a test schema (best effort).
pub async fn drop_schema(url: &str, schema: &str) {
    use sqlx::Connection;
    if let Ok(mut c) = sqlx::PgConnection::connect(url).await {
        // A panicking test may leave a transaction open: never wait long for its locks.
        let _ = sqlx::query("SET lock_timeout = '5s'").execute(&mut c).await;
        let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
        let _ = c.close().await;
    }
}

/// Runs `$check(&TestDb)` as two tests, `$name::sqlite` and `$name::postgres`.
macro_rules! store_test {
    ($name:ident, $check:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::common::TestDb::sqlite().await;
                $check(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let name = concat!(module_path!(), "::postgres");
                let Some(db) = $crate::common::TestDb::postgres(name).await else {
                    return;
                };
                $check(&db).await;
                db.cleanup().await;
            }
        }
    };
}
pub(crate) use store_test;

/// An instant from RFC 3339.
pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A transaction of `amount_cents` minor units in EUR.
pub fn tx(id: &str, customer: &str, when: &str, amount_cents: i64) -> TransactionInput {
    TransactionInput::new(
        id,
        customer,
        at(when),
        Amount::from_micros(amount_cents * 10_000),
        "EUR",
    )
}
