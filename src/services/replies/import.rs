//! The import of historical rounds from the export's format, all or nothing: workshops
//! matched by title and start date or created, replies given to the invitations still
//! waiting for them or to new ones.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::invitation::{self, InvitationStatus};
use entity::round;
use entity::{
    administration, answer, answer_choice, reply, reply_revision, round_workshop, workshop,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use super::answers::{Submitter, answer_rows, revision_row};
use super::import_rows::{Errors, Row, read_rows};
use super::import_target::check_takes_history;
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::records::{insert_in_chunks, share_by_id};
use crate::db;
use crate::domain::InvalidInput;
use crate::services::audit::{self, Actor, Change};
use crate::services::questionnaires::{self, QuestionCache};
use crate::services::rounds::schedule;
use crate::services::workshops;

/// What an import loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub replies: usize,
    pub workshops_created: usize,
}

/// Loads replies into a round that takes history (a draft, or a closed round that never
/// gave out links or mail: `import_target`), so that no officer's link shows imported
/// answers: workshops are matched by title and start date or created, and attached to the
/// round; each row becomes the reply of an invitation of its workshop and administration
/// still waiting for one, or of a new invitation (with no officer). Nothing is written
/// unless every row is valid. No mail or other reaction follows: these replies are history.
pub async fn import(
    db: &DatabaseConnection,
    questions: &QuestionCache,
    actor: &Actor,
    round_id: i32,
    csv_text: &str,
) -> Result<ImportSummary, ServiceError> {
    let txn = db::begin(db).await?;
    let round = share_by_id::<round::Entity>(&txn, "round", round_id).await?;
    check_takes_history(&txn, &round).await?;
    let questions = questionnaires::questions_of_round(&txn, questions, &round).await?;
    let rows = read_rows(csv_text, &questions)?;
    let administrations: HashMap<String, administration::Model> = administration::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.code.clone(), a))
        .collect();
    let matched = match_workshops(&txn, actor, round_id, &rows, &administrations).await?;
    let mut history = History::default();
    for row in &rows {
        let attached = &matched.workshops[&(row.workshop.title.clone(), row.workshop.start_date)];
        let administration = &administrations[row.administration.as_str()];
        let reply = store(&txn, &round, attached, administration, row).await?;
        history.add(&reply, row);
    }
    history.insert(&txn).await?;
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

/// The workshops of an import, by title and start date, with their attachment to the round.
struct Matched {
    workshops: HashMap<(String, NaiveDate), Attached>,
    created: usize,
}

/// A workshop attached to the round.
struct Attached {
    attachment: round_workshop::Model,
    workshop: workshop::Model,
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
        match attach(txn, actor, round_id, &workshop).await? {
            Ok(attachment) => {
                let attached = Attached {
                    attachment,
                    workshop,
                };
                matched.workshops.insert(key, attached);
            }
            Err(problem) => errors.add(row.line, "workshop", problem),
        }
    }
    if !errors.0.is_empty() {
        return Err(InvalidInput(errors.0).into());
    }
    Ok(matched)
}

/// Attaches an imported workshop to the round unless it is there already: its attachment,
/// or what stands in the way when it cannot be.
async fn attach(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    round_id: i32,
    workshop: &workshop::Model,
) -> Result<Result<round_workshop::Model, &'static str>, ServiceError> {
    let attached = round_workshop::Entity::find()
        .filter(round_workshop::Column::WorkshopId.eq(workshop.id))
        .one(txn)
        .await?;
    match attached {
        Some(attached) if attached.round_id != round_id => {
            Ok(Err("the workshop is part of another round"))
        }
        Some(attached) => Ok(Ok(attached)),
        None if workshop.excluded_from_survey => {
            Ok(Err("the workshop is excluded from the survey"))
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
            Ok(Ok(attachment))
        }
    }
}

/// Stores one row as the reply of its invitation; its answers and revision go in with the
/// others' ([`History`]).
async fn store(
    txn: &impl ConnectionTrait,
    round: &round::Model,
    attached: &Attached,
    administration: &administration::Model,
    row: &Row,
) -> Result<reply::Model, ServiceError> {
    let workshop = &attached.workshop;
    let invitation = invitation_for(txn, round, attached, administration).await?;
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
    Ok(reply)
}

/// The answers, chosen options and first revisions of the imported replies, written
/// together at the end, many rows a statement rather than a statement a reply.
#[derive(Default)]
struct History {
    answers: Vec<answer::ActiveModel>,
    choices: Vec<answer_choice::ActiveModel>,
    revisions: Vec<reply_revision::ActiveModel>,
}

impl History {
    fn add(&mut self, reply: &reply::Model, row: &Row) {
        let (answers, choices) = answer_rows(reply, &row.answers);
        self.answers.extend(answers);
        self.choices.extend(choices);
        let by = Submitter {
            provenance: row.provenance,
            name: "import",
            participant_id: None,
        };
        let revision = revision_row(reply, &by, row.submitted_at, &row.answers);
        self.revisions.push(revision);
    }

    async fn insert(self, txn: &impl ConnectionTrait) -> Result<(), ServiceError> {
        insert_in_chunks(txn, self.answers).await?;
        insert_in_chunks(txn, self.choices).await?;
        insert_in_chunks(txn, self.revisions).await?;
        Ok(())
    }
}

/// An invitation of the roster still waiting for this administration's reply takes it;
/// otherwise the reply comes with an invitation of its own, with no officer.
async fn invitation_for(
    txn: &impl ConnectionTrait,
    round: &round::Model,
    attached: &Attached,
    administration: &administration::Model,
) -> Result<invitation::Model, ServiceError> {
    let workshop = &attached.workshop;
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
    let dates = schedule::dates(round, &attached.attachment, workshop);
    let mut invitation =
        schedule::new_invitation(round.id, workshop.id, None, administration, &dates);
    invitation.status = Set(InvitationStatus::Replied);
    Ok(invitation.insert(txn).await?)
}
