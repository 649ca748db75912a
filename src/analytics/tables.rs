//! The tables of one question or of the replies: reply rates (Table 1), a choice
//! question's options (Table 2) and a yes/no question (Tables 3, 5 and 6), per workshop and
//! in total, each share with its Wilson interval.

use std::collections::HashMap;

use entity::round;
use entity::workshop::Scope;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;
use utoipa::ToSchema;

use super::context::{OptionRef, QuestionRef, RoundContext, RoundRef, WorkshopRef, option_refs};
use super::dispositions::Dispositions;
use super::queries;
use super::round_data::RoundData;
use super::stats::Share;
use crate::base::error::ServiceError;
use crate::domain::questionnaire::QuestionType;

// ----- Table 1 -----

/// Replies against invitations, for a workshop or a group of workshops.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateRow {
    pub workshop: WorkshopRef,
    /// Invited.
    pub base: u64,
    /// Replied of invited.
    pub rate: Share,
    pub dispositions: Dispositions,
    /// Replied of the invitations whose mail arrived.
    pub rate_over_delivered: Share,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScopeRate {
    pub scope: Scope,
    /// Invited.
    pub base: u64,
    pub rate: Share,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviousRate {
    pub round: RoundRef,
    /// Invited.
    pub base: u64,
    pub rate: Share,
}

impl PreviousRate {
    /// `round`'s rate: `replied` of `invited`.
    pub fn new(round: &round::Model, replied: u64, invited: u64) -> Self {
        let rate = Share::new(replied, invited);
        Self {
            round: round.into(),
            base: rate.base,
            rate,
        }
    }

    /// `round`'s rate from its counted facts.
    pub fn of(round: &round::Model, data: &RoundData) -> Self {
        Self::new(
            round,
            data.replies.len() as u64,
            data.invited.values().sum(),
        )
    }

    /// `round`'s rate counted by the database.
    pub async fn read(db: &impl ConnectionTrait, round: &round::Model) -> Result<Self, DbErr> {
        let ids = [round.id];
        let (invited, replied) = tokio::try_join!(
            queries::invited_per_round(db, &ids),
            queries::replied_per_round(db, &ids),
        )?;
        let count = |per_round: HashMap<i32, u64>| per_round.get(&round.id).copied().unwrap_or(0);
        Ok(Self::new(round, count(replied), count(invited)))
    }
}

/// Table 1: reply rates per workshop, per scope and in total, beside the previous round's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplyRates {
    pub round: RoundRef,
    pub rows: Vec<RateRow>,
    /// Sub-regional, regional (and national) workshops, in that order.
    pub subtotals: Vec<ScopeRate>,
    /// Replied of invited: the rate the printed report gives (the published figures, 54%
    /// in 2019 and 70% in 2020, are over all invitations).
    pub total: Share,
    pub dispositions: Dispositions,
    /// Replied of the invitations whose mail arrived, beside `total`.
    pub total_over_delivered: Share,
    /// The round numbered just before this one, when there is one.
    pub previous: Option<PreviousRate>,
}

/// `previous`: the round the report compares with, when there is one.
pub fn reply_rates(
    context: &RoundContext,
    data: &RoundData,
    previous: Option<PreviousRate>,
) -> ReplyRates {
    let invited = &data.invited;
    let replied = data.replied_per_workshop();
    let rows: Vec<RateRow> = context
        .workshops
        .iter()
        .map(|w| {
            let rate = Share::new(
                replied.get(&w.id).copied().unwrap_or_default(),
                invited.get(&w.id).copied().unwrap_or_default(),
            );
            let dispositions = data.dispositions.get(&w.id).copied().unwrap_or_default();
            RateRow {
                workshop: w.into(),
                base: rate.base,
                rate,
                dispositions,
                rate_over_delivered: dispositions.rate_over_delivered(),
            }
        })
        .collect();
    let sum = |rows: &mut dyn Iterator<Item = &RateRow>| {
        let (count, base) = rows.fold((0, 0), |(c, b), row| {
            (c + row.rate.count, b + row.rate.base)
        });
        Share::new(count, base)
    };
    let subtotals = [Scope::SubRegional, Scope::Regional, Scope::National]
        .into_iter()
        .filter(|scope| rows.iter().any(|r| r.workshop.scope == *scope))
        .map(|scope| {
            let rate = sum(&mut rows.iter().filter(|r| r.workshop.scope == scope));
            ScopeRate {
                scope,
                base: rate.base,
                rate,
            }
        })
        .collect();
    let total = sum(&mut rows.iter());
    let dispositions = rows
        .iter()
        .fold(Dispositions::default(), |all, row| all + row.dispositions);
    ReplyRates {
        round: (&context.round).into(),
        rows,
        subtotals,
        total,
        dispositions,
        total_over_delivered: dispositions.rate_over_delivered(),
        previous,
    }
}

