//! Mail: templates, the durable outbox, what each kind of mail says (`compose`, queued in
//! the transaction of the change that causes it), and the SMTP and file transports the
//! delivery worker sends through. Below the use cases: it never calls one.

pub mod bounce_mailbox;
pub mod compose;
pub mod message;
pub mod outbox;
pub mod returned;
pub mod samples;
pub mod send_error;
pub mod templates;
pub mod transport;
pub mod verp;

use lettre::message::Mailbox;

use crate::domain::{Token, TokenKey};

/// Stands for the token in a queued mail's bodies; the worker puts the token in its place
/// when it sends the mail, so the outbox never holds a participant's token.
pub const LINK_TOKEN_PLACEHOLDER: &str = "__followup_link_token__";

/// The `From` and `Reply-To` of every mail, and its envelope sender.
#[derive(Debug, Clone)]
pub struct Sender {
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    /// `bounce_address`: each mail's envelope sender names its mailing ([`verp`]); none,
    /// the envelope sender is `from`.
    pub bounce: Option<lettre::Address>,
    /// Keys the bounce addresses' MAC.
    pub key: TokenKey,
}

/// What queuing mail needs besides the database.
#[derive(Debug, Clone)]
pub struct MailContext {
    pub from: Mailbox,
    /// Where replies go, when not to `from`.
    pub reply_to: Option<Mailbox>,
    /// Where bounces go ([`verp`]).
    pub bounce: Option<lettre::Address>,
    /// Participant links are this followed by the token.
    pub link_base: String,
    pub key: TokenKey,
    /// Where mail is written as `.eml` files when no SMTP server is configured.
    pub files: Option<std::path::PathBuf>,
}

impl MailContext {
    /// The mail settings of a service listening on `listening` (participant links follow
    /// it unless `public_url` or `respond_link_base` say otherwise).
    pub fn from_settings(
        settings: &crate::config::Settings,
        listening: std::net::SocketAddr,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        Ok(Self {
            from: settings
                .mail_from
                .parse()
                .with_context(|| format!("mail_from {:?} is not a mailbox", settings.mail_from))?,
            reply_to: settings
                .mail_reply_to
                .as_deref()
                .map(|reply_to| {
                    reply_to
                        .parse()
                        .with_context(|| format!("mail_reply_to {reply_to:?} is not a mailbox"))
                })
                .transpose()?,
            bounce: bounce_address(settings)?,
            link_base: settings.link_base(listening),
            files: settings.smtp_url.is_none().then(|| settings.mail_dir()),
            key: settings.token_key()?,
        })
    }

    /// Who sends the mail and who gets the replies.
    pub fn sender(&self) -> Sender {
        Sender {
            from: self.from.clone(),
            reply_to: self.reply_to.clone(),
            bounce: self.bounce.clone(),
            key: self.key.clone(),
        }
    }

    /// The address people write to with questions: `mail_reply_to`, else `mail_from`.
    pub fn office_address(&self) -> String {
        self.reply_to
            .as_ref()
            .unwrap_or(&self.from)
            .email
            .to_string()
    }

    /// A participant link as a queued mail holds it, the token still a placeholder.
    pub fn link_without_token(&self) -> String {
        format!("{}{LINK_TOKEN_PLACEHOLDER}", self.link_base)
    }
}

/// The text with `token` in place of the link's placeholder.
pub fn with_token(text: &str, token: &Token) -> String {
    text.replace(LINK_TOKEN_PLACEHOLDER, token.as_str())
}

/// The `bounce_address` setting as an address, when set.
pub fn bounce_address(
    settings: &crate::config::Settings,
) -> anyhow::Result<Option<lettre::Address>> {
    use anyhow::Context;
    settings
        .bounce_address
        .as_deref()
        .map(|bounce| {
            bounce
                .parse()
                .with_context(|| format!("bounce_address {bounce:?} is not an address"))
        })
        .transpose()
}
