//! The real application on port 0 over a fresh database, and an HTTP client.
//!
//! `server_test!(name, check)` expands to `name::sqlite` and `name::postgres`; the latter
//! uses a fresh schema on `COMEBACK_TEST_POSTGRES_URL`, prints `SKIPPED` without it, and
//! fails when `CI` is set (as in comeback-store's tests).

use std::sync::{Arc, Mutex};

use comeback_core::Amount;
use comeback_server::{Application, Settings};
use comeback_store::{Location, NewUser, Role, Store, StoreConfig, TransactionInput, UserId};
use serde_json::Value;

/// The environment variable that enables the PostgreSQL runs.
pub const PG_ENV: &str = "COMEBACK_TEST_POSTGRES_URL";

/// A running server and what must stay alive or be cleaned up with it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's store (a second handle to the same database).
    pub store: Store,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// The settings the app was built with.
    pub settings: Settings,
    /// The running application's shared state (the score cache, the webhook dispatcher).
    pub state: comeback_server::AppState,
    dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A fresh schema name `t_<16 hex>`.
fn fresh_schema() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let k = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!(
        "t_{:016x}",
        (n as u64) ^ (u64::from(std::process::id()) << 40) ^ (k << 20)
    )
}

impl TestApp {
    /// The app over a fresh SQLite file.
    pub async fn sqlite() -> TestApp {
        Self::sqlite_with(|s| s).await
    }

    /// As [`sqlite`](Self::sqlite) with changed settings.
    pub async fn sqlite_with(f: impl FnOnce(Settings) -> Settings) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let settings = f(Settings::for_database(url.clone()));
        let store = Store::connect(&url).await.unwrap();
        Self::start(settings, store, Some(dir), None).await
    }

    /// The app over a fresh PostgreSQL schema, or `None` after printing the SKIPPED line
    /// (a failure instead when `CI` is set).
    pub async fn postgres(test: &str) -> Option<TestApp> {
        Self::postgres_with(test, |s| s).await
    }

    /// As [`postgres`](Self::postgres) with changed settings.
    pub async fn postgres_with(
        test: &str,
        f: impl FnOnce(Settings) -> Settings,
    ) -> Option<TestApp> {
        let Ok(url) = std::env::var(PG_ENV) else {
            if std::env::var_os("CI").is_some() {
                panic!("{test}: {PG_ENV} not set but CI is");
            }
            eprintln!("SKIPPED {test}: {PG_ENV} not set");
            return None;
        };
        let schema = fresh_schema();
        let store = StoreConfig::new(url.clone())
            .pg_schema(schema.clone())
            .connect()
            .await
            .unwrap();
        let settings = f(Settings::for_database(url.clone()));
        Some(Self::start(settings, store, None, Some((url, schema))).await)
    }

    async fn start(
        settings: Settings,
        store: Store,
        dir: Option<tempfile::TempDir>,
        pg: Option<(String, String)>,
    ) -> TestApp {
        let app = Application::build_with_store(settings.clone(), store.clone())
            .await
            .unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp {
            base,
            store,
            client: reqwest::Client::new(),
            settings,
            state,
            dir,
            pg,
            stop: Some(tx),
            server: Some(server),
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A user of `role` with an API token; returns the bearer secret.
    pub async fn token(&self, role: Role) -> String {
        self.token_at(role, &[]).await
    }

    /// A user of `role` working at `locations` with an API token; returns the bearer
    /// secret.
    pub async fn token_at(&self, role: Role, locations: &[&str]) -> String {
        let email = format!("{}-{}@example.com", role.as_str(), fresh_schema());
        self.account(&email, role, locations, None).await.1
    }

    /// An account `email` of `role` working at `locations` (none set when empty) and
    /// linked to `employee` (none when `None`), with an API token: (user id, bearer
    /// secret).
    pub async fn account(
        &self,
        email: &str,
        role: Role,
        locations: &[&str],
        employee: Option<&str>,
    ) -> (UserId, String) {
        let user = self
            .store
            .create_user(&NewUser {
                email: email.to_owned(),
                role,
                password_hash: None,
            })
            .await
            .unwrap();
        if !locations.is_empty() {
            let codes: Vec<String> = locations.iter().map(|s| (*s).to_owned()).collect();
            self.store
                .set_user_locations(user.id, &codes)
                .await
                .unwrap();
        }
        if employee.is_some() {
            self.store
                .set_user_employee(user.id, employee)
                .await
                .unwrap();
        }
        let secret = self
            .store
            .create_api_token(user.id, "test", chrono::Utc::now())
            .await
            .unwrap()
            .secret;
        (user.id, secret)
    }

    /// Stores the customer `c1` with one purchase: transaction `t1`, 10.00 EUR on
    /// 2026-03-01 at 10:00 UTC.
    pub async fn purchase_of_c1(&self) {
        self.store
            .ingest_transactions(&[TransactionInput::new(
                "t1",
                "c1",
                "2026-03-01T10:00:00Z"
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .unwrap(),
                Amount::from_micros(10_000_000),
                "EUR",
            )])
            .await
            .unwrap();
    }

    /// Stores the locations `codes`, without names, in the time zone Europe/Helsinki.
    pub async fn locations(&self, codes: &[&str]) {
        for code in codes {
            self.store
                .upsert_location(&Location {
                    code: (*code).to_owned(),
                    name: None,
                    time_zone: "Europe/Helsinki".to_owned(),
                })
                .await
                .unwrap();
        }
    }

    /// GET of a dashboard page with a bearer token, redirects not followed: (status, body
    /// as sent).
    pub async fn page(&self, token: &str, path: &str) -> (u16, String) {
        let r = no_redirect_client()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// GET with a bearer token, redirects followed: the body as text, whatever the
    /// status (for pages and CSV files whose content the test checks).
    pub async fn text(&self, token: &str, path: &str) -> String {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// POST of a dashboard form with a bearer token, redirects not followed: (status,
    /// `Location` header, body as sent).
    pub async fn form(
        &self,
        token: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, Option<String>, String) {
        let r = no_redirect_client()
            .post(self.url(path))
            .bearer_auth(token)
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, location, r.text().await.unwrap())
    }

    /// An admin's bearer token.
    pub async fn admin(&self) -> String {
        self.token(Role::Admin).await
    }

    /// GET with an optional bearer token: (status, JSON body or `Null`).
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut r = self.client.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        read(r.send().await.unwrap()).await
    }

    /// POST of a JSON body with an optional bearer token.
    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let mut r = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        read(r.send().await.unwrap()).await
    }

    /// POST of a raw body with a content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut r = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        read(r.send().await.unwrap()).await
    }

    /// Stops the server gracefully — its background work ends as in a stopped process:
    /// webhook retries waiting in memory are dropped — and starts a new one on the same
    /// database with the same settings.
    pub async fn restart(mut self) -> TestApp {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.unwrap().unwrap();
        }
        let (dir, pg) = (self.dir.take(), self.pg.take());
        Self::start(self.settings.clone(), self.store.clone(), dir, pg).await
    }

    /// Stops the server gracefully, closes the store and drops the PostgreSQL schema.
    pub async fn cleanup(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.unwrap().unwrap();
        }
        self.store.close().await;
        if let Some((url, schema)) = self.pg.take() {
            drop_schema(&url, &schema).await;
        }
        drop(self.dir.take());
    }
}

