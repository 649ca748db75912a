//! Walking the operations of the document, and what each declares.

use utoipa::openapi::path::{Operation, PathItem};

use crate::http::policy::Access;

pub fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    operations_by_method(item).map(|(_, operation)| operation)
}

/// Each operation of a path with whether its method changes state.
pub fn operations_by_method(item: &mut PathItem) -> impl Iterator<Item = (bool, &mut Operation)> {
    [
        (false, &mut item.get),
        (true, &mut item.put),
        (true, &mut item.post),
        (true, &mut item.delete),
        (true, &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(writes, operation)| operation.as_mut().map(|o| (writes, o)))
}

/// The access the operation declares. `super::document` checks first that every operation
/// declares one.
pub fn access_of(operation: &Operation) -> Access {
    Access::declared_by(operation).unwrap_or(Access::Public)
}
