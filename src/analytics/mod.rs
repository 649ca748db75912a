//! The analytics of a round, as the Good Practice Report has them, computed from stored
//! data: reply rates (Table 1), choices per option (Table 2), yes/no outcomes (Tables 3, 5,
//! 6) and cross-tabulations naming the administrations (Tables 4, 7), each share with a
//! Wilson interval and each 2x2 table with Fisher's exact test.

pub mod cache;
pub mod findings;
pub mod queries;
pub mod report;
pub mod stats;
pub mod svg;
pub mod trends;

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::round;
use entity::workshop::Scope;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FiscalYear;
use crate::domain::InvalidInput;
use crate::domain::questionnaire::{Question, QuestionType};
use crate::services::{ServiceError, replies, rounds};
use stats::{Association, Proportion, TwoByTwo};

/// A round as the analytics name it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundRef {
    pub id: i32,
    pub title: String,
    pub round_number: i32,
    #[schema(example = "2019/20")]
    pub fiscal_year: String,
}

impl From<&round::Model> for RoundRef {
    fn from(round: &round::Model) -> Self {
        Self {
            id: round.id,
            title: round.title.clone(),
            round_number: round.round_number,
            fiscal_year: FiscalYear::from_start_year(round.fiscal_year).to_string(),
        }
    }
}

/// A workshop as a table row names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkshopRef {
    pub id: i32,
    pub title: String,
    pub scope: Scope,
    pub start_date: NaiveDate,
}

impl From<&queries::WorkshopRow> for WorkshopRef {
    fn from(row: &queries::WorkshopRow) -> Self {
        Self {
            id: row.id,
            title: row.title.clone(),
            scope: row.scope,
            start_date: row.start_date,
        }
    }
}

/// A question as a table names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionRef {
    pub code: String,
    pub label: String,
}

/// An option of a choice question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptionRef {
    pub code: String,
    pub label: String,
}

/// A round with its questions: what every table starts from.
#[derive(Debug, Clone)]
pub struct RoundContext {
    pub round: round::Model,
    pub questions: Vec<Question>,
    pub workshops: Vec<queries::WorkshopRow>,
}

impl RoundContext {
    pub async fn load(db: &impl ConnectionTrait, round_id: i32) -> Result<Self, ServiceError> {
        let round = rounds::get(db, round_id).await?;
        let questions = replies::questions_of_round(db, &round).await?;
        let workshops = queries::workshops(db, round_id).await?;
        Ok(Self {
            round,
            questions,
            workshops,
        })
    }

    pub fn question(
        &self,
        code: &str,
        kinds: &[QuestionType],
        field: &str,
    ) -> Result<&Question, ServiceError> {
        self.questions
            .iter()
            .find(|q| q.code == code && kinds.contains(&q.question_type))
            .ok_or_else(|| {
                InvalidInput::field(
                    field,
                    format!("the round's questionnaire has no {kinds:?} question `{code}`"),
                )
                .into()
            })
    }
}

/// How the report names a scope.
pub fn findings_scope(scope: Scope) -> String {
    match scope {
        Scope::SubRegional => "sub-regional",
        Scope::Regional => "regional",
        Scope::National => "national",
    }
    .to_owned()
}

// ----- Table 1 -----

/// Replies against invitations, for a workshop or a group of workshops.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateRow {
    pub workshop: WorkshopRef,
    /// Replied of invited.
    pub rate: Proportion,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScopeRate {
    pub scope: Scope,
    pub rate: Proportion,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviousRate {
    pub round: RoundRef,
    pub rate: Proportion,
}

/// Table 1: reply rates per workshop, per scope and in total, beside the previous round's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplyRates {
    pub round: RoundRef,
    pub rows: Vec<RateRow>,
    /// Sub-regional, regional (and national) workshops, in that order.
    pub subtotals: Vec<ScopeRate>,
    pub total: Proportion,
    /// The round numbered just before this one, when there is one.
    pub previous: Option<PreviousRate>,
}

