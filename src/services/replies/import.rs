//! The import of historical rounds from the export's format, all or nothing: workshops
//! matched by title and start date or created, replies given to the invitations still
//! waiting for them or to new ones.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::invitation::{self, InvitationStatus};
use entity::reply;
use entity::round::{self, RoundState};
use entity::{administration, round_workshop, workshop};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::answers::{Submitter, record_revision, store_answers};
use super::import_rows::{Errors, Row, read_rows};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::records::share_by_id;
use crate::db;
use crate::domain::InvalidInput;
use crate::domain::refusal::Refusal;
use crate::services::audit::{self, Actor, Change};
use crate::services::questionnaires::{self, QuestionCache};
use crate::services::rounds::attachments;
use crate::services::rounds::schedule;
use crate::services::workshops;

/// What an import loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub replies: usize,
    pub workshops_created: usize,
}

/// Loads replies into a round whose links were never given out (a draft, or a scheduled
/// round before it opens), so that no officer's link shows imported answers: workshops are matched by title and start
/// date or created, and attached to the round; each row becomes the reply of an invitation
/// of its workshop and administration still waiting for one, or of a new invitation (with
/// no officer). Nothing is written unless every row is valid. No mail or other
/// reaction follows: these replies are history.
pub async fn import(
    db: &DatabaseConnection,
    questions: &QuestionCache,
    actor: &Actor,
    round_id: i32,
    csv_text: &str,
) -> Result<ImportSummary, ServiceError> {
    let txn = db::begin(db).await?;
    let round = share_by_id::<round::Entity>(&txn, "round", round_id).await?;
    if round.state == RoundState::Closed {
        return Err(Refusal::ImportIntoClosedRound.into());
    }
    let issued = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round_id))
        .filter(invitation::Column::TokenGeneration.gt(0))
        .count(&txn)
        .await?;
    if issued > 0 {
        return Err(Refusal::ImportAfterLinks { issued }.into());
    }
    let questions = questionnaires::questions_of_round(&txn, questions, &round).await?;
    let rows = read_rows(csv_text, &questions)?;
    let administrations: HashMap<String, administration::Model> = administration::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.code.clone(), a))
        .collect();
    let matched = match_workshops(&txn, actor, round_id, &rows, &administrations).await?;
    for row in &rows {
        let workshop = &matched.workshops[&(row.workshop.title.clone(), row.workshop.start_date)];
        let administration = &administrations[row.administration.as_str()];
        store(&txn, &round, workshop, administration, row).await?;
    }
    let summary = ImportSummary {
        replies: rows.len(),
        workshops_created: matched.created,
    };
    let change = Change::new(
        "import_replies",
        "round",
        round_id,
        None,
        Some(json!(summary)),
    );
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(summary)
}

/// The workshops of an import, by title and start date.
struct Matched {
    workshops: HashMap<(String, NaiveDate), workshop::Model>,
    created: usize,
}

/// Finds or creates the workshop of every row and attaches it to the round; every row
/// naming an unknown administration, a workshop of another round or an excluded workshop
/// is reported.
async fn match_workshops(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    round_id: i32,
    rows: &[Row],
    administrations: &HashMap<String, administration::Model>,
) -> Result<Matched, ServiceError> {
    let mut errors = Errors(Vec::new());
    let mut matched = Matched {
        workshops: HashMap::new(),
        created: 0,
    };
    for row in rows {
        if !administrations.contains_key(row.administration.as_str()) {
            errors.add(
                row.line,
                "administration",
                format!("administration {} does not exist", row.administration),
            );
        }
        let key = (row.workshop.title.clone(), row.workshop.start_date);
        if matched.workshops.contains_key(&key) {
            continue;
        }
        let found = workshop::Entity::find()
            .filter(workshop::Column::Title.eq(key.0.as_str()))
            .filter(workshop::Column::StartDate.eq(key.1))
            .one(txn)
            .await?;
        let workshop = match found {
            Some(existing) => existing,
            None => {
                matched.created += 1;
                workshops::insert(txn, actor, row.workshop.clone()).await?
            }
        };
        if let Some(problem) = attach(txn, actor, round_id, &workshop).await? {
            errors.add(row.line, "workshop", problem);
        }
        matched.workshops.insert(key, workshop);
    }
    if !errors.0.is_empty() {
        return Err(InvalidInput(errors.0).into());
    }
    Ok(matched)
}

/// Attaches an imported workshop to the round unless it is there already; what stands in
/// the way when it cannot be.
async fn attach(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    round_id: i32,
    workshop: &workshop::Model,
) -> Result<Option<&'static str>, ServiceError> {
    let attached = round_workshop::Entity::find()
        .filter(round_workshop::Column::WorkshopId.eq(workshop.id))
        .one(txn)
        .await?;
    match attached {
        Some(attached) if attached.round_id != round_id => {
            Ok(Some("the workshop is part of another round"))
        }
        Some(_) => Ok(None),
        None if workshop.excluded_from_survey => {
            Ok(Some("the workshop is excluded from the survey"))
        }
        None => {
            let attachment = round_workshop::ActiveModel {
                round_id: Set(round_id),
                workshop_id: Set(workshop.id),
                attached_at: Set(now()),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            let id = format!("{round_id}/{}", workshop.id);
            audit::record(
                txn,
                actor,
                Change::created("round_workshop", id, &attachment),
            )
            .await?;
            Ok(None)
        }
    }
}

/// Stores one row as the reply of its invitation.
async fn store(
    txn: &impl ConnectionTrait,
    round: &round::Model,
    workshop: &workshop::Model,
    administration: &administration::Model,
    row: &Row,
) -> Result<(), ServiceError> {
    let invitation = invitation_for(txn, round, workshop, administration).await?;
    let reply = reply::ActiveModel {
        invitation_id: Set(invitation.id),
        round_id: Set(round.id),
        workshop_id: Set(workshop.id),
        administration_id: Set(administration.id),
        first_submitted_at: Set(row.submitted_at),
        last_submitted_at: Set(row.submitted_at),
        late: Set(row.late),
        provenance: Set(row.provenance),
        revision: Set(1),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    store_answers(txn, &reply, &row.answers).await?;
    let by = Submitter {
        provenance: row.provenance,
        name: "import",
        participant_id: None,
    };
    record_revision(txn, &reply, &by, row.submitted_at, &row.answers).await
}

/// An invitation of the roster still waiting for this administration's reply takes it;
/// otherwise the reply comes with an invitation of its own, with no officer.
async fn invitation_for(
    txn: &impl ConnectionTrait,
    round: &round::Model,
    workshop: &workshop::Model,
    administration: &administration::Model,
) -> Result<invitation::Model, ServiceError> {
    let waiting = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round.id))
        .filter(invitation::Column::WorkshopId.eq(workshop.id))
        .filter(invitation::Column::AdministrationId.eq(administration.id))
        .filter(invitation::Column::Status.ne(InvitationStatus::Replied))
        .order_by_asc(invitation::Column::Id)
        .one(txn)
        .await?;
    let at = now();
    if let Some(waiting) = waiting {
        let mut active: invitation::ActiveModel = waiting.into();
        active.status = Set(InvitationStatus::Replied);
        active.updated_at = Set(at);
        return Ok(active.update(txn).await?);
    }
    let (attachment, _) = attachments::get(txn, round.id, workshop.id).await?;
    let dates = schedule::dates(round, &attachment, workshop);
    let mut invitation =
        schedule::new_invitation(round.id, workshop.id, None, administration, &dates);
    invitation.status = Set(InvitationStatus::Replied);
    Ok(invitation.insert(txn).await?)
}
