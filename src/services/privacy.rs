//! What the service holds about one participant, and its erasure on request. Erasure
//! replaces the name and email everywhere they are stored (the participant, the mail sent
//! to them, the audit log, webhook payloads), revokes the invitation links and withdraws
//! queued mail; the replies stay, attributed to the administration only. A retention
//! setting removes the subject and bodies of sent mail some days after its round closed.

use chrono::{DateTime, Duration, Utc};
use entity::mailing::{self, MailStatus};
use entity::round::RoundState;
use entity::{audit_log, invitation, participant, reply, reply_revision, round, webhook_delivery};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};

use super::audit::{self, Actor, Change};
use super::participants::{self, Participant};
use super::{ServiceError, lock_by_id, now};
use crate::db;

/// The name an erased participant is shown with.
pub const ERASED_NAME: &str = "Erased participant";

/// The address an erased participant is given: unique per participant, never deliverable
/// (`.invalid` is reserved, RFC 2606).
pub fn erased_email(participant_id: i32) -> String {
    format!("erased-{participant_id}@erased.invalid")
}

/// Everything held about one participant.
#[derive(Debug, Clone)]
pub struct PersonalData {
    pub participant: Participant,
    pub invitations: Vec<invitation::Model>,
    pub replies: Vec<(reply::Model, Vec<reply_revision::Model>)>,
    pub mailings: Vec<mailing::Model>,
    pub audit: Vec<audit_log::Model>,
}

async fn invitations_of(
    db: &impl ConnectionTrait,
    participant_id: i32,
) -> Result<Vec<invitation::Model>, ServiceError> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::ParticipantId.eq(participant_id))
        .order_by_asc(invitation::Column::Id)
        .all(db)
        .await?)
}

/// Mail addressed to the participant: through their invitations or to their address.
async fn mailings_of(
    db: &impl ConnectionTrait,
    record: &participant::Model,
    invitation_ids: &[i32],
) -> Result<Vec<mailing::Model>, ServiceError> {
    Ok(mailing::Entity::find()
        .filter(
            mailing::Column::InvitationId
                .is_in(invitation_ids.iter().copied())
                .or(mailing::Column::Recipient.eq(record.email.as_str())),
        )
        .order_by_asc(mailing::Column::Id)
        .all(db)
        .await?)
}

/// Audit entries about the participant or their invitations.
async fn audit_of(
    db: &impl ConnectionTrait,
    participant_id: i32,
    invitation_ids: &[i32],
) -> Result<Vec<audit_log::Model>, ServiceError> {
    Ok(audit_log::Entity::find()
        .filter(
            audit_log::Column::EntityType
                .eq("participant")
                .and(audit_log::Column::EntityId.eq(participant_id.to_string()))
                .or(audit_log::Column::EntityType.eq("invitation").and(
                    audit_log::Column::EntityId
                        .is_in(invitation_ids.iter().map(ToString::to_string)),
                )),
        )
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await?)
}

pub async fn export(
    db: &DatabaseConnection,
    workshop_id: i32,
    participant_id: i32,
) -> Result<PersonalData, ServiceError> {
    let participant = participants::get(db, workshop_id, participant_id).await?;
    let invitations = invitations_of(db, participant_id).await?;
    let invitation_ids: Vec<i32> = invitations.iter().map(|i| i.id).collect();
    let replies = reply::Entity::find()
        .filter(reply::Column::InvitationId.is_in(invitation_ids.iter().copied()))
        .order_by_asc(reply::Column::Id)
        .all(db)
        .await?;
    let mut revisions = reply_revision::Entity::find()
        .filter(reply_revision::Column::ReplyId.is_in(replies.iter().map(|r| r.id)))
        .order_by_asc(reply_revision::Column::Revision)
        .all(db)
        .await?;
    let replies = replies
        .into_iter()
        .map(|reply| {
            let (mine, rest) = std::mem::take(&mut revisions)
                .into_iter()
                .partition(|r| r.reply_id == reply.id);
            revisions = rest;
            (reply, mine)
        })
        .collect();
    let mailings = mailings_of(db, &participant.record, &invitation_ids).await?;
    let audit = audit_of(db, participant_id, &invitation_ids).await?;
    Ok(PersonalData {
        participant,
        invitations,
        replies,
        mailings,
        audit,
    })
}

