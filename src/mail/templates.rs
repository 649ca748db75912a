//! Mail templates: minijinja, a subject, a text part and an HTML part per kind of mail.
//! Shipped defaults live beside this file; staff may replace them (checked by rendering
//! sample data, so a template that does not render is never saved). In the HTML part
//! every value is escaped, so text participants wrote cannot inject markup.

use entity::mail_template;
use entity::mailing::MailKind;
use minijinja::value::Serde;
use std::time::Duration;

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::samples;
use crate::base::error::ServiceError;
use crate::domain::{FieldError, InvalidInput};

/// The three parts of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateParts {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A mail ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub const KINDS: [MailKind; 6] = [
    MailKind::Invitation,
    MailKind::Reminder,
    MailKind::ThankYou,
    MailKind::Feedback,
    MailKind::Escalation,
    MailKind::Digest,
];

/// The shipped template of a kind.
pub fn default_parts(kind: MailKind) -> TemplateParts {
    let (subject, text, html) = match kind {
        MailKind::Invitation => (
            include_str!("templates/invitation.subject"),
            include_str!("templates/invitation.txt"),
            include_str!("templates/invitation.html"),
        ),
        MailKind::Reminder => (
            include_str!("templates/reminder.subject"),
            include_str!("templates/reminder.txt"),
            include_str!("templates/reminder.html"),
        ),
        MailKind::ThankYou => (
            include_str!("templates/thank_you.subject"),
            include_str!("templates/thank_you.txt"),
            include_str!("templates/thank_you.html"),
        ),
        MailKind::Feedback => (
            include_str!("templates/feedback.subject"),
            include_str!("templates/feedback.txt"),
            include_str!("templates/feedback.html"),
        ),
        MailKind::Escalation => (
            include_str!("templates/escalation.subject"),
            include_str!("templates/escalation.txt"),
            include_str!("templates/escalation.html"),
        ),
        MailKind::Digest => (
            include_str!("templates/digest.subject"),
            include_str!("templates/digest.txt"),
            include_str!("templates/digest.html"),
        ),
    };
    TemplateParts {
        subject: subject.trim_end().to_owned(),
        text: text.to_owned(),
        html: html.to_owned(),
    }
}

/// The template in force: staff's edit, or the shipped default.
pub async fn effective(
    db: &impl ConnectionTrait,
    kind: MailKind,
) -> Result<(TemplateParts, bool), ServiceError> {
    Ok(
        match mail_template::Entity::find_by_id(kind).one(db).await? {
            Some(edited) => (
                TemplateParts {
                    subject: edited.subject,
                    text: edited.body_text,
                    html: edited.body_html,
                },
                true,
            ),
            None => (default_parts(kind), false),
        },
    )
}

/// A failure of one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartError {
    pub part: &'static str,
    pub message: String,
}

/// The work one part of a template may do (minijinja's fuel: about one unit an
/// instruction). The shipped templates need a few thousand.
const FUEL: u64 = 100_000;
/// The largest part a template may render.
const MAX_RENDERED_BYTES: usize = 1024 * 1024;
/// How long rendering a template may take.
const RENDER_TIMEOUT: Duration = Duration::from_secs(1);

/// Renders a template with `context`, bounded: at most [`FUEL`] of work and
/// [`MAX_RENDERED_BYTES`] of output per part, in a blocking thread given [`RENDER_TIMEOUT`],
/// so a template (staff write them) can neither stall the service nor fill its memory.
pub async fn render(
    parts: &TemplateParts,
    context: &serde_json::Value,
) -> Result<Rendered, PartError> {
    let (parts, context) = (parts.clone(), context.clone());
    let rendering = tokio::task::spawn_blocking(move || render_now(&parts, &context));
    match tokio::time::timeout(RENDER_TIMEOUT, rendering).await {
        Ok(Ok(rendered)) => rendered,
        Ok(Err(_)) => Err(PartError {
            part: "template",
            message: "the template failed to render".into(),
        }),
        Err(_) => Err(PartError {
            part: "template",
            message: format!(
                "the template takes longer than {} s to render",
                RENDER_TIMEOUT.as_secs()
            ),
        }),
    }
}

/// Collects output up to [`MAX_RENDERED_BYTES`], then refuses more.
struct Bounded(String);

