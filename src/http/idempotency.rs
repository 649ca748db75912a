//! `Idempotency-Key` on staff `POST`s: a client that retries a request (after a timeout, a
//! dropped connection) with the same key and body gets the first response again instead of
//! a second effect. The request runs in one transaction that claims the key, holds every
//! use case's writes (`crate::db::begin` within it is a savepoint) and stores the response:
//! effect and response commit together, so a process that dies anywhere before leaves
//! neither, and the retry runs once. The same key with another request is 422; a duplicate
//! arriving while the first still runs waits for its response. Keys belong to the caller's
//! API key and expire after `idempotency_key_ttl_secs`. A server error (5xx) rolls the
//! effect back and stores nothing, so a retry runs again; refusals of the key itself (401,
//! 403, 429) and responses that carry a secret (a new API key, a webhook secret, a
//! participant link: the service keeps those only as digests) commit the effect without
//! keeping the response, so such a retry runs again too.

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::state::AppState;
use sea_orm::{DatabaseTransaction, DbErr};

use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::db;
use crate::error::ApiError;
use crate::services::idempotency::{self, Claim, Request, StoredResponse};

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a response that repeats a stored one.
pub const REPLAYED: &str = "idempotent-replayed";

/// Response headers worth replaying.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

pub async fn idempotent(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // Staff operations only: the callers the auth middleware let through.
    let caller = request.extensions().get::<Caller>().map(|c| c.key_id);
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let key = request
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::to_owned));
    let (Method::POST, Some(key_id), Some(state), Some(key)) =
        (request.method().clone(), caller, state, key)
    else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let key = match key {
        Ok(key) if is_valid_key(&key) => key,
        _ => {
            let error = ApiError::bad_request(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters, e.g. a UUID",
            );
            return Ok(request.into_response(error.error_response()));
        }
    };
    let body = match request.extract::<Bytes>().await {
        Ok(body) => body,
        Err(error) => return Ok(request.into_response(error.error_response())),
    };
    let fingerprint = fingerprint(&request, &body);
    request.set_payload(body.into());
    let scope = format!("api-key:{key_id}");
    let claim_of = Request {
        scope: &scope,
        key: &key,
        fingerprint: &fingerprint,
    };
    let txn = db::begin(&state.db).await.map_err(database)?;
    let id = match idempotency::claim(&txn, &claim_of, now(), state.idempotency_ttl).await {
        Ok(Claim::Run(id)) => id,
        Ok(Claim::Replay(stored)) => return Ok(request.into_response(replay(stored))),
        Ok(Claim::Mismatch) => {
            let refusal = ApiError::Invalid(crate::domain::InvalidInput::field(
                "Idempotency-Key",
                "was used before with a different request; use a new key for a new request",
            ));
            return Ok(request.into_response(refusal.error_response()));
        }
        Err(error) => return Err(ApiError::from(error).into()),
    };
    let (response, txn, after_commit) =
        db::within_request_transaction(txn, next.call(request)).await;
    if state.failpoint.as_deref() == Some(ABORT_BEFORE_STORED_RESPONSE) {
        tracing::error!("failpoint {ABORT_BEFORE_STORED_RESPONSE}: the process ends");
        std::process::abort();
    }
    let response = match response {
        Ok(response) if response.status().is_server_error() => {
            txn.rollback().await.map_err(database)?;
            return Ok(response.map_into_boxed_body());
        }
        Ok(response) => keep(txn, id, response).await?,
        Err(error) => {
            txn.rollback().await.map_err(database)?;
            return Err(error);
        }
    };
    for job in after_commit {
        job.await;
    }
    Ok(response)
}

/// The failpoint (`failpoint` setting, fault tests only) that ends the process after a
/// request with a key ran and before its response is stored, as a crash there would.
pub const ABORT_BEFORE_STORED_RESPONSE: &str = "abort-before-stored-response";

/// Stores the response under the claimed key and commits it with the request's effect; a
/// response that must not be replayed commits the effect without it (one that carries a
/// secret, or a refusal of the key). (A server error rolls both back before.)
async fn keep(
    txn: DatabaseTransaction,
    id: i32,
    response: ServiceResponse<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let status = response.status();
    let secret = response
        .response()
        .extensions()
        .get::<CarriesSecret>()
        .is_some();
    if secret || !is_stored(status) {
        idempotency::release(&txn, id)
            .await
            .map_err(ApiError::from)?;
        txn.commit().await.map_err(database)?;
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("reading a response"))?;
    let stored = StoredResponse {
        status: status.as_u16(),
        headers: KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let value = head.headers().get(name)?.to_str().ok()?;
                Some((name.as_str().to_owned(), value.to_owned()))
            })
            .collect(),
        body: bytes.to_vec(),
    };
    idempotency::complete(&txn, id, &stored)
        .await
        .map_err(ApiError::from)?;
    txn.commit().await.map_err(database)?;
    Ok(ServiceResponse::new(
        request,
        head.set_body(BoxBody::new(bytes)),
    ))
}

/// A failure of the request's transaction itself, as the use cases' are answered.
fn database(error: DbErr) -> ApiError {
    ServiceError::from(error).into()
}

/// Marks a response that must not be kept for replays: it carries a secret.
#[derive(Debug, Clone, Copy)]
pub struct CarriesSecret;

/// `response`, marked as carrying a secret.
pub fn carrying_secret(mut response: HttpResponse) -> HttpResponse {
    response.extensions_mut().insert(CarriesSecret);
    response
}

/// Visible ASCII, as the IETF draft's examples and every client library use.
fn is_valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

fn is_stored(status: StatusCode) -> bool {
    !matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
    )
}

/// The request as the key promises it: method, path and query, content type, body.
fn fingerprint(request: &ServiceRequest, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(request.method().as_str());
    hasher.update([0]);
    hasher.update(request.uri().path_and_query().map_or("", |p| p.as_str()));
    hasher.update([0]);
    if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
        hasher.update(content_type.as_bytes());
    }
    hasher.update([0]);
    hasher.update(body);
    hex::encode(hasher.finalize())
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    for (name, value) in &stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            response.insert_header((name, value));
        }
    }
    response.insert_header((REPLAYED, "true"));
    response.body(stored.body)
}
