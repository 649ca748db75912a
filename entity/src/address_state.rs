use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where an address stands with the mail sent to it.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
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
pub enum AddressState {
    /// Nothing came back, or staff cleared it.
    #[default]
    #[sea_orm(string_value = "ok")]
    Ok,
    /// Soft bounces, not yet enough to give up on it.
    #[sea_orm(string_value = "soft")]
    Soft,
    /// Mail to it does not arrive: reminders and feedback are suppressed.
    #[sea_orm(string_value = "undeliverable")]
    Undeliverable,
    /// The officer reported the mail as spam: reminders of that round and feedback are
    /// suppressed.
    #[sea_orm(string_value = "complained")]
    Complained,
}

/// The state of one address (lowercase), shared by every officer and mail that use it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "address_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub address: String,
    pub state: AddressState,
    /// Soft bounces since the address was last fine.
    pub soft_count: i32,
    pub soft_since: Option<DateTimeUtc>,
    /// The RFC 3463 code of the bounce that set the state.
    pub code: Option<String>,
    /// What the destination said, shortened.
    pub detail: Option<String>,
    /// The round a complaint was about.
    pub complained_round_id: Option<i32>,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
