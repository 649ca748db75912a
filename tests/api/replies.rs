use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, full_answers, spawn_app};

async fn staff_enter_an_emailed_reply_and_it_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["FJ"]).await;
    let id = setup.invitation_of("FJ");
    let editor = app.key_for("editor").await;
    let entered = app
        .send(
            app.request_as(&editor, Method::PUT, &format!("/v1/invitations/{id}/reply"))
                .json(&json!({"answers": full_answers(), "received_at": "2020-06-20T00:00:00Z"})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(entered["provenance"], "staff");
    assert_eq!(
        entered["late"], false,
        "the email arrived before the due date"
    );
    assert_eq!(entered["first_submitted_at"], "2020-06-20T00:00:00Z");
    assert_eq!(entered["administration"], "FJ");

    let log = app
        .get("/v1/audit-log?entity_type=reply")
        .await
        .expect(200)
        .body;
    assert_eq!(log["total"], 1);
    assert_eq!(log["items"][0]["action"], "enter_reply");
    assert_eq!(log["items"][0]["actor_name"], "editor key");
    assert_eq!(
        log["items"][0]["after"]["answers"]["efficiency_improved"]["yes"],
        true
    );

    let reply = app
        .get(&format!("/v1/replies/{}", entered["id"]))
        .await
        .expect(200)
        .body;
    assert_eq!(reply["history"][0]["submitted_by"], "editor key");
    let fields = app
        .put(
            &format!("/v1/invitations/{id}/reply"),
            &json!({"answers": {}, "received_at": "2999-01-01T00:00:00Z"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, ["received_at"]);
    app.put("/v1/invitations/424242/reply", &json!({"answers": {}}))
        .await
        .expect_problem(404);
}

async fn staff_list_replies_with_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG", "TH"]).await;
    for code in ["MY", "SG"] {
        let token = app.link(setup.invitation_of(code)).await;
        app.respond(&token, &full_answers()).await.expect(200);
    }
    app.put(
        &format!("/v1/invitations/{}/reply", setup.invitation_of("TH")),
        &json!({"answers": {"new_projects": {"yes": true}}}),
    )
    .await
    .expect(200);
    let base = format!("/v1/rounds/{}/replies", setup.round_id);
    let all = app.get(&base).await.expect(200).body;
    assert_eq!(all["total"], 3);
    assert_eq!(all["items"][0]["answers"], full_answers());
    let staff = app
        .get(&format!("{base}?provenance=staff"))
        .await
        .expect(200)
        .body;
    assert_eq!(staff["total"], 1);
    assert_eq!(staff["items"][0]["administration"], "TH");
    let singapore = app
        .get(&format!("{base}?administration=SG"))
        .await
        .expect(200)
        .body;
    assert_eq!(singapore["total"], 1);
    let fields = app
        .get(&format!("{base}?provenance=robot"))
        .await
        .expect_problem(400);
    assert_eq!(fields, ["provenance"]);
}

/// Replies on both sides of a round: participant and staff, late and not, with `other`
/// text, a comment and a question left out.
pub async fn a_round_with_replies(app: &TestApp) -> i64 {
    let setup = app
        .scheduled_round(6, "WCO Regional Workshop on AEO", &["MY", "TO", "HK"])
        .await;
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &full_answers()).await.expect(200);
    app.put(
        &format!("/v1/invitations/{}/reply", setup.invitation_of("TO")),
        &json!({"answers": {
            "follow_up_actions": {"choices": ["make_recommendations", "other"], "other": "  ＝cmd|' /c calc'!A0"},
            "lessons_applied": {"text": "=HYPERLINK(\"http://evil.example\",\"see\")"},
            "new_projects": {"yes": true, "comment": "Compliance program, with \"quotes\", commas and\na new line"}
        }, "received_at": "2020-06-25T01:02:03.456789Z"}),
    )
    .await
    .expect(200);
    setup.round_id
}

pub async fn export(app: &TestApp, round: i64) -> String {
    let reply = app
        .get(&format!("/v1/rounds/{round}/replies/export"))
        .await
        .expect(200);
    assert!(reply.content_type().starts_with("text/csv"));
    reply.text
}

async fn the_export_has_a_row_per_reply_and_a_column_per_question(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = a_round_with_replies(&app).await;
    let csv = export(&app, round).await;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    for column in [
        "workshop",
        "administration",
        "submitted_at",
        "late",
        "provenance",
        "follow_up_actions",
        "follow_up_actions.other",
        "lessons_applied",
        "direct_effects",
        "direct_effects.comment",
        "efficiency_improved",
        "new_projects",
    ] {
        assert!(
            headers.iter().any(|h| h == column),
            "{column} in {headers:?}"
        );
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "one row per reply");
    let cell = |row: &csv::StringRecord, name: &str| {
        row[headers.iter().position(|h| h == name).unwrap()].to_owned()
    };
    let malaysia = rows
        .iter()
        .find(|r| cell(r, "administration") == "MY")
        .unwrap();
    assert_eq!(
        cell(malaysia, "follow_up_actions"),
        "share_materials;submit_report;other"
    );
    assert_eq!(cell(malaysia, "direct_effects"), "yes");
    assert_eq!(cell(malaysia, "provenance"), "participant");
    let tonga = rows
        .iter()
        .find(|r| cell(r, "administration") == "TO")
        .unwrap();
    assert_eq!(cell(tonga, "submitted_at"), "2020-06-25T01:02:03.456789Z");
    assert_eq!(cell(tonga, "late"), "false");
    assert_eq!(cell(tonga, "direct_effects"), "", "left out");
    assert_eq!(
        cell(tonga, "lessons_applied"),
        "'=HYPERLINK(\"http://evil.example\",\"see\")",
        "a formula is written as text"
    );
    assert_eq!(
        cell(tonga, "follow_up_actions.other"),
        "'＝cmd|' /c calc'!A0",
        "also in full-width letters (answers are trimmed; spaces are in the unit test)"
    );
}

async fn export_then_import_into_an_empty_database_gives_the_same_replies(backend: Backend) {
    let source = spawn_app(backend).await;
    let round = a_round_with_replies(&source).await;
    let exported = export(&source, round).await;
    let original: Value = source
        .get(&format!("/v1/rounds/{round}/replies"))
        .await
        .body;

    let target = spawn_app(backend).await;
    let empty_round = target.create_round(6).await;
    let summary = target
        .send(
            target
                .request_as(
                    &target.admin_key,
                    Method::POST,
                    &format!("/v1/rounds/{empty_round}/replies/import"),
                )
                .header("content-type", "text/csv")
                .body(exported.clone()),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(summary, json!({"replies": 2, "workshops_created": 1}));
    assert_eq!(
        export(&target, empty_round).await,
        exported,
        "the same CSV comes back out"
    );
    let imported: Value = target
        .get(&format!("/v1/rounds/{empty_round}/replies"))
        .await
        .body;
    let strip = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                json!([
                    r["administration"],
                    r["first_submitted_at"],
                    r["late"],
                    r["provenance"],
                    r["answers"]
                ])
            })
            .collect()
    };
    assert_eq!(strip(&imported), strip(&original));
}

