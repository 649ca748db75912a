//! Webhooks: registration, signed deliveries to a receiver on 127.0.0.1, retries with
//! backoff, partner payloads without personal data, the delivery log and redelivery.

use std::collections::HashMap;

use chrono::Duration as Span;
use entity::mailing::MailKind;
use followup::base::clock::Clock;
use followup::jobs::webhook_worker::{WebhookReport, WebhookSettings, WebhookWorker};
use followup::mail::outbox::{self, NewMail};
use followup::mail::templates::Rendered;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, full_answers, now_clock, spawn_app, spawn_app_with, system_clock,
};
use crate::receiver::Receiver;
use crate::smtp::{Mode, SmtpServer};

const ALL_EVENTS: [&str; 5] = [
    "reply.submitted",
    "reply.revised",
    "round.opened",
    "round.closed",
    "mailing.failed",
];

/// Registers an endpoint; returns its id and secret.
async fn register(app: &TestApp, url: &str, events: &[&str], audience: &str) -> (i64, String) {
    let reply = app
        .post(
            "/v1/webhooks",
            &json!({"url": url, "event_types": events, "audience": audience}),
        )
        .await
        .expect(201);
    let id = reply.body["id"].as_i64().unwrap();
    assert_eq!(
        reply.headers["location"].to_str().unwrap(),
        format!("/v1/webhooks/{id}")
    );
    (id, reply.body["secret"].as_str().unwrap().to_owned())
}

/// Runs the worker until nothing is due.
async fn drain(worker: &WebhookWorker) -> WebhookReport {
    let mut total = WebhookReport::default();
    for _ in 0..20 {
        let report = worker.run_once().await.unwrap();
        if report.handled() == 0 {
            return total;
        }
        total.delivered += report.delivered;
        total.retried += report.retried;
        total.failed += report.failed;
    }
    panic!("the webhook queue did not drain");
}

async fn deliveries(app: &TestApp, webhook_id: i64, query: &str) -> Vec<Value> {
    app.get(&format!("/v1/webhooks/{webhook_id}/deliveries?{query}"))
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// A round's life with a reply and its revision, then a mail that fails for good: every
/// event type once. Returns the participant's token.
async fn cause_every_event(app: &TestApp) -> String {
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    app.open_today(&setup).await;
    app.post(&format!("/v1/rounds/{}/open", setup.round_id), &json!({}))
        .await
        .expect(200);
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &full_answers()).await.expect(200);
    app.respond(&token, &json!({"new_projects": {"yes": true}}))
        .await
        .expect(200);
    app.post(&format!("/v1/rounds/{}/close", setup.round_id), &json!({}))
        .await
        .expect(200);
    // The round's own mail (invitation, thank-you) goes through; then one mail fails.
    let smtp = SmtpServer::start();
    let mail_worker = app.worker(&smtp.url(), system_clock());
    while mail_worker.run_once().await.unwrap().sent > 0 {}
    smtp.set_mode(Mode::Permanent);
    outbox::queue(
        &app.db,
        "test.example",
        NewMail {
            kind: MailKind::Reminder,
            dedupe_key: "refused".into(),
            round_id: None,
            invitation_id: None,
            recipient: "refused.officer@customs.my.example.org".into(),
            rendered: Rendered {
                subject: "Refused".into(),
                text: "x".into(),
                html: "x".into(),
            },
            link_generation: None,
            participant_id: None,
            at: followup::base::clock::now(),
        },
    )
    .await
    .unwrap();
    let failed = mail_worker.run_once().await.unwrap();
    assert_eq!(failed.failed, 1);
    token
}

