//! Customers: keyset-paginated list with search, detail (profile, history, summary,
//! scores), export of a customer's own data, and erasure. Customers are addressed by their
//! external id, percent-encoded in the path; internal ids never appear.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use comeback_core::{Collapse, Day, SummaryOptions, TimeUnit, TransactionLogBuilder};
use comeback_store::{Customer, Role, TransactionRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{AuthUser, RequireAdmin, RequireManager};
use crate::error::{ApiError, ErrorBody, Json, Path, Query};
use crate::scores::Snapshot;
use crate::text;

/// A customer's profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerOut {
    /// The business's id of the customer.
    pub external_id: String,
    /// Full name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Preferred language (BCP 47 tag).
    pub language: Option<String>,
    /// First seen (UTC, RFC 3339).
    pub first_seen: Option<DateTime<Utc>>,
    /// Member of the loyalty programme.
    pub loyalty_member: bool,
    /// Free attributes.
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

impl From<Customer> for CustomerOut {
    fn from(c: Customer) -> Self {
        CustomerOut {
            external_id: c.external_id,
            name: c.name,
            email: c.email,
            language: c.language,
            first_seen: c.first_seen,
            loyalty_member: c.loyalty_member,
            attributes: c.attributes,
        }
    }
}

/// One stored transaction.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransactionOut {
    /// The business's id of the transaction.
    pub external_id: String,
    /// The instant (UTC), when known.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The local day in the location's (or the business) time zone, `YYYY-MM-DD`.
    pub date: String,
    /// Exact decimal amount (`"12.50"`).
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Location code.
    pub location: Option<String>,
    /// Employee code.
    pub employee: Option<String>,
    /// Sales channel.
    pub channel: Option<String>,
}

impl From<TransactionRecord> for TransactionOut {
    fn from(t: TransactionRecord) -> Self {
        TransactionOut {
            external_id: t.external_id,
            occurred_at: t.occurred_at,
            date: t.local_day.to_string(),
            amount: t.amount.to_string(),
            currency: t.currency,
            location: t.location,
            employee: t.employee,
            channel: t.channel,
        }
    }
}

/// A page of customers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerPage {
    /// Customers ordered by external id.
    pub items: Vec<CustomerOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Query of the customer list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Keep customers whose external id, name or e-mail contains this (ASCII case
    /// ignored).
    pub q: Option<String>,
}

/// The BTYD summary of one customer (Fader, Hardie & Lee 2005, §2: x, tₓ, T), in days:
/// purchases on the same local day are one occasion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerSummaryOut {
    /// Stored transactions.
    pub transactions: usize,
    /// First purchase day, `YYYY-MM-DD`.
    pub first_purchase: String,
    /// Last purchase day, `YYYY-MM-DD`.
    pub last_purchase: String,
    /// x: repeat occasions (occasions − 1).
    pub frequency: u32,
    /// tₓ: days from the first to the last occasion.
    pub recency_days: f64,
    /// T: days from the first occasion to the observation end.
    pub t_days: f64,
    /// The observation end used for T, `YYYY-MM-DD` (the analysis's, or the last purchase
    /// when none has run).
    pub observation_end: String,
    /// Mean value of the repeat occasions (0 without repeats), in the currency unit.
    pub monetary_value: f64,
}

/// One customer's model scores from the latest analysis.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerScoresOut {
    /// Probability that the customer is still active at the observation end.
    pub p_alive: f64,
    /// Expected purchases over the analysis horizon.
    pub expected_purchases: f64,
    /// Expected revenue over the horizon (currency unit).
    pub expected_revenue: f64,
    /// Discounted customer lifetime value (currency unit).
    pub clv: f64,
    /// Value at risk: CLV if alive × (1 − P(alive)).
    pub value_at_risk: f64,
    /// RFM segment key (`champions`, `loyal`, ...).
    pub segment: String,
    /// RFM scores 1–5: recency, frequency, monetary.
    pub rfm: [u8; 3],
    /// Lifecycle stage key (`new`, `active`, `won_back`, `at_risk`, `lost`).
    pub stage: String,
    /// When the analysis finished (UTC).
    pub computed_at: DateTime<Utc>,
}

