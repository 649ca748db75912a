//! Replies: submitted by participants through their link or entered by staff from an
//! emailed answer, revised until the round closes, each submission kept as a revision.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};
use entity::invitation::{self, InvitationStatus};
use entity::reply::{self, Provenance};
use entity::round::RoundState;
use entity::{
    administration, answer, answer_choice, participant, questionnaire, reply_revision, round,
    workshop,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set,
};

use super::audit::{self, Actor, Change};
use super::{Listing, ServiceError, events, invitations, now, page_of, questionnaires, rounds};
use crate::db;
use crate::domain::answers::{self, Answer, AnswerInput, Answers};
use crate::domain::questionnaire::{Question, QuestionType};
use crate::domain::{AdministrationCode, InvalidInput};
use crate::mail::MailContext;
use crate::pagination::PageRequest;

/// How a submission can fail.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    /// Unknown, revoked and never-existing tokens all look the same.
    #[error("{0}")]
    NotFound(String),
    #[error("the round is closed; replies are final")]
    RoundClosed,
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<ServiceError> for ReplyError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound(message) => Self::NotFound(message),
            ServiceError::Invalid(invalid) => Self::Invalid(invalid),
            ServiceError::Conflict { detail, .. } => Self::Conflict(detail),
            ServiceError::PreconditionFailed(failed) => Self::Conflict(failed.to_string()),
            ServiceError::Unexpected(cause) => Self::Unexpected(cause),
        }
    }
}

impl From<DbErr> for ReplyError {
    fn from(error: DbErr) -> Self {
        ServiceError::from(error).into()
    }
}

const UNKNOWN_LINK: &str = "this link is not valid; ask the survey office for a new one";

/// A reply with what staff and participants see of it.
#[derive(Debug, Clone)]
pub struct ReplyDetail {
    pub reply: reply::Model,
    pub administration_code: String,
    pub answers: Answers,
}

/// One submission.
#[derive(Debug, Clone)]
pub struct Submission {
    pub answers: BTreeMap<String, AnswerInput>,
    pub provenance: Provenance,
    /// `participant`, or the staff key's name.
    pub submitted_by: String,
    /// When the answers arrived (staff may enter an emailed answer later).
    pub received_at: DateTime<Utc>,
}

/// The questions a round asks. Once a round is scheduled its questionnaire can no longer
/// change (nor can the round be deleted, nor the questionnaire edited while a round uses
/// it), so those are kept in memory after the first read: every reply needs them.
pub async fn questions_of_round(
    db: &impl ConnectionTrait,
    round: &round::Model,
) -> Result<Vec<Question>, ServiceError> {
    type Fixed = Mutex<HashMap<i32, Vec<Question>>>;
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    let fixed = FIXED.get_or_init(Default::default);
    let settled = round.state != RoundState::Draft;
    if settled
        && let Some(questions) = fixed
            .lock()
            .ok()
            .and_then(|f| f.get(&round.questionnaire_id).cloned())
    {
        return Ok(questions);
    }
    let questions =
        questionnaires::questions(&questionnaires::get(db, round.questionnaire_id).await?)?;
    if settled && let Ok(mut fixed) = fixed.lock() {
        fixed.insert(round.questionnaire_id, questions.clone());
    }
    Ok(questions)
}

