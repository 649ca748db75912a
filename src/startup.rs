//! Building the HTTP application: binds its listener first (port 0 picks a free one, as
//! tests do), then serves until stopped. SIGTERM and SIGINT stop it gracefully.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, ErrorHandlers, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::analytics::findings::MinBase;
use crate::base::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::error::problem_for_foreign_errors;
use crate::http::extract::BodyLimit;
use crate::http::failed_keys::FailedKeys;
use crate::http::policy::{self, RoutePolicy};
use crate::http::rate_limit::RespondLimiter;
use crate::http::state::{ApiDocument, AppState};
use crate::http::{auth, conditional, cors, head, idempotency, observe};
use crate::jobs::bounce_poller::{BouncePoller, BounceSettings};
use crate::jobs::scheduler::Scheduler;
use crate::jobs::webhook_worker::{WebhookSettings, WebhookWorker};
use crate::jobs::worker::{DeliverySettings, Worker};
use crate::mail::MailContext;
use crate::mail::bounce_mailbox::MailboxUrl;
use crate::mail::transport::Transport;
use crate::openapi;
use crate::services::deliverability::Returns;
use crate::services::digest::DigestSettings;
use crate::services::questionnaires::QuestionCache;
use crate::services::replies::context::RevisionBounds;
use crate::services::{api_keys, questionnaires, seed};
use crate::webhooks::TargetPolicy;
use crate::{db, routes};

pub struct Application {
    port: u16,
    server: Server,
    jobs: Option<Jobs>,
}

/// The scheduler and the delivery worker running beside the HTTP server.
struct Jobs {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Jobs {
    fn start(
        settings: &Settings,
        db: &DatabaseConnection,
        mail: &MailContext,
    ) -> anyhow::Result<Self> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let delivery = DeliverySettings::from_settings(settings);
        let transport = Transport::new(
            settings.smtp_url.as_ref(),
            &settings.mail_dir(),
            delivery.send_timeout,
            delivery.concurrency as u32,
        )?;
        let worker = Worker {
            db: db.clone(),
            transport: Arc::new(transport),
            sender: mail.sender(),
            key: mail.key.clone(),
            clock: clock.clone(),
            settings: delivery,
        };
        let webhook_worker = WebhookWorker::new(
            db.clone(),
            clock.clone(),
            WebhookSettings::from_settings(settings)?,
        )?;
        let scheduler = Scheduler {
            db: db.clone(),
            mail: mail.clone(),
            clock: clock.clone(),
            mail_retention: chrono::Duration::days(i64::from(settings.mail_retention_days)),
            digest: digest_settings(settings)?,
        };
        let bounce_poller = bounce_poller(settings, db, mail, clock.clone())?;
        let (stop, stopped) = watch::channel(false);
        let mut handles = vec![
            tokio::spawn(worker.run(
                Duration::from_millis(settings.mail_poll_interval_ms.max(10)),
                stopped.clone(),
            )),
            tokio::spawn(webhook_worker.run(
                Duration::from_millis(settings.webhook_poll_interval_ms.max(10)),
                stopped.clone(),
            )),
            tokio::spawn(scheduler.run(
                Duration::from_secs(settings.scheduler_interval_secs.max(1)),
                stopped.clone(),
            )),
        ];
        if let Some(poller) = bounce_poller {
            handles.push(tokio::spawn(poller.run(stopped)));
        }
        Ok(Self { stop, handles })
    }

    /// Lets each job finish what it is doing, then waits for it.
    async fn stop(self) {
        let _ = self.stop.send(true);
        for handle in self.handles {
            let _ = handle.await;
        }
    }
}

