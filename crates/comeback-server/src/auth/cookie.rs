//! The session cookie `comeback_session`: building `Set-Cookie` values and reading the
//! `Cookie` request header (RFC 6265 §4.1 and §5.4).
//!
//! The cookie value is the session's 64-hex secret, so no quoting or percent-encoding is
//! ever needed; written by hand instead of pulling a cookie crate and its `time`
//! dependency for two header lines.

use std::time::Duration;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "comeback_session";

/// The `SameSite` attribute (RFC 6265bis §4.1.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SameSite {
    /// Sent on top-level navigations from other sites (links into the dashboard work).
    #[default]
    Lax,
    /// Never sent on requests started by other sites.
    Strict,
}

impl SameSite {
    /// `"Lax"` or `"Strict"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
        }
    }
}

/// How the session cookie is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    /// `Secure`: only over HTTPS (turn off only for plain-HTTP development on loopback).
    pub secure: bool,
    /// `SameSite`.
    pub same_site: SameSite,
}

impl CookiePolicy {
    /// The `Set-Cookie` value that stores `token` for `max_age` (whole seconds, rounded
    /// down): `Path=/`, `HttpOnly`, `SameSite`, `Max-Age` and, when configured, `Secure`.
    pub fn session_cookie(&self, token: &str, max_age: Duration) -> String {
        format!(
            "{SESSION_COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; SameSite={}{}",
            max_age.as_secs(),
            self.same_site.as_str(),
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value that deletes the session cookie (empty value, `Max-Age=0`,
    /// RFC 6265 §5.3 step 3 and §5.2.2).
    pub fn removal_cookie(&self) -> String {
        self.session_cookie("", Duration::ZERO)
    }
}

/// The value of cookie `name` in `Cookie` header values (`a=1; b=2`, possibly several
/// headers), or `None`. The first occurrence wins (RFC 6265 §5.4: user agents send more
/// specific paths first).
pub fn cookie_value<'a>(headers: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    headers.into_iter().find_map(|h| {
        h.split(';').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches('"'))
        })
    })
}

/// True for a well-formed session secret: 64 lowercase hex digits (the store's
/// `create_session` format); anything else is not looked up.
pub fn is_session_token(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_attributes() {
        let p = CookiePolicy {
            secure: true,
            same_site: SameSite::Lax,
        };
        assert_eq!(
            p.session_cookie("ab12", Duration::from_secs(3600)),
            "comeback_session=ab12; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure"
        );
        let dev = CookiePolicy {
            secure: false,
            same_site: SameSite::Strict,
        };
        assert_eq!(
            dev.removal_cookie(),
            "comeback_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        );
    }

    #[test]
    fn reads_cookie_headers() {
        let h = [
            "theme=dark; comeback_session=abc ; x=1",
            "comeback_session=later",
        ];
        assert_eq!(cookie_value(h, SESSION_COOKIE), Some("abc"));
        assert_eq!(
            cookie_value(["a=1", "comeback_session=\"q\""], SESSION_COOKIE),
            Some("q")
        );
        assert_eq!(
            cookie_value(["comeback_sessionx=1; y"], SESSION_COOKIE),
            None
        );
        assert_eq!(cookie_value([], SESSION_COOKIE), None);
    }

    #[test]
    fn session_token_shape() {
        assert!(is_session_token(&"0123456789abcdef".repeat(4)));
        assert!(!is_session_token(&"0123456789ABCDEF".repeat(4)));
        assert!(!is_session_token("abc"));
        assert!(!is_session_token(&"g".repeat(64)));
    }
}
