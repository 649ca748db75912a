//! Work that runs on its own beside the HTTP server: the scheduler (invitations when a
//! survey opens, reminders before the due date, clean-ups), the mail delivery worker and
//! the webhook worker. They are drivers like the handlers: each pass calls use cases of
//! `crate::services` and mail or webhook transports, and reads the time from an injected
//! `crate::base::clock::Clock`, so tests move time instead of waiting.

pub mod bounce_poller;
pub mod poll;
pub mod scheduler;
pub mod webhook_worker;
pub mod worker;
