//! The analytics use cases: each finds the round (404 when there is none) and the questions
//! it asks, hands them to `crate::analytics`, and says whether the figures are final (the
//! round is closed). The report and the trends of closed rounds come from the instance's
//! figures cache when they were computed before from the same data.

use std::sync::Arc;

use entity::round::{self, RoundState};
use sea_orm::ConnectionTrait;

use crate::analytics::cache::AnalyticsCache;
use crate::analytics::context::{AskedRound, RoundContext, Selector};
use crate::analytics::cross_tab::{self, CrossTab};
use crate::analytics::findings::MinBase;
use crate::analytics::kept_facts::{KeptFacts, Reading, Stamp};
use crate::analytics::queries;
use crate::analytics::report::{self, Figures, Headline, Report};
use crate::analytics::round_data::RoundData;
use crate::analytics::tables::{self, ChoiceTable, PreviousRate, ReplyRates, YesNoTable};
use crate::analytics::trends::{self, Trends};
use crate::base::error::ServiceError;
use crate::base::records::find_by_id;
use crate::domain::questionnaire::QuestionType;
use crate::domain::{FiscalYear, InvalidInput};
use crate::services::questionnaires::{self, QuestionCache};
use crate::services::rounds::records;

/// What the figures are read with: the questions and the computed figures this instance
/// keeps in memory.
#[derive(Debug, Clone, Copy)]
pub struct Caches<'a> {
    pub questions: &'a QuestionCache,
    pub figures: &'a AnalyticsCache,
    /// Below this base, findings give counts without percentages.
    pub min_base: MinBase,
}

/// Figures, and whether they are final: a closed round's never change.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub figures: T,
    pub is_final: bool,
}

fn answer<T>(context: &RoundContext, figures: T) -> Answer<T> {
    Answer {
        figures,
        is_final: context.round.state == RoundState::Closed,
    }
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
) -> Result<Answer<ReplyRates>, ServiceError> {
    let context = context(db, questions, round_id).await?;
    let previous = match records::previous(db, &context.round).await? {
        Some(previous) => Some(PreviousRate::read(db, &previous).await?),
        None => None,
    };
    let data = RoundData::load(db, round_id).await?;
    let rates = tables::reply_rates(&context, &data, previous);
    Ok(answer(&context, rates))
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
) -> Result<Answer<ChoiceTable>, ServiceError> {
    let context = context(db, questions, round_id).await?;
    let kinds = [QuestionType::MultipleChoice, QuestionType::SingleChoice];
    let code = question_or_first(&context, question, &kinds)?;
    let data = RoundData::load(db, round_id).await?;
    let table = tables::choices(&context, &data, &code)?;
    Ok(answer(&context, table))
}

/// Tables 3, 5 and 6 of a yes/no question (the round's first when `question` is absent).
pub async fn yes_no(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    round_id: i32,
    question: Option<String>,
) -> Result<Answer<YesNoTable>, ServiceError> {
    let context = context(db, questions, round_id).await?;
    let code = question_or_first(&context, question, &[QuestionType::YesNo])?;
    let data = RoundData::load(db, round_id).await?;
    let table = tables::yes_no(&context, &data, &code)?;
    Ok(answer(&context, table))
}

/// Tables 4 and 7 for any actions against any yes/no outcome.
pub async fn cross_tab(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    round_id: i32,
    actions: &[Selector],
    outcome: &str,
) -> Result<Answer<CrossTab>, ServiceError> {
    let context = context(db, questions, round_id).await?;
    let data = RoundData::load(db, round_id).await?;
    let tab = cross_tab::cross_tab(&context, &data, actions, outcome)?;
    Ok(answer(&context, tab))
}

/// The figures of a round, from the cache when they are final and were computed before
/// from the same data; and whether they are settled (this round and the one it is
/// compared with are closed).
async fn figures(
    db: &impl ConnectionTrait,
    caches: Caches<'_>,
    context: &RoundContext,
    reading: Reading,
) -> Result<(Arc<Figures>, bool), ServiceError> {
    let previous = previous(db, caches.questions, &context.round).await?;
    let cache = caches.figures;
    let key = cache
        .report_key(db, context, previous.as_ref().map(|p| &p.round))
        .await?;
    let settled = key.is_some();
    if let Some(figures) = key.as_ref().and_then(|k| cache.report(context.round.id, k)) {
        return Ok((figures, settled));
    }
    let compared = (context, previous.as_ref());
    let figures =
        Arc::new(report::figures(db, compared, (&cache.facts, reading), caches.min_base).await?);
    if let Some(key) = key {
        cache.keep_report(context.round.id, key, figures.clone());
    }
    Ok((figures, settled))
}

