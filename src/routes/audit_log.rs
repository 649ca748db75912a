//! `/v1/audit-log`: every change staff made, newest first. Admins only.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use entity::audit_log;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::domain::TextInput;
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::extract::{query_id, query_text};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::state::AppState;
use crate::services::audit::{self as service, AuditFilter};

pub fn routes(config: &mut ServiceConfig) {
    config.service(list_audit_log);
}

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i32,
    pub occurred_at: DateTime<Utc>,
    /// The API key that made the change; absent for the command line.
    pub actor_key_id: Option<i32>,
    pub actor_name: String,
    /// `create`, `update`, `delete`, `revoke`, ...
    #[schema(example = "update")]
    pub action: String,
    #[schema(example = "workshop")]
    pub entity_type: String,
    #[schema(example = "12")]
    pub entity_id: String,
    /// The `X-Request-Id` of the request that made the change.
    pub request_id: Option<String>,
    /// The record before the change.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(model: audit_log::Model) -> Self {
        Self {
            id: model.id,
            occurred_at: model.occurred_at,
            actor_key_id: model.actor_key_id,
            actor_name: model.actor_name,
            action: model.action,
            entity_type: model.entity_type,
            entity_id: model.entity_id,
            request_id: model.request_id,
            before: model.before,
            after: model.after,
        }
    }
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `workshop`, `participant`, `api_key`.
    pub entity_type: Option<TextInput>,
    pub entity_id: Option<TextInput>,
    #[param(minimum = 1, maximum = 2147483647)]
    pub actor_key_id: Option<i32>,
    /// Entries at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

/// Read the audit log, newest first.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadAuditLog))),
    tag = "audit-log",
    params(AuditQuery, PageParams),
    responses((status = 200, body = Page<AuditEntry>))
)]
#[get("/audit-log")]
async fn list_audit_log(
    state: web::Data<AppState>,
    Query(query): Query<AuditQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let filter = AuditFilter {
        entity_type: query_text("entity_type", query.entity_type)?,
        entity_id: query_text("entity_id", query.entity_id)?,
        actor_key_id: query_id("actor_key_id", query.actor_key_id)?,
        since: query.since,
        until: query.until,
    };
    let listing = service::list(&state.db, filter, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, AuditEntry::from)))
}
