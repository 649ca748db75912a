//! A participant's personal data: everything held about them, and its erasure on request
//! (admins).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use entity::invitation::InvitationStatus;
use entity::mailing::{MailKind, MailStatus};
use entity::reply::Provenance;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::participants::Participant;
use crate::domain::version::Versioned;
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::conditional::tagged;
use crate::http::policy::Access;
use crate::http::state::AppState;
use crate::services::privacy::erase;
use crate::services::privacy::export::{self, PersonalData};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(export_personal_data)
        .service(erase_participant);
}

/// An invitation of the participant (its link's token is never stored, so never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldInvitation {
    pub id: i32,
    pub round_id: i32,
    pub workshop_id: i32,
    pub status: InvitationStatus,
    pub opens_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub link_issued_at: Option<DateTime<Utc>>,
    /// Whether a link currently opens the reply.
    pub link_active: bool,
}

/// One submission of a reply, as given.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldRevision {
    pub revision: i32,
    pub submitted_at: DateTime<Utc>,
    pub provenance: Provenance,
    /// The answers by question code.
    pub answers: Value,
}

/// A reply through one of the participant's invitations.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldReply {
    pub id: i32,
    pub round_id: i32,
    pub first_submitted_at: DateTime<Utc>,
    pub late: bool,
    pub revisions: Vec<HeldRevision>,
}

/// A mail to the participant.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldMail {
    pub id: i32,
    pub kind: MailKind,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub status: MailStatus,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Set when the subject and bodies were removed (retention or erasure).
    pub body_purged_at: Option<DateTime<Utc>>,
}

/// A change staff made to the participant or their invitations.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldAuditEntry {
    pub occurred_at: DateTime<Utc>,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Everything the service holds about one participant.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalDataExport {
    pub exported_at: DateTime<Utc>,
    pub participant: Participant,
    pub invitations: Vec<HeldInvitation>,
    pub replies: Vec<HeldReply>,
    pub mailings: Vec<HeldMail>,
    pub audit: Vec<HeldAuditEntry>,
}

impl From<PersonalData> for PersonalDataExport {
    fn from(data: PersonalData) -> Self {
        Self {
            exported_at: Utc::now(),
            participant: data.participant.into(),
            invitations: data
                .invitations
                .into_iter()
                .map(|i| HeldInvitation {
                    id: i.id,
                    round_id: i.round_id,
                    workshop_id: i.workshop_id,
                    status: i.status,
                    opens_at: i.opens_at,
                    due_at: i.due_at,
                    link_issued_at: i.token_issued_at,
                    link_active: i.token_hash.is_some(),
                })
                .collect(),
            replies: data
                .replies
                .into_iter()
                .map(|(reply, revisions)| HeldReply {
                    id: reply.id,
                    round_id: reply.round_id,
                    first_submitted_at: reply.first_submitted_at,
                    late: reply.late,
                    revisions: revisions
                        .into_iter()
                        .map(|r| HeldRevision {
                            revision: r.revision,
                            submitted_at: r.submitted_at,
                            provenance: r.provenance,
                            answers: r.answers,
                        })
                        .collect(),
                })
                .collect(),
            mailings: data
                .mailings
                .into_iter()
                .map(|m| HeldMail {
                    id: m.id,
                    kind: m.kind,
                    recipient: m.recipient,
                    subject: m.subject,
                    body_text: m.body_text,
                    status: m.status,
                    created_at: m.created_at,
                    sent_at: m.sent_at,
                    body_purged_at: m.body_purged_at,
                })
                .collect(),
            audit: data
                .audit
                .into_iter()
                .map(|a| HeldAuditEntry {
                    occurred_at: a.occurred_at,
                    actor_name: a.actor_name,
                    action: a.action,
                    entity_type: a.entity_type,
                    entity_id: a.entity_id,
                    before: a.before,
                    after: a.after,
                })
                .collect(),
        }
    }
}

/// Export everything held about a participant (admins).
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManagePersonalData))),
    tag = "participants",
    params(
        ("id" = i32, Path, description = "Workshop id"),
        ("participant_id" = i32, Path, description = "Participant id"),
    ),
    responses((status = 200, body = PersonalDataExport))
)]
#[get("/workshops/{id}/participants/{participant_id}/personal-data")]
async fn export_personal_data(
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (workshop_id, id) = path.into_inner();
    let data = export::export(&state.db, workshop_id, id).await?;
    Ok(HttpResponse::Ok().json(PersonalDataExport::from(data)))
}

/// Erase a participant's name, email and position everywhere (admins). The links stop
/// working, queued mail is withdrawn, sent mail loses its address and content; replies
/// stay, attributed to the administration only.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManagePersonalData))),
    tag = "participants",
    params(
        ("id" = i32, Path, description = "Workshop id"),
        ("participant_id" = i32, Path, description = "Participant id"),
    ),
    responses((status = 200, body = Participant))
)]
#[post("/workshops/{id}/participants/{participant_id}/erase")]
async fn erase_participant(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (workshop_id, id) = path.into_inner();
    let erased = erase::erase(&state.db, &state.mail, &caller.actor(), workshop_id, id).await?;
    Ok(tagged(
        erased.record.entity_tag(),
        &Participant::from(erased),
    ))
}
