//! Conditional requests: `ETag` and `If-None-Match` (304) on reads, `If-Match` (412) on
//! writes; and CORS for the allow-listed front end.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, FRONT_END, Reply, TestApp, spawn_app, workshop_body};

fn etag(reply: &Reply) -> String {
    reply
        .headers
        .get("etag")
        .unwrap_or_else(|| panic!("an ETag on {}", reply.text))
        .to_str()
        .unwrap()
        .to_owned()
}

async fn get_if_none_match(app: &TestApp, path: &str, tag: &str) -> Reply {
    app.send(
        app.request_as(&app.admin_key, Method::GET, path)
            .header("If-None-Match", tag),
    )
    .await
}

async fn with_if_match(
    app: &TestApp,
    method: Method,
    path: &str,
    tag: &str,
) -> reqwest::RequestBuilder {
    app.request_as(&app.admin_key, method, path)
        .header("If-Match", tag)
}

async fn an_unchanged_resource_answers_304_and_a_changed_one_200(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .post(
            "/v1/workshops",
            &workshop_body("AEO workshop", "2019-12-10", "2019-12-12"),
        )
        .await
        .expect(201);
    let path = format!("/v1/workshops/{}", created.body["id"]);
    let read = app.get(&path).await.expect(200);
    let tag = etag(&read);
    assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");

    let unchanged = get_if_none_match(&app, &path, &tag).await.expect(304);
    assert!(unchanged.text.is_empty());
    assert_eq!(etag(&unchanged), tag);
    get_if_none_match(&app, &path, &format!("\"other\", W/{tag}"))
        .await
        .expect(304);
    get_if_none_match(&app, &path, "\"other\"")
        .await
        .expect(200);

    let updated = app
        .put(
            &path,
            &workshop_body("AEO workshop, renamed", "2019-12-10", "2019-12-12"),
        )
        .await
        .expect(200);
    let new_tag = etag(&updated);
    assert_ne!(new_tag, tag);
    let fresh = get_if_none_match(&app, &path, &tag).await.expect(200);
    assert_eq!(
        etag(&fresh),
        new_tag,
        "the PUT's ETag is the one a GET gives"
    );

    // Lists and analytics are tagged by their content.
    let list = app.get("/v1/workshops").await.expect(200);
    get_if_none_match(&app, "/v1/workshops", &etag(&list))
        .await
        .expect(304);
    let unused = etag(&app.get("/v1/questionnaires/1").await.expect(200));
    let round = app.create_round(1).await;
    let now_in_use = get_if_none_match(&app, "/v1/questionnaires/1", &unused)
        .await
        .expect(200);
    assert_eq!(
        now_in_use.body["in_use"], true,
        "a round using it changes what is shown"
    );
    let rates_path = format!("/v1/rounds/{round}/analytics/reply-rates");
    let rates = app.get(&rates_path).await.expect(200);
    get_if_none_match(&app, &rates_path, &etag(&rates))
        .await
        .expect(304);
    let report_path = format!("/v1/rounds/{round}/report");
    let report = app.get(&report_path).await.expect(200);
    get_if_none_match(&app, &report_path, &etag(&report))
        .await
        .expect(304);
}

async fn a_write_based_on_a_stale_version_gets_412(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .post(
            "/v1/workshops",
            &workshop_body("AEO workshop", "2019-12-10", "2019-12-12"),
        )
        .await
        .expect(201);
    let path = format!("/v1/workshops/{}", created.body["id"]);
    let read_by_both = etag(&app.get(&path).await.expect(200));

    // Two editors read the same version; the first one's change wins.
    let first = app
        .send(
            with_if_match(&app, Method::PUT, &path, &read_by_both)
                .await
                .json(&workshop_body("First editor", "2019-12-10", "2019-12-12")),
        )
        .await
        .expect(200);
    let second = app
        .send(
            with_if_match(&app, Method::PUT, &path, &read_by_both)
                .await
                .json(&workshop_body("Second editor", "2019-12-10", "2019-12-12")),
        )
        .await;
    second.expect_problem(412);
    assert_eq!(
        app.get(&path).await.expect(200).body["title"],
        "First editor",
        "the lost update did not happen"
    );
    app.send(with_if_match(&app, Method::DELETE, &path, &read_by_both).await)
        .await
        .expect_problem(412);
    app.send(with_if_match(&app, Method::DELETE, &path, &etag(&first)).await)
        .await
        .expect(204);

    // `*` matches any current version; a malformed header is a bad request.
    let round = app.create_round(1).await;
    let round_path = format!("/v1/rounds/{round}");
    let body = json!({
        "title": "Survey 2021",
        "round_number": 1,
        "fiscal_year": "2019/20",
        "questionnaire_id": 1
    });
    app.send(
        with_if_match(&app, Method::PUT, &round_path, "*")
            .await
            .json(&body),
    )
    .await
    .expect(200);
    app.send(
        with_if_match(&app, Method::PUT, &round_path, "\"stale\"")
            .await
            .json(&body),
    )
    .await
    .expect_problem(412);
    let admin = app.get("/v1/administrations/MY").await.expect(200);
    let admin_tag = etag(&admin);
    let mut changed = admin.body.clone();
    changed["name"] = json!("Royal Malaysian Customs Department");
    let fields = ["code", "name", "sub_region", "time_zone"];
    let changed: serde_json::Map<_, _> = changed
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| fields.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    app.send(
        with_if_match(&app, Method::PUT, "/v1/administrations/MY", &admin_tag)
            .await
            .json(&changed),
    )
    .await
    .expect(200);
    app.send(
        with_if_match(&app, Method::PUT, "/v1/administrations/MY", &admin_tag)
            .await
            .json(&changed),
    )
    .await
    .expect_problem(412);
}

