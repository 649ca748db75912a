//! Things that happened that other parts react to (mail in the mail issue, webhooks in
//! the integration issue). Each is written as an `events` row in the transaction of the
//! change, so a reaction is never lost nor made for a change that rolled back.

use entity::{event, reply};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::json;

use super::{ServiceError, now};

pub const REPLY_SUBMITTED: &str = "reply.submitted";
pub const REPLY_REVISED: &str = "reply.revised";

/// The one place a reply's submission is announced: first submissions as
/// `reply.submitted`, later ones as `reply.revised`. The payload names no person.
pub async fn reply_received<C: ConnectionTrait>(
    db: &C,
    reply: &reply::Model,
    first_submission: bool,
) -> Result<(), ServiceError> {
    let kind = if first_submission {
        REPLY_SUBMITTED
    } else {
        REPLY_REVISED
    };
    record(
        db,
        kind,
        json!({
            "reply_id": reply.id,
            "invitation_id": reply.invitation_id,
            "round_id": reply.round_id,
            "workshop_id": reply.workshop_id,
            "administration_id": reply.administration_id,
            "late": reply.late,
            "revision": reply.revision,
        }),
    )
    .await
}

async fn record<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    payload: serde_json::Value,
) -> Result<(), ServiceError> {
    event::ActiveModel {
        kind: Set(kind.to_owned()),
        occurred_at: Set(now()),
        payload: Set(payload),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
