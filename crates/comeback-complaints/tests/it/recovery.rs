//! The five-step recovery: every valid path and every invalid transition, table-driven;
//! actors and times recorded; escalation, reopening, time order, compensation rules and
//! replay of stored histories.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use comeback_complaints::recovery::{
    Action, Actor, Category, Channel, Compensation, CompensationKind, ComplaintRecord, Deadlines,
    Intake, RecordError, Reference, Severity, Status,
};
use comeback_core::Amount;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn intake() -> Intake {
    Intake {
        reference: Reference::parse("CB-2026-0001").unwrap(),
        received_at: t0(),
        channel: Channel::Email,
        customer: 42,
        location: Some(3),
        employee: Some(11),
        product: Some("Sunday brunch".into()),
        description: "Waited 50 minutes for a cold meal".into(),
        category: Category::Quality,
        severity: Severity::High,
        remedy_requested: Some("a refund".into()),
        owner: Some(7),
        deadlines: Deadlines::default(),
    }
}

/// One action of each kind, with valid fields.
fn action(name: &str) -> Action {
    match name {
        "acknowledge" => Action::Acknowledge {
            apology: "We are sorry; this is not our standard.".into(),
        },
        "take_action" => Action::TakeAction {
            description: "Kitchen lead reviewed the order timing".into(),
        },
        "show_empathy" => Action::ShowEmpathy {
            note: "Called the customer, listened, agreed it spoiled the birthday".into(),
        },
        "compensate" => Action::Compensate {
            compensation: Compensation::new(
                CompensationKind::Refund,
                Some(Amount::from_micros(38_500_000)),
                "full refund of the meal",
            )
            .unwrap(),
        },
        "follow_up" => Action::FollowUp {
            satisfied: true,
            comment: "thanks, we'll be back".into(),
        },
        "close" => Action::Close {
            note: "resolved".into(),
        },
        "escalate" => Action::Escalate {
            to: 99,
            reason: "customer asks for the manager".into(),
        },
        "reopen" => Action::Reopen {
            reason: "the refund did not arrive".into(),
        },
        _ => unreachable!("{name}"),
    }
}

const ACTIONS: [&str; 8] = [
    "acknowledge",
    "take_action",
    "show_empathy",
    "compensate",
    "follow_up",
    "close",
    "escalate",
    "reopen",
];

/// Applies `path` (action names) one hour apart by staff member 7.
fn walk(path: &[&str]) -> Result<ComplaintRecord, (usize, RecordError)> {
    let mut c = ComplaintRecord::new(intake()).unwrap();
    for (i, a) in path.iter().enumerate() {
        c.apply(
            t0() + TimeDelta::hours(i as i64 + 1),
            Actor::Staff(7),
            action(a),
        )
        .map_err(|e| (i, e))?;
    }
    Ok(c)
}

/// A path (from Received) that reaches each status.
fn path_to(s: Status) -> Vec<&'static str> {
    let steps = [
        "acknowledge",
        "take_action",
        "show_empathy",
        "compensate",
        "follow_up",
        "close",
    ];
    match s {
        Status::Received => vec![],
        Status::Acknowledged => steps[..1].to_vec(),
        Status::ActionTaken => steps[..2].to_vec(),
        Status::EmpathyShown => steps[..3].to_vec(),
        Status::Compensated => steps[..4].to_vec(),
        Status::FollowedUp => steps[..5].to_vec(),
        Status::Closed => steps.to_vec(),
        Status::Reopened => [&steps[..], &["reopen"]].concat(),
    }
}

/// The transition table, written out by hand (independently of the library's
/// `next_status`): (from, action, to) for every allowed transition.
const VALID: [(Status, &str, Status); 16] = [
    (Status::Received, "acknowledge", Status::Acknowledged),
    (Status::Acknowledged, "take_action", Status::ActionTaken),
    (Status::ActionTaken, "show_empathy", Status::EmpathyShown),
    (Status::EmpathyShown, "compensate", Status::Compensated),
    (Status::Compensated, "follow_up", Status::FollowedUp),
    (Status::FollowedUp, "close", Status::Closed),
    (Status::FollowedUp, "reopen", Status::Reopened),
    (Status::Closed, "reopen", Status::Reopened),
    (Status::Reopened, "take_action", Status::ActionTaken),
    (Status::Received, "escalate", Status::Received),
    (Status::Acknowledged, "escalate", Status::Acknowledged),
    (Status::ActionTaken, "escalate", Status::ActionTaken),
    (Status::EmpathyShown, "escalate", Status::EmpathyShown),
    (Status::Compensated, "escalate", Status::Compensated),
    (Status::FollowedUp, "escalate", Status::FollowedUp),
    (Status::Reopened, "escalate", Status::Reopened),
];

