use std::net::IpAddr;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Backend, full_answers, spawn_app, spawn_app_with};

async fn the_link_shows_the_workshop_the_questions_and_the_current_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app
        .scheduled_round(6, "WCO Regional Workshop on AEO", &["MY"])
        .await;
    app.open_today(&setup).await;
    let token = app.link(setup.invitation_of("MY")).await;
    let page = app.response_page(&token).await.expect(200).body;
    assert_eq!(page["workshop"]["title"], "WCO Regional Workshop on AEO");
    assert_eq!(page["administration"]["code"], "MY");
    assert_eq!(page["participant_name"], "Officer of MY");
    assert_eq!(page["questionnaire"]["version"], 1);
    assert_eq!(
        page["questionnaire"]["questions"].as_array().unwrap().len(),
        5
    );
    assert_eq!(page["accepting_replies"], true);
    assert!(page["reply"].is_null());

    let receipt = app.respond(&token, &full_answers()).await.expect(200).body;
    assert_eq!(receipt["revision"], 1);
    assert_eq!(receipt["late"], false);
    let page = app.response_page(&token).await.expect(200).body;
    assert_eq!(page["reply"]["answers"], full_answers());
}

async fn a_reply_is_revised_and_the_same_answers_again_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &json!({"direct_effects": {"yes": false}}))
        .await
        .expect(200);
    let second = app.respond(&token, &full_answers()).await.expect(200).body;
    assert_eq!(second["revision"], 2);
    let again = app.respond(&token, &full_answers()).await.expect(200).body;
    assert_eq!(again["revision"], 2, "identical answers are not a revision");
    let reply_id = app.invitations(setup.round_id).await[0]["reply_id"]
        .as_i64()
        .unwrap();
    let reply = app
        .get(&format!("/v1/replies/{reply_id}"))
        .await
        .expect(200)
        .body;
    let history = reply["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[0]["answers"],
        json!({"direct_effects": {"yes": false}})
    );
    assert_eq!(history[1]["submitted_by"], "participant");
    let events = entity::event::Entity::find()
        .filter(entity::event::Column::Kind.eq("reply.submitted"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(events, 1, "the first submission is announced once");
    let revised = entity::event::Entity::find()
        .filter(entity::event::Column::Kind.eq("reply.revised"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(revised, 1);
}

async fn a_reply_after_the_due_date_is_late_but_welcome(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG"]).await;
    // The workshop ended in 2019: its due date is long past.
    let token = app.link(setup.invitation_of("MY")).await;
    let receipt = app.respond(&token, &full_answers()).await.expect(200).body;
    assert_eq!(receipt["late"], true);
    let invitation = app
        .get(&format!("/v1/invitations/{}", setup.invitation_of("MY")))
        .await
        .body;
    assert_eq!(invitation["status"], "late");

    // An override opening the survey today makes a reply on time.
    app.open_today(&setup).await;
    let token = app.link(setup.invitation_of("SG")).await;
    assert_eq!(
        app.respond(&token, &full_answers()).await.expect(200).body["late"],
        false
    );
    let late = app
        .get(&format!("/v1/rounds/{}/replies?late=true", setup.round_id))
        .await
        .expect(200)
        .body;
    assert_eq!(late["total"], 1);
    assert_eq!(late["items"][0]["administration"], "MY");
}

async fn bad_answers_are_refused_with_the_field_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let token = app.link(setup.invitation_of("MY")).await;
    let cases = [
        (json!({"colour": {"text": "red"}}), "answers.colour"),
        (
            json!({"new_projects": {"text": "yes"}}),
            "answers.new_projects.text",
        ),
        (
            json!({"new_projects": {"yes": "maybe"}}),
            "answers.new_projects.yes",
        ),
        (
            json!({"follow_up_actions": {"choices": ["other"]}}),
            "answers.follow_up_actions.other",
        ),
        (
            json!({"follow_up_actions": {"choices": ["fly"]}}),
            "answers.follow_up_actions.choices",
        ),
        (
            json!({"lessons_applied": {"text": "a\u{0}b"}}),
            "answers.lessons_applied.text",
        ),
    ];
    for (answers, field) in cases {
        let fields = app.respond(&token, &answers).await.expect_problem(422);
        assert_eq!(fields, [field], "{answers}");
    }
    assert!(
        app.response_page(&token).await.body["reply"].is_null(),
        "nothing was written"
    );
}

async fn a_scale_answer_outside_the_scale_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    app.post(&format!("/v1/rounds/{}/close", setup.round_id), &json!({}))
        .await
        .expect(200);
    let token = app
        .round_asking(json!([
            {"code": "usefulness", "type": "scale", "label": "How useful?", "scale_min": 1, "scale_max": 5}
        ]))
        .await;
    let fields = app
        .respond(&token, &json!({"usefulness": {"value": 6}}))
        .await
        .expect_problem(422);
    assert_eq!(fields, ["answers.usefulness.value"]);
    let receipt = app
        .respond(&token, &json!({"usefulness": {"value": 5.0}}))
        .await
        .expect(200)
        .body;
    assert_eq!(receipt["answers"]["usefulness"]["value"], 5);
}

async fn a_closed_round_refuses_replies(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &json!({"new_projects": {"yes": true}}))
        .await
        .expect(200);
    app.post(&format!("/v1/rounds/{}/close", setup.round_id), &json!({}))
        .await
        .expect(200);
    app.respond(&token, &full_answers())
        .await
        .expect_problem(409);
    let page = app.response_page(&token).await.expect(200).body;
    assert_eq!(page["accepting_replies"], false);
    assert_eq!(
        page["reply"]["answers"],
        json!({"new_projects": {"yes": true}}),
        "frozen"
    );
    app.post(
        &format!("/v1/invitations/{}/link", setup.invitation_of("MY")),
        &json!({}),
    )
    .await
    .expect_problem(409);
}

