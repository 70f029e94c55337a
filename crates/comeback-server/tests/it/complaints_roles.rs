//! Role restrictions on complaints (`comeback_server::complaint_access`), table-driven over
//! roles × actions, through the API and through the dashboard's forms: admins handle every
//! complaint; a manager the complaints of their locations; staff those they own (and see
//! those they recorded); compensation, closing and reopening need a manager or an admin.
//! Every refusal is a 403 whose message names the rule; the queue lists only what each
//! role may see. Both backends.

use chrono::{DateTime, TimeDelta, Utc};
use comeback_complaints::recovery::{
    Action, Category, Channel, Compensation, CompensationKind, Deadlines, Severity,
};
use comeback_core::Amount;
use comeback_store::{ComplaintActor, ComplaintInput, Role, UserId};
use serde_json::{Value, json};

use crate::helpers::{TestApp, no_redirect_client};

/// The callers, in the order of the table's columns.
const ROLES: [&str; 5] = [
    "admin",
    "manager_hel",
    "manager_tku",
    "staff_owner",
    "staff_other",
];

/// Allowed (`true`) or refused with 403 (`false`), per caller in [`ROLES`] order.
const Y: bool = true;
const N: bool = false;

/// (action, the steps that bring a fresh complaint to where the action is allowed,
/// [admin, manager_hel, manager_tku, staff_owner, staff_other]).
const TABLE: &[(&str, &[&str], [bool; 5])] = &[
    ("view", &[], [Y, Y, N, Y, N]),
    ("acknowledge", &[], [Y, Y, N, Y, N]),
    ("take_action", &["acknowledge"], [Y, Y, N, Y, N]),
    (
        "show_empathy",
        &["acknowledge", "take_action"],
        [Y, Y, N, Y, N],
    ),
    (
        "compensate",
        &["acknowledge", "take_action", "show_empathy"],
        [Y, Y, N, N, N],
    ),
    (
        "follow_up",
        &["acknowledge", "take_action", "show_empathy", "compensate"],
        [Y, Y, N, Y, N],
    ),
    (
        "close",
        &[
            "acknowledge",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
        ],
        [Y, Y, N, N, N],
    ),
    (
        "reopen",
        &[
            "acknowledge",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
            "close",
        ],
        [Y, Y, N, N, N],
    ),
    ("escalate", &[], [Y, Y, N, Y, N]),
    ("wait_for_customer", &["acknowledge"], [Y, Y, N, Y, N]),
    (
        "resume",
        &["acknowledge", "wait_for_customer"],
        [Y, Y, N, Y, N],
    ),
];

fn action(name: &str, escalate_to: i64) -> Action {
    match name {
        "acknowledge" => Action::Acknowledge {
            apology: "sorry".into(),
        },
        "take_action" => Action::TakeAction {
            description: "fixed".into(),
        },
        "show_empathy" => Action::ShowEmpathy {
            note: "listened".into(),
        },
        "compensate" => Action::Compensate {
            compensation: Compensation::new(
                CompensationKind::Gift,
                Some(Amount::from_micros(5_000_000)),
                "a cake",
            )
            .unwrap(),
        },
        "follow_up" => Action::FollowUp {
            satisfied: true,
            comment: String::new(),
        },
        "close" => Action::Close {
            note: String::new(),
        },
        "reopen" => Action::Reopen {
            reason: "again".into(),
        },
        "escalate" => Action::Escalate {
            to: escalate_to,
            reason: "needs a manager".into(),
        },
        "wait_for_customer" => Action::WaitForCustomer {
            note: String::new(),
        },
        "resume" => Action::Resume {
            note: String::new(),
        },
        _ => unreachable!("{name}"),
    }
}

/// The API body of an action.
fn body(name: &str, escalate_to: i64) -> Value {
    match name {
        "acknowledge" => json!({"action": name, "apology": "sorry"}),
        "take_action" => json!({"action": name, "description": "fixed"}),
        "show_empathy" => json!({"action": name, "note": "listened"}),
        "compensate" => json!({"action": name, "kind": "gift", "value": "5"}),
        "follow_up" => json!({"action": name, "satisfied": true}),
        "escalate" => json!({"action": name, "to": escalate_to, "reason": "needs a manager"}),
        "reopen" => json!({"action": name, "reason": "again"}),
        _ => json!({"action": name}),
    }
}

/// The dashboard form of an action.
fn form(name: &str, escalate_to: i64) -> Vec<(&'static str, String)> {
    let mut f = vec![("action", name.to_owned())];
    match name {
        "compensate" => {
            f.push(("kind", "gift".into()));
            f.push(("value", "5".into()));
        }
        "follow_up" => f.push(("satisfied", "yes".into())),
        "escalate" => f.push(("to", escalate_to.to_string())),
        _ => {}
    }
    f.push(("text", "a note".into()));
    f
}

async fn me(app: &TestApp, token: &str) -> UserId {
    let (s, v) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(s, 200, "{v}");
    UserId(v["id"].as_i64().unwrap())
}

/// A fresh complaint at HEL recorded by and owned by `owner`, brought through `steps`
/// (one minute apart, by the owner).
async fn fresh(app: &TestApp, reference: &str, owner: UserId, steps: &[&str]) {
    let received: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
    app.store
        .create_complaint(
            &ComplaintInput {
                reference: reference.into(),
                received_at: received,
                channel: Channel::Phone,
                customer: "c1".into(),
                location: Some("HEL".into()),
                employee: None,
                product: None,
                description: "cold soup".into(),
                category: Category::Quality,
                severity: Severity::Medium,
                remedy_requested: None,
                owner: Some(owner),
                deadlines: Deadlines::default(),
            },
            Some(owner),
        )
        .await
        .unwrap();
    for (i, s) in steps.iter().enumerate() {
        app.store
            .transition_complaint(
                reference,
                received + TimeDelta::minutes(i as i64 + 1),
                ComplaintActor::Staff(owner),
                action(s, owner.0),
            )
            .await
            .unwrap();
    }
}

