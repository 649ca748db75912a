//! The stored form of answers: one row per answered question, one per chosen option, and
//! every submission kept as a revision. Submissions and imports write through here; views,
//! exports and the mail read through here.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entity::reply::{self, Provenance};
use entity::{answer, answer_choice, reply_revision};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};

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

/// Brings the stored rows of `reply` from `stored` to `answers`, writing only what
/// changes: the answers that differ (one upsert), those no longer given, the options newly
/// chosen and those no longer chosen (a statement each, when there are any). `stored` is
/// what the reply's latest revision holds, written with these rows in the same transaction
/// (always through here), so the two agree; `None` when it is unknown, and every row is
/// then replaced.
pub async fn store_answers(
    db: &impl ConnectionTrait,
    reply: &reply::Model,
    stored: Option<&Answers>,
    answers: &Answers,
) -> Result<(), ServiceError> {
    let nothing = Answers::new();
    let stored = match stored {
        Some(stored) => stored,
        None => {
            delete_all(db, reply.id).await?;
            &nothing
        }
    };
    let gone: Vec<&String> = stored
        .keys()
        .filter(|code| !answers.contains_key(*code))
        .collect();
    if !gone.is_empty() {
        answer::Entity::delete_many()
            .filter(answer::Column::ReplyId.eq(reply.id))
            .filter(answer::Column::QuestionCode.is_in(gone))
            .exec(db)
            .await?;
    }
    let changed: Vec<answer::ActiveModel> = answers
        .iter()
        .filter(|(code, answer)| stored.get(*code).is_none_or(|s| !same_row(s, answer)))
        .map(|(code, answer)| answer_row(reply, code, answer))
        .collect();
    if !changed.is_empty() {
        let columns = [
            answer::Column::YesNo,
            answer::Column::ScaleValue,
            answer::Column::TextValue,
            answer::Column::OtherText,
            answer::Column::Comment,
        ];
        answer::Entity::insert_many(changed)
            .on_conflict(
                OnConflict::columns([answer::Column::ReplyId, answer::Column::QuestionCode])
                    .update_columns(columns)
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    store_choices(db, reply, &chosen(stored), &chosen(answers)).await
}

/// Every row of the reply's answers and chosen options, deleted.
async fn delete_all(db: &impl ConnectionTrait, reply_id: i32) -> Result<(), ServiceError> {
    answer::Entity::delete_many()
        .filter(answer::Column::ReplyId.eq(reply_id))
        .exec(db)
        .await?;
    answer_choice::Entity::delete_many()
        .filter(answer_choice::Column::ReplyId.eq(reply_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The options chosen, by question code and option code.
fn chosen(answers: &Answers) -> BTreeSet<(&str, String)> {
    answers
        .iter()
        .flat_map(|(code, answer)| {
            answer
                .chosen()
                .into_iter()
                .map(move |option| (code.as_str(), option))
        })
        .collect()
}

/// Brings the reply's chosen options from `before` to `after`.
async fn store_choices(
    db: &impl ConnectionTrait,
    reply: &reply::Model,
    before: &BTreeSet<(&str, String)>,
    after: &BTreeSet<(&str, String)>,
) -> Result<(), ServiceError> {
    let dropped = before
        .difference(after)
        .fold(Condition::any(), |any, (question, option)| {
            any.add(
                Condition::all()
                    .add(answer_choice::Column::QuestionCode.eq(*question))
                    .add(answer_choice::Column::OptionCode.eq(option)),
            )
        });
    if !dropped.is_empty() {
        answer_choice::Entity::delete_many()
            .filter(answer_choice::Column::ReplyId.eq(reply.id))
            .filter(dropped)
            .exec(db)
            .await?;
    }
    let added: Vec<answer_choice::ActiveModel> = after
        .difference(before)
        .map(|(question, option)| choice_row(reply, question, option.clone()))
        .collect();
    if !added.is_empty() {
        answer_choice::Entity::insert_many(added)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Whether two answers are stored as the same `answers` row (their options are rows of
/// their own).
fn same_row(a: &Answer, b: &Answer) -> bool {
    (&a.yes, &a.value, &a.text, &a.other, &a.comment)
        == (&b.yes, &b.value, &b.text, &b.other, &b.comment)
}

fn choice_row(reply: &reply::Model, question: &str, option: String) -> answer_choice::ActiveModel {
    answer_choice::ActiveModel {
        reply_id: Set(reply.id),
        question_code: Set(question.to_owned()),
        option_code: Set(option),
        round_id: Set(reply.round_id),
    }
}

fn answer_row(reply: &reply::Model, code: &str, answer: &Answer) -> answer::ActiveModel {
    answer::ActiveModel {
        reply_id: Set(reply.id),
        question_code: Set(code.to_owned()),
        round_id: Set(reply.round_id),
        yes_no: Set(answer.yes),
        scale_value: Set(answer.value),
        text_value: Set(answer.text.clone()),
        other_text: Set(answer.other.clone()),
        comment: Set(answer.comment.clone()),
    }
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
    reply_revision::Entity::insert(revision_row(reply, by, submitted_at, answers))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A submission as the reply's history keeps it.
pub fn revision_row(
    reply: &reply::Model,
    by: &Submitter<'_>,
    submitted_at: DateTime<Utc>,
    answers: &Answers,
) -> reply_revision::ActiveModel {
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
}

/// The rows a reply's `answers` are stored as: one per answered question, one per chosen
/// option (what [`store_answers`] writes for a reply with nothing stored yet).
pub fn answer_rows(
    reply: &reply::Model,
    answers: &Answers,
) -> (Vec<answer::ActiveModel>, Vec<answer_choice::ActiveModel>) {
    let rows = answers
        .iter()
        .map(|(code, answer)| answer_row(reply, code, answer))
        .collect();
    let choices = chosen(answers)
        .into_iter()
        .map(|(question, option)| choice_row(reply, question, option))
        .collect();
    (rows, choices)
}
