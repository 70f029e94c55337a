//! The dashboard: server-rendered HTML pages over the same cached analysis and store as
//! the JSON API (PRODUCT R5), in the six languages of the report.
//!
//! - **Templates**: minijinja, embedded with `include_str!` and compiled once into one
//!   [`minijinja::Environment`] (auto-escaping HTML; strict undefined values, so a
//!   template that reads a missing key fails its test instead of printing nothing).
//!   Every page extends `layout.html`: skip link, labelled navigation, visible focus,
//!   one stylesheet (`/assets/dashboard.css`, a 390 px phone layout included); no page
//!   needs JavaScript (`/upload` loads `/assets/upload.js`, a busy indicator).
//! - **Language**: `?lang=` (remembered in the `comeback_lang` cookie), else that cookie,
//!   else the best `Accept-Language` match (RFC 9110 §12.5.4, q-values), else English
//!   ([`choose_lang`]). Every text comes from the page's catalogue ([`catalog`]).
//! - **Access**: [`Ctx`] authenticates like the API (session cookie or bearer token); a
//!   guest is redirected to `/login` (303), a wrong role gets an HTML 403 page.
//! - **Charts**: `comeback_report::chart`, the report's SVG module.

pub mod catalog;
mod cohorts;
mod complain;
mod complaints;
mod flags;
mod objectives;
mod pages;
mod report_cards;
pub(crate) mod retention;
mod status;
mod survey_public;
mod survey_triggers;
mod surveys;
mod upload;
mod users;
mod webhooks;

use std::sync::OnceLock;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use comeback_report::Lang;
use comeback_store::Role;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};

use crate::auth::{AuthUser, Credential};
use crate::{ApiError, AppState};

/// The cookie that remembers a language chosen with `?lang=`.
pub const LANG_COOKIE: &str = "comeback_lang";

/// The stylesheet of every page, served at `/assets/dashboard.css`.
pub const STYLESHEET: &str = include_str!("dashboard.css");

/// The script of `/upload` (progressive: a busy indicator while the file is sent and
/// checked), served at `/assets/upload.js`.
pub const UPLOAD_SCRIPT: &str = include_str!("upload.js");

/// The templates: (name, source).
pub const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("overview.html", include_str!("templates/overview.html")),
    ("model.html", include_str!("templates/model.html")),
    ("customers.html", include_str!("templates/customers.html")),
    ("customer.html", include_str!("templates/customer.html")),
    ("lists.html", include_str!("templates/lists.html")),
    ("error.html", include_str!("templates/error.html")),
    ("upload.html", include_str!("templates/upload.html")),
    ("webhooks.html", include_str!("templates/webhooks.html")),
    ("objectives.html", include_str!("templates/objectives.html")),
    ("retention.html", include_str!("templates/retention.html")),
    ("status.html", include_str!("templates/status.html")),
    ("survey.html", include_str!("templates/survey.html")),
    ("surveys.html", include_str!("templates/surveys.html")),
    (
        "survey_triggers.html",
        include_str!("templates/survey_triggers.html"),
    ),
    ("complain.html", include_str!("templates/complain.html")),
    (
        "complaint_status.html",
        include_str!("templates/complaint_status.html"),
    ),
    ("complaints.html", include_str!("templates/complaints.html")),
    ("complaint.html", include_str!("templates/complaint.html")),
    (
        "complaint_measures.html",
        include_str!("templates/complaint_measures.html"),
    ),
    ("cohorts.html", include_str!("templates/cohorts.html")),
    (
        "report_cards.html",
        include_str!("templates/report_cards.html"),
    ),
    ("flag.html", include_str!("templates/flag.html")),
    ("flag_form.html", include_str!("templates/flag_form.html")),
    ("users.html", include_str!("templates/users.html")),
];

/// The Content-Security-Policy of every page: nothing but this server's stylesheet and
/// scripts (files only, no inline script) and `data:` images; forms post only to this
/// server; no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            // The templates are part of the binary; a syntax error fails every page test.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "dashboard template does not compile");
            }
        }
        env
    })
}

