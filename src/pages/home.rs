//! What a browser at the service's address finds: a small page naming the service with
//! links to the API documentation and the OpenAPI document, and the favicon every page
//! (and a browser showing JSON) asks for.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web;
use serde_json::json;

use super::answering::office;
use super::render;
use crate::http::state::AppState;

const FAVICON: &[u8] = include_bytes!("assets/favicon.ico");

/// `GET /`: the service's name and where to go next.
pub async fn show(state: web::Data<AppState>) -> HttpResponse {
    render::page(
        StatusCode::OK,
        "home.html",
        json!({
            "title": "Follow-up Actions Survey",
            "office": office(&state),
        }),
    )
}

/// `GET /favicon.ico`: a check mark in the masthead's blue.
pub async fn favicon() -> HttpResponse {
    render::asset("image/x-icon", FAVICON)
}
