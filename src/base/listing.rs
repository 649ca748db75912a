//! Lists one page at a time: what a use case is asked for ([`PageRequest`]) and what it
//! answers ([`Listing`]). The HTTP form of both is `crate::http::paging`.

use sea_orm::{ConnectionTrait, PaginatorTrait, SelectorTrait};

use super::error::ServiceError;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

impl PageRequest {
    /// Zero-based index of the page, as SeaORM's paginator counts.
    pub fn index(self) -> u64 {
        self.page - 1
    }
}

/// Result of a use case that lists records one page at a time.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub total: u64,
}

impl<T> Listing<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Listing<U> {
        Listing {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}

/// One page of `query` and the count over all pages.
pub async fn page_of<'db, C, Q>(
    query: Q,
    db: &'db C,
    page: PageRequest,
) -> Result<Listing<<Q::Selector as SelectorTrait>::Item>, ServiceError>
where
    C: ConnectionTrait,
    Q: PaginatorTrait<'db, C>,
{
    let paginator = query.paginate(db, page.per_page);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page.index()).await?;
    Ok(Listing { items, total })
}
