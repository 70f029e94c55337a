//! Passwords: argon2id hashing (RFC 9106), the length rule, temporary passwords set by an
//! admin reset, and a secret-holding string whose `Debug` is redacted.
//!
//! Stored form: the argon2 PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, the "PHC
//! string format" of the Password Hashing Competition). A temporary password, which its
//! user must change before anything else, is stored as [`TEMPORARY_PREFIX`] followed by
//! its PHC string, so the store needs no extra column.

use std::fmt;
use std::sync::{Arc, OnceLock};

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

/// Marks a stored hash as a temporary password (set by an admin reset or account creation)
/// that must be changed at the next login.
pub const TEMPORARY_PREFIX: &str = "temporary:";

/// Fewest characters (Unicode scalar values) of a chosen password. NIST SP 800-63B §5.1.1.2
/// requires at least 8 and recommends allowing long pass-phrases; 12 is the OWASP
/// Authentication Cheat Sheet's advice for passwords without a second factor.
pub const DEFAULT_MIN_PASSWORD_CHARS: usize = 12;

/// Most characters of a password (NIST SP 800-63B §5.1.1.2: at least 64 must be allowed);
/// the cap keeps an attacker from making the server hash megabytes.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Length in characters of a generated temporary password: 20 symbols of a 32-symbol
/// alphabet carry 100 bits of entropy.
pub const TEMPORARY_PASSWORD_CHARS: usize = 20;

/// Why a password could not be accepted or hashed. Messages never contain the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer characters than the minimum.
    #[error("password too short: {chars} characters, at least {min} needed")]
    TooShort {
        /// Characters given.
        chars: usize,
        /// The minimum.
        min: usize,
    },
    /// More characters than [`MAX_PASSWORD_CHARS`].
    #[error("password too long: {chars} characters, at most {max} allowed")]
    TooLong {
        /// Characters given.
        chars: usize,
        /// The maximum.
        max: usize,
    },
    /// The operating system's random source failed, or argon2 failed.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// A password or other secret text: `Debug` prints `<redacted>` so it cannot reach a log.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Password {
        Password(secret.into())
    }

    /// The secret itself (for hashing or showing once to its owner).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Password {
    fn from(s: String) -> Password {
        Password(s)
    }
}

/// argon2id cost parameters (RFC 9106 §3.1: memory size m in KiB, number of passes t,
/// degree of parallelism p).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory m in KiB (at least 8·p).
    pub memory_kib: u32,
    /// Passes t (at least 1).
    pub iterations: u32,
    /// Lanes p (at least 1).
    pub parallelism: u32,
}

impl Argon2Params {
    /// RFC 9106 §4, the "second recommended option" for memory-constrained environments:
    /// argon2id with t = 3, p = 4, m = 64 MiB (about 0.1–0.3 s per hash here).
    pub const RFC9106_LOW_MEMORY: Argon2Params = Argon2Params {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 4,
    };

    /// Cheap parameters (m = 64 KiB, t = 1, p = 1) for tests only: they keep the format
    /// and the code path but offer no protection.
    pub const INSECURE_FOR_TESTS: Argon2Params = Argon2Params {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for Argon2Params {
    /// [`Argon2Params::RFC9106_LOW_MEMORY`].
    fn default() -> Self {
        Argon2Params::RFC9106_LOW_MEMORY
    }
}

/// Hashes and verifies passwords with argon2id (RFC 9106, version 0x13, 16-byte random
/// salt, 32-byte tag) and enforces the length rule. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct PasswordHasherConfig {
    inner: Arc<Inner>,
}

struct Inner {
    argon2: Argon2<'static>,
    params: Argon2Params,
    min_chars: usize,
    /// A hash verified against when the user is unknown, so that a login takes as long
    /// for an unknown e-mail as for a wrong password (made on first use).
    dummy_hash: OnceLock<String>,
}

impl fmt::Debug for PasswordHasherConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasherConfig")
            .field("params", &self.inner.params)
            .field("min_chars", &self.inner.min_chars)
            .finish_non_exhaustive()
    }
}

