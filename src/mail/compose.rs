//! What each mail says: the variables of its template, filled from an invitation.

use anyhow::Context;
use entity::mailing::MailKind;
use entity::{administration, invitation, participant, round, workshop};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use super::MailContext;
use super::outbox::{self, NewMail};
use super::templates;
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::domain::answers::Answers;
use crate::domain::questionnaire::Question;
use crate::domain::{TimeZone, wording};

/// Queues one mail of `kind` to the officer of `invitation`, with `extra` variables and the
/// link when given. `Ok(false)` when the invitation has no officer or the key was queued.
pub async fn queue(
    db: &impl ConnectionTrait,
    mail: &MailContext,
    kind: MailKind,
    dedupe_key: String,
    invitation: &invitation::Model,
    with_link: bool,
    extra: Value,
) -> Result<bool, ServiceError> {
    let Some(officer) = officer_of(db, invitation)
        .await?
        .filter(|officer| officer.erased_at.is_none())
    else {
        return Ok(false); // no officer, or one erased on request: nobody to write to
    };
    let participant_id = officer.id;
    let round = round::Entity::find_by_id(invitation.round_id)
        .one(db)
        .await?
        .context("the invitation's round is missing")?;
    let workshop = workshop::Entity::find_by_id(invitation.workshop_id)
        .one(db)
        .await?
        .context("the invitation's workshop is missing")?;
    let administration = administration::Entity::find_by_id(invitation.administration_id)
        .one(db)
        .await?
        .context("the invitation's administration is missing")?;
    let tz = TimeZone::of_stored(&administration.time_zone);
    // The mail is written when it goes out (the survey's opening, or later).
    let written_on = invitation
        .opens_at
        .max(now())
        .with_timezone(&tz)
        .date_naive();
    let months_since_workshop = wording::whole_months(workshop.end_date, written_on);
    // The current link: the worker derives its token from this generation as it sends.
    let link_generation =
        (with_link && invitation.token_hash.is_some()).then_some(invitation.token_generation);
    let mut context = json!({
        "participant_name": officer.name,
        "administration_name": administration.name,
        "administration_code": administration.code,
        "round_title": round.title,
        "workshop_title": workshop.title,
        "workshop_start": workshop.start_date.to_string(),
        "workshop_end": workshop.end_date.to_string(),
        "months_since_workshop": months_since_workshop,
        "workshop_ago": wording::months_ago(months_since_workshop),
        "due_date": invitation.due_at.with_timezone(&tz).date_naive().to_string(),
        "link": if link_generation.is_some() { mail.link_without_token() } else { String::new() },
        "office": "ROCB Asia/Pacific",
    });
    if let (Some(base), Value::Object(extra)) = (context.as_object_mut(), extra) {
        base.extend(extra);
    }
    let (parts, _) = templates::effective(db, kind).await?;
    let rendered = templates::render(&parts, &context).await.map_err(|error| {
        anyhow::anyhow!(
            "the {kind:?} template does not render: {}: {}",
            error.part,
            error.message
        )
    })?;
    outbox::queue(
        db,
        mail.from.email.domain(),
        NewMail {
            kind,
            dedupe_key,
            round_id: Some(invitation.round_id),
            invitation_id: Some(invitation.id),
            recipient: officer.email,
            rendered,
            link_generation,
            participant_id: Some(participant_id),
        },
    )
    .await
}

/// The officer of `invitation`, when it has one (erased ones included).
pub async fn officer_of(
    db: &impl ConnectionTrait,
    invitation: &invitation::Model,
) -> Result<Option<participant::Model>, sea_orm::DbErr> {
    match invitation.participant_id {
        Some(id) => participant::Entity::find_by_id(id).one(db).await,
        None => Ok(None),
    }
}

/// The answers as a list of `{question, answer}` in the questionnaire's order.
pub fn answers_copy(questions: &[Question], answers: &Answers) -> Value {
    let items: Vec<Value> = questions
        .iter()
        .filter_map(|question| {
            let answer = answers.get(&question.code)?;
            let mut text = answer.in_words(question);
            if let Some(comment) = &answer.comment {
                text = format!("{text}. {comment}");
            }
            Some(json!({"question": question.label, "answer": text}))
        })
        .collect();
    Value::Array(items)
}
