//! What every handler can reach: the database, and the few settings and read-only copies
//! (the questions of questionnaire versions, which never change) its use cases need.

use sea_orm::DatabaseConnection;

use crate::analytics::findings::MinBase;
use crate::mail::MailContext;
use crate::services::questionnaires::QuestionCache;
use crate::services::replies::context::{Context, RevisionBounds};
use crate::services::reports::Analysis;
use crate::webhooks::TargetPolicy;

#[derive(Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub mail: MailContext,
    /// The questions of rounds whose questionnaire can no longer change, read once.
    pub questions: QuestionCache,
    /// Below this base, findings and feedback mail give counts without percentages.
    pub min_base: MinBase,
    /// How long a stored `Idempotency-Key` response is replayed.
    pub idempotency_ttl: chrono::Duration,
    /// Where webhooks may be sent.
    pub webhook_policy: TargetPolicy,
    /// How often one link may change its answers.
    pub revisions: RevisionBounds,
    /// A failpoint of the fault tests (`failpoint` setting).
    pub failpoint: Option<String>,
}

impl AppState {
    /// What the analytics use cases need besides the database.
    pub fn analysis(&self) -> Analysis<'_> {
        Analysis {
            questions: &self.questions,
            min_base: self.min_base,
        }
    }

    /// What a reply's submission needs besides the database.
    pub fn submit_context(&self) -> Context<'_> {
        Context {
            mail: &self.mail,
            questions: &self.questions,
            revisions: self.revisions,
        }
    }
}

/// The OpenAPI document as served at `/openapi.json`, serialized once.
#[derive(Debug, Clone)]
pub struct ApiDocument {
    pub json: String,
}
