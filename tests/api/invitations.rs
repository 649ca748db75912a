use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Backend, full_answers, spawn_app};

async fn invitations_filter_by_workshop_administration_and_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG", "TH"]).await;
    app.open_today(&setup).await;
    let base = format!("/v1/rounds/{}/invitations", setup.round_id);
    let token = app.link(setup.invitation_of("SG")).await;
    app.link(setup.invitation_of("TH")).await;
    app.respond(&token, &full_answers()).await.expect(200);

    let (app_ref, base_ref) = (&app, &base);
    let count = move |query: String| async move {
        app_ref
            .get(&format!("{base_ref}?{query}"))
            .await
            .expect(200)
            .body["total"]
            .clone()
    };
    assert_eq!(count("status=pending".into()).await, 1);
    assert_eq!(count("status=invited".into()).await, 1);
    assert_eq!(count("status=replied".into()).await, 1);
    assert_eq!(count("status=late".into()).await, 0);
    assert_eq!(count("administration=my".into()).await, 1);
    assert_eq!(count(format!("workshop_id={}", setup.workshop_id)).await, 3);
    let fields = app
        .get(&format!("{base}?status=lost"))
        .await
        .expect_problem(400);
    assert_eq!(fields, ["status"]);
    app.get("/v1/rounds/4242/invitations")
        .await
        .expect_problem(404);
    let replied = app
        .get(&format!("/v1/invitations/{}", setup.invitation_of("SG")))
        .await
        .expect(200)
        .body;
    assert_eq!(replied["status"], "replied");
    assert!(replied["reply_id"].is_i64());
}

async fn a_link_is_shown_once_and_only_its_digest_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let id = setup.invitation_of("MY");
    let issued = app
        .post(&format!("/v1/invitations/{id}/link"), &json!({}))
        .await
        .expect(200)
        .body;
    let token = issued["token"].as_str().unwrap();
    assert!(token.len() >= 43, "at least 128 bits, URL-safe");
    assert_eq!(
        issued["respond_path"],
        format!("/v1/respond/{token}").as_str()
    );
    assert_eq!(issued["invitation"]["status"], "invited");
    assert_eq!(issued["invitation"]["link_active"], true);

    let stored = entity::invitation::Entity::find()
        .filter(entity::invitation::Column::Id.eq(id as i32))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.token_hash.as_deref(),
        Some(followup::domain::token::digest(token).as_str())
    );
    let listing = app
        .get(&format!("/v1/rounds/{}/invitations", setup.round_id))
        .await;
    assert!(!listing.text.contains(token));
    let audit = app.get("/v1/audit-log?entity_type=invitation").await;
    assert!(!audit.text.contains(token) && !audit.text.contains("token_hash"));

    app.response_page(token).await.expect(200);
    let newer = app.link(id).await;
    app.response_page(token).await.expect_problem(404);
    app.response_page(&newer).await.expect(200);
}

async fn a_revoked_link_looks_like_one_that_never_existed(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let id = setup.invitation_of("MY");
    let token = app.link(id).await;
    let revoked = app
        .post(&format!("/v1/invitations/{id}/link/revoke"), &json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(revoked["link_active"], false);
    let after_revoke = app.response_page(&token).await;
    let never = app
        .response_page("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await;
    assert_eq!(after_revoke.status, never.status);
    assert_eq!(after_revoke.body, never.body);
    after_revoke.expect_problem(404);
    app.respond(&token, &full_answers())
        .await
        .expect_problem(404);
}

async fn a_hand_over_moves_the_link_to_another_officer_of_the_administration(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["TO"]).await;
    let id = setup.invitation_of("TO");
    let old = app.link(id).await;
    app.respond(&old, &json!({"new_projects": {"yes": true}}))
        .await
        .expect(200);
    let handed = app
        .post(
            &format!("/v1/invitations/{id}/hand-over"),
            &json!({"name": "Sione Tupou", "email": "Sione@customs.gov.to", "position": "Head of AEO"}),
        )
        .await
        .expect(200)
        .body;
    let new = handed["token"].as_str().unwrap();
    assert_eq!(handed["invitation"]["participant"]["name"], "Sione Tupou");
    assert_eq!(handed["invitation"]["administration"], "TO");
    app.response_page(&old).await.expect_problem(404);
    let page = app.response_page(new).await.expect(200).body;
    assert_eq!(page["participant_name"], "Sione Tupou");
    assert_eq!(
        page["reply"]["answers"]["new_projects"]["yes"], true,
        "the reply stays"
    );
    let revised = app
        .respond(new, &json!({"new_projects": {"yes": false}}))
        .await
        .expect(200)
        .body;
    assert_eq!(revised["revision"], 2);
    let replies = app
        .get(&format!("/v1/rounds/{}/replies", setup.round_id))
        .await
        .expect(200)
        .body;
    assert_eq!(replies["total"], 1);
    assert_eq!(replies["items"][0]["administration"], "TO");
    let participants = app
        .get(&format!(
            "/v1/workshops/{}/participants?administration=TO",
            setup.workshop_id
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(
        participants["total"], 2,
        "the new officer joined the workshop's participants"
    );
}

async fn a_hand_over_to_another_administration_s_officer_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["TO", "FJ"]).await;
    let fiji_email = "officer6@customs.fj.example.org";
    let fields = app
        .post(
            &format!("/v1/invitations/{}/hand-over", setup.invitation_of("TO")),
            &json!({"name": "Someone", "email": fiji_email}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, ["email"]);
    let fields = app
        .post(
            &format!("/v1/invitations/{}/hand-over", setup.invitation_of("TO")),
            &json!({"name": "", "email": "nope"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, ["name", "email"]);
}

async fn partners_and_viewers_cannot_touch_invitations(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let partner = app.key_for("partner").await;
    let viewer = app.key_for("viewer").await;
    let id = setup.invitation_of("MY");
    app.send(app.request_as(&partner, Method::GET, &format!("/v1/invitations/{id}")))
        .await
        .expect_problem(403);
    app.send(app.request_as(
        &partner,
        Method::GET,
        &format!("/v1/rounds/{}/replies", setup.round_id),
    ))
    .await
    .expect_problem(403);
    app.send(app.request_as(&viewer, Method::GET, &format!("/v1/invitations/{id}")))
        .await
        .expect(200);
    app.send(app.request_as(&viewer, Method::POST, &format!("/v1/invitations/{id}/link")))
        .await
        .expect_problem(403);
}

on_both_databases!(
    invitations_filter_by_workshop_administration_and_status,
    a_link_is_shown_once_and_only_its_digest_is_stored,
    a_revoked_link_looks_like_one_that_never_existed,
    a_hand_over_moves_the_link_to_another_officer_of_the_administration,
    a_hand_over_to_another_administration_s_officer_is_refused,
    partners_and_viewers_cannot_touch_invitations,
);
