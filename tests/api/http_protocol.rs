//! HTTP as clients expect it: `HEAD` on every `GET` route (the answering page included),
//! text compressed for clients that accept it, a page at `/` and a favicon.

use std::io::Read;

use reqwest::{Method, StatusCode};

use crate::helpers::{Backend, TestApp, spawn_app};

/// Status, the headers that describe the body, and the body's bytes.
async fn fetch(
    app: &TestApp,
    method: Method,
    path: &str,
    gzip: bool,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin_key);
    if gzip {
        request = request.header("accept-encoding", "gzip");
    }
    let response = request.send().await.expect("the request reaches the app");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("a body").to_vec();
    (status, headers, body)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

/// HEAD answers like GET, without the body: the same status and `Content-Type`, the GET
/// body's length in `Content-Length`, the same `ETag`.
async fn head_answers_every_get_route_without_a_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    app.open_today(&setup).await;
    let token = app.link(setup.invitation_of("MY")).await;
    for path in [
        "/v1/workshops".to_owned(),
        format!("/v1/rounds/{}", setup.round_id),
        format!("/v1/rounds/{}/report?format=html", setup.round_id),
        format!("/respond/{token}"),
        "/respond/no-such-link".to_owned(),
        "/v1/respond/no-such-link".to_owned(),
        "/openapi.json".to_owned(),
        "/".to_owned(),
        "/healthz".to_owned(),
    ] {
        let (get_status, get_headers, get_body) = fetch(&app, Method::GET, &path, false).await;
        let (status, headers, body) = fetch(&app, Method::HEAD, &path, false).await;
        assert_eq!(status, get_status, "{path}");
        // A client that accepts gzip gets the same answer: nothing compressed to be dropped.
        let (_, gzip_headers, gzip_body) = fetch(&app, Method::HEAD, &path, true).await;
        assert!(gzip_body.is_empty(), "{path}");
        assert!(!gzip_headers.contains_key("content-encoding"), "{path}");
        assert_eq!(
            gzip_headers.get("content-length"),
            headers.get("content-length"),
            "{path}"
        );
        assert!(body.is_empty(), "{path}: HEAD sent a body");
        assert_eq!(
            headers.get("content-type"),
            get_headers.get("content-type"),
            "{path}"
        );
        assert_eq!(
            headers["content-length"].to_str().unwrap(),
            get_body.len().to_string(),
            "{path}"
        );
        if get_headers.contains_key("etag") {
            assert_eq!(headers.get("etag"), get_headers.get("etag"), "{path}");
        }
    }
    // A path without GET answers HEAD 405; one with GET lists HEAD beside it.
    let (status, headers, _) = fetch(&app, Method::HEAD, "/v1/rounds/1/close", false).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "POST");
    let (status, headers, _) = fetch(&app, Method::PATCH, "/v1/rounds/1", false).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        headers["allow"].to_str().unwrap().contains("GET, HEAD"),
        "{:?}",
        headers["allow"]
    );
}

/// Text goes out gzip-compressed to a client that accepts it, the same bytes once
/// decompressed, with `Vary: Accept-Encoding`; a client that does not ask gets it plain.
async fn text_is_compressed_for_clients_that_accept_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    app.open_today(&setup).await;
    let token = app.link(setup.invitation_of("MY")).await;
    for path in [
        format!("/respond/{token}"),
        "/assets/respond.css".to_owned(),
        "/openapi.json".to_owned(),
        format!("/v1/rounds/{}/replies/export", setup.round_id),
        "/v1/administrations".to_owned(),
    ] {
        let (_, plain_headers, plain) = fetch(&app, Method::GET, &path, false).await;
        assert!(!plain_headers.contains_key("content-encoding"), "{path}");
        let (status, headers, compressed) = fetch(&app, Method::GET, &path, true).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers["content-encoding"], "gzip", "{path}");
        let vary: Vec<String> = headers
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .collect();
        assert!(
            vary.iter().any(|v| v.contains("accept-encoding")),
            "{path}: {vary:?}"
        );
        assert_eq!(gunzip(&compressed), plain, "{path}");
        if plain.len() > 2_000 {
            assert!(
                compressed.len() * 2 < plain.len(),
                "{path}: {} of {}",
                compressed.len(),
                plain.len()
            );
        }
    }
}

/// A browser at the service's address finds its name and the way to the API's
/// documentation; every page names an icon the service serves.
async fn the_root_names_the_service_and_a_favicon_is_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, headers, body) = fetch(&app, Method::GET, "/", false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let page = String::from_utf8(body).unwrap();
    for text in [
        "<h1 class=\"heading\">Follow-up Actions Survey</h1>",
        "href=\"/docs/\"",
        "href=\"/openapi.json\"",
        "<link rel=\"icon\" href=\"/favicon.ico\">",
    ] {
        assert!(page.contains(text), "{text} in\n{page}");
    }
    let (status, headers, icon) = fetch(&app, Method::GET, "/favicon.ico", false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/x-icon");
    assert_eq!(&icon[..4], &[0, 0, 1, 0], "an ICO file");
}

on_both_databases!(
    head_answers_every_get_route_without_a_body,
    text_is_compressed_for_clients_that_accept_it,
    the_root_names_the_service_and_a_favicon_is_served,
);
