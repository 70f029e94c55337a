//! The transaction log of chosen customers: what the server's incremental refit reads again
//! after a batch (the customers it touched), instead of every stored row.

use comeback_core::{Amount, Day, TransactionLog, TransactionLogBuilder};
use futures_util::TryStreamExt;
use sqlx::Row;

use crate::store::on_pool;
use crate::{Store, StoreError};

/// External ids per statement of [`Store::customers_log`] (below both backends' limits on
/// bound parameters).
const IDS_PER_QUERY: usize = 500;

impl Store {
    /// The [`TransactionLog`] of the customers with these external ids — all their stored
    /// rows, read as [`Store::transaction_log`] reads every customer's with
    /// [`crate::LogQuery`]'s defaults but `observation_end` — and the ISO 4217 code of those
    /// rows (`currency` when given, else `None` when there were none). Unknown and erased ids are absent from the log.
    /// Ids are read 500 to a statement, so each customer's rows come from one consistent
    /// read. Meant for a few thousand customers: combine with
    /// [`TransactionLog::replace_customers`] to update a full log after a batch.
    ///
    /// # Errors
    /// [`StoreError::MixedCurrencies`] when the rows are in several currencies, or in
    /// another than `currency` when it is given (the code of the log being updated);
    /// [`StoreError::Summary`] when a day total leaves the exact range;
    /// [`StoreError::Database`].
    pub async fn customers_log(
        &self,
        external_ids: &[String],
        observation_end: Option<Day>,
        currency: Option<&str>,
    ) -> Result<(TransactionLog, Option<String>), StoreError> {
        let mut builder = TransactionLogBuilder::new(observation_end);
        let mut seen: Option<String> = currency.map(str::to_owned);
        let mut ids: Vec<&str> = external_ids.iter().map(String::as_str).collect();
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            on_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT c.external_id, t.local_day, t.amount_micros, t.currency \
                     FROM customers c JOIN transactions t ON t.customer_id = c.id \
                     WHERE c.external_id IN (",
                );
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                qb.push(") ORDER BY t.customer_id, t.local_day");
                let mut rows = qb.build().fetch(p);
                while let Some(r) = rows.try_next().await? {
                    let cur: String = r.try_get(3)?;
                    match &seen {
                        Some(c) if *c != cur => {
                            return Err(StoreError::MixedCurrencies {
                                first: c.clone(),
                                second: cur,
                            });
                        }
                        Some(_) => {}
                        None => seen = Some(cur),
                    }
                    let customer: String = r.try_get(0)?;
                    let day: i64 = r.try_get(1)?;
                    let day = i32::try_from(day).map_err(|_| StoreError::Corrupt {
                        column: "transactions.local_day",
                        value: day.to_string(),
                    })?;
                    builder.add(&customer, Day(day), Amount::from_micros(r.try_get(2)?))?;
                }
            });
        }
        Ok((builder.finish(), seen))
    }
}
