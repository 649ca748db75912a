//! The HTTP edge the handlers share: application state, authentication and the route
//! policy, idempotency, conditional requests, CORS, rate limits, extractors, request
//! middleware and page parameters. Handlers live in `crate::routes`; nothing below the edge
//! (services, analytics, mail, jobs, base, domain) imports this folder.

pub mod auth;
pub mod conditional;
pub mod cors;
pub mod extract;
pub mod failed_keys;
pub mod head;
pub mod idempotency;
pub mod observe;
pub mod paging;
pub mod policy;
pub mod rate_limit;
pub mod responses;
pub mod state;
