//! Survey rounds: their records and rules (`records`), the workshops subjected to them
//! (`attachments`), their life `draft` -> `scheduled` -> `open` -> `closed` (`states`), and
//! the schedule that turns rules into each invitation's opening and due times (`schedule`).

pub mod attachments;
pub mod records;
pub mod schedule;
pub mod states;
