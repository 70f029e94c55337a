//! Versioned forward-only migrations: both backends in step, upgrades keep data.

use comeback_store::{MIGRATIONS_POSTGRES, MIGRATIONS_SQLITE, MigrationFile};

use crate::common::{TestDb, tx};

fn versions_on_disk(backend: &str) -> Vec<(i64, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut out: Vec<(i64, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".sql"))
        .map(|n| (n[..4].parse().unwrap(), n))
        .collect();
    out.sort();
    out
}

fn compiled(files: &[MigrationFile]) -> Vec<(i64, String)> {
    files
        .iter()
        .map(|f| (f.version, f.file_name.to_owned()))
        .collect()
}

#[test]
fn both_backends_have_the_same_versions_and_all_files_are_compiled_in() {
    let sqlite = versions_on_disk("sqlite");
    let postgres = versions_on_disk("postgres");
    assert_eq!(compiled(MIGRATIONS_SQLITE), sqlite);
    assert_eq!(compiled(MIGRATIONS_POSTGRES), postgres);
    let v = |x: &[(i64, String)]| x.iter().map(|p| p.0).collect::<Vec<_>>();
    assert_eq!(v(&sqlite), v(&postgres));
    // Strictly increasing from 1; numbers are handed out ahead of time to parallel work,
    // so a gap (e.g. 6–8 before 9) can exist until every piece lands.
    assert_eq!(v(&sqlite).first(), Some(&1));
    assert!(v(&sqlite).windows(2).all(|w| w[0] < w[1]), "{sqlite:?}");
    assert!(sqlite.len() >= 2);
}

/// Applies migration 1 only, stores data with the version-1 schema, then migrates to the
/// latest version and checks the data survived and works with the new schema.
async fn upgrade_keeps_data(db: TestDb) {
    let s = &db.store;
    assert_eq!(s.applied_migrations().await.unwrap(), [1]);
    // Version 1 has no suppression list yet.
    assert!(
        db.raw_exec("SELECT * FROM erasure_suppression")
            .await
            .is_err()
    );
    db.raw_exec(
        "INSERT INTO customers (external_id, name, first_seen, loyalty_member, attributes) \
         VALUES ('old-1', 'Olga', 1704067200000000, TRUE, '{\"k\":1}')",
    )
    .await
    .unwrap();
    db.raw_exec(
        "INSERT INTO transactions (external_id, customer_id, occurred_at, local_day, \
         amount_micros, currency) SELECT 'ot-1', id, 1704103200000000, 19723, 4500000, 'EUR' \
         FROM customers WHERE external_id = 'old-1'",
    )
    .await
    .unwrap();

    s.migrate().await.unwrap();
    let all: Vec<i64> = MIGRATIONS_SQLITE.iter().map(|m| m.version).collect();
    assert_eq!(s.applied_migrations().await.unwrap(), all);
    let d = s.customer_detail("old-1").await.unwrap();
    assert_eq!(d.customer.name.as_deref(), Some("Olga"));
    assert!(d.customer.loyalty_member);
    assert_eq!(d.customer.attributes["k"], 1);
    assert_eq!(d.transactions.len(), 1);
    assert_eq!(d.transactions[0].amount.micros(), 4_500_000);
    assert_eq!(d.transactions[0].local_day.to_string(), "2024-01-01");
    // The old row is recognised by the new code: re-sending it is a duplicate.
    let mut again = tx("ot-1", "old-1", "2024-01-01T10:00:00Z", 450);
    again.currency = "EUR".into();
    let out = s.ingest_transactions(&[again]).await.unwrap();
    assert_eq!((out.inserted, out.duplicates), (0, 1));
    // The new schema's features work on the upgraded database.
    s.erase_customer("old-1", None).await.unwrap();
    assert!(s.is_suppressed("old-1").await.unwrap());
    // Reopening applies nothing and keeps the data.
    s.migrate().await.unwrap();
    db.cleanup().await;
}

#[tokio::test]
async fn sqlite_upgrade_from_the_previous_schema_keeps_data() {
    upgrade_keeps_data(TestDb::sqlite_config(|c| c.migrate_up_to(1)).await).await;
}

#[tokio::test]
async fn postgres_upgrade_from_the_previous_schema_keeps_data() {
    let name = "migrations::postgres_upgrade_from_the_previous_schema_keeps_data";
    if let Some(db) = TestDb::postgres_config(name, |c| c.migrate_up_to(1)).await {
        upgrade_keeps_data(db).await;
    }
}

#[tokio::test]
async fn reopening_a_database_keeps_it() {
    let db = TestDb::sqlite().await;
    db.store
        .ingest_transactions(&[tx("t1", "c1", "2024-01-01T10:00:00Z", 100)])
        .await
        .unwrap();
    db.store.close().await;
    let again = comeback_store::Store::connect(&db.sqlite_url())
        .await
        .unwrap();
    let all: Vec<i64> = MIGRATIONS_SQLITE.iter().map(|m| m.version).collect();
    assert_eq!(again.applied_migrations().await.unwrap(), all);
    assert_eq!(
        again
            .customer_detail("c1")
            .await
            .unwrap()
            .transactions
            .len(),
        1
    );
    // The journal mode is WAL.
    let mode = db.raw_rows("PRAGMA journal_mode").await;
    assert_eq!(mode[0][0].as_deref(), Some("wal"));
    again.close().await;
}

#[tokio::test]
async fn unsupported_urls_are_refused_without_echoing_them() {
    let e = comeback_store::Store::connect("mysql://root:secret@localhost/db")
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("\"mysql\""), "{msg}");
    assert!(!msg.contains("secret"), "{msg}");
}

/// `sqlite::memory:` opens, migrates and serves concurrent reads (sqlx shares one named
/// in-memory database between connections; the store also keeps one connection open for
/// ever, so that an idle pool cannot drop the database — not observable in a short test).
#[tokio::test]
async fn in_memory_sqlite_works() {
    let s = comeback_store::Store::connect("sqlite::memory:")
        .await
        .unwrap();
    s.ingest_transactions(&[tx("t1", "c1", "2024-01-01T10:00:00Z", 100)])
        .await
        .unwrap();
    let (a, b) = tokio::join!(s.customer_detail("c1"), s.customer_detail("c1"));
    assert_eq!(a.unwrap().transactions.len(), 1);
    assert_eq!(b.unwrap().transactions.len(), 1);
    s.close().await;
}
