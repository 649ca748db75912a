//! Workshops: the events whose participants the survey asks.

use chrono::NaiveDate;
use entity::round_workshop;
use entity::workshop::{self, Scope};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order,
    QueryFilter, QueryOrder, Set,
};

use super::audit::{self, Actor, Change};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::listing::PageRequest;
use crate::base::listing::{Listing, page_of};
use crate::base::records::{find_by_id, lock_by_id};
use crate::base::search::text_search;
use crate::db;
use crate::domain::FiscalYear;
use crate::domain::refusal::Refusal;
use crate::domain::version::Precondition;

/// A valid workshop (end on or after start; a venue unless virtual).
#[derive(Debug, Clone)]
pub struct WorkshopInput {
    pub title: String,
    pub topic: Option<String>,
    pub scope: Scope,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub venue: Option<String>,
    pub is_virtual: bool,
    pub excluded_from_survey: bool,
}

/// Sort keys of the workshop list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WorkshopOrder {
    #[default]
    StartDate,
    EndDate,
    Title,
    CreatedAt,
}

#[derive(Debug, Default)]
pub struct WorkshopFilter {
    pub fiscal_year: Option<FiscalYear>,
    pub scope: Option<Scope>,
    pub excluded_from_survey: Option<bool>,
    pub text: Option<String>,
    pub order: WorkshopOrder,
    pub descending: bool,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: WorkshopFilter,
    page: PageRequest,
) -> Result<Listing<workshop::Model>, ServiceError> {
    let mut query = workshop::Entity::find();
    if let Some(year) = filter.fiscal_year {
        query = query.filter(workshop::Column::FiscalYear.eq(year.start_year()));
    }
    if let Some(scope) = filter.scope {
        query = query.filter(workshop::Column::Scope.eq(scope));
    }
    if let Some(excluded) = filter.excluded_from_survey {
        query = query.filter(workshop::Column::ExcludedFromSurvey.eq(excluded));
    }
    if let Some(text) = filter.text {
        query = query.filter(text_search(
            &[
                (workshop::Entity, workshop::Column::Title),
                (workshop::Entity, workshop::Column::Topic),
                (workshop::Entity, workshop::Column::Venue),
            ],
            &text,
        ));
    }
    let column = match filter.order {
        WorkshopOrder::StartDate => workshop::Column::StartDate,
        WorkshopOrder::EndDate => workshop::Column::EndDate,
        WorkshopOrder::Title => workshop::Column::Title,
        WorkshopOrder::CreatedAt => workshop::Column::CreatedAt,
    };
    let direction = if filter.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    page_of(
        query
            .order_by(column, direction.clone())
            .order_by(workshop::Column::Id, direction),
        db,
        page,
    )
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<workshop::Model, ServiceError> {
    find_by_id::<workshop::Entity>(db, "workshop", id).await
}

fn apply(active: &mut workshop::ActiveModel, input: WorkshopInput) {
    active.fiscal_year = Set(FiscalYear::containing(input.start_date).start_year());
    active.title = Set(input.title);
    active.topic = Set(input.topic);
    active.scope = Set(input.scope);
    active.start_date = Set(input.start_date);
    active.end_date = Set(input.end_date);
    active.venue = Set(input.venue);
    active.is_virtual = Set(input.is_virtual);
    active.excluded_from_survey = Set(input.excluded_from_survey);
    active.updated_at = Set(now());
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: WorkshopInput,
) -> Result<workshop::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let created = insert(&txn, actor, input).await?;
    txn.commit().await?;
    Ok(created)
}

/// Writes a workshop (audited) inside the caller's transaction.
pub async fn insert(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    input: WorkshopInput,
) -> Result<workshop::Model, ServiceError> {
    let mut active = workshop::ActiveModel {
        created_at: Set(now()),
        ..Default::default()
    };
    apply(&mut active, input);
    let created = active.insert(txn).await?;
    audit::record(
        txn,
        actor,
        Change::created("workshop", created.id, &created),
    )
    .await?;
    Ok(created)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    input: WorkshopInput,
    precondition: &Precondition,
) -> Result<workshop::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<workshop::Entity>(&txn, "workshop", id).await?;
    precondition.check("workshop", &before)?;
    let mut active: workshop::ActiveModel = before.clone().into();
    apply(&mut active, input);
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::updated("workshop", id, &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a workshop with its participants.
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    precondition: &Precondition,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<workshop::Entity>(&txn, "workshop", id).await?;
    precondition.check("workshop", &before)?;
    if let Some(attached) = round_workshop::Entity::find()
        .filter(round_workshop::Column::WorkshopId.eq(id))
        .one(&txn)
        .await?
    {
        return Err(Refusal::WorkshopInRound {
            round_id: attached.round_id,
        }
        .into());
    }
    workshop::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, actor, Change::deleted("workshop", id, &before)).await?;
    txn.commit().await?;
    Ok(())
}

/// The titles of the workshops `ids`.
pub async fn titles(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> Result<std::collections::HashMap<i32, String>, ServiceError> {
    Ok(workshop::Entity::find()
        .filter(workshop::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.title))
        .collect())
}
