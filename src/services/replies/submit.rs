//! Replies submitted by participants through their link or entered by staff from an
//! emailed answer, revised until the round closes, each submission kept as a revision and
//! followed by its reactions (`crate::services::events`) in the same transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::event;
use entity::invitation::{self, InvitationStatus};
use entity::reply::{self, Provenance};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, Set,
};

pub use super::context::Context;

use super::answers::{Submitter, record_revision, store_answers};
use super::locked::{Locked, Which, accepted_answers, current_reply, lock_for_reply};
use super::revision_at_once;
use super::views::{ReplyDetail, unknown_link};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::db;
use crate::domain::InvalidInput;
use crate::domain::answers::{AnswerInput, Answers};
use crate::services::audit::{self, Actor, Change};
use crate::services::events;
use crate::services::webhooks::deliveries;

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
        invitation: invitation::Model,
        /// The revision's event when its answers, history and event were written with it
        /// (`revision_at_once`, PostgreSQL); `None` when they are still to be written.
        announced: Option<event::Model>,
    },
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

/// Creates or revises the reply of the locked `invitation`. The reply the lock statement
/// read (`current`) may predate a submission that held the lock meanwhile: PostgreSQL reads
/// the joined rows from the statement's snapshot, taken before the wait. So a revision is
/// written only if the reply's revision is still the one read, and a first submission, an
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
        match &current {
            None if fresh => return create_reply(db, invitation, submission).await,
            Some((reply, stored)) if fresh && stored.as_ref() == Some(answers) => {
                return Ok(Written::Unchanged(reply.clone()));
            }
            // Unchanged by a read that may be stale: read afresh before saying so.
            Some((_, stored)) if stored.as_ref() == Some(answers) => {}
            Some((reply, _)) => {
                if let Some((after, announced)) = revise(db, reply, answers, submission).await? {
                    let before = reply.clone();
                    return Ok(Written::Revised {
                        after,
                        before,
                        invitation,
                        announced,
                    });
                }
            }
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

/// The next revision of `reply`, unless its revision moved since it was read: on
/// PostgreSQL with its answers, history and event (`revision_at_once`), elsewhere the reply
/// alone.
async fn revise(
    db: &impl ConnectionTrait,
    reply: &reply::Model,
    answers: &Answers,
    submission: &Submission,
) -> Result<Option<(reply::Model, Option<event::Model>)>, ServiceError> {
    let at = submission.received_at;
    if db.get_database_backend() == DbBackend::Postgres {
        let by = submission.submitter();
        let written = revision_at_once::revise(db, reply, answers, &by, at).await?;
        return Ok(written.map(|(after, event)| (after, Some(event))));
    }
    let active = reply::ActiveModel {
        revision: Set(reply.revision + 1),
        last_submitted_at: Set(at.max(reply.last_submitted_at)),
        ..Default::default()
    };
    let updated = reply::Entity::update_many()
        .set(active)
        .filter(reply::Column::Id.eq(reply.id))
        .filter(reply::Column::Revision.eq(reply.revision))
        .exec_with_returning(db)
        .await?;
    Ok(updated.into_iter().next().map(|after| (after, None)))
}

/// A first submission: the reply, and the invitation marked replied.
async fn create_reply(
    db: &impl ConnectionTrait,
    invitation: invitation::Model,
    submission: &Submission,
) -> Result<Written, ServiceError> {
    let at = submission.received_at;
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
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut active: invitation::ActiveModel = invitation.into();
    active.status = Set(InvitationStatus::Replied);
    active.updated_at = Set(now());
    Ok(Written::Created(created, active.update(db).await?))
}

/// The one way a reply is written: first submission or revision, identical resubmissions
/// change nothing. `locked` comes from the caller's transaction.
async fn submit(
    db: &impl ConnectionTrait,
    context: &Context<'_>,
    locked: Locked,
    submission: Submission,
) -> Result<Outcome, ServiceError> {
    let Locked {
        invitation,
        round,
        current: existing,
        ..
    } = locked;
    let (questions, answers) =
        accepted_answers(db, context.questions, &round, &submission.answers).await?;
    let at = submission.received_at;
    let (reply, invitation, before) =
        match write_reply(db, invitation, existing, &answers, &submission).await? {
            Written::Unchanged(reply) => {
                return Ok(Outcome {
                    reply,
                    answers,
                    change: None,
                });
            }
            Written::Created(reply, invitation) => (reply, invitation, None),
            Written::Revised {
                after,
                before,
                announced: Some(event),
                ..
            } => {
                deliveries::fan_out(db, Some(context.webhooks), &event).await?;
                return Ok(Outcome {
                    reply: after,
                    answers,
                    change: Some(Some(before)),
                });
            }
            Written::Revised {
                after,
                before,
                invitation,
                announced: None,
            } => (after, invitation, Some(before)),
        };
    store_answers(db, &reply, &answers).await?;
    record_revision(db, &reply, &submission.submitter(), at, &answers).await?;
    let received = events::Received {
        invitation: &invitation,
        reply: &reply,
        first_submission: before.is_none(),
        questions: &questions,
        answers: &answers,
    };
    events::reply_received(db, (context.mail, context.webhooks), received).await?;
    Ok(Outcome {
        reply,
        answers,
        change: Some(before),
    })
}

/// A participant submits or revises through their link.
pub async fn respond(
    db: &DatabaseConnection,
    context: &Context<'_>,
    token: &str,
    answers: BTreeMap<String, AnswerInput>,
) -> Result<ReplyDetail, ServiceError> {
    if let Some(detail) = revision_at_once::respond(db, context, token, &answers).await? {
        return Ok(detail);
    }
    let txn = db::begin(db).await?;
    let locked = lock_for_reply(&txn, Which::Token(token))
        .await?
        .ok_or_else(unknown_link)?;
    let submission = Submission {
        answers,
        provenance: Provenance::Participant,
        submitted_by: revision_at_once::PARTICIPANT.into(),
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
    let locked = lock_for_reply(&txn, Which::Id(invitation_id))
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
