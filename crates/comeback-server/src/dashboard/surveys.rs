//! `/surveys`: what customers said (PRODUCT R6) — the NPS with its interval and n
//! (`comeback_voice::nps`, adjusted Wald at 95 %), the monthly trend, breakdowns by location,
//! employee, RFM segment and loyalty membership (the customers' member flag), the latest
//! verbatims and the comments grouped by reason (`comeback_voice::classify`, as
//! `comeback reasons`); CSAT, CES and the service dimensions overall, per location and per
//! employee, and which metric predicts defection ([`crate::voice_metrics`], the numbers of
//! `comeback csat|ces|dimensions|predictors`); the exit reasons with the revenue of the
//! customers who gave them (their whole history, and the yearly revenue lost: their last 365
//! days of purchases); the surveys set up with their invitations by state. Managers and
//! admins. Sending is done through `/api/v1/surveys/{id}/invitations` and the links CSV.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use comeback_core::TransactionLog;
use comeback_report::format as fmt;
use comeback_store::{ResponseRecord, SurveyKind};
use comeback_voice::YearMonth;
use comeback_voice::classify::{
    Classification, Classifier, Language, is_blank, reason_pareto, representative_quotes,
};
use comeback_voice::nps::{IntervalMethod, NpsCounts, estimate, monthly_trend};
use comeback_voice::predict::PredictorReport;
use minijinja::{Value, context};

use super::pages::{currency, page, segment_name};
use super::{Ctx, error_page};
use crate::api::surveys::{TriggerKind, choose, skipped_out};
use crate::auth::csrf;
use crate::surveys::{EXIT_REASONS, nps_counts};
use crate::voice_metrics::{
    PREDICTOR_METRICS, RatingBreakdown, RatingRow, dimension_label, predictors_out, rating_metrics,
    survey_dimensions,
};
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

/// Comments classified at most (the latest); `comeback reasons` classifies a whole export.
const CLASSIFIED_COMMENTS: usize = 2000;
/// Quotes shown per reason.
const QUOTES: usize = 3;

/// The reason classifier of `comeback reasons` (built-in lexicons and model), built once.
fn classifier() -> &'static Classifier {
    static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    C.get_or_init(Classifier::builtin)
}

/// The NPS comments grouped by reason (`comeback_voice::classify`, each answer in the
/// language of its page, else detected, as `comeback reasons --lang-col language`): per
/// reason the comments, their share of reason mentions, the NPS of those answers and up to
/// three representative quotes, most frequent reason first.
async fn comment_reasons(ctx: &Ctx, nps: &[&ResponseRecord]) -> Value {
    let mut latest: Vec<(String, Option<Language>, i64)> = nps
        .iter()
        .rev()
        .filter_map(|r| {
            let c = r.comment.as_deref().filter(|c| !is_blank(c))?;
            let lang = r
                .language
                .as_deref()
                .and_then(|l| l.parse::<Language>().ok());
            Some((c.to_owned(), lang, r.score?))
        })
        .take(CLASSIFIED_COMMENTS + 1)
        .collect();
    let capped = latest.len() > CLASSIFIED_COMMENTS;
    latest.truncate(CLASSIFIED_COMMENTS);
    latest.reverse();
    if latest.is_empty() {
        return context! { rows => Vec::<Value>::new() };
    }
    let texts: Vec<String> = latest.iter().map(|(t, _, _)| t.clone()).collect();
    let langs: Vec<Option<Language>> = latest.iter().map(|(_, l, _)| *l).collect();
    let classified = tokio::task::spawn_blocking(move || {
        let c = classifier();
        let classified: Vec<Classification> = texts
            .iter()
            .zip(&langs)
            .map(|(t, l)| c.classify(t, *l))
            .collect();
        (texts, classified)
    })
    .await;
    let Ok((texts, classified)) = classified else {
        return context! { rows => Vec::<Value>::new() };
    };
    let pareto = reason_pareto(&classified);
    let quotes = representative_quotes(&texts, &classified, QUOTES);
    let no_reason = classified.iter().filter(|c| c.reasons.is_empty()).count() as u64;
    let lang = ctx.lang;
    let rows: Vec<Value> = pareto
        .iter()
        .zip(&quotes)
        .map(|(p, (_, q))| {
            let scores = classified
                .iter()
                .zip(&latest)
                .filter(|(c, _)| c.score(&p.reason) > 0.0)
                .map(|(_, (_, _, s))| *s);
            let nps = estimate(nps_counts(scores), IntervalMethod::AdjustedWald, 0.95)
                .ok()
                .map(|e| fmt::number(e.nps, 1, lang));
            context! {
                reason => lang.message(&format!("reason_{}", p.reason)).to_owned(),
                count => fmt::count(p.count as u64, lang),
                share => fmt::percent(p.share, 0, lang),
                nps => nps,
                quotes => q.iter().map(|q| texts[q.index].clone()).collect::<Vec<_>>(),
            }
        })
        .collect();
    context! {
        rows => rows,
        no_reason => ctx.plural("surveys", "no_reason", no_reason, &[("n", &fmt::count(no_reason, lang))]),
        capped => capped.then(|| ctx.msg("surveys", "reasons_capped", &[("n", &fmt::count(CLASSIFIED_COMMENTS as u64, lang))])),
    }
}

