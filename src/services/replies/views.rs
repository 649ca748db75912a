//! Replies as staff and participants see them: a round's replies, one reply with its
//! history, and what a personal link opens.

use std::collections::HashMap;

use entity::invitation;
use entity::reply::{self, Provenance};
use entity::round::RoundState;
use entity::{administration, questionnaire, reply_revision, round, workshop};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};

use super::answers::answers_of;
use crate::base::error::{NotFound, ServiceError};
use crate::base::listing::{Listing, PageRequest, page_of};
use crate::base::records::find_by_id;
use crate::domain::AdministrationCode;
use crate::domain::answers::Answers;
use crate::domain::questionnaire::Question;
use crate::mail::compose;
use crate::services::invitations::links;
use crate::services::questionnaires::{self, QuestionCache};

/// What an unknown, revoked or handed-over token gets: the same answer for each.
const UNKNOWN_LINK: &str = "this link is not valid; ask the survey office for a new one";

/// The refusal of a token that opens nothing.
pub fn unknown_link() -> ServiceError {
    NotFound::because("link", UNKNOWN_LINK).into()
}

/// A reply with what staff and participants see of it.
#[derive(Debug, Clone)]
pub struct ReplyDetail {
    pub reply: reply::Model,
    pub administration_code: String,
    pub answers: Answers,
}

/// The reply with its administration's code and `answers`.
pub async fn detail(
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

/// The state of the round the link with `token` belongs to, and the questions it asks
/// (kept in memory once the round is scheduled): what reading a posted form needs, without
/// the rest of [`form`].
pub async fn asked(
    db: &DatabaseConnection,
    questions: &QuestionCache,
    token: &str,
) -> Result<(RoundState, Vec<Question>), ServiceError> {
    let invitation = links::find_by_token(db, token)
        .await?
        .ok_or_else(unknown_link)?;
    let round = find_by_id::<round::Entity>(db, "round", invitation.round_id).await?;
    let asked = questionnaires::questions_of_round(db, questions, &round).await?;
    Ok((round.state, asked))
}

/// What the link with `token` opens; [`NotFound`] (`link`) for an unknown, revoked or
/// handed-over token.
pub async fn form(db: &DatabaseConnection, token: &str) -> Result<ResponseForm, ServiceError> {
    let invitation = links::find_by_token(db, token)
        .await?
        .ok_or_else(unknown_link)?;
    let round = find_by_id::<round::Entity>(db, "round", invitation.round_id).await?;
    let workshop = find_by_id::<workshop::Entity>(db, "workshop", invitation.workshop_id).await?;
    let administration = administration::Entity::find_by_id(invitation.administration_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("invitation {} has no administration", invitation.id))?;
    let participant_name = compose::officer_of(db, &invitation).await?.map(|p| p.name);
    let questionnaire = questionnaires::get(db, round.questionnaire_id).await?;
    let questions = questionnaires::questions(&questionnaire)?;
    let reply = match reply::Entity::find()
        .filter(reply::Column::InvitationId.eq(invitation.id))
        .one(db)
        .await?
    {
        Some(reply) => {
            let mut answers = answers_of(db, &[reply.id], &questions).await?;
            Some(ReplyDetail {
                answers: answers.remove(&reply.id).unwrap_or_default(),
                administration_code: administration.code.clone(),
                reply,
            })
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
    questions: &QuestionCache,
    round_id: i32,
    filter: ReplyFilter,
    page: PageRequest,
) -> Result<Listing<ReplyDetail>, ServiceError> {
    let round = find_by_id::<round::Entity>(db, "round", round_id).await?;
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
    let questions = questionnaires::questions_of_round(db, questions, &round).await?;
    let ids: Vec<i32> = replies.iter().map(|r| r.id).collect();
    let mut answers = answers_of(db, &ids, &questions).await?;
    let codes: HashMap<i32, String> = administration::Entity::find()
        .filter(administration::Column::Id.is_in(replies.iter().map(|r| r.administration_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.code))
        .collect();
    let items = replies
        .into_iter()
        .map(|reply| ReplyDetail {
            answers: answers.remove(&reply.id).unwrap_or_default(),
            administration_code: codes
                .get(&reply.administration_id)
                .cloned()
                .unwrap_or_default(),
            reply,
        })
        .collect();
    Ok(Listing { items, total })
}

/// One reply with every revision, oldest first.
pub async fn get(
    db: &DatabaseConnection,
    questions: &QuestionCache,
    id: i32,
) -> Result<(ReplyDetail, Vec<reply_revision::Model>), ServiceError> {
    let reply = find_by_id::<reply::Entity>(db, "reply", id).await?;
    let round = find_by_id::<round::Entity>(db, "round", reply.round_id).await?;
    let questions = questionnaires::questions_of_round(db, questions, &round).await?;
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
