//! Reading customers (pages, detail, export, the transaction log) and erasing them.

use chrono::{DateTime, Utc};
use comeback_core::{Amount, Day, TransactionLog, TransactionLogBuilder};
use futures_util::TryStreamExt;
use sqlx::Row;

use crate::accounts::UserId;
use crate::store::{BeginWrite, on_pool};
use crate::util::{from_micros, hex, like_escape, to_micros};
use crate::{Store, StoreError};

/// A customer as stored (never the internal id).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Customer {
    /// The business's id of the customer.
    pub external_id: String,
    /// Full name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Preferred language (BCP 47 tag).
    pub language: Option<String>,
    /// First seen (UTC).
    pub first_seen: Option<DateTime<Utc>>,
    /// Member of the loyalty programme.
    pub loyalty_member: bool,
    /// Free attributes.
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// One stored transaction.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TransactionRecord {
    /// The business's id of the transaction.
    pub external_id: String,
    /// When it happened (UTC); `None` when only the local day was given.
    pub occurred_at: Option<DateTime<Utc>>,
    /// Its local day in the location's (or business) time zone, serialised `YYYY-MM-DD`.
    #[serde(serialize_with = "ser_day")]
    pub local_day: Day,
    /// Exact amount, serialised as a decimal string (`"12.50"`).
    #[serde(serialize_with = "ser_amount")]
    pub amount: Amount,
    /// ISO 4217 code.
    pub currency: String,
    /// Location code.
    pub location: Option<String>,
    /// Employee code.
    pub employee: Option<String>,
    /// Sales channel.
    pub channel: Option<String>,
}

fn ser_day<S: serde::Serializer>(d: &Day, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

fn ser_amount<S: serde::Serializer>(a: &Amount, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(a)
}

/// A customer with their transactions, oldest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CustomerDetail {
    /// The customer.
    pub customer: Customer,
    /// Their transactions by local day, then instant (day-only rows first).
    pub transactions: Vec<TransactionRecord>,
}

/// A customer's own data, for a data-subject access request (serialise it as JSON).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CustomerExport {
    /// When the export was made (UTC).
    pub exported_at: DateTime<Utc>,
    /// The customer.
    pub customer: Customer,
    /// Their transactions by instant.
    pub transactions: Vec<TransactionRecord>,
}

/// One page of a keyset-paginated list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// Opaque cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Which customers [`Store::search_customers`] keeps: every condition given holds; `None`
/// restricts nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    /// Keep customers whose external id, name or e-mail contains this, ignoring ASCII case
    /// (empty: no restriction).
    pub search: Option<String>,
    /// The viewer's locations (a manager's or staff member's view): at least one
    /// transaction at one of these codes; an empty list keeps nobody.
    pub scope: Option<Vec<String>>,
    /// The location filter: at least one transaction at this location code.
    pub location: Option<String>,
    /// Only these external ids, at most [`MAX_AMONG`](Self::MAX_AMONG): how a caller
    /// restricts the list by facts that live outside the database, such as the RFM
    /// segment or lifecycle stage of the server's score snapshot. Empty keeps nobody.
    pub among: Option<Vec<String>>,
}

impl CustomerQuery {
    /// Most ids in [`among`](Self::among).
    pub const MAX_AMONG: usize = 1000;
}

/// What happened to a customer, for their timeline ([`Store::customer_timeline`]):
/// purchases, submitted survey answers, complaints and staff flags. **Extension point:**
/// a new kind adds a variant, reads the customer's rows in [`Store::customer_timeline`]
/// and gives the variant a [`kind`](Self::kind) key; the timeline's sort puts the new
/// entries in place.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimelineEvent {
    /// A stored transaction (a refund when its amount is negative).
    Purchase(TransactionRecord),
    /// A submitted survey answer (not anonymous).
    SurveyAnswer(SurveyAnswerEvent),
    /// A complaint received.
    Complaint(ComplaintFiled),
    /// An employee flagged the customer as unhappy (the complaint the flag opened is this
    /// entry, not a second [`Complaint`](Self::Complaint) entry).
    StaffFlag(StaffFlagged),
}

impl TimelineEvent {
    /// The stable key of the event's kind (`purchase`, `survey_answer`, `complaint`,
    /// `staff_flag`), for
    /// templates and translation keys.
    pub fn kind(&self) -> &'static str {
        match self {
            TimelineEvent::Purchase(_) => "purchase",
            TimelineEvent::SurveyAnswer(_) => "survey_answer",
            TimelineEvent::Complaint(_) => "complaint",
            TimelineEvent::StaffFlag(_) => "staff_flag",
        }
    }
}

