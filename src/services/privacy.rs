//! What the service holds about one participant, and its erasure on request. Erasure
//! replaces the name and email everywhere they are stored (the participant, the mail sent
//! to them, the audit log, webhook payloads), revokes the invitation links and withdraws
//! queued mail; the replies stay, attributed to the administration only. A retention
//! setting removes the subject and bodies of sent mail some days after its round closed.

use chrono::{DateTime, Duration, Utc};
use entity::mailing::{self, MailStatus};
use entity::round::RoundState;
use entity::{
    audit_log, event, idempotency_key, invitation, participant, reply, reply_revision, round,
    webhook_delivery,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};

use super::audit::{self, Actor, Change};
use super::participants::{self, Participant};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::records::lock_by_id;
use crate::db;
use crate::webhooks::EventType;

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

/// Mail addressed to the participant: through their invitations or to one of their
/// addresses.
async fn mailings_of(
    db: &impl ConnectionTrait,
    emails: &[String],
    invitation_ids: &[i32],
) -> Result<Vec<mailing::Model>, ServiceError> {
    Ok(mailing::Entity::find()
        .filter(
            mailing::Column::InvitationId
                .is_in(invitation_ids.iter().copied())
                .or(mailing::Column::Recipient.is_in(emails.iter().cloned())),
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
    let mailings = mailings_of(
        db,
        std::slice::from_ref(&participant.record.email),
        &invitation_ids,
    )
    .await?;
    let audit = audit_of(db, participant_id, &invitation_ids).await?;
    Ok(PersonalData {
        participant,
        invitations,
        replies,
        mailings,
        audit,
    })
}

/// What erasure removes: the participant's names, emails and positions, current and as the
/// audit log recorded earlier ones. A name or position is erased where a value is exactly
/// it, an email wherever it occurs (an SMTP error quoting it, say), so that a short name
/// does not erase unrelated words.
#[derive(Debug, Default)]
struct Secrets {
    exact: Vec<String>,
    emails: Vec<String>,
}

impl Secrets {
    fn of(record: &participant::Model, audit: &[audit_log::Model]) -> Self {
        let mut secrets = Self::default();
        let mut add = |key: &str, value: &str| {
            let value = value.trim().to_lowercase();
            let list = if key == "email" {
                &mut secrets.emails
            } else {
                &mut secrets.exact
            };
            if !value.is_empty() && !list.contains(&value) {
                list.push(value);
            }
        };
        add("name", &record.name);
        add("email", &record.email);
        add("position", record.position.as_deref().unwrap_or_default());
        for entry in audit.iter().filter(|e| e.entity_type == "participant") {
            for snapshot in [&entry.before, &entry.after].into_iter().flatten() {
                for key in ["name", "email", "position"] {
                    if let Some(value) = snapshot.get(key).and_then(Value::as_str) {
                        add(key, value);
                    }
                }
            }
        }
        secrets
    }

    fn hides(&self, text: &str) -> bool {
        let text = text.trim().to_lowercase();
        self.exact.contains(&text) || self.emails.iter().any(|email| text.contains(email))
    }

    /// `value` with every string holding a secret replaced.
    fn scrub(&self, value: &Value) -> Value {
        match value {
            Value::String(text) if self.hides(text) => Value::String("[erased]".into()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.scrub(v)).collect()),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), self.scrub(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
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
    let invitations = invitations_of(&txn, participant_id).await?;
    let invitation_ids: Vec<i32> = invitations.iter().map(|i| i.id).collect();
    let audit = audit_of(&txn, participant_id, &invitation_ids).await?;
    let secrets = Secrets::of(&before, &audit);

    let mails = mailings_of(&txn, &secrets.emails, &invitation_ids).await?;
    erase_mail(&txn, mails, participant_id, at).await?;
    for entry in audit {
        let (before_json, after_json) = (entry.before.clone(), entry.after.clone());
        let mut active: audit_log::ActiveModel = entry.into();
        active.before = Set(before_json.map(|v| secrets.scrub(&v)));
        active.after = Set(after_json.map(|v| secrets.scrub(&v)));
        active.update(&txn).await?;
    }
    scrub_deliveries_and_events(&txn, &secrets).await?;
    revoke_links(&txn, &invitation_ids, at).await?;
    let mut active: participant::ActiveModel = before.clone().into();
    active.name = Set(ERASED_NAME.into());
    active.email = Set(erased_email(participant_id));
    active.position = Set(None);
    active.erased_at = Set(Some(at));
    active.updated_at = Set(at);
    active.update(&txn).await?;
    let change = Change::new(
        "erase",
        "participant",
        participant_id,
        None,
        Some(json!({"invitations_revoked": invitation_ids.len()})),
    );
    audit::record(&txn, actor, change).await?;
    let erased = participants::get(&txn, workshop_id, participant_id).await?;
    txn.commit().await?;
    Ok(erased)
}

/// The officer's mail loses its address and content; what was still queued is withdrawn,
/// as reminders are.
async fn erase_mail(
    txn: &impl ConnectionTrait,
    mails: Vec<mailing::Model>,
    participant_id: i32,
    at: DateTime<Utc>,
) -> Result<(), ServiceError> {
    for mail in mails {
        let mut active: mailing::ActiveModel = mail.clone().into();
        if mail.status == MailStatus::Queued {
            active.status = Set(MailStatus::Cancelled);
        }
        active.recipient = Set(erased_email(participant_id));
        active.subject = Set(String::new());
        active.body_text = Set(String::new());
        active.body_html = Set(String::new());
        active.last_error = Set(None);
        active.body_purged_at = Set(Some(at));
        active.update(txn).await?;
    }
    Ok(())
}

/// Webhook payloads and events name no person, but a mail error may quote an address;
/// responses kept for `Idempotency-Key` replays (a participant's creation, say) may too.
async fn scrub_deliveries_and_events(
    txn: &impl ConnectionTrait,
    secrets: &Secrets,
) -> Result<(), ServiceError> {
    let quoting = secrets.emails.iter().fold(Condition::any(), |any, email| {
        any.add(webhook_delivery::Column::Payload.contains(email.as_str()))
    });
    for delivery in webhook_delivery::Entity::find()
        .filter(quoting)
        .all(txn)
        .await?
    {
        let payload = serde_json::from_str::<Value>(&delivery.payload)
            .map(|v| secrets.scrub(&v).to_string())
            .unwrap_or_default();
        let mut active: webhook_delivery::ActiveModel = delivery.into();
        active.payload = Set(payload);
        active.update(txn).await?;
    }
    for kept in idempotency_key::Entity::find().all(txn).await? {
        let body = String::from_utf8_lossy(kept.response_body.as_deref().unwrap_or_default());
        if secrets
            .emails
            .iter()
            .any(|e| body.to_lowercase().contains(e))
        {
            idempotency_key::Entity::delete_by_id(kept.id)
                .exec(txn)
                .await?;
        }
    }
    for failure in event::Entity::find()
        .filter(event::Column::Kind.eq(EventType::MailingFailed.as_str()))
        .all(txn)
        .await?
    {
        let payload = secrets.scrub(&failure.payload);
        if payload != failure.payload {
            let mut active: event::ActiveModel = failure.into();
            active.payload = Set(payload);
            active.update(txn).await?;
        }
    }
    Ok(())
}

/// Every link of the invitations stops working.
async fn revoke_links(
    txn: &impl ConnectionTrait,
    invitation_ids: &[i32],
    at: DateTime<Utc>,
) -> Result<(), ServiceError> {
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
        .exec(txn)
        .await?;
    Ok(())
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
