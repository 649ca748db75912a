//! Who is calling. Staff and partner systems send `Authorization: Bearer <key>`; the
//! `authenticate` middleware checks the key and its role against the operation's declared
//! access (`super::policy`) before a handler reads its parameters or body, so a caller
//! without a valid key or with a role that may not call the operation gets 401 or 403 and
//! nothing else. Handlers that need the caller (the audit log names it) take [`Caller`].

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use entity::api_key::Role;

use super::failed_keys::FailedKeys;
use super::observe::RequestId;
use super::policy::{Access, RoutePolicy};
use super::state::AppState;
use crate::error::ApiError;
use crate::services::{api_keys, audit::Actor};

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
    /// The caller as the audit log names it.
    pub fn actor(&self) -> Actor {
        Actor {
            key_id: Some(self.key_id),
            name: self.name.clone(),
            request_id: self.request_id.clone(),
        }
    }

    /// The caller whose key the request carries; 401 when there is none or it is unknown
    /// or revoked.
    async fn authenticate(request: &HttpRequest) -> Result<Self, ApiError> {
        let secret = bearer_token(request)?;
        let state = request
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("application state is missing"))?;
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone());
        let failed_keys = request.app_data::<web::Data<FailedKeys>>();
        let client = failed_keys.and_then(|keys| keys.client(request));
        if let Some((keys, client)) = failed_keys.zip(client) {
            keys.check(client)
                .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
        }
        let Some(key) = api_keys::authenticate(&state.db, &secret).await? else {
            if let Some((keys, client)) = failed_keys.zip(client) {
                keys.failed(client);
            }
            return Err(ApiError::Unauthorized("the API key is unknown or revoked"));
        };
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
    type Future = std::future::Ready<Result<Self, ApiError>>;

    /// The caller the middleware authenticated. An operation that takes no key has none.
    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(request.extensions().get::<Caller>().cloned().ok_or(
            ApiError::Unauthorized("send an API key as `Authorization: Bearer <key>`"),
        ))
    }
}

/// Checks the key and role of every operation that takes an API key, before its handler
/// runs, and keeps every answer that may hold personal data or a token out of caches.
/// Undocumented routes and methods pass through: the router answers them (404, 405).
pub async fn authenticate(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // The path as the router matches it: percent-decoded, so `/v1/api%2Dkeys` is checked
    // like `/v1/api-keys`.
    let path = request.match_info().as_str().to_owned();
    let access = request
        .request()
        .resource_map()
        .match_pattern(&path)
        .zip(request.app_data::<web::Data<RoutePolicy>>())
        .and_then(|(pattern, policy)| policy.access(request.method(), &pattern));
    let private = access.is_some_and(Access::may_carry_personal_data);
    let mut response = match access.filter(|access| access.needs_api_key()) {
        None => next.call(request).await?.map_into_boxed_body(),
        Some(access) => authenticated(request, next, access).await?,
    };
    if private {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(response)
}

/// Calls the operation when the request's key has a role `access` allows; 401 or 403.
async fn authenticated(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    access: Access,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let checked = match Caller::authenticate(request.request()).await {
        Ok(caller) if access.allows(caller.role) => Ok(caller),
        Ok(_) => Err(ApiError::Forbidden(
            "this API key's role does not allow this request",
        )),
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
fn bearer_token(request: &HttpRequest) -> Result<String, ApiError> {
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
