//! Webhooks: events sent to registered endpoints through a durable queue, signed per the
//! Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
//! Deliveries are written in the transaction of the change that causes them (see
//! `services::events`), sent by `jobs::webhook_worker`, retried with backoff and recorded
//! attempt by attempt.

pub mod event_type;
pub mod payloads;
pub mod signature;
pub mod target;

pub use event_type::EventType;
pub use target::TargetPolicy;
