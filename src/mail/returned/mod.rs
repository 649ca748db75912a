//! Reading what came back to the bounce mailbox: RFC 3464 delivery status notifications
//! (`multipart/report; report-type=delivery-status`, one `Action`/`Status`/
//! `Final-Recipient` group per recipient), RFC 5965 complaints (`report-type=
//! feedback-report`), RFC 3834 automatic replies (`Auto-Submitted`, `X-Autoreply`,
//! out-of-office subjects), and the plain-text bounces of servers that send no DSN (a
//! bounce subject and a status code in the text). MIME is read by `mail-parser`; what is
//! ours is the meaning of the parts.
//!
//! Nothing here decides which mailing a message is about: it lists the addresses it was
//! sent to (where the VERP envelope sender comes back) and the Message-IDs it refers to
//! (the returned headers, `In-Reply-To`, `References`), and the caller looks them up.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::domain::delivery::{Finding, StatusCode};

/// The longest auto-reply or diagnostic text kept.
pub const EXCERPT_CHARS: usize = 600;

/// What a returned message reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Returned {
    /// A key no other message has: its own Message-ID, or a digest of its bytes.
    pub key: String,
    pub reports: Vec<Report>,
    /// Where it was addressed: `To`, `Delivered-To`, `X-Original-To`, `Envelope-To`.
    pub addressed_to: Vec<String>,
    /// Message-IDs of the mail it is about, without angle brackets.
    pub refers_to: Vec<String>,
}

/// One thing the message says about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub finding: Finding,
    /// The recipient the report names (`Final-Recipient`, `Original-Rcpt-To`), if any.
    pub recipient: Option<String>,
    /// The RFC 3463 code, e.g. `5.1.1`.
    pub code: Option<String>,
    /// The diagnostic, or the auto-reply's text, shortened to [`EXCERPT_CHARS`].
    pub detail: Option<String>,
}

/// Why a message could not be read as a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    #[error("the message has no headers")]
    NotAMessage,
    #[error("the message is neither a bounce, a complaint nor an automatic reply")]
    NotAReport,
}

/// Reads `raw`.
pub fn read(raw: &[u8]) -> Result<Returned, Unreadable> {
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.headers().is_empty())
        .ok_or(Unreadable::NotAMessage)?;
    let reports = match report_type(&message).as_deref() {
        Some("delivery-status") => delivery_status(&message),
        Some("feedback-report") => complaint(&message),
        _ if is_auto_reply(&message) => vec![Report {
            finding: Finding::AutoReply,
            recipient: message
                .from()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(str::to_owned),
            code: None,
            detail: message.body_text(0).map(|text| excerpt(&text)),
        }],
        _ => plain_text_bounce(&message),
    };
    if reports.is_empty() {
        return Err(Unreadable::NotAReport);
    }
    Ok(Returned {
        key: message
            .message_id()
            .map(|id| format!("<{id}>"))
            .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(raw)))),
        reports,
        addressed_to: addressed_to(&message),
        refers_to: refers_to(&message),
    })
}

/// `report-type` of a `multipart/report` message, lowercase.
fn report_type(message: &Message) -> Option<String> {
    let content_type = message.content_type()?;
    (content_type.ctype().eq_ignore_ascii_case("multipart")
        && content_type
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report")))
    .then(|| content_type.attribute("report-type"))
    .flatten()
    .map(str::to_ascii_lowercase)
}

/// The body of the first part of type `message/<subtype>` (or `text/<subtype>`).
fn part_named<'a>(message: &'a Message, subtypes: &[&str]) -> Option<&'a [u8]> {
    message.parts.iter().find_map(|part| {
        let content_type = part.content_type()?;
        let subtype = content_type.subtype()?.to_ascii_lowercase();
        subtypes
            .contains(&subtype.as_str())
            .then(|| part.contents())
    })
}

