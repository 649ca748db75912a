//! What a submission needs besides the database: the mail it queues, and what this
//! instance keeps in memory (questions, webhook endpoints, connections).

use crate::base::kept_connections::KeptConnections;
use crate::mail::MailContext;
use crate::services::questionnaires::QuestionCache;
use crate::webhooks::directory::Directory;

/// What a submission needs besides the database.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub mail: &'a MailContext,
    pub questions: &'a QuestionCache,
    pub webhooks: &'a Directory,
    /// The connections a revision through a link runs on (PostgreSQL).
    pub connections: &'a KeptConnections,
}
