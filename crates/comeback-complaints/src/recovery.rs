//! The complaint record (ISO 10002:2018 §7, "Operation of the complaints-handling
//! process") and the five-step service recovery as a state machine.
//!
//! The five steps are those of the founding articles (PRODUCT R7, source 002): apologise
//! and acknowledge, act urgently, show empathy, compensate (not necessarily money), follow
//! up. As states:
//!
//! ```text
//! Received ─acknowledge→ Acknowledged ─take action→ ActionTaken ─show empathy→ EmpathyShown
//!   ─compensate→ Compensated ─follow up→ FollowedUp ─close→ Closed
//! FollowedUp, Closed ─reopen→ Reopened ─take action→ ActionTaken → … (the steps again)
//! escalate: in every state but Closed, without changing it (a new owner)
//! import: from any state while the history holds nothing but imports (the system records
//!   what another system's file says: received, acknowledged, closed or reopened)
//! wait for customer: in every state but Closed, without changing it (the SLA clock stops)
//! resume: only while waiting for the customer (the clock runs again)
//! ```
//!
//! **Waiting for the customer** (help desks' "pending"): [`Action::WaitForCustomer`]
//! stops the SLA clock until [`Action::Resume`]. While a complaint waits, only `resume`
//! and `escalate` are allowed (a step needs the customer's answer: resume first), so a
//! pause always ends before the next step. [`ComplaintRecord::pauses`] gives the pause
//! intervals for [`crate::sla::BusinessCalendar::business_duration_paused`] and the
//! measures.
//!
//! Every transition records who ([`Actor`]) and when; the history is append-only (no method
//! edits or removes an event; [`ComplaintRecord::replay`] rebuilds a record from stored
//! events by applying them again, so a stored history that breaks the rules is refused).
//! Events must not go back in time. Actors are internal ids, so erasing a customer's
//! personal data leaves the audit trail intact.

use chrono::{DateTime, Utc};
use comeback_core::Amount;
use std::fmt;

/// The reference shown to the customer (ISO 10002 §7.2: each complaint gets a unique
/// identifier the complainant can quote).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference(String);

impl Reference {
    /// A reference of 4–40 ASCII letters, digits and `-` (printable on a receipt, safe in a
    /// URL).
    ///
    /// # Errors
    /// [`RecordError::Reference`] otherwise.
    pub fn parse(s: &str) -> Result<Reference, RecordError> {
        let ok = (4..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if ok {
            Ok(Reference(s.to_string()))
        } else {
            Err(RecordError::Reference(s.to_string()))
        }
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who did something: an internal id (an employee's user id, or `customer`/`system`
/// for the complainant and automatic steps) — never a name or an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A staff member, by internal user id.
    Staff(i64),
    /// The complainant.
    Customer,
    /// An automatic step (an import, a rule).
    System,
}

/// How the complaint arrived.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Channel {
    /// In person at a location.
    InPerson,
    /// Telephone.
    Phone,
    /// E-mail.
    Email,
    /// The public complaint page.
    Web,
    /// Letter.
    Letter,
    /// Social media.
    Social,
    /// An employee flagged the customer as unhappy.
    StaffFlag,
    /// A detractor's survey answer.
    Survey,
    /// Anything else, as written.
    Other(String),
}

/// Complaint category: the seven reasons customers leave (PRODUCT R6, source 002), extensible.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Price.
    Price,
    /// Quality of the product or service.
    Quality,
    /// A better offer from a competitor.
    CompetitorOffer,
    /// Inadequate response (service, attention).
    InadequateResponse,
    /// Broken promises.
    BrokenPromise,
    /// An earlier complaint left unresolved.
    UnresolvedComplaint,
    /// General dissatisfaction.
    GeneralDissatisfaction,
    /// A business-specific category.
    Other(String),
}

/// Severity (drives the SLA targets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical (safety, legal).
    Critical,
}

