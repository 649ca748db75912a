//! Mail follows the invitation's link and officer: a new address replaces the link and
//! readdresses the mail, a resent mail goes only to the current officer with the current
//! link, a revoked link withdraws the mail that carried it, a hand-over's successor gets
//! the invitation, and a mail withdrawn while it was sent stays withdrawn.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, ScheduledRound, TestApp, full_answers, spawn_app, system_clock};
use crate::smtp::{Mode, SmtpServer};

/// Tonga's officer in a round opened today, their invitation mail queued (nine o'clock has
/// passed in Tonga whatever the hour in UTC).
async fn invitation_queued(app: &TestApp) -> ScheduledRound {
    let setup = app.scheduled_round(6, "AEO", &["TO"]).await;
    app.open_today(&setup).await;
    app.scheduler(&crate::helpers::now_clock())
        .tick()
        .await
        .unwrap();
    setup
}

/// Tonga's officer invited in an open round, the invitation mail sent; returns the round,
/// the mail and the server it went to.
async fn invited(app: &TestApp) -> (ScheduledRound, Value, SmtpServer) {
    let setup = invitation_queued(app).await;
    let smtp = SmtpServer::start();
    let worker = app.worker(&smtp.url(), system_clock());
    assert_eq!(worker.run_once().await.unwrap().sent, 1);
    let mail = app.mailings("kind=invitation").await[0].clone();
    (setup, mail, smtp)
}

async fn send_all(app: &TestApp, smtp: &SmtpServer) {
    let worker = app.worker(&smtp.url(), system_clock());
    while worker.run_once().await.unwrap().handled() > 0 {}
}

async fn officer_of(app: &TestApp, setup: &ScheduledRound) -> Value {
    app.get(&format!(
        "/v1/workshops/{}/participants?administration=TO",
        setup.workshop_id
    ))
    .await
    .expect(200)
    .body["items"][0]
        .clone()
}

async fn change_address(app: &TestApp, setup: &ScheduledRound, email: &str) {
    let officer = officer_of(app, setup).await;
    let path = format!(
        "/v1/workshops/{}/participants/{}",
        setup.workshop_id, officer["id"]
    );
    let etag = app.get(&path).await.expect(200).headers["etag"].clone();
    app.send(
        app.request_as(&app.admin_key, Method::PUT, &path)
            .header("If-Match", etag)
            .json(&json!({"name": officer["name"], "email": email, "administration": "TO"})),
    )
    .await
    .expect(200);
}

async fn a_new_address_replaces_the_link_and_gets_the_invitation(backend: Backend) {
    let app = spawn_app(backend).await;
    let (setup, sent, smtp) = invited(&app).await;
    let old_token = app.token_in_mail(sent["id"].as_i64().unwrap()).await;
    app.response_page(&old_token).await.expect(200);

    change_address(&app, &setup, "new.address@customs.to.example.org").await;
    app.response_page(&old_token).await.expect_problem(404);
    let queued = app.mailings("kind=invitation&status=queued").await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["recipient"], "new.address@customs.to.example.org");
    let new_token = app.token_in_mail(queued[0]["id"].as_i64().unwrap()).await;
    app.response_page(&new_token).await.expect(200);
    send_all(&app, &smtp).await;
    let received = smtp.received();
    assert_eq!(
        received.last().unwrap().to(),
        "new.address@customs.to.example.org"
    );
    let audit = app.get("/v1/audit-log?per_page=200").await.expect(200).body;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "rotate_link")
    );
}

