//! Surveys (issue 8): definitions (`GET/POST /api/v1/surveys`), invitations with signed
//! links (`POST/GET /api/v1/surveys/{id}/invitations`, CSV of the links for a mailing tool
//! at `/api/v1/surveys/{id}/links.csv`), responses collected elsewhere
//! (`POST /api/v1/surveys/{id}/responses/import`, CSV), survey consent
//! (`PUT /api/v1/customers/{id}/survey-consent`), invitations chosen by a trigger from the
//! latest analysis (`POST /api/v1/surveys/{id}/invitations/trigger`) and the follow-ups of
//! detractors (`GET /api/v1/survey-followups`, `POST .../{id}/close`). Managers and admins; a manager sees the follow-ups of
//! their locations (and those without one).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use comeback_store::{
    ImportedResponse, Invitation, InvitationTrigger, NewInvitations, NewSurvey, ResponseInput,
    Role, Survey, SurveyKind,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::RequireManager;
use crate::error::{ApiError, ErrorBody, Json, Path, RowProblem};
use crate::surveys::{follow_up, parse_answer_to};

/// A survey kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindIn {
    /// NPS: "how likely are you to recommend…" 0–10, and "why?".
    Nps,
    /// CSAT 1–5 and a comment.
    Csat,
    /// CES 1–7 and a comment.
    Ces,
    /// The five service dimensions, each 1–5.
    Dimensions,
    /// The report card of an employee: four criteria 1–5.
    ReportCard,
    /// The open questionnaire (five open questions).
    Questionnaire,
    /// The exit interview: the seven reasons, an open answer, "what would bring you back?".
    Exit,
}

impl From<KindIn> for SurveyKind {
    fn from(k: KindIn) -> Self {
        match k {
            KindIn::Nps => SurveyKind::Nps,
            KindIn::Csat => SurveyKind::Csat,
            KindIn::Ces => SurveyKind::Ces,
            KindIn::Dimensions => SurveyKind::Dimensions,
            KindIn::ReportCard => SurveyKind::ReportCard,
            KindIn::Questionnaire => SurveyKind::Questionnaire,
            KindIn::Exit => SurveyKind::Exit,
        }
    }
}

/// A survey definition; an existing name gets a new version.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyIn {
    /// The name, 1–200 bytes without control characters or surrounding spaces.
    #[schema(min_length = 1, max_length = 200, example = "Store NPS")]
    pub name: String,
    /// What it asks.
    pub kind: KindIn,
    /// Store every answer without invitation and customer (default false).
    #[serde(default)]
    pub anonymous: bool,
    /// Custom questions of this version (1–30): each `{"id", "text": {"fi": "…", …}}`.
    /// For an open questionnaire they are the questions asked (the first is the verbatim);
    /// for service dimensions, the dimensions rated 1–5 (plus the open `comment`); for the
    /// other kinds only the built-in questions' texts change (ids `recommend`, `why`, …).
    /// A language left out falls back to the built-in text (for a new question: English,
    /// then any text given). Texts are 1–500 characters; languages en, es, pt, fi, de, fr.
    #[schema(max_items = 30)]
    pub questions: Option<Vec<CustomQuestionIn>>,
}

/// One custom question of a survey version.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomQuestionIn {
    /// The id (form field, answer key, import column): `a`–`z` first, then up to 39 of
    /// `a`–`z`, `0`–`9`, `_`; a built-in id (`recommend`, `why`, `reliability`, …) keeps
    /// its built-in texts for the languages not given.
    #[schema(min_length = 1, max_length = 40, example = "visit")]
    pub id: String,
    /// Language code → text.
    #[serde(default)]
    pub text: std::collections::BTreeMap<String, String>,
}

/// One question of a survey version, with its texts in the six languages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionOut {
    /// Its id.
    pub id: String,
    /// `scale`, `choice` or `text`.
    pub kind: String,
    /// Lowest value of a scale.
    pub min: Option<i64>,
    /// Highest value of a scale.
    pub max: Option<i64>,
    /// Language code → the text shown (custom, else built in).
    pub text: std::collections::BTreeMap<String, String>,
}

