//! Last touches: a description on every response, no schema nobody refers to.

use utoipa::openapi::{OpenApi as Document, RefOr};

use super::operations::operations_mut;

/// utoipa inlines the item type of a generic `Page<T>` yet still lists `T` as a component;
/// drop such components when nothing refers to them.
pub fn drop_unreferenced_schemas(api: &mut Document) {
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
pub fn describe_bare_responses(api: &mut Document) {
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
