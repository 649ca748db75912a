//! Example values of every variable of each kind of mail: what a template staff write is
//! checked against, and what the shipped templates are read with in the tests below, in
//! every variant a participant may receive.

use entity::mailing::MailKind;
use serde_json::json;

/// Example values of every variable of a kind, for checks and previews.
pub fn sample_context(kind: MailKind) -> serde_json::Value {
    let mut context = json!({
        "participant_name": "Aminah Binti Ahmad",
        "administration_name": "Malaysia",
        "administration_code": "MY",
        "round_title": "Survey 2020",
        "workshop_title": "WCO Regional Workshop on AEO",
        "workshop_start": "2019-12-10",
        "workshop_end": "2019-12-12",
        "months_since_workshop": 6,
        "workshop_ago": "six months ago",
        "due_date": "09:00 on Friday 3 July 2020, Malaysia time (UTC+8)",
        "late": false,
        "link": "https://survey.example.org/respond/SAMPLE-TOKEN",
        "office": "ROCB Asia/Pacific",
    });
    let extra = match kind {
        MailKind::Invitation => json!({}),
        MailKind::Reminder => json!({"days_left": 7}),
        MailKind::ThankYou => json!({"answers": [
            {"question": "What follow-up actions did you take after the workshop?", "answer": "Shared the training materials; Submitted a report"},
            {"question": "Have you realized any direct effects?", "answer": "Yes. <Faster audits> & more"}
        ]}),
        MailKind::Feedback => json!({
            "figures": {"invited": 40, "replied": 28, "rate_percent": 70},
            "findings": ["23 of 28 (82%) answered yes to \"Have you realized any direct effects from applying the lessons learnt?\"."],
            "workshop_figures": {"invited": 22, "replied": 12, "rate_percent": 55},
            "practices": [{"text": "Implemented the AEO program in the Strategic Action Plan.", "administration": "Maldives", "workshop": "WCO Regional Workshop on AEO"}],
            "replied": false,
            "min_base": 5,
            "reportable": true,
        }),
        MailKind::Digest => json!({
            "since": "Monday 6 July 2020",
            "replies_since": 4,
            "late_since": 1,
            "replied": 21,
            "invited": 40,
            "workshops": [{"title": "WCO Regional Workshop on AEO", "unanswered": 3, "invited": 12}],
            "undeliverable": 1,
            "handovers_pending": 1,
            "participant_name": "Aminah Binti Ahmad",
        }),
        MailKind::Escalation => json!({
            "contact_name": "Nurul Huda",
            "officers": [
                {"name": "Aminah Binti Ahmad", "workshop": "WCO Regional Workshop on AEO"},
                {"name": "Lim Wei Ling", "workshop": "WCO Regional Workshop on AEO"}
            ],
        }),
    };
    if let (Some(base), Some(extra)) = (context.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    context
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::templates::{KINDS, default_parts, render};

    #[tokio::test]
    async fn counts_agree_with_their_nouns_and_small_bases_show_no_percentage() {
        let mut context = sample_context(MailKind::Reminder);
        context["days_left"] = json!(1);
        let parts = default_parts(MailKind::Reminder);
        let reminder = render(&parts, &context).await.unwrap();
        assert!(
            reminder.subject.starts_with("1 day left: "),
            "{}",
            reminder.subject
        );
        assert!(reminder.text.contains("in 1 day."), "{}", reminder.text);

        let mut context = sample_context(MailKind::Feedback);
        context["figures"] = json!({"invited": 3, "replied": 1, "rate_percent": null});
        context["workshop_figures"] = json!({"invited": 3, "replied": 1, "rate_percent": null});
        context["findings"] = json!([]);
        context["practices"] = json!([]);
        context["reportable"] = json!(false);
        let feedback = render(&default_parts(MailKind::Feedback), &context)
            .await
            .unwrap();
        assert!(
            feedback.text.contains(
                "has collected 1 reply from 3 participants. Of the 3 participants in the \
                 WCO Regional Workshop on AEO, 1 replied.\n"
            ),
            "{}",
            feedback.text
        );
        assert!(!feedback.html.contains('%'), "{}", feedback.html);
        // Nothing to report: the subject promises nothing and the body says why.
        assert_eq!(feedback.subject, "Replies so far: Survey 2020");
        assert!(
            feedback
                .text
                .contains("the report needs at least 5 replies."),
            "{}",
            feedback.text
        );
    }

    /// Every variant of every shipped template: paragraphs apart by one blank line, never
    /// two; no line with trailing spaces; subjects with the news first and short enough for
    /// a phone's line (the workshop or round title, which staff choose, comes last).
    #[tokio::test]
    async fn every_variant_reads_cleanly() {
        for kind in KINDS {
            for variant in 0..8 {
                let mut context = sample_context(kind);
                context["late"] = json!(variant & 1 == 1);
                context["replied"] = json!(variant & 2 == 2);
                if variant & 4 == 4 {
                    // Invitations and reminders always carry a link; the others not once
                    // the round is closed.
                    if matches!(kind, MailKind::ThankYou | MailKind::Feedback) {
                        context["link"] = json!("");
                    }
                    context["findings"] = json!([]);
                    context["practices"] = json!([]);
                    context["answers"] = json!([]);
                }
                let mail = render(&default_parts(kind), &context).await.unwrap();
                for part in [&mail.text, &mail.html] {
                    assert!(!part.contains("\n\n\n"), "{kind:?} {variant}:\n{part}");
                    assert!(
                        part.lines().all(|line| line == line.trim_end()),
                        "{kind:?} {variant}:\n{part}"
                    );
                }
                let title = ["WCO Regional Workshop on AEO", "Survey 2020"]
                    .into_iter()
                    .find(|title| mail.subject.ends_with(title))
                    .unwrap_or_else(|| panic!("{kind:?}: {}", mail.subject));
                let own_words = mail.subject.len() - title.len();
                assert!(own_words <= 45, "{kind:?}: {}", mail.subject);
            }
        }
    }

    #[tokio::test]
    async fn a_late_invitation_welcomes_late_replies() {
        let mut context = sample_context(MailKind::Invitation);
        context["late"] = json!(true);
        let invitation = render(&default_parts(MailKind::Invitation), &context)
            .await
            .unwrap();
        assert!(
            invitation.text.contains(
                "The due date, 09:00 on Friday 3 July 2020, Malaysia time (UTC+8), has passed, \
                 but late replies are welcome until the survey closes."
            ),
            "{}",
            invitation.text
        );
        assert!(
            !invitation.html.contains(" by <strong>"),
            "{}",
            invitation.html
        );
    }
}
