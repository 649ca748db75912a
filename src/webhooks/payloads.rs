//! What each event's `data` holds, typed: the events are written from these, and the
//! document's `webhooks` section describes them from the same types. No payload names a
//! person, an email address or a token.

use entity::address_state::AddressState;
use entity::delivery_event::Finding;
use entity::mailing::{self, MailKind};
use entity::reply;
use entity::round::{self, RoundState};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FiscalYear;

/// `reply.submitted` and `reply.revised`: ids, lateness and revision.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)] // in the document: no field besides these
pub struct ReplyEvent {
    pub reply_id: i32,
    pub invitation_id: i32,
    pub round_id: i32,
    pub workshop_id: i32,
    pub administration_id: i32,
    /// Submitted after the due date.
    pub late: bool,
    /// 1 for the first submission.
    pub revision: i32,
}

impl From<&reply::Model> for ReplyEvent {
    fn from(reply: &reply::Model) -> Self {
        Self {
            reply_id: reply.id,
            invitation_id: reply.invitation_id,
            round_id: reply.round_id,
            workshop_id: reply.workshop_id,
            administration_id: reply.administration_id,
            late: reply.late,
            revision: reply.revision,
        }
    }
}

/// `round.opened` and `round.closed`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundEvent {
    pub round_id: i32,
    pub title: String,
    pub round_number: i32,
    #[schema(value_type = String, example = "2019/2020")]
    pub fiscal_year: String,
    pub state: RoundState,
}

impl From<&round::Model> for RoundEvent {
    fn from(round: &round::Model) -> Self {
        Self {
            round_id: round.id,
            title: round.title.clone(),
            round_number: round.round_number,
            fiscal_year: FiscalYear::from_start_year(round.fiscal_year).to_string(),
            state: round.state,
        }
    }
}

/// `mailing.failed`: a mail that could not be delivered for good. Names no address.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailingFailedEvent {
    pub mailing_id: i32,
    pub kind: MailKind,
    pub round_id: Option<i32>,
    pub invitation_id: Option<i32>,
    pub attempts: i32,
    /// What the mail server said; never sent to partner endpoints (it may quote the
    /// address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl MailingFailedEvent {
    pub fn new(mailing: &mailing::Model, error: &str) -> Self {
        Self {
            mailing_id: mailing.id,
            kind: mailing.kind,
            round_id: mailing.round_id,
            invitation_id: mailing.invitation_id,
            attempts: mailing.attempts,
            error: Some(error.to_owned()),
        }
    }
}

/// `mailing.bounced`, `mailing.blocked` and `mailing.auto_replied`: what came back about a
/// mail. Names no address.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailingReturnedEvent {
    pub mailing_id: i32,
    pub kind: MailKind,
    pub round_id: Option<i32>,
    pub invitation_id: Option<i32>,
    pub finding: Finding,
    /// The RFC 3463 code, e.g. `5.1.1`.
    pub code: Option<String>,
    /// The address's state after it (bounces and complaints only).
    pub address_state: Option<AddressState>,
    /// What the destination said, or the automatic reply's text; never sent to partner
    /// endpoints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `handover.accepted` and `handover.rejected`: staff's decision on an officer's "not for
/// me". Names nobody.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverEvent {
    pub request_id: i32,
    pub invitation_id: i32,
    pub status: entity::handover_request::HandoverStatus,
}
