//! The dashboard's customer search (`search_customers`: text, scope, location filter, an
//! id set, keyset pages) and the customer timeline.

use comeback_core::Day;
use comeback_store::{
    CustomerInput, CustomerQuery, Location, Store, StoreError, TimelineEvent, TransactionInput,
    customer_cursor, parse_customer_cursor,
};

use crate::common::{TestDb, store_test, tx};

fn at_loc(id: &str, customer: &str, when: &str, location: &str) -> TransactionInput {
    let mut t = tx(id, customer, when, 1000);
    t.location = Some(location.into());
    t
}

/// Three locations; c1 buys at hel, c2 at tre, c3 at both, c4 nowhere known, c5 never.
async fn fixture(s: &Store) {
    for code in ["hel", "tre", "oulu"] {
        s.upsert_location(&Location {
            code: code.into(),
            name: None,
            time_zone: "Europe/Helsinki".into(),
        })
        .await
        .unwrap();
    }
    s.ingest_transactions(&[
        at_loc("t1", "c1", "2024-01-01T10:00:00Z", "hel"),
        at_loc("t2", "c2", "2024-01-02T10:00:00Z", "tre"),
        at_loc("t3", "c3", "2024-01-03T10:00:00Z", "hel"),
        at_loc("t4", "c3", "2024-01-04T10:00:00Z", "tre"),
        tx("t5", "c4", "2024-01-05T10:00:00Z", 100),
    ])
    .await
    .unwrap();
    s.upsert_customers(&[
        CustomerInput {
            external_id: "c1".into(),
            name: Some("Aino Virtanen".into()),
            ..Default::default()
        },
        CustomerInput {
            external_id: "c3".into(),
            email: Some("VIRTA@example.com".into()),
            ..Default::default()
        },
        CustomerInput {
            external_id: "c5".into(),
            ..Default::default()
        },
    ])
    .await
    .unwrap();
}

async fn ids(s: &Store, q: &CustomerQuery) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s.search_customers(q, cursor.as_deref(), 1).await.unwrap();
        assert!(page.items.len() <= 1);
        out.extend(page.items.into_iter().map(|c| c.external_id));
        match page.next_cursor {
            None => return out,
            Some(c) => cursor = Some(c),
        }
    }
}

fn codes(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|s| (*s).to_owned()).collect())
}

async fn filters(db: &TestDb) {
    let s = &db.store;
    fixture(s).await;
    let all = CustomerQuery::default();
    assert_eq!(ids(s, &all).await, ["c1", "c2", "c3", "c4", "c5"]);
    let at = |l: &str| CustomerQuery {
        location: Some(l.into()),
        ..CustomerQuery::default()
    };
    assert_eq!(ids(s, &at("hel")).await, ["c1", "c3"]);
    assert_eq!(ids(s, &at("tre")).await, ["c2", "c3"]);
    assert!(ids(s, &at("oulu")).await.is_empty());
    assert!(ids(s, &at("nowhere")).await.is_empty());
    // Text search: name of c1, e-mail of c3 (ASCII case ignored).
    let text = CustomerQuery {
        search: Some("virta".into()),
        ..CustomerQuery::default()
    };
    assert_eq!(ids(s, &text).await, ["c1", "c3"]);
    // Every condition together: the text, the viewer's scope and the location filter.
    let scoped = CustomerQuery {
        search: Some("VIRTA".into()),
        scope: codes(&["tre"]),
        location: Some("tre".into()),
        among: None,
    };
    assert_eq!(ids(s, &scoped).await, ["c3"]);
    // A location outside the viewer's scope shows nobody.
    let outside = CustomerQuery {
        scope: codes(&["hel"]),
        location: Some("tre".into()),
        ..CustomerQuery::default()
    };
    assert_eq!(ids(s, &outside).await, ["c3"]);
    let outside_only = CustomerQuery {
        scope: codes(&["oulu"]),
        location: Some("hel".into()),
        ..CustomerQuery::default()
    };
    assert!(ids(s, &outside_only).await.is_empty());
    // An id set (the server's segment or stage filter), intersected with the rest; ids
    // that do not exist are ignored.
    let among = CustomerQuery {
        among: codes(&["c5", "c2", "c3", "ghost"]),
        ..CustomerQuery::default()
    };
    assert_eq!(ids(s, &among).await, ["c2", "c3", "c5"]);
    let among_at = CustomerQuery {
        among: codes(&["c5", "c2", "c3"]),
        location: Some("hel".into()),
        ..CustomerQuery::default()
    };
    assert_eq!(ids(s, &among_at).await, ["c3"]);
    let none = CustomerQuery {
        among: Some(Vec::new()),
        ..CustomerQuery::default()
    };
    assert!(ids(s, &none).await.is_empty());
    let too_many = CustomerQuery {
        among: Some((0..1001).map(|i| format!("x{i}")).collect()),
        ..CustomerQuery::default()
    };
    assert!(matches!(
        s.search_customers(&too_many, None, 10).await,
        Err(StoreError::Invalid { field: "among", .. })
    ));
    // A cursor made by the caller continues after that id, whether or not it is stored.
    assert_eq!(parse_customer_cursor(&customer_cursor("c2")).unwrap(), "c2");
    let after = s
        .search_customers(&all, Some(&customer_cursor("c2")), 10)
        .await
        .unwrap();
    let got: Vec<&str> = after.items.iter().map(|c| c.external_id.as_str()).collect();
    assert_eq!(got, ["c3", "c4", "c5"]);
    let after = s
        .search_customers(&all, Some(&customer_cursor("c25")), 10)
        .await
        .unwrap();
    assert_eq!(after.items.len(), 3);
    assert!(after.next_cursor.is_none());
    // The page's profile fields are the stored ones.
    assert_eq!(
        s.search_customers(&text, None, 10).await.unwrap().items[0]
            .name
            .as_deref(),
        Some("Aino Virtanen")
    );
    // Erased customers are not found.
    s.erase_customer("c3", None).await.unwrap();
    assert_eq!(ids(s, &at("tre")).await, ["c2"]);
}
store_test!(
    search_filters_by_text_scope_location_and_ids,
    super::filters
);

