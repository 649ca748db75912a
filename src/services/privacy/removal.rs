//! Deleting a participant. One who was invited has links, mail and replies tied to them:
//! deleting them would leave a link that still opens and personal data that erasure could
//! no longer reach, so that is refused and erasure is the way. One never invited is
//! deleted with what the audit log recorded of them.

use entity::{invitation, participant};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use super::holdings::{Secrets, audit_of};
use crate::base::error::ServiceError;
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
    let before = participants::lock(&txn, workshop_id, id).await?;
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
    secrets.scrub_audit(&txn, audit).await?;
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
