//! Versions of stored records as HTTP entity tags, and the precondition a write may carry
//! (`If-Match`) so that two editors cannot overwrite each other's changes unseen.

use std::fmt::Display;

use chrono::{DateTime, Utc};
use entity::{administration, good_practice, participant, questionnaire, round, webhook, workshop};
use sha2::{Digest, Sha256};

/// A strong entity tag as it goes on the wire, quotes included: `"3f2a..."`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTag(String);

impl EntityTag {
    /// The tag of one version of a stored record: its kind, its key and when it last changed.
    pub fn of_version(kind: &str, key: impl Display, changed_at: DateTime<Utc>) -> Self {
        Self::of_bytes(
            format!("{kind}\u{1f}{key}\u{1f}{}", changed_at.timestamp_micros()).as_bytes(),
        )
    }

    /// The tag of a representation: a digest of its bytes.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self(format!("\"{}\"", &hex::encode(Sha256::digest(bytes))[..32]))
    }

    /// A tag as a response header carries it.
    pub fn from_header(value: &str) -> Self {
        Self(value.trim().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `If-None-Match`: whether the header lists this tag (weak comparison) or is `*`.
    pub fn listed_weakly_in(&self, header: &str) -> bool {
        let mine = self.0.strip_prefix("W/").unwrap_or(&self.0);
        header
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == mine)
    }

    /// `If-Match`: whether the header lists this tag (strong comparison) or is `*`.
    pub fn listed_strongly_in(&self, header: &str) -> bool {
        header
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == self.0)
    }
}

/// A stored record whose versions have tags.
pub trait Versioned {
    fn entity_tag(&self) -> EntityTag;
}

macro_rules! versioned_by_id {
    ($($module:ident),+) => {$(
        impl Versioned for $module::Model {
            fn entity_tag(&self) -> EntityTag {
                EntityTag::of_version(stringify!($module), self.id, self.updated_at)
            }
        }
    )+};
}

versioned_by_id!(
    administration,
    good_practice,
    participant,
    questionnaire,
    round,
    webhook,
    workshop
);

/// What a write requires of the version it changes: nothing, or (`If-Match`) one of the
/// listed tags.
#[derive(Debug, Clone, Default)]
pub struct Precondition {
    if_match: Option<String>,
}

/// The stored record has changed since the client read it.
#[derive(Debug, thiserror::Error)]
#[error(
    "the {kind} has changed since it was read (its ETag is now {current}); read it again and reapply the change"
)]
pub struct PreconditionFailed {
    pub kind: &'static str,
    pub current: String,
}

impl Precondition {
    /// No precondition: the write applies to whatever version is stored.
    pub fn none() -> Self {
        Self::default()
    }

    /// The tags of an `If-Match` header.
    pub fn if_match(header: impl Into<String>) -> Self {
        Self {
            if_match: Some(header.into()),
        }
    }

    /// Passes unless an `If-Match` names none of the current version's tags.
    pub fn check(
        &self,
        kind: &'static str,
        current: &impl Versioned,
    ) -> Result<(), PreconditionFailed> {
        let tag = current.entity_tag();
        match &self.if_match {
            Some(header) if !tag.listed_strongly_in(header) => Err(PreconditionFailed {
                kind,
                current: tag.0,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_change_with_the_version_and_compare_as_rfc_9110_says() {
        let at = DateTime::from_timestamp(1_600_000_000, 5_000).unwrap();
        let tag = EntityTag::of_version("workshop", 7, at);
        assert_eq!(tag, EntityTag::of_version("workshop", 7, at));
        assert_ne!(tag, EntityTag::of_version("workshop", 8, at));
        assert_ne!(
            tag,
            EntityTag::of_version("workshop", 7, at + chrono::Duration::microseconds(1))
        );
        let quoted = tag.as_str().to_owned();
        assert!(quoted.starts_with('"') && quoted.ends_with('"'));
        assert!(tag.listed_strongly_in(&format!("\"x\", {quoted}")));
        assert!(tag.listed_strongly_in("*"));
        assert!(!tag.listed_strongly_in(&format!("W/{quoted}")));
        assert!(tag.listed_weakly_in(&format!("W/{quoted}")));
        assert!(!tag.listed_weakly_in("\"other\""));
    }
}
