//! Who may see and handle which complaint (the roles of the complaint API and pages), a
//! help desk's policy:
//!
//! | role    | sees                                                     | may act on       |
//! |---------|----------------------------------------------------------|------------------|
//! | admin   | every complaint                                          | every one        |
//! | manager | complaints at their locations, without a location, or that they own or recorded | those it sees |
//! | staff   | complaints they own (are assigned to) or recorded         | those they own   |
//!
//! Anyone logged in may record a complaint (they own it until it is escalated). The
//! recovery steps that commit the business — `compensate`, `close` and `reopen` — need a
//! manager or an admin; staff escalate the complaint to one (`escalate` hands it over).
//! Every other step (acknowledge, take action, show empathy, follow up, escalate, wait for
//! the customer, resume) is open to whoever may act on the complaint. A refusal is a 403
//! whose message says which rule refused it. The queue shows each user only what they may
//! see ([`scope`]).

use comeback_store::{Complaint, ComplaintScope, Role};

use crate::auth::AuthUser;
use crate::error::ApiError;

/// Actions that need a manager or an admin.
pub const MANAGER_ACTIONS: [&str; 3] = ["compensate", "close", "reopen"];

/// The store's filter of what `user` may see.
pub fn scope(user: &AuthUser) -> ComplaintScope {
    match user.role {
        Role::Admin => ComplaintScope::All,
        Role::Manager => ComplaintScope::Manager(user.user_id),
        Role::Staff => ComplaintScope::Staff(user.user_id),
    }
}

fn own(user: &AuthUser, c: &Complaint) -> bool {
    c.owner == Some(user.user_id)
}

fn recorded(user: &AuthUser, c: &Complaint) -> bool {
    c.created_by == Some(user.user_id)
}

/// Whether `user` may see complaint `c`.
pub fn can_see(user: &AuthUser, c: &Complaint) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Manager => {
            own(user, c)
                || recorded(user, c)
                || c.location
                    .as_deref()
                    .is_none_or(|l| user.locations.iter().any(|m| m == l))
        }
        Role::Staff => own(user, c) || recorded(user, c),
    }
}

/// Why a complaint was refused to a user (a 403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A manager asked for a complaint at another location.
    OtherLocation {
        /// The complaint's reference.
        reference: String,
        /// Its location code.
        location: String,
    },
    /// A staff member asked for a complaint they neither own nor recorded.
    NotYours {
        /// The complaint's reference.
        reference: String,
    },
    /// A staff member tried to act on a complaint someone else owns.
    OwnedByOther {
        /// The complaint's reference.
        reference: String,
    },
    /// A staff member tried a step that needs a manager or an admin.
    ManagerStep {
        /// The action's name.
        action: String,
    },
}

impl Refusal {
    /// The message key in the dashboard's `complaint` catalogue.
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::OtherLocation { .. } => "forbidden_location",
            Refusal::NotYours { .. } => "forbidden_not_yours",
            Refusal::OwnedByOther { .. } => "forbidden_owner",
            Refusal::ManagerStep { .. } => "forbidden_manager_step",
        }
    }

    /// The placeholders of the message (`reference`, `location`, `action`).
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Refusal::OtherLocation {
                reference,
                location,
            } => vec![
                ("reference", reference.clone()),
                ("location", location.clone()),
            ],
            Refusal::NotYours { reference } | Refusal::OwnedByOther { reference } => {
                vec![("reference", reference.clone())]
            }
            Refusal::ManagerStep { action } => vec![("action", action.clone())],
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::OtherLocation {
                reference,
                location,
            } => write!(
                f,
                "complaint {reference} is at location {location}, which is not one of yours: \
                 managers see the complaints of their locations and those they own or recorded"
            ),
            Refusal::NotYours { reference } => write!(
                f,
                "complaint {reference} is not yours: staff see the complaints they own or recorded"
            ),
            Refusal::OwnedByOther { reference } => write!(
                f,
                "complaint {reference} is owned by someone else: staff act only on the \
                 complaints they own"
            ),
            Refusal::ManagerStep { action } => write!(
                f,
                "{action} needs a manager or an admin: escalate the complaint to one"
            ),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError::Forbidden(r.to_string())
    }
}

/// Unless `user` may see `c`, why not.
///
/// # Errors
/// The [`Refusal`].
pub fn check_see(user: &AuthUser, c: &Complaint) -> Result<(), Refusal> {
    if can_see(user, c) {
        return Ok(());
    }
    Err(match user.role {
        Role::Manager => Refusal::OtherLocation {
            reference: c.reference.clone(),
            location: c.location.clone().unwrap_or_default(),
        },
        _ => Refusal::NotYours {
            reference: c.reference.clone(),
        },
    })
}

/// Whether `user` may apply `action` (by name) to `c` (the recovery's own rules aside).
pub fn can_act(user: &AuthUser, c: &Complaint, action: &str) -> bool {
    check_act(user, c, action).is_ok()
}

/// Unless `user` may apply `action` (by name) to `c`, why not.
///
/// # Errors
/// The [`Refusal`].
pub fn check_act(user: &AuthUser, c: &Complaint, action: &str) -> Result<(), Refusal> {
    check_see(user, c)?;
    if user.role != Role::Staff {
        return Ok(());
    }
    if !own(user, c) {
        return Err(Refusal::OwnedByOther {
            reference: c.reference.clone(),
        });
    }
    if MANAGER_ACTIONS.contains(&action) {
        return Err(Refusal::ManagerStep {
            action: action.to_owned(),
        });
    }
    Ok(())
}

/// The actions `user` may apply to `c` now: the recovery's (waiting for the customer
/// included) that the role allows.
pub fn allowed_for(user: &AuthUser, c: &Complaint) -> Vec<&'static str> {
    comeback_complaints::recovery::allowed_now(c.status, c.waiting_since.is_some())
        .into_iter()
        .filter(|a| can_act(user, c, a))
        .collect()
}
