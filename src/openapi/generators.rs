//! What stock client generators (openapi-python-client, openapi-typescript) need beyond
//! what utoipa writes: list items by reference, one named schema per variant of a tagged
//! union with a discriminator, an optional body declared optional (not "X or null"), and
//! public operations without a security requirement.

use std::collections::BTreeMap;

use utoipa::openapi::schema::{ArrayItems, Discriminator, Schema};
use utoipa::openapi::{OpenApi as Document, Ref, RefOr, Required};

use super::operations::operations_mut;

/// `Page_X.items` refers to the component `X` (utoipa inlines a generic's argument, which
/// gives every resource a second class). Every listed type must be a component.
pub fn refer_to_page_items(api: &mut Document) {
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let listed: Vec<String> = components
        .schemas
        .keys()
        .filter_map(|name| name.strip_prefix("Page_").map(str::to_owned))
        .collect();
    for item in listed {
        assert!(
            components.schemas.contains_key(&item),
            "Page_{item} lists {item}, which is not a component of the document"
        );
        if let Some(RefOr::T(Schema::Object(page))) =
            components.schemas.get_mut(&format!("Page_{item}"))
            && let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items")
        {
            items.items = ArrayItems::RefOrSchema(Box::new(Ref::from_schema_name(&item).into()));
        }
    }
}

/// A `oneOf` of inline objects told apart by a one-value string property (serde's
/// `tag`): each variant becomes a component named after its tag and the union's name
/// (`choices` of `TableContent`: `ChoicesTableContent`), and the union gets a
/// discriminator mapping each tag to it.
pub fn name_tagged_variants(api: &mut Document) {
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let mut named = Vec::new();
    for (union, schema) in components.schemas.iter_mut() {
        let RefOr::T(Schema::OneOf(one_of)) = schema else {
            continue;
        };
        let Some(property) = common_tag(&one_of.items) else {
            continue;
        };
        let mut mapping = BTreeMap::new();
        for variant in &mut one_of.items {
            let tag = tag_value(variant, &property).unwrap_or_default();
            let name = format!("{}{union}", pascal_case(&tag));
            let inline = std::mem::replace(variant, Ref::from_schema_name(&name).into());
            mapping.insert(tag, format!("#/components/schemas/{name}"));
            named.push((name, inline));
        }
        let mut discriminator = Discriminator::new(property);
        discriminator.mapping = mapping;
        one_of.discriminator = Some(discriminator);
    }
    components.schemas.extend(named);
}

/// The property every variant holds as a required one-value string enum.
fn common_tag(variants: &[RefOr<Schema>]) -> Option<String> {
    let RefOr::T(Schema::Object(first)) = variants.first()? else {
        return None;
    };
    first
        .properties
        .keys()
        .find(|property| {
            variants
                .iter()
                .all(|variant| tag_value(variant, property).is_some())
        })
        .cloned()
}

fn tag_value(variant: &RefOr<Schema>, property: &str) -> Option<String> {
    let RefOr::T(Schema::Object(object)) = variant else {
        return None;
    };
    if !object.required.iter().any(|name| name == property) {
        return None;
    }
    let RefOr::T(Schema::Object(tag)) = object.properties.get(property)? else {
        return None;
    };
    match tag.enum_values.as_deref()? {
        [serde_json::Value::String(value)] => Some(value.clone()),
        _ => None,
    }
}

/// `reply_rates` → `ReplyRates`.
fn pascal_case(snake: &str) -> String {
    snake
        .split(['_', '.', '-'])
        .map(crate::domain::wording::capitalized)
        .collect()
}

/// A body declared `oneOf: [X, null]` (utoipa's `Option<X>`) becomes `X`, not required: a
/// client may leave it out, and sends an `X` when it sends one.
pub fn optional_bodies(api: &mut Document) {
    for item in api.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            let Some(RefOr::T(body)) = operation.request_body.as_mut() else {
                continue;
            };
            let mut optional = false;
            for content in body.content.values_mut() {
                let RefOr::T(content) = content else {
                    continue;
                };
                let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else {
                    continue;
                };
                let (nulls, values): (Vec<_>, Vec<_>) =
                    one_of.items.iter().cloned().partition(is_null);
                if let ([_], [value]) = (nulls.as_slice(), values.as_slice()) {
                    content.schema = Some(value.clone());
                    optional = true;
                }
            }
            if optional {
                body.required = Some(Required::False);
            }
        }
    }
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(object))
        if serde_json::to_value(&object.schema_type).ok() == Some(serde_json::json!("null")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_read_as_type_names() {
        assert_eq!(pascal_case("reply_rates"), "ReplyRates");
        assert_eq!(pascal_case("yes_no"), "YesNo");
    }
}
