//! Transaction and customer batches: idempotency, all-or-nothing, erasure, local days.

use comeback_core::{Amount, Day, TransactionLog};
use comeback_store::{CustomerInput, IngestOutcome, Location, LogQuery, StoreError};

use crate::common::{TestDb, at, store_test, tx};

fn rejected(r: Result<IngestOutcome, StoreError>) -> Vec<(usize, &'static str)> {
    match r {
        Err(StoreError::Rejected { rows }) => rows.iter().map(|e| (e.index, e.field)).collect(),
        other => panic!("expected a rejected batch, got {other:?}"),
    }
}

async fn count_transactions(db: &TestDb) -> String {
    let rows = db
        .raw_rows("SELECT CAST(COUNT(*) AS TEXT) FROM transactions")
        .await;
    rows[0][0].clone().unwrap()
}

/// A change to one field of a transaction.
type Change = dyn Fn(&mut comeback_store::TransactionInput);

async fn idempotent_resend(db: &TestDb) {
    let s = &db.store;
    let batch = vec![
        tx("t1", "c1", "2024-01-05T10:00:00Z", 1250),
        tx("t2", "c1", "2024-02-05T10:00:00Z", 800),
        tx("t3", "c2", "2024-02-06T10:00:00Z", 99),
    ];
    let first = s.ingest_transactions(&batch).await.unwrap();
    assert_eq!(
        first,
        IngestOutcome {
            inserted: 3,
            duplicates: 0
        }
    );
    let again = s.ingest_transactions(&batch).await.unwrap();
    assert_eq!(
        again,
        IngestOutcome {
            inserted: 0,
            duplicates: 3
        }
    );
    // A batch mixing one new row, one stored row and a row repeated inside the batch.
    let mixed = vec![
        tx("t4", "c2", "2024-03-01T10:00:00Z", 500),
        tx("t1", "c1", "2024-01-05T10:00:00Z", 1250),
        tx("t4", "c2", "2024-03-01T10:00:00Z", 500),
    ];
    let out = s.ingest_transactions(&mixed).await.unwrap();
    assert_eq!(
        out,
        IngestOutcome {
            inserted: 1,
            duplicates: 2
        }
    );
    assert_eq!(count_transactions(db).await, "4");
    // Any one field differing from the stored row is a conflict, NULLs included.
    let variants: Vec<Box<Change>> = vec![
        Box::new(|t| t.channel = Some("web".into())),
        Box::new(|t| t.employee = Some("e1".into())),
        Box::new(|t| t.customer = "c2".into()),
        Box::new(|t| t.currency = "USD".into()),
        Box::new(|t| t.amount = Amount::from_micros(12_500_001)),
        Box::new(|t| t.time = at("2024-01-05T10:00:01Z").into()),
        Box::new(|t| t.time = Day::from_ymd(2024, 1, 5).unwrap().into()),
    ];
    for (k, change) in variants.iter().enumerate() {
        let mut t1 = batch[0].clone();
        change(&mut t1);
        let fresh = tx(&format!("n{k}"), "c9", "2024-01-05T10:00:00Z", 1);
        // Another currency is refused first: the store holds EUR.
        let field = if t1.currency == "EUR" {
            "external_id"
        } else {
            "currency"
        };
        assert_eq!(
            rejected(s.ingest_transactions(&[fresh, t1]).await),
            [(1, field)],
            "variant {k}"
        );
    }
    assert_eq!(count_transactions(db).await, "4");
    let c1 = s.customer_detail("c1").await.unwrap();
    let ids: Vec<&str> = c1
        .transactions
        .iter()
        .map(|t| t.external_id.as_str())
        .collect();
    assert_eq!(ids, ["t1", "t2"]);
    assert_eq!(c1.transactions[0].amount, Amount::from_micros(12_500_000));
    assert_eq!(c1.customer.first_seen, Some(at("2024-01-05T10:00:00Z")));
}
store_test!(
    idempotent_resend_creates_no_duplicates,
    super::idempotent_resend
);

