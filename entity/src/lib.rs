//! SeaORM entities of the Follow-up Actions Survey service: one module per table.
//!
//! Enumerations stored as text live beside the table that owns them; they are plain
//! values (no behaviour) so the API can expose them unchanged.
#![forbid(unsafe_code)]

pub mod address_state;
pub mod administration;
pub mod answer;
pub mod answer_choice;
pub mod api_key;
pub mod audit_log;
pub mod contact_attempt;
pub mod contact_point;
pub mod delivery_event;
pub mod event;
pub mod good_practice;
pub mod handover_request;
pub mod idempotency_key;
pub mod invitation;
pub mod job_lease;
pub mod mail_template;
pub mod mailing;
pub mod participant;
pub mod questionnaire;
pub mod reply;
pub mod reply_revision;
pub mod round;
pub mod round_workshop;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod workshop;
