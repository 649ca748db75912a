//! A round's replies as CSV (see `super::columns`), ordered by workshop, administration
//! and arrival; cells a spreadsheet would run as formulas are written as text.

use std::collections::HashMap;

use anyhow::Context;
use chrono::SecondsFormat;
use entity::{administration, reply, round, workshop};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::answers::answers_of;
use super::columns::{FIXED, Part, enum_text, question_columns};
use crate::base::error::ServiceError;
use crate::base::records::find_by_id;
use crate::domain::questionnaire::QuestionType;
use crate::domain::spreadsheet::neutralize;
use crate::services::questionnaires::{self, QuestionCache};

/// Every reply of a round, ordered by workshop, administration and arrival.
pub async fn export(
    db: &DatabaseConnection,
    questions: &QuestionCache,
    round_id: i32,
) -> Result<String, ServiceError> {
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
