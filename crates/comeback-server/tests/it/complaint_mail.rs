//! Complaint e-mails and the daily digest (issue 9, ISO 10002 §7.3) against a local SMTP
//! capture ([`super::smtp_sink`]), with the clock injected into `Mail::run_once`: the
//! background check is set to an hour so that only the test's calls send. Both backends.

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use comeback_server::Settings;
use serde_json::json;

use super::helpers::TestApp;
use super::smtp_sink::{Captured, SmtpSink};

fn settings(port: u16) -> impl FnOnce(Settings) -> Settings {
    move |mut s| {
        s.public_url = Some("https://shop.example".to_owned());
        s.mail.smtp_host = Some("127.0.0.1".to_owned());
        s.mail.smtp_port = port;
        s.mail.smtp_from = Some("Shop Care <care@shop.example>".to_owned());
        s.mail.smtp_username = Some("mailer".to_owned());
        s.mail.smtp_password = Some("s3cret".to_owned());
        s.mail.smtp_timeout_secs = 5;
        s.mail.check_ms = 3_600_000;
        s.mail.max_attempts = 3;
        s.mail.retry_base_secs = 60;
        s.mail.digest_language = "de".to_owned();
        s
    }
}

/// Runs `$check(TestApp, SmtpSink) -> TestApp` on SQLite and PostgreSQL with the mail
/// settings pointing at a fresh sink.
macro_rules! mail_test {
    ($name:ident, $check:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let sink = $crate::smtp_sink::SmtpSink::start().await;
                let app = $crate::helpers::TestApp::sqlite_with(super::settings(sink.port)).await;
                let app = super::$check(app, sink).await;
                app.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let name = concat!(module_path!(), "::postgres");
                let sink = $crate::smtp_sink::SmtpSink::start().await;
                let Some(app) =
                    $crate::helpers::TestApp::postgres_with(name, super::settings(sink.port)).await
                else {
                    return;
                };
                let app = super::$check(app, sink).await;
                app.cleanup().await;
            }
        }
    };
}

