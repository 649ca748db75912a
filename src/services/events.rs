//! Things that happened that other parts react to. Each is written as an `events` row in
//! the transaction of the change, together with the mail it causes and one webhook delivery
//! per subscribed endpoint, so a reaction is never lost nor made for a change that rolled
//! back.

use entity::mailing::{self, MailKind};
use entity::round::RoundState;
use entity::{event, invitation, reply, round};
use sea_orm::{ConnectionTrait, EntityTrait, NotSet};
use serde_json::json;

use super::invitations::links;
use super::webhooks::deliveries;
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::domain::answers::Answers;
use crate::domain::questionnaire::Question;
use crate::mail::compose::{self, Letter};
use crate::mail::{MailContext, outbox};
use crate::webhooks::EventType;
use crate::webhooks::payloads::{MailingFailedEvent, MailingReturnedEvent, ReplyEvent, RoundEvent};
use entity::address_state::AddressState;
use entity::delivery_event::Finding;

pub const REPLY_SUBMITTED: &str = EventType::ReplySubmitted.as_str();
pub const REPLY_REVISED: &str = EventType::ReplyRevised.as_str();
pub const MAILING_FAILED: &str = EventType::MailingFailed.as_str();

/// A reply just stored, with the invitation as the submission left it.
pub struct Received<'a> {
    pub invitation: &'a invitation::Model,
    pub reply: &'a reply::Model,
    pub first_submission: bool,
    pub questions: &'a [Question],
    pub answers: &'a Answers,
}

/// The one place a reply's submission is handled after it is stored: a first submission
/// is announced as `reply.submitted`, withdraws the invitation's queued reminders and
/// queues the thank-you with a copy of the answers; later ones are `reply.revised`.
/// Payloads name no person.
pub async fn reply_received<C: ConnectionTrait>(
    db: &C,
    mail: &MailContext,
    received: Received<'_>,
) -> Result<(), ServiceError> {
    let Received {
        invitation,
        reply,
        first_submission,
        questions,
        answers,
    } = received;
    let kind = if first_submission {
        REPLY_SUBMITTED
    } else {
        REPLY_REVISED
    };
    record(db, kind, reply_payload(reply)).await?;
    if !first_submission {
        return Ok(());
    }
    outbox::cancel_reminders(db, reply.invitation_id).await?;
    // Replies reach a round only while it is not closed, so the link still works.
    let with_link = links::current_token(invitation, &mail.key).is_some();
    let letter = Letter {
        with_link,
        extra: json!({"answers": compose::answers_copy(questions, answers)}),
        ..Letter::new(
            MailKind::ThankYou,
            format!("thank_you:{}", invitation.id),
            invitation,
        )
    };
    compose::queue(db, mail, letter, now()).await?;
    Ok(())
}

/// The payload of a reply's events: ids, lateness and revision, naming no person.
pub fn reply_payload(reply: &reply::Model) -> serde_json::Value {
    payload(ReplyEvent::from(reply))
}

/// An event's `data`, as its type says.
fn payload(data: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(data).unwrap_or_default()
}

/// A mail could not be delivered for good. The payload names no address.
pub async fn mailing_failed<C: ConnectionTrait>(
    db: &C,
    mailing: &mailing::Model,
    error: &str,
) -> Result<(), ServiceError> {
    record(
        db,
        MAILING_FAILED,
        payload(MailingFailedEvent::new(mailing, error)),
    )
    .await
}

/// What came back about a mail, as its event tells it.
pub struct Returned<'a> {
    pub finding: Finding,
    pub code: Option<&'a str>,
    pub detail: Option<&'a str>,
    /// The address's state after it (bounces and complaints).
    pub address_state: Option<AddressState>,
}

/// Something came back about a mail (see `deliverability`): a bounce or complaint is
/// `mailing.bounced`, a policy block `mailing.blocked`, an automatic reply
/// `mailing.auto_replied`; a notice (delayed, delivered) is no event.
pub async fn mail_returned<C: ConnectionTrait>(
    db: &C,
    mailing: &mailing::Model,
    returned: Returned<'_>,
) -> Result<(), ServiceError> {
    let kind = match returned.finding {
        Finding::Undeliverable | Finding::Soft | Finding::Complaint => EventType::MailingBounced,
        Finding::Blocked => EventType::MailingBlocked,
        Finding::AutoReply => EventType::MailingAutoReplied,
        Finding::Notice => return Ok(()),
    };
    let data = MailingReturnedEvent {
        mailing_id: mailing.id,
        kind: mailing.kind,
        round_id: mailing.round_id,
        invitation_id: mailing.invitation_id,
        finding: returned.finding,
        code: returned.code.map(str::to_owned),
        address_state: returned.address_state,
        detail: returned.detail.map(str::to_owned),
    };
    record(db, kind.as_str(), payload(data)).await
}

/// Staff decided an officer's "not for me".
pub async fn handover_decided<C: ConnectionTrait>(
    db: &C,
    request: &entity::handover_request::Model,
) -> Result<(), ServiceError> {
    let kind = match request.status {
        entity::handover_request::HandoverStatus::Accepted => EventType::HandoverAccepted,
        _ => EventType::HandoverRejected,
    };
    let data = crate::webhooks::payloads::HandoverEvent {
        request_id: request.id,
        invitation_id: request.invitation_id,
        status: request.status,
    };
    record(db, kind.as_str(), payload(data)).await
}

/// A round opened or closed.
pub async fn round_changed<C: ConnectionTrait>(
    db: &C,
    round: &round::Model,
) -> Result<(), ServiceError> {
    let kind = match round.state {
        RoundState::Open => EventType::RoundOpened,
        RoundState::Closed => EventType::RoundClosed,
        RoundState::Draft | RoundState::Scheduled => return Ok(()),
    };
    record(db, kind.as_str(), payload(RoundEvent::from(round))).await
}

/// Stores the event and queues it for every webhook subscribed to it.
async fn record<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    payload: serde_json::Value,
) -> Result<(), ServiceError> {
    let mut event = event::Model {
        id: 0,
        kind: kind.to_owned(),
        occurred_at: now(),
        payload,
    };
    let row = event::ActiveModel {
        id: NotSet,
        ..event.clone().into()
    };
    event.id = event::Entity::insert(row).exec(db).await?.last_insert_id;
    deliveries::fan_out(db, &event).await
}
