//! Operations endpoints: liveness, readiness, metrics and the OpenAPI document.

use actix_web::{HttpResponse, get, web};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::http::policy::Access;
use crate::http::state::ApiDocument;
use crate::http::state::AppState;
use crate::services::deliverability;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(healthz)
        .service(readyz)
        .service(metrics)
        .service(openapi_json);
}

/// The state of the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when alive, `ready` when the database answers too.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// How reading the bounce mailbox fares (readiness only, once it was ever read): a
    /// failing mailbox does not make the service unready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounce_mailbox: Option<MailboxHealth>,
}

/// The bounce mailbox's last passes, whichever instance made them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailboxHealth {
    /// `ok` after a pass that worked, `failing` after one that did not.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// Failed passes since the last that worked (the pause between passes doubles).
    pub failures: i32,
    pub last_success_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_failure_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why the last pass failed, in words that name nobody.
    pub last_error: Option<String>,
}

impl From<entity::job_lease::Model> for MailboxHealth {
    fn from(lease: entity::job_lease::Model) -> Self {
        Self {
            status: if lease.failures > 0 { "failing" } else { "ok" },
            failures: lease.failures,
            last_success_at: lease.last_success_at,
            last_failure_at: lease.last_failure_at,
            last_error: (lease.failures > 0).then_some(lease.last_error).flatten(),
        }
    }
}

/// Liveness: the process answers.
#[utoipa::path(
    extensions(("x-access" = json!(Access::Public))),
    tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        bounce_mailbox: None,
    })
}

/// Readiness: the database answers a query.
#[utoipa::path(
    extensions(("x-access" = json!(Access::Public))),
    tag = "operations",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "The database does not answer", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let ping = db.execute_unprepared("SELECT 1");
    match tokio::time::timeout(std::time::Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => {
            let mailbox = deliverability::mailbox_health(db).await?;
            Ok(HttpResponse::Ok().json(Health {
                status: "ready",
                bounce_mailbox: mailbox.map(MailboxHealth::from),
            }))
        }
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "readiness check failed");
            Err(ApiError::Unavailable("the database does not answer"))
        }
        Err(_) => Err(ApiError::Unavailable(
            "the database did not answer within 2 s",
        )),
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    extensions(("x-access" = json!(Access::Public))),
    tag = "operations",
    responses((status = 200, description = "Metrics", body = String, content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
async fn metrics() -> HttpResponse {
    let handle = crate::telemetry::prometheus();
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}

/// This OpenAPI document.
#[utoipa::path(
    extensions(("x-access" = json!(Access::Public))),
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object, content_type = "application/json"))
)]
#[get("/openapi.json")]
async fn openapi_json(document: web::Data<ApiDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.json.clone())
}
