//! Who is calling and what they may do. Staff and partner systems send
//! `Authorization: Bearer <key>`; the key's role decides each route. The `authenticate`
//! middleware checks both before a handler reads its parameters or body, so a caller
//! without a valid key or with a role that may not call the route gets 401 or 403 and
//! nothing else; handlers check the permission again where they use the caller.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use entity::api_key::Role;

use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::openapi::RouteTable;
use crate::services::{api_keys, audit::Actor};
use crate::startup::AppState;

/// What a route needs the caller's role to allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Administrations and workshops: no personal data. Every role.
    ReadRegistry,
    /// Analytics, reports and trends: administrations named, never people. Every role.
    ReadAnalytics,
    /// Participants, invitations, replies: names and emails. Not partners.
    ReadPersonalData,
    /// Creating, changing and deleting data, rounds and mailings.
    WriteData,
    /// API keys.
    ManageKeys,
    /// The audit log.
    ReadAuditLog,
    /// Webhook endpoints and their deliveries.
    ManageWebhooks,
    /// Exporting and erasing everything held about a participant.
    ManagePersonalData,
}

impl Permission {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Self::ReadRegistry | Self::ReadAnalytics => true,
            Self::ReadPersonalData => matches!(role, Role::Admin | Role::Editor | Role::Viewer),
            Self::WriteData => matches!(role, Role::Admin | Role::Editor),
            Self::ManageKeys
            | Self::ReadAuditLog
            | Self::ManageWebhooks
            | Self::ManagePersonalData => role == Role::Admin,
        }
    }
}

/// An authenticated caller. Extracting it answers 401 when the key is missing, unknown
/// or revoked.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: i32,
    pub name: String,
    pub role: Role,
    request_id: Option<String>,
}

impl Caller {
    /// 403 unless the caller's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if permission.allows(self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "this API key's role does not allow this request",
            ))
        }
    }

    /// The caller as the audit log names it.
    pub fn actor(&self) -> Actor {
        Actor {
            key_id: Some(self.key_id),
            name: self.name.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

impl Caller {
    /// The caller whose key the request carries; 401 when there is none or it is unknown
    /// or revoked.
    pub async fn authenticate(request: &HttpRequest) -> Result<Self, ApiError> {
        let secret = bearer_token(request)?;
        let state = request
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("application state is missing"))?;
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone());
        let key = api_keys::authenticate(&state.db, &secret)
            .await?
            .ok_or(ApiError::Unauthorized("the API key is unknown or revoked"))?;
        Ok(Caller {
            key_id: key.id,
            name: key.name,
            role: key.role,
            request_id,
        })
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    /// The caller the middleware authenticated, or (outside it) the key's owner.
    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let known = request.extensions().get::<Caller>().cloned();
        let request = request.clone();
        Box::pin(async move {
            match known {
                Some(caller) => Ok(caller),
                None => Caller::authenticate(&request).await,
            }
        })
    }
}

/// What a staff route needs: admins' own routes, people's data, or (everything else) the
/// registry and analytics to read and data to change. `tests/api/access.rs` holds every
/// route to this.
pub fn required_permission(method: &Method, pattern: &str) -> Permission {
    const PERSONAL: [&str; 6] = [
        "/participants",
        "/invitations",
        "/replies",
        "/good-practices",
        "/mailings",
        "/mail-templates",
    ];
    if pattern.starts_with("/v1/api-keys") {
        Permission::ManageKeys
    } else if pattern.starts_with("/v1/audit-log") {
        Permission::ReadAuditLog
    } else if pattern.starts_with("/v1/webhooks") {
        Permission::ManageWebhooks
    } else if pattern.ends_with("/personal-data") || pattern.ends_with("/erase") {
        Permission::ManagePersonalData
    } else if pattern.ends_with("/preview") {
        Permission::ReadPersonalData
    } else if method != Method::GET {
        Permission::WriteData
    } else if PERSONAL.iter().any(|part| pattern.contains(part)) {
        Permission::ReadPersonalData
    } else {
        Permission::ReadRegistry
    }
}

/// Authenticates and authorizes every documented staff route before its handler runs.
pub async fn authenticate(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // The path as the router matches it: percent-decoded, so `/v1/api%2Dkeys` is checked
    // like `/v1/api-keys`.
    let path = request.match_info().as_str().to_owned();
    let staff = path.starts_with("/v1/") && !path.starts_with("/v1/respond/");
    let documented = staff
        .then(|| request.request().resource_map().match_pattern(&path))
        .flatten()
        .filter(|_| {
            request
                .app_data::<web::Data<RouteTable>>()
                .is_some_and(|routes| {
                    routes
                        .methods_for(&path)
                        .iter()
                        .any(|m| m == request.method().as_str())
                })
        });
    let Some(pattern) = documented else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let checked = match Caller::authenticate(request.request()).await {
        Ok(caller) => caller
            .require(required_permission(request.method(), &pattern))
            .map(|()| caller),
        Err(error) => Err(error),
    };
    match checked {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            Ok(next.call(request).await?.map_into_boxed_body())
        }
        Err(error) => Ok(request.into_response(error.error_response())),
    }
}

/// The secret of `Authorization: Bearer <key>`.
pub fn bearer_token(request: &HttpRequest) -> Result<String, ApiError> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "send an API key as `Authorization: Bearer <key>`",
        ))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not valid text"))?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::Unauthorized(
        "the Authorization header must be `Bearer <key>`",
    ))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <key>`",
        ));
    }
    Ok(token.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partners_never_read_personal_data() {
        assert!(Permission::ReadRegistry.allows(Role::Partner));
        assert!(!Permission::ReadPersonalData.allows(Role::Partner));
        assert!(!Permission::WriteData.allows(Role::Partner));
    }

    #[test]
    fn only_admins_manage_keys_and_read_the_audit_log() {
        for role in [Role::Editor, Role::Viewer, Role::Partner] {
            assert!(!Permission::ManageKeys.allows(role));
            assert!(!Permission::ReadAuditLog.allows(role));
        }
        assert!(Permission::ManageKeys.allows(Role::Admin));
    }

    #[test]
    fn viewers_read_but_do_not_write() {
        assert!(Permission::ReadPersonalData.allows(Role::Viewer));
        assert!(!Permission::WriteData.allows(Role::Viewer));
    }
}
