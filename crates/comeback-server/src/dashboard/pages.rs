//! The page handlers. Each reads the cached analysis ([`crate::scores`]) and the store,
//! formats numbers for the request's language (`comeback_report::format`) and renders
//! its template; nothing is computed here that the API does not also give.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comeback_core::{LifecycleStage, RfmSegment};
use comeback_report::{chart, format as fmt};
use comeback_store::{CustomerQuery, TimelineEvent, parse_customer_cursor};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{Ctx, csv_text, error_page};
use crate::api::analytics::ActionList;
use crate::api::customers::{check_visible, scope};
use crate::scores::{RefitState, Snapshot};
use crate::{ApiError, AppState, text};

/// Customers per page of `/customers`.
pub const CUSTOMERS_PER_PAGE: u32 = 50;

/// Rows an action-list page shows (the CSV has them all).
pub const LIST_ROWS: usize = 100;

/// The notices above every page: no scores yet, a running or failed refit, when the
/// scores were computed and whether newer data exist.
fn notices(ctx: &Ctx, state: &AppState, s: Option<&Snapshot>) -> Vec<String> {
    let mut out = Vec::new();
    match state.scores.state() {
        RefitState::Running { .. } if s.is_some() => {
            out.push(ctx.msg("layout", "refit_running", &[]));
        }
        RefitState::Failed { message, .. } => {
            out.push(ctx.msg("layout", "refit_failed", &[("message", &message)]));
        }
        _ => {}
    }
    match s {
        None => out.push(ctx.msg("layout", "no_scores", &[])),
        Some(s) => {
            let at = s.computed_at.format("%Y-%m-%d %H:%M").to_string();
            let end = fmt::date(s.analysis.observation_end, ctx.lang);
            out.push(ctx.msg("layout", "computed", &[("at", &at), ("end", &end)]));
            if state.scores.is_stale() {
                out.push(ctx.msg("layout", "stale", &[]));
            }
        }
    }
    out
}

/// The currency code of a snapshot (`XXX`, ISO 4217's "no currency", when unknown).
pub(super) fn currency(s: &Snapshot) -> &str {
    s.currency.as_deref().unwrap_or("XXX")
}

/// The unit's plural name in the page language (the report's catalogue).
fn unit_name(ctx: &Ctx, s: &Snapshot) -> String {
    ctx.lang
        .message(&format!("unit_name_{}", s.analysis.options.unit.as_str()))
        .to_owned()
}

/// The footer line: currency and time unit of the numbers shown.
fn footer(ctx: &Ctx, s: Option<&Snapshot>) -> String {
    match s {
        Some(s) => ctx.msg(
            "layout",
            "footer",
            &[("currency", currency(s)), ("unit", &unit_name(ctx, s))],
        ),
        None => String::new(),
    }
}

fn stage_name(ctx: &Ctx, key: &str) -> String {
    ctx.lang.message(&format!("stage_{key}")).to_owned()
}

pub(super) fn segment_name(ctx: &Ctx, key: &str) -> String {
    ctx.lang.message(&format!("segment_{key}")).to_owned()
}

pub(super) fn page(
    ctx: &Ctx,
    state: &AppState,
    s: Option<&Snapshot>,
    name: &str,
    nav: &str,
    title: &str,
    d: Value,
) -> Response {
    page_with_footer(ctx, state, s, name, nav, title, footer(ctx, s), d)
}

/// [`page`] with its own footer line (a page whose amounts are not in the analysis'
/// currency or whose times are not in its unit).
#[allow(clippy::too_many_arguments)]
pub(super) fn page_with_footer(
    ctx: &Ctx,
    state: &AppState,
    s: Option<&Snapshot>,
    name: &str,
    nav: &str,
    title: &str,
    footer: String,
    d: Value,
) -> Response {
    let d = context! {
        notices => notices(ctx, state, s),
        footer => footer,
        ..d
    };
    ctx.render(name, nav, title, d)
}

