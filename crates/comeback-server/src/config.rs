//! The settings of `comeback serve`: clap arguments, each also read from an environment
//! variable, with the defaults a small business needs (an embedded SQLite file, loopback).

use std::net::SocketAddr;
use std::time::Duration;

/// How the server is run. Every flag also reads its environment variable; a flag given on
/// the command line wins over the variable.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Database: `sqlite://PATH` (created if missing; WAL mode) or `postgres://...`.
    #[arg(
        long,
        env = "COMEBACK_DATABASE_URL",
        default_value = "sqlite://comeback.db"
    )]
    pub database_url: String,
    /// Address and port to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "COMEBACK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The URL users reach the server at, for links printed or sent (the admin set-up
    /// link); default `http://` + the bound address.
    #[arg(long, env = "COMEBACK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes (JSON batches and CSV uploads).
    #[arg(long, env = "COMEBACK_MAX_BODY_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Requests taking longer than this many seconds are answered 408 and abandoned.
    #[arg(long, env = "COMEBACK_REQUEST_TIMEOUT_SECS", default_value_t = 120)]
    pub request_timeout_secs: u64,
    /// Largest batch of rows in one `:batch` request.
    #[arg(long, env = "COMEBACK_MAX_BATCH_ROWS", default_value_t = 100_000)]
    pub max_batch_rows: usize,
    /// After stored transactions, the scores are refitted once this many milliseconds have
    /// passed without further ingest (several batches in a short window give one refit).
    #[arg(long, env = "COMEBACK_REFIT_DEBOUNCE_MS", default_value_t = 5_000)]
    pub refit_debounce_ms: u64,
    /// Accounts and security settings (sessions, cookies, password hashing).
    #[command(flatten)]
    pub auth: crate::auth::AuthSettings,
    /// Webhook delivery settings (attempts, back-off, timeout).
    #[command(flatten)]
    pub webhooks: crate::webhooks::WebhookSettings,
    /// Survey settings (link secret, throttling, link lifetime, public rate limit).
    #[command(flatten)]
    pub surveys: crate::surveys::SurveySettings,
    /// The public complaint page (link key, rate limits).
    #[command(flatten)]
    pub complaints: crate::public_complaints::ComplaintSettings,
    /// E-mail: the SMTP server, the complaint e-mails' interval, the daily digest.
    #[command(flatten)]
    pub mail: crate::mail::MailSettings,
}

impl Settings {
    /// Settings with the given database URL and every other value at its default (for
    /// tests and embedding; binds `127.0.0.1:0`).
    pub fn for_database(database_url: impl Into<String>) -> Settings {
        Settings {
            database_url: database_url.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            max_body_bytes: 64 * 1024 * 1024,
            request_timeout_secs: 120,
            max_batch_rows: 100_000,
            refit_debounce_ms: 5_000,
            auth: crate::auth::AuthSettings::default(),
            webhooks: crate::webhooks::WebhookSettings::default(),
            surveys: crate::surveys::SurveySettings::default(),
            complaints: crate::public_complaints::ComplaintSettings::default(),
            mail: crate::mail::MailSettings::default(),
        }
    }

    /// The refit debounce window as a [`Duration`].
    pub fn refit_debounce(&self) -> Duration {
        Duration::from_millis(self.refit_debounce_ms)
    }

    /// The request timeout as a [`Duration`].
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}
