//! The message as it leaves: `From` and `Reply-To` as people's mail programs show them (a
//! plain ASCII display name as a quoted string, any other as RFC 2047 words), and the HTML
//! part a whole document, so that a client that shows it alone (or a screen reader) knows
//! its language and title.

use lettre::Message;
use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use entity::mailing;

use super::{Sender, verp};
use crate::base::markup::escape;

/// The message of an outbox mail, from `sender`.
pub fn build(mail: &mailing::Model, sender: &Sender) -> Result<Message, String> {
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|_| "the recipient address is not usable".to_string())?;
    let mut builder = Message::builder()
        .from(sender.from.clone())
        .to(to.clone())
        .subject(mail.subject.clone())
        .message_id(Some(mail.message_id.clone()));
    if let Some(reply_to) = &sender.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    if let Some(bounce) = &sender.bounce {
        let returns_to = verp::envelope_sender(bounce, mail.id, &sender.key);
        let envelope = Envelope::new(Some(returns_to), vec![to.email.clone()])
            .map_err(|error| format!("the envelope cannot be built: {error}"))?;
        builder = builder.envelope(envelope);
    }
    let mut message = builder
        .multipart(MultiPart::alternative_plain_html(
            mail.body_text.clone(),
            html_document(&mail.subject, &mail.body_html),
        ))
        .map_err(|error| format!("the message cannot be built: {error}"))?;
    let headers = message.headers_mut();
    for (name, mailbox) in [
        ("From", Some(&sender.from)),
        ("Reply-To", sender.reply_to.as_ref()),
    ] {
        if let Some(value) = mailbox.and_then(|mailbox| quoted(name, mailbox)) {
            headers.insert_raw(value);
        }
    }
    Ok(message)
}

/// `"ROCB A/P Follow-up Survey" <followup@example.org>` for a display name of printable
/// ASCII (lettre writes one with a `/` as base64); `None` leaves lettre's encoding, which
/// any other name needs. The value is still encoded and folded by lettre, so nothing in a
/// name can start a header of its own.
fn quoted(name: &'static str, mailbox: &Mailbox) -> Option<HeaderValue> {
    let display = mailbox.name.as_deref()?;
    let address = mailbox.email.to_string();
    if !display.bytes().all(|b| (0x20..0x7f).contains(&b)) || !address.is_ascii() {
        return None;
    }
    let escaped = display.replace('\\', "\\\\").replace('"', "\\\"");
    Some(HeaderValue::new(
        HeaderName::new_from_ascii_str(name),
        format!("\"{escaped}\" <{address}>"),
    ))
}

/// The HTML part as a whole document; a template that already is one is sent as it is.
fn html_document(subject: &str, body: &str) -> String {
    let start = body
        .trim_start()
        .get(..14)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if start.starts_with("<!doctype") || start.starts_with("<html") {
        return body.to_owned();
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(subject)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender() -> Sender {
        Sender {
            from: "Survey <followup@example.org>".parse().unwrap(),
            reply_to: None,
            bounce: None,
            key: crate::domain::TokenKey::from_secret("the key of the message tests, long enough")
                .unwrap(),
        }
    }

    fn formatted(sender: &Sender) -> String {
        let at = chrono::Utc::now();
        let mail = mailing::Model {
            id: 1,
            kind: entity::mailing::MailKind::Invitation,
            dedupe_key: "invitation:1".into(),
            round_id: None,
            invitation_id: None,
            recipient: "Aminah <aminah@example.org>".into(),
            subject: "Follow-up survey: <AEO>".into(),
            body_text: "Dear Aminah,".into(),
            body_html: "<p>Dear Aminah,</p>".into(),
            message_id: "<1@example.org>".into(),
            status: entity::mailing::MailStatus::Queued,
            attempts: 0,
            next_attempt_at: at,
            leased_until: None,
            last_error: None,
            created_at: at,
            sent_at: None,
            body_purged_at: None,
            link_generation: None,
            participant_id: None,
            suppressed_reason: None,
        };
        String::from_utf8(build(&mail, sender).unwrap().formatted()).unwrap()
    }

    #[test]
    fn an_ascii_display_name_is_a_quoted_string_and_replies_go_to_the_office() {
        let text = formatted(&Sender {
            from: "ROCB A/P Follow-up Survey <followup@example.org>"
                .parse()
                .unwrap(),
            reply_to: Some("Survey office <survey@example.org>".parse().unwrap()),
            ..sender()
        });
        assert!(
            text.contains("From: \"ROCB A/P Follow-up Survey\" <followup@example.org>\r\n"),
            "{text}"
        );
        assert!(
            text.contains("\r\nReply-To: \"Survey office\" <survey@example.org>\r\n"),
            "{text}"
        );
        assert!(text.contains("<html lang=3D\"en\">") || text.contains("<html lang=\"en\">"));
        assert!(
            text.contains("<title>Follow-up survey: &lt;AEO&gt;</title>"),
            "{text}"
        );
    }

    #[test]
    fn other_names_keep_their_encoding_and_quotes_are_escaped() {
        let text = formatted(&Sender {
            from: "Bureau régional <followup@example.org>".parse().unwrap(),
            reply_to: Some(Mailbox::new(
                Some("The \"office\"".into()),
                "survey@example.org".parse().unwrap(),
            )),
            ..sender()
        });
        assert!(text.contains("From: =?utf-8?"), "{text}");
        assert!(
            text.contains("Reply-To: \"The \\\"office\\\"\" <survey@example.org>"),
            "{text}"
        );
        assert!(!text.contains("\r\nReply-To: \"The \"office"), "{text}");
    }

    #[test]
    fn a_whole_document_is_sent_as_it_is() {
        let document = "<!DOCTYPE html><html lang=\"fr\"><body>x</body></html>";
        assert_eq!(html_document("s", document), document);
        assert!(html_document("s", "<p>x</p>").starts_with("<!doctype html>\n<html lang=\"en\">"));
    }
}
