//! The authorisation table: every route of the server × {anonymous, staff, manager,
//! admin} → the expected answer class. The route list is the server's own: the operations
//! of the served OpenAPI document (generated from the same registration as the router)
//! plus the non-API routes registered with `.route("PATH", method(...))` in the source.
//! A route without an entry in [`TABLE`] fails the test, and so does an entry for a route
//! that no longer exists.
//!
//! Guests and wrong roles send a body that is not JSON: they must get 401/403, never a
//! 400/422, which shows authentication runs before the request is validated.

use std::collections::BTreeSet;

use comeback_store::Role;

use crate::auth::{auth_test, send};
use crate::helpers::TestApp;

/// What a caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Allowed: any answer but 401, 403 or 500 (an internal error; 503 "scores not
    /// computed yet" is a fine answer on an empty database).
    Pass,
    /// 401 (guest on a protected route).
    Unauth,
    /// 403 (wrong role).
    Forbid,
    /// A dashboard page for a guest: 303 to `/login`.
    Login,
    /// A dashboard page for a wrong role: the HTML 403 page.
    ForbidPage,
}

use Expect::{Forbid as F, ForbidPage as FP, Login as L, Pass as P, Unauth as U};

/// (method, path) → [anonymous, staff, manager, admin].
const TABLE: &[(&str, &str, [Expect; 4])] = &[
    // Open.
    ("GET", "/health", [P, P, P, P]),
    ("GET", "/api/openapi.json", [P, P, P, P]),
    ("GET", "/login", [P, P, P, P]),
    ("POST", "/login", [P, P, P, P]),
    ("POST", "/password", [P, P, P, P]),
    ("GET", "/setup", [P, P, P, P]),
    ("POST", "/setup", [P, P, P, P]),
    ("GET", "/assets/dashboard.css", [P, P, P, P]),
    ("GET", "/assets/upload.js", [P, P, P, P]),
    ("GET", "/complain", [P, P, P, P]),
    ("POST", "/complain", [P, P, P, P]),
    ("GET", "/complaint-status", [P, P, P, P]),
    ("GET", "/complaint-status/{reference}", [P, P, P, P]),
    // Dashboard pages: guests are sent to the login form.
    ("GET", "/customers", [L, P, P, P]),
    ("GET", "/customers/{id}", [L, P, P, P]),
    ("GET", "/", [L, FP, P, P]),
    ("GET", "/model", [L, FP, P, P]),
    ("GET", "/retention", [L, FP, P, P]),
    ("GET", "/cohorts", [L, FP, P, P]),
    ("POST", "/upload/subscriptions", [L, FP, P, P]),
    ("POST", "/upload/complaints", [L, FP, P, P]),
    ("GET", "/lists/{list}", [L, FP, P, P]),
    ("GET", "/lists/{list}/csv", [L, FP, P, P]),
    ("GET", "/upload", [L, FP, P, P]),
    ("POST", "/upload", [L, FP, P, P]),
    // Any logged-in user.
    ("POST", "/logout", [U, P, P, P]),
    ("GET", "/api/v1/me", [U, P, P, P]),
    ("POST", "/api/v1/me/password", [U, P, P, P]),
    ("GET", "/api/v1/tokens", [U, P, P, P]),
    ("POST", "/api/v1/tokens", [U, P, P, P]),
    ("DELETE", "/api/v1/tokens/{id}", [U, P, P, P]),
    ("GET", "/api/v1/customers", [U, P, P, P]),
    ("GET", "/api/v1/customers/{external_id}", [U, P, P, P]),
    ("GET", "/objectives", [L, P, P, P]),
    ("GET", "/complaints", [L, P, P, P]),
    ("GET", "/complaints/{reference}", [L, P, P, P]),
    ("POST", "/complaints/{reference}", [L, P, P, P]),
    ("GET", "/complaint-measures", [L, FP, P, P]),
    ("GET", "/api/v1/locations/{code}/calendar", [U, P, P, P]),
    ("GET", "/api/v1/objectives", [U, P, P, P]),
    ("GET", "/api/v1/objectives/{id}", [U, P, P, P]),
    // Report cards: staff see their own (the staff account here has no employee link,
    // so the API refuses it with 403 and the page says why).
    ("GET", "/report-cards", [L, P, P, P]),
    ("GET", "/api/v1/report-cards", [U, F, P, P]),
    // Staff flags: any logged-in user (a staff account without an employee link is told
    // why on the pages and refused by the API with 403 once the body is read).
    ("GET", "/flag", [L, P, P, P]),
    ("POST", "/flag", [L, P, P, P]),
    ("POST", "/customers/{id}/flag", [L, P, P, P]),
    (
        "POST",
        "/api/v1/customers/{external_id}/flags",
        [U, P, P, P],
    ),
    ("GET", "/api/v1/flags", [U, F, P, P]),
    // Managers and admins.
    ("GET", "/api/v1/users", [U, F, P, P]),
    ("POST", "/api/v1/transactions:batch", [U, F, P, P]),
    ("POST", "/api/v1/customers:batch", [U, F, P, P]),
    ("POST", "/api/v1/uploads/transactions", [U, F, P, P]),
    ("POST", "/api/v1/subscriptions:batch", [U, F, P, P]),
    ("POST", "/api/v1/uploads/subscriptions", [U, F, P, P]),
    ("POST", "/api/v1/uploads/complaints", [U, F, P, P]),
    ("POST", "/api/v1/loyalty/enrolments:batch", [U, F, P, P]),
    ("GET", "/api/v1/cohorts", [U, F, P, P]),
    (
        "GET",
        "/api/v1/customers/{external_id}/export",
        [U, F, P, P],
    ),
    ("GET", "/api/v1/actions/{list}", [U, F, P, P]),
    ("GET", "/api/v1/metrics", [U, F, P, P]),
    ("GET", "/api/v1/economics", [U, F, P, P]),
    ("GET", "/api/v1/survival", [U, F, P, P]),
    ("GET", "/api/v1/survival/cox", [U, F, P, P]),
    ("GET", "/api/v1/model", [U, F, P, P]),
    ("POST", "/api/v1/model/refit", [U, F, P, P]),
    ("GET", "/api/v1/status", [U, F, P, P]),
    ("GET", "/status", [L, FP, P, P]),
    ("POST", "/api/v1/objectives", [U, F, P, P]),
    ("GET", "/api/v1/complaints", [U, P, P, P]),
    ("POST", "/api/v1/complaints", [U, P, P, P]),
    ("GET", "/api/v1/complaints/{reference}", [U, P, P, P]),
    (
        "POST",
        "/api/v1/complaints/{reference}/transitions",
        [U, P, P, P],
    ),
    ("POST", "/api/v1/complaint-links", [U, F, P, P]),
    ("PUT", "/api/v1/locations/{code}/calendar", [U, F, P, P]),
    ("GET", "/api/v1/complaint-measures", [U, F, P, P]),
    ("GET", "/api/v1/complaint-measures/rows", [U, F, P, P]),
    ("PUT", "/api/v1/objectives/{id}", [U, F, P, P]),
    ("DELETE", "/api/v1/objectives/{id}", [U, F, P, P]),
    // Admins only.
    ("GET", "/surveys", [L, FP, P, P]),
    ("POST", "/surveys/new", [L, FP, P, P]),
    ("POST", "/surveys/send", [L, FP, P, P]),
    ("GET", "/surveys/triggers", [L, FP, P, P]),
    ("POST", "/surveys/triggers", [L, FP, P, P]),
    ("GET", "/api/v1/survey-triggers", [U, F, P, P]),
    ("PUT", "/api/v1/survey-triggers", [U, F, P, P]),
    ("GET", "/api/v1/survey-triggers/log", [U, F, P, P]),
    ("POST", "/surveys/followups/{id}/complaint", [L, FP, P, P]),
    // The public survey pages: the signed link is the credential (refused here as
    // malformed, 400, for everyone).
    ("GET", "/s/{token}", [P, P, P, P]),
    ("POST", "/s/{token}", [P, P, P, P]),
    ("GET", "/s/{token}/thanks", [P, P, P, P]),
    ("GET", "/s/{token}/unsubscribe", [P, P, P, P]),
    ("POST", "/s/{token}/unsubscribe", [P, P, P, P]),
    ("GET", "/api/v1/surveys", [U, F, P, P]),
    ("POST", "/api/v1/surveys", [U, F, P, P]),
    ("GET", "/api/v1/surveys/{id}/invitations", [U, F, P, P]),
    ("POST", "/api/v1/surveys/{id}/invitations", [U, F, P, P]),
    ("GET", "/api/v1/surveys/{id}/links.csv", [U, F, P, P]),
    (
        "POST",
        "/api/v1/surveys/{id}/responses/import",
        [U, F, P, P],
    ),
    ("PUT", "/api/v1/customers/{id}/survey-consent", [U, F, P, P]),
    ("GET", "/api/v1/survey-followups", [U, F, P, P]),
    ("POST", "/api/v1/survey-followups/{id}/close", [U, F, P, P]),
    ("GET", "/api/v1/survey-metrics", [U, F, P, P]),
    ("GET", "/api/v1/survey-predictors", [U, F, P, P]),
    ("GET", "/api/v1/survey-metrics/export", [U, F, P, P]),
    (
        "POST",
        "/api/v1/survey-followups/{id}/complaint",
        [U, F, P, P],
    ),
    (
        "POST",
        "/api/v1/surveys/{id}/invitations/trigger",
        [U, F, P, P],
    ),
    ("GET", "/webhooks", [L, FP, FP, P]),
    ("GET", "/users", [L, FP, FP, P]),
    ("POST", "/users/{id}/employee", [L, FP, FP, P]),
    ("POST", "/api/v1/users", [U, F, F, P]),
    ("GET", "/api/v1/webhooks", [U, F, F, P]),
    ("POST", "/api/v1/webhooks", [U, F, F, P]),
    ("DELETE", "/api/v1/webhooks/{id}", [U, F, F, P]),
    ("GET", "/api/v1/webhooks/deliveries", [U, F, F, P]),
    ("PATCH", "/api/v1/users/{id}", [U, F, F, P]),
    ("POST", "/api/v1/users/{id}/password-reset", [U, F, F, P]),
    (
        "POST",
        "/api/v1/customers/{external_id}/erase",
        [U, F, F, P],
    ),
];

