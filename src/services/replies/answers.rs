//! The stored form of answers: one row per answered question, one per chosen option, and
//! every submission kept as a revision. Submissions and imports write through here; views,
//! exports and the mail read through here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::reply::{self, Provenance};
use entity::{answer, answer_choice, reply_revision};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::base::error::ServiceError;
use crate::domain::answers::{Answer, Answers};
use crate::domain::questionnaire::{Question, QuestionType};

/// The current answers of each reply in `reply_ids`, shaped by `questions`.
pub async fn answers_of(
    db: &impl ConnectionTrait,
    reply_ids: &[i32],
    questions: &[Question],
) -> Result<HashMap<i32, Answers>, ServiceError> {
    let mut result: HashMap<i32, Answers> =
        reply_ids.iter().map(|id| (*id, Answers::new())).collect();
    if reply_ids.is_empty() {
        return Ok(result);
    }
    let rows = answer::Entity::find()
        .filter(answer::Column::ReplyId.is_in(reply_ids.iter().copied()))
        .all(db)
        .await?;
    let choices = answer_choice::Entity::find()
        .filter(answer_choice::Column::ReplyId.is_in(reply_ids.iter().copied()))
        .all(db)
        .await?;
    let mut chosen: HashMap<(i32, &str), Vec<&str>> = HashMap::new();
    for choice in &choices {
        chosen
            .entry((choice.reply_id, choice.question_code.as_str()))
            .or_default()
            .push(choice.option_code.as_str());
    }
    for row in rows {
        let question = questions.iter().find(|q| q.code == row.question_code);
        let picked = chosen
            .get(&(row.reply_id, row.question_code.as_str()))
            .cloned()
            .unwrap_or_default();
        let mut answer = Answer {
            yes: row.yes_no,
            value: row.scale_value,
            text: row.text_value,
            other: row.other_text,
            comment: row.comment,
            ..Answer::default()
        };
        match question.map(|q| q.question_type) {
            Some(QuestionType::SingleChoice) => {
                answer.choice = picked.first().map(|c| (*c).to_owned())
            }
            Some(QuestionType::MultipleChoice) => {
                let position = |code: &str| {
                    question
                        .and_then(|q| q.options.iter().position(|o| o.code == code))
                        .unwrap_or(usize::MAX)
                };
                let mut ordered: Vec<&str> = picked;
                ordered.sort_by_key(|code| position(code));
                answer.choices = Some(ordered.into_iter().map(str::to_owned).collect());
            }
            _ => {}
        }
        if let Some(answers) = result.get_mut(&row.reply_id) {
            answers.insert(row.question_code, answer);
        }
    }
    Ok(result)
}

/// Replaces the stored answers of a reply.
pub async fn store_answers(
    db: &impl ConnectionTrait,
    reply: &reply::Model,
    answers: &Answers,
) -> Result<(), ServiceError> {
    let (reply_id, round_id) = (reply.id, reply.round_id);
    answer::Entity::delete_many()
        .filter(answer::Column::ReplyId.eq(reply_id))
        .exec(db)
        .await?;
    answer_choice::Entity::delete_many()
        .filter(answer_choice::Column::ReplyId.eq(reply_id))
        .exec(db)
        .await?;
    if answers.is_empty() {
        return Ok(());
    }
    let rows = answers.iter().map(|(code, answer)| answer::ActiveModel {
        reply_id: Set(reply_id),
        question_code: Set(code.clone()),
        round_id: Set(round_id),
        yes_no: Set(answer.yes),
        scale_value: Set(answer.value),
        text_value: Set(answer.text.clone()),
        other_text: Set(answer.other.clone()),
        comment: Set(answer.comment.clone()),
    });
    answer::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    let choices: Vec<_> = answers
        .iter()
        .flat_map(|(code, answer)| {
            answer
                .chosen()
                .into_iter()
                .map(move |option| answer_choice::ActiveModel {
                    reply_id: Set(reply_id),
                    question_code: Set(code.clone()),
                    option_code: Set(option),
                    round_id: Set(round_id),
                })
        })
        .collect();
    if !choices.is_empty() {
        answer_choice::Entity::insert_many(choices)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Who submitted a revision.
#[derive(Debug, Clone, Copy)]
pub struct Submitter<'a> {
    pub provenance: Provenance,
    /// `participant`, `import`, or the staff key's name.
    pub name: &'a str,
    /// The officer whose link sent it.
    pub participant_id: Option<i32>,
}

/// Keeps a submission in the reply's history.
pub async fn record_revision(
    db: &impl ConnectionTrait,
    reply: &reply::Model,
    by: &Submitter<'_>,
    submitted_at: DateTime<Utc>,
    answers: &Answers,
) -> Result<(), ServiceError> {
    reply_revision::ActiveModel {
        reply_id: Set(reply.id),
        revision: Set(reply.revision),
        submitted_at: Set(submitted_at),
        provenance: Set(by.provenance),
        submitted_by: Set(by.name.to_owned()),
        participant_id: Set(by.participant_id),
        answers: Set(serde_json::to_value(answers).unwrap_or_default()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
