//! Schema migrations only; seed data is loaded by the service (`followup migrate`, start-up).
#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_registry;
mod m20261128_000002_rounds;
mod m20261128_000003_mail;
mod m20261128_000004_answer_rounds;
mod m20261128_000005_integration;
mod m20261128_000006_privacy;
mod m20261130_000007_keep_replies;
mod m20261130_000008_officers;
mod m20261130_000009_optional_topic;
mod m20261130_000010_analytics_epoch;
mod m20261130_000011_change_notices;
mod m20261130_000012_facts_indexes;
mod m20261130_000013_round_changes;
mod m20261130_000014_practices_by_round;
mod m20261205_000015_without_change_counters;
mod m20261206_000016_deliverability;
mod m20261206_000017_follow_up;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_registry::Migration),
            Box::new(m20261128_000002_rounds::Migration),
            Box::new(m20261128_000003_mail::Migration),
            Box::new(m20261128_000004_answer_rounds::Migration),
            Box::new(m20261128_000005_integration::Migration),
            Box::new(m20261128_000006_privacy::Migration),
            Box::new(m20261130_000007_keep_replies::Migration),
            Box::new(m20261130_000008_officers::Migration),
            Box::new(m20261130_000009_optional_topic::Migration),
            Box::new(m20261130_000010_analytics_epoch::Migration),
            Box::new(m20261130_000011_change_notices::Migration),
            Box::new(m20261130_000012_facts_indexes::Migration),
            Box::new(m20261130_000013_round_changes::Migration),
            Box::new(m20261130_000014_practices_by_round::Migration),
            Box::new(m20261205_000015_without_change_counters::Migration),
            Box::new(m20261206_000016_deliverability::Migration),
            Box::new(m20261206_000017_follow_up::Migration),
        ]
    }
}