/// The current answers of each reply in `reply_ids`, shaped by `questions`.
pub async fn answers_of(
    db: &impl ConnectionTrait,
    reply_ids: &[i32],
    questions: &[Question],
) -> Result<HashMap<i32, Answers>, ServiceError> {
    let mut result: HashMap<i32, Answers> =
        reply_ids.iter().map(|id| (*id, Answers::new())).collect();
    if reply_ids.is_empty() {
        return Ok(result);
    }
    let rows = answer::Entity::find()
        .filter(answer::Column::ReplyId.is_in(reply_ids.iter().copied()))
        .all(db)
        .await?;
    let choices = answer_choice::Entity::find()
        .filter(answer_choice::Column::ReplyId.is_in(reply_ids.iter().copied()))
        .all(db)
        .await?;
    let mut chosen: HashMap<(i32, &str), Vec<&str>> = HashMap::new();
    for choice in &choices {
        chosen
            .entry((choice.reply_id, choice.question_code.as_str()))
            .or_default()
            .push(choice.option_code.as_str());
    }
    for row in rows {
        let question = questions.iter().find(|q| q.code == row.question_code);
        let picked = chosen
            .get(&(row.reply_id, row.question_code.as_str()))
            .cloned()
            .unwrap_or_default();
        let mut answer = Answer {
            yes: row.yes_no,
            value: row.scale_value,
            text: row.text_value,
            other: row.other_text,
            comment: row.comment,
            ..Answer::default()
        };
        match question.map(|q| q.question_type) {
            Some(QuestionType::SingleChoice) => {
                answer.choice = picked.first().map(|c| (*c).to_owned())
            }
            Some(QuestionType::MultipleChoice) => {
                let position = |code: &str| {
                    question
                        .and_then(|q| q.options.iter().position(|o| o.code == code))
                        .unwrap_or(usize::MAX)
                };
                let mut ordered: Vec<&str> = picked;
                ordered.sort_by_key(|code| position(code));
                answer.choices = Some(ordered.into_iter().map(str::to_owned).collect());
            }
            _ => {}
        }
        if let Some(answers) = result.get_mut(&row.reply_id) {
            answers.insert(row.question_code, answer);
        }
    }
    Ok(result)
}

