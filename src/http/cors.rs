//! Cross-origin requests from the allow-listed front ends. Requests without an `Origin`
//! (partner systems, scripts) are unaffected. A browser script on any other origin gets no
//! `Access-Control-Allow-Origin`, so it cannot read answers, and its preflight is refused,
//! so it cannot send an API key (`Authorization` needs one) or a JSON body.

use actix_cors::Cors;
use actix_web::http::{Method, header};
use anyhow::{Context, bail};
use reqwest::Url;

/// Response headers a browser script may read.
const EXPOSED: [&str; 5] = [
    "etag",
    "location",
    "x-request-id",
    "idempotent-replayed",
    "retry-after",
];

/// Request headers a browser script may send.
const ALLOWED: [&str; 6] = [
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "idempotency-key",
    "x-request-id",
];

/// The configured origins in the form browsers send (`https://survey.example.org`, no
/// path, no trailing slash); an entry that is not such an origin stops the start.
pub fn origins(configured: &[String]) -> anyhow::Result<Vec<String>> {
    configured
        .iter()
        .map(|entry| {
            let url = Url::parse(entry.trim())
                .with_context(|| format!("cors_allowed_origins: {entry:?} is not an origin"))?;
            let origin = url.origin().ascii_serialization();
            let bare = entry.trim().trim_end_matches('/');
            if !matches!(url.scheme(), "http" | "https") || origin != bare {
                bail!(
                    "cors_allowed_origins: {entry:?} must be scheme://host[:port] only, like https://survey.example.org"
                );
            }
            Ok(origin)
        })
        .collect()
}

/// The CORS middleware for the allowed origins.
pub fn middleware(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers(ALLOWED.map(header::HeaderName::from_static))
        .expose_headers(EXPOSED.map(header::HeaderName::from_static))
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        let ok = origins(&[
            "https://survey.example.org".into(),
            "http://localhost:5173/".into(),
        ])
        .unwrap();
        assert_eq!(ok, ["https://survey.example.org", "http://localhost:5173"]);
        for bad in [
            "survey.example.org",
            "https://x.org/app",
            "ftp://x.org",
            "*",
        ] {
            assert!(origins(&[bad.into()]).is_err(), "{bad} was accepted");
        }
    }
}
