use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How the report groups a good practice.
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
pub enum Category {
    #[sea_orm(string_value = "operational_improvement")]
    OperationalImprovement,
    #[sea_orm(string_value = "strategic_empowerment")]
    StrategicEmpowerment,
    #[sea_orm(string_value = "direct_effect")]
    DirectEffect,
    #[sea_orm(string_value = "efficiency")]
    Efficiency,
    #[sea_orm(string_value = "modernization_project")]
    ModernizationProject,
    #[sea_orm(string_value = "other_action")]
    OtherAction,
}

impl Category {
    /// Every category, in the order the printed report gives them.
    pub const ALL: [Category; 6] = [
        Category::OperationalImprovement,
        Category::StrategicEmpowerment,
        Category::DirectEffect,
        Category::Efficiency,
        Category::ModernizationProject,
        Category::OtherAction,
    ];

    /// The heading the printed report gives the category.
    pub fn label(self) -> &'static str {
        match self {
            Category::OperationalImprovement => "Operational improvement",
            Category::StrategicEmpowerment => "Strategic empowerment",
            Category::DirectEffect => "Direct effects",
            Category::Efficiency => "Work efficiency and effectiveness",
            Category::ModernizationProject => "Modernization projects",
            Category::OtherAction => "Other follow-up actions",
        }
    }

    /// The category's place in [`Category::ALL`].
    pub fn position(self) -> usize {
        Self::ALL
            .iter()
            .position(|c| *c == self)
            .unwrap_or(Self::ALL.len())
    }
}

/// A quote from a reply, curated by staff for the report and the feedback mailing.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "good_practices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub round_id: i32,
    pub reply_id: Option<i32>,
    pub question_code: Option<String>,
    /// The words as the reply gave them.
    pub quote: String,
    /// The words as staff edited them for publication.
    pub text: String,
    pub category: Category,
    pub administration_id: i32,
    pub workshop_id: i32,
    pub approved_for_report: bool,
    pub approved_for_feedback: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
