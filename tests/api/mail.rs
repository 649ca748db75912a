//! Scheduled mail end to end: the scheduler on a clock the tests move, the delivery worker
//! sending to a real SMTP server on loopback.

use serde_json::json;

use crate::helpers::{Backend, clock_at, full_answers, instant, spawn_app, system_clock};
use crate::smtp::SmtpServer;

async fn invitations_go_out_at_nine_in_each_administration_s_time_zone(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app
        .scheduled_round(6, "Counterfeiting and Piracy", &["TO", "NP"])
        .await;
    let clock = clock_at("2020-06-11T19:59:00Z");
    let scheduler = app.scheduler(&clock);
    assert_eq!(scheduler.tick().await.unwrap().invitations, 0);

    clock.set(instant("2020-06-11T20:00:00Z")); // 09:00 in Nuku'alofa
    let report = scheduler.tick().await.unwrap();
    assert_eq!((report.invitations, report.rounds_opened), (1, 1));
    let round = app
        .get(&format!("/v1/rounds/{}", setup.round_id))
        .await
        .body;
    assert_eq!(round["state"], "open", "the first opening opens the round");

    clock.set(instant("2020-06-12T03:14:59Z"));
    assert_eq!(scheduler.tick().await.unwrap().invitations, 0);
    clock.set(instant("2020-06-12T03:15:00Z")); // 09:00 in Kathmandu
    assert_eq!(scheduler.tick().await.unwrap().invitations, 1);
    assert_eq!(
        scheduler.tick().await.unwrap().invitations,
        0,
        "queued once"
    );

    let smtp = SmtpServer::start();
    let sent = app
        .worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    assert_eq!(sent.sent, 2);
    let received = smtp.received();
    assert_eq!(received.len(), 2);
    let tonga = received
        .iter()
        .find(|m| m.to().contains("customs.to.example.org"))
        .unwrap();
    assert!(tonga.subject().contains("Counterfeiting and Piracy"));

    let outbox = app.mailings("kind=invitation").await;
    assert!(outbox.iter().all(|m| m["status"] == "sent"));
    let tonga_mail = outbox
        .iter()
        .find(|m| m["recipient"].as_str().unwrap().contains(".to."))
        .unwrap();
    assert_eq!(
        tonga.message_id(),
        tonga_mail["message_id"].as_str().unwrap()
    );
    let token = app.token_in_mail(tonga_mail["id"].as_i64().unwrap()).await;
    assert!(
        tonga.raw.replace("=\r\n", "").contains(&token),
        "the sent mail carries the token"
    );
    let page = app.response_page(&token).await.expect(200).body;
    assert_eq!(
        page["administration"]["code"], "TO",
        "the mailed link opens the invitation"
    );
    let invitation = app
        .get(&format!("/v1/invitations/{}", setup.invitation_of("TO")))
        .await
        .body;
    assert_eq!(invitation["status"], "invited");
}

async fn reminders_reach_only_non_respondents_once_per_offset(backend: Backend) {
    let app = spawn_app(backend).await;
    let _setup = app.scheduled_round(6, "AEO", &["MY", "SG"]).await;
    let clock = clock_at("2020-06-12T01:00:00Z"); // 09:00 in Kuala Lumpur and Singapore
    let scheduler = app.scheduler(&clock);
    assert_eq!(scheduler.tick().await.unwrap().invitations, 2);
    let smtp = SmtpServer::start();
    let worker = app.worker(&smtp.url(), system_clock());
    worker.run_once().await.unwrap();

    let malaysia = app.mailings("kind=invitation&recipient=.my.").await;
    let token = app.token_in_mail(malaysia[0]["id"].as_i64().unwrap()).await;
    app.respond(&token, &full_answers()).await.expect(200);

    clock.set(instant("2020-06-26T00:59:00Z"));
    assert_eq!(scheduler.tick().await.unwrap().reminders, 0);
    clock.set(instant("2020-06-26T01:00:00Z")); // 7 days before the due date, 09:00 local
    assert_eq!(scheduler.tick().await.unwrap().reminders, 1);
    assert_eq!(
        scheduler.tick().await.unwrap().reminders,
        0,
        "once per offset"
    );
    clock.set(instant("2020-07-01T01:00:00Z")); // 2 days before
    assert_eq!(scheduler.tick().await.unwrap().reminders, 1);
    clock.set(instant("2020-07-03T02:00:00Z")); // past the due date
    assert_eq!(scheduler.tick().await.unwrap().reminders, 0);
    worker.run_once().await.unwrap();

    let reminders = app.mailings("kind=reminder").await;
    assert_eq!(reminders.len(), 2);
    assert!(
        reminders
            .iter()
            .all(|m| m["recipient"].as_str().unwrap().contains(".sg."))
    );
    let subjects: Vec<String> = smtp.received().iter().map(|m| m.subject()).collect();
    assert!(
        subjects.iter().any(|s| s.contains("7 days left")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("2 days left")),
        "{subjects:?}"
    );
}

