//! Settings: defaults in code, then an optional TOML or YAML file, then environment
//! variables. This is the only module that reads files or the environment for settings.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Toml, Yaml};
use secrecy::SecretString;

use serde::Deserialize;

mod database;
mod links;
pub mod secret;

pub use database::DatabaseSettings;

/// Environment variables read without the `FOLLOWUP_` prefix, for the usual names.
const PLAIN_ENV: &[&str] = &[
    "DATABASE_URL",
    "BIND",
    "DATA_DIR",
    "LOG_FORMAT",
    "LOG_LEVEL",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// `postgres://...` or `sqlite://...`; unset means the SQLite file under `data_dir`.
    pub database_url: Option<SecretString>,
    pub database_max_connections: u32,
    pub database_acquire_timeout_secs: u64,
    /// Where the embedded database and written mail live.
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `followup=debug,info`; `RUST_LOG` overrides it.
    pub log_level: String,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// How long in-flight requests may run on after SIGTERM or SIGINT.
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads; unset means one per core.
    pub http_workers: Option<usize>,
    /// Requests per minute one client address may make to `/v1/respond/...`.
    pub respond_requests_per_minute: NonZeroU32,
    /// Unknown or revoked API keys one client address may send a minute; past them its
    /// requests with a key get 429 until the minute is over.
    pub failed_keys_per_minute: NonZeroU32,
    /// Fault tests only: `abort-before-stored-response` ends the process after a request
    /// with an `Idempotency-Key` ran and before its response is stored.
    pub failpoint: Option<String>,
    /// Times one link may change its answers within an hour.
    pub revisions_per_hour: NonZeroU32,
    /// Times one link may change its answers in all.
    pub most_revisions: NonZeroU32,
    /// Reverse proxies whose `X-Forwarded-For` is believed, e.g. `["10.0.0.1"]`.
    pub trusted_proxies: Vec<IpAddr>,
    /// `smtp://user:pass@host:587?tls=required`, `smtps://...`; unset writes `.eml` files
    /// under `<data_dir>/mail`.
    pub smtp_url: Option<SecretString>,
    /// The sender of every mail.
    pub mail_from: String,
    /// Where replies to a mail go, e.g. `Survey office <survey@example.org>` (the office's
    /// mailbox, when `mail_from` is an address nobody reads); pages give it for help.
    pub mail_reply_to: Option<String>,
    /// The mailbox bounces come back to, e.g. `bounces@survey.example.org`: each mail
    /// leaves with the envelope sender `bounces+<mailing>.<mac>@survey.example.org`;
    /// unset, the envelope sender is `mail_from`'s address.
    pub bounce_address: Option<String>,
    /// The mailbox bounces arrive in, read over IMAP: `imaps://user:pass@host/INBOX`
    /// (`imap://` only for a server on the same machine); unset, nothing is read.
    pub bounce_mailbox_url: Option<SecretString>,
    /// How often the bounce mailbox is read.
    pub bounce_poll_interval_secs: u64,
    /// Where read messages go, and where unreadable, too large or foreign ones are set
    /// aside (folders of the bounce mailbox, created when missing).
    pub bounce_processed_folder: String,
    pub bounce_set_aside_folder: String,
    /// A larger message in the bounce mailbox is set aside unread.
    pub bounce_max_message_bytes: u32,
    /// Each step with the bounce mailbox (connect, login, fetch, move) within this.
    pub bounce_mailbox_timeout_secs: u64,
    /// Where participants reach the service, e.g. `https://survey.example.org` (behind a
    /// reverse proxy); unset means the address the service listens on.
    pub public_url: Option<String>,
    /// Participant links are this followed by the token; unset means the service's own
    /// answering page, `<public_url>/respond/`. Set it when a separate front end answers.
    pub respond_link_base: Option<String>,
    /// Secret from which participant tokens derive; unset means a random secret kept in
    /// `<data_dir>/token-secret`. Instances sharing a database must share it.
    pub token_secret: Option<SecretString>,
    /// Delivery attempts before a mail that keeps failing transiently is marked failed.
    pub mail_max_attempts: u32,
    /// First retry delay; each further retry waits twice as long (at most an hour).
    pub mail_retry_base_secs: u64,
    /// A send that takes longer is abandoned and retried.
    pub smtp_timeout_secs: u64,
    /// How long a worker holds a claimed mail before another may take it.
    pub mail_lease_secs: u64,
    /// Mails claimed at once by a worker.
    pub mail_batch_size: u64,
    /// Mails a worker sends at the same time (over pooled SMTP connections).
    pub mail_concurrency: usize,
    /// How often the delivery worker looks for due mail.
    pub mail_poll_interval_ms: u64,
    /// How often the scheduler looks for invitations and reminders to queue.
    pub scheduler_interval_secs: u64,
    /// Run the scheduler and the delivery worker inside `serve`.
    pub background_jobs: bool,
    /// The smallest base a share is written as a percentage in findings and feedback mail;
    /// below it, texts give counts ("2 of 3") without percentages or rankings.
    pub report_min_base: u32,
    /// Hosts webhooks may target (`hooks.example.org`, `*.example.org`, `127.0.0.1`); when
    /// empty, any host except loopback, private and link-local addresses.
    pub webhook_allowed_hosts: Vec<String>,
    /// The HTTP proxy webhooks go through (`http://proxy.internal:3128`); none by default,
    /// and the environment's `HTTP_PROXY`/`HTTPS_PROXY` are never used for webhooks.
    pub webhook_proxy_url: Option<String>,
    /// A webhook request taking longer is abandoned and retried.
    pub webhook_timeout_secs: u64,
    /// Attempts per webhook event before it is marked failed.
    pub webhook_max_attempts: u32,
    /// First webhook retry delay; each further retry waits twice as long (at most an hour).
    pub webhook_retry_base_secs: u64,
    /// How often the webhook worker looks for due deliveries.
    pub webhook_poll_interval_ms: u64,
    /// How long a stored `Idempotency-Key` response is replayed.
    pub idempotency_key_ttl_secs: u64,
    /// Origins allowed to call the API from a browser (`https://survey.example.org`).
    pub cors_allowed_origins: Vec<String>,
    /// Days after a round closes when the subject and bodies of its sent mail are removed.
    pub mail_retention_days: u32,
    /// Who gets the weekly digest of each open round (the office's staff); none, no digest.
    pub digest_recipients: Vec<String>,
    /// The day the digest goes out, at 09:00 in `office_time_zone`: `monday` ... `sunday`.
    pub digest_weekday: String,
    /// The office's time zone (IANA), for the digest's hour.
    pub office_time_zone: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            database_url: None,
            database_max_connections: database::DEFAULT_MAX_CONNECTIONS,
            database_acquire_timeout_secs: database::DEFAULT_ACQUIRE_TIMEOUT_SECS,
            data_dir: PathBuf::from(database::DEFAULT_DATA_DIR),
            log_format: LogFormat::Text,
            log_level: "info".into(),
            max_body_bytes: 1024 * 1024,
            shutdown_timeout_secs: 10,
            http_workers: None,
            respond_requests_per_minute: NonZeroU32::new(60).expect("not zero"),
            failed_keys_per_minute: NonZeroU32::new(20).expect("not zero"),
            failpoint: None,
            revisions_per_hour: NonZeroU32::new(20).expect("not zero"),
            most_revisions: NonZeroU32::new(100).expect("not zero"),
            trusted_proxies: Vec::new(),
            smtp_url: None,
            mail_from: "ROCB A/P Follow-up Survey <followup@localhost>".into(),
            mail_reply_to: None,
            bounce_address: None,
            bounce_mailbox_url: None,
            bounce_poll_interval_secs: 60,
            bounce_processed_folder: "Processed".into(),
            bounce_set_aside_folder: "Set aside".into(),
            bounce_max_message_bytes: 2 * 1024 * 1024,
            bounce_mailbox_timeout_secs: 30,
            public_url: None,
            respond_link_base: None,
            token_secret: None,
            mail_max_attempts: 8,
            mail_retry_base_secs: 30,
            smtp_timeout_secs: 10,
            mail_lease_secs: 300,
            mail_batch_size: 20,
            mail_concurrency: 8,
            mail_poll_interval_ms: 1000,
            scheduler_interval_secs: 60,
            background_jobs: true,
            report_min_base: 5,
            webhook_allowed_hosts: Vec::new(),
            webhook_proxy_url: None,
            webhook_timeout_secs: 10,
            webhook_max_attempts: 8,
            webhook_retry_base_secs: 30,
            webhook_poll_interval_ms: 1000,
            idempotency_key_ttl_secs: 24 * 3600,
            cors_allowed_origins: Vec::new(),
            mail_retention_days: 365,
            digest_recipients: Vec::new(),
            digest_weekday: "monday".into(),
            office_time_zone: "Asia/Bangkok".into(),
        }
    }
}

