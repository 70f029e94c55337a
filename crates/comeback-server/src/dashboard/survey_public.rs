//! The public survey pages under `/s/{token}`: no login, no JavaScript, a phone layout,
//! the customer's language (else `?lang=`... see [`lang_for`]).
//!
//! - `GET /s/{token}`: the questions of the survey kind (with a saved draft filled in).
//! - `POST /s/{token}`: `action=submit` stores the answer (then 303 to the thank-you page),
//!   `action=save` keeps a draft (303 back), `action=decline` records "no thanks".
//! - `GET /s/{token}/thanks`: the thank-you page.
//! - `GET/POST /s/{token}/unsubscribe`: opt out of every survey (consent stored with its
//!   time); works on expired and used links too.
//!
//! Every request takes a token of the per-address rate limit (429 when empty). A refused
//! link is an HTML page with the status of [`LinkError::status`]; a body over
//! [`MAX_FORM_BYTES`] is a 413 page; an invalid answer re-renders the form with a 422 and
//! a message per field. Text is rendered by auto-escaping templates, so submitted markup
//! stays inert.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use comeback_report::Lang;
use comeback_store::{Invitation, ResponseInput};
use minijinja::{Value, context};

use super::{catalog, render_page};
use crate::AppState;
use crate::surveys::{
    LinkError, Question, follow_up, parse_answer_to, question_label, questions_for, usable,
};

/// Largest accepted form body, in bytes (every open answer at its longest fits).
pub const MAX_FORM_BYTES: usize = 32 * 1024;

/// The page language: `?lang=`, else the customer's stored language (its primary subtag),
/// else `Accept-Language`, else English.
fn lang_for(query: Option<&str>, invitation: Option<&Invitation>, headers: &HeaderMap) -> Lang {
    if let Some(l) = query.and_then(|q| q.parse().ok()) {
        return l;
    }
    if let Some(l) = invitation
        .and_then(|i| i.customer_language.as_deref())
        .and_then(|l| l.split(['-', '_']).next())
        .and_then(|l| l.to_ascii_lowercase().parse().ok())
    {
        return l;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    super::choose_lang(None, None, accept)
}

fn query_lang(uri: &axum::http::Uri) -> Option<String> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned())
}

fn m(lang: Lang, key: &str) -> String {
    catalog::message(lang, "survey", key, &[])
}

/// A public page (`survey.html`) with `status`.
fn public_page(lang: Lang, status: StatusCode, path: &str, d: Value) -> Response {
    let title = match d.get_attr("title") {
        Ok(t) if !t.is_undefined() => t.to_string(),
        _ => m(lang, "error_title"),
    };
    let mut r = render_page(
        lang,
        "survey",
        status,
        context! {
            title => title,
            nav => "",
            path => path,
            csrf => Option::<String>::None,
            user_menu => false,
            is_manager => false,
            is_admin => false,
            d => d,
        },
        false,
    );
    // Links carry a capability: keep them out of Referer headers.
    r.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    r
}

fn message_page(lang: Lang, status: StatusCode, path: &str, title: &str, text: &str) -> Response {
    public_page(
        lang,
        status,
        path,
        context! { page => "message", title => title, text => text },
    )
}

fn link_error(lang: Lang, path: &str, e: &LinkError) -> Response {
    if let LinkError::Store(cause) = e {
        tracing::error!(%cause, "survey link lookup failed");
    }
    message_page(
        lang,
        e.status(),
        path,
        &m(lang, "error_title"),
        &m(lang, e.key()),
    )
}

/// The rate limit of the public pages: `Err(429 page)` when the caller's bucket is empty.
#[allow(clippy::result_large_err)]
fn throttle(
    state: &AppState,
    peer: Option<SocketAddr>,
    lang: Lang,
    path: &str,
) -> Result<(), Response> {
    let key = peer.map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
    match state
        .surveys
        .throttle
        .check(&key, std::time::Instant::now())
    {
        Ok(()) => Ok(()),
        Err(wait) => {
            let mut r = message_page(
                lang,
                StatusCode::TOO_MANY_REQUESTS,
                path,
                &m(lang, "error_title"),
                &m(lang, "too_many"),
            );
            if let Ok(v) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Err(r)
        }
    }
}