/// A customer with history, summary and scores.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerDetailOut {
    /// Profile.
    pub customer: CustomerOut,
    /// Transactions, oldest first.
    pub transactions: Vec<TransactionOut>,
    /// Summary; absent without transactions.
    pub summary: Option<CustomerSummaryOut>,
    /// Scores; absent until an analysis that includes the customer has run.
    pub scores: Option<CustomerScoresOut>,
}

/// A customer's own data (data-subject access request).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerExportOut {
    /// When the export was made (UTC).
    pub exported_at: DateTime<Utc>,
    /// Profile.
    pub customer: CustomerOut,
    /// Transactions, oldest first.
    pub transactions: Vec<TransactionOut>,
}

/// Lists customers by external id, with keyset pagination and search. Managers and staff
/// see only customers with a transaction at one of their locations.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(ListParams),
    responses(
        (status = 200, description = "one page", body = CustomerPage),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 422, description = "bad cursor or limit", body = ErrorBody)))]
pub async fn list(
    user: AuthUser,
    State(state): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Json<CustomerPage>, ApiError> {
    if let Some(q) = &p.q {
        text::check_text("q", q)?;
    }
    if let Some(c) = &p.cursor {
        text::check_text("cursor", c)?;
    }
    let page = state
        .store
        .list_customers_at(
            scope(&user),
            p.cursor.as_deref(),
            p.limit.unwrap_or(50),
            p.q.as_deref(),
        )
        .await?;
    Ok(Json(CustomerPage {
        items: page.items.into_iter().map(CustomerOut::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// The locations a user's customer views are limited to: `None` (all) for an admin; the
/// user's own locations for a manager or staff member.
pub(crate) fn scope(user: &AuthUser) -> Option<&[String]> {
    (user.role != Role::Admin).then_some(user.locations.as_slice())
}

/// 404 without asking the store for an external id with a control character: ingest
/// refuses those ([`comeback_store`] checks ids), so no such customer exists (and
/// PostgreSQL would refuse a NUL in the query).
fn check_external_id(external_id: &str) -> Result<(), ApiError> {
    if text::control_char(external_id).is_some() {
        return Err(ApiError::NotFound {
            what: "customer",
            key: external_id.to_owned(),
        });
    }
    Ok(())
}

/// 404 (as for an unknown customer, so that existence does not leak) when the customer
/// has no transaction at the user's locations, or when the id cannot exist
/// ([`check_external_id`]).
pub(crate) async fn check_visible(
    state: &AppState,
    user: &AuthUser,
    external_id: &str,
) -> Result<(), ApiError> {
    check_external_id(external_id)?;
    if let Some(locations) = scope(user)
        && !state.store.customer_visited(external_id, locations).await?
    {
        return Err(ApiError::NotFound {
            what: "customer",
            key: external_id.to_owned(),
        });
    }
    Ok(())
}

fn summary_of(
    external_id: &str,
    history: &[TransactionRecord],
    snapshot: Option<&Snapshot>,
) -> Option<CustomerSummaryOut> {
    let last = history.iter().map(|t| t.local_day).max()?;
    let end: Day = snapshot
        .map(|s| s.analysis.observation_end)
        .map_or(last, |e| e.max(last));
    let mut b = TransactionLogBuilder::new(Some(end));
    for t in history {
        // Day totals of one customer stay far inside the exact range.
        b.add(external_id, t.local_day, t.amount).ok()?;
    }
    let summary = b.finish().summarize(&SummaryOptions {
        unit: TimeUnit::Days,
        collapse: Collapse::Day,
    });
    let c = summary.customers.into_iter().next()?;
    Some(CustomerSummaryOut {
        transactions: history.len(),
        first_purchase: c.first_purchase.to_string(),
        last_purchase: c.last_purchase.to_string(),
        frequency: c.frequency,
        recency_days: c.recency,
        t_days: c.t,
        observation_end: end.to_string(),
        monetary_value: c.monetary_value,
    })
}

fn scores_of(external_id: &str, snapshot: &Snapshot) -> Option<CustomerScoresOut> {
    let a = &snapshot.analysis;
    let c = a.customer(a.customer_index(external_id)?)?;
    Some(CustomerScoresOut {
        p_alive: c.p_alive,
        expected_purchases: c.expected_purchases,
        expected_revenue: c.expected_revenue,
        clv: c.clv,
        value_at_risk: c.value_at_risk.value_at_risk,
        segment: c.rfm.segment.key().to_owned(),
        rfm: [c.rfm.r, c.rfm.f, c.rfm.m],
        stage: c.lifecycle_stage.key().to_owned(),
        computed_at: snapshot.computed_at,
    })
}

/// A customer by external id (percent-encoded), with history, summary and scores.
/// Managers and staff see only customers of their locations (404 otherwise).
#[utoipa::path(get, path = "/api/v1/customers/{external_id}", tag = "customers",
    params(("external_id" = String, Path, description = "the customer's external id, percent-encoded")),
    responses(
        (status = 200, description = "the customer", body = CustomerDetailOut),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 404, description = "unknown or erased", body = ErrorBody)))]
pub async fn detail(
    user: AuthUser,
    State(state): State<AppState>,
    Path(external_id): Path<String>,
) -> Result<Json<CustomerDetailOut>, ApiError> {
    check_visible(&state, &user, &external_id).await?;
    let d = state.store.customer_detail(&external_id).await?;
    let snapshot = state.scores.current();
    let summary = summary_of(&external_id, &d.transactions, snapshot.as_deref());
    let scores = snapshot.as_deref().and_then(|s| scores_of(&external_id, s));
    Ok(Json(CustomerDetailOut {
        customer: d.customer.into(),
        transactions: d.transactions.into_iter().map(Into::into).collect(),
        summary,
        scores,
    }))
}

/// A customer's own data as JSON (profile and transactions), for a data-subject access
/// request.
#[utoipa::path(get, path = "/api/v1/customers/{external_id}/export", tag = "customers",
    params(("external_id" = String, Path, description = "the customer's external id, percent-encoded")),
    responses(
        (status = 200, description = "the customer's data", body = CustomerExportOut),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 404, description = "unknown or erased", body = ErrorBody)))]
