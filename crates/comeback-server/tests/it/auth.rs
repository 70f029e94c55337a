//! Accounts and security end to end: the one-time set-up link, login sessions and their
//! cookie, CSRF on cookie requests (header and form field), API tokens (hashed at rest,
//! shown once, revocable), temporary passwords after an admin reset, lockout after
//! repeated failures with one generic message, throttling, manager scoping, and a captured
//! log that contains no password, token or session secret.
//!
//! Each check runs on SQLite (cheap argon2 costs, `AuthSettings::insecure_for_tests`) and,
//! with `COMEBACK_TEST_POSTGRES_URL`, on PostgreSQL (the default settings: production
//! argon2 costs and a `Secure` cookie).

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use comeback_server::Settings;
use comeback_server::auth::AuthSettings;
use comeback_store::{Location, Role};
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

/// Cheap password hashing and plain-HTTP cookies for the SQLite runs.
pub fn cheap(mut s: Settings) -> Settings {
    s.auth = AuthSettings::insecure_for_tests();
    s
}

/// Runs `$check(&TestApp)` as `$name::sqlite` and `$name::postgres`.
macro_rules! auth_test {
    ($name:ident, $check:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::sqlite_with($crate::auth::cheap).await;
                super::$check(&app).await;
                app.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let name = concat!(module_path!(), "::postgres");
                let Some(app) = $crate::helpers::TestApp::postgres(name).await else {
                    return;
                };
                super::$check(&app).await;
                app.cleanup().await;
            }
        }
    };
}
pub(crate) use auth_test;

/// A logged-in browser: the cookie header value and the session's CSRF token.
pub struct Browser {
    /// `comeback_session=<64 hex>`.
    pub cookie: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// The `Set-Cookie` header as received.
    pub set_cookie: String,
}

fn set_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("comeback_session="))
}