async fn malformed_batch(db: &TestDb) {
    let s = &db.store;
    s.upsert_location(&Location {
        code: "hel".into(),
        name: None,
        time_zone: "Europe/Helsinki".into(),
    })
    .await
    .unwrap();
    let mut unknown_location = tx("t5", "c3", "2024-01-01T00:00:00Z", 100);
    unknown_location.location = Some("nowhere".into());
    let mut known_location = tx("t6", "c3", "2024-01-01T00:00:00Z", 100);
    known_location.location = Some("hel".into());
    let batch = vec![
        tx("t1", "c1", "2024-01-01T00:00:00Z", 100),  // fine
        tx("t2", "c1", "2024-01-01T00:00:00Z", 100),  // fine
        tx("t3", "", "2024-01-01T00:00:00Z", 100),    // empty customer
        tx("t1", "c1", "2024-01-01T00:00:00Z", 200),  // t1 again, other amount
        tx(" t9", "c2", "2024-01-01T00:00:00Z", 100), // padded id
        unknown_location,                             // unknown location
        known_location,                               // fine
        {
            let mut t = tx("t7", "c4", "2024-01-01T00:00:00Z", 100);
            t.currency = "eur".into(); // not an ISO code
            t
        },
        {
            let mut t = tx("t8", "c4", "2024-01-01T00:00:00Z", 100);
            t.time = Day(i32::MAX).into(); // beyond the calendar
            t
        },
    ];
    let errors = rejected(s.ingest_transactions(&batch).await);
    assert_eq!(
        errors,
        [
            (2, "customer"),
            (3, "external_id"),
            (4, "external_id"),
            (5, "location"),
            (7, "currency"),
            (8, "time")
        ]
    );
    assert_eq!(count_transactions(db).await, "0");
    assert!(
        s.list_customers(None, 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(s.employees().await.unwrap().is_empty());

    // A row conflicting with a stored one rejects the whole batch too.
    s.ingest_transactions(&batch[..2]).await.unwrap();
    let conflict = vec![
        tx("t8", "c5", "2024-01-01T00:00:00Z", 100),
        tx("t2", "c1", "2024-01-01T00:00:00Z", 101),
    ];
    assert_eq!(
        rejected(s.ingest_transactions(&conflict).await),
        [(1, "external_id")]
    );
    assert_eq!(count_transactions(db).await, "2");
    assert!(matches!(
        s.customer_detail("c5").await,
        Err(StoreError::NotFound { .. })
    ));
}
store_test!(malformed_batch_is_rejected_whole, super::malformed_batch);

async fn erased_customer_refused(db: &TestDb) {
    let s = &db.store;
    let batch = vec![
        tx("t1", "alice", "2024-01-01T10:00:00Z", 100),
        tx("t2", "bob", "2024-01-02T10:00:00Z", 100),
    ];
    s.ingest_transactions(&batch).await.unwrap();
    s.erase_customer("alice", None).await.unwrap();
    assert!(s.is_suppressed("alice").await.unwrap());
    assert!(!s.is_suppressed("bob").await.unwrap());
    // The re-sent batch is refused for alice's row, and nothing of it is stored.
    let mut resend = batch.clone();
    resend.push(tx("t3", "bob", "2024-01-03T10:00:00Z", 100));
    assert_eq!(
        rejected(s.ingest_transactions(&resend).await),
        [(0, "customer")]
    );
    assert_eq!(
        s.customer_detail("bob").await.unwrap().transactions.len(),
        1
    );
    // So is a customer batch naming her.
    let c = CustomerInput {
        external_id: "alice".into(),
        name: Some("Alice".into()),
        ..Default::default()
    };
    match s.upsert_customers(&[c]).await {
        Err(StoreError::Rejected { rows }) => assert_eq!(rows[0].field, "external_id"),
        other => panic!("expected rejection, got {other:?}"),
    }
    assert!(matches!(
        s.customer_detail("alice").await,
        Err(StoreError::NotFound { .. })
    ));
}
store_test!(
    erased_customers_resent_batch_is_refused,
    super::erased_customer_refused
);

/// `reference/local_days.csv`, made by `reference/local_days.py` with Python's zoneinfo.
const LOCAL_DAYS: &str = include_str!("../../reference/local_days.csv");

async fn local_days(db: &TestDb) {
    let s = &db.store;
    let mut batch = Vec::new();
    let mut expected = Vec::new();
    for (i, line) in LOCAL_DAYS.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let code = f[1].replace('/', "-");
        s.upsert_location(&Location {
            code: code.clone(),
            name: Some(f[1].into()),
            time_zone: f[1].into(),
        })
        .await
        .unwrap();
        let mut t = tx(&format!("t{i:02}"), "c1", f[0], 100);
        t.location = Some(code);
        batch.push(t);
        expected.push((f[2].to_owned(), Day(f[3].parse().unwrap())));
    }
    s.ingest_transactions(&batch).await.unwrap();
    let mut got = s.customer_detail("c1").await.unwrap().transactions;
    got.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    assert_eq!(got.len(), expected.len());
    for (t, (date, day)) in got.iter().zip(&expected) {
        assert_eq!(t.local_day, *day, "{:?} in {:?}", t.occurred_at, t.location);
        assert_eq!(t.local_day.to_string(), *date);
    }

    // Without a location the business time zone applies; it cannot change under stored rows.
    s.set_business_time_zone("America/New_York").await.unwrap();
    s.ingest_transactions(&[tx("u1", "c2", "2024-11-03T03:30:00Z", 100)])
        .await
        .unwrap();
    let d = s.customer_detail("c2").await.unwrap();
    assert_eq!(
        d.transactions[0].local_day,
        Day::from_ymd(2024, 11, 2).unwrap()
    );
    assert!(matches!(
        s.set_business_time_zone("UTC").await,
        Err(StoreError::TimeZoneInUse { .. })
    ));
    assert!(matches!(
        s.set_business_time_zone("Mars/Olympus").await,
        Err(StoreError::Invalid { .. })
    ));
    // A location's time zone is fixed once transactions use it; its name is not.
    let hel = Location {
        code: "Europe-Helsinki".into(),
        name: Some("Helsinki".into()),
        time_zone: "UTC".into(),
    };
    assert!(matches!(
        s.upsert_location(&hel).await,
        Err(StoreError::TimeZoneInUse { .. })
    ));
    let hel = Location {
        time_zone: "Europe/Helsinki".into(),
        ..hel
    };
    s.upsert_location(&hel).await.unwrap();
    assert!(s.locations().await.unwrap().contains(&hel));
}
store_test!(local_days_match_python_zoneinfo, super::local_days);

async fn transaction_log(db: &TestDb) {
    let s = &db.store;
    let batch = vec![
        tx("a1", "c1", "2024-01-01T09:00:00Z", 1000),
        tx("a2", "c1", "2024-01-01T18:00:00Z", 500), // same day: one occasion of 15.00
        tx("a3", "c1", "2024-01-08T09:00:00Z", 200),
        tx("a4", "c2", "2024-01-03T09:00:00Z", 700),
        tx("a5", "c2", "2024-01-03T10:00:00Z", -700), // refund: a day with net zero
    ];
    s.ingest_transactions(&batch).await.unwrap();
    let log: TransactionLog = s.transaction_log(&LogQuery::default()).await.unwrap();
    assert_eq!(log.len(), 2);
    let i = log.ids().iter().position(|id| &**id == "c1").unwrap();
    let occ = log.occasions(i, comeback_core::Collapse::Day);
    assert_eq!(
        occ,
        [
            (
                Day::from_ymd(2024, 1, 1).unwrap(),
                Amount::from_micros(15_000_000)
            ),
            (
                Day::from_ymd(2024, 1, 8).unwrap(),
                Amount::from_micros(2_000_000)
            ),
        ]
    );
    assert_eq!(log.refund_rows(), 1);

    // Observation end leaves later rows out; a second currency needs a choice.
    let q = LogQuery {
        observation_end: Day::from_ymd(2024, 1, 5),
        ..Default::default()
    };
    assert_eq!(s.transaction_log(&q).await.unwrap().rows_after_end(), 1);
    // A store written before the one-currency check (the setting absent, a USD row
    // beside the EUR ones).
    s.ingest_transactions(&[tx("b1", "c3", "2024-01-02T09:00:00Z", 100)])
        .await
        .unwrap();
    db.raw_exec("UPDATE transactions SET currency = 'USD' WHERE external_id = 'b1'")
        .await
        .unwrap();
    db.raw_exec("DELETE FROM settings WHERE key = 'transaction_currency'")
        .await
        .unwrap();
    assert!(matches!(
        s.transaction_log(&LogQuery::default()).await,
        Err(StoreError::MixedCurrencies { .. })
    ));
    let q = LogQuery {
        currency: Some("USD".into()),
        ..Default::default()
    };
    let log = s.transaction_log(&q).await.unwrap();
    assert_eq!(log.ids().iter().map(|s| &**s).collect::<Vec<_>>(), ["c3"]);
}
store_test!(transaction_log_has_the_day_totals, super::transaction_log);

async fn first_seen_and_employees(db: &TestDb) {
    let s = &db.store;
    let mut t = tx("t2", "c1", "2024-05-01T00:00:00Z", 100);
    t.employee = Some("e7".into());
    t.channel = Some("web".into());
    s.ingest_transactions(&[t]).await.unwrap();
    s.ingest_transactions(&[tx("t1", "c1", "2024-04-01T00:00:00Z", 100)])
        .await
        .unwrap();
    s.ingest_transactions(&[tx("t3", "c1", "2024-06-01T00:00:00Z", 100)])
        .await
        .unwrap();
    let d = s.customer_detail("c1").await.unwrap();
    assert_eq!(d.customer.first_seen, Some(at("2024-04-01T00:00:00Z")));
    assert_eq!(d.transactions[1].employee.as_deref(), Some("e7"));
    assert_eq!(d.transactions[1].channel.as_deref(), Some("web"));
    let e = s.employees().await.unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].code, "e7");
}
store_test!(
    first_seen_is_the_earliest_transaction,
    super::first_seen_and_employees
);