/// Non-API routes from the source: `.route("PATH", get(...).post(...))` (methods read from
/// the rest of the line).
fn source_page_routes() -> BTreeSet<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices(".route(") {
            let rest = text[i + ".route(".len()..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let end = rest.find('"').unwrap();
            let path = &rest[..end];
            // The method calls of this route: up to the next route or layer.
            let tail = &rest[end..];
            let stop = [".route(", ".layer(", ".merge(", ".nest(", ".with_state("]
                .iter()
                .filter_map(|m| tail.find(m))
                .min()
                .unwrap_or(tail.len());
            let line = &tail[..stop];
            let mut found = false;
            for m in ["get", "post", "put", "patch", "delete"] {
                let dotted = format!(".{m}(");
                let plain = format!("{m}(");
                let starts = line
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '('))
                    .any(|w| w.starts_with(&plain));
                if starts || line.contains(&dotted) {
                    out.insert((m.to_uppercase(), path.to_owned()));
                    found = true;
                }
            }
            assert!(found, "{}: no method found for route {path}", f.display());
        }
    }
    out
}

/// Every (method, path) the server answers.
async fn route_list(app: &TestApp) -> BTreeSet<(String, String)> {
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    let mut ops = source_page_routes();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{external_id}", "nobody")
        .replace("{list}", "at-risk")
}

