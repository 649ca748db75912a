//! What a returned mail says about an address, by the standard codes (RFC 3463
//! enhanced status codes, `class.subject.detail`), and how an address's state follows.
//!
//! - `5.1.x` (bad mailbox, bad domain) and `5.4.4` (no route to the domain): the address
//!   is undeliverable at once.
//! - `4.x.x` (the destination will not take it now) and `5.2.2` (mailbox full): soft;
//!   the address becomes undeliverable only after [`SOFT_LIMIT`] of them over at least
//!   [`SOFT_SPAN_DAYS`] days.
//! - `5.7.x` (refused by policy: the sender's domain fails the destination's checks,
//!   Outlook's `5.7.515` among them): blocked. Not the address's fault: nothing is
//!   suppressed, the office is alerted that its sender setup fails for that domain.
//! - Any other `5.x.x`: a permanent failure of the address (undeliverable).
//! - A complaint (an ARF report, RFC 5965) stops the reminders of that round and the
//!   feedback to the address; an auto-reply (RFC 3834) suppresses nothing and is kept as
//!   text for staff (it often names a colleague).

use chrono::{DateTime, Duration, Utc};

/// Soft bounces before an address counts as undeliverable...
pub const SOFT_LIMIT: i32 = 3;
/// ...spread over at least this many days.
pub const SOFT_SPAN_DAYS: i64 = 7;

/// An RFC 3463 status code such as `5.1.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl StatusCode {
    /// The first `class.subject.detail` in `text` (a DSN's `Status:` field, a diagnostic,
    /// an SMTP reply), with class 2, 4 or 5.
    pub fn find_in(text: &str) -> Option<Self> {
        text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find_map(Self::parse)
    }

    fn parse(word: &str) -> Option<Self> {
        let mut parts = word.trim_matches('.').split('.');
        let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || class.len() != 1 || subject.len() > 3 || detail.len() > 3 {
            return None;
        }
        let class: u8 = class.parse().ok()?;
        matches!(class, 2 | 4 | 5).then_some(())?;
        Some(Self {
            class,
            subject: subject.parse().ok()?,
            detail: detail.parse().ok()?,
        })
    }

    /// What the code says about the address.
    pub fn finding(self) -> Finding {
        match (self.class, self.subject, self.detail) {
            (2, _, _) => Finding::Notice,
            (4, _, _) | (5, 2, 2) => Finding::Soft,
            (5, 1, _) | (5, 4, 4) => Finding::Undeliverable,
            (5, 7, _) => Finding::Blocked,
            _ => Finding::Undeliverable,
        }
    }
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

use entity::address_state;
pub use entity::address_state::AddressState;
pub use entity::delivery_event::Finding;
use entity::mailing::MailKind;

/// Reminders and feedback to an address in `state` are written as suppressed.
pub fn suppresses(state: AddressState) -> bool {
    matches!(
        state,
        AddressState::Undeliverable | AddressState::Complained
    )
}

/// Why mail of `kind` in `round_id` to an address in `state` is not sent, if it is not.
pub fn suppression(
    state: &address_state::Model,
    kind: MailKind,
    round_id: Option<i32>,
) -> Option<String> {
    let stopped = match (state.state, kind) {
        (AddressState::Undeliverable, MailKind::Reminder | MailKind::Feedback) => true,
        (AddressState::Complained, MailKind::Feedback) => true,
        (AddressState::Complained, MailKind::Reminder) => {
            state.complained_round_id.is_none() || state.complained_round_id == round_id
        }
        _ => false,
    };
    stopped.then(|| match state.state {
        AddressState::Complained => format!(
            "the officer reported mail of the survey as spam on {}",
            state.changed_at.format("%Y-%m-%d")
        ),
        _ => format!(
            "the address is undeliverable ({} on {})",
            state.code.as_deref().unwrap_or("refused"),
            state.changed_at.format("%Y-%m-%d")
        ),
    })
}

/// An address's state and the soft bounces counted towards giving up on it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Standing {
    pub state: AddressState,
    pub soft_count: i32,
    pub soft_since: Option<DateTime<Utc>>,
}