/// A stored survey version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyOut {
    /// The version's id (invitations are made for one version).
    pub id: i64,
    /// The name shared by the versions.
    pub name: String,
    /// 1, 2, …
    pub version: i64,
    /// `nps`, `csat`, `ces`, `dimensions`, `report_card`, `questionnaire` or `exit`.
    pub kind: String,
    /// Answers are stored without invitation and customer.
    pub anonymous: bool,
    /// Only the newest version of a name takes new invitations.
    pub active: bool,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Whether this version has custom questions or texts.
    pub custom: bool,
    /// The questions this version asks, with their texts.
    pub questions: Vec<QuestionOut>,
}

impl From<Survey> for SurveyOut {
    fn from(s: Survey) -> Self {
        let questions = crate::surveys::questions_for(&s)
            .into_iter()
            .map(|q| {
                let (kind, min, max) = match &q {
                    crate::surveys::Question::Scale { min, max, .. } => {
                        ("scale", Some(*min), Some(*max))
                    }
                    crate::surveys::Question::Choice { .. } => ("choice", None, None),
                    crate::surveys::Question::Text { .. } => ("text", None, None),
                };
                let text = comeback_report::Lang::ALL
                    .iter()
                    .map(|l| {
                        let t = crate::surveys::question_label(&s, q.id(), *l, |key| {
                            crate::dashboard::catalog::message(*l, "survey", key, &[])
                        });
                        (l.code().to_owned(), t)
                    })
                    .collect();
                QuestionOut {
                    id: q.id().to_owned(),
                    kind: kind.to_owned(),
                    min,
                    max,
                    text,
                }
            })
            .collect();
        SurveyOut {
            id: s.id,
            custom: s.definition.is_some(),
            name: s.name,
            version: s.version,
            kind: s.kind.as_str().to_owned(),
            anonymous: s.anonymous,
            active: s.active,
            created_at: s.created_at,
            questions,
        }
    }
}

/// The definition of `questions` for a survey of `kind`, validated (422 naming each bad
/// field, `questions[1].text.fi`).
pub(crate) fn definition(
    kind: SurveyKind,
    questions: Option<Vec<CustomQuestionIn>>,
) -> Result<Option<String>, ApiError> {
    let Some(questions) = questions else {
        return Ok(None);
    };
    let def = crate::surveys::SurveyDefinition {
        questions: questions
            .into_iter()
            .map(|q| crate::surveys::CustomQuestion {
                id: q.id,
                text: q.text,
            })
            .collect(),
    };
    if let Err(problems) = def.validate(kind) {
        let fields: Vec<crate::error::FieldProblem> = problems
            .into_iter()
            .map(|(field, message)| crate::error::FieldProblem { field, message })
            .collect();
        let message = fields
            .iter()
            .map(|p| format!("invalid {}: {}", p.field, p.message))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::Invalid {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message,
            fields,
        });
    }
    serde_json::to_string(&def)
        .map(Some)
        .map_err(|e| ApiError::Internal(format!("survey definition: {e}")))
}

/// Every survey version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyList {
    /// By name, then version.
    pub items: Vec<SurveyOut>,
}

/// Why customers are invited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerIn {
    /// Chosen by a person or a script.
    #[default]
    Manual,
    /// After a purchase (the caller samples).
    Purchase,
    /// The customer entered the at-risk stage.
    AtRisk,
    /// The customer became lost (send the exit interview).
    Lost,
}

impl From<TriggerIn> for InvitationTrigger {
    fn from(t: TriggerIn) -> Self {
        match t {
            TriggerIn::Manual => InvitationTrigger::Manual,
            TriggerIn::Purchase => InvitationTrigger::Purchase,
            TriggerIn::AtRisk => InvitationTrigger::AtRisk,
            TriggerIn::Lost => InvitationTrigger::Lost,
        }
    }
}

/// Customers to invite.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationsIn {
    /// External ids of the customers (1–10,000). Customers who opted out, were invited to
    /// any survey within the server's minimum gap (default 90 days) or are unknown are
    /// skipped, with the reason.
    #[schema(min_items = 1, max_items = 10000)]
    pub customers: Vec<String>,
    /// Why (default `manual`).
    #[serde(default)]
    pub trigger: TriggerIn,
    /// The location (code) the answers are about; its managers get the follow-ups.
    #[schema(min_length = 1, max_length = 200)]
    pub location: Option<String>,
    /// The employee (code) the answers are about (report cards).
    #[schema(min_length = 1, max_length = 200)]
    pub employee: Option<String>,
}