async fn a_bad_import_names_line_and_column_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = app.create_round(6).await;
    let header = "workshop,workshop_topic,workshop_scope,workshop_start_date,workshop_end_date,workshop_venue,workshop_virtual,administration,submitted_at,late,provenance,direct_effects,new_projects";
    let csv = format!(
        "{header}\n\
         AEO,AEO,regional,2019-12-10,2019-12-12,Bangkok,false,MY,2020-06-20T00:00:00Z,false,participant,yes,no\n\
         AEO,AEO,regional,2019-12-10,2019-12-12,Bangkok,false,XX,yesterday,false,participant,maybe,no\n"
    );
    let import = |body: String| {
        app.request_as(
            &app.admin_key,
            Method::POST,
            &format!("/v1/rounds/{round}/replies/import"),
        )
        .header("content-type", "text/csv")
        .body(body)
    };
    let fields = app.send(import(csv)).await.expect_problem(422);
    assert_eq!(
        fields,
        [
            "line 3, column submitted_at",
            "line 3, column direct_effects"
        ],
        "rows that read fine are then checked against the database"
    );
    let csv = format!(
        "{header}\nAEO,AEO,regional,2019-12-10,2019-12-12,Bangkok,false,XX,2020-06-20T00:00:00Z,false,participant,yes,no\n"
    );
    let fields = app.send(import(csv)).await.expect_problem(422);
    assert_eq!(fields, ["line 2, column administration"]);
    let fields = app
        .send(import("colour\nred\n".into()))
        .await
        .expect_problem(422);
    assert!(
        fields.contains(&"line 1, column colour".to_owned()),
        "{fields:?}"
    );
    app.send(
        app.request_as(
            &app.admin_key,
            Method::POST,
            &format!("/v1/rounds/{round}/replies/import"),
        )
        .json(&json!({})),
    )
    .await
    .expect_problem(415);
    assert_eq!(
        app.get(&format!("/v1/rounds/{round}/replies")).await.body["total"],
        0
    );
    assert_eq!(
        app.get("/v1/workshops").await.body["total"],
        0,
        "no workshop was created"
    );
}