async fn each_event_reaches_the_receiver_once_with_a_valid_signature(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let (id, secret) = register(&app, &receiver.url, &ALL_EVENTS, "staff").await;
    cause_every_event(&app).await;

    let report = drain(&app.webhook_worker(system_clock())).await;
    assert_eq!(report.delivered, 5, "{report:?}");
    let received = receiver.received();
    let mut by_type: HashMap<String, usize> = HashMap::new();
    for delivery in &received {
        *by_type.entry(delivery.event_type()).or_default() += 1;
        assert!(delivery.is_signed_with(&secret), "{delivery:?}");
        assert!(!delivery.is_signed_with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        let sent_at: i64 = delivery.timestamp.parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 300);
        assert!(delivery.id.starts_with("evt_"));
    }
    assert_eq!(
        by_type,
        ALL_EVENTS.iter().map(|t| (t.to_string(), 1)).collect(),
        "each event once"
    );
    let ids: std::collections::HashSet<_> = received.iter().map(|d| d.id.clone()).collect();
    assert_eq!(ids.len(), 5, "each event has its own webhook-id");

    let submitted = received
        .iter()
        .find(|d| d.event_type() == "reply.submitted")
        .unwrap()
        .json();
    assert_eq!(submitted["data"]["revision"], 1);
    assert!(submitted["timestamp"].is_string());

    // Nothing more is due: a second pass sends nothing again.
    assert_eq!(
        drain(&app.webhook_worker(system_clock())).await.handled(),
        0
    );
    assert_eq!(receiver.received().len(), 5);

    let log = deliveries(&app, id, "").await;
    assert_eq!(log.len(), 5);
    for delivery in &log {
        assert_eq!(delivery["status"], "delivered", "{delivery}");
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["attempt_log"][0]["status_code"], 204);
        assert!(delivery["message_id"].as_str().unwrap().starts_with("evt_"));
    }
    let opened = deliveries(&app, id, "event_type=round.opened").await;
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0]["payload"]["type"], "round.opened");
}

async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let (id, secret) = register(&app, &receiver.url, &["round.opened"], "partner").await;
    receiver.fail_next(2);
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    app.post(&format!("/v1/rounds/{}/open", setup.round_id), &json!({}))
        .await
        .expect(200);

    let clock = now_clock();
    let worker = app.webhook_worker(clock.clone());
    assert_eq!(worker.run_once().await.unwrap().retried, 1);
    assert_eq!(
        worker.run_once().await.unwrap().handled(),
        0,
        "the retry waits for its backoff"
    );
    let queued = &deliveries(&app, id, "status=queued").await[0];
    assert_eq!(queued["last_status_code"], 500);
    app.post(
        &format!("/v1/webhooks/{id}/deliveries/{}/redeliver", queued["id"]),
        &json!({}),
    )
    .await
    .expect_problem(409);
    let first_retry: chrono::DateTime<chrono::Utc> =
        queued["next_attempt_at"].as_str().unwrap().parse().unwrap();
    assert!(first_retry >= clock.now() + Span::seconds(29));

    clock.advance(Span::seconds(31));
    assert_eq!(worker.run_once().await.unwrap().retried, 1);
    clock.advance(Span::seconds(30));
    assert_eq!(
        worker.run_once().await.unwrap().handled(),
        0,
        "the second retry waits twice as long"
    );
    clock.advance(Span::seconds(31));
    assert_eq!(worker.run_once().await.unwrap().delivered, 1);

    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert!(
        received.iter().all(|d| d.id == received[0].id),
        "one webhook-id for all tries"
    );
    assert!(received.iter().all(|d| d.is_signed_with(&secret)));
    let delivered = &deliveries(&app, id, "status=delivered").await[0];
    assert_eq!(delivered["attempts"], 3);
    let codes: Vec<&Value> = delivered["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status_code"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(204)]);
}

async fn an_endpoint_that_keeps_failing_is_marked_failed_and_can_be_redelivered(backend: Backend) {
    let app = spawn_app_with_attempts(backend, 2).await;
    let receiver = Receiver::start();
    let (id, _) = register(&app, &receiver.url, &["round.opened"], "partner").await;
    receiver.fail_next(2);
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    app.post(&format!("/v1/rounds/{}/open", setup.round_id), &json!({}))
        .await
        .expect(200);
    let clock = now_clock();
    let worker = app.webhook_worker(clock.clone());
    assert_eq!(worker.run_once().await.unwrap().retried, 1);
    clock.advance(Span::hours(2));
    assert_eq!(worker.run_once().await.unwrap().failed, 1);
    let failed = &deliveries(&app, id, "status=failed").await[0];
    assert_eq!(failed["attempts"], 2);
    assert!(failed["next_attempt_at"].is_null());

    let delivery_id = failed["id"].as_i64().unwrap();
    let queued = app
        .post(
            &format!("/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"),
            &json!({}),
        )
        .await
        .expect(202)
        .body;
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["attempt_log"].as_array().unwrap().len(), 2);
    clock.advance(Span::seconds(1));
    assert_eq!(worker.run_once().await.unwrap().delivered, 1);
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert_eq!(
        received[2].id, received[0].id,
        "a redelivery repeats the webhook-id"
    );
    app.post(
        &format!("/v1/webhooks/{id}/deliveries/999999/redeliver"),
        &json!({}),
    )
    .await
    .expect_problem(404);
}