/// One invitation and its links.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationOut {
    /// Customer external id (absent once erased).
    pub customer: Option<String>,
    /// `sent`, `answered`, `declined` or `ignored` (expired unanswered).
    pub state: String,
    /// `manual`, `purchase`, `at_risk` or `lost`.
    pub trigger: String,
    /// The signed survey link (absent once the customer is erased).
    pub link: Option<String>,
    /// The unsubscribe link that goes with every invitation.
    pub unsubscribe_link: Option<String>,
    /// Sent (UTC).
    pub created_at: DateTime<Utc>,
    /// The link is refused after this instant (UTC).
    pub expires_at: DateTime<Utc>,
    /// Answered, declined or ignored at (UTC).
    pub closed_at: Option<DateTime<Utc>>,
}

/// A customer who was not invited.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Skipped {
    /// The external id as given.
    pub customer: String,
    /// `unknown_customer`, `opted_out`, `throttled` or `repeated`.
    pub reason: String,
}

/// What an invitation request did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationsOut {
    /// The invitations made.
    pub created: Vec<InvitationOut>,
    /// The customers skipped and why.
    pub skipped: Vec<Skipped>,
}

/// Every invitation of a survey version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationList {
    /// Oldest first.
    pub items: Vec<InvitationOut>,
}

/// What an import stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportOut {
    /// Responses stored.
    pub imported: u64,
    /// Follow-ups created (detractors, low report-card scores).
    pub follow_ups: u64,
}

/// A customer's survey consent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentIn {
    /// True: never invite this customer to a survey again (until set back to false).
    pub opted_out: bool,
}

/// A customer's stored survey consent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentOut {
    /// The customer's external id.
    pub customer: String,
    /// Whether the customer opted out.
    pub opted_out: bool,
    /// When this was recorded (UTC).
    pub changed_at: DateTime<Utc>,
}

/// A follow-up item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpOut {
    /// Its id.
    pub id: i64,
    /// `detractor` (NPS 0–6) or `low_report_card` (a criterion at 1 or 2 of 5).
    pub reason: String,
    /// `open` or `closed`.
    pub state: String,
    /// The survey's name.
    pub survey: String,
    /// The customer's external id (absent when anonymous or erased).
    pub customer: Option<String>,
    /// The location code (its managers are responsible).
    pub location: Option<String>,
    /// The main score.
    pub score: Option<i64>,
    /// The open answer.
    pub comment: Option<String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// The reference of the recovery case opened from it
    /// (`POST /api/v1/survey-followups/{id}/complaint`), if any.
    pub complaint: Option<String>,
}

/// Follow-up items, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpList {
    /// Newest first.
    pub items: Vec<FollowUpOut>,
}

/// The base URL of links: `--public-url`, else `http://` + the request's Host.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.settings.public_url {
        return u.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// A location or employee code of an invitation request: 1–200 bytes without control
/// characters or surrounding spaces (a 422 naming the field otherwise, before the store).
fn check_codes(location: Option<&str>, employee: Option<&str>) -> Result<(), ApiError> {
    for (field, v) in [("location", location), ("employee", employee)] {
        if let Some(v) = v
            && (v.is_empty() || v.len() > 200 || v.chars().any(char::is_control) || v.trim() != v)
        {
            return Err(ApiError::invalid_field(
                field,
                "must be 1-200 bytes without control characters or surrounding spaces",
            ));
        }
    }
    Ok(())
}

/// An unknown location or employee of an invitation request is a 422 on that field (the
/// survey itself exists).
fn unknown_code(e: comeback_store::StoreError) -> ApiError {
    match e {
        comeback_store::StoreError::NotFound { what, key }
            if what == "location" || what == "employee" =>
        {
            ApiError::invalid_field(what, format!("unknown {what} {key:?}"))
        }
        other => other.into(),
    }
}

/// Fires `survey.invited` for each invitation made (links under `base`).
pub(crate) fn announce(state: &AppState, base: &str, made: &[Invitation]) {
    for i in made {
        state.webhooks.fire(
            crate::webhooks::EventKind::SurveyInvited,
            crate::survey_triggers::invitation_data(&state.surveys, Some(base), i),
        );
    }
}