/// `value` with every string holding one of `secrets` replaced.
fn scrubbed(value: &Value, secrets: &[&str]) -> Value {
    match value {
        Value::String(text) => {
            let mut text = text.clone();
            for secret in secrets.iter().filter(|s| !s.is_empty()) {
                if text.to_lowercase().contains(&secret.to_lowercase()) {
                    text = "[erased]".into();
                }
            }
            Value::String(text)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| scrubbed(v, secrets)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), scrubbed(v, secrets)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Erases the participant's name, email and position everywhere, in one transaction.
pub async fn erase(
    db: &DatabaseConnection,
    actor: &Actor,
    workshop_id: i32,
    participant_id: i32,
) -> Result<Participant, ServiceError> {
    let txn = db::begin(db).await?;
    lock_by_id::<participant::Entity>(&txn, "participant", participant_id).await?;
    let before = participants::get(&txn, workshop_id, participant_id)
        .await?
        .record;
    let at = now();
    let secrets = [before.name.as_str(), before.email.as_str()];
    let invitations = invitations_of(&txn, participant_id).await?;
    let invitation_ids: Vec<i32> = invitations.iter().map(|i| i.id).collect();

    for mail in mailings_of(&txn, &before, &invitation_ids).await? {
        if mail.status == MailStatus::Queued {
            mailing::Entity::delete_by_id(mail.id).exec(&txn).await?;
            continue;
        }
        let mut active: mailing::ActiveModel = mail.into();
        active.recipient = Set(erased_email(participant_id));
        active.subject = Set(String::new());
        active.body_text = Set(String::new());
        active.body_html = Set(String::new());
        active.last_error = Set(None);
        active.body_purged_at = Set(Some(at));
        active.update(&txn).await?;
    }
    for entry in audit_of(&txn, participant_id, &invitation_ids).await? {
        let (before_json, after_json) = (entry.before.clone(), entry.after.clone());
        let mut active: audit_log::ActiveModel = entry.into();
        active.before = Set(before_json.map(|v| scrubbed(&v, &secrets)));
        active.after = Set(after_json.map(|v| scrubbed(&v, &secrets)));
        active.update(&txn).await?;
    }
    for delivery in webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Payload.contains(before.email.as_str()))
        .all(&txn)
        .await?
    {
        let payload = serde_json::from_str::<Value>(&delivery.payload)
            .map(|v| scrubbed(&v, &secrets).to_string())
            .unwrap_or_default();
        let mut active: webhook_delivery::ActiveModel = delivery.into();
        active.payload = Set(payload);
        active.update(&txn).await?;
    }
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::TokenHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            invitation::Column::TokenGeneration,
            Expr::col(invitation::Column::TokenGeneration).add(1),
        )
        .col_expr(invitation::Column::UpdatedAt, Expr::value(at))
        .filter(invitation::Column::Id.is_in(invitation_ids.iter().copied()))
        .exec(&txn)
        .await?;
    let mut active: participant::ActiveModel = before.clone().into();
    active.name = Set(ERASED_NAME.into());
    active.email = Set(erased_email(participant_id));
    active.position = Set(None);
    active.erased_at = Set(Some(at));
    active.updated_at = Set(at);
    active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::new(
            "erase",
            "participant",
            participant_id,
            None,
            Some(json!({"invitations_revoked": invitation_ids.len()})),
        ),
    )
    .await?;
    let erased = participants::get(&txn, workshop_id, participant_id).await?;
    txn.commit().await?;
    Ok(erased)
}

/// Removes the subject and bodies of mail sent for rounds closed more than `retention`
/// ago; returns how many mails were purged.
pub async fn purge_mail_bodies(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    retention: Duration,
) -> Result<u64, ServiceError> {
    let closed_long_ago: Vec<i32> = round::Entity::find()
        .select_only()
        .column(round::Column::Id)
        .filter(round::Column::State.eq(RoundState::Closed))
        .filter(round::Column::ClosedAt.lte(now - retention))
        .into_tuple()
        .all(db)
        .await?;
    if closed_long_ago.is_empty() {
        return Ok(0);
    }
    Ok(mailing::Entity::update_many()
        .col_expr(mailing::Column::Subject, Expr::value(""))
        .col_expr(mailing::Column::BodyText, Expr::value(""))
        .col_expr(mailing::Column::BodyHtml, Expr::value(""))
        .col_expr(mailing::Column::BodyPurgedAt, Expr::value(Some(now)))
        .filter(mailing::Column::Status.ne(MailStatus::Queued))
        .filter(mailing::Column::BodyPurgedAt.is_null())
        .filter(mailing::Column::RoundId.is_in(closed_long_ago))
        .exec(db)
        .await?
        .rows_affected)
}
