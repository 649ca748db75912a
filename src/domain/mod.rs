//! Types that can only hold valid values: requests are parsed into them at the edge, so
//! services never see an unchecked string.

mod administration_code;
mod email;
mod fiscal_year;
mod text;
mod time_zone;
mod validation;

pub use administration_code::AdministrationCode;
pub use email::Email;
pub use fiscal_year::FiscalYear;
pub use text::{MAX_TEXT_CHARS, TextInput, required_text};
pub use time_zone::TimeZone;
pub use validation::{FieldError, InvalidInput, Validator};
