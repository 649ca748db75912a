//! What a submission needs besides the database: the mail it queues, and the questions of
//! questionnaire versions (kept in memory: a published version never changes).

use crate::mail::MailContext;
use crate::services::questionnaires::QuestionCache;

/// What a submission needs besides the database.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub mail: &'a MailContext,
    pub questions: &'a QuestionCache,
}
