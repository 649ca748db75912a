//! Good practices: quotes staff take from replies, edit, classify, attribute and approve
//! for the report and the feedback mailing. Every edit is audited.

use std::collections::HashMap;

use entity::good_practice::{self, Category};
use entity::{administration, answer, reply, workshop};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::audit::{self, Actor, Change};
use super::rounds::records;
use super::{administrations, workshops};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::listing::PageRequest;
use crate::base::listing::{Listing, page_of};
use crate::base::records::{find_by_id, lock_by_id};
use crate::db;
use crate::domain::version::Precondition;
use crate::domain::{AdministrationCode, InvalidInput};

/// Where a quote comes from.
#[derive(Debug, Clone)]
pub struct Source {
    pub reply_id: i32,
    pub question_code: String,
    /// Words that occur in the answer's text, `other` text or comment.
    pub quote: String,
}

/// The curated part of a good practice.
#[derive(Debug, Clone)]
pub struct Curation {
    /// The edited text; the quote when absent at creation.
    pub text: Option<String>,
    pub category: Category,
    /// Attribution; the reply's administration and workshop when absent.
    pub administration: Option<AdministrationCode>,
    pub workshop_id: Option<i32>,
    pub approved_for_report: bool,
    pub approved_for_feedback: bool,
}

/// A good practice with the code of the administration it is attributed to.
#[derive(Debug, Clone)]
pub struct GoodPractice {
    pub record: good_practice::Model,
    pub administration_code: String,
    pub workshop_title: String,
}

#[derive(Debug, Default)]
pub struct GoodPracticeFilter {
    pub category: Option<Category>,
    pub approved_for_report: Option<bool>,
    pub approved_for_feedback: Option<bool>,
}

async fn view(
    db: &impl ConnectionTrait,
    record: good_practice::Model,
) -> Result<GoodPractice, ServiceError> {
    let mut one = views(db, vec![record]).await?;
    Ok(one.remove(0))
}

