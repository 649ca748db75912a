//! The same figures for several rounds side by side, matched by question code.

use std::collections::HashMap;

use entity::round::{self, RoundState};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;

use super::context::{AskedRound, OptionRef, RoundRef, option_refs};
use super::queries;
use super::round_data::RoundData;
use super::stats::Share;
use crate::base::error::ServiceError;
use crate::domain::FiscalYear;
use crate::domain::questionnaire::{Question, QuestionType};

/// An option's share in each round; absent where the round did not ask it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptionTrend {
    pub option: OptionRef,
    pub per_round: Vec<Option<Share>>,
}

/// A question across rounds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionTrend {
    pub code: String,
    /// The label of the latest round that asked it.
    pub label: String,
    #[serde(rename = "type")]
    pub question_type: QuestionType,
    /// Choice questions: each option's share of those who answered.
    pub options: Vec<OptionTrend>,
    /// Yes/no questions: the share of yes among those who answered.
    pub yes: Vec<Option<Share>>,
}

/// Figures of several rounds, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trends {
    pub rounds: Vec<RoundRef>,
    /// Replied of invited, per round.
    pub reply_rate: Vec<Share>,
    pub questions: Vec<QuestionTrend>,
}

/// Rounds (not drafts) whose fiscal year lies in the range, oldest first.
pub async fn rounds_between(
    db: &impl ConnectionTrait,
    from: Option<FiscalYear>,
    to: Option<FiscalYear>,
) -> Result<Vec<round::Model>, ServiceError> {
    let mut query = round::Entity::find().filter(round::Column::State.ne(RoundState::Draft));
    if let Some(from) = from {
        query = query.filter(round::Column::FiscalYear.gte(from.start_year()));
    }
    if let Some(to) = to {
        query = query.filter(round::Column::FiscalYear.lte(to.start_year()));
    }
    Ok(query
        .order_by_asc(round::Column::FiscalYear)
        .order_by_asc(round::Column::RoundNumber)
        .all(db)
        .await?)
}

/// The trends over `asked` rounds, oldest first, computed afresh by the database: four
/// aggregates over the rounds, sent together (each on its own connection when `db` is the
/// pool).
pub async fn trends(
    db: &impl ConnectionTrait,
    asked: &[AskedRound],
) -> Result<Trends, ServiceError> {
    let ids: Vec<i32> = asked.iter().map(|a| a.round.id).collect();
    let (invited, replied, answered, chosen) = tokio::try_join!(
        queries::invited_per_round(db, &ids),
        queries::replied_per_round(db, &ids),
        queries::answered_by_question(db, &ids),
        queries::options_by_question(db, &ids),
    )?;
    let counts = Counts {
        invited,
        replied,
        answered,
        chosen,
    };
    Ok(assemble(asked, &counts))
}

/// The trends over `asked` rounds from each round's counted facts (`data`, in the same
/// order): what a report compares its round with.
pub fn from_data(asked: &[AskedRound], data: &[&RoundData]) -> Trends {
    let mut counts = Counts::default();
    for (round, data) in asked.iter().zip(data) {
        let id = round.round.id;
        counts.invited.insert(id, data.invited.values().sum());
        counts.replied.insert(id, data.replies.len() as u64);
        let (answered, chosen) = data.totals();
        for question in &round.questions {
            let code = question.code.as_str();
            let of_question = answered.get(code).copied().unwrap_or_default();
            counts
                .answered
                .insert((id, question.code.clone()), of_question);
        }
        for ((question, option), n) in chosen {
            counts
                .chosen
                .insert((id, question.to_owned(), option.to_owned()), n);
        }
    }
    assemble(asked, &counts)
}

fn assemble(asked: &[AskedRound], counts: &Counts) -> Trends {
    let questions = merged_questions(asked)
        .into_iter()
        .filter(|q| q.question_type != QuestionType::Text)
        .map(|question| question_trend(asked, counts, question))
        .collect();
    let count = |per_round: &HashMap<i32, u64>, id: i32| per_round.get(&id).copied().unwrap_or(0);
    Trends {
        rounds: asked.iter().map(|a| RoundRef::from(&a.round)).collect(),
        reply_rate: asked
            .iter()
            .map(|a| {
                Share::new(
                    count(&counts.replied, a.round.id),
                    count(&counts.invited, a.round.id),
                )
            })
            .collect(),
        questions,
    }
}

/// Invited and replied per round, answers per round and question, and choices per round,
/// question and option.
#[derive(Default)]
struct Counts {
    invited: HashMap<i32, u64>,
    replied: HashMap<i32, u64>,
    answered: HashMap<(i32, String), queries::Answered>,
    chosen: HashMap<(i32, String, String), u64>,
}

/// Every question any of the rounds asked, once, in the order first asked, as the latest
/// round that asked it words it.
fn merged_questions(asked: &[AskedRound]) -> Vec<Question> {
    let mut order: Vec<Question> = Vec::new();
    for AskedRound { questions, .. } in asked {
        for question in questions {
            match order.iter_mut().find(|q| q.code == question.code) {
                Some(known) => *known = merge(known, question),
                None => order.push(question.clone()),
            }
        }
    }
    order
}

/// One question's shares in each round; `None` where the round did not ask it.
fn question_trend(asked: &[AskedRound], counts: &Counts, question: Question) -> QuestionTrend {
    let asks = |round: &AskedRound| round.questions.iter().any(|q| q.code == question.code);
    let base = |round: &AskedRound| {
        counts
            .answered
            .get(&(round.round.id, question.code.clone()))
            .copied()
            .unwrap_or_default()
    };
    let options = option_refs(&question)
        .into_iter()
        .filter(|_| question.question_type.has_options())
        .map(|option| OptionTrend {
            per_round: asked
                .iter()
                .map(|round| {
                    asks(round).then(|| {
                        let key = (round.round.id, question.code.clone(), option.code.clone());
                        let n = counts.chosen.get(&key).copied().unwrap_or_default();
                        Share::new(n, base(round).answered)
                    })
                })
                .collect(),
            option,
        })
        .collect();
    let yes = if question.question_type == QuestionType::YesNo {
        asked
            .iter()
            .map(|round| asks(round).then(|| Share::new(base(round).yes, base(round).answered)))
            .collect()
    } else {
        Vec::new()
    };
    QuestionTrend {
        code: question.code.clone(),
        label: question.label.clone(),
        question_type: question.question_type,
        options,
        yes,
    }
}

/// A later version of a question keeps its code and meaning; it brings its label and may
/// add options.
fn merge(earlier: &Question, later: &Question) -> Question {
    let mut merged = later.clone();
    for option in &earlier.options {
        if !merged.options.iter().any(|o| o.code == option.code) {
            merged.options.push(option.clone());
        }
    }
    merged.allow_other |= earlier.allow_other;
    merged
}
