use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, participant_body, spawn_app, spawn_app_with, workshop_body};

async fn a_request_without_a_key_gets_401_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.send(app.client.get(app.url("/v1/workshops"))).await;
    assert_eq!(
        reply.headers["www-authenticate"],
        "Bearer realm=\"followup\""
    );
    reply.expect_problem(401);
    let reply = app
        .send(
            app.client
                .get(app.url("/v1/workshops"))
                .header("authorization", "Basic abc"),
        )
        .await;
    reply.expect_problem(401);
    app.send(app.request_as("fu_not-a-real-key", Method::GET, "/v1/workshops"))
        .await
        .expect_problem(401);
}

async fn an_admin_issues_a_key_whose_secret_works_and_is_stored_hashed(backend: Backend) {
    let app = spawn_app(backend).await;
    let issued = app
        .post(
            "/v1/api-keys",
            &json!({"name": "front end", "role": "editor"}),
        )
        .await
        .expect(201)
        .body;
    let secret = issued["secret"].as_str().unwrap();
    assert!(secret.starts_with("fu_") && secret.len() >= 40);
    assert_eq!(issued["api_key"]["prefix"], &secret[..8]);
    let id = issued["api_key"]["id"].as_i64().unwrap();

    app.send(app.request_as(secret, Method::GET, "/v1/workshops"))
        .await
        .expect(200);
    let read = app.get(&format!("/v1/api-keys/{id}")).await.expect(200);
    assert!(
        !read.text.contains(secret),
        "the secret is never shown again"
    );

    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let stored = entity::api_key::Entity::find()
        .filter(entity::api_key::Column::Id.eq(id as i32))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.key_hash, secret);
    assert_eq!(
        stored.key_hash,
        followup::services::api_keys::digest(secret)
    );
    assert!(!stored.key_hash.contains(&secret[3..]));
}

async fn roles_are_enforced_on_every_kind_of_route(backend: Backend) {
    let app = spawn_app(backend).await;
    let workshop = app
        .create_workshop(&workshop_body("AEO", "2019-12-10", "2019-12-12"))
        .await["id"]
        .as_i64()
        .unwrap();
    app.create_participant(workshop, &participant_body("A", "a@customs.gov.my", "MY"))
        .await;
    let participants = format!("/v1/workshops/{workshop}/participants");
    let editor = app.key_for("editor").await;
    let viewer = app.key_for("viewer").await;
    let partner = app.key_for("partner").await;
    let new_workshop = workshop_body("New", "2020-01-01", "2020-01-02");

    // (key, method, path, expected status)
    let cases: Vec<(&str, Method, &str, u16)> = vec![
        (&editor, Method::GET, "/v1/workshops", 200),
        (&editor, Method::POST, "/v1/workshops", 201),
        (&editor, Method::GET, &participants, 200),
        (&editor, Method::GET, "/v1/api-keys", 403),
        (&editor, Method::GET, "/v1/audit-log", 403),
        (&viewer, Method::GET, "/v1/workshops", 200),
        (&viewer, Method::GET, &participants, 200),
        (&viewer, Method::POST, "/v1/workshops", 403),
        (&viewer, Method::GET, "/v1/api-keys", 403),
        (&partner, Method::GET, "/v1/workshops", 200),
        (&partner, Method::GET, "/v1/administrations", 200),
        (&partner, Method::GET, &participants, 403),
        (&partner, Method::POST, "/v1/workshops", 403),
        (&partner, Method::GET, "/v1/audit-log", 403),
    ];
    for (key, method, path, expected) in cases {
        let mut request = app.request_as(key, method.clone(), path);
        if method == Method::POST {
            request = request.json(&new_workshop);
        }
        let reply = app.send(request).await;
        assert_eq!(
            reply.status.as_u16(),
            expected,
            "{method} {path}: {}",
            reply.text
        );
        if expected == 403 {
            reply.expect_problem(403);
        }
    }
}

async fn a_revoked_key_is_refused_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, id) = app.issue_key("viewer").await;
    let secret = secret.as_str();
    app.send(app.request_as(secret, Method::GET, "/v1/workshops"))
        .await
        .expect(200);
    let revoked = app
        .post(&format!("/v1/api-keys/{id}/revoke"), &json!({}))
        .await
        .expect(200)
        .body;
    assert!(revoked["revoked_at"].is_string());
    app.send(app.request_as(secret, Method::GET, "/v1/workshops"))
        .await
        .expect_problem(401);
}

