//! Templates (minijinja, shipped in the binary; HTML-escaped) and the response every page is
//! sent with: no caching, no referrer, a strict content security policy, no framing.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use minijinja::Environment;
use serde::Serialize;

use crate::base::markup;

const TEMPLATES: [(&str, &str); 8] = [
    ("home.html", include_str!("templates/home.html")),
    ("base.html", include_str!("templates/base.html")),
    ("questions.html", include_str!("templates/questions.html")),
    ("form.html", include_str!("templates/form.html")),
    ("done.html", include_str!("templates/done.html")),
    ("closed.html", include_str!("templates/closed.html")),
    ("message.html", include_str!("templates/message.html")),
    ("not_for_me.html", include_str!("templates/not_for_me.html")),
];

/// The pages' stylesheet, served at [`STYLESHEET_PATH`].
pub const STYLESHEET: &str = include_str!("assets/respond.css");
pub const STYLESHEET_PATH: &str = "/assets/respond.css";
/// Where the favicon is served (by [`super::home::favicon`]).
pub const FAVICON_PATH: &str = "/favicon.ico";

/// Scripts: none. Styles, the form's target and everything else: this service only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        env.set_formatter(markup::formatter);
        env.add_global("stylesheet", STYLESHEET_PATH);
        env.add_global("favicon", FAVICON_PATH);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("the page template {name}: {e}"));
        }
        env
    })
}

/// `template` filled with `context`, sent with `status` and the pages' headers.
pub fn page(status: StatusCode, template: &str, context: impl Serialize) -> HttpResponse {
    let rendered = environment()
        .get_template(template)
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(&context))));
    match rendered {
        Ok(html) => with_headers(HttpResponse::build(status), html),
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                template,
                "a page did not render"
            );
            with_headers(
                HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR),
                "<!doctype html><html lang=\"en\"><title>Error</title><p>The page could not be shown.</p></html>".into(),
            )
        }
    }
}

/// `303 See Other` to `location`, with the pages' headers (the token is in the path).
pub fn see_other(location: String) -> HttpResponse {
    let mut builder = HttpResponse::SeeOther();
    builder.insert_header((header::LOCATION, location));
    with_headers(builder, String::new())
}

fn with_headers(mut builder: actix_web::HttpResponseBuilder, html: String) -> HttpResponse {
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(html)
}

/// A page with a heading and a few paragraphs: not found, refused, too many requests,
/// failed.
#[derive(Debug, Serialize)]
pub struct Message<'a> {
    pub title: &'a str,
    pub paragraphs: Vec<String>,
    pub office: &'a str,
}

pub fn message(status: StatusCode, message: Message<'_>) -> HttpResponse {
    page(status, "message.html", message)
}

/// The stylesheet, cached for a day.
pub fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET.as_bytes())
}

/// A file the pages use, the same for everyone, cached for a day.
pub fn asset(content_type: &'static str, body: &'static [u8]) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        for (name, _) in TEMPLATES {
            assert!(environment().get_template(name).is_ok(), "{name}");
        }
    }
}
