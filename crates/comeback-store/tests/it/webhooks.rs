//! Webhook endpoints and the delivery log, on both backends.

use chrono::{DateTime, Utc};
use comeback_store::{DeliveryAttempt, DeliveryOutcome, StoreError};

use crate::common::{TestDb, store_test};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn endpoints_and_log(db: &TestDb) {
    let s = &db.store;
    assert!(s.list_webhooks().await.unwrap().is_empty());
    let a = s
        .create_webhook(
            "http://127.0.0.1:9/hook",
            &["customer.at_risk", "complaint.breached", "customer.at_risk"],
            Some("crm"),
        )
        .await
        .unwrap();
    // Sorted, distinct kinds; a fresh 256-bit secret.
    assert_eq!(a.webhook.events, ["complaint.breached", "customer.at_risk"]);
    assert_eq!(a.secret.len(), "whsec_".len() + 64);
    assert!(a.secret.starts_with("whsec_"));
    assert!(!format!("{a:?}").contains(&a.secret));
    let b = s
        .create_webhook("https://example.org/x", &["survey.detractor"], None)
        .await
        .unwrap();
    assert_ne!(a.secret, b.secret);
    assert_eq!(
        s.list_webhooks().await.unwrap(),
        [a.webhook.clone(), b.webhook.clone()]
    );

    let targets = s.webhook_targets("customer.at_risk").await.unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0], a);
    assert!(s.webhook_targets("nothing").await.unwrap().is_empty());

    for (url, events) in [
        ("", vec!["customer.at_risk"]),
        ("ftp://x/y", vec!["customer.at_risk"]),
        ("http://", vec!["customer.at_risk"]),
        ("http://a b", vec!["customer.at_risk"]),
        ("http://ok", vec![]),
        ("http://ok", vec!["Bad Kind"]),
    ] {
        let e = s.create_webhook(url, &events, None).await.unwrap_err();
        assert!(
            matches!(e, StoreError::Invalid { .. }),
            "{url} {events:?}: {e}"
        );
    }
    let long = format!("http://h/{}", "x".repeat(2048));
    assert!(s.create_webhook(&long, &["a"], None).await.is_err());

    let first = DeliveryAttempt {
        webhook_id: Some(a.webhook.id),
        url: a.webhook.url.clone(),
        event_id: "evt_1".into(),
        event: "customer.at_risk".into(),
        attempt: 1,
        attempted_at: at("2026-01-01T10:00:00Z"),
        duration_micros: 1500,
        status_code: Some(500),
        error: Some("http status 500".into()),
        outcome: DeliveryOutcome::Retrying,
        next_attempt_at: Some(at("2026-01-01T10:00:10Z")),
    };
    let second = DeliveryAttempt {
        attempt: 2,
        attempted_at: at("2026-01-01T10:00:10Z"),
        status_code: Some(204),
        error: None,
        outcome: DeliveryOutcome::Delivered,
        next_attempt_at: None,
        ..first.clone()
    };
    let other = DeliveryAttempt {
        webhook_id: Some(b.webhook.id),
        url: b.webhook.url.clone(),
        status_code: None,
        error: Some("connection refused".into()),
        outcome: DeliveryOutcome::Failed,
        next_attempt_at: None,
        ..first.clone()
    };
    let id1 = s.record_delivery(&first).await.unwrap();
    let id2 = s.record_delivery(&second).await.unwrap();
    let id3 = s.record_delivery(&other).await.unwrap();
    assert!(id1 < id2 && id2 < id3);
    let all = s.list_deliveries(None, 10).await.unwrap();
    let got: Vec<_> = all.iter().map(|r| (r.id, r.attempt.clone())).collect();
    assert_eq!(
        got,
        [
            (id3, other.clone()),
            (id2, second.clone()),
            (id1, first.clone())
        ]
    );
    let of_a = s.list_deliveries(Some(a.webhook.id), 1).await.unwrap();
    assert_eq!(of_a.len(), 1);
    assert_eq!(of_a[0].attempt, second);

    // Deleting an endpoint keeps its log, without the id.
    s.delete_webhook(a.webhook.id).await.unwrap();
    assert!(matches!(
        s.delete_webhook(a.webhook.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        s.list_webhooks().await.unwrap(),
        std::slice::from_ref(&b.webhook)
    );
    let all = s.list_deliveries(None, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[1].attempt.webhook_id, None);
    assert_eq!(all[1].attempt.url, "http://127.0.0.1:9/hook");
}
store_test!(endpoints_and_delivery_log, super::endpoints_and_log);
