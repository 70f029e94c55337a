//! Complaints imported from a file (issue 9, intake by CSV; migration 12): each row becomes
//! a complaint whose history holds one `import` event with what the file says
//! (`comeback_complaints::recovery::Action::Import`), found again by the file's complaint
//! id (`complaints.external_id`) when the file is imported again. One database transaction
//! per file: every row is stored, or none and every row's problem is returned.

use chrono::{DateTime, Utc};
use comeback_complaints::recovery::{
    Action, Actor, Category, Channel, ComplaintRecord, Deadlines, Imported, Intake, Reference,
    Severity,
};
use sqlx::Row;

use crate::complaints::{ComplaintScope, action_from, action_payload};
use crate::store::{BeginWrite, on_pool};
use crate::util::to_micros;
use crate::{RowError, Store, StoreError};

/// One complaint of an imported file.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintImport {
    /// The reference for a new complaint (the file's id when it is a valid reference, else
    /// a generated one); kept when the complaint exists.
    pub reference: String,
    /// A second reference, used when `reference` belongs to another complaint.
    pub fallback_reference: String,
    /// The customer's external id (must be stored and not erased).
    pub customer: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// How it arrived (from the file's channel; `other` when the file has none).
    pub channel: Channel,
    /// The category (from the file's).
    pub category: Category,
    /// The severity (the file's, or medium).
    pub severity: Severity,
    /// The deadlines the server computed for it.
    pub deadlines: Deadlines,
    /// The description stored (files carry none: the server writes where it came from).
    pub description: String,
    /// What the file says, as written; `imported.location` / `employee` are linked to the
    /// stored location and employee of that code when there is one.
    pub imported: Imported,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportOutcome {
    /// New complaints.
    pub inserted: u64,
    /// Complaints imported before whose row changed (a new `import` event).
    pub updated: u64,
    /// Complaints imported before whose row is the same.
    pub unchanged: u64,
}