/// `GET /`: the headline numbers of the latest analysis (customers, active, at risk, lost,
/// revenue at risk, defection), customers per lifecycle stage, and actual vs expected
/// cumulative repeat purchases over time. Managers and admins.
pub(super) async fn overview(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    let title = ctx.msg("overview", "title", &[]);
    let snap = state.scores.current();
    let Some(s) = snap.as_deref() else {
        return page(
            &ctx,
            &state,
            None,
            "overview",
            "overview",
            &title,
            context! { ready => false },
        );
    };
    let a = &s.analysis;
    let h = &a.headline;
    let lang = ctx.lang;
    let cur = currency(s);
    let counts = &s.lifecycle_counts;
    let count_of =
        |st: LifecycleStage| counts.iter().find(|(x, _)| *x == st).map_or(0, |(_, n)| *n);
    let active = count_of(LifecycleStage::New)
        + count_of(LifecycleStage::Active)
        + count_of(LifecycleStage::WonBack);
    let m = |k: &str| ctx.msg("overview", k, &[]);
    let kpi = |key: &str, value: String, help: String| {
        context! { key => key, label => m(key), value => value, help => help }
    };
    let defection = a
        .defection
        .rate
        .map_or_else(|| m("not_available"), |r| fmt::percent(r, 1, lang));
    let kpis = vec![
        kpi(
            "customers",
            fmt::count(h.customers as u64, lang),
            m("customers_help"),
        ),
        kpi("active", fmt::count(active as u64, lang), m("active_help")),
        kpi(
            "at_risk",
            fmt::count(count_of(LifecycleStage::AtRisk) as u64, lang),
            m("at_risk_help"),
        ),
        kpi(
            "lost",
            fmt::count(count_of(LifecycleStage::Lost) as u64, lang),
            m("lost_help"),
        ),
        kpi(
            "revenue_at_risk",
            fmt::money(h.revenue_at_risk, cur, lang),
            ctx.msg("overview", "revenue_at_risk_help", &[("currency", cur)]),
        ),
        kpi("defection", defection, m("defection_help")),
    ];
    let stages: Vec<String> = counts
        .iter()
        .map(|(st, _)| stage_name(&ctx, st.key()))
        .collect();
    let int = |x: f64| fmt::number(x, 0, lang);
    let stage_chart = chart::bar_chart(
        &chart::ChartText {
            id: "stages".to_owned(),
            title: m("chart_stages"),
            desc: m("chart_stages_desc"),
            x_title: m("axis_stage"),
            y_title: m("axis_customers"),
        },
        &stages,
        &[chart::BarSeries {
            key: "customers",
            label: m("axis_customers"),
            values: counts.iter().map(|(_, n)| *n as f64).collect(),
        }],
        &int,
    );
    let unit = unit_name(&ctx, s);
    let trend = a.charts.tracking.as_ref().map(|tr| {
        let test = m("test_period");
        chart::line_chart(
            &chart::ChartText {
                id: "trend".to_owned(),
                title: m("chart_trend"),
                desc: m("chart_trend_desc"),
                x_title: ctx.msg("overview", "axis_time", &[("unit", &unit)]),
                y_title: m("axis_cumulative"),
            },
            &[
                chart::LineSeries {
                    key: "actual",
                    label: m("series_actual"),
                    points: tr
                        .ends
                        .iter()
                        .copied()
                        .zip(tr.actual.iter().copied())
                        .collect(),
                    dashed: false,
                },
                chart::LineSeries {
                    key: "model",
                    label: m("series_model"),
                    points: tr
                        .ends
                        .iter()
                        .copied()
                        .zip(tr.predicted.iter().copied())
                        .collect(),
                    dashed: true,
                },
            ],
            tr.calibration_end.map(|e| (e, test.as_str())),
            &int,
            &int,
        )
    });
    page(
        &ctx,
        &state,
        Some(s),
        "overview",
        "overview",
        &title,
        context! {
            ready => true,
            kpis => kpis,
            stage_chart => Value::from_safe_string(stage_chart),
            trend_chart => trend.map(Value::from_safe_string),
        },
    )
}

