//! Every way a rule of the domain refuses a change, with the words a person reads. Use
//! cases return these (inside `ServiceError::Refused`) instead of free text, so callers can
//! branch on them, the HTTP edge maps them to `409 Conflict` in one place, and a test can
//! list every text.

use super::wording::{count, with_article};

/// A change the domain's rules do not allow now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    // Rounds and their states.
    #[error("round number {number} is taken")]
    RoundNumberTaken { number: i32 },
    #[error("the questionnaire can change only while the round is a draft")]
    QuestionnaireFixed,
    #[error("the schedule rules cannot change once the round is open; override them per workshop")]
    RulesFixed,
    #[error("only a draft round can be deleted; this one is {state}")]
    OnlyDraftDeleted { state: String },
    #[error("{} imported into this round; it cannot be deleted with them", count(*replies, "reply was", "replies were"))]
    RoundHasReplies { replies: u64 },
    #[error("round {number} is closed; its data are final")]
    RoundClosed { number: i32 },
    #[error("{} round cannot be {transition}", with_article(state))]
    IllegalTransition {
        state: String,
        transition: &'static str,
    },
    #[error("attach at least one workshop before scheduling")]
    NoWorkshopAttached,
    // Workshops in rounds.
    #[error("the workshop is already part of round {number} ({title})")]
    WorkshopInAnotherRound { number: i32, title: String },
    #[error("{} in for this workshop; it stays in the round", count(*replies, "reply came", "replies came"))]
    WorkshopHasReplies { replies: u64 },
    #[error("the workshop is part of round {round_id}; take it out of the round first")]
    WorkshopInRound { round_id: i32 },
    // The registry.
    #[error("an administration with code {code} already exists")]
    AdministrationCodeTaken { code: String },
    #[error("{} to {code}; reassign or delete them first", count(*participants, "participant belongs", "participants belong"))]
    AdministrationHasParticipants { code: String, participants: u64 },
    #[error("another participant of this workshop has this email address")]
    ParticipantEmailTaken,
    #[error(
        "the participant has {}, with links and mail addressed to them; \
         erase them instead (POST .../erase): their name and email are removed everywhere and \
         their links revoked",
        count(*invitations, "invitation", "invitations")
    )]
    ParticipantInvited { invitations: u64 },
    #[error(
        "version {version} is used by a round and cannot change; publish a new version instead"
    )]
    QuestionnaireInUse { version: i32 },
    #[error("this is the last active admin key; create another admin key first")]
    LastAdminKey,
    #[error("a key cannot revoke itself; revoke it with another admin key")]
    RevokeOwnKey,
    // Invitations and their links.
    #[error("the round is closed; its invitations take no new links")]
    NoLinksInClosedRound,
    #[error(
        "the invitation has no officer to write to (none, or erased on request); hand it over first"
    )]
    NoOfficer,
    #[error("the invitation is already this officer's")]
    AlreadyTheOfficers,
    #[error("the hand-over request was decided already")]
    HandoverDecided,
    #[error("this officer has an invitation of their own in the round")]
    OfficerHasOwnInvitation,
    // Replies.
    #[error("the round is closed; replies are final")]
    RepliesFinal,
    #[error(
        "these answers were changed {most} times, the most a link may change them; write to \
         the survey office to change them further"
    )]
    RevisionsUsedUp { most: u32 },
    #[error(
        "these answers were changed {per_hour} times in the last hour; they may be changed \
         again in {} minutes",
        retry_after_secs.div_ceil(60)
    )]
    RevisedTooOften {
        per_hour: u32,
        retry_after_secs: u64,
    },
    #[error(
        "the round is {state}: its invitations belong to officers who answer by their own \
         links, where imported replies would show as theirs. Import history into a draft \
         round, or into a closed round that never gave out links or mail"
    )]
    ImportIntoLiveRound { state: String },
    #[error(
        "{} out in this round; imported history would show under live links. Import \
         history into a draft round, or into a closed round that never gave out links or mail",
        count(*sent, "link or mail went", "links or mails went")
    )]
    ImportAfterLinks { sent: u64 },
    // Mail and webhooks.
    #[error("a draft round has nobody to send feedback to")]
    FeedbackOfDraft,
    #[error("the feedback of \"{workshop}\" can be released after its due date ({due})")]
    FeedbackBeforeDueDate {
        workshop: String,
        due: String,
        /// The request named the workshop.
        workshop_asked: bool,
    },
    #[error("the mail is still queued; it will be sent")]
    MailStillQueued,
    #[error(
        "this mail was addressed to {whom}; send the invitation to its current officer instead \
         (POST /v1/invitations/{invitation_id}/resend)"
    )]
    MailToFormerOfficer {
        whom: &'static str,
        invitation_id: i32,
    },
    #[error(
        "the link in this mail was revoked; issue a new link or resend the invitation \
         (POST /v1/invitations/{invitation_id}/resend)"
    )]
    MailLinkRevoked { invitation_id: i32 },
    #[error("the mail's content was removed (retention or erasure); there is nothing to send")]
    MailPurged,
    #[error("the delivery is still queued; it will be tried")]
    DeliveryStillQueued,
    #[error("rounds 5 and 6 exist already: the demo data are loaded")]
    DemoLoaded,
    // What the database itself refuses when two requests race past the checks above.
    #[error("a record with the same unique values already exists")]
    Duplicate,
    #[error("the record is referenced by, or refers to, records that prevent this change")]
    StillReferenced,
}

impl Refusal {
    /// The request field the refusal is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::RoundNumberTaken { .. } => Some("round_number"),
            Self::QuestionnaireFixed => Some("questionnaire_id"),
            Self::RulesFixed => Some("reply_window_days"),
            Self::WorkshopInAnotherRound { .. } => Some("workshop_id"),
            Self::AdministrationCodeTaken { .. } | Self::AdministrationHasParticipants { .. } => {
                Some("code")
            }
            Self::ParticipantEmailTaken
            | Self::AlreadyTheOfficers
            | Self::OfficerHasOwnInvitation => Some("email"),
            Self::FeedbackBeforeDueDate {
                workshop_asked: true,
                ..
            } => Some("workshop_id"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The refusals whose text depends on a count, in the singular and the plural.
    #[test]
    fn counted_refusals_agree_with_their_count() {
        let texts = [
            Refusal::RoundHasReplies { replies: 1 }.to_string(),
            Refusal::RoundHasReplies { replies: 2 }.to_string(),
            Refusal::WorkshopHasReplies { replies: 1 }.to_string(),
            Refusal::WorkshopHasReplies { replies: 3 }.to_string(),
            Refusal::AdministrationHasParticipants {
                code: "MY".into(),
                participants: 1,
            }
            .to_string(),
            Refusal::AdministrationHasParticipants {
                code: "MY".into(),
                participants: 4,
            }
            .to_string(),
        ];
        assert_eq!(
            texts,
            [
                "1 reply was imported into this round; it cannot be deleted with them",
                "2 replies were imported into this round; it cannot be deleted with them",
                "1 reply came in for this workshop; it stays in the round",
                "3 replies came in for this workshop; it stays in the round",
                "1 participant belongs to MY; reassign or delete them first",
                "4 participants belong to MY; reassign or delete them first",
            ]
        );
        let invited = Refusal::ParticipantInvited { invitations: 1 }.to_string();
        assert!(
            invited.starts_with("the participant has 1 invitation, with"),
            "{invited}"
        );
        let sent = Refusal::ImportAfterLinks { sent: 1 }.to_string();
        assert!(
            sent.starts_with("1 link or mail went out in this round;"),
            "{sent}"
        );
    }
}