/// Kind of compensation (step 4: "compensate, not necessarily with money").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompensationKind {
    /// Money back.
    Refund,
    /// A discount on a purchase.
    Discount,
    /// A gift.
    Gift,
    /// A service free of charge.
    FreeService,
    /// No compensation (an apology was the remedy).
    None,
}

/// The compensation given: its kind, its value in the business currency when it has one
/// (`None` for a non-monetary gesture) and a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compensation {
    kind: CompensationKind,
    value: Option<Amount>,
    note: String,
}

impl Compensation {
    /// A compensation. A [`CompensationKind::Refund`] needs a positive value; any value is
    /// ≥ 0; [`CompensationKind::None`] has no value (or zero).
    ///
    /// # Errors
    /// [`RecordError::Compensation`] naming the rule broken.
    pub fn new(
        kind: CompensationKind,
        value: Option<Amount>,
        note: impl Into<String>,
    ) -> Result<Compensation, RecordError> {
        let bad = |why: &str| Err(RecordError::Compensation(why.to_string()));
        if value.is_some_and(Amount::is_negative) {
            return bad("a compensation value cannot be negative");
        }
        match (kind, value) {
            (CompensationKind::Refund, None) => return bad("a refund needs its value"),
            (CompensationKind::Refund, Some(v)) if v.micros() == 0 => {
                return bad("a refund of zero is no refund (use kind none)");
            }
            (CompensationKind::None, Some(v)) if v.micros() != 0 => {
                return bad("no compensation cannot have a value");
            }
            _ => {}
        }
        Ok(Compensation {
            kind,
            value,
            note: note.into(),
        })
    }

    /// The kind.
    pub fn kind(&self) -> CompensationKind {
        self.kind
    }

    /// The value in the business currency (`None`: non-monetary).
    pub fn value(&self) -> Option<Amount> {
        self.value
    }

    /// The note (what was given).
    pub fn note(&self) -> &str {
        &self.note
    }
}

/// Where a complaint stands in the five-step recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Recorded, nothing done yet.
    Received,
    /// Step 1: acknowledged, with an apology.
    Acknowledged,
    /// Step 2: action taken.
    ActionTaken,
    /// Step 3: empathy shown (a conversation noted).
    EmpathyShown,
    /// Step 4: compensation decided (possibly none).
    Compensated,
    /// Step 5: followed up; the answer to "are you satisfied?" recorded.
    FollowedUp,
    /// Closed.
    Closed,
    /// Reopened after a follow-up or a closure; action is due again.
    Reopened,
}

impl Status {
    /// Every status, in the order of the steps.
    pub const ALL: [Status; 8] = [
        Status::Received,
        Status::Acknowledged,
        Status::ActionTaken,
        Status::EmpathyShown,
        Status::Compensated,
        Status::FollowedUp,
        Status::Closed,
        Status::Reopened,
    ];

    /// Snake-case name (`action_taken`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Acknowledged => "acknowledged",
            Status::ActionTaken => "action_taken",
            Status::EmpathyShown => "empathy_shown",
            Status::Compensated => "compensated",
            Status::FollowedUp => "followed_up",
            Status::Closed => "closed",
            Status::Reopened => "reopened",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Step 1: acknowledge and apologise (the apology as said or sent).
    Acknowledge {
        /// The apology.
        apology: String,
    },
    /// Step 2: act (what was done).
    TakeAction {
        /// What was done.
        description: String,
    },
    /// Step 3: show empathy (a note of the conversation).
    ShowEmpathy {
        /// The note.
        note: String,
    },
    /// Step 4: compensate (possibly [`CompensationKind::None`]).
    Compensate {
        /// The compensation.
        compensation: Compensation,
    },
    /// Step 5: follow up and record whether the customer is satisfied.
    FollowUp {
        /// The customer's answer: satisfied?
        satisfied: bool,
        /// Their words, if any.
        comment: String,
    },
    /// Close the complaint.
    Close {
        /// A closing note.
        note: String,
    },
    /// Hand the complaint to someone with more authority (state unchanged).
    Escalate {
        /// The new owner (an internal user id).
        to: i64,
        /// Why.
        reason: String,
    },
    /// Reopen after a follow-up or a closure.
    Reopen {
        /// Why.
        reason: String,
    },
    /// Stop the SLA clock while waiting for the customer's answer (state unchanged).
    WaitForCustomer {
        /// What the customer was asked (may be empty).
        note: String,
    },
    /// Start the SLA clock again after waiting for the customer (state unchanged).
    Resume {
        /// What the customer answered (may be empty).
        note: String,
    },
    /// The state of a complaint as another system's file records it (a row of `comeback
    /// complaints`' file), recorded by the system at import. Allowed only while the
    /// history holds nothing but imports: once a step is taken here, a file no longer
    /// decides. Leads to [`Imported::status`].
    Import {
        /// What the file says.
        imported: Box<Imported>,
    },
}

