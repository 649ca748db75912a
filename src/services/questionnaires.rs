//! Questionnaire versions. A version used by a round never changes; staff publish a new
//! version instead. Version 1 is the ROCB follow-up questionnaire.

use std::collections::HashMap;
use std::sync::Mutex;

use anyhow::Context;
use entity::questionnaire;
use entity::round::{self, RoundState};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::audit::{self, Actor, Change};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::listing::PageRequest;
use crate::base::listing::{Listing, page_of};
use crate::base::records::{find_by_id, lock_by_id};
use crate::db;
use crate::domain::questionnaire::{Question, default_questions};
use crate::domain::refusal::Refusal;
use crate::domain::version::Precondition;

/// A valid questionnaire version to publish, or the new content of an unused one.
#[derive(Debug, Clone)]
pub struct QuestionnaireInput {
    pub title: String,
    pub description: Option<String>,
    pub questions: Vec<Question>,
}

/// The questions of a stored version.
pub fn questions(model: &questionnaire::Model) -> Result<Vec<Question>, ServiceError> {
    serde_json::from_value(model.questions.clone())
        .with_context(|| format!("questionnaire {} holds unreadable questions", model.id))
        .map_err(ServiceError::Unexpected)
}

/// The questions of rounds whose questionnaire can no longer change, read once. Once a
/// round is scheduled its questionnaire is fixed (nor can the round be deleted, nor the
/// questionnaire edited while a round uses it), and every reply needs its questions. One
/// cache belongs to one application state, so two databases in one process never share
/// entries.
#[derive(Debug, Default)]
pub struct QuestionCache(Mutex<HashMap<i32, Vec<Question>>>);

impl QuestionCache {
    fn get(&self, questionnaire_id: i32) -> Option<Vec<Question>> {
        self.0.lock().ok()?.get(&questionnaire_id).cloned()
    }

    fn keep(&self, questionnaire_id: i32, questions: &[Question]) {
        if let Ok(mut kept) = self.0.lock() {
            kept.insert(questionnaire_id, questions.to_vec());
        }
    }
}

/// The questions a round asks, from `cache` once the round is no longer a draft.
pub async fn questions_of_round(
    db: &impl ConnectionTrait,
    cache: &QuestionCache,
    round: &round::Model,
) -> Result<Vec<Question>, ServiceError> {
    let settled = round.state != RoundState::Draft;
    if settled && let Some(questions) = cache.get(round.questionnaire_id) {
        return Ok(questions);
    }
    let questions = questions(&get(db, round.questionnaire_id).await?)?;
    if settled {
        cache.keep(round.questionnaire_id, &questions);
    }
    Ok(questions)
}

/// Loads version 1 when no questionnaire exists yet.
pub async fn seed_default(db: &DatabaseConnection) -> anyhow::Result<bool> {
    if questionnaire::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let at = now();
    questionnaire::ActiveModel {
        version: Set(1),
        title: Set("ROCB A/P follow-up actions questionnaire".into()),
        description: Set(Some(
            "Follow-up actions taken after participation in a WCO regional or sub-regional workshop."
                .into(),
        )),
        questions: Set(serde_json::to_value(default_questions())?),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("seeding the default questionnaire")?;
    Ok(true)
}

pub async fn list(
    db: &DatabaseConnection,
    page: PageRequest,
) -> Result<Listing<questionnaire::Model>, ServiceError> {
    page_of(
        questionnaire::Entity::find().order_by_asc(questionnaire::Column::Version),
        db,
        page,
    )
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<questionnaire::Model, ServiceError> {
    find_by_id::<questionnaire::Entity>(db, "questionnaire", id).await
}

/// Whether any round uses the version (then it is immutable).
pub async fn in_use(db: &impl ConnectionTrait, id: i32) -> Result<bool, ServiceError> {
    Ok(round::Entity::find()
        .filter(round::Column::QuestionnaireId.eq(id))
        .count(db)
        .await?
        > 0)
}

/// Publishes a new version, numbered after the latest.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: QuestionnaireInput,
) -> Result<questionnaire::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let latest: Option<i32> = questionnaire::Entity::find()
        .select_only()
        .column_as(questionnaire::Column::Version.max(), "latest")
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let at = now();
    let created = questionnaire::ActiveModel {
        version: Set(latest.unwrap_or(0) + 1),
        title: Set(input.title),
        description: Set(input.description),
        questions: Set(serde_json::to_value(&input.questions).context("questions as JSON")?),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change::created("questionnaire", created.id, &created),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Replaces the content of a version no round uses yet.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    input: QuestionnaireInput,
    precondition: &Precondition,
) -> Result<questionnaire::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<questionnaire::Entity>(&txn, "questionnaire", id).await?;
    precondition.check("questionnaire", &before)?;
    if in_use(&txn, id).await? {
        return Err(Refusal::QuestionnaireInUse {
            version: before.version,
        }
        .into());
    }
    let mut active: questionnaire::ActiveModel = before.clone().into();
    active.title = Set(input.title);
    active.description = Set(input.description);
    active.questions = Set(serde_json::to_value(&input.questions).context("questions as JSON")?);
    active.updated_at = Set(now());
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::updated("questionnaire", id, &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
