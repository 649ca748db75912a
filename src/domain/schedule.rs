//! When a workshop's survey opens, when it is due and when reminders go out. Opening is
//! a set number of months after the workshop ends, at 09:00 in the administration's own
//! time zone; the due date is a set number of days later, also at 09:00 local time.

use chrono::{DateTime, Days, Months, NaiveDate, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;

/// The local time at which invitations, due dates and reminders fall.
pub const LOCAL_HOUR: u32 = 9;

/// How long after its moment a reminder may still go out (the scheduler was down, or the
/// round was scheduled late); an older one is skipped, never sent days late or in the
/// same minute as the invitation.
pub const REMINDER_GRACE: chrono::Duration = chrono::Duration::hours(6);

/// The least time between an invitation going out and a reminder of it: a reminder whose
/// moment comes sooner (a round scheduled late) is skipped, never sent beside the
/// invitation.
pub const REMINDER_AFTER_INVITATION: chrono::Duration = chrono::Duration::days(1);

/// Whether a reminder due at `at` may follow an invitation that opened at `opens_at` and
/// went out at `invited_at`. An invitation that went out on time (within
/// [`REMINDER_GRACE`] of its opening: the scheduler's pass comes seconds later) counts
/// from its opening, as the timeline plans it; one sent late, from when it went out.
pub fn reminder_follows(
    at: DateTime<Utc>,
    opens_at: DateTime<Utc>,
    invited_at: DateTime<Utc>,
) -> bool {
    let went_out = if invited_at - opens_at <= REMINDER_GRACE {
        opens_at.min(invited_at)
    } else {
        invited_at
    };
    at - went_out >= REMINDER_AFTER_INVITATION
}

/// A round's schedule rules, or a workshop's overrides of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRules {
    pub open_offset_months: u32,
    pub reply_window_days: u32,
    /// Days before the due date, largest first.
    pub reminder_offsets_days: Vec<u32>,
}

impl Default for ScheduleRules {
    fn default() -> Self {
        Self {
            open_offset_months: 6,
            reply_window_days: 21,
            reminder_offsets_days: vec![7, 2],
        }
    }
}

impl ScheduleRules {
    /// Checks the rules hang together; messages name the field at fault.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.open_offset_months > 36 {
            return Err(("open_offset_months", "must be at most 36".into()));
        }
        if !(1..=365).contains(&self.reply_window_days) {
            return Err(("reply_window_days", "must be between 1 and 365".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for offset in &self.reminder_offsets_days {
            if *offset == 0 || *offset >= self.reply_window_days {
                return Err((
                    "reminder_offsets_days",
                    format!(
                        "each offset must be at least 1 and less than the reply window of {} days",
                        self.reply_window_days
                    ),
                ));
            }
            if !seen.insert(*offset) {
                return Err(("reminder_offsets_days", "offsets must differ".into()));
            }
        }
        Ok(())
    }

    /// The rules with the offsets sorted largest first (the order reminders go out).
    pub fn normalized(mut self) -> Self {
        self.reminder_offsets_days.sort_unstable_by(|a, b| b.cmp(a));
        self
    }
}

/// The dates of one workshop in a round, in the calendar (before time zones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkshopDates {
    pub opens_on: NaiveDate,
    pub due_on: NaiveDate,
}

impl WorkshopDates {
    /// Opening `open_offset_months` after `workshop_end` (or on `opens_on` when staff set
    /// it), due `reply_window_days` later.
    pub fn compute(
        workshop_end: NaiveDate,
        opens_on: Option<NaiveDate>,
        rules: &ScheduleRules,
    ) -> Self {
        let opens_on = opens_on.unwrap_or_else(|| {
            workshop_end
                .checked_add_months(Months::new(rules.open_offset_months))
                .unwrap_or(workshop_end)
        });
        let due_on = opens_on
            .checked_add_days(Days::new(rules.reply_window_days.into()))
            .unwrap_or(opens_on);
        Self { opens_on, due_on }
    }

    pub fn opens_at(&self, tz: Tz) -> DateTime<Utc> {
        local_nine(self.opens_on, tz)
    }

