//! An open round's counted facts are kept by each instance while the round's change count
//! holds (`analytics::kept_facts`, migration 13), and read again after every write that
//! counts: a reply or a revision through a link, a participant added, an erasure, or a
//! hand-written statement in the database. After each step the report of an instance that
//! keeps facts equals that of one keeping nothing.

use std::sync::{Arc, Mutex};

use followup::startup::Application;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, full_answers, participant_body, spawn_app};

/// Another instance on the app's database, keeping the facts of up to `rounds` rounds,
/// whose statements are recorded.
async fn instance(app: &TestApp, rounds: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let mut db = followup::db::connect(&app.settings.database())
        .await
        .unwrap();
    let statements = Arc::new(Mutex::new(Vec::new()));
    let seen = statements.clone();
    db.set_metric_callback(move |info| seen.lock().unwrap().push(info.statement.sql.clone()));
    let mut settings = app.settings.clone();
    settings.analytics_cache_rounds = rounds;
    let instance = Application::build_with_database(&settings, db).unwrap();
    let address = format!("http://127.0.0.1:{}", instance.port());
    tokio::spawn(instance.run_until_stopped());
    (address, statements)
}

/// Both instances' reports of `round`, and whether the keeping one read the round's facts.
struct Compared<'a> {
    app: &'a TestApp,
    key: String,
    round: i64,
    keeping: (String, Arc<Mutex<Vec<String>>>),
    reference: String,
}

impl Compared<'_> {
    async fn report(&self, address: &str) -> Value {
        let response = self
            .app
            .client
            .get(format!("{address}/v1/rounds/{}/report", self.round))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// The report, after checking both instances agree on it; and whether the facts were
    /// read (else served as kept).
    async fn agreed(&self) -> (Value, bool) {
        self.keeping.1.lock().unwrap().clear();
        let kept = self.report(&self.keeping.0).await;
        let statements = self.keeping.1.lock().unwrap().clone();
        let read = statements
            .iter()
            .any(|sql| sql.contains("answer_choices") && sql.contains("GROUP BY reply_id"));
        // The change count is read once, in the statement that reads the round's state and
        // the epoch.
        let stamps: Vec<_> = statements
            .iter()
            .filter(|sql| sql.contains("round_changes") || sql.contains("analytics_epoch"))
            .collect();
        assert_eq!(stamps.len(), 1, "{stamps:?}");
        assert!(stamps[0].contains("round_changes") && stamps[0].contains("analytics_epoch"));
        assert_eq!(kept, self.report(&self.reference).await);
        (kept, read)
    }

    /// After a write that changes the report: it is read again, and differs from `before`.
    async fn changed_from(&self, before: &Value) -> Value {
        let (report, read) = self.agreed().await;
        assert!(read, "the facts are read again after a counted write");
        assert_ne!(&report, before);
        report
    }
}

fn yes_no_table(report: &Value, code: &str) -> Value {
    let tables = report["tables"].as_array().unwrap();
    let wanted = tables
        .iter()
        .find(|t| t["content"]["kind"] == "yes_no" && t.to_string().contains(code));
    wanted.cloned().expect("the question's table")
}

