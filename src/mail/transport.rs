//! Sending: SMTP (from a URL: `smtp://`, `smtps://`, STARTTLS with `?tls=required`,
//! credentials in the URL), or `.eml` files when no SMTP server is configured.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use entity::mailing;

/// Why a send failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Connection refused, timeout, a 4xx reply: try again later.
    Transient(String),
    /// A 5xx reply or an unusable message: trying again will not help.
    Permanent(String),
}

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Smtp(_) => "Transport::Smtp",
            Self::Files(_) => "Transport::Files",
        })
    }
}

impl Transport {
    /// SMTP when a URL is given (with up to `connections` pooled connections), else files
    /// under `mail_dir`.
    pub fn new(
        smtp_url: Option<&SecretString>,
        mail_dir: &Path,
        timeout: Duration,
        connections: u32,
    ) -> anyhow::Result<Self> {
        match smtp_url {
            Some(url) => Ok(Self::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .context("reading smtp_url")?
                    .timeout(Some(timeout))
                    .pool_config(PoolConfig::new().max_size(connections.max(1)))
                    .build(),
            )),
            None => {
                std::fs::create_dir_all(mail_dir)
                    .with_context(|| format!("creating {}", mail_dir.display()))?;
                Ok(Self::Files(AsyncFileTransport::new(mail_dir)))
            }
        }
    }

    /// Sends one outbox mail, giving up after `timeout`.
    pub async fn send(
        &self,
        mail: &mailing::Model,
        from: &Mailbox,
        timeout: Duration,
    ) -> Result<(), SendError> {
        let message = message(mail, from).map_err(SendError::Permanent)?;
        let sending = async {
            match self {
                Self::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|error| {
                    if error.is_permanent() {
                        SendError::Permanent(error.to_string())
                    } else {
                        SendError::Transient(error.to_string())
                    }
                }),
                Self::Files(files) => files
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|error| SendError::Transient(error.to_string())),
            }
        };
        match tokio::time::timeout(timeout, sending).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Transient(format!(
                "no answer within {} s",
                timeout.as_secs()
            ))),
        }
    }
}

fn message(mail: &mailing::Model, from: &Mailbox) -> Result<Message, String> {
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|_| "the recipient address is not usable".to_string())?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(mail.message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(
            mail.body_text.clone(),
            mail.body_html.clone(),
        ))
        .map_err(|error| format!("the message cannot be built: {error}"))
}
