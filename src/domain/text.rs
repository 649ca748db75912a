use serde::Deserialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// Longest free text accepted in a single-line field (titles, names).
pub const MAX_TEXT_CHARS: usize = 200;
/// Longest free text accepted in an answer, a label or a quote.
pub const MAX_LONG_TEXT_CHARS: usize = 4000;

/// JSON Schema form of the text rule below: no control characters but tab and line
/// breaks, and at least one character that is not white space.
const TEXT_PATTERN: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// Declares a free-text request type whose schema states the text rule exactly, so
/// clients can check input before sending it.
macro_rules! text_input {
    ($(#[$doc:meta])* $type:ident, $schema_name:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Deserialize)]
        #[serde(transparent)]
        pub struct $type(pub String);

        impl $type {
            /// The trimmed text, when it obeys the rule.
            pub fn parse(&self) -> Result<String, String> {
                required_text(&self.0, $max)
            }

            /// An absent value is `None`; a present one must obey the rule.
            pub fn parse_optional(value: Option<&Self>) -> Result<Option<String>, String> {
                value.map(Self::parse).transpose()
            }
        }

        impl PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some($max))
                    .pattern(Some(TEXT_PATTERN))
                    .description(Some(format!(
                        "Text of at most {} characters, not blank, without control characters \
                         other than tab and line breaks. Leading and trailing white space is removed.",
                        $max
                    )))
                    .into()
            }
        }

        impl ToSchema for $type {
            fn name() -> std::borrow::Cow<'static, str> {
                $schema_name.into()
            }
        }
    };
}

text_input!(
    /// A single-line text such as a title or a name.
    TextInput,
    "Text",
    MAX_TEXT_CHARS
);

text_input!(
    /// A longer text such as an answer, a question label or a quote.
    LongTextInput,
    "LongText",
    MAX_LONG_TEXT_CHARS
);

/// Longest mail template part accepted.
pub const MAX_TEMPLATE_CHARS: usize = 20_000;

text_input!(
    /// A part of a mail template (minijinja).
    TemplateInput,
    "TemplateText",
    MAX_TEMPLATE_CHARS
);

/// Checks `value` is present, printable and at most `max_chars` long; returns it trimmed.
pub fn required_text(value: &str, max_chars: usize) -> Result<String, String> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        // PostgreSQL rejects NUL in text; other control characters are never wanted either.
        return Err("must not contain control characters".into());
    }
    if value.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be blank".into());
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed() {
        assert_eq!(required_text("  AEO  ", 10).unwrap(), "AEO");
    }

    #[test]
    fn blank_text_is_rejected() {
        assert!(required_text("   ", 10).is_err());
        assert!(required_text("", 10).is_err());
    }

    #[test]
    fn nul_is_rejected() {
        assert!(required_text("a\0b", 10).is_err());
    }

    #[test]
    fn length_counts_characters_before_trimming() {
        assert!(required_text("ééé", 3).is_ok());
        assert!(required_text("éééé", 3).is_err());
        assert!(
            required_text(" ééé", 3).is_err(),
            "as the schema's maxLength counts"
        );
    }

    #[test]
    fn an_absent_optional_text_is_none() {
        assert_eq!(TextInput::parse_optional(None).unwrap(), None);
        assert!(TextInput::parse_optional(Some(&TextInput(" ".into()))).is_err());
    }
}
