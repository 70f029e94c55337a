//! Query plans at size: 10 M transactions of 10⁶ customers generated inside PostgreSQL
//! (`generate_series`, then `ANALYZE`) in the test's own schema; the customer page, the
//! customer search and the filtered lists must not read `transactions` sequentially, and the
//! refit's summary is one aggregate query inside PostgreSQL.
//!
//! `COMEBACK_TEST_PLAN_ROWS` changes the number of transactions (default 10,000,000;
//! customers are a tenth of it).

use std::time::Instant;

use sqlx::Connection;

use crate::common::{TestDb, pg_options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_on_ten_million_transactions() {
    let Some(db) = TestDb::postgres("plans::plans_on_ten_million_transactions").await else {
        return;
    };
    let rows: i64 = std::env::var("COMEBACK_TEST_PLAN_ROWS")
        .ok()
        .map(|v| v.parse().expect("COMEBACK_TEST_PLAN_ROWS: a whole number"))
        .unwrap_or(10_000_000);
    let customers = (rows / 10).max(1);
    let (url, schema) = db.pg.clone().unwrap();
    let mut c = sqlx::PgConnection::connect_with(&pg_options(&url, &schema))
        .await
        .unwrap();
    let t0 = Instant::now();
    // Rows as ingest stores them: external ids, local days over two years from
    // 2022-01-01 (day 18993), amounts in millionths, three in four at one of two
    // locations. For the bulk load only, the foreign-key checks are skipped
    // (session_replication_role; the ids are consistent by construction) and the
    // migrations' plain indexes of `transactions` are dropped and rebuilt afterwards from
    // their own definitions (pg_indexes): maintaining them row by row made the load of 10 M
    // rows take 195 s on the shared machine.
    let sql = format!(
        "SET session_replication_role = replica;
         SET maintenance_work_mem = '256MB';
         CREATE TEMPORARY TABLE plain_indexes AS
             SELECT indexname, indexdef FROM pg_indexes i
             WHERE schemaname = current_schema() AND tablename = 'transactions'
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname);
         DO $$ DECLARE r record; BEGIN
             FOR r IN SELECT indexname FROM plain_indexes LOOP
                 EXECUTE 'DROP INDEX ' || quote_ident(r.indexname);
             END LOOP; END $$;
         INSERT INTO locations (code, name, time_zone) VALUES
             ('HEL', 'Helsinki', 'Europe/Helsinki'), ('TRE', 'Tampere', 'Europe/Helsinki');
         INSERT INTO customers (external_id, name, email, first_seen, attributes)
             SELECT 'c' || lpad(g::text, 8, '0'), 'Customer ' || g, 'c' || g || '@example.com',
                    0, '{{}}'
             FROM generate_series(1, {customers}) g;
         INSERT INTO transactions (external_id, customer_id, occurred_at, local_day,
                                   amount_micros, currency, location_id)
             SELECT 't' || g,
                    (SELECT MIN(id) FROM customers) + g % {customers},
                    NULL,
                    18993 + (g * 7919) % 730,
                    1000000 + (g * 104729) % 99000000,
                    'EUR',
                    CASE WHEN g % 4 = 0 THEN NULL
                         ELSE (SELECT MIN(id) FROM locations) + g % 2 END
             FROM generate_series(CAST(1 AS BIGINT), CAST({rows} AS BIGINT)) g;
         DO $$ DECLARE r record; BEGIN
             FOR r IN SELECT indexdef FROM plain_indexes LOOP EXECUTE r.indexdef; END LOOP;
         END $$;
         SET session_replication_role = origin;
         ANALYZE;"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut c)
        .await
        .unwrap();
    let generated = t0.elapsed();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transactions")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(count, rows);
    let rebuilt: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
         AND tablename = 'transactions' ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert!(
        rebuilt.iter().any(|i| i == "transactions_customer_day")
            && rebuilt.iter().any(|i| i == "transactions_location_day"),
        "{rebuilt:?}"
    );

    let among: Vec<String> = (1..=200)
        .map(|i| format!("c{:08}", i * (customers / 200).max(1)))
        .collect();
    let end = comeback_core::Day(18993 + 729);
    let t1 = Instant::now();
    let plans = db
        .store
        .explain_hot_queries("c00000042", "c0000004", &among, &["HEL".to_owned()], end)
        .await
        .unwrap();
    let explained = t1.elapsed();
    let plan = |name: &str| plans.iter().find(|p| p.name == name).unwrap();
    for p in &plans {
        eprintln!("-- {}\n{}", p.name, p.plan.join("\n"));
    }
    // The customer page: the customer by its unique external id, their transactions
    // through (customer_id, local_day).
    let p = plan("customer_by_external_id");
    assert!(!p.seq_scans("customers"), "{p:?}");
    assert!(p.plan.iter().any(|l| l.contains("Index Scan")), "{p:?}");
    let p = plan("customer_history");
    assert!(!p.seq_scans("transactions"), "{p:?}");
    assert!(
        p.plan
            .iter()
            .any(|l| l.contains("transactions_customer_day")),
        "{p:?}"
    );
    // A manager's access check and view, the segment/stage (action list) filter, the
    // search: never a sequential scan of the transactions.
    for name in [
        "customer_visited",
        "customers_at_locations",
        "customers_among",
        "customer_search",
    ] {
        let p = plan(name);
        assert!(!p.seq_scans("transactions"), "{p:?}");
    }
    let p = plan("customers_among");
    assert!(!p.seq_scans("customers"), "{p:?}");
    // The summary: one query over every transaction, aggregated inside PostgreSQL.
    let p = plan("summary");
    assert!(p.seq_scans("transactions"), "{p:?}");
    assert!(p.plan.iter().any(|l| l.contains("Aggregate")), "{p:?}");
    assert!(p.plan.iter().any(|l| l.contains("WindowAgg")), "{p:?}");

    // How long the summary takes inside PostgreSQL at this size (reported, not asserted:
    // the machine is shared).
    sqlx::query(comeback_store::SUMMARY_VIEW_SQL)
        .execute(&mut c)
        .await
        .unwrap();
    let t2 = Instant::now();
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM ({}) s",
        comeback_store::summary_query(end, None)
            .trim_end()
            .trim_end_matches(';')
    )))
    .fetch_one(&mut c)
    .await
    .unwrap();
    let summarised = t2.elapsed();
    assert_eq!(n, customers.min(rows));
    eprintln!(
        "plans: {rows} transactions of {customers} customers generated and analysed in {:.1} s, \
         plans in {:.2} s, summary query in {:.1} s",
        generated.as_secs_f64(),
        explained.as_secs_f64(),
        summarised.as_secs_f64()
    );
    c.close().await.unwrap();
    db.cleanup().await;
}
