//! Complaints (issue 9): the ISO 10002 record and its append-only recovery history
//! (migration 5). The recovery rules are `comeback_complaints::recovery`'s: a transition is
//! checked by replaying the stored history and applying the new action inside the same
//! write transaction, so two concurrent transitions cannot both pass.

use chrono::{DateTime, Utc};
use comeback_complaints::recovery::{
    Action, Actor, Category, Channel, Compensation, CompensationKind, ComplaintRecord, Deadlines,
    Imported, Intake, RecordError, Reference, Severity, Status,
};
use comeback_core::Amount;
use serde_json::{Value, json};
use sqlx::Row;

use crate::accounts::UserId;
use crate::store::{BeginWrite, on_pool};
use crate::util::{from_micros, to_micros};
use crate::{Store, StoreError};

/// A new complaint, addressed by the business's ids (customer external id, location and
/// employee codes).
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintInput {
    /// The reference shown to the customer (4–40 letters, digits or `-`).
    pub reference: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// How it arrived.
    pub channel: Channel,
    /// The customer's external id (must exist and not be erased).
    pub customer: String,
    /// The location's code.
    pub location: Option<String>,
    /// The employee's code.
    pub employee: Option<String>,
    /// The product or service concerned.
    pub product: Option<String>,
    /// The complaint in the customer's words (not empty).
    pub description: String,
    /// Category (the seven reasons, extensible).
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// The remedy the customer asks for.
    pub remedy_requested: Option<String>,
    /// Who handles it.
    pub owner: Option<UserId>,
    /// SLA deadlines (computed by the caller with the location's business calendar).
    pub deadlines: Deadlines,
}

/// How to reach someone who complained without being identified as a stored customer
/// (both optional: a complaint may be anonymous).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComplaintContact {
    /// Their name as given.
    pub name: Option<String>,
    /// Their e-mail address as given.
    pub email: Option<String>,
    /// The language they used (`fi`, ...), for the e-mails about their complaint.
    pub language: Option<String>,
}

/// Who did a step (a user, the customer or the system).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplaintActor {
    /// A staff user.
    Staff(UserId),
    /// The customer (e.g. through the status page).
    Customer,
    /// The system.
    System,
}

/// One step of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintEvent {
    /// Position in the history, from 1.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: ComplaintActor,
    /// What (with its fields).
    pub action: Action,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
}

/// A stored complaint with its history (no internal id except users').
#[derive(Debug, Clone, PartialEq)]
pub struct Complaint {
    /// The reference.
    pub reference: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// How.
    pub channel: Channel,
    /// The customer's external id (`None` after erasure).
    pub customer: Option<String>,
    /// Location code.
    pub location: Option<String>,
    /// Employee code.
    pub employee: Option<String>,
    /// Product or service.
    pub product: Option<String>,
    /// The complaint.
    pub description: String,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Remedy asked for.
    pub remedy_requested: Option<String>,
    /// Current owner.
    pub owner: Option<UserId>,
    /// Deadlines.
    pub deadlines: Deadlines,
    /// Current status.
    pub status: Status,
    /// When it began waiting for the customer (the SLA clock stopped); `None` while the
    /// clock runs.
    pub waiting_since: Option<DateTime<Utc>>,
    /// Who recorded it (`None`: the public page, an import).
    pub created_by: Option<UserId>,
    /// The survey follow-up it was opened from.
    pub survey_followup: Option<i64>,
    /// The history, oldest first.
    pub history: Vec<ComplaintEvent>,
}

/// Which complaints a user may see (the roles of the complaint pages and API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComplaintScope {
    /// Every complaint (admins).
    #[default]
    All,
    /// A manager's: complaints at their locations (`user_locations`), without a location,
    /// or owned by them.
    Manager(UserId),
    /// A staff member's: complaints they own or recorded.
    Staff(UserId),
}

