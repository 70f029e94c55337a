//! `/report-cards?month=YYYY-MM`: the monthly customer-service report cards (PRODUCT R6,
//! R10) from the answers to `report_card` surveys (invitations or imports that name an
//! employee and a location): per employee and location, each criterion's mean with its
//! Student t interval and n, last month's change and the rank among the location's
//! employees, computed by `comeback_voice::report_card`. Managers see the employees of their
//! locations, admins all. The month defaults to the latest with ratings.

use axum::extract::State;
use axum::response::Response;
use comeback_core::Day;
use comeback_report::format as fmt;
use comeback_store::SurveyKind;
use comeback_voice::YearMonth;
use comeback_voice::report_card::{CriterionResult, DEFAULT_CRITERIA, Rating, report_cards};
use minijinja::{Value, context};

use super::pages::page;
use super::{Ctx, error_page};
use crate::{ApiError, AppState};

fn cell(ctx: &Ctx, c: &CriterionResult) -> Value {
    let num = |x: f64| fmt::number(x, 2, ctx.lang);
    context! {
        mean => c.mean.map(num),
        n => c.n,
        interval => match (c.ci_low, c.ci_high) {
            (Some(a), Some(b)) => Some(format!("{} – {}", num(a), num(b))),
            _ => None,
        },
        change => c.change.map(|x| format!("{}{}", if x >= 0.0 { "+" } else { "" }, num(x))),
        rank => c.rank.map(|r| format!("{r}/{}", c.peers)),
    }
}

/// `GET /report-cards`.
pub(super) async fn page_handler(
    ctx: Ctx,
    State(state): State<AppState>,
    uri: axum::http::Uri,
) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    let m = |key: &str| ctx.msg("report_cards", key, &[]);
    let responses = match state
        .store
        .survey_responses(Some(SurveyKind::ReportCard))
        .await
    {
        Ok(r) => r,
        Err(e) => return error_page(ctx.lang, &e.into()),
    };
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
    let asked = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "month")
        .map(|(_, v)| v.into_owned());
    let month = match asked {
        Some(s) => match YearMonth::parse(&s) {
            Ok(ym) => Some(ym),
            Err(_) => {
                return error_page(
                    ctx.lang,
                    &ApiError::invalid_field("month", format!("{s:?} is not YYYY-MM")),
                );
            }
        },
        None => ratings.iter().map(|r| YearMonth::from_day(r.day)).max(),
    };
    let criteria: Vec<String> = DEFAULT_CRITERIA.iter().map(|c| (*c).to_owned()).collect();
    let cards = match month {
        Some(month) => match report_cards(&ratings, month, &criteria, 0.95) {
            Ok(c) => c,
            Err(e) => return error_page(ctx.lang, &ApiError::Internal(e.to_string())),
        },
        None => Vec::new(),
    };
    let rows: Vec<Value> = cards
        .iter()
        .filter(|c| crate::auth::can_see_location(&ctx.user, &c.location))
        .map(|c| {
            context! {
                employee => c.employee.clone(),
                location => c.location.clone(),
                criteria => c.criteria.iter().map(|x| cell(&ctx, x)).collect::<Vec<_>>(),
                overall => cell(&ctx, &c.overall),
            }
        })
        .collect();
    page(
        &ctx,
        &state,
        state.scores.current().as_deref(),
        "report_cards",
        "report_cards",
        &m("title"),
        context! {
            month => month.map(|ym| fmt::month(ym.year, ym.month, ctx.lang)),
            month_value => month.map(|ym| format!("{:04}-{:02}", ym.year, ym.month)),
            criteria => DEFAULT_CRITERIA.iter().map(|c| m(&format!("c_{c}"))).collect::<Vec<_>>(),
            rows => rows,
        },
    )
}
