use serde_json::json;

use crate::helpers::{Backend, participant_body, spawn_app, workshop_body};

async fn a_round_starts_as_a_draft_with_the_default_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = app
        .post(
            "/v1/rounds",
            &json!({"title": "Survey 2020", "round_number": 6.0, "fiscal_year": "2019/20", "questionnaire_id": 1}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(round["state"], "draft");
    assert_eq!(round["round_number"], 6, "6.0 is a whole number");
    assert_eq!(round["fiscal_year"], "2019/20");
    assert_eq!(round["open_offset_months"], 6);
    assert_eq!(round["reply_window_days"], 21);
    assert_eq!(round["reminder_offsets_days"], json!([7, 2]));
    let listed = app
        .get("/v1/rounds?fiscal_year=2019/20&state=draft")
        .await
        .expect(200)
        .body;
    assert_eq!(listed["total"], 1);
}

async fn bad_rounds_and_rules_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_round(6).await;
    let fields = app
        .post(
            "/v1/rounds",
            &json!({"title": "Again", "round_number": 6, "fiscal_year": "2019/20", "questionnaire_id": 1}),
        )
        .await
        .expect_problem(409);
    assert_eq!(fields, ["round_number"]);
    let fields = app
        .post(
            "/v1/rounds",
            &json!({"title": "X", "round_number": 7, "fiscal_year": "2019/21", "questionnaire_id": 1,
                    "reply_window_days": 21, "reminder_offsets_days": [21]}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, ["fiscal_year", "reminder_offsets_days"]);
    let fields = app
        .post(
            "/v1/rounds",
            &json!({"title": "X", "round_number": 7, "fiscal_year": "2019/20", "questionnaire_id": 99}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, ["questionnaire_id"]);
    assert_eq!(app.get("/v1/rounds").await.body["total"], 1);
}

async fn excluded_workshops_and_workshops_of_another_round_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut excluded = workshop_body("Accreditation", "2019-10-01", "2019-10-03");
    excluded["excluded_from_survey"] = json!(true);
    let excluded = app.create_workshop(&excluded).await["id"].as_i64().unwrap();
    let workshop = app
        .create_workshop(&workshop_body("AEO", "2019-12-10", "2019-12-12"))
        .await["id"]
        .as_i64()
        .unwrap();
    let first = app.create_round(6).await;
    let second = app.create_round(7).await;
    let fields = app
        .attach(first, &json!({"workshop_id": excluded}))
        .await
        .expect_problem(422);
    assert_eq!(fields, ["workshop_id"]);
    app.attach(first, &json!({"workshop_id": workshop}))
        .await
        .expect(201);
    let reply = app.attach(second, &json!({"workshop_id": workshop})).await;
    assert!(
        reply.body["detail"].as_str().unwrap().contains("round 6"),
        "{}",
        reply.text
    );
    assert_eq!(reply.expect_problem(409), ["workshop_id"]);
    app.attach(first, &json!({"workshop_id": 424242}))
        .await
        .expect_problem(422);
    app.delete(&format!("/v1/workshops/{workshop}"))
        .await
        .expect_problem(409);
}

async fn scheduling_invites_every_participant_at_nine_in_their_own_time_zone(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app
        .scheduled_round(6, "Counterfeiting and Piracy", &["TO", "NP"])
        .await;
    assert_eq!(setup.invitations.len(), 2);
    let tonga = setup
        .invitations
        .iter()
        .find(|i| i["administration"] == "TO")
        .unwrap();
    let nepal = setup
        .invitations
        .iter()
        .find(|i| i["administration"] == "NP")
        .unwrap();
    // Workshop ended 2019-12-12: opens six months later, due 21 days after that.
    assert_eq!(
        tonga["opens_at"], "2020-06-11T20:00:00Z",
        "09:00 in Nuku'alofa (UTC+13)"
    );
    assert_eq!(tonga["due_at"], "2020-07-02T20:00:00Z");
    assert_eq!(
        nepal["opens_at"], "2020-06-12T03:15:00Z",
        "09:00 in Kathmandu (UTC+5:45)"
    );
    assert_eq!(nepal["due_at"], "2020-07-03T03:15:00Z");
    assert_eq!(tonga["status"], "pending");
    assert_eq!(tonga["link_active"], false);

    let attached = app
        .get(&format!(
            "/v1/rounds/{}/workshops/{}",
            setup.round_id, setup.workshop_id
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(attached["opens_on"], "2020-06-12");
    assert_eq!(attached["due_on"], "2020-07-03");
}

async fn a_workshop_override_moves_its_invitations(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "Valuation", &["MY"]).await;
    let path = format!(
        "/v1/rounds/{}/workshops/{}",
        setup.round_id, setup.workshop_id
    );
    let updated = app
        .put(&path, &json!({"opens_on": "2020-08-03", "reply_window_days": 14, "reminder_offsets_days": [3, 10]}))
        .await
        .expect(200)
        .body;
    assert_eq!(updated["due_on"], "2020-08-17");
    assert_eq!(updated["reminder_offsets_days"], json!([10, 3]));
    let invitation = &app.invitations(setup.round_id).await[0];
    assert_eq!(
        invitation["opens_at"], "2020-08-03T01:00:00Z",
        "09:00 in Kuala Lumpur"
    );
    assert_eq!(invitation["due_at"], "2020-08-17T01:00:00Z");
    let fields = app
        .put(
            &path,
            &json!({"reply_window_days": 5, "reminder_offsets_days": [7]}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, ["reminder_offsets_days"]);
}

/// `PATCH` changes only the overrides it names (JSON merge patch: `null` removes one);
/// `PUT` replaces them all.
async fn a_merge_patch_changes_one_override_and_keeps_the_others(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "Valuation", &["MY"]).await;
    let path = format!(
        "/v1/rounds/{}/workshops/{}",
        setup.round_id, setup.workshop_id
    );
    app.put(
        &path,
        &json!({"reply_window_days": 28, "reminder_offsets_days": [10, 3]}),
    )
    .await
    .expect(200);
    let patch = |body: serde_json::Value| {
        app.request_as(&app.admin_key, reqwest::Method::PATCH, &path)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
    };
    let patched = app
        .send(patch(json!({"opens_on": "2020-07-01"})))
        .await
        .expect(200)
        .body;
    assert_eq!(patched["overrides"]["opens_on"], "2020-07-01");
    assert_eq!(patched["overrides"]["reply_window_days"], 28, "kept");
    assert_eq!(
        patched["overrides"]["reminder_offsets_days"],
        json!([10, 3])
    );
    assert_eq!(patched["due_on"], "2020-07-29");
    let invitation = &app.invitations(setup.round_id).await[0];
    assert_eq!(
        invitation["due_at"], "2020-07-29T01:00:00Z",
        "invitations follow"
    );

    let patched = app
        .send(patch(json!({"reply_window_days": null})))
        .await
        .expect(200)
        .body;
    assert_eq!(
        patched["overrides"]["reply_window_days"],
        json!(null),
        "removed"
    );
    assert_eq!(patched["due_on"], "2020-07-22", "the round's 21 days again");
    assert_eq!(patched["overrides"]["opens_on"], "2020-07-01", "kept");

    let fields = app
        .send(patch(json!({"reminder_offsets_days": [30]})))
        .await
        .expect_problem(422);
    assert_eq!(fields, ["reminder_offsets_days"]);
    let fields = app
        .send(patch(json!({"reply_window": 3})))
        .await
        .expect_problem(422);
    assert_eq!(fields, ["reply_window"], "unknown fields are named");

    let replaced = app
        .put(&path, &json!({"reply_window_days": 14}))
        .await
        .expect(200)
        .body;
    assert_eq!(
        replaced["overrides"]["opens_on"],
        json!(null),
        "PUT replaces all"
    );
    assert_eq!(replaced["overrides"]["reminder_offsets_days"], json!(null));
}

async fn only_legal_transitions_happen_and_each_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let empty = app.create_round(5).await;
    app.post(&format!("/v1/rounds/{empty}/schedule"), &json!({}))
        .await
        .expect_problem(409);
    app.post(&format!("/v1/rounds/{empty}/open"), &json!({}))
        .await
        .expect_problem(409);
    app.post(&format!("/v1/rounds/{empty}/close"), &json!({}))
        .await
        .expect_problem(409);

    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let round = setup.round_id;
    app.delete(&format!("/v1/rounds/{round}"))
        .await
        .expect_problem(409);
    app.post(&format!("/v1/rounds/{round}/schedule"), &json!({}))
        .await
        .expect_problem(409);
    let opened = app
        .post(&format!("/v1/rounds/{round}/open"), &json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(opened["state"], "open");
    assert!(opened["opened_at"].is_string());
    let closed = app
        .post(&format!("/v1/rounds/{round}/close"), &json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(closed["state"], "closed");
    app.post(&format!("/v1/rounds/{round}/open"), &json!({}))
        .await
        .expect_problem(409);
    app.put(
        &format!("/v1/rounds/{round}"),
        &json!({"title": "Renamed", "round_number": 6, "fiscal_year": "2019/20", "questionnaire_id": 1}),
    )
    .await
    .expect_problem(409);

    let log = app
        .get(&format!(
            "/v1/audit-log?entity_type=round&entity_id={round}"
        ))
        .await
        .expect(200)
        .body;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["close", "open", "schedule", "create"]);
    assert_eq!(log["items"][0]["before"]["state"], "open");
    assert_eq!(log["items"][0]["after"]["state"], "closed");

    app.delete(&format!("/v1/rounds/{empty}")).await.expect(204);
}

async fn a_participant_added_later_is_invited(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "Risk Management", &["IN"]).await;
    app.create_participant(
        setup.workshop_id,
        &participant_body("Late Comer", "late@customs.gov.lk", "LK"),
    )
    .await;
    let invitations = app.invitations(setup.round_id).await;
    assert_eq!(invitations.len(), 2);
    let lanka = invitations
        .iter()
        .find(|i| i["administration"] == "LK")
        .unwrap();
    assert_eq!(
        lanka["opens_at"], "2020-06-12T03:30:00Z",
        "09:00 in Colombo (UTC+5:30)"
    );
    assert_eq!(lanka["participant"]["name"], "Late Comer");
}

async fn detaching_removes_invitations_until_someone_replies(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG"]).await;
    let path = format!(
        "/v1/rounds/{}/workshops/{}",
        setup.round_id, setup.workshop_id
    );
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &json!({"new_projects": {"yes": true}}))
        .await
        .expect(200);
    app.delete(&path).await.expect_problem(409);

    let other = app.scheduled_round(7, "Valuation", &["TH"]).await;
    app.delete(&format!(
        "/v1/rounds/{}/workshops/{}",
        other.round_id, other.workshop_id
    ))
    .await
    .expect(204);
    assert!(app.invitations(other.round_id).await.is_empty());
}

