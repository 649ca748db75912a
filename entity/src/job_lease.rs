use sea_orm::entity::prelude::*;

/// A job only one instance may run at a time (the bounce mailbox's poller): the instance
/// holding it and until when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "job_leases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub holder: String,
    pub leased_until: DateTimeUtc,
    /// The last pass that worked, and the failures since (with the last one's reason, in
    /// words that name nobody): `/readyz` shows them, whichever instance answers.
    pub last_success_at: Option<DateTimeUtc>,
    pub last_failure_at: Option<DateTimeUtc>,
    pub failures: i32,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