/// Replaces the stored answers of a reply.
pub async fn store_answers(
    db: &impl ConnectionTrait,
    reply: &reply::Model,
    answers: &Answers,
) -> Result<(), ServiceError> {
    let (reply_id, round_id) = (reply.id, reply.round_id);
    answer::Entity::delete_many()
        .filter(answer::Column::ReplyId.eq(reply_id))
        .exec(db)
        .await?;
    answer_choice::Entity::delete_many()
        .filter(answer_choice::Column::ReplyId.eq(reply_id))
        .exec(db)
        .await?;
    if answers.is_empty() {
        return Ok(());
    }
    let rows = answers.iter().map(|(code, answer)| answer::ActiveModel {
        reply_id: Set(reply_id),
        question_code: Set(code.clone()),
        round_id: Set(round_id),
        yes_no: Set(answer.yes),
        scale_value: Set(answer.value),
        text_value: Set(answer.text.clone()),
        other_text: Set(answer.other.clone()),
        comment: Set(answer.comment.clone()),
    });
    answer::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    let choices: Vec<_> = answers
        .iter()
        .flat_map(|(code, answer)| {
            answer
                .chosen()
                .into_iter()
                .map(move |option| answer_choice::ActiveModel {
                    reply_id: Set(reply_id),
                    question_code: Set(code.clone()),
                    option_code: Set(option),
                    round_id: Set(round_id),
                })
        })
        .collect();
    if !choices.is_empty() {
        answer_choice::Entity::insert_many(choices)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Keeps a submission in the reply's history.
pub async fn record_revision(
    db: &impl ConnectionTrait,
    reply: &reply::Model,
    provenance: Provenance,
    submitted_by: &str,
    submitted_at: DateTime<Utc>,
    answers: &Answers,
) -> Result<(), ServiceError> {
    reply_revision::ActiveModel {
        reply_id: Set(reply.id),
        revision: Set(reply.revision),
        submitted_at: Set(submitted_at),
        provenance: Set(provenance),
        submitted_by: Set(submitted_by.to_owned()),
        answers: Set(serde_json::to_value(answers).unwrap_or_default()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// What a submission did.
#[derive(Debug)]
struct Outcome {
    reply: reply::Model,
    answers: Answers,
    /// `None` when the answers equal the current ones: nothing changed.
    change: Option<(Option<reply::Model>, bool)>,
}

/// The one way a reply is written: first submission or revision, identical resubmissions
/// change nothing. `invitation` must be locked by the caller's transaction.
async fn submit(
    db: &impl ConnectionTrait,
    mail: &MailContext,
    invitation: invitation::Model,
    submission: Submission,
) -> Result<Outcome, ReplyError> {
    let round = rounds::get(db, invitation.round_id).await?;
    if round.state == RoundState::Closed {
        return Err(ReplyError::RoundClosed);
    }
    let questions = questions_of_round(db, &round).await?;
    let answers = answers::validate(&questions, &submission.answers)?;
    let existing = reply::Entity::find()
        .filter(reply::Column::InvitationId.eq(invitation.id))
        .one(db)
        .await?;
    let at = submission.received_at;
    let (reply, before, first) = match existing {
        Some(current) => {
            let stored = answers_of(db, &[current.id], &questions).await?;
            if stored.get(&current.id) == Some(&answers) {
                return Ok(Outcome {
                    reply: current,
                    answers,
                    change: None,
                });
            }
            let mut active: reply::ActiveModel = current.clone().into();
            active.revision = Set(current.revision + 1);
            active.last_submitted_at = Set(at.max(current.last_submitted_at));
            (active.update(db).await?, Some(current), false)
        }
        None => {
            let created = reply::ActiveModel {
                invitation_id: Set(invitation.id),
                round_id: Set(invitation.round_id),
                workshop_id: Set(invitation.workshop_id),
                administration_id: Set(invitation.administration_id),
                first_submitted_at: Set(at),
                last_submitted_at: Set(at),
                late: Set(at > invitation.due_at),
                provenance: Set(submission.provenance),
                revision: Set(1),
                ..Default::default()
            }
            .insert(db)
            .await?;
            let mut active: invitation::ActiveModel = invitation.into();
            active.status = Set(InvitationStatus::Replied);
            active.updated_at = Set(now());
            active.update(db).await?;
            (created, None, true)
        }
    };
    store_answers(db, &reply, &answers).await?;
    record_revision(
        db,
        &reply,
        submission.provenance,
        &submission.submitted_by,
        at,
        &answers,
    )
    .await?;
    events::reply_received(db, mail, &reply, first, &questions, &answers).await?;
    Ok(Outcome {
        reply,
        answers,
        change: Some((before, first)),
    })
}

async fn detail(
    db: &impl ConnectionTrait,
    reply: reply::Model,
    answers: Answers,
) -> Result<ReplyDetail, ServiceError> {
    let administration = administration::Entity::find_by_id(reply.administration_id)
        .one(db)
        .await?
        .map(|a| a.code)
        .unwrap_or_default();
    Ok(ReplyDetail {
        reply,
        administration_code: administration,
        answers,
    })
}

/// A participant submits or revises through their link.
pub async fn respond(
    db: &DatabaseConnection,
    mail: &MailContext,
    token: &str,
    answers: BTreeMap<String, AnswerInput>,
) -> Result<ReplyDetail, ReplyError> {
    let txn = db::begin(db).await?;
    let invitation = invitations::lock_by_token(&txn, token)
        .await?
        .ok_or_else(|| ReplyError::NotFound(UNKNOWN_LINK.into()))?;
    let submission = Submission {
        answers,
        provenance: Provenance::Participant,
        submitted_by: "participant".into(),
        received_at: now(),
    };
    let outcome = submit(&txn, mail, invitation, submission).await?;
    let detail = detail(&txn, outcome.reply, outcome.answers).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Staff enter the answers of an invitation that arrived by email (audited).
pub async fn enter(
    db: &DatabaseConnection,
    mail: &MailContext,
    actor: &Actor,
    invitation_id: i32,
    answers: BTreeMap<String, AnswerInput>,
    received_at: Option<DateTime<Utc>>,
) -> Result<ReplyDetail, ReplyError> {
    let at = now();
    let received_at = received_at.unwrap_or(at);
    if received_at > at {
        return Err(InvalidInput::field("received_at", "must not be in the future").into());
    }
    let txn = db::begin(db).await?;
    let invitation = invitations::lock(&txn, invitation_id).await?;
    let submission = Submission {
        answers,
        provenance: Provenance::Staff,
        submitted_by: actor.name.clone(),
        received_at,
    };
    let outcome = submit(&txn, mail, invitation, submission).await?;
    if let Some((before, first)) = &outcome.change {
        let after = serde_json::json!({"reply": &outcome.reply, "answers": &outcome.answers});
        let change = match (before, first) {
            (_, true) => Change::new("enter_reply", "reply", outcome.reply.id, None, Some(after)),
            (before, false) => Change::new(
                "revise_reply",
                "reply",
                outcome.reply.id,
                before.as_ref().and_then(|b| serde_json::to_value(b).ok()),
                Some(after),
            ),
        };
        audit::record(&txn, actor, change).await?;
    }
    let detail = detail(&txn, outcome.reply, outcome.answers).await?;
    txn.commit().await?;
    Ok(detail)
}

/// What a participant's link shows.
#[derive(Debug, Clone)]
pub struct ResponseForm {
    pub invitation: invitation::Model,
    pub round: round::Model,
    pub workshop: workshop::Model,
    pub administration: administration::Model,
    pub participant_name: Option<String>,
    pub questionnaire: questionnaire::Model,
    pub questions: Vec<Question>,
    pub reply: Option<ReplyDetail>,
}

pub async fn form(db: &DatabaseConnection, token: &str) -> Result<ResponseForm, ReplyError> {
    let invitation = invitations::find_by_token(db, token)
        .await?
        .ok_or_else(|| ReplyError::NotFound(UNKNOWN_LINK.into()))?;
    let round = rounds::get(db, invitation.round_id).await?;
    let workshop = super::workshops::get(db, invitation.workshop_id).await?;
    let administration = administration::Entity::find_by_id(invitation.administration_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("invitation {} has no administration", invitation.id))?;
    let participant_name = match invitation.participant_id {
        Some(id) => participant::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|p| p.name),
        None => None,
    };
    let questionnaire = questionnaires::get(db, round.questionnaire_id).await?;
    let questions = questionnaires::questions(&questionnaire)?;
    let reply = match reply::Entity::find()
        .filter(reply::Column::InvitationId.eq(invitation.id))
        .one(db)
        .await?
    {
        Some(reply) => {
            let mut answers = answers_of(db, &[reply.id], &questions).await?;
            let answers = answers.remove(&reply.id).unwrap_or_default();
            Some(detail(db, reply, answers).await?)
        }
        None => None,
    };
    Ok(ResponseForm {
        invitation,
        round,
        workshop,
        administration,
        participant_name,
        questionnaire,
        questions,
        reply,
    })
}

#[derive(Debug, Default)]
pub struct ReplyFilter {
    pub workshop_id: Option<i32>,
    pub administration: Option<AdministrationCode>,
    pub late: Option<bool>,
    pub provenance: Option<Provenance>,
}

/// A round's replies, by workshop, administration and arrival.
pub async fn list(
    db: &DatabaseConnection,
    round_id: i32,
    filter: ReplyFilter,
    page: PageRequest,
) -> Result<Listing<ReplyDetail>, ServiceError> {
    let round = rounds::get(db, round_id).await?;
    let mut query = reply::Entity::find()
        .join(JoinType::InnerJoin, reply::Relation::Invitation.def())
        .join(
            JoinType::InnerJoin,
            invitation::Relation::Administration.def(),
        )
        .filter(reply::Column::RoundId.eq(round_id));
    if let Some(workshop_id) = filter.workshop_id {
        query = query.filter(reply::Column::WorkshopId.eq(workshop_id));
    }
    if let Some(code) = filter.administration {
        query = query.filter(administration::Column::Code.eq(code.as_str()));
    }
    if let Some(late) = filter.late {
        query = query.filter(reply::Column::Late.eq(late));
    }
    if let Some(provenance) = filter.provenance {
        query = query.filter(reply::Column::Provenance.eq(provenance));
    }
    let query = query
        .order_by_asc(reply::Column::WorkshopId)
        .order_by_asc(administration::Column::Code)
        .order_by_asc(reply::Column::Id);
    let Listing {
        items: replies,
        total,
    } = page_of(query, db, page).await?;
    let questions = questions_of_round(db, &round).await?;
    let ids: Vec<i32> = replies.iter().map(|r| r.id).collect();
    let mut answers = answers_of(db, &ids, &questions).await?;
    let mut items = Vec::with_capacity(replies.len());
    for reply in replies {
        let answers = answers.remove(&reply.id).unwrap_or_default();
        items.push(detail(db, reply, answers).await?);
    }
    Ok(Listing { items, total })
}

/// One reply with every revision, oldest first.
pub async fn get(
    db: &DatabaseConnection,
    id: i32,
) -> Result<(ReplyDetail, Vec<reply_revision::Model>), ServiceError> {
    let reply = reply::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found("reply", id))?;
    let round = rounds::get(db, reply.round_id).await?;
    let questions = questions_of_round(db, &round).await?;
    let answers = answers_of(db, &[id], &questions)
        .await?
        .remove(&id)
        .unwrap_or_default();
    let history = reply_revision::Entity::find()
        .filter(reply_revision::Column::ReplyId.eq(id))
        .order_by_asc(reply_revision::Column::Revision)
        .all(db)
        .await?;
    Ok((detail(db, reply, answers).await?, history))
}
