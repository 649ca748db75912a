//! Round records: list, read, create, change and delete, each change checked against the
//! round's state and audited.

use anyhow::Context;
use entity::reply;
use entity::round::{self, RoundState};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::attachments;
use super::schedule::{self, check_rules, rules};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::listing::{Listing, PageRequest, page_of};
use crate::base::records::{find_by_id, lock_by_id};
use crate::db;
use crate::domain::FiscalYear;
use crate::domain::refusal::Refusal;
use crate::domain::schedule::ScheduleRules;
use crate::domain::version::Precondition;
use crate::domain::wire_name;
use crate::services::audit::{self, Actor, Change};
use crate::services::questionnaires;

/// A valid round to create, or the new state of one.
#[derive(Debug, Clone)]
pub struct RoundInput {
    pub title: String,
    pub round_number: i32,
    pub fiscal_year: FiscalYear,
    pub questionnaire_id: i32,
    pub rules: ScheduleRules,
}

#[derive(Debug, Default)]
pub struct RoundFilter {
    pub fiscal_year: Option<FiscalYear>,
    pub state: Option<RoundState>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: RoundFilter,
    page: PageRequest,
) -> Result<Listing<round::Model>, ServiceError> {
    let mut query = round::Entity::find();
    if let Some(year) = filter.fiscal_year {
        query = query.filter(round::Column::FiscalYear.eq(year.start_year()));
    }
    if let Some(state) = filter.state {
        query = query.filter(round::Column::State.eq(state));
    }
    page_of(query.order_by_desc(round::Column::RoundNumber), db, page).await
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<round::Model, ServiceError> {
    find_by_id::<round::Entity>(db, "round", id).await
}

async fn ensure_number_free(
    db: &impl ConnectionTrait,
    number: i32,
    except: Option<i32>,
) -> Result<(), ServiceError> {
    let mut query = round::Entity::find().filter(round::Column::RoundNumber.eq(number));
    if let Some(id) = except {
        query = query.filter(round::Column::Id.ne(id));
    }
    if query.count(db).await? > 0 {
        return Err(Refusal::RoundNumberTaken { number }.into());
    }
    Ok(())
}

async fn ensure_questionnaire(db: &impl ConnectionTrait, id: i32) -> Result<(), ServiceError> {
    questionnaires::get(db, id)
        .await
        .map(|_| ())
        .map_err(|error| error.missing_as_field("questionnaire", "questionnaire_id"))
}

fn apply(active: &mut round::ActiveModel, input: &RoundInput) -> Result<(), ServiceError> {
    let rules = input.rules.clone().normalized();
    active.title = Set(input.title.clone());
    active.round_number = Set(input.round_number);
    active.fiscal_year = Set(input.fiscal_year.start_year());
    active.questionnaire_id = Set(input.questionnaire_id);
    active.open_offset_months = Set(rules.open_offset_months as i32);
    active.reply_window_days = Set(rules.reply_window_days as i32);
    active.reminder_offsets_days =
        Set(serde_json::to_value(&rules.reminder_offsets_days)
            .context("reminder offsets as JSON")?);
    active.updated_at = Set(now());
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: RoundInput,
) -> Result<round::Model, ServiceError> {
    check_rules(&input.rules)?;
    let txn = db::begin(db).await?;
    ensure_questionnaire(&txn, input.questionnaire_id).await?;
    ensure_number_free(&txn, input.round_number, None).await?;
    let mut active = round::ActiveModel {
        state: Set(RoundState::Draft),
        created_at: Set(now()),
        scheduled_at: Set(None),
        opened_at: Set(None),
        closed_at: Set(None),
        ..Default::default()
    };
    apply(&mut active, &input)?;
    let created = active.insert(&txn).await?;
    audit::record(&txn, actor, Change::created("round", created.id, &created)).await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a round. The questionnaire can change only in `draft`; the rules only until the
/// round opens (invitation dates follow); a closed round does not change.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    input: RoundInput,
    precondition: &Precondition,
) -> Result<round::Model, ServiceError> {
    check_rules(&input.rules)?;
    let txn = db::begin(db).await?;
    let before = lock_by_id::<round::Entity>(&txn, "round", id).await?;
    precondition.check("round", &before)?;
    if before.state == RoundState::Closed {
        return Err(Refusal::RoundClosed {
            number: before.round_number,
        }
        .into());
    }
    if input.questionnaire_id != before.questionnaire_id {
        if before.state != RoundState::Draft {
            return Err(Refusal::QuestionnaireFixed.into());
        }
        ensure_questionnaire(&txn, input.questionnaire_id).await?;
    }
    let rules_change = input.rules.clone().normalized() != rules(&before);
    if rules_change && before.state == RoundState::Open {
        return Err(Refusal::RulesFixed.into());
    }
    ensure_number_free(&txn, input.round_number, Some(id)).await?;
    let mut active: round::ActiveModel = before.clone().into();
    apply(&mut active, &input)?;
    let after = active.update(&txn).await?;
    if rules_change {
        let attached = attachments::of_round(&txn, id).await?;
        schedule::reschedule(&txn, &after, &attached).await?;
    }
    audit::record(&txn, actor, Change::updated("round", id, &before, &after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Only a draft round can be deleted, and only without replies (imported ones).
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    precondition: &Precondition,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<round::Entity>(&txn, "round", id).await?;
    precondition.check("round", &before)?;
    if before.state != RoundState::Draft {
        return Err(Refusal::OnlyDraftDeleted {
            state: wire_name(before.state),
        }
        .into());
    }
    let replies = reply::Entity::find()
        .filter(reply::Column::RoundId.eq(id))
        .count(&txn)
        .await?;
    if replies > 0 {
        return Err(Refusal::RoundHasReplies { replies }.into());
    }
    round::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, actor, Change::deleted("round", id, &before)).await?;
    txn.commit().await?;
    Ok(())
}

/// The round numbered just before `round`, if any (the report compares with it).
pub async fn previous(
    db: &impl ConnectionTrait,
    round: &round::Model,
) -> Result<Option<round::Model>, ServiceError> {
    Ok(round::Entity::find()
        .filter(round::Column::RoundNumber.lt(round.round_number))
        .filter(round::Column::State.ne(RoundState::Draft))
        .order_by_desc(round::Column::RoundNumber)
        .one(db)
        .await?)
}
