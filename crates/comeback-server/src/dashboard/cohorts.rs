//! `/cohorts`: subscription cohorts from the stored subscriptions — per monthly cohort the
//! logo retention, revenue retention (NRR) and GRR of each observed month, and the sBG fit
//! with projected retention, expected lifetime, DEL, DERL and residual value. The numbers
//! are `GET /api/v1/cohorts`'s (`api::cohorts::compute`), the options its query
//! parameters, set by a plain GET form (no JavaScript). Managers and admins.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use comeback_report::format as fmt;
use minijinja::{Value, context};
use serde::Deserialize;

use super::Ctx;
use super::pages::page_with_footer;
use crate::AppState;
use crate::api::cohorts::{CohortParams, CohortSbgResult, ReactivationParam, compute};

/// The form's fields as sent: every one optional, blank = default.
#[derive(Debug, Default, Deserialize)]
struct Form {
    observation_end: Option<String>,
    reactivation: Option<String>,
    discount_rate: Option<String>,
    currency: Option<String>,
}

fn blank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The API parameters of the form, or the field and what is wrong with it.
fn params(query: Option<&str>) -> Result<CohortParams, (String, String)> {
    let f: Form = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| ("query".to_owned(), e.to_string()))?;
    let discount_rate = match blank(f.discount_rate) {
        None => None,
        Some(s) => Some(
            s.replace(',', ".")
                .parse::<f64>()
                .map_err(|_| ("discount_rate".to_owned(), format!("{s:?} is not a number")))?,
        ),
    };
    let reactivation = match blank(f.reactivation).as_deref() {
        None | Some("exclude") => None,
        Some("count") => Some(ReactivationParam::Count),
        Some(other) => {
            return Err((
                "reactivation".to_owned(),
                format!("{other:?} is not exclude or count"),
            ));
        }
    };
    Ok(CohortParams {
        observation_end: blank(f.observation_end),
        reactivation,
        discount_rate,
        projection_months: None,
        currency: blank(f.currency),
    })
}

