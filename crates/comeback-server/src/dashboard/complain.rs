//! The public complaint page and the customer's status page (issue 9, ISO 10002 §7.2 and
//! §7.3), for people without an account: no login, plain HTML forms (no JavaScript), the
//! six languages.
//!
//! - `GET /complain` (`?t=` a signed customer link, see [`crate::public_complaints`]):
//!   the form. `POST /complain` (`application/x-www-form-urlencoded`, at most
//!   [`MAX_FORM_BYTES`], else 413): checks every field (lengths in characters, control
//!   characters, e-mail shape, known location and category; a 422 re-renders the form with
//!   the values and a message per field), takes one token of the client address's filing
//!   bucket (else 429 with `Retry-After`), stores the complaint with a fresh random
//!   reference, channel `web`, severity `medium` and its deadlines, and answers 303 to the
//!   status page.
//! - `GET /complaint-status` (a reference form; `?reference=` redirects) and `GET
//!   /complaint-status/{reference}`: the status and the steps taken, each with its time,
//!   in words for the customer. Staff notes, apologies, descriptions, compensation,
//!   escalations, owners and the customer's own text are not shown (the reference is the
//!   only key, so the page shows nothing personal). Look-ups take a token of the client's
//!   look-up bucket.
//!
//! Submitted text is only ever rendered through the auto-escaping templates, so markup in
//! it stays inert text.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use comeback_complaints::recovery::{Action, Category, Channel, Reference, Severity, Status};
use comeback_report::Lang;
use comeback_store::{ComplaintContact, ComplaintInput, StoreError};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{catalog, error_page, lang_of, query_param, render_page};
use crate::{ApiError, AppState};

/// Largest accepted form body (bytes).
pub const MAX_FORM_BYTES: usize = 32 * 1024;
/// Longest description and remedy (characters).
pub const MAX_DESCRIPTION: usize = 5000;
/// Longest name (characters).
pub const MAX_NAME: usize = 200;
/// Longest e-mail address (characters, RFC 5321 §4.5.3.1.3 path limit).
pub const MAX_EMAIL: usize = 254;

/// The categories offered, in this order (the seven reasons of PRODUCT R6).
const CATEGORIES: [&str; 7] = [
    "quality",
    "inadequate_response",
    "broken_promise",
    "price",
    "unresolved_complaint",
    "competitor_offer",
    "general_dissatisfaction",
];

/// A request to a public page: its language, path (for the language links) and client
/// address (for the rate limits).
#[derive(Debug, Clone)]
pub(super) struct Public {
    lang: Lang,
    set_lang_cookie: bool,
    client: String,
    token: Option<String>,
}

impl FromRequestParts<AppState> for Public {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        let (lang, set_lang_cookie) = lang_of(parts);
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        Ok(Public {
            lang,
            set_lang_cookie,
            client,
            token: query_param(parts, "t").filter(|t| !t.is_empty() && t.len() <= 2000),
        })
    }
}

impl Public {
    fn msg(&self, page: &str, key: &str, args: &[(&str, &str)]) -> String {
        catalog::message(self.lang, page, key, args)
    }

    fn render(
        &self,
        page: &str,
        title_key: &str,
        status: StatusCode,
        path: &str,
        d: Value,
    ) -> Response {
        render_page(
            self.lang,
            page,
            status,
            context! {
                title => self.msg(page, title_key, &[]),
                nav => "",
                path => path,
                csrf => Option::<String>::None,
                user_menu => false,
                is_manager => false,
                is_admin => false,
                d => d,
            },
            self.set_lang_cookie,
        )
    }
}

/// The fields of the form, as sent (every one optional; unknown fields are ignored).
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct ComplainForm {
    t: Option<String>,
    name: Option<String>,
    email: Option<String>,
    location: Option<String>,
    category: Option<String>,
    description: Option<String>,
    remedy: Option<String>,
}

