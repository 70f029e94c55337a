//! The server's pages in a real browser: headless Chromium driven over the DevTools
//! protocol ([`cdp`]), against the real application on port 0 over a fresh SQLite file.
//!
//! Enabled by `COMEBACK_TEST_BROWSER=/path/to/chromium`. Without it each test prints
//! `SKIPPED <test>: COMEBACK_TEST_BROWSER not set` and passes — unless `CI` is set, then it
//! fails, so CI cannot silently skip the browser.
//!
//! Every page a test visits is checked the same way ([`Visit::check`]): no console error,
//! uncaught exception or browser log error; on the phone viewport no horizontal overflow
//! (`document.scrollingElement.scrollWidth ≤ innerWidth`); a screenshot is saved under
//! Cargo's `target/tmp/browser/` for a human look (not committed).

mod cdp;
mod complaints;
mod complaints_staff;
mod people;
mod surveys;
mod voice;

use std::path::{Path, PathBuf};

use cdp::{Chromium, DESKTOP, PHONE, Viewport};
use serde_json::json;

use crate::helpers::TestApp;

/// The browser to use, or `None` (after printing SKIPPED) when the test is disabled.
fn browser(test: &str) -> Option<PathBuf> {
    match std::env::var_os("COMEBACK_TEST_BROWSER") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: COMEBACK_TEST_BROWSER must be set when CI is set (path to chromium)"
            );
            // Straight to the process's stderr, past the test harness's capture.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED {test}: COMEBACK_TEST_BROWSER not set"
            );
            None
        }
    }
}

/// Where screenshots go: `target/tmp/browser/<test>/`.
fn shots(test: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(test)
}

/// Path of a file in the repository's `data/` folder.
fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// A browser session on one viewport with the checks every page gets.
struct Visit {
    c: Chromium,
    base: String,
    view: Viewport,
    dir: PathBuf,
    shots: usize,
}

impl Visit {
    fn new(browser: &Path, base: &str, view: Viewport, test: &str) -> Visit {
        let mut c = Chromium::launch(browser);
        c.set_viewport(view);
        let kind = if view.mobile { "phone" } else { "desktop" };
        let dir = shots(test).join(kind);
        let _ = std::fs::remove_dir_all(&dir);
        Visit {
            c,
            base: base.to_owned(),
            view,
            dir,
            shots: 0,
        }
    }

    fn goto(&mut self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.c.goto(&url);
    }

    /// The checks of every page: no console or log errors, no horizontal overflow on a
    /// phone, and a screenshot named `name`.
    fn check(&mut self, name: &str) {
        let url = self.c.url();
        let problems = self.c.take_problems();
        assert!(
            problems.is_empty(),
            "{name} ({url}, {}×{}): {problems:#?}",
            self.view.width,
            self.view.height
        );
        let overflow = self
            .c
            .eval("[document.scrollingElement.scrollWidth, window.innerWidth]");
        let (scroll, inner) = (overflow[0].as_f64().unwrap(), overflow[1].as_f64().unwrap());
        assert!(
            scroll <= inner,
            "{name} ({url}): horizontal overflow at {}×{}: scrollWidth {scroll} > innerWidth {inner}; widest: {}",
            self.view.width,
            self.view.height,
            self.c.eval(WIDEST)
        );
        self.shots += 1;
        let file = self.dir.join(format!("{:02}-{name}.png", self.shots));
        self.c.screenshot(&file);
    }
}

/// JavaScript naming the elements that stick out to the right of the viewport.
const WIDEST: &str = "[...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 5).map(e => e.tagName + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')";

/// The first admin created through the one-time set-up link in the browser, then logged in
/// through the login form; returns the e-mail and password.
fn setup_and_login(v: &mut Visit, setup_link: &str) -> (String, String) {
    let (email, password) = ("owner@example.com", "a long enough pass phrase");
    v.c.goto(setup_link);
    v.check("setup");
    v.c.type_into("input[name=email]", email);
    v.c.type_into("input[name=password]", password);
    v.c.click_and_wait("button[type=submit]");
    assert!(v.c.url().ends_with("/login"), "after set-up: {}", v.c.url());
    v.check("login");
    v.c.type_into("input[name=email]", email);
    v.c.type_into("input[name=password]", password);
    v.c.click_and_wait("button[type=submit]");
    (email.to_owned(), password.to_owned())
}