/// A survey answer on a customer's timeline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SurveyAnswerEvent {
    /// The survey's name.
    pub survey: String,
    /// Its version.
    pub survey_version: i64,
    /// Its kind (`nps`, `csat`, `ces`, ...).
    pub survey_kind: String,
    /// The main score (0–10 for NPS; the kind's scale otherwise), if any.
    pub score: Option<i64>,
    /// The open answer.
    pub comment: Option<String>,
    /// Location code.
    pub location: Option<String>,
    /// Employee code.
    pub employee: Option<String>,
}

/// A complaint on a customer's timeline (its current state; the history is on the
/// complaint's own page).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ComplaintFiled {
    /// The reference shown to the customer.
    pub reference: String,
    /// Category key.
    pub category: String,
    /// Severity key.
    pub severity: String,
    /// Current status key.
    pub status: String,
    /// Location code.
    pub location: Option<String>,
}

/// A staff flag on a customer's timeline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaffFlagged {
    /// The reference of the complaint the flag opened.
    pub reference: String,
    /// The credited employee's code.
    pub employee: String,
    /// The credited employee's name.
    pub employee_name: Option<String>,
    /// Category key (one of the seven reasons).
    pub category: String,
    /// The employee's note.
    pub note: String,
    /// The complaint's current status key.
    pub status: String,
    /// Location code.
    pub location: Option<String>,
}

/// The UTC calendar day of an instant.
fn utc_day(at: DateTime<Utc>) -> Day {
    Day::from_date(at.date_naive())
}

/// One entry of a customer's timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimelineEntry {
    /// The local day it happened, serialised `YYYY-MM-DD`.
    #[serde(serialize_with = "ser_day")]
    pub day: Day,
    /// The instant (UTC), when known (a row known by its day only has none).
    pub at: Option<DateTime<Utc>>,
    /// What happened.
    pub event: TimelineEvent,
}

/// A customer and everything that happened to them, newest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CustomerTimeline {
    /// The customer.
    pub customer: Customer,
    /// Entries by local day, then instant (day-only entries after timed ones of the same
    /// day), newest first.
    pub entries: Vec<TimelineEntry>,
}

/// Which transactions go into [`Store::transaction_log`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogQuery {
    /// Only this ISO 4217 currency; `None` requires all transactions to share one.
    pub currency: Option<String>,
    /// Rows after this local day are counted and left out (as in
    /// [`TransactionLogBuilder::new`]); `None` keeps all.
    pub observation_end: Option<Day>,
    /// Only this location code.
    pub location: Option<String>,
}

/// The opaque cursor of a customer page that ends with `external_id`: the next page starts
/// after it. Lets a caller that filters customers outside the database (by score, say)
/// page on with [`Store::search_customers`] where its own walk stopped.
pub fn customer_cursor(external_id: &str) -> String {
    format!("c1{}", hex(external_id.as_bytes()))
}

/// The external id a cursor of [`customer_cursor`] (or of a page's `next_cursor`) points
/// after.
///
/// # Errors
/// [`StoreError::Invalid`] (field `cursor`) for anything else.
pub fn parse_customer_cursor(cursor: &str) -> Result<String, StoreError> {
    let bad = || StoreError::Invalid {
        field: "cursor",
        value: cursor.to_owned(),
        reason: "not a cursor returned by this list",
    };
    let h = cursor.strip_prefix("c1").ok_or_else(bad)?;
    if h.len() % 2 != 0 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let bytes: Vec<u8> = (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    String::from_utf8(bytes).map_err(|_| bad())
}

const CUSTOMER_COLUMNS: &str =
    "external_id, name, email, language, first_seen, loyalty_member, attributes";

fn customer_from_row<R: Row>(r: &R) -> Result<Customer, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let attributes: String = r.try_get("attributes")?;
    let attributes = match serde_json::from_str(&attributes) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => {
            return Err(StoreError::Corrupt {
                column: "customers.attributes",
                value: attributes,
            });
        }
    };
    Ok(Customer {
        external_id: r.try_get("external_id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        language: r.try_get("language")?,
        first_seen: r
            .try_get::<Option<i64>, _>("first_seen")?
            .map(|us| from_micros("customers.first_seen", us))
            .transpose()?,
        loyalty_member: r.try_get("loyalty_member")?,
        attributes,
    })
}

