//! Replies: submitted or entered (`submit`, starting from `locked`), stored (`answers`), shown (`views`), and
//! exported to and imported from CSV (`columns`, `export`, `import`, `import_rows`).

pub mod answers;
pub mod columns;
pub mod export;
pub mod import;
pub mod import_rows;
pub mod locked;
pub mod submit;
pub mod views;