/// A 95 % interval "low – high" with `d` decimals; `as_percent` shows shares as percent.
fn interval_text(
    ctx: &Ctx,
    lo: Option<f64>,
    hi: Option<f64>,
    d: usize,
    as_percent: bool,
) -> String {
    match (lo, hi) {
        (Some(lo), Some(hi)) if as_percent => format!(
            "{} – {}",
            fmt::percent(lo, d, ctx.lang),
            fmt::percent(hi, d, ctx.lang)
        ),
        (Some(lo), Some(hi)) => format!(
            "{} – {}",
            fmt::number(lo, d, ctx.lang),
            fmt::number(hi, d, ctx.lang)
        ),
        _ => "–".to_owned(),
    }
}

/// The label of a metric of the ratings and predictors tables in the viewer's language:
/// NPS, CSAT, CES and the built-in dimensions from the catalogue, a survey's own dimension
/// from its definition ([`dimension_label`]).
fn metric_label(ctx: &Ctx, surveys: &[comeback_store::Survey], id: &str) -> String {
    let builtin = |key: &str| ctx.msg("surveys", key, &[]);
    if PREDICTOR_METRICS.contains(&id) {
        return builtin(&format!("metric_{id}"));
    }
    dimension_label(surveys, id, ctx.lang, builtin)
}

/// The rows of one rating table: the overall rows, then per location and per employee
/// (each group under its heading).
fn rating_rows(ctx: &Ctx, surveys: &[comeback_store::Survey], b: &RatingBreakdown) -> Vec<Value> {
    let name = |r: &RatingRow| -> String {
        let group = match &r.group {
            None => ctx.msg("surveys", "all_answers", &[]),
            Some(g) => g.clone(),
        };
        match &r.dimension {
            Some(d) => format!("{group} · {}", metric_label(ctx, surveys, d)),
            None => group,
        }
    };
    let row = |r: &RatingRow| {
        let (value, interval) = match (r.share, r.mean) {
            (Some(share), _) => (
                fmt::percent(share, 0, ctx.lang),
                interval_text(ctx, r.ci_low, r.ci_high, 0, true),
            ),
            (None, Some(mean)) => (
                fmt::number(mean, 2, ctx.lang),
                interval_text(ctx, r.ci_low, r.ci_high, 2, false),
            ),
            (None, None) => ("–".to_owned(), "–".to_owned()),
        };
        context! { name => name(r), n => fmt::count(r.n, ctx.lang), value => value, interval => interval }
    };
    let mut out = Vec::new();
    for (heading, rows) in [
        (None, &b.overall),
        (Some("h_by_location"), &b.by_location),
        (Some("h_by_employee"), &b.by_employee),
    ] {
        if rows.is_empty() {
            continue;
        }
        if let Some(h) = heading {
            out.push(context! { heading => ctx.msg("surveys", h, &[]) });
        }
        out.extend(rows.iter().map(row));
    }
    out
}

