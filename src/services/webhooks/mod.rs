//! Webhooks: the endpoints admins register (`endpoints`) and the deliveries of events to
//! them (`deliveries`). Signing and the target policy are `crate::webhooks`; sending is
//! `crate::jobs::webhook_worker`.

pub mod deliveries;
pub mod endpoints;
