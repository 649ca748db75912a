//! Replies submitted by participants through their link or entered by staff from an
//! emailed answer, revised until the round closes. One use case on both databases, in one
//! transaction: the invitation locked ([`lock_for_reply`]), the answers validated, the
//! reply created or moved to its next revision, only the stored answers that change
//! written, the submission kept as a revision and followed by its reactions
//! (`crate::services::events`: events, webhook deliveries, mail).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::invitation::{self, InvitationStatus};
use entity::reply::{self, Provenance};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

pub use super::context::{Context, RevisionBounds};

use super::answers::{Submitter, record_revision, store_answers};
use super::invitation_for_reply::{
    InvitationForReply, Which, accepted_answers, current_reply, lock_for_reply,
};
use super::views::{ReplyDetail, unknown_link};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::db;
use crate::domain::InvalidInput;
use crate::domain::answers::{AnswerInput, Answers};
use crate::domain::refusal::Refusal;
use crate::services::audit::{self, Actor, Change};
use crate::services::events;

/// Who submitted, for a participant's own submission.
const PARTICIPANT: &str = "participant";

/// One submission.
#[derive(Debug, Clone)]
pub struct Submission {
    pub answers: BTreeMap<String, AnswerInput>,
    pub provenance: Provenance,
    /// `participant`, or the staff key's name.
    pub submitted_by: String,
    /// When the answers arrived (staff may enter an emailed answer later).
    pub received_at: DateTime<Utc>,
    /// The officer whose link sent the answers; none when staff entered them.
    pub officer: Option<i32>,
}

impl Submission {
    fn submitter(&self) -> Submitter<'_> {
        Submitter {
            provenance: self.provenance,
            name: &self.submitted_by,
            participant_id: self.officer,
        }
    }
}

/// What a submission did.
#[derive(Debug)]
struct Outcome {
    reply: reply::Model,
    answers: Answers,
    /// `None` when the answers equal the current ones: nothing changed; else the reply
    /// before, `None` for a first submission.
    change: Option<Option<reply::Model>>,
}

impl Outcome {
    fn detail(self, administration_code: String) -> ReplyDetail {
        ReplyDetail {
            reply: self.reply,
            administration_code,
            answers: self.answers,
        }
    }
}

/// What a submission did to the reply itself.
enum Written {
    Unchanged(reply::Model),
    /// A first submission, with the invitation marked replied.
    Created(reply::Model, invitation::Model),
    Revised {
        after: reply::Model,
        before: reply::Model,
        /// The answers the revision before holds, as its rows are stored (`None` when they
        /// no longer parse).
        stored: Option<Answers>,
        invitation: invitation::Model,
    },
}

/// Creates or revises the reply of the locked `invitation`. The reply the lock statement
/// read (`current`) may predate a submission that held the lock meanwhile, so a revision is
/// written only where the reply is still at the revision read; a first submission, an
/// unchanged one or a revision that found another number decide again on a fresh read
/// (the lock is held by then, so it stays true).
async fn write_reply(
    db: &impl ConnectionTrait,
    invitation: invitation::Model,
    mut current: Option<(reply::Model, Option<Answers>)>,
    answers: &Answers,
    submission: &Submission,
) -> Result<Written, ServiceError> {
    for fresh in [false, true] {
        match current {
            Some((reply, stored)) if fresh && stored.as_ref() == Some(answers) => {
                return Ok(Written::Unchanged(reply));
            }
            // Unchanged by a read that may be stale: read afresh before saying so.
            Some((_, stored)) if stored.as_ref() == Some(answers) => {}
            Some((before, stored)) => {
                if let Some(after) = revise(db, &before, submission.received_at).await? {
                    return Ok(Written::Revised {
                        after,
                        before,
                        stored,
                        invitation,
                    });
                }
            }
            None if fresh => return create_reply(db, invitation, submission).await,
            None => {}
        }
        current = current_reply(db, invitation.id).await?;
    }
    Err(anyhow::anyhow!(
        "reply {} changed while its invitation was locked",
        invitation.id
    )
    .into())
}

/// The next revision of `reply`, unless its revision moved since it was read.
async fn revise(
    db: &impl ConnectionTrait,
    reply: &reply::Model,
    at: DateTime<Utc>,
) -> Result<Option<reply::Model>, ServiceError> {
    let next = reply::ActiveModel {
        revision: Set(reply.revision + 1),
        last_submitted_at: Set(at.max(reply.last_submitted_at)),
        ..Default::default()
    };
    let updated = reply::Entity::update_many()
        .set(next)
        .filter(reply::Column::Id.eq(reply.id))
        .filter(reply::Column::Revision.eq(reply.revision))
        .exec_with_returning(db)
        .await?;
    Ok(updated.into_iter().next())
}

