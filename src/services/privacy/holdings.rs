//! Where a participant's personal data lie: their invitations, the mail addressed to them,
//! the audit entries about them, and what to look for (their names, addresses and
//! positions, as the audit log recorded them).

use entity::{audit_log, invitation, mailing, participant};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::Value;

use crate::base::error::ServiceError;

/// The name an erased participant is shown with.
pub const ERASED_NAME: &str = "Erased participant";

/// The address an erased participant is given: unique per participant, never deliverable
/// (`.invalid` is reserved, RFC 2606).
pub fn erased_email(participant_id: i32) -> String {
    format!("erased-{participant_id}@erased.invalid")
}

pub(super) async fn invitations_of(
    db: &impl ConnectionTrait,
    participant_id: i32,
) -> Result<Vec<invitation::Model>, ServiceError> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::ParticipantId.eq(participant_id))
        .order_by_asc(invitation::Column::Id)
        .all(db)
        .await?)
}

/// Mail addressed to the officer: recorded with them since mail names its officer, by
/// one of their addresses before (a hand-over gives the invitation to someone else, so the
/// invitation does not tell).
pub(super) async fn mailings_of(
    db: &impl ConnectionTrait,
    participant_id: i32,
    emails: &[String],
) -> Result<Vec<mailing::Model>, ServiceError> {
    Ok(mailing::Entity::find()
        .filter(
            Condition::any()
                .add(mailing::Column::ParticipantId.eq(participant_id))
                .add(
                    Condition::all()
                        .add(mailing::Column::ParticipantId.is_null())
                        .add(mailing::Column::Recipient.is_in(emails.iter().cloned())),
                ),
        )
        .order_by_asc(mailing::Column::Id)
        .all(db)
        .await?)
}

/// Audit entries about the participant or their invitations.
pub(super) async fn audit_of(
    db: &impl ConnectionTrait,
    participant_id: i32,
    invitation_ids: &[i32],
) -> Result<Vec<audit_log::Model>, ServiceError> {
    Ok(audit_log::Entity::find()
        .filter(
            audit_log::Column::EntityType
                .eq("participant")
                .and(audit_log::Column::EntityId.eq(participant_id.to_string()))
                .or(audit_log::Column::EntityType.eq("invitation").and(
                    audit_log::Column::EntityId
                        .is_in(invitation_ids.iter().map(ToString::to_string)),
                )),
        )
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await?)
}

/// What erasure removes: the participant's names, emails and positions, current and as the
/// audit log recorded earlier ones. A name or position is erased where a value is exactly
/// it, an email wherever it occurs (an SMTP error quoting it, say), so that a short name
/// does not erase unrelated words.
#[derive(Debug, Default)]
pub(super) struct Secrets {
    pub(super) exact: Vec<String>,
    pub(super) emails: Vec<String>,
}

impl Secrets {
    pub(super) fn of(record: &participant::Model, audit: &[audit_log::Model]) -> Self {
        let position = record.position.as_deref().unwrap_or_default();
        Self::of_person(
            "participant",
            [&record.name, &record.email, position],
            audit,
        )
    }

    /// A contact point's name and email, as its record and its audit entries hold them.
    pub(super) fn of_contact_point(
        record: &entity::contact_point::Model,
        audit: &[audit_log::Model],
    ) -> Self {
        Self::of_person("contact_point", [&record.name, &record.email, ""], audit)
    }

    /// The name, email and position of a person, and the values the audit entries about
    /// `entity_type` held for them.
    fn of_person(
        entity_type: &str,
        [name, email, position]: [&str; 3],
        audit: &[audit_log::Model],
    ) -> Self {
        let mut secrets = Self::default();
        let mut add = |key: &str, value: &str| {
            let value = value.trim().to_lowercase();
            let list = if key == "email" {
                &mut secrets.emails
            } else {
                &mut secrets.exact
            };
            if !value.is_empty() && !list.contains(&value) {
                list.push(value);
            }
        };
        add("name", name);
        add("email", email);
        add("position", position);
        for entry in audit.iter().filter(|e| e.entity_type == entity_type) {
            for snapshot in [&entry.before, &entry.after].into_iter().flatten() {
                for key in ["name", "email", "position"] {
                    if let Some(value) = snapshot.get(key).and_then(Value::as_str) {
                        add(key, value);
                    }
                }
            }
        }
        secrets
    }

    fn hides(&self, text: &str) -> bool {
        let text = text.trim().to_lowercase();
        self.exact.contains(&text) || self.emails.iter().any(|email| text.contains(email))
    }

    /// Rewrites the audit `entries` with every secret they hold replaced.
    pub(super) async fn scrub_audit(
        &self,
        db: &impl ConnectionTrait,
        entries: Vec<audit_log::Model>,
    ) -> Result<(), ServiceError> {
        for entry in entries {
            let (before, after) = (entry.before.clone(), entry.after.clone());
            let mut active: audit_log::ActiveModel = entry.into();
            active.before = Set(before.map(|v| self.scrub(&v)));
            active.after = Set(after.map(|v| self.scrub(&v)));
            active.update(db).await?;
        }
        Ok(())
    }

    /// `value` with every string holding a secret replaced.
    pub(super) fn scrub(&self, value: &Value) -> Value {
        match value {
            Value::String(text) if self.hides(text) => Value::String("[erased]".into()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.scrub(v)).collect()),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), self.scrub(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}
