//! Mail: templates, the durable outbox, what each kind of mail says, and transports.

pub mod compose;
pub mod outbox;
pub mod templates;
pub mod transport;

use lettre::message::Mailbox;

use crate::domain::TokenKey;

/// What queuing mail needs besides the database.
#[derive(Debug, Clone)]
pub struct MailContext {
    pub from: Mailbox,
    /// Participant links are this followed by the token.
    pub link_base: String,
    pub key: TokenKey,
}

impl MailContext {
    pub fn from_settings(settings: &crate::config::Settings) -> anyhow::Result<Self> {
        use anyhow::Context;
        Ok(Self {
            from: settings
                .mail_from
                .parse()
                .with_context(|| format!("mail_from {:?} is not a mailbox", settings.mail_from))?,
            link_base: settings.respond_link_base.clone(),
            key: settings.token_key()?,
        })
    }

    pub fn link(&self, token: &crate::domain::Token) -> String {
        format!("{}{}", self.link_base, token.as_str())
    }
}
