//! SeaORM entities of the Follow-up Actions Survey service: one module per table.
//!
//! Enumerations stored as text live beside the table that owns them; they are plain
//! values (no behaviour) so the API can expose them unchanged.
#![forbid(unsafe_code)]

pub mod administration;
pub mod api_key;
pub mod audit_log;
pub mod participant;
pub mod workshop;
