//! What came back about the mail sent, and what follows for each address: a bounce from
//! the bounce mailbox or a refusal at send is recorded once, moves the address's state
//! (ok, soft, undeliverable, complained; see `domain::delivery`), suppresses the queued
//! reminders and feedback it stops, and is announced to webhooks. State is kept per
//! address, not per officer: the same officer is invited for several workshops. Staff's
//! what came back is recorded in `news`; staff's views of it are in `views`; reading the
//! bounce mailbox's messages in `returned`.

mod news;
mod returned;
mod views;

pub use news::{News, address_key, record};
pub use returned::{MAILBOX_LEASE, Returns, Taken, mailbox_health, take_returned};
pub use views::{AutoReply, Delivery, clear, deliveries, get, list, news_of_mailings};
