//! Complaints: create, transition through the five steps with actors and times, refused
//! transitions with the reason, the append-only history (UPDATE and DELETE refused by the
//! database), the queue's order and filters, and erasure of the customer.

use chrono::TimeDelta;
use comeback_complaints::recovery::{
    Action, Category, Channel, Compensation, CompensationKind, Deadlines, Severity, Status,
};
use comeback_core::Amount;
use comeback_store::{ComplaintActor, ComplaintFilter, ComplaintInput, NewUser, Role, StoreError};

use crate::common::{TestDb, at, store_test, tx};

const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn input(reference: &str, customer: &str, received: &str, due_hours: i64) -> ComplaintInput {
    let received_at = at(received);
    ComplaintInput {
        reference: reference.into(),
        received_at,
        channel: Channel::Phone,
        customer: customer.into(),
        location: None,
        employee: None,
        product: Some("soup".into()),
        description: "the soup was cold".into(),
        category: Category::Quality,
        severity: Severity::Medium,
        remedy_requested: Some("a refund".into()),
        owner: None,
        deadlines: Deadlines {
            first_response: Some(received_at + TimeDelta::hours(4)),
            resolution: Some(received_at + TimeDelta::hours(due_hours)),
        },
    }
}

async fn lifecycle(db: &TestDb) {
    let s = &db.store;
    s.ingest_transactions(&[
        tx("t1", "c1", "2026-03-01T10:00:00Z", 1000),
        tx("t2", "c2", "2026-03-01T11:00:00Z", 1000),
    ])
    .await
    .unwrap();
    let staff = s
        .create_user(&NewUser {
            email: "staff@shop.example".into(),
            role: Role::Staff,
            password_hash: Some(PHC.into()),
        })
        .await
        .unwrap();
    let boss = s
        .create_user(&NewUser {
            email: "boss@shop.example".into(),
            role: Role::Manager,
            password_hash: Some(PHC.into()),
        })
        .await
        .unwrap();
    let mut first = input("CB-0001", "c1", "2026-03-02T09:00:00Z", 72);
    first.owner = Some(staff.id);
    let c = s.create_complaint(&first, Some(staff.id)).await.unwrap();
    assert_eq!(c.status, Status::Received);
    assert_eq!(c.customer.as_deref(), Some("c1"));
    assert!(c.history.is_empty());
    // Errors: duplicate reference, unknown customer, bad reference, empty description.
    assert!(matches!(
        s.create_complaint(&first, None).await,
        Err(StoreError::Duplicate { .. })
    ));
    assert!(matches!(
        s.create_complaint(
            &input("CB-0002", "nobody", "2026-03-02T09:00:00Z", 72),
            None
        )
        .await,
        Err(StoreError::NotFound {
            what: "customer",
            ..
        })
    ));
    let e = s
        .create_complaint(&input("<b>", "c1", "2026-03-02T09:00:00Z", 72), None)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid complaint reference \"<b>\" (expected 4–40 letters, digits or '-')"
    );
    let mut empty = input("CB-0003", "c1", "2026-03-02T09:00:00Z", 72);
    empty.description = "  ".into();
    assert_eq!(
        s.create_complaint(&empty, None)
            .await
            .unwrap_err()
            .to_string(),
        "the description must not be empty"
    );

    // The five steps, each by an actor at a time.
    let me = ComplaintActor::Staff(staff.id);
    let steps = [
        (
            "2026-03-02T10:00:00Z",
            Action::Acknowledge {
                apology: "We are sorry.".into(),
            },
        ),
        (
            "2026-03-02T11:00:00Z",
            Action::TakeAction {
                description: "new soup".into(),
            },
        ),
        (
            "2026-03-02T11:30:00Z",
            Action::ShowEmpathy {
                note: "talked it through".into(),
            },
        ),
        (
            "2026-03-02T12:00:00Z",
            Action::Compensate {
                compensation: Compensation::new(
                    CompensationKind::Refund,
                    Some(Amount::from_micros(12_500_000)),
                    "soup refunded",
                )
                .unwrap(),
            },
        ),
        (
            "2026-03-03T09:00:00Z",
            Action::FollowUp {
                satisfied: true,
                comment: "fine now".into(),
            },
        ),
    ];
    for (when, action) in steps.clone() {
        s.transition_complaint("CB-0001", at(when), me, action)
            .await
            .unwrap();
    }
    // A refused transition says what is allowed and changes nothing.
    let e = s
        .transition_complaint(
            "CB-0001",
            at("2026-03-03T10:00:00Z"),
            me,
            Action::ShowEmpathy {
                note: "again".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Complaint(_)));
    assert_eq!(
        e.to_string(),
        "cannot show_empathy a complaint that is followed_up (allowed: close, escalate, reopen)"
    );
    // Out of order.
    let e = s
        .transition_complaint(
            "CB-0001",
            at("2026-03-01T10:00:00Z"),
            me,
            Action::Close {
                note: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("is before the previous event"),
        "{e}"
    );
    // Escalation to the manager changes the owner; then close and reopen.
    s.transition_complaint(
        "CB-0001",
        at("2026-03-03T10:00:00Z"),
        me,
        Action::Escalate {
            to: boss.id.0,
            reason: "customer asked".into(),
        },
    )
    .await
    .unwrap();
    s.transition_complaint(
        "CB-0001",
        at("2026-03-03T11:00:00Z"),
        ComplaintActor::Staff(boss.id),
        Action::Close {
            note: "done".into(),
        },
    )
    .await
    .unwrap();
    let c = s
        .transition_complaint(
            "CB-0001",
            at("2026-03-04T08:00:00Z"),
            ComplaintActor::Customer,
            Action::Reopen {
                reason: "it happened again".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(c.status, Status::Reopened);
    assert_eq!(c.owner, Some(boss.id));
    let seqs: Vec<i64> = c.history.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
    for (e, (when, action)) in c.history.iter().zip(steps) {
        assert_eq!((e.at, &e.action, e.actor), (at(when), &action, me));
    }
    assert_eq!(c.history[5].to, Status::FollowedUp);
    assert_eq!(c.history[6].actor, ComplaintActor::Staff(boss.id));
    assert_eq!(c.history[7].actor, ComplaintActor::Customer);
    assert_eq!(
        (c.history[7].from, c.history[7].to),
        (Status::Closed, Status::Reopened)
    );
    // Unknown escalation target.
    assert!(matches!(
        s.transition_complaint(
            "CB-0001",
            at("2026-03-04T09:00:00Z"),
            me,
            Action::Escalate {
                to: 999_999,
                reason: "x".into()
            },
        )
        .await,
        Err(StoreError::NotFound { what: "user", .. })
    ));

    // The history is append-only in the database itself.
    assert!(
        db.raw_exec("UPDATE complaint_events SET payload = '{}'")
            .await
            .is_err()
    );
    assert!(db.raw_exec("DELETE FROM complaint_events").await.is_err());
    assert_eq!(s.complaint("CB-0001").await.unwrap().history.len(), 8);

    // The queue: soonest resolution deadline first; filters.
    let mut urgent = input("CB-0004", "c2", "2026-03-02T10:00:00Z", 8);
    urgent.severity = Severity::High;
    s.create_complaint(&urgent, None).await.unwrap();
    let mut later = input("CB-0005", "c2", "2026-03-02T10:00:00Z", 200);
    later.deadlines.resolution = None;
    s.create_complaint(&later, None).await.unwrap();
    let all = ComplaintFilter {
        limit: 100,
        ..ComplaintFilter::default()
    };
    let refs = |v: Vec<comeback_store::ComplaintSummary>| {
        v.into_iter().map(|c| c.reference).collect::<Vec<_>>()
    };
    assert_eq!(
        refs(s.list_complaints(&all).await.unwrap()),
        ["CB-0004", "CB-0001", "CB-0005"]
    );
    let high = ComplaintFilter {
        severity: Some(Severity::High),
        ..all.clone()
    };
    assert_eq!(refs(s.list_complaints(&high).await.unwrap()), ["CB-0004"]);
    let boss_only = ComplaintFilter {
        owner: Some(boss.id),
        ..all.clone()
    };
    assert_eq!(
        refs(s.list_complaints(&boss_only).await.unwrap()),
        ["CB-0001"]
    );
    assert!(matches!(
        s.list_complaints(&ComplaintFilter {
            limit: 0,
            ..all.clone()
        })
        .await,
        Err(StoreError::Invalid { field: "limit", .. })
    ));

    // Erasing the customer keeps the complaint and its history, without the external id.
    s.erase_customer("c1", None).await.unwrap();
    let c = s.complaint("CB-0001").await.unwrap();
    assert_eq!(c.customer, None);
    assert_eq!(c.history.len(), 8);
}

store_test!(
    complaint_lifecycle_history_queue_and_erasure,
    super::lifecycle
);
