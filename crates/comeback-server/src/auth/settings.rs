//! [`AuthSettings`] (flags of `comeback serve`) and [`AuthState`] (what the handlers share).

use std::time::Duration;

use comeback_store::LockoutPolicy;

use super::cookie::{CookiePolicy, SameSite};
use super::password::{Argon2Params, DEFAULT_MIN_PASSWORD_CHARS, PasswordHasherConfig};
use super::throttle::{Rate, Throttle};

/// Default of `--session-hours`.
const DEFAULT_SESSION_HOURS: u64 = 12;
/// Default of `--lockout-minutes`.
const DEFAULT_LOCKOUT_MINUTES: u64 = 15;
/// Default of `--login-rate-per-ip`.
const DEFAULT_LOGIN_RATE_PER_IP: u32 = 20;
/// Default of `--login-rate-per-account`.
const DEFAULT_LOGIN_RATE_PER_ACCOUNT: u32 = 10;

/// Flags of `comeback serve` for accounts and security; each also reads its environment
/// variable.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct AuthSettings {
    /// Send the session cookie without `Secure`, so it also works over plain HTTP (for
    /// development on 127.0.0.1 only; keep it off behind HTTPS).
    #[arg(long, env = "COMEBACK_INSECURE_COOKIE")]
    pub insecure_cookie: bool,
    /// `SameSite` of the session cookie.
    #[arg(long, env = "COMEBACK_COOKIE_SAME_SITE", value_enum, default_value_t = SameSite::Lax)]
    pub cookie_same_site: SameSite,
    /// Lifetime of a login session, in hours.
    #[arg(long, env = "COMEBACK_SESSION_HOURS", default_value_t = DEFAULT_SESSION_HOURS,
          value_parser = clap::value_parser!(u64).range(1..=24 * 90))]
    pub session_hours: u64,
    /// Fewest characters of a password.
    #[arg(long, env = "COMEBACK_MIN_PASSWORD_CHARS", default_value_t = DEFAULT_MIN_PASSWORD_CHARS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(8..=64))]
    pub min_password_chars: usize,
    /// argon2id memory per hash, in KiB (RFC 9106 §4 second recommendation: 65536).
    #[arg(long, env = "COMEBACK_ARGON2_MEMORY_KIB", default_value_t = Argon2Params::RFC9106_LOW_MEMORY.memory_kib,
          value_parser = clap::value_parser!(u32).range(8..))]
    pub argon2_memory_kib: u32,
    /// argon2id passes (RFC 9106 §4: 3).
    #[arg(long, env = "COMEBACK_ARGON2_ITERATIONS", default_value_t = Argon2Params::RFC9106_LOW_MEMORY.iterations,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub argon2_iterations: u32,
    /// argon2id lanes (RFC 9106 §4: 4).
    #[arg(long, env = "COMEBACK_ARGON2_PARALLELISM", default_value_t = Argon2Params::RFC9106_LOW_MEMORY.parallelism,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub argon2_parallelism: u32,
    /// Consecutive failed logins that lock an account.
    #[arg(long, env = "COMEBACK_LOCKOUT_FAILURES", default_value_t = LockoutPolicy::default().max_failures,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub lockout_failures: u32,
    /// Minutes an account stays locked.
    #[arg(long, env = "COMEBACK_LOCKOUT_MINUTES", default_value_t = DEFAULT_LOCKOUT_MINUTES)]
    pub lockout_minutes: u64,
    /// Login attempts per minute allowed from one client address.
    #[arg(long, env = "COMEBACK_LOGIN_RATE_PER_IP", default_value_t = DEFAULT_LOGIN_RATE_PER_IP,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub login_rate_per_ip: u32,
    /// Login attempts per minute allowed for one account e-mail.
    #[arg(long, env = "COMEBACK_LOGIN_RATE_PER_ACCOUNT", default_value_t = DEFAULT_LOGIN_RATE_PER_ACCOUNT,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub login_rate_per_account: u32,
}

impl Default for AuthSettings {
    /// The production defaults, the same as the flags' defaults.
    fn default() -> Self {
        AuthSettings {
            insecure_cookie: false,
            cookie_same_site: SameSite::Lax,
            session_hours: DEFAULT_SESSION_HOURS,
            min_password_chars: DEFAULT_MIN_PASSWORD_CHARS,
            argon2_memory_kib: Argon2Params::RFC9106_LOW_MEMORY.memory_kib,
            argon2_iterations: Argon2Params::RFC9106_LOW_MEMORY.iterations,
            argon2_parallelism: Argon2Params::RFC9106_LOW_MEMORY.parallelism,
            lockout_failures: LockoutPolicy::default().max_failures,
            lockout_minutes: DEFAULT_LOCKOUT_MINUTES,
            login_rate_per_ip: DEFAULT_LOGIN_RATE_PER_IP,
            login_rate_per_account: DEFAULT_LOGIN_RATE_PER_ACCOUNT,
        }
    }
}