/// What an imported file says about a complaint, as written (the columns of `comeback
/// complaints`' file besides the customer and the receipt, which the record holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The file's complaint id (unique per business; re-importing it updates this
    /// complaint).
    pub external_id: String,
    /// The first response.
    pub first_response_at: Option<DateTime<Utc>>,
    /// The resolution.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The reopening after the resolution.
    pub reopened_at: Option<DateTime<Utc>>,
    /// The category as written (trimmed).
    pub category: String,
    /// The compensation's value (`None`: not decided yet).
    pub compensation: Option<Amount>,
    /// The compensation's kind as written.
    pub compensation_type: Option<String>,
    /// The location as written.
    pub location: Option<String>,
    /// The employee as written.
    pub employee: Option<String>,
    /// The severity as written.
    pub severity: Option<String>,
    /// The channel as written.
    pub channel: Option<String>,
    /// Whether the customer was satisfied with the handling.
    pub satisfied: Option<bool>,
}

impl Imported {
    /// The status the file implies: reopened after a resolution, closed when resolved,
    /// acknowledged after a first response, else received.
    pub fn status(&self) -> Status {
        if self.resolved_at.is_some() && self.reopened_at.is_some() {
            Status::Reopened
        } else if self.resolved_at.is_some() {
            Status::Closed
        } else if self.first_response_at.is_some() {
            Status::Acknowledged
        } else {
            Status::Received
        }
    }
}

impl Action {
    /// Snake-case name (`take_action`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Acknowledge { .. } => "acknowledge",
            Action::TakeAction { .. } => "take_action",
            Action::ShowEmpathy { .. } => "show_empathy",
            Action::Compensate { .. } => "compensate",
            Action::FollowUp { .. } => "follow_up",
            Action::Close { .. } => "close",
            Action::Escalate { .. } => "escalate",
            Action::Reopen { .. } => "reopen",
            Action::Import { .. } => "import",
            Action::WaitForCustomer { .. } => "wait_for_customer",
            Action::Resume { .. } => "resume",
        }
    }
}

/// The state an action leads to from `from`, or `None` when the transition is not allowed
/// (the table of the module documentation).
pub fn next_status(from: Status, action: &Action) -> Option<Status> {
    use Status as S;
    match (from, action) {
        (S::Received, Action::Acknowledge { .. }) => Some(S::Acknowledged),
        (S::Acknowledged | S::Reopened, Action::TakeAction { .. }) => Some(S::ActionTaken),
        (S::ActionTaken, Action::ShowEmpathy { .. }) => Some(S::EmpathyShown),
        (S::EmpathyShown, Action::Compensate { .. }) => Some(S::Compensated),
        (S::Compensated, Action::FollowUp { .. }) => Some(S::FollowedUp),
        (S::FollowedUp, Action::Close { .. }) => Some(S::Closed),
        (S::FollowedUp | S::Closed, Action::Reopen { .. }) => Some(S::Reopened),
        (s, Action::Escalate { .. }) if s != S::Closed => Some(s),
        (_, Action::Import { imported }) => Some(imported.status()),
        _ => None,
    }
}

