//! A round's replies as CSV, one row per reply, and the import of historical rounds from
//! the same format (all or nothing, errors reported by line and column).
//!
//! Columns: the workshop (`workshop`, `workshop_topic`, `workshop_scope`,
//! `workshop_start_date`, `workshop_end_date`, `workshop_venue`, `workshop_virtual`),
//! `administration`, `submitted_at` (RFC 3339), `late`, `provenance`, then per question
//! its code (`yes`/`no`, option codes joined by `;`, a number or text), `<code>.other`
//! for choice questions that allow it, and `<code>.comment`. An empty cell is no answer.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, SecondsFormat, SubsecRound, Utc};
use entity::invitation::{self, InvitationStatus};
use entity::reply::{self, Provenance};
use entity::round::RoundState;
use entity::workshop::{self, Scope};
use entity::{administration, round_workshop};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::audit::{self, Actor, Change};
use super::workshops::WorkshopInput;
use super::{ServiceError, now, replies, rounds, workshops};
use crate::db;
use crate::domain::answers::{self, AnswerInput};
use crate::domain::questionnaire::{Question, QuestionType};
use crate::domain::schedule::WorkshopDates;
use crate::domain::spreadsheet::{self, neutralize};
use crate::domain::{
    AdministrationCode, FieldError, InvalidInput, LongTextInput, MAX_TEXT_CHARS, TimeZone,
    required_text,
};

/// The columns before the answers, in order.
pub const FIXED: [&str; 11] = [
    "workshop",
    "workshop_topic",
    "workshop_scope",
    "workshop_start_date",
    "workshop_end_date",
    "workshop_venue",
    "workshop_virtual",
    "administration",
    "submitted_at",
    "late",
    "provenance",
];
/// Largest import accepted, in rows.
pub const MAX_ROWS: usize = 10_000;

/// Which part of a question a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Answer,
    Other,
    Comment,
}

