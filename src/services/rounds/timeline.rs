//! What a round's schedule will do, before and while it does it: per attached workshop and
//! administration, when invitations go out, the due date and each reminder, in UTC and in
//! the administration's local time, with the officers to write to, and the problems staff
//! should see before scheduling (a due date already past, a reminder that would fall
//! before its invitation goes out, a workshop without participants or with participants
//! lacking an email).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::address_state::{self, AddressState};
use entity::round::{self, RoundState};
use entity::{administration, participant};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::states::Transition;
use super::{attachments, schedule};
use crate::base::error::ServiceError;
use crate::base::records::find_by_id;
use crate::domain::refusal::Refusal;
use crate::domain::schedule::{ScheduleRules, WorkshopDates, reminder_follows};
use crate::domain::wording::count;
use crate::domain::{TimeZone, wire_name};

/// An instant, in UTC and as the clock on an administration's wall shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Moment {
    #[schema(example = "2020-06-12T01:00:00Z")]
    pub utc: DateTime<Utc>,
    /// Local time with its offset, RFC 3339.
    #[schema(example = "2020-06-12T09:00:00+08:00")]
    pub local: String,
}

impl Moment {
    fn at(instant: DateTime<Utc>, tz: Tz) -> Self {
        Self {
            utc: instant,
            local: instant.with_timezone(&tz).to_rfc3339(),
        }
    }
}

/// One reminder of an administration's invitations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedReminder {
    #[schema(example = 7)]
    pub days_before_due: u32,
    pub at: Moment,
    /// Its moment passes more than a few hours before the invitation goes out (a round
    /// scheduled late), so it is never sent.
    pub skipped: bool,
}

/// The mail of one workshop's officers in one administration.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdministrationTimeline {
    #[schema(example = "MY")]
    pub code: String,
    #[schema(example = "Malaysia")]
    pub name: String,
    #[schema(example = "Asia/Kuala_Lumpur")]
    pub time_zone: String,
    /// Participants of the workshop from this administration.
    pub officers: u64,
    /// When the survey opens: invitations go out then, or at once when that has passed.
    pub invitations_at: Moment,
    pub due_at: Moment,
    pub reminders: Vec<PlannedReminder>,
}

/// What a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// The due date has passed already (history can be scheduled; replies come in late).
    DueDatePassed,
    /// A reminder's moment comes less than a day after its invitation goes out; it is
    /// skipped.
    ReminderBeforeInvitation,
    /// The workshop has nobody to invite.
    NoParticipants,
    /// Some participants have no email address (erased on request): they get no mail.
    ParticipantsWithoutEmail,
    /// Some participants' addresses are undeliverable (bounced) or complained: their
    /// reminders and feedback are suppressed.
    UndeliverableAddresses,
}

/// A problem staff should see before (or after) scheduling.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineWarning {
    pub code: WarningCode,
    pub workshop_id: i32,
    #[schema(example = "the due date of \"AEO\" (2020-07-03) has passed already")]
    pub message: String,
}

/// One attached workshop's schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkshopTimeline {
    pub workshop_id: i32,
    pub title: String,
    pub end_date: chrono::NaiveDate,
    /// The day invitations open, 09:00 local time.
    pub opens_on: chrono::NaiveDate,
    pub due_on: chrono::NaiveDate,
    pub participants: u64,
    /// Participants who cannot be written to (their address was erased on request).
    pub without_email: u64,
    /// Participants whose address is undeliverable or complained (see `/v1/addresses`).
    pub undeliverable: u64,
    /// By administration code.
    pub administrations: Vec<AdministrationTimeline>,
}

/// What the round's schedule does, workshop by workshop, with its problems.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Timeline {
    pub round_id: i32,
    /// The state the timeline is of: a preview of scheduling shows `scheduled`.
    pub state: RoundState,
    /// The time the timeline was computed at (what "passed" is measured against).
    pub as_of: DateTime<Utc>,
    /// By start date.
    pub workshops: Vec<WorkshopTimeline>,
    pub warnings: Vec<TimelineWarning>,
}