impl Store {
    /// Stores the complaints of an imported file at `now` (the `import` events' time, or
    /// a row's receipt when later): a complaint id not stored yet becomes a new complaint;
    /// one imported before gets a new `import` event when its row changed, and is left as
    /// it is otherwise. The customer is told nothing about what a file says: the
    /// complaint's e-mail state is set to its import (see migration 12).
    ///
    /// `scope` is who imports ([`ComplaintScope::All`] for an admin): a manager imports
    /// only rows about customers with a purchase at one of their locations (any other is
    /// refused as unknown, so that a refusal tells nothing about customers out of their
    /// scope), at one of their locations or without one, and changes only complaints they
    /// may see (those of their locations, without one, or that they own or recorded).
    ///
    /// # Errors
    /// [`StoreError::Rejected`] with every problem in row order (an unknown or erased
    /// customer, or one out of `scope`; a location or stored complaint out of `scope`; a
    /// complaint handled in Comeback since its import, which a file no longer changes; an
    /// event the recovery refuses), nothing stored; [`StoreError::Database`].
    pub async fn import_complaints(
        &self,
        rows: &[ComplaintImport],
        now: DateTime<Utc>,
        scope: ComplaintScope,
    ) -> Result<ImportOutcome, StoreError> {
        let mut outcome = ImportOutcome::default();
        let mut errors = Vec::new();
        // $2: 0 every customer, else only those with a purchase at one of user $3's
        // locations (the customer pages' rule).
        let (limited, user) = match scope {
            ComplaintScope::All => (0_i64, 0_i64),
            ComplaintScope::Manager(u) | ComplaintScope::Staff(u) => (1, u.0),
        };
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for (i, row) in rows.iter().enumerate() {
                let customer: Option<i64> = sqlx::query_scalar(
                    "SELECT c.id FROM customers c WHERE c.external_id = $1 AND c.erased_at IS NULL \
                     AND ($2 = 0 OR EXISTS (SELECT 1 FROM transactions t JOIN user_locations ul \
                       ON ul.location_id = t.location_id WHERE t.customer_id = c.id AND ul.user_id = $3))",
                )
                .bind(&row.customer)
                .bind(limited)
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
                // One message whether the customer is unknown or not the importer's: a
                // refusal tells nothing about customers out of their scope.
                let Some(customer) = customer else {
                    errors.push(RowError::new(
                        i,
                        "customer_id",
                        if limited == 0 {
                            format!(
                                "unknown customer {:?} (store the customer or their transactions first)",
                                row.customer
                            )
                        } else {
                            format!(
                                "unknown customer {:?} (store the customer or their transactions \
                                 first; managers import complaints of customers with a purchase at \
                                 one of their locations)",
                                row.customer
                            )
                        },
                    ));
                    continue;
                };
                // The file's location: one of the importer's (or none).
                if limited == 1
                    && let Some(code) = &row.imported.location
                {
                    let mine: Option<i64> = sqlx::query_scalar(
                        "SELECT l.id FROM locations l JOIN user_locations ul ON ul.location_id = l.id \
                         WHERE l.code = $1 AND ul.user_id = $2",
                    )
                    .bind(code)
                    .bind(user)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if mine.is_none() {
                        errors.push(RowError::new(
                            i,
                            "location",
                            format!(
                                "location {code:?} is not one of yours: managers import the \
                                 complaints of their locations (or without a location)"
                            ),
                        ));
                        continue;
                    }
                }
                let mut location = None;
                if let Some(code) = &row.imported.location {
                    location = sqlx::query_scalar::<_, i64>("SELECT id FROM locations WHERE code = $1")
                        .bind(code)
                        .fetch_optional(&mut *tx)
                        .await?;
                }
                let mut employee = None;
                if let Some(code) = &row.imported.employee {
                    employee = sqlx::query_scalar::<_, i64>("SELECT id FROM employees WHERE code = $1")
                        .bind(code)
                        .fetch_optional(&mut *tx)
                        .await?;
                }
                // $2/$3: whether user $3 may see it (complaint_access::can_see: a manager
                // those of their locations, without one, or that they own or recorded).
                let existing = sqlx::query(
                    "SELECT c.id, c.reference, c.received_at, cu.external_id, \
                     CASE WHEN $2 = 0 OR c.owner_user_id = $3 OR c.created_by_user_id = $3 \
                       OR ($2 = 1 AND (c.location_id IS NULL OR c.location_id IN \
                         (SELECT ul.location_id FROM user_locations ul WHERE ul.user_id = $3))) \
                     THEN 1 ELSE 0 END \
                     FROM complaints c \
                     JOIN customers cu ON cu.id = c.customer_id WHERE c.external_id = $1",
                )
                .bind(&row.imported.external_id)
                .bind(match scope {
                    ComplaintScope::All => 0_i64,
                    ComplaintScope::Manager(_) => 1,
                    ComplaintScope::Staff(_) => 2,
                })
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
                let (id, reference, history) = match existing {
                    None => (None, None, Vec::new()),
                    Some(r) if r.try_get::<i32, _>(4)? == 0 => {
                        errors.push(RowError::new(
                            i,
                            "complaint_id",
                            format!(
                                "complaint id {:?} belongs to a complaint you may not see (managers \
                                 import the complaints of their locations, without a location, or that \
                                 they own or recorded)",
                                row.imported.external_id
                            ),
                        ));
                        continue;
                    }
                    Some(r) => {
                        let id: i64 = r.try_get(0)?;
                        let events = sqlx::query(
                            "SELECT at, action, payload FROM complaint_events \
                             WHERE complaint_id = $1 ORDER BY seq",
                        )
                        .bind(id)
                        .fetch_all(&mut *tx)
                        .await?;
                        let mut history = Vec::with_capacity(events.len());
                        for e in &events {
                            let at: i64 = e.try_get(0)?;
                            let name: String = e.try_get(1)?;
                            let payload: String = e.try_get(2)?;
                            history.push((
                                crate::util::from_micros("at", at)?,
                                action_from(&name, &payload)?,
                            ));
                        }
                        let same_record = r.try_get::<i64, _>(2)? == to_micros(row.received_at)
                            && r.try_get::<Option<String>, _>(3)?.as_deref()
                                == Some(row.customer.as_str());
                        if same_record
                            && let Some((_, Action::Import { imported })) = history.last()
                            && **imported == row.imported
                        {
                            outcome.unchanged += 1;
                            continue;
                        }
                        (Some(id), Some(r.try_get::<String, _>(1)?), history)
                    }
                };
                if let Some((_, a)) = history.iter().find(|(_, a)| !matches!(a, Action::Import { .. })) {
                    errors.push(RowError::new(
                        i,
                        "complaint_id",
                        format!(
                            "complaint {:?} was handled in Comeback after its import (a {} step); a file no longer changes it",
                            row.imported.external_id,
                            a.name()
                        ),
                    ));
                    continue;
                }
                // The reference: the stored one, else the preferred one when free.
                let reference = match reference {
                    Some(r) => r,
                    None => {
                        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM complaints WHERE reference = $1")
                            .bind(&row.reference)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if taken.is_none() { row.reference.clone() } else { row.fallback_reference.clone() }
                    }
                };
                let intake = Intake {
                    reference: match Reference::parse(&reference) {
                        Ok(r) => r,
                        Err(e) => {
                            errors.push(RowError::new(i, "complaint_id", e.to_string()));
                            continue;
                        }
                    },
                    received_at: row.received_at,
                    channel: row.channel.clone(),
                    customer,
                    location,
                    employee,
                    product: None,
                    description: row.description.clone(),
                    category: row.category.clone(),
                    severity: row.severity,
                    remedy_requested: None,
                    owner: None,
                    deadlines: row.deadlines,
                };
                let previous = history.last().map_or(row.received_at, |(at, _)| *at);
                let at = now.max(row.received_at).max(previous);
                let record = ComplaintRecord::replay(
                    intake,
                    history.iter().map(|(at, a)| (*at, Actor::System, a.clone())),
                )
                .and_then(|mut r| {
                    r.apply(at, Actor::System, Action::Import { imported: Box::new(row.imported.clone()) })
                        .cloned()
                });
                let event = match record {
                    Ok(e) => e,
                    Err(e) => {
                        errors.push(RowError::new(i, "complaint_id", e.to_string()));
                        continue;
                    }
                };
                if !errors.is_empty() {
                    // Nothing will be stored: only look for further problems.
                    continue;
                }
                let id = match id {
                    Some(id) => {
                        sqlx::query(
                            "UPDATE complaints SET received_at = $1, channel = $2, customer_id = $3, \
                             location_id = $4, employee_id = $5, category = $6, severity = $7, \
                             first_response_due = $8, resolution_due = $9, status = $10 WHERE id = $11",
                        )
                        .bind(to_micros(row.received_at))
                        .bind(row.channel.as_str())
                        .bind(customer)
                        .bind(location)
                        .bind(employee)
                        .bind(row.category.as_str())
                        .bind(row.severity.as_str())
                        .bind(row.deadlines.first_response.map(to_micros))
                        .bind(row.deadlines.resolution.map(to_micros))
                        .bind(event.to.as_str())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        outcome.updated += 1;
                        id
                    }
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO complaints (reference, received_at, channel, customer_id, \
                             location_id, employee_id, product, description, category, severity, \
                             remedy_requested, owner_user_id, first_response_due, resolution_due, \
                             status, created_by_user_id, external_id) \
                             VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, NULL, NULL, $10, $11, $12, NULL, $13) \
                             RETURNING id",
                        )
                        .bind(&reference)
                        .bind(to_micros(row.received_at))
                        .bind(row.channel.as_str())
                        .bind(customer)
                        .bind(location)
                        .bind(employee)
                        .bind(&row.description)
                        .bind(row.category.as_str())
                        .bind(row.severity.as_str())
                        .bind(row.deadlines.first_response.map(to_micros))
                        .bind(row.deadlines.resolution.map(to_micros))
                        .bind(event.to.as_str())
                        .bind(&row.imported.external_id)
                        .fetch_one(&mut *tx)
                        .await?;
                        outcome.inserted += 1;
                        id
                    }
                };
                let seq = history.len() as i64 + 1;
                sqlx::query(
                    "INSERT INTO complaint_events (complaint_id, seq, at, actor_kind, actor_user_id, \
                     action, payload, from_status, to_status) VALUES ($1, $2, $3, 'system', NULL, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(seq)
                .bind(to_micros(event.at))
                .bind(event.action.name())
                .bind(action_payload(&event.action).to_string())
                .bind(event.from.as_str())
                .bind(event.to.as_str())
                .execute(&mut *tx)
                .await?;
                // What a file says is not announced to the customer (they were told by the
                // system the file came from); later steps taken here are.
                sqlx::query(
                    "INSERT INTO complaint_mail (complaint_id, announced_seq, last_notice_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (complaint_id) DO UPDATE SET \
                     announced_seq = excluded.announced_seq, last_notice_at = excluded.last_notice_at",
                )
                .bind(id)
                .bind(seq)
                .bind(to_micros(at))
                .execute(&mut *tx)
                .await?;
            }
            if !errors.is_empty() {
                tx.rollback().await?;
                return Err(StoreError::Rejected { rows: errors });
            }
            tx.commit().await?;
        });
        Ok(outcome)
    }
}
