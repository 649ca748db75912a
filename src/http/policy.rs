//! Who may call each operation. Every handler declares its access once, next to its route,
//! in its `#[utoipa::path]`: `extensions(("x-access" = json!(Access::WriteData)))`. The
//! OpenAPI document publishes it (`x-access`, and the roles as the operation's security
//! requirement), [`RoutePolicy`] reads it back from that document at start-up, and the
//! `authenticate` middleware enforces it before a handler runs. A documented operation
//! without a declaration stops the document from being built, so it cannot be served.
//!
//! Rules about rows (a key may not revoke itself, partners' payloads name nobody) stay with
//! the use case; this is about operations only.

use std::collections::HashMap;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::api_key::Role;
use serde::{Deserialize, Serialize};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};

use crate::error::ApiError;

/// The extension each operation declares its access in.
pub const ACCESS_EXTENSION: &str = "x-access";

/// What an operation needs of its caller. Roles rank `partner` < `viewer` < `editor` <
/// `admin`, each allowed what those below it are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// No credential: health, readiness, metrics and the OpenAPI document.
    Public,
    /// The token of a personal link, in the path; no API key.
    ParticipantToken,
    /// Administrations, workshops, questionnaires, rounds: no personal data. Every role.
    ReadRegistry,
    /// Analytics, reports and trends: administrations named, never people. Every role.
    ReadAnalytics,
    /// Participants, invitations, replies, mail: names and emails. Not partners.
    ReadPersonalData,
    /// Creating, changing and deleting data, rounds and mailings. Admins and editors.
    WriteData,
    /// API keys. Admins.
    ManageKeys,
    /// The audit log. Admins.
    ReadAuditLog,
    /// Webhook endpoints and their deliveries. Admins.
    ManageWebhooks,
    /// Exporting and erasing everything held about a participant. Admins.
    ManagePersonalData,
}

impl Access {
    /// The roles an API key may have to call the operation; `None` when it takes no key.
    pub fn roles(self) -> Option<&'static [Role]> {
        const EVERY_ROLE: &[Role] = &[Role::Admin, Role::Editor, Role::Viewer, Role::Partner];
        const STAFF: &[Role] = &[Role::Admin, Role::Editor, Role::Viewer];
        const WRITERS: &[Role] = &[Role::Admin, Role::Editor];
        const ADMINS: &[Role] = &[Role::Admin];
        match self {
            Self::Public | Self::ParticipantToken => None,
            Self::ReadRegistry | Self::ReadAnalytics => Some(EVERY_ROLE),
            Self::ReadPersonalData => Some(STAFF),
            Self::WriteData => Some(WRITERS),
            Self::ManageKeys
            | Self::ReadAuditLog
            | Self::ManageWebhooks
            | Self::ManagePersonalData => Some(ADMINS),
        }
    }

    /// Whether the operation's answers may hold personal data, a token or a secret: those
    /// are sent with `Cache-Control: no-store` (by `super::auth::authenticate`).
    pub fn may_carry_personal_data(self) -> bool {
        !matches!(
            self,
            Self::Public | Self::ReadRegistry | Self::ReadAnalytics
        )
    }

    /// Whether the operation takes an API key.
    pub fn needs_api_key(self) -> bool {
        self.roles().is_some()
    }

    /// Whether a key with `role` may call the operation.
    pub fn allows(self, role: Role) -> bool {
        self.roles().is_some_and(|roles| roles.contains(&role))
    }

    /// The name the document gives it (`write-data`).
    pub fn name(self) -> String {
        crate::domain::wire_name(self)
    }

    /// The access an operation of the document declares.
    pub fn declared_by(operation: &Operation) -> Option<Self> {
        let value = operation.extensions.as_ref()?.get(ACCESS_EXTENSION)?;
        serde_json::from_value(value.clone()).ok()
    }
}

/// Each operation of a path, by method.
pub fn operations(item: &PathItem) -> impl Iterator<Item = (Method, &Operation)> {
    [
        (Method::GET, &item.get),
        (Method::PUT, &item.put),
        (Method::POST, &item.post),
        (Method::DELETE, &item.delete),
        (Method::PATCH, &item.patch),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|o| (method, o)))
}

