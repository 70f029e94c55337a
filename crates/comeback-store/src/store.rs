//! Connecting, migrating, settings and backup.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, Row};

use crate::StoreError;
use crate::migrate::{MIGRATIONS_POSTGRES, MIGRATIONS_SQLITE, migrator};
use crate::util::random_hex;

/// Runs `$body` once per backend with `$pool` bound to the `SqlitePool` or the `PgPool`,
/// so that every operation is written once and compiled for both drivers.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Starting a write transaction, which differs per backend: SQLite takes the write lock at
/// `BEGIN IMMEDIATE` (a deferred transaction that reads first could fail with "database is
/// locked" when it later writes), PostgreSQL uses a plain `BEGIN`.
pub(crate) trait BeginWrite {
    /// The database of this pool.
    type Db: sqlx::Database;
    /// A new write transaction.
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>> + Send
    {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>> + Send
    {
        self.begin()
    }
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (one file, WAL mode).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// `"sqlite"` or `"postgres"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The storage layer: a connection pool over SQLite or PostgreSQL and every operation of
/// the Comeback server. Cloning shares the pool.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    /// Per-database random salt of the erasure suppression hashes (hex of 32 bytes).
    pub(crate) salt: Arc<str>,
    /// Ingest's cache: external id → (internal id, an upper bound of first seen). Both
    /// facts stay true under every other writer (ids never change, first seen only moves
    /// earlier, erased customers are refused before the cache is read).
    pub(crate) customer_ids: Arc<std::sync::Mutex<std::collections::HashMap<String, (i64, i64)>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// How to open a [`Store`]: the URL and a few knobs. [`Store::connect`] is
/// `StoreConfig::new(url).connect()`.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreConfig {
    url: String,
    pg_schema: Option<String>,
    max_connections: u32,
    migrate_up_to: Option<i64>,
    create_if_missing: bool,
}

impl std::fmt::Debug for StoreConfig {
    /// Shows the scheme only: a PostgreSQL URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("scheme", &self.url.split(':').next().unwrap_or(""))
            .field("pg_schema", &self.pg_schema)
            .field("max_connections", &self.max_connections)
            .field("create_if_missing", &self.create_if_missing)
            .finish()
    }
}

impl StoreConfig {
    /// The embedded default: `sqlite://comeback.db` in the working directory.
    pub const DEFAULT_URL: &'static str = "sqlite://comeback.db";

    /// A configuration for `url`: `sqlite://PATH` (also `sqlite:PATH`; the file is created
    /// if missing), `postgres://...` or `postgresql://...` (libpq-style URL). A URL without
    /// a scheme is an SQLite file path. `sqlite::memory:` gives a private in-memory
    /// database on a single connection (for tests; gone when the store is closed).
    pub fn new(url: impl Into<String>) -> Self {
        StoreConfig {
            url: url.into(),
            pg_schema: None,
            max_connections: 8,
            migrate_up_to: None,
            create_if_missing: true,
        }
    }

    /// SQLite only: whether a missing database file is created (the default, `true`). With
    /// `false`, [`StoreConfig::connect`] refuses a missing file with
    /// [`StoreError::NotFound`] (`what` = `"database file"`, `key` = its path) and creates
    /// nothing, for commands that only read an existing database (`comeback backup`).
    /// In-memory databases and PostgreSQL are not affected.
    pub fn create_if_missing(mut self, create: bool) -> Self {
        self.create_if_missing = create;
        self
    }

    /// PostgreSQL only: keep every table in `schema` (created if missing; it becomes the
    /// connections' `search_path`), so that several stores (or test runs) can share one
    /// database. The name must be a plain identifier (`[a-z_][a-z0-9_]*`, ≤ 63 bytes).
    pub fn pg_schema(mut self, schema: impl Into<String>) -> Self {
        self.pg_schema = Some(schema.into());
        self
    }

    /// The pool size (default 8, at least 1).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Applies migrations up to and including `version` only (for migration tests); the
    /// default applies all.
    pub fn migrate_up_to(mut self, version: i64) -> Self {
        self.migrate_up_to = Some(version);
        self
    }