fn transaction_from_row<R: Row>(r: &R) -> Result<TransactionRecord, StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let day: i64 = r.try_get(2)?;
    Ok(TransactionRecord {
        external_id: r.try_get(0)?,
        occurred_at: r
            .try_get::<Option<i64>, _>(1)?
            .map(|us| from_micros("transactions.occurred_at", us))
            .transpose()?,
        local_day: Day(i32::try_from(day).map_err(|_| StoreError::Corrupt {
            column: "transactions.local_day",
            value: day.to_string(),
        })?),
        amount: Amount::from_micros(r.try_get(3)?),
        currency: r.try_get(4)?,
        location: r.try_get(5)?,
        employee: r.try_get(6)?,
        channel: r.try_get(7)?,
    })
}

/// A customer by external id, with the internal id (the customer page).
pub(crate) const CUSTOMER_BY_ID_SQL: &str = "SELECT id, external_id, name, email, language, \
     first_seen, loyalty_member, attributes FROM customers WHERE external_id = $1";

/// A customer's transactions by internal id, oldest first (the customer page).
pub(crate) const HISTORY_SQL: &str = "SELECT t.external_id, t.occurred_at, t.local_day, t.amount_micros, \
     t.currency, l.code, e.code, t.channel FROM transactions t \
     LEFT JOIN locations l ON l.id = t.location_id \
     LEFT JOIN employees e ON e.id = t.employee_id \
     WHERE t.customer_id = $1 ORDER BY t.local_day, \
     CASE WHEN t.occurred_at IS NULL THEN 0 ELSE 1 END, t.occurred_at, t.external_id";

/// The query of [`Store::search_customers`] (`prefix` goes before it: `EXPLAIN ` for the
/// plan checks of [`Store::explain_hot_queries`]).
pub(crate) fn search_query<DB: sqlx::Database>(
    prefix: &str,
    query: &CustomerQuery,
    after: Option<&str>,
    pattern: Option<&str>,
    limit: u32,
) -> sqlx::QueryBuilder<DB>
where
    <DB as sqlx::Database>::Arguments: Default,
    for<'t> &'t str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut qb = sqlx::QueryBuilder::new(format!(
        "{prefix}SELECT {CUSTOMER_COLUMNS} FROM customers WHERE external_id IS NOT NULL"
    ));
    if let Some(a) = after {
        qb.push(" AND external_id > ").push_bind(a);
    }
    if let Some(ids) = &query.among {
        qb.push(" AND external_id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(id.as_str());
        }
        qb.push(")");
    }
    if let Some(pat) = pattern {
        qb.push(" AND (LOWER(external_id) LIKE ")
            .push_bind(pat)
            .push(" ESCAPE '\\' OR LOWER(name) LIKE ")
            .push_bind(pat)
            .push(" ESCAPE '\\' OR LOWER(email) LIKE ")
            .push_bind(pat)
            .push(" ESCAPE '\\')");
    }
    for codes in [
        query.scope.as_deref(),
        query.location.as_ref().map(std::slice::from_ref),
    ]
    .into_iter()
    .flatten()
    {
        qb.push(
            " AND EXISTS (SELECT 1 FROM transactions t JOIN locations l \
             ON l.id = t.location_id WHERE t.customer_id = customers.id AND l.code IN ",
        );
        if codes.is_empty() {
            qb.push("(NULL))");
        } else {
            qb.push("(");
            let mut sep = qb.separated(", ");
            for c in codes {
                sep.push_bind(c.as_str());
            }
            qb.push("))");
        }
    }
    qb.push(" ORDER BY external_id LIMIT ")
        .push_bind(i64::from(limit) + 1);
    qb
}

/// The start of [`Store::customer_visited`]'s query; the customer's internal id follows.
pub(crate) const VISITED_SQL: &str = "SELECT t.id FROM transactions t JOIN locations l \
     ON l.id = t.location_id WHERE t.customer_id = ";

