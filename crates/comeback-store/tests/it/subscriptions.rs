//! Subscriptions and loyalty enrolments (migration 0006): upsert by subscription id, all or
//! nothing, the stored order, currencies, erased customers; on both backends.

use comeback_core::{Amount, Day};
use comeback_store::{StoreError, StoredSubscription, SubscriptionInput, UpsertOutcome};

use crate::common::{TestDb, store_test};

fn day(s: &str) -> Day {
    Day::parse_iso(s).unwrap()
}

fn sub(id: &str, customer: &str, start: &str, end: Option<&str>, cents: i64) -> SubscriptionInput {
    SubscriptionInput {
        external_id: id.into(),
        customer: customer.into(),
        start: day(start),
        end: end.map(day),
        mrr: Amount::from_micros(cents * 10_000),
        currency: "EUR".into(),
        plan: Some("basic".into()),
    }
}

fn outcome(inserted: u64, updated: u64, unchanged: u64) -> UpsertOutcome {
    UpsertOutcome {
        inserted,
        updated,
        unchanged,
    }
}

fn rejected_fields(r: Result<UpsertOutcome, StoreError>) -> Vec<(usize, &'static str)> {
    match r {
        Err(StoreError::Rejected { rows }) => rows.iter().map(|e| (e.index, e.field)).collect(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

async fn upsert(db: &TestDb) {
    let s = &db.store;
    assert!(s.subscriptions(None).await.unwrap().is_empty());
    let batch = vec![
        sub("s-2", "b", "2024-01-15", Some("2024-02-15"), 2000),
        sub("s-1", "a", "2024-01-10", None, 1000),
        sub("s-3", "a", "2024-02-10", None, 3000),
        // Repeated with the same content: counted once.
        sub("s-1", "a", "2024-01-10", None, 1000),
    ];
    assert_eq!(
        s.upsert_subscriptions(&batch).await.unwrap(),
        outcome(3, 0, 1)
    );
    // Stored in the order sent.
    let got = s.subscriptions(None).await.unwrap();
    assert_eq!(
        got.iter()
            .map(|x| (x.customer.as_str(), x.mrr.micros()))
            .collect::<Vec<_>>(),
        [("b", 20_000_000), ("a", 10_000_000), ("a", 30_000_000)]
    );
    assert_eq!(
        got[1],
        StoredSubscription {
            customer: "a".into(),
            start: day("2024-01-10"),
            end: None,
            mrr: Amount::from_micros(10_000_000),
            currency: "EUR".into(),
        }
    );
    // Re-sent unchanged: nothing changes; a cancellation updates the row in place.
    assert_eq!(
        s.upsert_subscriptions(&batch[..3]).await.unwrap(),
        outcome(0, 0, 3)
    );
    let cancel = sub("s-1", "a", "2024-01-10", Some("2024-03-10"), 1000);
    assert_eq!(
        s.upsert_subscriptions(&[cancel]).await.unwrap(),
        outcome(0, 1, 0)
    );
    let got = s.subscriptions(None).await.unwrap();
    assert_eq!(got[1].end, Some(day("2024-03-10")));
    assert_eq!(got.len(), 3);

    // Every bad row is named; nothing of the batch is stored.
    let mut usd = sub("s-9", "c", "2024-01-01", None, 500);
    usd.currency = "usd".into();
    let mut long_plan = sub("s-10", "c", "2024-01-01", None, 500);
    long_plan.plan = Some("p".repeat(101));
    let bad = vec![
        sub("s-4", "c", "2024-01-01", None, 500),
        sub("s-5", "c", "2024-01-01", Some("2024-01-01"), 500),
        sub("s-6", "c", "2024-01-01", None, -1),
        sub("", "c", "2024-01-01", None, 1),
        usd,
        long_plan,
        sub("s-4", "c", "2024-01-02", None, 500),
    ];
    assert_eq!(
        rejected_fields(s.upsert_subscriptions(&bad).await),
        [
            (1, "end"),
            (2, "mrr"),
            (3, "external_id"),
            (4, "currency"),
            (5, "plan"),
            (6, "external_id")
        ]
    );
    // A stored subscription cannot move to another customer.
    assert_eq!(
        rejected_fields(
            s.upsert_subscriptions(&[
                sub("s-7", "c", "2024-01-01", None, 1),
                sub("s-2", "c", "2024-01-15", None, 2000)
            ])
            .await
        ),
        [(1, "customer")]
    );
    assert_eq!(s.subscriptions(None).await.unwrap().len(), 3);
    assert!(
        s.customer_detail("c").await.is_err(),
        "a rejected batch creates no customer"
    );

    // Currencies.
    let mut gbp = sub("s-8", "d", "2024-01-01", None, 700);
    gbp.currency = "GBP".into();
    s.upsert_subscriptions(&[gbp]).await.unwrap();
    assert_eq!(
        s.subscription_currencies().await.unwrap(),
        [("EUR".to_owned(), 3), ("GBP".to_owned(), 1)]
    );
    assert_eq!(s.subscriptions(Some("GBP")).await.unwrap().len(), 1);
    assert_eq!(s.subscriptions(Some("EUR")).await.unwrap().len(), 3);

    // An erased customer's subscriptions still count, without the id; re-ingest is refused.
    s.erase_customer("b", None).await.unwrap();
    let got = s.subscriptions(Some("EUR")).await.unwrap();
    assert_eq!(got[0].customer, "\u{0}erased-0");
    assert_eq!(
        rejected_fields(
            s.upsert_subscriptions(&[sub("s-11", "b", "2024-05-01", None, 1)])
                .await
        ),
        [(0, "customer")]
    );
}
store_test!(subscriptions_upsert, super::upsert);

async fn enrolments(db: &TestDb) {
    let s = &db.store;
    let batch = vec![
        ("m-2".to_owned(), day("2024-03-01")),
        ("m-1".to_owned(), day("2024-02-01")),
        ("m-1".to_owned(), day("2024-02-01")),
    ];
    assert_eq!(
        s.enrol_loyalty_members(&batch).await.unwrap(),
        outcome(2, 0, 1)
    );
    assert_eq!(
        s.loyalty_enrolments().await.unwrap(),
        [
            ("m-1".to_owned(), day("2024-02-01")),
            ("m-2".to_owned(), day("2024-03-01"))
        ]
    );
    // Enrolment makes a member.
    assert_eq!(s.loyalty_members().await.unwrap(), ["m-1", "m-2"]);
    let moved = [("m-1".to_owned(), day("2024-02-05"))];
    assert_eq!(
        s.enrol_loyalty_members(&moved).await.unwrap(),
        outcome(0, 1, 0)
    );
    assert_eq!(
        s.enrol_loyalty_members(&moved).await.unwrap(),
        outcome(0, 0, 1)
    );
    assert_eq!(
        rejected_fields(
            s.enrol_loyalty_members(&[
                ("m-3".to_owned(), day("2024-01-01")),
                ("m-3".to_owned(), day("2024-01-02")),
                (" x".to_owned(), day("2024-01-01")),
            ])
            .await
        ),
        [(1, "customer"), (2, "customer")]
    );
    assert_eq!(s.loyalty_enrolments().await.unwrap().len(), 2);
}
store_test!(loyalty_enrolments, super::enrolments);
