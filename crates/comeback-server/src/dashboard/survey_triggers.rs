//! `/surveys/triggers`: the automatic survey triggers' settings (after a purchase, entering
//! at risk, becoming lost: on or off, survey, sample, delay; the sample's seed; consent
//! required) as a form, what each has pending, invited and skipped, and the latest
//! occasions with their results. Managers and admins; the form goes through the same
//! validation as `PUT /api/v1/survey-triggers`.

use axum::extract::{Request, State};
use axum::response::Response;
use minijinja::{Value, context};

use super::pages::page;
use super::surveys::{field, form};
use super::{Ctx, error_page};
use crate::api::survey_triggers::{
    AutoTrigger, TriggerIn, TriggerSettingsIn, apply, log_item, settings_out,
};
use crate::{ApiError, AppState};

/// Occasions shown.
const LOG_ROWS: u32 = 50;

/// `GET /surveys/triggers`.
pub(super) async fn page_handler(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    render(&ctx, &state, false).await
}

async fn render(ctx: &Ctx, state: &AppState, saved: bool) -> Response {
    let m = |k: &str| ctx.msg("survey_triggers", k, &[]);
    let result = async {
        let settings = settings_out(state).await?;
        let surveys = state.store.list_surveys().await?;
        let log = state.store.survey_trigger_log(None, None, LOG_ROWS).await?;
        Ok::<_, ApiError>((settings, surveys, log))
    }
    .await;
    let (settings, surveys, log) = match result {
        Ok(x) => x,
        Err(e) => return error_page(ctx.lang, &e),
    };
    let triggers: Vec<Value> = settings
        .triggers
        .iter()
        .map(|t| {
            // Lost customers get an exit interview: only those are offered for `lost`.
            let choices: Vec<String> = surveys
                .iter()
                .filter(|s| s.active)
                .filter(|s| t.trigger != "lost" || s.kind == comeback_store::SurveyKind::Exit)
                .map(|s| s.name.clone())
                .collect();
            context! {
                key => t.trigger.clone(),
                label => m(&format!("trigger_{}", t.trigger)),
                enabled => t.enabled,
                survey => t.survey.clone(),
                choices => choices,
                sample_percent => t.sample_percent,
                delay_hours => t.delay_hours,
                max_age_days => t.max_age_days,
                pending => comeback_report::format::count(t.pending, ctx.lang),
                invited => comeback_report::format::count(t.invited, ctx.lang),
                skipped => comeback_report::format::count(t.skipped, ctx.lang),
            }
        })
        .collect();
    let log: Vec<Value> = log
        .into_iter()
        .map(log_item)
        .map(|e| {
            let result = match (e.state.as_str(), &e.reason) {
                ("skipped", Some(r)) => {
                    format!("{}: {}", m("state_skipped"), m(&format!("reason_{r}")))
                }
                (s, _) => m(&format!("state_{s}")),
            };
            context! {
                trigger => m(&format!("trigger_{}", e.trigger)),
                customer => e.customer,
                purchase_day => e.purchase_day.map(|d| d.to_string()),
                due => e.due_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                survey => e.survey.map(|s| match e.survey_version {
                    Some(v) => format!("{s} (v{v})"),
                    None => s,
                }),
                result => result,
            }
        })
        .collect();
    page(
        ctx,
        state,
        state.scores.current().as_deref(),
        "survey_triggers",
        "surveys",
        &m("title"),
        context! {
            saved => saved,
            triggers => triggers,
            seed => settings.seed,
            require_consent => settings.require_consent,
            log => log,
        },
    )
}

/// `POST /surveys/triggers`: for each trigger `{key}_enabled`, `{key}_survey` (empty: none),
/// `{key}_delay_hours`, and `purchase_sample_percent`, `purchase_max_age_days`; `seed`,
/// `require_consent`.
pub(super) async fn save(State(state): State<AppState>, request: Request) -> Response {
    let (ctx, fields) = match form(&state, request).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let number = |name: &str| -> Result<Option<f64>, ApiError> {
        match field(&fields, name) {
            None => Ok(None),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| ApiError::invalid_field(name, "must be a number")),
        }
    };
    let whole = |name: &str| -> Result<Option<u32>, ApiError> {
        match field(&fields, name) {
            None => Ok(None),
            Some(v) => v
                .parse::<u32>()
                .map(Some)
                .map_err(|_| ApiError::invalid_field(name, "must be a whole number ≥ 0")),
        }
    };
    let result = async {
        let mut triggers = Vec::new();
        for (key, t) in [
            ("purchase", AutoTrigger::Purchase),
            ("at_risk", AutoTrigger::AtRisk),
            ("lost", AutoTrigger::Lost),
        ] {
            let purchase = t == AutoTrigger::Purchase;
            triggers.push(TriggerIn {
                trigger: t,
                enabled: Some(field(&fields, &format!("{key}_enabled")) == Some("on")),
                survey: Some(field(&fields, &format!("{key}_survey")).map(str::to_owned)),
                sample_percent: if purchase {
                    number("purchase_sample_percent")?
                } else {
                    None
                },
                delay_hours: whole(&format!("{key}_delay_hours"))?,
                max_age_days: if purchase {
                    whole("purchase_max_age_days")?
                } else {
                    None
                },
            });
        }
        apply(
            &state,
            TriggerSettingsIn {
                triggers,
                seed: field(&fields, "seed").map(str::to_owned),
                require_consent: Some(field(&fields, "require_consent") == Some("on")),
            },
        )
        .await
    }
    .await;
    match result {
        Ok(()) => render(&ctx, &state, true).await,
        Err(e) => error_page(ctx.lang, &e),
    }
}