/// The language of a request: a valid `?lang=` value, else the `comeback_lang` cookie,
/// else the `Accept-Language` range with the highest q-value (ties: the first) whose
/// primary subtag is one of the six (`de-AT` → German; `q=0` means "not this one"), else
/// English.
pub fn choose_lang(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Lang {
    if let Some(l) = query.and_then(|q| q.parse().ok()) {
        return l;
    }
    if let Some(l) = cookie.and_then(|c| c.parse().ok()) {
        return l;
    }
    let mut best: Option<(f64, Lang)> = None;
    for range in accept.unwrap_or("").split(',') {
        let mut parts = range.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(1.0);
        if !(q > 0.0 && q <= 1.0) {
            continue;
        }
        let primary = tag.split('-').next().unwrap_or("");
        if let Ok(l) = primary.parse::<Lang>()
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, l));
        }
    }
    best.map_or(Lang::En, |(_, l)| l)
}

fn query_param(parts: &Parts, name: &str) -> Option<String> {
    form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let values = headers
        .get_all(header::COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok());
    crate::auth::cookie::cookie_value(values, name).map(str::to_owned)
}

/// The language of a request ([`choose_lang`]) and whether `?lang=` chose it (then the
/// answer sets the cookie).
fn lang_of(parts: &Parts) -> (Lang, bool) {
    let q = query_param(parts, "lang");
    let from_query = q.as_deref().and_then(|q| q.parse::<Lang>().ok()).is_some();
    let accept = parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = choose_lang(
        q.as_deref(),
        cookie(&parts.headers, LANG_COOKIE).as_deref(),
        accept,
    );
    (lang, from_query)
}

/// A dashboard request: who asks, in which language, and the session's CSRF token for
/// forms (none for a bearer token). As an extractor it authenticates like the API: a
/// guest is redirected to `/login` (303), a credential that needs a new password too, and
/// any other failure is answered with an HTML error page in the request's language.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The page language.
    pub lang: Lang,
    /// The user.
    pub user: AuthUser,
    pub(crate) csrf: Option<String>,
    set_lang_cookie: bool,
    path: String,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let (lang, set_lang_cookie) = lang_of(parts);
        let path = parts.uri.path().to_owned();
        match AuthUser::from_request_parts(parts, state).await {
            Ok(user) => {
                let csrf = match parts.extensions.get::<Credential>() {
                    Some(Credential::Session { csrf_token }) => Some(csrf_token.clone()),
                    _ => None,
                };
                Ok(Ctx {
                    lang,
                    user,
                    csrf,
                    set_lang_cookie,
                    path,
                })
            }
            Err(ApiError::Unauthorized) => Err(see_other("/login")),
            Err(ApiError::Forbidden(m)) if m == "password change required" => {
                Err(see_other("/login"))
            }
            Err(e) => Err(error_page(lang, &e)),
        }
    }
}

impl Ctx {
    /// `Ok` for a manager or an admin, else the HTML 403 page.
    ///
    /// # Errors
    /// The 403 page, ready to return.
    #[allow(clippy::result_large_err)]
    pub fn require_manager(&self) -> Result<(), Response> {
        match self.user.role {
            Role::Admin | Role::Manager => Ok(()),
            Role::Staff => Err(error_page(
                self.lang,
                &ApiError::Forbidden("manager role required".to_owned()),
            )),
        }
    }

    /// `Ok` for an admin, else the HTML 403 page.
    ///
    /// # Errors
    /// The 403 page, ready to return.
    #[allow(clippy::result_large_err)]
    pub fn require_admin(&self) -> Result<(), Response> {
        match self.user.role {
            Role::Admin => Ok(()),
            Role::Manager | Role::Staff => Err(error_page(
                self.lang,
                &ApiError::Forbidden("admin role required".to_owned()),
            )),
        }
    }

    /// A message of `page` in the request's language with placeholders filled.
    pub fn msg(&self, page: &str, key: &str, args: &[(&str, &str)]) -> String {
        catalog::message(self.lang, page, key, args)
    }

    /// A message about a count `n` in the request's language: `{key}_one` or
    /// `{key}_other` as the language's plural rule says ([`catalog::plural`]).
    pub fn plural(&self, page: &str, key: &str, n: u64, args: &[(&str, &str)]) -> String {
        catalog::plural(self.lang, page, key, n, args)
    }

