//! Surveys (issue 8, PRODUCT R6): versioned definitions, per-customer invitations with
//! throttling and opt-out, responses (drafts until submitted, anonymous or not, imported),
//! consent and the follow-ups of detractors and low report-card scores.
//!
//! The store keeps the facts; the server signs the links (the invitation's random `nonce`
//! is their public part), renders the pages and computes the statistics with
//! `comeback-voice`.

use chrono::{DateTime, Duration, Utc};

use crate::store::{BeginWrite, on_pool};
use crate::util::{from_micros, id_problem, random_hex, to_micros};
use crate::{RowError, Store, StoreError};

/// What a survey asks (PRODUCT R6). The questions of each kind are built in and translated
/// by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyKind {
    /// "How likely are you to recommend us to a friend or colleague?" 0–10, and "why?".
    Nps,
    /// Customer satisfaction, 1–5, and a comment.
    Csat,
    /// Customer effort, 1–7, and a comment.
    Ces,
    /// The five service dimensions (reliability, assurance, responsiveness, empathy,
    /// delight), each 1–5.
    Dimensions,
    /// The monthly report card of an employee: four criteria 1–5.
    ReportCard,
    /// The open questionnaire: why do you buy from us, how do we respond to your needs,
    /// how can we improve, what do you value about us and about our competition.
    Questionnaire,
    /// The exit interview: the seven reasons (multi-choice), an open answer and "what
    /// would bring you back?".
    Exit,
}

impl SurveyKind {
    /// Every kind.
    pub const ALL: [SurveyKind; 7] = [
        SurveyKind::Nps,
        SurveyKind::Csat,
        SurveyKind::Ces,
        SurveyKind::Dimensions,
        SurveyKind::ReportCard,
        SurveyKind::Questionnaire,
        SurveyKind::Exit,
    ];

    /// `nps`, `csat`, `ces`, `dimensions`, `report_card`, `questionnaire` or `exit`.
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyKind::Nps => "nps",
            SurveyKind::Csat => "csat",
            SurveyKind::Ces => "ces",
            SurveyKind::Dimensions => "dimensions",
            SurveyKind::ReportCard => "report_card",
            SurveyKind::Questionnaire => "questionnaire",
            SurveyKind::Exit => "exit",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<SurveyKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why an invitation was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationTrigger {
    /// Chosen by a person or a script.
    Manual,
    /// After a purchase (sampled by the caller).
    Purchase,
    /// The customer entered the at-risk stage.
    AtRisk,
    /// The customer became lost (exit interview).
    Lost,
}

impl InvitationTrigger {
    /// `manual`, `purchase`, `at_risk` or `lost`.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationTrigger::Manual => "manual",
            InvitationTrigger::Purchase => "purchase",
            InvitationTrigger::AtRisk => "at_risk",
            InvitationTrigger::Lost => "lost",
        }
    }

    /// The trigger named `s`.
    pub fn parse(s: &str) -> Option<InvitationTrigger> {
        [
            InvitationTrigger::Manual,
            InvitationTrigger::Purchase,
            InvitationTrigger::AtRisk,
            InvitationTrigger::Lost,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    /// Sent, not answered yet (a draft may be saved).
    Sent,
    /// Answered (submitted); the link is used up.
    Answered,
    /// The customer said no thanks.
    Declined,
    /// Expired without an answer.
    Ignored,
}

impl InvitationState {
    /// `sent`, `answered`, `declined` or `ignored`.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationState::Sent => "sent",
            InvitationState::Answered => "answered",
            InvitationState::Declined => "declined",
            InvitationState::Ignored => "ignored",
        }
    }

    /// The state named `s`.
    pub fn parse(s: &str) -> Option<InvitationState> {
        [
            InvitationState::Sent,
            InvitationState::Answered,
            InvitationState::Declined,
            InvitationState::Ignored,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// A stored survey definition (one version).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Survey {
    /// Its id (one per version).
    pub id: i64,
    /// The name shared by all versions.
    pub name: String,
    /// 1 for the first version, then +1 per new definition with the same name.
    pub version: i64,
    /// What it asks.
    pub kind: SurveyKind,
    /// Whether every answer is stored without invitation and customer.
    pub anonymous: bool,
    /// Only the newest version of a name is active (new invitations use it).
    pub active: bool,
    /// When this version was created (UTC).
    pub created_at: DateTime<Utc>,
    /// Its custom questions and texts as JSON (validated and read by the server); `None`:
    /// the kind's built-in questions in the catalogue's texts.
    pub definition: Option<String>,
}

/// A survey definition to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSurvey {
    /// The name (1–200 bytes, no control characters); an existing name gets a new version.
    pub name: String,
    /// What it asks.
    pub kind: SurveyKind,
    /// Answers without invitation and customer.
    pub anonymous: bool,
    /// Custom questions and texts (JSON, validated by the caller); `None` for the built-in
    /// ones. Kept with this version only: answers keep the version they were given on.
    pub definition: Option<String>,
}

