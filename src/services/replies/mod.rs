//! Replies: submitted or entered (`submit` with its `context`, starting from the invitation
//! locked with what it reads, `invitation_for_reply`), stored (`answers`), shown (`views`),
//! and exported to and imported from CSV (`columns`, `export`, `import`, `import_rows`, the
//! rounds that take history in `import_target`).

pub mod answers;
pub mod columns;
pub mod context;
pub mod export;
pub mod import;
pub mod import_rows;
pub mod import_target;
pub mod invitation_for_reply;
pub mod last_contact;
pub mod submit;
pub mod views;