    /// Renders `page` (`{page}.html`, catalogue `page`) with `title` and the page data
    /// `d`; `nav` names the navigation entry to mark as current.
    pub fn render(&self, page: &str, nav: &str, title: &str, d: Value) -> Response {
        render_page(
            self.lang,
            page,
            StatusCode::OK,
            context! {
                title => title,
                nav => nav,
                path => self.path.clone(),
                csrf => self.csrf.clone(),
                user_menu => true,
                is_manager => matches!(self.user.role, Role::Admin | Role::Manager),
                is_admin => self.user.role == Role::Admin,
                d => d,
            },
            self.set_lang_cookie,
        )
    }
}

fn see_other(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// Names of the languages in themselves, for the language switcher.
fn endonym(l: Lang) -> &'static str {
    match l {
        Lang::En => "English",
        Lang::Es => "Español",
        Lang::Pt => "Português",
        Lang::Fi => "Suomi",
        Lang::De => "Deutsch",
        Lang::Fr => "Français",
    }
}

fn render_page(
    lang: Lang,
    page: &str,
    status: StatusCode,
    ctx: Value,
    set_lang_cookie: bool,
) -> Response {
    let langs: Vec<Value> = Lang::ALL
        .iter()
        .map(|l| context! { code => l.code(), name => endonym(*l) })
        .collect();
    let full = context! {
        t => Value::from_serialize(catalog::table(lang, page)),
        lang => lang.code(),
        langs => langs,
        ..ctx
    };
    let html = environment()
        .get_template(&format!("{page}.html"))
        .and_then(|t| t.render(full));
    let mut response = match html {
        Ok(h) => (status, Html(h)).into_response(),
        Err(e) => {
            tracing::error!(page, error = %e, "dashboard page did not render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>internal error</title><p>internal error</p>"),
            )
                .into_response()
        }
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    if set_lang_cookie
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        ))
    {
        h.append(header::SET_COOKIE, v);
    }
    response
}

/// The HTML 403 page with a specific, translated reason (`text`).
pub fn forbidden_page(lang: Lang, text: String) -> Response {
    render_page(
        lang,
        "error",
        StatusCode::FORBIDDEN,
        context! {
            title => catalog::message(lang, "error", "forbidden_title", &[]),
            nav => "",
            path => "/",
            csrf => Option::<String>::None,
            user_menu => false,
            is_manager => false,
            is_admin => false,
            d => context! { text => text },
        },
        false,
    )
}

/// The HTML page of an error, in `lang`: 403, 404, 503 and the rest with the status of
/// `e` (internal details are not shown: [`ApiError`]'s own message is).
pub fn error_page(lang: Lang, e: &ApiError) -> Response {
    let status = e.status();
    let (title, text) = match status {
        StatusCode::FORBIDDEN => (
            "forbidden_title",
            catalog::message(lang, "error", "forbidden", &[]),
        ),
        StatusCode::NOT_FOUND => (
            "not_found_title",
            catalog::message(lang, "error", "not_found", &[]),
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "unavailable_title",
            catalog::message(lang, "layout", "no_scores", &[]),
        ),
        _ => (
            "error_title",
            catalog::message(
                lang,
                "error",
                "error",
                &[("message", &e.body().error.message)],
            ),
        ),
    };
    render_page(
        lang,
        "error",
        status,
        context! {
            title => catalog::message(lang, "error", title, &[]),
            nav => "",
            path => "/",
            csrf => Option::<String>::None,
            user_menu => false,
            is_manager => false,
            is_admin => false,
            d => context! { text => text },
        },
        false,
    )
}