/// Filters of [`Store::list_complaints`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ComplaintFilter {
    /// Only this owner's.
    pub owner: Option<UserId>,
    /// Only this location's (code).
    pub location: Option<String>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only complaints that are not closed.
    pub open_only: bool,
    /// Only complaints waiting for the customer.
    pub waiting_only: bool,
    /// Only what this user may see.
    pub scope: ComplaintScope,
    /// Only complaints received after this time.
    pub received_after: Option<DateTime<Utc>>,
    /// Only complaints past a deadline at this time, by the queue's rule: the first
    /// response is late while the complaint is `received`, the resolution while it is not
    /// closed, and time spent waiting for the customer never counts (a waiting complaint
    /// is late only for a deadline that passed before the wait began).
    pub late_at: Option<DateTime<Utc>>,
    /// Only open complaints whose clock runs (not waiting for the customer), that are not
    /// late at the first time, and whose next deadline (the first response while
    /// `received`, else the resolution) falls in `[first, second)`.
    pub due_between: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// At most this many (1–1000; ignored by [`Store::count_complaints`]).
    pub limit: u32,
}

/// A row of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintSummary {
    /// The reference.
    pub reference: String,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Customer's external id (`None` after erasure).
    pub customer: Option<String>,
    /// Location code.
    pub location: Option<String>,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Owner.
    pub owner: Option<UserId>,
    /// Deadlines.
    pub deadlines: Deadlines,
    /// Status.
    pub status: Status,
    /// Waiting for the customer since (`None`: the clock runs).
    pub waiting_since: Option<DateTime<Utc>>,
}

pub(crate) fn action_payload(a: &Action) -> Value {
    match a {
        Action::Acknowledge { apology } => json!({ "apology": apology }),
        Action::TakeAction { description } => json!({ "description": description }),
        Action::ShowEmpathy { note } => json!({ "note": note }),
        Action::Compensate { compensation: c } => json!({
            "kind": c.kind().as_str(),
            "value_micros": c.value().map(Amount::micros),
            "note": c.note(),
        }),
        Action::FollowUp { satisfied, comment } => {
            json!({ "satisfied": satisfied, "comment": comment })
        }
        Action::Close { note } => json!({ "note": note }),
        Action::Escalate { to, reason } => json!({ "to": to, "reason": reason }),
        Action::Reopen { reason } => json!({ "reason": reason }),
        Action::Import { imported: i } => json!({
            "external_id": i.external_id,
            "first_response_at": i.first_response_at.map(to_micros),
            "resolved_at": i.resolved_at.map(to_micros),
            "reopened_at": i.reopened_at.map(to_micros),
            "category": i.category,
            "compensation_micros": i.compensation.map(Amount::micros),
            "compensation_type": i.compensation_type,
            "location": i.location,
            "employee": i.employee,
            "severity": i.severity,
            "channel": i.channel,
            "satisfied": i.satisfied,
        }),
        Action::WaitForCustomer { note } | Action::Resume { note } => json!({ "note": note }),
    }
}

/// The [`Imported`] of an `import` event's payload.
fn imported_from(v: &Value, payload: &str) -> Result<Imported, StoreError> {
    let bad = || corrupt("payload", payload);
    let text = |k: &str| -> Result<Option<String>, StoreError> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad()),
        }
    };
    let int = |k: &str| -> Result<Option<i64>, StoreError> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(x) => x.as_i64().map(Some).ok_or_else(bad),
        }
    };
    let time = |k: &'static str| -> Result<Option<DateTime<Utc>>, StoreError> {
        int(k)?.map(|us| from_micros(k, us)).transpose()
    };
    Ok(Imported {
        external_id: text("external_id")?.ok_or_else(bad)?,
        first_response_at: time("first_response_at")?,
        resolved_at: time("resolved_at")?,
        reopened_at: time("reopened_at")?,
        category: text("category")?.ok_or_else(bad)?,
        compensation: int("compensation_micros")?.map(Amount::from_micros),
        compensation_type: text("compensation_type")?,
        location: text("location")?,
        employee: text("employee")?,
        severity: text("severity")?,
        channel: text("channel")?,
        satisfied: match v.get("satisfied") {
            None | Some(Value::Null) => None,
            Some(x) => Some(x.as_bool().ok_or_else(bad)?),
        },
    })
}

fn corrupt(column: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        column,
        value: value.into(),
    }
}