/// An admin with a password, made in the store (for tests that are not about the set-up
/// link); returns (e-mail, password).
async fn admin_with_password(app: &TestApp) -> (String, String) {
    use comeback_server::auth::AuthState;
    use comeback_server::auth::password::Password;
    let (email, password) = ("admin@example.com", "a long enough pass phrase");
    let hash = AuthState::new(&app.settings.auth)
        .hasher
        .hash(&Password::new(password))
        .unwrap();
    app.store
        .create_user(&comeback_store::NewUser {
            email: email.to_owned(),
            role: comeback_store::Role::Admin,
            password_hash: Some(hash),
        })
        .await
        .unwrap();
    (email.to_owned(), password.to_owned())
}

/// Logs in through the login form; panics unless it leads away from `/login`.
fn login(v: &mut Visit, email: &str, password: &str) {
    v.goto("/login");
    v.c.type_into("input[name=email]", email);
    v.c.type_into("input[name=password]", password);
    v.c.click_and_wait("button[type=submit]");
    let url = v.c.url();
    assert!(
        !url.contains("/login"),
        "login failed: {url}: {}",
        v.c.text()
    );
}

/// How `data/CDNOW_sample.txt` is read (no header; sample id, date and dollar value are
/// columns 2, 3 and 5; dates `%Y%m%d`).
const CDNOW_QUERY: &str =
    "header=false&customer_col=2&date_col=3&amount_col=5&date_format=%25Y%25m%25d&currency=USD";

/// Uploads the CDNOW sample through the API as a fresh admin token's owner, refits and
/// waits for the scores.
async fn upload_sample_api(app: &TestApp) {
    let admin = app.admin().await;
    let bytes = std::fs::read(data_path("CDNOW_sample.txt")).unwrap();
    let path = format!("/api/v1/uploads/transactions?{CDNOW_QUERY}");
    let (s, v) = app.post_raw(&path, "text/plain", bytes, Some(&admin)).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post_json("/api/v1/model/refit", &json!({}), Some(&admin))
        .await;
    assert!(s < 300 || s == 409, "{s} {v}");
    wait_for_scores(app, &admin).await;
}

/// Polls `/api/v1/model` until a refit has succeeded and nothing stored is left out.
async fn wait_for_scores(app: &TestApp, token: &str) {
    let mut last = serde_json::Value::Null;
    for _ in 0..1200 {
        let (s, v) = app.get("/api/v1/model", Some(token)).await;
        assert_eq!(s, 200, "{v}");
        if v["refit"] == "succeeded" && v["stale"] == false {
            return;
        }
        last = v;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no fresh scores within 120 s: {last}");
}

/// From the logged-in browser: asks for a refit (the session's CSRF token in the header)
/// unless fresh scores are there, and polls `/api/v1/model` until they are.
fn wait_for_scores_browser(v: &mut Visit) {
    let start = std::time::Instant::now();
    let mut asked = false;
    loop {
        let m = v.c.eval("fetch('/api/v1/model').then(r => r.json())");
        if m["refit"] == "succeeded" && m["stale"] == false {
            return;
        }
        if m["refit"] != "running" && !asked {
            let s = v.c.eval(
                "fetch('/api/v1/me').then(r => r.json()).then(me => fetch('/api/v1/model/refit', {
                   method: 'POST', headers: {'X-CSRF-Token': me.csrf_token, 'Content-Type': 'application/json'},
                   body: '{}'})).then(r => r.status)",
            );
            assert!(
                s.as_u64().is_some_and(|s| s < 300 || s == 409),
                "refit: {s}"
            );
            asked = true;
        }
        assert!(start.elapsed() < cdp::TIMEOUT * 2, "no fresh scores: {m}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// `/api/v1/me` as the logged-in browser sees it.
fn me(v: &mut Visit) -> serde_json::Value {
    v.c.eval("fetch('/api/v1/me').then(r => r.json())")
}

async fn first_run(view: Viewport, test: &str) {
    let Some(chromium) = browser(test) else {
        return;
    };
    let app = TestApp::sqlite_with(crate::auth::cheap).await;
    let token = app.store.admin_setup_token().await.unwrap().unwrap();
    let link = app.url(&format!("/setup?token={token}"));
    let base = app.base.clone();
    let test = test.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut v = Visit::new(&chromium, &base, view, &test);
        let (email, _) = setup_and_login(&mut v, &link);
        // The login form leads to the dashboard's start page.
        let url = v.c.url();
        assert!(url.ends_with('/'), "after login: {url}");
        v.check("start-page");
        v.goto("/login");
        let me = me(&mut v);
        assert_eq!(me["email"], json!(email), "{me}");
        assert_eq!(me["role"], json!("admin"), "{me}");
        v.check("after-login");
    })
    .await
    .unwrap();
    app.cleanup().await;
}