/// One documented path and the access of each of its methods.
#[derive(Debug, Clone)]
struct Route {
    segments: Vec<String>,
    methods: Vec<(Method, Access)>,
}

/// The documented operations and who may call them, read from the OpenAPI document.
#[derive(Debug, Clone, Default)]
pub struct RoutePolicy {
    routes: Vec<Route>,
    /// Route index by pattern, for the lookup every request makes.
    by_pattern: HashMap<String, usize>,
}

/// An operation of the document that declares no access.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{method} {path} declares no access: add `extensions((\"x-access\" = json!(Access::...)))` to its #[utoipa::path]"
)]
pub struct Undeclared {
    pub method: String,
    pub path: String,
}

impl RoutePolicy {
    pub fn from_document(api: &OpenApi) -> Result<Self, Undeclared> {
        let mut routes = Vec::new();
        for (path, item) in api.paths.paths.iter() {
            let mut methods = Vec::new();
            for (method, operation) in operations(item) {
                let access = Access::declared_by(operation).ok_or_else(|| Undeclared {
                    method: method.to_string(),
                    path: path.clone(),
                })?;
                methods.push((method, access));
            }
            routes.push(Route {
                segments: path.split('/').map(str::to_owned).collect(),
                methods,
            });
        }
        let by_pattern = api.paths.paths.keys().cloned().zip(0..).collect();
        Ok(Self { routes, by_pattern })
    }

    /// The access of `method` on the route the router matched (`/v1/rounds/{id}`); `None`
    /// for an undocumented route or method, which the router answers itself.
    pub fn access(&self, method: &Method, pattern: &str) -> Option<Access> {
        self.routes[*self.by_pattern.get(pattern)?]
            .methods
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, access)| *access)
    }

    /// Methods documented for a concrete `path`; empty when no documented path matches.
    pub fn methods_for(&self, path: &str) -> Vec<String> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut methods: Vec<String> = self
            .routes
            .iter()
            .filter(|route| {
                route.segments.len() == segments.len()
                    && route
                        .segments
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
            })
            .flat_map(|route| route.methods.iter().map(|(m, _)| m.to_string()))
            .collect();
        if methods.iter().any(|method| method == "GET") {
            methods.push("HEAD".to_owned());
        }
        methods.sort();
        methods.dedup();
        methods
    }
}

/// What no route matched: 405 with `Allow` when the path exists with other methods,
/// else 404.
pub async fn fallback(
    request: HttpRequest,
    policy: web::Data<RoutePolicy>,
) -> Result<HttpResponse, ApiError> {
    let allow = policy.methods_for(request.path());
    Err(if allow.is_empty() {
        ApiError::NotFound("no route matches this path".into())
    } else {
        ApiError::MethodNotAllowed { allow }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partners_never_read_personal_data() {
        assert!(Access::ReadRegistry.allows(Role::Partner));
        assert!(!Access::ReadPersonalData.allows(Role::Partner));
        assert!(!Access::WriteData.allows(Role::Partner));
    }

    #[test]
    fn only_admins_manage_keys_and_read_the_audit_log() {
        for role in [Role::Editor, Role::Viewer, Role::Partner] {
            assert!(!Access::ManageKeys.allows(role));
            assert!(!Access::ReadAuditLog.allows(role));
        }
        assert!(Access::ManageKeys.allows(Role::Admin));
    }

    #[test]
    fn viewers_read_but_do_not_write() {
        assert!(Access::ReadPersonalData.allows(Role::Viewer));
        assert!(!Access::WriteData.allows(Role::Viewer));
    }

    #[test]
    fn public_and_token_operations_take_no_key() {
        for access in [Access::Public, Access::ParticipantToken] {
            assert!(!access.needs_api_key());
            assert!(!access.allows(Role::Admin));
        }
        assert_eq!(Access::WriteData.name(), "write-data");
    }
}
