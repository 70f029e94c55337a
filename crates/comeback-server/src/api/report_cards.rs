//! The monthly customer-service report cards (PRODUCT R6, R10; issue 8 item 4), shared by
//! `GET /api/v1/report-cards` and the `/report-cards` page: per employee and location,
//! each criterion's mean with its Student t interval and n, last month's change and the
//! rank among the location's employees (`comeback_voice::report_card` on the answers to
//! `report_card` surveys that name an employee and a location), and the number of staff
//! flags the employee raised that month at that location (PRODUCT R5: employees are
//! credited for flagging unhappy customers).
//!
//! Who sees which cards ([`Viewer`]): an admin every card; a manager the cards of their
//! locations; a staff member only their own employee's cards (the account's employee link,
//! `PATCH /api/v1/users/{id}`); a staff account without a link sees none and is told so
//! (the API answers 403 with that message).

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use comeback_core::Day;
use comeback_store::{Role, SurveyKind};
use comeback_voice::YearMonth;
use comeback_voice::report_card::{CriterionResult, DEFAULT_CRITERIA, Rating, ReportCard};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody, Json, Query};

/// Whose report cards a user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// An admin: every card.
    All,
    /// A manager: the cards of these location codes.
    Locations(Vec<String>),
    /// A staff member linked to this employee code: that employee's cards only.
    Employee(String),
    /// A staff member whose account is not linked to an employee: no card.
    Unlinked,
}

impl Viewer {
    /// The viewer of `user` (a staff member's employee link is read from the store).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn of(state: &AppState, user: &AuthUser) -> Result<Viewer, ApiError> {
        Ok(match user.role {
            Role::Admin => Viewer::All,
            Role::Manager => Viewer::Locations(user.locations.clone()),
            Role::Staff => match state
                .store
                .user(user.user_id)
                .await?
                .and_then(|u| u.employee)
            {
                Some(code) => Viewer::Employee(code),
                None => Viewer::Unlinked,
            },
        })
    }

    /// True when the viewer may see the card of `employee` at `location` (`None`: flags
    /// recorded without a location).
    pub fn sees(&self, employee: &str, location: Option<&str>) -> bool {
        match self {
            Viewer::All => true,
            Viewer::Locations(codes) => location.is_some_and(|l| codes.iter().any(|c| c == l)),
            Viewer::Employee(code) => code == employee,
            Viewer::Unlinked => false,
        }
    }
}

/// The message shown to a staff account without an employee link.
pub const UNLINKED: &str = "your account is not linked to an employee, so there is no report card to show; an admin links it on the users page";

/// One row of the report cards: an employee at a location in the month.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRow {
    /// Employee code.
    pub employee: String,
    /// Location code (`None` for flags recorded without a location).
    pub location: Option<String>,
    /// The ratings' card (`None` when the employee was not rated there this month but
    /// raised flags).
    pub card: Option<ReportCard>,
    /// Staff flags the employee raised there this month.
    pub flags: u64,
}

fn month_bounds(m: YearMonth) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = NaiveDate::from_ymd_opt(m.year, m.month, 1)?;
    let next = if m.month == 12 {
        NaiveDate::from_ymd_opt(m.year.checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(m.year, m.month + 1, 1)?
    };
    Some((
        start.and_hms_opt(0, 0, 0)?.and_utc(),
        next.and_hms_opt(0, 0, 0)?.and_utc(),
    ))
}

/// Parses the `month` parameter (`YYYY-MM`), 422 on the field otherwise.
///
/// # Errors
/// [`ApiError::Invalid`] naming `month`.
pub fn parse_month(s: &str) -> Result<YearMonth, ApiError> {
    crate::text::check_text("month", s)?;
    let m = YearMonth::parse(s)
        .map_err(|_| ApiError::invalid_field("month", format!("{s:?} is not YYYY-MM")))?;
    if month_bounds(m).is_none() || !(1..=9999).contains(&m.year) {
        return Err(ApiError::invalid_field(
            "month",
            format!("{s:?} is out of range"),
        ));
    }
    Ok(m)
}

