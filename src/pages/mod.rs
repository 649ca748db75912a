//! Server-rendered pages for people: the participant's answering page at
//! `/respond/{token}`, reached from the link in every invitation, reminder and feedback
//! mail. HTML rendered from minijinja templates shipped in the binary, no JavaScript, one
//! stylesheet from the service itself. A front end may replace it (`respond_link_base`);
//! the JSON routes of `/v1/respond/{token}` stay. The pages are not operations of the API
//! document: they take the token in the path like those routes, and the same per-client
//! rate limit.

pub mod answering;
pub mod form;
pub mod home;
pub mod not_for_me;
pub mod render;
pub mod view;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{Error, web};

use crate::http::rate_limit::over_quota;
use crate::http::state::AppState;

/// Registers the pages, their stylesheet and the favicon.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(home::show))
        .route(render::FAVICON_PATH, web::get().to(home::favicon))
        .route(
            render::STYLESHEET_PATH,
            web::get().to(|| async { render::stylesheet() }),
        )
        .service(
            web::scope("/respond")
                .wrap(from_fn(limit))
                .route("/{token}", web::get().to(answering::show_form))
                .route("/{token}", web::post().to(answering::submit_form))
                .route("/{token}/done", web::get().to(answering::show_confirmation))
                .route("/{token}/not-for-me", web::get().to(not_for_me::show))
                .route("/{token}/not-for-me", web::post().to(not_for_me::submit)),
        );
}

/// The per-client limit of the participant routes, answered with a page.
async fn limit(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if let Some(retry_after_secs) = over_quota(&request) {
        let office = request
            .app_data::<web::Data<AppState>>()
            .map(|state| answering::office(state))
            .unwrap_or_default();
        let mut page = render::message(
            StatusCode::TOO_MANY_REQUESTS,
            render::Message {
                title: "Too many requests",
                paragraphs: vec![format!(
                    "Please wait {retry_after_secs} seconds, then reload the page."
                )],
                office: &office,
            },
        );
        page.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        return Ok(request.into_response(page).map_into_right_body());
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}
