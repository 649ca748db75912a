//! Answers to a questionnaire: checked against the questions, stored in columns that
//! analytics can aggregate, and shown back in the same shape they were given.

mod answer;
mod check;

pub use answer::{Answer, AnswerInput, Answers, answers_schema, without_nulls};
pub use check::{AnswerFault, Fault, check, validate};