/// First run on a desktop: the set-up link's form creates the admin, the login form logs
/// them in (the session cookie works: `/api/v1/me` names them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_desktop() {
    first_run(DESKTOP, "first_run_desktop").await;
}

/// The same on a phone (390 × 844, touch: taps, not clicks; no horizontal overflow).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_phone() {
    first_run(PHONE, "first_run_phone").await;
}

/// The morning round on `view`: log in, see the empty overview, upload the CDNOW sample
/// through the upload form and see the overview update, open the model page, find a customer through the
/// at-risk list and the customer search, and download the at-risk list as CSV — each
/// page without console errors (and without horizontal overflow on the phone).
async fn dashboard_round(view: Viewport, test: &str) {
    let Some(chromium) = browser(test) else {
        return;
    };
    let app = TestApp::sqlite_with(crate::auth::cheap).await;
    let (email, password) = admin_with_password(&app).await;
    let base = app.base.clone();
    let test_name = test.to_owned();
    let chromium2 = chromium.clone();
    // Before the data: the login form leads to the overview, which says there are no
    // scores yet.
    let v = tokio::task::spawn_blocking(move || {
        let mut v = Visit::new(&chromium2, &base, view, &test_name);
        login(&mut v, &email, &password);
        assert!(v.c.url().ends_with('/'), "after login: {}", v.c.url());
        assert!(
            v.c.text().contains("Scores are not computed yet"),
            "{}",
            v.c.text()
        );
        v.check("overview-empty");
        // Upload the CDNOW sample through the form.
        v.c.click_and_wait("a[href='/upload']");
        v.check("upload");
        v.c.type_into("#u-customer", "2");
        v.c.type_into("#u-date", "3");
        v.c.type_into("#u-amount", "5");
        v.c.select("#u-header", "no");
        v.c.type_into("#u-date-format", "%Y%m%d");
        v.c.type_into("#u-currency", "USD");
        v.c.set_file("#u-file", &data_path("CDNOW_sample.txt"));
        v.c.click_and_wait(".upload button[type=submit]");
        let result =
            v.c.eval("document.querySelector('#upload-result').textContent");
        assert!(
            result
                .as_str()
                .unwrap()
                .contains("6,919 rows read, 6,919 stored"),
            "{result}"
        );
        v.check("upload-done");
        // The dashboard's Content-Security-Policy allows no fetch(); poll from the login
        // page, which has none.
        v.goto("/login");
        wait_for_scores_browser(&mut v);
        v
    })
    .await
    .unwrap();
    let (_, list) = app
        .get("/api/v1/actions/at-risk?limit=1", Some(&app.admin().await))
        .await;
    let total = list["total"].as_u64().unwrap() as usize;
    let downloads = shots(test).join(if view.mobile {
        "phone-dl"
    } else {
        "desktop-dl"
    });
    let _ = std::fs::remove_dir_all(&downloads);
    std::fs::create_dir_all(&downloads).unwrap();
    tokio::task::spawn_blocking(move || {
        let mut v = v;
        // The overview now shows the sample's numbers.
        v.goto("/");
        let customers =
            v.c.eval("document.querySelector('[data-kpi=customers] .value').textContent");
        assert_eq!(customers, json!("2,357"));
        assert_eq!(
            v.c.eval("document.querySelectorAll('svg.chart').length"),
            json!(2)
        );
        v.check("overview");
        // In German.
        v.goto("/?lang=de");
        assert_eq!(v.c.eval("document.documentElement.lang"), json!("de"));
        assert!(v.c.text().contains("Übersicht"));
        v.check("overview-de");
        v.goto("/?lang=en");
        v.goto("/model");
        assert!(v.c.text().contains("Model in use"));
        v.check("model");
        // Retention: the survival chart by segment, the economics and the loyalty note.
        v.goto("/retention");
        assert_eq!(
            v.c.eval("document.querySelectorAll('svg.chart').length"),
            json!(1)
        );
        assert!(v.c.exists("[data-econ=customers_lost]"));
        assert!(v.c.text().contains("Log-rank test of equal survival"));
        v.check("retention");
        // Subscriptions through the second form on /upload, then their cohorts; the
        // options form works without JavaScript.
        v.goto("/upload");
        v.c.set_file("#s-file", &data_path("examples/subscriptions/fh2007.csv"));
        v.c.click_and_wait("form[action='/upload/subscriptions'] button[type=submit]");
        let result =
            v.c.eval("document.querySelector('#subs-result').textContent");
        assert!(
            result
                .as_str()
                .unwrap()
                .contains("2,000 subscriptions read, 2,000 new"),
            "{result}"
        );
        v.check("upload-subscriptions");
        v.c.click_and_wait("a[href='/cohorts']");
        // A date input takes no typed text over CDP; set it as a date picker would.
        v.c.eval("document.querySelector('#c-end').value = '2020-09-15'");
        v.c.select("#c-react", "count");
        v.c.click_and_wait(".options button[type=submit]");
        assert!(v.c.url().contains("reactivation=count"), "{}", v.c.url());
        assert_eq!(
            v.c.eval(
                "document.querySelector('[data-cohort=\"2020-01\"] [data-sbg=alpha]').textContent"
            ),
            json!("0.704")
        );
        assert_eq!(
            v.c.eval("document.querySelectorAll('[data-cohort] tbody tr[data-month]').length"),
            json!(16)
        );
        v.check("cohorts");
        // The at-risk list, then its first customer.
        v.c.click_and_wait("a[href='/lists/at-risk']");
        v.check("at-risk");
        let first: String =
            v.c.eval("document.querySelector('#list tbody a').textContent")
                .as_str()
                .unwrap()
                .to_owned();
        v.c.click_and_wait("#list tbody a");
        assert!(
            v.c.url().ends_with(&format!("/customers/{first}")),
            "{}",
            v.c.url()
        );
        assert!(v.c.exists("#scores"));
        assert!(v.c.exists("#timeline tbody tr"));
        v.check("customer");
        // The customer search finds them; the filters form works without JavaScript.
        v.goto("/customers");
        v.c.type_into("#f-q", &first);
        v.c.select("#f-stage", "at_risk");
        v.c.click_and_wait(".filters button[type=submit]");
        assert!(v.c.url().contains("stage=at_risk"), "{}", v.c.url());
        let ids = v
            .c
            .eval("[...document.querySelectorAll('#customers tbody a')].map(a => a.textContent)");
        assert!(ids.as_array().unwrap().contains(&json!(first)), "{ids}");
        v.check("customers");
        // The whole at-risk list as CSV.
        v.goto("/lists/at-risk");
        v.c.allow_downloads(&downloads);
        v.c.click("a.button[download]");
        let file = v.c.wait_download(&downloads);
        assert!(
            file.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("at-risk-")
        );
        let mut r = csv::Reader::from_path(&file).unwrap();
        assert_eq!(&r.headers().unwrap()[1], "external_id");
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), total);
        assert_eq!(&rows[0][1], first.as_str());
        v.check("at-risk-after-download");
    })
    .await
    .unwrap();
    app.cleanup().await;
}

/// The dashboard round on a desktop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_desktop() {
    dashboard_round(DESKTOP, "dashboard_desktop").await;
}

/// The dashboard round on a phone (390 × 844, taps).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_phone() {
    dashboard_round(PHONE, "dashboard_phone").await;
}
