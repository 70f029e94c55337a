//! The automatic survey triggers' settings (`GET/PUT /api/v1/survey-triggers`) and what
//! they did (`GET /api/v1/survey-triggers/log`): after a purchase (sampled), on entering
//! the at-risk stage, on becoming lost. Managers and admins. The triggers themselves run in
//! [`crate::survey_triggers`].

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use comeback_store::{InvitationTrigger, StoreError, TriggerLogEntry, TriggerSettings};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::RequireManager;
use crate::error::{ApiError, ErrorBody, FieldProblem, Json, Query};

/// A trigger that fires by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AutoTrigger {
    /// After a purchase (sampled).
    Purchase,
    /// A customer entered the at-risk stage.
    AtRisk,
    /// A customer became lost (an exit interview).
    Lost,
}

impl From<AutoTrigger> for InvitationTrigger {
    fn from(t: AutoTrigger) -> Self {
        match t {
            AutoTrigger::Purchase => InvitationTrigger::Purchase,
            AutoTrigger::AtRisk => InvitationTrigger::AtRisk,
            AutoTrigger::Lost => InvitationTrigger::Lost,
        }
    }
}

/// New settings of one trigger; a field left out keeps its stored value.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerIn {
    /// Which trigger.
    pub trigger: AutoTrigger,
    /// Whether it fires (an enabled trigger needs a survey).
    pub enabled: Option<bool>,
    /// The survey it sends, by name (the active version at the time of sending); `lost`
    /// needs an exit interview. `null` clears it.
    #[schema(min_length = 1, max_length = 200)]
    #[serde(default, deserialize_with = "double_option")]
    pub survey: Option<Option<String>>,
    /// After-purchase: the percentage of purchase days invited, 0–100 (rounded to 0.01).
    #[schema(minimum = 0, maximum = 100)]
    pub sample_percent: Option<f64>,
    /// Hours between the occasion and the invitation, 0–2160.
    #[schema(minimum = 0, maximum = 2160)]
    pub delay_hours: Option<u32>,
    /// After-purchase: purchases older than this many days do not count, 1–365.
    #[schema(minimum = 1, maximum = 365)]
    pub max_age_days: Option<u32>,
}

/// `survey` absent (keep) vs `null` (clear) vs a name.
fn double_option<'de, D>(d: D) -> Result<Option<Option<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Some(Option::deserialize(d)?))
}

/// New trigger settings: all or nothing.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerSettingsIn {
    /// The triggers to change (at most one entry per trigger).
    #[serde(default)]
    #[schema(max_items = 3)]
    pub triggers: Vec<TriggerIn>,
    /// The seed of the after-purchase sample (1–200 bytes): the same seed draws the same
    /// purchases.
    #[schema(min_length = 1, max_length = 200)]
    pub seed: Option<String>,
    /// Invite only customers who gave their consent (opted in); default false.
    pub require_consent: Option<bool>,
}

/// One trigger's settings and what it did so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TriggerOut {
    /// `purchase`, `at_risk` or `lost`.
    pub trigger: String,
    /// Whether it fires.
    pub enabled: bool,
    /// The survey it sends (name).
    pub survey: Option<String>,
    /// The percentage of purchase days invited (100 for the stage triggers).
    pub sample_percent: f64,
    /// Hours between the occasion and the invitation.
    pub delay_hours: u32,
    /// After-purchase: the oldest purchase that counts, in days.
    pub max_age_days: u32,
    /// Last changed (UTC); absent while never set.
    pub updated_at: Option<DateTime<Utc>>,
    /// Occasions waiting for their delay.
    pub pending: u64,
    /// Occasions that became invitations.
    pub invited: u64,
    /// Occasions skipped (see the log for the reasons).
    pub skipped: u64,
}

/// Every trigger's settings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TriggerSettingsOut {
    /// `purchase`, `at_risk`, `lost`.
    pub triggers: Vec<TriggerOut>,
    /// The seed of the after-purchase sample: a purchase day is invited when the first 8
    /// bytes of SHA-256(`"{seed}\n{customer}\n{YYYY-MM-DD}"`), big-endian, modulo 10,000,
    /// are below the percentage × 100.
    pub seed: String,
    /// Only customers who opted in are invited.
    pub require_consent: bool,
}

/// The log's filters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// Only this trigger: `purchase`, `at_risk` or `lost`.
    pub trigger: Option<String>,
    /// Only this state: `pending`, `invited` or `skipped`.
    pub state: Option<String>,
    /// At most this many, 1–1000 (default 100).
    pub limit: Option<u32>,
}