/// A round scheduled late sends its invitation, not a reminder whose moment passed
/// before it; a reminder goes out up to six hours after its moment, never later.
async fn reminders_whose_moment_passed_are_skipped(backend: Backend) {
    let app = spawn_app(backend).await;
    app.scheduled_round(6, "AEO", &["MY"]).await;
    // Due 2020-07-03 09:00 in Kuala Lumpur; reminders 7 and 2 days before, at 01:00 UTC.
    let clock = clock_at("2020-07-02T01:00:00Z");
    let late = app.scheduler(&clock).tick().await.unwrap();
    assert_eq!(
        (late.invitations, late.reminders),
        (1, 0),
        "no stale reminder"
    );
    clock.set(instant("2020-07-02T08:00:00Z"));
    assert_eq!(app.scheduler(&clock).tick().await.unwrap().reminders, 0);

    let app = spawn_app(backend).await;
    app.scheduled_round(6, "AEO", &["MY"]).await;
    let clock = clock_at("2020-06-12T01:00:00Z");
    let scheduler = app.scheduler(&clock);
    assert_eq!(scheduler.tick().await.unwrap().invitations, 1);
    clock.set(instant("2020-06-26T06:59:00Z")); // 5 h 59 min after the 7-day moment
    assert_eq!(scheduler.tick().await.unwrap().reminders, 1);
    clock.set(instant("2020-07-01T07:01:00Z")); // 6 h 1 min after the 2-day moment
    assert_eq!(scheduler.tick().await.unwrap().reminders, 0);
    assert_eq!(app.mailings("kind=reminder").await.len(), 1);
}

