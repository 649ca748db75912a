//! The reply path's cost and its webhook endpoints kept in memory: a revision runs 2
//! statements on PostgreSQL (on one kept connection) and 8 on SQLite (besides BEGIN and
//! COMMIT), and an endpoint written through this instance, another instance or by hand
//! reaches the next reply's fan-out.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entity::webhook_delivery;
use followup::base::changes::Changes;
use followup::base::kept_connections::KeptConnections;
use followup::domain::answers::AnswerInput;
use followup::services::questionnaires::QuestionCache;
use followup::services::replies::submit::{self, Context};
use followup::startup::Application;
use followup::webhooks::directory::Directory;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, full_answers, spawn_app};

/// The full answers with `new_projects` set to `flip`, so that each submission revises.
fn answers(flip: bool) -> Value {
    let mut answers = full_answers();
    answers["new_projects"] = json!({"yes": flip});
    answers
}

fn inputs(flip: bool) -> BTreeMap<String, AnswerInput> {
    serde_json::from_value(answers(flip)).expect("answers the API accepts")
}

/// A link of a round that opened today.
async fn open_link(app: &TestApp) -> String {
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    app.open_today(&setup).await;
    app.link(setup.invitation_of("MY")).await
}

/// Waits (at most 10 s) until every change is heard, so copies are used.
async fn until_heard(changes: &Changes) {
    for _ in 0..100 {
        if changes.heard() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never listened for changes");
}

async fn a_revision_runs_two_statements_on_postgresql_and_eight_on_sqlite(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_link(&app).await;
    let mut db = followup::db::connect(&app.settings.database())
        .await
        .unwrap();
    let statements = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = statements.clone();
    db.set_metric_callback(move |info| seen.lock().unwrap().push(info.statement.sql.clone()));
    let questions = QuestionCache::default();
    let changes = Changes::new(db.get_database_backend());
    changes.listen(&db);
    until_heard(&changes).await;
    let webhooks = Directory::new(changes);
    let mut connections = KeptConnections::new(2);
    let on_kept = statements.clone();
    connections
        .set_metric_callback(move |info| on_kept.lock().unwrap().push(info.statement.sql.clone()));
    let context = Context {
        mail: &app.mail,
        questions: &questions,
        webhooks: &webhooks,
        connections: &connections,
    };
    submit::respond(&db, &context, &token, inputs(false))
        .await
        .unwrap();
    submit::respond(&db, &context, &token, inputs(true))
        .await
        .unwrap();
    statements.lock().unwrap().clear();

    let revised = submit::respond(&db, &context, &token, inputs(false))
        .await
        .unwrap();
    assert_eq!(revised.reply.revision, 3);
    assert_eq!(revised.administration_code, "MY");
    let all = statements.lock().unwrap().clone();
    if backend == Backend::Postgres {
        // Without a transaction: the read, then the revision's one statement.
        assert!(!all.iter().any(|s| s.trim() == "BEGIN"), "{all:#?}");
    }
    let sql: Vec<String> = all
        .iter()
        .filter(|s| !matches!(s.trim(), "BEGIN" | "COMMIT"))
        .cloned()
        .collect();
    // PostgreSQL: the read and one statement for every write (`revision_at_once`);
    // SQLite: the lock and a statement per write.
    let expected = match backend {
        Backend::Postgres => 2,
        Backend::Sqlite => 8,
    };
    assert_eq!(sql.len(), expected, "{sql:#?}");
    let first = &sql[0];
    assert!(first.contains("JOIN \"reply_revisions\""), "{first}");
    if backend == Backend::Postgres {
        assert!(sql[1].starts_with("WITH held AS"), "{}", sql[1]);
    }
    assert!(
        !sql.iter()
            .any(|s| s.contains("FROM \"webhooks\"") || s.contains("FROM \"administrations\"")),
        "{sql:#?}"
    );
    // On PostgreSQL both ran on one connection, kept for the next revision.
    let kept = usize::from(backend == Backend::Postgres);
    assert_eq!(connections.kept(), kept);
}

/// The `reply.revised` deliveries queued so far.
async fn revised_deliveries(app: &TestApp) -> u64 {
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EventType.eq("reply.revised"))
        .count(&app.db)
        .await
        .unwrap()
}

async fn register_at(app: &TestApp, address: &str) {
    let response = app
        .client
        .post(format!("{address}/v1/webhooks"))
        .bearer_auth(&app.admin_key)
        .json(&json!({"url": "http://127.0.0.1:9/hook", "event_types": ["reply.revised"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn an_endpoint_registered_after_replies_began_gets_the_next_revision(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_link(&app).await;
    app.respond(&token, &answers(false)).await.expect(200);
    app.respond(&token, &answers(true)).await.expect(200);
    assert_eq!(revised_deliveries(&app).await, 0);

    register_at(&app, &app.address).await;
    app.respond(&token, &answers(false)).await.expect(200);
    assert_eq!(revised_deliveries(&app).await, 1);
}

/// Submits revisions on `app` until one of them changes the number of deliveries as
/// `wanted(before, after)` says (at most 10 s): another instance's change arrives by
/// notification, a moment after its commit.
async fn revise_until(app: &TestApp, token: &str, wanted: impl Fn(u64, u64) -> bool) {
    for pass in 0..50 {
        let before = revised_deliveries(app).await;
        app.respond(token, &answers(pass % 2 == 0))
            .await
            .expect(200);
        if wanted(before, revised_deliveries(app).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the change never reached this instance's fan-out");
}

async fn an_endpoint_written_elsewhere_reaches_this_instance() {
    let app = spawn_app(Backend::Postgres).await;
    let token = open_link(&app).await;
    app.respond(&token, &answers(true)).await.expect(200);
    app.respond(&token, &answers(false)).await.expect(200);

    let other = followup::db::connect(&app.settings.database())
        .await
        .unwrap();
    let second = Application::build_with_database(&app.settings, other).unwrap();
    let address = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());
    register_at(&app, &address).await;
    revise_until(&app, &token, |before, after| after == before + 1).await;

    // Deactivated by hand: the statement trigger notifies every instance all the same.
    app.db
        .execute_unprepared("UPDATE webhooks SET active = false")
        .await
        .unwrap();
    revise_until(&app, &token, |before, after| after == before).await;
    let stopped = revised_deliveries(&app).await;
    app.respond(&token, &answers(true)).await.expect(200);
    app.respond(&token, &answers(false)).await.expect(200);
    assert_eq!(revised_deliveries(&app).await, stopped);
}

on_both_databases!(
    a_revision_runs_two_statements_on_postgresql_and_eight_on_sqlite,
    an_endpoint_registered_after_replies_began_gets_the_next_revision,
);

mod postgres_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_endpoint_written_by_another_instance_or_by_hand_reaches_this_instance() {
        super::an_endpoint_written_elsewhere_reaches_this_instance().await
    }
}