async fn the_front_end_origin_may_call_and_others_may_not(backend: Backend) {
    let app = spawn_app(backend).await;
    let preflight = |origin: &str| {
        app.client
            .request(Method::OPTIONS, app.url("/v1/workshops/1"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "PUT")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type, if-match",
            )
    };
    let allowed = app.send(preflight(FRONT_END)).await;
    assert!(allowed.status.is_success(), "{}", allowed.status);
    assert_eq!(allowed.headers["access-control-allow-origin"], FRONT_END);
    let methods = allowed.headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("PUT"), "{methods}");
    let headers = allowed.headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        headers.contains("if-match") && headers.contains("authorization"),
        "{headers}"
    );

    let refused = app.send(preflight("https://elsewhere.test")).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert!(refused.headers.get("access-control-allow-origin").is_none());

    let read = app
        .send(
            app.request_as(&app.admin_key, Method::GET, "/v1/workshops")
                .header("Origin", FRONT_END),
        )
        .await
        .expect(200);
    assert_eq!(read.headers["access-control-allow-origin"], FRONT_END);
    let exposed = read.headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("location"),
        "{exposed}"
    );

    let foreign = app
        .send(
            app.request_as(&app.admin_key, Method::GET, "/v1/workshops")
                .header("Origin", "https://elsewhere.test"),
        )
        .await;
    assert!(foreign.headers.get("access-control-allow-origin").is_none());
    // Callers without an Origin (partner systems, scripts) are not affected.
    app.get("/v1/workshops").await.expect(200);
}

/// Every operation of the OpenAPI document can be called from the allowed front end: its
/// preflight (with the headers a front end sends) is allowed, from any other origin refused.
async fn every_documented_operation_passes_the_front_ends_preflight(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = app.get("/openapi.json").await.expect(200).body;
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let concrete: Vec<String> = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "1".into()
                } else {
                    s.to_owned()
                }
            })
            .collect();
        let url = app.url(&concrete.join("/"));
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                continue;
            }
            let preflight = |origin: &str| {
                app.client
                    .request(Method::OPTIONS, &url)
                    .header("Origin", origin)
                    .header("Access-Control-Request-Method", method.as_str())
                    .header(
                        "Access-Control-Request-Headers",
                        "authorization, content-type, idempotency-key, if-match",
                    )
            };
            let allowed = app.send(preflight(FRONT_END)).await;
            assert!(
                allowed.status.is_success(),
                "{method} {path}: {}",
                allowed.status
            );
            let methods = allowed.headers["access-control-allow-methods"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                methods.contains(method.as_str()),
                "{method} {path}: {methods}"
            );
            let refused = app.send(preflight("https://elsewhere.test")).await;
            assert!(refused.status.is_client_error(), "{method} {path}");
            assert!(refused.headers.get("access-control-allow-origin").is_none());
            checked += 1;
        }
    }
    assert!(checked > 60, "{checked} operations");
    eprintln!("{checked} documented operations pass the front end's preflight");
}

on_both_databases!(
    every_documented_operation_passes_the_front_ends_preflight,
    an_unchanged_resource_answers_304_and_a_changed_one_200,
    a_write_based_on_a_stale_version_gets_412,
    the_front_end_origin_may_call_and_others_may_not,
);