fn question_columns(questions: &[Question]) -> Vec<(String, usize, Part)> {
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

fn enum_text<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Every reply of a round, ordered by workshop, administration and arrival.
pub async fn export(db: &DatabaseConnection, round_id: i32) -> Result<String, ServiceError> {
    let round = rounds::get(db, round_id).await?;
    let questions = replies::questions_of_round(db, &round).await?;
    let all = reply::Entity::find()
        .filter(reply::Column::RoundId.eq(round_id))
        .all(db)
        .await?;
    let ids: Vec<i32> = all.iter().map(|r| r.id).collect();
    let mut answers = replies::answers_of(db, &ids, &questions).await?;
    let workshops: HashMap<i32, workshop::Model> = workshop::Entity::find()
        .filter(workshop::Column::Id.is_in(all.iter().map(|r| r.workshop_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    let codes: HashMap<i32, String> = administration::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.code))
        .collect();
    let mut rows: Vec<(&workshop::Model, &str, reply::Model)> = all
        .into_iter()
        .filter_map(|r| {
            let workshop = workshops.get(&r.workshop_id)?;
            let code = codes.get(&r.administration_id)?;
            Some((workshop, code.as_str(), r))
        })
        .collect();
    rows.sort_by(|(wa, ca, ra), (wb, cb, rb)| {
        (
            wa.start_date,
            &wa.title,
            wa.id,
            ca,
            ra.first_submitted_at,
            ra.id,
        )
            .cmp(&(
                wb.start_date,
                &wb.title,
                wb.id,
                cb,
                rb.first_submitted_at,
                rb.id,
            ))
    });

    let columns = question_columns(&questions);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = FIXED
        .iter()
        .map(|c| (*c).to_owned())
        .chain(columns.iter().map(|c| c.0.clone()));
    writer.write_record(header).context("writing CSV")?;
    for (workshop, code, reply) in rows {
        let reply_answers = answers.remove(&reply.id).unwrap_or_default();
        let mut record = vec![
            workshop.title.clone(),
            workshop.topic.clone(),
            enum_text(workshop.scope),
            workshop.start_date.to_string(),
            workshop.end_date.to_string(),
            workshop.venue.clone().unwrap_or_default(),
            workshop.is_virtual.to_string(),
            code.to_owned(),
            reply
                .first_submitted_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            reply.late.to_string(),
            enum_text(reply.provenance),
        ];
        for (_, index, part) in &columns {
            let question = &questions[*index];
            let answer = reply_answers.get(&question.code);
            let cell = match (answer, part) {
                (None, _) => String::new(),
                (Some(a), Part::Other) => a.other.clone().unwrap_or_default(),
                (Some(a), Part::Comment) => a.comment.clone().unwrap_or_default(),
                (Some(a), Part::Answer) => match question.question_type {
                    QuestionType::YesNo => match a.yes {
                        Some(true) => "yes".into(),
                        Some(false) => "no".into(),
                        None => String::new(),
                    },
                    QuestionType::SingleChoice | QuestionType::MultipleChoice => {
                        a.chosen().join(";")
                    }
                    QuestionType::Scale => a.value.map(|v| v.to_string()).unwrap_or_default(),
                    QuestionType::Text => a.text.clone().unwrap_or_default(),
                },
            };
            record.push(cell);
        }
        writer
            .write_record(record.iter().map(|cell| neutralize(cell).into_owned()))
            .context("writing CSV")?;
    }
    let bytes = writer.into_inner().context("finishing CSV")?;
    String::from_utf8(bytes)
        .context("CSV is UTF-8")
        .map_err(ServiceError::Unexpected)
}

/// What an import loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub replies: usize,
    pub workshops_created: usize,
}

/// One row, checked.
struct Row {
    line: u64,
    workshop: WorkshopInput,
    administration: AdministrationCode,
    submitted_at: DateTime<Utc>,
    late: bool,
    provenance: Provenance,
    answers: answers::Answers,
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, line: u64, column: &str, message: impl std::fmt::Display) {
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
    let topic = text("workshop_topic");
    let venue = match cell("workshop_venue") {
        "" => None,
        value => text("workshop_venue").or(Some(value.to_owned())),
    };
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
    let answers = match answers::validate(questions, &inputs) {
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
    };
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
            is_virtual: is_virtual? || venue.is_none(),
            venue,
            excluded_from_survey: false,
        },
        administration: administration?,
        submitted_at: submitted_at?,
        late: late?,
        provenance: provenance?,
        answers: answers?,
    })
}