/// The invitation of `token`, checked, and the page language.
async fn open(
    state: &AppState,
    token: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Result<(Invitation, Lang), Response> {
    let q = query_lang(uri);
    let path = uri.path();
    let guess = lang_for(q.as_deref(), None, headers);
    throttle(state, peer, guess, path)?;
    let store = state.store.clone();
    match state
        .surveys
        .verify(token, |nonce| async move { store.invitation(&nonce).await })
        .await
    {
        Ok(i) => {
            let lang = lang_for(q.as_deref(), Some(&i), headers);
            Ok((i, lang))
        }
        Err(e) => Err(link_error(guess, path, &e)),
    }
}

fn peer_of(req: &Request) -> Option<SocketAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

/// The form's questions as template data, with `values` (field → values) and `problems`
/// (field → catalogue key) filled in.
fn form_data(
    lang: Lang,
    invitation: &Invitation,
    token: &str,
    values: &[(String, String)],
    problems: &[(String, String)],
    notice: Option<String>,
) -> Value {
    let kind = invitation.survey.kind;
    let value_of = |id: &str| {
        values
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let error_of = |id: &str| {
        problems
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, p)| m(lang, &format!("problem_{p}")))
    };
    let survey = &invitation.survey;
    let label = |id: &str| question_label(survey, id, lang, |key| m(lang, key));
    let qs: Vec<Value> = questions_for(survey)
        .into_iter()
        .map(|q| match q {
            Question::Scale { id, min, max, main } => {
                let current = value_of(&id);
                let (low, high) = match id.as_str() {
                    "recommend" => ("low_recommend", "high_recommend"),
                    "effort" => ("low_effort", "high_effort"),
                    _ => ("low_default", "high_default"),
                };
                context! {
                    kind => "scale", label => label(&id),
                    required => main,
                    points => (min..=max).map(|p| context! {
                        value => p, checked => current == p.to_string(),
                    }).collect::<Vec<_>>(),
                    low => m(lang, low), high => m(lang, high),
                    error => error_of(&id),
                    id => id,
                }
            }
            Question::Choice { id, options } => {
                let chosen: Vec<&str> = values
                    .iter()
                    .filter(|(k, _)| *k == id)
                    .map(|(_, v)| v.as_str())
                    .collect();
                context! {
                    kind => "choice", label => label(&id),
                    options => options.iter().map(|o| context! {
                        value => o, label => m(lang, &format!("reason_{o}")),
                        checked => chosen.contains(o),
                    }).collect::<Vec<_>>(),
                    error => error_of(&id),
                    id => id,
                }
            }
            Question::Text { id, .. } => context! {
                kind => "text", label => label(&id),
                value => value_of(&id), error => error_of(&id),
                max => comeback_store::SURVEY_TEXT_MAX_CHARS,
                id => id,
            },
        })
        .collect();
    context! {
        page => "form",
        title => m(lang, &format!("title_{}", kind.as_str())),
        action => format!("/s/{token}?lang={}", lang.code()),
        unsubscribe => format!("/s/{token}/unsubscribe?lang={}", lang.code()),
        questions => qs,
        anonymous_forced => invitation.survey.anonymous,
        anonymous => values.iter().any(|(k, v)| k == "anonymous" && v == "on"),
        has_errors => !problems.is_empty(),
        notice => notice,
    }
}

/// The stored draft as form values.
fn draft_values(invitation: &Invitation) -> Vec<(String, String)> {
    let Some((_, answers, _)) = &invitation.draft else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(answers) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in map {
        match v {
            serde_json::Value::Array(items) => {
                for i in items {
                    if let Some(s) = i.as_str() {
                        out.push((k.clone(), s.to_owned()));
                    }
                }
            }
            serde_json::Value::String(s) => out.push((k, s)),
            other => out.push((k, other.to_string())),
        }
    }
    out
}

