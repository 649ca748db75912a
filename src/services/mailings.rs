//! The outbox as staff see it: what was queued, sent or failed, and sending again.

use entity::mailing::{self, MailKind, MailStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::audit::{self, Actor, Change};
use super::{Listing, ServiceError, lock_by_id, now, page_of, text_search};
use crate::db;
use crate::pagination::PageRequest;

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
    mailing::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found("mailing", id))
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
        return Err(ServiceError::Conflict {
            field: None,
            detail: "the mail is still queued; it will be sent".into(),
        });
    }
    let mut active: mailing::ActiveModel = before.clone().into();
    active.status = Set(MailStatus::Queued);
    active.attempts = Set(0);
    active.next_attempt_at = Set(now());
    active.leased_until = Set(None);
    active.last_error = Set(None);
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