/// `previous`: the round before (`rounds::previous`), which callers often hold already.
pub async fn reply_rates(
    db: &impl ConnectionTrait,
    context: &RoundContext,
    previous: Option<&round::Model>,
) -> Result<ReplyRates, ServiceError> {
    let round_id = context.round.id;
    let invited = queries::invited_per_workshop(db, round_id).await?;
    let replied = queries::replied_per_workshop(db, round_id).await?;
    let rows: Vec<RateRow> = context
        .workshops
        .iter()
        .map(|w| RateRow {
            workshop: w.into(),
            rate: Proportion::new(
                replied.get(&w.id).copied().unwrap_or_default(),
                invited.get(&w.id).copied().unwrap_or_default(),
            ),
        })
        .collect();
    let sum = |rows: &mut dyn Iterator<Item = &RateRow>| {
        let (count, base) = rows.fold((0, 0), |(c, b), row| {
            (c + row.rate.count, b + row.rate.base)
        });
        Proportion::new(count, base)
    };
    let subtotals = [Scope::SubRegional, Scope::Regional, Scope::National]
        .into_iter()
        .filter(|scope| rows.iter().any(|r| r.workshop.scope == *scope))
        .map(|scope| ScopeRate {
            scope,
            rate: sum(&mut rows.iter().filter(|r| r.workshop.scope == scope)),
        })
        .collect();
    let total = sum(&mut rows.iter());
    let previous = match previous {
        Some(previous) => {
            let ids = [previous.id];
            let invited = queries::invited_per_round(db, &ids).await?;
            let replied = queries::replied_per_round(db, &ids).await?;
            Some(PreviousRate {
                round: previous.into(),
                rate: Proportion::new(
                    replied.get(&previous.id).copied().unwrap_or_default(),
                    invited.get(&previous.id).copied().unwrap_or_default(),
                ),
            })
        }
        None => None,
    };
    Ok(ReplyRates {
        round: (&context.round).into(),
        rows,
        subtotals,
        total,
        previous,
    })
}

// ----- Table 2 -----

/// One row of a choice table: how many answered, and per option how many chose it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChoiceRow {
    /// Absent on the total row.
    pub workshop: Option<WorkshopRef>,
    pub answered: u64,
    /// Per option, in the order of `options`: chose it, of those who answered.
    pub options: Vec<Proportion>,
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

fn option_refs(question: &Question) -> Vec<OptionRef> {
    let mut options: Vec<OptionRef> = question
        .options
        .iter()
        .map(|o| OptionRef {
            code: o.code.clone(),
            label: o.label.clone(),
        })
        .collect();
    if question.allow_other {
        options.push(OptionRef {
            code: crate::domain::questionnaire::OTHER.into(),
            label: "Others".into(),
        });
    }
    options
}

pub async fn choices(
    db: &impl ConnectionTrait,
    context: &RoundContext,
    code: &str,
) -> Result<ChoiceTable, ServiceError> {
    let question = context.question(
        code,
        &[QuestionType::MultipleChoice, QuestionType::SingleChoice],
        "question",
    )?;
    let counts = queries::option_counts(db, context.round.id, code).await?;
    let answered = queries::answered(db, context.round.id, code).await?;
    let options = option_refs(question);
    let row =
        |workshop: Option<WorkshopRef>, answered: u64, count: &dyn Fn(&str) -> u64| ChoiceRow {
            workshop,
            answered,
            options: options
                .iter()
                .map(|o| Proportion::new(count(&o.code), answered))
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
    let total_answered = rows.iter().map(|r| r.answered).sum();
    let total = row(None, total_answered, &|option| {
        counts
            .iter()
            .filter(|((_, code), _)| code == option)
            .map(|(_, n)| *n)
            .sum()
    });
    Ok(ChoiceTable {
        question: QuestionRef {
            code: question.code.clone(),
            label: question.label.clone(),
        },
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
    /// Yes, of those who answered.
    pub yes: Proportion,
    pub no: u64,
}

/// Tables 3, 5 and 6: a yes/no question, per workshop and in total; the base is the number
/// who answered it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YesNoTable {
    pub question: QuestionRef,
    pub rows: Vec<YesNoRow>,
    pub total: YesNoRow,
}

pub async fn yes_no(
    db: &impl ConnectionTrait,
    context: &RoundContext,
    code: &str,
) -> Result<YesNoTable, ServiceError> {
    let question = context.question(code, &[QuestionType::YesNo], "question")?;
    let answered = queries::answered(db, context.round.id, code).await?;
    let row = |workshop, a: queries::Answered| YesNoRow {
        workshop,
        yes: Proportion::new(a.yes, a.answered),
        no: a.answered - a.yes,
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
        question: QuestionRef {
            code: question.code.clone(),
            label: question.label.clone(),
        },
        rows,
        total: row(None, total),
    })
}

// ----- Tables 4, 7 -----

/// What a cross-tabulation counts as an action: an option of a choice question
/// (`question:option`), or a yes to a yes/no question (`question`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub question: String,
    pub option: Option<String>,
}

impl Selector {
    pub fn parse(text: &str) -> Self {
        match text.split_once(':') {
            Some((question, option)) => Self {
                question: question.to_owned(),
                option: Some(option.to_owned()),
            },
            None => Self {
                question: text.to_owned(),
                option: None,
            },
        }
    }

    pub fn text(&self) -> String {
        match &self.option {
            Some(option) => format!("{}:{option}", self.question),
            None => self.question.clone(),
        }
    }
}

