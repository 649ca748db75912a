use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, spawn_app, workshop_body};

async fn malformed_json_is_a_400_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let fields = app
        .send(
            app.request_as(&app.admin_key, Method::POST, "/v1/workshops")
                .header("content-type", "application/json")
                .body("{\"title\": "),
        )
        .await
        .expect_problem(400);
    assert_eq!(fields, vec!["body"]);
}

async fn a_wrong_type_or_unknown_field_is_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = workshop_body("T", "2020-01-01", "2020-01-02");
    body["is_virtual"] = json!("yes");
    assert_eq!(
        app.post("/v1/workshops", &body).await.expect_problem(422),
        vec!["is_virtual"]
    );
    let mut body = workshop_body("T", "2020-01-01", "2020-01-02");
    body["colour"] = json!("blue");
    assert_eq!(
        app.post("/v1/workshops", &body).await.expect_problem(422),
        vec!["colour"]
    );
    let fields = app
        .post("/v1/workshops", &json!([1, 2]))
        .await
        .expect_problem(422);
    assert_eq!(fields.len(), 1, "{fields:?}");
}

async fn bad_query_strings_name_the_parameter(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.get("/v1/workshops?page=abc").await.expect_problem(400),
        vec!["page"]
    );
    assert_eq!(
        app.get("/v1/workshops?per_page=0")
            .await
            .expect_problem(400),
        vec!["per_page"]
    );
    assert_eq!(
        app.get("/v1/workshops?per_page=201")
            .await
            .expect_problem(400),
        vec!["per_page"]
    );
    assert_eq!(
        app.get("/v1/workshops?scope=galactic")
            .await
            .expect_problem(400),
        vec!["scope"]
    );
}

async fn unknown_routes_and_wrong_methods_are_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    app.get("/v1/nothing-here").await.expect_problem(404);
    app.get("/v1/workshops/not-a-number")
        .await
        .expect_problem(404);
    let reply = app
        .send(app.request_as(&app.admin_key, Method::PATCH, "/v1/workshops/1"))
        .await;
    assert_eq!(reply.headers["allow"], "DELETE, GET, HEAD, PUT");
    reply.expect_problem(405);
    app.send(app.request_as(&app.admin_key, Method::DELETE, "/v1/workshops"))
        .await
        .expect_problem(405);
}

async fn an_oversized_body_is_a_413_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    // The test app accepts 64 KiB.
    let mut body = workshop_body("T", "2020-01-01", "2020-01-02");
    body["topic"] = json!("x".repeat(100 * 1024));
    app.post("/v1/workshops", &body).await.expect_problem(413);
}

async fn a_body_that_is_not_json_is_a_415_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    app.send(
        app.request_as(&app.admin_key, Method::POST, "/v1/workshops")
            .header("content-type", "text/plain")
            .body("title=x"),
    )
    .await
    .expect_problem(415);
}

async fn nul_and_overlong_text_are_validation_errors_not_500(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = workshop_body("nul\u{0}inside", "2020-01-01", "2020-01-02");
    assert_eq!(
        app.post("/v1/workshops", &body).await.expect_problem(422),
        vec!["title"]
    );
    let body = workshop_body(&"x".repeat(201), "2020-01-01", "2020-01-02");
    assert_eq!(
        app.post("/v1/workshops", &body).await.expect_problem(422),
        vec!["title"]
    );
    assert_eq!(
        app.get("/v1/workshops?q=%00").await.expect_problem(400),
        vec!["q"]
    );
}

on_both_databases!(
    malformed_json_is_a_400_problem,
    a_wrong_type_or_unknown_field_is_named,
    bad_query_strings_name_the_parameter,
    unknown_routes_and_wrong_methods_are_problems,
    an_oversized_body_is_a_413_problem,
    a_body_that_is_not_json_is_a_415_problem,
    nul_and_overlong_text_are_validation_errors_not_500,
);
