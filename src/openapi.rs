//! The OpenAPI 3.1 document: collected from the route macros, then completed with the
//! security scheme and the problem responses every operation can give.

use utoipa::OpenApi;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa_actix_web::AppExt;

use crate::domain::{AdministrationCode, Email, FieldError, FiscalYear, TextInput, TimeZone};
use crate::error::{PROBLEM_JSON, Problem};

const SECURITY_SCHEME: &str = "api_key";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Follow-up Actions Survey",
        description = "The follow-up survey of WCO ROCB Asia/Pacific workshop participants: \
workshops and who attended, survey rounds, personal invitation links, replies, scheduled email \
and the analytics of the yearly Good Practice Report.\n\n\
Staff and partner systems authenticate with an API key: `Authorization: Bearer <key>`. \
Roles: `admin` (everything, including keys and the audit log), `editor` (data, rounds, mailings), \
`viewer` (reads everything), `partner` (analytics and reports; never names, emails or tokens).\n\n\
Errors are `application/problem+json` (RFC 9457). Clients branch on `type` \
(`urn:followup:problem:<kind>`); validation problems list each failing field in `errors`.\n\n\
Lists take `page` (from 1) and `per_page` (1-200, default 50) and answer \
`{items, total, page, per_page}`."
    ),
    servers((url = "/", description = "This service")),
    tags(
        (name = "administrations", description = "Member customs administrations"),
        (name = "workshops", description = "Workshops and their fiscal years"),
        (name = "participants", description = "Officers who attended a workshop"),
        (name = "questionnaires", description = "Versioned questionnaires"),
        (name = "rounds", description = "Survey rounds and the workshops subjected to them"),
        (name = "invitations", description = "Invitations, their personal links and hand-overs"),
        (name = "replies", description = "Replies as staff see them; CSV export and import"),
        (name = "good-practices", description = "Quotes curated for the report and the feedback"),
        (name = "respond", description = "The participant's own page, opened by the token of the personal link"),
        (name = "analytics", description = "Reply rates, tables, cross-tabulations, findings, the report and trends"),
        (name = "mailings", description = "The mail outbox; releasing the feedback mailing"),
        (name = "mail-templates", description = "Templates of invitations, reminders, thank-you notes and feedback"),
        (name = "api-keys", description = "API keys (admins)"),
        (name = "audit-log", description = "Every change made by staff (admins)"),
        (name = "webhooks", description = "Endpoints that receive events, signed per the Standard Webhooks scheme, and their deliveries (admins)"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    ),
    components(schemas(
        Problem,
        FieldError,
        TextInput,
        AdministrationCode,
        Email,
        FiscalYear,
        TimeZone
    ))
)]
struct ApiDoc;

/// The document as served at `/openapi.json`.
#[derive(Debug, Clone)]
pub struct ApiDocument {
    pub json: String,
}

/// The complete OpenAPI document of the service.
pub fn document() -> Document {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    add_problem_responses(&mut api);
    describe_conditional_requests(&mut api);
    describe_idempotency_keys(&mut api);
    require_api_key(&mut api);
    describe_bare_responses(&mut api);
    drop_unreferenced_schemas(&mut api);
    api
}

/// utoipa inlines the item type of a generic `Page<T>` yet still lists `T` as a component;
/// drop such components when nothing refers to them.
fn drop_unreferenced_schemas(api: &mut Document) {
    loop {
        let json = serde_json::to_string(&*api).unwrap_or_default();
        let Some(components) = api.components.as_mut() else {
            return;
        };
        let unused: Vec<String> = components
            .schemas
            .keys()
            .filter(|name| !json.contains(&format!("\"#/components/schemas/{name}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for name in unused {
            components.schemas.remove(&name);
        }
    }
}

/// OpenAPI requires a description on every response; a handler's success response often
/// needs none beyond its schema, so it gets the status's reason phrase.
fn describe_bare_responses(api: &mut Document) {
    for item in api.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    let reason = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|code| actix_web::http::StatusCode::from_u16(code).ok())
                        .and_then(|code| code.canonical_reason())
                        .unwrap_or("Response");
                    response.description = reason.to_owned();
                }
            }
        }
    }
}

/// The document as pretty JSON with a final newline, as committed in `openapi/openapi.json`.
pub fn to_json(api: &Document) -> String {
    let mut json = api
        .to_pretty_json()
        .expect("an OpenAPI document always serializes");
    json.push('\n');
    json
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    operations_by_method(item).map(|(_, operation)| operation)
}

