//! Batch ingest: `POST /api/v1/transactions:batch`, `POST /api/v1/customers:batch` (JSON,
//! idempotent by external id, all-or-nothing) and `POST /api/v1/uploads/transactions` (a
//! CSV/TSV/blank-separated file read by comeback-ingest, the CLI's parser).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use chrono::{DateTime, Utc};
use comeback_core::{Amount, Day};
use comeback_ingest::{
    ColumnRef, DateFormat, DecimalMark, Delimiter, HeaderMode, IngestOptions, RefundPolicy,
    TransactionColumns,
};
use comeback_store::{CustomerInput, TransactionInput, TransactionTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::RequireManager;
use crate::error::{ApiError, ErrorBody, Json, Query, RowProblem};
use crate::text;

/// One transaction of a batch.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransactionIn {
    /// The business's unique id of the transaction; re-sending it is a no-op.
    pub external_id: String,
    /// The customer's external id (created on first sight).
    pub customer: String,
    /// When it happened, RFC 3339 (`2024-03-01T10:00:00Z`); its local day follows from the
    /// location's time zone. Give this or `date`.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    /// Only the business-local day, `YYYY-MM-DD`. Give this or `occurred_at`.
    #[serde(default)]
    #[schema(example = "2024-03-01")]
    pub date: Option<String>,
    /// Exact decimal amount as a string (`"12.50"`, `"-3"`), at most 6 decimals; negative
    /// for refunds.
    #[schema(example = "12.50")]
    pub amount: String,
    /// ISO 4217 code, three upper-case letters.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Location code (must exist).
    #[serde(default)]
    pub location: Option<String>,
    /// Employee code (created on first sight).
    #[serde(default)]
    pub employee: Option<String>,
    /// Sales channel, up to 100 bytes.
    #[serde(default)]
    pub channel: Option<String>,
}

/// A batch of transactions (stored whole or not at all).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TransactionBatch {
    /// The rows, in order; row numbers in errors are zero-based positions here.
    pub transactions: Vec<TransactionIn>,
}

/// What a transaction batch did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IngestResult {
    /// Rows stored now.
    pub inserted: u64,
    /// Rows already stored with the same content (idempotent re-send).
    pub duplicates: u64,
}

/// One customer of a batch; absent optional fields keep their stored values.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    /// The business's id of the customer.
    pub external_id: String,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Preferred language (BCP 47 tag).
    #[serde(default)]
    pub language: Option<String>,
    /// First seen, RFC 3339.
    #[serde(default)]
    pub first_seen: Option<DateTime<Utc>>,
    /// Member of the loyalty programme.
    #[serde(default)]
    pub loyalty_member: Option<bool>,
    /// Free attributes (a JSON object).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A batch of customers (stored whole or not at all).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CustomerBatch {
    /// The rows, in order.
    pub customers: Vec<CustomerIn>,
}

/// What a customer batch did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpsertResult {
    /// New customers.
    pub inserted: u64,
    /// Existing customers changed.
    pub updated: u64,
    /// Existing customers left as they were.
    pub unchanged: u64,
}

/// A batch body as received: rows are decoded one by one so that every bad row is
/// reported with its position.
#[derive(Debug, Deserialize)]
pub struct RawBatch {
    #[serde(
        alias = "transactions",
        alias = "customers",
        alias = "subscriptions",
        alias = "enrolments"
    )]
    rows: Vec<serde_json::Value>,
}

/// Parses an exact decimal string: optional `-`/`+`, digits, optional `.` and up to 6
/// digits.
pub fn parse_amount(s: &str) -> Result<Amount, String> {
    let t = s.trim();
    let (negative, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!("cannot parse {s:?} as a decimal amount"));
    }
    Amount::from_parts(negative, int, frac).map_err(|e| format!("{s:?}: {e}"))
}

