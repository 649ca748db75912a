//! The analytics of a round, as the Good Practice Report has them, computed from stored
//! data: reply rates (Table 1), choices per option (Table 2), yes/no outcomes (Tables 3, 5,
//! 6) and cross-tabulations naming the administrations (Tables 4, 7), each share with a
//! Wilson interval and each 2x2 table with Fisher's exact test; findings written from the
//! figures, trends across rounds, and the report.
//!
//! Analytics reads a round's counted facts in one pass (`round_data`), with its own
//! aggregate queries (`queries`, `member_counts`) counting the trends over many rounds and
//! serving as the reference the facts are tested against. Nothing is kept between
//! requests. It is given the round and its questions (`context`) by its callers, the use
//! cases of `crate::services::reports`; it never calls a use case. `render` prints the
//! report.

pub mod context;
pub mod cross_tab;
pub mod dispositions;
pub mod findings;
pub mod member_counts;
pub mod queries;
pub mod render;
pub mod report;
pub mod round_data;
pub mod selector;
pub mod stats;
pub mod tables;
pub mod trends;
pub mod what_worked;
