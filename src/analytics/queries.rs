//! The aggregate queries behind the analytics, written with SeaQuery so they run the same
//! on PostgreSQL and SQLite. Each returns counts grouped in the database; their cost grows
//! with the round (or rounds) asked about, not with everything stored.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::workshop::Scope;
use entity::{answer, answer_choice, invitation, reply, round_workshop, workshop};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};

/// A workshop of a round, as the tables name it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct WorkshopRow {
    pub id: i32,
    pub title: String,
    pub scope: Scope,
    pub start_date: NaiveDate,
}

async fn all<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    query: &SelectStatement,
) -> Result<Vec<T>, DbErr> {
    let statement: Statement = db.get_database_backend().build(query);
    T::find_by_statement(statement).all(db).await
}

/// The workshops of a round, by start date and title.
pub async fn workshops(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<Vec<WorkshopRow>, DbErr> {
    let query = Query::select()
        .column((workshop::Entity, workshop::Column::Id))
        .column((workshop::Entity, workshop::Column::Title))
        .column((workshop::Entity, workshop::Column::Scope))
        .column((workshop::Entity, workshop::Column::StartDate))
        .from(round_workshop::Entity)
        .inner_join(
            workshop::Entity,
            Expr::col((workshop::Entity, workshop::Column::Id))
                .equals((round_workshop::Entity, round_workshop::Column::WorkshopId)),
        )
        .and_where(
            Expr::col((round_workshop::Entity, round_workshop::Column::RoundId)).eq(round_id),
        )
        .order_by(
            (workshop::Entity, workshop::Column::StartDate),
            sea_orm::Order::Asc,
        )
        .order_by(
            (workshop::Entity, workshop::Column::Title),
            sea_orm::Order::Asc,
        )
        .to_owned();
    all(db, &query).await
}

#[derive(Debug, FromQueryResult)]
struct Count {
    group_id: i32,
    n: i64,
}

/// Rows of `table` per group column value (`workshop_id`, or `round_id` for trends), for
/// the given rounds.
async fn count_by<T>(
    db: &impl ConnectionTrait,
    table: T,
    group: SimpleExpr,
    round_column: SimpleExpr,
    round_ids: &[i32],
) -> Result<HashMap<i32, u64>, DbErr>
where
    T: sea_orm::sea_query::IntoTableRef,
{
    let query = Query::select()
        .expr_as(group.clone(), Alias::new("group_id"))
        .expr_as(Func::count(Expr::val(1)), Alias::new("n"))
        .from(table)
        .and_where(round_column.is_in(round_ids.iter().copied()))
        .add_group_by([group])
        .to_owned();
    Ok(all::<Count>(db, &query)
        .await?
        .into_iter()
        .map(|c| (c.group_id, c.n as u64))
        .collect())
}

/// How many were invited, per workshop of the round.
pub async fn invited_per_workshop(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<HashMap<i32, u64>, DbErr> {
    count_by(
        db,
        invitation::Entity,
        Expr::col(invitation::Column::WorkshopId),
        Expr::col(invitation::Column::RoundId),
        &[round_id],
    )
    .await
}

/// How many replied, per workshop of the round.
pub async fn replied_per_workshop(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<HashMap<i32, u64>, DbErr> {
    count_by(
        db,
        reply::Entity,
        Expr::col(reply::Column::WorkshopId),
        Expr::col(reply::Column::RoundId),
        &[round_id],
    )
    .await
}

/// Invitations per round.
pub async fn invited_per_round(
    db: &impl ConnectionTrait,
    round_ids: &[i32],
) -> Result<HashMap<i32, u64>, DbErr> {
    count_by(
        db,
        invitation::Entity,
        Expr::col(invitation::Column::RoundId),
        Expr::col(invitation::Column::RoundId),
        round_ids,
    )
    .await
}

/// Replies per round.
pub async fn replied_per_round(
    db: &impl ConnectionTrait,
    round_ids: &[i32],
) -> Result<HashMap<i32, u64>, DbErr> {
    count_by(
        db,
        reply::Entity,
        Expr::col(reply::Column::RoundId),
        Expr::col(reply::Column::RoundId),
        round_ids,
    )
    .await
}

#[derive(Debug, FromQueryResult)]
struct OptionCount {
    group_id: i32,
    option_code: String,
    n: i64,
}

/// Replies choosing each option of a choice question, per workshop of the round.
pub async fn option_counts(
    db: &impl ConnectionTrait,
    round_id: i32,
    question: &str,
) -> Result<HashMap<(i32, String), u64>, DbErr> {
    let workshop = Expr::col((reply::Entity, reply::Column::WorkshopId));
    let query = Query::select()
        .expr_as(workshop.clone(), Alias::new("group_id"))
        .column((answer_choice::Entity, answer_choice::Column::OptionCode))
        .expr_as(Func::count(Expr::val(1)), Alias::new("n"))
        .from(answer_choice::Entity)
        .inner_join(
            reply::Entity,
            Expr::col((reply::Entity, reply::Column::Id))
                .equals((answer_choice::Entity, answer_choice::Column::ReplyId)),
        )
        .and_where(Expr::col((answer_choice::Entity, answer_choice::Column::RoundId)).eq(round_id))
        .and_where(
            Expr::col((answer_choice::Entity, answer_choice::Column::QuestionCode)).eq(question),
        )
        .add_group_by([
            workshop,
            Expr::col((answer_choice::Entity, answer_choice::Column::OptionCode)),
        ])
        .to_owned();
    Ok(all::<OptionCount>(db, &query)
        .await?
        .into_iter()
        .map(|c| ((c.group_id, c.option_code), c.n as u64))
        .collect())
}

/// Replies that answered a question, and (for yes/no) that answered yes, per group.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    pub answered: u64,
    pub yes: u64,
}

#[derive(Debug, FromQueryResult)]
struct AnsweredRow {
    group_id: i32,
    answered: i64,
    yes: Option<i64>,
}

/// Per workshop of the round: replies that answered a question, and that answered yes.
pub async fn answered(
    db: &impl ConnectionTrait,
    round_id: i32,
    question: &str,
) -> Result<HashMap<i32, Answered>, DbErr> {
    let workshop = Expr::col((reply::Entity, reply::Column::WorkshopId));
    let yes = Expr::col((answer::Entity, answer::Column::YesNo)).eq(true);
    let query = Query::select()
        .expr_as(workshop.clone(), Alias::new("group_id"))
        .expr_as(Func::count(Expr::val(1)), Alias::new("answered"))
        .expr_as(Func::sum(Expr::case(yes, 1).finally(0)), Alias::new("yes"))
        .from(answer::Entity)
        .inner_join(
            reply::Entity,
            Expr::col((reply::Entity, reply::Column::Id))
                .equals((answer::Entity, answer::Column::ReplyId)),
        )
        .and_where(Expr::col((answer::Entity, answer::Column::RoundId)).eq(round_id))
        .and_where(Expr::col((answer::Entity, answer::Column::QuestionCode)).eq(question))
        .add_group_by([workshop])
        .to_owned();
    Ok(all::<AnsweredRow>(db, &query)
        .await?
        .into_iter()
        .map(|row| {
            (
                row.group_id,
                Answered {
                    answered: row.answered as u64,
                    yes: row.yes.unwrap_or_default() as u64,
                },
            )
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct QuestionCount {
    round_id: i32,
    question_code: String,
    answered: i64,
    yes: Option<i64>,
}

/// Per round and question: replies that answered it, and that answered yes.
pub async fn answered_by_question(
    db: &impl ConnectionTrait,
    round_ids: &[i32],
) -> Result<HashMap<(i32, String), Answered>, DbErr> {
    let yes = Expr::col((answer::Entity, answer::Column::YesNo)).eq(true);
    let query = Query::select()
        .column((answer::Entity, answer::Column::RoundId))
        .column((answer::Entity, answer::Column::QuestionCode))
        .expr_as(Func::count(Expr::val(1)), Alias::new("answered"))
        .expr_as(Func::sum(Expr::case(yes, 1).finally(0)), Alias::new("yes"))
        .from(answer::Entity)
        .and_where(
            Expr::col((answer::Entity, answer::Column::RoundId)).is_in(round_ids.iter().copied()),
        )
        .add_group_by([
            Expr::col((answer::Entity, answer::Column::RoundId)),
            Expr::col((answer::Entity, answer::Column::QuestionCode)),
        ])
        .to_owned();
    Ok(all::<QuestionCount>(db, &query)
        .await?
        .into_iter()
        .map(|row| {
            (
                (row.round_id, row.question_code),
                Answered {
                    answered: row.answered as u64,
                    yes: row.yes.unwrap_or_default() as u64,
                },
            )
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct QuestionOptionCount {
    round_id: i32,
    question_code: String,
    option_code: String,
    n: i64,
}

/// Per round, question and option: replies that chose it.
pub async fn options_by_question(
    db: &impl ConnectionTrait,
    round_ids: &[i32],
) -> Result<HashMap<(i32, String, String), u64>, DbErr> {
    let query = Query::select()
        .column((answer_choice::Entity, answer_choice::Column::RoundId))
        .column((answer_choice::Entity, answer_choice::Column::QuestionCode))
        .column((answer_choice::Entity, answer_choice::Column::OptionCode))
        .expr_as(Func::count(Expr::val(1)), Alias::new("n"))
        .from(answer_choice::Entity)
        .and_where(
            Expr::col((answer_choice::Entity, answer_choice::Column::RoundId))
                .is_in(round_ids.iter().copied()),
        )
        .add_group_by([
            Expr::col((answer_choice::Entity, answer_choice::Column::RoundId)),
            Expr::col((answer_choice::Entity, answer_choice::Column::QuestionCode)),
            Expr::col((answer_choice::Entity, answer_choice::Column::OptionCode)),
        ])
        .to_owned();
    Ok(all::<QuestionOptionCount>(db, &query)
        .await?
        .into_iter()
        .map(|row| {
            (
                (row.round_id, row.question_code, row.option_code),
                row.n as u64,
            )
        })
        .collect())
}
