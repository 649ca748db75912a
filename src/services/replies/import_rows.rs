//! Reading an import file: every row checked, every failing cell reported by line and
//! column, nothing returned unless the whole file is valid.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use entity::reply::Provenance;
use entity::workshop::Scope;
use serde_json::json;

use super::columns::{FIXED, MAX_ROWS, NONE_CHOSEN, Part, question_columns};
use crate::domain::answers::{self, AnswerInput};
use crate::domain::questionnaire::{Question, QuestionType};
use crate::domain::spreadsheet;
use crate::domain::{
    AdministrationCode, FieldError, InvalidInput, LongTextInput, MAX_TEXT_CHARS, required_text,
};
use crate::services::workshops::WorkshopInput;

/// One row, checked.
pub struct Row {
    pub line: u64,
    pub workshop: WorkshopInput,
    pub administration: AdministrationCode,
    pub submitted_at: DateTime<Utc>,
    pub late: bool,
    pub provenance: Provenance,
    pub answers: answers::Answers,
}

pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, line: u64, column: &str, message: impl std::fmt::Display) {
        self.0.push(FieldError::new(
            format!("line {line}, column {column}"),
            message.to_string(),
        ));
    }
}

fn parse_row(
    line: u64,
    cells: &HashMap<&str, &str>,
    columns: &[(String, usize, Part)],
    questions: &[Question],
    errors: &mut Errors,
) -> Option<Row> {
    let before = errors.0.len();
    let cell = |name: &str| cells.get(name).copied().unwrap_or_default();
    let mut text = |name: &str| match required_text(cell(name), MAX_TEXT_CHARS) {
        Ok(value) => Some(value),
        Err(message) => {
            errors.add(line, name, message);
            None
        }
    };
    let title = text("workshop");
    // Past workshops often lack a topic or a venue: empty is none.
    let mut optional = |name: &str| match cell(name) {
        "" => Some(None),
        _ => text(name).map(Some),
    };
    let (topic, venue) = (optional("workshop_topic"), optional("workshop_venue"));
    let mut parse = |name: &str, ok: Option<()>| {
        if ok.is_none() {
            errors.add(line, name, format!("cannot read {:?}", cell(name)));
        }
    };
    let scope: Option<Scope> = serde_json::from_value(json!(cell("workshop_scope"))).ok();
    parse("workshop_scope", scope.map(|_| ()));
    let start: Option<NaiveDate> = cell("workshop_start_date").parse().ok();
    parse("workshop_start_date", start.map(|_| ()));
    let end: Option<NaiveDate> = cell("workshop_end_date").parse().ok();
    parse("workshop_end_date", end.map(|_| ()));
    let is_virtual: Option<bool> = cell("workshop_virtual").parse().ok();
    parse("workshop_virtual", is_virtual.map(|_| ()));
    let submitted_at = DateTime::parse_from_rfc3339(cell("submitted_at"))
        .ok()
        .map(|at| at.with_timezone(&Utc).trunc_subsecs(6));
    parse("submitted_at", submitted_at.map(|_| ()));
    let late: Option<bool> = cell("late").parse().ok();
    parse("late", late.map(|_| ()));
    let provenance: Option<Provenance> = serde_json::from_value(json!(cell("provenance"))).ok();
    parse("provenance", provenance.map(|_| ()));
    let administration = AdministrationCode::parse(cell("administration"))
        .map_err(|message| errors.add(line, "administration", message))
        .ok();
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        errors.add(
            line,
            "workshop_end_date",
            "must be on or after workshop_start_date",
        );
    }

    let answers = parse_answers(line, cells, columns, questions, errors);
    if errors.0.len() > before {
        return None;
    }
    Some(Row {
        line,
        workshop: WorkshopInput {
            title: title?,
            topic: topic?,
            scope: scope?,
            start_date: start?,
            end_date: end?,
            is_virtual: is_virtual?,
            venue: venue?,
            excluded_from_survey: false,
        },
        administration: administration?,
        submitted_at: submitted_at?,
        late: late?,
        provenance: provenance?,
        answers: answers?,
    })
}

