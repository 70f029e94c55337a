//! Summaries computed inside PostgreSQL by comeback-sql's query
//! ([`Store::database_summaries`]) equal the in-process ones: the CDNOW sample with added
//! refunds and an erased customer, integers equal, reals within 1e-9 relative; and the
//! analysis on them gives the same scores, stages and lists as the analysis of the log.

use comeback_analysis::{AnalysisOptions, analyze, analyze_with_summaries};
use comeback_core::{Amount, Day, SummaryOptions, TimeUnit};
use comeback_store::{LogQuery, StoreError, TransactionInput};

use crate::common::TestDb;

/// Relative tolerance of the reals (the query sums millionths as doubles and divides once,
/// the core divides the exact integer sum once: at most a few rounding steps apart).
const REL: f64 = 1e-9;

fn close(what: &str, a: f64, b: f64) {
    let scale = a.abs().max(b.abs()).max(1e-300);
    assert!(
        a == b || (a - b).abs() / scale <= REL,
        "{what}: {a} vs {b} (relative {})",
        (a - b).abs() / scale
    );
}

/// `29.33` → millionths.
fn amount(s: &str) -> Amount {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut micros: i64 = whole.parse::<i64>().unwrap() * 1_000_000;
    let mut scale = 100_000;
    for c in frac.chars() {
        micros += i64::from(c.to_digit(10).unwrap()) * scale;
        scale /= 10;
    }
    Amount::from_micros(micros)
}