async fn concurrent_batches(db: &TestDb) {
    let s = &db.store;
    // Four clients send overlapping batches at the same time: every external id is stored
    // once and each row is either inserted or counted as a duplicate.
    let batch = |k: usize| -> Vec<comeback_store::TransactionInput> {
        (0..400)
            .map(|i| {
                let n = (i * 7 + k * 100) % 1000;
                tx(
                    &format!("t{n:04}"),
                    &format!("c{}", n % 50),
                    "2024-01-01T10:00:00Z",
                    n as i64,
                )
            })
            .collect()
    };
    let tasks: Vec<_> = (0..4)
        .map(|k| {
            let s = s.clone();
            let b = batch(k);
            tokio::spawn(async move { s.ingest_transactions(&b).await.unwrap() })
        })
        .collect();
    let mut inserted = 0;
    let mut duplicates = 0;
    for t in tasks {
        let o = t.await.unwrap();
        inserted += o.inserted;
        duplicates += o.duplicates;
    }
    let distinct: std::collections::BTreeSet<String> = (0..4)
        .flat_map(|k| batch(k).into_iter().map(|t| t.external_id))
        .collect();
    assert_eq!(inserted as usize, distinct.len());
    assert_eq!((inserted + duplicates) as usize, 4 * 400);
    assert_eq!(count_transactions(db).await, distinct.len().to_string());
}
store_test!(
    concurrent_overlapping_batches_store_each_row_once,
    super::concurrent_batches
);