async fn authorisation_table(app: &TestApp) {
    let routes = route_list(app).await;
    assert!(routes.len() >= 20, "{routes:?}");
    let listed: BTreeSet<(String, String)> = TABLE
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let missing: Vec<_> = routes.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "routes without an authorisation entry: {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "table entries for routes that do not exist: {stale:?}"
    );

    let staff = app.token(Role::Staff).await;
    let manager = app.token(Role::Manager).await;
    let admin = app.token(Role::Admin).await;
    let callers = [None, Some(staff), Some(manager), Some(admin)];
    let names = ["anonymous", "staff", "manager", "admin"];
    let mut failures = Vec::new();
    for (method, path, expect) in TABLE {
        for (k, caller) in callers.iter().enumerate() {
            let auth = caller.as_ref().map(|t| format!("Bearer {t}"));
            let headers: Vec<(&str, &str)> = auth
                .as_deref()
                .map(|a| vec![("authorization", a)])
                .unwrap_or_default();
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let body = match (*method, expect[k]) {
                ("GET" | "DELETE", _) => None,
                (_, P) => Some(("application/json", b"{}".to_vec())),
                // Not even JSON: authentication must answer first.
                _ => Some(("application/json", b"{not json".to_vec())),
            };
            let (s, h, text) = send(app, m, &concrete(path), &headers, body).await;
            let ok = match expect[k] {
                P => s != 401 && s != 403 && s != 500,
                U => s == 401 && text.contains("\"code\":\"unauthorized\""),
                F => s == 403 && text.contains("\"code\":\"forbidden\""),
                L => s == 303 && h.get("location").is_some_and(|l| l == "/login"),
                FP => s == 403 && text.starts_with("<!DOCTYPE html>"),
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {}: expected {:?}, got {s} {}",
                    names[k],
                    expect[k],
                    text.chars().take(200).collect::<String>()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
auth_test!(table, authorisation_table);

#[test]
fn source_routes_are_found() {
    let r = source_page_routes();
    for (m, p) in [
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("GET", "/setup"),
        ("GET", "/api/openapi.json"),
    ] {
        assert!(
            r.contains(&(m.to_owned(), p.to_owned())),
            "{m} {p} not in {r:?}"
        );
    }
}