pub(crate) fn invitation_out(state: &AppState, base: &str, i: Invitation) -> InvitationOut {
    let token = state.surveys.token(&i);
    InvitationOut {
        customer: i.customer,
        state: i.state.as_str().to_owned(),
        trigger: i.trigger.as_str().to_owned(),
        link: token.as_ref().map(|t| format!("{base}/s/{t}")),
        unsubscribe_link: token.as_ref().map(|t| format!("{base}/s/{t}/unsubscribe")),
        created_at: i.created_at,
        expires_at: i.expires_at,
        closed_at: i.closed_at,
    }
}

/// Creates a survey, or the next version of one with the same name.
#[utoipa::path(post, path = "/api/v1/surveys", tag = "surveys", request_body = SurveyIn,
    responses((status = 201, description = "created", body = SurveyOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 422, description = "bad name, kind or custom question (each named by its field)", body = ErrorBody)))]
pub async fn create(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Json(body): Json<SurveyIn>,
) -> Result<(StatusCode, Json<SurveyOut>), ApiError> {
    let kind: SurveyKind = body.kind.into();
    let definition = definition(kind, body.questions)?;
    let s = state
        .store
        .create_survey(&NewSurvey {
            name: body.name,
            kind,
            anonymous: body.anonymous,
            definition,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

/// Every survey version.
#[utoipa::path(get, path = "/api/v1/surveys", tag = "surveys",
    responses((status = 200, description = "every survey version", body = SurveyList),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody)))]
pub async fn list(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
) -> Result<Json<SurveyList>, ApiError> {
    let items = state.store.list_surveys().await?;
    Ok(Json(SurveyList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Invites customers to a survey version: one signed link each (valid for the server's
/// link lifetime, default 30 days), skipping customers who opted out, were invited to any
/// survey within the minimum gap (default 90 days) or are unknown.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/invitations", tag = "surveys",
    request_body = InvitationsIn,
    params(("id" = i64, Path, description = "survey version id")),
    responses((status = 201, description = "invitations made and customers skipped", body = InvitationsOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 404, description = "no such survey", body = ErrorBody),
              (status = 409, description = "not the active version of the survey", body = ErrorBody),
              (status = 422, description = "no customers or too many; a bad or unknown location or employee", body = ErrorBody)))]
pub async fn invite(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<InvitationsIn>,
) -> Result<(StatusCode, Json<InvitationsOut>), ApiError> {
    if body.customers.is_empty() || body.customers.len() > 10_000 {
        return Err(ApiError::invalid_field(
            "customers",
            format!("must hold 1 to 10000 ids, not {}", body.customers.len()),
        ));
    }
    check_codes(body.location.as_deref(), body.employee.as_deref())?;
    let s = &state.settings.surveys;
    let (made, skipped) = state
        .store
        .create_invitations(&NewInvitations {
            survey_id: id,
            customers: body.customers,
            trigger: body.trigger.into(),
            location: body.location,
            employee: body.employee,
            now: Utc::now(),
            valid_for: chrono::Duration::days(i64::from(s.survey_link_days)),
            min_days_between: s.survey_min_days,
        })
        .await
        .map_err(unknown_code)?;
    let base = base_url(&state, &headers);
    announce(&state, &base, &made);
    Ok((
        StatusCode::CREATED,
        Json(InvitationsOut {
            created: made
                .into_iter()
                .map(|i| invitation_out(&state, &base, i))
                .collect(),
            skipped: skipped.into_iter().map(skipped_out).collect(),
        }),
    ))
}

/// What chooses the customers of a triggered invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// Customers whose last purchase is on or after `since`.
    Purchase,
    /// Customers in the at-risk lifecycle stage of the latest analysis.
    AtRisk,
    /// Customers in the lost stage of the latest analysis (the survey must be an exit
    /// interview).
    Lost,
}

/// Invitations for the customers a trigger chooses from the latest analysis.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggeredIn {
    /// Which customers.
    pub trigger: TriggerKind,
    /// For `purchase`: the first day (`YYYY-MM-DD`) of the purchases that count; default
    /// the last day of the data.
    pub since: Option<chrono::NaiveDate>,
    /// The percentage of the chosen customers invited, drawn at random (1–100; default 10
    /// for `purchase`, 100 otherwise).
    #[schema(minimum = 1, maximum = 100)]
    pub sample_percent: Option<u32>,
    /// The location (code) the answers are about.
    #[schema(min_length = 1, max_length = 200)]
    pub location: Option<String>,
    /// The employee (code) the answers are about.
    #[schema(min_length = 1, max_length = 200)]
    pub employee: Option<String>,
}