/// One triggered occasion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TriggerLogItem {
    /// `purchase`, `at_risk` or `lost`.
    pub trigger: String,
    /// The customer's external id (absent once erased).
    pub customer: Option<String>,
    /// After-purchase: the purchase's local day.
    pub purchase_day: Option<NaiveDate>,
    /// Due (UTC).
    pub due_at: DateTime<Utc>,
    /// `pending`, `invited` or `skipped`.
    pub state: String,
    /// Why it was skipped: `disabled`, `no_survey`, `not_exit_interview`, `erased`,
    /// `opted_out`, `no_consent`, `left_stage`, `throttled`.
    pub reason: Option<String>,
    /// The survey sent (name) and its version.
    pub survey: Option<String>,
    /// The survey's version.
    pub survey_version: Option<i64>,
    /// Queued (UTC).
    pub created_at: DateTime<Utc>,
    /// Invited or skipped at (UTC).
    pub processed_at: Option<DateTime<Utc>>,
}

/// The triggered occasions, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TriggerLog {
    /// Newest first.
    pub items: Vec<TriggerLogItem>,
}

/// Every trigger's settings with its counts.
pub(crate) async fn settings_out(state: &AppState) -> Result<TriggerSettingsOut, ApiError> {
    let settings = state.store.survey_trigger_settings().await?;
    let counts = state.store.survey_trigger_counts().await?;
    let count = |t: InvitationTrigger, s: &str| {
        counts
            .iter()
            .filter(|c| c.0 == t && c.1 == s)
            .map(|c| c.2)
            .sum::<u64>()
    };
    Ok(TriggerSettingsOut {
        triggers: settings
            .into_iter()
            .map(|s| TriggerOut {
                trigger: s.trigger.as_str().to_owned(),
                enabled: s.enabled,
                survey: s.survey,
                sample_percent: f64::from(s.sample_basis_points) / 100.0,
                delay_hours: s.delay_hours,
                max_age_days: s.max_age_days,
                updated_at: s.updated_at,
                pending: count(s.trigger, "pending"),
                invited: count(s.trigger, "invited"),
                skipped: count(s.trigger, "skipped"),
            })
            .collect(),
        seed: state.store.survey_trigger_seed().await?,
        require_consent: state.store.survey_trigger_requires_consent().await?,
    })
}

/// A text setting's problem, if any: 1–200 bytes, no control characters.
fn text_problem(v: &str) -> Option<&'static str> {
    if v.is_empty() || v.len() > 200 {
        Some("must be 1-200 bytes")
    } else if v.chars().any(char::is_control) || v.trim() != v {
        Some("must have no control characters or surrounding spaces")
    } else {
        None
    }
}

/// Applies `body` to the stored settings: all or nothing, each problem naming its field
/// (`triggers[0].survey`, `seed`, ...).
pub(crate) async fn apply(state: &AppState, body: TriggerSettingsIn) -> Result<(), ApiError> {
    let current = state.store.survey_trigger_settings().await?;
    let mut problems = Vec::new();
    let mut problem = |field: String, message: &str| {
        problems.push(FieldProblem {
            field,
            message: message.to_owned(),
        });
    };
    if body.triggers.len() > 3 {
        problem("triggers".to_owned(), "at most one entry per trigger (3)");
    }
    if let Some(seed) = &body.seed
        && let Some(p) = text_problem(seed)
    {
        problem("seed".to_owned(), p);
    }
    let mut new = Vec::new();
    for (i, t) in body.triggers.iter().enumerate() {
        let f = |name: &str| format!("triggers[{i}].{name}");
        let trigger = InvitationTrigger::from(t.trigger);
        let mut s = current
            .iter()
            .find(|c| c.trigger == trigger)
            .cloned()
            .unwrap_or_else(|| TriggerSettings::default_for(trigger));
        if let Some(e) = t.enabled {
            s.enabled = e;
        }
        if let Some(name) = &t.survey {
            if let Some(n) = name
                && let Some(p) = text_problem(n)
            {
                problem(f("survey"), p);
            }
            s.survey.clone_from(name);
        }
        if let Some(p) = t.sample_percent {
            if !(0.0..=100.0).contains(&p) {
                problem(f("sample_percent"), "must be 0 to 100");
            } else if trigger != InvitationTrigger::Purchase && p != 100.0 {
                problem(
                    f("sample_percent"),
                    "only the purchase trigger samples (100 for the others)",
                );
            } else {
                // In range: 0–10,000 after rounding.
                s.sample_basis_points = (p * 100.0).round() as u32;
            }
        }
        if let Some(d) = t.delay_hours {
            if d > comeback_store::MAX_TRIGGER_DELAY_HOURS {
                problem(f("delay_hours"), "must be 0 to 2160 (90 days)");
            }
            s.delay_hours = d;
        }
        if let Some(d) = t.max_age_days {
            if !(1..=comeback_store::MAX_PURCHASE_AGE_DAYS).contains(&d) {
                problem(f("max_age_days"), "must be 1 to 365");
            }
            s.max_age_days = d;
        }
        new.push(s);
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    match state
        .store
        .set_survey_triggers(&new, body.seed.as_deref(), body.require_consent, Utc::now())
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::Rejected { rows }) => Err(invalid(
            rows.into_iter()
                .map(|r| FieldProblem {
                    field: format!("triggers[{}].{}", r.index, r.field),
                    message: r.message,
                })
                .collect(),
        )),
        Err(e) => Err(e.into()),
    }
}