impl Store {
    /// One page of customers ordered by external id (byte order on both backends), after
    /// `cursor` (from the previous page's `next_cursor`; `None` for the first page), at most
    /// `limit` (1–1000) items. `search` keeps customers whose external id, name or e-mail
    /// contains it, ignoring ASCII case. Keyset pagination: pages stay complete and without
    /// repeats while rows are added. Erased customers are not listed.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a foreign cursor or a limit outside 1–1000;
    /// [`StoreError::Database`].
    pub async fn list_customers(
        &self,
        cursor: Option<&str>,
        limit: u32,
        search: Option<&str>,
    ) -> Result<Page<Customer>, StoreError> {
        self.list_customers_at(None, cursor, limit, search).await
    }

    /// As [`list_customers`](Self::list_customers), limited to customers with at least one
    /// transaction at one of the `locations` (codes) when given — a manager's view.
    ///
    /// # Errors
    /// As [`list_customers`](Self::list_customers).
    pub async fn list_customers_at(
        &self,
        locations: Option<&[String]>,
        cursor: Option<&str>,
        limit: u32,
        search: Option<&str>,
    ) -> Result<Page<Customer>, StoreError> {
        let query = CustomerQuery {
            search: search.map(str::to_owned),
            scope: locations.map(<[String]>::to_vec),
            ..CustomerQuery::default()
        };
        self.search_customers(&query, cursor, limit).await
    }