impl PasswordHasherConfig {
    /// A hasher with these costs and this minimum password length (characters, at least
    /// 1). Costs argon2 refuses are raised to its minimums (t ≥ 1, 1 ≤ p ≤ 2²⁴ − 1,
    /// m ≥ 8·p KiB, RFC 9106 §3.1), so construction cannot fail; [`params`](Self::params)
    /// tells the costs in force.
    pub fn new(params: Argon2Params, min_chars: usize) -> PasswordHasherConfig {
        let parallelism = params.parallelism.clamp(1, 0x00FF_FFFF);
        let params = Argon2Params {
            memory_kib: params.memory_kib.max(8 * parallelism),
            iterations: params.iterations.max(1),
            parallelism,
        };
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .unwrap_or(Params::DEFAULT);
        PasswordHasherConfig {
            inner: Arc::new(Inner {
                argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, p),
                params,
                min_chars: min_chars.max(1),
                dummy_hash: OnceLock::new(),
            }),
        }
    }

    fn dummy_hash(&self) -> &str {
        self.inner.dummy_hash.get_or_init(|| {
            // A fixed salt is fine: nothing verifies against this hash successfully.
            self.inner
                .argon2
                .hash_password_with_salt(b"no user has this password", b"comeback-dummy-salt")
                .map(|h| h.to_string())
                .unwrap_or_default()
        })
    }

    /// The cost parameters of new hashes.
    pub fn params(&self) -> Argon2Params {
        self.inner.params
    }

    /// The minimum length in characters.
    pub fn min_chars(&self) -> usize {
        self.inner.min_chars
    }

    /// Checks the length rule (counted in Unicode scalar values, NIST SP 800-63B §5.1.1.2).
    ///
    /// # Errors
    /// [`PasswordError::TooShort`] / [`PasswordError::TooLong`].
    pub fn check_rules(&self, password: &Password) -> Result<(), PasswordError> {
        let chars = password.expose().chars().count();
        if chars < self.inner.min_chars {
            return Err(PasswordError::TooShort {
                chars,
                min: self.inner.min_chars,
            });
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong {
                chars,
                max: MAX_PASSWORD_CHARS,
            });
        }
        Ok(())
    }

    /// The PHC string of a chosen password, after [`check_rules`](Self::check_rules).
    /// Slow on purpose (call it off the async runtime, e.g. `spawn_blocking`).
    ///
    /// # Errors
    /// The rule errors; [`PasswordError::Hashing`].
    pub fn hash(&self, password: &Password) -> Result<String, PasswordError> {
        self.check_rules(password)?;
        self.hash_unchecked(password)
    }

    /// The stored form of a temporary password: [`TEMPORARY_PREFIX`] + PHC string.
    ///
    /// # Errors
    /// [`PasswordError::Hashing`].
    pub fn hash_temporary(&self, password: &Password) -> Result<String, PasswordError> {
        Ok(format!(
            "{TEMPORARY_PREFIX}{}",
            self.hash_unchecked(password)?
        ))
    }

    fn hash_unchecked(&self, password: &Password) -> Result<String, PasswordError> {
        let chars = password.expose().chars().count();
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong {
                chars,
                max: MAX_PASSWORD_CHARS,
            });
        }
        self.inner
            .argon2
            .hash_password(password.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }

    /// Checks a password against a stored hash (plain PHC or temporary). Unknown users
    /// (`stored = None`) are checked against a dummy hash, so the answer takes the same time
    /// and is `Mismatch`. The tag comparison inside argon2 is constant-time. The cost
    /// parameters are read from the stored string, so old hashes keep verifying after the
    /// configuration changes.
    pub fn verify(&self, password: &Password, stored: Option<&str>) -> Verified {
        let (phc, temporary) = match stored {
            Some(s) => match s.strip_prefix(TEMPORARY_PREFIX) {
                Some(rest) => (rest, true),
                None => (s, false),
            },
            None => (self.dummy_hash(), false),
        };
        let long = password.expose().chars().count() > MAX_PASSWORD_CHARS;
        let ok = !long
            && PasswordHash::new(phc).is_ok_and(|h| {
                self.inner
                    .argon2
                    .verify_password(password.expose().as_bytes(), &h)
                    .is_ok()
            });
        match (ok && stored.is_some(), temporary) {
            (false, _) => Verified::Mismatch,
            (true, false) => Verified::Ok,
            (true, true) => Verified::MustChange,
        }
    }
}

/// The outcome of [`PasswordHasherConfig::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Right password.
    Ok,
    /// Right temporary password: the user must choose a new one before anything else.
    MustChange,
    /// Wrong password, unknown user, or no password set.
    Mismatch,
}

/// A fresh temporary password of [`TEMPORARY_PASSWORD_CHARS`] symbols from a 32-symbol
/// alphabet without look-alikes (no `0 O 1 l I`), from the operating system's random
/// source.
///
/// # Errors
/// [`PasswordError::Hashing`] when the random source fails.
pub fn temporary_password() -> Result<Password, PasswordError> {
    random_string(TEMPORARY_PASSWORD_CHARS).map(Password)
}

const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

