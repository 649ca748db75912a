//! Conditional requests (RFC 9110, section 13). Every successful `GET` carries an `ETag`
//! and answers a matching `If-None-Match` with 304: resources that can be changed tag
//! their stored version (so the tag a client read is the one `If-Match` checks), every
//! other response (lists, analytics, reports) is tagged by a digest of its body. Writes to
//! versioned resources take `If-Match` and answer 412 when the stored version has moved on.

use std::future::{Ready, ready};

use actix_web::body::{BodySize, BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::domain::version::{EntityTag, Precondition};
use crate::error::ApiError;

/// Bodies larger than this are sent untagged rather than held in memory to be digested.
const LARGEST_TAGGED_BODY: u64 = 16 * 1024 * 1024;

/// A 200 JSON response tagged with the version of the record it shows
/// (`record.entity_tag()`).
pub fn tagged(tag: EntityTag, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, tag.as_str()))
        .json(body)
}

/// `If-Match` of a write; absent, the write applies to whatever version is stored.
impl FromRequest for Precondition {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match request.headers().get(header::IF_MATCH) {
            None => Ok(Precondition::none()),
            Some(value) => value
                .to_str()
                .map(Precondition::if_match)
                .map_err(|_| ApiError::bad_request("If-Match", "must be a list of entity tags")),
        })
    }
}

/// Tags successful `GET` responses and answers `If-None-Match`.
pub async fn etags(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.call(request).await?;
    if !reads || response.status() != StatusCode::OK {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let mut response = response.map_into_boxed_body();
    let tag = match response.headers().get(header::ETAG) {
        Some(tag) => EntityTag::from_header(tag.to_str().unwrap_or_default()),
        None => {
            let small =
                matches!(response.body().size(), BodySize::Sized(n) if n <= LARGEST_TAGGED_BODY);
            if !small {
                return Ok(ServiceResponse::new(request, response));
            }
            let (head, body) = response.into_parts();
            let bytes = to_bytes(body)
                .await
                .map_err(|_| actix_web::error::ErrorInternalServerError("reading a response"))?;
            let tag = EntityTag::of_bytes(&bytes);
            response = head.set_body(BoxBody::new(bytes));
            if let Ok(value) = HeaderValue::from_str(tag.as_str()) {
                response.headers_mut().insert(header::ETAG, value);
            }
            tag
        }
    };
    let unchanged = if_none_match.is_some_and(|header| tag.listed_weakly_in(&header));
    if unchanged {
        let mut not_modified = HttpResponse::NotModified().finish();
        if let Ok(value) = HeaderValue::from_str(tag.as_str()) {
            not_modified.headers_mut().insert(header::ETAG, value);
        }
        return Ok(ServiceResponse::new(request, not_modified));
    }
    Ok(ServiceResponse::new(request, response))
}