/// The groups of header fields a DSN or ARF part holds: the message's fields, then one
/// group per recipient, split by blank lines and each read as a header block.
fn field_groups(body: &[u8]) -> Vec<Vec<(String, String)>> {
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    text.split("\n\n")
        .filter(|group| !group.trim().is_empty())
        .filter_map(|group| {
            let block = format!("{}\n\n", group.trim_start_matches('\n'));
            let parsed = MessageParser::default().parse_headers(block.as_bytes())?;
            Some(
                parsed
                    .headers_raw()
                    .map(|(name, value)| (name.to_ascii_lowercase(), unfold(value)))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|fields: &Vec<_>| !fields.is_empty())
        .collect()
}

fn unfold(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `rfc822; someone@example.org` → `someone@example.org`.
fn typed_address(value: &str) -> String {
    let address = value.split_once(';').map_or(value, |(_, a)| a);
    address.trim().trim_matches(['<', '>']).to_owned()
}

fn delivery_status(message: &Message) -> Vec<Report> {
    let Some(body) = part_named(message, &["delivery-status", "global-delivery-status"]) else {
        return plain_text_bounce(message);
    };
    field_groups(body)
        .iter()
        .filter(|fields| {
            field(fields, "final-recipient").is_some() || field(fields, "action").is_some()
        })
        .map(|fields| {
            let action = field(fields, "action")
                .unwrap_or("failed")
                .to_ascii_lowercase();
            let code = field(fields, "status").and_then(StatusCode::find_in);
            let diagnostic = field(fields, "diagnostic-code");
            let finding = match action.as_str() {
                // A warning: the final notice follows. Delivered, relayed, expanded: news
                // that it arrived.
                "delayed" | "delivered" | "relayed" | "expanded" => Finding::Notice,
                _ => code.map_or(Finding::Undeliverable, StatusCode::finding),
            };
            Report {
                finding,
                recipient: field(fields, "final-recipient")
                    .or_else(|| field(fields, "original-recipient"))
                    .map(typed_address),
                code: code.map(|c| c.to_string()),
                detail: diagnostic.map(excerpt),
            }
        })
        .collect()
}

fn complaint(message: &Message) -> Vec<Report> {
    let Some(body) = part_named(message, &["feedback-report"]) else {
        return Vec::new();
    };
    let fields: Vec<(String, String)> = field_groups(body).into_iter().flatten().collect();
    let kind = field(&fields, "feedback-type")
        .unwrap_or("abuse")
        .to_ascii_lowercase();
    if kind == "not-spam" {
        return Vec::new();
    }
    vec![Report {
        finding: Finding::Complaint,
        recipient: field(&fields, "original-rcpt-to").map(typed_address),
        code: None,
        detail: Some(format!("feedback type: {kind}")),
    }]
}

/// RFC 3834's `Auto-Submitted: auto-replied` (not `no`), the older `X-Autoreply`,
/// `X-Autorespond` and Exchange's `X-Auto-Response-Suppress` with an out-of-office
/// subject, or such a subject alone.
fn is_auto_reply(message: &Message) -> bool {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if header("Auto-Submitted").is_some_and(|v| v.starts_with("auto-replied")) {
        return true;
    }
    if header("X-Autoreply").is_some() || header("X-Autorespond").is_some() {
        return true;
    }
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    [
        "out of office",
        "out of the office",
        "automatic reply",
        "auto reply",
        "autoreply",
        "auto:",
        "abwesenheit",
        "absence",
    ]
    .iter()
    .any(|words| subject.contains(words))
}

/// A bounce without a DSN part: a bounce's subject and a status code in the text.
fn plain_text_bounce(message: &Message) -> Vec<Report> {
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    let bounce_subject = [
        "undeliver",
        "delivery status notification",
        "delivery failure",
        "mail delivery failed",
        "returned mail",
        "failure notice",
        "returned to sender",
    ]
    .iter()
    .any(|words| subject.contains(words));
    if !bounce_subject {
        return Vec::new();
    }
    let text = message.body_text(0).unwrap_or_default();
    let Some(code) = StatusCode::find_in(&text) else {
        return Vec::new();
    };
    let line = text
        .lines()
        .find(|line| line.contains(&code.to_string()))
        .unwrap_or_default();
    vec![Report {
        finding: code.finding(),
        recipient: None,
        code: Some(code.to_string()),
        detail: Some(excerpt(line)),
    }]
}

fn addressed_to(message: &Message) -> Vec<String> {
    let mut addresses: Vec<String> = message
        .to()
        .into_iter()
        .flat_map(|to| to.iter())
        .filter_map(|a| a.address())
        .map(str::to_owned)
        .collect();
    let envelope = [
        "delivered-to",
        "x-original-to",
        "envelope-to",
        "x-envelope-to",
    ];
    addresses.extend(
        message
            .headers_raw()
            .filter(|(name, _)| envelope.contains(&name.to_ascii_lowercase().as_str()))
            .map(|(_, value)| typed_address(value)),
    );
    addresses
}

/// Message-IDs of returned headers (`message/rfc822`, `text/rfc822-headers`), then
/// `In-Reply-To` and `References`.
fn refers_to(message: &Message) -> Vec<String> {
    let mut ids = Vec::new();
    for part in &message.parts {
        match &part.body {
            PartType::Message(returned) => ids.extend(returned.message_id().map(str::to_owned)),
            _ if part
                .content_type()
                .and_then(|c| c.subtype())
                .is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers")) =>
            {
                let block = format!("{}\n\n", String::from_utf8_lossy(part.contents()).trim());
                ids.extend(
                    MessageParser::default()
                        .parse_headers(block.as_bytes())
                        .and_then(|h| h.message_id().map(str::to_owned)),
                );
            }
            _ => {}
        }
    }
    for value in [message.in_reply_to(), message.references()] {
        if let Some(list) = value.as_text_list() {
            ids.extend(list.iter().map(|id| id.to_string()));
        } else if let Some(id) = value.as_text() {
            ids.push(id.to_owned());
        }
    }
    ids.into_iter()
        .map(|id| id.trim().trim_matches(['<', '>']).to_owned())
        .filter(|id| !id.is_empty())
        .collect()
}

/// `text` on one line, at most [`EXCERPT_CHARS`].
pub fn excerpt(text: &str) -> String {
    let line = unfold(text);
    match line.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests;