/// Invitations to create for a list of customers.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvitations {
    /// The survey version.
    pub survey_id: i64,
    /// External ids of the customers.
    pub customers: Vec<String>,
    /// Why they are invited.
    pub trigger: InvitationTrigger,
    /// The location the answers are about (a location code), if any.
    pub location: Option<String>,
    /// The employee the answers are about (an employee code), if any.
    pub employee: Option<String>,
    /// "Now".
    pub now: DateTime<Utc>,
    /// How long a link stays valid.
    pub valid_for: Duration,
    /// No customer is invited twice within this many days, across every survey.
    pub min_days_between: u32,
}

/// Why a customer was not invited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// No customer has this external id (or it was erased).
    UnknownCustomer,
    /// The customer opted out of surveys.
    OptedOut,
    /// The customer was invited within the minimum gap.
    Throttled,
    /// The same customer appears twice in the request.
    Repeated,
}

/// One invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The random public part of the link (32 hex digits).
    pub nonce: String,
    /// The survey version.
    pub survey: Survey,
    /// The customer's external id (`None` once erased).
    pub customer: Option<String>,
    /// The customer's stored language, if any.
    pub customer_language: Option<String>,
    /// Why it was sent.
    pub trigger: InvitationTrigger,
    /// Location code.
    pub location: Option<String>,
    /// Employee code.
    pub employee: Option<String>,
    /// Its state ([`Store::mark_ignored`] turns expired `sent` ones into `ignored`).
    pub state: InvitationState,
    /// Sent.
    pub created_at: DateTime<Utc>,
    /// The link is refused after this instant.
    pub expires_at: DateTime<Utc>,
    /// Answered, declined or ignored at.
    pub closed_at: Option<DateTime<Utc>>,
    /// The saved, not yet submitted answer (score, answers JSON, comment).
    pub draft: Option<(Option<i64>, String, Option<String>)>,
}

/// An answer given through a link or imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseInput {
    /// The kind's main score (NPS 0–10, CSAT 1–5, CES 1–7), if it has one.
    pub score: Option<i64>,
    /// Every answer as a JSON object (question id → value), validated by the caller.
    pub answers: String,
    /// The open answer ("why?"), if any.
    pub comment: Option<String>,
    /// The language of the page the answer was given in (`en`, `fi`, ...).
    pub language: Option<String>,
    /// Stored without invitation and customer.
    pub anonymous: bool,
    /// Whether a follow-up is due (a detractor, a low report-card score).
    pub follow_up: Option<FollowUpReason>,
}

/// Why a follow-up item was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpReason {
    /// NPS 0–6.
    Detractor,
    /// A report-card criterion scored 1 or 2 of 5.
    LowReportCard,
}

impl FollowUpReason {
    /// `detractor` or `low_report_card`.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpReason::Detractor => "detractor",
            FollowUpReason::LowReportCard => "low_report_card",
        }
    }
}

/// What saving an answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedResponse {
    /// Submitted (the link is used up) rather than saved as a draft.
    pub submitted: bool,
    /// The follow-up item created, if any.
    pub follow_up: Option<i64>,
}

/// A submitted response with what the statistics need.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResponseRecord {
    /// The survey version's id.
    pub survey_id: i64,
    /// Its name.
    pub survey_name: String,
    /// Its version.
    pub survey_version: i64,
    /// What it asked.
    pub kind: SurveyKind,
    /// The customer's external id (`None` when anonymous or erased).
    pub customer: Option<String>,
    /// Location code.
    pub location: Option<String>,
    /// Employee code.
    pub employee: Option<String>,
    /// The main score.
    pub score: Option<i64>,
    /// Every answer (JSON object text).
    pub answers: String,
    /// The open answer.
    pub comment: Option<String>,
    /// Page language.
    pub language: Option<String>,
    /// Stored anonymously.
    pub anonymous: bool,
    /// `link`, `import` or `api`.
    pub source: String,
    /// When it was submitted (UTC).
    pub submitted_at: DateTime<Utc>,
}

