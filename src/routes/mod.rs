//! HTTP routes: handlers parse requests into domain types, call one use case and map its
//! result. Every handler is documented in the OpenAPI document and declares there who may
//! call it (`x-access`, see `crate::http::policy`). One file per resource; what handlers
//! share (state, extractors, paging, conditional requests) is in `crate::http`.

mod addresses;
pub mod administrations;
pub mod analytics;
pub mod analytics_answers;
pub mod api_keys;
pub mod audit_log;
mod contact_points;
mod follow_up;
pub mod good_practices;
mod handover_requests;
pub mod invitations;
pub mod mail_templates;
pub mod mailings;
pub mod meta;
pub mod participants;
pub mod privacy;
pub mod questionnaires;
pub mod replies;
pub mod respond;
pub mod round_workshops;
pub mod rounds;
pub mod webhooks;
pub mod workshops;

use actix_web::middleware::from_fn;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route.
pub fn configure(config: &mut ServiceConfig) {
    config.configure(meta::routes).service(
        // The participants' routes first: they take the most requests, and actix tries
        // routes in order.
        scope::scope("/v1")
            .service(
                scope::scope("/respond")
                    .wrap(from_fn(crate::http::rate_limit::limit))
                    .configure(respond::routes),
            )
            .configure(administrations::routes)
            .configure(workshops::routes)
            .configure(participants::routes)
            .configure(privacy::routes)
            .configure(questionnaires::routes)
            .configure(rounds::routes)
            .configure(round_workshops::routes)
            .configure(invitations::routes)
            .configure(replies::routes)
            .configure(good_practices::routes)
            .configure(analytics::routes)
            .configure(mailings::routes)
            .configure(addresses::routes)
            .configure(contact_points::routes)
            .configure(follow_up::routes)
            .configure(handover_requests::routes)
            .configure(mail_templates::routes)
            .configure(api_keys::routes)
            .configure(audit_log::routes)
            .configure(webhooks::routes),
    );
}