/// `GET /model`: the model in use, why it was chosen, its parameters with standard
/// errors and intervals, the comparison of all candidates on the test period, the
/// actual-vs-expected frequency histogram (FHL 2005, Figure 2) and the refit status.
/// Managers and admins.
pub(super) async fn model(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    let lang = ctx.lang;
    let m = |k: &str| ctx.msg("model", k, &[]);
    let title = m("title");
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let status = match state.scores.state() {
        RefitState::Never => m("status_never"),
        RefitState::Running { since } => ctx.msg("model", "status_running", &[("at", &at(since))]),
        RefitState::Succeeded { at: t } => ctx.msg("model", "status_succeeded", &[("at", &at(t))]),
        RefitState::Failed { at: t, message } => ctx.msg(
            "model",
            "status_failed",
            &[("at", &at(t)), ("message", &message)],
        ),
    };
    let snap = state.scores.current();
    let Some(s) = snap.as_deref() else {
        return page(
            &ctx,
            &state,
            None,
            "model",
            "model",
            &title,
            context! { ready => false, status => status },
        );
    };
    let a = &s.analysis;
    let name = a.model.kind().display_name();
    let reason_key = match a.comparison.reason {
        comeback_analysis::models::Reason::HoldoutError => "choice_holdout_error",
        comeback_analysis::models::Reason::Bic => "choice_bic",
        comeback_analysis::models::Reason::OnlyFitted => "choice_only",
        comeback_analysis::models::Reason::BicNoHoldout => "choice_no_holdout",
    };
    let sig = |x: f64| fmt::sig(x, 4, lang);
    let f = &a.fit;
    let params: Vec<Value> = f
        .param_names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let pick = |v: &Option<Vec<f64>>| v.as_ref().and_then(|v| v.get(i).copied());
            let ci = match (pick(&f.ci_low), pick(&f.ci_high)) {
                (Some(lo), Some(hi)) => format!("{} – {}", sig(lo), sig(hi)),
                _ => "—".to_owned(),
            };
            context! {
                name => *n,
                estimate => sig(f.params[i]),
                se => pick(&f.std_errors).map_or_else(|| "—".to_owned(), sig),
                ci => ci,
            }
        })
        .collect();
    let c = &a.comparison;
    let has_holdout = a.calibration.is_some();
    let candidates: Vec<Value> = c
        .candidates
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let (ll, bic, failed) = match &k.fit {
                Ok((_, r)) => (sig(r.log_likelihood), sig(r.bic), None),
                Err(e) => (
                    "—".to_owned(),
                    "—".to_owned(),
                    Some(ctx.msg("model", "failed", &[("reason", e)])),
                ),
            };
            let err_total = (has_holdout && c.holdout_actual > 0.0 && k.fit.is_ok())
                .then(|| fmt::percent((k.holdout_predicted - c.holdout_actual) / c.holdout_actual, 1, lang));
            context! {
                name => k.kind.display_name(),
                chosen => i == c.chosen,
                ll => ll,
                bic => bic,
                failed => failed,
                predicted => (has_holdout && k.fit.is_ok()).then(|| fmt::number(k.holdout_predicted, 1, lang)),
                err_total => err_total,
                err_freq => (has_holdout && k.fit.is_ok()).then(|| fmt::number(k.frequency_error, 3, lang)),
            }
        })
        .collect();
    let freq_chart = a.charts.frequency_histogram.as_ref().map(|hst| {
        let cats: Vec<String> = hst
            .bins
            .iter()
            .map(|b| {
                if b.open {
                    format!("{}+", b.frequency)
                } else {
                    b.frequency.to_string()
                }
            })
            .collect();
        chart::bar_chart(
            &chart::ChartText {
                id: "frequency".to_owned(),
                title: m("chart_frequency"),
                desc: m("chart_frequency_desc"),
                x_title: m("axis_repeat"),
                y_title: m("axis_customers"),
            },
            &cats,
            &[
                chart::BarSeries {
                    key: "actual",
                    label: m("series_actual"),
                    values: hst.bins.iter().map(|b| b.actual).collect(),
                },
                chart::BarSeries {
                    key: "expected",
                    label: m("series_expected"),
                    values: hst.bins.iter().map(|b| b.expected).collect(),
                },
            ],
            &|x| fmt::number(x, 0, lang),
        )
    });
    let notes: Vec<String> = a.notes.iter().map(ToString::to_string).collect();
    page(
        &ctx,
        &state,
        Some(s),
        "model",
        "model",
        &title,
        context! {
            ready => true,
            status => status,
            model => name,
            choice => ctx.msg("model", reason_key, &[("model", name)]),
            params => params,
            ll => sig(f.log_likelihood),
            aic => sig(f.aic),
            bic => sig(f.bic),
            customers => fmt::count(a.summary.customers.len() as u64, lang),
            observation_end => fmt::date(a.observation_end, lang),
            candidates => candidates,
            holdout_actual => has_holdout.then(|| ctx.msg("model", "holdout_actual", &[("n", &fmt::number(c.holdout_actual, 0, lang))])),
            freq_chart => freq_chart.map(Value::from_safe_string),
            notes => notes,
        },
    )
}

