//! Request and response headers of the protocol: `ETag`, `If-None-Match` and 304 on
//! reads, `If-Match` and 412 on versioned writes, `Idempotency-Key` on staff `POST`s.

use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi as Document, Ref, RefOr, ResponseBuilder};

use super::operations::access_of;

/// Writes that take `If-Match`: the handlers that extract a `Precondition`.
const VERSIONED_WRITES: &[(&str, &str)] = &[
    ("put", "/v1/administrations/{code}"),
    ("delete", "/v1/administrations/{code}"),
    ("put", "/v1/workshops/{id}"),
    ("delete", "/v1/workshops/{id}"),
    ("put", "/v1/workshops/{id}/participants/{participant_id}"),
    ("delete", "/v1/workshops/{id}/participants/{participant_id}"),
    ("put", "/v1/questionnaires/{id}"),
    ("put", "/v1/rounds/{id}"),
    ("delete", "/v1/rounds/{id}"),
    ("put", "/v1/good-practices/{id}"),
    ("delete", "/v1/good-practices/{id}"),
    ("put", "/v1/webhooks/{id}"),
    ("delete", "/v1/webhooks/{id}"),
];

fn string_schema(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn header_parameter(name: &str, description: &str, schema: ObjectBuilder) -> RefOr<Parameter> {
    RefOr::T(
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(utoipa::openapi::Required::False)
            .description(Some(description))
            .schema(Some(schema))
            .build(),
    )
}

/// `ETag` on every successful read, `If-None-Match` and 304 on every read, `If-Match`
/// and 412 on the writes of versioned resources (see `crate::http::conditional`).
pub fn describe_conditional_requests(api: &mut Document) {
    let etag = Header::new(string_schema("The version of the representation").build());
    let components = api.components.get_or_insert_with(Default::default);
    components.responses.insert(
        "NotModified".into(),
        RefOr::T(
            ResponseBuilder::new()
                .description(
                    "The representation has not changed since the `ETag` given in `If-None-Match`",
                )
                .header("ETag", etag.clone())
                .build(),
        ),
    );
    for (path, item) in api.paths.paths.iter_mut() {
        if let Some(read) = item.get.as_mut() {
            read.parameters
                .get_or_insert_with(Vec::new)
                .push(header_parameter(
                    "If-None-Match",
                    "ETags the client holds; when one is current the answer is 304 without a body",
                    string_schema("Entity tags, comma-separated, or `*`"),
                ));
            if let Some(RefOr::T(ok)) = read.responses.responses.get_mut("200") {
                ok.headers.insert("ETag".into(), RefOr::T(etag.clone()));
            }
            read.responses.responses.insert(
                "304".into(),
                RefOr::Ref(Ref::from_response_name("NotModified")),
            );
        }
        for (method, versioned) in VERSIONED_WRITES.iter().filter(|(_, p)| p == path) {
            let operation = match *method {
                "put" => item.put.as_mut(),
                _ => item.delete.as_mut(),
            };
            let Some(operation) = operation else {
                panic!("{method} {versioned} is listed as versioned but not documented");
            };
            operation.parameters.get_or_insert_with(Vec::new).push(header_parameter(
                "If-Match",
                "The ETag the change is based on; when the resource has changed since, the answer is 412 and nothing is written",
                string_schema("Entity tags, comma-separated, or `*`"),
            ));
            operation.responses.responses.insert(
                "412".into(),
                RefOr::Ref(Ref::from_response_name("PreconditionFailed")),
            );
            if let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") {
                ok.headers.insert("ETag".into(), RefOr::T(etag.clone()));
            }
        }
    }
}

/// `Idempotency-Key` on every staff `POST` (see `crate::http::idempotency`).
pub fn describe_idempotency_keys(api: &mut Document) {
    let replayed = Header::new(
        string_schema("`true` when the response repeats the stored one of an earlier request with the same key")
            .enum_values(Some(["true"])),
    );
    for item in api.paths.paths.values_mut() {
        let Some(operation) = item
            .post
            .as_mut()
            .filter(|operation| access_of(operation).needs_api_key())
        else {
            continue;
        };
        operation.parameters.get_or_insert_with(Vec::new).push(header_parameter(
            "Idempotency-Key",
            "A key of the client's choosing (e.g. a UUID). A retry with the same key and request gets the stored response; the same key with another request is 422; keys expire after `idempotency_key_ttl_secs`",
            string_schema("1 to 255 visible ASCII characters")
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]{1,255}$")),
        ));
        for status in ["409", "422"] {
            let name = if status == "409" {
                "Conflict"
            } else {
                "ValidationFailed"
            };
            operation
                .responses
                .responses
                .entry(status.into())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
        }
        for (status, response) in operation.responses.responses.iter_mut() {
            if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
                response
                    .headers
                    .insert("Idempotent-Replayed".into(), RefOr::T(replayed.clone()));
            }
        }
    }
}