/// Ingest caches customer ids per `Store`; a second store (another server process) on the
/// same database changes first sights and erases customers behind the first one's back.
async fn two_stores(db: &TestDb) {
    let a = &db.store;
    let b = match &db.pg {
        None => comeback_store::Store::connect(&db.sqlite_url())
            .await
            .unwrap(),
        Some((url, schema)) => comeback_store::StoreConfig::new(url.clone())
            .pg_schema(schema.clone())
            .connect()
            .await
            .unwrap(),
    };
    a.ingest_transactions(&[
        tx("t1", "c1", "2024-05-01T00:00:00Z", 100),
        tx("t2", "c2", "2024-05-01T00:00:00Z", 100),
    ])
    .await
    .unwrap();
    b.ingest_transactions(&[tx("t3", "c1", "2024-03-01T00:00:00Z", 100)])
        .await
        .unwrap();
    a.ingest_transactions(&[tx("t4", "c1", "2024-04-01T00:00:00Z", 100)])
        .await
        .unwrap();
    let c1 = a.customer_detail("c1").await.unwrap();
    assert_eq!(c1.customer.first_seen, Some(at("2024-03-01T00:00:00Z")));
    assert_eq!(c1.transactions.len(), 3);
    b.erase_customer("c2", None).await.unwrap();
    assert_eq!(
        rejected(
            a.ingest_transactions(&[tx("t5", "c2", "2024-06-01T00:00:00Z", 100)])
                .await
        ),
        [(0, "customer")]
    );
    b.close().await;
}
store_test!(a_second_store_does_not_confuse_the_first, super::two_stores);

