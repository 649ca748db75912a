//! The outbox as staff see it: what was queued, sent or failed, and sending again (only
//! to whom the invitation now belongs, with its current link).

use entity::invitation;
use entity::mailing::{self, MailKind, MailStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::audit::{self, Actor, Change};
use super::{deliverability, events};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::listing::PageRequest;
use crate::base::listing::{Listing, page_of};
use crate::base::records::{find_by_id, lock_by_id};
use crate::base::search::text_search;
use crate::db;
use crate::domain::delivery::{Finding, StatusCode};
use crate::domain::refusal::Refusal;
use crate::mail::returned;
use crate::mail::{compose, outbox};
use entity::delivery_event::Source;

#[derive(Debug, Default)]
pub struct MailingFilter {
    pub round_id: Option<i32>,
    pub invitation_id: Option<i32>,
    pub kind: Option<MailKind>,
    pub status: Option<MailStatus>,
    pub recipient: Option<String>,
}

/// Newest first.
pub async fn list(
    db: &DatabaseConnection,
    filter: MailingFilter,
    page: PageRequest,
) -> Result<Listing<mailing::Model>, ServiceError> {
    let mut query = mailing::Entity::find();
    if let Some(round_id) = filter.round_id {
        query = query.filter(mailing::Column::RoundId.eq(round_id));
    }
    if let Some(invitation_id) = filter.invitation_id {
        query = query.filter(mailing::Column::InvitationId.eq(invitation_id));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(mailing::Column::Kind.eq(kind));
    }
    if let Some(status) = filter.status {
        query = query.filter(mailing::Column::Status.eq(status));
    }
    if let Some(recipient) = filter.recipient {
        query = query.filter(text_search(
            &[(mailing::Entity, mailing::Column::Recipient)],
            &recipient,
        ));
    }
    page_of(query.order_by_desc(mailing::Column::Id), db, page).await
}

pub async fn get(db: &DatabaseConnection, id: i32) -> Result<mailing::Model, ServiceError> {
    find_by_id::<mailing::Entity>(db, "mailing", id).await
}

/// Queues a mail again (same message, same Message-ID), whatever became of it.
pub async fn resend(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<mailing::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<mailing::Entity>(&txn, "mailing", id).await?;
    if before.status == MailStatus::Queued {
        return Err(Refusal::MailStillQueued.into());
    }
    if before.body_purged_at.is_some() {
        return Err(Refusal::MailPurged.into());
    }
    let mut active: mailing::ActiveModel = before.clone().into();
    if let Some(invitation_id) = before.invitation_id {
        active.link_generation = Set(current_link(&txn, &before, invitation_id).await?);
    }
    active.status = Set(MailStatus::Queued);
    active.attempts = Set(0);
    active.next_attempt_at = Set(now());
    active.leased_until = Set(None);
    active.last_error = Set(None);
    active.suppressed_reason = Set(None);
    let after = active.update(&txn).await?;
    let change = Change {
        action: "resend",
        ..Change::new(
            "update",
            "mailing",
            id,
            Some(serde_json::json!({"status": before.status, "attempts": before.attempts})),
            Some(serde_json::json!({"status": after.status, "attempts": after.attempts})),
        )
    };
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(after)
}

/// A mail could not be delivered for good: its failure and the event announcing it are
/// written together (nothing when it was withdrawn meanwhile). A refusal with a 5xx reply
/// (`smtp_code`) is news about the address, as a bounce that came back later would be.
pub async fn fail(
    db: &DatabaseConnection,
    mail: &mailing::Model,
    error: &str,
    smtp_code: Option<u16>,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    if outbox::mark_failed(&txn, mail.id, error).await? {
        events::mailing_failed(&txn, mail, error).await?;
        if smtp_code.is_some_and(|code| (500..600).contains(&code)) {
            let code = StatusCode::find_in(error);
            let news = deliverability::News {
                finding: code.map_or(Finding::Undeliverable, StatusCode::finding),
                code: code.map(|c| c.to_string()),
                detail: Some(returned::excerpt(error)),
                source: Source::Smtp,
                source_key: None,
                at: now(),
            };
            deliverability::record(&txn, mail, news).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// The link generation a mail of `invitation_id` may be sent again with: only to the
/// invitation's current officer at their current address (a hand-over or a new address
/// means the old one must not get the live link), and with the current link when the mail
/// carries one.
async fn current_link(
    txn: &impl ConnectionTrait,
    mail: &mailing::Model,
    invitation_id: i32,
) -> Result<Option<i32>, ServiceError> {
    let invitation = lock_by_id::<invitation::Entity>(txn, "invitation", invitation_id).await?;
    let officer = compose::officer_of(txn, &invitation).await?;
    let whom = match officer {
        Some(officer) if mail.participant_id.is_some_and(|id| id != officer.id) => {
            Some("a former officer of the invitation")
        }
        Some(officer) if officer.erased_at.is_some() => Some("an officer erased on request"),
        Some(officer) if officer.email != mail.recipient => Some("an earlier address"),
        Some(_) => None,
        None => Some("an officer the invitation no longer has"),
    };
    if let Some(whom) = whom {
        return Err(Refusal::MailToFormerOfficer {
            whom,
            invitation_id,
        }
        .into());
    }
    match (mail.link_generation, invitation.token_hash) {
        (None, _) => Ok(None),
        (Some(_), None) => Err(Refusal::MailLinkRevoked { invitation_id }.into()),
        (Some(_), Some(_)) => Ok(Some(invitation.token_generation)),
    }
}
