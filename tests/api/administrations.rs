use serde_json::json;

use crate::helpers::{Backend, participant_body, spawn_app, workshop_body};

async fn the_region_s_35_administrations_are_seeded_once(backend: Backend) {
    let app = spawn_app(backend).await;
    // Seeding again (every start-up does) adds nothing.
    followup::startup::prepare_database(&app.db).await.unwrap();

    let page = app
        .get("/v1/administrations?per_page=200")
        .await
        .expect(200)
        .body;
    assert_eq!(page["total"], 35);
    let codes: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    for code in ["MY", "HK", "WS", "TO", "NP"] {
        assert!(codes.contains(&code), "{code} is seeded");
    }
    let tonga = app.get("/v1/administrations/TO").await.expect(200).body;
    assert_eq!(tonga["time_zone"], "Pacific/Tongatapu");
    assert_eq!(tonga["sub_region"], "Australasia/Oceania");
}

async fn administrations_filter_by_sub_region_and_text(backend: Backend) {
    let app = spawn_app(backend).await;
    let far_east = app
        .get("/v1/administrations?sub_region=Far%20East")
        .await
        .expect(200)
        .body;
    assert_eq!(far_east["total"], 6);
    let text = app
        .get("/v1/administrations?q=zealand")
        .await
        .expect(200)
        .body;
    assert_eq!(text["total"], 1);
    assert_eq!(text["items"][0]["code"], "NZ");
}

async fn staff_create_update_and_delete_an_administration(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .post(
            "/v1/administrations",
            &json!({"code": "xk", "name": "Test Customs", "sub_region": "ASEAN", "time_zone": "Asia/Bangkok"}),
        )
        .await
        .expect(201);
    assert_eq!(created.headers["location"], "/v1/administrations/XK");
    assert_eq!(created.body["code"], "XK", "codes are stored upper-case");

    let updated = app
        .put(
            "/v1/administrations/XK",
            &json!({"code": "XQ", "name": "Renamed Customs", "sub_region": "Far East", "time_zone": "Asia/Tokyo"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(updated["name"], "Renamed Customs");
    app.get("/v1/administrations/XK").await.expect_problem(404);

    app.delete("/v1/administrations/XQ").await.expect(204);
    app.get("/v1/administrations/XQ").await.expect_problem(404);
}

async fn a_duplicate_code_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let fields = app
        .post(
            "/v1/administrations",
            &json!({"code": "my", "name": "Malaysia again", "sub_region": "ASEAN", "time_zone": "Asia/Kuala_Lumpur"}),
        )
        .await
        .expect_problem(409);
    assert_eq!(fields, vec!["code"]);
    let fields = app
        .put(
            "/v1/administrations/SG",
            &json!({"code": "MY", "name": "Singapore", "sub_region": "ASEAN", "time_zone": "Asia/Singapore"}),
        )
        .await
        .expect_problem(409);
    assert_eq!(fields, vec!["code"]);
}

async fn an_invalid_administration_names_every_bad_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let fields = app
        .post(
            "/v1/administrations",
            &json!({"code": "M1", "name": " ", "sub_region": "ASEAN", "time_zone": "Mars/Base"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, vec!["code", "name", "time_zone"]);
    let fields = app
        .post(
            "/v1/administrations",
            &json!({"code": "MQ", "name": "X", "sub_region": "Europe", "time_zone": "UTC"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, vec!["sub_region"]);
    let total = app.get("/v1/administrations").await.expect(200).body["total"].clone();
    assert_eq!(total, 35, "nothing was written");
}

async fn an_administration_with_participants_cannot_be_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let workshop = app
        .create_workshop(&workshop_body("AEO", "2019-12-10", "2019-12-12"))
        .await;
    app.create_participant(
        workshop["id"].as_i64().unwrap(),
        &participant_body("A. Officer", "a@customs.gov.my", "MY"),
    )
    .await;
    let fields = app
        .delete("/v1/administrations/MY")
        .await
        .expect_problem(409);
    assert_eq!(fields, vec!["code"]);
    app.get("/v1/administrations/MY").await.expect(200);
}

on_both_databases!(
    the_region_s_35_administrations_are_seeded_once,
    administrations_filter_by_sub_region_and_text,
    staff_create_update_and_delete_an_administration,
    a_duplicate_code_is_a_conflict,
    an_invalid_administration_names_every_bad_field,
    an_administration_with_participants_cannot_be_deleted,
);
