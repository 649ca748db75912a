use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a caller holding a key may do; see `Permission` in the service crate.
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
pub enum Role {
    /// Everything, including API keys and the audit log.
    #[sea_orm(string_value = "admin")]
    Admin,
    /// Reads everything; changes data, rounds and mailings.
    #[sea_orm(string_value = "editor")]
    Editor,
    /// Reads everything; changes nothing.
    #[sea_orm(string_value = "viewer")]
    Viewer,
    /// Partner systems: analytics and reports only, never names, emails or tokens.
    #[sea_orm(string_value = "partner")]
    Partner,
}

/// An API key. Only the SHA-256 digest of the secret is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub role: Role,
    /// The first characters of the key, shown so people can tell keys apart.
    pub prefix: String,
    #[sea_orm(unique)]
    #[serde(skip_serializing)]
    pub key_hash: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
