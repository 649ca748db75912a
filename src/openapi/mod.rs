//! The OpenAPI 3.1 document: collected from the route macros, then completed with who may
//! call each operation, the problem responses every operation can give, the headers of
//! conditional and idempotent requests, and tidied.

mod access;
mod generators;
mod headers;
mod operations;
mod problems;
mod tidy;
mod webhooks;

use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;
use utoipa_actix_web::AppExt;

use crate::domain::answers::AnswerInput;
use crate::domain::{AdministrationCode, Email, FieldError, FiscalYear, TextInput, TimeZone};
use crate::error::Problem;

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
        (name = "addresses", description = "How mail fares at each address: bounces, complaints, clearing a state"),
        (name = "contact points", description = "The people each administration names for staff to reach its officers through"),
        (name = "follow-up", description = "Chasing missing replies: the follow-up list of a round, contact attempts"),
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
        TimeZone,
        AnswerInput,
        crate::routes::audit_log::AuditEntry
    ))
)]
struct ApiDoc;

/// The complete OpenAPI document of the service.
pub fn document() -> Document {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    access::check_declared(&api);
    problems::add_problem_responses(&mut api);
    headers::describe_conditional_requests(&mut api);
    headers::describe_idempotency_keys(&mut api);
    access::publish(&mut api);
    tidy::describe_bare_responses(&mut api);
    webhooks::describe(&mut api);
    generators::refer_to_page_items(&mut api);
    generators::name_tagged_variants(&mut api);
    generators::optional_bodies(&mut api);
    tidy::drop_unreferenced_schemas(&mut api);
    api
}

/// The document as pretty JSON with a final newline, as committed in `openapi/openapi.json`.
pub fn to_json(api: &Document) -> String {
    let mut json = api
        .to_pretty_json()
        .expect("an OpenAPI document always serializes");
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::policy::RoutePolicy;
    use operations::{access_of, operations_mut};

    #[test]
    fn a_known_path_lists_its_methods() {
        let table = RoutePolicy::from_document(&document()).unwrap();
        assert_eq!(
            table.methods_for("/v1/workshops/12"),
            vec!["DELETE", "GET", "HEAD", "PUT"]
        );
        assert!(table.methods_for("/v1/nothing").is_empty());
    }

    #[test]
    fn every_staff_operation_requires_a_key_and_documents_401() {
        let api = document();
        for (path, item) in api.paths.paths.clone().iter_mut() {
            for operation in operations_mut(item) {
                if !access_of(operation).needs_api_key() {
                    continue;
                }
                assert!(operation.security.is_some(), "{path}");
                assert!(operation.responses.responses.contains_key("401"), "{path}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "declares no access")]
    fn an_operation_without_declared_access_stops_the_document() {
        let mut api = document();
        let item = api.paths.paths.get_mut("/v1/workshops").unwrap();
        if let Some(operation) = item.get.as_mut() {
            operation.extensions = None;
        }
        access::check_declared(&api);
    }
}