/// The Good Practice Report of a round, read through the pool (`db` is never a transaction
/// that wrote: an open round's facts read here may be kept, `KeptFacts`).
pub async fn report(
    db: &impl ConnectionTrait,
    caches: Caches<'_>,
    round_id: i32,
) -> Result<Report, ServiceError> {
    Ok(settled_report(db, caches, round_id, None).await?.0)
}

/// The report, and whether it is settled: it and the round it compares with are closed, so
/// only a write that raises the analytics epoch can change it. `stamp` is the round's when
/// the caller just read it (else what is needed is read here). Read through the pool, as
/// [`report`].
pub async fn settled_report(
    db: &impl ConnectionTrait,
    caches: Caches<'_>,
    round_id: i32,
    stamp: Option<Stamp>,
) -> Result<(Report, bool), ServiceError> {
    let context = context(db, caches.questions, round_id).await?;
    let ((figures, settled), practices) = tokio::try_join!(
        figures(
            db,
            caches,
            &context,
            stamp.map_or(Reading::Pooled { epoch: None }, Reading::Stamped)
        ),
        report::approved_practices(db, round_id, report::Approval::ForReport),
    )?;
    Ok((report::assemble(&context, figures, practices), settled))
}

/// The stamp of round `round_id` (404 when there is none): its state, the analytics epoch
/// and its change count, in one statement.
pub async fn stamp(db: &impl ConnectionTrait, round_id: i32) -> Result<Stamp, ServiceError> {
    Stamp::read(db, round_id)
        .await?
        .ok_or_else(|| crate::base::error::NotFound::record("round", round_id).into())
}

/// What the feedback mailing quotes of a round: its reply rates and first four findings,
/// computed afresh in the caller's transaction.
pub async fn headline(
    db: &impl ConnectionTrait,
    caches: Caches<'_>,
    round_id: i32,
) -> Result<Headline, ServiceError> {
    let context = context(db, caches.questions, round_id).await?;
    let previous = previous(db, caches.questions, &context.round).await?;
    let compared = (&context, previous.as_ref());
    let figures = report::figures(
        db,
        compared,
        (&caches.figures.facts, Reading::InTransaction),
        caches.min_base,
    )
    .await?;
    figures
        .headline(4)
        .ok_or_else(|| anyhow::anyhow!("the report starts with its reply rates").into())
}

/// Every round (not drafts) with a fiscal year in the range, side by side; final when all
/// are closed.
pub async fn trends(
    db: &impl ConnectionTrait,
    caches: Caches<'_>,
    from: Option<FiscalYear>,
    to: Option<FiscalYear>,
) -> Result<Answer<Arc<Trends>>, ServiceError> {
    let rounds = trends::rounds_between(db, from, to).await?;
    let is_final = rounds.iter().all(|r| r.state == RoundState::Closed);
    let cache = caches.figures;
    let key = cache.trends_key(&rounds);
    if let Some(figures) = key.as_ref().and_then(|k| cache.trends(&rounds, k)) {
        return Ok(Answer { figures, is_final });
    }
    let mut asked = Vec::with_capacity(rounds.len());
    for round in &rounds {
        let questions = questionnaires::questions_of_round(db, caches.questions, round).await?;
        asked.push(AskedRound {
            round: round.clone(),
            questions,
        });
    }
    let figures = Arc::new(if cache.facts.is_on() {
        // Closed rounds' facts are kept: only the others are read.
        let epoch = KeptFacts::epoch(db).await?;
        let data = futures_util::future::try_join_all(rounds.iter().map(|round| {
            let reading = Reading::Pooled { epoch: Some(epoch) };
            cache.facts.round_data(db, round, reading)
        }))
        .await?;
        let data: Vec<&RoundData> = data.iter().map(|d| d.as_ref()).collect();
        trends::from_data(&asked, &data)
    } else {
        trends::trends(db, &asked).await?
    });
    if let Some(key) = key {
        cache.keep_trends(&rounds, key, figures.clone());
    }
    Ok(Answer { figures, is_final })
}
