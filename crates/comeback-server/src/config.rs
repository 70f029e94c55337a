//! The settings of `comeback serve`: clap arguments, each also read from an environment
//! variable, with the defaults a small business needs (an embedded SQLite file, loopback).

use std::net::SocketAddr;
use std::time::Duration;

/// Default of `--max-body-bytes`: 64 MiB.
const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Default of `--request-timeout-secs`.
const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 120;
/// Default of `--max-batch-rows`.
const DEFAULT_MAX_BATCH_ROWS: usize = 100_000;
/// Default of `--refit-debounce-ms`.
const DEFAULT_REFIT_DEBOUNCE_MS: u64 = 5_000;

/// How the server is run. Every flag also reads its environment variable; a flag given on
/// the command line wins over the variable.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
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
    #[arg(long, env = "COMEBACK_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Requests taking longer than this many seconds are answered 408 and abandoned.
    #[arg(long, env = "COMEBACK_REQUEST_TIMEOUT_SECS", default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS)]
    pub request_timeout_secs: u64,
    /// Largest batch of rows in one `:batch` request.
    #[arg(long, env = "COMEBACK_MAX_BATCH_ROWS", default_value_t = DEFAULT_MAX_BATCH_ROWS)]
    pub max_batch_rows: usize,
    /// After stored transactions, the scores are refitted once this many milliseconds have
    /// passed without further ingest (several batches in a short window give one refit).
    #[arg(long, env = "COMEBACK_REFIT_DEBOUNCE_MS", default_value_t = DEFAULT_REFIT_DEBOUNCE_MS)]
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
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            max_batch_rows: DEFAULT_MAX_BATCH_ROWS,
            refit_debounce_ms: DEFAULT_REFIT_DEBOUNCE_MS,
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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use clap::{Args, Command, FromArgMatches};

    use super::Settings;
    use crate::auth::AuthSettings;
    use crate::mail::MailSettings;
    use crate::public_complaints::ComplaintSettings;
    use crate::surveys::SurveySettings;
    use crate::webhooks::WebhookSettings;

    /// What clap makes of `comeback serve` without flags, with the flags' environment
    /// variables ignored (so that a `COMEBACK_...` variable of the test's environment
    /// cannot change the result).
    fn parsed_defaults<T: Args + FromArgMatches>() -> T {
        let command =
            T::augment_args(Command::new("serve")).mut_args(|a| a.env(None::<&'static str>));
        let matches = command.try_get_matches_from(["serve"]).unwrap();
        T::from_arg_matches(&matches).unwrap()
    }

    #[test]
    fn every_default_is_the_flags_default() {
        assert_eq!(parsed_defaults::<MailSettings>(), MailSettings::default());
        assert_eq!(
            parsed_defaults::<WebhookSettings>(),
            WebhookSettings::default()
        );
        assert_eq!(parsed_defaults::<AuthSettings>(), AuthSettings::default());
        assert_eq!(
            parsed_defaults::<SurveySettings>(),
            SurveySettings::default()
        );
        assert_eq!(
            parsed_defaults::<ComplaintSettings>(),
            ComplaintSettings::default()
        );
        // `for_database` differs from the flags only in the two values it names.
        let parsed = parsed_defaults::<Settings>();
        assert_eq!(parsed.database_url, "sqlite://comeback.db");
        assert_eq!(parsed.bind, SocketAddr::from(([127, 0, 0, 1], 8080)));
        let mut expected = Settings::for_database("sqlite://comeback.db");
        expected.bind = parsed.bind;
        assert_eq!(parsed, expected);
    }

    #[test]
    fn stripped_command_still_reads_flags() {
        // The stripped command still parses given flags (the helper is not vacuous).
        let command = MailSettings::augment_args(Command::new("serve"))
            .mut_args(|a| a.env(None::<&'static str>));
        let matches = command
            .try_get_matches_from(["serve", "--smtp-port", "2525", "--digest-language", "fi"])
            .unwrap();
        let mail = MailSettings::from_arg_matches(&matches).unwrap();
        assert_eq!(mail.smtp_port, 2525);
        assert_eq!(mail.digest_language, "fi");
        assert_ne!(mail, MailSettings::default());
    }
}