/// Every report-card row of `month` (default: the latest month with ratings, else with
/// flags; `None` when there is neither), by employee then location, before any
/// [`Viewer`] filter.
///
/// # Errors
/// The store's errors; 500 when the stored ratings cannot be summarised.
pub async fn compute(
    state: &AppState,
    month: Option<YearMonth>,
) -> Result<(Option<YearMonth>, Vec<CardRow>), ApiError> {
    let responses = state
        .store
        .survey_responses(Some(SurveyKind::ReportCard))
        .await?;
    let mut ratings = Vec::new();
    for r in &responses {
        let (Some(employee), Some(location)) = (&r.employee, &r.location) else {
            continue;
        };
        let Ok(serde_json::Value::Object(answers)) = serde_json::from_str(&r.answers) else {
            continue;
        };
        for criterion in DEFAULT_CRITERIA {
            if let Some(score) = answers
                .get(criterion)
                .and_then(serde_json::Value::as_u64)
                .and_then(|s| u8::try_from(s).ok())
            {
                ratings.push(Rating {
                    employee: employee.clone(),
                    location: location.clone(),
                    day: Day::from_date(r.submitted_at.date_naive()),
                    criterion: criterion.to_owned(),
                    score,
                });
            }
        }
    }
    let month = match month {
        Some(m) => Some(m),
        None => match ratings.iter().map(|r| YearMonth::from_day(r.day)).max() {
            Some(m) => Some(m),
            None => state
                .store
                .latest_staff_flag()
                .await?
                .map(|t| YearMonth::from_day(Day::from_date(t.date_naive()))),
        },
    };
    let Some(month) = month else {
        return Ok((None, Vec::new()));
    };
    let criteria: Vec<String> = DEFAULT_CRITERIA.iter().map(|c| (*c).to_owned()).collect();
    let cards = comeback_voice::report_card::report_cards(&ratings, month, &criteria, 0.95)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut rows: Vec<CardRow> = cards
        .into_iter()
        .map(|c| CardRow {
            employee: c.employee.clone(),
            location: Some(c.location.clone()),
            card: Some(c),
            flags: 0,
        })
        .collect();
    if let Some((from, to)) = month_bounds(month) {
        for (employee, location, n) in state.store.staff_flag_counts(from, to).await? {
            match rows
                .iter_mut()
                .find(|r| r.employee == employee && r.location == location)
            {
                Some(r) => r.flags = n,
                None => rows.push(CardRow {
                    employee,
                    location,
                    card: None,
                    flags: n,
                }),
            }
        }
    }
    rows.sort_by(|a, b| {
        (&a.employee, a.location.is_none(), &a.location).cmp(&(
            &b.employee,
            b.location.is_none(),
            &b.location,
        ))
    });
    Ok((Some(month), rows))
}

/// Query of `GET /api/v1/report-cards`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CardsParams {
    /// The month, `YYYY-MM`; default the latest month with ratings (else with flags).
    #[param(pattern = r"^\d{4}-\d{2}$", example = "2025-03")]
    pub month: Option<String>,
}

/// One criterion of a card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriterionOut {
    /// `reliability`, `responsiveness`, `empathy`, `assurance` or `overall`.
    pub criterion: String,
    /// Ratings this month.
    pub n: u64,
    /// Mean of the 1–5 ratings (`null` without ratings).
    pub mean: Option<f64>,
    /// Lower end of the 95 % Student t interval (`null` with fewer than two ratings).
    pub ci_low: Option<f64>,
    /// Upper end of the interval.
    pub ci_high: Option<f64>,
    /// Last month's mean.
    pub previous_mean: Option<f64>,
    /// Change from last month.
    pub change: Option<f64>,
    /// Rank among the location's employees rated this month (1 = best mean).
    pub rank: Option<u32>,
    /// Employees of the location rated this month.
    pub peers: u32,
}

