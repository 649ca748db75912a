//! The webhook worker: claims due deliveries, posts each to its endpoint signed per the
//! Standard Webhooks scheme, and records the attempt. A 2xx answer delivers; anything else
//! (another status, a redirect, which is never followed, a refused connection or a
//! timeout) retries with exponential backoff until the attempts run out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Duration as Span;
use entity::webhook;
use entity::webhook_delivery::{self, DeliveryStatus};
use futures_util::{StreamExt, stream};
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::poll::poll_until_stopped;
use crate::base::clock::Clock;
use crate::base::queue::backoff;
use crate::services::webhooks::deliveries::{self, AttemptOutcome};
use crate::webhooks::target::{FilteringResolver, InternalAddress};
use crate::webhooks::{TargetPolicy, signature};

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub max_attempts: u32,
    pub retry_base: Span,
    pub lease: Span,
    pub batch_size: u64,
    pub concurrency: usize,
    pub timeout: Duration,
    pub policy: TargetPolicy,
    /// Fixed addresses of names, as `/etc/hosts` gives them (tests).
    pub hosts: HashMap<String, Vec<IpAddr>>,
    /// The proxy requests go through, when one is configured (`webhook_proxy_url`).
    pub proxy: Option<reqwest::Url>,
}

impl WebhookSettings {
    pub fn from_settings(settings: &crate::config::Settings) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(settings.webhook_timeout_secs.max(1));
        let proxy =
            match settings.webhook_proxy_url.as_deref() {
                Some(url) => Some(reqwest::Url::parse(url).map_err(|e| {
                    anyhow::anyhow!("webhook_proxy_url: {url:?} is not a URL ({e})")
                })?),
                None => None,
            };
        Ok(Self {
            max_attempts: settings.webhook_max_attempts.max(1),
            retry_base: Span::seconds(
                i64::try_from(settings.webhook_retry_base_secs).unwrap_or(3600),
            ),
            // Long enough that a claimed delivery is never sent twice by two workers.
            lease: Span::seconds(i64::try_from(timeout.as_secs() * 3 + 30).unwrap_or(3600)),
            batch_size: 20,
            concurrency: 8,
            timeout,
            policy: TargetPolicy::new(&settings.webhook_allowed_hosts),
            hosts: HashMap::new(),
            proxy,
        })
    }
}

/// What one pass of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WebhookReport {
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
    /// Claimed for an endpoint found inactive: paused unsent.
    pub paused: usize,
}

impl WebhookReport {
    pub fn handled(&self) -> usize {
        self.delivered + self.retried + self.failed + self.paused
    }
}

#[derive(Debug, Clone)]
pub struct WebhookWorker {
    db: DatabaseConnection,
    client: reqwest::Client,
    /// Checks a target's addresses before a request goes through the proxy, which
    /// resolves the target itself.
    resolver: FilteringResolver,
    clock: Arc<dyn Clock>,
    settings: WebhookSettings,
}

