//! Use cases. Each public function that writes is one transaction, with its audit entry,
//! outbox mail and events inside it; handlers, jobs and the command line call exactly one
//! of them. What they share sits in `crate::base`; the analytics they hand rounds to sit in
//! `crate::analytics`. Modules here import each other without loops (`tests/api/layout.rs`).

pub mod administrations;
pub mod api_keys;
pub mod audit;
pub mod contact_attempts;
pub mod contact_points;
pub mod deliverability;
pub mod digest;
pub mod due_mail;
pub mod escalations;
pub mod events;
pub mod feedback;
pub mod follow_up;
pub mod good_practices;
pub mod handover_requests;
pub mod idempotency;
pub mod invitations;
pub mod mail_templates;
pub mod mailings;
pub mod participants;
pub mod privacy;
pub mod questionnaires;
pub mod replies;
pub mod reports;
pub mod rounds;
pub mod seed;
pub mod webhooks;
pub mod workshops;
