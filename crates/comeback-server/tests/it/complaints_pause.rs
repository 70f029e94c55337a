//! Waiting for the customer (issue 9 item 4: "timers paused while waiting for the
//! customer"): the deadlines move by the business time paused, the queue shows waiting
//! complaints and never flags time spent waiting, the breach check skips them, and the
//! measures stop the clock the way `comeback_complaints::sla` does — a hand-computed
//! fixture with a pause over a weekend on Mon–Fri 09:00–17:00 business hours in Helsinki,
//! on both backends. Steps at chosen times go through the store (the API stamps "now");
//! the API's own wait/resume steps are checked for who and when.

use chrono::{DateTime, Utc};
use comeback_complaints::recovery::{Action, Category, Channel, Deadlines, Severity};
use comeback_core::Amount;
use comeback_store::{ComplaintActor, ComplaintInput, Location, Role, TransactionInput, UserId};
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn me(app: &TestApp, token: &str) -> UserId {
    let (s, v) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(s, 200, "{v}");
    UserId(v["id"].as_i64().unwrap())
}

async fn intake(app: &TestApp, reference: &str, received: &str, owner: UserId) {
    // The deadlines as the API sets them (high: 4 h / 48 h on HEL's calendar).
    let deadlines = comeback_server::api::complaints::deadlines_for(
        &app.state,
        Some("HEL"),
        t(received),
        Severity::High,
    )
    .await
    .unwrap();
    app.store
        .create_complaint(
            &ComplaintInput {
                reference: reference.into(),
                received_at: t(received),
                channel: Channel::Phone,
                customer: "c1".into(),
                location: Some("HEL".into()),
                employee: None,
                product: None,
                description: "waited too long".into(),
                category: Category::Quality,
                severity: Severity::High,
                remedy_requested: None,
                owner: Some(owner),
                deadlines,
            },
            Some(owner),
        )
        .await
        .unwrap();
}

async fn step(app: &TestApp, reference: &str, at: &str, who: UserId, action: Action) {
    app.store
        .transition_complaint(reference, t(at), ComplaintActor::Staff(who), action)
        .await
        .unwrap();
}

fn wait() -> Action {
    Action::WaitForCustomer {
        note: "asked for the receipt".into(),
    }
}

fn resume() -> Action {
    Action::Resume {
        note: "receipt received".into(),
    }
}

fn due(c: &comeback_store::Complaint) -> (String, String) {
    let f = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
    (f(c.deadlines.first_response), f(c.deadlines.resolution))
}

