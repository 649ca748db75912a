use std::fmt::Display;

use serde::Serialize;
use utoipa::ToSchema;

/// One failing field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `email` or `participants[2].email`.
    pub field: String,
    /// What is wrong with it, in words a person can act on.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A request that failed validation, with every failing field.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(", "))]
pub struct InvalidInput(pub Vec<FieldError>);

impl InvalidInput {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }
}

/// Collects the failures of several fields so a client learns of all of them at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    /// Keeps the parsed value, or records the error against `field`.
    pub fn check<T, E: Display>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.fail(field, error.to_string());
                None
            }
        }
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// `Err` when any field failed. Callers destructure their `Option`s after this.
    pub fn finish(self) -> Result<(), InvalidInput> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(InvalidInput(self.errors))
        }
    }
}