#[test]
fn every_status_and_action_pair() {
    let mut valid = 0;
    let mut invalid = 0;
    for from in Status::ALL {
        let base = walk(&path_to(from)).unwrap();
        assert_eq!(base.status(), from);
        for name in ACTIONS {
            let mut c = base.clone();
            let at = t0() + TimeDelta::days(1);
            let want = VALID
                .iter()
                .find(|(f, a, _)| *f == from && *a == name)
                .map(|v| v.2);
            match (c.apply(at, Actor::Staff(5), action(name)), want) {
                (Ok(e), Some(to)) => {
                    assert_eq!((e.from, e.to, e.at), (from, to, at), "{from} {name}");
                    assert_eq!(e.actor, Actor::Staff(5));
                    assert_eq!(c.status(), to);
                    assert_eq!(c.history().len(), base.history().len() + 1);
                    valid += 1;
                }
                (Err(e), None) => {
                    // Refused with a clear error, and nothing changed.
                    assert!(
                        matches!(e, RecordError::InvalidTransition { action, from: f, .. } if action == name && f == from),
                        "{from} {name}: {e}"
                    );
                    assert!(e.to_string().starts_with(&format!(
                        "cannot {name} a complaint that is {from} (allowed: "
                    )));
                    assert_eq!(c, base);
                    invalid += 1;
                }
                (got, want) => panic!("{from} {name}: got {got:?}, want {want:?}"),
            }
        }
    }
    // 8 statuses × 8 actions = 64 pairs: 16 allowed, 48 refused.
    assert_eq!((valid, invalid), (16, 48));
}

#[test]
fn error_lists_the_allowed_actions() {
    let mut c = walk(&path_to(Status::FollowedUp)).unwrap();
    let e = c
        .apply(
            t0() + TimeDelta::days(1),
            Actor::Staff(7),
            action("compensate"),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot compensate a complaint that is followed_up (allowed: close, escalate, reopen)"
    );
    let mut c = walk(&path_to(Status::Closed)).unwrap();
    let e = c
        .apply(
            t0() + TimeDelta::days(1),
            Actor::Staff(7),
            action("escalate"),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot escalate a complaint that is closed (allowed: reopen)"
    );
}

#[test]
fn valid_paths() {
    let paths: [&[&str]; 6] = [
        // The five steps and closure.
        &[
            "acknowledge",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
            "close",
        ],
        // Escalated at once, then the steps.
        &[
            "escalate",
            "acknowledge",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
            "close",
        ],
        // Escalated at every open step.
        &[
            "escalate",
            "acknowledge",
            "escalate",
            "take_action",
            "escalate",
            "show_empathy",
            "escalate",
            "compensate",
            "escalate",
            "follow_up",
            "escalate",
            "close",
        ],
        // Not satisfied at follow-up: reopened, the steps again.
        &[
            "acknowledge",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
            "reopen",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
            "close",
        ],
        // Reopened after closure, escalated while reopened.
        &[
            "acknowledge",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
            "close",
            "reopen",
            "escalate",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
            "close",
        ],
        // Reopened twice.
        &[
            "acknowledge",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
            "close",
            "reopen",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
            "close",
            "reopen",
        ],
    ];
    for p in paths {
        let c = walk(p).unwrap_or_else(|(i, e)| panic!("{p:?} step {i}: {e}"));
        // Each event records the actor and the time it was applied at, in order.
        assert_eq!(c.history().len(), p.len());
        for (i, e) in c.history().iter().enumerate() {
            assert_eq!(e.at, t0() + TimeDelta::hours(i as i64 + 1));
            assert_eq!(e.actor, Actor::Staff(7));
            assert_eq!(e.action.name(), p[i]);
            if i > 0 {
                assert_eq!(e.from, c.history()[i - 1].to);
            }
        }
        let escalations = p.iter().filter(|a| **a == "escalate").count();
        assert_eq!(c.escalations(), escalations);
        assert_eq!(c.owner(), Some(if escalations > 0 { 99 } else { 7 }));
        // The first response is the first acknowledgement.
        let ack = p.iter().position(|a| *a == "acknowledge").unwrap();
        assert_eq!(
            c.first_response_at(),
            Some(t0() + TimeDelta::hours(ack as i64 + 1))
        );
        let closed = *p.last().unwrap() == "close";
        assert_eq!(c.status() == Status::Closed, closed);
        assert_eq!(
            c.resolved_at(),
            closed.then(|| t0() + TimeDelta::hours(p.len() as i64))
        );
        assert_eq!(c.satisfied(), Some(true));
    }
}