/// `GET /cohorts`.
pub(super) async fn cohorts(
    ctx: Ctx,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    let m = |k: &str| ctx.msg("cohorts", k, &[]);
    let title = m("title");
    let lang = ctx.lang;
    let snap = state.scores.current();
    let currencies: Vec<String> = state
        .store
        .subscription_currencies()
        .await
        .map(|v| v.into_iter().map(|(c, _)| c).collect())
        .unwrap_or_default();
    let (q, result) = match params(query.as_deref()) {
        Ok(q) => {
            let r = compute(&state, &q)
                .await
                .map_err(|e| e.body().error.message);
            (q, r)
        }
        Err((field, why)) => (CohortParams::default(), Err(format!("{field}: {why}"))),
    };
    let form = context! {
        observation_end => q.observation_end.clone().unwrap_or_default(),
        count => q.reactivation == Some(ReactivationParam::Count),
        discount_rate => q.discount_rate.map_or_else(|| "0.01".to_owned(), |d| d.to_string()),
        currency => q.currency.clone().unwrap_or_default(),
        currencies => currencies.clone(),
    };
    let out = match result {
        Ok(out) => out,
        Err(reason) => {
            let mut r = page_with_footer(
                &ctx,
                &state,
                snap.as_deref(),
                "cohorts",
                "cohorts",
                &title,
                String::new(),
                context! {
                    form => form,
                    error => ctx.msg("cohorts", "error", &[("reason", &reason)]),
                    cohorts => Vec::<Value>::new(),
                },
            );
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return r;
        }
    };
    let cur = out.currency.clone().unwrap_or_else(|| "XXX".to_owned());
    let pct = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| fmt::percent(v, 1, lang));
    let money = |v: f64| fmt::money(v, &cur, lang);
    let cohorts: Vec<Value> = out
        .cohorts
        .iter()
        .map(|c| {
            let months: Vec<Value> = c
                .months
                .iter()
                .map(|x| {
                    context! {
                        month => x.month,
                        active => fmt::count(x.active, lang),
                        logo => pct(Some(x.logo_retention)),
                        mrr => money(x.mrr),
                        nrr => pct(x.revenue_retention),
                        grr => pct(x.grr),
                    }
                })
                .collect();
            let sbg = match &c.sbg {
                CohortSbgResult::Fit(s) => {
                    let last = s.survivors.len().saturating_sub(1);
                    let projected: Vec<Value> = s
                        .projected_retention
                        .iter()
                        .zip(&s.projected_survival)
                        .enumerate()
                        .map(|(i, (r, sv))| {
                            context! {
                                month => last + 1 + i,
                                retention => fmt::percent(*r, 1, lang),
                                survival => fmt::percent(*sv, 1, lang),
                            }
                        })
                        .collect();
                    let facts = vec![
                        context! { key => "alpha", label => m("sbg_alpha"), value => fmt::number(s.alpha, 3, lang) },
                        context! { key => "beta", label => m("sbg_beta"), value => fmt::number(s.beta, 3, lang) },
                        context! {
                            key => "lifetime",
                            label => m("sbg_lifetime"),
                            value => s.expected_lifetime_months.map_or_else(
                                || m("lifetime_unbounded"),
                                |v| ctx.msg("cohorts", "months", &[("n", &fmt::number(v, 1, lang))]),
                            ),
                        },
                        context! {
                            key => "del",
                            label => m("sbg_del"),
                            value => ctx.msg("cohorts", "months", &[("n", &fmt::number(s.discounted_expected_lifetime_months, 2, lang))]),
                        },
                        context! {
                            key => "derl",
                            label => ctx.msg("cohorts", "sbg_derl", &[("month", &last.to_string())]),
                            value => ctx.msg("cohorts", "months", &[("n", &fmt::number(s.derl_months, 2, lang))]),
                        },
                        context! { key => "residual", label => m("sbg_residual"), value => money(s.residual_value) },
                    ];
                    context! { facts => facts, projected => projected }
                }
                CohortSbgResult::Error(e) => {
                    context! { error => ctx.msg("cohorts", "no_sbg", &[("reason", &e.error)]) }
                }
            };
            context! {
                id => c.cohort.clone(),
                heading => ctx.msg("cohorts", if c.customers == 1 { "cohort_heading_one" } else { "cohort_heading" }, &[
                    ("cohort", &c.cohort),
                    ("customers", &fmt::count(c.customers, lang)),
                ]),
                months => months,
                sbg => sbg,
            }
        })
        .collect();
    let observed = out.observation_end.as_deref().map(|end| {
        ctx.msg(
            "cohorts",
            "observed",
            &[
                ("end", end),
                ("currency", &cur),
                ("rate", &fmt::percent(out.discount_rate_monthly, 1, lang)),
            ],
        )
    });
    // The footer names the cohorts' currency (not the analysis'), and months as the unit.
    let footer = out.currency.as_deref().map_or_else(String::new, |c| {
        ctx.msg("cohorts", "footer", &[("currency", c)])
    });
    page_with_footer(
        &ctx,
        &state,
        snap.as_deref(),
        "cohorts",
        "cohorts",
        &title,
        footer,
        context! {
            form => form,
            observed => observed,
            empty => out.cohorts.is_empty(),
            cohorts => cohorts,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_fields_are_defaults() {
        let q = params(Some(
            "observation_end=&reactivation=&discount_rate=&currency=&lang=fi",
        ))
        .unwrap();
        assert_eq!(q.observation_end, None);
        assert_eq!(q.reactivation, None);
        assert_eq!(q.discount_rate, None);
        assert_eq!(q.currency, None);
        let q = params(Some("reactivation=count&discount_rate=0,02")).unwrap();
        assert_eq!(q.reactivation, Some(ReactivationParam::Count));
        assert_eq!(q.discount_rate, Some(0.02));
        assert_eq!(
            params(Some("discount_rate=x")).unwrap_err().0,
            "discount_rate"
        );
        assert_eq!(
            params(Some("reactivation=maybe")).unwrap_err().0,
            "reactivation"
        );
    }
}