/// One row of an import of responses collected elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedResponse {
    /// Customer external id; `None` for an anonymous answer.
    pub customer: Option<String>,
    /// Location code.
    pub location: Option<String>,
    /// Employee code.
    pub employee: Option<String>,
    /// The answer.
    pub input: ResponseInput,
    /// When it was given.
    pub submitted_at: DateTime<Utc>,
}

/// A follow-up item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FollowUp {
    /// Its id.
    pub id: i64,
    /// Why.
    pub reason: String,
    /// `open` or `closed`.
    pub state: String,
    /// The survey's name.
    pub survey: String,
    /// The customer's external id (`None` when anonymous or erased).
    pub customer: Option<String>,
    /// Location code (the managers of this location are responsible; all when absent).
    pub location: Option<String>,
    /// The main score.
    pub score: Option<i64>,
    /// The open answer.
    pub comment: Option<String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// The employee the answer is about (code), if any.
    pub employee: Option<String>,
    /// The survey's kind (`nps`, `report_card`, ...).
    pub kind: String,
    /// When the answer was submitted (UTC).
    pub submitted_at: Option<DateTime<Utc>>,
    /// The reference of the complaint (recovery case) opened from this follow-up, if any.
    pub complaint: Option<String>,
}

/// Largest open answer, in characters.
pub const SURVEY_TEXT_MAX_CHARS: usize = 2000;

fn check_name(name: &str) -> Result<(), StoreError> {
    if id_problem(name).is_some() {
        return Err(StoreError::Invalid {
            field: "name",
            value: name.chars().take(100).collect(),
            reason: "must be 1-200 bytes without control characters or surrounding spaces",
        });
    }
    Ok(())
}

type SurveyRow = (i64, String, i64, String, bool, bool, i64, Option<String>);

/// (id, survey, customer, location, employee, state, expires_at) of an invitation.
type InvitationRow = (i64, i64, i64, Option<i64>, Option<i64>, String, i64);
const SURVEY_COLUMNS: &str =
    "s.id, s.name, s.version, s.kind, s.anonymous, s.active, s.created_at, s.definition";

fn survey_from(r: SurveyRow) -> Result<Survey, StoreError> {
    Ok(Survey {
        id: r.0,
        name: r.1,
        version: r.2,
        kind: SurveyKind::parse(&r.3).ok_or(StoreError::Corrupt {
            column: "surveys.kind",
            value: r.3.clone(),
        })?,
        anonymous: r.4,
        active: r.5,
        created_at: from_micros("surveys.created_at", r.6)?,
        definition: r.7,
    })
}

fn survey_error(message: impl Into<String>) -> StoreError {
    StoreError::Survey(message.into())
}

impl Store {
    /// The per-database secret survey links are signed with (64 hex digits, 256 random
    /// bits), created on first use; the server uses it unless a secret is configured.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Random`].
    pub async fn survey_secret(&self) -> Result<String, StoreError> {
        self.setting_or_init("survey_link_secret", || random_hex(32))
            .await
    }

