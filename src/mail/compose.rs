//! What each mail says: the variables of its template, filled from an invitation.

use anyhow::Context;
use chrono::{DateTime, Utc};
use entity::mailing::MailKind;
use entity::{administration, invitation, participant, round, workshop};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use super::MailContext;
use super::outbox::{self, NewMail};
use super::templates;
use crate::base::error::ServiceError;
use crate::domain::answers::Answers;
use crate::domain::questionnaire::Question;
use crate::domain::{TimeZone, wording};

/// Who signs the mail.
pub const OFFICE: &str = "ROCB Asia/Pacific";

/// One mail to the officer of an invitation.
pub struct Letter<'a> {
    pub kind: MailKind,
    /// One mail per key, ever (see [`NewMail::dedupe_key`]).
    pub dedupe_key: String,
    pub invitation: &'a invitation::Model,
    /// With the invitation's current link.
    pub with_link: bool,
    /// Variables of its kind besides those of every mail.
    pub extra: Value,
}

impl<'a> Letter<'a> {
    pub fn new(kind: MailKind, dedupe_key: String, invitation: &'a invitation::Model) -> Self {
        Self {
            kind,
            dedupe_key,
            invitation,
            with_link: true,
            extra: Value::Object(serde_json::Map::new()),
        }
    }
}

/// Queues `letter` at `at` (the scheduler's time, or [`now`]). `Ok(false)` when the
/// invitation has no officer or the key was queued.
pub async fn queue(
    db: &impl ConnectionTrait,
    mail: &MailContext,
    letter: Letter<'_>,
    at: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let Letter {
        kind,
        dedupe_key,
        invitation,
        with_link,
        extra,
    } = letter;
    let Some(officer) = officer_of(db, invitation)
        .await?
        .filter(|officer| officer.erased_at.is_none())
    else {
        return Ok(false); // no officer, or one erased on request: nobody to write to
    };
    let participant_id = officer.id;
    // The current link: the worker derives its token from this generation as it sends.
    let link_generation =
        (with_link && invitation.token_hash.is_some()).then_some(invitation.token_generation);
    let link = match link_generation {
        Some(_) => mail.link_without_token(),
        None => String::new(),
    };
    let mut context = variables(db, invitation, &officer, link, at).await?;
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
            at,
        },
    )
    .await
}

/// The variables every mail to the officer of `invitation` offers, as of `at`.
async fn variables(
    db: &impl ConnectionTrait,
    invitation: &invitation::Model,
    officer: &participant::Model,
    link: String,
    at: DateTime<Utc>,
) -> Result<Value, ServiceError> {
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
    let written_at = invitation.opens_at.max(at);
    let written_on = written_at.with_timezone(&tz).date_naive();
    let months_since_workshop = wording::whole_months(workshop.end_date, written_on);
    Ok(json!({
        "participant_name": officer.name,
        "administration_name": administration.name,
        "administration_code": administration.code,
        "round_title": round.title,
        "workshop_title": workshop.title,
        "workshop_start": workshop.start_date.to_string(),
        "workshop_end": workshop.end_date.to_string(),
        "months_since_workshop": months_since_workshop,
        "workshop_ago": wording::months_ago(months_since_workshop),
        "due_date": wording::moment(invitation.due_at, tz, &administration.name),
        "late": invitation.due_at <= written_at,
        "link": link,
        "office": OFFICE,
    }))
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
