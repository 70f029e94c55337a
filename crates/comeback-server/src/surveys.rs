//! Surveys in the server (issue 8, PRODUCT R6): signed per-customer links, the questions of
//! each survey kind, the parsing of answers from the public form, and the rules that close
//! the loop (a detractor or a low report-card score creates a follow-up and fires
//! `survey.detractor`).
//!
//! # Signed links
//! A link is `/s/{nonce}.{exp}.{mac}`: `nonce` the invitation's random public id (32 hex
//! digits, 128 bits), `exp` its expiry in Unix seconds, `mac` the hex
//! HMAC-SHA256 (RFC 2104) under the server's survey secret of
//! `"comeback-survey-v1\n{nonce}\n{customer external id}\n{exp}"`. The server recomputes
//! the MAC from the stored invitation (its customer and expiry), so a link cannot be forged
//! without the secret, altered (another nonce, another expiry) or moved to another
//! customer; one response per link is the store's rule (the invitation becomes `answered`
//! in the transaction that stores the answer). The secret is `--survey-secret`
//! (`COMEBACK_SURVEY_SECRET`, at least 32 bytes) or else a random 256-bit value created in
//! the database's settings on first use (so links survive restarts).

use std::time::Duration;

use chrono::{DateTime, Utc};
use comeback_store::{FollowUpReason, Invitation, InvitationState, SurveyKind};
use hmac::{KeyInit, Mac};

use crate::auth::throttle::{Rate, Throttle};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Default of `--survey-min-days`.
const DEFAULT_SURVEY_MIN_DAYS: u32 = 90;
/// Default of `--survey-link-days`.
const DEFAULT_SURVEY_LINK_DAYS: u32 = 30;
/// Default of `--survey-rate-per-ip`.
const DEFAULT_SURVEY_RATE_PER_IP: u32 = 30;
/// Default of `--survey-trigger-check-ms`.
const DEFAULT_SURVEY_TRIGGER_CHECK_MS: u64 = 60_000;

/// Flags of `comeback serve` for surveys; each also reads its environment variable. Its
/// `Debug` form hides the secret.
#[derive(Clone, PartialEq, Eq, clap::Args)]
pub struct SurveySettings {
    /// The secret survey links are signed with (HMAC-SHA256), at least 32 bytes; default: a
    /// random secret kept in the database. Changing it invalidates every link sent.
    #[arg(long, env = "COMEBACK_SURVEY_SECRET", hide_env_values = true)]
    pub survey_secret: Option<String>,
    /// No customer is invited to a survey (of any kind) more than once in this many days.
    #[arg(long, env = "COMEBACK_SURVEY_MIN_DAYS", default_value_t = DEFAULT_SURVEY_MIN_DAYS,
          value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub survey_min_days: u32,
    /// Days a survey link stays valid.
    #[arg(long, env = "COMEBACK_SURVEY_LINK_DAYS", default_value_t = DEFAULT_SURVEY_LINK_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub survey_link_days: u32,
    /// Requests per minute to the public survey pages from one client address.
    #[arg(long, env = "COMEBACK_SURVEY_RATE_PER_IP", default_value_t = DEFAULT_SURVEY_RATE_PER_IP,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub survey_rate_per_ip: u32,
    /// Milliseconds between two runs of the automatic survey triggers (the after-purchase
    /// sample and the invitations whose delay has passed); they also run after every refit.
    #[arg(long, env = "COMEBACK_SURVEY_TRIGGER_CHECK_MS", default_value_t = DEFAULT_SURVEY_TRIGGER_CHECK_MS,
          value_parser = clap::value_parser!(u64).range(100..))]
    pub survey_trigger_check_ms: u64,
}

impl Default for SurveySettings {
    /// The flags' defaults.
    fn default() -> Self {
        SurveySettings {
            survey_secret: None,
            survey_min_days: DEFAULT_SURVEY_MIN_DAYS,
            survey_link_days: DEFAULT_SURVEY_LINK_DAYS,
            survey_rate_per_ip: DEFAULT_SURVEY_RATE_PER_IP,
            survey_trigger_check_ms: DEFAULT_SURVEY_TRIGGER_CHECK_MS,
        }
    }
}

impl std::fmt::Debug for SurveySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurveySettings")
            .field(
                "survey_secret",
                &self.survey_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("survey_min_days", &self.survey_min_days)
            .field("survey_link_days", &self.survey_link_days)
            .field("survey_rate_per_ip", &self.survey_rate_per_ip)
            .field("survey_trigger_check_ms", &self.survey_trigger_check_ms)
            .finish()
    }
}