impl From<&CriterionResult> for CriterionOut {
    fn from(c: &CriterionResult) -> Self {
        CriterionOut {
            criterion: c.criterion.clone(),
            n: c.n,
            mean: c.mean,
            ci_low: c.ci_low,
            ci_high: c.ci_high,
            previous_mean: c.previous_mean,
            change: c.change,
            rank: c.rank,
            peers: c.peers,
        }
    }
}

/// One employee's card at one location.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardOut {
    /// Employee code.
    pub employee: String,
    /// Location code (`null` for flags recorded without a location).
    pub location: Option<String>,
    /// The four criteria (empty when the employee was not rated there this month).
    pub criteria: Vec<CriterionOut>,
    /// All criteria together (`null` when not rated).
    pub overall: Option<CriterionOut>,
    /// Staff flags the employee raised there this month.
    pub flags: u64,
}

/// The report cards of a month the caller may see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardsOut {
    /// The month (`YYYY-MM`); `null` when nothing is stored yet.
    pub month: Option<String>,
    /// By employee, then location.
    pub cards: Vec<CardOut>,
}

/// The monthly report cards: an admin sees every card, a manager their locations', a
/// staff member only their own employee's (403 for a staff account not linked to an
/// employee).
#[utoipa::path(get, path = "/api/v1/report-cards", tag = "surveys", params(CardsParams),
    responses((status = 200, description = "the cards the caller may see", body = CardsOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "a staff account not linked to an employee", body = ErrorBody),
              (status = 422, description = "month is not YYYY-MM", body = ErrorBody)))]
pub async fn list(
    user: AuthUser,
    State(state): State<AppState>,
    Query(q): Query<CardsParams>,
) -> Result<Json<CardsOut>, ApiError> {
    let viewer = Viewer::of(&state, &user).await?;
    if viewer == Viewer::Unlinked {
        return Err(ApiError::Forbidden(UNLINKED.to_owned()));
    }
    let month = q.month.as_deref().map(parse_month).transpose()?;
    let (month, rows) = compute(&state, month).await?;
    Ok(Json(CardsOut {
        month: month.map(|m| format!("{:04}-{:02}", m.year, m.month)),
        cards: rows
            .iter()
            .filter(|r| viewer.sees(&r.employee, r.location.as_deref()))
            .map(|r| CardOut {
                employee: r.employee.clone(),
                location: r.location.clone(),
                criteria: r
                    .card
                    .as_ref()
                    .map(|c| c.criteria.iter().map(CriterionOut::from).collect())
                    .unwrap_or_default(),
                overall: r.card.as_ref().map(|c| CriterionOut::from(&c.overall)),
                flags: r.flags,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_rules() {
        let rows = [("E1", Some("HEL")), ("E2", Some("TKU")), ("E1", None)];
        let table: [(Viewer, [bool; 3]); 4] = [
            (Viewer::All, [true, true, true]),
            (Viewer::Locations(vec!["HEL".into()]), [true, false, false]),
            (Viewer::Employee("E1".into()), [true, false, true]),
            (Viewer::Unlinked, [false, false, false]),
        ];
        for (viewer, expected) in table {
            for ((e, l), want) in rows.iter().zip(expected) {
                assert_eq!(viewer.sees(e, *l), want, "{viewer:?} {e} {l:?}");
            }
        }
    }

    #[test]
    fn month_bounds_cross_the_year() {
        let (a, b) = month_bounds(YearMonth::new(2025, 12).unwrap()).unwrap();
        assert_eq!(a.to_rfc3339(), "2025-12-01T00:00:00+00:00");
        assert_eq!(b.to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert!(parse_month("2025-13").is_err());
        assert!(parse_month("2025-0\u{0}").is_err());
        assert_eq!(
            parse_month("2025-03").unwrap(),
            YearMonth::new(2025, 3).unwrap()
        );
    }
}