/// The CSAT, CES and dimension tables (`None` entries are left out by the template).
fn ratings_view(
    ctx: &Ctx,
    responses: &[ResponseRecord],
    surveys: &[comeback_store::Survey],
) -> Value {
    match rating_metrics(responses, &survey_dimensions(surveys)) {
        Err(e) => {
            context! { error => ctx.msg("surveys", "ratings_error", &[("reason", &e.to_string())]) }
        }
        Ok(m) if m.is_empty() => context! { empty => true },
        Ok(m) => context! {
            csat => rating_rows(ctx, surveys, &m.csat),
            ces => rating_rows(ctx, surveys, &m.ces),
            dimensions => rating_rows(ctx, surveys, &m.dimensions),
        },
    }
}

/// The "which metric predicts defection" table, or the reason it is empty.
fn predictors_view(
    ctx: &Ctx,
    report: Option<&PredictorReport>,
    surveys: &[comeback_store::Survey],
) -> Value {
    let out = predictors_out(report);
    let lang = ctx.lang;
    let m = |k: &str| ctx.msg("surveys", k, &[]);
    let Some(c) = &out.counts else {
        return context! { none => m("predictors_no_answers") };
    };
    let counts = vec![
        (m("count_responses"), c.responses),
        (m("count_with_outcome"), c.with_outcome),
        (m("count_censored"), c.censored),
        (m("count_before_first"), c.before_first_purchase),
        (m("count_unknown"), c.unknown_customer_responses),
        (m("count_customers"), c.customers_with_outcome),
        (m("count_retained"), c.customers_retained),
    ]
    .into_iter()
    .map(|(label, n)| context! { label => label, n => fmt::count(n, lang) })
    .collect::<Vec<_>>();
    let metrics: Vec<Value> = out
        .metrics
        .iter()
        .map(|p| {
            let verdict = match p.strength.as_deref() {
                Some(s) => ctx.msg(
                    "surveys",
                    &format!("verdict_{}", p.verdict),
                    &[("strength", &m(&format!("strength_{s}")))],
                ),
                None => m(&format!("verdict_{}", p.verdict)),
            };
            context! {
                metric => metric_label(ctx, surveys, &p.metric),
                n => fmt::count(p.n, lang),
                defected => fmt::count(p.defected, lang),
                auc => p.auc.map(|a| fmt::number(a, 3, lang)),
                interval => interval_text(ctx, p.ci_low, p.ci_high, 3, false),
                verdict => verdict,
                key => p.verdict.clone(),
            }
        })
        .collect();
    let best = out
        .metrics
        .first()
        .filter(|p| p.verdict == "predicts" || p.verdict == "reversed")
        .map(|p| {
            ctx.msg(
                "surveys",
                "best_metric",
                &[
                    ("metric", &metric_label(ctx, surveys, &p.metric)),
                    (
                        "auc",
                        &p.auc.map_or("–".to_owned(), |a| fmt::number(a, 2, lang)),
                    ),
                ],
            )
        });
    let classes: Vec<Value> = out
        .nps
        .iter()
        .flat_map(|n| &n.classes)
        .map(|k| {
            context! {
                class => m(&format!("class_{}", k.class)),
                n => fmt::count(k.n, lang),
                retention => k.retention.map(|r| fmt::percent(r, 0, lang)),
                retention_interval => interval_text(ctx, k.retention_ci_low, k.retention_ci_high, 0, true),
                spend => k.mean_spend.map(|x| fmt::number(x, 2, lang)),
                spend_interval => interval_text(ctx, k.spend_ci_low, k.spend_ci_high, 2, false),
            }
        })
        .collect();
    let signed = |x: f64| {
        let p = fmt::percent(x.abs(), 0, lang);
        if x < 0.0 {
            format!("−{p}")
        } else {
            format!("+{p}")
        }
    };
    let ratio = out
        .nps
        .as_ref()
        .and_then(|n| n.promoters_vs_passives.as_ref())
        .map(|r| {
            ctx.msg(
                "surveys",
                "spend_ratio",
                &[
                    ("percent", &signed(r.ratio - 1.0)),
                    ("low", &signed(r.ci_low - 1.0)),
                    ("high", &signed(r.ci_high - 1.0)),
                ],
            )
        });
    context! {
        enough => out.enough_data,
        counts => counts,
        metrics => metrics,
        best => best,
        classes => classes,
        ratio => ratio,
        end => out.observation_end,
    }
}

