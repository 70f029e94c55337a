//! `/upload`: a transaction file through an HTML form (`multipart/form-data`, no
//! JavaScript), read by the same parser and stored by the same all-or-nothing batch as
//! `POST /api/v1/uploads/transactions`; rejected rows are listed with line, column and
//! reason, and a stored file starts a refit so the overview updates.

use axum::extract::{FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::Method;
use axum::response::Response;
use minijinja::{Value, context};

use super::Ctx;
use crate::api::cohorts::{SubscriptionUploadParams, at_lines, parse_subscriptions};
use crate::api::complaint_import::{ComplaintUploadParams, import_file_as};
use crate::api::ingest::{UploadParams, check_size, parse_upload};
use crate::auth::csrf;
use crate::{ApiError, AppState};

/// The form fields besides the file: the upload parameters of the API.
#[derive(Debug, Default)]
struct Fields {
    csrf_token: Option<String>,
    params: UploadParams,
    /// The same form fields read as a subscription upload's parameters.
    subscriptions: SubscriptionUploadParams,
    /// The same form fields read as a complaints upload's parameters.
    complaints: ComplaintUploadParams,
    file: Option<(String, axum::body::Bytes)>,
}

fn opt(v: String) -> Option<String> {
    let v = v.trim().to_owned();
    (!v.is_empty()).then_some(v)
}

async fn read_form(mut m: Multipart) -> Result<Fields, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::invalid_field("form", e.body_text())
    };
    let mut f = Fields::default();
    while let Some(field) = m.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field.bytes().await.map_err(bad)?;
            f.file = Some((file_name, bytes));
            continue;
        }
        let v = field.text().await.map_err(bad)?;
        crate::text::check_text(&name, &v)?;
        match name.as_str() {
            "timezone" => f.complaints.timezone = opt(v.clone()),
            "delimiter" => f.complaints.delimiter = opt(v.clone()),
            _ => {}
        }
        let sp = &mut f.subscriptions;
        match name.as_str() {
            "customer_col" => sp.customer_col = opt(v.clone()),
            "subscription_id_col" => sp.subscription_id_col = opt(v.clone()),
            "start_col" => sp.start_col = opt(v.clone()),
            "end_col" => sp.end_col = opt(v.clone()),
            "mrr_col" => sp.mrr_col = opt(v.clone()),
            "currency_col" => sp.currency_col = opt(v.clone()),
            "plan_col" => sp.plan_col = opt(v.clone()),
            "currency" => sp.currency = opt(v.clone()),
            "delimiter" => sp.delimiter = opt(v.clone()),
            "date_format" => sp.date_format = opt(v.clone()),
            "decimal_comma" => sp.decimal_comma = v == "on" || v == "true",
            _ => {}
        }
        let p = &mut f.params;
        match name.as_str() {
            "csrf_token" => f.csrf_token = Some(v),
            "customer_col" => p.customer_col = opt(v),
            "date_col" => p.date_col = opt(v),
            "amount_col" => p.amount_col = opt(v),
            "transaction_id_col" => p.transaction_id_col = opt(v),
            "delimiter" => p.delimiter = opt(v),
            "date_format" => p.date_format = opt(v),
            "currency" => p.currency = opt(v),
            "refunds" => p.refunds = opt(v),
            "decimal_comma" => p.decimal_comma = v == "on" || v == "true",
            "header" => {
                p.header = match v.as_str() {
                    "yes" => Some(true),
                    "no" => Some(false),
                    "" | "auto" => None,
                    other => {
                        return Err(ApiError::invalid_field(
                            "header",
                            format!("{other:?} is not auto, yes or no"),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(f)
}

/// `GET /upload`: the form. Managers and admins.
pub(super) async fn form(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    render(
        &ctx,
        &state,
        context! { done => false, subs_done => false, complaints_done => false, problems => Vec::<Value>::new() },
    )
}

fn render(ctx: &Ctx, state: &AppState, d: Value) -> Response {
    let s = state.scores.current();
    super::pages::page(
        ctx,
        state,
        s.as_deref(),
        "upload",
        "upload",
        &ctx.msg("upload", "title", &[]),
        d,
    )
}

/// Authenticates a form post (as for a read, so that the CSRF token can come from the
/// body), requires a manager, reads the multipart form and checks its CSRF token and file.
async fn receive(
    state: &AppState,
    request: Request,
) -> Result<(Ctx, Result<(Fields, String, axum::body::Bytes), ApiError>), Response> {
    let (mut parts, body) = request.into_parts();
    let method = std::mem::replace(&mut parts.method, Method::GET);
    let ctx = Ctx::from_request_parts(&mut parts, state).await?;
    parts.method = method;
    ctx.require_manager()?;
    let request = Request::from_parts(parts, body);
    let result = async {
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| ApiError::invalid_field("form", e.body_text()))?;
        let mut f = read_form(multipart).await?;
        if let Some(expected) = ctx.csrf.as_deref()
            && !f
                .csrf_token
                .as_deref()
                .is_some_and(|p| csrf::tokens_match(expected, p))
        {
            return Err(ApiError::Forbidden(
                "missing or wrong csrf token".to_owned(),
            ));
        }
        let (file_name, bytes) = f
            .file
            .take()
            .filter(|(_, b)| !b.is_empty())
            .ok_or_else(|| ApiError::invalid_field("file", "no file chosen (or an empty one)"))?;
        Ok((f, file_name, bytes))
    }
    .await;
    Ok((ctx, result))
}

/// The upload page after a refused file (422 or the error's status): every problem with
/// line, column and reason; a wrong CSRF token is the HTML 403 page.
fn refused(ctx: &Ctx, state: &AppState, e: ApiError) -> Response {
    if let ApiError::Forbidden(m) = e {
        return super::error_page(ctx.lang, &ApiError::Forbidden(m));
    }
    let body = e.body().error;
    let mut problems: Vec<Value> = body
        .rows
        .unwrap_or_default()
        .into_iter()
        .map(|r| context! { line => r.row, column => r.field, message => r.message })
        .collect();
    problems.extend(
        body.fields
            .unwrap_or_default()
            .into_iter()
            .map(|f| context! { line => "", column => f.field, message => f.message }),
    );
    if problems.is_empty() {
        problems.push(context! { line => "", column => "", message => body.message });
    }
    let mut r = render(
        ctx,
        state,
        context! { done => false, subs_done => false, complaints_done => false, problems => problems },
    );
    *r.status_mut() = e.status();
    r
}

/// `POST /upload` (`multipart/form-data`: `file`, `csrf_token` and the optional fields of
/// [`UploadParams`]). The caller is authenticated before the body is read (a guest is
/// redirected to `/login`); a session must send its CSRF token as the `csrf_token` field.
/// A rejected file is shown with its problems (422) and nothing is stored; a stored file
/// answers with the counts and starts a refit.
pub(super) async fn submit(State(state): State<AppState>, request: Request) -> Response {
    let (ctx, received) = match receive(&state, request).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let result = async {
        let (f, file_name, bytes) = received?;
        let options = f.params.options()?;
        let parsed = tokio::task::spawn_blocking(move || parse_upload(&bytes, &options))
            .await
            .map_err(|e| ApiError::Internal(format!("upload parser task: {e}")))??;
        check_size(&state, parsed.rows.len())?;
        let outcome = state
            .store
            .ingest_transactions(&parsed.rows)
            .await
            .map_err(|e| parsed.refusal(e))?;
        if outcome.inserted > 0 {
            // At once (no debounce window) unless a refit runs: then one follows it.
            state.scores.request_refit_for(
                state.store.clone(),
                std::time::Duration::ZERO,
                parsed.rows.iter().map(|r| r.customer.clone()),
            );
        }
        Ok::<_, ApiError>((file_name, parsed, outcome))
    }
    .await;
    match result {
        Ok((file_name, parsed, outcome)) => {
            let lang = ctx.lang;
            let n = |x: u64| comeback_report::format::count(x, lang);
            let summary = ctx.msg(
                "upload",
                "stored",
                &[
                    ("file", &file_name),
                    ("rows", &n(parsed.rows.len() as u64)),
                    ("inserted", &n(outcome.inserted)),
                    ("duplicates", &n(outcome.duplicates)),
                    ("customers", &n(parsed.customers)),
                ],
            );
            render(
                &ctx,
                &state,
                context! {
                    done => true,
                    subs_done => false,
                    complaints_done => false,
                    summary => summary,
                    refit => outcome.inserted > 0,
                    mapping => parsed.mapping,
                    problems => Vec::<Value>::new(),
                },
            )
        }
        Err(e) => refused(&ctx, &state, e),
    }
}

/// `POST /upload/subscriptions` (`multipart/form-data`: `file`, `csrf_token` and the
/// optional fields of [`SubscriptionUploadParams`]): a subscription file through the
/// parser and the all-or-nothing batch of `POST /api/v1/uploads/subscriptions`; refused
/// rows are listed with line, column and reason (422), a stored file answers with the
/// counts and a link to `/cohorts`.
pub(super) async fn submit_subscriptions(
    State(state): State<AppState>,
    request: Request,
) -> Response {
    let (ctx, received) = match receive(&state, request).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let result = async {
        let (f, file_name, bytes) = received?;
        let params = f.subscriptions;
        let parsed = tokio::task::spawn_blocking(move || parse_subscriptions(&bytes, &params))
            .await
            .map_err(|e| ApiError::Internal(format!("upload parser task: {e}")))??;
        check_size(&state, parsed.rows.len())?;
        let outcome = state
            .store
            .upsert_subscriptions(&parsed.rows)
            .await
            .map_err(|e| at_lines(e, &parsed.lines))?;
        Ok::<_, ApiError>((file_name, parsed, outcome))
    }
    .await;
    match result {
        Ok((file_name, parsed, o)) => {
            let n = |x: u64| comeback_report::format::count(x, ctx.lang);
            let summary = ctx.msg(
                "upload",
                "subs_stored",
                &[
                    ("file", &file_name),
                    ("rows", &n(parsed.rows.len() as u64)),
                    ("inserted", &n(o.inserted)),
                    ("updated", &n(o.updated)),
                    ("unchanged", &n(o.unchanged)),
                    ("customers", &n(parsed.customers)),
                ],
            );
            render(
                &ctx,
                &state,
                context! {
                    done => false,
                    subs_done => true,
                    complaints_done => false,
                    summary => summary,
                    problems => Vec::<Value>::new(),
                },
            )
        }
        Err(e) => refused(&ctx, &state, e),
    }
}

/// `POST /upload/complaints` (`multipart/form-data`: `file`, `csrf_token`, optional
/// `timezone` and `delimiter`): a complaints file through the parser and the
/// all-or-nothing import of `POST /api/v1/uploads/complaints`; refused rows are listed
/// with line, column and reason (422), a stored file answers with the counts and a link to
/// `/complaint-measures`.
pub(super) async fn submit_complaints(State(state): State<AppState>, request: Request) -> Response {
    let (ctx, received) = match receive(&state, request).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let result = async {
        let (f, file_name, bytes) = received?;
        let o = import_file_as(&state, &ctx.user, bytes, &f.complaints).await?;
        Ok::<_, ApiError>((file_name, o))
    }
    .await;
    match result {
        Ok((file_name, o)) => {
            let n = |x: u64| comeback_report::format::count(x, ctx.lang);
            let summary = ctx.msg(
                "upload",
                "cx_stored",
                &[
                    ("file", &file_name),
                    ("rows", &n(o.rows)),
                    ("inserted", &n(o.inserted)),
                    ("updated", &n(o.updated)),
                    ("unchanged", &n(o.unchanged)),
                ],
            );
            render(
                &ctx,
                &state,
                context! {
                    done => false,
                    subs_done => false,
                    complaints_done => true,
                    summary => summary,
                    problems => Vec::<Value>::new(),
                },
            )
        }
        Err(e) => refused(&ctx, &state, e),
    }
}