/// An HTTP client that does not follow redirects (to see a form's 303 and its `Location`).
pub fn no_redirect_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A receiver of webhook deliveries on port 0: its URL (`http://127.0.0.1:PORT/hook`) and
/// the JSON bodies it got, answering each with 204.
pub async fn webhook_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, got)
}

async fn read(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, v)
}

/// Drops a test schema (best effort).
async fn drop_schema(url: &str, schema: &str) {
    use sqlx::Connection;
    if let Ok(mut c) = sqlx::PgConnection::connect(url).await {
        let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
        let _ = c.close().await;
    }
}

/// Runs `$check(&TestApp)` as `$name::sqlite` and `$name::postgres`;
/// `server_test!(name, check, owned)` runs `check(TestApp) -> TestApp` the same way.
macro_rules! server_test {
    ($name:ident, $check:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::sqlite().await;
                super::$check(&app).await;
                app.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let name = concat!(module_path!(), "::postgres");
                let Some(app) = $crate::helpers::TestApp::postgres(name).await else {
                    return;
                };
                super::$check(&app).await;
                app.cleanup().await;
            }
        }
    };
    // A check that takes the app and hands it back (it may have restarted it).
    ($name:ident, $check:ident, owned) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::sqlite().await;
                super::$check(app).await.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let name = concat!(module_path!(), "::postgres");
                let Some(app) = $crate::helpers::TestApp::postgres(name).await else {
                    return;
                };
                super::$check(app).await.cleanup().await;
            }
        }
    };
}
pub(crate) use server_test;