impl Standing {
    /// The standing after `finding` arrived at `at`.
    pub fn after(&self, finding: Finding, at: DateTime<Utc>) -> Self {
        match (self.state, finding) {
            // A complaint outranks a bounce; an undeliverable address stays so until
            // staff clear it.
            (AddressState::Complained, _) => self.clone(),
            (_, Finding::Complaint) => Self {
                state: AddressState::Complained,
                ..self.clone()
            },
            (AddressState::Undeliverable, _) => self.clone(),
            (_, Finding::Undeliverable) => Self {
                state: AddressState::Undeliverable,
                ..self.clone()
            },
            (_, Finding::Soft) => {
                let since = self.soft_since.unwrap_or(at);
                let count = self.soft_count + 1;
                let given_up = count >= SOFT_LIMIT && at - since >= Duration::days(SOFT_SPAN_DAYS);
                Self {
                    state: if given_up {
                        AddressState::Undeliverable
                    } else {
                        AddressState::Soft
                    },
                    soft_count: count,
                    soft_since: Some(since),
                }
            }
            _ => self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Finding {
        StatusCode::find_in(text).expect(text).finding()
    }

    #[test]
    fn the_standard_codes_say_what_became_of_the_mail() {
        assert_eq!(code("5.1.1"), Finding::Undeliverable);
        assert_eq!(code("5.1.10"), Finding::Undeliverable);
        assert_eq!(code("5.4.4"), Finding::Undeliverable);
        assert_eq!(code("4.2.2"), Finding::Soft);
        assert_eq!(code("4.4.7"), Finding::Soft);
        assert_eq!(code("5.2.2"), Finding::Soft);
        assert_eq!(code("5.7.1"), Finding::Blocked);
        assert_eq!(code("5.7.515"), Finding::Blocked);
        assert_eq!(code("5.0.0"), Finding::Undeliverable);
        assert_eq!(code("2.0.0"), Finding::Notice);
        assert_eq!(
            code("550 5.1.1 <a@b.example>: Recipient address rejected"),
            Finding::Undeliverable
        );
        assert_eq!(StatusCode::find_in("version 1.2.3 of 2024"), None);
        assert_eq!(StatusCode::find_in("no code"), None);
        assert_eq!(
            StatusCode::find_in("smtp; 550 5.7.515 Access denied")
                .unwrap()
                .to_string(),
            "5.7.515"
        );
    }

    #[test]
    fn soft_bounces_give_up_on_an_address_only_after_several_over_a_week() {
        let day = |d: i64| DateTime::from_timestamp(1_790_000_000 + d * 86_400, 0).unwrap();
        let mut standing = Standing::default();
        for d in [0, 1, 2, 3] {
            standing = standing.after(Finding::Soft, day(d));
            assert_eq!(standing.state, AddressState::Soft, "day {d}");
        }
        assert_eq!(standing.soft_count, 4);
        standing = standing.after(Finding::Soft, day(7));
        assert_eq!(standing.state, AddressState::Undeliverable);
        // Two over a month are not enough.
        let two = Standing::default()
            .after(Finding::Soft, day(0))
            .after(Finding::Soft, day(30));
        assert_eq!(two.state, AddressState::Soft);
    }

    #[test]
    fn blocks_and_auto_replies_leave_the_address_alone_and_a_complaint_outranks_all() {
        let at = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let ok = Standing::default();
        assert_eq!(ok.after(Finding::Blocked, at), ok);
        assert_eq!(ok.after(Finding::AutoReply, at), ok);
        let complained = ok.after(Finding::Complaint, at);
        assert_eq!(complained.state, AddressState::Complained);
        assert_eq!(
            complained.after(Finding::Undeliverable, at).state,
            AddressState::Complained
        );
        let gone = ok.after(Finding::Undeliverable, at);
        assert_eq!(
            gone.after(Finding::Soft, at).state,
            AddressState::Undeliverable
        );
        assert_eq!(
            gone.after(Finding::Complaint, at).state,
            AddressState::Complained
        );
    }
}