impl std::io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + bytes.len() > MAX_RENDERED_BYTES {
            return Err(std::io::Error::other("too much output"));
        }
        self.0.push_str(&String::from_utf8_lossy(bytes));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn render_now(parts: &TemplateParts, context: &serde_json::Value) -> Result<Rendered, PartError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_fuel(Some(FUEL));
    env.set_formatter(crate::base::markup::formatter);
    env.add_filter("quantity", quantity);
    let context = Value::from(Serde(context));
    let one = |name: &'static str, part: &'static str, source: &str| {
        let fail = |message: String| PartError { part, message };
        let template = env
            .template_from_named_str(name, source)
            .map_err(|error| fail(describe(&error)))?;
        let mut out = Bounded(String::new());
        template
            .render_captured_to(context.clone(), &mut out)
            .map_err(|error| match error.kind() {
                ErrorKind::WriteFailure => fail(format!(
                    "the {part} renders to more than {} KB",
                    MAX_RENDERED_BYTES / 1024
                )),
                _ => fail(describe(&error)),
            })?;
        Ok(out.0)
    };
    let subject = one("subject.txt", "subject", &parts.subject)?;
    if subject.contains(['\r', '\n']) {
        return Err(PartError {
            part: "subject",
            message: "the subject must be one line".into(),
        });
    }
    Ok(Rendered {
        subject: subject.trim().to_owned(),
        text: one("body.txt", "text", &parts.text)?,
        html: one("body.html", "html", &parts.html)?,
    })
}

/// The `quantity` filter: `{{ n | quantity("reply", "replies") }}` writes `1 reply` or
/// `3 replies`.
fn quantity(n: i64, singular: String, plural: String) -> String {
    crate::domain::wording::count(n.max(0).unsigned_abs(), &singular, &plural)
}

fn describe(error: &minijinja::Error) -> String {
    let mut message = error.to_string();
    if let Some(line) = error.line() {
        message = format!("line {line}: {message}");
    }
    message
}

/// Checks a template renders with every variable its kind offers, within the bounds of
/// [`render`].
pub async fn check(kind: MailKind, parts: &TemplateParts) -> Result<Rendered, InvalidInput> {
    render(parts, &samples::sample_context(kind))
        .await
        .map_err(|error| InvalidInput(vec![FieldError::new(error.part, error.message)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::samples::sample_context;
    use serde_json::json;

    #[tokio::test]
    async fn every_shipped_template_renders_its_sample() {
        for kind in KINDS {
            let rendered = check(kind, &default_parts(kind)).await.unwrap();
            assert!(!rendered.subject.is_empty());
            // The digest goes to the office, not to an officer.
            if kind != MailKind::Digest {
                assert!(rendered.text.contains("Aminah"), "{kind:?}");
            }
        }
    }

    /// Paragraphs are single lines, so they wrap in the reader's client: two lines in a row
    /// are a new sentence's start, a list item or the signature, never a sentence cut.
    #[tokio::test]
    async fn text_parts_have_no_line_break_inside_a_sentence() {
        for kind in KINDS {
            let text = check(kind, &default_parts(kind)).await.unwrap().text;
            let lines: Vec<&str> = text.lines().collect();
            for pair in lines.windows(2) {
                let (line, next) = (pair[0].trim_end(), pair[1].trim_start());
                if line.is_empty() || next.is_empty() {
                    continue;
                }
                let ends_clause = line.ends_with(['.', ':', ',', '!', '?', ')']);
                let starts_item = next.starts_with("- ") || pair[1].starts_with("  ");
                assert!(
                    ends_clause || starts_item || line.starts_with("- "),
                    "{kind:?}: a sentence is cut between {line:?} and {next:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn the_invitation_says_how_long_ago_the_workshop_was() {
        let mut context = sample_context(MailKind::Invitation);
        context["workshop_ago"] = json!("seven months ago");
        let invitation = render(&default_parts(MailKind::Invitation), &context)
            .await
            .unwrap();
        assert!(
            invitation
                .text
                .contains("\n\nSeven months ago you took part in the")
        );
        assert!(
            invitation
                .html
                .contains("<p>Seven months ago you took part in the")
        );
        assert!(!invitation.html.contains("&#x2f;"), "{}", invitation.html);
        assert!(invitation.html.contains("ROCB Asia/Pacific"));
        assert!(
            invitation
                .html
                .contains("href=\"https://survey.example.org/respond/SAMPLE-TOKEN\"")
        );
    }

    #[tokio::test]
    async fn participant_text_is_escaped_in_html_but_not_in_text() {
        let rendered = check(MailKind::ThankYou, &default_parts(MailKind::ThankYou))
            .await
            .unwrap();
        assert!(rendered.html.contains("&lt;Faster audits&gt; &amp; more"));
        assert!(rendered.text.contains("<Faster audits> & more"));
    }

    #[tokio::test]
    async fn a_template_that_does_not_render_names_its_part() {
        let mut parts = default_parts(MailKind::Invitation);
        parts.html = "{{ link".into();
        assert_eq!(
            check(MailKind::Invitation, &parts).await.unwrap_err().0[0].field,
            "html"
        );
        let mut parts = default_parts(MailKind::Invitation);
        parts.text = "{{ no_such_variable }}".into();
        assert_eq!(
            check(MailKind::Invitation, &parts).await.unwrap_err().0[0].field,
            "text"
        );
    }
}
