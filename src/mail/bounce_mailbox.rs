//! The bounce mailbox over IMAP (`async-imap`): list what is in its folder, fetch one
//! message, move it to another folder (RFC 6851 `MOVE`, which Dovecot, Exchange and Gmail
//! have). `imaps://` goes over TLS (`tokio-rustls`, the web's root certificates); `imap://`
//! is plain, for a server on the same machine.

use std::fmt::Debug;
use std::time::Duration;

use anyhow::Context;
use async_imap::Session;
use futures_util::TryStreamExt;
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Where the bounce mailbox is: `imaps://user:password@host[:993]/INBOX`.
#[derive(Clone)]
pub struct MailboxUrl {
    tls: bool,
    host: String,
    port: u16,
    user: String,
    password: SecretString,
    folder: String,
}

impl Debug for MailboxUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxUrl")
            .field("tls", &self.tls)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl MailboxUrl {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(text).context("bounce_mailbox_url is not a URL")?;
        let tls = match url.scheme() {
            "imaps" => true,
            "imap" => false,
            other => {
                anyhow::bail!("bounce_mailbox_url must be imaps:// or imap://, not {other}://")
            }
        };
        let decode = |s: &str| {
            percent_decode(s).context("bounce_mailbox_url has a badly escaped user or password")
        };
        let folder = decode(url.path().trim_start_matches('/'))?;
        Ok(Self {
            tls,
            host: url
                .host_str()
                .context("bounce_mailbox_url names no host")?
                .to_owned(),
            port: url.port().unwrap_or(if tls { 993 } else { 143 }),
            user: decode(url.username())?,
            password: SecretString::from(decode(url.password().unwrap_or_default())?),
            folder: if folder.is_empty() {
                "INBOX".into()
            } else {
                folder
            },
        })
    }

    pub fn folder(&self) -> &str {
        &self.folder
    }
}

fn percent_decode(text: &str) -> anyhow::Result<String> {
    Ok(percent_encoding::percent_decode_str(text)
        .decode_utf8()?
        .into_owned())
}

/// What the IMAP session runs over: TCP, or TLS over TCP.
trait Connection: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Connection for T {}

/// A message in the mailbox, by its IMAP UID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub uid: u32,
    pub size: u32,
}

/// An open session on the bounce mailbox's folder.
pub struct Mailbox {
    session: Session<Box<dyn Connection>>,
    timeout: Duration,
}

impl Mailbox {
    /// Connects, logs in and selects the folder; every step within `timeout`.
    pub async fn open(url: &MailboxUrl, timeout: Duration) -> anyhow::Result<Self> {
        let within =
            |what: &'static str| move |_| anyhow::anyhow!("{what} took longer than {timeout:?}");
        let tcp = tokio::time::timeout(timeout, TcpStream::connect((url.host.as_str(), url.port)))
            .await
            .map_err(within("connecting to the bounce mailbox"))?
            .context("connecting to the bounce mailbox")?;
        let stream: Box<dyn Connection> = if url.tls {
            Box::new(
                tokio::time::timeout(
                    timeout,
                    tls_connector().connect(server_name(&url.host)?, tcp),
                )
                .await
                .map_err(within("the TLS handshake with the bounce mailbox"))?
                .context("the TLS handshake with the bounce mailbox")?,
            )
        } else {
            Box::new(tcp)
        };
        let mut client = async_imap::Client::new(stream);
        tokio::time::timeout(timeout, client.read_response())
            .await
            .map_err(within("the bounce mailbox's greeting"))?
            .context("reading the bounce mailbox's greeting")?
            .context("the bounce mailbox closed the connection")?;
        let mut session = tokio::time::timeout(
            timeout,
            client.login(&url.user, url.password.expose_secret()),
        )
        .await
        .map_err(within("logging in to the bounce mailbox"))?
        .map_err(|(error, _)| anyhow::anyhow!("the bounce mailbox refused the login: {error}"))?;
        tokio::time::timeout(timeout, session.select(&url.folder))
            .await
            .map_err(within("opening the bounce mailbox's folder"))?
            .with_context(|| format!("opening the folder {}", url.folder))?;
        Ok(Self { session, timeout })
    }

