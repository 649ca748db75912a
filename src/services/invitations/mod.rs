//! Invitations: one per participant of each workshop of a scheduled round (created by
//! `super::rounds::schedule`), as staff see them (`views`), and their personal links
//! (`links`).

pub mod links;
pub mod views;
