//! What a submission needs besides the database: the mail it queues, the questions of
//! questionnaire versions (kept in memory: a published version never changes), and how
//! often a link may change its answers.

use crate::mail::MailContext;
use crate::services::questionnaires::QuestionCache;

/// What a submission needs besides the database.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub mail: &'a MailContext,
    pub questions: &'a QuestionCache,
    pub revisions: RevisionBounds,
}

/// How often one link may change its answers; every change accepted is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionBounds {
    pub per_hour: u32,
    pub in_all: u32,
}