#[test]
fn time_order_and_required_texts() {
    let mut c = walk(&["acknowledge"]).unwrap();
    // Before the previous event (t0 + 1 h).
    let e = c
        .apply(
            t0() + TimeDelta::minutes(30),
            Actor::Staff(7),
            action("take_action"),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "take_action at 2026-03-02T09:30:00+00:00 is before the previous event at 2026-03-02T10:00:00+00:00"
    );
    // Before receipt.
    let mut fresh = ComplaintRecord::new(intake()).unwrap();
    assert!(matches!(
        fresh.apply(
            t0() - TimeDelta::seconds(1),
            Actor::Customer,
            action("acknowledge")
        ),
        Err(RecordError::OutOfOrder { .. })
    ));
    // The same instant is fine (several steps in one call).
    c.apply(
        t0() + TimeDelta::hours(1),
        Actor::Staff(7),
        action("take_action"),
    )
    .unwrap();
    for (a, what) in [
        (
            Action::ShowEmpathy { note: "  ".into() },
            "the empathy note must not be empty",
        ),
        (
            Action::Escalate {
                to: 1,
                reason: String::new(),
            },
            "the escalation reason must not be empty",
        ),
    ] {
        let before = c.clone();
        let e = c
            .apply(t0() + TimeDelta::hours(2), Actor::Staff(7), a)
            .unwrap_err();
        assert_eq!(e.to_string(), what);
        assert_eq!(c, before);
    }
    let mut bad = intake();
    bad.description = " ".into();
    assert_eq!(
        ComplaintRecord::new(bad).unwrap_err(),
        RecordError::Empty("the description")
    );
}

#[test]
fn compensation_rules() {
    use CompensationKind as K;
    let v = |m: i64| Some(Amount::from_micros(m));
    // Non-monetary compensation is allowed: a gift or a free service without a value.
    for (kind, value) in [
        (K::Refund, v(1)),
        (K::Discount, v(5_000_000)),
        (K::Discount, None),
        (K::Gift, None),
        (K::Gift, v(12_000_000)),
        (K::FreeService, None),
        (K::None, None),
        (K::None, v(0)),
    ] {
        let c = Compensation::new(kind, value, "x").unwrap();
        assert_eq!((c.kind(), c.value()), (kind, value));
    }
    for (kind, value, why) in [
        (K::Refund, None, "a refund needs its value"),
        (
            K::Refund,
            v(0),
            "a refund of zero is no refund (use kind none)",
        ),
        (K::Gift, v(-1), "a compensation value cannot be negative"),
        (K::None, v(1), "no compensation cannot have a value"),
    ] {
        assert_eq!(
            Compensation::new(kind, value, "").unwrap_err().to_string(),
            format!("invalid compensation: {why}")
        );
    }
}

#[test]
fn references() {
    assert_eq!(Reference::parse("CB-7Q4K").unwrap().as_str(), "CB-7Q4K");
    for bad in [
        "",
        "abc",
        "CB 7Q4K",
        "<script>",
        &"x".repeat(41),
        "CB-7Q4K/",
    ] {
        assert!(
            matches!(Reference::parse(bad), Err(RecordError::Reference(_))),
            "{bad}"
        );
    }
}

#[test]
fn replay_rebuilds_and_refuses_a_broken_history() {
    let c = walk(&path_to(Status::Closed)).unwrap();
    let events: Vec<_> = c
        .history()
        .iter()
        .map(|e| (e.at, e.actor.clone(), e.action.clone()))
        .collect();
    assert_eq!(
        ComplaintRecord::replay(intake(), events.clone()).unwrap(),
        c
    );
    // A stored history with a step skipped (empathy) is refused.
    let mut broken = events;
    broken.remove(2);
    let e = ComplaintRecord::replay(intake(), broken).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot compensate a complaint that is action_taken (allowed: show_empathy, escalate)"
    );
}