/// The dashboard's routes: the pages and `/assets/dashboard.css`.
pub fn routes() -> Router<AppState> {
    use axum::routing::{get, post};
    Router::new()
        .route("/", get(pages::overview))
        .route("/model", get(pages::model))
        .route("/customers", get(pages::customers))
        .route("/customers/{id}", get(pages::customer))
        .route("/lists/{list}", get(pages::list))
        .route("/lists/{list}/csv", get(pages::list_csv))
        .route("/upload", get(upload::form).post(upload::submit))
        .route("/upload/subscriptions", post(upload::submit_subscriptions))
        .route("/upload/complaints", post(upload::submit_complaints))
        .route("/webhooks", get(webhooks::page))
        .route("/objectives", get(objectives::page))
        .route("/retention", get(retention::retention))
        .route("/cohorts", get(cohorts::cohorts))
        .route("/status", get(status::page))
        .route("/surveys", get(surveys::page_handler))
        .route("/report-cards", get(report_cards::page_handler))
        .route("/surveys/new", axum::routing::post(surveys::create))
        .route("/surveys/send", axum::routing::post(surveys::send))
        .route(
            "/surveys/triggers",
            get(survey_triggers::page_handler).post(survey_triggers::save),
        )
        .route(
            "/s/{token}",
            get(survey_public::form).post(survey_public::submit),
        )
        .route("/s/{token}/thanks", get(survey_public::thanks))
        .route(
            "/s/{token}/unsubscribe",
            get(survey_public::unsubscribe_form).post(survey_public::unsubscribe),
        )
        .route("/complain", get(complain::form).post(complain::submit))
        .route("/complaint-status", get(complain::lookup))
        .route("/complaint-status/{reference}", get(complain::status_page))
        .merge(
            Router::new()
                .route("/complaints", get(complaints::queue))
                .route("/complaint-measures", get(complaints::measures_page))
                .route(
                    "/complaints/{reference}",
                    get(complaints::record).post(complaints::step),
                )
                .route("/flag", get(flags::form).post(flags::submit))
                .route("/customers/{id}/flag", post(flags::submit_for_customer))
                .route("/users", get(users::page))
                .route("/users/{id}/employee", post(users::link))
                .route(
                    "/surveys/followups/{id}/complaint",
                    post(complaints::followup_case),
                )
                .layer(axum::middleware::from_fn(
                    crate::auth::csrf::csrf_form_field,
                )),
        )
        .route(
            "/assets/upload.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    UPLOAD_SCRIPT,
                )
            }),
        )
        .route(
            "/assets/dashboard.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    STYLESHEET,
                )
            }),
        )
}

/// Escapes one CSV cell against formula injection (OWASP "CSV Injection"): text that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a
/// spreadsheet shows it as text instead of evaluating it. Numbers the server formats
/// itself are written as they are (a negative amount stays a number).
pub fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_order_query_cookie_accept_language() {
        assert_eq!(choose_lang(Some("fi"), Some("de"), Some("fr")), Lang::Fi);
        assert_eq!(choose_lang(Some("xx"), Some("de"), Some("fr")), Lang::De);
        assert_eq!(
            choose_lang(None, Some("nope"), Some("fr-CA,fr;q=0.9")),
            Lang::Fr
        );
        assert_eq!(choose_lang(None, None, None), Lang::En);
        assert_eq!(choose_lang(None, None, Some("ja, zh;q=0.8")), Lang::En);
    }

    #[test]
    fn accept_language_q_values() {
        assert_eq!(
            choose_lang(None, None, Some("en;q=0.5, pt-BR;q=0.9, de;q=0.7")),
            Lang::Pt
        );
        // q=0 excludes; ties keep the first; malformed q is 1.
        assert_eq!(choose_lang(None, None, Some("es;q=0, fi")), Lang::Fi);
        assert_eq!(choose_lang(None, None, Some("de, fr")), Lang::De);
        assert_eq!(
            choose_lang(None, None, Some("fr;q=abc, de;q=0.9")),
            Lang::Fr
        );
        assert_eq!(choose_lang(None, None, Some("ES-mx;q=0.3")), Lang::Es);
    }

    #[test]
    fn csv_formula_escaping() {
        for s in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_text(s), format!("'{s}"));
        }
        assert_eq!(csv_text("c-1"), "c-1");
        assert_eq!(csv_text(""), "");
    }

    /// Every `t.KEY` a template reads must be in its page's catalogue (or `layout`'s) in
    /// every language; every template compiles.
    #[test]
    fn templates_read_only_known_keys() {
        let env = environment();
        let mut problems = Vec::new();
        for (name, source) in TEMPLATES {
            if env.get_template(name).is_err() {
                problems.push(format!("{name} does not compile"));
            }
            let page = name.trim_end_matches(".html");
            let mut rest = *source;
            while let Some(i) = rest.find("t.") {
                let before = rest[..i].chars().last();
                let key: String = rest[i + 2..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                rest = &rest[i + 2..];
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                    continue;
                }
                for lang in Lang::ALL {
                    if !catalog::table(lang, page).contains_key(key.as_str()) {
                        problems.push(format!("{name}: t.{key} missing in {lang}"));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
