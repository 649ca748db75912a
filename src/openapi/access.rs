//! Who may call each operation, as the document publishes it: the security requirement
//! lists the roles whose keys may call it (OpenAPI lets a requirement name roles for
//! schemes other than OAuth), `x-access` names the permission, and the description ends
//! with a line a person reads.

use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};

use super::operations::{access_of, operations_mut};
use crate::http::policy::{Access, RoutePolicy};

pub const SECURITY_SCHEME: &str = "api_key";

/// Stops when an operation declares no access: such a route must not be served.
pub fn check_declared(api: &Document) {
    if let Err(undeclared) = RoutePolicy::from_document(api) {
        panic!("{undeclared}");
    }
}

/// The roles as a person reads them.
fn who(access: Access) -> String {
    match access.roles() {
        None if access == Access::ParticipantToken => {
            "the participant whose personal link holds the token; no API key".into()
        }
        None => "anyone; no API key".into(),
        Some(roles) => {
            let names: Vec<String> = roles.iter().map(sea_orm::ActiveEnum::to_value).collect();
            match names.split_last() {
                Some((last, [])) => format!("an API key with the role {last}"),
                Some((last, rest)) => {
                    format!("an API key with the role {} or {last}", rest.join(", "))
                }
                None => "nobody".into(),
            }
        }
    }
}

/// The security scheme, and on every operation its requirement and its access line.
pub fn publish(api: &mut Document) {
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
    for item in api.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            let access = access_of(operation);
            // No requirement states "no authentication" for the public operations.
            operation.security = Some(match access.roles() {
                Some(roles) => vec![SecurityRequirement::new(
                    SECURITY_SCHEME,
                    roles
                        .iter()
                        .map(sea_orm::ActiveEnum::to_value)
                        .collect::<Vec<String>>(),
                )],
                None => Vec::new(),
            });
            let line = format!("**Access** (`{}`): {}.", access.name(), who(access));
            operation.description = Some(match operation.description.take() {
                Some(text) if !text.is_empty() => format!("{text}\n\n{line}"),
                _ => line,
            });
        }
    }
}