/// The timeline of round `id` as it stands.
pub async fn of_round(
    db: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
) -> Result<Timeline, ServiceError> {
    let round = find_by_id::<round::Entity>(db, "round", id).await?;
    of(db, &round, now).await
}

/// The timeline of `round` as given (a round just changed, whose change another
/// transaction may not see yet: it is built from the round's workshops and participants).
pub async fn of(
    db: &impl ConnectionTrait,
    round: &round::Model,
    now: DateTime<Utc>,
) -> Result<Timeline, ServiceError> {
    build(db, round, round.state, now).await
}

/// What scheduling round `id` now would do, refused as scheduling itself would be.
pub async fn preview_scheduling(
    db: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
) -> Result<Timeline, ServiceError> {
    let round = find_by_id::<round::Entity>(db, "round", id).await?;
    let Some(state) = Transition::Schedule.target(round.state) else {
        return Err(Refusal::IllegalTransition {
            state: wire_name(round.state),
            transition: Transition::Schedule.done(),
        }
        .into());
    };
    let timeline = build(db, &round, state, now).await?;
    if timeline.workshops.is_empty() {
        return Err(Refusal::NoWorkshopAttached.into());
    }
    Ok(timeline)
}

async fn build(
    db: &impl ConnectionTrait,
    round: &round::Model,
    state: RoundState,
    now: DateTime<Utc>,
) -> Result<Timeline, ServiceError> {
    let attached = attachments::of_round(db, round.id).await?;
    let participants = participant::Entity::find()
        .find_also_related(administration::Entity)
        .filter(participant::Column::WorkshopId.is_in(attached.iter().map(|(_, w)| w.id)))
        .all(db)
        .await?;
    let suppressed = suppressed_addresses(db, &participants).await?;
    // Only a round not yet open has its mail ahead of it to warn about.
    let ahead = matches!(state, RoundState::Draft | RoundState::Scheduled);
    let mut workshops = Vec::with_capacity(attached.len());
    let mut warnings = Vec::new();
    for (attachment, workshop) in &attached {
        let rules = schedule::effective_rules(round, attachment);
        let dates = schedule::dates(round, attachment, workshop);
        let mine: Vec<_> = participants
            .iter()
            .filter(|(p, _)| p.workshop_id == workshop.id)
            .collect();
        let mut by_code: BTreeMap<String, AdministrationTimeline> = BTreeMap::new();
        for (_, administration) in &mine {
            let Some(administration) = administration else {
                continue;
            };
            by_code
                .entry(administration.code.clone())
                .or_insert_with(|| {
                    // Mail still ahead goes out at its opening, or at once when that passed.
                    let goes_out =
                        |opens_at: DateTime<Utc>| if ahead { opens_at.max(now) } else { opens_at };
                    administration_timeline(administration, &dates, &rules, goes_out)
                })
                .officers += 1;
        }
        let without_email = mine
            .iter()
            .filter(|(p, _)| p.erased_at.is_some() || p.email.is_empty())
            .count() as u64;
        let planned = WorkshopTimeline {
            workshop_id: workshop.id,
            title: workshop.title.clone(),
            end_date: workshop.end_date,
            opens_on: dates.opens_on,
            due_on: dates.due_on,
            participants: mine.len() as u64,
            without_email,
            undeliverable: mine
                .iter()
                .filter(|(p, _)| suppressed.contains(&p.email))
                .count() as u64,
            administrations: by_code.into_values().collect(),
        };
        if state != RoundState::Closed {
            warnings.extend(warn(&planned, ahead, now));
        }
        workshops.push(planned);
    }
    Ok(Timeline {
        round_id: round.id,
        state,
        as_of: now,
        workshops,
        warnings,
    })
}

/// The addresses among `participants` that reminders and feedback are suppressed to.
async fn suppressed_addresses(
    db: &impl ConnectionTrait,
    participants: &[(participant::Model, Option<administration::Model>)],
) -> Result<std::collections::HashSet<String>, ServiceError> {
    let emails = participants.iter().map(|(p, _)| p.email.clone());
    Ok(address_state::Entity::find()
        .filter(
            address_state::Column::State
                .is_in([AddressState::Undeliverable, AddressState::Complained]),
        )
        .filter(address_state::Column::Address.is_in(emails))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.address)
        .collect())
}