async fn customers(app: &TestApp, token: &str) {
    let (s, b) = app
        .post_json(
            "/api/v1/customers:batch",
            &json!({"customers": [
                {"external_id": "A", "email": "aino@example.com", "language": "fi"},
                {"external_id": "B", "email": "bruna@example.com", "language": "pt-BR"},
                {"external_id": "C"},
                {"external_id": "D", "email": "dieter@example.com", "language": "de"},
            ]}),
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn complaint(
    app: &TestApp,
    token: &str,
    reference: &str,
    customer: &str,
    extra: serde_json::Value,
) {
    let mut body = json!({
        "reference": reference,
        "channel": "phone",
        "customer": customer,
        "description": "The soup was cold and the waiter Kalle laughed",
        "category": "quality",
        "severity": "medium",
    });
    if let (Some(o), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let (s, b) = app
        .post_json("/api/v1/complaints", &body, Some(token))
        .await;
    assert_eq!(s, 201, "{b}");
}

async fn step(app: &TestApp, token: &str, reference: &str, body: serde_json::Value) {
    let (s, b) = app
        .post_json(
            &format!("/api/v1/complaints/{reference}/transitions"),
            &body,
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{body}: {b}");
}

/// One check at `now` without the digest (the admin of the test would get one): queue
/// the complaint e-mails, send what is due.
async fn check(
    mail: &comeback_server::mail::Mail,
    app: &TestApp,
    now: DateTime<Utc>,
) -> comeback_server::mail::CheckReport {
    let mut r = mail.queue_complaint_mail(&app.state, now).await.unwrap();
    let s = mail.send_due(&app.state, now).await.unwrap();
    r.sent = s.sent;
    r.retried = s.retried;
    r.given_up = s.given_up;
    r
}

fn to(messages: &[Captured], address: &str) -> Vec<Captured> {
    messages
        .iter()
        .filter(|m| m.to == [address.to_owned()])
        .cloned()
        .collect()
}

/// Status e-mails on each change in the customer's language, the interval reminders, no
/// e-mail for an escalation, a closed complaint or an erased customer, nothing internal.
async fn status_mail_and_interval(app: TestApp, sink: SmtpSink) -> TestApp {
    let mail = app.state.mail.clone().expect("mail configured");
    let admin = app.admin().await;
    // E-mails are enabled before the complaints arrive.
    let t0 = Utc::now() - TimeDelta::minutes(1);
    mail.queue_complaint_mail(&app.state, t0).await.unwrap();
    customers(&app, &admin).await;
    for (r, c) in [
        ("CB-MAILA1", "A"),
        ("CB-MAILB1", "B"),
        ("CB-MAILC1", "C"),
        ("CB-MAILD1", "D"),
    ] {
        complaint(&app, &admin, r, c, json!({})).await;
    }
    let (s, _) = app
        .post_json("/api/v1/customers/D/erase", &json!({}), Some(&admin))
        .await;
    assert_eq!(s, 204);
    let now = Utc::now() + TimeDelta::minutes(1);
    let r = check(&mail, &app, now).await;
    assert_eq!((r.status, r.reminders, r.sent), (2, 0, 2), "{r:?}");
    let m = sink.messages();
    let a = to(&m, "aino@example.com");
    let b = to(&m, "bruna@example.com");
    assert_eq!((a.len(), b.len(), m.len()), (1, 1, 2), "{m:#?}");
    // Finnish for A, Portuguese for B (pt-BR), the sender and the SMTP login.
    assert_eq!(
        a[0].subject(),
        "Olemme vastaanottaneet valituksesi CB-MAILA1"
    );
    assert_eq!(b[0].subject(), "Recebemos a sua reclamação CB-MAILB1");
    assert_eq!(a[0].from, "care@shop.example");
    assert!(a[0].header("From").unwrap().contains("care@shop.example"));
    assert_eq!(a[0].auth_user.as_deref(), Some("mailer"));
    let body = a[0].body();
    assert!(body.starts_with("Hei,\n"), "{body}");
    assert!(body.contains("viitteellä CB-MAILA1"), "{body}");
    assert!(
        body.contains("Tilanne nyt: Olemme vastaanottaneet valituksesi."),
        "{body}"
    );
    assert!(
        body.contains("https://shop.example/complaint-status/CB-MAILA1"),
        "{body}"
    );
    assert!(body.contains("vähintään 7 päivän välein"), "{body}");
    // Nothing internal: not the description, the staff, the category or the channel.
    for internal in ["soup", "Kalle", "example.com", "quality", "phone", "medium"] {
        assert!(!body.contains(internal), "{internal:?} in {body}");
    }
    // The same check again: nothing new.
    let r = check(&mail, &app, now).await;
    assert_eq!((r.status, r.reminders, r.sent), (0, 0, 0), "{r:?}");
    // A step is announced; an escalation is not.
    step(
        &app,
        &admin,
        "CB-MAILA1",
        json!({"action": "acknowledge", "apology": "Internal apology note"}),
    )
    .await;
    let now2 = Utc::now() + TimeDelta::minutes(2);
    let r = check(&mail, &app, now2).await;
    assert_eq!((r.status, r.sent), (1, 1), "{r:?}");
    let a = to(&sink.messages(), "aino@example.com");
    assert_eq!(a.len(), 2);
    assert_eq!(a[1].subject(), "Valituksesi CB-MAILA1: uutta tietoa");
    let body = a[1].body();
    assert!(
        body.contains("Tilanne nyt: Olemme pyytäneet anteeksi ja selvitämme asiaa."),
        "{body}"
    );
    assert!(!body.contains("Internal apology note"), "{body}");
    let admin_id = app
        .store
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.role == comeback_store::Role::Admin)
        .unwrap()
        .id
        .0;
    step(
        &app,
        &admin,
        "CB-MAILA1",
        json!({"action": "escalate", "to": admin_id, "reason": "needs the manager"}),
    )
    .await;
    let r = check(&mail, &app, now2).await;
    assert_eq!((r.status, r.sent), (0, 0), "escalation is internal: {r:?}");
    // The interval: nothing before 7 days since the last e-mail, then one reminder each.
    let r = check(&mail, &app, now + TimeDelta::days(6)).await;
    assert_eq!(r.reminders, 0, "{r:?}");
    let week = now2 + TimeDelta::days(7);
    let r = check(&mail, &app, week).await;
    assert_eq!(r.reminders, 2, "A and B: {r:?}");
    let r = check(&mail, &app, week).await;
    assert_eq!(r.reminders, 0, "{r:?}");
    let b = to(&sink.messages(), "bruna@example.com");
    assert_eq!(b.len(), 2);
    assert_eq!(
        b[1].subject(),
        "Continuamos a tratar a sua reclamação CB-MAILB1"
    );
    assert!(b[1].body().contains("continua aberta"), "{}", b[1].body());
    let r = check(&mail, &app, week + TimeDelta::days(6)).await;
    assert_eq!(r.reminders, 0, "{r:?}");
    let r = check(&mail, &app, week + TimeDelta::days(7)).await;
    assert_eq!(r.reminders, 2, "{r:?}");
    // Walk A's complaint to closed: one e-mail for all the steps since the last one.
    for body in [
        json!({"action": "take_action", "description": "new soup"}),
        json!({"action": "show_empathy", "note": "talked"}),
        json!({"action": "compensate", "kind": "gift", "note": "dessert"}),
        json!({"action": "follow_up", "satisfied": true}),
        json!({"action": "close"}),
    ] {
        step(&app, &admin, "CB-MAILA1", body).await;
    }
    let later = week + TimeDelta::days(8);
    let r = check(&mail, &app, later).await;
    assert_eq!(r.status, 1, "{r:?}");
    let a = to(&sink.messages(), "aino@example.com");
    let last = a.last().unwrap();
    assert_eq!(last.subject(), "Valituksesi CB-MAILA1 on suljettu");
    let body = last.body();
    assert!(
        body.contains("Tilanne nyt: Valituksesi on suljettu."),
        "{body}"
    );
    assert!(!body.contains("vähintään"), "no promise of updates: {body}");
    assert!(!body.contains("dessert"), "{body}");
    // Closed: no more reminders for A; B goes on.
    let n_a = a.len();
    let r = check(&mail, &app, later + TimeDelta::days(30)).await;
    assert_eq!(r.reminders, 1, "B only: {r:?}");
    assert_eq!(to(&sink.messages(), "aino@example.com").len(), n_a);
    // The erased customer and the customer without an address never got anything.
    assert!(to(&sink.messages(), "dieter@example.com").is_empty());
    app
}

mail_test!(status_mail_and_interval_both, status_mail_and_interval);

/// A refused attempt is retried after the back-off, once accepted never sent again, and
/// a message waiting for its retry survives a restart of the server; a permanent refusal
/// gives up at once.
async fn retry_and_restart(app: TestApp, sink: SmtpSink) -> TestApp {
    let mail = app.state.mail.clone().unwrap();
    let admin = app.admin().await;
    let t0 = Utc::now() - TimeDelta::minutes(1);
    mail.queue_complaint_mail(&app.state, t0).await.unwrap();
    customers(&app, &admin).await;
    complaint(&app, &admin, "CB-RETRY1", "A", json!({})).await;
    sink.refuse_next(&[451]);
    let t = Utc::now() + TimeDelta::minutes(1);
    let r = check(&mail, &app, t).await;
    assert_eq!((r.status, r.sent, r.retried), (1, 0, 1), "{r:?}");
    assert!(sink.messages().is_empty());
    let e = app.store.emails(10).await.unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].attempt, 2);
    assert!(e[0].last_error.as_deref().unwrap().contains("451"), "{e:?}");
    // Not due before the back-off (60 s after the first attempt).
    let r = check(&mail, &app, t + TimeDelta::seconds(59)).await;
    assert_eq!(r.sent + r.retried, 0, "{r:?}");
    // A restart: the message is in the database, not in memory.
    let app = app.restart().await;
    let mail = app.state.mail.clone().unwrap();
    let r = check(&mail, &app, t + TimeDelta::seconds(61)).await;
    assert_eq!((r.sent, r.status), (1, 0), "{r:?}");
    let r = check(&mail, &app, t + TimeDelta::hours(1)).await;
    assert_eq!(r.sent, 0, "{r:?}");
    let m = sink.messages();
    assert_eq!(m.len(), 1, "sent once: {m:#?}");
    assert_eq!(
        m[0].subject(),
        "Olemme vastaanottaneet valituksesi CB-RETRY1"
    );
    let e = app.store.emails(10).await.unwrap();
    assert!(e[0].sent_at.is_some() && e[0].failed_at.is_none(), "{e:?}");
    // A permanent refusal is not retried.
    complaint(&app, &admin, "CB-RETRY2", "B", json!({})).await;
    sink.refuse_next(&[550]);
    let t2 = Utc::now() + TimeDelta::minutes(2);
    let r = check(&mail, &app, t2).await;
    assert_eq!((r.status, r.given_up, r.sent), (1, 1, 0), "{r:?}");
    let r = check(&mail, &app, t2 + TimeDelta::days(1)).await;
    assert_eq!(r.sent + r.retried, 0, "{r:?}");
    let e = app.store.emails(10).await.unwrap();
    let failed = e
        .iter()
        .find(|x| x.dedupe_key.contains("CB-RETRY2"))
        .unwrap();
    assert!(failed.failed_at.is_some(), "{failed:?}");
    assert!(
        failed.last_error.as_deref().unwrap().contains("550"),
        "{failed:?}"
    );
    // Three temporary refusals exhaust --mail-max-attempts 3.
    complaint(&app, &admin, "CB-RETRY3", "A", json!({})).await;
    sink.refuse_next(&[451, 451, 451]);
    let t3 = Utc::now() + TimeDelta::minutes(3);
    let mut given_up = 0;
    for k in 0..4 {
        let r = check(&mail, &app, t3 + TimeDelta::hours(k)).await;
        given_up += r.given_up;
        assert_eq!(r.sent, 0, "{r:?}");
    }
    assert_eq!(given_up, 1);
    assert_eq!(sink.messages().len(), 1);
    app
}

mail_test!(retry_and_restart_both, retry_and_restart);

/// Complaints stored before e-mails were first enabled are not announced (an open one
/// gets its first reminder a week after); one received after is.
async fn nothing_before_mail_was_enabled(app: TestApp, sink: SmtpSink) -> TestApp {
    let mail = app.state.mail.clone().unwrap();
    let admin = app.admin().await;
    customers(&app, &admin).await;
    complaint(&app, &admin, "CB-OLD00001", "A", json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let t0 = Utc::now();
    let r = mail.queue_complaint_mail(&app.state, t0).await.unwrap();
    assert_eq!(r.status, 0, "{r:?}");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    complaint(&app, &admin, "CB-NEW00001", "B", json!({})).await;
    let r = check(&mail, &app, Utc::now() + TimeDelta::minutes(2)).await;
    assert_eq!((r.status, r.sent), (1, 1), "{r:?}");
    let m = sink.messages();
    assert_eq!(m.len(), 1, "{m:#?}");
    assert_eq!(m[0].subject(), "Recebemos a sua reclamação CB-NEW00001");
    // The old open complaint gets its first reminder a week after e-mails were enabled.
    let r = check(&mail, &app, t0 + TimeDelta::days(7)).await;
    assert_eq!(r.reminders, 1, "{r:?}");
    let m = sink.messages();
    assert_eq!(m.len(), 2, "{m:#?}");
    assert_eq!(
        m[1].subject(),
        "Valituksesi CB-OLD00001 on yhä käsittelyssä"
    );
    app
}

mail_test!(
    nothing_before_mail_was_enabled_both,
    nothing_before_mail_was_enabled
);

/// The daily digest: at the set local hour, once a day, to each admin and manager (not
/// staff), in the configured language, with open, late, due-today and new complaints.
async fn daily_digest(app: TestApp, sink: SmtpSink) -> TestApp {
    let mail = app.state.mail.clone().unwrap();
    let admin = app.admin().await;
    let _manager = app.token(comeback_store::Role::Manager).await;
    let _staff = app.token(comeback_store::Role::Staff).await;
    customers(&app, &admin).await;
    let now = Utc::now();
    // Late: received three days ago (critical: resolution due after 24 h).
    complaint(
        &app,
        &admin,
        "CB-LATE0001",
        "C",
        json!({"severity": "critical", "received_at": (now - TimeDelta::days(3)).to_rfc3339()}),
    )
    .await;
    complaint(&app, &admin, "CB-FRESH001", "C", json!({"severity": "low"})).await;
    // Acknowledged: only its resolution (120 h ahead) is due.
    step(
        &app,
        &admin,
        "CB-FRESH001",
        json!({"action": "acknowledge", "apology": "sorry"}),
    )
    .await;
    // The first 08:00 UTC (the business zone) at least a minute ahead.
    let mut at8: DateTime<Utc> = (now + TimeDelta::minutes(1))
        .with_minute(0)
        .unwrap()
        .with_second(0)
        .unwrap()
        .with_nanosecond(0)
        .unwrap();
    while at8.hour() != 8 || at8 <= now + TimeDelta::minutes(1) {
        at8 += TimeDelta::hours(1);
    }
    let n = mail
        .queue_digest(&app.state, at8 - TimeDelta::minutes(1))
        .await
        .unwrap();
    assert_eq!(n, 0, "before the hour");
    let n = mail.queue_digest(&app.state, at8).await.unwrap();
    assert_eq!(n, 2, "the admin and the manager");
    let n = mail
        .queue_digest(&app.state, at8 + TimeDelta::hours(3))
        .await
        .unwrap();
    assert_eq!(n, 0, "once a day");
    let r = mail.send_due(&app.state, at8).await.unwrap();
    assert_eq!(r.sent, 2);
    let m = sink.messages();
    assert_eq!(m.len(), 2);
    let users = app.store.users().await.unwrap();
    let mut expected: Vec<String> = users
        .iter()
        .filter(|u| !matches!(u.role, comeback_store::Role::Staff))
        .map(|u| u.email.clone())
        .collect();
    let mut got: Vec<String> = m.iter().flat_map(|x| x.to.clone()).collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    let date = at8.date_naive();
    assert_eq!(
        m[0].subject(),
        format!("Beschwerden am {date}: 2 offen, 1 mit überschrittener Frist, 1 neu")
    );
    let body = m[0].body();
    assert!(body.contains("Offene Beschwerden: 2"), "{body}");
    let late = body.split("Frist überschritten: 1").nth(1).expect(&body);
    let late_section = late.split("\n\n").next().unwrap();
    assert!(late_section.contains("CB-LATE0001 · Kritisch"), "{body}");
    assert!(!late_section.contains("CB-FRESH001"), "{body}");
    let new = body.split("Neu seit gestern: 1").nth(1).expect(&body);
    assert!(
        new.split("\n\n").next().unwrap().contains("CB-FRESH001"),
        "{body}"
    );
    assert!(body.contains("https://shop.example/complaints"), "{body}");
    // The next day at the hour: another digest.
    let n = mail
        .queue_digest(&app.state, at8 + TimeDelta::days(1))
        .await
        .unwrap();
    assert_eq!(n, 2);
    app
}

mail_test!(daily_digest_both, daily_digest);

/// The digest per recipient, by the complaint pages' rule (`complaint_access`): a manager
/// at HEL never reads a TKU complaint, the admin reads every one; time waiting for the
/// customer makes no complaint late or due today (the queue's `late`); the counts are the
/// database's, past the 1000 rows of one queue page (1000 open complaints due sooner do
/// not hide today's new one).
async fn digest_scope_pause_counts(app: TestApp, sink: SmtpSink) -> TestApp {
    use comeback_complaints::recovery::{Category, Channel, Deadlines, Severity};
    use comeback_report::{Lang, format::count};
    use comeback_store::{ComplaintInput, Location, Role};
    let mail = app.state.mail.clone().unwrap();
    let admin = app.admin().await;
    customers(&app, &admin).await;
    for code in ["HEL", "TKU"] {
        app.store
            .upsert_location(&Location {
                code: code.into(),
                name: None,
                time_zone: "UTC".into(),
            })
            .await
            .unwrap();
    }
    let _hel = app.token_at(Role::Manager, &["HEL"]).await;
    let now = Utc::now();
    complaint(
        &app,
        &admin,
        "CB-TKU00001",
        "C",
        json!({"location": "TKU", "severity": "critical",
               "received_at": (now - TimeDelta::days(3)).to_rfc3339()}),
    )
    .await;
    complaint(
        &app,
        &admin,
        "CB-HEL00001",
        "C",
        json!({"location": "HEL", "severity": "low"}),
    )
    .await;
    // Waiting for the customer since now, before its resolution deadline.
    complaint(
        &app,
        &admin,
        "CB-WAIT0001",
        "C",
        json!({"severity": "critical",
               "received_at": (now - TimeDelta::hours(20)).to_rfc3339()}),
    )
    .await;
    step(
        &app,
        &admin,
        "CB-WAIT0001",
        json!({"action": "acknowledge", "apology": "sorry"}),
    )
    .await;
    step(
        &app,
        &admin,
        "CB-WAIT0001",
        json!({"action": "wait_for_customer"}),
    )
    .await;
    let (s, w) = app
        .get("/api/v1/complaints/CB-WAIT0001", Some(&admin))
        .await;
    assert_eq!(s, 200, "{w}");
    let due: DateTime<Utc> = w["resolution_due"].as_str().unwrap().parse().unwrap();
    assert!(due > now, "{w}");
    // 1000 older open complaints without a location, due in two days: before the new
    // HEL complaint (due in 120 h) in the queue's order.
    for i in 0..1000 {
        app.store
            .create_complaint(
                &ComplaintInput {
                    reference: format!("CB-OLD{i:05}"),
                    received_at: now - TimeDelta::days(30),
                    channel: Channel::Phone,
                    customer: "C".into(),
                    location: None,
                    employee: None,
                    product: None,
                    description: "old".into(),
                    category: Category::Quality,
                    severity: Severity::Low,
                    remedy_requested: None,
                    owner: None,
                    deadlines: Deadlines {
                        first_response: None,
                        resolution: Some(now + TimeDelta::days(2)),
                    },
                },
                None,
            )
            .await
            .unwrap();
    }
    // The digest after the waiting complaint's deadline, at 08:00 UTC or later.
    let mut t = due + TimeDelta::minutes(1);
    if t.hour() < 8 {
        t = t
            .with_hour(8)
            .and_then(|x| x.with_minute(0))
            .and_then(|x| x.with_second(0))
            .unwrap();
    }
    assert!(
        t - now < TimeDelta::hours(23),
        "the HEL complaint is new at {t}"
    );
    assert_eq!(mail.queue_digest(&app.state, t).await.unwrap(), 2);
    assert_eq!(mail.send_due(&app.state, t).await.unwrap().sent, 2);
    let m = sink.messages();
    let by = |prefix: &str| {
        m.iter()
            .find(|x| x.to.iter().any(|a| a.starts_with(prefix)))
            .unwrap_or_else(|| panic!("no digest to {prefix}"))
            .clone()
    };
    let date = t.date_naive();
    let section = |body: &str, head: &str| -> String {
        body.split(head)
            .nth(1)
            .unwrap_or_else(|| panic!("no {head:?} in {body}"))
            .split("\n\n")
            .next()
            .unwrap()
            .to_owned()
    };
    let de = |n: u64| count(n, Lang::De);
    // The admin: every complaint; the waiting one neither late nor due today.
    let a = by("admin-");
    assert_eq!(
        a.subject(),
        format!(
            "Beschwerden am {date}: {} offen, 1 mit überschrittener Frist, 1 neu",
            de(1003)
        )
    );
    let body = a.body();
    assert!(
        body.contains(&format!("Offene Beschwerden: {}", de(1003))),
        "{body}"
    );
    let late = section(&body, "Frist überschritten: 1");
    assert!(late.contains("CB-TKU00001"), "{body}");
    assert!(!late.contains("CB-WAIT0001"), "{body}");
    assert!(
        !section(&body, "Heute fällig").contains("CB-WAIT0001"),
        "{body}"
    );
    assert!(
        section(&body, "Neu seit gestern: 1").contains("CB-HEL00001"),
        "{body}"
    );
    // The HEL manager: no TKU complaint anywhere.
    let h = by("manager-");
    assert_eq!(
        h.subject(),
        format!(
            "Beschwerden am {date}: {} offen, 0 mit überschrittener Frist, 1 neu",
            de(1002)
        )
    );
    let body = h.body();
    assert!(!body.contains("CB-TKU"), "{body}");
    assert!(body.contains("Frist überschritten: 0"), "{body}");
    assert!(
        section(&body, "Neu seit gestern: 1").contains("CB-HEL00001"),
        "{body}"
    );
    app
}

mail_test!(digest_scope_pause_counts_both, digest_scope_pause_counts);

/// No e-mail to the customer of a staff flag (an internal note: they made no complaint),
/// and no interval reminder for a complaint whose whole history was imported (what a file
/// says is not announced); a step taken here makes the imported one an ordinary complaint.
async fn no_mail_for_flags_and_imported_history(app: TestApp, sink: SmtpSink) -> TestApp {
    use comeback_complaints::recovery::{Category, Channel, Deadlines, Severity};
    use comeback_store::ComplaintInput;
    let mail = app.state.mail.clone().unwrap();
    let admin = app.admin().await;
    customers(&app, &admin).await;
    let now = Utc::now();
    // E-mails enabled before anything happened.
    check(&mail, &app, now - TimeDelta::minutes(1)).await;
    app.store
        .create_complaint(
            &ComplaintInput {
                reference: "CB-FLAG0001".into(),
                received_at: now,
                channel: Channel::StaffFlag,
                customer: "A".into(),
                location: None,
                employee: None,
                product: None,
                description: "looked upset at the till".into(),
                category: Category::Quality,
                severity: Severity::Medium,
                remedy_requested: None,
                owner: None,
                deadlines: Deadlines::default(),
            },
            None,
        )
        .await
        .unwrap();
    let csv = "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,\
               compensation,location,employee,severity,channel,reopened_at,satisfied,\
               compensation_type\n\
               CB-IMPORT9,B,2020-01-06 10:00,,,price,,,,,email,,,\n";
    let (s, b) = app
        .post_raw(
            "/api/v1/uploads/complaints?timezone=UTC",
            "text/csv",
            csv.as_bytes().to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let r = check(&mail, &app, now + TimeDelta::minutes(1)).await;
    assert_eq!((r.status, r.reminders, r.sent), (0, 0, 0), "{r:?}");
    // Past the interval: still nothing.
    let r = check(&mail, &app, now + TimeDelta::days(8)).await;
    assert_eq!((r.status, r.reminders, r.sent), (0, 0, 0), "{r:?}");
    assert!(sink.messages().is_empty());
    // A step taken here: the imported complaint is e-mailed from now on.
    step(
        &app,
        &admin,
        "CB-IMPORT9",
        json!({"action": "acknowledge", "apology": "sorry"}),
    )
    .await;
    let r = check(&mail, &app, Utc::now() + TimeDelta::days(8)).await;
    assert_eq!((r.status, r.sent), (1, 1), "{r:?}");
    let m = sink.messages();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].to, ["bruna@example.com".to_owned()]);
    assert!(m[0].body().contains("CB-IMPORT9"), "{}", m[0].body());
    let r = check(&mail, &app, Utc::now() + TimeDelta::days(16)).await;
    assert_eq!(r.reminders, 1, "{r:?}");
    app
}

mail_test!(
    no_mail_for_flags_and_imported_history_both,
    no_mail_for_flags_and_imported_history
);
