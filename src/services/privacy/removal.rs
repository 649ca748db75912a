//! Deleting a participant. One who was invited has links, mail and replies tied to them:
//! deleting them would leave a link that still opens and personal data that erasure could
//! no longer reach, so that is refused and erasure is the way. One never invited is
//! deleted with what the audit log recorded of them.

use entity::{audit_log, invitation, participant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use super::holdings::{Secrets, audit_of};
use crate::base::error::ServiceError;
use crate::base::records::lock_by_id;
use crate::db;
use crate::domain::refusal::Refusal;
use crate::domain::version::Precondition;
use crate::services::audit::{self, Actor, Change};
use crate::services::participants;

/// Deletes a participant who was never invited; 409 pointing to erasure otherwise.
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    workshop_id: i32,
    id: i32,
    precondition: &Precondition,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    lock_by_id::<participant::Entity>(&txn, "participant", id).await?;
    let before = participants::get(&txn, workshop_id, id).await?.record;
    precondition.check("participant", &before)?;
    let invitations = invitation::Entity::find()
        .filter(invitation::Column::ParticipantId.eq(id))
        .count(&txn)
        .await?;
    if invitations > 0 {
        return Err(Refusal::ParticipantInvited { invitations }.into());
    }
    let audit = audit_of(&txn, id, &[]).await?;
    let secrets = Secrets::of(&before, &audit);
    for entry in audit {
        let (before_json, after_json) = (entry.before.clone(), entry.after.clone());
        let mut active: audit_log::ActiveModel = entry.into();
        active.before = Set(before_json.map(|v| secrets.scrub(&v)));
        active.after = Set(after_json.map(|v| secrets.scrub(&v)));
        active.update(&txn).await?;
    }
    participant::Entity::delete_by_id(id).exec(&txn).await?;
    // The deletion is recorded without the name and address it removes.
    audit::record(
        &txn,
        actor,
        Change::new("delete", "participant", id, None, None),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