fn decode_rows<T: serde::de::DeserializeOwned>(
    rows: Vec<serde_json::Value>,
    errors: &mut Vec<RowProblem>,
) -> Vec<Option<T>> {
    rows.into_iter()
        .enumerate()
        .map(|(i, v)| {
            if let Some(path) = text::nul_path(&v) {
                errors.push(RowProblem {
                    row: i,
                    field: path,
                    message: "contains the nul character U+0000".to_owned(),
                });
                return None;
            }
            decode_row(i, v, errors)
        })
        .collect()
}

fn decode_row<T: serde::de::DeserializeOwned>(
    i: usize,
    v: serde_json::Value,
    errors: &mut Vec<RowProblem>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(v) {
        Ok(t) => Some(t),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let field = inner
                .strip_prefix("missing field `")
                .or_else(|| inner.strip_prefix("unknown field `"))
                .and_then(|r| r.split('`').next())
                .map(str::to_owned)
                .unwrap_or(if path == "." { String::new() } else { path });
            errors.push(RowProblem {
                row: i,
                field,
                message: inner.to_lowercase(),
            });
            None
        }
    }
}

/// Decodes a batch body. The typed fast path decodes every row at once; only when it
/// fails is the body decoded row by row, so that every bad row is reported with its
/// position.
pub(crate) fn decode_batch<T: serde::de::DeserializeOwned>(
    body: &[u8],
    errors: &mut Vec<RowProblem>,
) -> Result<Vec<Option<T>>, ApiError> {
    #[derive(Deserialize)]
    struct Typed<T> {
        #[serde(
            alias = "transactions",
            alias = "customers",
            alias = "subscriptions",
            alias = "enrolments"
        )]
        rows: Vec<T>,
    }
    // JSON escapes every control character, so a NUL can only arrive as `\u0000`; such a
    // body takes the row-by-row path, where the rows holding it are refused.
    let may_hold_nul = body.windows(6).any(|w| w == b"\\u0000");
    if !may_hold_nul && let Ok(t) = serde_json::from_slice::<Typed<T>>(body) {
        return Ok(t.rows.into_iter().map(Some).collect());
    }
    let raw: RawBatch = serde_json::from_slice(body).map_err(|e| {
        if e.is_syntax() || e.is_eof() || e.is_io() {
            ApiError::bad_request(format!("body is not valid json: {e}"))
        } else {
            ApiError::Invalid {
                status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                message: format!("body is not a batch: {e}"),
                fields: Vec::new(),
            }
        }
    })?;
    Ok(decode_rows(raw.rows, errors))
}

/// Decodes a JSON batch body (as [`decode_batch`]), checks its size and converts every row
/// with `convert(row index, row, problems)`: all rows converted, or every problem of every
/// row in row order and nothing converted — the all-or-nothing rule of the batch routes.
///
/// # Errors
/// A body that is not a batch (400); more rows than `--max-batch-rows` (422); any row
/// problem (422 [`ApiError::Rejected`] with all of them).
pub(crate) fn validated_batch<T: serde::de::DeserializeOwned, U>(
    state: &AppState,
    body: Bytes,
    mut convert: impl FnMut(usize, T, &mut Vec<RowProblem>) -> Option<U>,
) -> Result<Vec<U>, ApiError> {
    let mut errors = Vec::new();
    let decoded = decode_batch::<T>(&body, &mut errors)?;
    drop(body);
    check_size(state, decoded.len())?;
    let rows: Vec<Option<U>> = decoded
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.and_then(|r| convert(i, r, &mut errors)))
        .collect();
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(ApiError::Rejected(errors));
    }
    Ok(rows.into_iter().flatten().collect())
}

pub(crate) fn check_size(state: &AppState, n: usize) -> Result<(), ApiError> {
    let max = state.settings.max_batch_rows;
    if n > max {
        return Err(ApiError::invalid_field(
            "transactions",
            format!("{n} rows exceed the batch limit of {max}"),
        ));
    }
    Ok(())
}