/// Closing a round ends its answering period: feedback may go out before the due date, and
/// the release needs no body.
async fn closing_early_releases_the_feedback_without_a_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG"]).await;
    app.open_today(&setup).await;
    let round = setup.round_id;
    app.post(&format!("/v1/rounds/{round}/close"), &json!({}))
        .await
        .expect(200);
    let released = app
        .send(app.request_as(
            &app.admin_key,
            reqwest::Method::POST,
            &format!("/v1/rounds/{round}/feedback"),
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(released["queued"], 2, "{released}");
    assert_eq!(app.mailings("kind=feedback").await.len(), 2);
}

/// The body of the one mail of `kind`.
async fn only_mail(app: &crate::helpers::TestApp, kind: &str) -> (String, String) {
    let listed = app.mailings(&format!("kind={kind}")).await;
    let detail = app
        .get(&format!("/v1/mailings/{}", listed[0]["id"]))
        .await
        .body;
    (
        detail["body_text"].as_str().unwrap().to_owned(),
        detail["body_html"].as_str().unwrap().to_owned(),
    )
}

/// A workshop that ended seven months ago, three officers, one reply: the invitation says
/// how long ago, the feedback counts without percentages or rankings from one reply.
async fn mail_reads_right_in_a_small_first_round(backend: Backend) {
    let app = spawn_app(backend).await;
    let today = chrono::Utc::now().date_naive();
    let end = today.checked_sub_months(chrono::Months::new(7)).unwrap();
    let start = end - chrono::Days::new(2);
    let workshop = app
        .create_workshop(&crate::helpers::workshop_body(
            "Customs Valuation",
            &start.to_string(),
            &end.to_string(),
        ))
        .await["id"]
        .as_i64()
        .unwrap();
    for code in ["MY", "SG", "TH"] {
        let email = format!("officer@customs.{}.example.org", code.to_lowercase());
        app.create_participant(
            workshop,
            &crate::helpers::participant_body(&format!("Officer of {code}"), &email, code),
        )
        .await;
    }
    let round = app.create_round(6).await;
    app.attach(round, &json!({"workshop_id": workshop}))
        .await
        .expect(201);
    app.post(&format!("/v1/rounds/{round}/schedule"), &json!({}))
        .await
        .expect(200);
    let clock = clock_at(&chrono::Utc::now().to_rfc3339());
    assert_eq!(app.scheduler(&clock).tick().await.unwrap().invitations, 3);
    let (text, html) = only_mail(&app, "invitation&recipient=.my.").await;
    assert!(
        text.contains("\n\nSeven months ago you took part in the Customs Valuation"),
        "{text}"
    );
    assert!(
        html.contains("ROCB Asia/Pacific") && !html.contains("&#x2f;"),
        "{html}"
    );
    assert!(
        html.contains("href=\"http") && html.contains("/respond/"),
        "{html}"
    );

    let invitation = &app.mailings("kind=invitation&recipient=.my.").await[0];
    let token = app.token_in_mail(invitation["id"].as_i64().unwrap()).await;
    app.respond(&token, &full_answers()).await.expect(200);
    app.post(&format!("/v1/rounds/{round}/close"), &json!({}))
        .await
        .expect(200);
    app.post(&format!("/v1/rounds/{round}/feedback"), &json!({}))
        .await
        .expect(200);
    let (text, _) = only_mail(&app, "feedback&recipient=.sg.").await;
    assert!(
        text.contains(
            "has collected 1 reply from 3 participants. Of the 3 participants in the \
             Customs Valuation, 1 replied.\n"
        ),
        "{text}"
    );
    assert!(
        !text.contains("received 1 reply from 3 invitations."),
        "the reply rate is said once: {text}"
    );
    assert!(!text.contains("\n\n\n"), "{text}");
    assert!(
        !text.contains('%'),
        "no percentage of a base under 5: {text}"
    );
    assert!(
        !text.contains("most often chose"),
        "no ranking from one reply: {text}"
    );
}

async fn a_reply_withdraws_a_queued_reminder(backend: Backend) {
    let app = spawn_app(backend).await;
    app.scheduled_round(6, "AEO", &["MY"]).await;
    let clock = clock_at("2020-06-12T01:00:00Z");
    let scheduler = app.scheduler(&clock);
    scheduler.tick().await.unwrap();
    let smtp = SmtpServer::start();
    let worker = app.worker(&smtp.url(), system_clock());
    worker.run_once().await.unwrap();
    clock.set(instant("2020-06-26T01:00:00Z"));
    assert_eq!(scheduler.tick().await.unwrap().reminders, 1);

    let invitation = &app.mailings("kind=invitation").await[0];
    let token = app.token_in_mail(invitation["id"].as_i64().unwrap()).await;
    app.respond(&token, &json!({"new_projects": {"yes": true}}))
        .await
        .expect(200);
    let reminder = &app.mailings("kind=reminder").await[0];
    assert_eq!(reminder["status"], "cancelled");
    worker.run_once().await.unwrap();
    let kinds: Vec<String> = smtp.received().iter().map(|m| m.subject()).collect();
    assert_eq!(
        kinds.len(),
        2,
        "the invitation and the thank-you: {kinds:?}"
    );
    assert!(!kinds.iter().any(|s| s.starts_with("Reminder")));
    clock.set(instant("2020-07-01T01:00:00Z"));
    assert_eq!(
        scheduler.tick().await.unwrap().reminders,
        0,
        "never after a reply"
    );
}

async fn the_first_reply_only_gets_a_thank_you_with_a_copy_of_the_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let token = app.link(setup.invitation_of("MY")).await;
    let mut answers = full_answers();
    answers["lessons_applied"] = json!({"text": "<b>Bold</b> & more"});
    app.respond(&token, &answers).await.expect(200);
    app.respond(&token, &full_answers()).await.expect(200);
    let thanks = app.mailings("kind=thank_you").await;
    assert_eq!(thanks.len(), 1);
    let detail = app
        .get(&format!("/v1/mailings/{}", thanks[0]["id"]))
        .await
        .body;
    let html = detail["body_html"].as_str().unwrap();
    let text = detail["body_text"].as_str().unwrap();
    assert!(
        html.contains("&lt;b&gt;Bold&lt;") && html.contains("&amp; more"),
        "{html}"
    );
    assert!(!html.contains("<b>Bold"), "participant text is escaped");
    assert!(text.contains("<b>Bold</b> & more"));
    assert!(
        text.contains("Submitted a report to superiors"),
        "option labels, not codes"
    );
    assert!(text.contains("Other: Briefed the AEO working group"));

    let smtp = SmtpServer::start();
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    assert_eq!(smtp.received().len(), 1);
    assert!(smtp.received()[0].subject().starts_with("Thank you"));
}

