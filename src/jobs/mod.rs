//! Work that runs on its own: the scheduler (invitations when a survey opens, reminders
//! before the due date) and the delivery worker (the mail outbox). Both read time from
//! an injected clock, so tests move time instead of waiting.

pub mod clock;
pub mod scheduler;
pub mod worker;

pub use clock::{Clock, ManualClock, SystemClock};