async fn the_last_admin_key_cannot_be_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let first_admin = app.get("/v1/api-keys").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let second = app.key_for("admin").await;
    let second_admin = app.get("/v1/api-keys").await.expect(200).body["items"][1]["id"]
        .as_i64()
        .unwrap();
    let revoke = |id: i64| format!("/v1/api-keys/{id}/revoke");
    app.send(app.request_as(&second, Method::POST, &revoke(first_admin)))
        .await
        .expect(200);
    app.get("/v1/workshops").await.expect_problem(401);
    // `second` is now the only active admin key: nobody can revoke it.
    app.send(app.request_as(&second, Method::POST, &revoke(second_admin)))
        .await
        .expect_problem(409);
}

/// Two admins revoking each other's key at once (PostgreSQL, where reads do not wait):
/// the second revocation counts what the first left and is refused.
#[tokio::test]
async fn two_admins_revoking_each_other_at_once_leave_one_key() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let second = app.key_for("admin").await;
    // Used once, so authenticating it again writes nothing (last use is kept per minute).
    let keys = app
        .send(app.request_as(&second, Method::GET, "/v1/api-keys"))
        .await
        .expect(200)
        .body;
    let id_of = |index: usize| keys["items"][index]["id"].as_i64().unwrap();
    let (first_id, second_id) = (id_of(0), id_of(1));
    // The first revocation, as the service makes it: admin keys locked, then one revoked.
    let first = app.db.begin().await.unwrap();
    first
        .execute_unprepared(
            "SELECT id FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL FOR UPDATE",
        )
        .await
        .unwrap();
    let other = tokio::spawn(
        app.request_as(
            &second,
            Method::POST,
            &format!("/v1/api-keys/{first_id}/revoke"),
        )
        .send(),
    );
    app.until_a_query_waits_for_a_lock().await;
    first
        .execute_unprepared(&format!(
            "UPDATE api_keys SET revoked_at = now() WHERE id = {second_id}"
        ))
        .await
        .unwrap();
    first.commit().await.unwrap();
    let status = other.await.unwrap().unwrap().status();
    assert_eq!(status, reqwest::StatusCode::CONFLICT);
    app.get("/v1/workshops").await.expect(200);
}

async fn a_key_cannot_revoke_itself(backend: Backend) {
    let app = spawn_app(backend).await;
    app.key_for("admin").await;
    let own_id = app.get("/v1/api-keys").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    app.post(&format!("/v1/api-keys/{own_id}/revoke"), &json!({}))
        .await
        .expect_problem(409);
    app.get("/v1/workshops").await.expect(200);
}

async fn a_bad_key_request_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let fields = app
        .post("/v1/api-keys", &json!({"name": "", "role": "root"}))
        .await
        .expect_problem(422);
    assert_eq!(fields, vec!["role"]);
    let fields = app
        .post("/v1/api-keys", &json!({"name": "  ", "role": "viewer"}))
        .await
        .expect_problem(422);
    assert_eq!(fields, vec!["name"]);
    app.get("/v1/api-keys/424242").await.expect_problem(404);
    assert_eq!(app.get("/v1/api-keys").await.expect(200).body["total"], 1);
}

/// Made-up keys cost a client its right to try for the rest of the minute: past
/// `failed_keys_per_minute` failures its requests with any key get 429 with `Retry-After`,
/// before the key is looked up (even the admin's own key is refused then), while another
/// client, told apart behind a trusted proxy, is not affected. Requests without a key are
/// not counted.
async fn made_up_keys_are_throttled_per_client(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.failed_keys_per_minute = std::num::NonZeroU32::new(3).unwrap();
        settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let from = |client: &str, key: &str| {
        app.request_as(key, Method::GET, "/v1/workshops")
            .header("x-forwarded-for", client.to_owned())
    };
    for _ in 0..5 {
        let anonymous = app
            .client
            .get(app.url("/v1/workshops"))
            .header("x-forwarded-for", "203.0.113.7");
        assert_eq!(app.send(anonymous).await.status, 401);
    }
    for n in 0..3 {
        let made_up = format!("fu_madeUpKey{n}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        app.send(from("203.0.113.7", &made_up))
            .await
            .expect_problem(401);
    }
    let throttled = app.send(from("203.0.113.7", "fu_madeUpKey4")).await;
    let wait: u64 = throttled.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    throttled.expect_problem(429);
    app.send(from("203.0.113.7", &app.admin_key))
        .await
        .expect_problem(429);
    app.send(from("198.51.100.8", &app.admin_key))
        .await
        .expect(200);
}

on_both_databases!(
    made_up_keys_are_throttled_per_client,
    a_request_without_a_key_gets_401_problem,
    an_admin_issues_a_key_whose_secret_works_and_is_stored_hashed,
    roles_are_enforced_on_every_kind_of_route,
    a_revoked_key_is_refused_at_once,
    the_last_admin_key_cannot_be_revoked,
    a_key_cannot_revoke_itself,
    a_bad_key_request_is_refused,
);