async fn feedback_reaches_every_participant_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG", "TH"]).await;
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &full_answers()).await.expect(200);
    let reply_id = app
        .invitations(setup.round_id)
        .await
        .iter()
        .find_map(|i| i["reply_id"].as_i64())
        .unwrap();
    app.post(
        &format!("/v1/rounds/{}/good-practices", setup.round_id),
        &json!({"reply_id": reply_id, "question_code": "direct_effects", "quote": "now advises AEOs",
                "text": "The compliance division advises AEOs.", "category": "direct_effect",
                "approved_for_feedback": true}),
    )
    .await
    .expect(201);
    let release = format!("/v1/rounds/{}/feedback", setup.round_id);
    let first = app.post(&release, &json!({})).await.expect(200).body;
    assert_eq!(
        first,
        json!({"queued": 3, "already_queued": 0, "without_officer": 0})
    );
    let again = app.post(&release, &json!({})).await.expect(200).body;
    assert_eq!(
        again,
        json!({"queued": 0, "already_queued": 3, "without_officer": 0})
    );
    let one = app
        .post(&release, &json!({"workshop_id": setup.workshop_id}))
        .await
        .expect(200)
        .body;
    assert_eq!(one["queued"], 0);

    let smtp = SmtpServer::start();
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    let feedback: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.subject().starts_with("What participants did"))
        .collect();
    assert_eq!(feedback.len(), 3, "replied or not, each once");
    let detail = app
        .get(&format!(
            "/v1/mailings/{}",
            app.mailings("kind=feedback&recipient=.th.").await[0]["id"]
        ))
        .await
        .body;
    let text = detail["body_text"].as_str().unwrap();
    assert!(text.contains("1 reply from 3"), "{text}");
    let findings = app
        .get(&format!("/v1/rounds/{}/analytics/findings", setup.round_id))
        .await
        .expect(200)
        .body;
    let reply_rate = findings["findings"][0].as_str().unwrap();
    let first_answers = findings["findings"][1].as_str().unwrap();
    assert!(
        text.contains(first_answers) && !text.contains(reply_rate),
        "the mail carries the analytics' findings, the reply rate in its own words: {text}"
    );
    assert!(text.contains("The compliance division advises AEOs."));
    assert!(
        text.contains(crate::helpers::LINK_BASE),
        "a non-respondent may still answer"
    );
}

async fn feedback_waits_for_the_due_date(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    app.open_today(&setup).await;
    let refused = app
        .post(
            &format!("/v1/rounds/{}/feedback", setup.round_id),
            &json!({}),
        )
        .await;
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("after its due date")
    );
    refused.expect_problem(409);
    assert!(app.mailings("kind=feedback").await.is_empty());
    let draft = app.create_round(7).await;
    app.post(&format!("/v1/rounds/{draft}/feedback"), &json!({}))
        .await
        .expect_problem(409);
}

async fn closed_rounds_get_no_mail(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    app.post(&format!("/v1/rounds/{}/close", setup.round_id), &json!({}))
        .await
        .expect(200);
    let clock = clock_at("2020-06-26T01:00:00Z");
    let report = app.scheduler(&clock).tick().await.unwrap();
    assert_eq!((report.invitations, report.reminders), (0, 0));
}

async fn two_schedulers_queue_each_mail_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.scheduled_round(6, "AEO", &["MY", "SG", "TH", "ID"])
        .await;
    let clock = clock_at("2020-06-12T03:00:00Z");
    let (one, two) = (app.scheduler(&clock), app.scheduler(&clock));
    let (a, b) = tokio::join!(one.tick(), two.tick());
    assert_eq!(a.unwrap().invitations + b.unwrap().invitations, 4);
    assert_eq!(app.mailings("kind=invitation").await.len(), 4);
}

async fn a_revoked_link_is_not_mailed_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    let id = setup.invitation_of("MY");
    app.link(id).await;
    app.post(&format!("/v1/invitations/{id}/link/revoke"), &json!({}))
        .await
        .expect(200);
    let clock = clock_at("2020-06-12T03:00:00Z");
    assert_eq!(app.scheduler(&clock).tick().await.unwrap().invitations, 0);
    let resent = app
        .post(&format!("/v1/invitations/{id}/resend"), &json!({}))
        .await
        .expect(201)
        .body;
    assert_eq!(resent["kind"], "invitation");
    let token = app.token_in_mail(resent["id"].as_i64().unwrap()).await;
    app.response_page(&token).await.expect(200);
}

on_both_databases!(
    invitations_go_out_at_nine_in_each_administration_s_time_zone,
    reminders_reach_only_non_respondents_once_per_offset,
    a_reply_withdraws_a_queued_reminder,
    reminders_whose_moment_passed_are_skipped,
    closing_early_releases_the_feedback_without_a_body,
    mail_reads_right_in_a_small_first_round,
    the_first_reply_only_gets_a_thank_you_with_a_copy_of_the_answers,
    feedback_reaches_every_participant_exactly_once,
    feedback_waits_for_the_due_date,
    closed_rounds_get_no_mail,
    two_schedulers_queue_each_mail_once,
    a_revoked_link_is_not_mailed_again,
);
