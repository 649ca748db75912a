//! The analytics use cases: each finds the round (404 when there is none) and the questions
//! it asks, reads what its figures count from the database and hands them to
//! `crate::analytics`. Nothing is kept between requests: a write through any instance shows
//! in the next answer of every other (HTTP caches revalidate with the entity tag).

use entity::round;
use sea_orm::ConnectionTrait;

use crate::analytics::context::{AskedRound, RoundContext, Selector};
use crate::analytics::cross_tab::{self, CrossTab};
use crate::analytics::findings::MinBase;
use crate::analytics::queries;
use crate::analytics::report::{self, Headline, Report};
use crate::analytics::round_data::RoundData;
use crate::analytics::tables::{self, ChoiceTable, PreviousRate, ReplyRates, YesNoTable};
use crate::analytics::trends::{self, Trends};
use crate::analytics::what_worked::{self, WhatWorked};
use crate::base::error::ServiceError;
use crate::base::records::find_by_id;
use crate::domain::questionnaire::QuestionType;
use crate::domain::{FiscalYear, InvalidInput};
use crate::services::questionnaires::{self, QuestionCache};
use crate::services::rounds::records;

/// What the analytics read besides the database: the questions of questionnaire versions
/// (which never change once a round asks them), and the smallest base findings write as a
/// percentage.
#[derive(Debug, Clone, Copy)]
pub struct Analysis<'a> {
    pub questions: &'a QuestionCache,
    /// Below this base, findings give counts without percentages.
    pub min_base: MinBase,
}

/// The round with its questions and workshops.
pub async fn context(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    round_id: i32,
) -> Result<RoundContext, ServiceError> {
    // The round and its workshops, read together.
    let (round, workshops) =
        tokio::try_join!(find_by_id::<round::Entity>(db, "round", round_id), async {
            Ok(queries::workshops(db, round_id).await?)
        },)?;
    let questions = questionnaires::questions_of_round(db, questions, &round).await?;
    Ok(RoundContext {
        round,
        questions,
        workshops,
    })
}

/// The round the report compares `round` with, and the questions it asked.
async fn previous(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    round: &round::Model,
) -> Result<Option<AskedRound>, ServiceError> {
    let Some(previous) = records::previous(db, round).await? else {
        return Ok(None);
    };
    let asked = questionnaires::questions_of_round(db, questions, &previous).await?;
    Ok(Some(AskedRound {
        round: previous,
        questions: asked,
    }))
}

/// Table 1.
pub async fn reply_rates(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    round_id: i32,
) -> Result<ReplyRates, ServiceError> {
    let context = context(db, questions, round_id).await?;
    let previous = match records::previous(db, &context.round).await? {
        Some(previous) => Some(PreviousRate::read(db, &previous).await?),
        None => None,
    };
    let data = RoundData::load(db, round_id).await?;
    Ok(tables::reply_rates(&context, &data, previous))
}

/// The question asked for, or the round's first question of `kinds`.
fn question_or_first(
    context: &RoundContext,
    asked: Option<String>,
    kinds: &[QuestionType],
) -> Result<String, ServiceError> {
    match asked {
        Some(code) => Ok(code),
        None => context
            .questions
            .iter()
            .find(|q| kinds.contains(&q.question_type))
            .map(|q| q.code.clone())
            .ok_or_else(|| {
                InvalidInput::field("question", "the round's questionnaire has no such question")
                    .into()
            }),
    }
}

/// Table 2 of a choice question (the round's first when `question` is absent).
pub async fn choices(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    round_id: i32,
    question: Option<String>,
) -> Result<ChoiceTable, ServiceError> {
    let context = context(db, questions, round_id).await?;
    let kinds = [QuestionType::MultipleChoice, QuestionType::SingleChoice];
    let code = question_or_first(&context, question, &kinds)?;
    let data = RoundData::load(db, round_id).await?;
    tables::choices(&context, &data, &code)
}

/// Tables 3, 5 and 6 of a yes/no question (the round's first when `question` is absent).
pub async fn yes_no(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    round_id: i32,
    question: Option<String>,
) -> Result<YesNoTable, ServiceError> {
    let context = context(db, questions, round_id).await?;
    let code = question_or_first(&context, question, &[QuestionType::YesNo])?;
    let data = RoundData::load(db, round_id).await?;
    tables::yes_no(&context, &data, &code)
}

/// Tables 4 and 7 for any actions against any yes/no outcome.
pub async fn cross_tab(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    round_id: i32,
    actions: &[Selector],
    outcome: &str,
) -> Result<CrossTab, ServiceError> {
    let context = context(db, questions, round_id).await?;
    let data = RoundData::load(db, round_id).await?;
    cross_tab::cross_tab(&context, &data, actions, outcome)
}

/// The Good Practice Report of a round: its facts and those of the round it is compared
/// with read, the figures computed, the approved good practices beside them.
pub async fn report(
    db: &impl ConnectionTrait,
    analysis: Analysis<'_>,
    round_id: i32,
) -> Result<Report, ServiceError> {
    let context = context(db, analysis.questions, round_id).await?;
    let previous = previous(db, analysis.questions, &context.round).await?;
    let compared = (&context, previous.as_ref());
    let (figures, practices, what_worked) = tokio::try_join!(
        report::figures(db, compared, analysis.min_base),
        report::approved_practices(db, round_id, report::Approval::ForReport),
        async { Ok(what_worked::read(db, round_id).await?) },
    )?;
    Ok(report::assemble(&context, figures, practices, what_worked))
}

/// What the feedback mailing quotes of a round: its reply rates and first four findings,
/// computed in the caller's transaction.
pub async fn headline(
    db: &impl ConnectionTrait,
    analysis: Analysis<'_>,
    round_id: i32,
) -> Result<Headline, ServiceError> {
    let context = context(db, analysis.questions, round_id).await?;
    let previous = previous(db, analysis.questions, &context.round).await?;
    let compared = (&context, previous.as_ref());
    let figures = report::figures(db, compared, analysis.min_base).await?;
    figures
        .headline(4, analysis.min_base)
        .ok_or_else(|| anyhow::anyhow!("the report starts with its reply rates").into())
}

/// Every round (not drafts) with a fiscal year in the range, side by side, counted by the
/// database's aggregates over those rounds.
pub async fn trends(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    from: Option<FiscalYear>,
    to: Option<FiscalYear>,
) -> Result<Trends, ServiceError> {
    let rounds = trends::rounds_between(db, from, to).await?;
    let mut asked = Vec::with_capacity(rounds.len());
    for round in rounds {
        let questions = questionnaires::questions_of_round(db, questions, &round).await?;
        asked.push(AskedRound { round, questions });
    }
    trends::trends(db, &asked).await
}

/// A round's replies by the contact that preceded them, and by day.
pub async fn what_worked(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<WhatWorked, ServiceError> {
    crate::base::records::find_by_id::<entity::round::Entity>(db, "round", round_id).await?;
    Ok(what_worked::read(db, round_id).await?)
}