/// What the survey handlers share: the signing secret and the public pages' rate limit.
#[derive(Clone)]
pub struct SurveyState {
    secret: std::sync::Arc<[u8]>,
    /// Requests to `/s/...` per client address.
    pub throttle: Throttle,
    /// Serialises the runs of the automatic triggers ([`crate::survey_triggers`]).
    pub trigger_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for SurveyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurveyState")
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Why a survey secret is unusable.
#[derive(Debug, thiserror::Error)]
#[error("survey secret must be at least 32 bytes")]
pub struct ShortSecret;

impl SurveyState {
    /// The state for `settings`, with `stored_secret` (the database's) used unless a secret
    /// is configured.
    ///
    /// # Errors
    /// [`ShortSecret`] for a configured secret under 32 bytes.
    pub fn new(settings: &SurveySettings, stored_secret: &str) -> Result<SurveyState, ShortSecret> {
        let secret = match &settings.survey_secret {
            Some(s) if s.len() < 32 => return Err(ShortSecret),
            Some(s) => s.as_bytes().into(),
            None => stored_secret.as_bytes().into(),
        };
        Ok(SurveyState {
            secret,
            throttle: Throttle::new(Rate {
                burst: settings.survey_rate_per_ip,
                period: Duration::from_secs(60),
            }),
            trigger_lock: std::sync::Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    fn mac(&self, nonce: &str, customer: &str, exp: i64) -> String {
        let mut mac = match HmacSha256::new_from_slice(&self.secret) {
            Ok(m) => m,
            // HMAC takes keys of any length; this arm is never taken.
            Err(_) => return String::new(),
        };
        mac.update(format!("comeback-survey-v1\n{nonce}\n{customer}\n{exp}").as_bytes());
        crate::webhooks::hex(&mac.finalize().into_bytes())
    }

    /// The token of a link to `invitation` (`{nonce}.{exp}.{mac}`), or `None` when its
    /// customer was erased.
    pub fn token(&self, invitation: &Invitation) -> Option<String> {
        let customer = invitation.customer.as_deref()?;
        let exp = invitation.expires_at.timestamp();
        Some(format!(
            "{}.{exp}.{}",
            invitation.nonce,
            self.mac(&invitation.nonce, customer, exp)
        ))
    }

    /// Checks a token against the stored invitation of its nonce (looked up by
    /// `lookup`); the invitation whatever its state and expiry (see [`usable`]).
    ///
    /// # Errors
    /// [`LinkError::Malformed`] (truncated or not of the form), [`LinkError::Invalid`]
    /// (unknown nonce, erased customer, another expiry, a MAC that does not match).
    pub async fn verify<F, Fut>(&self, token: &str, lookup: F) -> Result<Invitation, LinkError>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<Option<Invitation>, comeback_store::StoreError>>,
    {
        let mut parts = token.split('.');
        let (Some(nonce), Some(exp), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Malformed);
        };
        let hex = |s: &str, n: usize| {
            s.len() == n
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if !hex(nonce, 32)
            || !hex(mac, 64)
            || exp.is_empty()
            || exp.len() > 12
            || !exp.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(LinkError::Malformed);
        }
        let invitation = lookup(nonce.to_owned())
            .await
            .map_err(|e| LinkError::Store(e.to_string()))?
            .ok_or(LinkError::Invalid)?;
        let customer = invitation.customer.as_deref().ok_or(LinkError::Invalid)?;
        let stored_exp = invitation.expires_at.timestamp();
        let expected = self.mac(nonce, customer, stored_exp);
        let exp_ok = exp == stored_exp.to_string();
        let mac_ok: bool =
            subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), mac.as_bytes()).into();
        if exp_ok && mac_ok {
            Ok(invitation)
        } else {
            Err(LinkError::Invalid)
        }
    }
}

/// Whether a verified invitation can still be answered at `now`.
///
/// # Errors
/// [`LinkError::Expired`] (past its expiry or recorded as ignored), [`LinkError::Used`]
/// (answered or declined).
pub fn usable(invitation: &Invitation, now: DateTime<Utc>) -> Result<(), LinkError> {
    match invitation.state {
        InvitationState::Answered | InvitationState::Declined => Err(LinkError::Used),
        InvitationState::Ignored => Err(LinkError::Expired),
        InvitationState::Sent if invitation.expires_at <= now => Err(LinkError::Expired),
        InvitationState::Sent => Ok(()),
    }
}

/// Why a survey link is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not of the form `{32 hex}.{digits}.{64 hex}` (truncated, altered) — 400.
    #[error("this survey link is incomplete")]
    Malformed,
    /// The signature does not match the invitation (forged, altered, another customer's) —
    /// 403.
    #[error("this survey link is not valid")]
    Invalid,
    /// Past its expiry — 410.
    #[error("this survey link has expired")]
    Expired,
    /// Already answered or declined — 409.
    #[error("this survey was already answered")]
    Used,
    /// The database failed — 500.
    #[error("internal error: {0}")]
    Store(String),
}

