use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What came back about a mail.
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
pub enum Finding {
    /// A notice that changes nothing: delivered or relayed (`2.x.x`), or delayed (a
    /// warning; the final notice follows).
    #[sea_orm(string_value = "notice")]
    Notice,
    /// The address does not exist or cannot be reached (hard bounce).
    #[sea_orm(string_value = "undeliverable")]
    Undeliverable,
    /// The destination will not take it now (soft bounce).
    #[sea_orm(string_value = "soft")]
    Soft,
    /// Refused by the destination's policy: the sender's setup, not the address.
    #[sea_orm(string_value = "blocked")]
    Blocked,
    /// The officer reported the mail as spam (ARF).
    #[sea_orm(string_value = "complaint")]
    Complaint,
    /// An out-of-office or other automatic reply.
    #[sea_orm(string_value = "auto_reply")]
    AutoReply,
}

/// Where the news came from.
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
pub enum Source {
    /// A message in the bounce mailbox.
    #[sea_orm(string_value = "mailbox")]
    Mailbox,
    /// The relay refused the mail while it was sent (5xx).
    #[sea_orm(string_value = "smtp")]
    Smtp,
}

/// One thing that came back about one mail and address.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "delivery_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub mailing_id: Option<i32>,
    /// The address it is about, lowercase.
    pub address: String,
    pub finding: Finding,
    pub code: Option<String>,
    /// The diagnostic or the automatic reply's text, shortened.
    pub detail: Option<String>,
    pub source: Source,
    /// The returned message's key and report: one message is recorded once.
    #[sea_orm(unique)]
    pub source_key: Option<String>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
