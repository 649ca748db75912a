//! Who is calling and what they may do. Staff and partner systems send
//! `Authorization: Bearer <key>`; the key's role decides each route.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use entity::api_key::Role;

use crate::error::ApiError;
use crate::middleware::RequestId;
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
}

impl Permission {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Self::ReadRegistry | Self::ReadAnalytics => true,
            Self::ReadPersonalData => matches!(role, Role::Admin | Role::Editor | Role::Viewer),
            Self::WriteData => matches!(role, Role::Admin | Role::Editor),
            Self::ManageKeys | Self::ReadAuditLog | Self::ManageWebhooks => role == Role::Admin,
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

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let secret = bearer_token(request);
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone());
        Box::pin(async move {
            let secret = secret?;
            let state = state.ok_or_else(|| anyhow::anyhow!("application state is missing"))?;
            let key = api_keys::authenticate(&state.db, &secret)
                .await?
                .ok_or(ApiError::Unauthorized("the API key is unknown or revoked"))?;
            Ok(Caller {
                key_id: key.id,
                name: key.name,
                role: key.role,
                request_id,
            })
        })
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
