//! Staff flags (issue 9 item 3, PRODUCT R5; migration 11): an employee flags "this
//! customer is unhappy". A flag is an intake channel of complaint recovery: it is stored
//! as a complaint of channel `staff_flag` (customer, location, category, the note as its
//! description) in the same write transaction as the `staff_flags` row that credits it to
//! the employee and names the account that recorded it. Every reference is an internal id,
//! so erasing the customer keeps the flag and its credit.

use chrono::{DateTime, Utc};
use comeback_complaints::recovery::{Category, Channel, Status};
use sqlx::Row;

use crate::accounts::UserId;
use crate::complaints::ComplaintInput;
use crate::store::on_pool;
use crate::util::{from_micros, to_micros};
use crate::{Store, StoreError};

/// A stored staff flag (no internal id except the recording user's).
#[derive(Debug, Clone, PartialEq)]
pub struct StaffFlag {
    /// The reference of the complaint the flag opened.
    pub reference: String,
    /// When the employee flagged the customer.
    pub flagged_at: DateTime<Utc>,
    /// The customer's external id (`None` after erasure).
    pub customer: Option<String>,
    /// Location code.
    pub location: Option<String>,
    /// The credited employee's code.
    pub employee: String,
    /// The credited employee's name.
    pub employee_name: Option<String>,
    /// Why the customer seems unhappy (the seven reasons of PRODUCT R6, extensible).
    pub category: Category,
    /// The employee's note (the complaint's description).
    pub note: String,
    /// The complaint's current status.
    pub status: Status,
    /// The account that recorded the flag (`None` once that account is deleted).
    pub recorded_by: Option<UserId>,
}

/// Filters of [`Store::staff_flags`]; every condition given holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlagFilter {
    /// Only flags credited to this employee code.
    pub employee: Option<String>,
    /// Only flags at this location code.
    pub location: Option<String>,
    /// Only flags raised at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only flags raised before this instant.
    pub to: Option<DateTime<Utc>>,
    /// A manager's view: only flags at one of this user's locations or credited to this
    /// user's own employee.
    pub visible_to: Option<UserId>,
    /// At most this many (1–1000).
    pub limit: u32,
}

const SELECT: &str = "SELECT c.reference, f.flagged_at, cu.external_id, l.code, e.code, e.name, \
    c.category, c.description, c.status, f.recorded_by_user_id \
    FROM staff_flags f JOIN complaints c ON c.id = f.complaint_id \
    JOIN customers cu ON cu.id = c.customer_id \
    JOIN employees e ON e.id = f.employee_id \
    LEFT JOIN locations l ON l.id = c.location_id";

fn flag_from_row<R: Row>(r: &R) -> Result<StaffFlag, StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let category: String = r.try_get(6)?;
    let status: String = r.try_get(8)?;
    Ok(StaffFlag {
        reference: r.try_get(0)?,
        flagged_at: from_micros("staff_flags.flagged_at", r.try_get(1)?)?,
        customer: r.try_get(2)?,
        location: r.try_get(3)?,
        employee: r.try_get(4)?,
        employee_name: r.try_get(5)?,
        category: Category::parse(&category).map_err(|_| StoreError::Corrupt {
            column: "complaints.category",
            value: category.clone(),
        })?,
        note: r.try_get(7)?,
        status: Status::parse(&status).ok_or(StoreError::Corrupt {
            column: "complaints.status",
            value: status.clone(),
        })?,
        recorded_by: r.try_get::<Option<i64>, _>(9)?.map(UserId),
    })
}

impl Store {
    /// Stores a staff flag: the complaint `complaint` (its channel must be `staff_flag`;
    /// received at the flag's instant) and the flag crediting the employee with code
    /// `employee`, recorded by `recorded_by`, in one write transaction — both or neither.
    ///
    /// # Errors
    /// As [`create_complaint`](Self::create_complaint) (an unknown customer, location or
    /// employee is [`StoreError::NotFound`]); [`StoreError::Invalid`] for another channel.
    pub async fn create_staff_flag(
        &self,
        complaint: &ComplaintInput,
        employee: &str,
        recorded_by: UserId,
    ) -> Result<StaffFlag, StoreError> {
        if complaint.channel != Channel::StaffFlag {
            return Err(StoreError::Invalid {
                field: "channel",
                value: complaint.channel.as_str().to_owned(),
                reason: "a staff flag's complaint has channel staff_flag",
            });
        }
        let c = self
            .insert_complaint(complaint, None, Some(recorded_by), Some(employee), None)
            .await?;
        self.staff_flag(&c.reference)
            .await?
            .ok_or(StoreError::NotFound {
                what: "staff flag",
                key: c.reference,
            })
    }

