//! What a submission starts with: the invitation it is for, locked until the transaction
//! ends, read in one statement with its round, its administration's code and its reply
//! with the answers of the latest revision. Concurrent submissions of one invitation take
//! turns on the lock (PostgreSQL; SQLite's write lock already does). A link is looked up by
//! its token's digest, which a revocation or a hand-over changes under the same lock: a
//! submission that waited on one of them finds no invitation and answers as for any link
//! that opens nothing. Only the invitation's row is locked: every submission of a round
//! would otherwise wait on the round's.
//!
//! On PostgreSQL the joined rows come from the statement's snapshot, taken before any wait
//! for the lock, so the reply read may predate a submission that held the lock meanwhile:
//! `submit` writes a revision only where the reply is still at the revision read, and
//! otherwise reads it again ([`current_reply`]), the lock held by then.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::round::RoundState;
use entity::{administration, invitation, reply, reply_revision, round};
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, JoinType, LockType, Order, Query, SelectStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryFilter,
    QueryTrait,
};

use crate::base::error::ServiceError;
use crate::domain::answers::{self, AnswerInput, Answers};
use crate::domain::questionnaire::Question;
use crate::domain::refusal::Refusal;
use crate::domain::token;
use crate::services::questionnaires::{self, QuestionCache};

/// Which invitation a submission is for.
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    /// The participant's link.
    Token(&'a str),
    /// Staff entering an emailed answer.
    Id(i32),
}

/// An invitation locked for a submission, with what the submission reads besides.
#[derive(Debug, Clone)]
pub struct InvitationForReply {
    pub invitation: invitation::Model,
    pub round: round::Model,
    pub administration_code: String,
    /// The reply so far with its current answers (`None` when they no longer parse).
    pub current: Option<(reply::Model, Option<Answers>)>,
    /// When the reply's revision `per_hour` back was submitted (see [`lock_for_reply`]): a
    /// link may be revised again once it is an hour old (`None`: fewer revisions).
    pub hour_mark: Option<DateTime<Utc>>,
}

/// The reply of `invitation_id` with its current answers, as its latest revision holds
/// them, read afresh: one statement.
pub async fn current_reply(
    db: &impl ConnectionTrait,
    invitation_id: i32,
) -> Result<Option<(reply::Model, Option<Answers>)>, ServiceError> {
    let latest = reply_revision::Entity::find()
        .find_also_related(reply::Entity)
        .filter(reply::Column::InvitationId.eq(invitation_id))
        .filter(
            Expr::col((reply_revision::Entity, reply_revision::Column::Revision))
                .equals((reply::Entity, reply::Column::Revision)),
        )
        .one(db)
        .await?;
    Ok(latest.and_then(|(revision, reply)| {
        reply.map(|reply| (reply, serde_json::from_value(revision.answers).ok()))
    }))
}

/// Reply columns are read as `C_<column>`, like `SelectTwo` reads its two entities as
/// `A_` and `B_`.
const REPLY: &str = "C_";
const ANSWERS: &str = "D_answers";
const ADMINISTRATION_CODE: &str = "administration_code";
const HOUR_MARK: &str = "E_hour_mark";