async fn kept_facts_hold_until_a_counted_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "TH", "VN"]).await;
    app.open_today(&setup).await;
    app.post(&format!("/v1/rounds/{}/open", setup.round_id), &json!({}))
        .await
        .expect(200);
    let tokens = [
        app.link(setup.invitation_of("MY")).await,
        app.link(setup.invitation_of("TH")).await,
    ];
    app.respond(&tokens[0], &full_answers()).await.expect(200);
    let compared = Compared {
        app: &app,
        key: app.key_for("viewer").await,
        round: setup.round_id,
        keeping: instance(&app, 64).await,
        reference: instance(&app, 0).await.0,
    };

    let (first, read) = compared.agreed().await;
    assert!(read, "the first report reads the facts");
    let (again, read) = compared.agreed().await;
    assert!(!read, "an unchanged round's facts are kept");
    assert_eq!(again, first);

    // Replies and revisions through links.
    app.respond(&tokens[1], &full_answers()).await.expect(200);
    let report = compared.changed_from(&first).await;
    let mut revised = full_answers();
    revised["direct_effects"] = json!({"yes": false});
    app.respond(&tokens[0], &revised).await.expect(200);
    let before = yes_no_table(&report, "direct_effects");
    let report = compared.changed_from(&report).await;
    assert_ne!(yes_no_table(&report, "direct_effects"), before);

    // A write the facts do not count (a link issued again) leaves them kept.
    app.link(setup.invitation_of("VN")).await;
    app.db
        .execute_unprepared("UPDATE invitations SET token_generation = token_generation + 1")
        .await
        .unwrap();
    let (same, read) = compared.agreed().await;
    assert!(!read, "a link or a mail status does not count");
    assert_eq!(same, report);

    // Hand-written statements count as well: an answer turned, a choice dropped.
    app.db
        .execute_unprepared(
            "UPDATE answers SET yes_no = NOT yes_no WHERE question_code = 'new_projects'",
        )
        .await
        .unwrap();
    let report = compared.changed_from(&report).await;
    app.db
        .execute_unprepared("DELETE FROM answer_choices WHERE option_code = 'share_materials'")
        .await
        .unwrap();
    let report = compared.changed_from(&report).await;

    // A participant added to the workshop is invited to the open round.
    app.create_participant(
        setup.workshop_id,
        &participant_body("Officer of PH", "officer@customs.ph.example.org", "PH"),
    )
    .await;
    let report = compared.changed_from(&report).await;

    // An erasure keeps the reply, attributed to the administration: the figures hold.
    let thai = setup
        .invitations
        .iter()
        .find(|i| i["administration"] == "TH");
    let participant = thai.unwrap()["participant"]["id"].as_i64().unwrap();
    let erase = format!(
        "/v1/workshops/{}/participants/{participant}/erase",
        setup.workshop_id
    );
    app.post(&erase, &json!({})).await.expect(200);
    assert_eq!(compared.agreed().await.0, report);
}

/// The sum of round `round`'s change count.
async fn changes_of(app: &TestApp, round: i64) -> i64 {
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT) AS changes FROM round_changes \
         WHERE round_id = {round}"
    );
    let row = app.db.query_one_raw(sea_orm::Statement::from_string(
        app.db.get_database_backend(),
        sql,
    ));
    row.await.unwrap().unwrap().try_get("", "changes").unwrap()
}

/// A transaction raises a round's count once, however many of its rows it writes (a bulk
/// write would otherwise lengthen one row's versions quadratically), and a savepoint rolled
/// back takes its raise with it.
async fn a_transaction_raises_a_round_once() {
    let app = spawn_app(Backend::Postgres).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "TH"]).await;
    app.open_today(&setup).await;
    app.post(&format!("/v1/rounds/{}/open", setup.round_id), &json!({}))
        .await
        .expect(200);
    for code in ["MY", "TH"] {
        let token = app.link(setup.invitation_of(code)).await;
        app.respond(&token, &full_answers()).await.expect(200);
    }
    let round = setup.round_id;
    let before = changes_of(&app, round).await;
    let turn = format!(
        "UPDATE answers SET yes_no = NOT yes_no WHERE round_id = {round} AND yes_no IS NOT NULL"
    );
    app.db.execute_unprepared(&turn).await.unwrap();
    assert_eq!(
        changes_of(&app, round).await,
        before + 1,
        "six rows, one raise"
    );
    app.db
        .execute_unprepared(&format!(
            "BEGIN; SAVEPOINT first; {turn}; ROLLBACK TO SAVEPOINT first; {turn}; COMMIT;"
        ))
        .await
        .unwrap();
    assert_eq!(changes_of(&app, round).await, before + 2);
    app.db
        .execute_unprepared(&format!("BEGIN; {turn}; ROLLBACK;"))
        .await
        .unwrap();
    assert_eq!(
        changes_of(&app, round).await,
        before + 2,
        "a rollback raises nothing"
    );
}

on_both_databases!(kept_facts_hold_until_a_counted_write);

mod postgres_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_raises_a_round_once() {
        super::a_transaction_raises_a_round_once().await
    }
}
