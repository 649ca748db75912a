//! The lowest layer: types that can only hold valid values (requests are parsed into them at
//! the edge, so services never see an unchecked string), the questionnaire and answers, the
//! schedule rules, and the refusals of the domain's rules (`refusal`). It imports no other
//! module of the crate.

mod administration_code;
pub mod answers;
pub mod delivery;
mod email;
mod fiscal_year;
pub mod lenient;
pub mod questionnaire;
pub mod refusal;
pub mod schedule;
pub mod spreadsheet;
mod text;
mod time_zone;
pub mod token;
mod validation;
pub mod version;
pub mod wording;

pub use administration_code::AdministrationCode;
pub use email::Email;
pub use fiscal_year::FiscalYear;
pub use text::{
    LongTextInput, MAX_LONG_TEXT_CHARS, MAX_TEXT_CHARS, TemplateInput, TextInput, required_text,
};
pub use time_zone::TimeZone;
pub use token::{Token, TokenKey};
pub use validation::{FieldError, InvalidInput, Validator};

/// The name a unit enum variant has on the wire (`scheduled`, `write-data`): its serde name.
pub fn wire_name(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
