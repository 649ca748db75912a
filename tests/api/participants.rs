use serde_json::json;

use crate::helpers::{Backend, TestApp, participant_body, spawn_app, workshop_body};

async fn a_workshop(app: &TestApp) -> i64 {
    app.create_workshop(&workshop_body("AEO", "2019-12-10", "2019-12-12"))
        .await["id"]
        .as_i64()
        .unwrap()
}

async fn participants_are_added_read_replaced_and_removed(backend: Backend) {
    let app = spawn_app(backend).await;
    let workshop = a_workshop(&app).await;
    let base = format!("/v1/workshops/{workshop}/participants");
    let created = app
        .post(
            &base,
            &participant_body("Aminah", "Aminah@Customs.GOV.my", "my"),
        )
        .await
        .expect(201);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["email"], "aminah@customs.gov.my");
    assert_eq!(created.body["administration"], "MY");
    assert_eq!(created.body["workshop_id"], workshop);

    let path = format!("{base}/{id}");
    let updated = app
        .put(
            &path,
            &participant_body("Aminah Ahmad", "aminah@customs.gov.my", "SG"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(updated["name"], "Aminah Ahmad");
    assert_eq!(updated["administration"], "SG");
    assert_eq!(app.get(&path).await.expect(200).body, updated);

    app.delete(&path).await.expect(204);
    app.get(&path).await.expect_problem(404);
}

async fn an_email_is_unique_within_a_workshop_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = a_workshop(&app).await;
    let second = a_workshop(&app).await;
    app.create_participant(first, &participant_body("A", "a@customs.gov.my", "MY"))
        .await;
    let fields = app
        .post(
            &format!("/v1/workshops/{first}/participants"),
            &participant_body("B", "A@customs.gov.MY", "MY"),
        )
        .await
        .expect_problem(409);
    assert_eq!(fields, vec!["email"]);
    app.create_participant(second, &participant_body("A", "a@customs.gov.my", "MY"))
        .await;
}

async fn participants_filter_by_administration(backend: Backend) {
    let app = spawn_app(backend).await;
    let workshop = a_workshop(&app).await;
    for (name, email, code) in [
        ("Nima", "nima@customs.gov.np", "NP"),
        ("Sione", "sione@customs.gov.to", "TO"),
        ("Sefo", "sefo@customs.gov.to", "TO"),
    ] {
        app.create_participant(workshop, &participant_body(name, email, code))
            .await;
    }
    let tonga = app
        .get(&format!(
            "/v1/workshops/{workshop}/participants?administration=to"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(tonga["total"], 2);
    let names: Vec<&str> = tonga["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Sefo", "Sione"]);
    let all = app
        .get(&format!("/v1/workshops/{workshop}/participants"))
        .await
        .expect(200)
        .body;
    assert_eq!(all["total"], 3);
    let text = app
        .get(&format!("/v1/workshops/{workshop}/participants?q=SIONE"))
        .await
        .expect(200)
        .body;
    assert_eq!(text["total"], 1);
    assert_eq!(text["items"][0]["email"], "sione@customs.gov.to");
}

async fn a_bad_participant_is_refused_and_nothing_is_written(backend: Backend) {
    let app = spawn_app(backend).await;
    let workshop = a_workshop(&app).await;
    let base = format!("/v1/workshops/{workshop}/participants");
    let fields = app
        .post(&base, &participant_body("", "not-an-email", "M1"))
        .await
        .expect_problem(422);
    assert_eq!(fields, vec!["name", "email", "administration"]);
    let fields = app
        .post(&base, &participant_body("A", "a@customs.gov.xx", "XX"))
        .await
        .expect_problem(422);
    assert_eq!(
        fields,
        vec!["administration"],
        "the administration must exist"
    );
    app.post(
        "/v1/workshops/999999/participants",
        &participant_body("A", "a@customs.gov.my", "MY"),
    )
    .await
    .expect_problem(404);
    let fields = app
        .post(&base, &json!({"name": "A", "email": "a@b.org"}))
        .await
        .expect_problem(422);
    assert_eq!(fields, vec!["administration"]);
    assert_eq!(app.get(&base).await.expect(200).body["total"], 0);
}

async fn a_participant_of_another_workshop_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = a_workshop(&app).await;
    let second = a_workshop(&app).await;
    let participant = app
        .create_participant(first, &participant_body("A", "a@customs.gov.my", "MY"))
        .await;
    let id = participant["id"].as_i64().unwrap();
    app.get(&format!("/v1/workshops/{second}/participants/{id}"))
        .await
        .expect_problem(404);
    app.delete(&format!("/v1/workshops/{second}/participants/{id}"))
        .await
        .expect_problem(404);
}

async fn deleting_a_workshop_removes_its_participants(backend: Backend) {
    let app = spawn_app(backend).await;
    let workshop = a_workshop(&app).await;
    app.create_participant(workshop, &participant_body("A", "a@customs.gov.my", "MY"))
        .await;
    app.delete(&format!("/v1/workshops/{workshop}"))
        .await
        .expect(204);
    // The administration is free to go now: no participant refers to it.
    app.delete("/v1/administrations/MY").await.expect(204);
}

/// Another spelling of the same mailbox (a display name, a bracketed domain) would get
/// past the uniqueness of addresses: only the bare address is taken.
async fn an_address_is_taken_bare_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let workshop = a_workshop(&app).await;
    let base = format!("/v1/workshops/{workshop}/participants");
    app.create_participant(workshop, &participant_body("A", "a@customs.gov.my", "MY"))
        .await;
    for spelling in [
        "Aminah <a@customs.gov.my>",
        "<a@customs.gov.my>",
        "a@[10.0.0.1]",
        "\"a\"@customs.gov.my",
    ] {
        let reply = app
            .post(&base, &participant_body("A again", spelling, "MY"))
            .await;
        assert!(
            reply.text.contains("email: must"),
            "{spelling}: {}",
            reply.text
        );
        assert_eq!(reply.expect_problem(422), vec!["email"], "{spelling}");
    }
    let listed = app.get(&base).await.expect(200).body;
    assert_eq!(listed["total"], 1);
}

on_both_databases!(
    an_address_is_taken_bare_only,
    participants_are_added_read_replaced_and_removed,
    an_email_is_unique_within_a_workshop_only,
    participants_filter_by_administration,
    a_bad_participant_is_refused_and_nothing_is_written,
    a_participant_of_another_workshop_is_not_found,
    deleting_a_workshop_removes_its_participants,
);
