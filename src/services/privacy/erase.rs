//! Erasure on request: the participant's name, email and position replaced everywhere
//! they are stored (the participant, the mail addressed to them and its `.eml` files, the
//! audit log, webhook payloads, kept `Idempotency-Key` replays), their links revoked and
//! their queued mail withdrawn; the replies stay, attributed to the administration only.
//! On SQLite the freed space is overwritten (`secure_delete`) and the write-ahead log
//! emptied, so no file under the data folder still holds the address.

use chrono::{DateTime, Utc};
use entity::mailing::{self, MailStatus};
use entity::{
    address_state, contact_attempt, delivery_event, event, idempotency_key, invitation,
    participant, webhook_delivery,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, QueryFilter, Set,
};
use serde_json::{Value, json};

use super::holdings::{ERASED_NAME, Secrets, audit_of, erased_email, invitations_of, mailings_of};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::db;
use crate::mail::MailContext;
use crate::mail::transport::mail_file;
use crate::services::audit::{self, Actor, Change};
use crate::services::participants::{self, Participant};
use crate::webhooks::EventType;

/// Erases the participant's name, email and position everywhere, in one transaction.
pub async fn erase(
    db: &DatabaseConnection,
    mail: &MailContext,
    actor: &Actor,
    workshop_id: i32,
    participant_id: i32,
) -> Result<Participant, ServiceError> {
    let txn = db::begin(db).await?;
    let before = participants::lock(&txn, workshop_id, participant_id).await?;
    let at = now();
    let invitations = invitations_of(&txn, participant_id).await?;
    let invitation_ids: Vec<i32> = invitations.iter().map(|i| i.id).collect();
    let audit = audit_of(&txn, participant_id, &invitation_ids).await?;
    let secrets = Secrets::of(&before, &audit);

    let mails = mailings_of(&txn, participant_id, &secrets.emails).await?;
    let message_ids: Vec<String> = mails.iter().map(|m| m.message_id.clone()).collect();
    erase_mail(&txn, mails, participant_id, at).await?;
    secrets.scrub_audit(&txn, audit).await?;
    scrub_deliveries_and_events(&txn, &secrets).await?;
    revoke_links(&txn, &invitation_ids, at).await?;
    // Staff's notes on reaching the officer may name them.
    contact_attempt::Entity::update_many()
        .col_expr(
            contact_attempt::Column::Note,
            Expr::value(Option::<String>::None),
        )
        .filter(contact_attempt::Column::InvitationId.is_in(invitation_ids.clone()))
        .exec(&txn)
        .await?;
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
    let (mail, db) = (mail.clone(), db.clone());
    db::after_commit(async move {
        remove_mail_files(&mail, &message_ids);
        forget_freed_pages(&db).await;
    })
    .await;
    Ok(erased)
}

/// The officer's mail loses its address and content; what was still queued is withdrawn,
/// as reminders are.
pub(super) async fn erase_mail(
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
    // What came back about the address: its state and the bounces' and automatic
    // replies' texts.
    let addresses: Vec<String> = secrets.emails.iter().map(|e| e.to_string()).collect();
    delivery_event::Entity::delete_many()
        .filter(delivery_event::Column::Address.is_in(addresses.clone()))
        .exec(txn)
        .await?;
    address_state::Entity::delete_many()
        .filter(address_state::Column::Address.is_in(addresses))
        .exec(txn)
        .await?;
    let quoting_kinds = [
        EventType::MailingFailed,
        EventType::MailingBounced,
        EventType::MailingBlocked,
        EventType::MailingAutoReplied,
    ]
    .map(EventType::as_str);
    for failure in event::Entity::find()
        .filter(event::Column::Kind.is_in(quoting_kinds))
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

/// Deletes the `.eml` files of mails (the file transport writes one per mail); a file that
/// is gone already is fine.
pub(super) fn remove_mail_files(mail: &MailContext, message_ids: &[String]) {
    let Some(dir) = &mail.files else {
        return;
    };
    for message_id in message_ids {
        let path = mail_file(dir, message_id);
        if let Err(error) = std::fs::remove_file(&path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::error!(error = %error, "a mail file could not be removed");
        }
    }
}

/// On SQLite, moves the write-ahead log into the database and empties it, so the pages
/// that held erased values (overwritten under `secure_delete`) leave no copy behind.
pub(super) async fn forget_freed_pages(db: &DatabaseConnection) {
    if db.get_database_backend() == DatabaseBackend::Sqlite
        && let Err(error) = db
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
    {
        tracing::error!(error = %error, "the write-ahead log could not be emptied");
    }
}
