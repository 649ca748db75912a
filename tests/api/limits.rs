//! Input limits: body size, page size, CSV import size and row count, string lengths,
//! NUL and other control characters. Each is refused with a problem naming what is wrong,
//! and nothing is written.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, TestApp, full_answers, spawn_app_with, workshop_body};

async fn import(app: &TestApp, round: i64, csv: String) -> crate::helpers::Reply {
    app.send(
        app.request_as(
            &app.admin_key,
            Method::POST,
            &format!("/v1/rounds/{round}/replies/import"),
        )
        .header("content-type", "text/csv")
        .body(csv),
    )
    .await
}

async fn a_csv_import_is_limited_in_rows_and_bytes(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.max_body_bytes = 4 * 1024 * 1024).await;
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    app.open_today(&setup).await;
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &full_answers()).await.expect(200);
    let exported = app
        .get(&format!("/v1/rounds/{}/replies/export", setup.round_id))
        .await
        .expect(200)
        .text;
    let mut lines = exported.lines();
    let header = lines.next().unwrap();
    let row = lines.next().unwrap();

    let target = app.create_round(2).await;
    let rows = 10_001;
    let csv = format!("{header}\n{}", format!("{row}\n").repeat(rows));
    assert!(csv.len() < 4 * 1024 * 1024);
    let fields = import(&app, target, csv).await.expect_problem(422);
    assert!(
        fields.contains(&"line 10002, column *".to_owned()),
        "{fields:?}"
    );
    assert_eq!(
        app.get(&format!("/v1/rounds/{target}/replies")).await.body["total"],
        0,
        "nothing was imported"
    );

    let too_big = format!("{header}\n{}", format!("{row}\n").repeat(40_000));
    assert!(too_big.len() > 4 * 1024 * 1024);
    import(&app, target, too_big).await.expect_problem(413);
}

async fn texts_are_limited_in_length_and_refuse_control_characters(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    for (title, why) in [
        ("AEO\u{0}workshop".to_owned(), "a NUL byte"),
        ("AEO\u{7}workshop".to_owned(), "a bell"),
        ("x".repeat(201), "201 characters"),
        ("   ".to_owned(), "only spaces"),
    ] {
        let mut body = workshop_body("placeholder", "2019-12-10", "2019-12-12");
        body["title"] = json!(title);
        let fields = app.post("/v1/workshops", &body).await.expect_problem(422);
        assert_eq!(fields, ["title"], "{why}");
    }
    let mut body = workshop_body("placeholder", "2019-12-10", "2019-12-12");
    body["title"] = json!("x".repeat(200));
    app.post("/v1/workshops", &body).await.expect(201);
    // A NUL byte in a query string is refused, in a path it names nothing; neither reaches
    // the database (PostgreSQL would refuse it).
    app.get("/v1/workshops?q=a%00b").await.expect_problem(400);
    app.get("/v1/administrations/M%00Y")
        .await
        .expect_problem(404);
    assert_eq!(app.get("/v1/workshops").await.body["total"], 1);
    app.get("/v1/workshops?per_page=201")
        .await
        .expect_problem(400);
    app.get("/v1/workshops?per_page=0")
        .await
        .expect_problem(400);
}

on_both_databases!(
    a_csv_import_is_limited_in_rows_and_bytes,
    texts_are_limited_in_length_and_refuse_control_characters,
);