/// What a triggered invitation did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TriggeredOut {
    /// Customers the trigger chose (before sampling).
    pub chosen: u64,
    /// Customers drawn by the sample (invited or skipped).
    pub sampled: u64,
    /// The invitations made.
    pub created: Vec<InvitationOut>,
    /// The customers skipped and why (`opted_out`, `throttled`, `unknown_customer`).
    pub skipped: Vec<Skipped>,
}

/// Invites the customers a trigger chooses from the latest analysis: after a purchase
/// (last purchase on or after `since`, sampled, 10 % by default), on entering the at-risk
/// stage, or on becoming lost (an exit interview). The throttle and the opt-outs apply as
/// for a list; at most 10,000 customers after sampling.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/invitations/trigger", tag = "surveys",
    request_body = TriggeredIn,
    params(("id" = i64, Path, description = "survey version id")),
    responses((status = 201, description = "invitations made and customers skipped", body = TriggeredOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 404, description = "no such survey", body = ErrorBody),
              (status = 409, description = "not the active version of the survey", body = ErrorBody),
              (status = 422, description = "a bad sample, a lost trigger for a survey that is not an exit interview, more than 10,000 customers, a bad or unknown location or employee", body = ErrorBody),
              (status = 503, description = "no analysis yet", body = ErrorBody)))]
pub async fn trigger(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<TriggeredIn>,
) -> Result<(StatusCode, Json<TriggeredOut>), ApiError> {
    let survey = state.store.survey(id).await?;
    check_codes(body.location.as_deref(), body.employee.as_deref())?;
    if body.trigger == TriggerKind::Lost && survey.kind != SurveyKind::Exit {
        return Err(ApiError::invalid_field(
            "trigger",
            format!(
                "lost customers get an exit interview; survey {:?} is {}",
                survey.name,
                survey.kind.as_str()
            ),
        ));
    }
    let percent = body.sample_percent.unwrap_or(match body.trigger {
        TriggerKind::Purchase => 10,
        _ => 100,
    });
    if !(1..=100).contains(&percent) {
        return Err(ApiError::invalid_field(
            "sample_percent",
            format!("{percent} is not 1 to 100"),
        ));
    }
    let (n_chosen, chosen) = choose(&state, body.trigger, body.since, percent)?;
    let sampled = chosen.len() as u64;
    let (made, skipped) = if chosen.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let s = &state.settings.surveys;
        state
            .store
            .create_invitations(&NewInvitations {
                survey_id: id,
                customers: chosen,
                trigger: match body.trigger {
                    TriggerKind::Purchase => InvitationTrigger::Purchase,
                    TriggerKind::AtRisk => InvitationTrigger::AtRisk,
                    TriggerKind::Lost => InvitationTrigger::Lost,
                },
                location: body.location,
                employee: body.employee,
                now: Utc::now(),
                valid_for: chrono::Duration::days(i64::from(s.survey_link_days)),
                min_days_between: s.survey_min_days,
            })
            .await
            .map_err(unknown_code)?
    };
    let base = base_url(&state, &headers);
    announce(&state, &base, &made);
    Ok((
        StatusCode::CREATED,
        Json(TriggeredOut {
            chosen: n_chosen,
            sampled,
            created: made
                .into_iter()
                .map(|i| invitation_out(&state, &base, i))
                .collect(),
            skipped: skipped.into_iter().map(skipped_out).collect(),
        }),
    ))
}

