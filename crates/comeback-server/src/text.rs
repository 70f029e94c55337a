//! The one place where request text is checked for control characters before it reaches
//! the store. PostgreSQL refuses U+0000 in `text` and `jsonb` values ("invalid byte
//! sequence for encoding UTF8: 0x00"), so a NUL must never reach a query: it is answered
//! as a client error here (422 naming the field, a per-row error in a batch, or 404 for a
//! key that cannot exist because ingest refuses control characters in ids).

use serde_json::Value;

use crate::error::ApiError;

/// The first control character (Unicode general category Cc: U+0000–U+001F,
/// U+007F–U+009F) of `s`, if any.
pub fn control_char(s: &str) -> Option<char> {
    s.chars().find(|c| c.is_control())
}

/// `Ok` when `value` has no control character; otherwise a 422 naming `field` and the
/// value.
///
/// # Errors
/// [`ApiError::Invalid`] (422) with one field problem.
pub fn check_text(field: &str, value: &str) -> Result<(), ApiError> {
    match control_char(value) {
        None => Ok(()),
        Some(c) => Err(ApiError::invalid_field(
            field,
            format!("{value:?} contains the control character {c:?}"),
        )),
    }
}

/// The path (`name`, `attributes.note`, `tags[2]`; empty for the top level) of the first
/// string or object key in `value` that contains U+0000, if any. Other control characters
/// are allowed in free JSON (a note may hold a line break).
pub fn nul_path(value: &Value) -> Option<String> {
    fn walk(v: &Value, path: &mut String) -> bool {
        match v {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(map) => map.iter().any(|(k, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let found = k.contains('\0') || walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }
    let mut path = String::new();
    walk(value, &mut path).then_some(path)
}

/// `Ok` when no string or key of a JSON body contains U+0000; otherwise a 422 naming the
/// field by its path.
///
/// # Errors
/// [`ApiError::Invalid`] (422) with one field problem.
pub fn check_json(value: &Value) -> Result<(), ApiError> {
    match nul_path(value) {
        None => Ok(()),
        Some(path) => Err(ApiError::invalid_field(
            if path.is_empty() { "body" } else { &path },
            "contains the nul character U+0000",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found() {
        assert_eq!(control_char("abc"), None);
        assert_eq!(control_char("a\0b"), Some('\0'));
        assert_eq!(control_char("a\u{7f}"), Some('\u{7f}'));
        assert!(check_text("q", "ok é").is_ok());
        let e = check_text("q", "a\0b").unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.body().error.fields.unwrap()[0].field, "q");
    }

    #[test]
    fn nul_paths_name_the_field() {
        let v = serde_json::json!({"a": "x", "b": {"c": ["y", "z\u{0}"]}});
        assert_eq!(nul_path(&v).as_deref(), Some("b.c[1]"));
        let v = serde_json::json!({"a": "x\n", "k\u{0}": 1});
        assert_eq!(nul_path(&v).as_deref(), Some("k\u{0}"));
        assert_eq!(nul_path(&serde_json::json!({"a": ["b", 1, null]})), None);
        assert_eq!(nul_path(&serde_json::json!("\u{0}")).as_deref(), Some(""));
    }
}