pub fn read_rows(csv_text: &str, questions: &[Question]) -> Result<Vec<Row>, InvalidInput> {
    let mut errors = Errors(Vec::new());
    let mut reader = csv::ReaderBuilder::new().from_reader(csv_text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => return Err(InvalidInput::field("line 1", error.to_string())),
    };
    let columns = question_columns(questions);
    let known = |name: &str| FIXED.contains(&name) || columns.iter().any(|c| c.0 == name);
    for (index, name) in headers.iter().enumerate() {
        if !known(name) {
            errors.add(1, name, "unknown column");
        } else if headers.iter().take(index).any(|earlier| earlier == name) {
            errors.add(1, name, "the column appears twice");
        }
    }
    for required in FIXED {
        if !headers.iter().any(|h| h == required) {
            errors.add(1, required, "the column is missing");
        }
    }
    if !errors.0.is_empty() {
        return Err(InvalidInput(errors.0));
    }
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 2;
        if index >= MAX_ROWS {
            errors.add(
                line,
                "*",
                format!("an import holds at most {MAX_ROWS} rows"),
            );
            break;
        }
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                errors.add(line, "*", error);
                continue;
            }
        };
        let cells: HashMap<&str, &str> = headers
            .iter()
            .zip(record.iter().map(spreadsheet::restore))
            .collect();
        if let Some(row) = parse_row(line, &cells, &columns, questions, &mut errors) {
            rows.push(row);
        }
    }
    if rows.is_empty() && errors.0.is_empty() {
        errors.add(2, "*", "the file holds no replies");
    }
    if errors.0.is_empty() {
        Ok(rows)
    } else {
        Err(InvalidInput(errors.0))
    }
}

/// The answers of a row: cells read by question type, then checked against the questions;
/// each failure reported at its column.
fn parse_answers(
    line: u64,
    cells: &HashMap<&str, &str>,
    columns: &[(String, usize, Part)],
    questions: &[Question],
    errors: &mut Errors,
) -> Option<answers::Answers> {
    let cell = |name: &str| cells.get(name).copied().unwrap_or_default();
    let mut inputs: BTreeMap<String, AnswerInput> = BTreeMap::new();
    for (name, index, part) in columns {
        let value = cell(name);
        if value.is_empty() {
            continue;
        }
        let question = &questions[*index];
        let input = inputs.entry(question.code.clone()).or_default();
        let long = || Some(LongTextInput(value.to_owned()));
        match part {
            Part::Other => input.other = long(),
            Part::Comment => input.comment = long(),
            Part::Answer => match question.question_type {
                QuestionType::YesNo => match value {
                    "yes" => input.yes = Some(true),
                    "no" => input.yes = Some(false),
                    _ => errors.add(line, name, "must be yes, no or empty"),
                },
                QuestionType::SingleChoice => input.choice = Some(value.to_owned()),
                QuestionType::MultipleChoice if value.trim() == NONE_CHOSEN => {
                    input.choices = Some(Vec::new());
                }
                QuestionType::MultipleChoice => {
                    input.choices = Some(value.split(';').map(|c| c.trim().to_owned()).collect());
                }
                QuestionType::Scale => match value.parse() {
                    Ok(number) => input.value = Some(number),
                    Err(_) => errors.add(line, name, "must be a whole number"),
                },
                QuestionType::Text => input.text = long(),
            },
        }
    }
    // A comment alone (no answer) is no answer.
    inputs.retain(|_, input| {
        input.yes.is_some()
            || input.choice.is_some()
            || input.choices.is_some()
            || input.value.is_some()
            || input.text.is_some()
    });
    match answers::validate(questions, &inputs) {
        Ok(answers) => Some(answers),
        Err(InvalidInput(failures)) => {
            for failure in failures {
                let path = failure.field.trim_start_matches("answers.");
                let column = match path.rsplit_once('.') {
                    Some((code, "other")) => format!("{code}.other"),
                    Some((code, "comment")) => format!("{code}.comment"),
                    Some((code, _)) => code.to_owned(),
                    None => path.to_owned(),
                };
                errors.add(line, &column, failure.message);
            }
            None
        }
    }
}
