//! Participants of a workshop: one officer per row, an email unique within the workshop.

use entity::{administration, participant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::audit::{self, Actor, Change};
use super::invitations::officer_mail;
use super::rounds::schedule;
use super::{administrations, workshops};
use crate::base::clock::now;
use crate::base::error::{NotFound, ServiceError};
use crate::base::listing::PageRequest;
use crate::base::listing::{Listing, page_of};
use crate::base::records;
use crate::base::search::text_search;
use crate::db;
use crate::domain::refusal::Refusal;
use crate::domain::version::Precondition;
use crate::domain::{AdministrationCode, Email};
use crate::mail::MailContext;

/// A valid participant.
#[derive(Debug, Clone)]
pub struct ParticipantInput {
    pub name: String,
    pub email: Email,
    pub position: Option<String>,
    pub administration: AdministrationCode,
}

/// The person of a participant, whose administration is given apart.
#[derive(Debug, Clone)]
pub struct Officer {
    pub name: String,
    pub email: Email,
    pub position: Option<String>,
}

impl From<ParticipantInput> for Officer {
    fn from(input: ParticipantInput) -> Self {
        Self {
            name: input.name,
            email: input.email,
            position: input.position,
        }
    }
}

/// A participant with the code of the administration they represent.
#[derive(Debug, Clone)]
pub struct Participant {
    pub record: participant::Model,
    pub administration_code: String,
}

#[derive(Debug, Default)]
pub struct ParticipantFilter {
    pub administration: Option<AdministrationCode>,
    pub text: Option<String>,
}

/// Ordered by administration code, then name.
pub async fn list(
    db: &DatabaseConnection,
    workshop_id: i32,
    filter: ParticipantFilter,
    page: PageRequest,
) -> Result<Listing<Participant>, ServiceError> {
    workshops::get(db, workshop_id).await?;
    let mut query = participant::Entity::find()
        .find_also_related(administration::Entity)
        .filter(participant::Column::WorkshopId.eq(workshop_id));
    if let Some(code) = filter.administration {
        query = query.filter(administration::Column::Code.eq(code.as_str()));
    }
    if let Some(text) = filter.text {
        query = query.filter(text_search(
            &[
                (participant::Entity, participant::Column::Name),
                (participant::Entity, participant::Column::Email),
            ],
            &text,
        ));
    }
    let query = query
        .order_by_asc(administration::Column::Code)
        .order_by_asc(participant::Column::Name)
        .order_by_asc(participant::Column::Id);
    Ok(page_of(query, db, page)
        .await?
        .map(|(record, administration)| Participant {
            record,
            administration_code: administration.map(|a| a.code).unwrap_or_default(),
        }))
}

fn not_of_workshop(workshop_id: i32, id: i32) -> ServiceError {
    NotFound::because(
        "participant",
        format!("participant {id} of workshop {workshop_id} does not exist"),
    )
    .into()
}

/// A participant of `workshop_id` a use case is about to change, locked as
/// [`lock_by_id`](crate::base::records::lock_by_id) locks.
pub async fn lock(
    txn: &impl ConnectionTrait,
    workshop_id: i32,
    id: i32,
) -> Result<participant::Model, ServiceError> {
    let query =
        participant::Entity::find_by_id(id).filter(participant::Column::WorkshopId.eq(workshop_id));
    records::lock(query, txn)
        .await?
        .ok_or_else(|| not_of_workshop(workshop_id, id))
}

pub async fn get(
    db: &impl ConnectionTrait,
    workshop_id: i32,
    id: i32,
) -> Result<Participant, ServiceError> {
    let (record, administration) = participant::Entity::find_by_id(id)
        .filter(participant::Column::WorkshopId.eq(workshop_id))
        .find_also_related(administration::Entity)
        .one(db)
        .await?
        .ok_or_else(|| not_of_workshop(workshop_id, id))?;
    Ok(Participant {
        record,
        administration_code: administration.map(|a| a.code).unwrap_or_default(),
    })
}

async fn ensure_email_free(
    db: &impl ConnectionTrait,
    workshop_id: i32,
    email: &Email,
    except_id: Option<i32>,
) -> Result<(), ServiceError> {
    let mut query = participant::Entity::find()
        .filter(participant::Column::WorkshopId.eq(workshop_id))
        .filter(participant::Column::Email.eq(email.as_str()));
    if let Some(id) = except_id {
        query = query.filter(participant::Column::Id.ne(id));
    }
    if query.count(db).await? > 0 {
        return Err(Refusal::ParticipantEmailTaken.into());
    }
    Ok(())
}

/// The administration a participant names, as a validation failure when it does not exist.
async fn administration_of(
    db: &impl ConnectionTrait,
    code: &AdministrationCode,
) -> Result<administration::Model, ServiceError> {
    administrations::get(db, code)
        .await
        .map_err(|error| error.missing_as_field("administration", "administration"))
}

/// Adds a participant to a workshop and, when the workshop is part of a scheduled or open
/// round, invites them.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    workshop_id: i32,
    input: ParticipantInput,
) -> Result<Participant, ServiceError> {
    let txn = db::begin(db).await?;
    workshops::get(&txn, workshop_id).await?;
    let administration = administration_of(&txn, &input.administration).await?;
    let created = insert(&txn, actor, workshop_id, &administration, input.into()).await?;
    schedule::create_for_participant(&txn, &created.record, &administration).await?;
    txn.commit().await?;
    Ok(created)
}

/// Writes `officer` as a participant of `administration` (audited) inside the caller's
/// transaction.
pub async fn insert(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    workshop_id: i32,
    administration: &administration::Model,
    input: Officer,
) -> Result<Participant, ServiceError> {
    ensure_email_free(txn, workshop_id, &input.email, None).await?;
    let at = now();
    let record = participant::ActiveModel {
        workshop_id: Set(workshop_id),
        administration_id: Set(administration.id),
        name: Set(input.name),
        email: Set(input.email.into_inner()),
        position: Set(input.position),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        actor,
        Change::created("participant", record.id, &record),
    )
    .await?;
    Ok(Participant {
        record,
        administration_code: administration.code.clone(),
    })
}

/// Changes a participant. A new address replaces their live links (the old ones went to
/// the old address) and readdresses their mail.
pub async fn update(
    db: &DatabaseConnection,
    mail: &MailContext,
    actor: &Actor,
    workshop_id: i32,
    id: i32,
    input: ParticipantInput,
    precondition: &Precondition,
) -> Result<Participant, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock(&txn, workshop_id, id).await?;
    precondition.check("participant", &before)?;
    let administration = administration_of(&txn, &input.administration).await?;
    ensure_email_free(&txn, workshop_id, &input.email, Some(id)).await?;
    let mut active: participant::ActiveModel = before.clone().into();
    active.administration_id = Set(administration.id);
    active.name = Set(input.name);
    active.email = Set(input.email.into_inner());
    active.position = Set(input.position);
    active.updated_at = Set(now());
    let record = active.update(&txn).await?;
    if before.administration_id != record.administration_id {
        schedule::follow_administration(&txn, &record, &administration).await?;
    }
    audit::record(
        &txn,
        actor,
        Change::updated("participant", id, &before, &record),
    )
    .await?;
    if before.email != record.email {
        officer_mail::address_changed(&txn, mail, actor, id).await?;
    }
    txn.commit().await?;
    Ok(Participant {
        record,
        administration_code: administration.code,
    })
}