/// What the form shows: the values, one message per invalid field, a page-level message.
#[derive(Debug, Default)]
struct FormView {
    form: ComplainForm,
    errors: Vec<(&'static str, String)>,
    message: Option<String>,
}

fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The customer id of a valid link token, or whether a token was given but refused.
fn link_customer(state: &AppState, token: Option<&str>) -> (Option<String>, bool) {
    match token {
        None => (None, false),
        Some(t) => match state.public_complaints.verify(t, Utc::now()) {
            Ok(c) => (Some(c), false),
            Err(_) => (None, true),
        },
    }
}

async fn render_form(p: &Public, state: &AppState, status: StatusCode, view: FormView) -> Response {
    let token = view.form.t.clone().or_else(|| p.token.clone());
    let (customer, link_invalid) = link_customer(state, token.as_deref());
    let locations = match state.store.locations().await {
        Ok(l) => l,
        Err(e) => return error_page(p.lang, &ApiError::from(e)),
    };
    let f = &view.form;
    let chosen_location = f.location.clone().unwrap_or_default();
    let chosen_category = f.category.clone().unwrap_or_default();
    let locations: Vec<Value> = locations
        .iter()
        .map(|l| {
            context! {
                code => l.code.clone(),
                name => l.name.clone().unwrap_or_else(|| l.code.clone()),
                selected => l.code == chosen_location,
            }
        })
        .collect();
    let categories: Vec<Value> = CATEGORIES
        .iter()
        .map(|c| {
            context! {
                value => *c,
                label => p.msg("complain", &format!("cat_{c}"), &[]),
                selected => *c == chosen_category,
            }
        })
        .collect();
    let errors: std::collections::BTreeMap<&str, String> = view.errors.iter().cloned().collect();
    let error_list: Vec<Value> = view
        .errors
        .iter()
        .map(|(f, m)| context! { field => *f, text => format!("{}: {m}", p.msg("complain", f, &[])) })
        .collect();
    let path = match (&customer, &token) {
        (Some(_), Some(t)) => format!("/complain?t={t}"),
        _ => "/complain".to_owned(),
    };
    let d = context! {
        identified => customer.is_some(),
        link_invalid => link_invalid,
        token => if customer.is_some() { token.clone() } else { None },
        locations => locations,
        categories => categories,
        name => f.name.clone().unwrap_or_default(),
        email => f.email.clone().unwrap_or_default(),
        description => f.description.clone().unwrap_or_default(),
        remedy => f.remedy.clone().unwrap_or_default(),
        errors => errors,
        error_list => error_list,
        message => view.message.clone(),
        description_help => p.msg("complain", "description_help", &[("max", &comeback_report::format::count(MAX_DESCRIPTION as u64, p.lang))]),
        max_description => MAX_DESCRIPTION,
        max_name => MAX_NAME,
        max_email => MAX_EMAIL,
    };
    no_referrer(p.render("complain", "title", status, &path, d))
}

/// Keeps a link token out of the `Referer` of any further request.
fn no_referrer(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// `GET /complain`.
pub(super) async fn form(p: Public, State(state): State<AppState>) -> Response {
    render_form(&p, &state, StatusCode::OK, FormView::default()).await
}

/// Checks one text field: at most `max` characters, no control characters but line
/// breaks and tabs, not blank when `required`.
fn check_text(
    p: &Public,
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    v: Option<&str>,
    max: usize,
    required: bool,
) {
    let v = v.unwrap_or("");
    let n = v.chars().count();
    if required && v.trim().is_empty() {
        errors.push((field, p.msg("complain", "err_required", &[])));
    } else if n > max {
        errors.push((
            field,
            p.msg(
                "complain",
                "err_too_long",
                &[("max", &max.to_string()), ("count", &n.to_string())],
            ),
        ));
    } else if v
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.push((field, p.msg("complain", "err_control", &[])));
    }
}

/// `POST /complain`.
pub(super) async fn submit(p: Public, State(state): State<AppState>, request: Request) -> Response {
    let body = request.into_body();
    let bytes = match axum::body::to_bytes(Body::new(body), MAX_FORM_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let view = FormView {
                message: Some(p.msg(
                    "complain",
                    "too_large",
                    &[("max", &(MAX_FORM_BYTES / 1024).to_string())],
                )),
                ..FormView::default()
            };
            return render_form(&p, &state, StatusCode::PAYLOAD_TOO_LARGE, view).await;
        }
    };
    let form: ComplainForm = match serde_urlencoded::from_bytes(&bytes) {
        Ok(f) => f,
        Err(_) => {
            let view = FormView {
                message: Some(p.msg("complain", "unreadable", &[])),
                ..FormView::default()
            };
            return render_form(&p, &state, StatusCode::BAD_REQUEST, view).await;
        }
    };
    let mut errors = Vec::new();
    check_text(
        &p,
        &mut errors,
        "name",
        form.name.as_deref(),
        MAX_NAME,
        false,
    );
    check_text(
        &p,
        &mut errors,
        "email",
        form.email.as_deref(),
        MAX_EMAIL,
        false,
    );
    if !errors.iter().any(|(f, _)| *f == "email")
        && let Some(e) = trimmed(&form.email)
        && !plausible_email(&e)
    {
        errors.push(("email", p.msg("complain", "err_email", &[])));
    }
    let locations = match state.store.locations().await {
        Ok(l) => l,
        Err(e) => return error_page(p.lang, &ApiError::from(e)),
    };
    let location = trimmed(&form.location);
    if let Some(l) = &location
        && !locations.iter().any(|x| &x.code == l)
    {
        errors.push(("location", p.msg("complain", "err_choice", &[])));
    }
    let category = trimmed(&form.category);
    if !category.as_deref().is_some_and(|c| CATEGORIES.contains(&c)) {
        errors.push(("category", p.msg("complain", "err_choice", &[])));
    }
    check_text(
        &p,
        &mut errors,
        "description",
        form.description.as_deref(),
        MAX_DESCRIPTION,
        true,
    );
    check_text(
        &p,
        &mut errors,
        "remedy",
        form.remedy.as_deref(),
        MAX_DESCRIPTION,
        false,
    );
    if !errors.is_empty() {
        let view = FormView {
            form,
            errors,
            message: None,
        };
        return render_form(&p, &state, StatusCode::UNPROCESSABLE_ENTITY, view).await;
    }
    if let Err(wait) = state
        .public_complaints
        .filing
        .check(&p.client, Instant::now())
    {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let view = FormView {
            form,
            errors: Vec::new(),
            message: Some(catalog::plural(
                p.lang,
                "complain",
                "rate_limited",
                minutes,
                &[("minutes", &minutes.to_string())],
            )),
        };
        let mut r = render_form(&p, &state, StatusCode::TOO_MANY_REQUESTS, view).await;
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let (customer, _) = link_customer(&state, form.t.as_deref().filter(|t| !t.is_empty()));
    let received_at = Utc::now();
    let severity = Severity::Medium;
    let deadlines = match crate::api::complaints::deadlines_for(
        &state,
        location.as_deref(),
        received_at,
        severity,
    )
    .await
    {
        Ok(d) => d,
        Err(e) => return error_page(p.lang, &e),
    };
    let category = category.unwrap_or_default();
    let mut input = ComplaintInput {
        reference: String::new(),
        received_at,
        channel: Channel::Web,
        customer: customer.clone().unwrap_or_default(),
        location,
        employee: None,
        product: None,
        description: form.description.clone().unwrap_or_default(),
        category: match Category::parse(&category) {
            Ok(c) => c,
            Err(e) => {
                return error_page(p.lang, &ApiError::invalid_field("category", e.to_string()));
            }
        },
        severity,
        remedy_requested: trimmed(&form.remedy),
        owner: None,
        deadlines,
    };
    let contact = ComplaintContact {
        name: trimmed(&form.name),
        email: trimmed(&form.email),
        language: Some(p.lang.code().to_owned()),
    };
    // A fresh random reference; another try on the rare collision.
    let mut stored = None;
    for _ in 0..5 {
        input.reference = crate::public_complaints::new_reference();
        let result = match &customer {
            Some(_) => match state.store.create_complaint(&input, None).await {
                // The linked customer was erased since the link was issued.
                Err(StoreError::NotFound {
                    what: "customer", ..
                }) => {
                    state
                        .store
                        .create_unidentified_complaint(&input, &contact, None)
                        .await
                }
                r => r,
            },
            None => {
                state
                    .store
                    .create_unidentified_complaint(&input, &contact, None)
                    .await
            }
        };
        match result {
            Ok(c) => {
                stored = Some(c);
                break;
            }
            Err(StoreError::Duplicate { .. }) => continue,
            Err(e) => return error_page(p.lang, &ApiError::from(e)),
        }
    }
    let Some(c) = stored else {
        return error_page(
            p.lang,
            &ApiError::Internal("no free complaint reference".to_owned()),
        );
    };
    no_referrer(
        (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/complaint-status/{}?new=1", c.reference),
            )],
        )
            .into_response(),
    )
}