/// Every name of the closed vocabularies reads back to the same value (the store and the
/// API write and read these names); unknown channels and categories are kept as written.
#[test]
fn vocabulary_names_round_trip() {
    use comeback_complaints::recovery::{Category, Channel, CompensationKind, Severity, Status};
    for s in Status::ALL {
        assert_eq!(Status::parse(s.as_str()), Some(s));
    }
    for s in Severity::ALL {
        assert_eq!(Severity::parse(s.as_str()), Some(s));
    }
    assert_eq!(Severity::parse(" HIGH "), Some(Severity::High));
    assert_eq!(Severity::parse("urgent"), None);
    for k in CompensationKind::ALL {
        assert_eq!(CompensationKind::parse(k.as_str()), Some(k));
    }
    for c in [
        Channel::InPerson,
        Channel::Phone,
        Channel::Email,
        Channel::Web,
        Channel::Letter,
        Channel::Social,
        Channel::StaffFlag,
        Channel::Survey,
    ] {
        assert_eq!(Channel::parse(c.as_str()).unwrap(), c);
    }
    assert_eq!(
        Channel::parse(" carrier pigeon ").unwrap(),
        Channel::Other("carrier pigeon".into())
    );
    assert!(Channel::parse("  ").is_err());
    for c in [
        Category::Price,
        Category::Quality,
        Category::CompetitorOffer,
        Category::InadequateResponse,
        Category::BrokenPromise,
        Category::UnresolvedComplaint,
        Category::GeneralDissatisfaction,
    ] {
        assert_eq!(Category::parse(c.as_str()).unwrap(), c);
    }
    assert_eq!(
        Category::parse("Parking").unwrap(),
        Category::Other("Parking".into())
    );
}

/// Waiting for the customer: allowed in every open status, state unchanged; while waiting
/// only `resume` and `escalate`; `resume` only while waiting; the waits as intervals.
#[test]
fn waiting_for_the_customer() {
    let wait = || Action::WaitForCustomer {
        note: "asked for the receipt".into(),
    };
    let resume = || Action::Resume {
        note: String::new(),
    };
    for from in Status::ALL {
        let mut c = walk(&path_to(from)).unwrap();
        let at = t0() + TimeDelta::days(1);
        let r = c.apply(at, Actor::Staff(5), wait());
        if from == Status::Closed {
            assert_eq!(
                r.unwrap_err().to_string(),
                "cannot wait_for_customer a complaint that is closed (allowed: reopen)"
            );
            assert_eq!(c.allowed_now(), ["reopen"]);
            continue;
        }
        let e = r.unwrap().clone();
        assert_eq!((e.from, e.to, e.actor), (from, from, Actor::Staff(5)));
        assert_eq!(c.waiting_since(), Some(at));
        assert_eq!(c.allowed_now(), ["resume", "escalate"]);
        // Every other action is refused with the reason, and nothing changes.
        let before = c.clone();
        for name in ACTIONS.iter().filter(|a| **a != "escalate") {
            let err = c
                .apply(at + TimeDelta::hours(1), Actor::Staff(5), action(name))
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "cannot {name} a complaint that is waiting for the customer since {} (allowed: resume, escalate)",
                    at.to_rfc3339()
                )
            );
            assert_eq!(c, before);
        }
        assert!(matches!(
            c.apply(at, Actor::Staff(5), wait()),
            Err(RecordError::Waiting { .. })
        ));
        // Escalating while waiting keeps the wait.
        c.apply(
            at + TimeDelta::hours(1),
            Actor::Staff(5),
            action("escalate"),
        )
        .unwrap();
        assert_eq!(c.waiting_since(), Some(at));
        let back = at + TimeDelta::hours(30);
        c.apply(back, Actor::Staff(6), resume()).unwrap();
        assert_eq!(c.status(), from);
        assert_eq!(c.waiting_since(), None);
        assert_eq!(c.pauses(), [(at, Some(back))]);
        assert_eq!(
            c.apply(back, Actor::Staff(6), resume()).unwrap_err(),
            RecordError::NotWaiting
        );
        let mut want = comeback_complaints::recovery::allowed_actions(from);
        want.push("wait_for_customer");
        assert_eq!(c.allowed_now(), want);
        // A second wait, still open.
        c.apply(back, Actor::Staff(6), wait()).unwrap();
        assert_eq!(c.pauses(), [(at, Some(back)), (back, None)]);
    }
    // A stored history with waits replays to the same record.
    let mut c = walk(&["acknowledge"]).unwrap();
    c.apply(t0() + TimeDelta::hours(5), Actor::Staff(7), wait())
        .unwrap();
    c.apply(t0() + TimeDelta::hours(9), Actor::Staff(7), resume())
        .unwrap();
    c.apply(
        t0() + TimeDelta::hours(10),
        Actor::Staff(7),
        action("take_action"),
    )
    .unwrap();
    let replayed = ComplaintRecord::replay(
        intake(),
        c.history()
            .iter()
            .map(|e| (e.at, e.actor.clone(), e.action.clone())),
    )
    .unwrap();
    assert_eq!(replayed, c);
    assert_eq!(
        replayed.pauses(),
        [(t0() + TimeDelta::hours(5), Some(t0() + TimeDelta::hours(9)))]
    );
}