impl Settings {
    /// Defaults, then `file` (by extension `.toml`, `.yaml` or `.yml`), then environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            anyhow::ensure!(
                path.exists(),
                "configuration file {} not found",
                path.display()
            );
            figment = match path.extension().and_then(|e| e.to_str()) {
                Some("toml") => figment.merge(Toml::file(path)),
                Some("yaml" | "yml") => figment.merge(Yaml::file(path)),
                _ => anyhow::bail!(
                    "configuration file {} must end in .toml, .yaml or .yml",
                    path.display()
                ),
            };
        }
        figment
            .merge(Env::raw().only(PLAIN_ENV))
            // FOLLOWUP_CONFIG names the file itself (see the command line), not a setting.
            .merge(Env::prefixed("FOLLOWUP_").ignore(&["config"]))
            .extract()
            .context("reading the configuration")
    }

    /// Where mail is written when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    pub fn database(&self) -> DatabaseSettings {
        DatabaseSettings {
            url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            max_connections: self.database_max_connections,
            acquire_timeout_secs: self.database_acquire_timeout_secs,
        }
    }
}

/// Creates `dir` (and its parents) readable by the owner only; an existing one is made so.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("restricting {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn with_nothing_set_the_service_uses_sqlite_under_data() {
        let settings = Settings::default();
        assert_eq!(settings.bind, "127.0.0.1:8080");
        assert_eq!(
            settings.database().url().expose_secret(),
            "sqlite://./data/followup.db?mode=rwc"
        );
    }

    #[test]
    fn a_toml_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("followup.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:9000\"\nlog_format = \"json\"\n").unwrap();
        let settings = Settings::load(Some(&path)).unwrap();
        assert_eq!(settings.bind, "0.0.0.0:9000");
        assert_eq!(settings.log_format, LogFormat::Json);
    }

    #[test]
    fn a_yaml_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("followup.yaml");
        std::fs::write(&path, "max_body_bytes: 2048\n").unwrap();
        assert_eq!(Settings::load(Some(&path)).unwrap().max_body_bytes, 2048);
    }

    #[test]
    fn an_unknown_setting_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("followup.toml");
        std::fs::write(&path, "bnd = \"x\"\n").unwrap();
        assert!(Settings::load(Some(&path)).is_err());
    }
}