impl LinkError {
    /// The status of the refusal.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            LinkError::Malformed => StatusCode::BAD_REQUEST,
            LinkError::Invalid => StatusCode::FORBIDDEN,
            LinkError::Expired => StatusCode::GONE,
            LinkError::Used => StatusCode::CONFLICT,
            LinkError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The catalogue key of the message shown.
    pub fn key(&self) -> &'static str {
        match self {
            LinkError::Malformed => "link_malformed",
            LinkError::Invalid => "link_invalid",
            LinkError::Expired => "link_expired",
            LinkError::Used => "link_used",
            LinkError::Store(_) => "link_error",
        }
    }
}

/// One question of a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// A whole-number scale `min..=max`; `main` is the kind's score (NPS, CSAT, CES).
    Scale {
        /// Its id (form field and JSON key).
        id: String,
        /// Lowest value.
        min: i64,
        /// Highest value.
        max: i64,
        /// Whether this is the kind's main score (required to submit).
        main: bool,
    },
    /// Several of `options` (checkboxes).
    Choice {
        /// Its id.
        id: String,
        /// The option ids.
        options: &'static [&'static str],
    },
    /// An open answer of at most [`comeback_store::SURVEY_TEXT_MAX_CHARS`] characters;
    /// `comment` marks the one stored as the response's comment (the verbatim).
    Text {
        /// Its id.
        id: String,
        /// Whether this is the verbatim shown on the dashboard.
        comment: bool,
    },
}

impl Question {
    /// Its id.
    pub fn id(&self) -> &str {
        match self {
            Question::Scale { id, .. }
            | Question::Choice { id, .. }
            | Question::Text { id, .. } => id,
        }
    }
}

/// The seven exit reasons of PRODUCT R6 (the first seven of `comeback_voice`'s taxonomy).
pub const EXIT_REASONS: [&str; 7] = [
    "price",
    "quality",
    "competitor_offer",
    "inadequate_response",
    "broken_promise",
    "unresolved_complaint",
    "general_dissatisfaction",
];

/// The built-in questions of `kind` (texts in the `survey` catalogue as `q_{id}`).
pub fn questions(kind: SurveyKind) -> Vec<Question> {
    let scale = |id: &str, min: i64, max: i64, main: bool| Question::Scale {
        id: id.to_owned(),
        min,
        max,
        main,
    };
    let text = |id: &str, comment: bool| Question::Text {
        id: id.to_owned(),
        comment,
    };
    match kind {
        SurveyKind::Nps => vec![scale("recommend", 0, 10, true), text("why", true)],
        SurveyKind::Csat => vec![scale("satisfaction", 1, 5, true), text("comment", true)],
        SurveyKind::Ces => vec![scale("effort", 1, 7, true), text("comment", true)],
        SurveyKind::Dimensions => {
            let mut q: Vec<Question> = comeback_voice::scales::Dimension::ALL
                .iter()
                .map(|d| scale(d.as_str(), 1, 5, false))
                .collect();
            q.push(text("comment", true));
            q
        }
        SurveyKind::ReportCard => {
            let mut q: Vec<Question> = comeback_voice::report_card::DEFAULT_CRITERIA
                .iter()
                .map(|c| scale(c, 1, 5, false))
                .collect();
            q.push(text("comment", true));
            q
        }
        SurveyKind::Questionnaire => vec![
            text("why_buy", true),
            text("needs", false),
            text("improve", false),
            text("value_us", false),
            text("value_competition", false),
        ],
        SurveyKind::Exit => vec![
            Question::Choice {
                id: "reasons".to_owned(),
                options: &EXIT_REASONS,
            },
            text("why", true),
            text("bring_back", false),
        ],
    }
}