on_both_databases!(
    a_round_starts_as_a_draft_with_the_default_rules,
    bad_rounds_and_rules_are_refused,
    excluded_workshops_and_workshops_of_another_round_are_refused,
    scheduling_invites_every_participant_at_nine_in_their_own_time_zone,
    a_workshop_override_moves_its_invitations,
    a_merge_patch_changes_one_override_and_keeps_the_others,
    only_legal_transitions_happen_and_each_is_audited,
    a_participant_added_later_is_invited,
    detaching_removes_invitations_until_someone_replies,
);

/// PostgreSQL runs a submission and a detach side by side: a reply committing while its
/// workshop is being taken out of the round is counted, so the workshop stays.
#[tokio::test]
async fn a_reply_committing_while_its_workshop_is_detached_stays() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    let invitation = setup.invitation_of("MY");
    // A submission in progress: its invitation locked, its reply written, not committed.
    let submission = app.db.begin().await.unwrap();
    submission
        .execute_unprepared(&format!(
            "SELECT id FROM invitations WHERE id = {invitation} FOR UPDATE"
        ))
        .await
        .unwrap();
    submission
        .execute_unprepared(&format!(
            "INSERT INTO replies (invitation_id, round_id, workshop_id, administration_id, \
             first_submitted_at, last_submitted_at, late, provenance, revision) \
             SELECT id, round_id, workshop_id, administration_id, now(), now(), false, \
             'participant', 1 FROM invitations WHERE id = {invitation}"
        ))
        .await
        .unwrap();
    let detach = tokio::spawn(
        app.request_as(
            &app.admin_key,
            reqwest::Method::DELETE,
            &format!(
                "/v1/rounds/{}/workshops/{}",
                setup.round_id, setup.workshop_id
            ),
        )
        .send(),
    );
    app.until_a_query_waits_for_a_lock().await;
    submission.commit().await.unwrap();
    let status = detach.await.unwrap().unwrap().status();
    assert_eq!(status, reqwest::StatusCode::CONFLICT);
    let replies = app
        .get(&format!("/v1/rounds/{}/replies", setup.round_id))
        .await
        .expect(200)
        .body;
    assert_eq!(replies["total"], 1, "the reply stays");
}
