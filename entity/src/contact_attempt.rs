use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How staff tried to reach an officer.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[sea_orm(string_value = "phone")]
    Phone,
    #[sea_orm(string_value = "personal_email")]
    PersonalEmail,
    #[sea_orm(string_value = "in_person")]
    InPerson,
    #[sea_orm(string_value = "via_contact_point")]
    ViaContactPoint,
}

/// What came of it.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The officer promised to answer.
    #[sea_orm(string_value = "promised")]
    Promised,
    /// The survey reached the wrong person.
    #[sea_orm(string_value = "wrong_person")]
    WrongPerson,
    /// The officer left the administration.
    #[sea_orm(string_value = "left_administration")]
    LeftAdministration,
    #[sea_orm(string_value = "no_answer")]
    NoAnswer,
    #[sea_orm(string_value = "refused")]
    Refused,
}

/// Staff trying to reach the officer of an invitation without a reply.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "contact_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub invitation_id: i32,
    pub channel: Channel,
    pub outcome: Outcome,
    pub note: Option<String>,
    /// When staff made the attempt.
    pub attempted_at: DateTimeUtc,
    /// Who recorded it (the API key's name).
    pub recorded_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
