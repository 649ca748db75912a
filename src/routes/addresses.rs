//! `/v1/addresses`: how mail fares at each address anything came back about (bounces,
//! complaints), and staff clearing an address's state.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use entity::address_state::{self, AddressState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::mailings::ReturnedNews;
use crate::base::listing::PageRequest;
use crate::domain::Email;
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::extract::Query;
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::state::AppState;
use crate::services::deliverability as service;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_addresses)
        .service(get_address)
        .service(clear_address);
}

/// An address and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressStanding {
    #[schema(example = "aminah@customs.gov.my")]
    pub address: String,
    /// `soft`: soft bounces, not yet enough to give up on it (3 over at least a week make
    /// it undeliverable); `undeliverable`: reminders and feedback to it are suppressed;
    /// `complained`: the officer reported the mail as spam, so that round's reminders and
    /// the feedback are suppressed.
    pub state: AddressState,
    pub soft_count: i32,
    pub soft_since: Option<DateTime<Utc>>,
    /// The RFC 3463 code of the bounce that set the state.
    pub code: Option<String>,
    pub detail: Option<String>,
    pub complained_round_id: Option<i32>,
    pub changed_at: DateTime<Utc>,
}

impl From<address_state::Model> for AddressStanding {
    fn from(model: address_state::Model) -> Self {
        Self {
            address: model.address,
            state: model.state,
            soft_count: model.soft_count,
            soft_since: model.soft_since,
            code: model.code,
            detail: model.detail,
            complained_round_id: model.complained_round_id,
            changed_at: model.changed_at,
        }
    }
}

/// An address with everything that came back about it, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressDetail {
    #[serde(flatten)]
    pub standing: AddressStanding,
    pub returned: Vec<ReturnedNews>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AddressQuery {
    /// Only addresses in this state; all but `ok` when absent.
    pub state: Option<AddressState>,
}

/// List the addresses mail does not reach as it should, most recently changed first.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "addresses",
    params(AddressQuery, PageParams),
    responses((status = 200, body = Page<AddressStanding>))
)]
#[get("/addresses")]
async fn list_addresses(
    state: web::Data<AppState>,
    Query(query): Query<AddressQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let listing = service::list(&state.db, query.state, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, AddressStanding::from)))
}

/// The address a path names; a text that is no address names nothing (404).
fn address_in_path(text: &str) -> Result<String, ApiError> {
    Email::parse(text)
        .map(Email::into_inner)
        .map_err(|_| ApiError::NotFound(format!("address {text:?} has no delivery state")))
}

/// Read an address's state and what came back about it.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "addresses",
    params(("address" = String, Path, description = "The email address")),
    responses((status = 200, body = AddressDetail))
)]
#[get("/addresses/{address}")]
async fn get_address(
    state: web::Data<AppState>,
    address: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let address = address_in_path(&address)?;
    let (standing, events) = service::get(&state.db, &address).await?;
    Ok(HttpResponse::Ok().json(AddressDetail {
        standing: standing.into(),
        returned: events.into_iter().map(ReturnedNews::from).collect(),
    }))
}

/// Clear an address's state (it was fixed, or the bounce was wrong): reminders and
/// feedback to it are sent again from now on. Audited; what came back stays on record.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManagePersonalData))),
    tag = "addresses",
    params(("address" = String, Path, description = "The email address")),
    responses((status = 204, description = "Cleared"))
)]
#[delete("/addresses/{address}")]
async fn clear_address(
    caller: Caller,
    state: web::Data<AppState>,
    address: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let address = address_in_path(&address)?;
    service::clear(&state.db, &caller.actor(), &address).await?;
    Ok(HttpResponse::NoContent().finish())
}