/// The actions allowed from `from` (for a user interface), by name.
pub fn allowed_actions(from: Status) -> Vec<&'static str> {
    let samples = [
        Action::Acknowledge {
            apology: String::new(),
        },
        Action::TakeAction {
            description: String::new(),
        },
        Action::ShowEmpathy {
            note: String::new(),
        },
        Action::Compensate {
            compensation: Compensation {
                kind: CompensationKind::None,
                value: None,
                note: String::new(),
            },
        },
        Action::FollowUp {
            satisfied: true,
            comment: String::new(),
        },
        Action::Close {
            note: String::new(),
        },
        Action::Escalate {
            to: 0,
            reason: String::new(),
        },
        Action::Reopen {
            reason: String::new(),
        },
    ];
    samples
        .iter()
        .filter(|a| next_status(from, a).is_some())
        .map(Action::name)
        .collect()
}

/// The actions allowed in `status`, by name, when the complaint is (`waiting`) or is not
/// waiting for the customer (see [`ComplaintRecord::allowed_now`]).
pub fn allowed_now(status: Status, waiting: bool) -> Vec<&'static str> {
    if waiting {
        return vec!["resume", "escalate"];
    }
    let mut v = allowed_actions(status);
    if status != Status::Closed {
        v.push("wait_for_customer");
    }
    v
}

/// The pause intervals of a history given as (time, action) in order: each
/// `wait_for_customer` opens one, the next `resume` closes it; the last stays open
/// (`None`) without a `resume`.
pub fn pause_intervals<'a>(
    events: impl IntoIterator<Item = (DateTime<Utc>, &'a Action)>,
) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut out: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
    for (at, a) in events {
        match a {
            Action::WaitForCustomer { .. } if out.last().is_none_or(|p| p.1.is_some()) => {
                out.push((at, None));
            }
            Action::Resume { .. } => {
                if let Some(last) = out.last_mut().filter(|p| p.1.is_none()) {
                    last.1 = Some(at);
                }
            }
            _ => {}
        }
    }
    out
}

/// When a history given as (time, action) in order is waiting for the customer now.
pub fn waiting_since<'a>(
    events: impl IntoIterator<Item = (DateTime<Utc>, &'a Action)>,
) -> Option<DateTime<Utc>> {
    pause_intervals(events)
        .last()
        .filter(|p| p.1.is_none())
        .map(|p| p.0)
}

/// One entry of the history: who did what, when, and the status before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: Action,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
}

/// Why a record or an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// A transition the recovery does not allow.
    #[error("cannot {action} a complaint that is {from} (allowed: {allowed})")]
    InvalidTransition {
        /// The action attempted.
        action: &'static str,
        /// The current status.
        from: Status,
        /// The actions allowed now, comma-separated (or `none`).
        allowed: String,
    },
    /// A step attempted while the complaint waits for the customer.
    #[error(
        "cannot {action} a complaint that is waiting for the customer since {since} (allowed: resume, escalate)"
    )]
    Waiting {
        /// The action attempted.
        action: &'static str,
        /// When the wait began (RFC 3339).
        since: String,
    },
    /// `resume` on a complaint that is not waiting for the customer.
    #[error("cannot resume a complaint that is not waiting for the customer")]
    NotWaiting,
    /// An event dated before the previous one.
    #[error("{action} at {at} is before the previous event at {previous}")]
    OutOfOrder {
        /// The action attempted.
        action: &'static str,
        /// Its time (RFC 3339).
        at: String,
        /// The previous event's time (RFC 3339).
        previous: String,
    },
    /// An invalid reference.
    #[error("invalid complaint reference {0:?} (expected 4–40 letters, digits or '-')")]
    Reference(String),
    /// An invalid compensation.
    #[error("invalid compensation: {0}")]
    Compensation(String),
    /// A required text left empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

/// SLA deadlines of a complaint (computed with [`crate::sla::BusinessCalendar::deadline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadlines {
    /// First response due.
    pub first_response: Option<DateTime<Utc>>,
    /// Resolution due.
    pub resolution: Option<DateTime<Utc>>,
}