fn read_rows(csv_text: &str, questions: &[Question]) -> Result<Vec<Row>, InvalidInput> {
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

/// Loads replies into a round that is not closed: workshops are matched by title and start
/// date or created, and attached to the round; each row becomes the reply of an invitation
/// of its workshop and administration still waiting for one, or of a new invitation (with
/// no officer). Nothing is written unless every row is valid. No mail or other
/// reaction follows: these replies are history.
pub async fn import(
    db: &DatabaseConnection,
    actor: &Actor,
    round_id: i32,
    csv_text: &str,
) -> Result<ImportSummary, ServiceError> {
    let txn = db::begin(db).await?;
    let round = rounds::get(&txn, round_id).await?;
    if round.state == RoundState::Closed {
        return Err(ServiceError::Conflict {
            field: None,
            detail: "the round is closed; import into a round before closing it".into(),
        });
    }
    let questions = replies::questions_of_round(&txn, &round).await?;
    let rows = read_rows(csv_text, &questions)?;

    let administrations: HashMap<String, administration::Model> = administration::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.code.clone(), a))
        .collect();
    let mut errors = Errors(Vec::new());
    let mut workshops: HashMap<(String, NaiveDate), workshop::Model> = HashMap::new();
    let mut created = 0;
    for row in &rows {
        if !administrations.contains_key(row.administration.as_str()) {
            errors.add(
                row.line,
                "administration",
                format!("administration {} does not exist", row.administration),
            );
        }
        let key = (row.workshop.title.clone(), row.workshop.start_date);
        if workshops.contains_key(&key) {
            continue;
        }
        let found = workshop::Entity::find()
            .filter(workshop::Column::Title.eq(key.0.as_str()))
            .filter(workshop::Column::StartDate.eq(key.1))
            .one(&txn)
            .await?;
        let workshop = match found {
            Some(existing) => existing,
            None => {
                created += 1;
                workshops::insert(&txn, actor, row.workshop.clone()).await?
            }
        };
        match round_workshop::Entity::find()
            .filter(round_workshop::Column::WorkshopId.eq(workshop.id))
            .one(&txn)
            .await?
        {
            Some(attached) if attached.round_id != round_id => errors.add(
                row.line,
                "workshop",
                "the workshop is part of another round",
            ),
            Some(_) => {}
            None if workshop.excluded_from_survey => errors.add(
                row.line,
                "workshop",
                "the workshop is excluded from the survey",
            ),
            None => {
                let attachment = round_workshop::ActiveModel {
                    round_id: Set(round_id),
                    workshop_id: Set(workshop.id),
                    attached_at: Set(now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                audit::record(
                    &txn,
                    actor,
                    Change::created(
                        "round_workshop",
                        format!("{round_id}/{}", workshop.id),
                        &attachment,
                    ),
                )
                .await?;
            }
        }
        workshops.insert(key, workshop);
    }
    if !errors.0.is_empty() {
        return Err(InvalidInput(errors.0).into());
    }

    for row in &rows {
        let workshop = &workshops[&(row.workshop.title.clone(), row.workshop.start_date)];
        let administration = &administrations[row.administration.as_str()];
        let (attachment, _) = rounds::attachment(&txn, round_id, workshop.id).await?;
        let dates = WorkshopDates::compute(
            workshop.end_date,
            attachment.opens_on,
            &rounds::effective_rules(&round, &attachment),
        );
        let tz = TimeZone::parse(&administration.time_zone)
            .map(TimeZone::tz)
            .unwrap_or(chrono_tz::UTC);
        // An invitation of the roster still waiting for this administration's reply takes
        // it; otherwise the reply comes with an invitation of its own.
        let waiting = invitation::Entity::find()
            .filter(invitation::Column::RoundId.eq(round_id))
            .filter(invitation::Column::WorkshopId.eq(workshop.id))
            .filter(invitation::Column::AdministrationId.eq(administration.id))
            .filter(invitation::Column::Status.ne(InvitationStatus::Replied))
            .order_by_asc(invitation::Column::Id)
            .one(&txn)
            .await?;
        let at = now();
        let invitation = match waiting {
            Some(waiting) => {
                let mut active: invitation::ActiveModel = waiting.into();
                active.status = Set(InvitationStatus::Replied);
                active.updated_at = Set(at);
                active.update(&txn).await?
            }
            None => {
                invitation::ActiveModel {
                    round_id: Set(round_id),
                    workshop_id: Set(workshop.id),
                    administration_id: Set(administration.id),
                    participant_id: Set(None),
                    token_hash: Set(None),
                    token_issued_at: Set(None),
                    status: Set(InvitationStatus::Replied),
                    opens_at: Set(dates.opens_at(tz)),
                    due_at: Set(dates.due_at(tz)),
                    created_at: Set(at),
                    updated_at: Set(at),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        };
        let reply = reply::ActiveModel {
            invitation_id: Set(invitation.id),
            round_id: Set(round_id),
            workshop_id: Set(workshop.id),
            administration_id: Set(administration.id),
            first_submitted_at: Set(row.submitted_at),
            last_submitted_at: Set(row.submitted_at),
            late: Set(row.late),
            provenance: Set(row.provenance),
            revision: Set(1),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        replies::store_answers(&txn, &reply, &row.answers).await?;
        replies::record_revision(
            &txn,
            &reply,
            row.provenance,
            "import",
            row.submitted_at,
            &row.answers,
        )
        .await?;
    }
    let summary = ImportSummary {
        replies: rows.len(),
        workshops_created: created,
    };
    audit::record(
        &txn,
        actor,
        Change::new(
            "import_replies",
            "round",
            round_id,
            None,
            Some(json!(summary)),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(summary)
}