    /// Opens the pool, applies the pending migrations and loads the per-database settings
    /// (creating the suppression salt on first use).
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`] for another scheme, [`StoreError::Invalid`] for a bad
    /// schema name, [`StoreError::Database`] when the database cannot be opened or reached,
    /// [`StoreError::Migrate`] when a migration fails or the database was migrated by a newer
    /// version.
    pub async fn connect(self) -> Result<Store, StoreError> {
        let (scheme, _) = self.url.split_once(':').unwrap_or(("", &self.url));
        let pool = match scheme {
            "postgres" | "postgresql" => Pool::Postgres(self.connect_postgres().await?),
            "sqlite" => Pool::Sqlite(self.connect_sqlite(&self.url).await?),
            _ if !self.url.contains("://") => {
                let url = format!("sqlite://{}", self.url);
                Pool::Sqlite(self.connect_sqlite(&url).await?)
            }
            other => {
                return Err(StoreError::UnsupportedUrl {
                    scheme: other.to_owned(),
                });
            }
        };
        let up_to = self.migrate_up_to.unwrap_or(i64::MAX);
        match &pool {
            Pool::Sqlite(p) => migrator(MIGRATIONS_SQLITE, up_to).run(p).await?,
            Pool::Postgres(p) => migrator(MIGRATIONS_POSTGRES, up_to).run(p).await?,
        }
        let mut store = Store {
            pool,
            salt: Arc::from(""),
            customer_ids: Arc::default(),
        };
        store.salt = Arc::from(
            store
                .setting_or_init("suppression_salt", || random_hex(32))
                .await?,
        );
        Ok(store)
    }

    async fn connect_sqlite(&self, url: &str) -> Result<SqlitePool, StoreError> {
        // An in-memory database lives as long as a connection to it: keep exactly one, open
        // for ever (sqlx's default idle timeout would drop it).
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let opts = SqliteConnectOptions::from_str(url)?;
        if !self.create_if_missing && !memory && !opts.get_filename().exists() {
            return Err(StoreError::NotFound {
                what: "database file",
                key: opts.get_filename().display().to_string(),
            });
        }
        let opts = opts
            .create_if_missing(self.create_if_missing)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 64 MiB page cache per connection (default 2 MiB): the transaction indexes
            // are written in customer order, not time order, and must stay cached for
            // ingest to keep its speed as the table grows.
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let pool = if memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(self.max_connections)
        };
        Ok(pool.connect_with(opts).await?)
    }

    async fn connect_postgres(&self) -> Result<PgPool, StoreError> {
        let mut opts = PgConnectOptions::from_str(&self.url)?;
        if let Some(schema) = &self.pg_schema {
            let ok = !schema.is_empty()
                && schema.len() <= 63
                && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && schema
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(StoreError::Invalid {
                    field: "schema",
                    value: schema.clone(),
                    reason: "not a plain identifier [a-z_][a-z0-9_]*",
                });
            }
            let mut conn = sqlx::PgConnection::connect_with(&opts).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}"
            )))
            .execute(&mut conn)
            .await?;
            conn.close().await?;
            opts = opts.options([("search_path", schema.as_str())]);
        }
        Ok(PgPoolOptions::new()
            .max_connections(self.max_connections)
            .connect_with(opts)
            .await?)
    }
}

impl Store {
    /// Opens `url` with the default configuration (see [`StoreConfig::new`] and
    /// [`StoreConfig::connect`]).
    ///
    /// # Errors
    /// As [`StoreConfig::connect`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        StoreConfig::new(url).connect().await
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Checks that the database answers (`SELECT 1`), for a health endpoint.
    ///
    /// # Errors
    /// [`StoreError::Database`] when it does not.
    pub async fn health(&self) -> Result<(), StoreError> {
        on_pool!(self, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }

    /// Closes every connection of the pool (waits for those in use).
    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }

    /// The versions of the applied migrations, ascending.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let sql = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let rows = on_pool!(self, p => sqlx::query(sql).fetch_all(p).await?
            .iter().map(|r| r.try_get::<i64, _>(0)).collect::<Result<Vec<_>, _>>()?);
        Ok(rows)
    }

    /// Applies every pending migration (for a store opened with
    /// [`StoreConfig::migrate_up_to`]).
    ///
    /// # Errors
    /// [`StoreError::Migrate`].
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => migrator(MIGRATIONS_SQLITE, i64::MAX).run(p).await?,
            Pool::Postgres(p) => migrator(MIGRATIONS_POSTGRES, i64::MAX).run(p).await?,
        }
        Ok(())
    }

    /// A setting's value, or `None`.
    pub(crate) async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT value FROM settings WHERE key = $1";
        Ok(on_pool!(self, p => sqlx::query_scalar(sql).bind(key).fetch_optional(p).await?))
    }

    /// A setting's value, created by `init` when missing (first writer wins).
    pub(crate) async fn setting_or_init(
        &self,
        key: &str,
        init: impl FnOnce() -> Result<String, StoreError>,
    ) -> Result<String, StoreError> {
        if let Some(v) = self.setting(key).await? {
            return Ok(v);
        }
        let value = init()?;
        let sql = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
        on_pool!(self, p => { sqlx::query(sql).bind(key).bind(&value).execute(p).await?; });
        self.setting(key).await?.ok_or(StoreError::NotFound {
            what: "setting",
            key: key.to_owned(),
        })
    }

    /// Writes an online, consistent copy of the SQLite database to `dest` (`VACUUM INTO`,
    /// SQLite ≥ 3.27), while other connections go on reading and writing.
    ///
    /// # Errors
    /// [`StoreError::Unsupported`] on PostgreSQL (use `pg_dump`), [`StoreError::Invalid`]
    /// when `dest` exists or is not valid UTF-8, [`StoreError::Database`] for I/O errors.
    pub async fn backup_sqlite(&self, dest: &Path) -> Result<(), StoreError> {
        let Pool::Sqlite(p) = &self.pool else {
            return Err(StoreError::Unsupported {
                operation: "backup",
                backend: "postgres",
            });
        };
        let Some(dest_str) = dest.to_str() else {
            return Err(StoreError::Invalid {
                field: "backup path",
                value: dest.display().to_string(),
                reason: "not valid utf-8",
            });
        };
        if dest.exists() {
            return Err(StoreError::Invalid {
                field: "backup path",
                value: dest_str.to_owned(),
                reason: "already exists",
            });
        }
        sqlx::query("VACUUM INTO $1")
            .bind(dest_str)
            .execute(p)
            .await?;
        Ok(())
    }
}
