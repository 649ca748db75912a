//! A revision on PostgreSQL in one statement, and through a link without a transaction.
//!
//! [`revise`] writes the reply's next revision number, its answers and chosen options
//! brought to the new ones, the revision kept in the reply's history and its
//! `reply.revised` event, each table by one data-modifying `WITH` part of a single statement
//! (atomic by itself), so a revision costs PostgreSQL one round trip rather than seven.
//! Every part writes only where the reply is still at the revision the submission read
//! (`revised` is then empty and nothing is written: the caller reads afresh and decides
//! again), and only holding the invitation's lock (`held`), as every write of a reply does:
//! a submission on the locked path is never overtaken while it holds the lock. The answers
//! and options come from the revision's own JSON (the form `domain::answers::Answer`
//! serializes to): answers are upserted, rewritten only where they differ, and those no
//! longer given deleted, so the parts never touch one row twice.
//!
//! [`respond`] is a participant's revision in two round trips: the reply read without a
//! lock, then [`revise`] outside any transaction (optimistic: it writes only if no other
//! submission came between). Whatever it cannot finish that way goes the locked path of
//! `submit`, in one transaction.
//!
//! SQLite has no data-modifying `WITH`: it writes the same rows statement by statement
//! (`answers::store_answers`, `answers::record_revision`, `events::reply_received`), and
//! the reply tests run on both databases; `tests/api/revision_rows.rs` compares the rows
//! either way leaves.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::reply::Provenance;
use entity::{event, reply};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement, Value,
};

use super::answers::Submitter;
use super::context::Context;
use super::locked::{Which, accepted_answers, read_for_reply};
use super::views::{ReplyDetail, unknown_link};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::domain::answers::{AnswerInput, Answers};
use crate::services::events;
use crate::services::questionnaires::QuestionCache;
use crate::services::webhooks::deliveries;

/// Who submitted, for a participant's own submission.
pub const PARTICIPANT: &str = "participant";

const REVISE: &str = r#"WITH held AS (
    SELECT id FROM invitations WHERE id = $13 FOR UPDATE
), revised AS (
    UPDATE replies SET revision = $3, last_submitted_at = $4
    FROM held
    WHERE replies.id = $1 AND replies.revision = $2
    RETURNING replies.id, replies.invitation_id, replies.round_id, replies.workshop_id,
        replies.administration_id, replies.first_submitted_at, replies.last_submitted_at,
        replies.late, replies.provenance, replies.revision
), given AS (
    SELECT key AS question_code, value FROM jsonb_each($5::jsonb)
), answers_gone AS (
    DELETE FROM answers USING revised
    WHERE answers.reply_id = revised.id
        AND answers.question_code NOT IN (SELECT question_code FROM given)
), answers_given AS (
    INSERT INTO answers (reply_id, question_code, round_id, yes_no, scale_value, text_value,
        other_text, comment)
    SELECT revised.id, given.question_code, revised.round_id, (given.value->>'yes')::boolean,
        (given.value->>'value')::integer, given.value->>'text', given.value->>'other',
        given.value->>'comment'
    FROM revised, given
    ON CONFLICT (reply_id, question_code) DO UPDATE SET yes_no = excluded.yes_no,
        scale_value = excluded.scale_value, text_value = excluded.text_value,
        other_text = excluded.other_text, comment = excluded.comment
    WHERE (answers.yes_no, answers.scale_value, answers.text_value, answers.other_text,
            answers.comment)
        IS DISTINCT FROM (excluded.yes_no, excluded.scale_value, excluded.text_value,
            excluded.other_text, excluded.comment)
), chosen AS (
    SELECT given.question_code, jsonb_array_elements_text(CASE
        WHEN given.value->'choice' IS NOT NULL THEN jsonb_build_array(given.value->'choice')
        ELSE given.value->'choices' END) AS option_code
    FROM given
), choices_gone AS (
    DELETE FROM answer_choices USING revised
    WHERE answer_choices.reply_id = revised.id
        AND (answer_choices.question_code, answer_choices.option_code)
            NOT IN (SELECT question_code, option_code FROM chosen)
), choices_given AS (
    INSERT INTO answer_choices (reply_id, question_code, option_code, round_id)
    SELECT revised.id, chosen.question_code, chosen.option_code, revised.round_id
    FROM revised, chosen
    ON CONFLICT DO NOTHING
), kept AS (
    INSERT INTO reply_revisions (reply_id, revision, submitted_at, provenance, submitted_by,
        answers, participant_id)
    SELECT revised.id, revised.revision, $6, $7, $8, $5, $9 FROM revised
), announced AS (
    INSERT INTO events (kind, occurred_at, payload)
    SELECT $10, $12, $11 FROM revised
    RETURNING id
)
SELECT revised.*, announced.id AS event_id FROM revised, announced"#;