/// The customers `trigger` chooses from the latest analysis, then a random `percent` of
/// them: (chosen before sampling, the sample).
///
/// # Errors
/// [`ApiError::Unavailable`] before the first analysis; [`ApiError::Invalid`] for more than
/// 10,000 after sampling.
pub(crate) fn choose(
    state: &AppState,
    trigger: TriggerKind,
    since: Option<chrono::NaiveDate>,
    percent: u32,
) -> Result<(u64, Vec<String>), ApiError> {
    use comeback_core::LifecycleStage;
    let snap = state
        .scores
        .current()
        .ok_or_else(|| ApiError::Unavailable("scores are not computed yet".to_owned()))?;
    let a = &snap.analysis;
    let since = match since {
        Some(d) => comeback_core::Day::from_date(d),
        None => a.summary.observation_end,
    };
    let mut chosen = Vec::new();
    for i in 0..a.summary.customers.len() {
        let Some(c) = a.customer(i) else { continue };
        let take = match trigger {
            TriggerKind::Purchase => c.summary.last_purchase >= since,
            TriggerKind::AtRisk => c.lifecycle_stage == LifecycleStage::AtRisk,
            TriggerKind::Lost => c.lifecycle_stage == LifecycleStage::Lost,
        };
        if take {
            chosen.push(c.summary.customer_id.to_string());
        }
    }
    let n_chosen = chosen.len() as u64;
    if percent < 100 {
        let mut noise = vec![0u8; 4 * chosen.len()];
        getrandom::fill(&mut noise)
            .map_err(|e| ApiError::Internal(format!("no system randomness: {e}")))?;
        let mut k = 0;
        chosen.retain(|_| {
            let r = u32::from_le_bytes([noise[k], noise[k + 1], noise[k + 2], noise[k + 3]]);
            k += 4;
            r % 100 < percent
        });
    }
    if chosen.len() > 10_000 {
        return Err(ApiError::invalid_field(
            "sample_percent",
            format!(
                "{} customers drawn, at most 10000 per request: lower the sample",
                chosen.len()
            ),
        ));
    }
    Ok((n_chosen, chosen))
}

pub(crate) fn skipped_out((customer, r): (String, comeback_store::SkipReason)) -> Skipped {
    Skipped {
        customer,
        reason: serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
    }
}

/// Closes a follow-up item (a manager of its location, or an admin).
#[utoipa::path(post, path = "/api/v1/survey-followups/{id}/close", tag = "surveys",
    params(("id" = i64, Path, description = "follow-up id")),
    responses((status = 200, description = "closed", body = FollowUpOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 404, description = "no such follow-up (or not one of the manager's locations)", body = ErrorBody),
              (status = 409, description = "already closed", body = ErrorBody)))]
pub async fn close_followup(
    RequireManager(user): RequireManager,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<FollowUpOut>, ApiError> {
    let scope = (user.role != Role::Admin).then_some(user.locations.as_slice());
    let visible = state
        .store
        .list_followups(scope)
        .await?
        .into_iter()
        .any(|f| f.id == id);
    if !visible {
        return Err(ApiError::NotFound {
            what: "follow-up",
            key: id.to_string(),
        });
    }
    let f = state.store.close_followup(id, Utc::now()).await?;
    Ok(Json(followup_out(f)))
}

fn followup_out(f: comeback_store::FollowUp) -> FollowUpOut {
    FollowUpOut {
        id: f.id,
        reason: f.reason,
        state: f.state,
        survey: f.survey,
        customer: f.customer,
        location: f.location,
        score: f.score,
        comment: f.comment,
        created_at: f.created_at,
        complaint: f.complaint,
    }
}

/// Every invitation of a survey version with its state and links (expired unanswered
/// invitations are recorded as `ignored` first).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/invitations", tag = "surveys",
    params(("id" = i64, Path, description = "survey version id")),
    responses((status = 200, description = "the invitations", body = InvitationList),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody),
              (status = 404, description = "no such survey", body = ErrorBody)))]
pub async fn invitations(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Json<InvitationList>, ApiError> {
    state.store.mark_ignored(Utc::now()).await?;
    let items = state.store.list_invitations(id).await?;
    let base = base_url(&state, &headers);
    Ok(Json(InvitationList {
        items: items
            .into_iter()
            .map(|i| invitation_out(&state, &base, i))
            .collect(),
    }))
}

/// The open invitations' links as CSV for a mailing tool: `customer,language,link,
/// unsubscribe_link,expires_at,trigger` (RFC 4180, UTF-8; cells that a spreadsheet would evaluate
/// are prefixed with `'`).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/links.csv", tag = "surveys",
    params(("id" = i64, Path, description = "survey version id")),
    responses((status = 200, description = "the links", body = String, content_type = "text/csv"),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody),
              (status = 404, description = "no such survey", body = ErrorBody)))]