async fn spawn_app_with_attempts(backend: Backend, attempts: u32) -> TestApp {
    crate::helpers::spawn_app_with(backend, |settings| {
        settings.webhook_max_attempts = attempts;
    })
    .await
}

async fn partner_payloads_carry_no_names_emails_or_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let partner = Receiver::start();
    let staff = Receiver::start();
    register(&app, &partner.url, &ALL_EVENTS, "partner").await;
    register(&app, &staff.url, &["mailing.failed"], "staff").await;
    let token = cause_every_event(&app).await;
    drain(&app.webhook_worker(system_clock())).await;

    let received = partner.received();
    assert_eq!(received.len(), 5);
    let participants = app.get("/v1/workshops?per_page=200").await.expect(200).body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_i64().unwrap())
        .collect::<Vec<_>>();
    let mut personal = vec![token, "refused.officer".to_owned()];
    for workshop in participants {
        for p in app
            .get(&format!("/v1/workshops/{workshop}/participants"))
            .await
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
        {
            personal.push(p["name"].as_str().unwrap().to_owned());
            personal.push(p["email"].as_str().unwrap().to_owned());
        }
    }
    for delivery in &received {
        for secret in &personal {
            assert!(
                !delivery.body.contains(secret.as_str()),
                "{secret} in {}",
                delivery.body
            );
        }
        assert!(!delivery.body.contains('@'), "{}", delivery.body);
    }
    let failed = received
        .iter()
        .find(|d| d.event_type() == "mailing.failed")
        .unwrap()
        .json();
    assert!(failed["data"].get("error").is_none(), "{failed}");
    assert!(failed["data"]["mailing_id"].is_i64());
    let for_staff = staff.received()[0].json();
    assert!(for_staff["data"]["error"].is_string(), "{for_staff}");
}