async fn timeline(db: &TestDb) {
    let s = &db.store;
    fixture(s).await;
    // A day-only row on the same local day as a timed one, and an older refund.
    let mut day_only = TransactionInput::new(
        "t6",
        "c3",
        Day::parse_iso("2024-01-04").unwrap(),
        comeback_core::Amount::from_micros(5_000_000),
        "EUR",
    );
    day_only.location = Some("tre".into());
    s.ingest_transactions(&[day_only, tx("t7", "c3", "2023-12-31T23:30:00Z", -250)])
        .await
        .unwrap();
    let t = s.customer_timeline("c3").await.unwrap();
    assert_eq!(t.customer.email.as_deref(), Some("VIRTA@example.com"));
    let got: Vec<(String, &str, String, String)> = t
        .entries
        .iter()
        .map(|e| {
            let TimelineEvent::Purchase(p) = &e.event else {
                panic!("only purchases are stored")
            };
            assert_eq!(e.event.kind(), "purchase");
            assert_eq!(e.day, p.local_day);
            assert_eq!(e.at, p.occurred_at);
            (
                e.day.to_string(),
                p.external_id.as_str(),
                p.amount.to_string(),
                p.location.clone().unwrap_or_default(),
            )
        })
        .collect();
    // Newest first; on 2024-01-04 the timed purchase comes before the day-only one; the
    // refund has no location, so its day is the business zone's (UTC by default).
    let want = [
        ("2024-01-04", "t4", "10.00", "tre"),
        ("2024-01-04", "t6", "5.00", "tre"),
        ("2024-01-03", "t3", "10.00", "hel"),
        ("2023-12-31", "t7", "-2.50", ""),
    ];
    let want: Vec<(String, &str, String, String)> = want
        .iter()
        .map(|(d, i, a, l)| ((*d).to_owned(), *i, (*a).to_owned(), (*l).to_owned()))
        .collect();
    assert_eq!(got, want);
    // JSON form: the kind tag and the day as a date.
    let json = serde_json::to_value(&t.entries[0]).unwrap();
    assert_eq!(json["day"], "2024-01-04");
    assert_eq!(json["event"]["kind"], "purchase");
    assert_eq!(json["event"]["external_id"], "t4");
    assert!(matches!(
        s.customer_timeline("nobody").await,
        Err(StoreError::NotFound { .. })
    ));
    let empty = s.customer_timeline("c5").await.unwrap();
    assert!(empty.entries.is_empty());
}
store_test!(
    timeline_is_newest_first_with_day_only_rows_last,
    super::timeline
);