pub(crate) fn action_from(name: &str, payload: &str) -> Result<Action, StoreError> {
    let v: Value = serde_json::from_str(payload).map_err(|_| corrupt("payload", payload))?;
    let s = |k: &str| -> Result<String, StoreError> {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| corrupt("payload", payload))
    };
    Ok(match name {
        "acknowledge" => Action::Acknowledge {
            apology: s("apology")?,
        },
        "take_action" => Action::TakeAction {
            description: s("description")?,
        },
        "show_empathy" => Action::ShowEmpathy { note: s("note")? },
        "compensate" => {
            let kind =
                CompensationKind::parse(&s("kind")?).ok_or_else(|| corrupt("payload", payload))?;
            let value = v
                .get("value_micros")
                .and_then(Value::as_i64)
                .map(Amount::from_micros);
            Action::Compensate {
                compensation: Compensation::new(kind, value, s("note")?)
                    .map_err(|_| corrupt("payload", payload))?,
            }
        }
        "follow_up" => Action::FollowUp {
            satisfied: v
                .get("satisfied")
                .and_then(Value::as_bool)
                .ok_or_else(|| corrupt("payload", payload))?,
            comment: s("comment")?,
        },
        "close" => Action::Close { note: s("note")? },
        "escalate" => Action::Escalate {
            to: v
                .get("to")
                .and_then(Value::as_i64)
                .ok_or_else(|| corrupt("payload", payload))?,
            reason: s("reason")?,
        },
        "reopen" => Action::Reopen {
            reason: s("reason")?,
        },
        "import" => Action::Import {
            imported: Box::new(imported_from(&v, payload)?),
        },
        "wait_for_customer" => Action::WaitForCustomer { note: s("note")? },
        "resume" => Action::Resume { note: s("note")? },
        other => return Err(corrupt("action", other)),
    })
}

fn actor_parts(a: ComplaintActor) -> (&'static str, Option<i64>) {
    match a {
        ComplaintActor::Staff(u) => ("staff", Some(u.0)),
        ComplaintActor::Customer => ("customer", None),
        ComplaintActor::System => ("system", None),
    }
}

fn actor_from(kind: &str, user: Option<i64>) -> Result<ComplaintActor, StoreError> {
    match (kind, user) {
        ("staff", Some(u)) => Ok(ComplaintActor::Staff(UserId(u))),
        ("customer", _) => Ok(ComplaintActor::Customer),
        ("system", _) => Ok(ComplaintActor::System),
        _ => Err(corrupt("actor_kind", kind)),
    }
}

fn to_record_actor(a: ComplaintActor) -> Actor {
    match a {
        ComplaintActor::Staff(u) => Actor::Staff(u.0),
        ComplaintActor::Customer => Actor::Customer,
        ComplaintActor::System => Actor::System,
    }
}

fn status_from(s: &str) -> Result<Status, StoreError> {
    Status::parse(s).ok_or_else(|| corrupt("status", s))
}

fn micros_opt(column: &'static str, v: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    v.map(|us| from_micros(column, us)).transpose()
}

/// Why a complaint operation was refused (a client error, shown as is).
impl From<RecordError> for StoreError {
    fn from(e: RecordError) -> Self {
        StoreError::Complaint(e.to_string())
    }
}

/// Binds the parameters of [`FILTER`] (and the limit, $5) to query `$q`.
macro_rules! bind_filter {
    ($q:expr, $filter:expr) => {{
        let f: &ComplaintFilter = $filter;
        // $7: 0 every complaint, 1 a manager's, 2 a staff member's; $8 the user.
        let (scope_kind, scope_user): (i64, i64) = match f.scope {
            ComplaintScope::All => (0, 0),
            ComplaintScope::Manager(u) => (1, u.0),
            ComplaintScope::Staff(u) => (2, u.0),
        };
        $q.bind(f.owner.map(|u| u.0))
            .bind(f.location.clone())
            .bind(f.severity.map(Severity::as_str))
            .bind(i64::from(f.open_only))
            .bind(i64::from(f.limit))
            .bind(i64::from(f.waiting_only))
            .bind(scope_kind)
            .bind(scope_user)
            .bind(f.received_after.map(to_micros))
            .bind(f.late_at.map(to_micros))
            .bind(f.due_between.map(|(a, _)| to_micros(a)))
            .bind(f.due_between.map(|(_, b)| to_micros(b)))
    }};
}

