use crate::helpers::{Backend, spawn_app};

async fn health_and_readiness_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app
        .send(app.client.get(app.url("/healthz")))
        .await
        .expect(200);
    assert_eq!(health.body["status"], "ok");
    let ready = app
        .send(app.client.get(app.url("/readyz")))
        .await
        .expect(200);
    assert_eq!(ready.body["status"], "ready");
}

async fn readiness_fails_when_the_database_is_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    app.db.clone().close().await.unwrap();
    app.send(app.client.get(app.url("/readyz")))
        .await
        .expect_problem(503);
    app.send(app.client.get(app.url("/healthz")))
        .await
        .expect(200);
}

async fn metrics_count_requests_by_route_pattern(backend: Backend) {
    let app = spawn_app(backend).await;
    app.get("/v1/workshops/12345").await.expect_problem(404);
    let metrics = app
        .send(app.client.get(app.url("/metrics")))
        .await
        .expect(200);
    assert!(metrics.content_type().starts_with("text/plain"));
    assert!(
        metrics.text.contains("http_requests_total"),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("route=\"/v1/workshops/{id}\""),
        "the route pattern, not the raw path, is the label"
    );
    assert!(
        metrics
            .text
            .contains("http_request_duration_seconds_bucket")
    );
}

async fn every_response_carries_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.send(app.client.get(app.url("/healthz"))).await;
    let generated = reply.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 32);
    let echoed = app
        .send(
            app.client
                .get(app.url("/healthz"))
                .header("x-request-id", "abc-123"),
        )
        .await;
    assert_eq!(echoed.headers["x-request-id"], "abc-123");
    let replaced = app
        .send(
            app.client
                .get(app.url("/healthz"))
                .header("x-request-id", "bad id\twith spaces"),
        )
        .await;
    assert_ne!(replaced.headers["x-request-id"], "bad id\twith spaces");
}

async fn the_openapi_document_and_an_offline_docs_ui_are_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let served = app
        .send(app.client.get(app.url("/openapi.json")))
        .await
        .expect(200);
    assert_eq!(served.body["openapi"], "3.1.0");
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    assert_eq!(served.body, committed);

    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 308);
    let page = app
        .send(app.client.get(app.url("/docs/")))
        .await
        .expect(200);
    assert!(page.text.contains("swagger-ui"), "{}", page.text);
    assert!(
        !page.text.contains("https://"),
        "no asset comes from the internet"
    );
    let config = app
        .send(app.client.get(app.url("/docs/swagger-initializer.js")))
        .await
        .expect(200);
    assert!(config.text.contains("/openapi.json"));
    app.send(app.client.get(app.url("/docs/swagger-ui-bundle.js")))
        .await
        .expect(200);
}

async fn made_up_methods_do_not_grow_the_metrics(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..1000 {
        let method = reqwest::Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
        app.send(app.client.request(method, app.url("/v1/workshops")))
            .await;
    }
    let metrics = app
        .send(app.client.get(app.url("/metrics")))
        .await
        .expect(200)
        .text;
    let methods: std::collections::BTreeSet<&str> = metrics
        .match_indices("method=\"")
        .filter_map(|(at, _)| metrics[at + 8..].split('"').next())
        .collect();
    let known = [
        "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "other",
    ];
    assert!(
        methods.iter().all(|m| known.contains(m)),
        "method labels: {methods:?}"
    );
    assert!(methods.contains("other"), "the made-up methods are counted");
}

on_both_databases!(
    made_up_methods_do_not_grow_the_metrics,
    health_and_readiness_answer,
    readiness_fails_when_the_database_is_gone,
    metrics_count_requests_by_route_pattern,
    every_response_carries_a_request_id,
    the_openapi_document_and_an_offline_docs_ui_are_served,
);