async fn a_mail_is_sent_again_only_to_the_current_officer_with_the_current_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let (setup, sent, smtp) = invited(&app).await;
    let id = setup.invitation_of("TO");
    // Sent again as it was, while nothing changed.
    app.post(&format!("/v1/mailings/{}/resend", sent["id"]), &json!({}))
        .await
        .expect(200);
    send_all(&app, &smtp).await;
    // A new link: the mail sent again carries it, not the dead one.
    let fresh = app.link(id).await;
    app.post(&format!("/v1/mailings/{}/resend", sent["id"]), &json!({}))
        .await
        .expect(200);
    assert_eq!(app.token_in_mail(sent["id"].as_i64().unwrap()).await, fresh);
    send_all(&app, &smtp).await;

    change_address(&app, &setup, "new.address@customs.to.example.org").await;
    let refused = app
        .post(&format!("/v1/mailings/{}/resend", sent["id"]), &json!({}))
        .await;
    assert!(
        refused
            .text
            .contains(&format!("/v1/invitations/{id}/resend")),
        "{}",
        refused.text
    );
    refused.expect_problem(409);
    app.post(
        &format!("/v1/invitations/{id}/hand-over"),
        &json!({"name": "Sione Tupou", "email": "sione@customs.to.example.org"}),
    )
    .await
    .expect(200);
    let before_hand_over = app
        .mailings("recipient=new.address%40customs.to.example.org")
        .await;
    for mail in before_hand_over {
        app.post(&format!("/v1/mailings/{}/resend", mail["id"]), &json!({}))
            .await
            .expect_problem(409);
    }
}

async fn a_revoked_link_withdraws_the_mail_that_carried_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = invitation_queued(&app).await;
    let queued = app.mailings("kind=invitation").await;
    assert_eq!(queued[0]["status"], "queued");
    let id = setup.invitation_of("TO");
    app.post(&format!("/v1/invitations/{id}/link/revoke"), &json!({}))
        .await
        .expect(200);
    let after = app.mailings("kind=invitation").await;
    assert_eq!(after[0]["status"], "cancelled", "{after:?}");
    app.post(
        &format!("/v1/mailings/{}/resend", after[0]["id"]),
        &json!({}),
    )
    .await
    .expect_problem(409);
}

async fn the_officer_a_round_is_handed_over_to_gets_the_invitation(backend: Backend) {
    let app = spawn_app(backend).await;
    let (setup, _, smtp) = invited(&app).await;
    let id = setup.invitation_of("TO");
    let handed = app
        .post(
            &format!("/v1/invitations/{id}/hand-over"),
            &json!({"name": "Sione Tupou", "email": "sione@customs.to.example.org"}),
        )
        .await
        .expect(200)
        .body;
    send_all(&app, &smtp).await;
    let last = smtp.received().last().unwrap().clone();
    assert_eq!(last.to(), "sione@customs.to.example.org");
    let token = handed["token"].as_str().unwrap();
    assert!(last.raw.contains(token), "the current link: {}", last.raw);
    app.respond(token, &full_answers()).await.expect(200);
}

async fn a_mail_withdrawn_while_it_is_sent_stays_withdrawn(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = invitation_queued(&app).await;
    let smtp = SmtpServer::start();
    smtp.set_mode(Mode::AcceptAfterMillis(1_500));
    let worker = app.worker(&smtp.url(), system_clock());
    let sending = tokio::spawn(async move { worker.run_once().await.unwrap().sent });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let officer = officer_of(&app, &setup).await;
    app.post(
        &format!(
            "/v1/workshops/{}/participants/{}/erase",
            setup.workshop_id, officer["id"]
        ),
        &json!({}),
    )
    .await
    .expect(200);
    assert_eq!(sending.await.unwrap(), 1, "the server took it");
    let mail = &app.mailings("kind=invitation").await[0];
    assert_eq!(mail["status"], "cancelled");
    assert!(mail["sent_at"].is_null());
}

on_both_databases!(
    a_new_address_replaces_the_link_and_gets_the_invitation,
    a_mail_is_sent_again_only_to_the_current_officer_with_the_current_link,
    a_revoked_link_withdraws_the_mail_that_carried_it,
    the_officer_a_round_is_handed_over_to_gets_the_invitation,
    a_mail_withdrawn_while_it_is_sent_stays_withdrawn,
);
