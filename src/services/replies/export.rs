//! A round's replies as a sheet (see `super::columns`), ordered by workshop, administration
//! and arrival, for CSV or `.xlsx` (`base::sheets`): scale answers are numbers, the rest
//! text; in CSV, cells a spreadsheet would run as formulas are written as text.

use std::collections::HashMap;

use chrono::SecondsFormat;
use entity::{administration, reply, round, workshop};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::answers::answers_of;
use super::columns::{FIXED, NONE_CHOSEN, Part, question_columns};
use crate::base::error::ServiceError;
use crate::base::records::find_by_id;
use crate::base::sheets::{Cell, Sheet};
use crate::domain::answers::{Answer, Answers};
use crate::domain::questionnaire::{Question, QuestionType};
use crate::domain::wire_name;
use crate::services::questionnaires::{self, QuestionCache};

/// Every reply of a round, ordered by workshop, administration and arrival.
pub async fn export(
    db: &DatabaseConnection,
    questions: &QuestionCache,
    round_id: i32,
) -> Result<Sheet, ServiceError> {
    let round = find_by_id::<round::Entity>(db, "round", round_id).await?;
    let questions = questionnaires::questions_of_round(db, questions, &round).await?;
    let all = reply::Entity::find()
        .filter(reply::Column::RoundId.eq(round_id))
        .all(db)
        .await?;
    let ids: Vec<i32> = all.iter().map(|r| r.id).collect();
    let mut answers = answers_of(db, &ids, &questions).await?;
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
    let mut rows: Vec<Row> = all
        .into_iter()
        .filter_map(|reply| {
            let workshop = workshops.get(&reply.workshop_id)?;
            let code = codes.get(&reply.administration_id)?;
            let answers = answers.remove(&reply.id).unwrap_or_default();
            Some(Row {
                workshop,
                code,
                reply,
                answers,
            })
        })
        .collect();
    rows.sort_by(|a, b| a.order().cmp(&b.order()));
    Ok(sheet(&round, &questions, &rows))
}

/// One reply with its workshop and administration.
struct Row<'a> {
    workshop: &'a workshop::Model,
    code: &'a str,
    reply: reply::Model,
    answers: Answers,
}

impl Row<'_> {
    /// By workshop, administration and arrival.
    fn order(&self) -> impl Ord + '_ {
        (
            self.workshop.start_date,
            &self.workshop.title,
            self.workshop.id,
            self.code,
            self.reply.first_submitted_at,
            self.reply.id,
        )
    }

    /// The cells before the answers, in the order of `FIXED`.
    fn fixed_cells(&self) -> Vec<Cell> {
        let (workshop, reply) = (self.workshop, &self.reply);
        let cells: [String; 11] = [
            workshop.title.clone(),
            workshop.topic.clone().unwrap_or_default(),
            wire_name(workshop.scope),
            workshop.start_date.to_string(),
            workshop.end_date.to_string(),
            workshop.venue.clone().unwrap_or_default(),
            workshop.is_virtual.to_string(),
            self.code.to_owned(),
            reply
                .first_submitted_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            reply.late.to_string(),
            wire_name(reply.provenance),
        ];
        cells.into_iter().map(Cell::Text).collect()
    }
}

/// The cell of one part of one question's answer.
fn cell(question: &Question, answer: Option<&Answer>, part: Part) -> Cell {
    if let (Some(a), Part::Answer, QuestionType::Scale) = (answer, part, question.question_type)
        && let Some(value) = a.value
    {
        return Cell::Whole(value.into());
    }
    Cell::Text(match (answer, part) {
        (None, _) => String::new(),
        (Some(a), Part::Other) => a.other.clone().unwrap_or_default(),
        (Some(a), Part::Comment) => a.comment.clone().unwrap_or_default(),
        (Some(a), Part::Answer) => match question.question_type {
            QuestionType::YesNo => match a.yes {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => String::new(),
            },
            QuestionType::MultipleChoice if a.chosen().is_empty() => NONE_CHOSEN.into(),
            QuestionType::SingleChoice | QuestionType::MultipleChoice => a.chosen().join(";"),
            QuestionType::Scale => a.value.map(|v| v.to_string()).unwrap_or_default(),
            QuestionType::Text => a.text.clone().unwrap_or_default(),
        },
    })
}

fn sheet(round: &round::Model, questions: &[Question], rows: &[Row]) -> Sheet {
    let columns = question_columns(questions);
    let header = FIXED
        .iter()
        .map(|c| (*c).to_owned())
        .chain(columns.iter().map(|c| c.0.clone()))
        .collect();
    let rows = rows
        .iter()
        .map(|row| {
            let mut record = row.fixed_cells();
            for (_, index, part) in &columns {
                let question = &questions[*index];
                record.push(cell(question, row.answers.get(&question.code), *part));
            }
            record
        })
        .collect();
    Sheet {
        name: format!("{} replies", round.title),
        header,
        rows,
    }
}