fn transaction_input(
    i: usize,
    t: TransactionIn,
    errors: &mut Vec<RowProblem>,
) -> Option<TransactionInput> {
    let mut err = |field: &str, message: String| {
        errors.push(RowProblem {
            row: i,
            field: field.to_owned(),
            message,
        })
    };
    let time: Option<TransactionTime> = match (t.occurred_at, &t.date) {
        (Some(at), None) => Some(at.into()),
        (None, Some(d)) => match Day::parse_iso(d) {
            Some(day) => Some(day.into()),
            None => {
                err(
                    "date",
                    format!("cannot parse {d:?} as a date (format %Y-%m-%d)"),
                );
                None
            }
        },
        (Some(_), Some(_)) => {
            err("date", "give occurred_at or date, not both".to_owned());
            None
        }
        (None, None) => {
            err(
                "occurred_at",
                "missing: give occurred_at or date".to_owned(),
            );
            None
        }
    };
    let amount = match parse_amount(&t.amount) {
        Ok(a) => Some(a),
        Err(m) => {
            err("amount", m);
            None
        }
    };
    let (time, amount) = (time?, amount?);
    Some(TransactionInput {
        external_id: t.external_id,
        customer: t.customer,
        time,
        amount,
        currency: t.currency,
        location: t.location,
        employee: t.employee,
        channel: t.channel,
    })
}

/// Stores a batch of transactions: all rows or none. Re-sent rows with the same content are
/// counted as duplicates; any invalid row (bad field, unknown location, erased customer,
/// conflicting external id, a currency other than the store's) rejects the batch with every
/// row error. A store holds one currency, set by its first stored transaction: the refit
/// sums amounts, so rows in another currency are refused.
#[utoipa::path(post, path = "/api/v1/transactions:batch", tag = "ingest",
    request_body = TransactionBatch,
    responses(
        (status = 200, description = "batch stored", body = IngestResult),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 422, description = "batch rejected, nothing stored: every bad row as {row, field, message}, including a row whose currency is not the store's (a store holds one currency)", body = ErrorBody)))]
pub async fn transactions_batch(
    _user: RequireManager,
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<IngestResult>, ApiError> {
    let rows: Vec<TransactionInput> =
        validated_batch::<TransactionIn, _>(&state, body, transaction_input)?;
    let outcome = state.store.ingest_transactions(&rows).await?;
    if outcome.inserted > 0 {
        state.scores.request_refit_for(
            state.store.clone(),
            state.settings.refit_debounce(),
            rows.into_iter().map(|r| r.customer),
        );
    }
    Ok(Json(IngestResult {
        inserted: outcome.inserted,
        duplicates: outcome.duplicates,
    }))
}

/// Creates or updates a batch of customers: all rows or none.
#[utoipa::path(post, path = "/api/v1/customers:batch", tag = "ingest",
    request_body = CustomerBatch,
    responses(
        (status = 200, description = "batch stored", body = UpsertResult),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 422, description = "batch rejected, nothing stored", body = ErrorBody)))]