    /// One page of the customers that `query` keeps, ordered by external id (byte order on
    /// both backends), after `cursor` (from the previous page's `next_cursor`, or
    /// [`customer_cursor`]; `None` for the first page), at most `limit` (1–1000) items.
    /// Keyset pagination as in [`list_customers`](Self::list_customers); erased customers
    /// are not listed.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a foreign cursor, a limit outside 1–1000 or more than
    /// [`CustomerQuery::MAX_AMONG`] ids in `among`; [`StoreError::Database`].
    pub async fn search_customers(
        &self,
        query: &CustomerQuery,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<Customer>, StoreError> {
        if !(1..=1000).contains(&limit) {
            return Err(StoreError::Invalid {
                field: "limit",
                value: limit.to_string(),
                reason: "must be 1-1000",
            });
        }
        if let Some(ids) = &query.among
            && ids.len() > CustomerQuery::MAX_AMONG
        {
            return Err(StoreError::Invalid {
                field: "among",
                value: ids.len().to_string(),
                reason: "more than 1000 ids",
            });
        }
        if query.among.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let after = cursor.map(parse_customer_cursor).transpose()?;
        let pattern = query
            .search
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| format!("%{}%", like_escape(&s.to_lowercase())));
        let mut items = on_pool!(self, p => {
            let mut qb = search_query("", query, after.as_deref(), pattern.as_deref(), limit);
            let rows = qb.build().fetch_all(p).await?;
            rows.iter().map(customer_from_row).collect::<Result<Vec<_>, _>>()?
        });
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|c| customer_cursor(&c.external_id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// A customer and their transactions, by external id.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown (or erased) customer; [`StoreError::Database`].
    pub async fn customer_detail(&self, external_id: &str) -> Result<CustomerDetail, StoreError> {
        on_pool!(self, p => {
            let row = sqlx::query(CUSTOMER_BY_ID_SQL)
                .bind(external_id)
                .fetch_optional(p)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    what: "customer",
                    key: external_id.to_owned(),
                })?;
            let id: i64 = row.try_get("id")?;
            let customer = customer_from_row(&row)?;
            let rows = sqlx::query(HISTORY_SQL).bind(id).fetch_all(p).await?;
            let transactions = rows
                .iter()
                .map(transaction_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(CustomerDetail {
                customer,
                transactions,
            })
        })
    }

    /// A customer's timeline: every stored event of theirs (purchases, survey answers,
    /// complaints, staff flags; see [`TimelineEvent`]), newest first.
    ///
    /// # Errors
    /// As [`customer_detail`](Self::customer_detail).
    pub async fn customer_timeline(
        &self,
        external_id: &str,
    ) -> Result<CustomerTimeline, StoreError> {
        let d = self.customer_detail(external_id).await?;
        let mut entries: Vec<TimelineEntry> = d
            .transactions
            .into_iter()
            .map(|t| TimelineEntry {
                day: t.local_day,
                at: t.occurred_at,
                event: TimelineEvent::Purchase(t),
            })
            .collect();
        // Survey answers, complaints and staff flags are known by their UTC instant: their
        // day is the UTC day.
        for r in self.customer_survey_responses(external_id).await? {
            entries.push(TimelineEntry {
                day: utc_day(r.submitted_at),
                at: Some(r.submitted_at),
                event: TimelineEvent::SurveyAnswer(SurveyAnswerEvent {
                    survey: r.survey_name,
                    survey_version: r.survey_version,
                    survey_kind: r.kind.as_str().to_owned(),
                    score: r.score,
                    comment: r.comment,
                    location: r.location,
                    employee: r.employee,
                }),
            });
        }
        let flags = self.customer_staff_flags(external_id).await?;
        let flagged: std::collections::HashSet<&str> =
            flags.iter().map(|f| f.reference.as_str()).collect();
        for c in self.customer_complaints(external_id).await? {
            if flagged.contains(c.reference.as_str()) {
                continue;
            }
            entries.push(TimelineEntry {
                day: utc_day(c.received_at),
                at: Some(c.received_at),
                event: TimelineEvent::Complaint(ComplaintFiled {
                    reference: c.reference,
                    category: c.category.as_str().to_owned(),
                    severity: c.severity.as_str().to_owned(),
                    status: c.status.as_str().to_owned(),
                    location: c.location,
                }),
            });
        }
        for f in &flags {
            entries.push(TimelineEntry {
                day: utc_day(f.flagged_at),
                at: Some(f.flagged_at),
                event: TimelineEvent::StaffFlag(StaffFlagged {
                    reference: f.reference.clone(),
                    employee: f.employee.clone(),
                    employee_name: f.employee_name.clone(),
                    category: f.category.as_str().to_owned(),
                    note: f.note.clone(),
                    status: f.status.as_str().to_owned(),
                    location: f.location.clone(),
                }),
            });
        }
        // Oldest first is (day, day-only before timed, instant); reversed: newest first.
        // The sort is stable, so equal keys keep their source order (reversed).
        entries.sort_by_key(|e| (e.day, e.at.is_some(), e.at));
        entries.reverse();
        Ok(CustomerTimeline {
            customer: d.customer,
            entries,
        })
    }

    /// A customer's own data (profile and transactions) for export as JSON.
    ///
    /// # Errors
    /// As [`customer_detail`](Self::customer_detail).
    pub async fn export_customer(&self, external_id: &str) -> Result<CustomerExport, StoreError> {
        let d = self.customer_detail(external_id).await?;
        Ok(CustomerExport {
            exported_at: Utc::now(),
            customer: d.customer,
            transactions: d.transactions,
        })
    }

    /// Erases a customer, in one database transaction: name, e-mail, language, first seen
    /// and external id are nulled and the free attributes deleted; a salted hash of the
    /// external id enters the suppression list so that re-ingest is refused; an audit entry
    /// `customer.erase` records the actor's and the customer's internal ids only. The
    /// customer's transactions stay as anonymous business records.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown (or already erased) customer;
    /// [`StoreError::Database`].
    pub async fn erase_customer(
        &self,
        external_id: &str,
        actor: Option<UserId>,
    ) -> Result<(), StoreError> {
        let now = to_micros(Utc::now());
        let hash = self.suppression_hash(external_id);
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar("SELECT id FROM customers WHERE external_id = $1")
                .bind(external_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    what: "customer",
                    key: external_id.to_owned(),
                })?;
            sqlx::query(
                "UPDATE customers SET external_id = NULL, name = NULL, email = NULL, \
                 language = NULL, first_seen = NULL, attributes = '{}', erased_at = $1 \
                 WHERE id = $2",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            // Their e-mails (the address is personal data): none is sent from now on.
            sqlx::query("DELETE FROM email_outbox WHERE customer_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO erasure_suppression (external_id_hash, erased_at) VALUES ($1, $2) \
                 ON CONFLICT (external_id_hash) DO NOTHING",
            )
            .bind(&hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO audit_log (at, actor_user_id, action, subject_kind, subject_id) \
                 VALUES ($1, $2, 'customer.erase', 'customer', $3)",
            )
            .bind(now)
            .bind(actor.map(|a| a.0))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.forget_customer(external_id);
        Ok(())
    }

    /// True when the customer has at least one transaction at one of the `locations`
    /// (codes): whether a manager of those locations may see them.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown (or erased) customer; [`StoreError::Database`].
    pub async fn customer_visited(
        &self,
        external_id: &str,
        locations: &[String],
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = on_pool!(self, p => {
            let id: i64 = sqlx::query_scalar("SELECT id FROM customers WHERE external_id = $1")
                .bind(external_id)
                .fetch_optional(p)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    what: "customer",
                    key: external_id.to_owned(),
                })?;
            if locations.is_empty() {
                None
            } else {
                let mut qb = sqlx::QueryBuilder::new(VISITED_SQL);
                qb.push_bind(id).push(" AND l.code IN (");
                let mut sep = qb.separated(", ");
                for c in locations {
                    sep.push_bind(c.as_str());
                }
                qb.push(") LIMIT 1");
                qb.build_query_scalar().fetch_optional(p).await?
            }
        });
        Ok(found.is_some())
    }

    /// True when `external_id` belongs to an erased customer (its salted hash is in the
    /// suppression list).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn is_suppressed(&self, external_id: &str) -> Result<bool, StoreError> {
        let hash = self.suppression_hash(external_id);
        let sql = "SELECT external_id_hash FROM erasure_suppression WHERE external_id_hash = $1";
        let found: Option<String> =
            on_pool!(self, p => sqlx::query_scalar(sql).bind(&hash).fetch_optional(p).await?);
        Ok(found.is_some())
    }

    /// Streams the stored transactions, in (customer, local day) order, into a
    /// [`TransactionLogBuilder`] and returns the finished [`TransactionLog`] — the same
    /// day totals the CLI computes from a file. Erased customers are left out.
    ///
    /// # Errors
    /// [`StoreError::MixedCurrencies`] without `query.currency` over several currencies;
    /// [`StoreError::Summary`] when a day total leaves the exact range;
    /// [`StoreError::Database`].
    pub async fn transaction_log(&self, query: &LogQuery) -> Result<TransactionLog, StoreError> {
        let mut builder = TransactionLogBuilder::new(query.observation_end);
        let mut currency: Option<String> = query.currency.clone();
        on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT c.external_id, t.local_day, t.amount_micros, t.currency \
                 FROM transactions t JOIN customers c ON c.id = t.customer_id",
            );
            if query.location.is_some() {
                qb.push(" JOIN locations l ON l.id = t.location_id");
            }
            qb.push(" WHERE c.external_id IS NOT NULL");
            if let Some(cur) = &query.currency {
                qb.push(" AND t.currency = ").push_bind(cur.as_str());
            }
            if let Some(l) = &query.location {
                qb.push(" AND l.code = ").push_bind(l.as_str());
            }
            qb.push(" ORDER BY t.customer_id, t.local_day");
            let mut rows = qb.build().fetch(p);
            while let Some(r) = rows.try_next().await? {
                let cur: String = r.try_get(3)?;
                match &currency {
                    Some(c) if *c != cur => {
                        return Err(StoreError::MixedCurrencies {
                            first: c.clone(),
                            second: cur,
                        });
                    }
                    Some(_) => {}
                    None => currency = Some(cur),
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
        Ok(builder.finish())
    }

    /// External ids of the loyalty members (`customers.loyalty_member`), sorted; erased
    /// customers are left out.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn loyalty_members(&self) -> Result<Vec<String>, StoreError> {
        let mut ids: Vec<String> = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT external_id FROM customers \
                 WHERE loyalty_member AND external_id IS NOT NULL",
            )
            .fetch_all(p)
            .await?
        });
        ids.sort_unstable();
        Ok(ids)
    }

    /// Each customer's first location: the location code of their earliest stored
    /// transaction (by local day, then the order stored; `None` when that transaction has
    /// no location), as (external id, code) sorted by external id. Erased customers are
    /// left out. The segment of `GET /api/v1/survival?by=location`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn first_locations(&self) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        on_pool!(self, p => {
            let mut rows = sqlx::query(
                "SELECT c.external_id, l.code FROM transactions t \
                 JOIN customers c ON c.id = t.customer_id \
                 LEFT JOIN locations l ON l.id = t.location_id \
                 WHERE c.external_id IS NOT NULL \
                 ORDER BY t.customer_id, t.local_day, t.id",
            )
            .fetch(p);
            let mut last: Option<String> = None;
            while let Some(r) = rows.try_next().await? {
                let id: String = r.try_get(0)?;
                if last.as_deref() == Some(id.as_str()) {
                    continue;
                }
                let code: Option<String> = r.try_get(1)?;
                last = Some(id.clone());
                out.push((id, code));
            }
        });
        out.sort_unstable();
        Ok(out)
    }
}
