//! Survey rounds: their records and rules (`records`), the workshops subjected to them
//! (`attachments`), their life `draft` -> `scheduled` -> `open` -> `closed` (`states`), and
//! the schedule that turns rules into each invitation's opening and due times (`schedule`),
//! and what that schedule will do, with its problems (`timeline`).

pub mod attachments;
pub mod records;
pub mod schedule;
pub mod states;
pub mod timeline;
