//! Contact attempts: staff recording how they tried to reach the officer of an invitation
//! without a reply (phone, a personal email, in person, through the contact point) and
//! what came of it. Audited; listed with the invitation and in the follow-up list.

use chrono::{DateTime, Utc};
use entity::contact_attempt::{self, Channel, Outcome};
use entity::invitation;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::audit::{self, Actor, Change};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::records::find_by_id;
use crate::db;

/// A valid contact attempt.
#[derive(Debug, Clone)]
pub struct AttemptInput {
    pub channel: Channel,
    pub outcome: Outcome,
    pub note: Option<String>,
    /// When it was made; now when absent. Never in the future (checked at the edge).
    pub attempted_at: Option<DateTime<Utc>>,
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    invitation_id: i32,
    input: AttemptInput,
) -> Result<contact_attempt::Model, ServiceError> {
    let txn = db::begin(db).await?;
    find_by_id::<invitation::Entity>(&txn, "invitation", invitation_id).await?;
    let at = now();
    let created = contact_attempt::ActiveModel {
        invitation_id: Set(invitation_id),
        channel: Set(input.channel),
        outcome: Set(input.outcome),
        note: Set(input.note),
        attempted_at: Set(input.attempted_at.unwrap_or(at)),
        recorded_by: Set(actor.name.clone()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change::created("contact_attempt", created.id, &created),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The attempts on an invitation, oldest first.
pub async fn list(
    db: &DatabaseConnection,
    invitation_id: i32,
) -> Result<Vec<contact_attempt::Model>, ServiceError> {
    find_by_id::<invitation::Entity>(db, "invitation", invitation_id).await?;
    Ok(contact_attempt::Entity::find()
        .filter(contact_attempt::Column::InvitationId.eq(invitation_id))
        .order_by_asc(contact_attempt::Column::AttemptedAt)
        .order_by_asc(contact_attempt::Column::Id)
        .all(db)
        .await?)
}