impl WebhookWorker {
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        settings: WebhookSettings,
    ) -> anyhow::Result<Self> {
        let resolver = FilteringResolver::new(settings.policy.clone(), settings.hosts.clone());
        // The environment's proxies are never used: a target's name would go to them
        // unchecked. A configured proxy is reached by its own name (the resolver leaves it
        // alone); targets are checked before each request instead (`post`).
        let mut client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .user_agent(concat!("followup-webhooks/", env!("CARGO_PKG_VERSION")));
        client = match &settings.proxy {
            Some(proxy) => client
                .proxy(reqwest::Proxy::all(proxy.clone())?)
                .dns_resolver(Arc::new(resolver.trusting(proxy.host_str()))),
            None => client.dns_resolver(Arc::new(resolver.clone())),
        };
        Ok(Self {
            db,
            client: client.build()?,
            resolver,
            clock,
            settings,
        })
    }

    /// Claims one batch of due deliveries and sends them.
    pub async fn run_once(&self) -> anyhow::Result<WebhookReport> {
        let claimed = deliveries::claim_due(
            &self.db,
            self.clock.now(),
            self.settings.lease,
            self.settings.batch_size,
        )
        .await?;
        let outcomes: Vec<anyhow::Result<DeliveryStatus>> = stream::iter(claimed)
            .map(|delivery| self.deliver(delivery))
            .buffer_unordered(self.settings.concurrency)
            .collect()
            .await;
        let mut report = WebhookReport::default();
        for outcome in outcomes {
            match outcome? {
                DeliveryStatus::Delivered => report.delivered += 1,
                DeliveryStatus::Queued => report.retried += 1,
                DeliveryStatus::Failed => report.failed += 1,
                DeliveryStatus::Paused => report.paused += 1,
            }
        }
        Ok(report)
    }

    async fn deliver(&self, delivery: webhook_delivery::Model) -> anyhow::Result<DeliveryStatus> {
        let outcome = match deliveries::sendable(&self.db, &delivery).await? {
            Some((endpoint, _)) if !endpoint.active => {
                return Ok(deliveries::pause(&self.db, &delivery).await?);
            }
            Some((endpoint, body)) => self.post(&endpoint, &delivery, body).await,
            None => AttemptOutcome {
                at: self.clock.now(),
                status_code: None,
                error: Some("the webhook was deleted".into()),
                duration_ms: 0,
            },
        };
        let retry_at = (!outcome.succeeded()
            && (delivery.attempts as u32) < self.settings.max_attempts)
            .then(|| self.clock.now() + backoff(self.settings.retry_base, delivery.attempts));
        if !outcome.succeeded() {
            tracing::warn!(
                delivery = delivery.id,
                webhook = delivery.webhook_id,
                attempts = delivery.attempts,
                status = outcome.status_code,
                error = outcome.error.as_deref().unwrap_or_default(),
                retry = retry_at.is_some(),
                "webhook delivery failed"
            );
        }
        Ok(deliveries::record_attempt(&self.db, &delivery, &outcome, retry_at).await?)
    }

    async fn post(
        &self,
        endpoint: &webhook::Model,
        delivery: &webhook_delivery::Model,
        body: String,
    ) -> AttemptOutcome {
        let at = self.clock.now();
        let started = Instant::now();
        let failed = |error: String| AttemptOutcome {
            at,
            status_code: None,
            error: Some(error),
            duration_ms: elapsed_ms(started),
        };
        let url = match self.settings.policy.check(&endpoint.url) {
            Ok(url) => url,
            Err(reason) => return failed(format!("the URL is no longer allowed: {reason}")),
        };
        if self.settings.proxy.is_some()
            && let Err(error) = self
                .resolver
                .check(url.host_str().unwrap_or_default())
                .await
        {
            return failed(unreachable_because(&*error, self.settings.timeout));
        }
        let message_id = format!("evt_{}", delivery.event_id);
        let timestamp = at.timestamp();
        let Some(signature) = signature::sign(&endpoint.secret, &message_id, timestamp, &body)
        else {
            return failed("the webhook's secret is malformed".into());
        };
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status();
                AttemptOutcome {
                    at,
                    status_code: Some(status.as_u16()),
                    error: (!status.is_success())
                        .then(|| format!("the endpoint answered {status}")),
                    duration_ms: elapsed_ms(started),
                }
            }
            Err(error) => failed(unreachable(error, self.settings.timeout)),
        }
    }

    /// Delivers until `stop` turns true.
    pub async fn run(self, poll: Duration, stop: watch::Receiver<bool>) {
        let worker = &self;
        poll_until_stopped("webhook", poll, stop, move || async move {
            Ok(worker.run_once().await?.handled())
        })
        .await
    }
}

fn elapsed_ms(started: Instant) -> i32 {
    i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX)
}

/// Why a request got no answer, in one message whether the connection was refused, timed
/// out or never started: the log of deliveries must not tell ports apart like a scanner.
/// Only a refusal by the target policy (an internal address) is told as such.
fn unreachable(error: reqwest::Error, timeout: Duration) -> String {
    unreachable_because(&error, timeout)
}

fn unreachable_because(error: &(dyn std::error::Error + 'static), timeout: Duration) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.downcast_ref::<InternalAddress>().is_some() {
            return "the host resolves to an internal address; nothing was sent".into();
        }
        source = cause.source();
    }
    format!(
        "the endpoint could not be reached (refused, unreachable or no answer within {} s)",
        timeout.as_secs()
    )
}
