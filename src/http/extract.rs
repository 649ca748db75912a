//! Request extractors whose failures name the offending field and answer in problem+json
//! (actix's own `Json` and `Query` answer in plain text without a field path).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::domain::{AdministrationCode, FieldError, TextInput};
use crate::error::ApiError;

/// A JSON body, limited to the configured size.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(request, payload);
        Box::pin(async move { parse_json(&body.await?).map(Json) })
    }
}

/// A JSON body whose every field is optional: an empty body (none, or only whitespace)
/// means all defaults, as `{}` does.
#[derive(Debug)]
pub struct JsonOrDefault<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for JsonOrDefault<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(request, payload);
        Box::pin(async move {
            let bytes = body.await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(JsonOrDefault(T::default()));
            }
            parse_json(&bytes).map(JsonOrDefault)
        })
    }
}

/// The body of a request declared as JSON (or not declared), within the configured limit.
fn read_body(
    request: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<Bytes, ApiError>> + 'static {
    let declared_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(is_json_media_type);
    let limit = request
        .app_data::<BodyLimit>()
        .map_or(DEFAULT_BODY_LIMIT, |limit| limit.0);
    let body = Bytes::from_request(request, payload);
    async move {
        if declared_json == Some(false) {
            return Err(ApiError::UnsupportedMediaType(
                "JSON (Content-Type: application/json)",
            ));
        }
        body.await.map_err(|error| {
            if error.as_response_error().status_code().as_u16() == 413 {
                ApiError::PayloadTooLarge { limit }
            } else {
                ApiError::bad_request("body", "the body could not be read")
            }
        })
    }
}

/// The largest accepted request body, set from configuration (beside actix's
/// `PayloadConfig`, which enforces it but does not tell its value).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserializes a JSON object, reporting where it failed: syntax as 400, wrong data as 422
/// with the field path. Every request body of the API is an object; serde would also read
/// a struct from an array, so anything else is refused first.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let starts_as_object = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if !starts_as_object && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        return Err(ApiError::Invalid(crate::domain::InvalidInput::field(
            "body",
            "must be a JSON object",
        )));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let inner = error.inner();
        let message = without_position(&inner.to_string());
        if inner.is_data() {
            let field = field_path(&error.path().to_string(), &message);
            ApiError::Invalid(crate::domain::InvalidInput(vec![FieldError::new(
                field, message,
            )]))
        } else {
            ApiError::BadRequest {
                detail: format!("the body is not valid JSON: {inner}"),
                errors: vec![FieldError::new("body", message)],
            }
        }
    })
}

/// A query string, deserialized with the failing parameter named.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(request.query_string()).map(Query))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let message = error.inner().to_string();
        let field = field_path(&error.path().to_string(), &message);
        ApiError::bad_request(field, message)
    })
}

/// serde reports a missing field at its parent; point at the field itself.
fn field_path(path: &str, message: &str) -> String {
    let named = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let parent = if path == "." { "" } else { path };
    match (named, parent) {
        (Some(name), "") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "") => "body".to_owned(),
        (None, parent) => parent.to_owned(),
    }
}

/// serde's message without its position, and in the API's words: `expected struct
/// AnswerInput` (a Rust name) reads `expected an object`.
fn without_position(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(index) => &message[..index],
        None => message,
    };
    match message.find("expected struct ") {
        Some(index) => format!("{}expected an object", &message[..index]),
        None => message.to_owned(),
    }
}

// ----- query parameters that need more than serde -----

/// A free-text query parameter: trimmed, not blank, and no control characters
/// (PostgreSQL refuses NUL in text).
pub fn query_text(field: &str, value: Option<TextInput>) -> Result<Option<String>, ApiError> {
    TextInput::parse_optional(value.as_ref())
        .map_err(|message| ApiError::bad_request(field, message))
}

/// An id in a query string: ids start at 1.
pub fn query_id(field: &str, value: Option<i32>) -> Result<Option<i32>, ApiError> {
    match value {
        Some(id) if id < 1 => Err(ApiError::bad_request(field, "must be at least 1")),
        other => Ok(other),
    }
}

/// An administration code in a query string.
pub fn query_code(
    field: &str,
    value: Option<String>,
) -> Result<Option<AdministrationCode>, ApiError> {
    value
        .as_deref()
        .map(AdministrationCode::parse)
        .transpose()
        .map_err(|message| ApiError::bad_request(field, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Person {
        name: String,
        age: u8,
    }

    fn invalid_field(error: ApiError) -> String {
        match error {
            ApiError::Invalid(crate::domain::InvalidInput(errors)) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        let error = parse_json::<Person>(br#"{"age": 3}"#).unwrap_err();
        assert_eq!(invalid_field(error), "name");
    }

    #[test]
    fn a_wrong_type_is_named() {
        let error = parse_json::<Person>(br#"{"name": "A", "age": "old"}"#).unwrap_err();
        assert_eq!(invalid_field(error), "age");
    }

    #[test]
    fn an_unknown_field_is_named() {
        let error = parse_json::<Person>(br#"{"name": "A", "age": 3, "x": 1}"#).unwrap_err();
        assert_eq!(invalid_field(error), "x");
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        let error = parse_json::<Person>(b"{").unwrap_err();
        assert!(matches!(error, ApiError::BadRequest { .. }));
    }

    #[test]
    fn media_types_with_json_suffix_are_json() {
        assert!(is_json_media_type("application/json; charset=utf-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
    }
}
