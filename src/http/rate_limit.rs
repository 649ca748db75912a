//! Per-client rate limiting of the participant routes. The client is the connection's
//! peer address; `X-Forwarded-For` counts only when the peer is a configured trusted
//! proxy, so a client cannot dodge the limit by forging the header. An IPv6 client counts
//! by its /64, the block one subscriber is given, so rotating addresses within it does
//! not reset the quota.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, ResponseError, web};
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

/// The key a client is counted by: an IPv4 address as it is, an IPv6 address by its /64
/// (an IPv4-mapped one as the IPv4 address).
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:5678`.
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| inner.parse().ok())
        })
}

/// The key to count a request against. `forwarded_for` holds every `X-Forwarded-For`
/// line, in order. Behind trusted proxies the nearest untrusted hop is the client; an entry
/// that cannot be read stops the walk and the peer is counted instead (anything left of it
/// could be forged).
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return client_key(peer);
    }
    let hops: Vec<&str> = forwarded_for
        .iter()
        .flat_map(|line| line.split(','))
        .filter(|hop| !hop.trim().is_empty())
        .collect();
    // Proxies append, so the walk goes from the right.
    for hop in hops.iter().rev() {
        match hop_address(hop) {
            Some(address) if trusted.contains(&address) => continue,
            Some(address) => return client_key(address),
            None => return client_key(peer),
        }
    }
    // Only trusted hops: the first one sent the request.
    let first = hops.first().and_then(|hop| hop_address(hop));
    client_key(first.unwrap_or(peer))
}

/// Counts the request against its client's quota; the seconds to wait when it is over.
pub fn over_quota(request: &ServiceRequest) -> Option<u64> {
    let limiter = request.app_data::<web::Data<RespondLimiter>>()?;
    let client = client_of(request.request(), &limiter.trusted_proxies)?;
    limiter.check(client).err()
}

/// The client `request` comes from: its peer, or the address `X-Forwarded-For` gives when
/// the peer is a trusted proxy ([`client_address`]).
pub fn client_of(request: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = request.peer_addr()?.ip();
    let forwarded_for: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(client_address(peer, &forwarded_for, trusted))
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
        let client = client_address(ip("203.0.113.9"), &["1.2.3.4"], &[]);
        assert_eq!(client, ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_nearest_untrusted_hop_counts() {
        let trusted = [ip("10.0.0.1")];
        let client = client_address(ip("10.0.0.1"), &["1.2.3.4, 198.51.100.7"], &trusted);
        assert_eq!(client, ip("198.51.100.7"), "the left entry could be forged");
    }

    #[test]
    fn a_trusted_proxy_without_the_header_counts_as_itself() {
        let trusted = [ip("10.0.0.1")];
        assert_eq!(
            client_address(ip("10.0.0.1"), &[], &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn every_header_line_counts_and_ports_and_brackets_are_read() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        let lines = ["1.2.3.4", "198.51.100.7:4711, 10.0.0.2"];
        assert_eq!(
            client_address(ip("10.0.0.1"), &lines, &trusted),
            ip("198.51.100.7"),
            "the second line is the nearer one and its port is not the client's"
        );
        for hop in [
            "[2001:db8:1:2::9]:443",
            "[2001:db8:1:2::9]",
            "2001:db8:1:2::9",
        ] {
            assert_eq!(
                client_address(ip("10.0.0.1"), &[hop], &trusted),
                ip("2001:db8:1:2::"),
                "{hop}"
            );
        }
    }

    #[test]
    fn an_unreadable_entry_counts_the_proxy_not_what_is_left_of_it() {
        let trusted = [ip("10.0.0.1")];
        let client = client_address(ip("10.0.0.1"), &["198.51.100.7, unknown"], &trusted);
        assert_eq!(client, ip("10.0.0.1"));
    }

    #[test]
    fn an_ipv6_client_counts_by_its_slash_64() {
        let limiter = RespondLimiter::new(NonZeroU32::new(2).unwrap(), vec![]);
        let rotating = ["2001:db8:0:1::1", "2001:db8:0:1:ffff::2", "2001:db8:0:1::3"];
        let results: Vec<bool> = rotating
            .iter()
            .map(|a| limiter.check(client_address(ip(a), &[], &[])).is_ok())
            .collect();
        assert_eq!(results, [true, true, false]);
        assert!(
            limiter
                .check(client_address(ip("2001:db8:0:2::1"), &[], &[]))
                .is_ok(),
            "the next /64 is someone else"
        );
        assert_eq!(client_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
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
