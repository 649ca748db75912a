//! What an instance keeps in memory on PostgreSQL (API keys, a closed round's report
//! response, webhook endpoints) is served without a statement while it holds, and read
//! again after any write that may change it: through this instance, another one, or by
//! hand in the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use followup::startup::Application;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

/// A second instance on the app's database whose statements are counted.
async fn counted_instance(app: &TestApp) -> (String, Arc<AtomicUsize>) {
    let mut db = followup::db::connect(&app.settings.database())
        .await
        .unwrap();
    let statements = Arc::new(AtomicUsize::new(0));
    let seen = statements.clone();
    db.set_metric_callback(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let instance = Application::build_with_database(&app.settings, db).unwrap();
    let address = format!("http://127.0.0.1:{}", instance.port());
    tokio::spawn(instance.run_until_stopped());
    (address, statements)
}

async fn get(app: &TestApp, address: &str, key: &str, path: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(format!("{address}{path}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Asks `path` on `address` until `wanted` holds of the answer (at most 10 s): another
/// instance's change arrives by notification, a moment after its commit.
async fn until(
    app: &TestApp,
    (address, key, path): (&str, &str, &str),
    wanted: impl Fn(StatusCode, &Value) -> bool,
) {
    for _ in 0..100 {
        let (status, body) = get(app, address, key, path).await;
        if wanted(status, &body) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never changed as expected");
}

/// A closed round with one workshop of one officer.
async fn closed_round(app: &TestApp) -> i64 {
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    for step in ["open", "close"] {
        app.post(&format!("/v1/rounds/{}/{step}", setup.round_id), &json!({}))
            .await
            .expect(200);
    }
    setup.round_id
}

async fn kept_copies_answer_without_statements_until_anything_changes() {
    let app = spawn_app(Backend::Postgres).await;
    let round = closed_round(&app).await;
    let (key, key_id) = app.issue_key("viewer").await;
    let (other, statements) = counted_instance(&app).await;
    let report = format!("/v1/rounds/{round}/report");
    until(&app, (&other, &key, &report), |status, _| status == 200).await;
    get(&app, &other, &key, &report).await;

    statements.store(0, Ordering::SeqCst);
    for _ in 0..10 {
        let (status, body) = get(&app, &other, &key, &report).await;
        assert_eq!(status, 200);
        assert_eq!(body["round"]["title"], "Survey 2020");
    }
    assert_eq!(statements.load(Ordering::SeqCst), 0);

    // A hand-written UPDATE raises the analytics epoch; its notice reaches every instance.
    app.db
        .execute_unprepared(&format!(
            "UPDATE rounds SET title = 'Survey 2020, renamed' WHERE id = {round}"
        ))
        .await
        .unwrap();
    until(&app, (&other, &key, &report), |_, body| {
        body["round"]["title"] == "Survey 2020, renamed"
    })
    .await;

    // A key revoked through the first instance stops working on the second.
    app.post(&format!("/v1/api-keys/{key_id}/revoke"), &json!({}))
        .await
        .expect(200);
    until(&app, (&other, &key, &report), |status, _| status == 401).await;
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kept_copies_answer_without_statements_until_anything_changes() {
        super::kept_copies_answer_without_statements_until_anything_changes().await
    }
}
