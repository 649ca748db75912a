//! Response shapes shared by handlers.

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;

/// `201 Created` with the new resource's address.
pub fn created(location: String, body: impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}
