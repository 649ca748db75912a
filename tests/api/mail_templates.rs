use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, clock_at, full_answers, spawn_app, system_clock};
use crate::smtp::SmtpServer;

async fn every_kind_has_a_shipped_template(backend: Backend) {
    let app = spawn_app(backend).await;
    let all = app.get("/v1/mail-templates").await.expect(200).body;
    let kinds: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "invitation",
            "reminder",
            "thank_you",
            "feedback",
            "escalation",
            "digest"
        ]
    );
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|t| t["customized"] == false)
    );
    app.get("/v1/mail-templates/postcard")
        .await
        .expect_problem(404);
}

async fn an_edited_template_is_used_and_can_be_reset(backend: Backend) {
    let app = spawn_app(backend).await;
    let edited = app
        .put(
            "/v1/mail-templates/invitation",
            &json!({
                "subject": "Your survey on {{ workshop_title }}",
                "text": "Hello {{ participant_name }}: {{ link }}",
                "html": "<p>Hello {{ participant_name }}: <a href=\"{{ link }}\">answer</a></p>"
            }),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(edited["customized"], true);
    app.scheduled_round(6, "AEO", &["MY"]).await;
    let clock = clock_at("2020-06-12T01:00:00Z");
    app.scheduler(&clock).tick().await.unwrap();
    let smtp = SmtpServer::start();
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    assert_eq!(smtp.received()[0].subject(), "Your survey on AEO");

    let reset = app
        .post("/v1/mail-templates/invitation/reset", &json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(reset["customized"], false);
    assert!(
        reset["subject"]
            .as_str()
            .unwrap()
            .starts_with("Follow-up survey")
    );
    let log = app
        .get("/v1/audit-log?entity_type=mail_template")
        .await
        .expect(200)
        .body;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["reset", "update"]);
}

async fn a_template_that_does_not_render_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let base = json!({"subject": "S", "text": "T", "html": "H"});
    let mut broken = base.clone();
    broken["html"] = json!("<p>{{ link </p>");
    assert_eq!(
        app.put("/v1/mail-templates/reminder", &broken)
            .await
            .expect_problem(422),
        ["html"]
    );
    let mut unknown = base.clone();
    unknown["text"] = json!("{{ no_such_variable }}");
    assert_eq!(
        app.put("/v1/mail-templates/reminder", &unknown)
            .await
            .expect_problem(422),
        ["text"]
    );
    let mut two_lines = base.clone();
    two_lines["subject"] = json!("one{{ '\\n' }}two");
    assert_eq!(
        app.put("/v1/mail-templates/reminder", &two_lines)
            .await
            .expect_problem(422),
        ["subject"]
    );
    let template = app
        .get("/v1/mail-templates/reminder")
        .await
        .expect(200)
        .body;
    assert_eq!(template["customized"], false, "nothing was saved");
}

