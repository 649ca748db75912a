//! `Idempotency-Key` on staff POSTs: replays, conflicts, concurrency and expiry.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Reply, TestApp, spawn_app, spawn_app_with, workshop_body};
use crate::process::RunningService;

async fn post_with_key(app: &TestApp, key_header: &str, body: &Value) -> Reply {
    post_as(app, &app.admin_key, key_header, body).await
}

async fn post_as(app: &TestApp, api_key: &str, key_header: &str, body: &Value) -> Reply {
    app.send(
        app.request_as(api_key, Method::POST, "/v1/workshops")
            .header("Idempotency-Key", key_header)
            .json(body),
    )
    .await
}

async fn workshop_count(app: &TestApp) -> u64 {
    app.get("/v1/workshops").await.expect(200).body["total"]
        .as_u64()
        .unwrap()
}

async fn a_retry_with_the_same_key_and_body_gets_the_stored_response(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = workshop_body("AEO workshop", "2019-12-10", "2019-12-12");
    let first = post_with_key(&app, "4f6a1c2e-retry", &body)
        .await
        .expect(201);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = post_with_key(&app, "4f6a1c2e-retry", &body)
        .await
        .expect(201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["location"], first.headers["location"]);
    assert!(again.content_type().starts_with("application/json"));
    assert_eq!(workshop_count(&app).await, 1, "one effect");

    // A new key is a new request; without a key nothing is remembered.
    post_with_key(&app, "another-key", &body).await.expect(201);
    app.post("/v1/workshops", &body).await.expect(201);
    assert_eq!(workshop_count(&app).await, 3);

    // A refusal is stored like any answer: the retry gets the same 422.
    let bad = json!({"title": ""});
    let refused = post_with_key(&app, "bad-body", &bad).await;
    assert_eq!(refused.status, 422);
    let replayed = post_with_key(&app, "bad-body", &bad).await.expect(422);
    assert_eq!(replayed.headers["idempotent-replayed"], "true");
    assert_eq!(replayed.body, refused.body);
}

async fn the_same_key_with_another_body_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    post_with_key(
        &app,
        "key-1",
        &workshop_body("AEO workshop", "2019-12-10", "2019-12-12"),
    )
    .await
    .expect(201);
    let fields = post_with_key(
        &app,
        "key-1",
        &workshop_body("Another workshop", "2019-12-10", "2019-12-12"),
    )
    .await
    .expect_problem(422);
    assert_eq!(fields, ["Idempotency-Key"]);
    assert_eq!(workshop_count(&app).await, 1);

    // A response that carries a secret is not kept: the retry runs again.
    let issue = || {
        app.send(
            app.request_as(&app.admin_key, Method::POST, "/v1/api-keys")
                .header("Idempotency-Key", "new-key")
                .json(&json!({"name": "front end", "role": "viewer"})),
        )
    };
    let first = issue().await.expect(201);
    let again = issue().await.expect(201);
    assert!(again.headers.get("idempotent-replayed").is_none());
    assert_ne!(first.body["secret"], again.body["secret"]);

    // Keys belong to the caller: another API key's "key-1" is its own.
    let editor = app.key_for("editor").await;
    post_as(
        &app,
        &editor,
        "key-1",
        &workshop_body("Another workshop", "2019-12-10", "2019-12-12"),
    )
    .await
    .expect(201);
    assert_eq!(workshop_count(&app).await, 2);

    for bad in ["", &"x".repeat(256), "with space"] {
        let fields = post_with_key(&app, bad, &json!({}))
            .await
            .expect_problem(400);
        assert_eq!(fields, ["Idempotency-Key"], "{bad:?}");
    }
}

async fn concurrent_duplicates_take_effect_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = workshop_body("AEO workshop", "2019-12-10", "2019-12-12");
    let replies = futures_util::future::join_all(
        (0..12).map(|_| post_with_key(&app, "concurrent-key", &body)),
    )
    .await;
    let ids: Vec<&Value> = replies
        .iter()
        .map(|reply| {
            assert_eq!(reply.status, 201, "{}", reply.text);
            &reply.body["id"]
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.headers.get("idempotent-replayed").is_none())
            .count(),
        1,
        "one request ran, the others were replayed"
    );
    assert_eq!(workshop_count(&app).await, 1);
}

async fn keys_expire_after_the_configured_time(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.idempotency_key_ttl_secs = 0).await;
    let body = workshop_body("AEO workshop", "2019-12-10", "2019-12-12");
    post_with_key(&app, "short-lived", &body).await.expect(201);
    let again = post_with_key(&app, "short-lived", &body).await.expect(201);
    assert!(
        again.headers.get("idempotent-replayed").is_none(),
        "an expired key runs the request again"
    );
    assert_eq!(workshop_count(&app).await, 2);
}

async fn participant_routes_and_reads_ignore_the_header(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app
        .send(
            app.request_as(&app.admin_key, Method::GET, "/v1/workshops")
                .header("Idempotency-Key", "not for reads"),
        )
        .await;
    assert_eq!(reply.status, 200);
}

/// The process dies after a request with a key ran and before its response was stored (a
/// failpoint aborts it there): the request's effect went with it, so the same request sent
/// again to the service started anew runs once, and once more is a replay.
async fn a_crash_before_the_response_is_stored_leaves_one_effect_after_the_retry(backend: Backend) {
    let data = tempfile::tempdir().unwrap();
    let (_database, url) = crate::helpers::TestDatabase::create(backend).await;
    let database = [("DATABASE_URL", url.as_str())];
    let crashing = [
        ("DATABASE_URL", url.as_str()),
        ("FOLLOWUP_FAILPOINT", "abort-before-stored-response"),
    ];
    let first = RunningService::start(data.path(), &crashing).await;
    let body = workshop_body("Crash-tested workshop", "2019-12-10", "2019-12-12");
    let send = |service: &RunningService, key: &str| {
        service
            .anonymous(Method::POST, "/v1/workshops")
            .bearer_auth(key)
            .header("Idempotency-Key", "9c1e-crash")
            .json(&body)
            .send()
    };
    assert!(
        send(&first, &first.key).await.is_err(),
        "the process ended before it answered"
    );
    let key = first.key.clone();
    let said = first.stop().await;
    assert!(said.contains("abort-before-stored-response"), "{said}");

    let second = RunningService::start(data.path(), &database).await;
    let retried = send(&second, &key).await.unwrap();
    assert_eq!(retried.status(), 201);
    assert!(retried.headers().get("idempotent-replayed").is_none());
    let again = send(&second, &key).await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let (_, listed) = second
        .call(Method::GET, "/v1/workshops?q=Crash-tested", None)
        .await;
    assert_eq!(listed["total"], 1, "one workshop: {listed}");
    second.stop().await;
}

on_both_databases!(
    a_crash_before_the_response_is_stored_leaves_one_effect_after_the_retry,
    a_retry_with_the_same_key_and_body_gets_the_stored_response,
    the_same_key_with_another_body_is_refused,
    concurrent_duplicates_take_effect_once,
    keys_expire_after_the_configured_time,
    participant_routes_and_reads_ignore_the_header,
);