/// What is known when a complaint is received (ISO 10002 §7.2 "receipt of complaint":
/// the complaint, the complainant, the product or service, the remedy sought and the
/// circumstances). Customers, locations, employees and owners are internal ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    /// The reference shown to the customer.
    pub reference: Reference,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// How.
    pub channel: Channel,
    /// The customer (internal id).
    pub customer: i64,
    /// The location concerned (internal id).
    pub location: Option<i64>,
    /// The employee involved (internal id).
    pub employee: Option<i64>,
    /// The product or service concerned.
    pub product: Option<String>,
    /// The complaint in the customer's words.
    pub description: String,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// The remedy the customer asks for.
    pub remedy_requested: Option<String>,
    /// Who handles it (internal user id).
    pub owner: Option<i64>,
    /// SLA deadlines.
    pub deadlines: Deadlines,
}

/// A complaint with its append-only recovery history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRecord {
    intake: Intake,
    status: Status,
    owner: Option<i64>,
    history: Vec<Event>,
}

impl ComplaintRecord {
    /// A new complaint in [`Status::Received`].
    ///
    /// # Errors
    /// [`RecordError::Empty`] for an empty description.
    pub fn new(intake: Intake) -> Result<ComplaintRecord, RecordError> {
        if intake.description.trim().is_empty() {
            return Err(RecordError::Empty("the description"));
        }
        Ok(ComplaintRecord {
            owner: intake.owner,
            intake,
            status: Status::Received,
            history: Vec::new(),
        })
    }

    /// Rebuilds a record from its intake and stored events, applying each again.
    ///
    /// # Errors
    /// The first event the rules refuse, as [`ComplaintRecord::apply`] would.
    pub fn replay(
        intake: Intake,
        events: impl IntoIterator<Item = (DateTime<Utc>, Actor, Action)>,
    ) -> Result<ComplaintRecord, RecordError> {
        let mut r = ComplaintRecord::new(intake)?;
        for (at, actor, action) in events {
            r.apply(at, actor, action)?;
        }
        Ok(r)
    }

