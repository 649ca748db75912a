//! What services, mail, analytics and the jobs share, below all of them: the clock, the
//! error every use case returns, page-at-a-time listing, reading and locking records,
//! text search, the claim of due queue rows and spreadsheets.
//! Nothing here knows a use case, and nothing here imports a module above it (see
//! `tests/api/layout.rs`).

pub mod clock;
pub mod error;
pub mod lease;
pub mod listing;
pub mod markup;
pub mod queue;
pub mod records;
pub mod search;
pub mod sheet_reading;
pub mod sheets;