async fn fifty_concurrent_submissions_with_one_token_make_one_reply(backend: Backend) {
    // Fifty changes of one link's answers: past what a link may make in an hour.
    let app = spawn_app_with(backend, |settings| {
        settings.revisions_per_hour = std::num::NonZeroU32::new(100).unwrap();
    })
    .await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let token = app.link(setup.invitation_of("MY")).await;
    let url = app.url(&format!("/v1/respond/{token}"));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = app.client.clone();
        let url = url.clone();
        let answers = if i % 2 == 0 {
            full_answers()
        } else {
            json!({"new_projects": {"yes": true}})
        };
        tasks.push(tokio::spawn(async move {
            client
                .put(url)
                .json(&json!({"answers": answers}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let replies = entity::reply::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(replies, 1);
    let submitted = entity::event::Entity::find()
        .filter(entity::event::Column::Kind.eq("reply.submitted"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(submitted, 1);
    let reply = &app
        .get(&format!("/v1/rounds/{}/replies", setup.round_id))
        .await
        .body["items"][0];
    let revisions = entity::reply_revision::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(reply["revision"].as_u64().unwrap(), revisions);
}

async fn a_token_opens_only_its_own_invitation(backend: Backend) {
    let app = spawn_app(backend).await;
    let earlier = app.scheduled_round(5, "Earlier workshop", &["MY"]).await;
    let later = app.scheduled_round(6, "Later workshop", &["MY"]).await;
    let earlier_token = app.link(earlier.invitation_of("MY")).await;
    let later_token = app.link(later.invitation_of("MY")).await;
    app.post(
        &format!("/v1/rounds/{}/close", earlier.round_id),
        &json!({}),
    )
    .await
    .expect(200);

    let page = app.response_page(&earlier_token).await.expect(200).body;
    assert_eq!(page["workshop"]["title"], "Earlier workshop");
    app.respond(&earlier_token, &full_answers())
        .await
        .expect_problem(409);
    app.respond(&later_token, &full_answers()).await.expect(200);
    let earlier_replies = app
        .get(&format!("/v1/rounds/{}/replies", earlier.round_id))
        .await
        .body;
    assert_eq!(
        earlier_replies["total"], 0,
        "the other round's token wrote nothing here"
    );
    // Staff routes do not take a participant token, and the respond route takes no key.
    app.send(
        app.client
            .get(app.url("/v1/rounds"))
            .bearer_auth(&later_token),
    )
    .await
    .expect_problem(401);
    app.response_page(&app.admin_key).await.expect_problem(404);
}

async fn token_routes_are_rate_limited_per_client_address(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.respond_requests_per_minute = std::num::NonZeroU32::new(3).unwrap();
    })
    .await;
    for _ in 0..3 {
        app.response_page("unknown-token").await.expect_problem(404);
    }
    let limited = app.response_page("unknown-token").await;
    assert!(limited.headers.contains_key("retry-after"));
    limited.expect_problem(429);
    // A forged X-Forwarded-For from an untrusted peer changes nothing.
    let forged = app
        .send(
            app.client
                .get(app.url("/v1/respond/x"))
                .header("x-forwarded-for", "198.51.100.23"),
        )
        .await;
    forged.expect_problem(429);
    // Staff routes are not limited.
    app.get("/v1/rounds").await.expect(200);
}

async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_quota(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.respond_requests_per_minute = std::num::NonZeroU32::new(2).unwrap();
        settings.trusted_proxies = vec!["127.0.0.1".parse::<IpAddr>().unwrap()];
    })
    .await;
    let from = |client: &'static str| {
        app.client
            .get(app.url("/v1/respond/unknown"))
            .header("x-forwarded-for", client)
    };
    for _ in 0..2 {
        app.send(from("198.51.100.1")).await.expect_problem(404);
    }
    app.send(from("198.51.100.1")).await.expect_problem(429);
    app.send(from("198.51.100.2")).await.expect_problem(404);
}

/// A client behind the proxy cannot reset its quota: not by a new address within its IPv6
/// /64, not by a port, not by a forged first header line the proxy appended to.
async fn a_client_behind_a_proxy_cannot_dodge_its_quota(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.respond_requests_per_minute = std::num::NonZeroU32::new(2).unwrap();
        settings.trusted_proxies = vec!["127.0.0.1".parse::<IpAddr>().unwrap()];
    })
    .await;
    let through = |lines: &[&str]| {
        let mut request = app.client.get(app.url("/v1/respond/unknown"));
        for line in lines {
            request = request.header("x-forwarded-for", *line);
        }
        request
    };
    app.send(through(&["[2001:db8:7:7::1]:50000"]))
        .await
        .expect_problem(404);
    app.send(through(&["forged-1", "2001:db8:7:7::2"]))
        .await
        .expect_problem(404);
    for lines in [
        &["2001:db8:7:7:abcd::3"][..],
        &["198.51.100.9", "[2001:db8:7:7::4]"],
        &["[2001:db8:7:7::5]:443"],
    ] {
        app.send(through(lines)).await.expect_problem(429);
    }
    app.send(through(&["2001:db8:7:8::1"]))
        .await
        .expect_problem(404);
}