/// `GET /s/{token}`.
pub(super) async fn form(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    req: Request,
) -> Response {
    let (invitation, lang) =
        match open(&state, &token, req.uri(), req.headers(), peer_of(&req)).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let path = req.uri().path();
    if let Err(e) = usable(&invitation, Utc::now()) {
        return link_error(lang, path, &e);
    }
    let saved = req.uri().query().is_some_and(|q| q.contains("saved=1"));
    let notice = saved.then(|| m(lang, "saved_notice"));
    let d = form_data(
        lang,
        &invitation,
        &token,
        &draft_values(&invitation),
        &[],
        notice,
    );
    public_page(lang, StatusCode::OK, path, d)
}

/// Reads a form body of at most [`MAX_FORM_BYTES`]: the pairs, or the 413 page.
#[allow(clippy::result_large_err)]
async fn read_form(body: Body, lang: Lang, path: &str) -> Result<Vec<(String, String)>, Response> {
    match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(b) => Ok(form_urlencoded::parse(&b)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()),
        Err(_) => Err(message_page(
            lang,
            StatusCode::PAYLOAD_TOO_LARGE,
            path,
            &m(lang, "error_title"),
            &m(lang, "too_large"),
        )),
    }
}

/// `POST /s/{token}`.
pub(super) async fn submit(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    req: Request,
) -> Response {
    let (invitation, lang) =
        match open(&state, &token, req.uri(), req.headers(), peer_of(&req)).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let path = req.uri().path().to_owned();
    let now = Utc::now();
    if let Err(e) = usable(&invitation, now) {
        return link_error(lang, &path, &e);
    }
    let fields = match read_form(req.into_body(), lang, &path).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let action = fields
        .iter()
        .find(|(k, _)| k == "action")
        .map_or("submit", |(_, v)| v.as_str());
    let lang_q = lang.code();
    match action {
        "decline" => {
            return match state.store.decline_invitation(&invitation.nonce, now).await {
                Ok(()) => message_page(
                    lang,
                    StatusCode::OK,
                    &path,
                    &m(lang, "declined_title"),
                    &m(lang, "declined_text"),
                ),
                Err(comeback_store::StoreError::Survey(_)) => {
                    link_error(lang, &path, &LinkError::Used)
                }
                Err(e) => link_error(lang, &path, &LinkError::Store(e.to_string())),
            };
        }
        "submit" | "save" => {}
        _ => {
            return message_page(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                &path,
                &m(lang, "error_title"),
                &m(lang, "bad_action"),
            );
        }
    }
    let submit = action == "submit";
    let kind = invitation.survey.kind;
    let anonymous =
        invitation.survey.anonymous || fields.iter().any(|(k, v)| k == "anonymous" && v == "on");
    let parsed = match parse_answer_to(&questions_for(&invitation.survey), &fields, submit) {
        Ok(p) => p,
        Err(problems) => {
            let problems: Vec<(String, String)> = problems
                .into_iter()
                .map(|p| (p.field, p.problem.to_owned()))
                .collect();
            let d = form_data(lang, &invitation, &token, &fields, &problems, None);
            return public_page(lang, StatusCode::UNPROCESSABLE_ENTITY, &path, d);
        }
    };
    if anonymous && !submit {
        let d = form_data(
            lang,
            &invitation,
            &token,
            &fields,
            &[],
            Some(m(lang, "anonymous_no_draft")),
        );
        return public_page(lang, StatusCode::UNPROCESSABLE_ENTITY, &path, d);
    }
    let reason = if submit {
        follow_up(kind, &parsed)
    } else {
        None
    };
    let input = ResponseInput {
        score: parsed.score,
        answers: serde_json::Value::Object(parsed.answers.clone()).to_string(),
        comment: parsed.comment.clone(),
        language: Some(lang.code().to_owned()),
        anonymous,
        follow_up: reason,
    };
    match state
        .store
        .save_response(&invitation.nonce, &input, submit, now)
        .await
    {
        Ok(saved) => {
            if let Some(id) = saved.follow_up {
                fire_follow_up(&state, &invitation, &parsed, anonymous, id, reason);
            }
            let to = if submit {
                format!("/s/{token}/thanks?lang={lang_q}")
            } else {
                format!("/s/{token}?lang={lang_q}&saved=1")
            };
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
        Err(comeback_store::StoreError::Survey(_)) => link_error(lang, &path, &LinkError::Used),
        Err(e) => link_error(lang, &path, &LinkError::Store(e.to_string())),
    }
}

/// Fires `survey.detractor` for a follow-up created by an answer.
pub(crate) fn fire_follow_up(
    state: &AppState,
    invitation: &Invitation,
    parsed: &crate::surveys::ParsedAnswer,
    anonymous: bool,
    follow_up_id: i64,
    reason: Option<comeback_store::FollowUpReason>,
) {
    state.webhooks.fire(
        crate::webhooks::EventKind::SurveyDetractor,
        serde_json::json!({
            "follow_up_id": follow_up_id,
            "reason": reason.map(|r| r.as_str()),
            "survey": invitation.survey.name,
            "survey_version": invitation.survey.version,
            "kind": invitation.survey.kind.as_str(),
            "customer": if anonymous { None } else { invitation.customer.clone() },
            "location": invitation.location,
            "employee": invitation.employee,
            "score": parsed.score,
            "answers": parsed.answers,
            "comment": parsed.comment,
        }),
    );
}

/// `GET /s/{token}/thanks`.
pub(super) async fn thanks(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    req: Request,
) -> Response {
    let (invitation, lang) =
        match open(&state, &token, req.uri(), req.headers(), peer_of(&req)).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let path = req.uri().path();
    if invitation.state != comeback_store::InvitationState::Answered {
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/s/{token}?lang={}", lang.code()))],
        )
            .into_response();
    }
    public_page(
        lang,
        StatusCode::OK,
        path,
        context! {
            page => "message", title => m(lang, "thanks_title"), text => m(lang, "thanks_text"),
            unsubscribe => format!("/s/{token}/unsubscribe?lang={}", lang.code()),
        },
    )
}

