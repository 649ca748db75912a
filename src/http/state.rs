//! What every handler can reach: the database and what this instance keeps in memory.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::analytics::cache::AnalyticsCache;
use crate::analytics::findings::MinBase;
use crate::base::changes::Changes;
use crate::base::kept_connections::KeptConnections;
use crate::mail::MailContext;
use crate::services::api_keys::KeyCache;
use crate::services::questionnaires::QuestionCache;
use crate::services::replies::submit::Context;
use crate::services::reports::Caches;
use crate::webhooks::TargetPolicy;
use crate::webhooks::directory::Directory;

#[derive(Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub mail: MailContext,
    /// The questions of rounds whose questionnaire can no longer change, read once.
    pub questions: QuestionCache,
    pub analytics_cache: AnalyticsCache,
    /// Below this base, findings and feedback mail give counts without percentages.
    pub min_base: MinBase,
    /// How long a stored `Idempotency-Key` response is replayed.
    pub idempotency_ttl: chrono::Duration,
    /// Where webhooks may be sent.
    pub webhook_policy: TargetPolicy,
    /// The active webhook endpoints, kept in memory.
    pub webhooks: Directory,
    /// Active API keys, kept in memory.
    pub keys: KeyCache,
    /// Whether what is kept in memory still holds.
    pub changes: Changes,
    /// PostgreSQL connections the reply path keeps between requests.
    pub connections: Arc<KeptConnections>,
}

impl AppState {
    /// What analytics are read with.
    pub fn caches(&self) -> Caches<'_> {
        Caches {
            questions: &self.questions,
            figures: &self.analytics_cache,
            min_base: self.min_base,
        }
    }

    /// What a reply's submission needs of the application.
    pub fn submit_context(&self) -> Context<'_> {
        Context {
            mail: &self.mail,
            questions: &self.questions,
            webhooks: &self.webhooks,
            connections: &self.connections,
        }
    }
}

/// The OpenAPI document as served at `/openapi.json`, serialized once.
#[derive(Debug, Clone)]
pub struct ApiDocument {
    pub json: String,
}
