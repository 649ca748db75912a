//! Chasing missing replies: the administrations' contact points (personal data: audited,
//! erasable, never shown to partners), the follow-up list of a round (JSON, CSV, `.xlsx`)
//! with its suggested next steps, and the contact attempts staff record.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, clock_at, full_answers, spawn_app, system_clock};
use crate::smtp::{Mode, SmtpServer};

const POINTS: &str = "/v1/administrations/MY/contact-points";

async fn add_contact_point(app: &TestApp, email: &str) -> Value {
    app.post(
        POINTS,
        &json!({"name": "Nurul Huda", "email": email, "role": "capacity_building"}),
    )
    .await
    .expect(201)
    .body
}

async fn contact_points_are_kept_audited_and_erasable(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = add_contact_point(&app, "Nurul.Huda@Customs.MY.example.org").await;
    assert_eq!(created["email"], "nurul.huda@customs.my.example.org");
    assert_eq!(created["active"], true);
    let path = format!("{POINTS}/{}", created["id"]);
    let problems = app
        .post(
            POINTS,
            &json!({"name": "", "email": "nobody", "role": "other"}),
        )
        .await
        .expect_problem(422);
    assert!(problems.contains(&"name".to_owned()) && problems.contains(&"email".to_owned()));
    app.get("/v1/administrations/ZZ/contact-points")
        .await
        .expect(404);
    let replaced = app
        .put(
            &path,
            &json!({"name": "Nurul Huda", "email": "nurul.huda@customs.my.example.org",
                    "role": "training_unit", "active": false}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (replaced["role"].as_str(), replaced["active"].as_bool()),
        (Some("training_unit"), Some(false))
    );
    assert_eq!(app.get(POINTS).await.expect(200).body["total"], 1);

    // Partners never see them.
    let partner = app.key_for("partner").await;
    app.send(app.request_as(&partner, Method::GET, POINTS))
        .await
        .expect(403);

    // Erased: the record stays, inactive, and the audit log no longer holds the address.
    let erased = app
        .post(&format!("{path}/erase"), &json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(erased["name"], "Erased contact point");
    assert_eq!(erased["email"], "");
    assert!(erased["erased_at"].is_string());
    let audit = app
        .get("/v1/audit-log?entity_type=contact_point&per_page=100")
        .await
        .expect(200)
        .body;
    assert!(audit["total"].as_u64().unwrap() >= 3, "{audit}");
    assert!(!audit.to_string().contains("nurul.huda"), "{audit}");
    app.delete(&path).await.expect(204);
    app.get(&path).await.expect_problem(404);
}

async fn the_follow_up_list_suggests_the_next_step_for_each_missing_reply(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG", "TO"]).await;
    add_contact_point(&app, "contact.point@customs.my.example.org").await;
    app.scheduler(&clock_at("2020-06-12T01:00:00Z"))
        .tick()
        .await
        .unwrap();
    // Malaysia's address is refused at send: undeliverable.
    let smtp = SmtpServer::start();
    smtp.set_mode(Mode::PermanentFor("customs.my."));
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    // Singapore replies.
    let token = app.link(setup.invitation_of("SG")).await;
    app.respond(&token, &full_answers()).await.expect(200);

    let path = format!("/v1/rounds/{}/follow-up", setup.round_id);
    let list = app.get(&path).await.expect(200).body;
    let items = list["items"].as_array().unwrap();
    let of = |items: &[Value], code: &str| {
        items
            .iter()
            .find(|i| i["administration"] == code)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(items.len(), 2, "{list}");
    assert!(of(items, "SG").is_null());
    let my = of(items, "MY");
    assert_eq!(my["delivery"]["state"], "undeliverable");
    assert_eq!(my["next_step"], "ask_contact_point");
    assert_eq!(
        my["contact_points"][0]["email"],
        "contact.point@customs.my.example.org"
    );
    assert_eq!(my["workshop"], "AEO");
    let to = of(items, "TO");
    assert_eq!(to["next_step"], "phone_or_write_personally");
    assert!(to["days_after_due"].as_i64().unwrap() > 365);
    assert!(to["contact_points"].as_array().unwrap().is_empty());

    // A contact attempt: Tonga's officer left; with no contact point on record, find the
    // current officer.
    let attempts = format!(
        "/v1/invitations/{}/contact-attempts",
        setup.invitation_of("TO")
    );
    let recorded = app
        .post(
            &attempts,
            &json!({"channel": "phone", "outcome": "left_administration", "note": "Moved to the Ministry of Finance"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(recorded["outcome"], "left_administration");
    let problems = app
        .post(
            &attempts,
            &json!({"channel": "phone", "outcome": "no_answer", "attempted_at": "2999-01-01T00:00:00Z"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(problems, vec!["attempted_at".to_owned()]);
    app.post(
        &attempts,
        &json!({"channel": "fax", "outcome": "no_answer"}),
    )
    .await
    .expect_problem(422);
    assert_eq!(
        app.get(&attempts).await.expect(200).body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let list = app.get(&path).await.expect(200).body;
    let to = of(list["items"].as_array().unwrap(), "TO");
    assert_eq!(to["next_step"], "find_current_officer");
    assert_eq!(to["last_attempt"]["channel"], "phone");

    // As CSV and as a workbook.
    let (media, csv) = app.get_bytes(&format!("{path}?format=csv")).await;
    assert!(media.starts_with("text/csv"), "{media}");
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("invitation_id,workshop,administration,officer,email"));
    assert!(
        csv.contains("ask_contact_point") && csv.contains("find_current_officer"),
        "{csv}"
    );
    let (media, xlsx) = app.get_bytes(&format!("{path}?format=xlsx")).await;
    assert!(media.contains("spreadsheetml"), "{media}");
    assert!(xlsx.starts_with(b"PK"));

    // Not for partners; not for an unknown round.
    let partner = app.key_for("partner").await;
    app.send(app.request_as(&partner, Method::GET, &path))
        .await
        .expect(403);
    app.get("/v1/rounds/999999/follow-up")
        .await
        .expect_problem(404);
}

/// The mails the worker wrote as `.eml` files to `address`, as text.
fn written_to(dir: &std::path::Path, address: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let to = message
            .to()
            .and_then(|to| to.first())
            .and_then(|a| a.address());
        if to == Some(address) {
            let subject = message.subject().unwrap_or_default().to_owned();
            let text = message.body_text(0).unwrap_or_default().into_owned();
            let html = message.body_html(0).unwrap_or_default().into_owned();
            found.push(format!("{subject}\n{text}\n{html}"));
        }
    }
    found
}

async fn an_escalation_names_the_missing_officers_to_the_contact_points(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG", "TO"]).await;
    let path = format!("/v1/rounds/{}/escalations", setup.round_id);
    // Not before the round is under way.
    app.post(&path, &json!({})).await.expect_problem(409);
    app.scheduler(&clock_at("2020-06-12T01:00:00Z"))
        .tick()
        .await
        .unwrap();
    add_contact_point(&app, "contact.point@customs.my.example.org").await;
    app.post(
        POINTS,
        &json!({"name": "Former Contact", "email": "former@customs.my.example.org",
                "role": "training_unit", "active": false}),
    )
    .await
    .expect(201);
    app.post(
        "/v1/administrations/SG/contact-points",
        &json!({"name": "Tan Mei", "email": "tan.mei@customs.sg.example.org", "role": "other"}),
    )
    .await
    .expect(201);
    let token = app.link(setup.invitation_of("SG")).await;
    app.respond(&token, &full_answers()).await.expect(200);

    let done = app.post(&path, &json!({})).await.expect(200).body;
    assert_eq!(
        done,
        json!({"queued": 1, "administrations": ["MY"], "without_contact_point": ["TO"],
               "already_escalated": []})
    );
    let again = app
        .send(app.request_as(&app.admin_key, Method::POST, &path))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (again["queued"].as_u64(), &again["already_escalated"]),
        (Some(0), &json!(["MY"]))
    );
    let repeated = app
        .post(&path, &json!({"repeat": true}))
        .await
        .expect(200)
        .body;
    assert_eq!(repeated["queued"], 1);

    // Written as the embedded default writes mail: the officer named, never a link.
    let dir = tempfile::tempdir().unwrap();
    let transport = followup::mail::transport::Transport::new(
        None,
        dir.path(),
        std::time::Duration::from_secs(5),
        1,
    )
    .unwrap();
    app.worker_with(transport, system_clock())
        .run_once()
        .await
        .unwrap();
    let mails = written_to(dir.path(), "contact.point@customs.my.example.org");
    assert_eq!(mails.len(), 2, "{mails:?}");
    for mail in &mails {
        assert!(
            mail.starts_with("Officers of Malaysia yet to reply: Survey 2020"),
            "{mail}"
        );
        assert!(mail.contains("Dear Nurul Huda"), "{mail}");
        assert!(mail.contains("Officer of MY (AEO)"), "{mail}");
        assert!(
            !mail.contains("/respond/") && !mail.contains("Officer of SG"),
            "{mail}"
        );
    }
    assert!(written_to(dir.path(), "former@customs.my.example.org").is_empty());
    let audit = app
        .get("/v1/audit-log?entity_type=round")
        .await
        .expect(200)
        .body;
    let escalations = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "escalate")
        .count();
    assert_eq!(escalations, 3);
}

/// The weekly digest: from 09:00 on the set weekday in the office's zone, once a week per
/// open round and recipient, however many instances tick.
async fn the_weekly_digest_goes_out_once_a_week(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, |settings| {
        settings.digest_recipients = vec![
            "office@rocb.example.org".into(),
            "head@rocb.example.org".into(),
        ];
        settings.digest_weekday = "monday".into();
        settings.office_time_zone = "Asia/Bangkok".into();
    })
    .await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG", "TO"]).await;
    // Friday: the round opens, no digest.
    let friday = clock_at("2020-06-12T01:00:00Z");
    assert_eq!(app.scheduler(&friday).tick().await.unwrap().digests, 0);
    let smtp = SmtpServer::start();
    smtp.set_mode(Mode::PermanentFor("customs.my."));
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    let token = app.link(setup.invitation_of("SG")).await;
    app.respond(&token, &full_answers()).await.expect(200);

    // Monday 08:00 in Bangkok: not yet. 09:30: one per recipient, even with two instances.
    let early = clock_at("2020-06-15T01:00:00Z");
    assert_eq!(app.scheduler(&early).tick().await.unwrap().digests, 0);
    let monday = clock_at("2020-06-15T02:30:00Z");
    let (one, two) = (app.scheduler(&monday), app.scheduler(&monday));
    let (a, b) = tokio::join!(one.tick(), two.tick());
    assert_eq!(a.unwrap().digests + b.unwrap().digests, 2);
    assert_eq!(one.tick().await.unwrap().digests, 0, "once a week");
    let next = clock_at("2020-06-22T03:00:00Z");
    assert_eq!(app.scheduler(&next).tick().await.unwrap().digests, 2);

    let dir = tempfile::tempdir().unwrap();
    let transport = followup::mail::transport::Transport::new(
        None,
        dir.path(),
        std::time::Duration::from_secs(5),
        1,
    )
    .unwrap();
    app.worker_with(transport, system_clock())
        .run_once()
        .await
        .unwrap();
    let digests = written_to(dir.path(), "office@rocb.example.org");
    assert_eq!(digests.len(), 2, "{digests:?}");
    let first = digests
        .iter()
        .find(|d| d.contains("1 reply came in"))
        .unwrap_or_else(|| panic!("{digests:?}"));
    assert!(
        first.starts_with("This week's replies: Survey 2020"),
        "{first}"
    );
    assert!(
        first.contains("In all, 1 of 3 invitations have a reply."),
        "{first}"
    );
    assert!(first.contains("- AEO: 2 of 3"), "{first}");
    assert!(
        first.contains("Mail does not reach 1 officer without a reply"),
        "{first}"
    );
    assert!(!first.contains("/respond/"), "{first}");
    assert_eq!(written_to(dir.path(), "head@rocb.example.org").len(), 2);
}

/// Each reply records the contact that preceded it; the report counts replies by it and
/// draws the reply curve with the reminders marked.
async fn a_reply_records_the_contact_that_preceded_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "SG", "TO"]).await;
    app.scheduler(&clock_at("2020-06-12T01:00:00Z"))
        .tick()
        .await
        .unwrap();
    let smtp = SmtpServer::start();
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    // Malaysia answers after the invitation alone.
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &full_answers()).await.expect(200);
    // Singapore after a reminder; Tonga after a phone call.
    app.scheduler(&clock_at("2020-06-26T03:00:00Z"))
        .tick()
        .await
        .unwrap();
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    let token = app.link(setup.invitation_of("SG")).await;
    app.respond(&token, &full_answers()).await.expect(200);
    app.post(
        &format!(
            "/v1/invitations/{}/contact-attempts",
            setup.invitation_of("TO")
        ),
        &json!({"channel": "phone", "outcome": "promised"}),
    )
    .await
    .expect(201);
    let token = app.link(setup.invitation_of("TO")).await;
    app.respond(&token, &full_answers()).await.expect(200);

    let worked = app
        .get(&format!(
            "/v1/rounds/{}/analytics/what-worked",
            setup.round_id
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(
        worked["by_contact"],
        json!([
            {"contact": "invitation", "replies": 1},
            {"contact": "reminder_1", "replies": 1},
            {"contact": "contact_attempt", "replies": 1}
        ]),
        "{worked}"
    );
    assert_eq!(
        worked["curve"].as_array().unwrap().last().unwrap()["cumulative"],
        3
    );
    assert_eq!(worked["reminder_days"].as_array().unwrap().len(), 1);
    let html = app
        .get_bytes(&format!("/v1/rounds/{}/report?format=html", setup.round_id))
        .await
        .1;
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("What brought replies"),
        "the report's section"
    );
    assert!(
        html.contains("<td>Reminder 1</td>")
            && html.contains("<td>A contact attempt by staff</td>")
    );
    assert!(html.contains("Replies by day, with the days reminders went out"));
}

on_both_databases!(
    a_reply_records_the_contact_that_preceded_it,
    the_weekly_digest_goes_out_once_a_week,
    an_escalation_names_the_missing_officers_to_the_contact_points,
    contact_points_are_kept_audited_and_erasable,
    the_follow_up_list_suggests_the_next_step_for_each_missing_reply,
);
