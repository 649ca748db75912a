use serde_json::json;

use crate::helpers::{Backend, spawn_app, workshop_body};

async fn a_workshop_is_created_with_its_fiscal_year(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .post(
            "/v1/workshops",
            &workshop_body("WCO Regional Workshop on AEO", "2019-12-10", "2019-12-12"),
        )
        .await
        .expect(201);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        created.headers["location"],
        format!("/v1/workshops/{id}").as_str()
    );
    assert_eq!(created.body["fiscal_year"], "2019/20");

    let june = app
        .create_workshop(&workshop_body("June", "2020-06-30", "2020-07-02"))
        .await;
    assert_eq!(june["fiscal_year"], "2019/20", "the start date decides");
    let july = app
        .create_workshop(&workshop_body("July", "2020-07-01", "2020-07-01"))
        .await;
    assert_eq!(july["fiscal_year"], "2020/21");

    let read = app
        .get(&format!("/v1/workshops/{id}"))
        .await
        .expect(200)
        .body;
    assert_eq!(read, created.body);
}

async fn a_workshop_is_replaced_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create_workshop(&workshop_body("Old title", "2019-11-18", "2019-11-22"))
        .await["id"]
        .as_i64()
        .unwrap();
    let mut body = workshop_body("Virtual risk management", "2020-09-01", "2020-09-03");
    body["venue"] = json!(null);
    body["is_virtual"] = json!(true);
    body["scope"] = json!("sub_regional");
    let updated = app
        .put(&format!("/v1/workshops/{id}"), &body)
        .await
        .expect(200)
        .body;
    assert_eq!(updated["title"], "Virtual risk management");
    assert_eq!(updated["fiscal_year"], "2020/21");
    assert_eq!(updated["venue"], json!(null));

    app.delete(&format!("/v1/workshops/{id}")).await.expect(204);
    app.get(&format!("/v1/workshops/{id}"))
        .await
        .expect_problem(404);
    app.delete(&format!("/v1/workshops/{id}"))
        .await
        .expect_problem(404);
}

async fn workshops_filter_sort_and_paginate(backend: Backend) {
    let app = spawn_app(backend).await;
    for (title, start, scope) in [
        ("Risk Management Trainers", "2019-11-18", "sub_regional"),
        ("Regional Workshop on AEO", "2019-12-10", "regional"),
        ("Counterfeiting and Piracy", "2020-01-14", "sub_regional"),
        ("Customs Valuation", "2020-01-20", "sub_regional"),
        ("Earlier year", "2018-10-01", "regional"),
    ] {
        let mut body = workshop_body(title, start, start);
        body["scope"] = json!(scope);
        app.create_workshop(&body).await;
    }
    let year = app
        .get("/v1/workshops?fiscal_year=2019/20")
        .await
        .expect(200)
        .body;
    assert_eq!(year["total"], 4);
    let sub = app
        .get("/v1/workshops?fiscal_year=2019%2F20&scope=sub_regional")
        .await
        .expect(200)
        .body;
    assert_eq!(sub["total"], 3);
    let text = app.get("/v1/workshops?q=aeo").await.expect(200).body;
    assert_eq!(text["total"], 1);
    assert_eq!(text["items"][0]["title"], "Regional Workshop on AEO");

    let page = app
        .get("/v1/workshops?sort=-start_date&per_page=2&page=2")
        .await
        .expect(200)
        .body;
    assert_eq!(page["total"], 5);
    assert_eq!(page["page"], 2);
    assert_eq!(page["per_page"], 2);
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec!["Regional Workshop on AEO", "Risk Management Trainers"]
    );

    let by_title = app
        .get("/v1/workshops?sort=title&per_page=1")
        .await
        .expect(200)
        .body;
    assert_eq!(by_title["items"][0]["title"], "Counterfeiting and Piracy");
}

async fn an_invalid_workshop_is_refused_with_its_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = workshop_body("", "2020-01-20", "2020-01-14");
    body["venue"] = json!(" ");
    let fields = app.post("/v1/workshops", &body).await.expect_problem(422);
    assert_eq!(fields, vec!["title", "venue", "end_date"]);

    let mut body = workshop_body("T", "2020-02-30", "2020-03-01");
    body["scope"] = json!("global");
    let fields = app.post("/v1/workshops", &body).await.expect_problem(422);
    assert_eq!(
        fields.len(),
        1,
        "the first bad field stops JSON reading: {fields:?}"
    );

    let fields = app
        .get("/v1/workshops?fiscal_year=2019/21")
        .await
        .expect_problem(400);
    assert_eq!(fields, vec!["fiscal_year"]);
    let fields = app
        .get("/v1/workshops?sort=venue")
        .await
        .expect_problem(400);
    assert_eq!(fields, vec!["sort"]);
    assert_eq!(app.get("/v1/workshops").await.expect(200).body["total"], 0);
}

/// The records of past workshops often lack a topic or a venue: both are optional.
async fn a_workshop_of_the_past_needs_no_topic_or_venue(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .create_workshop(&json!({
            "title": "Sub-regional Workshop on Valuation", "scope": "sub_regional",
            "start_date": "2011-03-01", "end_date": "2011-03-04"
        }))
        .await;
    assert_eq!(created["topic"], json!(null));
    assert_eq!(created["venue"], json!(null));
    assert_eq!(created["fiscal_year"], "2010/11");
    let found = app.get("/v1/workshops?q=valuation").await.expect(200).body;
    assert_eq!(found["items"][0]["topic"], json!(null));
}

on_both_databases!(
    a_workshop_of_the_past_needs_no_topic_or_venue,
    a_workshop_is_created_with_its_fiscal_year,
    a_workshop_is_replaced_and_deleted,
    workshops_filter_sort_and_paginate,
    an_invalid_workshop_is_refused_with_its_fields,
);