    /// Applies `action` by `actor` at `at`: checks the transition, the time order and the
    /// action's own fields, then appends the event.
    ///
    /// ```
    /// use comeback_complaints::recovery::*;
    /// use chrono::{TimeZone, Utc};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let t = |h| Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap();
    /// let mut c = ComplaintRecord::new(Intake {
    ///     reference: Reference::parse("CB-7Q4K")?,
    ///     received_at: t(9),
    ///     channel: Channel::Phone,
    ///     customer: 42,
    ///     location: None,
    ///     employee: None,
    ///     product: None,
    ///     description: "cold soup".into(),
    ///     category: Category::Quality,
    ///     severity: Severity::Low,
    ///     remedy_requested: None,
    ///     owner: Some(7),
    ///     deadlines: Deadlines::default(),
    /// })?;
    /// c.apply(t(10), Actor::Staff(7), Action::Acknowledge { apology: "We are sorry.".into() })?;
    /// let err = c.apply(t(11), Actor::Staff(7), Action::Close { note: String::new() });
    /// assert_eq!(
    ///     err.unwrap_err().to_string(),
    ///     "cannot close a complaint that is acknowledged (allowed: take_action, escalate)"
    /// );
    /// assert_eq!(c.status(), Status::Acknowledged);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`RecordError::InvalidTransition`] (listing what is allowed),
    /// [`RecordError::OutOfOrder`] for a time before the previous event (or before
    /// receipt), [`RecordError::Empty`] for an empty apology, action description, empathy
    /// note or reason. A refused action changes nothing.
    pub fn apply(
        &mut self,
        at: DateTime<Utc>,
        actor: Actor,
        action: Action,
    ) -> Result<&Event, RecordError> {
        let name = action.name();
        if matches!(action, Action::Import { .. })
            && self
                .history
                .iter()
                .any(|e| !matches!(e.action, Action::Import { .. }))
        {
            return Err(RecordError::InvalidTransition {
                action: name,
                from: self.status,
                allowed: allowed_actions(self.status).join(", "),
            });
        }
        let waiting = self.waiting_since();
        let to = match (&action, waiting) {
            (Action::Resume { .. }, None) => return Err(RecordError::NotWaiting),
            (Action::Resume { .. } | Action::Escalate { .. }, Some(_)) => Some(self.status),
            (_, Some(since)) => {
                return Err(RecordError::Waiting {
                    action: name,
                    since: since.to_rfc3339(),
                });
            }
            (Action::WaitForCustomer { .. }, None) => {
                (self.status != Status::Closed).then_some(self.status)
            }
            (_, None) => next_status(self.status, &action),
        };
        let to = to.ok_or_else(|| {
            let allowed = allowed_actions(self.status);
            RecordError::InvalidTransition {
                action: name,
                from: self.status,
                allowed: if allowed.is_empty() {
                    "none".into()
                } else {
                    allowed.join(", ")
                },
            }
        })?;
        let previous = self
            .history
            .last()
            .map_or(self.intake.received_at, |e| e.at);
        if at < previous {
            return Err(RecordError::OutOfOrder {
                action: name,
                at: at.to_rfc3339(),
                previous: previous.to_rfc3339(),
            });
        }
        let required = match &action {
            Action::Acknowledge { apology } => Some((apology, "the apology")),
            Action::TakeAction { description } => Some((description, "the action taken")),
            Action::ShowEmpathy { note } => Some((note, "the empathy note")),
            Action::Escalate { reason, .. } => Some((reason, "the escalation reason")),
            Action::Reopen { reason } => Some((reason, "the reopening reason")),
            _ => None,
        };
        if let Some((text, what)) = required
            && text.trim().is_empty()
        {
            return Err(RecordError::Empty(what));
        }
        if let Action::Escalate { to, .. } = &action {
            self.owner = Some(*to);
        }
        self.history.push(Event {
            at,
            actor,
            action,
            from: self.status,
            to,
        });
        self.status = to;
        Ok(self.history.last().unwrap_or_else(|| unreachable!()))
    }

    /// The intake.
    pub fn intake(&self) -> &Intake {
        &self.intake
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The current owner (the last escalation's, else the intake's).
    pub fn owner(&self) -> Option<i64> {
        self.owner
    }

    /// The history, oldest first.
    pub fn history(&self) -> &[Event] {
        &self.history
    }

    /// When the first response was given: the first acknowledgement.
    pub fn first_response_at(&self) -> Option<DateTime<Utc>> {
        self.history
            .iter()
            .find(|e| matches!(e.action, Action::Acknowledge { .. }))
            .map(|e| e.at)
    }

    /// When the complaint was last closed (`None` while open or reopened).
    pub fn resolved_at(&self) -> Option<DateTime<Utc>> {
        (self.status == Status::Closed)
            .then(|| self.history.last().map(|e| e.at))
            .flatten()
    }

    /// The answer of the last follow-up (satisfied?).
    pub fn satisfied(&self) -> Option<bool> {
        self.history.iter().rev().find_map(|e| match &e.action {
            Action::FollowUp { satisfied, .. } => Some(*satisfied),
            _ => None,
        })
    }

    /// When the complaint began waiting for the customer, if it is waiting now (the last
    /// `wait_for_customer` not followed by a `resume`).
    pub fn waiting_since(&self) -> Option<DateTime<Utc>> {
        waiting_since(self.history.iter().map(|e| (e.at, &e.action)))
    }

    /// The pauses of the SLA clock: `[wait_for_customer, resume)` intervals in order, the
    /// last one open (`None`) while the complaint still waits.
    pub fn pauses(&self) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        pause_intervals(self.history.iter().map(|e| (e.at, &e.action)))
    }

    /// The actions allowed now, by name: `resume` and `escalate` while waiting for the
    /// customer, else [`allowed_actions`] of the status plus `wait_for_customer` (unless
    /// closed).
    pub fn allowed_now(&self) -> Vec<&'static str> {
        allowed_now(self.status, self.waiting_since().is_some())
    }

    /// How many times the complaint was escalated.
    pub fn escalations(&self) -> usize {
        self.history
            .iter()
            .filter(|e| matches!(e.action, Action::Escalate { .. }))
            .count()
    }
}