/// Query of `/customers` (other parameters, such as `lang`, are ignored).
#[derive(Debug, Default, Deserialize)]
pub(super) struct CustomerFilter {
    q: Option<String>,
    segment: Option<String>,
    stage: Option<String>,
    location: Option<String>,
    cursor: Option<String>,
}

fn parse_query<T: for<'de> Deserialize<'de> + Default>(raw: Option<&str>) -> Result<T, ApiError> {
    match raw {
        None | Some("") => Ok(T::default()),
        Some(q) => serde_urlencoded::from_str(q)
            .map_err(|e| ApiError::invalid_field("query", e.to_string())),
    }
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `GET /customers?q=&segment=&stage=&location=&cursor=`: customers by external id,
/// [`CUSTOMERS_PER_PAGE`] a page, keyset-paginated by the store
/// ([`comeback_store::Store::search_customers`]). `segment` (RFM) and `stage` (lifecycle)
/// come from the cached analysis: its matching ids are handed to the store 1,000 at a
/// time (`CustomerQuery::among`), in id order, so paging stays keyset-based. Managers
/// and staff see only customers of their locations. An unknown segment or stage, a
/// control character or a foreign cursor is answered 422 (a page naming the field).
pub(super) async fn customers(
    ctx: Ctx,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Response {
    match customers_inner(&ctx, &state, raw.as_deref()).await {
        Ok(r) => r,
        Err(e) => error_page(ctx.lang, &e),
    }
}

async fn customers_inner(
    ctx: &Ctx,
    state: &AppState,
    raw: Option<&str>,
) -> Result<Response, ApiError> {
    let f: CustomerFilter = parse_query(raw)?;
    let q = blank_to_none(f.q);
    let location = blank_to_none(f.location);
    let cursor = blank_to_none(f.cursor);
    for (field, v) in [("q", &q), ("location", &location), ("cursor", &cursor)] {
        if let Some(v) = v {
            text::check_text(field, v)?;
        }
    }
    let segment = match blank_to_none(f.segment) {
        None => None,
        Some(s) => Some(
            RfmSegment::ALL
                .into_iter()
                .find(|x| x.key() == s)
                .ok_or_else(|| {
                    ApiError::invalid_field("segment", format!("unknown segment {s:?}"))
                })?,
        ),
    };
    let stage = match blank_to_none(f.stage) {
        None => None,
        Some(s) => Some(
            LifecycleStage::ALL
                .into_iter()
                .find(|x| x.key() == s)
                .ok_or_else(|| ApiError::invalid_field("stage", format!("unknown stage {s:?}")))?,
        ),
    };
    let snap: Option<Arc<Snapshot>> = state.scores.current();
    let base = CustomerQuery {
        search: q.clone(),
        scope: scope(&ctx.user).map(<[String]>::to_vec),
        location: location.clone(),
        among: None,
    };
    let (items, next) = if segment.is_none() && stage.is_none() {
        let p = state
            .store
            .search_customers(&base, cursor.as_deref(), CUSTOMERS_PER_PAGE)
            .await?;
        (p.items, p.next_cursor)
    } else {
        let after = cursor.as_deref().map(parse_customer_cursor).transpose()?;
        let mut ids: Vec<String> = match snap.as_deref() {
            None => Vec::new(),
            Some(s) => {
                let a = &s.analysis;
                (0..a.summary.customers.len())
                    .filter_map(|i| a.customer(i))
                    .filter(|c| segment.is_none_or(|x| c.rfm.segment == x))
                    .filter(|c| stage.is_none_or(|x| c.lifecycle_stage == x))
                    .map(|c| c.summary.customer_id.to_string())
                    .filter(|id| after.as_deref().is_none_or(|a| id.as_str() > a))
                    .collect()
            }
        };
        // The store orders by bytes; so does `str`'s `Ord`.
        ids.sort_unstable();
        let mut items = Vec::new();
        let mut next = None;
        let chunks: Vec<&[String]> = ids.chunks(CustomerQuery::MAX_AMONG).collect();
        for (k, chunk) in chunks.iter().enumerate() {
            let need = CUSTOMERS_PER_PAGE - items.len() as u32;
            let query = CustomerQuery {
                among: Some(chunk.to_vec()),
                ..base.clone()
            };
            let p = state.store.search_customers(&query, None, need).await?;
            items.extend(p.items);
            if items.len() as u32 == CUSTOMERS_PER_PAGE {
                if p.next_cursor.is_some() || k + 1 < chunks.len() {
                    next = items
                        .last()
                        .map(|c| comeback_store::customer_cursor(&c.external_id));
                }
                break;
            }
        }
        (items, next)
    };
    let lang = ctx.lang;
    let rows: Vec<Value> = items
        .iter()
        .map(|c| {
            let sc = snap.as_deref().and_then(|s| {
                s.analysis
                    .customer_index(&c.external_id)
                    .and_then(|i| s.analysis.customer(i))
            });
            context! {
                id => c.external_id.clone(),
                href => format!("/customers/{}", percent(&c.external_id)),
                name => c.name.clone().unwrap_or_default(),
                segment => sc.as_ref().map(|x| segment_name(ctx, x.rfm.segment.key())),
                stage => sc.as_ref().map(|x| stage_name(ctx, x.lifecycle_stage.key())),
                p_alive => sc.as_ref().map(|x| fmt::number(x.p_alive, 2, lang)),
                clv => sc.as_ref().map(|x| fmt::number(x.clv, 2, lang)),
            }
        })
        .collect();
    let keep =
        |name: &str, v: &Option<String>| v.as_ref().map(|v| format!("{name}={}", percent(v)));
    let next_href = next.map(|n| {
        let mut parts: Vec<String> = [
            keep("q", &q),
            keep("segment", &segment.map(|s| s.key().to_owned())),
            keep("stage", &stage.map(|s| s.key().to_owned())),
            keep("location", &location),
        ]
        .into_iter()
        .flatten()
        .collect();
        parts.push(format!("cursor={}", percent(&n)));
        format!("/customers?{}", parts.join("&"))
    });
    let option = |key: &str, label: String, selected: bool| context! { key => key, label => label, selected => selected };
    let segments: Vec<Value> = RfmSegment::ALL
        .iter()
        .map(|s| option(s.key(), segment_name(ctx, s.key()), segment == Some(*s)))
        .collect();
    let stages: Vec<Value> = LifecycleStage::ALL
        .iter()
        .map(|s| option(s.key(), stage_name(ctx, s.key()), stage == Some(*s)))
        .collect();
    let cur = snap.as_deref().map_or("XXX", currency).to_owned();
    Ok(page(
        ctx,
        state,
        snap.as_deref(),
        "customers",
        "customers",
        &ctx.msg("customers", "title", &[]),
        context! {
            q => q.unwrap_or_default(),
            location => location.unwrap_or_default(),
            segments => segments,
            stages => stages,
            rows => rows,
            next_href => next_href,
            paged => cursor.is_some(),
            clv_header => ctx.msg("customers", "col_clv", &[("currency", &cur)]),
        },
    ))
}

/// Percent-encodes a path segment or query value (everything but unreserved characters,
/// RFC 3986 §2.3).
pub fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /customers/{id}`: profile, scores from the cached analysis and one timeline
/// (newest first) from [`comeback_store::Store::customer_timeline`]. 404 for an unknown,
/// erased or (for managers and staff) out-of-scope customer.
pub(super) async fn customer(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    // `?flagged=REFERENCE` after the flag form: the confirmation.
    let flagged = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "flagged")
        .map(|(_, v)| v.into_owned())
        .filter(|r| comeback_complaints::recovery::Reference::parse(r).is_ok());
    match customer_inner(&ctx, &state, &id, flagged).await {
        Ok(r) => r,
        Err(e) => error_page(ctx.lang, &e),
    }
}

async fn customer_inner(
    ctx: &Ctx,
    state: &AppState,
    id: &str,
    flagged: Option<String>,
) -> Result<Response, ApiError> {
    check_visible(state, &ctx.user, id).await?;
    let tl = state.store.customer_timeline(id).await?;
    // A flag's note is its complaint's description: shown only to whoever may see that
    // complaint (complaint_access), like the complaint's own page.
    let mut flag_notes = std::collections::HashSet::new();
    for e in &tl.entries {
        if let TimelineEvent::StaffFlag(f) = &e.event {
            match state.store.complaint(&f.reference).await {
                Ok(c) if crate::complaint_access::can_see(&ctx.user, &c) => {
                    flag_notes.insert(f.reference.clone());
                }
                Ok(_) | Err(comeback_store::StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let lang = ctx.lang;
    let m = |k: &str| ctx.msg("customer", k, &[]);
    let snap = state.scores.current();
    let scores = snap.as_deref().and_then(|s| {
        let a = &s.analysis;
        let c = a.customer(a.customer_index(id)?)?;
        let cur = currency(s);
        let unit = unit_name(ctx, s);
        let horizon = fmt::number(a.options.horizon, 0, lang);
        let hu = [
            ("horizon", horizon.as_str()),
            ("unit", unit.as_str()),
            ("currency", cur),
        ];
        let row = |label: String, value: String| context! { label => label, value => value };
        Some(vec![
            row(m("p_alive"), fmt::percent(c.p_alive, 1, lang)),
            row(
                ctx.msg("customer", "expected_purchases", &hu),
                fmt::number(c.expected_purchases, 2, lang),
            ),
            row(
                ctx.msg("customer", "expected_revenue", &hu),
                fmt::number(c.expected_revenue, 2, lang),
            ),
            row(ctx.msg("customer", "clv", &hu), fmt::number(c.clv, 2, lang)),
            row(
                ctx.msg("customer", "value_at_risk", &hu),
                fmt::number(c.value_at_risk.value_at_risk, 2, lang),
            ),
            row(m("segment"), segment_name(ctx, c.rfm.segment.key())),
            row(m("rfm"), format!("{} · {} · {}", c.rfm.r, c.rfm.f, c.rfm.m)),
            row(m("stage"), stage_name(ctx, c.lifecycle_stage.key())),
        ])
    });
    let entries: Vec<Value> = tl
        .entries
        .iter()
        .map(|e| match &e.event {
            TimelineEvent::Purchase(t) => context! {
                date => fmt::date(e.day, lang),
                at => e.at.map(|x| x.format("%H:%M UTC").to_string()),
                kind => e.event.kind(),
                event => if t.amount.is_negative() { m("refund") } else { m("purchase") },
                amount => format!("{} {}", t.amount, t.currency),
                location => t.location.clone().unwrap_or_default(),
                channel => t.channel.clone().unwrap_or_default(),
                href => "",
                detail => "",
            },
            TimelineEvent::SurveyAnswer(a) => context! {
                date => fmt::date(e.day, lang),
                at => e.at.map(|x| x.format("%H:%M UTC").to_string()),
                kind => e.event.kind(),
                event => match a.score {
                    Some(score) => ctx.msg("customer", "survey_answer", &[
                        ("survey", &a.survey), ("score", &score.to_string()),
                    ]),
                    None => ctx.msg("customer", "survey_answer_no_score", &[("survey", &a.survey)]),
                },
                detail => a.comment.clone().unwrap_or_default(),
                href => "",
                amount => "",
                location => a.location.clone().unwrap_or_default(),
                channel => "",
            },
            TimelineEvent::Complaint(c) => context! {
                date => fmt::date(e.day, lang),
                at => e.at.map(|x| x.format("%H:%M UTC").to_string()),
                kind => e.event.kind(),
                event => ctx.msg("customer", "complaint", &[
                    ("reference", &c.reference),
                    ("category", &c.category),
                    ("status", &ctx.msg("complaint", &format!("st_{}", c.status), &[])),
                ]),
                href => format!("/complaints/{}", c.reference),
                detail => "",
                amount => "",
                location => c.location.clone().unwrap_or_default(),
                channel => "",
            },
            TimelineEvent::StaffFlag(f) => context! {
                date => fmt::date(e.day, lang),
                at => e.at.map(|x| x.format("%H:%M UTC").to_string()),
                kind => e.event.kind(),
                event => ctx.msg("customer", "staff_flag", &[
                    ("employee", &f.employee_name.as_ref().map_or_else(|| f.employee.clone(), |n| format!("{n} ({})", f.employee))),
                    ("reason", &ctx.msg("flag", &format!("r_{}", f.category), &[])),
                    ("reference", &f.reference),
                    ("status", &ctx.msg("complaint", &format!("st_{}", f.status), &[])),
                ]),
                href => format!("/complaints/{}", f.reference),
                detail => if flag_notes.contains(&f.reference) { f.note.clone() } else { String::new() },
                amount => "",
                location => f.location.clone().unwrap_or_default(),
                channel => "",
            },
            _ => context! {
                date => fmt::date(e.day, lang),
                at => e.at.map(|x| x.format("%H:%M UTC").to_string()),
                kind => e.event.kind(),
                event => e.event.kind(),
                amount => "",
                location => "",
                channel => "",
                href => "",
                detail => "",
            },
        })
        .collect();
    let flag_form = super::flags::form_data(
        ctx,
        state,
        &format!("/customers/{}/flag", percent(id)),
        false,
        &Default::default(),
    )
    .await?;
    let c = &tl.customer;
    let yes_no = |b: bool| if b { m("yes") } else { m("no") };
    let profile = vec![
        context! { label => m("name"), value => c.name.clone().unwrap_or_else(|| "—".to_owned()) },
        context! { label => m("email"), value => c.email.clone().unwrap_or_else(|| "—".to_owned()) },
        context! { label => m("language"), value => c.language.clone().unwrap_or_else(|| "—".to_owned()) },
        context! { label => m("first_seen"), value => c.first_seen.map_or_else(|| "—".to_owned(), |t| t.format("%Y-%m-%d").to_string()) },
        context! { label => m("loyalty"), value => yes_no(c.loyalty_member) },
    ];
    Ok(page(
        ctx,
        state,
        snap.as_deref(),
        "customer",
        "customers",
        &ctx.msg("customer", "title", &[("id", id)]),
        context! {
            profile => profile,
            scores => scores,
            entries => entries,
            form => flag_form,
            flagged => flagged.map(|r| ctx.msg("customer", "flagged", &[("reference", &r)])),
        },
    ))
}

fn parse_list(name: &str) -> Result<ActionList, ApiError> {
    match name {
        "at-risk" => Ok(ActionList::AtRisk),
        "win-back" => Ok(ActionList::WinBack),
        "advocates" => Ok(ActionList::Advocates),
        _ => Err(ApiError::NotFound {
            what: "list",
            key: name.to_owned(),
        }),
    }
}

fn list_ids(a: &comeback_analysis::Analysis, list: ActionList) -> &[usize] {
    match list {
        ActionList::AtRisk => &a.lists.at_risk,
        ActionList::WinBack => &a.lists.win_back,
        ActionList::Advocates => &a.lists.advocates,
    }
}

fn list_key(list: ActionList) -> (&'static str, &'static str) {
    match list {
        ActionList::AtRisk => ("at-risk", "at_risk"),
        ActionList::WinBack => ("win-back", "win_back"),
        ActionList::Advocates => ("advocates", "advocates"),
    }
}

/// `GET /lists/{at-risk|win-back|advocates}`: the first [`LIST_ROWS`] customers of an
/// action list of the cached analysis (the same as `/api/v1/actions/{list}`), with a link
/// to the whole list as CSV. Managers and admins.
pub(super) async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    let list = match parse_list(&name) {
        Ok(l) => l,
        Err(e) => return error_page(ctx.lang, &e),
    };
    let (slug, key) = list_key(list);
    let title = ctx.msg("lists", &format!("title_{key}"), &[]);
    let intro = ctx.msg("lists", &format!("intro_{key}"), &[]);
    let snap = state.scores.current();
    let Some(s) = snap.as_deref() else {
        return page(
            &ctx,
            &state,
            None,
            "lists",
            key,
            &title,
            context! { ready => false, intro => intro },
        );
    };
    let a = &s.analysis;
    let lang = ctx.lang;
    let ids = list_ids(a, list);
    let rows: Vec<Value> = ids
        .iter()
        .take(LIST_ROWS)
        .enumerate()
        .filter_map(|(k, &i)| {
            let c = a.customer(i)?;
            let id = c.summary.customer_id.to_string();
            Some(context! {
                rank => k + 1,
                href => format!("/customers/{}", percent(&id)),
                id => id,
                p_alive => fmt::number(c.p_alive, 2, lang),
                clv => fmt::number(c.clv, 2, lang),
                value_at_risk => fmt::number(c.value_at_risk.value_at_risk, 2, lang),
                expected => fmt::number(c.expected_purchases, 2, lang),
                frequency => fmt::count(u64::from(c.summary.frequency), lang),
                last => fmt::date(c.summary.last_purchase, lang),
                revenue => fmt::number(c.historical_revenue.to_f64(), 2, lang),
                segment => segment_name(&ctx, c.rfm.segment.key()),
                stage => stage_name(&ctx, c.lifecycle_stage.key()),
            })
        })
        .collect();
    let cur = currency(s);
    let h = |k: &str| ctx.msg("lists", k, &[("currency", cur)]);
    let shown = ctx.msg(
        "lists",
        "shown",
        &[
            ("shown", &fmt::count(rows.len() as u64, lang)),
            ("total", &fmt::count(ids.len() as u64, lang)),
        ],
    );
    page(
        &ctx,
        &state,
        Some(s),
        "lists",
        key,
        &title,
        context! {
            ready => true,
            intro => intro,
            shown => shown,
            csv_href => format!("/lists/{slug}/csv"),
            rows => rows,
            h_clv => h("col_clv"),
            h_var => h("col_value_at_risk"),
            h_revenue => h("col_revenue"),
        },
    )
}

/// The CSV columns of an action list (field names as in `/api/v1/actions/{list}`).
pub const CSV_COLUMNS: [&str; 12] = [
    "rank",
    "external_id",
    "p_alive",
    "clv",
    "value_at_risk",
    "expected_purchases",
    "frequency",
    "last_purchase",
    "historical_revenue",
    "currency",
    "segment",
    "stage",
];

/// `GET /lists/{list}/csv`: the whole action list as CSV (RFC 4180, UTF-8, a header row
/// of [`CSV_COLUMNS`]; P(alive) with 6 decimals, money with 2 in the currency column's
/// unit, revenue exact; text cells escaped against formula injection, [`csv_text`]),
/// downloaded as `{list}-{observation end}.csv`. Managers and admins; 503 page before
/// the first refit.
pub(super) async fn list_csv(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    let result = (|| {
        let list = parse_list(&name)?;
        let s = state
            .scores
            .current()
            .ok_or_else(|| ApiError::Unavailable("scores not computed yet".to_owned()))?;
        let body = list_csv_body(&s, list).map_err(|e| ApiError::Internal(format!("csv: {e}")))?;
        let file = format!("{}-{}.csv", list_key(list).0, s.analysis.observation_end);
        Ok::<_, ApiError>((body, file))
    })();
    match result {
        Ok((body, file)) => {
            let mut r = (StatusCode::OK, body).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(e) => error_page(ctx.lang, &e),
    }
}

/// The CSV bytes of a whole action list.
///
/// # Errors
/// The csv writer's (none expected when writing to memory).
pub fn list_csv_body(s: &Snapshot, list: ActionList) -> Result<Vec<u8>, csv::Error> {
    let a = &s.analysis;
    let cur = currency(s).to_owned();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for (k, &i) in list_ids(a, list).iter().enumerate() {
        let Some(c) = a.customer(i) else { continue };
        w.write_record([
            (k + 1).to_string(),
            csv_text(&c.summary.customer_id),
            format!("{:.6}", c.p_alive),
            format!("{:.2}", c.clv),
            format!("{:.2}", c.value_at_risk.value_at_risk),
            format!("{:.4}", c.expected_purchases),
            c.summary.frequency.to_string(),
            c.summary.last_purchase.to_string(),
            c.historical_revenue.to_string(),
            csv_text(&cur),
            c.rfm.segment.key().to_owned(),
            c.lifecycle_stage.key().to_owned(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