async fn a_preview_renders_sample_data_with_participant_text_escaped(backend: Backend) {
    let app = spawn_app(backend).await;
    let preview = app
        .post("/v1/mail-templates/thank_you/preview", &json!({}))
        .await
        .expect(200)
        .body;
    assert!(
        preview["html"]
            .as_str()
            .unwrap()
            .contains("&lt;Faster audits&gt;")
    );
    assert!(
        preview["text"]
            .as_str()
            .unwrap()
            .contains("<Faster audits>")
    );
    let unsaved = app
        .post(
            "/v1/mail-templates/reminder/preview",
            &json!({"subject": "{{ days_left }} days to go"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(unsaved["subject"], "7 days to go");
    let fields = app
        .post(
            "/v1/mail-templates/reminder/preview",
            &json!({"subject": "{% if %}"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields, ["subject"]);
}

async fn staff_filter_the_outbox_and_resend_a_mail(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG"]).await;
    let clock = clock_at("2020-06-12T01:00:00Z");
    app.scheduler(&clock).tick().await.unwrap();
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &full_answers()).await.expect(200);
    let smtp = SmtpServer::start();
    let worker = app.worker(&smtp.url(), system_clock());
    worker.run_once().await.unwrap();

    assert_eq!(
        app.mailings(&format!("round_id={}", setup.round_id))
            .await
            .len(),
        3
    );
    assert_eq!(app.mailings("kind=thank_you").await.len(), 1);
    assert_eq!(app.mailings("status=sent&recipient=.SG.").await.len(), 1);
    assert_eq!(
        app.mailings(&format!("invitation_id={}", setup.invitation_of("SG")))
            .await
            .len(),
        1
    );
    let fields = app
        .get("/v1/mailings?status=lost")
        .await
        .expect_problem(400);
    assert_eq!(fields, ["status"]);

    let mail = &app.mailings("kind=invitation&recipient=.sg.").await[0];
    let id = mail["id"].as_i64().unwrap();
    let resent = app
        .post(&format!("/v1/mailings/{id}/resend"), &json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(resent["status"], "queued");
    app.post(&format!("/v1/mailings/{id}/resend"), &json!({}))
        .await
        .expect_problem(409);
    // The worker's pooled SMTP connection may have gone stale since the first send: that
    // attempt fails as transient and the mail is retried after its backoff (at least once,
    // never lost), so the clock moves past the backoff between passes.
    let clock = clock_at(&chrono::Utc::now().to_rfc3339());
    let resender = app.worker(&smtp.url(), clock.clone());
    let copies_of = |smtp: &SmtpServer| -> Vec<_> {
        smtp.received()
            .into_iter()
            .filter(|m| m.message_id() == mail["message_id"].as_str().unwrap())
            .collect()
    };
    for _ in 0..3 {
        resender.run_once().await.unwrap();
        if copies_of(&smtp).len() >= 2 {
            break;
        }
        clock.advance(chrono::Duration::hours(2));
    }
    let copies = copies_of(&smtp);
    assert_eq!(copies.len(), 2, "the same message again");
    let log = app
        .get(&format!("/v1/audit-log?entity_type=mailing&entity_id={id}"))
        .await
        .body;
    assert_eq!(log["items"][0]["action"], "resend");

    let viewer = app.key_for("viewer").await;
    app.send(app.request_as(&viewer, Method::POST, &format!("/v1/mailings/{id}/resend")))
        .await
        .expect_problem(403);
    let partner = app.key_for("partner").await;
    app.send(app.request_as(&partner, Method::GET, "/v1/mailings"))
        .await
        .expect_problem(403);
}

/// The resident memory of this process (the service runs in it), in KiB.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap()
}

async fn a_template_that_would_exhaust_memory_is_refused_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = resident_kib();
    let started = std::time::Instant::now();
    let greedy = json!({"text": "{% for i in range(100000) %}{{ \"x\" * 100000000 }}{% endfor %}"});
    let fields = app
        .post("/v1/mail-templates/invitation/preview", &greedy)
        .await
        .expect_problem(422);
    assert_eq!(fields, ["text"]);
    let spinning = json!({"text": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"});
    app.post("/v1/mail-templates/invitation/preview", &spinning)
        .await
        .expect_problem(422);
    let mut saved = json!({"subject": "Invitation", "html": "<p>{{ link }}</p>"});
    saved["text"] = greedy["text"].clone();
    app.put("/v1/mail-templates/invitation", &saved)
        .await
        .expect_problem(422);
    let took = started.elapsed();
    let grew_mib = resident_kib().saturating_sub(before) / 1024;
    eprintln!("three refusals in {took:?}; resident memory grew {grew_mib} MiB");
    assert!(grew_mib < 64, "resident memory grew {grew_mib} MiB");
    app.get("/healthz").await.expect(200);
}

async fn previews_need_the_editor_role(backend: Backend) {
    let app = spawn_app(backend).await;
    let viewer = app.key_for("viewer").await;
    app.send(
        app.request_as(
            &viewer,
            reqwest::Method::POST,
            "/v1/mail-templates/invitation/preview",
        )
        .json(&json!({})),
    )
    .await
    .expect_problem(403);
    let editor = app.key_for("editor").await;
    app.send(
        app.request_as(
            &editor,
            reqwest::Method::POST,
            "/v1/mail-templates/invitation/preview",
        )
        .json(&json!({})),
    )
    .await
    .expect(200);
}

on_both_databases!(
    a_template_that_would_exhaust_memory_is_refused_at_once,
    previews_need_the_editor_role,
    every_kind_has_a_shipped_template,
    an_edited_template_is_used_and_can_be_reset,
    a_template_that_does_not_render_is_refused,
    a_preview_renders_sample_data_with_participant_text_escaped,
    staff_filter_the_outbox_and_resend_a_mail,
);