/// The invitation `which` names, locked, with its round, administration and current reply,
/// and when the reply's revision `per_hour` back was submitted; `None` when there is no
/// such invitation (or no longer: a link revoked or handed over).
pub async fn lock_for_reply(
    db: &impl ConnectionTrait,
    which: Which<'_>,
    per_hour: u32,
) -> Result<Option<InvitationForReply>, ServiceError> {
    let mut select = invitation::Entity::find().find_also_related(round::Entity);
    select = match which {
        Which::Token(token) => {
            select.filter(invitation::Column::TokenHash.eq(token::digest(token)))
        }
        Which::Id(id) => select.filter(invitation::Column::Id.eq(id)),
    };
    let query = QueryTrait::query(&mut select);
    query
        .join(
            JoinType::LeftJoin,
            administration::Entity,
            Expr::col((administration::Entity, administration::Column::Id))
                .equals((invitation::Entity, invitation::Column::AdministrationId)),
        )
        .join(
            JoinType::LeftJoin,
            reply::Entity,
            Expr::col((reply::Entity, reply::Column::InvitationId))
                .equals((invitation::Entity, invitation::Column::Id)),
        )
        .join(
            JoinType::LeftJoin,
            reply_revision::Entity,
            Condition::all()
                .add(
                    Expr::col((reply_revision::Entity, reply_revision::Column::ReplyId))
                        .equals((reply::Entity, reply::Column::Id)),
                )
                .add(
                    Expr::col((reply_revision::Entity, reply_revision::Column::Revision))
                        .equals((reply::Entity, reply::Column::Revision)),
                ),
        )
        .expr_as(
            Expr::col((administration::Entity, administration::Column::Code)),
            Alias::new(ADMINISTRATION_CODE),
        )
        .expr_as(
            Expr::col((reply_revision::Entity, reply_revision::Column::Answers)),
            Alias::new(ANSWERS),
        )
        .expr_as(
            Expr::SubQuery(None, Box::new(hour_mark(per_hour).into())),
            Alias::new(HOUR_MARK),
        )
        .lock_with_tables(LockType::Update, [invitation::Entity]);
    for column in reply::Column::iter() {
        query.expr_as(
            Expr::col((reply::Entity, column)),
            Alias::new(format!("{REPLY}{}", column.as_str())),
        );
    }
    let Some(row) = db.query_one(&*query).await? else {
        return Ok(None);
    };
    let invitation = invitation::Model::from_query_result(&row, "A_")?;
    let Some(round) = round::Model::from_query_result_optional(&row, "B_")? else {
        return Ok(None);
    };
    let current = reply::Model::from_query_result_optional(&row, REPLY)?.map(|reply| {
        let answers: Option<serde_json::Value> = row.try_get("", ANSWERS).ok().flatten();
        (reply, answers.and_then(|a| serde_json::from_value(a).ok()))
    });
    Ok(Some(InvitationForReply {
        invitation,
        round,
        administration_code: row
            .try_get::<Option<String>>("", ADMINISTRATION_CODE)?
            .unwrap_or_default(),
        current,
        hour_mark: row.try_get("", HOUR_MARK)?,
    }))
}

/// When the reply's revision `per_hour` back was submitted: the latest revisions by the
/// unique index on the reply and its revision numbers.
fn hour_mark(per_hour: u32) -> SelectStatement {
    let recent = Alias::new("recent");
    Query::select()
        .column((recent.clone(), reply_revision::Column::SubmittedAt))
        .from_as(reply_revision::Entity, recent.clone())
        .and_where(
            Expr::col((recent.clone(), reply_revision::Column::ReplyId))
                .equals((reply::Entity, reply::Column::Id)),
        )
        .order_by((recent, reply_revision::Column::Revision), Order::Desc)
        .limit(1)
        .offset(u64::from(per_hour).saturating_sub(1))
        .to_owned()
}

/// The answers a submission to `round` gives, validated against its questions (with the
/// questions, for what follows); refused once the round is closed. The round is not
/// share-locked, unlike where workshops and participants join a round: every submission
/// would write the round's row (PostgreSQL records its sharers there). A reply that started
/// before the round closed may still commit just after.
pub async fn accepted_answers(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    round: &round::Model,
    answers: &BTreeMap<String, AnswerInput>,
) -> Result<(Vec<Question>, Answers), ServiceError> {
    if round.state == RoundState::Closed {
        return Err(Refusal::RepliesFinal.into());
    }
    let questions = questionnaires::questions_of_round(db, questions, round).await?;
    let valid = answers::validate(&questions, answers)?;
    Ok((questions, valid))
}