    pub fn due_at(&self, tz: Tz) -> DateTime<Utc> {
        local_nine(self.due_on, tz)
    }

    /// Each reminder offset with the instant it falls due, largest offset first.
    pub fn reminders(&self, rules: &ScheduleRules, tz: Tz) -> Vec<(u32, DateTime<Utc>)> {
        rules
            .reminder_offsets_days
            .iter()
            .filter_map(|offset| {
                let day = self.due_on.checked_sub_days(Days::new((*offset).into()))?;
                Some((*offset, local_nine(day, tz)))
            })
            .collect()
    }
}

/// 09:00 on `date` in `tz`. Should a time-zone change skip that hour, the first valid
/// instant after it is used.
pub fn local_nine(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut local = date.and_time(NaiveTime::from_hms_opt(LOCAL_HOUR, 0, 0).expect("09:00 exists"));
    for _ in 0..4 {
        if let Some(instant) = tz.from_local_datetime(&local).earliest() {
            return instant.with_timezone(&Utc);
        }
        local += chrono::Duration::minutes(30);
    }
    local.and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_workshop_opens_six_months_after_it_ends_and_is_due_three_weeks_later() {
        let dates = WorkshopDates::compute(date(2019, 12, 12), None, &ScheduleRules::default());
        assert_eq!(dates.opens_on, date(2020, 6, 12));
        assert_eq!(dates.due_on, date(2020, 7, 3));
    }

    #[test]
    fn month_ends_are_clamped() {
        let dates = WorkshopDates::compute(date(2019, 8, 31), None, &ScheduleRules::default());
        assert_eq!(dates.opens_on, date(2020, 2, 29));
    }

    #[test]
    fn nine_in_tonga_is_eight_in_the_evening_before_in_utc() {
        let at = local_nine(date(2020, 6, 12), chrono_tz::Pacific::Tongatapu);
        assert_eq!(at.to_rfc3339(), "2020-06-11T20:00:00+00:00");
    }

    #[test]
    fn nine_in_kathmandu_is_a_quarter_past_three_utc() {
        let at = local_nine(date(2020, 6, 12), chrono_tz::Asia::Kathmandu);
        assert_eq!(at.to_rfc3339(), "2020-06-12T03:15:00+00:00");
    }

    #[test]
    fn reminders_fall_before_the_due_date_at_nine_local_time() {
        let rules = ScheduleRules::default();
        let dates = WorkshopDates::compute(date(2019, 12, 12), None, &rules);
        let reminders = dates.reminders(&rules, chrono_tz::Asia::Kuala_Lumpur);
        assert_eq!(reminders.len(), 2);
        assert_eq!(reminders[0].0, 7);
        assert_eq!(reminders[0].1.to_rfc3339(), "2020-06-26T01:00:00+00:00");
        assert_eq!(reminders[1].1.to_rfc3339(), "2020-07-01T01:00:00+00:00");
    }

    #[test]
    fn a_reminder_keeps_a_day_from_its_invitation() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let opens = at("2020-06-12T01:00:00Z");
        let reminder = at("2020-06-13T01:00:00Z");
        // Mailed by the scheduler's pass 40 s after the opening: a day after the opening.
        assert!(reminder_follows(
            reminder,
            opens,
            at("2020-06-12T01:00:40Z")
        ));
        // Mailed late, 5 hours before the reminder's moment: skipped.
        let late = at("2020-06-12T20:00:00Z");
        assert!(!reminder_follows(reminder, opens, late));
        assert!(reminder_follows(at("2020-06-13T20:00:00Z"), opens, late));
    }

    #[test]
    fn rules_are_checked() {
        let mut rules = ScheduleRules::default();
        assert!(rules.check().is_ok());
        rules.reminder_offsets_days = vec![21];
        assert_eq!(rules.check().unwrap_err().0, "reminder_offsets_days");
        rules.reminder_offsets_days = vec![2, 2];
        assert!(rules.check().is_err());
        rules.reminder_offsets_days = vec![];
        rules.reply_window_days = 0;
        assert_eq!(rules.check().unwrap_err().0, "reply_window_days");
    }
}