/// `null` in place of an answer, or an answer whose members are all `null`, leaves the
/// question out, as the OpenAPI document says; refusals name the question in plain words.
async fn null_answers_leave_the_question_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let token = app.link(setup.invitation_of("MY")).await;
    let answers = json!({
        "follow_up_actions": null,
        "direct_effects": {"yes": null},
        "new_projects": {"yes": true, "comment": null},
    });
    let reply = app.respond(&token, &answers).await.expect(200).body;
    let given: Vec<&String> = reply["answers"].as_object().unwrap().keys().collect();
    assert_eq!(given, ["new_projects"], "{reply}");

    let refused = app
        .respond(&token, &json!({"new_projects": {"choice": "yes"}}))
        .await;
    let message = refused.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        message,
        "question new_projects: a yes/no question is answered with `yes`"
    );
    assert_eq!(refused.expect_problem(422), ["answers.new_projects.choice"]);
    let refused = app.respond(&token, &json!({"new_projects": 5})).await;
    let message = refused.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(message, "invalid type: integer `5`, expected an object");
    assert_eq!(refused.expect_problem(422), ["answers.new_projects"]);
}

/// A revision that waits for the invitation's lock while the link is revoked (staff's
/// revocation or a hand-over holding it) finds the link gone once it gets the lock: 404,
/// and nothing of it is stored.
async fn a_revision_racing_a_revocation_answers_404_and_stores_nothing() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = spawn_app(Backend::Postgres).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    app.open_today(&setup).await;
    let invitation = setup.invitation_of("MY");
    let token = app.link(invitation).await;
    app.respond(&token, &full_answers()).await.expect(200);
    let mut changed = full_answers();
    changed["new_projects"] = json!({"yes": true});
    app.respond(&token, &changed).await.expect(200);

    let revocation = app.db.begin().await.unwrap();
    revocation
        .execute_unprepared(&format!(
            "SELECT id FROM invitations WHERE id = {invitation} FOR UPDATE"
        ))
        .await
        .unwrap();
    let revision = tokio::spawn(
        app.client
            .put(app.url(&format!("/v1/respond/{token}")))
            .json(&json!({"answers": full_answers()}))
            .send(),
    );
    app.until_a_query_waits_for_a_lock().await;
    revocation
        .execute_unprepared(&format!(
            "UPDATE invitations SET token_hash = NULL, token_generation = token_generation + 1 \
             WHERE id = {invitation}"
        ))
        .await
        .unwrap();
    revocation.commit().await.unwrap();
    let answered = revision.await.unwrap().unwrap().status();
    assert_eq!(answered, reqwest::StatusCode::NOT_FOUND);
    let replies = app
        .get(&format!("/v1/rounds/{}/replies", setup.round_id))
        .await
        .expect(200)
        .body;
    assert_eq!(replies["items"][0]["revision"], 2, "no revision stored");
    let stored = app
        .get(&format!("/v1/replies/{}", replies["items"][0]["id"]))
        .await
        .expect(200)
        .body;
    assert_eq!(stored["answers"]["new_projects"]["yes"], true, "{stored}");
}

