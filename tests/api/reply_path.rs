//! The one reply path: a submission or revision is one transaction on both databases that
//! locks the invitation by its token's digest, then writes only the rows that change, and
//! reads the webhook endpoints it fans out to in that transaction, so an endpoint written
//! by any instance or by hand reaches the next reply.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use entity::webhook_delivery;
use followup::domain::answers::AnswerInput;
use followup::services::questionnaires::QuestionCache;
use followup::services::replies::submit::{self, Context, RevisionBounds};
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

async fn a_revision_is_one_transaction_of_six_statements(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_link(&app).await;
    let mut db = followup::db::connect(&app.settings.database())
        .await
        .unwrap();
    let statements = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = statements.clone();
    db.set_metric_callback(move |info| seen.lock().unwrap().push(info.statement.sql.clone()));
    let questions = QuestionCache::default();
    let context = Context {
        mail: &app.mail,
        questions: &questions,
        revisions: RevisionBounds {
            per_hour: 20,
            in_all: 100,
        },
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
    let sql: Vec<String> = statements
        .lock()
        .unwrap()
        .iter()
        .filter(|s| !matches!(s.trim(), "BEGIN" | "COMMIT"))
        .cloned()
        .collect();
    // The lock (with the round, the administration and the current reply), the reply's
    // revision, the one answer that changed, the revision kept, its event and the
    // endpoints subscribed to it: the same on both databases.
    assert_eq!(sql.len(), 6, "{sql:#?}");
    let lock = &sql[0];
    assert!(lock.contains("\"token_hash\" ="), "{lock}");
    assert!(lock.contains("JOIN \"reply_revisions\""), "{lock}");
    if backend == Backend::Postgres {
        assert!(lock.contains("FOR UPDATE OF \"invitations\""), "{lock}");
    }
    assert!(sql[1].starts_with("UPDATE \"replies\""), "{}", sql[1]);
    assert!(sql[2].starts_with("INSERT INTO \"answers\""), "{}", sql[2]);
    assert!(sql[2].contains("ON CONFLICT"), "{}", sql[2]);
    assert!(
        sql[3].starts_with("INSERT INTO \"reply_revisions\""),
        "{}",
        sql[3]
    );
    assert!(sql[4].starts_with("INSERT INTO \"events\""), "{}", sql[4]);
    assert!(sql[5].contains("FROM \"webhooks\""), "{}", sql[5]);
}

/// The `reply.revised` deliveries queued so far.
async fn revised_deliveries(app: &TestApp) -> u64 {
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EventType.eq("reply.revised"))
        .count(&app.db)
        .await
        .unwrap()
}

async fn endpoints_written_through_the_api_or_by_hand_reach_the_next_revision(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_link(&app).await;
    app.respond(&token, &answers(false)).await.expect(200);
    app.respond(&token, &answers(true)).await.expect(200);
    assert_eq!(revised_deliveries(&app).await, 0);

    app.post(
        "/v1/webhooks",
        &json!({"url": "http://127.0.0.1:9/hook", "event_types": ["reply.revised"]}),
    )
    .await
    .expect(201);
    app.respond(&token, &answers(false)).await.expect(200);
    assert_eq!(revised_deliveries(&app).await, 1);

    // Deactivated by hand in the database: the next revision reads the endpoints afresh.
    app.db
        .execute_unprepared("UPDATE webhooks SET active = false")
        .await
        .unwrap();
    app.respond(&token, &answers(true)).await.expect(200);
    assert_eq!(revised_deliveries(&app).await, 1);
}

on_both_databases!(
    a_revision_is_one_transaction_of_six_statements,
    endpoints_written_through_the_api_or_by_hand_reach_the_next_revision,
);