/// The shipped CDNOW sample (customer, sample id, yyyymmdd, quantity, amount) as day-only
/// USD transactions, plus refunds: one netted into a purchase day of customer 00004, one
/// refund-only day of the same customer, and a refund larger than the day's purchase.
pub fn cdnow_rows() -> Vec<TransactionInput> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/CDNOW_sample.txt"
    ))
    .unwrap();
    let day = |s: &str| {
        Day::from_ymd(
            s[..4].parse().unwrap(),
            s[4..6].parse().unwrap(),
            s[6..].parse().unwrap(),
        )
        .unwrap()
    };
    let mut rows: Vec<TransactionInput> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<&str> = l.split_whitespace().collect();
            TransactionInput::new(format!("t{i}"), f[0], day(f[2]), amount(f[4]), "USD")
        })
        .collect();
    for (id, customer, d, a) in [
        ("r1", "00004", "19970118", "-10.00"),
        ("r2", "00004", "19970301", "-5.00"),
        ("r3", "00018", "19970104", "-100.00"),
    ] {
        rows.push(TransactionInput::new(
            id,
            customer,
            day(d),
            Amount::from_micros(-amount(a.trim_start_matches('-')).micros()),
            "USD",
        ));
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_has_no_database_summaries() {
    let db = TestDb::sqlite().await;
    let e = db
        .store
        .database_summaries(TimeUnit::Weeks, |_| None)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Unsupported { .. }), "{e}");
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_summaries_equal_in_process_on_cdnow() {
    let Some(db) = TestDb::postgres("summary::postgres_summaries_equal_in_process_on_cdnow").await
    else {
        return;
    };
    let s = &db.store;
    // Empty store: an empty summary, no calibration.
    let empty = s
        .database_summaries(TimeUnit::Days, |_| None)
        .await
        .unwrap();
    assert!(empty.summary.customers.is_empty() && empty.log.ids().is_empty());

    let rows = cdnow_rows();
    for chunk in rows.chunks(2000) {
        s.ingest_transactions(chunk).await.unwrap();
    }
    s.erase_customer("00021", None).await.unwrap();
    let log = s.transaction_log(&LogQuery::default()).await.unwrap();
    // 2,357 customers in the sample, one erased.
    assert_eq!(log.ids().len(), 2356);
    let cal = Day::from_ymd(1997, 9, 30).unwrap();
    for unit in [TimeUnit::Days, TimeUnit::Weeks, TimeUnit::Months] {
        let opts = SummaryOptions {
            unit,
            ..SummaryOptions::default()
        };
        let got = s
            .database_summaries(unit, |sum| {
                assert_eq!(sum.customers.len(), 2356);
                Some(cal)
            })
            .await
            .unwrap();
        // The day totals: the same log.
        assert_eq!(got.log.ids(), log.ids());
        assert_eq!(got.log.customers(), log.customers());
        assert_eq!(got.log.observation_end(), log.observation_end());
        // The summary on all data.
        let want = log.summarize(&opts);
        assert_eq!(got.summary.unit, want.unit);
        assert_eq!(got.summary.observation_end, want.observation_end);
        assert_eq!(got.summary.customers.len(), want.customers.len());
        for (g, w) in got.summary.customers.iter().zip(&want.customers) {
            assert_eq!(g.customer_id, w.customer_id);
            assert_eq!(g.first_purchase, w.first_purchase, "{}", w.customer_id);
            assert_eq!(g.last_purchase, w.last_purchase, "{}", w.customer_id);
            assert_eq!(g.frequency, w.frequency, "{}", w.customer_id);
            // Whole days converted by the same function: equal bits.
            assert_eq!(g.recency, w.recency, "{}", w.customer_id);
            assert_eq!(g.t, w.t, "{}", w.customer_id);
            close(
                &format!("{} monetary", w.customer_id),
                g.monetary_value,
                w.monetary_value,
            );
        }
        // Customer 00004: the refund of 1997-01-18 netted (29.73 − 10 = 19.73 on that
        // day), the refund-only day dropped.
        let c4 = got
            .summary
            .customers
            .iter()
            .find(|c| &*c.customer_id == "00004")
            .unwrap();
        // Days 01-01 (29.33), 01-18 (29.73 − 10.00), 08-02 (14.96), 12-12 (26.48); the
        // refund-only 03-01 is dropped: x = 3, mean repeat value (19.73 + 14.96 + 26.48) / 3.
        assert_eq!(c4.frequency, 3);
        close("00004 monetary", c4.monetary_value, 61.17 / 3.0);
        assert!(
            !got.summary
                .customers
                .iter()
                .any(|c| &*c.customer_id == "00021")
        );
        // The calibration/holdout summary.
        let want = log.calibration_holdout(cal, &opts).unwrap();
        let g = got.calibration.as_ref().unwrap();
        assert_eq!(g.calibration_end, want.calibration_end);
        assert_eq!(g.observation_end, want.observation_end);
        assert_eq!(g.duration_holdout, want.duration_holdout);
        assert_eq!(
            g.excluded_after_calibration,
            want.excluded_after_calibration
        );
        assert_eq!(g.customers.len(), want.customers.len());
        for (g, w) in g.customers.iter().zip(&want.customers) {
            assert_eq!(g.customer_id, w.customer_id);
            assert_eq!(g.first_purchase, w.first_purchase);
            assert_eq!(g.frequency_cal, w.frequency_cal);
            assert_eq!(g.recency_cal, w.recency_cal);
            assert_eq!(g.t_cal, w.t_cal);
            assert_eq!(g.frequency_holdout, w.frequency_holdout);
            assert_eq!(g.duration_holdout, w.duration_holdout);
            close(
                "monetary_value_cal",
                g.monetary_value_cal,
                w.monetary_value_cal,
            );
            close(
                "monetary_value_holdout",
                g.monetary_value_holdout,
                w.monetary_value_holdout,
            );
        }
    }

    // The analysis both ways: the server's defaults (weeks, no bootstrap).
    let options = AnalysisOptions {
        bootstrap: 0,
        ..AnalysisOptions::default()
    };
    let want = analyze(&log, &options).unwrap();
    let got = s
        .database_summaries(options.unit, |sum| {
            comeback_analysis::comparison_calibration_end(sum, &options)
        })
        .await
        .unwrap();
    assert!(
        got.calibration.is_some(),
        "CDNOW's default holdout is a third of the span"
    );
    let got = analyze_with_summaries(
        &got.log,
        &options,
        got.summary,
        got.calibration,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(got.comparison.chosen, want.comparison.chosen);
    assert_eq!(got.summary.customers.len(), want.summary.customers.len());
    for (name, g, w) in [
        ("p_alive", &got.scores.p_alive, &want.scores.p_alive),
        (
            "expected_purchases",
            &got.scores.expected_purchases,
            &want.scores.expected_purchases,
        ),
        ("spend", &got.scores.spend, &want.scores.spend),
        ("clv", &got.scores.clv, &want.scores.clv),
    ] {
        for (i, (a, b)) in g.iter().zip(w).enumerate() {
            close(&format!("{name}[{i}]"), *a, *b);
        }
    }
    assert_eq!(got.lifecycle.stages, want.lifecycle.stages);
    assert_eq!(got.lists, want.lists);
    assert_eq!(got.historical_revenue, want.historical_revenue);
    close("clv_total", got.headline.clv_total, want.headline.clv_total);

    // A summary of another snapshot is refused, not silently mixed with the log.
    let mut other = log.summarize(&SummaryOptions {
        unit: options.unit,
        ..SummaryOptions::default()
    });
    other.customers.pop();
    let e = analyze_with_summaries(&log, &options, other, None, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
    db.cleanup().await;
}