/// A survey version's custom questions (stored as JSON with the version): for each question
/// listed, its texts per language (`en`, `es`, `pt`, `fi`, `de`, `fr`; a language left out
/// falls back to the built-in text, or for a new question to English, then to any text
/// given). For an open questionnaire the list is the questions asked (the first is the
/// verbatim); for service dimensions it is the dimensions rated 1–5 (plus the open
/// `comment`, listed or not; built-in ones or a survey's own such as `cleanliness`, which
/// `/surveys` and the survey metrics report like the built-in ones, but not the ids of
/// [`crate::voice_metrics::NOT_DIMENSIONS`]); for the other kinds it only changes texts of
/// built-in questions.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SurveyDefinition {
    /// The questions, in order.
    pub questions: Vec<CustomQuestion>,
}

/// One question of a [`SurveyDefinition`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustomQuestion {
    /// The id (the form field and the answer's key): `a`–`z` first, then up to 39 of
    /// `a`–`z`, `0`–`9`, `_`.
    pub id: String,
    /// Language code → text (1–500 characters).
    #[serde(default)]
    pub text: std::collections::BTreeMap<String, String>,
}

/// Question ids that name import columns or form fields.
const RESERVED_IDS: [&str; 9] = [
    "submitted_at",
    "customer",
    "location",
    "employee",
    "language",
    "action",
    "anonymous",
    "csrf_token",
    "confirm",
];

/// Longest custom question text, in characters.
pub const QUESTION_TEXT_MAX_CHARS: usize = 500;

/// Most questions in a definition.
pub const MAX_CUSTOM_QUESTIONS: usize = 30;

impl SurveyDefinition {
    /// The definition stored with `survey`, if any (a stored text that does not parse is
    /// treated as none).
    pub fn of(survey: &comeback_store::Survey) -> Option<SurveyDefinition> {
        survey
            .definition
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
    }