pub async fn customers_batch(
    _user: RequireManager,
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<UpsertResult>, ApiError> {
    let rows: Vec<CustomerInput> = validated_batch(&state, body, |_, c: CustomerIn, _| {
        Some(CustomerInput {
            external_id: c.external_id,
            name: c.name,
            email: c.email,
            language: c.language,
            first_seen: c.first_seen,
            loyalty_member: c.loyalty_member,
            attributes: c.attributes,
        })
    })?;
    let outcome = state.store.upsert_customers(&rows).await?;
    Ok(Json(UpsertResult {
        inserted: outcome.inserted,
        updated: outcome.updated,
        unchanged: outcome.unchanged,
    }))
}

/// How to read an uploaded transaction file: the CLI's ingest flags as query parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// Customer id column: header name or 1-based position.
    pub customer_col: Option<String>,
    /// Date column: header name or 1-based position.
    pub date_col: Option<String>,
    /// Amount column: header name or 1-based position.
    pub amount_col: Option<String>,
    /// Transaction id column (the stored external id; without it each row gets the id
    /// `<customer>/<date>/<amount>/<n>`, so re-uploading the same file adds nothing).
    pub transaction_id_col: Option<String>,
    /// `auto`, `comma`, `semicolon`, `tab`, `whitespace`, or one character.
    pub delimiter: Option<String>,
    /// `true`: line 1 is a header; `false`: no header; absent: detected.
    pub header: Option<bool>,
    /// `auto` or a strftime format such as `%Y%m%d`.
    pub date_format: Option<String>,
    /// Amounts use a decimal comma.
    #[serde(default)]
    pub decimal_comma: bool,
    /// ISO 4217 code of the amounts (default `USD` when the file names none).
    pub currency: Option<String>,
    /// Negative amounts: `exclude` (default) or `net`.
    pub refunds: Option<String>,
}

/// What an upload did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UploadResult {
    /// Data rows accepted by the parser.
    pub rows: u64,
    /// Rows stored now.
    pub inserted: u64,
    /// Rows already stored (re-upload).
    pub duplicates: u64,
    /// Distinct customers in the file.
    pub customers: u64,
    /// The column mapping used, as the CLI prints it.
    pub mapping: Vec<String>,
}

fn parse_param<T: std::str::FromStr>(name: &str, v: &Option<String>) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    v.as_deref()
        .map(|s| {
            s.parse::<T>()
                .map_err(|e| ApiError::invalid_field(name, e.to_string()))
        })
        .transpose()
}

impl UploadParams {
    /// The comeback-ingest options these parameters describe.
    ///
    /// # Errors
    /// [`ApiError::Invalid`] naming the bad parameter.
    pub fn options(&self) -> Result<IngestOptions, ApiError> {
        Ok(IngestOptions {
            delimiter: parse_param::<Delimiter>("delimiter", &self.delimiter)?.unwrap_or_default(),
            header: match self.header {
                Some(true) => HeaderMode::Present,
                Some(false) => HeaderMode::Absent,
                None => HeaderMode::Auto,
            },
            columns: TransactionColumns {
                customer: parse_param::<ColumnRef>("customer_col", &self.customer_col)?,
                date: parse_param::<ColumnRef>("date_col", &self.date_col)?,
                amount: parse_param::<ColumnRef>("amount_col", &self.amount_col)?,
                transaction_id: parse_param::<ColumnRef>(
                    "transaction_id_col",
                    &self.transaction_id_col,
                )?,
                quantity: None,
            },
            date_format: parse_param::<DateFormat>("date_format", &self.date_format)?
                .unwrap_or_default(),
            decimal: if self.decimal_comma {
                DecimalMark::Comma
            } else {
                DecimalMark::Point
            },
            currency: self.currency.clone(),
            refunds: parse_param::<RefundPolicy>("refunds", &self.refunds)?.unwrap_or_default(),
            ..IngestOptions::default()
        })
    }
}

/// Reads a transaction file (CSV, TSV, `;`- or blank-separated; the CLI's parser and
/// column mapping) and stores all its rows as one batch, or none: the first unreadable
/// row is answered 422 with its line and column; a `currency` other than the store's is
/// one 422 problem at the first data line (a store holds one currency).
#[utoipa::path(post, path = "/api/v1/uploads/transactions", tag = "ingest",
    params(UploadParams),
    request_body(content = String, content_type = "text/csv", description = "the file"),
    responses(
        (status = 200, description = "file stored", body = UploadResult),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 422, description = "file rejected, nothing stored: the problem's line and column, or the currency parameter when it is not the store's currency (a store holds one currency)", body = ErrorBody)))]