/// A revision through a link on PostgreSQL, tried first without a transaction or a lock:
/// the reply is read as it stands, and [`revise`] writes the revision in one
/// statement (atomic by itself) only where the reply is still at the revision read. Two
/// round trips instead of four, both on one connection the reply path keeps
/// (`base::kept_connections`), so that no other round trip comes between. `None` leaves
/// the submission to the locked path: a first submission (the reply and the invitation's
/// state are written together), a revision another submission overtook, endpoints
/// subscribed to `reply.revised` (their deliveries go in the event's transaction), SQLite.
/// A round that closes meanwhile may take one last revision, as under the lock.
pub async fn respond(
    db: &DatabaseConnection,
    context: &Context<'_>,
    token: &str,
    answers: &BTreeMap<String, AnswerInput>,
) -> Result<Option<ReplyDetail>, ServiceError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let endpoints = context.webhooks.active(db).await?;
    if deliveries::any_subscribed(&endpoints, events::REPLY_REVISED) {
        return Ok(None);
    }
    match context.connections.take(db).await? {
        Some(taken) => respond_on(&taken, context.questions, token, answers).await,
        None => respond_on(db, context.questions, token, answers).await,
    }
}

/// [`respond`]'s two statements on `db`.
async fn respond_on(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    token: &str,
    answers: &BTreeMap<String, AnswerInput>,
) -> Result<Option<ReplyDetail>, ServiceError> {
    let read = read_for_reply(db, Which::Token(token), false)
        .await?
        .ok_or_else(unknown_link)?;
    let Some((reply, stored)) = &read.current else {
        return Ok(None);
    };
    let (_, valid) = accepted_answers(db, questions, &read.round, answers).await?;
    let reply = if stored.as_ref() == Some(&valid) {
        reply.clone()
    } else {
        let by = Submitter {
            provenance: Provenance::Participant,
            name: PARTICIPANT,
            participant_id: read.invitation.participant_id,
        };
        match revise(db, reply, &valid, &by, now()).await? {
            Some((after, _announced)) => after,
            None => return Ok(None),
        }
    };
    Ok(Some(ReplyDetail {
        reply,
        administration_code: read.administration_code,
        answers: valid,
    }))
}

/// Writes the next revision of `reply` (PostgreSQL only): the reply after it and its
/// `reply.revised` event, or `None` when the reply's revision moved since it was read.
pub async fn revise(
    db: &impl ConnectionTrait,
    reply: &reply::Model,
    answers: &Answers,
    by: &Submitter<'_>,
    at: DateTime<Utc>,
) -> Result<Option<(reply::Model, event::Model)>, ServiceError> {
    let occurred_at = now();
    let mut expected = reply.clone();
    expected.revision = reply.revision + 1;
    expected.last_submitted_at = at.max(reply.last_submitted_at);
    let payload = events::reply_payload(&expected);
    let answers = serde_json::to_value(answers).unwrap_or_default();
    let values: Vec<Value> = vec![
        reply.id.into(),
        reply.revision.into(),
        expected.revision.into(),
        expected.last_submitted_at.into(),
        answers.into(),
        at.into(),
        by.provenance.to_value().into(),
        by.name.to_owned().into(),
        by.participant_id.into(),
        events::REPLY_REVISED.to_owned().into(),
        payload.clone().into(),
        occurred_at.into(),
        reply.invitation_id.into(),
    ];
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, REVISE, values);
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    let after = reply::Model::from_query_result(&row, "")?;
    let event = event::Model {
        id: row.try_get("", "event_id")?,
        kind: events::REPLY_REVISED.to_owned(),
        occurred_at,
        payload,
    };
    Ok(Some((after, event)))
}
