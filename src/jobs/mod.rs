//! Work that runs on its own: the scheduler (invitations when a survey opens, reminders
//! before the due date), the delivery worker (the mail outbox) and the webhook worker. All
//! read time from an injected clock, so tests move time instead of waiting.

pub mod clock;
pub mod queue;
pub mod scheduler;
pub mod webhook_worker;
pub mod worker;

pub use clock::{Clock, ManualClock, SystemClock};