async fn admins_register_validated_endpoints_whose_secret_is_shown_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = "http://127.0.0.1:9/hooks";
    for (body, field) in [
        (
            json!({"url": "ftp://127.0.0.1/x", "event_types": ["round.opened"]}),
            "url",
        ),
        (
            json!({"url": "https://partner.example.org/x", "event_types": ["round.opened"]}),
            "url",
        ),
        (
            json!({"url": "http://user:pw@127.0.0.1/x", "event_types": ["round.opened"]}),
            "url",
        ),
        (
            json!({"url": "not a url", "event_types": ["round.opened"]}),
            "url",
        ),
        (json!({"url": url, "event_types": []}), "event_types"),
        (
            json!({"url": url, "event_types": ["round.opened", "round.opened"]}),
            "event_types[1]",
        ),
        (
            json!({"url": url, "event_types": ["round.opened"], "secret": "whsec_short"}),
            "secret",
        ),
        (
            json!({"url": url, "event_types": ["round.opened"], "description": "  "}),
            "description",
        ),
    ] {
        let fields = app.post("/v1/webhooks", &body).await.expect_problem(422);
        assert_eq!(fields, [field], "{body}");
    }
    app.post(
        "/v1/webhooks",
        &json!({"url": url, "event_types": ["reply.deleted"]}),
    )
    .await
    .expect_problem(422);

    let own = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let created = app
        .post(
            "/v1/webhooks",
            &json!({"url": url, "event_types": ["round.opened"], "secret": own, "description": "Partner dashboard"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(created["secret"], own);
    assert_eq!(created["audience"], "partner");
    assert_eq!(created["active"], true);
    let id = created["id"].as_i64().unwrap();
    let read = app.get(&format!("/v1/webhooks/{id}")).await.expect(200);
    assert!(read.body.get("secret").is_none());
    assert!(!read.text.contains(own));
    let listed = app.get("/v1/webhooks").await.expect(200);
    assert_eq!(listed.body["total"], 1);
    assert!(!listed.text.contains(own));
    let audit = app.get("/v1/audit-log?per_page=200").await.expect(200);
    assert!(
        !audit.text.contains(own),
        "the audit log never holds a secret"
    );

    let changed = app
        .put(
            &format!("/v1/webhooks/{id}"),
            &json!({"url": url, "event_types": ["round.closed"], "active": false}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(changed["event_types"], json!(["round.closed"]));
    assert_eq!(changed["active"], false);
    let fields = app
        .put(
            &format!("/v1/webhooks/{id}"),
            &json!({"url": url, "event_types": ["round.closed"], "secret": own}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, ["secret"]);

    let editor = app.key_for("editor").await;
    app.send(app.request_as(&editor, Method::GET, "/v1/webhooks"))
        .await
        .expect_problem(403);
    let partner = app.key_for("partner").await;
    app.send(
        app.request_as(&partner, Method::POST, "/v1/webhooks")
            .json(&json!({"url": url, "event_types": ["round.opened"]})),
    )
    .await
    .expect_problem(403);

    app.delete(&format!("/v1/webhooks/{id}")).await.expect(204);
    app.get(&format!("/v1/webhooks/{id}"))
        .await
        .expect_problem(404);
    app.get(&format!("/v1/webhooks/{id}/deliveries"))
        .await
        .expect_problem(404);
}

async fn inactive_endpoints_and_unsubscribed_events_get_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let (id, _) = register(&app, &receiver.url, &["round.closed"], "partner").await;
    let idle = Receiver::start();
    let (idle_id, _) = register(&app, &idle.url, &ALL_EVENTS, "partner").await;
    app.put(
        &format!("/v1/webhooks/{idle_id}"),
        &json!({"url": idle.url, "event_types": ALL_EVENTS, "active": false}),
    )
    .await
    .expect(200);
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    app.post(&format!("/v1/rounds/{}/open", setup.round_id), &json!({}))
        .await
        .expect(200);
    drain(&app.webhook_worker(system_clock())).await;
    assert!(
        receiver.received().is_empty(),
        "round.opened is not subscribed"
    );
    assert!(idle.received().is_empty());
    assert!(deliveries(&app, id, "").await.is_empty());
}

async fn internal_targets_are_refused_at_registration(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.webhook_allowed_hosts = Vec::new()
    })
    .await;
    for url in [
        "http://localhost./hooks",
        "http://127.0.0.1:9/hooks",
        "http://100.100.100.200/latest/meta-data",
        "http://198.18.0.1/hooks",
        "http://240.0.0.1/hooks",
        "http://[::7f00:1]/hooks",
        "http://[64:ff9b::a00:1]/hooks",
    ] {
        let fields = app
            .post(
                "/v1/webhooks",
                &json!({"url": url, "event_types": ["round.opened"]}),
            )
            .await
            .expect_problem(422);
        assert_eq!(fields, ["url"], "{url}");
    }
}

async fn a_name_resolving_to_loopback_reaches_nothing(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.webhook_allowed_hosts = Vec::new()
    })
    .await;
    let receiver = Receiver::start();
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    // A public-looking name, as 127.0.0.1.nip.io is, that DNS points at this machine.
    let url = format!("http://receiver.example:{port}/hooks/followup");
    let (id, _) = register(&app, &url, &["round.opened"], "partner").await;
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    app.post(&format!("/v1/rounds/{}/open", setup.round_id), &json!({}))
        .await
        .expect(200);
    let mut settings = WebhookSettings::from_settings(&app.settings).unwrap();
    settings.hosts = HashMap::from([(
        "receiver.example".to_owned(),
        vec!["127.0.0.1".parse().unwrap()],
    )]);
    let worker = WebhookWorker::new(app.db.clone(), now_clock(), settings).unwrap();
    assert_eq!(worker.run_once().await.unwrap().retried, 1);
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
    let attempt = &deliveries(&app, id, "").await[0]["attempt_log"][0];
    assert!(
        attempt["error"]
            .as_str()
            .unwrap()
            .contains("internal address"),
        "{attempt}"
    );
}

