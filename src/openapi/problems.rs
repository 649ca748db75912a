//! The problem responses every operation can give, by status, and when.

use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, ResponseBuilder};

use super::operations::{access_of, operations_by_method};
use crate::error::PROBLEM_JSON;
use crate::http::policy::Access;

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

pub fn add_problem_responses(api: &mut Document) {
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
        let has_path_params = path.contains('{');
        for (writes, operation) in operations_by_method(item) {
            let access = access_of(operation);
            let staff = access.needs_api_key();
            let has_body = operation.request_body.is_some();
            for (status, name, _) in PROBLEM_RESPONSES {
                let applies = match *status {
                    "400" | "500" => true,
                    "401" | "403" => staff,
                    "404" => has_path_params,
                    "409" => writes,
                    "412" => false, // see describe_conditional_requests
                    "413" | "415" | "422" => has_body,
                    "429" => access == Access::ParticipantToken,
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