/// A link may change its answers 20 times an hour and 100 times in all: past either, new
/// answers are refused (429 with `Retry-After`, then 409), the same answers again still
/// answer 200, every accepted revision stays in the history, and staff may still enter an
/// emailed answer.
async fn a_link_revises_within_its_bounds(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    app.open_today(&setup).await;
    let invitation = setup.invitation_of("MY");
    let token = app.link(invitation).await;
    let answers = |n: usize| {
        let mut answers = full_answers();
        answers["lessons_applied"] = json!({"text": format!("Revision {n}")});
        answers
    };
    for n in 1..=20 {
        app.respond(&token, &answers(n)).await.expect(200);
    }
    let refused = app.respond(&token, &answers(21)).await;
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3_500..=3_600).contains(&wait), "{wait}");
    assert!(
        refused.text.contains("changed 20 times in the last hour"),
        "{}",
        refused.text
    );
    refused.expect_problem(429);
    app.respond(&token, &answers(20)).await.expect(200);

    let replies = format!("/v1/rounds/{}/replies", setup.round_id);
    let reply = app.get(&replies).await.expect(200).body["items"][0].clone();
    assert_eq!(reply["revision"], 20);
    let history = app.get(&format!("/v1/replies/{}", reply["id"])).await.body;
    assert_eq!(history["history"].as_array().unwrap().len(), 20);

    // An hour later the link may revise again; at its hundredth revision it may not.
    let two_hours_earlier = match backend {
        Backend::Postgres => "submitted_at - INTERVAL '2 hours'",
        Backend::Sqlite => "datetime(submitted_at, '-2 hours')",
    };
    app.db
        .execute_unprepared(&format!(
            "UPDATE reply_revisions SET submitted_at = {two_hours_earlier} WHERE reply_id = {}",
            reply["id"]
        ))
        .await
        .unwrap();
    app.respond(&token, &answers(21)).await.expect(200);
    for statement in [
        "UPDATE reply_revisions SET revision = 100 WHERE reply_id = {id} AND revision = 21",
        "UPDATE replies SET revision = 100 WHERE id = {id}",
    ] {
        let statement = statement.replace("{id}", &reply["id"].to_string());
        app.db.execute_unprepared(&statement).await.unwrap();
    }
    let refused = app.respond(&token, &answers(22)).await;
    assert!(
        refused.text.contains("the most a link may"),
        "{}",
        refused.text
    );
    refused.expect_problem(409);
    app.put(
        &format!("/v1/invitations/{invitation}/reply"),
        &json!({"answers": answers(23)}),
    )
    .await
    .expect(200);
}

on_both_databases!(
    a_link_revises_within_its_bounds,
    null_answers_leave_the_question_out,
    the_link_shows_the_workshop_the_questions_and_the_current_answers,
    a_reply_is_revised_and_the_same_answers_again_change_nothing,
    a_reply_after_the_due_date_is_late_but_welcome,
    bad_answers_are_refused_with_the_field_named,
    a_scale_answer_outside_the_scale_is_refused,
    a_closed_round_refuses_replies,
    fifty_concurrent_submissions_with_one_token_make_one_reply,
    a_token_opens_only_its_own_invitation,
    token_routes_are_rate_limited_per_client_address,
    behind_a_trusted_proxy_each_forwarded_client_has_its_own_quota,
    a_client_behind_a_proxy_cannot_dodge_its_quota,
);

mod postgres_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_revision_racing_a_revocation_answers_404_and_stores_nothing() {
        super::a_revision_racing_a_revocation_answers_404_and_stores_nothing().await
    }
}