async fn pauses(app: &TestApp) {
    app.store
        .ingest_transactions(&[TransactionInput::new(
            "t1",
            "c1",
            t("2026-03-01T10:00:00Z"),
            Amount::from_micros(10_000_000),
            "EUR",
        )])
        .await
        .unwrap();
    app.store
        .upsert_location(&Location {
            code: "HEL".into(),
            name: None,
            time_zone: "Europe/Helsinki".into(),
        })
        .await
        .unwrap();
    let admin = app.admin().await;
    let staff = app.token_at(Role::Staff, &["HEL"]).await;
    let staff_id = me(app, &staff).await;
    let (s, v) = app
        .client
        .put(app.url("/api/v1/locations/HEL/calendar"))
        .bearer_auth(&admin)
        .json(&json!({"hours": "Mon-Fri 09:00-17:00"}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(s, 200, "{v:?}");

    // A: received Friday 6 March 14:00 EET (12:00 UTC), high (4 h / 48 h).
    // First response due: Fri 14–17 (3 h) + Mon 9 March 09–10 → Mon 10:00 EET = 08:00 UTC.
    // Resolution due: Fri 3 h + Mon–Fri 9–13 March 40 h + Mon 16 March 09–14 (5 h) → Mon 16
    // March 14:00 EET = 12:00 UTC.
    intake(app, "CB-PA", "2026-03-06T12:00:00Z", staff_id).await;
    let a = app.store.complaint("CB-PA").await.unwrap();
    assert_eq!(
        due(&a),
        (
            "2026-03-09T08:00:00+00:00".into(),
            "2026-03-16T12:00:00+00:00".into()
        )
    );
    // Acknowledged Fri 15:00 EET (first response after 1 h), waiting for the customer from
    // Fri 16:00 EET to Tue 10 March 11:00 EET: over the weekend, 1 h (Fri 16–17) + 8 h (Mon)
    // + 2 h (Tue 09–11) = 11 business hours paused. The first response was given, so its
    // deadline stays; the resolution deadline moves by 11 business hours: Mon 16 March
    // 14:00 + 3 h (to 17:00) + 8 h (Tue 17 March 09–17) → Tue 17 March 17:00 EET = 15:00 UTC.
    step(
        app,
        "CB-PA",
        "2026-03-06T13:00:00Z",
        staff_id,
        Action::Acknowledge {
            apology: "We are sorry.".into(),
        },
    )
    .await;
    step(app, "CB-PA", "2026-03-06T14:00:00Z", staff_id, wait()).await;
    let a = app.store.complaint("CB-PA").await.unwrap();
    assert_eq!(a.waiting_since, Some(t("2026-03-06T14:00:00Z")));
    // While waiting, a step is refused with the reason; resume and escalate are allowed.
    let e = app
        .store
        .transition_complaint(
            "CB-PA",
            t("2026-03-09T08:00:00Z"),
            ComplaintActor::Staff(staff_id),
            Action::TakeAction {
                description: "x".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot take_action a complaint that is waiting for the customer since \
         2026-03-06T14:00:00+00:00 (allowed: resume, escalate)"
    );
    step(app, "CB-PA", "2026-03-10T09:00:00Z", staff_id, resume()).await;
    let a = app.store.complaint("CB-PA").await.unwrap();
    assert_eq!(a.waiting_since, None);
    assert_eq!(
        due(&a),
        (
            "2026-03-09T08:00:00+00:00".into(),
            "2026-03-17T15:00:00+00:00".into()
        )
    );
    // Who and when: the history holds both steps with the staff member.
    let steps: Vec<(&str, String, ComplaintActor)> = a
        .history
        .iter()
        .map(|e| (e.action.name(), e.at.to_rfc3339(), e.actor))
        .collect();
    assert_eq!(
        steps[1..],
        [
            (
                "wait_for_customer",
                "2026-03-06T14:00:00+00:00".to_owned(),
                ComplaintActor::Staff(staff_id)
            ),
            (
                "resume",
                "2026-03-10T09:00:00+00:00".to_owned(),
                ComplaintActor::Staff(staff_id)
            ),
        ]
    );

    // B: received Fri 6 March 16:30 EET (14:30 UTC), waiting before any first response from
    // Fri 16:45 EET to Mon 9 March 10:00 EET: 0.25 h + 1 h = 1.25 business hours paused.
    // First response due at intake: Fri 0.5 h + Mon 09:00–12:30 → Mon 12:30 EET; moved by
    // 1.25 h → Mon 13:45 EET = 11:45 UTC. Resolution due at intake: Fri 0.5 h + 40 h + Mon
    // 16 March 7.5 h → 16:30 EET; moved by 1.25 h → 17:00 + Tue 17 March 0.75 h → 09:45 EET
    // = 07:45 UTC.
    intake(app, "CB-PB", "2026-03-06T14:30:00Z", staff_id).await;
    let b = app.store.complaint("CB-PB").await.unwrap();
    assert_eq!(
        due(&b),
        (
            "2026-03-09T10:30:00+00:00".into(),
            "2026-03-16T14:30:00+00:00".into()
        )
    );
    step(app, "CB-PB", "2026-03-06T14:45:00Z", staff_id, wait()).await;
    step(app, "CB-PB", "2026-03-09T08:00:00Z", staff_id, resume()).await;
    let b = app.store.complaint("CB-PB").await.unwrap();
    assert_eq!(
        due(&b),
        (
            "2026-03-09T11:45:00+00:00".into(),
            "2026-03-17T07:45:00+00:00".into()
        )
    );

    // C: received Mon 16 March 09:00 EET (07:00 UTC), waiting since 10:00 EET, not resumed.
    // Deadlines at intake: first response Mon 13:00 EET (11:00 UTC), resolution 6 × 8 h →
    // Mon 23 March 17:00 EET (15:00 UTC); they stay while it waits.
    intake(app, "CB-PC", "2026-03-16T07:00:00Z", staff_id).await;
    step(app, "CB-PC", "2026-03-16T08:00:00Z", staff_id, wait()).await;
    let c = app.store.complaint("CB-PC").await.unwrap();
    assert_eq!(
        due(&c),
        (
            "2026-03-16T11:00:00+00:00".into(),
            "2026-03-23T15:00:00+00:00".into()
        )
    );

    // The breach check at Tue 17 March 16:00 EET (14:00 UTC): B's two deadlines passed; A's
    // moved deadline (15:00 UTC) has not; C waits, so its passed first-response deadline
    // (Mon 11:00 UTC, which the stopped clock never reached) is not a breach.
    let as_of = t("2026-03-17T14:00:00Z");
    let found: Vec<(String, &str, String)> = app
        .store
        .record_breaches(as_of)
        .await
        .unwrap()
        .iter()
        .map(|b| (b.reference.clone(), b.kind.as_str(), b.due.to_rfc3339()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "CB-PB".to_owned(),
                "first_response",
                "2026-03-09T11:45:00+00:00".to_owned()
            ),
            (
                "CB-PB".to_owned(),
                "resolution",
                "2026-03-17T07:45:00+00:00".to_owned()
            ),
        ]
    );

    // The queue (now is after every deadline): A and B breached; C waits and its clock
    // stopped at 08:00 UTC, before its first-response deadline, so it is not.
    let (s, q) = app.get("/api/v1/complaints", Some(&admin)).await;
    assert_eq!(s, 200, "{q}");
    let rows: Vec<(String, bool, Value)> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["reference"].as_str().unwrap().to_owned(),
                r["breached"].as_bool().unwrap(),
                r["waiting_since"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("CB-PB".to_owned(), true, Value::Null),
            ("CB-PA".to_owned(), true, Value::Null),
            ("CB-PC".to_owned(), false, json!("2026-03-16T08:00:00Z")),
        ]
    );
    let (_, q) = app
        .get("/api/v1/complaints?waiting=true", Some(&admin))
        .await;
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    assert_eq!(q["items"][0]["reference"], "CB-PC");
    // The dashboard's queue marks the waiting complaint.
    let html = app
        .client
        .get(app.url("/complaints?state=waiting"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-reference=\"CB-PC\""), "{html}");
    assert!(!html.contains("data-reference=\"CB-PA\""));
    assert!(
        html.contains("waiting for the customer since 2026-03-16 08:00 (clock stopped)"),
        "{html}"
    );

    // The measures at Tue 17 March 14:00 UTC, first response 4 h, resolution 48 h.
    // A: first response 1 h (met). Open: Fri 3 h + 40 h + Mon 16 March 8 h + Tue 17 March
    // 7 h = 58 business hours since receipt, minus 11 paused = 47 h ≤ 48: waiting within.
    // B: no first response, 55.5 h − 1.25 h = 54.25 h > 4 h and > 48 h: breached twice.
    // C: 1 h before the pause, still waiting (open pause to as-of): 1 h ≤ 4 h, within both.
    let (s, m) = app
        .get(
            "/api/v1/complaint-measures?as_of=2026-03-17T14:00:00Z&first_response_target_hours=4&resolution_target_hours=48",
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(
        m["first_response_sla"],
        json!({"target_hours": 4.0, "met": 1, "missed": 0, "waiting_breached": 1,
               "waiting_within": 1, "share": 0.5})
    );
    assert_eq!(
        m["resolution_sla"],
        json!({"target_hours": 48.0, "met": 0, "missed": 0, "waiting_breached": 1,
               "waiting_within": 2, "share": 0.0})
    );
    assert_eq!(
        m["first_response_hours"],
        json!({"median": 1.0, "p90": 1.0, "n": 1})
    );
    // The calendars: the default clock 24/7 (null, the CLI's syntax) and HEL's own.
    assert_eq!(
        m["clock"],
        json!({"business_hours": null, "timezone": "UTC", "holidays": 0,
               "locations": {"HEL": {"business_hours": "Mon-Fri 09:00-17:00",
                                     "timezone": "Europe/Helsinki", "holidays": 0}}})
    );
    // The export carries the pauses in the CLI's `paused` column.
    let csv = app
        .client
        .get(app.url("/api/v1/complaint-measures/rows"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",compensation_type,paused"));
    let paused: Vec<&str> = lines.map(|l| l.rsplit(',').next().unwrap()).collect();
    assert_eq!(
        paused,
        [
            "2026-03-06T14:00:00Z/2026-03-10T09:00:00Z",
            "2026-03-06T14:45:00Z/2026-03-09T08:00:00Z",
            "2026-03-16T08:00:00Z/",
        ]
    );

    // Through the API (stamped now, by the caller): wait, refuse a step, resume.
    let path = "/api/v1/complaints/CB-PC/transitions";
    let (s, v) = app
        .post_json(
            path,
            &json!({"action": "acknowledge", "apology": "sorry"}),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("waiting for the customer since 2026-03-16T08:00:00+00:00"),
        "{v}"
    );
    let (s, v) = app.get("/api/v1/complaints/CB-PC", Some(&staff)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["allowed_actions"], json!(["resume", "escalate"]));
    let (s, v) = app
        .post_json(
            path,
            &json!({"action": "resume", "note": "they called back"}),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["waiting_since"], Value::Null);
    let last = &v["history"][1];
    assert_eq!(last["action"], "resume");
    assert_eq!(last["actor_user"], json!(staff_id.0));
    // The deadlines moved by the business time since Mon 16 March 10:00 EET (months of it):
    // both are now in the future.
    let now = Utc::now();
    for k in ["first_response_due", "resolution_due"] {
        assert!(t(v[k].as_str().unwrap()) > now, "{k}: {v}");
    }
    let (s, v) = app
        .post_json(path, &json!({"action": "resume"}), Some(&staff))
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(
        v["error"]["message"],
        "cannot resume a complaint that is not waiting for the customer"
    );
    let (s, v) = app
        .post_json(path, &json!({"action": "wait_for_customer"}), Some(&staff))
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["waiting_since"].is_string());
}
crate::helpers::server_test!(complaint_pauses, pauses);

/// The deadline arithmetic alone: a deadline passed before the pause stays; one ahead moves
/// by the business time paused.
#[test]
fn moved_deadlines() {
    use comeback_complaints::sla::{BusinessCalendar, WeeklyHours};
    let cal = BusinessCalendar::new(
        "Europe/Helsinki".parse::<comeback_ingest::Tz>().unwrap(),
        WeeklyHours::parse("Mon-Fri 09:00-17:00").unwrap(),
        [],
    );
    let d = t("2026-03-16T12:00:00Z");
    // Paused Fri 16:00 → Tue 11:00 EET: 11 business hours.
    assert_eq!(
        comeback_store::moved_deadline(
            &cal,
            d,
            t("2026-03-06T14:00:00Z"),
            t("2026-03-10T09:00:00Z")
        ),
        t("2026-03-17T15:00:00Z")
    );
    // Paused after the deadline passed: unchanged.
    assert_eq!(
        comeback_store::moved_deadline(
            &cal,
            d,
            t("2026-03-16T13:00:00Z"),
            t("2026-03-18T09:00:00Z")
        ),
        d
    );
    let _ = Deadlines::default();
}
