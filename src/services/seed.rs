//! Reference data every installation starts with: the WCO Asia/Pacific member
//! administrations. Loading is idempotent: existing codes (possibly edited by staff) are kept.

use anyhow::Context;
use entity::administration::{self, SubRegion};
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, EntityTrait, Set};

use crate::base::clock::now;
use crate::db;
use crate::domain::{AdministrationCode, TimeZone};

const ADMINISTRATIONS_CSV: &str = include_str!("administrations.csv");

/// One row of `administrations.csv`: code, name, sub-region, time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedAdministration {
    pub code: AdministrationCode,
    pub name: String,
    pub sub_region: SubRegion,
    pub time_zone: TimeZone,
}

/// The region's administrations as shipped with the service.
pub fn member_administrations() -> anyhow::Result<Vec<SeedAdministration>> {
    let mut reader = csv::Reader::from_reader(ADMINISTRATIONS_CSV.as_bytes());
    reader
        .records()
        .enumerate()
        .map(|(index, record)| {
            let line = index + 2;
            let record = record.with_context(|| format!("administrations.csv line {line}"))?;
            let field = |i: usize| record.get(i).unwrap_or_default();
            Ok(SeedAdministration {
                code: at(line, "code", AdministrationCode::parse(field(0)))?,
                name: field(1).to_owned(),
                sub_region: at(line, "sub_region", sub_region(field(2)))?,
                time_zone: at(line, "time_zone", TimeZone::parse(field(3)))?,
            })
        })
        .collect()
}

fn at<T>(line: usize, column: &str, parsed: Result<T, String>) -> anyhow::Result<T> {
    parsed.map_err(|e| anyhow::anyhow!("administrations.csv line {line}, {column}: {e}"))
}

fn sub_region(name: &str) -> Result<SubRegion, String> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|_| format!("unknown sub-region {name:?}"))
}

/// Inserts the administrations that are missing; returns how many were added.
pub async fn administrations(db: &DatabaseConnection) -> anyhow::Result<u64> {
    let at = now();
    let rows = member_administrations()?
        .into_iter()
        .map(|seed| administration::ActiveModel {
            code: Set(seed.code.into_inner()),
            name: Set(seed.name),
            sub_region: Set(seed.sub_region),
            time_zone: Set(seed.time_zone.name().to_owned()),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        });
    let txn = db::begin(db).await?;
    let inserted = administration::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(administration::Column::Code)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .context("seeding administrations")?;
    txn.commit().await?;
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_has_35_members_in_four_sub_regions() {
        let members = member_administrations().unwrap();
        assert_eq!(members.len(), 35);
        let count = |region| members.iter().filter(|m| m.sub_region == region).count();
        assert_eq!(count(SubRegion::SubContinent), 9);
        assert_eq!(count(SubRegion::FarEast), 6);
        assert_eq!(count(SubRegion::Asean), 10);
        assert_eq!(count(SubRegion::AustralasiaOceania), 10);
    }

    #[test]
    fn tonga_keeps_its_own_time_zone() {
        let members = member_administrations().unwrap();
        let tonga = members.iter().find(|m| m.code.as_str() == "TO").unwrap();
        assert_eq!(tonga.time_zone.name(), "Pacific/Tongatapu");
    }
}