impl AuthSettings {
    /// Settings for tests: cheap argon2 costs ([`Argon2Params::INSECURE_FOR_TESTS`]),
    /// cookies without `Secure` (the tests speak plain HTTP), the rest at the defaults.
    /// Never for production.
    pub fn insecure_for_tests() -> AuthSettings {
        let p = Argon2Params::INSECURE_FOR_TESTS;
        AuthSettings {
            insecure_cookie: true,
            argon2_memory_kib: p.memory_kib,
            argon2_iterations: p.iterations,
            argon2_parallelism: p.parallelism,
            ..AuthSettings::default()
        }
    }

    /// The argon2id costs.
    pub fn argon2_params(&self) -> Argon2Params {
        Argon2Params {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        }
    }
}

/// Shared state of the accounts module, inside [`crate::AppState`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AuthState {
    /// Hashes and verifies passwords.
    pub hasher: PasswordHasherConfig,
    /// How the session cookie is sent.
    pub cookies: CookiePolicy,
    /// Session lifetime.
    pub session_ttl: Duration,
    /// When failed logins lock an account.
    pub lockout: LockoutPolicy,
    /// Login attempts per client address.
    pub ip_throttle: Throttle,
    /// Login attempts per account e-mail.
    pub account_throttle: Throttle,
}

impl AuthState {
    /// The state for these settings (argon2 costs below RFC 9106's minimum m ≥ 8·p KiB are
    /// raised to it; see [`PasswordHasherConfig::new`]).
    pub fn new(settings: &AuthSettings) -> AuthState {
        let minute = Duration::from_secs(60);
        AuthState {
            hasher: PasswordHasherConfig::new(
                settings.argon2_params(),
                settings.min_password_chars,
            ),
            cookies: CookiePolicy {
                secure: !settings.insecure_cookie,
                same_site: settings.cookie_same_site,
            },
            session_ttl: Duration::from_secs(settings.session_hours.saturating_mul(3600)),
            lockout: LockoutPolicy {
                max_failures: settings.lockout_failures.max(1),
                lock_for: Duration::from_secs(settings.lockout_minutes.saturating_mul(60)),
            },
            ip_throttle: Throttle::new(Rate {
                burst: settings.login_rate_per_ip,
                period: minute,
            }),
            account_throttle: Throttle::new(Rate {
                burst: settings.login_rate_per_account,
                period: minute,
            }),
        }
    }
}

impl Default for AuthState {
    /// [`AuthState::new`] of the default settings.
    fn default() -> Self {
        AuthState::new(&AuthSettings::default())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        auth: AuthSettings,
    }

    #[test]
    fn flag_defaults_equal_default() {
        let cli = Cli::try_parse_from(["serve"]).unwrap();
        assert_eq!(
            format!("{:?}", cli.auth),
            format!("{:?}", AuthSettings::default())
        );
        let state = AuthState::new(&cli.auth);
        assert!(state.cookies.secure);
        assert_eq!(state.session_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(state.hasher.params(), Argon2Params::RFC9106_LOW_MEMORY);
        assert_eq!(state.lockout, LockoutPolicy::default());
    }

    #[test]
    fn flags_are_range_checked() {
        let cli = Cli::try_parse_from([
            "serve",
            "--insecure-cookie",
            "--cookie-same-site",
            "strict",
            "--min-password-chars",
            "16",
            "--argon2-memory-kib",
            "19456",
            "--argon2-iterations",
            "2",
            "--argon2-parallelism",
            "1",
        ])
        .unwrap();
        let state = AuthState::new(&cli.auth);
        assert!(!state.cookies.secure);
        assert_eq!(state.cookies.same_site, SameSite::Strict);
        assert_eq!(state.hasher.min_chars(), 16);
        assert_eq!(
            state.hasher.params(),
            Argon2Params {
                memory_kib: 19456,
                iterations: 2,
                parallelism: 1
            }
        );
        for bad in [
            ["--argon2-parallelism", "0"],
            ["--argon2-iterations", "0"],
            ["--min-password-chars", "7"],
            ["--session-hours", "0"],
            ["--lockout-failures", "0"],
        ] {
            assert!(
                Cli::try_parse_from(["serve", bad[0], bad[1]]).is_err(),
                "{bad:?}"
            );
        }
    }
}
