//! What every table starts from (a round, its questions, its workshops) and how tables
//! name rounds, workshops, questions and options.

use chrono::NaiveDate;
use entity::round;
use entity::workshop::Scope;
use serde::Serialize;
use utoipa::ToSchema;

use super::queries;
pub use super::selector::Selector;
use crate::base::error::ServiceError;
use crate::domain::questionnaire::{OTHER, Question, QuestionType};
use crate::domain::{FiscalYear, InvalidInput};

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

impl From<&Question> for QuestionRef {
    fn from(question: &Question) -> Self {
        Self {
            code: question.code.clone(),
            label: question.label.clone(),
        }
    }
}

/// An option of a choice question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptionRef {
    pub code: String,
    pub label: String,
}

/// A round with its questions and workshops: what every table starts from (what its tables
/// count is read only when they are computed: `RoundData`).
#[derive(Debug, Clone)]
pub struct RoundContext {
    pub round: round::Model,
    pub questions: Vec<Question>,
    pub workshops: Vec<queries::WorkshopRow>,
}

impl RoundContext {
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

/// A round and the questions it asks: what trends compare.
#[derive(Debug, Clone)]
pub struct AskedRound {
    pub round: round::Model,
    pub questions: Vec<Question>,
}

impl From<&RoundContext> for AskedRound {
    fn from(context: &RoundContext) -> Self {
        Self {
            round: context.round.clone(),
            questions: context.questions.clone(),
        }
    }
}

/// How the report names a scope.
/// A scope in words (`sub-regional`), as findings and the tables' files write it.
pub fn scope_words(scope: Scope) -> &'static str {
    match scope {
        Scope::SubRegional => "sub-regional",
        Scope::Regional => "regional",
        Scope::National => "national",
    }
}

pub fn option_refs(question: &Question) -> Vec<OptionRef> {
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
            code: OTHER.into(),
            label: "Others".into(),
        });
    }
    options
}
