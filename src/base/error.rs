//! The one outcome type of the use cases below the HTTP edge. A use case fails because the
//! record is not there, the input is invalid, a rule of the domain refuses (a typed
//! [`Refusal`]), an `If-Match` precondition no longer holds, or something unexpected broke
//! (the database, a bug); `crate::error` maps each to its problem type, in one place.
//!
//! Database errors name what was being done: a `?` on a `DbErr` records the file and line
//! of the failing call (the `?` passes its location to `From`), and the record helpers add
//! the entity and id. Callers branch on `NotFound::what` and on the refusal's variant.

use std::panic::Location;

use sea_orm::{DbErr, SqlErr};

use crate::domain::InvalidInput;
use crate::domain::refusal::Refusal;
use crate::domain::version::PreconditionFailed;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    NotFound(#[from] NotFound),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    PreconditionFailed(#[from] PreconditionFailed),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A record that does not exist, or that the caller may not know of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct NotFound {
    /// The kind of record: `round`, `workshop`, `link`...
    pub what: &'static str,
    pub detail: String,
}

impl NotFound {
    /// "`what` `key` does not exist".
    pub fn record(what: &'static str, key: impl std::fmt::Display) -> Self {
        Self {
            what,
            detail: format!("{what} {key} does not exist"),
        }
    }

    /// A record missing for a reason the detail explains.
    pub fn because(what: &'static str, detail: impl Into<String>) -> Self {
        Self {
            what,
            detail: detail.into(),
        }
    }
}

impl ServiceError {
    /// "`what` `key` does not exist".
    pub fn not_found(what: &'static str, key: impl std::fmt::Display) -> Self {
        NotFound::record(what, key).into()
    }

    /// A missing record that the request named in `field` becomes an invalid field: the
    /// request, not the address, is wrong.
    pub fn missing_as_field(self, what: &str, field: &str) -> Self {
        match self {
            Self::NotFound(missing) if missing.what == what => {
                InvalidInput::field(field, missing.detail).into()
            }
            other => other,
        }
    }
}

impl From<DbErr> for ServiceError {
    /// Constraint violations that slipped past a use case's own checks (two requests racing)
    /// are refusals, never internal errors. Anything else keeps where it happened.
    #[track_caller]
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Refusal::Duplicate.into(),
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Refusal::StillReferenced.into(),
            _ => {
                let at = Location::caller();
                Self::Unexpected(anyhow::Error::new(error).context(format!(
                    "database operation failed at {}:{}",
                    at.file(),
                    at.line()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failing_query() -> Result<(), DbErr> {
        Err(DbErr::Custom("connection reset".into()))
    }

    fn use_case() -> Result<(), ServiceError> {
        failing_query()?;
        Ok(())
    }

    #[test]
    fn a_database_error_names_where_it_happened() {
        let Err(ServiceError::Unexpected(cause)) = use_case() else {
            panic!("a database error is unexpected");
        };
        let text = format!("{cause:#}");
        assert!(
            text.contains("database operation failed at src/base/error.rs:"),
            "{text}"
        );
        assert!(text.contains("connection reset"), "{text}");
    }

    #[test]
    fn a_missing_reference_becomes_an_invalid_field() {
        let error =
            ServiceError::not_found("workshop", 7).missing_as_field("workshop", "workshop_id");
        let ServiceError::Invalid(InvalidInput(fields)) = error else {
            panic!("an invalid field");
        };
        assert_eq!(fields[0].field, "workshop_id");
        assert_eq!(fields[0].message, "workshop 7 does not exist");
        let other = ServiceError::not_found("round", 7).missing_as_field("workshop", "workshop_id");
        assert!(
            matches!(other, ServiceError::NotFound(_)),
            "another record stays missing"
        );
    }
}
