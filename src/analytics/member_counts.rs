//! The counts behind a cross-tabulation, summed in the database: per workshop and
//! administration, the replies that took each action, had the outcome, or both.

use entity::{administration, answer, answer_choice, reply};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use super::selector::Selector;

/// One administration's replies in one workshop, with the cross-tab's flags counted.
#[derive(Debug, Clone, Default)]
pub struct MemberCounts {
    pub workshop_id: i32,
    pub administration: String,
    /// Replies that answered the outcome question.
    pub outcome_answered: u64,
    /// Replies whose outcome was yes.
    pub outcome_yes: u64,
    /// Per action: replies that took it.
    pub took: Vec<u64>,
    /// Per action: replies that took it and answered the outcome question.
    pub took_answered: Vec<u64>,
    /// Per action: replies that took it and had the outcome.
    pub took_yes: Vec<u64>,
    /// Replies that had the outcome and took any of the actions.
    pub any_yes: u64,
}

fn count_where(condition: Cond) -> SimpleExpr {
    Func::sum(Expr::case(condition, 1).finally(0)).into()
}

/// Per workshop and administration, how many replies took each action, had the outcome,
/// or both: the cells of a cross-tabulation, summed in the database. Each action and the
/// outcome join at most one row per reply (their primary keys), so a reply counts once.
pub async fn cross_tab(
    db: &impl ConnectionTrait,
    round_id: i32,
    actions: &[Selector],
    outcome_question: &str,
) -> Result<Vec<MemberCounts>, DbErr> {
    let query = statement(round_id, actions, outcome_question);
    let rows: Vec<QueryResult> = db.query_all(&query).await?;
    rows.iter().map(|row| read(row, actions.len())).collect()
}

/// The counting query: the replies of the round with their administration, the outcome's
/// answer and each action's row joined, grouped by workshop and administration.
fn statement(round_id: i32, actions: &[Selector], outcome_question: &str) -> SelectStatement {
    let outcome = Alias::new("o");
    let answered =
        Cond::all().add(Expr::col((outcome.clone(), answer::Column::YesNo)).is_not_null());
    let yes = Cond::all().add(Expr::col((outcome.clone(), answer::Column::YesNo)).eq(true));
    let mut query = Query::select();
    query
        .column((reply::Entity, reply::Column::WorkshopId))
        .expr_as(
            Expr::col((administration::Entity, administration::Column::Code)),
            Alias::new("administration"),
        )
        .expr_as(
            count_where(answered.clone()),
            Alias::new("outcome_answered"),
        )
        .expr_as(count_where(yes.clone()), Alias::new("outcome_yes"))
        .from(reply::Entity)
        .inner_join(
            administration::Entity,
            Expr::col((administration::Entity, administration::Column::Id))
                .equals((reply::Entity, reply::Column::AdministrationId)),
        )
        .join_as(
            sea_orm::sea_query::JoinType::LeftJoin,
            answer::Entity,
            outcome.clone(),
            Cond::all()
                .add(
                    Expr::col((outcome.clone(), answer::Column::ReplyId))
                        .equals((reply::Entity, reply::Column::Id)),
                )
                .add(Expr::col((outcome.clone(), answer::Column::RoundId)).eq(round_id))
                .add(
                    Expr::col((outcome.clone(), answer::Column::QuestionCode)).eq(outcome_question),
                ),
        );
    let mut any = Cond::any();
    for (k, action) in actions.iter().enumerate() {
        let took = join_action(&mut query, k, action, round_id);
        any = any.add(took.clone());
        query
            .expr_as(
                count_where(Cond::all().add(took.clone())),
                Alias::new(format!("took_{k}")),
            )
            .expr_as(
                count_where(Cond::all().add(took.clone()).add(answered.clone())),
                Alias::new(format!("took_answered_{k}")),
            )
            .expr_as(
                count_where(Cond::all().add(took).add(yes.clone())),
                Alias::new(format!("took_yes_{k}")),
            );
    }
    query
        .expr_as(
            count_where(Cond::all().add(any).add(yes)),
            Alias::new("any_yes"),
        )
        .and_where(Expr::col((reply::Entity, reply::Column::RoundId)).eq(round_id))
        .add_group_by([
            Expr::col((reply::Entity, reply::Column::WorkshopId)),
            Expr::col((administration::Entity, administration::Column::Code)),
        ])
        .order_by(
            (administration::Entity, administration::Column::Code),
            sea_orm::Order::Asc,
        );
    query
}

/// Joins action `k` (an option's choice row, or a yes to a yes/no question) as `a<k>`;
/// what it returns is true for the replies that took it.
fn join_action(
    query: &mut SelectStatement,
    k: usize,
    action: &Selector,
    round_id: i32,
) -> SimpleExpr {
    let alias = Alias::new(format!("a{k}"));
    let joined = Cond::all()
        .add(
            Expr::col((alias.clone(), answer::Column::ReplyId))
                .equals((reply::Entity, reply::Column::Id)),
        )
        .add(Expr::col((alias.clone(), answer::Column::RoundId)).eq(round_id));
    let left = sea_orm::sea_query::JoinType::LeftJoin;
    match &action.option {
        Some(option) => query.join_as(
            left,
            answer_choice::Entity,
            alias.clone(),
            joined
                .add(
                    Expr::col((alias.clone(), answer_choice::Column::QuestionCode))
                        .eq(action.question.as_str()),
                )
                .add(
                    Expr::col((alias.clone(), answer_choice::Column::OptionCode))
                        .eq(option.as_str()),
                ),
        ),
        None => query.join_as(
            left,
            answer::Entity,
            alias.clone(),
            joined
                .add(
                    Expr::col((alias.clone(), answer::Column::QuestionCode))
                        .eq(action.question.as_str()),
                )
                .add(Expr::col((alias.clone(), answer::Column::YesNo)).eq(true)),
        ),
    };
    Expr::col((alias, answer::Column::ReplyId)).is_not_null()
}

/// One row of the counting query.
fn read(row: &QueryResult, actions: usize) -> Result<MemberCounts, DbErr> {
    let number = |column: &str| -> Result<u64, DbErr> {
        Ok(row.try_get::<Option<i64>>("", column)?.unwrap_or_default() as u64)
    };
    let per_action = |prefix: &str| -> Result<Vec<u64>, DbErr> {
        (0..actions)
            .map(|k| number(&format!("{prefix}_{k}")))
            .collect()
    };
    Ok(MemberCounts {
        workshop_id: row.try_get("", "workshop_id")?,
        administration: row.try_get("", "administration")?,
        outcome_answered: number("outcome_answered")?,
        outcome_yes: number("outcome_yes")?,
        took: per_action("took")?,
        took_answered: per_action("took_answered")?,
        took_yes: per_action("took_yes")?,
        any_yes: number("any_yes")?,
    })
}
