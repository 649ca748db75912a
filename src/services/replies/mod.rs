//! Replies: submitted or entered (`submit` with its `context`, starting from `locked`; a
//! revision on PostgreSQL in one statement, `revision_at_once`), stored (`answers`), shown
//! (`views`), and exported to and imported from CSV (`columns`, `export`, `import`,
//! `import_rows`).

pub mod answers;
pub mod columns;
pub mod context;
pub mod export;
pub mod import;
pub mod import_rows;
pub mod locked;
pub mod revision_at_once;
pub mod submit;
pub mod views;
