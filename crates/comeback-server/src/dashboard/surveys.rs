//! `/surveys`: what customers said (PRODUCT R6) — the NPS with its interval and n
//! (`comeback_voice::nps`, adjusted Wald at 95 %), the monthly trend, breakdowns by location,
//! employee and RFM segment, the latest verbatims; the exit reasons with the revenue of the
//! customers who gave them; the surveys set up with their invitations by state. Managers and
//! admins. Sending is done through `/api/v1/surveys/{id}/invitations` and the links CSV.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use comeback_report::format as fmt;
use comeback_store::{ResponseRecord, SurveyKind};
use comeback_voice::YearMonth;
use comeback_voice::nps::{IntervalMethod, NpsCounts, estimate, monthly_trend};
use minijinja::{Value, context};

use super::pages::{currency, page, segment_name};
use super::{Ctx, error_page};
use crate::api::surveys::{TriggerKind, choose, skipped_out};
use crate::auth::csrf;
use crate::surveys::{EXIT_REASONS, nps_counts};
use crate::{ApiError, AppState};

/// Verbatims shown.
const VERBATIMS: usize = 20;

/// The NPS line of one group: n, NPS, interval, shares.
fn nps_row(ctx: &Ctx, name: String, c: NpsCounts) -> Option<Value> {
    let e = estimate(c, IntervalMethod::AdjustedWald, 0.95).ok()?;
    let n = c.n() as f64;
    Some(context! {
        name => name,
        n => fmt::count(c.n(), ctx.lang),
        nps => fmt::number(e.nps, 1, ctx.lang),
        interval => format!("{} – {}", fmt::number(e.ci_low, 1, ctx.lang), fmt::number(e.ci_high, 1, ctx.lang)),
        promoters => fmt::percent(c.promoters as f64 / n, 0, ctx.lang),
        passives => fmt::percent(c.passives as f64 / n, 0, ctx.lang),
        detractors => fmt::percent(c.detractors as f64 / n, 0, ctx.lang),
    })
}

fn breakdown(
    ctx: &Ctx,
    rows: &[&ResponseRecord],
    key: impl Fn(&ResponseRecord) -> Option<String>,
) -> Vec<Value> {
    let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in rows {
        if let (Some(k), Some(s)) = (key(r), r.score) {
            groups.entry(k).or_default().push(s);
        }
    }
    groups
        .into_iter()
        .filter_map(|(k, s)| nps_row(ctx, k, nps_counts(s)))
        .collect()
}

/// `GET /surveys`.
pub(super) async fn page_handler(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    render(&ctx, &state, None, None).await
}

