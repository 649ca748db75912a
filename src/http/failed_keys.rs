//! Failed authentications per client address: past `per_minute` unknown or revoked API
//! keys within a minute, a client's further requests with a key are refused with 429 and
//! `Retry-After` until its minute is over, before the key is looked up, so made-up keys
//! cannot make the service read its database for each of them. The client is counted as
//! the participant routes count it (`super::rate_limit::client_address`: the proxy rules
//! of `trusted_proxies`). A request without a key costs nothing and is not counted.
//!
//! Written here rather than with `governor` (which limits the participant routes): a
//! request must be refused before its key is read, on the failures counted so far, and
//! governor cannot look at a client's quota without using it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

use super::rate_limit::client_of;

/// How long failures count.
const WINDOW: Duration = Duration::from_secs(60);

/// Clients remembered at most; the oldest are forgotten first.
const MAX_TRACKED_CLIENTS: usize = 10_000;

/// The failures of each client in its current minute.
#[derive(Debug)]
pub struct FailedKeys {
    per_minute: u32,
    trusted_proxies: Vec<IpAddr>,
    clients: Mutex<HashMap<IpAddr, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    since: Instant,
    count: u32,
}

impl FailedKeys {
    pub fn new(per_minute: NonZeroU32, trusted_proxies: Vec<IpAddr>) -> Self {
        Self {
            per_minute: per_minute.get(),
            trusted_proxies,
            clients: Mutex::default(),
        }
    }

    /// The client `request` comes from.
    pub fn client(&self, request: &HttpRequest) -> Option<IpAddr> {
        client_of(request, &self.trusted_proxies)
    }

    /// `Err(seconds to wait)` while `client` has used up its failures.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        match self.lock().get(&client) {
            Some(failures) if failures.count >= self.per_minute => {
                let left = WINDOW.saturating_sub(now.duration_since(failures.since));
                if left.is_zero() {
                    Ok(())
                } else {
                    Err(left.as_secs().max(1))
                }
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed authentication of `client`.
    pub fn failed(&self, client: IpAddr) {
        let now = Instant::now();
        let mut clients = self.lock();
        if clients.len() >= MAX_TRACKED_CLIENTS {
            clients.retain(|_, f| now.duration_since(f.since) < WINDOW);
        }
        if clients.len() >= MAX_TRACKED_CLIENTS
            && let Some(oldest) = clients.iter().min_by_key(|(_, f)| f.since).map(|(c, _)| *c)
        {
            clients.remove(&oldest);
        }
        let failures = clients.entry(client).or_insert(Failures {
            since: now,
            count: 0,
        });
        if now.duration_since(failures.since) >= WINDOW {
            *failures = Failures {
                since: now,
                count: 0,
            };
        }
        failures.count += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Failures>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_its_failures_waits_out_its_minute_and_others_do_not() {
        let keys = FailedKeys::new(NonZeroU32::new(3).unwrap(), Vec::new());
        let (one, other): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(keys.check(one), Ok(()));
            keys.failed(one);
        }
        let wait = keys.check(one).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(keys.check(other), Ok(()));
    }
}