/// A first submission: the reply, and the invitation marked replied.
async fn create_reply(
    db: &impl ConnectionTrait,
    invitation: invitation::Model,
    submission: &Submission,
) -> Result<Written, ServiceError> {
    let at = submission.received_at;
    let last_contact = super::last_contact::last_before(db, &invitation, at).await?;
    let created = reply::ActiveModel {
        invitation_id: Set(invitation.id),
        round_id: Set(invitation.round_id),
        workshop_id: Set(invitation.workshop_id),
        administration_id: Set(invitation.administration_id),
        first_submitted_at: Set(at),
        last_submitted_at: Set(at),
        late: Set(at > invitation.due_at),
        provenance: Set(submission.provenance),
        revision: Set(1),
        last_contact: Set(last_contact),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut replied: invitation::ActiveModel = invitation.into();
    replied.status = Set(InvitationStatus::Replied);
    replied.updated_at = Set(now());
    Ok(Written::Created(created, replied.update(db).await?))
}

/// The one way a reply is written: first submission or revision; identical resubmissions
/// change nothing.
async fn submit(
    db: &impl ConnectionTrait,
    context: &Context<'_>,
    locked: InvitationForReply,
    submission: Submission,
) -> Result<Outcome, ServiceError> {
    let (questions, answers) =
        accepted_answers(db, context.questions, &locked.round, &submission.answers).await?;
    if submission.provenance == Provenance::Participant {
        check_revision_bounds(&locked, &answers, context.revisions, submission.received_at)?;
    }
    let InvitationForReply {
        invitation,
        current,
        ..
    } = locked;
    let written = write_reply(db, invitation, current, &answers, &submission).await?;
    let (reply, invitation, before, stored) = match written {
        Written::Unchanged(reply) => {
            return Ok(Outcome {
                reply,
                answers,
                change: None,
            });
        }
        Written::Created(reply, invitation) => (reply, invitation, None, Some(Answers::new())),
        Written::Revised {
            after,
            before,
            stored,
            invitation,
        } => (after, invitation, Some(before), stored),
    };
    store_answers(db, &reply, stored.as_ref(), &answers).await?;
    let at = submission.received_at;
    record_revision(db, &reply, &submission.submitter(), at, &answers).await?;
    let received = events::Received {
        invitation: &invitation,
        reply: &reply,
        first_submission: before.is_none(),
        questions: &questions,
        answers: &answers,
    };
    events::reply_received(db, context.mail, received).await?;
    Ok(Outcome {
        reply,
        answers,
        change: Some(before),
    })
}

/// Refuses a participant's revision (new answers for a reply) past `bounds`, saying when
/// it may come when the hour's are used up. Every revision accepted is kept; the bounds
/// limit what one link can store. Staff may still enter an emailed answer.
fn check_revision_bounds(
    locked: &InvitationForReply,
    answers: &Answers,
    bounds: RevisionBounds,
    at: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let Some((reply, stored)) = &locked.current else {
        return Ok(());
    };
    if stored.as_ref() == Some(answers) {
        return Ok(());
    }
    if i64::from(reply.revision) >= i64::from(bounds.in_all) {
        return Err(Refusal::RevisionsUsedUp {
            most: bounds.in_all,
        }
        .into());
    }
    let hour = chrono::Duration::hours(1);
    match locked.hour_mark {
        Some(mark) if at - mark < hour => Err(Refusal::RevisedTooOften {
            per_hour: bounds.per_hour,
            retry_after_secs: u64::try_from((mark + hour - at).num_seconds())
                .unwrap_or(1)
                .max(1),
        }
        .into()),
        _ => Ok(()),
    }
}

/// A participant submits or revises through their link.
pub async fn respond(
    db: &DatabaseConnection,
    context: &Context<'_>,
    token: &str,
    answers: BTreeMap<String, AnswerInput>,
) -> Result<ReplyDetail, ServiceError> {
    let txn = db::begin(db).await?;
    let per_hour = context.revisions.per_hour;
    let locked = lock_for_reply(&txn, Which::Token(token), per_hour)
        .await?
        .ok_or_else(unknown_link)?;
    let submission = Submission {
        answers,
        provenance: Provenance::Participant,
        submitted_by: PARTICIPANT.into(),
        received_at: now(),
        officer: locked.invitation.participant_id,
    };
    let administration_code = locked.administration_code.clone();
    let outcome = submit(&txn, context, locked, submission).await?;
    txn.commit().await?;
    Ok(outcome.detail(administration_code))
}

/// Staff enter the answers of an invitation that arrived by email (audited).
pub async fn enter(
    db: &DatabaseConnection,
    context: &Context<'_>,
    actor: &Actor,
    invitation_id: i32,
    answers: BTreeMap<String, AnswerInput>,
    received_at: Option<DateTime<Utc>>,
) -> Result<ReplyDetail, ServiceError> {
    let at = now();
    let received_at = received_at.unwrap_or(at);
    if received_at > at {
        return Err(InvalidInput::field("received_at", "must not be in the future").into());
    }
    let txn = db::begin(db).await?;
    let per_hour = context.revisions.per_hour;
    let locked = lock_for_reply(&txn, Which::Id(invitation_id), per_hour)
        .await?
        .ok_or_else(|| ServiceError::not_found("invitation", invitation_id))?;
    let submission = Submission {
        answers,
        provenance: Provenance::Staff,
        submitted_by: actor.name.clone(),
        received_at,
        officer: None,
    };
    let administration_code = locked.administration_code.clone();
    let outcome = submit(&txn, context, locked, submission).await?;
    if let Some(before) = &outcome.change {
        let after = serde_json::json!({"reply": &outcome.reply, "answers": &outcome.answers});
        let change = match before {
            None => Change::new("enter_reply", "reply", outcome.reply.id, None, Some(after)),
            Some(before) => Change::new(
                "revise_reply",
                "reply",
                outcome.reply.id,
                serde_json::to_value(before).ok(),
                Some(after),
            ),
        };
        audit::record(&txn, actor, change).await?;
    }
    txn.commit().await?;
    Ok(outcome.detail(administration_code))
}