pub async fn upload_transactions(
    _user: RequireManager,
    State(state): State<AppState>,
    Query(params): Query<UploadParams>,
    body: Bytes,
) -> Result<Json<UploadResult>, ApiError> {
    let options = params.options()?;
    let parsed = tokio::task::spawn_blocking(move || parse_upload(&body, &options))
        .await
        .map_err(|e| ApiError::Internal(format!("upload parser task: {e}")))??;
    check_size(&state, parsed.rows.len())?;
    let outcome = state
        .store
        .ingest_transactions(&parsed.rows)
        .await
        .map_err(|e| parsed.refusal(e))?;
    if outcome.inserted > 0 {
        state.scores.request_refit_for(
            state.store.clone(),
            state.settings.refit_debounce(),
            parsed.rows.iter().map(|r| r.customer.clone()),
        );
    }
    Ok(Json(UploadResult {
        rows: parsed.rows.len() as u64,
        inserted: outcome.inserted,
        duplicates: outcome.duplicates,
        customers: parsed.customers,
        mapping: parsed.mapping,
    }))
}

/// A parsed upload.
pub(crate) struct ParsedUpload {
    pub(crate) rows: Vec<TransactionInput>,
    /// The file line of each row.
    pub(crate) lines: Vec<u64>,
    pub(crate) customers: u64,
    pub(crate) mapping: Vec<String>,
}

impl ParsedUpload {
    /// A store rejection of these rows with file lines instead of row positions. Every
    /// row of a file has the currency of the `currency` parameter, so a refused currency
    /// is one problem, at the first line, not one per row.
    pub(crate) fn refusal(&self, e: comeback_store::StoreError) -> ApiError {
        let comeback_store::StoreError::Rejected { rows } = e else {
            return e.into();
        };
        let mut currency_seen = false;
        let mut problems = Vec::with_capacity(rows.len().min(100));
        for r in rows {
            if r.field == "currency" {
                if currency_seen {
                    continue;
                }
                currency_seen = true;
            }
            let line = self.lines.get(r.index).copied().unwrap_or(0);
            let message = if r.field == "currency" {
                format!(
                    "upload:{line}: currency (the currency parameter, blank is USD): {}",
                    r.message
                )
            } else {
                format!("upload:{line}: {}: {}", r.field, r.message)
            };
            problems.push(RowProblem {
                row: usize::try_from(line).unwrap_or(usize::MAX),
                field: r.field.to_owned(),
                message,
            });
        }
        ApiError::Rejected(problems)
    }
}

pub(crate) fn parse_upload(body: &[u8], options: &IngestOptions) -> Result<ParsedUpload, ApiError> {
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    let mut seen: HashMap<(String, Day, Amount), u32> = HashMap::new();
    let mut customers = std::collections::HashSet::new();
    let currency = options.currency.clone();
    let report = comeback_ingest::read_transactions(body, "upload", options, |r| {
        let n = seen
            .entry((r.customer.to_owned(), r.day, r.amount))
            .or_insert(0);
        *n += 1;
        let external_id = match r.transaction_id {
            Some(id) => id.to_owned(),
            None => format!("{}/{}/{}/{}", r.customer, r.day, r.amount, n),
        };
        if !customers.contains(r.customer) {
            customers.insert(r.customer.to_owned());
        }
        lines.push(r.line);
        rows.push(TransactionInput::new(
            external_id,
            r.customer,
            r.day,
            r.amount,
            String::new(),
        ));
        Ok::<(), std::convert::Infallible>(())
    })
    .map_err(|e| ApiError::file_rejected(&e))?;
    let code = currency
        .or_else(|| report.currency.clone())
        .unwrap_or_else(|| "USD".to_owned());
    for r in &mut rows {
        r.currency.clone_from(&code);
    }
    Ok(ParsedUpload {
        rows,
        lines,
        customers: customers.len() as u64,
        mapping: report.mapping_lines(),
    })
}