pub async fn links_csv(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.store.mark_ignored(Utc::now()).await?;
    let items = state.store.list_invitations(id).await?;
    let base = base_url(&state, &headers);
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| ApiError::Internal(format!("csv: {e}"));
    w.write_record([
        "customer",
        "language",
        "link",
        "unsubscribe_link",
        "expires_at",
        "trigger",
    ])
    .map_err(csv_err)?;
    for i in items {
        if i.state != comeback_store::InvitationState::Sent {
            continue;
        }
        let lang = i.customer_language.clone().unwrap_or_default();
        let o = invitation_out(&state, &base, i);
        let (Some(c), Some(l), Some(u)) = (o.customer, o.link, o.unsubscribe_link) else {
            continue;
        };
        w.write_record([
            crate::dashboard::csv_text(&c),
            crate::dashboard::csv_text(&lang),
            l,
            u,
            o.expires_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            o.trigger,
        ])
        .map_err(csv_err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("csv: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"survey-links.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// Imports responses collected elsewhere (CSV with a header row; comma, semicolon or tab):
/// `submitted_at` (RFC 3339 or `YYYY-MM-DD`) is required; `customer` (external id; empty
/// for anonymous), `location`, `employee`, `language` are optional; every other column is a
/// question id of the survey's kind (`recommend`, `why`, `reasons` with `|` between
/// reasons, …). All rows or none: every bad row is reported with its line and column.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/responses/import", tag = "surveys",
    params(("id" = i64, Path, description = "survey version id")),
    request_body(content = String, content_type = "text/csv", description = "the responses"),
    responses((status = 200, description = "responses stored", body = ImportOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody),
              (status = 404, description = "no such survey", body = ErrorBody),
              (status = 422, description = "rows rejected (line and column each), nothing stored", body = ErrorBody)))]
pub async fn import(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<ImportOut>, ApiError> {
    let survey = state.store.survey(id).await?;
    let rows = parse_import(&survey, &body)?;
    let n = rows.len() as u64;
    let follow_ups = match state.store.import_responses(id, &rows, "import").await {
        Ok(f) => f,
        Err(comeback_store::StoreError::Rejected { rows: errors }) => {
            // The store numbers rows from 0; the file's line is row + 2 (after the header).
            return Err(ApiError::Rejected(
                errors
                    .into_iter()
                    .map(|e| RowProblem {
                        row: e.index + 2,
                        field: e.field.to_owned(),
                        message: format!(
                            "line {}: column \"{}\": {}",
                            e.index + 2,
                            e.field,
                            e.message
                        ),
                    })
                    .collect(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    for (row, f) in rows.iter().zip(&follow_ups) {
        if let Some(fid) = f {
            state.webhooks.fire(
                crate::webhooks::EventKind::SurveyDetractor,
                serde_json::json!({
                    "follow_up_id": fid,
                    "reason": row.input.follow_up.map(|r| r.as_str()),
                    "survey": survey.name,
                    "survey_version": survey.version,
                    "kind": survey.kind.as_str(),
                    "customer": row.customer,
                    "location": row.location,
                    "employee": row.employee,
                    "score": row.input.score,
                    "comment": row.input.comment,
                }),
            );
        }
    }
    Ok(Json(ImportOut {
        imported: n,
        follow_ups: follow_ups.iter().flatten().count() as u64,
    }))
}

/// Parses an import file: every row, or every problem with its line and column.
pub(crate) fn parse_import(
    survey: &Survey,
    body: &[u8],
) -> Result<Vec<ImportedResponse>, ApiError> {
    let kind = survey.kind;
    let questions = crate::surveys::questions_for(survey);
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::Rejected(vec![RowProblem {
            row: 0,
            field: String::new(),
            message: format!("the file is not utf-8 (byte {})", e.valid_up_to()),
        }])
    })?;
    let first = text.lines().next().unwrap_or("");
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let reject = |line: usize, field: &str, message: String| RowProblem {
        row: line,
        field: field.to_owned(),
        message: format!("line {line}: column \"{field}\": {message}"),
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::Rejected(vec![reject(1, "", e.to_string())]))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if !headers.iter().any(|h| h == "submitted_at") {
        return Err(ApiError::Rejected(vec![reject(
            1,
            "submitted_at",
            "missing column (required)".to_owned(),
        )]));
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(reject(line, "", e.to_string()));
                if problems.len() >= 100 {
                    break;
                }
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        // PostgreSQL refuses U+0000 in text: a row problem, never a database error.
        if let Some((h, _)) = headers
            .iter()
            .zip(record.iter())
            .find(|(_, v)| v.contains('\0'))
        {
            problems.push(reject(line, h, "contains a NUL character".to_owned()));
            continue;
        }
        let get = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let mut fields = Vec::new();
        for (h, v) in headers.iter().zip(record.iter()) {
            if h == "reasons" {
                for part in v.split('|') {
                    fields.push((h.clone(), part.trim().to_owned()));
                }
            } else {
                fields.push((h.clone(), v.to_owned()));
            }
        }
        let submitted_at = match get("submitted_at") {
            None => {
                problems.push(reject(line, "submitted_at", "empty".to_owned()));
                continue;
            }
            Some(v) => match DateTime::parse_from_rfc3339(&v) {
                Ok(t) => t.with_timezone(&Utc),
                Err(_) => match chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
                    Ok(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
                    Err(_) => {
                        problems.push(reject(
                            line,
                            "submitted_at",
                            format!("{v:?} is not an RFC 3339 time or YYYY-MM-DD date"),
                        ));
                        continue;
                    }
                },
            },
        };
        let parsed = match parse_answer_to(&questions, &fields, true) {
            Ok(p) => p,
            Err(ps) => {
                for p in ps {
                    problems.push(reject(line, &p.field, p.problem.replace('_', " ")));
                }
                continue;
            }
        };
        let language = get("language");
        if let Some(l) = &language
            && l.parse::<comeback_report::Lang>().is_err()
        {
            problems.push(reject(
                line,
                "language",
                format!("{l:?} is not one of en, es, pt, fi, de, fr"),
            ));
            continue;
        }
        let reason = follow_up(kind, &parsed);
        out.push(ImportedResponse {
            customer: get("customer"),
            location: get("location"),
            employee: get("employee"),
            input: ResponseInput {
                score: parsed.score,
                answers: serde_json::Value::Object(parsed.answers).to_string(),
                comment: parsed.comment,
                language,
                anonymous: get("customer").is_none(),
                follow_up: reason,
            },
            submitted_at,
        });
    }
    if !problems.is_empty() {
        return Err(ApiError::Rejected(problems));
    }
    if out.is_empty() {
        return Err(ApiError::Rejected(vec![reject(
            2,
            "",
            "no rows".to_owned(),
        )]));
    }
    Ok(out)
}

/// Records a customer's survey consent (opt-out or back in), with the time.
#[utoipa::path(put, path = "/api/v1/customers/{id}/survey-consent", tag = "surveys",
    request_body = ConsentIn,
    params(("id" = String, Path, description = "customer external id")),
    responses((status = 200, description = "recorded", body = ConsentOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 404, description = "no such customer", body = ErrorBody)))]
pub async fn consent(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Path(customer): Path<String>,
    Json(body): Json<ConsentIn>,
) -> Result<Json<ConsentOut>, ApiError> {
    if customer.is_empty() || customer.len() > 200 || customer.contains('\0') {
        return Err(ApiError::NotFound {
            what: "customer",
            key: customer.chars().take(100).collect(),
        });
    }
    state
        .store
        .set_survey_consent(&customer, body.opted_out, "api", Utc::now())
        .await?;
    let (opted_out, changed_at) = state
        .store
        .survey_consent(&customer)
        .await?
        .ok_or(ApiError::Internal("consent not stored".to_owned()))?;
    Ok(Json(ConsentOut {
        customer,
        opted_out,
        changed_at,
    }))
}

/// Follow-up items of detractors and low report-card scores, newest first; a manager sees
/// those of their locations and those without a location.
#[utoipa::path(get, path = "/api/v1/survey-followups", tag = "surveys",
    responses((status = 200, description = "the follow-ups", body = FollowUpList),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody)))]
pub async fn followups(
    RequireManager(user): RequireManager,
    State(state): State<AppState>,
) -> Result<Json<FollowUpList>, ApiError> {
    let scope = (user.role != Role::Admin).then_some(user.locations.as_slice());
    let items = state.store.list_followups(scope).await?;
    Ok(Json(FollowUpList {
        items: items.into_iter().map(followup_out).collect(),
    }))
}
