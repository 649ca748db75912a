use std::fmt;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use chrono::{Datelike, NaiveDate};

/// The office's fiscal year, July to June, labelled like the report: `2019/20`.
/// Held as its first calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalYear(i32);

impl FiscalYear {
    const FIRST: i32 = 2000;
    const LAST: i32 = 2099;

    /// The fiscal year holding `date`.
    pub fn containing(date: NaiveDate) -> Self {
        if date.month() >= 7 {
            Self(date.year())
        } else {
            Self(date.year() - 1)
        }
    }

    /// Parses `2019/20`.
    pub fn parse(label: &str) -> Result<Self, String> {
        let invalid = || format!("must be a fiscal year like 2019/20, not {label:?}");
        let (first, second) = label.trim().split_once('/').ok_or_else(invalid)?;
        if first.len() != 4 || second.len() != 2 {
            return Err(invalid());
        }
        let start: i32 = first.parse().map_err(|_| invalid())?;
        let end: i32 = second.parse().map_err(|_| invalid())?;
        if !(Self::FIRST..=Self::LAST).contains(&start) {
            return Err(format!(
                "must lie between {} and {}",
                Self::FIRST,
                Self::LAST
            ));
        }
        if (start + 1) % 100 != end {
            return Err(format!(
                "the second year must follow the first: {start}/{:02}",
                (start + 1) % 100
            ));
        }
        Ok(Self(start))
    }

    pub fn from_start_year(year: i32) -> Self {
        Self(year)
    }

    pub fn start_year(self) -> i32 {
        self.0
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:02}", self.0, (self.0 + 1) % 100)
    }
}

impl PartialSchema for FiscalYear {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(
                (Self::FIRST..=Self::LAST).map(|year| Self(year).to_string()),
            ))
            .description(Some("Fiscal year, July to June, e.g. `2019/20`."))
            .examples(["2019/20"])
            .into()
    }
}

impl ToSchema for FiscalYear {}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn july_starts_a_fiscal_year() {
        assert_eq!(
            FiscalYear::containing(date(2019, 7, 1)).to_string(),
            "2019/20"
        );
        assert_eq!(
            FiscalYear::containing(date(2020, 6, 30)).to_string(),
            "2019/20"
        );
        assert_eq!(
            FiscalYear::containing(date(2020, 7, 1)).to_string(),
            "2020/21"
        );
    }

    #[test]
    fn the_century_rolls_over() {
        assert_eq!(FiscalYear::from_start_year(2099).to_string(), "2099/00");
        assert_eq!(FiscalYear::parse("2099/00").unwrap().start_year(), 2099);
    }

    #[test]
    fn labels_round_trip() {
        assert_eq!(FiscalYear::parse("2019/20").unwrap().start_year(), 2019);
    }

    #[test]
    fn malformed_labels_are_rejected() {
        for bad in [
            "2019", "2019/21", "19/20", "2019-20", "abcd/ef", "1999/00", "2100/01",
        ] {
            assert!(FiscalYear::parse(bad).is_err(), "{bad}");
        }
    }
}
