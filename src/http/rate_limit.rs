//! Per-client rate limiting of the participant routes. The client is the connection's
//! peer address; `X-Forwarded-For` counts only when the peer is a configured trusted
//! proxy, so a client cannot dodge the limit by forging the header.

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// Distinct clients remembered before stale ones are forgotten.
const MAX_TRACKED_CLIENTS: usize = 10_000;

pub struct RespondLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    trusted_proxies: Vec<IpAddr>,
}

impl std::fmt::Debug for RespondLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RespondLimiter")
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

impl RespondLimiter {
    /// `per_minute` requests per client, all of which may come at once.
    pub fn new(per_minute: NonZeroU32, trusted_proxies: Vec<IpAddr>) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            trusted_proxies,
        }
    }

    /// `Err(seconds to wait)` when `client` is over its quota.
    fn check(&self, client: IpAddr) -> Result<(), u64> {
        if self.limiter.len() > MAX_TRACKED_CLIENTS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }
}

/// The address to count a request against.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded_for
        .unwrap_or_default()
        .split(',')
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    // Proxies append; the nearest untrusted hop is the client as far as we can trust.
    hops.iter()
        .rev()
        .find(|hop| !trusted.contains(hop))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

/// Counts the request against its client's quota; the seconds to wait when it is over.
pub fn over_quota(request: &ServiceRequest) -> Option<u64> {
    let limiter = request.app_data::<web::Data<RespondLimiter>>()?;
    let peer = request.peer_addr()?.ip();
    let forwarded_for = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let client = client_address(peer, forwarded_for, &limiter.trusted_proxies);
    limiter.check(client).err()
}

/// Refuses requests over the client's quota with 429 and `Retry-After`.
pub async fn limit(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if let Some(retry_after_secs) = over_quota(&request) {
        let response = ApiError::TooManyRequests { retry_after_secs }.error_response();
        return Ok(request.into_response(response).map_into_right_body());
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_forged_header_from_an_untrusted_peer_is_ignored() {
        let client = client_address(ip("203.0.113.9"), Some("1.2.3.4"), &[]);
        assert_eq!(client, ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_nearest_untrusted_hop_counts() {
        let trusted = [ip("10.0.0.1")];
        let client = client_address(ip("10.0.0.1"), Some("1.2.3.4, 198.51.100.7"), &trusted);
        assert_eq!(client, ip("198.51.100.7"), "the left entry could be forged");
    }

    #[test]
    fn a_trusted_proxy_without_the_header_counts_as_itself() {
        let trusted = [ip("10.0.0.1")];
        assert_eq!(
            client_address(ip("10.0.0.1"), None, &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_limiter_refuses_past_the_quota() {
        let limiter = RespondLimiter::new(NonZeroU32::new(2).unwrap(), vec![]);
        let client = ip("192.0.2.1");
        assert!(limiter.check(client).is_ok());
        assert!(limiter.check(client).is_ok());
        assert!(limiter.check(client).unwrap_err() >= 1);
        assert!(
            limiter.check(ip("192.0.2.2")).is_ok(),
            "other clients are unaffected"
        );
    }
}