    /// The staff flag that opened the complaint `reference`, if one did.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`], [`StoreError::Database`].
    pub async fn staff_flag(&self, reference: &str) -> Result<Option<StaffFlag>, StoreError> {
        on_pool!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.reference = $1")))
                .bind(reference)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(flag_from_row).transpose()
        })
    }

    /// Staff flags matching `filter`, newest first (then by reference).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a limit outside 1–1000; [`StoreError::Corrupt`],
    /// [`StoreError::Database`].
    pub async fn staff_flags(&self, filter: &FlagFilter) -> Result<Vec<StaffFlag>, StoreError> {
        if !(1..=1000).contains(&filter.limit) {
            return Err(StoreError::Invalid {
                field: "limit",
                value: filter.limit.to_string(),
                reason: "must be between 1 and 1000",
            });
        }
        // Constant text: the filters are bound parameters.
        let sql = format!(
            "{SELECT} WHERE ($1 IS NULL OR e.code = $1) AND ($2 IS NULL OR l.code = $2) \
             AND ($3 IS NULL OR f.flagged_at >= $3) AND ($4 IS NULL OR f.flagged_at < $4) \
             AND ($5 IS NULL \
                  OR c.location_id IN (SELECT ul.location_id FROM user_locations ul WHERE ul.user_id = $5) \
                  OR f.employee_id IN (SELECT u.employee_id FROM users u WHERE u.id = $5)) \
             ORDER BY f.flagged_at DESC, c.reference LIMIT $6"
        );
        on_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(filter.employee.as_deref())
                .bind(filter.location.as_deref())
                .bind(filter.from.map(to_micros))
                .bind(filter.to.map(to_micros))
                .bind(filter.visible_to.map(|u| u.0))
                .bind(i64::from(filter.limit))
                .fetch_all(p)
                .await?;
            rows.iter().map(flag_from_row).collect()
        })
    }

    /// The staff flags about the customer with external id `external_id`, oldest first
    /// (for the customer's timeline).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`], [`StoreError::Database`].
    pub async fn customer_staff_flags(
        &self,
        external_id: &str,
    ) -> Result<Vec<StaffFlag>, StoreError> {
        on_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE cu.external_id = $1 ORDER BY f.flagged_at, c.reference"
            )))
            .bind(external_id)
            .fetch_all(p)
            .await?;
            rows.iter().map(flag_from_row).collect()
        })
    }

    /// How many staff flags each employee raised from `from` (inclusive) to `to`
    /// (exclusive), per location: (employee code, location code, count), by employee and
    /// location (flags without a location last per employee). For the report cards.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn staff_flag_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, Option<String>, u64)>, StoreError> {
        let sql = "SELECT e.code, l.code, COUNT(*) FROM staff_flags f \
                   JOIN complaints c ON c.id = f.complaint_id \
                   JOIN employees e ON e.id = f.employee_id \
                   LEFT JOIN locations l ON l.id = c.location_id \
                   WHERE f.flagged_at >= $1 AND f.flagged_at < $2 \
                   GROUP BY e.code, l.code \
                   ORDER BY e.code, CASE WHEN l.code IS NULL THEN 1 ELSE 0 END, l.code";
        on_pool!(self, p => {
            let rows = sqlx::query(sql)
                .bind(to_micros(from))
                .bind(to_micros(to))
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| {
                    let n: i64 = r.try_get(2)?;
                    Ok((r.try_get(0)?, r.try_get(1)?, n.max(0) as u64))
                })
                .collect()
        })
    }

    /// The instant of the latest staff flag, if any.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`], [`StoreError::Database`].
    pub async fn latest_staff_flag(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let us: Option<i64> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT MAX(flagged_at) FROM staff_flags")
                .fetch_one(p)
                .await?
        });
        us.map(|us| from_micros("staff_flags.flagged_at", us))
            .transpose()
    }

    /// The external ids of the customers (not erased) whose e-mail address is `email`,
    /// compared trimmed and ignoring case, at most 10 (for finding a customer by e-mail
    /// on the quick flag form).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn customers_by_email(&self, email: &str) -> Result<Vec<String>, StoreError> {
        let e = email.trim().to_lowercase();
        on_pool!(self, p => {
            Ok(sqlx::query_scalar(
                "SELECT external_id FROM customers WHERE external_id IS NOT NULL \
                 AND LOWER(TRIM(email)) = $1 ORDER BY external_id LIMIT 10",
            )
            .bind(&e)
            .fetch_all(p)
            .await?)
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn select_reads_the_columns_flag_from_row_expects() {
        // Ten columns, in flag_from_row's order.
        let cols = super::SELECT
            .split(" FROM ")
            .next()
            .unwrap()
            .trim_start_matches("SELECT ")
            .split(", ")
            .count();
        assert_eq!(cols, 10);
    }
}
