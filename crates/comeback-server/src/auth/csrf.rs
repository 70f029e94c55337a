//! Cross-site request forgery protection: the synchronizer-token pattern (OWASP CSRF
//! Prevention Cheat Sheet, "Synchronizer Token Pattern").
//!
//! Every login session has a random CSRF token (made and stored by the store). A request
//! authenticated by the session cookie whose method changes state (anything but GET, HEAD,
//! OPTIONS, TRACE; RFC 9110 §9.2.1 "safe methods") must present that token, either in the
//! `X-CSRF-Token` header (scripts) or as the `csrf_token` field of an
//! `application/x-www-form-urlencoded` body (HTML forms without JavaScript). Requests with
//! `Authorization: Bearer` carry no ambient credential and need no token.
//!
//! Handlers cannot read the body before the authentication extractor, so the form field is
//! read by the middleware [`csrf_form_field`], which buffers small form bodies and leaves
//! the presented token in the request's extensions for [`super::AuthUser`] to compare.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::ApiError;

/// Header a script sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Form field an HTML form sends the CSRF token in.
pub const CSRF_FORM_FIELD: &str = "csrf_token";

/// Largest form body the middleware buffers to look for the token (bytes); larger form
/// bodies must send the header.
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// A CSRF token presented in a form body, found by [`csrf_form_field`] (redacted in
/// `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedFormToken(pub String);

impl std::fmt::Debug for PresentedFormToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PresentedFormToken(<redacted>)")
    }
}

/// True for methods that may change state (not GET, HEAD, OPTIONS or TRACE, the safe
/// methods of RFC 9110 §9.2.1).
pub fn is_state_changing(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Compares a presented token with the session's in time independent of where they differ.
pub fn tokens_match(expected: &str, presented: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

/// The token of the `X-CSRF-Token` header, if any.
pub fn header_token(headers: &HeaderMap) -> Option<&str> {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

/// The `csrf_token` field of an `application/x-www-form-urlencoded` body.
pub fn form_token(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == CSRF_FORM_FIELD)
        .map(|(_, v)| v.into_owned())
}

fn is_urlencoded_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Middleware (`axum::middleware::from_fn(csrf_form_field)`): for a state-changing
/// `application/x-www-form-urlencoded` request with a session cookie and no
/// `X-CSRF-Token` header, reads the body (at most [`MAX_FORM_BYTES`], else 413), puts its
/// `csrf_token` field into the extensions as [`PresentedFormToken`] and passes the same
/// bytes on. Other requests pass untouched. It checks nothing itself: the comparison with
/// the session's token happens in the authentication extractor.
pub async fn csrf_form_field(request: Request, next: Next) -> Response {
    let wants = is_state_changing(request.method())
        && is_urlencoded_form(request.headers())
        && header_token(request.headers()).is_none()
        && super::session_cookie(request.headers()).is_some();
    if !wants {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::Invalid {
                status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                message: format!("form body over {MAX_FORM_BYTES} bytes"),
                fields: Vec::new(),
            }
            .into_response();
        }
    };
    if let Some(t) = form_token(&bytes) {
        parts.extensions.insert(PresentedFormToken(t));
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_methods() {
        for m in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE] {
            assert!(!is_state_changing(&m), "{m}");
        }
        for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(is_state_changing(&m), "{m}");
        }
    }

    #[test]
    fn token_comparison() {
        assert!(tokens_match("abc123", "abc123"));
        assert!(!tokens_match("abc123", "abc124"));
        assert!(!tokens_match("abc123", "abc12"));
        assert!(!tokens_match("", ""));
    }

    #[test]
    fn form_field() {
        assert_eq!(
            form_token(b"email=a%40b.c&csrf_token=t%2B1&x=2").as_deref(),
            Some("t+1")
        );
        assert_eq!(form_token(b"email=a"), None);
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        assert!(is_urlencoded_form(&h));
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert!(!is_urlencoded_form(&h));
    }
}
