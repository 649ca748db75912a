//! Response shapes shared by handlers.

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;
use utoipa::ToSchema;

/// The bytes of a file (a workbook, a CSV sent as a file): `type: string, format: binary` in
/// the document, so generated clients hand over and receive bytes, never text.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

/// `201 Created` with the new resource's address.
pub fn created(location: String, body: impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}