/// Snake-case names of the closed vocabularies, for storage and the API: `as_str` gives
/// the name, `parse` reads it back (case-insensitive, trimmed; an unknown channel or
/// category is kept as [`Channel::Other`] / [`Category::Other`]).
impl Channel {
    /// The name (`in_person`, `phone`, ..., or the other channel as written).
    pub fn as_str(&self) -> &str {
        match self {
            Channel::InPerson => "in_person",
            Channel::Phone => "phone",
            Channel::Email => "email",
            Channel::Web => "web",
            Channel::Letter => "letter",
            Channel::Social => "social",
            Channel::StaffFlag => "staff_flag",
            Channel::Survey => "survey",
            Channel::Other(s) => s,
        }
    }

    /// Reads a name; anything else non-empty is [`Channel::Other`].
    ///
    /// # Errors
    /// [`RecordError::Empty`] for an empty name.
    pub fn parse(s: &str) -> Result<Channel, RecordError> {
        let t = s.trim();
        Ok(match t.to_ascii_lowercase().as_str() {
            "" => return Err(RecordError::Empty("the channel")),
            "in_person" => Channel::InPerson,
            "phone" => Channel::Phone,
            "email" => Channel::Email,
            "web" => Channel::Web,
            "letter" => Channel::Letter,
            "social" => Channel::Social,
            "staff_flag" => Channel::StaffFlag,
            "survey" => Channel::Survey,
            _ => Channel::Other(t.to_string()),
        })
    }
}

impl Category {
    /// The name (`price`, `quality`, ..., or the other category as written).
    pub fn as_str(&self) -> &str {
        match self {
            Category::Price => "price",
            Category::Quality => "quality",
            Category::CompetitorOffer => "competitor_offer",
            Category::InadequateResponse => "inadequate_response",
            Category::BrokenPromise => "broken_promise",
            Category::UnresolvedComplaint => "unresolved_complaint",
            Category::GeneralDissatisfaction => "general_dissatisfaction",
            Category::Other(s) => s,
        }
    }

    /// Reads a name; anything else non-empty is [`Category::Other`].
    ///
    /// # Errors
    /// [`RecordError::Empty`] for an empty name.
    pub fn parse(s: &str) -> Result<Category, RecordError> {
        let t = s.trim();
        Ok(match t.to_ascii_lowercase().as_str() {
            "" => return Err(RecordError::Empty("the category")),
            "price" => Category::Price,
            "quality" => Category::Quality,
            "competitor_offer" => Category::CompetitorOffer,
            "inadequate_response" => Category::InadequateResponse,
            "broken_promise" => Category::BrokenPromise,
            "unresolved_complaint" => Category::UnresolvedComplaint,
            "general_dissatisfaction" => Category::GeneralDissatisfaction,
            _ => Category::Other(t.to_string()),
        })
    }
}

impl Severity {
    /// The four severities, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The name (`low`, `medium`, `high`, `critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Reads a name (`None` for anything else).
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl CompensationKind {
    /// The five kinds.
    pub const ALL: [CompensationKind; 5] = [
        CompensationKind::Refund,
        CompensationKind::Discount,
        CompensationKind::Gift,
        CompensationKind::FreeService,
        CompensationKind::None,
    ];

    /// The name (`refund`, `discount`, `gift`, `free_service`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            CompensationKind::Refund => "refund",
            CompensationKind::Discount => "discount",
            CompensationKind::Gift => "gift",
            CompensationKind::FreeService => "free_service",
            CompensationKind::None => "none",
        }
    }

    /// Reads a name (`None` for anything else).
    pub fn parse(s: &str) -> Option<CompensationKind> {
        CompensationKind::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl Status {
    /// Reads a name of [`Status::as_str`] (`None` for anything else).
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s)
    }
}