/// The page with the result of a form (`notice`, `sent`).
async fn render(
    ctx: &Ctx,
    state: &AppState,
    notice: Option<String>,
    sent: Option<Value>,
) -> Response {
    let ctx = ctx.clone();
    let state = state.clone();
    let m = |key: &str| ctx.msg("surveys", key, &[]);
    let responses = match state.store.survey_responses(None).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx.lang, &e.into()),
    };
    let surveys = match state.store.list_surveys().await {
        Ok(s) => s,
        Err(e) => return error_page(ctx.lang, &e.into()),
    };
    let snap = state.scores.current();
    let nps: Vec<&ResponseRecord> = responses
        .iter()
        .filter(|r| r.kind == SurveyKind::Nps && r.score.is_some())
        .collect();

    // Overall, trend, breakdowns.
    let overall = nps_row(
        &ctx,
        m("all_answers"),
        nps_counts(nps.iter().filter_map(|r| r.score)),
    );
    let mut months: BTreeMap<YearMonth, Vec<i64>> = BTreeMap::new();
    for r in &nps {
        let d = r.submitted_at.date_naive();
        if let (Ok(ym), Some(s)) = (
            YearMonth::new(chrono::Datelike::year(&d), chrono::Datelike::month(&d)),
            r.score,
        ) {
            months.entry(ym).or_default().push(s);
        }
    }
    let month_counts: Vec<(YearMonth, NpsCounts)> = months
        .into_iter()
        .map(|(k, v)| (k, nps_counts(v)))
        .collect();
    let trend: Vec<Value> = monthly_trend(&month_counts, IntervalMethod::AdjustedWald, 0.95)
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            context! {
                month => fmt::month(p.month.year, p.month.month, ctx.lang),
                n => fmt::count(p.estimate.counts.n(), ctx.lang),
                nps => fmt::number(p.estimate.nps, 1, ctx.lang),
                interval => format!("{} – {}", fmt::number(p.estimate.ci_low, 1, ctx.lang), fmt::number(p.estimate.ci_high, 1, ctx.lang)),
                change => p.change.map(|c| format!("{} (p = {})", fmt::number(c.difference, 1, ctx.lang), fmt::number(c.p_value, 3, ctx.lang))),
            }
        })
        .collect();
    let by_location = breakdown(&ctx, &nps, |r| r.location.clone());
    let by_employee = breakdown(&ctx, &nps, |r| r.employee.clone());
    let by_segment = breakdown(&ctx, &nps, |r| {
        let s = snap.as_deref()?;
        let i = s.analysis.customer_index(r.customer.as_deref()?)?;
        let c = s.analysis.customer(i)?;
        Some(segment_name(&ctx, c.rfm.segment.key()))
    });
    let verbatims: Vec<Value> = nps
        .iter()
        .rev()
        .filter(|r| r.comment.is_some())
        .take(VERBATIMS)
        .map(|r| {
            context! {
                date => r.submitted_at.date_naive().to_string(),
                score => r.score,
                comment => r.comment.clone(),
                location => r.location.clone().unwrap_or_default(),
            }
        })
        .collect();

    // Exit reasons and the revenue of the customers who gave them.
    let exits: Vec<&ResponseRecord> = responses
        .iter()
        .filter(|r| r.kind == SurveyKind::Exit)
        .collect();
    let mut reasons: Vec<Value> = Vec::new();
    let cur = snap.as_deref().map(currency).unwrap_or("XXX").to_owned();
    for reason in EXIT_REASONS {
        let givers: Vec<&&ResponseRecord> = exits
            .iter()
            .filter(|r| {
                serde_json::from_str::<serde_json::Value>(&r.answers)
                    .ok()
                    .and_then(|v| v.get("reasons").cloned())
                    .and_then(|v| v.as_array().cloned())
                    .is_some_and(|a| a.iter().any(|x| x == reason))
            })
            .collect();
        if givers.is_empty() {
            continue;
        }
        let revenue: Option<f64> = snap.as_deref().map(|s| {
            givers
                .iter()
                .filter_map(|r| {
                    let i = s.analysis.customer_index(r.customer.as_deref()?)?;
                    Some(s.analysis.customer(i)?.historical_revenue.to_f64())
                })
                .sum()
        });
        reasons.push(context! {
            reason => m(&format!("reason_{reason}")),
            n => fmt::count(givers.len() as u64, ctx.lang),
            share => fmt::percent(givers.len() as f64 / exits.len() as f64, 0, ctx.lang),
            revenue => revenue.map(|x| fmt::money(x, &cur, ctx.lang)),
        });
    }

    // Surveys set up, with their invitations by state.
    let mut setup = Vec::new();
    for s in &surveys {
        let inv = state.store.list_invitations(s.id).await.unwrap_or_default();
        let count = |st: comeback_store::InvitationState| {
            inv.iter().filter(|i| i.state == st).count() as u64
        };
        setup.push(context! {
            id => s.id,
            name => s.name.clone(),
            version => s.version,
            kind => m(&format!("kind_{}", s.kind.as_str())),
            active => s.active,
            anonymous => s.anonymous,
            sent => fmt::count(count(comeback_store::InvitationState::Sent), ctx.lang),
            answered => fmt::count(count(comeback_store::InvitationState::Answered), ctx.lang),
            declined => fmt::count(count(comeback_store::InvitationState::Declined), ctx.lang),
            ignored => fmt::count(count(comeback_store::InvitationState::Ignored), ctx.lang),
            responses => fmt::count(responses.iter().filter(|r| r.survey_id == s.id).count() as u64, ctx.lang),
        });
    }

    page(
        &ctx,
        &state,
        snap.as_deref(),
        "surveys",
        "surveys",
        &m("title"),
        context! {
            overall => overall,
            trend => trend,
            by_location => by_location,
            by_employee => by_employee,
            by_segment => by_segment,
            verbatims => verbatims,
            reasons => reasons,
            exits => fmt::count(exits.len() as u64, ctx.lang),
            has_exits => !exits.is_empty(),
            setup => setup,
            kinds => SurveyKind::ALL.iter().map(|k| context! {
                value => k.as_str(), label => m(&format!("kind_{}", k.as_str())),
            }).collect::<Vec<_>>(),
            created => notice,
            sent => sent,
        },
    )
}

/// The fields of an `application/x-www-form-urlencoded` body of at most 1 MiB, after the
/// caller was authenticated as a manager (CSRF token checked for a session).
async fn form(
    state: &AppState,
    request: Request,
) -> Result<(Ctx, Vec<(String, String)>), Response> {
    let (mut parts, body) = request.into_parts();
    // Authenticate as for a read, so that the CSRF token can come from the body.
    let method = std::mem::replace(&mut parts.method, Method::GET);
    let ctx = Ctx::from_request_parts(&mut parts, state).await?;
    parts.method = method;
    ctx.require_manager()?;
    let bytes = axum::body::to_bytes(body, 1024 * 1024).await.map_err(|_| {
        error_page(
            ctx.lang,
            &ApiError::Invalid {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                message: "the form is larger than 1 MiB".to_owned(),
                fields: Vec::new(),
            },
        )
    })?;
    let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(expected) = ctx.csrf.as_deref() {
        let presented = fields
            .iter()
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.as_str());
        if !presented.is_some_and(|p| csrf::tokens_match(expected, p)) {
            return Err(error_page(
                ctx.lang,
                &ApiError::Forbidden("missing or wrong csrf token".to_owned()),
            ));
        }
    }
    Ok((ctx, fields))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `POST /surveys/new` (`name`, `kind`, `anonymous`): a survey, or the next version of one.