    /// Checks a definition for a survey of `kind`: every problem as (field, message), the
    /// field named as in the API (`questions[2].text.fi`).
    ///
    /// # Errors
    /// Every problem found.
    pub fn validate(&self, kind: SurveyKind) -> Result<(), Vec<(String, String)>> {
        let mut problems = Vec::new();
        let builtin = questions(kind);
        let is_builtin = |id: &str| builtin.iter().any(|q| q.id() == id);
        let defines_set = matches!(kind, SurveyKind::Questionnaire | SurveyKind::Dimensions);
        if self.questions.is_empty() || self.questions.len() > MAX_CUSTOM_QUESTIONS {
            problems.push((
                "questions".to_owned(),
                format!("must hold 1 to {MAX_CUSTOM_QUESTIONS} questions"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, q) in self.questions.iter().enumerate() {
            let f = |name: &str| format!("questions[{i}].{name}");
            let id_ok = q.id.len() <= 40
                && q.id.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && q.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !id_ok {
                problems.push((
                    f("id"),
                    "must be a-z first, then up to 39 of a-z, 0-9 and _".to_owned(),
                ));
            } else if RESERVED_IDS.contains(&q.id.as_str()) {
                problems.push((f("id"), format!("{} is a reserved column name", q.id)));
            } else if !seen.insert(q.id.as_str()) {
                problems.push((f("id"), format!("{} is listed twice", q.id)));
            } else if kind == SurveyKind::Dimensions
                && crate::voice_metrics::NOT_DIMENSIONS.contains(&q.id.as_str())
            {
                problems.push((
                    f("id"),
                    format!(
                        "{} names another column of the survey-metrics files ({}); a dimension needs another id",
                        q.id,
                        crate::voice_metrics::NOT_DIMENSIONS.join(", ")
                    ),
                ));
            } else if !defines_set && !is_builtin(&q.id) {
                let ids: Vec<&str> = builtin.iter().map(Question::id).collect();
                problems.push((
                    f("id"),
                    format!(
                        "a {} survey asks {}; only their texts can change",
                        kind.as_str(),
                        ids.join(", ")
                    ),
                ));
            }
            if !is_builtin(&q.id) && q.text.is_empty() && id_ok {
                problems.push((f("text"), "a new question needs its text".to_owned()));
            }
            for (lang, text) in &q.text {
                if !comeback_report::Lang::ALL.iter().any(|l| l.code() == lang) {
                    problems.push((
                        f("text"),
                        format!(
                            "{:?} is not one of en, es, pt, fi, de, fr",
                            lang.chars().take(20).collect::<String>()
                        ),
                    ));
                    continue;
                }
                let n = text.chars().count();
                if text.trim().is_empty() || n > QUESTION_TEXT_MAX_CHARS {
                    problems.push((
                        f(&format!("text.{lang}")),
                        format!("must be 1 to {QUESTION_TEXT_MAX_CHARS} characters"),
                    ));
                } else if text.chars().any(|c| c.is_control() && c != '\n') {
                    problems.push((
                        f(&format!("text.{lang}")),
                        "must have no control characters".to_owned(),
                    ));
                }
            }
        }
        if kind == SurveyKind::Dimensions && self.questions.iter().all(|q| q.id == "comment") {
            problems.push((
                "questions".to_owned(),
                "a dimensions survey needs at least one dimension".to_owned(),
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The text of question `id` in `lang`, if this definition gives one for that
    /// language, else for a question that is not built in, English, then any language.
    pub fn text(&self, id: &str, lang: &str, builtin: bool) -> Option<&str> {
        let q = self.questions.iter().find(|q| q.id == id)?;
        if let Some(t) = q.text.get(lang) {
            return Some(t);
        }
        if builtin {
            return None;
        }
        q.text
            .get("en")
            .or_else(|| q.text.values().next())
            .map(String::as_str)
    }
}

/// The questions a survey version asks: the kind's built-in ones, or those of its
/// definition (open questionnaires and service dimensions).
pub fn questions_for(survey: &comeback_store::Survey) -> Vec<Question> {
    let builtin = questions(survey.kind);
    let Some(def) = SurveyDefinition::of(survey) else {
        return builtin;
    };
    match survey.kind {
        SurveyKind::Questionnaire => def
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| Question::Text {
                id: q.id.clone(),
                comment: i == 0,
            })
            .collect(),
        SurveyKind::Dimensions => {
            let mut out: Vec<Question> = def
                .questions
                .iter()
                .filter(|q| q.id != "comment")
                .map(|q| Question::Scale {
                    id: q.id.clone(),
                    min: 1,
                    max: 5,
                    main: false,
                })
                .collect();
            out.push(Question::Text {
                id: "comment".to_owned(),
                comment: true,
            });
            out
        }
        _ => builtin,
    }
}

/// The label of question `id` of `survey` in `lang`: the definition's text, else the
/// catalogue's (`builtin_text`, given the catalogue key `q_{id}`), else the definition's
/// English or any text.
pub fn question_label(
    survey: &comeback_store::Survey,
    id: &str,
    lang: comeback_report::Lang,
    builtin_text: impl Fn(&str) -> String,
) -> String {
    let builtin = questions(survey.kind).iter().any(|q| q.id() == id);
    if let Some(def) = SurveyDefinition::of(survey)
        && let Some(t) = def.text(id, lang.code(), builtin)
    {
        return t.to_owned();
    }
    if builtin {
        return builtin_text(&format!("q_{id}"));
    }
    id.to_owned()
}

/// A report-card criterion at or below this score (of 5) creates a follow-up.
pub const LOW_REPORT_CARD: i64 = 2;

/// An answer parsed from form fields or an import row.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedAnswer {
    /// The kind's main score.
    pub score: Option<i64>,
    /// Every answer as a JSON object.
    pub answers: serde_json::Map<String, serde_json::Value>,
    /// The verbatim.
    pub comment: Option<String>,
}

/// A field of an answer that is not acceptable: (question id, problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerProblem {
    /// The question id (form field).
    pub field: String,
    /// `out_of_range`, `too_long`, `required`, `unknown_option`, `not_a_number`.
    pub problem: &'static str,
}

/// Parses the answers of `kind` from `(field, value)` pairs (a form or an import row).
/// Unknown fields are ignored; empty values are no answer. With `submit`, the main score
/// is required.
///
/// # Errors
/// Every [`AnswerProblem`].
pub fn parse_answer(
    kind: SurveyKind,
    fields: &[(String, String)],
    submit: bool,
) -> Result<ParsedAnswer, Vec<AnswerProblem>> {
    parse_answer_to(&questions(kind), fields, submit)
}

/// As [`parse_answer`], for the questions of one survey version ([`questions_for`]).
///
/// # Errors
/// Every [`AnswerProblem`].
pub fn parse_answer_to(
    questions: &[Question],
    fields: &[(String, String)],
    submit: bool,
) -> Result<ParsedAnswer, Vec<AnswerProblem>> {
    let mut out = ParsedAnswer {
        score: None,
        answers: serde_json::Map::new(),
        comment: None,
    };
    let mut problems = Vec::new();
    let mut problem = |field: &str, p: &'static str| {
        problems.push(AnswerProblem {
            field: field.to_owned(),
            problem: p,
        });
    };
    let values = |id: &str| {
        let id = id.to_owned();
        fields
            .iter()
            .filter(move |(k, _)| *k == id)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    for q in questions {
        match q {
            Question::Scale { id, min, max, main } => match values(id).next() {
                None if *main && submit => problem(id, "required"),
                None => {}
                Some(v) => match v.parse::<i64>() {
                    Ok(x) if (*min..=*max).contains(&x) => {
                        out.answers.insert(id.clone(), x.into());
                        if *main {
                            out.score = Some(x);
                        }
                    }
                    Ok(_) => problem(id, "out_of_range"),
                    Err(_) => problem(id, "not_a_number"),
                },
            },
            Question::Choice { id, options } => {
                let mut chosen = Vec::new();
                for v in values(id) {
                    match options.iter().find(|o| **o == v) {
                        Some(o) if !chosen.contains(o) => chosen.push(*o),
                        Some(_) => {}
                        None => problem(id, "unknown_option"),
                    }
                }
                if !chosen.is_empty() {
                    out.answers.insert(id.clone(), chosen.into());
                }
            }
            Question::Text { id, comment } => {
                if let Some(v) = values(id).next() {
                    if v.chars().count() > comeback_store::SURVEY_TEXT_MAX_CHARS {
                        problem(id, "too_long");
                    } else if v.contains('\0') {
                        problem(id, "not_text");
                    } else {
                        out.answers.insert(id.clone(), v.into());
                        if *comment {
                            out.comment = Some(v.to_owned());
                        }
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Whether `answer` of `kind` needs a follow-up: an NPS detractor (0–6) or a report-card
/// criterion at or below [`LOW_REPORT_CARD`].
pub fn follow_up(kind: SurveyKind, answer: &ParsedAnswer) -> Option<FollowUpReason> {
    match kind {
        SurveyKind::Nps => answer
            .score
            .and_then(|s| u8::try_from(s).ok())
            .and_then(comeback_voice::nps::NpsClass::from_score)
            .filter(|c| *c == comeback_voice::nps::NpsClass::Detractor)
            .map(|_| FollowUpReason::Detractor),
        SurveyKind::ReportCard => answer
            .answers
            .values()
            .filter_map(serde_json::Value::as_i64)
            .any(|v| v <= LOW_REPORT_CARD)
            .then_some(FollowUpReason::LowReportCard),
        _ => None,
    }
}

/// The days of an objective's period label (`YYYY`, `YYYY-H1`/`H2`, `YYYY-Q1`…`Q4`,
/// `YYYY-MM`) as `[first, end)`, or `None` for another label.
pub fn period_bounds(p: &str) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    use chrono::NaiveDate;
    if !comeback_store::valid_period(p) {
        return None;
    }
    let year: i32 = p.get(..4)?.parse().ok()?;
    let (m0, months) = match p.get(4..)? {
        "" => (1, 12),
        "-H1" => (1, 6),
        "-H2" => (7, 6),
        "-Q1" => (1, 3),
        "-Q2" => (4, 3),
        "-Q3" => (7, 3),
        "-Q4" => (10, 3),
        m => (m.get(1..)?.parse::<u32>().ok()?, 1),
    };
    let start = NaiveDate::from_ymd_opt(year, m0, 1)?;
    let end = start.checked_add_months(chrono::Months::new(months))?;
    Some((start, end))
}

/// The NPS counts of `scores` (0–10; others are skipped).
pub fn nps_counts(scores: impl IntoIterator<Item = i64>) -> comeback_voice::nps::NpsCounts {
    let mut c = comeback_voice::nps::NpsCounts::default();
    for s in scores {
        if let Ok(s) = u8::try_from(s) {
            let _ = c.add_score(s);
        }
    }
    c
}

/// The NPS (points) of the scores given within `period` (an objective's label), or `None`
/// without any.
pub fn nps_in_period(scores: &[(DateTime<Utc>, i64)], period: &str) -> Option<f64> {
    let (start, end) = period_bounds(period)?;
    let c = nps_counts(
        scores
            .iter()
            .filter(|(t, _)| {
                let d = t.date_naive();
                d >= start && d < end
            })
            .map(|(_, s)| *s),
    );
    c.nps()
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_hides_the_secret() {
        let s = super::SurveySettings {
            survey_secret: Some("0123456789abcdef0123456789abcdef-secret".to_owned()),
            ..Default::default()
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("secret\""), "{shown}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(
            shown.contains("survey_secret: Some(\"<redacted>\")"),
            "{shown}"
        );
        assert!(shown.contains("survey_min_days: 90"), "{shown}");
    }

    #[test]
    fn periods_and_nps() {
        use chrono::NaiveDate;
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(period_bounds("2026"), Some((d(2026, 1, 1), d(2027, 1, 1))));
        assert_eq!(
            period_bounds("2026-H2"),
            Some((d(2026, 7, 1), d(2027, 1, 1)))
        );
        assert_eq!(
            period_bounds("2026-Q4"),
            Some((d(2026, 10, 1), d(2027, 1, 1)))
        );
        assert_eq!(
            period_bounds("2026-02"),
            Some((d(2026, 2, 1), d(2026, 3, 1)))
        );
        assert_eq!(period_bounds("2026-13"), None);
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 2 promoters, 1 passive, 1 detractor in 2026: (2 − 1)/4 = 25 points; the 2025
        // answer is outside.
        let scores = [
            (t("2026-01-05T10:00:00Z"), 10),
            (t("2026-03-05T10:00:00Z"), 9),
            (t("2026-06-05T10:00:00Z"), 8),
            (t("2026-12-31T23:59:59Z"), 3),
            (t("2025-12-31T23:59:59Z"), 0),
        ];
        assert_eq!(nps_in_period(&scores, "2026"), Some(25.0));
        assert_eq!(nps_in_period(&scores, "2026-Q1"), Some(100.0));
        assert_eq!(nps_in_period(&scores, "2027"), None);
    }

    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn nps_answers_and_detractors() {
        let a = parse_answer(
            SurveyKind::Nps,
            &f(&[("recommend", "6"), ("why", " slow ")]),
            true,
        )
        .unwrap();
        assert_eq!(a.score, Some(6));
        assert_eq!(a.comment.as_deref(), Some("slow"));
        assert_eq!(
            follow_up(SurveyKind::Nps, &a),
            Some(FollowUpReason::Detractor)
        );
        let a = parse_answer(SurveyKind::Nps, &f(&[("recommend", "7")]), true).unwrap();
        assert_eq!(follow_up(SurveyKind::Nps, &a), None);
        let e = parse_answer(SurveyKind::Nps, &f(&[("recommend", "11")]), true).unwrap_err();
        assert_eq!(e[0].problem, "out_of_range");
        let e = parse_answer(SurveyKind::Nps, &f(&[]), true).unwrap_err();
        assert_eq!(e[0].problem, "required");
        // A draft may leave the score out.
        assert!(parse_answer(SurveyKind::Nps, &f(&[]), false).is_ok());
        let long = "x".repeat(comeback_store::SURVEY_TEXT_MAX_CHARS + 1);
        let e = parse_answer(
            SurveyKind::Nps,
            &f(&[("recommend", "9"), ("why", &long)]),
            true,
        )
        .unwrap_err();
        assert_eq!((e[0].field.as_str(), e[0].problem), ("why", "too_long"));
    }

    #[test]
    fn exit_reasons_and_report_cards() {
        let a = parse_answer(
            SurveyKind::Exit,
            &f(&[
                ("reasons", "price"),
                ("reasons", "quality"),
                ("reasons", "price"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(
            a.answers["reasons"],
            serde_json::json!(["price", "quality"])
        );
        assert!(parse_answer(SurveyKind::Exit, &f(&[("reasons", "weather")]), true).is_err());
        let a = parse_answer(
            SurveyKind::ReportCard,
            &f(&[("reliability", "4"), ("empathy", "2")]),
            true,
        )
        .unwrap();
        assert_eq!(
            follow_up(SurveyKind::ReportCard, &a),
            Some(FollowUpReason::LowReportCard)
        );
        let a = parse_answer(SurveyKind::ReportCard, &f(&[("reliability", "3")]), true).unwrap();
        assert_eq!(follow_up(SurveyKind::ReportCard, &a), None);
    }
}