const SELECT: &str = "SELECT c.id, c.reference, c.received_at, c.channel, cu.external_id, \
    l.code, e.code, c.product, c.description, c.category, c.severity, c.remedy_requested, \
    c.owner_user_id, c.first_response_due, c.resolution_due, c.status, \
    c.created_by_user_id, c.waiting_since, c.survey_followup_id \
    FROM complaints c JOIN customers cu ON cu.id = c.customer_id \
    LEFT JOIN locations l ON l.id = c.location_id \
    LEFT JOIN employees e ON e.id = c.employee_id";

/// The complaint columns of [`SELECT`] → (internal id, complaint without history).
fn complaint_from_row<R: Row>(r: &R) -> Result<(i64, Complaint), StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let severity: String = r.try_get(10)?;
    let category: String = r.try_get(9)?;
    let channel: String = r.try_get(3)?;
    Ok((
        r.try_get(0)?,
        Complaint {
            reference: r.try_get(1)?,
            received_at: from_micros("received_at", r.try_get(2)?)?,
            channel: Channel::parse(&channel).map_err(|_| corrupt("channel", channel.clone()))?,
            customer: r.try_get(4)?,
            location: r.try_get(5)?,
            employee: r.try_get(6)?,
            product: r.try_get(7)?,
            description: r.try_get(8)?,
            category: Category::parse(&category)
                .map_err(|_| corrupt("category", category.clone()))?,
            severity: Severity::parse(&severity).ok_or_else(|| corrupt("severity", severity))?,
            remedy_requested: r.try_get(11)?,
            owner: r.try_get::<Option<i64>, _>(12)?.map(UserId),
            deadlines: Deadlines {
                first_response: micros_opt("first_response_due", r.try_get(13)?)?,
                resolution: micros_opt("resolution_due", r.try_get(14)?)?,
            },
            status: status_from(&r.try_get::<String, _>(15)?)?,
            created_by: r.try_get::<Option<i64>, _>(16)?.map(UserId),
            waiting_since: micros_opt("waiting_since", r.try_get(17)?)?,
            survey_followup: r.try_get(18)?,
            history: Vec::new(),
        },
    ))
}

impl Store {
    /// Stores a new complaint in status `received`.
    ///
    /// # Errors
    /// [`StoreError::Complaint`] for an invalid reference or an empty description,
    /// [`StoreError::NotFound`] for an unknown customer, location or employee,
    /// [`StoreError::Duplicate`] for a reference in use, [`StoreError::Database`].
    pub async fn create_complaint(
        &self,
        input: &ComplaintInput,
        created_by: Option<UserId>,
    ) -> Result<Complaint, StoreError> {
        self.insert_complaint(input, None, created_by, None, None)
            .await
    }

    /// Stores a new complaint in status `received` from someone who is not identified as a
    /// stored customer (the public complaint page without a signed customer link): a
    /// customer row without external id is created for them in the same transaction,
    /// holding only the contact they gave (`contact`), so it appears in no customer list,
    /// summary or analysis; `input.customer` is not read. The complaint's `customer` is
    /// then `None`, as after an erasure.
    ///
    /// # Errors
    /// As [`create_complaint`](Self::create_complaint), without the unknown customer.
    pub async fn create_unidentified_complaint(
        &self,
        input: &ComplaintInput,
        contact: &ComplaintContact,
        created_by: Option<UserId>,
    ) -> Result<Complaint, StoreError> {
        self.insert_complaint(input, Some(contact), created_by, None, None)
            .await
    }