/// Raw request: (status, headers, body text).
pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> (u16, HeaderMap, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut r = client.request(method, app.url(path));
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    if let Some((ct, b)) = body {
        r = r.header("content-type", ct).body(b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    (status, h, resp.text().await.unwrap())
}

/// POST of JSON with optional extra headers.
pub async fn post(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, HeaderMap, Value) {
    let (s, h, t) = send(
        app,
        reqwest::Method::POST,
        path,
        headers,
        Some(("application/json", body.to_string().into_bytes())),
    )
    .await;
    (s, h, serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

/// Logs in with JSON; panics unless it succeeds.
pub async fn login(app: &TestApp, email: &str, password: &str) -> Browser {
    let (s, h, v) = post(
        app,
        "/login",
        &[],
        &json!({"email": email, "password": password}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let set_cookie = set_cookie(&h).expect("session cookie");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    Browser {
        cookie,
        csrf: v["csrf_token"].as_str().unwrap().to_owned(),
        set_cookie,
    }
}

/// The first admin through the set-up link; returns (e-mail, password).
pub async fn setup_admin(app: &TestApp) -> (String, String) {
    let token = app.store.admin_setup_token().await.unwrap().unwrap();
    let email = "owner@example.com".to_owned();
    let password = "first admin pass phrase".to_owned();
    let (s, _, v) = post(
        app,
        "/setup",
        &[],
        &json!({"token": token, "email": email, "password": password}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    (email, password)
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    app.store
        .audit_log(1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

// ---------------------------------------------------------------------------------------

async fn setup_link_is_one_time(app: &TestApp) {
    let token = app.store.admin_setup_token().await.unwrap().unwrap();
    let (s, h, page) = send(
        app,
        reqwest::Method::GET,
        &format!("/setup?token={token}"),
        &[],
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        page.contains("<form method=\"post\" action=\"/setup\">"),
        "{page}"
    );
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    // A short password is refused and creates nothing.
    let (s, _, v) = post(
        app,
        "/setup",
        &[],
        &json!({"token": token, "email": "a@example.com", "password": "short"}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(app.store.count_users().await.unwrap(), 0);
    // A wrong token creates nothing.
    let wrong = "0".repeat(64);
    let (s, _, _) = post(
        app,
        "/setup",
        &[],
        &json!({"token": wrong, "email": "a@example.com", "password": "long enough password"}),
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(app.store.count_users().await.unwrap(), 0);
    // The right one works once, by form.
    let form = format!("token={token}&email=boss%40example.com&password=long+enough+password");
    let (s, h, _) = send(
        app,
        reqwest::Method::POST,
        "/setup",
        &[],
        Some((
            "application/x-www-form-urlencoded",
            form.clone().into_bytes(),
        )),
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(h["location"], "/login");
    let admin = app
        .store
        .user_by_email("boss@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert!(
        admin
            .password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$v=19$")
    );
    // Then the link is dead, for GET and POST, and no new link is issued.
    let (s, _, _) = send(
        app,
        reqwest::Method::POST,
        "/setup",
        &[],
        Some(("application/x-www-form-urlencoded", form.into_bytes())),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _, _) = send(
        app,
        reqwest::Method::GET,
        &format!("/setup?token={token}"),
        &[],
        None,
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(app.store.admin_setup_token().await.unwrap(), None);
    assert_eq!(app.store.count_users().await.unwrap(), 1);
    assert!(
        audit_actions(app)
            .await
            .contains(&"user.setup_admin".to_owned())
    );
    // The new admin can log in.
    let b = login(app, "boss@example.com", "long enough password").await;
    let (s, _, me) = send(
        app,
        reqwest::Method::GET,
        "/api/v1/me",
        &[("cookie", &b.cookie)],
        None,
    )
    .await;
    assert_eq!(s, 200, "{me}");
    let me: Value = serde_json::from_str(&me).unwrap();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["csrf_token"], b.csrf.as_str());
}
auth_test!(setup_link, setup_link_is_one_time);

async fn session_cookie_and_csrf(app: &TestApp) {
    let (email, password) = setup_admin(app).await;
    let b = login(app, &email, &password).await;
    // Cookie attributes.
    let attrs: Vec<&str> = b.set_cookie.split("; ").collect();
    assert!(attrs.contains(&"HttpOnly"), "{}", b.set_cookie);
    assert!(attrs.contains(&"SameSite=Lax"), "{}", b.set_cookie);
    assert!(attrs.contains(&"Path=/"), "{}", b.set_cookie);
    assert!(attrs.contains(&"Max-Age=43200"), "{}", b.set_cookie);
    assert_eq!(
        attrs.contains(&"Secure"),
        !app.settings.auth.insecure_cookie,
        "{}",
        b.set_cookie
    );
    assert_eq!(b.cookie.len(), "comeback_session=".len() + 64);
    // The session id is stored hashed only.
    let token = b.cookie.trim_start_matches("comeback_session=");
    assert!(
        app.store
            .session(token, chrono::Utc::now())
            .await
            .unwrap()
            .is_some()
    );

    let cookie = [("cookie", b.cookie.as_str())];
    let body = json!({"name": "by cookie"});
    // State-changing request with the cookie: no token, a wrong token → 403.
    let (s, _, v) = post(app, "/api/v1/tokens", &cookie, &body).await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(
        v["error"]["message"],
        "forbidden: missing or wrong csrf token"
    );
    let wrong = [("cookie", b.cookie.as_str()), ("x-csrf-token", "0123")];
    assert_eq!(post(app, "/api/v1/tokens", &wrong, &body).await.0, 403);
    // The 403 comes before the body is validated.
    let (s, _, _) = send(
        app,
        reqwest::Method::POST,
        "/api/v1/tokens",
        &cookie,
        Some(("application/json", b"{not json".to_vec())),
    )
    .await;
    assert_eq!(s, 403);
    // With the header → created.
    let ok = [
        ("cookie", b.cookie.as_str()),
        ("x-csrf-token", b.csrf.as_str()),
    ];
    let (s, _, v) = post(app, "/api/v1/tokens", &ok, &body).await;
    assert_eq!(s, 201, "{v}");
    let secret = v["token"].as_str().unwrap().to_owned();
    // Safe methods need no token.
    let (s, _, _) = send(app, reqwest::Method::GET, "/api/v1/tokens", &cookie, None).await;
    assert_eq!(s, 200);
    // Bearer requests need no CSRF token.
    let bearer = format!("Bearer {secret}");
    let (s, _, v) = post(
        app,
        "/api/v1/tokens",
        &[("authorization", &bearer)],
        &json!({"name": "by token"}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    // Form posts: the token as form field.
    let (s, _, _) = send(
        app,
        reqwest::Method::POST,
        "/logout",
        &cookie,
        Some(("application/x-www-form-urlencoded", b"x=1".to_vec())),
    )
    .await;
    assert_eq!(s, 403, "logout form without csrf_token");
    let (s, _, _) = send(
        app,
        reqwest::Method::POST,
        "/logout",
        &cookie,
        Some((
            "application/x-www-form-urlencoded",
            b"csrf_token=not-it".to_vec(),
        )),
    )
    .await;
    assert_eq!(s, 403, "logout form with a wrong csrf_token");
    let (s, h, _) = send(
        app,
        reqwest::Method::POST,
        "/logout",
        &cookie,
        Some((
            "application/x-www-form-urlencoded",
            format!("csrf_token={}", b.csrf).into_bytes(),
        )),
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(h["location"], "/login");
    let removal = set_cookie(&h).unwrap();
    assert!(removal.starts_with("comeback_session=;"), "{removal}");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    // The session is gone server-side.
    let (s, _, _) = send(app, reqwest::Method::GET, "/api/v1/me", &cookie, None).await;
    assert_eq!(s, 401);
    // Another session of the same user cannot be used with the first one's CSRF token.
    let b2 = login(app, &email, &password).await;
    assert_ne!(b2.csrf, b.csrf);
    let mixed = [
        ("cookie", b2.cookie.as_str()),
        ("x-csrf-token", b.csrf.as_str()),
    ];
    assert_eq!(post(app, "/api/v1/tokens", &mixed, &body).await.0, 403);
    // JSON logout with the header → 204.
    let ok2 = [
        ("cookie", b2.cookie.as_str()),
        ("x-csrf-token", b2.csrf.as_str()),
    ];
    let (s, _, _) = post(app, "/logout", &ok2, &json!({})).await;
    assert_eq!(s, 204);
    assert!(audit_actions(app).await.contains(&"auth.logout".to_owned()));
    // An expired session is refused.
    let u = app.store.user_by_email(&email).await.unwrap().unwrap();
    let expired = app
        .store
        .create_session(
            u.id,
            chrono::Utc::now() - chrono::Duration::hours(2),
            std::time::Duration::from_secs(3600),
        )
        .await
        .unwrap();
    let c = format!("comeback_session={}", expired.token);
    let (s, _, _) = send(
        app,
        reqwest::Method::GET,
        "/api/v1/me",
        &[("cookie", &c)],
        None,
    )
    .await;
    assert_eq!(s, 401);
}
auth_test!(session_csrf, session_cookie_and_csrf);

async fn tokens_hashed_shown_once_revocable(app: &TestApp) {
    let admin = app.admin().await;
    let (s, v) = app
        .post_json("/api/v1/tokens", &json!({"name": "ci"}), Some(&admin))
        .await;
    assert_eq!(s, 201, "{v}");
    let secret = v["token"].as_str().unwrap().to_owned();
    let id = v["id"].as_i64().unwrap();
    assert!(secret.starts_with(v["prefix"].as_str().unwrap()));
    assert_eq!(secret.len(), 81, "{secret}");
    // Listed without the secret, ever.
    let (s, list) = app.get("/api/v1/tokens", Some(&admin)).await;
    assert_eq!(s, 200);
    let text = list.to_string();
    assert!(!text.contains(&secret[17..]), "{text}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("token").is_none())
    );
    assert!(list.as_array().unwrap().iter().any(|t| t["id"] == id));
    // The row holds the SHA-256 of the secret, not the secret (SQLite: read the row and
    // the database files).
    if let Some(path) = app.settings.database_url.strip_prefix("sqlite://") {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&app.settings.database_url)
            .await
            .unwrap();
        let (hash, prefix): (String, String) =
            sqlx::query_as("SELECT token_hash, prefix FROM api_tokens WHERE id = ?")
                .bind(id)
                .fetch_one(&mut c)
                .await
                .unwrap();
        assert_eq!(hash, sha256_hex(&secret));
        assert_eq!(prefix, &secret[..16]);
        c.close().await.unwrap();
        for f in [path.to_owned(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&f) {
                let needle = &secret.as_bytes()[17..];
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "secret found in {f}"
                );
            }
        }
    }
    // Usable, then revoked.
    let (s, me) = app.get("/api/v1/me", Some(&secret)).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["role"], "admin");
    assert!(me.get("csrf_token").is_none());
    let (s, _, _) = send(
        app,
        reqwest::Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        &[("authorization", &format!("Bearer {admin}"))],
        None,
    )
    .await;
    assert_eq!(s, 204);
    assert_eq!(app.get("/api/v1/me", Some(&secret)).await.0, 401);
    // Someone else's token cannot be revoked by a staff member (404, not 204).
    let staff = app.token(Role::Staff).await;
    let (s, _, _) = send(
        app,
        reqwest::Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        &[("authorization", &format!("Bearer {staff}"))],
        None,
    )
    .await;
    assert_eq!(s, 404);
    // Malformed bearer values → 401.
    assert_eq!(app.get("/api/v1/me", Some("cbt_nonsense")).await.0, 401);
    let actions = audit_actions(app).await;
    assert!(actions.contains(&"token.create".to_owned()), "{actions:?}");
    assert!(actions.contains(&"token.revoke".to_owned()), "{actions:?}");
}
auth_test!(tokens, tokens_hashed_shown_once_revocable);

async fn lockout_reset_and_generic_errors(app: &TestApp) {
    let (admin_email, admin_password) = setup_admin(app).await;
    let admin = login(app, &admin_email, &admin_password).await;
    let admin_h = [
        ("cookie", admin.cookie.as_str()),
        ("x-csrf-token", admin.csrf.as_str()),
    ];
    // The admin creates a user: a temporary password, shown once.
    let (s, _, v) = post(
        app,
        "/api/v1/users",
        &admin_h,
        &json!({"email": "Ann@Example.com", "role": "staff"}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["user"]["email"], "ann@example.com");
    assert_eq!(v["user"]["must_change_password"], true);
    let user_id = v["user"]["id"].as_i64().unwrap();
    let temp = v["temporary_password"].as_str().unwrap().to_owned();
    assert_eq!(temp.chars().count(), 20);
    // The temporary password must be changed before anything else.
    let (s, _, v) = post(
        app,
        "/login",
        &[],
        &json!({"email": "ann@example.com", "password": temp}),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["error"]["code"], "password_change_required");
    let new_pw = "ann's own pass phrase";
    let (s, _, v) = post(
        app,
        "/password",
        &[],
        &json!({"email": "ann@example.com", "password": temp, "new_password": "short"}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let (s, h, v) = post(
        app,
        "/password",
        &[],
        &json!({"email": "ann@example.com", "password": temp, "new_password": new_pw}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(set_cookie(&h).is_some());
    assert!(v["csrf_token"].is_string(), "{v}");

    // Unknown e-mail and wrong password get the same answer.
    let unknown = post(
        app,
        "/login",
        &[],
        &json!({"email": "nobody@example.com", "password": "whatever it is"}),
    )
    .await;
    let policy = app.settings.auth.lockout_failures;
    let mut wrong = None;
    for _ in 0..policy {
        let r = post(
            app,
            "/login",
            &[],
            &json!({"email": "ann@example.com", "password": "not her password"}),
        )
        .await;
        assert_eq!(r.0, 401, "{}", r.2);
        assert!(set_cookie(&r.1).is_none());
        wrong = Some(r);
    }
    let wrong = wrong.unwrap();
    assert_eq!(unknown.0, wrong.0);
    assert_eq!(unknown.2, wrong.2);
    assert_eq!(wrong.2["error"]["message"], "wrong e-mail or password");
    // Locked: the right password is refused with the same answer.
    let locked = post(
        app,
        "/login",
        &[],
        &json!({"email": "ann@example.com", "password": new_pw}),
    )
    .await;
    assert_eq!(locked.0, 401);
    assert_eq!(locked.2, wrong.2);
    let u = app
        .store
        .user_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(u.is_locked(chrono::Utc::now()));
    let actions = audit_actions(app).await;
    for a in [
        "auth.lockout",
        "auth.login_failed",
        "auth.login",
        "user.create",
        "auth.login_refused_locked",
    ] {
        assert!(
            actions.contains(&a.to_owned()),
            "{a} missing in {actions:?}"
        );
    }
    // The admin resets the password: lock cleared, a new temporary password.
    let (s, _, v) = post(
        app,
        &format!("/api/v1/users/{user_id}/password-reset"),
        &admin_h,
        &json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let temp2 = v["temporary_password"].as_str().unwrap().to_owned();
    assert_ne!(temp2, temp);
    let (s, _, v) = post(
        app,
        "/login",
        &[],
        &json!({"email": "ann@example.com", "password": temp2}),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    let u = app
        .store
        .user_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(!u.is_locked(chrono::Utc::now()));
    assert!(u.password_hash.unwrap().starts_with("temporary:$argon2id$"));
    assert!(
        audit_actions(app)
            .await
            .contains(&"user.password_reset".to_owned())
    );
    // Role change by the admin, audited; the last admin keeps the role.
    let (s, _, v) = send(
        app,
        reqwest::Method::PATCH,
        &format!("/api/v1/users/{user_id}"),
        &admin_h,
        Some(("application/json", br#"{"role":"manager"}"#.to_vec())),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v.contains("\"role\":\"manager\""), "{v}");
    assert!(
        audit_actions(app)
            .await
            .contains(&"user.role_change".to_owned())
    );
    let me = app
        .store
        .user_by_email(&admin_email)
        .await
        .unwrap()
        .unwrap();
    let (s, _, v) = send(
        app,
        reqwest::Method::PATCH,
        &format!("/api/v1/users/{}", me.id.0),
        &admin_h,
        Some(("application/json", br#"{"role":"staff"}"#.to_vec())),
    )
    .await;
    assert_eq!(s, 409, "{v}");
}
auth_test!(lockout, lockout_reset_and_generic_errors);

async fn manager_scoping(app: &TestApp) {
    for code in ["north", "south"] {
        app.store
            .upsert_location(&Location {
                code: code.to_owned(),
                name: None,
                time_zone: "Europe/Helsinki".to_owned(),
            })
            .await
            .unwrap();
    }
    let admin = app.admin().await;
    let mut ids = Vec::new();
    for (email, role, loc) in [
        ("m@example.com", "manager", "north"),
        ("s1@example.com", "staff", "north"),
        ("s2@example.com", "staff", "south"),
    ] {
        let (s, v) = app
            .post_json(
                "/api/v1/users",
                &json!({"email": email, "role": role, "locations": [loc]}),
                Some(&admin),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        ids.push(v["user"]["id"].as_i64().unwrap());
    }
    let (s, v) = app
        .post_json(
            "/api/v1/users",
            &json!({"email": "x@example.com", "role": "staff", "locations": ["east"]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    // Give the manager a token of their own and list users.
    let m = app
        .store
        .user_by_email("m@example.com")
        .await
        .unwrap()
        .unwrap();
    let secret = app
        .store
        .create_api_token(m.id, "m", chrono::Utc::now())
        .await
        .unwrap()
        .secret;
    // Tokens of a user with a temporary password are refused until it is changed.
    let (s, v) = app.get("/api/v1/users", Some(&secret)).await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["error"]["message"], "forbidden: password change required");
    let hash = comeback_server::auth::password::PasswordHasherConfig::new(
        comeback_server::auth::password::Argon2Params::INSECURE_FOR_TESTS,
        12,
    )
    .hash(&comeback_server::auth::password::Password::new(
        "manager pass phrase",
    ))
    .unwrap();
    app.store.set_password_hash(m.id, &hash).await.unwrap();
    let (s, v) = app.get("/api/v1/users", Some(&secret)).await;
    assert_eq!(s, 200, "{v}");
    let emails: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["m@example.com", "s1@example.com"]);
    let (s, v) = app.get("/api/v1/users", Some(&admin)).await;
    assert_eq!(s, 200);
    assert_eq!(v.as_array().unwrap().len(), 4);
}
auth_test!(scoping, manager_scoping);

/// Throttling is in-memory and backend-independent: SQLite only, with low rates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_throttle_answers_429() {
    let app = TestApp::sqlite_with(|s| {
        let mut s = cheap(s);
        s.auth.login_rate_per_account = 3;
        s
    })
    .await;
    let body = json!({"email": "who@example.com", "password": "guess guess guess"});
    for _ in 0..3 {
        assert_eq!(post(&app, "/login", &[], &body).await.0, 401);
    }
    let (s, h, v) = post(&app, "/login", &[], &body).await;
    assert_eq!(s, 429, "{v}");
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    // Another account is not affected.
    let other = json!({"email": "else@example.com", "password": "guess guess guess"});
    assert_eq!(post(&app, "/login", &[], &other).await.0, 401);
    app.cleanup().await;
}

/// One client address trying many accounts is throttled too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn address_throttle_answers_429() {
    let app = TestApp::sqlite_with(|s| {
        let mut s = cheap(s);
        s.auth.login_rate_per_ip = 4;
        s
    })
    .await;
    for i in 0..4 {
        let body = json!({"email": format!("u{i}@example.com"), "password": "guess guess guess"});
        assert_eq!(post(&app, "/login", &[], &body).await.0, 401);
    }
    let body = json!({"email": "u9@example.com", "password": "guess guess guess"});
    let (s, h, v) = post(&app, "/login", &[], &body).await;
    assert_eq!(s, 429, "{v}");
    assert!(h.contains_key("retry-after"));
    app.cleanup().await;
}

/// Forms without JavaScript: the login page, a form login with redirect, a failed form
/// login re-rendering the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_login_form() {
    let app = TestApp::sqlite_with(cheap).await;
    let (email, password) = setup_admin(&app).await;
    let (s, _, page) = send(&app, reqwest::Method::GET, "/login", &[], None).await;
    assert_eq!(s, 200);
    assert!(page.contains("name=\"password\""));
    let form = |pw: &str| {
        Some((
            "application/x-www-form-urlencoded",
            format!(
                "email={}&password={}",
                email.replace('@', "%40"),
                pw.replace(' ', "+")
            )
            .into_bytes(),
        ))
    };
    let (s, h, page) = send(
        &app,
        reqwest::Method::POST,
        "/login",
        &[],
        form("nope nope nope"),
    )
    .await;
    assert_eq!(s, 401);
    assert!(set_cookie(&h).is_none());
    assert!(page.contains("wrong e-mail or password"), "{page}");
    let (s, h, _) = send(&app, reqwest::Method::POST, "/login", &[], form(&password)).await;
    assert_eq!(s, 303);
    assert_eq!(h["location"], "/");
    assert!(set_cookie(&h).is_some());
    app.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// The captured log.

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs a process-wide subscriber at TRACE level writing into a buffer (once).
fn capture_log() -> Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let c = Captured::default();
        let w = c.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || w.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global tracing subscriber in this test binary");
        c
    })
    .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_contains_no_secrets() {
    let log = capture_log();
    let app = TestApp::sqlite_with(cheap).await;
    let setup_token = app.store.admin_setup_token().await.unwrap().unwrap();
    let (s, _, _) = send(
        &app,
        reqwest::Method::GET,
        &format!("/setup?token={setup_token}"),
        &[],
        None,
    )
    .await;
    assert_eq!(s, 200);
    let password = "log test admin password";
    let (s, _, _) = post(
        &app,
        "/setup",
        &[],
        &json!({"token": setup_token, "email": "log@example.com", "password": password}),
    )
    .await;
    assert_eq!(s, 201);
    let wrong_password = "log test wrong password";
    assert_eq!(
        post(
            &app,
            "/login",
            &[],
            &json!({"email": "log@example.com", "password": wrong_password})
        )
        .await
        .0,
        401
    );
    let b = login(&app, "log@example.com", password).await;
    let h = [
        ("cookie", b.cookie.as_str()),
        ("x-csrf-token", b.csrf.as_str()),
    ];
    let (s, _, v) = post(&app, "/api/v1/tokens", &h, &json!({"name": "log"})).await;
    assert_eq!(s, 201);
    let secret = v["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&secret)).await.0, 200);
    let (s, _, v) = post(
        &app,
        "/api/v1/users",
        &h,
        &json!({"email": "u@example.com", "role": "staff"}),
    )
    .await;
    assert_eq!(s, 201);
    let temp = v["temporary_password"].as_str().unwrap().to_owned();
    let new_pw = "log test new password";
    let (s, _, _) = post(
        &app,
        "/password",
        &[],
        &json!({"email": "u@example.com", "password": temp, "new_password": new_pw}),
    )
    .await;
    assert_eq!(s, 200);
    // A failing request whose body holds a password (422: the value is not echoed).
    let (s, _, v) = post(
        &app,
        "/setup",
        &[],
        &json!({"token": 5, "password": password}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(!v.to_string().contains(password));
    app.cleanup().await;

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    // The capture works: the requests and the set-up are in it.
    assert!(
        text.contains("/api/v1/tokens"),
        "log capture is empty or incomplete"
    );
    assert!(text.contains("first admin created"), "{text}");
    let session = b.cookie.trim_start_matches("comeback_session=");
    for (what, secret) in [
        ("set-up token", setup_token.as_str()),
        ("password", password),
        ("wrong password", wrong_password),
        ("api token", &secret[17..]),
        ("session id", session),
        ("csrf token", b.csrf.as_str()),
        ("temporary password", temp.as_str()),
        ("new password", new_pw),
    ] {
        assert!(!text.contains(secret), "{what} found in the log");
    }
}