    /// Stores a survey definition: version 1 of a new name, or the next version of an
    /// existing one (older versions become inactive; their answers keep their version).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a bad name; [`StoreError::Database`].
    pub async fn create_survey(&self, s: &NewSurvey) -> Result<Survey, StoreError> {
        check_name(&s.name)?;
        let now = to_micros(Utc::now());
        let id: i64 = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let last: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM surveys WHERE name = $1")
                .bind(&s.name)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("UPDATE surveys SET active = FALSE WHERE name = $1")
                .bind(&s.name)
                .execute(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO surveys (name, version, kind, anonymous, active, created_at, definition) \
                 VALUES ($1, $2, $3, $4, TRUE, $5, $6) RETURNING id",
            )
            .bind(&s.name)
            .bind(last.unwrap_or(0) + 1)
            .bind(s.kind.as_str())
            .bind(s.anonymous)
            .bind(now)
            .bind(&s.definition)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            id
        });
        self.survey(id).await
    }

    /// One survey version.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn survey(&self, id: i64) -> Result<Survey, StoreError> {
        let sql = format!("SELECT {SURVEY_COLUMNS} FROM surveys s WHERE s.id = $1");
        let row: Option<SurveyRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id).fetch_optional(p).await?);
        survey_from(row.ok_or(StoreError::NotFound {
            what: "survey",
            key: id.to_string(),
        })?)
    }

    /// Every survey version, by name then version.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn list_surveys(&self) -> Result<Vec<Survey>, StoreError> {
        let sql = format!("SELECT {SURVEY_COLUMNS} FROM surveys s ORDER BY s.name, s.version");
        let rows: Vec<SurveyRow> =
            on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?);
        rows.into_iter().map(survey_from).collect()
    }

    /// Creates invitations in one database transaction, skipping (with the reason)
    /// customers who are unknown or erased, opted out, or were invited to any survey within
    /// `min_days_between` days. Returns the invitations made and the customers skipped.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown survey, location or employee;
    /// [`StoreError::Survey`] for an inactive survey version; [`StoreError::Database`].
    pub async fn create_invitations(
        &self,
        req: &NewInvitations,
    ) -> Result<(Vec<Invitation>, Vec<(String, SkipReason)>), StoreError> {
        let survey = self.survey(req.survey_id).await?;
        if !survey.active {
            return Err(survey_error(format!(
                "survey {:?} version {} is not the active version",
                survey.name, survey.version
            )));
        }
        let now = to_micros(req.now);
        let expires = to_micros(req.now + req.valid_for);
        let since = to_micros(req.now - Duration::days(i64::from(req.min_days_between)));
        let mut nonces = Vec::new();
        let mut skipped = Vec::new();
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut location = None;
            if let Some(code) = &req.location {
                location = Some(sqlx::query_scalar::<_, i64>("SELECT id FROM locations WHERE code = $1")
                    .bind(code).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound { what: "location", key: code.clone() })?);
            }
            let mut employee = None;
            if let Some(code) = &req.employee {
                employee = Some(sqlx::query_scalar::<_, i64>("SELECT id FROM employees WHERE code = $1")
                    .bind(code).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound { what: "employee", key: code.clone() })?);
            }
            let mut seen = std::collections::HashSet::new();
            for ext in &req.customers {
                if !seen.insert(ext.as_str()) {
                    skipped.push((ext.clone(), SkipReason::Repeated));
                    continue;
                }
                let id: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM customers WHERE external_id = $1 AND erased_at IS NULL")
                    .bind(ext).fetch_optional(&mut *tx).await?;
                let Some(id) = id else {
                    skipped.push((ext.clone(), SkipReason::UnknownCustomer));
                    continue;
                };
                let opted_out: Option<bool> = sqlx::query_scalar(
                    "SELECT opted_out FROM survey_consent WHERE customer_id = $1")
                    .bind(id).fetch_optional(&mut *tx).await?;
                if opted_out == Some(true) {
                    skipped.push((ext.clone(), SkipReason::OptedOut));
                    continue;
                }
                let recent: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM survey_invitations WHERE customer_id = $1 AND created_at > $2")
                    .bind(id).bind(since).fetch_one(&mut *tx).await?;
                if recent > 0 {
                    skipped.push((ext.clone(), SkipReason::Throttled));
                    continue;
                }
                let nonce = random_hex(16)?;
                sqlx::query(
                    "INSERT INTO survey_invitations (survey_id, customer_id, nonce, trigger, \
                     location_id, employee_id, state, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'sent', $7, $8)")
                    .bind(survey.id).bind(id).bind(&nonce).bind(req.trigger.as_str())
                    .bind(location).bind(employee).bind(now).bind(expires)
                    .execute(&mut *tx).await?;
                nonces.push(nonce);
            }
            tx.commit().await?;
        });
        let mut made = Vec::with_capacity(nonces.len());
        for n in &nonces {
            if let Some(i) = self.invitation(n).await? {
                made.push(i);
            }
        }
        Ok((made, skipped))
    }

    /// The invitation of `nonce`, with its survey and any saved draft.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn invitation(&self, nonce: &str) -> Result<Option<Invitation>, StoreError> {
        let mut found = self.invitations_where(Some(nonce), None).await?;
        Ok(found.pop())
    }

    /// Every invitation of a survey version, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn list_invitations(&self, survey_id: i64) -> Result<Vec<Invitation>, StoreError> {
        self.survey(survey_id).await?;
        self.invitations_where(None, Some(survey_id)).await
    }

    /// Invitations of one nonce or of one survey version.
    async fn invitations_where(
        &self,
        nonce: Option<&str>,
        survey_id: Option<i64>,
    ) -> Result<Vec<Invitation>, StoreError> {
        type Row = (
            String,
            i64,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            String,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let sql = "SELECT i.nonce, i.survey_id, c.external_id, c.language, i.trigger, l.code, e.code, \
             i.state, i.created_at, i.expires_at, i.closed_at, r.score, r.answers, r.comment, \
             r.id FROM survey_invitations i JOIN customers c ON c.id = i.customer_id \
             LEFT JOIN locations l ON l.id = i.location_id \
             LEFT JOIN employees e ON e.id = i.employee_id \
             LEFT JOIN survey_responses r ON r.invitation_id = i.id AND r.submitted_at IS NULL \
             WHERE i.nonce = $1 OR i.survey_id = $2 ORDER BY i.id";
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(sql)
            .bind(nonce.unwrap_or("")).bind(survey_id.unwrap_or(-1)).fetch_all(p).await?);
        let mut surveys: std::collections::HashMap<i64, Survey> = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let survey = match surveys.get(&r.1) {
                Some(s) => s.clone(),
                None => {
                    let s = self.survey(r.1).await?;
                    surveys.insert(r.1, s.clone());
                    s
                }
            };
            out.push(Invitation {
                nonce: r.0,
                survey,
                customer: r.2,
                customer_language: r.3,
                trigger: InvitationTrigger::parse(&r.4).ok_or(StoreError::Corrupt {
                    column: "survey_invitations.trigger",
                    value: r.4.clone(),
                })?,
                location: r.5,
                employee: r.6,
                state: InvitationState::parse(&r.7).ok_or(StoreError::Corrupt {
                    column: "survey_invitations.state",
                    value: r.7.clone(),
                })?,
                created_at: from_micros("survey_invitations.created_at", r.8)?,
                expires_at: from_micros("survey_invitations.expires_at", r.9)?,
                closed_at: r
                    .10
                    .map(|t| from_micros("survey_invitations.closed_at", t))
                    .transpose()?,
                draft: r.14.map(|_| (r.11, r.12.unwrap_or_default(), r.13)),
            });
        }
        Ok(out)
    }

    /// Marks every `sent` invitation whose link expired before `now` as `ignored`;
    /// returns how many.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_ignored(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let sql = "UPDATE survey_invitations SET state = 'ignored', closed_at = expires_at \
                   WHERE state = 'sent' AND expires_at <= $1";
        Ok(
            on_pool!(self, p => sqlx::query(sql).bind(to_micros(now)).execute(p).await?.rows_affected()),
        )
    }

    /// Saves the answer of the invitation `nonce`: a draft (`submit` false, replacing an
    /// earlier draft) or the final answer (`submit` true: the invitation becomes
    /// `answered`, an anonymous answer is stored without invitation and customer, and a
    /// follow-up item is created when `input.follow_up` asks for one). One database
    /// transaction.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown nonce; [`StoreError::Survey`] when the
    /// invitation is no longer `sent` or expired, or when an anonymous survey is saved as a
    /// draft; [`StoreError::Database`].
    pub async fn save_response(
        &self,
        nonce: &str,
        input: &ResponseInput,
        submit: bool,
        now: DateTime<Utc>,
    ) -> Result<SavedResponse, StoreError> {
        let now_us = to_micros(now);
        let follow_up = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let inv: Option<InvitationRow> = sqlx::query_as(
                "SELECT id, survey_id, customer_id, location_id, employee_id, state, expires_at \
                 FROM survey_invitations WHERE nonce = $1")
                .bind(nonce).fetch_optional(&mut *tx).await?;
            let Some((inv_id, survey_id, customer_id, location_id, employee_id, state, expires_at)) = inv else {
                return Err(StoreError::NotFound { what: "invitation", key: nonce.to_owned() });
            };
            if state != "sent" {
                return Err(survey_error(format!("this invitation is already {state}")));
            }
            if expires_at <= now_us {
                return Err(survey_error("this invitation has expired"));
            }
            if input.anonymous && !submit {
                return Err(survey_error("an anonymous answer cannot be saved as a draft"));
            }
            sqlx::query("DELETE FROM survey_responses WHERE invitation_id = $1 AND submitted_at IS NULL")
                .bind(inv_id).execute(&mut *tx).await?;
            let (inv_ref, cust_ref) = if input.anonymous { (None, None) } else { (Some(inv_id), Some(customer_id)) };
            let response_id: i64 = sqlx::query_scalar(
                "INSERT INTO survey_responses (survey_id, invitation_id, customer_id, location_id, \
                 employee_id, score, answers, comment, language, anonymous, source, updated_at, \
                 submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'link', $11, $12) \
                 RETURNING id")
                .bind(survey_id).bind(inv_ref).bind(cust_ref).bind(location_id).bind(employee_id)
                .bind(input.score).bind(&input.answers).bind(&input.comment).bind(&input.language)
                .bind(input.anonymous).bind(now_us).bind(submit.then_some(now_us))
                .fetch_one(&mut *tx).await?;
            let mut follow_up = None;
            if submit {
                sqlx::query("UPDATE survey_invitations SET state = 'answered', closed_at = $1 WHERE id = $2")
                    .bind(now_us).bind(inv_id).execute(&mut *tx).await?;
                if let Some(reason) = input.follow_up {
                    follow_up = Some(sqlx::query_scalar::<_, i64>(
                        "INSERT INTO survey_followups (response_id, location_id, reason, state, created_at) \
                         VALUES ($1, $2, $3, 'open', $4) RETURNING id")
                        .bind(response_id).bind(location_id).bind(reason.as_str()).bind(now_us)
                        .fetch_one(&mut *tx).await?);
                }
            }
            tx.commit().await?;
            follow_up
        });
        Ok(SavedResponse {
            submitted: submit,
            follow_up,
        })
    }

    /// Records that the customer of invitation `nonce` declined it.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Survey`] when it is no longer `sent`;
    /// [`StoreError::Database`].
    pub async fn decline_invitation(
        &self,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE survey_invitations SET state = 'declined', closed_at = $1 \
                   WHERE nonce = $2 AND state = 'sent'";
        let n = on_pool!(self, p => sqlx::query(sql).bind(to_micros(now)).bind(nonce)
            .execute(p).await?.rows_affected());
        if n == 0 {
            return match self.invitation(nonce).await? {
                None => Err(StoreError::NotFound {
                    what: "invitation",
                    key: nonce.to_owned(),
                }),
                Some(i) => Err(survey_error(format!(
                    "this invitation is already {}",
                    i.state.as_str()
                ))),
            };
        }
        // A draft is dropped with the invitation.
        let sql = "DELETE FROM survey_responses WHERE submitted_at IS NULL AND invitation_id = \
                   (SELECT id FROM survey_invitations WHERE nonce = $1)";
        on_pool!(self, p => { sqlx::query(sql).bind(nonce).execute(p).await?; });
        Ok(())
    }

    /// Records the survey consent of a customer (by external id): `opted_out` true never
    /// invites them again; with the time and where it came from (`link`, `api`, ...).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown or erased customer; [`StoreError::Database`].
    pub async fn set_survey_consent(
        &self,
        customer: &str,
        opted_out: bool,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "SELECT id FROM customers WHERE external_id = $1 AND erased_at IS NULL")
                .bind(customer).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound { what: "customer", key: customer.to_owned() })?;
            sqlx::query(
                "INSERT INTO survey_consent (customer_id, opted_out, changed_at, source) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id) DO UPDATE SET \
                 opted_out = excluded.opted_out, changed_at = excluded.changed_at, \
                 source = excluded.source")
                .bind(id).bind(opted_out).bind(to_micros(now)).bind(source)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// A customer's survey consent: `Some((opted_out, changed_at))`, `None` when never set.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`].
    pub async fn survey_consent(
        &self,
        customer: &str,
    ) -> Result<Option<(bool, DateTime<Utc>)>, StoreError> {
        let row: Option<(Option<bool>, Option<i64>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT s.opted_out, s.changed_at FROM customers c \
             LEFT JOIN survey_consent s ON s.customer_id = c.id \
             WHERE c.external_id = $1 AND c.erased_at IS NULL")
            .bind(customer).fetch_optional(p).await?);
        match row {
            None => Err(StoreError::NotFound {
                what: "customer",
                key: customer.to_owned(),
            }),
            Some((Some(o), Some(t))) => Ok(Some((o, from_micros("survey_consent.changed_at", t)?))),
            Some(_) => Ok(None),
        }
    }

    /// Imports responses collected elsewhere into survey `survey_id`, all or nothing: a row
    /// naming an unknown customer, location or employee is a [`RowError`] and nothing is
    /// stored. Follow-ups are created as for answers given through links. Returns the
    /// follow-up ids created, per stored row.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown survey; [`StoreError::Rejected`] with every
    /// row error; [`StoreError::Database`].
    pub async fn import_responses(
        &self,
        survey_id: i64,
        rows: &[ImportedResponse],
        source: &str,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        self.survey(survey_id).await?;
        let now = to_micros(Utc::now());
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut errors = Vec::new();
            let mut resolved = Vec::with_capacity(rows.len());
            for (i, r) in rows.iter().enumerate() {
                let mut ids = [None, None, None];
                for (k, (field, sql, key)) in [
                    ("customer", "SELECT id FROM customers WHERE external_id = $1 AND erased_at IS NULL", &r.customer),
                    ("location", "SELECT id FROM locations WHERE code = $1", &r.location),
                    ("employee", "SELECT id FROM employees WHERE code = $1", &r.employee),
                ].into_iter().enumerate() {
                    if let Some(key) = key {
                        let id: Option<i64> = sqlx::query_scalar(sql).bind(key).fetch_optional(&mut *tx).await?;
                        match id {
                            Some(id) => ids[k] = Some(id),
                            None => errors.push(RowError::new(i, field, format!("unknown {field} {key:?}"))),
                        }
                    }
                }
                resolved.push(ids);
            }
            if !errors.is_empty() {
                return Err(StoreError::Rejected { rows: errors });
            }
            let mut follow_ups = Vec::with_capacity(rows.len());
            for (r, ids) in rows.iter().zip(resolved) {
                let at = to_micros(r.submitted_at);
                let response_id: i64 = sqlx::query_scalar(
                    "INSERT INTO survey_responses (survey_id, customer_id, location_id, employee_id, \
                     score, answers, comment, language, anonymous, source, updated_at, submitted_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
                    .bind(survey_id).bind(ids[0]).bind(ids[1]).bind(ids[2])
                    .bind(r.input.score).bind(&r.input.answers).bind(&r.input.comment)
                    .bind(&r.input.language).bind(ids[0].is_none()).bind(source).bind(now).bind(at)
                    .fetch_one(&mut *tx).await?;
                let mut f = None;
                if let Some(reason) = r.input.follow_up {
                    f = Some(sqlx::query_scalar::<_, i64>(
                        "INSERT INTO survey_followups (response_id, location_id, reason, state, created_at) \
                         VALUES ($1, $2, $3, 'open', $4) RETURNING id")
                        .bind(response_id).bind(ids[1]).bind(reason.as_str()).bind(now)
                        .fetch_one(&mut *tx).await?);
                }
                follow_ups.push(f);
            }
            tx.commit().await?;
            Ok(follow_ups)
        })
    }

    /// Every submitted response, oldest first, optionally of one kind only.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn survey_responses(
        &self,
        kind: Option<SurveyKind>,
    ) -> Result<Vec<ResponseRecord>, StoreError> {
        let sql = format!(
            "{RESPONSE_SELECT} WHERE r.submitted_at IS NOT NULL AND ($1 = '' OR s.kind = $1) \
             ORDER BY r.submitted_at, r.id"
        );
        let k = kind.map_or("", SurveyKind::as_str);
        let rows: Vec<ResponseRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(k).fetch_all(p).await?);
        rows.into_iter().map(response_from_row).collect()
    }

    /// The submitted responses of the customer with external id `external_id`, oldest
    /// first (for their timeline; index `survey_responses_customer`, migration 0010).
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn customer_survey_responses(
        &self,
        external_id: &str,
    ) -> Result<Vec<ResponseRecord>, StoreError> {
        let sql = format!(
            "{RESPONSE_SELECT} WHERE r.submitted_at IS NOT NULL AND r.customer_id = \
             (SELECT id FROM customers WHERE external_id = $1) ORDER BY r.submitted_at, r.id"
        );
        let rows: Vec<ResponseRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(external_id).fetch_all(p).await?);
        rows.into_iter().map(response_from_row).collect()
    }

    /// Closes an open follow-up item.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Survey`] when it is already closed;
    /// [`StoreError::Database`].
    pub async fn close_followup(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<FollowUp, StoreError> {
        let sql = "UPDATE survey_followups SET state = 'closed', closed_at = $1 \
                   WHERE id = $2 AND state = 'open'";
        let n = on_pool!(self, p => sqlx::query(sql).bind(to_micros(now)).bind(id)
            .execute(p).await?.rows_affected());
        let found = self
            .list_followups(None)
            .await?
            .into_iter()
            .find(|f| f.id == id);
        match (n, found) {
            (_, None) => Err(StoreError::NotFound {
                what: "follow-up",
                key: id.to_string(),
            }),
            (0, Some(_)) => Err(survey_error(format!("follow-up {id} is already closed"))),
            (_, Some(f)) => Ok(f),
        }
    }

    /// Follow-up items, newest first; with `locations`, only those of these location codes
    /// and those without a location.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn list_followups(
        &self,
        locations: Option<&[String]>,
    ) -> Result<Vec<FollowUp>, StoreError> {
        type Row = (
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
            i64,
            Option<String>,
            String,
            Option<i64>,
            Option<String>,
        );
        let sql = "SELECT f.id, f.reason, f.state, s.name, c.external_id, l.code, r.score, \
                   r.comment, f.created_at, e.code, s.kind, r.submitted_at, k.reference \
                   FROM survey_followups f \
                   JOIN survey_responses r ON r.id = f.response_id \
                   JOIN surveys s ON s.id = r.survey_id \
                   LEFT JOIN customers c ON c.id = r.customer_id \
                   LEFT JOIN employees e ON e.id = r.employee_id \
                   LEFT JOIN complaints k ON k.survey_followup_id = f.id \
                   LEFT JOIN locations l ON l.id = f.location_id ORDER BY f.id DESC";
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await?);
        let mut out = Vec::new();
        for r in rows {
            if let (Some(locs), Some(code)) = (locations, &r.5)
                && !locs.contains(code)
            {
                continue;
            }
            out.push(FollowUp {
                id: r.0,
                reason: r.1,
                state: r.2,
                survey: r.3,
                customer: r.4,
                location: r.5,
                score: r.6,
                comment: r.7,
                created_at: from_micros("survey_followups.created_at", r.8)?,
                employee: r.9,
                kind: r.10,
                submitted_at: r
                    .11
                    .map(|t| from_micros("survey_responses.submitted_at", t))
                    .transpose()?,
                complaint: r.12,
            });
        }
        Ok(out)
    }
}