/// What customer `id` spent in the 365 days up to their last purchase (`None` when the log
/// has no purchase of theirs).
fn last_year_revenue(log: &TransactionLog, id: &str) -> Option<f64> {
    let i = log.ids().binary_search_by(|x| x.as_ref().cmp(id)).ok()?;
    let days = &log.customers().get(i)?.days;
    let last = days.iter().rev().find(|d| d.has_purchase)?.day.0;
    Some(
        days.iter()
            .filter(|d| d.day.0 > last - 365 && d.day.0 <= last)
            .map(|d| d.amount.to_f64())
            .sum(),
    )
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
    let members: std::collections::HashSet<String> = match state.store.loyalty_members().await {
        Ok(m) => m.into_iter().collect(),
        Err(e) => return error_page(ctx.lang, &e.into()),
    };
    let by_membership: Vec<Value> = [(true, m("members")), (false, m("non_members"))]
        .into_iter()
        .filter_map(|(member, name)| {
            let scores = nps.iter().filter_map(|r| {
                let c = r.customer.as_deref()?;
                (members.contains(c) == member).then_some(r.score?)
            });
            let counts = nps_counts(scores);
            (counts.n() > 0)
                .then(|| nps_row(&ctx, name, counts))
                .flatten()
        })
        .collect();
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
    let reasons_by_comment = comment_reasons(&ctx, &nps).await;

    // CSAT, CES and the service dimensions; which metric predicts defection (the stored
    // log is read once, for the predictors and the exit page's yearly lost revenue).
    let ratings = ratings_view(&ctx, &responses, &surveys);
    let dims = survey_dimensions(&surveys);
    let (predictors, log) = match crate::api::survey_metrics::report(&state, &responses, &dims)
        .await
    {
        Ok((report, log)) => (predictors_view(&ctx, report.as_ref(), &surveys), log),
        Err(e) => (
            context! { error => ctx.msg("surveys", "predictors_error", &[("reason", &e.body().error.message)]) },
            None,
        ),
    };

    // Exit reasons and the revenue of the customers who gave them.
    let exits: Vec<&ResponseRecord> = responses
        .iter()
        .filter(|r| r.kind == SurveyKind::Exit)
        .collect();
    let log = match log {
        Some(l) => Some(l),
        None if exits.iter().any(|r| r.customer.is_some()) => state
            .store
            .transaction_log(&comeback_store::LogQuery::default())
            .await
            .ok(),
        None => None,
    };
    let mut reasons: Vec<Value> = Vec::new();
    // The analysis' currency; before the first analysis, that of the stored transactions
    // (the log was read, so they share one).
    let cur = match (snap.as_deref(), &log) {
        (Some(s), _) => currency(s).to_owned(),
        (None, Some(l)) => match l.ids().first() {
            Some(id) => state
                .store
                .customer_detail(id)
                .await
                .ok()
                .and_then(|d| d.transactions.first().map(|t| t.currency.clone()))
                .unwrap_or_else(|| "XXX".to_owned()),
            None => "XXX".to_owned(),
        },
        (None, None) => "XXX".to_owned(),
    };
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
        let yearly: Option<f64> = log.as_ref().map(|log| {
            givers
                .iter()
                .filter_map(|r| last_year_revenue(log, r.customer.as_deref()?))
                .sum()
        });
        reasons.push(context! {
            reason => m(&format!("reason_{reason}")),
            n => fmt::count(givers.len() as u64, ctx.lang),
            share => fmt::percent(givers.len() as f64 / exits.len() as f64, 0, ctx.lang),
            revenue => revenue.map(|x| fmt::money(x, &cur, ctx.lang)),
            yearly => yearly.map(|x| fmt::money(x, &cur, ctx.lang)),
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

    // Follow-ups of the manager's locations (all for an admin), with their recovery case.
    let scope =
        (ctx.user.role != comeback_store::Role::Admin).then_some(ctx.user.locations.as_slice());
    let followups: Vec<Value> = match state.store.list_followups(scope).await {
        Ok(f) => f,
        Err(e) => return error_page(ctx.lang, &e.into()),
    }
    .into_iter()
    .take(200)
    .map(|f| {
        context! {
            id => f.id,
            reason => m(&format!("followup_{}", f.reason)),
            state => m(&format!("followup_{}", f.state)),
            date => f.created_at.date_naive().to_string(),
            location => f.location.unwrap_or_default(),
            score => f.score.map(|s| s.to_string()).unwrap_or_default(),
            customer => f.customer.unwrap_or_default(),
            comment => f.comment.unwrap_or_default(),
            complaint => f.complaint,
        }
    })
    .collect();

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
            by_membership => by_membership,
            verbatims => verbatims,
            comment_reasons => reasons_by_comment,
            ratings => ratings,
            predictors => predictors,
            reasons => reasons,
            exits => ctx.plural("surveys", "exit_count", exits.len() as u64, &[("n", &fmt::count(exits.len() as u64, ctx.lang))]),
            has_exits => !exits.is_empty(),
            setup => setup,
            kinds => SurveyKind::ALL.iter().map(|k| context! {
                value => k.as_str(), label => m(&format!("kind_{}", k.as_str())),
            }).collect::<Vec<_>>(),
            created => notice,
            sent => sent,
            followups => followups,
        },
    )
}