/// A light check of an e-mail address: one `@` with text on both sides, a dot in the
/// domain, no spaces (the address is only used to answer, never to log in).
fn plausible_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(char::is_whitespace)
}

fn rate_limited_lookup(p: &Public, wait: std::time::Duration) -> Response {
    let d = context! {
        lookup => true,
        reference => "",
        error => p.msg("complaint_status", "rate_limited", &[]),
    };
    let mut r = p.render(
        "complaint_status",
        "lookup_title",
        StatusCode::TOO_MANY_REQUESTS,
        "/complaint-status",
        d,
    );
    if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// `GET /complaint-status`: the reference form; with `?reference=` a 303 to its page.
pub(super) async fn lookup(p: Public, parts: Request) -> Response {
    let (parts, _) = parts.into_parts();
    let reference = query_param(&parts, "reference").map(|r| r.trim().to_owned());
    let error = match &reference {
        None => None,
        Some(r) if Reference::parse(r).is_ok() => {
            return (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/complaint-status/{r}"))],
            )
                .into_response();
        }
        Some(_) => Some(p.msg("complaint_status", "bad_reference", &[])),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let d = context! {
        lookup => true,
        reference => reference.unwrap_or_default(),
        error => error,
    };
    p.render(
        "complaint_status",
        "lookup_title",
        status,
        "/complaint-status",
        d,
    )
}

/// The status a customer sees after an event: escalations are internal hand-overs and not
/// shown.
fn shown_to_customer(a: &Action) -> bool {
    !matches!(a, Action::Escalate { .. })
}

/// `GET /complaint-status/{reference}`.
pub(super) async fn status_page(
    p: Public,
    State(state): State<AppState>,
    reference: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    let not_found = |key: &str| {
        error_page(
            p.lang,
            &ApiError::NotFound {
                what: "complaint",
                key: key.to_owned(),
            },
        )
    };
    let Ok(Path(reference)) = reference else {
        return not_found("");
    };
    if let Err(wait) = state
        .public_complaints
        .lookups
        .check(&p.client, Instant::now())
    {
        return rate_limited_lookup(&p, wait);
    }
    if Reference::parse(&reference).is_err() {
        return not_found(&reference);
    }
    let c = match state.store.complaint(&reference).await {
        Ok(c) => c,
        Err(StoreError::NotFound { .. }) => return not_found(&reference),
        Err(e) => return error_page(p.lang, &ApiError::from(e)),
    };
    let tz = match state.store.business_time_zone().await {
        Ok(tz) => tz,
        Err(e) => return error_page(p.lang, &ApiError::from(e)),
    };
    let when = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let label = |s: Status| p.msg("complaint_status", &format!("st_{}", s.as_str()), &[]);
    let mut history =
        vec![context! { when => when(c.received_at), label => label(Status::Received) }];
    history.extend(
        c.history
            .iter()
            .filter(|e| shown_to_customer(&e.action) && e.from != e.to)
            .map(|e| context! { when => when(e.at), label => label(e.to) }),
    );
    let (parts, _) = request.into_parts();
    let new = query_param(&parts, "new").is_some_and(|v| v == "1");
    let d = context! {
        lookup => false,
        new => new,
        reference => c.reference.clone(),
        status => c.status.as_str(),
        status_label => label(c.status),
        received => when(c.received_at),
        zone => tz.name(),
        history => history,
    };
    no_referrer(p.render(
        "complaint_status",
        "title",
        StatusCode::OK,
        &format!("/complaint-status/{}", c.reference),
        d,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        for ok in ["a@b.c", "jo.doe+x@example.co.uk"] {
            assert!(plausible_email(ok), "{ok}");
        }
        for bad in [
            "", "ab", "@b.c", "a@", "a@b", "a@.b", "a@b.", "a b@c.d", "a@b@c.d",
        ] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn every_category_offered_is_one_of_the_seven() {
        for c in CATEGORIES {
            let parsed = Category::parse(c).unwrap();
            assert!(!matches!(parsed, Category::Other(_)), "{c}");
            assert_eq!(parsed.as_str(), c);
        }
    }
}