async fn an_endpoint_turned_partner_gets_the_partner_payload_on_retry(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let (id, _) = register(&app, &receiver.url, &["mailing.failed"], "staff").await;
    receiver.fail_next(1);
    cause_every_event(&app).await;
    let clock = now_clock();
    let worker = app.webhook_worker(clock.clone());
    assert_eq!(worker.run_once().await.unwrap().retried, 1);
    app.put(
        &format!("/v1/webhooks/{id}"),
        &json!({"url": receiver.url, "event_types": ["mailing.failed"], "audience": "partner"}),
    )
    .await
    .expect(200);
    clock.advance(Span::hours(2));
    assert_eq!(worker.run_once().await.unwrap().delivered, 1);
    let received = receiver.received();
    let sent = received.last().unwrap().json();
    assert!(
        sent["data"].get("error").is_none(),
        "staff fields after the change: {sent}"
    );
    assert!(sent["data"]["mailing_id"].is_i64());
}

/// Nothing is sent to a paused endpoint: its queued deliveries and their retries wait as
/// `paused` in its delivery list, their attempts as they were, and go out once it is active
/// again. An endpoint paused by hand in the database is found paused when its delivery is
/// claimed, and the delivery waits the same way.
async fn a_paused_endpoint_receives_nothing_until_it_is_active_again(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let (id, _) = register(&app, &receiver.url, &["round.opened"], "staff").await;
    receiver.fail_next(1);
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    app.post(&format!("/v1/rounds/{}/open", setup.round_id), &json!({}))
        .await
        .expect(200);
    let clock = now_clock();
    let worker = app.webhook_worker(clock.clone());
    assert_eq!(worker.run_once().await.unwrap().retried, 1);
    let paused = json!({"url": receiver.url, "event_types": ["round.opened"], "active": false});
    app.put(&format!("/v1/webhooks/{id}"), &paused)
        .await
        .expect(200);
    clock.advance(Span::hours(2));
    assert_eq!(worker.run_once().await.unwrap().handled(), 0);
    assert_eq!(
        receiver.received().len(),
        1,
        "only the failed first attempt"
    );
    let log = deliveries(&app, id, "status=paused").await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["attempts"], 1);

    let active = json!({"url": receiver.url, "event_types": ["round.opened"], "active": true});
    app.put(&format!("/v1/webhooks/{id}"), &active)
        .await
        .expect(200);
    assert_eq!(worker.run_once().await.unwrap().delivered, 1);
    assert_eq!(receiver.received().len(), 2);

    // Paused by hand while a delivery is queued: claimed, found paused, not sent.
    app.post(&format!("/v1/rounds/{}/close", setup.round_id), &json!({}))
        .await
        .expect(200);
    app.put(
        &format!("/v1/webhooks/{id}"),
        &json!({"url": receiver.url, "event_types": ["round.closed"]}),
    )
    .await
    .expect(200);
    let again = app.scheduled_round(2, "Origin workshop", &["TH"]).await;
    app.post(&format!("/v1/rounds/{}/open", again.round_id), &json!({}))
        .await
        .expect(200);
    app.post(&format!("/v1/rounds/{}/close", again.round_id), &json!({}))
        .await
        .expect(200);
    app.db
        .execute_unprepared("UPDATE webhooks SET active = false")
        .await
        .unwrap();
    assert_eq!(worker.run_once().await.unwrap().paused, 1);
    assert_eq!(receiver.received().len(), 2);
    let log = deliveries(&app, id, "status=paused").await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["attempts"], 0, "the claim's attempt given back");
}

on_both_databases!(
    internal_targets_are_refused_at_registration,
    a_name_resolving_to_loopback_reaches_nothing,
    an_endpoint_turned_partner_gets_the_partner_payload_on_retry,
    each_event_reaches_the_receiver_once_with_a_valid_signature,
    a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt,
    an_endpoint_that_keeps_failing_is_marked_failed_and_can_be_redelivered,
    partner_payloads_carry_no_names_emails_or_tokens,
    admins_register_validated_endpoints_whose_secret_is_shown_once,
    inactive_endpoints_and_unsubscribed_events_get_nothing,
    a_paused_endpoint_receives_nothing_until_it_is_active_again,
);