    /// The complaint opened from survey follow-up `followup`, if any.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn complaint_of_followup(
        &self,
        followup: i64,
    ) -> Result<Option<Complaint>, StoreError> {
        let reference: Option<String> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT reference FROM complaints WHERE survey_followup_id = $1")
                .bind(followup)
                .fetch_optional(p)
                .await?
        });
        match reference {
            Some(r) => Ok(Some(self.complaint(&r).await?)),
            None => Ok(None),
        }
    }

    /// Opens a recovery case (a complaint in status `received`) from survey follow-up
    /// `followup`, idempotently: when a complaint was already opened from it (before, or
    /// concurrently — the unique index on `survey_followup_id` decides), that complaint is
    /// returned and `input` is ignored. The flag says whether this call created it. With
    /// `input.customer` empty (an anonymous answer) the complaint is unidentified, as from
    /// the public page.
    ///
    /// # Errors
    /// As [`create_complaint`](Self::create_complaint); [`StoreError::NotFound`] for an
    /// unknown follow-up.
    pub async fn create_complaint_from_followup(
        &self,
        followup: i64,
        input: &ComplaintInput,
        created_by: Option<UserId>,
    ) -> Result<(Complaint, bool), StoreError> {
        let exists: Option<i64> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT id FROM survey_followups WHERE id = $1")
                .bind(followup)
                .fetch_optional(p)
                .await?
        });
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "follow-up",
                key: followup.to_string(),
            });
        }
        if let Some(c) = self.complaint_of_followup(followup).await? {
            return Ok((c, false));
        }
        let contact = ComplaintContact::default();
        let unidentified = input.customer.is_empty().then_some(&contact);
        match self
            .insert_complaint(input, unidentified, created_by, None, Some(followup))
            .await
        {
            Ok(c) => Ok((c, true)),
            Err(e) => match self.complaint_of_followup(followup).await? {
                // Another request opened it meanwhile.
                Some(c) => Ok((c, false)),
                None => Err(e),
            },
        }
    }

    /// Inserts the complaint (and, with `flag`, the staff flag crediting that employee
    /// code, recorded by `created_by`) in one write transaction; `followup` links the survey
    /// follow-up it was opened from.
    pub(crate) async fn insert_complaint(
        &self,
        input: &ComplaintInput,
        unidentified: Option<&ComplaintContact>,
        created_by: Option<UserId>,
        flag: Option<&str>,
        followup: Option<i64>,
    ) -> Result<Complaint, StoreError> {
        Reference::parse(&input.reference)?;
        if input.description.trim().is_empty() {
            return Err(RecordError::Empty("the description").into());
        }
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let customer: i64 = match unidentified {
                None => sqlx::query_scalar("SELECT id FROM customers WHERE external_id = $1")
                    .bind(&input.customer)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { what: "customer", key: input.customer.clone() })?,
                Some(c) => sqlx::query_scalar(
                    "INSERT INTO customers (external_id, name, email, language, attributes) \
                     VALUES (NULL, $1, $2, $3, '{\"source\":\"complaint\"}') RETURNING id",
                )
                .bind(&c.name)
                .bind(&c.email)
                .bind(&c.language)
                .fetch_one(&mut *tx)
                .await?,
            };
            let mut location = None;
            if let Some(code) = &input.location {
                location = Some(sqlx::query_scalar::<_, i64>("SELECT id FROM locations WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { what: "location", key: code.clone() })?);
            }
            let mut employee = None;
            if let Some(code) = &input.employee {
                employee = Some(sqlx::query_scalar::<_, i64>("SELECT id FROM employees WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { what: "employee", key: code.clone() })?);
            }
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM complaints WHERE reference = $1")
                .bind(&input.reference)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                return Err(StoreError::Duplicate { what: "complaint", key: input.reference.clone() });
            }
            let flagger = match flag {
                None => None,
                Some(code) => Some(sqlx::query_scalar::<_, i64>("SELECT id FROM employees WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { what: "employee", key: code.to_owned() })?),
            };
            let complaint_id: i64 = sqlx::query_scalar(
                "INSERT INTO complaints (reference, received_at, channel, customer_id, location_id, \
                 employee_id, product, description, category, severity, remedy_requested, \
                 owner_user_id, first_response_due, resolution_due, status, created_by_user_id, \
                 survey_followup_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                 RETURNING id",
            )
            .bind(&input.reference)
            .bind(to_micros(input.received_at))
            .bind(input.channel.as_str())
            .bind(customer)
            .bind(location)
            .bind(employee)
            .bind(&input.product)
            .bind(&input.description)
            .bind(input.category.as_str())
            .bind(input.severity.as_str())
            .bind(&input.remedy_requested)
            .bind(input.owner.map(|u| u.0))
            .bind(input.deadlines.first_response.map(to_micros))
            .bind(input.deadlines.resolution.map(to_micros))
            .bind(Status::Received.as_str())
            .bind(created_by.map(|u| u.0))
            .bind(followup)
            .fetch_one(&mut *tx)
            .await?;
            if let Some(employee_id) = flagger {
                sqlx::query(
                    "INSERT INTO staff_flags (complaint_id, employee_id, recorded_by_user_id, flagged_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(complaint_id)
                .bind(employee_id)
                .bind(created_by.map(|u| u.0))
                .bind(to_micros(input.received_at))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        self.complaint(&input.reference).await
    }

    /// The complaint with reference `reference` and its history.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Corrupt`], [`StoreError::Database`].
    pub async fn complaint(&self, reference: &str) -> Result<Complaint, StoreError> {
        on_pool!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.reference = $1")))
                .bind(reference)
                .fetch_optional(p)
                .await?
                .ok_or_else(|| StoreError::NotFound { what: "complaint", key: reference.to_owned() })?;
            let (id, mut c) = complaint_from_row(&row)?;
            let rows = sqlx::query(
                "SELECT seq, at, actor_kind, actor_user_id, action, payload, from_status, to_status \
                 FROM complaint_events WHERE complaint_id = $1 ORDER BY seq",
            )
            .bind(id)
            .fetch_all(p)
            .await?;
            for r in rows {
                let kind: String = r.try_get(2)?;
                let name: String = r.try_get(4)?;
                let payload: String = r.try_get(5)?;
                c.history.push(ComplaintEvent {
                    seq: r.try_get(0)?,
                    at: from_micros("at", r.try_get(1)?)?,
                    actor: actor_from(&kind, r.try_get(3)?)?,
                    action: action_from(&name, &payload)?,
                    from: status_from(&r.try_get::<String, _>(6)?)?,
                    to: status_from(&r.try_get::<String, _>(7)?)?,
                });
            }
            Ok(c)
        })
    }

    /// The complaints of the customer with external id `external_id`, oldest receipt first,
    /// without their histories (for the customer's timeline; index `complaints_customer`).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`], [`StoreError::Database`].
    pub async fn customer_complaints(
        &self,
        external_id: &str,
    ) -> Result<Vec<Complaint>, StoreError> {
        on_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE cu.external_id = $1 ORDER BY c.received_at, c.reference"
            )))
            .bind(external_id)
            .fetch_all(p)
            .await?;
            rows.iter().map(|r| complaint_from_row(r).map(|(_, c)| c)).collect()
        })
    }

    /// Every complaint with its history, oldest receipt first (for the measures: two
    /// queries, the events grouped in memory).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`], [`StoreError::Database`].
    pub async fn all_complaints(&self) -> Result<Vec<Complaint>, StoreError> {
        on_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT} ORDER BY c.received_at, c.reference"
            )))
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            let mut index = std::collections::HashMap::new();
            for r in &rows {
                let (id, c) = complaint_from_row(r)?;
                index.insert(id, out.len());
                out.push(c);
            }
            let events = sqlx::query(
                "SELECT complaint_id, seq, at, actor_kind, actor_user_id, action, payload, \
                 from_status, to_status FROM complaint_events ORDER BY complaint_id, seq",
            )
            .fetch_all(p)
            .await?;
            for r in events {
                let id: i64 = r.try_get(0)?;
                let Some(&i) = index.get(&id) else { continue };
                let kind: String = r.try_get(3)?;
                let name: String = r.try_get(5)?;
                let payload: String = r.try_get(6)?;
                out[i].history.push(ComplaintEvent {
                    seq: r.try_get(1)?,
                    at: from_micros("at", r.try_get(2)?)?,
                    actor: actor_from(&kind, r.try_get(4)?)?,
                    action: action_from(&name, &payload)?,
                    from: status_from(&r.try_get::<String, _>(7)?)?,
                    to: status_from(&r.try_get::<String, _>(8)?)?,
                });
            }
            Ok(out)
        })
    }

    /// Applies `action` by `actor` at `at` to the complaint `reference`: the stored history
    /// is replayed through `comeback_complaints::recovery` and the action applied in the
    /// same write transaction; the event is appended and the current status and owner
    /// updated.
    ///
    /// # Errors
    /// [`StoreError::Complaint`] for a transition the recovery refuses (the message lists
    /// what is allowed), an event before the previous one or an empty required text;
    /// [`StoreError::NotFound`]; [`StoreError::Database`].
    pub async fn transition_complaint(
        &self,
        reference: &str,
        at: DateTime<Utc>,
        actor: ComplaintActor,
        action: Action,
    ) -> Result<Complaint, StoreError> {
        if let Action::Escalate { to, .. } = &action {
            // The new owner must be a user.
            let exists: Option<i64> = on_pool!(self, p => {
                sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                    .bind(*to)
                    .fetch_optional(p)
                    .await?
            });
            if exists.is_none() {
                return Err(StoreError::NotFound {
                    what: "user",
                    key: to.to_string(),
                });
            }
        }
        let current = self.complaint(reference).await?;
        let intake = Intake {
            reference: Reference::parse(&current.reference)?,
            received_at: current.received_at,
            channel: current.channel.clone(),
            customer: 0,
            location: None,
            employee: None,
            product: None,
            description: current.description.clone(),
            category: current.category.clone(),
            severity: current.severity,
            remedy_requested: None,
            owner: None,
            deadlines: current.deadlines,
        };
        let mut record = ComplaintRecord::replay(
            intake,
            current
                .history
                .iter()
                .map(|e| (e.at, to_record_actor(e.actor), e.action.clone())),
        )
        .map_err(|e| corrupt("complaint_events", e.to_string()))?;
        let was_waiting = record.waiting_since();
        let event = record.apply(at, to_record_actor(actor), action)?.clone();
        let seq = current.history.len() as i64 + 1;
        // Waiting for the customer: the clock stops at `wait_for_customer`; at `resume` each
        // deadline still ahead when the pause began moves by the business time paused.
        let waiting_since = record.waiting_since();
        let mut deadlines = current.deadlines;
        if let (Action::Resume { .. }, Some(paused_at)) = (&event.action, was_waiting) {
            let calendar = match &current.location {
                Some(code) => match self.location_calendar(code).await? {
                    Some(c) => c.calendar()?,
                    None => comeback_complaints::sla::BusinessCalendar::always(),
                },
                None => comeback_complaints::sla::BusinessCalendar::always(),
            };
            let shift = |due: Option<DateTime<Utc>>| {
                due.map(|due| moved_deadline(&calendar, due, paused_at, at))
            };
            if event.from == Status::Received {
                deadlines.first_response = shift(deadlines.first_response);
            }
            deadlines.resolution = shift(deadlines.resolution);
        }
        let (kind, user) = actor_parts(actor);
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar("SELECT id FROM complaints WHERE reference = $1 AND status = $2")
                .bind(reference)
                .bind(event.from.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::Complaint(format!(
                    "complaint {reference:?} changed meanwhile; reload and try again"
                )))?;
            // UNIQUE (complaint_id, seq) refuses a concurrent step with the same position.
            sqlx::query(
                "INSERT INTO complaint_events (complaint_id, seq, at, actor_kind, actor_user_id, \
                 action, payload, from_status, to_status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(seq)
            .bind(to_micros(event.at))
            .bind(kind)
            .bind(user)
            .bind(event.action.name())
            .bind(action_payload(&event.action).to_string())
            .bind(event.from.as_str())
            .bind(event.to.as_str())
            .execute(&mut *tx)
            .await?;
            let owner = match &event.action {
                Action::Escalate { to, .. } => Some(*to),
                _ => current.owner.map(|u| u.0),
            };
            sqlx::query(
                "UPDATE complaints SET status = $1, owner_user_id = $2, waiting_since = $3, \
                 first_response_due = $4, resolution_due = $5 WHERE id = $6",
            )
            .bind(event.to.as_str())
            .bind(owner)
            .bind(waiting_since.map(to_micros))
            .bind(deadlines.first_response.map(to_micros))
            .bind(deadlines.resolution.map(to_micros))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.complaint(reference).await
    }

    /// The queue: complaints matching `filter`, soonest resolution deadline first (those
    /// without one last, then by receipt).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a limit outside 1–1000, [`StoreError::Database`].
    pub async fn list_complaints(
        &self,
        filter: &ComplaintFilter,
    ) -> Result<Vec<ComplaintSummary>, StoreError> {
        if !(1..=1000).contains(&filter.limit) {
            return Err(StoreError::Invalid {
                field: "limit",
                value: filter.limit.to_string(),
                reason: "must be between 1 and 1000",
            });
        }
        // Constant text: the filters are bound parameters.
        let sql = format!(
            "{SELECT} WHERE {FILTER} \
             ORDER BY CASE WHEN c.resolution_due IS NULL THEN 1 ELSE 0 END, c.resolution_due, \
             c.received_at, c.reference LIMIT $5"
        );
        on_pool!(self, p => {
            let q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            let rows = bind_filter!(q, filter).fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    let (_, c) = complaint_from_row(r)?;
                    Ok(ComplaintSummary {
                        reference: c.reference,
                        received_at: c.received_at,
                        customer: c.customer,
                        location: c.location,
                        category: c.category,
                        severity: c.severity,
                        owner: c.owner,
                        deadlines: c.deadlines,
                        status: c.status,
                        waiting_since: c.waiting_since,
                    })
                })
                .collect()
        })
    }
}

