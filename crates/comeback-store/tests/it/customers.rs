//! Customer batches, keyset pages, search, detail, export, erasure and backup.

use std::collections::BTreeSet;

use comeback_store::{Backend, CustomerInput, Store, StoreError, SubjectKind, UpsertOutcome};
use proptest::prelude::*;

use crate::common::{TestDb, at, store_test, tx};

fn customer(id: &str) -> CustomerInput {
    CustomerInput {
        external_id: id.into(),
        ..Default::default()
    }
}

/// Every external id, page by page.
async fn walk(s: &Store, limit: u32, search: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .list_customers(cursor.as_deref(), limit, search)
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items.into_iter().map(|c| c.external_id));
        match page.next_cursor {
            None => return out,
            Some(c) => cursor = Some(c),
        }
    }
}

async fn pagination(db: &TestDb) {
    let s = &db.store;
    // Ids whose byte order differs from a locale's order ("B" < "a" < "b" < "é").
    let mut ids: Vec<String> = (0..57).map(|i| format!("c{i:03}")).collect();
    ids.extend(["B", "a", "b", "é", "Z-9", "z_1"].map(String::from));
    let batch: Vec<CustomerInput> = ids.iter().map(|i| customer(i)).collect();
    s.upsert_customers(&batch).await.unwrap();
    let mut sorted = ids.clone();
    sorted.sort(); // byte order of UTF-8 = order of chars
    for limit in [1, 7, 10, 63, 64, 1000] {
        assert_eq!(walk(s, limit, None).await, sorted, "limit {limit}");
    }
    // Stable under inserts: rows added behind the cursor are not seen, rows ahead are,
    // and nothing repeats.
    let first = s.list_customers(None, 20, None).await.unwrap();
    s.upsert_customers(&[customer("A0"), customer("zz")])
        .await
        .unwrap();
    let mut seen: Vec<String> = first.items.iter().map(|c| c.external_id.clone()).collect();
    let mut cursor = first.next_cursor;
    while let Some(c) = cursor {
        let page = s.list_customers(Some(&c), 20, None).await.unwrap();
        seen.extend(page.items.iter().map(|c| c.external_id.clone()));
        cursor = page.next_cursor;
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
    assert!(seen.contains(&"zz".to_owned()));
    assert!(!seen.contains(&"A0".to_owned())); // "A0" < "B" = first page's first item
    assert_eq!(seen.len(), sorted.len() + 1);

    for (cursor, limit) in [
        (Some("bogus"), 10),
        (Some("c1zz"), 10),
        (None, 0),
        (None, 1001),
    ] {
        assert!(matches!(
            s.list_customers(cursor, limit, None).await,
            Err(StoreError::Invalid { .. })
        ));
    }
}
store_test!(keyset_pagination_is_complete_and_stable, super::pagination);

async fn search(db: &TestDb) {
    let s = &db.store;
    let batch = vec![
        CustomerInput {
            name: Some("Maria Silva".into()),
            email: Some("MARIA@example.com".into()),
            ..customer("c1")
        },
        CustomerInput {
            name: Some("Mario 50% off".into()),
            ..customer("c2")
        },
        CustomerInput {
            name: Some("Jussi".into()),
            ..customer("x_3")
        },
    ];
    s.upsert_customers(&batch).await.unwrap();
    assert_eq!(walk(s, 10, Some("mari")).await, ["c1", "c2"]);
    assert_eq!(walk(s, 1, Some("EXAMPLE.COM")).await, ["c1"]);
    assert_eq!(walk(s, 10, Some("50%")).await, ["c2"]);
    assert_eq!(walk(s, 10, Some("_")).await, ["x_3"]);
    assert!(walk(s, 10, Some("nobody")).await.is_empty());
}
store_test!(search_matches_id_name_email_ignoring_case, super::search);

async fn upsert(db: &TestDb) {
    let s = &db.store;
    let mut attrs = serde_json::Map::new();
    attrs.insert("tier".into(), "gold".into());
    let full = CustomerInput {
        name: Some("Ana".into()),
        email: Some("ana@example.com".into()),
        language: Some("pt-BR".into()),
        first_seen: Some(at("2023-01-01T00:00:00Z")),
        loyalty_member: Some(true),
        attributes: Some(attrs.clone()),
        ..customer("c1")
    };
    let out = s
        .upsert_customers(&[full.clone(), customer("c2")])
        .await
        .unwrap();
    assert_eq!(
        out,
        UpsertOutcome {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    // None keeps; a later first_seen does not move it; a changed name updates.
    let later = CustomerInput {
        first_seen: Some(at("2023-06-01T00:00:00Z")),
        ..customer("c1")
    };
    let renamed = CustomerInput {
        name: Some("Bo".into()),
        ..customer("c2")
    };
    let out = s
        .upsert_customers(&[full.clone(), later, renamed])
        .await
        .unwrap();
    assert_eq!(
        out,
        UpsertOutcome {
            inserted: 0,
            updated: 1,
            unchanged: 2
        }
    );
    let c1 = s.customer_detail("c1").await.unwrap().customer;
    assert_eq!(c1.name.as_deref(), Some("Ana"));
    assert_eq!(c1.language.as_deref(), Some("pt-BR"));
    assert_eq!(c1.first_seen, Some(at("2023-01-01T00:00:00Z")));
    assert!(c1.loyalty_member);
    assert_eq!(c1.attributes, attrs);
    assert_eq!(
        s.customer_detail("c2")
            .await
            .unwrap()
            .customer
            .name
            .as_deref(),
        Some("Bo")
    );
    // Bad rows reject the batch and change nothing.
    let bad = vec![
        CustomerInput {
            name: Some("Changed".into()),
            ..customer("c1")
        },
        CustomerInput {
            email: Some("no-at-sign".into()),
            ..customer("c3")
        },
        CustomerInput {
            language: Some("english please".into()),
            ..customer("c4")
        },
    ];
    match s.upsert_customers(&bad).await {
        Err(StoreError::Rejected { rows }) => {
            let got: Vec<(usize, &str)> = rows.iter().map(|r| (r.index, r.field)).collect();
            assert_eq!(got, [(1, "email"), (2, "language")]);
        }
        other => panic!("expected rejection, got {other:?}"),
    }
    assert_eq!(
        s.customer_detail("c1")
            .await
            .unwrap()
            .customer
            .name
            .as_deref(),
        Some("Ana")
    );
}
store_test!(
    upsert_customers_counts_and_keeps_unset_fields,
    super::upsert
);

async fn export_and_erase(db: &TestDb) {
    let s = &db.store;
    let mut attrs = serde_json::Map::new();
    attrs.insert("note".into(), "prefers the window table".into());
    s.upsert_customers(&[CustomerInput {
        name: Some("Liisa Virtanen".into()),
        email: Some("liisa@example.fi".into()),
        attributes: Some(attrs),
        ..customer("liisa-77")
    }])
    .await
    .unwrap();
    s.ingest_transactions(&[tx("t1", "liisa-77", "2024-02-03T12:00:00Z", 1250)])
        .await
        .unwrap();
    let export = s.export_customer("liisa-77").await.unwrap();
    let json = serde_json::to_value(&export).unwrap();
    assert_eq!(json["customer"]["external_id"], "liisa-77");
    assert_eq!(
        json["customer"]["attributes"]["note"],
        "prefers the window table"
    );
    assert_eq!(json["transactions"][0]["amount"], "12.50");
    assert_eq!(json["transactions"][0]["local_day"], "2024-02-03");
    assert_eq!(json["transactions"][0]["currency"], "EUR");
    assert!(json["customer"].get("id").is_none());

    let admin = s
        .create_user(&comeback_store::NewUser {
            email: "admin@shop.example".into(),
            role: comeback_store::Role::Admin,
            password_hash: None,
        })
        .await
        .unwrap();
    s.erase_customer("liisa-77", Some(admin.id)).await.unwrap();
    assert!(matches!(
        s.erase_customer("liisa-77", None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.export_customer("liisa-77").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        s.list_customers(None, 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // Nothing personal is left in the customers table; the transaction stays, anonymous.
    let rows = db
        .raw_rows(
            "SELECT external_id, name, email, language, attributes, \
             CAST(first_seen AS TEXT) FROM customers",
        )
        .await;
    assert_eq!(
        rows,
        [vec![None, None, None, None, Some("{}".to_owned()), None]]
    );
    let dump = format!(
        "{:?}",
        db.raw_rows("SELECT external_id, currency FROM transactions")
            .await
    );
    assert!(!dump.contains("liisa"), "{dump}");
    // The audit entry names internal ids only.
    let audit = s.audit_log(10).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "customer.erase");
    assert_eq!(audit[0].actor, Some(admin.id));
    assert_eq!(audit[0].subject.unwrap().kind, SubjectKind::Customer);
    let raw = format!(
        "{:?}",
        db.raw_rows(
            "SELECT CAST(at AS TEXT), CAST(actor_user_id AS TEXT), action, subject_kind, \
             CAST(subject_id AS TEXT) FROM audit_log"
        )
        .await
    );
    for personal in ["liisa", "Liisa", "Virtanen", "example.fi", "window"] {
        assert!(!raw.contains(personal), "{personal} in {raw}");
    }
    // The audit log is append-only.
    assert!(
        db.raw_exec("UPDATE audit_log SET action = 'x'")
            .await
            .is_err()
    );
    assert!(db.raw_exec("DELETE FROM audit_log").await.is_err());
    assert_eq!(s.audit_log(10).await.unwrap().len(), 1);
    // Personal data cannot be smuggled into the action text.
    assert!(matches!(
        s.append_audit(None, "erased liisa@example.fi", None).await,
        Err(StoreError::Invalid { .. })
    ));
}
store_test!(
    export_then_erase_leaves_nothing_personal,
    super::export_and_erase
);

async fn backup(db: &TestDb) {
    let s = &db.store;
    s.ingest_transactions(&[tx("t1", "c1", "2024-02-03T12:00:00Z", 100)])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("backup.db");
    match s.backend() {
        Backend::Postgres => {
            assert!(matches!(
                s.backup_sqlite(&dest).await,
                Err(StoreError::Unsupported { .. })
            ));
        }
        Backend::Sqlite => {
            s.backup_sqlite(&dest).await.unwrap();
            assert!(matches!(
                s.backup_sqlite(&dest).await,
                Err(StoreError::Invalid { .. })
            ));
            let copy = Store::connect(&format!("sqlite://{}", dest.display()))
                .await
                .unwrap();
            assert_eq!(
                copy.customer_detail("c1").await.unwrap().transactions.len(),
                1
            );
            copy.close().await;
        }
    }
}
store_test!(backup_copies_a_live_sqlite_database, super::backup);

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Walking the pages of any set of ids with any page size yields each id once, in
    /// byte order (SQLite; the PostgreSQL run is the fixed test above).
    #[test]
    fn pages_partition_the_customers(
        ids in proptest::collection::btree_set("[a-zA-Z0-9_%-]{1,6}", 0..40),
        limit in 1u32..12,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let got = rt.block_on(async {
            let db = TestDb::sqlite().await;
            let batch: Vec<CustomerInput> = ids.iter().map(|i| customer(i)).collect();
            db.store.upsert_customers(&batch).await.unwrap();
            let got = walk(&db.store, limit, None).await;
            db.cleanup().await;
            got
        });
        let want: Vec<String> = ids.into_iter().collect();
        prop_assert_eq!(got, want);
    }
}

async fn location_views(db: &TestDb) {
    let s = &db.store;
    for code in ["hel", "tre", "oulu"] {
        s.upsert_location(&comeback_store::Location {
            code: code.into(),
            name: None,
            time_zone: "Europe/Helsinki".into(),
        })
        .await
        .unwrap();
    }
    let at_loc = |id: &str, c: &str, l: &str| {
        let mut t = tx(id, c, "2024-01-01T10:00:00Z", 100);
        t.location = Some(l.into());
        t
    };
    s.ingest_transactions(&[
        at_loc("t1", "c1", "hel"),
        at_loc("t2", "c2", "tre"),
        at_loc("t3", "c3", "hel"),
        at_loc("t4", "c3", "tre"),
        tx("t5", "c4", "2024-01-01T10:00:00Z", 100),
    ])
    .await
    .unwrap();
    s.upsert_customers(&[customer("c5")]).await.unwrap();
    let ids = |p: comeback_store::Page<comeback_store::Customer>| -> Vec<String> {
        p.items.into_iter().map(|c| c.external_id).collect()
    };
    let hel = ["hel".to_owned()];
    let both = ["hel".to_owned(), "tre".to_owned()];
    let oulu = ["oulu".to_owned()];
    assert_eq!(
        ids(s
            .list_customers_at(Some(&hel), None, 10, None)
            .await
            .unwrap()),
        ["c1", "c3"]
    );
    assert_eq!(
        ids(s
            .list_customers_at(Some(&both), None, 10, None)
            .await
            .unwrap()),
        ["c1", "c2", "c3"]
    );
    assert!(
        s.list_customers_at(Some(&oulu), None, 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        s.list_customers_at(Some(&[]), None, 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        ids(s.list_customers_at(None, None, 10, None).await.unwrap()),
        ["c1", "c2", "c3", "c4", "c5"]
    );
    // Paging within a view.
    let first = s
        .list_customers_at(Some(&both), None, 2, None)
        .await
        .unwrap();
    let cursor = first.next_cursor.clone().unwrap();
    assert_eq!(ids(first), ["c1", "c2"]);
    let second = s
        .list_customers_at(Some(&both), Some(&cursor), 2, None)
        .await
        .unwrap();
    assert_eq!(second.next_cursor, None);
    assert_eq!(ids(second), ["c3"]);
    assert!(s.customer_visited("c3", &hel).await.unwrap());
    assert!(!s.customer_visited("c2", &hel).await.unwrap());
    assert!(!s.customer_visited("c4", &both).await.unwrap());
    assert!(!s.customer_visited("c1", &[]).await.unwrap());
    assert!(matches!(
        s.customer_visited("nobody", &hel).await,
        Err(StoreError::NotFound { .. })
    ));
    s.health().await.unwrap();
}
store_test!(manager_views_by_location, super::location_views);

/// `customers_log` (the incremental refit's read): the named customers' entries are those
/// of the full log, refunds netted; unknown and erased ids are absent; a currency other
/// than the given one is refused like a full read refuses mixed currencies.
async fn customers_log(db: &TestDb) {
    let s = &db.store;
    let mut refund = tx("t5", "c1", "2024-01-03T10:00:00Z", -300);
    refund.currency = "EUR".into();
    s.ingest_transactions(&[
        tx("t1", "c1", "2024-01-01T10:00:00Z", 1000),
        tx("t2", "c1", "2024-01-03T09:00:00Z", 2000),
        tx("t3", "c2", "2024-01-02T10:00:00Z", 500),
        tx("t4", "c3", "2024-01-05T10:00:00Z", 700),
        refund,
        tx("t6", "gone", "2024-01-04T10:00:00Z", 100),
    ])
    .await
    .unwrap();
    s.erase_customer("gone", None).await.unwrap();
    let full = s
        .transaction_log(&comeback_store::LogQuery::default())
        .await
        .unwrap();
    let names: Vec<String> = ["c3", "c1", "nobody", "gone", "c1"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    let (part, currency) = s.customers_log(&names, None, None).await.unwrap();
    assert_eq!(currency.as_deref(), Some("EUR"));
    let ids: Vec<&str> = part.ids().iter().map(|x| &**x).collect();
    assert_eq!(ids, ["c1", "c3"]);
    let full_of = |id: &str| {
        let i = full.ids().iter().position(|x| &**x == id).unwrap();
        full.customers()[i].clone()
    };
    assert_eq!(part.customers()[0], full_of("c1"));
    assert_eq!(part.customers()[1], full_of("c3"));
    // c1: 10.00 on Jan 1, 20.00 − 3.00 on Jan 3.
    let c1: Vec<i64> = part.customers()[0]
        .days
        .iter()
        .map(|d| d.amount.micros())
        .collect();
    assert_eq!(c1, [10_000_000, 17_000_000]);
    // The observation end is the named customers' last purchase day.
    assert_eq!(
        part.observation_end(),
        comeback_core::Day::parse_iso("2024-01-05")
    );
    let (empty, none) = s.customers_log(&[], None, None).await.unwrap();
    assert!(empty.is_empty() && none.is_none());
    match s.customers_log(&names, None, Some("USD")).await {
        Err(StoreError::MixedCurrencies { first, second }) => {
            assert_eq!((first.as_str(), second.as_str()), ("USD", "EUR"));
        }
        other => panic!("{other:?}"),
    }
}

store_test!(
    customers_log_reads_the_named_customers,
    super::customers_log
);
