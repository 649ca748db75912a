//! Erasing a contact point on request: its name and email replaced in the record and in
//! the audit log's entries about it; the record stays, inactive.

use entity::{audit_log, contact_point};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::holdings::Secrets;
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::db;
use crate::domain::AdministrationCode;
use crate::services::audit::{self, Actor, Change};
use crate::services::contact_points;

/// The name an erased contact point keeps.
pub const ERASED_CONTACT_POINT: &str = "Erased contact point";

/// Erases the contact point's name and email, in one transaction.
pub async fn erase_contact_point(
    db: &DatabaseConnection,
    actor: &Actor,
    code: &AdministrationCode,
    id: i32,
) -> Result<contact_point::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let before = contact_points::lock(&txn, code, id).await?;
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("contact_point"))
        .filter(audit_log::Column::EntityId.eq(id.to_string()))
        .all(&txn)
        .await?;
    let secrets = Secrets::of_contact_point(&before, &audit);
    secrets.scrub_audit(&txn, audit).await?;
    let at = now();
    let mut active: contact_point::ActiveModel = before.into();
    active.name = Set(ERASED_CONTACT_POINT.into());
    active.email = Set(String::new());
    active.active = Set(false);
    active.erased_at = Set(Some(at));
    active.updated_at = Set(at);
    let erased = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::new("erase", "contact_point", id, None, None),
    )
    .await?;
    txn.commit().await?;
    Ok(erased)
}