// ----- Table 2 -----

/// One row of a choice table: how many answered, and per option how many chose it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChoiceRow {
    /// Absent on the total row.
    pub workshop: Option<WorkshopRef>,
    /// Answered the question.
    pub base: u64,
    /// Per option, in the order of `options`: chose it, of those who answered.
    pub options: Vec<Share>,
}

/// Table 2: a choice question's options, counted per workshop and in total.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChoiceTable {
    pub question: QuestionRef,
    /// The options, `other` last when offered.
    pub options: Vec<OptionRef>,
    pub rows: Vec<ChoiceRow>,
    pub total: ChoiceRow,
}

pub fn choices(
    context: &RoundContext,
    data: &RoundData,
    code: &str,
) -> Result<ChoiceTable, ServiceError> {
    let question = context.question(
        code,
        &[QuestionType::MultipleChoice, QuestionType::SingleChoice],
        "question",
    )?;
    let counts = data.option_counts(code);
    let answered = data.answered(code);
    let options = option_refs(question);
    let row =
        |workshop: Option<WorkshopRef>, answered: u64, count: &dyn Fn(&str) -> u64| ChoiceRow {
            workshop,
            base: answered,
            options: options
                .iter()
                .map(|o| Share::new(count(&o.code), answered))
                .collect(),
        };
    let rows: Vec<ChoiceRow> = context
        .workshops
        .iter()
        .map(|w| {
            let n = answered.get(&w.id).map(|a| a.answered).unwrap_or_default();
            row(Some(w.into()), n, &|option| {
                counts
                    .get(&(w.id, option.to_owned()))
                    .copied()
                    .unwrap_or_default()
            })
        })
        .collect();
    let total_answered = rows.iter().map(|r| r.base).sum();
    let total = row(None, total_answered, &|option| {
        counts
            .iter()
            .filter(|((_, code), _)| code == option)
            .map(|(_, n)| *n)
            .sum()
    });
    Ok(ChoiceTable {
        question: question.into(),
        options,
        rows,
        total,
    })
}

// ----- Tables 3, 5, 6 -----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YesNoRow {
    /// Absent on the total row.
    pub workshop: Option<WorkshopRef>,
    /// Answered the question.
    pub base: u64,
    /// Yes, of those who answered.
    pub yes: Share,
    /// No, of those who answered.
    pub no: Share,
}

/// Tables 3, 5 and 6: a yes/no question, per workshop and in total; the base is the number
/// who answered it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YesNoTable {
    pub question: QuestionRef,
    pub rows: Vec<YesNoRow>,
    pub total: YesNoRow,
}

pub fn yes_no(
    context: &RoundContext,
    data: &RoundData,
    code: &str,
) -> Result<YesNoTable, ServiceError> {
    let question = context.question(code, &[QuestionType::YesNo], "question")?;
    let answered = data.answered(code);
    let row = |workshop, a: queries::Answered| YesNoRow {
        workshop,
        base: a.answered,
        yes: Share::new(a.yes, a.answered),
        no: Share::new(a.answered - a.yes, a.answered),
    };
    let rows: Vec<YesNoRow> = context
        .workshops
        .iter()
        .map(|w| {
            row(
                Some(w.into()),
                answered.get(&w.id).copied().unwrap_or_default(),
            )
        })
        .collect();
    let total = answered
        .values()
        .fold(queries::Answered::default(), |sum, a| queries::Answered {
            answered: sum.answered + a.answered,
            yes: sum.yes + a.yes,
        });
    Ok(YesNoTable {
        question: question.into(),
        rows,
        total: row(None, total),
    })
}
