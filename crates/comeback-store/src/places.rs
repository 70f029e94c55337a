//! Locations (with their business time zone) and employees.

use chrono_tz::Tz;
use sqlx::Row;

use crate::store::{BeginWrite, on_pool};
use crate::util::id_problem;
use crate::{Store, StoreError};

/// A place of business. Its IANA time zone decides the local day of its transactions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// The business's own code for it, unique.
    pub code: String,
    /// Display name.
    pub name: Option<String>,
    /// IANA time zone name, e.g. `"Europe/Helsinki"`.
    pub time_zone: String,
}

/// A member of staff, addressed by the business's own code (transactions name it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Employee {
    /// The business's own code, unique.
    pub code: String,
    /// Display name.
    pub name: Option<String>,
    /// Code of the employee's location.
    pub location: Option<String>,
}

pub(crate) const BUSINESS_TZ_KEY: &str = "business_time_zone";

/// Parses an IANA time zone name.
pub(crate) fn parse_tz(name: &str) -> Result<Tz, StoreError> {
    name.parse::<Tz>().map_err(|_| StoreError::Invalid {
        field: "time zone",
        value: name.to_owned(),
        reason: "not an iana time zone name",
    })
}

fn check_code(field: &'static str, code: &str) -> Result<(), StoreError> {
    match id_problem(code) {
        Some(_) => Err(StoreError::Invalid {
            field,
            value: code.to_owned(),
            reason: "must be 1-200 bytes without control characters or surrounding spaces",
        }),
        None => Ok(()),
    }
}

impl Store {
    /// The time zone of transactions without a location (default `UTC`).
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`] for an unknown stored name.
    pub async fn business_time_zone(&self) -> Result<Tz, StoreError> {
        match self.setting(BUSINESS_TZ_KEY).await? {
            None => Ok(Tz::UTC),
            Some(name) => name.parse().map_err(|_| StoreError::Corrupt {
                column: "settings.value",
                value: name,
            }),
        }
    }

    /// Sets the time zone of transactions without a location.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an unknown name; [`StoreError::TimeZoneInUse`] when it
    /// would change and transactions without a location are stored.
    pub async fn set_business_time_zone(&self, name: &str) -> Result<(), StoreError> {
        let tz = parse_tz(name)?;
        let current = self.business_time_zone().await?;
        if current == tz {
            return Ok(());
        }
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let used: Option<i64> =
                sqlx::query_scalar("SELECT id FROM transactions WHERE location_id IS NULL LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            if used.is_some() {
                return Err(StoreError::TimeZoneInUse { location: "(business default)".into() });
            }
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(BUSINESS_TZ_KEY)
            .bind(tz.name())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Creates a location or updates its name; its time zone may change only while no
    /// transaction uses it.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a bad code or time zone; [`StoreError::TimeZoneInUse`].
    pub async fn upsert_location(&self, location: &Location) -> Result<(), StoreError> {
        check_code("location code", &location.code)?;
        let tz = parse_tz(&location.time_zone)?;
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let existing = sqlx::query("SELECT id, time_zone FROM locations WHERE code = $1")
                .bind(&location.code)
                .fetch_optional(&mut *tx)
                .await?;
            match existing {
                None => {
                    sqlx::query("INSERT INTO locations (code, name, time_zone) VALUES ($1, $2, $3)")
                        .bind(&location.code)
                        .bind(&location.name)
                        .bind(tz.name())
                        .execute(&mut *tx)
                        .await?;
                }
                Some(row) => {
                    let id: i64 = row.try_get(0)?;
                    let old: String = row.try_get(1)?;
                    if old != tz.name() {
                        let used: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM transactions WHERE location_id = $1 LIMIT 1",
                        )
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if used.is_some() {
                            return Err(StoreError::TimeZoneInUse {
                                location: location.code.clone(),
                            });
                        }
                    }
                    sqlx::query("UPDATE locations SET name = $1, time_zone = $2 WHERE id = $3")
                        .bind(&location.name)
                        .bind(tz.name())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every location, by code.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn locations(&self) -> Result<Vec<Location>, StoreError> {
        let sql = "SELECT code, name, time_zone FROM locations ORDER BY code";
        on_pool!(self, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    Ok(Location {
                        code: r.try_get(0)?,
                        name: r.try_get(1)?,
                        time_zone: r.try_get(2)?,
                    })
                })
                .collect()
        })
    }

    /// Creates an employee or updates name and location.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a bad code; [`StoreError::NotFound`] for an unknown
    /// location.
    pub async fn upsert_employee(&self, employee: &Employee) -> Result<(), StoreError> {
        check_code("employee code", &employee.code)?;
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let location_id: Option<i64> = match &employee.location {
                None => None,
                Some(code) => Some(
                    sqlx::query_scalar("SELECT id FROM locations WHERE code = $1")
                        .bind(code)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::NotFound { what: "location", key: code.clone() })?,
                ),
            };
            sqlx::query(
                "INSERT INTO employees (code, name, location_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                 location_id = excluded.location_id",
            )
            .bind(&employee.code)
            .bind(&employee.name)
            .bind(location_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every employee, by code.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn employees(&self) -> Result<Vec<Employee>, StoreError> {
        let sql = "SELECT e.code, e.name, l.code FROM employees e \
                   LEFT JOIN locations l ON l.id = e.location_id ORDER BY e.code";
        on_pool!(self, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    Ok(Employee {
                        code: r.try_get(0)?,
                        name: r.try_get(1)?,
                        location: r.try_get(2)?,
                    })
                })
                .collect()
        })
    }
}
