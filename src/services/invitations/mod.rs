//! Invitations: one per participant of each workshop of a scheduled round (created by
//! `super::rounds::schedule`), as staff see them (`views`), their personal links
//! (`links`), handed over to another officer (`hand_over`), and the mail that follows
//! the officer (`officer_mail`).

pub mod hand_over;
pub mod links;
pub mod officer_mail;
pub mod views;
