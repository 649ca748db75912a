use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether the first request with a key has finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "completed")]
    Completed,
}

/// A request sent with an `Idempotency-Key`, and its response once it has one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Whose key it is: a digest of the caller's credential.
    pub scope: String,
    pub key: String,
    /// A digest of the method, path, query and body of the first request.
    pub fingerprint: String,
    pub state: KeyState,
    pub response_status: Option<i32>,
    /// The response headers worth replaying (content type, location, ETag).
    pub response_headers: Option<Json>,
    pub response_body: Option<Vec<u8>>,
    /// The first request holds the key until then; a crashed one lets it go.
    pub locked_until: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