fn administration_timeline(
    administration: &administration::Model,
    dates: &WorkshopDates,
    rules: &ScheduleRules,
    goes_out: impl Fn(DateTime<Utc>) -> DateTime<Utc>,
) -> AdministrationTimeline {
    let tz = TimeZone::of_stored(&administration.time_zone);
    let opens_at = dates.opens_at(tz);
    let goes_out = goes_out(opens_at);
    let reminders = dates
        .reminders(rules, tz)
        .into_iter()
        .map(|(days_before_due, at)| PlannedReminder {
            days_before_due,
            at: Moment::at(at, tz),
            skipped: !reminder_follows(at, opens_at, goes_out),
        })
        .collect();
    AdministrationTimeline {
        code: administration.code.clone(),
        name: administration.name.clone(),
        time_zone: tz.name().to_owned(),
        officers: 0,
        invitations_at: Moment::at(opens_at, tz),
        due_at: Moment::at(dates.due_at(tz), tz),
        reminders,
    }
}

/// The problems of one workshop's schedule; those of mail still ahead only when `ahead`.
fn warn(planned: &WorkshopTimeline, ahead: bool, now: DateTime<Utc>) -> Vec<TimelineWarning> {
    let mut warnings = Vec::new();
    let mut say = |code, message: String| {
        warnings.push(TimelineWarning {
            code,
            workshop_id: planned.workshop_id,
            message,
        });
    };
    let title = &planned.title;
    if planned.participants == 0 {
        say(
            WarningCode::NoParticipants,
            format!("\"{title}\" has no participants: nobody will be invited"),
        );
    }
    if planned.without_email > 0 {
        say(
            WarningCode::ParticipantsWithoutEmail,
            format!(
                "\"{title}\" has {} without an email address: they get no mail",
                count(planned.without_email, "participant", "participants")
            ),
        );
    }
    if planned.undeliverable > 0 {
        let have = if planned.undeliverable == 1 {
            "has an undeliverable address"
        } else {
            "have undeliverable addresses"
        };
        say(
            WarningCode::UndeliverableAddresses,
            format!(
                "{} of \"{title}\" {have}: reminders and feedback to them are suppressed; \
                 correct the address or hand the invitation over",
                count(planned.undeliverable, "participant", "participants")
            ),
        );
    }
    if !ahead {
        return warnings;
    }
    let due = planned.administrations.iter().map(|a| a.due_at.utc).max();
    if due.is_some_and(|due| due <= now) {
        say(
            WarningCode::DueDatePassed,
            format!(
                "the due date of \"{title}\" ({}) has passed already: invitations go out at \
                 once, with a due date in the past",
                planned.due_on
            ),
        );
    }
    let skipped: Vec<u32> = planned
        .administrations
        .iter()
        .flat_map(|a| a.reminders.iter())
        .filter(|r| r.skipped)
        .map(|r| r.days_before_due)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .rev()
        .collect();
    if !skipped.is_empty() {
        say(
            WarningCode::ReminderBeforeInvitation,
            skipped_reminders(&skipped, title),
        );
    }
    warnings
}

/// The warning for reminders `days` before the due date that are skipped.
fn skipped_reminders(days: &[u32], title: &str) -> String {
    let (reminders, are) = match days.len() {
        1 => ("reminder", "it is"),
        _ => ("reminders", "they are"),
    };
    let unit = if days == [1] { "day" } else { "days" };
    let days: Vec<String> = days.iter().map(u32::to_string).collect();
    format!(
        "the {reminders} {} {unit} before the due date of \"{title}\" would come less than a \
         day after the invitation goes out; {are} skipped",
        days.join(" and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_reminders_are_counted_in_words() {
        assert_eq!(
            skipped_reminders(&[1], "AEO"),
            "the reminder 1 day before the due date of \"AEO\" would come less than a \
             day after the invitation goes out; it is skipped"
        );
        assert_eq!(
            skipped_reminders(&[7, 2], "AEO"),
            "the reminders 7 and 2 days before the due date of \"AEO\" would come less than a \
             day after the invitation goes out; they are skipped"
        );
    }
}
