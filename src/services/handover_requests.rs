//! "This survey is not for me": an officer names, on the answering page, a colleague who
//! should answer instead. The request waits for staff (the officer's link keeps working
//! until then); accepting runs the hand-over (the colleague gets the invitation, the old
//! link stops), rejecting closes it. Each decision is audited and announced.

use entity::handover_request::{self, HandoverStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::audit::{self, Actor, Change};
use super::events;
use super::invitations::hand_over::{Officer, hand_over_in};
use super::invitations::links;
use crate::base::clock::now;
use crate::base::error::{NotFound, ServiceError};
use crate::base::listing::{Listing, PageRequest, page_of};
use crate::base::records;
use crate::db;
use crate::domain::Email;
use crate::domain::refusal::Refusal;
use crate::mail::MailContext;

/// The colleague an officer names.
#[derive(Debug, Clone)]
pub struct Colleague {
    pub name: String,
    pub email: Email,
    pub note: Option<String>,
}

/// The pending request of the invitation `token` opens, if any.
pub async fn pending_of_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<handover_request::Model>, ServiceError> {
    let Some(invitation) = links::find_by_token(db, token).await? else {
        return Err(NotFound::record("link", "given").into());
    };
    pending_of(db, invitation.id).await
}

async fn pending_of(
    db: &impl ConnectionTrait,
    invitation_id: i32,
) -> Result<Option<handover_request::Model>, ServiceError> {
    Ok(handover_request::Entity::find()
        .filter(handover_request::Column::InvitationId.eq(invitation_id))
        .filter(handover_request::Column::Status.eq(HandoverStatus::Pending))
        .one(db)
        .await?)
}

/// Records the officer's request (one pending per invitation: a new one replaces it).
pub async fn request(
    db: &DatabaseConnection,
    token: &str,
    colleague: Colleague,
) -> Result<handover_request::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let Some(invitation) = links::find_by_token(&txn, token).await? else {
        return Err(NotFound::record("link", "given").into());
    };
    links::round_accepting_links(&txn, &invitation).await?;
    let row = handover_request::ActiveModel {
        invitation_id: Set(invitation.id),
        colleague_name: Set(colleague.name),
        colleague_email: Set(colleague.email.into_inner()),
        note: Set(colleague.note),
        status: Set(HandoverStatus::Pending),
        created_at: Set(now()),
        decided_at: Set(None),
        decided_by: Set(None),
        ..Default::default()
    };
    let saved = match pending_of(&txn, invitation.id).await? {
        Some(pending) => {
            let mut active = row;
            active.id = Set(pending.id);
            active.update(&txn).await?
        }
        None => row.insert(&txn).await?,
    };
    txn.commit().await?;
    Ok(saved)
}

/// The requests, newest first, in `status` when given.
pub async fn list(
    db: &DatabaseConnection,
    status: Option<HandoverStatus>,
    page: PageRequest,
) -> Result<Listing<handover_request::Model>, ServiceError> {
    let mut query = handover_request::Entity::find();
    if let Some(status) = status {
        query = query.filter(handover_request::Column::Status.eq(status));
    }
    page_of(query.order_by_desc(handover_request::Column::Id), db, page).await
}

/// Accepts (the hand-over runs: the colleague gets the invitation) or rejects a pending
/// request, audited and announced.
pub async fn decide(
    db: &DatabaseConnection,
    mail: &MailContext,
    actor: &Actor,
    id: i32,
    accept: bool,
) -> Result<handover_request::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let before =
        records::lock_by_id::<handover_request::Entity>(&txn, "hand-over request", id).await?;
    if before.status != HandoverStatus::Pending {
        return Err(Refusal::HandoverDecided.into());
    }
    if accept {
        let officer = Officer {
            name: before.colleague_name.clone(),
            email: Email::parse(&before.colleague_email)
                .map_err(|e| anyhow::anyhow!("a stored colleague's address: {e}"))?,
            position: None,
        };
        hand_over_in(&txn, mail, actor, before.invitation_id, officer).await?;
    }
    let mut active: handover_request::ActiveModel = before.clone().into();
    active.status = Set(if accept {
        HandoverStatus::Accepted
    } else {
        HandoverStatus::Rejected
    });
    active.decided_at = Set(Some(now()));
    active.decided_by = Set(Some(actor.name.clone()));
    let after = active.update(&txn).await?;
    let change = Change {
        action: if accept { "accept" } else { "reject" },
        ..Change::updated("handover_request", id, &before, &after)
    };
    audit::record(&txn, actor, change).await?;
    events::handover_decided(&txn, &after).await?;
    txn.commit().await?;
    Ok(after)
}