/// Rows known by their local day only (what the CLI's file parser yields for date
/// columns) are stored without an instant, re-sent as duplicates, and start the customer's
/// first sight at the local midnight of their location.
async fn day_only_rows(db: &TestDb) {
    let s = &db.store;
    s.upsert_location(&Location {
        code: "hel".into(),
        name: None,
        time_zone: "Europe/Helsinki".into(),
    })
    .await
    .unwrap();
    let day = Day::from_ymd(2024, 3, 31).unwrap();
    let mut a = comeback_store::TransactionInput::new(
        "d1",
        "c1",
        day,
        Amount::from_micros(5_000_000),
        "EUR",
    );
    a.location = Some("hel".into());
    let mut b = tx("d2", "c1", "2024-03-31T08:00:00Z", 100);
    b.location = Some("hel".into());
    let batch = vec![b, a.clone()];
    assert_eq!(s.ingest_transactions(&batch).await.unwrap().inserted, 2);
    assert_eq!(s.ingest_transactions(&batch).await.unwrap().duplicates, 2);
    // The same id as an instant on that day is another transaction: a conflict.
    let mut c = tx("d1", "c1", "2024-03-31T08:00:00Z", 500);
    c.location = Some("hel".into());
    assert_eq!(
        rejected(s.ingest_transactions(&[c]).await),
        [(0, "external_id")]
    );
    let d = s.customer_detail("c1").await.unwrap();
    let ids: Vec<&str> = d
        .transactions
        .iter()
        .map(|t| t.external_id.as_str())
        .collect();
    assert_eq!(ids, ["d1", "d2"], "day-only rows first within their day");
    assert_eq!(d.transactions[0].occurred_at, None);
    assert_eq!(d.transactions[0].local_day, day);
    assert_eq!(d.transactions[1].local_day, day);
    // Local midnight of 31 March 2024 in Helsinki (UTC+2) is 30 March 22:00 UTC
    // (reference/local_days.csv has the same boundary).
    assert_eq!(d.customer.first_seen, Some(at("2024-03-30T22:00:00Z")));
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json["transactions"][0]["occurred_at"],
        serde_json::Value::Null
    );
    let log = s.transaction_log(&LogQuery::default()).await.unwrap();
    assert_eq!(
        log.occasions(0, comeback_core::Collapse::Day),
        [(day, Amount::from_micros(6_000_000))]
    );
}
store_test!(rows_known_by_day_only, super::day_only_rows);

