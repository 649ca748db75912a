//! Page-at-a-time listing over HTTP: `?page=2&per_page=50` in, `{items, total, page,
//! per_page}` out. The use cases' side is `crate::base::listing`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::base::listing::{Listing, PageRequest};
use crate::error::ApiError;

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 200;

/// Query parameters selecting one page of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<u64>,
    /// Items per page.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub per_page: Option<u64>,
}

impl TryFrom<PageParams> for PageRequest {
    type Error = ApiError;

    fn try_from(params: PageParams) -> Result<Self, ApiError> {
        let page = params.page.unwrap_or(1);
        let per_page = params.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if !(1..=1_000_000).contains(&page) {
            return Err(ApiError::bad_request(
                "page",
                "must be between 1 and 1000000",
            ));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(ApiError::bad_request(
                "per_page",
                format!("must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        Ok(Self { page, per_page })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Number of items over all pages.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u64,
    /// Items per page.
    pub per_page: u64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: u64, request: PageRequest) -> Self {
        Self {
            items,
            total,
            page: request.page,
            per_page: request.per_page,
        }
    }

    /// The page of `listing` asked for by `request`, each item turned into its API form.
    pub fn from_listing<S>(
        listing: Listing<S>,
        request: PageRequest,
        view: impl FnMut(S) -> T,
    ) -> Self {
        let Listing { items, total } = listing.map(view);
        Self::new(items, total, request)
    }
}
