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
    /// A mail came back: the address is undeliverable (hard), soft-bounced, or the officer
    /// complained.
    #[serde(rename = "mailing.bounced")]
    MailingBounced,
    /// A mail was refused by the destination's policy (`5.7.x`): the office's sender setup
    /// fails for that domain.
    #[serde(rename = "mailing.blocked")]
    MailingBlocked,
    /// An automatic reply (out of office) came back to a mail.
    #[serde(rename = "mailing.auto_replied")]
    MailingAutoReplied,
    /// Staff accepted an officer's "not for me": the colleague named has the invitation.
    #[serde(rename = "handover.accepted")]
    HandoverAccepted,
    /// Staff rejected an officer's "not for me".
    #[serde(rename = "handover.rejected")]
    HandoverRejected,
}

impl EventType {
    pub const ALL: [Self; 10] = [
        Self::ReplySubmitted,
        Self::ReplyRevised,
        Self::RoundOpened,
        Self::RoundClosed,
        Self::MailingFailed,
        Self::MailingBounced,
        Self::MailingBlocked,
        Self::MailingAutoReplied,
        Self::HandoverAccepted,
        Self::HandoverRejected,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReplySubmitted => "reply.submitted",
            Self::ReplyRevised => "reply.revised",
            Self::RoundOpened => "round.opened",
            Self::RoundClosed => "round.closed",
            Self::MailingFailed => "mailing.failed",
            Self::MailingBounced => "mailing.bounced",
            Self::MailingBlocked => "mailing.blocked",
            Self::MailingAutoReplied => "mailing.auto_replied",
            Self::HandoverAccepted => "handover.accepted",
            Self::HandoverRejected => "handover.rejected",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}
