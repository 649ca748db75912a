use serde_json::json;

use crate::helpers::{Backend, full_answers, spawn_app};

async fn a_quote_is_taken_edited_classified_attributed_and_approved(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &full_answers()).await.expect(200);
    let reply_id = app.invitations(setup.round_id).await[0]["reply_id"]
        .as_i64()
        .unwrap();
    let base = format!("/v1/rounds/{}/good-practices", setup.round_id);
    let created = app
        .post(
            &base,
            &json!({
                "reply_id": reply_id,
                "question_code": "direct_effects",
                "quote": "now advises AEOs as well as auditing them",
                "category": "direct_effect"
            }),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(created["text"], created["quote"]);
    assert_eq!(created["administration"], "MY");
    assert_eq!(created["workshop_id"], setup.workshop_id);
    assert_eq!(created["approved_for_report"], false);
    let id = created["id"].as_i64().unwrap();

    let edited = app
        .put(
            &format!("/v1/good-practices/{id}"),
            &json!({
                "text": "The Compliance Division now advises AEOs for self-improvement.",
                "category": "operational_improvement",
                "approved_for_report": true,
                "approved_for_feedback": true
            }),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(edited["category"], "operational_improvement");
    assert_eq!(edited["approved_for_report"], true);
    assert_eq!(
        edited["quote"], "now advises AEOs as well as auditing them",
        "the source stays"
    );

    let approved = app
        .get(&format!("{base}?approved_for_feedback=true"))
        .await
        .expect(200)
        .body;
    assert_eq!(approved["total"], 1);
    let none = app
        .get(&format!("{base}?category=efficiency"))
        .await
        .expect(200)
        .body;
    assert_eq!(none["total"], 0);
    let log = app
        .get(&format!(
            "/v1/audit-log?entity_type=good_practice&entity_id={id}"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(log["total"], 2);
    app.delete(&format!("/v1/good-practices/{id}"))
        .await
        .expect(204);
    app.get(&format!("/v1/good-practices/{id}"))
        .await
        .expect_problem(404);
}

async fn a_quote_must_come_from_the_reply(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &full_answers()).await.expect(200);
    let reply_id = app.invitations(setup.round_id).await[0]["reply_id"]
        .as_i64()
        .unwrap();
    let base = format!("/v1/rounds/{}/good-practices", setup.round_id);
    let attempt = |quote: &str, code: &str, reply: i64| json!({"reply_id": reply, "question_code": code, "quote": quote, "category": "other_action"});
    let cases = [
        (
            attempt("words nobody wrote", "lessons_applied", reply_id),
            "quote",
        ),
        (
            attempt("Reviewed", "efficiency_improved", reply_id),
            "quote",
        ),
        (attempt("Reviewed", "colour", reply_id), "question_code"),
        (attempt("Reviewed", "lessons_applied", 424242), "reply_id"),
    ];
    for (body, field) in cases {
        assert_eq!(
            app.post(&base, &body).await.expect_problem(422),
            [field],
            "{body}"
        );
    }
    let mut bad = attempt("Reviewed", "lessons_applied", reply_id);
    bad["category"] = json!("gossip");
    assert_eq!(
        app.post(&base, &bad).await.expect_problem(422),
        ["category"]
    );
    assert_eq!(app.get(&base).await.body["total"], 0);
    app.post(
        &base,
        &attempt("Briefed the AEO", "follow_up_actions", reply_id),
    )
    .await
    .expect(201);
}

on_both_databases!(
    a_quote_is_taken_edited_classified_attributed_and_approved,
    a_quote_must_come_from_the_reply,
);
