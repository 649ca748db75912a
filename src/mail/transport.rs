//! Sending: SMTP (from a URL: `smtp://`, `smtps://`, STARTTLS with `?tls=required`,
//! credentials in the URL), or `.eml` files when no SMTP server is configured.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use entity::mailing;

use super::send_error::SendError;
use super::{Sender, message};
use crate::config::private_dir;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in this folder, one per mail, named by its Message-ID ([`mail_file`]).
    Files(PathBuf),
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
                private_dir(mail_dir)?;
                Ok(Self::Files(mail_dir.to_path_buf()))
            }
        }
    }

    /// Sends one outbox mail, giving up after `timeout`.
    pub async fn send(
        &self,
        mail: &mailing::Model,
        sender: &Sender,
        timeout: Duration,
    ) -> Result<(), SendError> {
        let message = message::build(mail, sender)
            .map_err(|detail| SendError::permanent("the message could not be built", detail))?;
        let sending = async {
            match self {
                Self::Smtp(smtp) => smtp
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|error| SendError::from_smtp(&error)),
                Self::Files(dir) => write_file(&mail_file(dir, &mail.message_id), &message)
                    .await
                    .map_err(|error| {
                        SendError::transient(
                            "the mail file could not be written",
                            error.to_string(),
                        )
                    }),
            }
        };
        match tokio::time::timeout(timeout, sending).await {
            Ok(result) => result,
            Err(_) => Err(SendError::transient(
                "the server did not answer in time",
                format!("no answer within {} s", timeout.as_secs()),
            )),
        }
    }
}

/// The file a mail with `message_id` is written to under `dir`: the Message-ID without its
/// brackets, other characters than letters, digits, `.`, `-`, `_` and `@` replaced.
pub fn mail_file(dir: &Path, message_id: &str) -> PathBuf {
    let name: String = message_id
        .trim_matches(['<', '>'])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{name}.eml"))
}

/// Writes the message whole under a temporary name, readable by the owner only (it holds
/// a name, an address and a live link), then moves it into place; a resend replaces it.
async fn write_file(path: &Path, message: &Message) -> std::io::Result<()> {
    let path = path.to_path_buf();
    let bytes = message.formatted();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let temporary = path.with_extension("eml.partial");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)
    })
    .await
    .map_err(std::io::Error::other)?
}
