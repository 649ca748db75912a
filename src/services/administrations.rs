//! The member administrations: seeded from the region's list, editable by staff.

use entity::administration::{self, SubRegion};
use entity::participant;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::audit::{self, Actor, Change};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::listing::PageRequest;
use crate::base::listing::{Listing, page_of};
use crate::base::records::lock;
use crate::base::search::text_search;
use crate::db;
use crate::domain::refusal::Refusal;
use crate::domain::version::Precondition;
use crate::domain::{AdministrationCode, TimeZone};

/// A valid administration, as created or replaced.
#[derive(Debug, Clone)]
pub struct AdministrationInput {
    pub code: AdministrationCode,
    pub name: String,
    pub sub_region: SubRegion,
    pub time_zone: TimeZone,
}

#[derive(Debug, Default)]
pub struct AdministrationFilter {
    pub sub_region: Option<SubRegion>,
    pub text: Option<String>,
}

/// Ordered by code.
pub async fn list(
    db: &DatabaseConnection,
    filter: AdministrationFilter,
    page: PageRequest,
) -> Result<Listing<administration::Model>, ServiceError> {
    let mut query = administration::Entity::find();
    if let Some(sub_region) = filter.sub_region {
        query = query.filter(administration::Column::SubRegion.eq(sub_region));
    }
    if let Some(text) = filter.text {
        query = query.filter(text_search(
            &[
                (administration::Entity, administration::Column::Code),
                (administration::Entity, administration::Column::Name),
            ],
            &text,
        ));
    }
    page_of(query.order_by_asc(administration::Column::Code), db, page).await
}

pub async fn get(
    db: &impl ConnectionTrait,
    code: &AdministrationCode,
) -> Result<administration::Model, ServiceError> {
    find(db, code)
        .await?
        .ok_or_else(|| ServiceError::not_found("administration", code))
}

async fn find(
    db: &impl ConnectionTrait,
    code: &AdministrationCode,
) -> Result<Option<administration::Model>, ServiceError> {
    Ok(administration::Entity::find()
        .filter(administration::Column::Code.eq(code.as_str()))
        .one(db)
        .await?)
}

async fn locked(
    db: &impl ConnectionTrait,
    code: &AdministrationCode,
) -> Result<administration::Model, ServiceError> {
    lock(
        administration::Entity::find().filter(administration::Column::Code.eq(code.as_str())),
        db,
    )
    .await?
    .ok_or_else(|| ServiceError::not_found("administration", code))
}

fn code_taken(code: &AdministrationCode) -> ServiceError {
    Refusal::AdministrationCodeTaken {
        code: code.to_string(),
    }
    .into()
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: AdministrationInput,
) -> Result<administration::Model, ServiceError> {
    let txn = db::begin(db).await?;
    if find(&txn, &input.code).await?.is_some() {
        return Err(code_taken(&input.code));
    }
    let at = now();
    let created = administration::ActiveModel {
        code: Set(input.code.into_inner()),
        name: Set(input.name),
        sub_region: Set(input.sub_region),
        time_zone: Set(input.time_zone.name().to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change::created("administration", created.id, &created),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    code: &AdministrationCode,
    input: AdministrationInput,
    precondition: &Precondition,
) -> Result<administration::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let before = locked(&txn, code).await?;
    precondition.check("administration", &before)?;
    if input.code != *code && find(&txn, &input.code).await?.is_some() {
        return Err(code_taken(&input.code));
    }
    let mut active: administration::ActiveModel = before.clone().into();
    active.code = Set(input.code.into_inner());
    active.name = Set(input.name);
    active.sub_region = Set(input.sub_region);
    active.time_zone = Set(input.time_zone.name().to_owned());
    active.updated_at = Set(now());
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::updated("administration", after.id, &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Only an administration no participant refers to can be deleted.
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    code: &AdministrationCode,
    precondition: &Precondition,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    let before = locked(&txn, code).await?;
    precondition.check("administration", &before)?;
    let participants = participant::Entity::find()
        .filter(participant::Column::AdministrationId.eq(before.id))
        .count(&txn)
        .await?;
    if participants > 0 {
        return Err(Refusal::AdministrationHasParticipants {
            code: code.to_string(),
            participants,
        }
        .into());
    }
    administration::Entity::delete_by_id(before.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        Change::deleted("administration", before.id, &before),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