/// History goes into a round before its links go out, never under a live link, and a
/// round holding imported replies is not deleted with them.
/// History goes only where no officer can meet it: a draft round, or a closed round that
/// never gave out a link or sent a mail. A scheduled round's invitations belong to officers
/// who will answer by their links (an imported reply would greet one of them as theirs),
/// and a closed round that ran with links is not history to fill in.
async fn history_is_imported_into_a_draft_or_a_closed_round_that_sent_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = a_round_with_replies(&app).await;
    let exported = export(&app, round).await;
    let import = |round: i64, csv: String| {
        app.request_as(
            &app.admin_key,
            Method::POST,
            &format!("/v1/rounds/{round}/replies/import"),
        )
        .header("content-type", "text/csv")
        .body(csv)
    };
    let refused = app.send(import(round, exported.clone())).await;
    assert!(
        refused
            .text
            .contains("the round is scheduled: its invitations belong to officers"),
        "{}",
        refused.text
    );
    refused.expect_problem(409);

    // Scheduled, no link given out yet: its officers' invitations are still theirs.
    let waiting = app.scheduled_round(8, "Origin", &["TH"]).await;
    let renamed = exported.replace("WCO Regional Workshop on AEO", "Origin");
    let refused = app.send(import(waiting.round_id, renamed)).await;
    assert!(refused.text.contains("draft round"), "{}", refused.text);
    refused.expect_problem(409);
    assert_eq!(
        app.get(&format!("/v1/rounds/{}/replies", waiting.round_id))
            .await
            .body["total"],
        0
    );

    let history = app.create_round(7).await;
    let renamed = exported.replace("WCO Regional Workshop on AEO", "Earlier AEO workshop");
    let summary = app.send(import(history, renamed)).await.expect(201).body;
    assert_eq!(summary["replies"], 2);
    let refused = app.delete(&format!("/v1/rounds/{history}")).await;
    assert!(refused.text.contains("2 replies were"), "{}", refused.text);
    refused.expect_problem(409);
    assert_eq!(
        app.get(&format!("/v1/rounds/{history}/replies")).await.body["total"],
        2
    );

    // Closed without a link or a mail: history of a round run elsewhere.
    let closed = app.scheduled_round(9, "Valuation", &["VN"]).await;
    app.post(&format!("/v1/rounds/{}/close", closed.round_id), &json!({}))
        .await
        .expect(200);
    let renamed = exported.replace("WCO Regional Workshop on AEO", "Valuation history");
    app.send(import(closed.round_id, renamed)).await.expect(201);
    // Closed after its links went out: not history to fill in.
    app.post(&format!("/v1/rounds/{round}/close"), &json!({}))
        .await
        .expect(200);
    let renamed = exported.replace("WCO Regional Workshop on AEO", "Later AEO workshop");
    let refused = app.send(import(round, renamed)).await;
    assert!(
        refused.text.contains("went out in this round"),
        "{}",
        refused.text
    );
    refused.expect_problem(409);
}

on_both_databases!(
    history_is_imported_into_a_draft_or_a_closed_round_that_sent_nothing,
    staff_enter_an_emailed_reply_and_it_is_audited,
    staff_list_replies_with_filters,
    the_export_has_a_row_per_reply_and_a_column_per_question,
    export_then_import_into_an_empty_database_gives_the_same_replies,
    a_bad_import_names_line_and_column_and_writes_nothing,
);