/// `records` with their administrations' codes and workshops' titles, read in two queries.
async fn views(
    db: &impl ConnectionTrait,
    records: Vec<good_practice::Model>,
) -> Result<Vec<GoodPractice>, ServiceError> {
    let codes: HashMap<i32, String> = administration::Entity::find()
        .filter(administration::Column::Id.is_in(records.iter().map(|r| r.administration_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.code))
        .collect();
    let titles: HashMap<i32, String> = workshop::Entity::find()
        .filter(workshop::Column::Id.is_in(records.iter().map(|r| r.workshop_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.title))
        .collect();
    Ok(records
        .into_iter()
        .map(|record| GoodPractice {
            administration_code: codes
                .get(&record.administration_id)
                .cloned()
                .unwrap_or_default(),
            workshop_title: titles.get(&record.workshop_id).cloned().unwrap_or_default(),
            record,
        })
        .collect())
}

pub async fn list(
    db: &DatabaseConnection,
    round_id: i32,
    filter: GoodPracticeFilter,
    page: PageRequest,
) -> Result<Listing<GoodPractice>, ServiceError> {
    records::get(db, round_id).await?;
    let mut query =
        good_practice::Entity::find().filter(good_practice::Column::RoundId.eq(round_id));
    if let Some(category) = filter.category {
        query = query.filter(good_practice::Column::Category.eq(category));
    }
    if let Some(approved) = filter.approved_for_report {
        query = query.filter(good_practice::Column::ApprovedForReport.eq(approved));
    }
    if let Some(approved) = filter.approved_for_feedback {
        query = query.filter(good_practice::Column::ApprovedForFeedback.eq(approved));
    }
    let query = query
        .order_by_asc(good_practice::Column::Category)
        .order_by_asc(good_practice::Column::Id);
    let records = page_of(query, db, page).await?;
    Ok(Listing {
        items: views(db, records.items).await?,
        total: records.total,
    })
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<GoodPractice, ServiceError> {
    let record = find_by_id::<good_practice::Entity>(db, "good practice", id).await?;
    view(db, record).await
}

async fn attribution(
    db: &impl ConnectionTrait,
    curation: &Curation,
    default_administration: i32,
    default_workshop: i32,
) -> Result<(i32, i32), ServiceError> {
    let administration_id = match &curation.administration {
        Some(code) => {
            administrations::get(db, code)
                .await
                .map_err(|e| e.missing_as_field("administration", "administration"))?
                .id
        }
        None => default_administration,
    };
    let workshop_id = match curation.workshop_id {
        Some(id) => {
            workshops::get(db, id)
                .await
                .map_err(|e| e.missing_as_field("workshop", "workshop_id"))?;
            id
        }
        None => default_workshop,
    };
    Ok((administration_id, workshop_id))
}

/// Takes a quote from a reply of the round.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    round_id: i32,
    source: Source,
    curation: Curation,
) -> Result<GoodPractice, ServiceError> {
    let txn = db::begin(db).await?;
    records::get(&txn, round_id).await?;
    let reply = reply::Entity::find_by_id(source.reply_id)
        .filter(reply::Column::RoundId.eq(round_id))
        .one(&txn)
        .await?
        .ok_or_else(|| InvalidInput::field("reply_id", "no reply of this round has this id"))?;
    let answer = answer::Entity::find_by_id((reply.id, source.question_code.clone()))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            InvalidInput::field("question_code", "the reply has no answer to this question")
        })?;
    let quotable = [&answer.text_value, &answer.other_text, &answer.comment];
    if !quotable
        .iter()
        .any(|text| text.as_deref().is_some_and(|t| t.contains(&source.quote)))
    {
        return Err(InvalidInput::field(
            "quote",
            "must be words of the answer's text, `other` text or comment",
        )
        .into());
    }
    let (administration_id, workshop_id) =
        attribution(&txn, &curation, reply.administration_id, reply.workshop_id).await?;
    let at = now();
    let record = good_practice::ActiveModel {
        round_id: Set(round_id),
        reply_id: Set(Some(reply.id)),
        question_code: Set(Some(source.question_code)),
        text: Set(curation
            .text
            .clone()
            .unwrap_or_else(|| source.quote.clone())),
        quote: Set(source.quote),
        category: Set(curation.category),
        administration_id: Set(administration_id),
        workshop_id: Set(workshop_id),
        approved_for_report: Set(curation.approved_for_report),
        approved_for_feedback: Set(curation.approved_for_feedback),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change::created("good_practice", record.id, &record),
    )
    .await?;
    let created = view(&txn, record).await?;
    txn.commit().await?;
    Ok(created)
}

/// Edits, re-classifies, re-attributes or (un)approves a good practice.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    curation: Curation,
    precondition: &Precondition,
) -> Result<GoodPractice, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<good_practice::Entity>(&txn, "good practice", id).await?;
    precondition.check("good practice", &before)?;
    let (administration_id, workshop_id) = attribution(
        &txn,
        &curation,
        before.administration_id,
        before.workshop_id,
    )
    .await?;
    let mut active: good_practice::ActiveModel = before.clone().into();
    if let Some(text) = curation.text {
        active.text = Set(text);
    }
    active.category = Set(curation.category);
    active.administration_id = Set(administration_id);
    active.workshop_id = Set(workshop_id);
    active.approved_for_report = Set(curation.approved_for_report);
    active.approved_for_feedback = Set(curation.approved_for_feedback);
    active.updated_at = Set(now());
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::updated("good_practice", id, &before, &after),
    )
    .await?;
    let updated = view(&txn, after).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    precondition: &Precondition,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<good_practice::Entity>(&txn, "good practice", id).await?;
    precondition.check("good practice", &before)?;
    good_practice::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, actor, Change::deleted("good_practice", id, &before)).await?;
    txn.commit().await?;
    Ok(())
}