/// Each operation of a path with whether its method changes state.
fn operations_by_method(item: &mut PathItem) -> impl Iterator<Item = (bool, &mut Operation)> {
    [
        (false, &mut item.get),
        (true, &mut item.put),
        (true, &mut item.post),
        (true, &mut item.delete),
        (true, &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(writes, operation)| operation.as_mut().map(|o| (writes, o)))
}

/// Routes that take an API key; the participant routes take the token in their path.
fn is_staff_route(path: &str) -> bool {
    path.starts_with("/v1/") && !is_participant_route(path)
}

fn is_participant_route(path: &str) -> bool {
    path.starts_with("/v1/respond/")
}

/// Every `/v1` operation needs an API key.
fn require_api_key(api: &mut Document) {
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SECURITY_SCHEME,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API key issued by `followup keys create` or `POST /v1/api-keys`",
                ))
                .build(),
        ),
    );
    for (path, item) in api.paths.paths.iter_mut() {
        // An empty requirement states "no authentication" for the public operations.
        let requirement = if is_staff_route(path) {
            SecurityRequirement::new(SECURITY_SCHEME, Vec::<String>::new())
        } else {
            SecurityRequirement::default()
        };
        for operation in operations_mut(item) {
            operation.security = Some(vec![requirement.clone()]);
        }
    }
}

/// The shared error responses, by status, and when an operation can give them.
const PROBLEM_RESPONSES: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "Malformed request: unreadable JSON or query parameter",
    ),
    (
        "401",
        "Unauthorized",
        "No API key, or an unknown or revoked one",
    ),
    ("403", "Forbidden", "The key's role does not allow this"),
    ("404", "NotFound", "No such resource"),
    ("409", "Conflict", "The request conflicts with stored data"),
    (
        "412",
        "PreconditionFailed",
        "`If-Match` names a version that is no longer current: read the resource again",
    ),
    ("413", "PayloadTooLarge", "The request body is too large"),
    (
        "415",
        "UnsupportedMediaType",
        "The request body is not JSON",
    ),
    (
        "422",
        "ValidationFailed",
        "Fields failed validation; `errors` lists them",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many requests from this address; see `Retry-After`",
    ),
    (
        "500",
        "InternalError",
        "The server failed; the cause is logged",
    ),
    (
        "503",
        "ServiceUnavailable",
        "The database cannot be reached; retry after `Retry-After` seconds",
    ),
];

fn add_problem_responses(api: &mut Document) {
    let components = api.components.get_or_insert_with(Default::default);
    for (_, name, description) in PROBLEM_RESPONSES {
        components.responses.insert(
            (*name).to_owned(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(*description)
                    .content(
                        PROBLEM_JSON,
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    )
                    .build(),
            ),
        );
    }
    for (path, item) in api.paths.paths.iter_mut() {
        let staff = is_staff_route(path);
        let has_path_params = path.contains('{');
        for (writes, operation) in operations_by_method(item) {
            let has_body = operation.request_body.is_some();
            for (status, name, _) in PROBLEM_RESPONSES {
                let applies = match *status {
                    "400" | "500" => true,
                    "401" | "403" => staff,
                    "404" => has_path_params,
                    "409" => writes,
                    "412" => false, // see describe_conditional_requests
                    "413" | "415" | "422" => has_body,
                    "429" => is_participant_route(path),
                    "503" => path.starts_with("/v1/"),
                    _ => false,
                };
                if applies {
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
                }
            }
        }
    }
}

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
/// and 412 on the writes of versioned resources (see `crate::conditional`).
fn describe_conditional_requests(api: &mut Document) {
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

/// `Idempotency-Key` on every staff `POST` (see `crate::idempotency`).
fn describe_idempotency_keys(api: &mut Document) {
    let replayed = Header::new(
        string_schema("`true` when the response repeats the stored one of an earlier request with the same key")
            .enum_values(Some(["true"])),
    );
    for (path, item) in api.paths.paths.iter_mut() {
        let Some(operation) = item.post.as_mut().filter(|_| is_staff_route(path)) else {
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

/// The documented routes, to answer 405 with `Allow` for a known path and another method.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<String>)>,
}

impl RouteTable {
    pub fn from_document(api: &Document) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(method, _)| method.to_owned())
                .collect();
                (segments, methods)
            })
            .collect();
        Self { routes }
    }

    /// Methods documented for `path`; empty when no documented path matches.
    pub fn methods_for(&self, path: &str) -> Vec<String> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut methods: Vec<String> = self
            .routes
            .iter()
            .filter(|(template, _)| {
                template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
            })
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        methods.sort();
        methods.dedup();
        methods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_path_lists_its_methods() {
        let table = RouteTable::from_document(&document());
        assert_eq!(
            table.methods_for("/v1/workshops/12"),
            vec!["DELETE", "GET", "PUT"]
        );
        assert!(table.methods_for("/v1/nothing").is_empty());
    }

    #[test]
    fn every_staff_operation_requires_a_key_and_documents_401() {
        let api = document();
        for (path, item) in api
            .paths
            .paths
            .clone()
            .iter_mut()
            .filter(|(p, _)| is_staff_route(p))
        {
            for operation in operations_mut(item) {
                assert!(operation.security.is_some(), "{path}");
                assert!(operation.responses.responses.contains_key("401"), "{path}");
            }
        }
    }
}
