use serde_json::json;

use crate::helpers::{Backend, spawn_app};

async fn the_default_questionnaire_is_version_1(backend: Backend) {
    let app = spawn_app(backend).await;
    let list = app.get("/v1/questionnaires").await.expect(200).body;
    assert_eq!(list["total"], 1);
    let first = &list["items"][0];
    assert_eq!(first["version"], 1);
    let codes: Vec<&str> = first["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "follow_up_actions",
            "lessons_applied",
            "direct_effects",
            "efficiency_improved",
            "new_projects"
        ]
    );
    assert_eq!(first["questions"][0]["type"], "multiple_choice");
    assert_eq!(first["questions"][0]["allow_other"], true);
    assert_eq!(first["questions"][2]["type"], "yes_no");
    // Start-up again: still one version.
    followup::startup::prepare_database(&app.db).await.unwrap();
    assert_eq!(app.get("/v1/questionnaires").await.body["total"], 1);
}

fn scale_questionnaire() -> serde_json::Value {
    json!({
        "title": "Follow-up 2021",
        "questions": [
            {"code": "direct_effects", "type": "yes_no", "label": "Direct effects?"},
            {"code": "usefulness", "type": "scale", "label": "How useful?", "scale_min": 1, "scale_max": 5},
            {"code": "topic", "type": "single_choice", "label": "Main topic", "options": [{"code": "aeo", "label": "AEO"}], "allow_other": true}
        ]
    })
}

async fn a_new_version_is_published_and_can_change_until_a_round_uses_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .post("/v1/questionnaires", &scale_questionnaire())
        .await
        .expect(201)
        .body;
    assert_eq!(created["version"], 2);
    assert_eq!(created["in_use"], false);
    let id = created["id"].as_i64().unwrap();
    let mut changed = scale_questionnaire();
    changed["title"] = json!("Follow-up 2021, revised");
    app.put(&format!("/v1/questionnaires/{id}"), &changed)
        .await
        .expect(200);

    app.post(
        "/v1/rounds",
        &json!({"title": "Survey 2021", "round_number": 7, "fiscal_year": "2020/21", "questionnaire_id": id}),
    )
    .await
    .expect(201);
    let fields = app
        .put(&format!("/v1/questionnaires/{id}"), &scale_questionnaire())
        .await
        .expect_problem(409);
    assert!(fields.is_empty());
    let read = app
        .get(&format!("/v1/questionnaires/{id}"))
        .await
        .expect(200)
        .body;
    assert_eq!(read["in_use"], true);
    assert_eq!(read["title"], "Follow-up 2021, revised");
}

async fn a_version_in_use_by_a_round_is_immutable(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_round(6).await;
    app.put("/v1/questionnaires/1", &scale_questionnaire())
        .await
        .expect_problem(409);
}

async fn an_invalid_questionnaire_names_each_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let fields = app
        .post(
            "/v1/questionnaires",
            &json!({
                "title": " ",
                "questions": [
                    {"code": "a", "type": "scale", "label": "x", "scale_min": 5, "scale_max": 1},
                    {"code": "a", "type": "text", "label": "y"},
                    {"code": "b", "type": "single_choice", "label": "z"}
                ]
            }),
        )
        .await
        .expect_problem(422);
    assert_eq!(
        fields,
        [
            "title",
            "questions[0].scale_max",
            "questions[1].code",
            "questions[2].options"
        ]
    );
    let fields = app
        .post(
            "/v1/questionnaires",
            &json!({"title": "T", "questions": [{"code": "q", "type": "essay", "label": "x"}]}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, ["questions[0].type"]);
    assert_eq!(
        app.get("/v1/questionnaires").await.body["total"],
        1,
        "nothing was written"
    );
}

/// The questions of scheduled rounds are kept in memory by questionnaire id; two services
/// in one process, on two databases whose version 2 differ, each answer with their own.
async fn two_databases_in_one_process_keep_their_own_questions(backend: Backend) {
    let first = spawn_app(backend).await;
    let second = spawn_app(backend).await;
    let scale = json!([{"code": "usefulness", "type": "scale", "label": "How useful?", "scale_min": 1, "scale_max": 5}]);
    let yes_no = json!([{"code": "helpful", "type": "yes_no", "label": "Was it helpful?"}]);
    let first_token = first.round_asking(scale).await;
    let second_token = second.round_asking(yes_no).await;
    first
        .respond(&first_token, &json!({"usefulness": {"value": 4}}))
        .await
        .expect(200);
    second
        .respond(&second_token, &json!({"helpful": {"yes": true}}))
        .await
        .expect(200);
    first
        .respond(&first_token, &json!({"helpful": {"yes": true}}))
        .await
        .expect_problem(422);
}

/// A question coded like a column of the replies' CSV would make the export ambiguous
/// and break its re-import: each such code is refused, naming the question.
async fn a_question_cannot_take_the_name_of_a_csv_column(backend: Backend) {
    let app = spawn_app(backend).await;
    for code in [
        "late",
        "administration",
        "submitted_at",
        "workshop",
        "provenance",
    ] {
        let mut questionnaire = scale_questionnaire();
        questionnaire["questions"][1]["code"] = json!(code);
        let reply = app.post("/v1/questionnaires", &questionnaire).await;
        assert!(reply.text.contains("reserved"), "{code}: {}", reply.text);
        assert_eq!(reply.expect_problem(422), ["questions[1].code"], "{code}");
    }
    let mut dotted = scale_questionnaire();
    dotted["questions"][1]["code"] = json!("usefulness.comment");
    let fields = app
        .post("/v1/questionnaires", &dotted)
        .await
        .expect_problem(422);
    assert_eq!(
        fields,
        ["questions[1].code"],
        "codes hold no dot, so no suffix clashes"
    );
}

on_both_databases!(
    a_question_cannot_take_the_name_of_a_csv_column,
    two_databases_in_one_process_keep_their_own_questions,
    the_default_questionnaire_is_version_1,
    a_new_version_is_published_and_can_change_until_a_round_uses_it,
    a_version_in_use_by_a_round_is_immutable,
    an_invalid_questionnaire_names_each_field,
);