/// `GET /s/{token}/unsubscribe`: the confirmation form.
pub(super) async fn unsubscribe_form(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    req: Request,
) -> Response {
    let (_, lang) = match open(&state, &token, req.uri(), req.headers(), peer_of(&req)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    public_page(
        lang,
        StatusCode::OK,
        req.uri().path(),
        context! {
            page => "unsubscribe", title => m(lang, "unsubscribe_title"),
            text => m(lang, "unsubscribe_text"),
            action => format!("/s/{token}/unsubscribe?lang={}", lang.code()),
        },
    )
}

/// `POST /s/{token}/unsubscribe`: records the opt-out with its time.
pub(super) async fn unsubscribe(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    req: Request,
) -> Response {
    let (invitation, lang) =
        match open(&state, &token, req.uri(), req.headers(), peer_of(&req)).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let path = req.uri().path().to_owned();
    if let Err(r) = read_form(req.into_body(), lang, &path).await {
        return r;
    }
    let Some(customer) = invitation.customer.as_deref() else {
        return link_error(lang, &path, &LinkError::Invalid);
    };
    match state
        .store
        .set_survey_consent(customer, true, "link", Utc::now())
        .await
    {
        Ok(()) => message_page(
            lang,
            StatusCode::OK,
            &path,
            &m(lang, "unsubscribe_title"),
            &m(lang, "unsubscribed_text"),
        ),
        Err(e) => link_error(lang, &path, &LinkError::Store(e.to_string())),
    }
}