/// A store holds one currency: a row in another is refused with the batch, nothing
/// stored; the first batch of an empty store sets it and may not mix currencies; a store
/// that holds several from before the check takes only those.
async fn one_currency(db: &TestDb) {
    let s = &db.store;
    let mut usd = tx("u1", "c1", "2024-01-01T10:00:00Z", 100);
    usd.currency = "USD".into();
    let refused = |r: Result<_, StoreError>| match r {
        Err(StoreError::Rejected { rows }) => rows
            .into_iter()
            .map(|e| (e.index, e.field, e.message))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    // Empty store, mixed batch: row 1 named, nothing stored (not even the setting).
    let rows = refused(
        s.ingest_transactions(&[tx("e1", "c1", "2024-01-01T10:00:00Z", 100), usd.clone()])
            .await,
    );
    assert_eq!(
        rows,
        [(
            1,
            "currency",
            "\"USD\" differs from \"EUR\" of row 0: a store holds one currency, and the store \
             is empty, so this batch would set it; send one currency"
                .to_owned()
        )]
    );
    let count = "SELECT CAST(COUNT(*) AS TEXT) FROM transactions";
    assert_eq!(db.raw_rows(count).await, [[Some("0".to_owned())]]);
    let setting = "SELECT value FROM settings WHERE key = 'transaction_currency'";
    assert!(db.raw_rows(setting).await.is_empty());
    // EUR first: the store's currency; USD refused, EUR accepted.
    s.ingest_transactions(&[tx("e1", "c1", "2024-01-01T10:00:00Z", 100)])
        .await
        .unwrap();
    assert_eq!(db.raw_rows(setting).await, [[Some("EUR".to_owned())]]);
    let rows = refused(
        s.ingest_transactions(&[tx("e2", "c2", "2024-01-02T10:00:00Z", 100), usd.clone()])
            .await,
    );
    assert_eq!(
        rows,
        [(
            1,
            "currency",
            "\"USD\" is not the store's currency EUR: a store holds one currency; send amounts \
             in EUR, or keep USD data in a store of its own"
                .to_owned()
        )]
    );
    assert_eq!(db.raw_rows(count).await, [[Some("1".to_owned())]]);
    let out = s
        .ingest_transactions(&[tx("e2", "c2", "2024-01-02T10:00:00Z", 100)])
        .await
        .unwrap();
    assert_eq!(out.inserted, 1);
    assert!(s.transaction_log(&LogQuery::default()).await.is_ok());

    // A store from before the check holding EUR and USD: those two pass, GBP does not,
    // and no setting is written.
    db.raw_exec("UPDATE transactions SET currency = 'USD' WHERE external_id = 'e2'")
        .await
        .unwrap();
    db.raw_exec("DELETE FROM settings").await.unwrap();
    let mut gbp = tx("g1", "c3", "2024-01-03T10:00:00Z", 100);
    gbp.currency = "GBP".into();
    let rows = refused(s.ingest_transactions(&[gbp]).await);
    assert_eq!(
        rows,
        [(
            0,
            "currency",
            "\"GBP\" is not one of the currencies already stored (EUR, USD): a store holds one \
             currency"
                .to_owned()
        )]
    );
    s.ingest_transactions(&[usd]).await.unwrap();
    assert!(db.raw_rows(setting).await.is_empty());
}
store_test!(a_store_holds_one_currency, super::one_currency);

/// Two concurrent first batches in different currencies: exactly one is stored.
async fn concurrent_currencies(db: &TestDb) {
    for round in 0..5 {
        db.raw_exec("DELETE FROM transactions").await.unwrap();
        db.raw_exec("DELETE FROM settings WHERE key = 'transaction_currency'")
            .await
            .unwrap();
        let eur = tx(&format!("e{round}"), "c1", "2024-01-01T10:00:00Z", 100);
        let mut usd = tx(&format!("u{round}"), "c2", "2024-01-01T10:00:00Z", 100);
        usd.currency = "USD".into();
        let (a, b) = tokio::join!(
            db.store.ingest_transactions(std::slice::from_ref(&eur)),
            db.store.ingest_transactions(std::slice::from_ref(&usd)),
        );
        assert!(a.is_ok() != b.is_ok(), "round {round}: {a:?} {b:?}");
        let stored = db
            .raw_rows("SELECT DISTINCT currency FROM transactions")
            .await;
        assert_eq!(stored.len(), 1, "round {round}: {stored:?}");
        assert!(db.store.transaction_log(&LogQuery::default()).await.is_ok());
    }
}
store_test!(
    concurrent_currencies_cannot_both_land,
    super::concurrent_currencies
);