fn invalid(fields: Vec<FieldProblem>) -> ApiError {
    let message = fields
        .iter()
        .map(|p| format!("invalid {}: {}", p.field, p.message))
        .collect::<Vec<_>>()
        .join("; ");
    ApiError::Invalid {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        message,
        fields,
    }
}

/// The settings of the automatic survey triggers, with how many occasions each has
/// pending, invited and skipped.
#[utoipa::path(get, path = "/api/v1/survey-triggers", tag = "surveys",
    responses((status = 200, description = "the settings", body = TriggerSettingsOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody)))]
pub async fn get(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
) -> Result<Json<TriggerSettingsOut>, ApiError> {
    Ok(Json(settings_out(&state).await?))
}

/// Changes the settings of the automatic survey triggers: the triggers listed (fields left
/// out keep their values), the sample's seed, whether consent is required. All or nothing.
#[utoipa::path(put, path = "/api/v1/survey-triggers", tag = "surveys",
    request_body = TriggerSettingsIn,
    responses((status = 200, description = "stored; every trigger's settings", body = TriggerSettingsOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 422, description = "a bad value or an unknown survey, each named by its field", body = ErrorBody)))]
pub async fn put(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Json(body): Json<TriggerSettingsIn>,
) -> Result<Json<TriggerSettingsOut>, ApiError> {
    apply(&state, body).await?;
    Ok(Json(settings_out(&state).await?))
}

/// What the triggers did: each occasion (a sampled purchase day, the start of an at-risk
/// or lost episode) pending, invited or skipped with the reason, newest first.
#[utoipa::path(get, path = "/api/v1/survey-triggers/log", tag = "surveys",
    params(LogParams),
    responses((status = 200, description = "the occasions", body = TriggerLog),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody),
              (status = 422, description = "an unknown trigger or state, limit out of range", body = ErrorBody)))]
pub async fn log(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Query(p): Query<LogParams>,
) -> Result<Json<TriggerLog>, ApiError> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            format!("{limit} is not in 1-1000"),
        ));
    }
    let trigger = match p.trigger.as_deref() {
        None => None,
        Some(t) => Some(
            InvitationTrigger::parse(t)
                .filter(|t| *t != InvitationTrigger::Manual)
                .ok_or_else(|| {
                    ApiError::invalid_field("trigger", "must be purchase, at_risk or lost")
                })?,
        ),
    };
    let st = match p.state.as_deref() {
        None => None,
        Some(s @ ("pending" | "invited" | "skipped")) => Some(s),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "state",
                "must be pending, invited or skipped",
            ));
        }
    };
    let items = state.store.survey_trigger_log(trigger, st, limit).await?;
    Ok(Json(TriggerLog {
        items: items.into_iter().map(log_item).collect(),
    }))
}

pub(crate) fn log_item(e: TriggerLogEntry) -> TriggerLogItem {
    TriggerLogItem {
        trigger: e.trigger.as_str().to_owned(),
        customer: e.customer,
        purchase_day: e.purchase_day,
        due_at: e.due_at,
        state: e.state,
        reason: e.reason,
        survey: e.survey,
        survey_version: e.survey_version,
        created_at: e.created_at,
        processed_at: e.processed_at,
    }
}