/// The fields of an `application/x-www-form-urlencoded` body of at most 1 MiB, after the
/// caller was authenticated as a manager (CSRF token checked for a session).
pub(super) async fn form(
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

pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The custom questions of the set-up form's `questions` text: one `id | language | text`
/// a line (blank lines skipped), grouped by id in the order the ids first appear.
///
/// # Errors
/// A 422 naming the line that is not of that form.
fn custom_questions(
    text: Option<&str>,
) -> Result<Option<Vec<crate::api::surveys::CustomQuestionIn>>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    let mut out: Vec<crate::api::surveys::CustomQuestionIn> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, '|').map(str::trim);
        let (Some(id), Some(lang), Some(t)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ApiError::invalid_field(
                "questions",
                format!("line {}: write id | language | text", n + 1),
            ));
        };
        let i = match out.iter().position(|q| q.id == id) {
            Some(i) => i,
            None => {
                out.push(crate::api::surveys::CustomQuestionIn {
                    id: id.to_owned(),
                    text: std::collections::BTreeMap::new(),
                });
                out.len() - 1
            }
        };
        if out[i].text.insert(lang.to_owned(), t.to_owned()).is_some() {
            return Err(ApiError::invalid_field(
                "questions",
                format!("line {}: {id} has two {lang} texts", n + 1),
            ));
        }
    }
    Ok(Some(out).filter(|q| !q.is_empty()))
}

/// `POST /surveys/new` (`name`, `kind`, `anonymous`, `questions`): a survey, or the next
/// version of one.
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
    let definition = match custom_questions(field(&fields, "questions"))
        .and_then(|q| crate::api::surveys::definition(kind, q))
    {
        Ok(d) => d,
        Err(e) => return error_page(ctx.lang, &e),
    };
    let new = comeback_store::NewSurvey {
        name: name.to_owned(),
        kind,
        anonymous: field(&fields, "anonymous") == Some("on"),
        definition,
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
    let headers = request.headers().clone();
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
        crate::api::surveys::announce(
            &state,
            &crate::api::surveys::base_url(&state, &headers),
            &made,
        );
        Ok::<_, ApiError>((id, made.len(), skipped))
    }
    .await;
    match result {
        Ok((id, made, skipped)) => {
            let m = |k: &str| ctx.msg("surveys", k, &[]);
            let sent = context! {
                text => ctx.msg("surveys", "sent_result", &[
                    ("created", &ctx.plural("surveys", "invitations_made", made as u64, &[("n", &fmt::count(made as u64, ctx.lang))])),
                    ("skipped", &ctx.plural("surveys", "skipped", skipped.len() as u64, &[("n", &fmt::count(skipped.len() as u64, ctx.lang))])),
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
