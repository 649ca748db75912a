//! The events an endpoint can subscribe to.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    /// A reply's first submission (by link or by staff; imported history sends none).
    #[serde(rename = "reply.submitted")]
    ReplySubmitted,
    /// A later revision of a reply.
    #[serde(rename = "reply.revised")]
    ReplyRevised,
    /// A round opened (by staff or when its first workshop's survey opened).
    #[serde(rename = "round.opened")]
    RoundOpened,
    /// A round closed: its replies are final.
    #[serde(rename = "round.closed")]
    RoundClosed,
    /// A mail could not be delivered for good.
    #[serde(rename = "mailing.failed")]
    MailingFailed,
}

impl EventType {
    pub const ALL: [Self; 5] = [
        Self::ReplySubmitted,
        Self::ReplyRevised,
        Self::RoundOpened,
        Self::RoundClosed,
        Self::MailingFailed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReplySubmitted => "reply.submitted",
            Self::ReplyRevised => "reply.revised",
            Self::RoundOpened => "round.opened",
            Self::RoundClosed => "round.closed",
            Self::MailingFailed => "mailing.failed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}