    /// The messages in the folder, oldest first, with their sizes.
    pub async fn entries(&mut self) -> anyhow::Result<Vec<Entry>> {
        let timeout = self.timeout;
        let listed = async {
            let fetches: Vec<_> = self
                .session
                .uid_fetch("1:*", "(UID RFC822.SIZE)")
                .await?
                .try_collect()
                .await?;
            anyhow::Ok(fetches)
        };
        let fetches = tokio::time::timeout(timeout, listed)
            .await
            .context("listing the bounce mailbox took too long")??;
        let mut entries: Vec<Entry> = fetches
            .iter()
            .filter_map(|f| {
                Some(Entry {
                    uid: f.uid?,
                    size: f.size.unwrap_or(0),
                })
            })
            .collect();
        entries.sort_by_key(|e| e.uid);
        entries.dedup();
        Ok(entries)
    }

    /// The whole message `uid`, leaving it unseen.
    pub async fn fetch(&mut self, uid: u32) -> anyhow::Result<Option<Vec<u8>>> {
        let timeout = self.timeout;
        let fetched = async {
            let fetches: Vec<_> = self
                .session
                .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                .await?
                .try_collect()
                .await?;
            anyhow::Ok(fetches)
        };
        let fetches = tokio::time::timeout(timeout, fetched)
            .await
            .context("fetching from the bounce mailbox took too long")??;
        Ok(fetches.iter().find_map(|f| f.body().map(<[u8]>::to_vec)))
    }

    /// Creates `folder` unless it exists.
    pub async fn ensure_folder(&mut self, folder: &str) -> anyhow::Result<()> {
        let timeout = self.timeout;
        // async-imap sends the pattern as given: quoted here, so a name with a space is
        // one argument.
        let pattern = format!("\"{}\"", folder.replace('\\', "\\\\").replace('"', "\\\""));
        let listed: Vec<_> = tokio::time::timeout(timeout, async {
            self.session
                .list(None, Some(&pattern))
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await
        .context("listing the bounce mailbox's folders took too long")??;
        if !listed.iter().any(|name| name.name() == folder) {
            tokio::time::timeout(timeout, self.session.create(folder))
                .await
                .context("creating a folder took too long")?
                .with_context(|| format!("creating the folder {folder}"))?;
        }
        Ok(())
    }

    /// Moves message `uid` to `folder`.
    pub async fn move_to(&mut self, uid: u32, folder: &str) -> anyhow::Result<()> {
        tokio::time::timeout(self.timeout, self.session.uid_mv(uid.to_string(), folder))
            .await
            .context("moving a message took too long")?
            .with_context(|| format!("moving a message to {folder}"))
    }

    /// Logs out (a failure here loses nothing).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(self.timeout, self.session.logout()).await;
    }
}

fn tls_connector() -> tokio_rustls::TlsConnector {
    let roots = tokio_rustls::rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
}

fn server_name(host: &str) -> anyhow::Result<tokio_rustls::rustls::pki_types::ServerName<'static>> {
    tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_owned())
        .context("bounce_mailbox_url's host is not a valid server name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_url_names_the_server_the_login_and_the_folder() {
        let url = MailboxUrl::parse(
            "imaps://bounces%40survey.example.org:p%2Fss+word@mail.example.org/Bounces",
        )
        .unwrap();
        assert!(url.tls);
        assert_eq!(url.host, "mail.example.org");
        assert_eq!(url.port, 993);
        assert_eq!(url.user, "bounces@survey.example.org");
        assert_eq!(url.password.expose_secret(), "p/ss+word");
        assert_eq!(url.folder(), "Bounces");
        let plain = MailboxUrl::parse("imap://u:p@127.0.0.1:1143").unwrap();
        assert_eq!(
            (plain.tls, plain.port, plain.folder()),
            (false, 1143, "INBOX")
        );
        assert!(!format!("{url:?}").contains("word"));
        assert!(MailboxUrl::parse("pop3://u:p@host/").is_err());
        assert!(MailboxUrl::parse("not a url").is_err());
    }
}