/// The weekly digest's recipients and moment, when it has recipients.
pub fn digest_settings(settings: &Settings) -> anyhow::Result<Option<DigestSettings>> {
    if settings.digest_recipients.is_empty() {
        return Ok(None);
    }
    let recipients = settings
        .digest_recipients
        .iter()
        .map(|r| {
            crate::domain::Email::parse(r)
                .map(crate::domain::Email::into_inner)
                .map_err(|e| anyhow::anyhow!("digest_recipients: {r:?}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let weekday = settings
        .digest_weekday
        .parse::<chrono::Weekday>()
        .map_err(|_| {
            anyhow::anyhow!("digest_weekday {:?} is not a day", settings.digest_weekday)
        })?;
    let zone = crate::domain::TimeZone::parse(&settings.office_time_zone)
        .map_err(|e| anyhow::anyhow!("office_time_zone: {e}"))?
        .tz();
    Ok(Some(DigestSettings {
        recipients,
        weekday,
        zone,
    }))
}

/// The bounce mailbox's poller, when `bounce_mailbox_url` is set.
fn bounce_poller(
    settings: &Settings,
    db: &DatabaseConnection,
    mail: &MailContext,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Option<BouncePoller>> {
    use secrecy::ExposeSecret;
    let Some(url) = settings.bounce_mailbox_url.as_ref() else {
        return Ok(None);
    };
    if mail.bounce.is_none() {
        tracing::warn!(
            "bounce_mailbox_url is set without bounce_address: bounces are matched by the Message-ID they quote only"
        );
    }
    let returns = Returns {
        bounce: mail.bounce.clone(),
        key: mail.key.clone(),
    };
    let bounce_settings = BounceSettings {
        url: MailboxUrl::parse(url.expose_secret())?,
        poll: Duration::from_secs(settings.bounce_poll_interval_secs.max(1)),
        lease: chrono::Duration::seconds(
            i64::try_from(settings.bounce_poll_interval_secs.max(1))
                .unwrap_or(3600)
                .saturating_mul(5)
                .max(60),
        ),
        timeout: Duration::from_secs(settings.bounce_mailbox_timeout_secs.max(1)),
        max_message_bytes: settings.bounce_max_message_bytes,
        processed_folder: settings.bounce_processed_folder.clone(),
        set_aside_folder: settings.bounce_set_aside_folder.clone(),
    };
    Ok(Some(BouncePoller::new(
        db.clone(),
        returns,
        clock,
        bounce_settings,
    )))
}

impl Application {
    /// Connects to the configured database, migrates and seeds it, and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings.database()).await?;
        prepare_database(&db).await?;
        if !api_keys::has_active_admin(&db).await? {
            tracing::warn!(
                "no active admin API key: create one with `followup keys create --role admin --name <you>`"
            );
        }
        Self::build_with_database(&settings, db)
    }

    /// Binds the listener over an already prepared database.
    pub fn build_with_database(
        settings: &Settings,
        db: DatabaseConnection,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        crate::telemetry::prometheus(); // install the recorder before the first request

        let document = openapi::document();
        let route_policy = web::Data::new(RoutePolicy::from_document(&document)?);
        let api_document = web::Data::new(ApiDocument {
            json: openapi::to_json(&document),
        });
        let listening = listener.local_addr()?;
        if let Some(warning) = settings.link_base_warning(listening) {
            tracing::warn!("{warning}");
        }
        let mail = MailContext::from_settings(settings, listening)?;
        let jobs = if settings.background_jobs {
            Some(Jobs::start(settings, &db, &mail)?)
        } else {
            None
        };
        let respond_limiter = web::Data::new(RespondLimiter::new(
            settings.respond_requests_per_minute,
            settings.trusted_proxies.clone(),
        ));
        let failed_keys = web::Data::new(FailedKeys::new(
            settings.failed_keys_per_minute,
            settings.trusted_proxies.clone(),
        ));
        let state = web::Data::new(app_state(settings, db, mail));
        let body_limit = settings.max_body_bytes;
        let cors_origins = cors::origins(&settings.cors_allowed_origins)?;

        let mut server = HttpServer::new(move || {
            // The last wrap is the outermost: observe sees every request as it came, HEAD
            // is routed as GET, text is compressed last (idempotency stores it plain), CORS
            // answers preflights before keys are checked, keys and roles are checked before
            // anything else, idempotency replays a stored response before a handler runs,
            // and ETags are computed over what the handler produced.
            App::new()
                .wrap(from_fn(conditional::etags))
                .wrap(from_fn(idempotency::idempotent))
                .wrap(from_fn(auth::authenticate))
                .wrap(cors::middleware(&cors_origins))
                .wrap(ErrorHandlers::new().default_handler(problem_for_foreign_errors))
                .wrap(Compress::default())
                .wrap(from_fn(head::as_get))
                .wrap(from_fn(observe::observe))
                .app_data(state.clone())
                .app_data(respond_limiter.clone())
                .app_data(failed_keys.clone())
                .app_data(api_document.clone())
                .app_data(route_policy.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(BodyLimit(body_limit))
                .into_utoipa_app()
                .configure(routes::configure)
                .into_app()
                .configure(crate::pages::configure)
                .service(
                    SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::new(["/openapi.json"])),
                )
                .route("/docs", web::get().to(redirect_to_docs))
                .default_service(web::to(policy::fallback))
        })
        .listen(listener)?
        .shutdown_timeout(settings.shutdown_timeout_secs);
        if let Some(workers) = settings.http_workers {
            server = server.workers(workers);
        }
        tracing::info!(port, "listening");
        Ok(Self {
            port,
            server: server.run(),
            jobs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT; in-flight requests get the shutdown timeout to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(jobs) = self.jobs {
            jobs.stop().await;
        }
        served
    }
}

/// What every handler reaches: the database and the settings its use cases need.
fn app_state(settings: &Settings, db: DatabaseConnection, mail: MailContext) -> AppState {
    AppState {
        db,
        mail,
        questions: QuestionCache::default(),
        min_base: MinBase(settings.report_min_base),
        idempotency_ttl: chrono::Duration::seconds(
            i64::try_from(settings.idempotency_key_ttl_secs).unwrap_or(i64::MAX / 1000),
        ),
        webhook_policy: TargetPolicy::new(&settings.webhook_allowed_hosts),
        revisions: RevisionBounds {
            per_hour: settings.revisions_per_hour.get(),
            in_all: settings.most_revisions.get(),
        },
        failpoint: settings.failpoint.clone(),
    }
}

/// Schema migrations, then reference data; both idempotent.
pub async fn prepare_database(db: &DatabaseConnection) -> anyhow::Result<()> {
    db::migrate(db).await?;
    let added = seed::administrations(db).await?;
    if added > 0 {
        tracing::info!(added, "seeded member administrations");
    }
    if questionnaires::seed_default(db).await? {
        tracing::info!("loaded the default questionnaire as version 1");
    }
    Ok(())
}

async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}
