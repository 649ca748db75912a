//! Table 1's dispositions: what became of each invitation of a round (replied, replied
//! late, no reply, undeliverable, handed over), counted per workshop in the database.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, Statement};
use serde::Serialize;
use utoipa::ToSchema;

use super::stats::Share;

/// What became of a group's invitations, each counted once: a reply (on time or late)
/// first; else undeliverable, handed over, or no reply. They add up to the invited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Dispositions {
    pub replied: u64,
    pub replied_late: u64,
    pub no_reply: u64,
    /// No reply, and mail to the invited officer's address did not arrive (a hard bounce,
    /// or soft ones that gave the address up).
    pub undeliverable: u64,
    /// No reply, and the invitation went on to another officer.
    pub handed_over: u64,
}

impl std::ops::Add for Dispositions {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            replied: self.replied + other.replied,
            replied_late: self.replied_late + other.replied_late,
            no_reply: self.no_reply + other.no_reply,
            undeliverable: self.undeliverable + other.undeliverable,
            handed_over: self.handed_over + other.handed_over,
        }
    }
}

impl Dispositions {
    /// Replies of the invitations whose mail arrived (all but the undeliverable).
    pub fn rate_over_delivered(self) -> Share {
        let replied = self.replied + self.replied_late;
        Share::new(replied, replied + self.no_reply + self.handed_over)
    }
}

/// What became of each invitation of a round, counted per workshop: replied on time or late; else undeliverable (a hard bounce of a mail to
/// the invited officer, or their address given up on), handed over (its mail went to more
/// than one officer), or no reply.
pub async fn per_workshop(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<HashMap<i32, Dispositions>, DbErr> {
    let backend = db.get_database_backend();
    let parameter = match backend {
        sea_orm::DatabaseBackend::Postgres => "$1",
        _ => "?",
    };
    let undeliverable = "(EXISTS (SELECT 1 FROM delivery_events e \
             JOIN mailings m ON m.id = e.mailing_id \
           WHERE m.invitation_id = i.id AND m.participant_id = i.participant_id \
             AND e.finding = 'undeliverable') \
         OR EXISTS (SELECT 1 FROM address_states s JOIN participants p ON p.email = s.address \
           WHERE p.id = i.participant_id AND s.state = 'undeliverable'))";
    let handed_over = "(SELECT COUNT(DISTINCT m.participant_id) FROM mailings m \
           WHERE m.invitation_id = i.id AND m.kind = 'invitation') > 1";
    let sql = format!(
        "SELECT i.workshop_id, \
           SUM(CASE WHEN r.id IS NOT NULL AND NOT r.late THEN 1 ELSE 0 END) AS replied, \
           SUM(CASE WHEN r.id IS NOT NULL AND r.late THEN 1 ELSE 0 END) AS replied_late, \
           SUM(CASE WHEN r.id IS NULL AND {undeliverable} THEN 1 ELSE 0 END) AS undeliverable, \
           SUM(CASE WHEN r.id IS NULL AND NOT {undeliverable} AND {handed_over} \
             THEN 1 ELSE 0 END) AS handed_over, \
           COUNT(*) AS invited \
         FROM invitations i LEFT JOIN replies r ON r.invitation_id = i.id \
         WHERE i.round_id = {parameter} GROUP BY i.workshop_id"
    );
    let statement = Statement::from_sql_and_values(backend, sql, [round_id.into()]);
    let mut found = HashMap::new();
    for row in db.query_all_raw(statement).await? {
        let count = |column: &str| -> Result<u64, DbErr> {
            Ok(u64::try_from(row.try_get::<i64>("", column)?).unwrap_or(0))
        };
        let (replied, replied_late, undeliverable, handed_over) = (
            count("replied")?,
            count("replied_late")?,
            count("undeliverable")?,
            count("handed_over")?,
        );
        let invited = count("invited")?;
        found.insert(
            row.try_get::<i32>("", "workshop_id")?,
            Dispositions {
                replied,
                replied_late,
                no_reply: invited
                    .saturating_sub(replied + replied_late + undeliverable + handed_over),
                undeliverable,
                handed_over,
            },
        );
    }
    Ok(found)
}