impl Store {
    /// How many complaints match `filter` (its `limit` aside).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn count_complaints(&self, filter: &ComplaintFilter) -> Result<u64, StoreError> {
        // Constant text: the filters are bound parameters ($5, the limit, is bound but
        // compared with itself so that both backends know its type).
        let sql = format!(
            "SELECT COUNT(*) FROM complaints c LEFT JOIN locations l ON l.id = c.location_id \
             WHERE {FILTER} AND $5 = $5"
        );
        let filter = ComplaintFilter {
            limit: 1,
            ..filter.clone()
        };
        on_pool!(self, p => {
            let q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            let row = bind_filter!(q, &filter).fetch_one(p).await?;
            let n: i64 = row.try_get(0)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }
}

/// The `WHERE` condition of [`ComplaintFilter`] over `complaints c` joined with
/// `locations l`, its parameters bound by `bind_filter!` ($1–$12).
const FILTER: &str = "($1 IS NULL OR c.owner_user_id = $1) AND ($2 IS NULL OR l.code = $2) \
     AND ($3 IS NULL OR c.severity = $3) AND ($4 = 0 OR c.status <> 'closed') \
     AND ($6 = 0 OR c.waiting_since IS NOT NULL) \
     AND ($7 = 0 OR c.owner_user_id = $8 OR c.created_by_user_id = $8 \
          OR ($7 = 1 AND (c.location_id IS NULL OR c.location_id IN \
              (SELECT ul.location_id FROM user_locations ul WHERE ul.user_id = $8)))) \
     AND ($9 IS NULL OR c.received_at > $9) \
     AND ($10 IS NULL OR (c.status <> 'closed' AND ( \
          (c.status = 'received' AND c.first_response_due < \
             CASE WHEN c.waiting_since IS NOT NULL AND c.waiting_since < $10 \
                  THEN c.waiting_since ELSE $10 END) \
          OR c.resolution_due < \
             CASE WHEN c.waiting_since IS NOT NULL AND c.waiting_since < $10 \
                  THEN c.waiting_since ELSE $10 END))) \
     AND ($11 IS NULL OR (c.status <> 'closed' AND c.waiting_since IS NULL \
          AND (c.resolution_due IS NULL OR c.resolution_due >= $11) \
          AND (c.status <> 'received' OR c.first_response_due IS NULL \
               OR c.first_response_due >= $11) \
          AND CASE WHEN c.status = 'received' \
                   THEN COALESCE(c.first_response_due, c.resolution_due) \
                   ELSE c.resolution_due END >= $11 \
          AND CASE WHEN c.status = 'received' \
                   THEN COALESCE(c.first_response_due, c.resolution_due) \
                   ELSE c.resolution_due END < $12))";

/// Where a deadline `due` moves when the clock was paused from `paused_at` to `resumed_at`:
/// the business time that was left at `paused_at` now counts from `resumed_at` (so the
/// deadline moves by the business time paused). A deadline already passed when the pause
/// began stays where it was (it was breached before the customer was asked).
pub fn moved_deadline(
    calendar: &comeback_complaints::sla::BusinessCalendar,
    due: DateTime<Utc>,
    paused_at: DateTime<Utc>,
    resumed_at: DateTime<Utc>,
) -> DateTime<Utc> {
    if due <= paused_at {
        return due;
    }
    let left = calendar.business_duration(paused_at, due);
    calendar
        .deadline(resumed_at, left, &comeback_complaints::sla::Pauses::none())
        .unwrap_or(due)
}
