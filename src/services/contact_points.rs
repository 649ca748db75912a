//! The contact points of each administration: people it names (a capacity-building
//! contact point, its training unit) whom staff ask when an officer cannot be reached.
//! Personal data like participants: never shown to partners, audited, erasable.

use std::collections::HashMap;

use entity::contact_point::{self, ContactRole};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::administrations;
use super::audit::{self, Actor, Change};
use crate::base::clock::now;
use crate::base::error::{NotFound, ServiceError};
use crate::base::listing::{Listing, PageRequest, page_of};
use crate::base::records;
use crate::db;
use crate::domain::{AdministrationCode, Email};

/// A valid contact point.
#[derive(Debug, Clone)]
pub struct ContactPointInput {
    pub name: String,
    pub email: Email,
    pub role: ContactRole,
    pub active: bool,
}

/// The contact points of the administration `code`, active first, then by name.
pub async fn list(
    db: &DatabaseConnection,
    code: &AdministrationCode,
    page: PageRequest,
) -> Result<Listing<contact_point::Model>, ServiceError> {
    let administration = administrations::get(db, code).await?;
    let query = contact_point::Entity::find()
        .filter(contact_point::Column::AdministrationId.eq(administration.id))
        .order_by_desc(contact_point::Column::Active)
        .order_by_asc(contact_point::Column::Name)
        .order_by_asc(contact_point::Column::Id);
    page_of(query, db, page).await
}

fn not_of(code: &AdministrationCode, id: i32) -> ServiceError {
    NotFound::because(
        "contact point",
        format!("contact point {id} of {} does not exist", code.as_str()),
    )
    .into()
}

pub async fn get(
    db: &impl ConnectionTrait,
    code: &AdministrationCode,
    id: i32,
) -> Result<contact_point::Model, ServiceError> {
    let administration = administrations::get(db, code).await?;
    contact_point::Entity::find_by_id(id)
        .filter(contact_point::Column::AdministrationId.eq(administration.id))
        .one(db)
        .await?
        .ok_or_else(|| not_of(code, id))
}

/// The contact point `id` of `code`, locked for a change.
pub async fn lock(
    txn: &impl ConnectionTrait,
    code: &AdministrationCode,
    id: i32,
) -> Result<contact_point::Model, ServiceError> {
    let administration = administrations::get(txn, code).await?;
    let query = contact_point::Entity::find_by_id(id)
        .filter(contact_point::Column::AdministrationId.eq(administration.id));
    records::lock(query, txn)
        .await?
        .ok_or_else(|| not_of(code, id))
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    code: &AdministrationCode,
    input: ContactPointInput,
) -> Result<contact_point::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let administration = administrations::get(&txn, code).await?;
    let at = now();
    let created = contact_point::ActiveModel {
        administration_id: Set(administration.id),
        name: Set(input.name),
        email: Set(input.email.into_inner()),
        role: Set(input.role),
        active: Set(input.active),
        created_at: Set(at),
        updated_at: Set(at),
        erased_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change::created("contact_point", created.id, &created),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn replace(
    db: &DatabaseConnection,
    actor: &Actor,
    code: &AdministrationCode,
    id: i32,
    input: ContactPointInput,
) -> Result<contact_point::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock(&txn, code, id).await?;
    let mut active: contact_point::ActiveModel = before.clone().into();
    active.name = Set(input.name);
    active.email = Set(input.email.into_inner());
    active.role = Set(input.role);
    active.active = Set(input.active);
    active.erased_at = Set(None);
    active.updated_at = Set(now());
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::updated("contact_point", id, &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    code: &AdministrationCode,
    id: i32,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock(&txn, code, id).await?;
    contact_point::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, actor, Change::deleted("contact_point", id, &before)).await?;
    txn.commit().await?;
    Ok(())
}

/// The active contact points of each of `administration_ids`, by name.
pub async fn active_of(
    db: &impl ConnectionTrait,
    administration_ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, Vec<contact_point::Model>>, ServiceError> {
    let mut found: HashMap<i32, Vec<contact_point::Model>> = HashMap::new();
    for point in contact_point::Entity::find()
        .filter(contact_point::Column::AdministrationId.is_in(administration_ids))
        .filter(contact_point::Column::Active.eq(true))
        .order_by_asc(contact_point::Column::Name)
        .all(db)
        .await?
    {
        found
            .entry(point.administration_id)
            .or_default()
            .push(point);
    }
    Ok(found)
}