fn random_string(n: usize) -> Result<String, PasswordError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    // 256 is a multiple of 32, so `b % 32` is uniform.
    Ok(buf
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)] as char)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> PasswordHasherConfig {
        PasswordHasherConfig::new(Argon2Params::INSECURE_FOR_TESTS, 12)
    }

    /// Generated by `data/reference/auth/argon2_phc.py` with argon2-cffi (the reference C
    /// implementation of the Password Hashing Competition): password
    /// `correct horse battery staple`, salt `comeback-salt-01`, m = 64 KiB, t = 1, p = 1.
    const CFFI_PHC: &str = "$argon2id$v=19$m=64,t=1,p=1$Y29tZWJhY2stc2FsdC0wMQ$Z0AKaEHcg1MDYTv3tTUxGK4zbdL44TUyifMbEZaz2qM";

    #[test]
    fn hash_round_trip_and_format() {
        let h = hasher();
        let pw = Password::new("correct horse battery staple");
        let phc = h.hash(&pw).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(!phc.contains("correct horse"));
        assert_eq!(h.verify(&pw, Some(&phc)), Verified::Ok);
        assert_eq!(
            h.verify(&Password::new("correct horse battery stapl"), Some(&phc)),
            Verified::Mismatch
        );
        // Two hashes of one password differ (random salt).
        assert_ne!(phc, h.hash(&pw).unwrap());
    }

    #[test]
    fn verifies_reference_hash_from_the_c_implementation() {
        let h = hasher();
        assert_eq!(
            h.verify(
                &Password::new("correct horse battery staple"),
                Some(CFFI_PHC)
            ),
            Verified::Ok
        );
        assert_eq!(
            h.verify(
                &Password::new("correct horse battery stapler"),
                Some(CFFI_PHC)
            ),
            Verified::Mismatch
        );
    }

    #[test]
    fn stored_params_win_over_configured_ones() {
        // A hash made with other costs still verifies.
        let other = PasswordHasherConfig::new(
            Argon2Params {
                memory_kib: 128,
                iterations: 2,
                parallelism: 2,
            },
            12,
        );
        let pw = Password::new("a long enough passphrase");
        let phc = other.hash(&pw).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=128,t=2,p=2$"), "{phc}");
        assert_eq!(hasher().verify(&pw, Some(&phc)), Verified::Ok);
    }

    #[test]
    fn temporary_passwords_must_be_changed() {
        let h = hasher();
        let pw = temporary_password().unwrap();
        assert_eq!(pw.expose().chars().count(), TEMPORARY_PASSWORD_CHARS);
        assert!(pw.expose().bytes().all(|b| ALPHABET.contains(&b)));
        let stored = h.hash_temporary(&pw).unwrap();
        assert!(stored.starts_with("temporary:$argon2id$"));
        assert_eq!(h.verify(&pw, Some(&stored)), Verified::MustChange);
        assert_eq!(
            h.verify(&Password::new("wrong wrong wrong"), Some(&stored)),
            Verified::Mismatch
        );
        assert_ne!(temporary_password().unwrap(), pw);
    }

    #[test]
    fn unknown_user_and_garbage_hash_mismatch() {
        let h = hasher();
        let pw = Password::new("whatever it is, here");
        assert_eq!(h.verify(&pw, None), Verified::Mismatch);
        assert_eq!(h.verify(&pw, Some("not a phc string")), Verified::Mismatch);
        assert_eq!(h.verify(&pw, Some("")), Verified::Mismatch);
    }

    #[test]
    fn length_rules_count_characters() {
        let h = hasher();
        assert_eq!(
            h.check_rules(&Password::new("elevenchars")),
            Err(PasswordError::TooShort { chars: 11, min: 12 })
        );
        // 12 two-byte characters are 12 characters, not 24.
        assert_eq!(h.check_rules(&Password::new("éééééééééééé")), Ok(()));
        assert_eq!(
            h.check_rules(&Password::new("ééééééééééé")),
            Err(PasswordError::TooShort { chars: 11, min: 12 })
        );
        let long = "x".repeat(MAX_PASSWORD_CHARS + 1);
        assert_eq!(
            h.hash(&Password::new(long.clone())),
            Err(PasswordError::TooLong {
                chars: 257,
                max: 256
            })
        );
        assert_eq!(h.verify(&Password::new(long), None), Verified::Mismatch);
        let err = h
            .check_rules(&Password::new("short"))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "password too short: 5 characters, at least 12 needed");
    }

    #[test]
    fn refused_costs_are_raised_to_the_minimums() {
        let h = PasswordHasherConfig::new(
            Argon2Params {
                memory_kib: 4,
                iterations: 0,
                parallelism: 2,
            },
            0,
        );
        assert_eq!(
            h.params(),
            Argon2Params {
                memory_kib: 16,
                iterations: 1,
                parallelism: 2
            }
        );
        assert_eq!(h.min_chars(), 1);
        let phc = h.hash(&Password::new("x")).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=16,t=1,p=2$"), "{phc}");
    }

    #[test]
    fn debug_is_redacted() {
        let pw = Password::new("hunter2hunter2");
        assert_eq!(format!("{pw:?}"), "<redacted>");
        let h = hasher();
        assert!(!format!("{h:?}").contains("argon2id$"));
    }
}
