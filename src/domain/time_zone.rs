use std::str::FromStr;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// An IANA time zone name such as `Pacific/Tongatapu`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(name: &str) -> Result<Self, String> {
        chrono_tz::Tz::from_str(name)
            .map(Self)
            .map_err(|_| "must be an IANA time zone name, e.g. Asia/Kuala_Lumpur".into())
    }

    /// The zone of a stored name (names are checked when written); UTC should one have
    /// become unreadable.
    pub fn of_stored(name: &str) -> chrono_tz::Tz {
        Self::parse(name).map_or(chrono_tz::UTC, Self::tz)
    }

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Every name the service knows, sorted.
    pub fn names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> =
            chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        names.sort_unstable();
        names
    }
}

impl PartialSchema for TimeZone {
    /// A name the server checks; the names it knows are listed at `GET /v1/time-zones`
    /// (an enum of them would hold aliases that generators turn into one identifier).
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(64))
            .description(Some(
                "IANA time zone name; `GET /v1/time-zones` lists those the service knows.",
            ))
            .examples(["Asia/Kuala_Lumpur"])
            .into()
    }
}

impl ToSchema for TimeZone {}

#[cfg(test)]
mod tests {
    use super::TimeZone;

    #[test]
    fn iana_names_parse() {
        assert_eq!(
            TimeZone::parse("Asia/Kathmandu").unwrap().name(),
            "Asia/Kathmandu"
        );
    }

    #[test]
    fn unknown_names_are_rejected() {
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }
}