pub async fn export(
    RequireManager(user): RequireManager,
    State(state): State<AppState>,
    Path(external_id): Path<String>,
) -> Result<Json<CustomerExportOut>, ApiError> {
    check_visible(&state, &user, &external_id).await?;
    let e = state.store.export_customer(&external_id).await?;
    Ok(Json(CustomerExportOut {
        exported_at: e.exported_at,
        customer: e.customer.into(),
        transactions: e.transactions.into_iter().map(Into::into).collect(),
    }))
}

/// Erases a customer: personal fields nulled, attributes deleted, re-ingest of the
/// external id refused; an audit entry records internal ids only. Admins only.
#[utoipa::path(post, path = "/api/v1/customers/{external_id}/erase", tag = "customers",
    params(("external_id" = String, Path, description = "the customer's external id, percent-encoded")),
    responses(
        (status = 204, description = "erased"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 404, description = "unknown or already erased", body = ErrorBody)))]
pub async fn erase(
    RequireAdmin(user): RequireAdmin,
    State(state): State<AppState>,
    Path(external_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_external_id(&external_id)?;
    state
        .store
        .erase_customer(&external_id, Some(user.user_id))
        .await?;
    // The next incremental refit drops the customer from the kept log.
    state.scores.touch([external_id]);
    Ok(StatusCode::NO_CONTENT)
}
