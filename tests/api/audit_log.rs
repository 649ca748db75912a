use reqwest::Method;

use crate::helpers::{Backend, participant_body, spawn_app, workshop_body};

async fn every_change_is_audited_with_who_what_when_and_before_after(backend: Backend) {
    let app = spawn_app(backend).await;
    let editor = app.key_for("editor").await;
    let created = app
        .send(
            app.request_as(&editor, Method::POST, "/v1/workshops")
                .header("x-request-id", "trace-123")
                .json(&workshop_body("Before", "2019-12-10", "2019-12-12")),
        )
        .await
        .expect(201)
        .body;
    let id = created["id"].as_i64().unwrap();
    app.send(
        app.request_as(&editor, Method::PUT, &format!("/v1/workshops/{id}"))
            .json(&workshop_body("After", "2019-12-10", "2019-12-12")),
    )
    .await
    .expect(200);
    app.send(app.request_as(&editor, Method::DELETE, &format!("/v1/workshops/{id}")))
        .await
        .expect(204);

    let log = app
        .get(&format!(
            "/v1/audit-log?entity_type=workshop&entity_id={id}"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(log["total"], 3);
    let entries = log["items"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["delete", "update", "create"], "newest first");
    for entry in entries {
        assert_eq!(entry["actor_name"], "editor key");
        assert!(entry["occurred_at"].is_string());
    }
    let (delete, update, create) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(create["request_id"], "trace-123");
    assert!(create["before"].is_null());
    assert_eq!(create["after"]["title"], "Before");
    assert_eq!(update["before"]["title"], "Before");
    assert_eq!(update["after"]["title"], "After");
    assert_eq!(delete["before"]["title"], "After");
    assert!(delete["after"].is_null());
}

async fn a_refused_change_leaves_no_audit_entry(backend: Backend) {
    let app = spawn_app(backend).await;
    let workshop = app
        .create_workshop(&workshop_body("AEO", "2019-12-10", "2019-12-12"))
        .await["id"]
        .as_i64()
        .unwrap();
    let before = app.get("/v1/audit-log").await.expect(200).body["total"].clone();
    let path = format!("/v1/workshops/{workshop}/participants");
    app.create_participant(workshop, &participant_body("A", "a@customs.gov.my", "MY"))
        .await;
    app.post(&path, &participant_body("B", "a@customs.gov.my", "MY"))
        .await
        .expect_problem(409);
    let after = app.get("/v1/audit-log").await.expect(200).body["total"].clone();
    assert_eq!(after.as_u64().unwrap(), before.as_u64().unwrap() + 1);
}

async fn key_management_is_audited_without_secrets(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.key_for("viewer").await;
    let log = app
        .get("/v1/audit-log?entity_type=api_key")
        .await
        .expect(200);
    assert!(!log.text.contains(&secret));
    assert!(!log.text.contains("key_hash"));
    assert_eq!(log.body["items"][0]["after"]["role"], "viewer");
}

async fn only_admins_read_the_audit_log_and_filters_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let viewer = app.key_for("viewer").await;
    app.send(app.request_as(&viewer, Method::GET, "/v1/audit-log"))
        .await
        .expect_problem(403);
    let fields = app
        .get("/v1/audit-log?since=yesterday")
        .await
        .expect_problem(400);
    assert_eq!(fields, vec!["since"]);
    let recent = app
        .get("/v1/audit-log?since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z")
        .await
        .expect(200)
        .body;
    assert!(recent["total"].as_u64().unwrap() >= 1);
}

on_both_databases!(
    every_change_is_audited_with_who_what_when_and_before_after,
    a_refused_change_leaves_no_audit_entry,
    key_management_is_audited_without_secrets,
    only_admins_read_the_audit_log_and_filters_are_checked,
);
