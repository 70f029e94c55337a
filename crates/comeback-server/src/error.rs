//! [`ApiError`]: the one error type of every handler, mapped to an HTTP status and the JSON
//! body `{"error": {"code", "message", "rows"?, "fields"?}}`. Internal errors are logged
//! with their cause and shown to the client only as `"internal error"`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comeback_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// One refused row of a batch or an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowProblem {
    /// Zero-based position of the row in the batch; for CSV uploads, the 1-based line of
    /// the file.
    pub row: usize,
    /// The offending field or column name.
    pub field: String,
    /// Lowercase, concise, naming the offending value.
    pub message: String,
}

/// One invalid request field (query parameter, path segment, body field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field.
    pub field: String,
    /// Why it is invalid.
    pub message: String,
}

/// The error object inside [`ErrorBody`].
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `unauthorized`, `forbidden`, `not_found`,
    /// `invalid_request`, `batch_rejected`, `conflict`, `payload_too_large`,
    /// `too_many_requests`, `unavailable`, `internal`.
    pub code: String,
    /// Human-readable, lowercase.
    pub message: String,
    /// Per-row errors of a rejected batch or upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<RowProblem>>,
    /// Per-field errors of an invalid request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldProblem>>,
}

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session or API token (401).
    #[error("authentication required")]
    Unauthorized,
    /// Logged in, but the role does not allow this (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The addressed resource does not exist (404).
    #[error("{what} {key:?} not found")]
    NotFound {
        /// `"customer"`, ...
        what: &'static str,
        /// The key looked up.
        key: String,
    },
    /// The request is malformed (400 for syntax, 422 with fields for semantics).
    #[error("{message}")]
    Invalid {
        /// Status: 400 or 422.
        status: StatusCode,
        /// Summary.
        message: String,
        /// Offending fields.
        fields: Vec<FieldProblem>,
    },
    /// A batch or upload was refused whole; nothing was stored (422).
    #[error("batch rejected: {} invalid row(s)", .0.len())]
    Rejected(Vec<RowProblem>),
    /// A unique key is taken or the state forbids the change (409).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// Not available yet (503), e.g. scores not computed yet.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else (500); the cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 422 for an uploaded file that cannot be read as a whole (unreadable, a line with
    /// another number of fields, a column missing): its one problem, with the line and
    /// column when it has them.
    pub fn file_rejected(e: &comeback_ingest::IngestError) -> ApiError {
        let (row, field) = match e {
            comeback_ingest::IngestError::Row(r) => (
                usize::try_from(r.line).unwrap_or(usize::MAX),
                r.column
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            _ => (0, String::new()),
        };
        ApiError::Rejected(vec![RowProblem {
            row,
            field,
            message: e.to_string(),
        }])
    }

    /// A 422 for one invalid field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let field = field.into();
        let message = message.into();
        ApiError::Invalid {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("invalid {field}: {message}"),
            fields: vec![FieldProblem { field, message }],
        }
    }

    /// A 400 for a request that cannot be parsed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// The status code of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Invalid { status, .. } => *status,
            ApiError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body shown to the client.
    pub fn body(&self) -> ErrorBody {
        let (code, message, rows, fields) = match self {
            ApiError::Unauthorized => ("unauthorized", self.to_string(), None, None),
            ApiError::Forbidden(_) => ("forbidden", self.to_string(), None, None),
            ApiError::NotFound { .. } => ("not_found", self.to_string(), None, None),
            ApiError::Invalid {
                message, fields, ..
            } => (
                "invalid_request",
                message.clone(),
                None,
                (!fields.is_empty()).then(|| fields.clone()),
            ),
            ApiError::Rejected(rows) => {
                ("batch_rejected", self.to_string(), Some(rows.clone()), None)
            }
            ApiError::Conflict(m) => ("conflict", m.clone(), None, None),
            ApiError::TooManyRequests(m) => ("too_many_requests", m.clone(), None, None),
            ApiError::Unavailable(m) => ("unavailable", m.clone(), None, None),
            ApiError::Internal(_) => ("internal", "internal error".to_owned(), None, None),
        };
        ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                rows,
                fields,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        (self.status(), axum::Json(self.body())).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Rejected { rows } => ApiError::Rejected(
                rows.into_iter()
                    .map(|r| RowProblem {
                        row: r.index,
                        field: r.field.to_owned(),
                        message: r.message,
                    })
                    .collect(),
            ),
            StoreError::Invalid { field, .. } => ApiError::invalid_field(field, e.to_string()),
            StoreError::NotFound { what, key } => ApiError::NotFound { what, key },
            StoreError::Duplicate { .. } | StoreError::TimeZoneInUse { .. } => {
                ApiError::Conflict(e.to_string())
            }
            StoreError::MixedCurrencies { .. } => ApiError::Conflict(e.to_string()),
            StoreError::Complaint(message) | StoreError::Survey(message) => {
                ApiError::Conflict(message)
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> ApiError {
        use axum::extract::rejection::JsonRejection as J;
        match r {
            J::JsonDataError(e) => ApiError::Invalid {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: e.body_text().to_lowercase(),
                fields: Vec::new(),
            },
            J::MissingJsonContentType(_) => ApiError::Invalid {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: "expected content-type application/json".to_owned(),
                fields: Vec::new(),
            },
            other => ApiError::bad_request(other.body_text().to_lowercase()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> ApiError {
        ApiError::Invalid {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: r.body_text().to_lowercase(),
            fields: Vec::new(),
        }
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> ApiError {
        ApiError::bad_request(r.body_text().to_lowercase())
    }
}

/// A JSON body extractor (and response) whose rejection is an [`ApiError`] (JSON error
/// body): 415 without a JSON content type, 400 for a body that is not JSON, 422 for a body
/// that is not a JSON object, holds U+0000 in a string ([`crate::text::check_json`],
/// naming the field) or does not match `T` (naming the path).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// `application/json` or `application/*+json`, parameters ignored.
fn is_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T, S> axum::extract::FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        if !is_json_content_type(req.headers()) {
            return Err(ApiError::Invalid {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: "expected content-type application/json".to_owned(),
                fields: Vec::new(),
            });
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| ApiError::Invalid {
                status: r.status(),
                message: r.body_text().to_lowercase(),
                fields: Vec::new(),
            })?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("body is not valid json: {e}")))?;
        if !value.is_object() {
            return Err(ApiError::invalid_field("body", "must be a json object"));
        }
        crate::text::check_json(&value)?;
        serde_path_to_error::deserialize::<_, T>(value)
            .map(Json)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().to_string().to_lowercase();
                if path == "." {
                    ApiError::Invalid {
                        status: StatusCode::UNPROCESSABLE_ENTITY,
                        message,
                        fields: Vec::new(),
                    }
                } else {
                    ApiError::invalid_field(path, message)
                }
            })
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` whose rejection is an [`ApiError`].
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` whose rejection is an [`ApiError`].
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);
