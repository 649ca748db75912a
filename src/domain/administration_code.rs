use std::fmt;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// The code of a member administration as the report prints it: two or three letters,
/// stored upper-case (`MY`, `HK`, `WS`). Input is accepted in either case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdministrationCode(String);

impl AdministrationCode {
    pub fn parse(value: &str) -> Result<Self, String> {
        let code = value.to_ascii_uppercase();
        if (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err("must be two or three letters, e.g. MY".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for AdministrationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialSchema for AdministrationCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[A-Za-z]{2,3}$"))
            .description(Some("Two or three letters, e.g. `MY`; stored upper-case."))
            .examples(["MY"])
            .into()
    }
}

impl ToSchema for AdministrationCode {}

#[cfg(test)]
mod tests {
    use super::AdministrationCode;

    #[test]
    fn lower_case_input_is_stored_upper_case() {
        assert_eq!(AdministrationCode::parse("my").unwrap().as_str(), "MY");
    }

    #[test]
    fn digits_and_long_codes_are_rejected() {
        for bad in ["M1", "M", "MALA", "", "M-", " MY"] {
            assert!(AdministrationCode::parse(bad).is_err(), "{bad}");
        }
    }
}