/// The columns of [`RESPONSE_SELECT`].
type ResponseRow = (
    i64,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    bool,
    String,
    i64,
);

/// A submitted response with its survey, customer, location and employee (add `WHERE` and
/// `ORDER BY`).
const RESPONSE_SELECT: &str = "SELECT s.id, s.name, s.version, s.kind, c.external_id, l.code, \
    e.code, r.score, r.answers, r.comment, r.language, r.anonymous, r.source, r.submitted_at \
    FROM survey_responses r JOIN surveys s ON s.id = r.survey_id \
    LEFT JOIN customers c ON c.id = r.customer_id \
    LEFT JOIN locations l ON l.id = r.location_id \
    LEFT JOIN employees e ON e.id = r.employee_id";

fn response_from_row(r: ResponseRow) -> Result<ResponseRecord, StoreError> {
    Ok(ResponseRecord {
        survey_id: r.0,
        survey_name: r.1,
        survey_version: r.2,
        kind: SurveyKind::parse(&r.3).ok_or(StoreError::Corrupt {
            column: "surveys.kind",
            value: r.3.clone(),
        })?,
        customer: r.4,
        location: r.5,
        employee: r.6,
        score: r.7,
        answers: r.8,
        comment: r.9,
        language: r.10,
        anonymous: r.11,
        source: r.12,
        submitted_at: from_micros("survey_responses.submitted_at", r.13)?,
    })
}
