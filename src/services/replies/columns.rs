//! The CSV form of a round's replies, shared by the export and the import: one row per
//! reply. Columns: the workshop (`workshop`, `workshop_topic`, `workshop_scope`,
//! `workshop_start_date`, `workshop_end_date`, `workshop_venue`, `workshop_virtual`),
//! `administration`, `submitted_at` (RFC 3339), `late`, `provenance`, then per question
//! its code (`yes`/`no`, option codes joined by `;`, [`NONE_CHOSEN`] for a multiple-choice
//! answer with none of the options, a number or text), `<code>.other` for choice questions
//! that allow it, and `<code>.comment`. An empty cell is no answer.

use crate::domain::questionnaire::Question;

/// The cell of a multiple-choice question answered with none of its options. No option
/// code can be it: codes are lower-case letters, digits and `_`.
pub const NONE_CHOSEN: &str = "(none)";

/// The columns before the answers, in order (no question may be coded like one).
pub const FIXED: [&str; 11] = crate::domain::questionnaire::REPLY_COLUMNS;
/// Largest import accepted, in rows.
pub const MAX_ROWS: usize = 10_000;

/// Which part of a question a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Answer,
    Other,
    Comment,
}

pub fn question_columns(questions: &[Question]) -> Vec<(String, usize, Part)> {
    let mut columns = Vec::new();
    for (index, question) in questions.iter().enumerate() {
        columns.push((question.code.clone(), index, Part::Answer));
        if question.allow_other {
            columns.push((format!("{}.other", question.code), index, Part::Other));
        }
        columns.push((format!("{}.comment", question.code), index, Part::Comment));
    }
    columns
}
