//! Small helpers: time conversion, hex, hashing, randomness, id validation.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::StoreError;

/// Microseconds since 1970-01-01T00:00:00Z.
pub(crate) fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The instant of a stored microsecond count.
pub(crate) fn from_micros(column: &'static str, us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us).ok_or(StoreError::Corrupt {
        column,
        value: us.to_string(),
    })
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// SHA-256 (FIPS 180-4) of the concatenation of `parts`, as lowercase hex.
pub(crate) fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    hex(&h.finalize())
}

/// `n` random bytes from the operating system, as lowercase hex.
pub(crate) fn random_hex(n: usize) -> Result<String, StoreError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(hex(&buf))
}

/// Equality of two byte strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why an identifier (external id, code) is unusable, or `None` when it is fine: it must be
/// non-empty after trimming, at most 200 bytes, and free of control characters.
pub(crate) fn id_problem(s: &str) -> Option<String> {
    if s.trim().is_empty() {
        Some("empty".to_owned())
    } else if s.len() > 200 {
        Some(format!("longer than 200 bytes ({} bytes)", s.len()))
    } else if s.chars().any(char::is_control) {
        Some(format!("{s:?} contains a control character"))
    } else if s.trim() != s {
        Some(format!("{s:?} has leading or trailing white space"))
    } else {
        None
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_fips_example() {
        // FIPS 180-4 / NIST CSRC example: SHA-256("abc").
        assert_eq!(
            sha256_hex(&[b"a", b"bc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn like_escape_escapes_wildcards() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[test]
    fn id_problem_cases() {
        assert!(id_problem("c-1").is_none());
        assert!(id_problem("").is_some());
        assert!(id_problem(" c").is_some());
        assert!(id_problem("a\nb").is_some());
        assert!(id_problem(&"x".repeat(201)).is_some());
    }
}