/// An administration in a cross-tab cell.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    #[schema(example = "MY")]
    pub administration: String,
    /// In an action's list: also had the outcome (the report underlines these). In the
    /// outcome's list: took any of the actions (the report sets these in bold).
    pub marked: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CrossTabRow {
    pub workshop: WorkshopRef,
    /// Per action, in the order of `actions`: the administrations that took it.
    pub actions: Vec<Vec<Member>>,
    /// The administrations that had the outcome.
    pub outcome: Vec<Member>,
}

/// An action's totals against the outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionTotal {
    pub selector: String,
    pub label: String,
    /// Replies that took the action.
    pub took: u64,
    /// Of those, the replies that had the outcome.
    pub with_outcome: Proportion,
    /// The 2x2 table over replies that answered the outcome question.
    pub association: Association,
}

/// Tables 4 and 7: actions against an outcome, naming the administrations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CrossTab {
    pub outcome: QuestionRef,
    pub rows: Vec<CrossTabRow>,
    pub actions: Vec<ActionTotal>,
    /// Replies that had the outcome.
    pub outcome_count: u64,
    /// Of the replies with the outcome, those that took any of the actions.
    pub outcome_with_any_action: Proportion,
}

fn selector_label(context: &RoundContext, selector: &Selector) -> Result<String, ServiceError> {
    let field = "actions";
    match &selector.option {
        Some(option) => {
            let question = context.question(
                &selector.question,
                &[QuestionType::MultipleChoice, QuestionType::SingleChoice],
                field,
            )?;
            option_refs(question)
                .into_iter()
                .find(|o| &o.code == option)
                .map(|o| o.label)
                .ok_or_else(|| {
                    InvalidInput::field(
                        field,
                        format!("`{}` has no option `{option}`", selector.question),
                    )
                    .into()
                })
        }
        None => Ok(context
            .question(&selector.question, &[QuestionType::YesNo], field)?
            .label
            .clone()),
    }
}

pub async fn cross_tab(
    db: &impl ConnectionTrait,
    context: &RoundContext,
    actions: &[Selector],
    outcome: &str,
) -> Result<CrossTab, ServiceError> {
    if actions.is_empty() || actions.len() > 10 {
        return Err(InvalidInput::field("actions", "give between 1 and 10 actions").into());
    }
    let labels = actions
        .iter()
        .map(|a| selector_label(context, a))
        .collect::<Result<Vec<_>, _>>()?;
    let question = context.question(outcome, &[QuestionType::YesNo], "outcome")?;
    let counts = queries::cross_tab(db, context.round.id, actions, outcome).await?;
    let mut by_workshop: HashMap<i32, Vec<&queries::MemberCounts>> = HashMap::new();
    for member in &counts {
        by_workshop
            .entry(member.workshop_id)
            .or_default()
            .push(member);
    }
    let rows = context
        .workshops
        .iter()
        .map(|w| {
            let members = by_workshop.get(&w.id).cloned().unwrap_or_default();
            CrossTabRow {
                workshop: w.into(),
                actions: (0..actions.len())
                    .map(|k| {
                        members
                            .iter()
                            .filter(|m| m.took[k] > 0)
                            .map(|m| Member {
                                administration: m.administration.clone(),
                                marked: m.took_yes[k] > 0,
                            })
                            .collect()
                    })
                    .collect(),
                outcome: members
                    .iter()
                    .filter(|m| m.outcome_yes > 0)
                    .map(|m| Member {
                        administration: m.administration.clone(),
                        marked: m.any_yes > 0,
                    })
                    .collect(),
            }
        })
        .collect();
    let total = |f: &dyn Fn(&queries::MemberCounts) -> u64| counts.iter().map(f).sum::<u64>();
    let answered = total(&|m| m.outcome_answered);
    let outcome_count = total(&|m| m.outcome_yes);
    let action_totals = actions
        .iter()
        .zip(labels)
        .enumerate()
        .map(|(k, (selector, label))| {
            let took = total(&|m| m.took[k]);
            let a = total(&|m| m.took_yes[k]);
            let b = total(&|m| m.took_answered[k]) - a;
            let c = outcome_count - a;
            let d = answered - a - b - c;
            ActionTotal {
                selector: selector.text(),
                label,
                took,
                with_outcome: Proportion::new(a, took),
                association: TwoByTwo { a, b, c, d }.associate(),
            }
        })
        .collect();
    Ok(CrossTab {
        outcome: QuestionRef {
            code: question.code.clone(),
            label: question.label.clone(),
        },
        rows,
        actions: action_totals,
        outcome_count,
        outcome_with_any_action: Proportion::new(total(&|m| m.any_yes), outcome_count),
    })
}
