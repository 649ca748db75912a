//! Personal data: where a participant's lie (`holdings`), everything held about one for
//! them to see (`export`), erasure on request (`erase`), deleting a participant who was
//! never invited (`removal`), and the retention of sent mail (`retention`).

mod contact_point;
pub mod erase;
pub mod export;
mod holdings;
pub mod removal;
pub mod retention;

pub use contact_point::{ERASED_CONTACT_POINT, erase_contact_point};
pub use holdings::{ERASED_NAME, erased_email};