pub(super) async fn create(State(state): State<AppState>, request: Request) -> Response {
    let (ctx, fields) = match form(&state, request).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let kind = field(&fields, "kind").and_then(SurveyKind::parse);
    let (Some(name), Some(kind)) = (field(&fields, "name"), kind) else {
        return error_page(
            ctx.lang,
            &ApiError::invalid_field("name, kind", "a name and one of the kinds are required"),
        );
    };
    let new = comeback_store::NewSurvey {
        name: name.to_owned(),
        kind,
        anonymous: field(&fields, "anonymous") == Some("on"),
    };
    match state.store.create_survey(&new).await {
        Ok(s) => {
            let notice = ctx.msg(
                "surveys",
                "created_notice",
                &[("name", &s.name), ("version", &s.version.to_string())],
            );
            render(&ctx, &state, Some(notice), None).await
        }
        Err(e) => error_page(ctx.lang, &e.into()),
    }
}

/// `POST /surveys/send` (`survey`, `who` = `list` with `customers`, or `at_risk`, `lost`,
/// `purchase` with `since` and `sample_percent`): invitations as through the API, then the
/// page with what was done.
pub(super) async fn send(State(state): State<AppState>, request: Request) -> Response {
    let (ctx, fields) = match form(&state, request).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = async {
        let id: i64 = field(&fields, "survey")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ApiError::invalid_field("survey", "choose a survey"))?;
        let survey = state.store.survey(id).await?;
        let who = field(&fields, "who").unwrap_or("list");
        let (trigger, customers) = match who {
            "list" => {
                let list: Vec<String> = field(&fields, "customers")
                    .unwrap_or("")
                    .split(['\n', ',', ';'])
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect();
                if list.is_empty() || list.len() > 10_000 {
                    return Err(ApiError::invalid_field(
                        "customers",
                        "give 1 to 10000 customer ids, one a line",
                    ));
                }
                (comeback_store::InvitationTrigger::Manual, list)
            }
            other => {
                let kind = match other {
                    "at_risk" => TriggerKind::AtRisk,
                    "lost" => TriggerKind::Lost,
                    "purchase" => TriggerKind::Purchase,
                    _ => return Err(ApiError::invalid_field("who", "unknown choice")),
                };
                if kind == TriggerKind::Lost && survey.kind != SurveyKind::Exit {
                    return Err(ApiError::invalid_field(
                        "who",
                        "lost customers get an exit interview",
                    ));
                }
                let since = match field(&fields, "since") {
                    None => None,
                    Some(d) => Some(
                        d.parse::<chrono::NaiveDate>()
                            .map_err(|_| ApiError::invalid_field("since", "a date YYYY-MM-DD"))?,
                    ),
                };
                let percent = match field(&fields, "sample_percent") {
                    None if kind == TriggerKind::Purchase => 10,
                    None => 100,
                    Some(p) => p
                        .parse::<u32>()
                        .ok()
                        .filter(|p| (1..=100).contains(p))
                        .ok_or_else(|| ApiError::invalid_field("sample_percent", "1 to 100"))?,
                };
                let (_, list) = choose(&state, kind, since, percent)?;
                let trigger = match kind {
                    TriggerKind::AtRisk => comeback_store::InvitationTrigger::AtRisk,
                    TriggerKind::Lost => comeback_store::InvitationTrigger::Lost,
                    TriggerKind::Purchase => comeback_store::InvitationTrigger::Purchase,
                };
                (trigger, list)
            }
        };
        if customers.is_empty() {
            return Ok((id, 0usize, Vec::new()));
        }
        let s = &state.settings.surveys;
        let (made, skipped) = state
            .store
            .create_invitations(&comeback_store::NewInvitations {
                survey_id: id,
                customers,
                trigger,
                location: None,
                employee: None,
                now: chrono::Utc::now(),
                valid_for: chrono::Duration::days(i64::from(s.survey_link_days)),
                min_days_between: s.survey_min_days,
            })
            .await?;
        Ok::<_, ApiError>((id, made.len(), skipped))
    }
    .await;
    match result {
        Ok((id, made, skipped)) => {
            let m = |k: &str| ctx.msg("surveys", k, &[]);
            let sent = context! {
                text => ctx.msg("surveys", "sent_result", &[
                    ("created", &fmt::count(made as u64, ctx.lang)),
                    ("skipped", &fmt::count(skipped.len() as u64, ctx.lang)),
                ]),
                csv => format!("/api/v1/surveys/{id}/links.csv"),
                skipped => skipped.into_iter().map(skipped_out).map(|s| context! {
                    customer => s.customer, reason => m(&format!("skip_{}", s.reason)),
                }).collect::<Vec<_>>(),
            };
            render(&ctx, &state, None, Some(sent)).await
        }
        Err(e) => error_page(ctx.lang, &e),
    }
}
