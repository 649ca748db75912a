use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a mail is for.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    #[sea_orm(string_value = "invitation")]
    Invitation,
    #[sea_orm(string_value = "reminder")]
    Reminder,
    #[sea_orm(string_value = "thank_you")]
    ThankYou,
    #[sea_orm(string_value = "feedback")]
    Feedback,
    /// To an administration's contact points: its officers who have not replied.
    #[sea_orm(string_value = "escalation")]
    Escalation,
    /// The weekly digest of an open round, to the office.
    #[sea_orm(string_value = "digest")]
    Digest,
}

/// Where a mail is in the outbox.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Waiting for (another) delivery attempt.
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Refused for good, or out of attempts.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// No longer wanted (a reminder after a reply).
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// Not sent: the address is undeliverable or complained (`suppressed_reason` says).
    #[sea_orm(string_value = "suppressed")]
    Suppressed,
}

/// One mail in the durable outbox, written in the transaction of the change that causes it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "mailings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: MailKind,
    /// Unique per invitation, kind and reminder offset: queuing twice queues once.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub round_id: Option<i32>,
    pub invitation_id: Option<i32>,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// Stable across retries, so a duplicate delivery can be recognized.
    #[sea_orm(unique)]
    pub message_id: String,
    pub status: MailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A worker holds the mail until then; afterwards another may take it.
    pub leased_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// Set when the subject and bodies were removed: under the retention setting after
    /// the round closed, or when the recipient was erased.
    pub body_purged_at: Option<DateTimeUtc>,
    /// The generation of the invitation's link the bodies point to: they hold a
    /// placeholder, replaced by the token (derived from the key) only when sent.
    pub link_generation: Option<i32>,
    /// The officer the mail was addressed to (none for mail older than this column).
    pub participant_id: Option<i32>,
    /// Why a mail was written as suppressed instead of sent.
    pub suppressed_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