async fn roles(app: &TestApp) {
    app.purchase_of_c1().await;
    app.locations(&["HEL", "TKU"]).await;
    let tokens = [
        app.admin().await,
        app.token_at(Role::Manager, &["HEL"]).await,
        app.token_at(Role::Manager, &["TKU"]).await,
        app.token_at(Role::Staff, &["HEL"]).await,
        app.token_at(Role::Staff, &["HEL"]).await,
    ];
    let admin_id = me(app, &tokens[0]).await;
    let owner = me(app, &tokens[3]).await;

    let no_redirect = no_redirect_client();
    let mut n = 0;
    for (name, steps, expect) in TABLE {
        for (r, role) in ROLES.iter().enumerate() {
            for via in ["api", "form"] {
                n += 1;
                let reference = format!("CB-R{n:03}");
                fresh(app, &reference, owner, steps).await;
                let (status, message) = if *name == "view" {
                    let path = if via == "api" {
                        format!("/api/v1/complaints/{reference}")
                    } else {
                        format!("/complaints/{reference}")
                    };
                    let resp = app
                        .client
                        .get(app.url(&path))
                        .bearer_auth(&tokens[r])
                        .send()
                        .await
                        .unwrap();
                    (resp.status().as_u16(), resp.text().await.unwrap())
                } else if via == "api" {
                    let resp = app
                        .client
                        .post(app.url(&format!("/api/v1/complaints/{reference}/transitions")))
                        .bearer_auth(&tokens[r])
                        .json(&body(name, admin_id.0))
                        .send()
                        .await
                        .unwrap();
                    (resp.status().as_u16(), resp.text().await.unwrap())
                } else {
                    let resp = no_redirect
                        .post(app.url(&format!("/complaints/{reference}")))
                        .bearer_auth(&tokens[r])
                        .form(&form(name, admin_id.0))
                        .send()
                        .await
                        .unwrap();
                    (resp.status().as_u16(), resp.text().await.unwrap())
                };
                let allowed = expect[r];
                let ok = match (via, *name) {
                    (_, "view") | ("api", _) => 200,
                    _ => 303,
                };
                let want = if allowed { ok } else { 403 };
                assert_eq!(status, want, "{name} by {role} via {via}: {message}");
                if !allowed {
                    let why = match *role {
                        "manager_tku" => "not one of yours",
                        "staff_other" => "is not yours",
                        _ => "needs a manager or an admin",
                    };
                    assert!(
                        message.contains(why),
                        "{name} by {role} via {via}: {message}"
                    );
                    // Nothing changed.
                    let c = app.store.complaint(&reference).await.unwrap();
                    assert_eq!(c.history.len(), steps.len(), "{name} by {role}");
                }
            }
        }
    }

    // Staff see their own complaints' allowed actions without the manager steps, and the
    // page says why.
    fresh(
        app,
        "CB-S1",
        owner,
        &["acknowledge", "take_action", "show_empathy"],
    )
    .await;
    let (_, v) = app.get("/api/v1/complaints/CB-S1", Some(&tokens[3])).await;
    assert_eq!(
        v["allowed_actions"],
        json!(["escalate", "wait_for_customer"])
    );
    let (_, v) = app.get("/api/v1/complaints/CB-S1", Some(&tokens[1])).await;
    assert_eq!(
        v["allowed_actions"],
        json!(["compensate", "escalate", "wait_for_customer"])
    );
    let html = app.text(&tokens[3], "/complaints/CB-S1").await;
    assert!(!html.contains("id=\"do-compensate\""), "{html}");
    assert!(html.contains("id=\"do-escalate\""));
    assert!(html.contains("need a manager or an admin"), "{html}");

    // The queue: each caller sees what they may see. A complaint at TKU recorded by the
    // other staff member, and one without a location recorded by the admin.
    app.store
        .create_complaint(
            &ComplaintInput {
                reference: "CB-TKU".into(),
                received_at: "2026-03-02T09:00:00Z".parse().unwrap(),
                channel: Channel::Phone,
                customer: "c1".into(),
                location: Some("TKU".into()),
                employee: None,
                product: None,
                description: "noisy".into(),
                category: Category::Quality,
                severity: Severity::Low,
                remedy_requested: None,
                owner: Some(admin_id),
                deadlines: Deadlines::default(),
            },
            Some(me(app, &tokens[4]).await),
        )
        .await
        .unwrap();
    let total = n + 1;
    for (r, role) in ROLES.iter().enumerate() {
        let (s, q) = app
            .get("/api/v1/complaints?limit=1000", Some(&tokens[r]))
            .await;
        assert_eq!(s, 200, "{q}");
        let refs: Vec<&str> = q["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["reference"].as_str().unwrap())
            .collect();
        // Escalations in the table handed some HEL complaints to the admin; staff_owner
        // still sees them (recorded by them).
        let want = match *role {
            "admin" => total + 1,
            "manager_hel" => total,
            "manager_tku" => 1,
            "staff_owner" => total,
            _ => 1,
        };
        assert_eq!(refs.len(), want, "{role}: {refs:?}");
        assert_eq!(
            refs.contains(&"CB-TKU"),
            matches!(*role, "admin" | "manager_tku" | "staff_other"),
            "{role}"
        );
    }
}
crate::helpers::server_test!(complaint_roles, roles);
