//! Privacy: a participant's data exported and erased (and deleted only when never invited),
//! each officer's own data after a hand-over, mail bodies purged after the retention time.

use chrono::Duration as Span;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, clock_at, full_answers, spawn_app, system_clock, workshop_body,
};
use crate::smtp::SmtpServer;
use followup::mail::transport::Transport;

/// A round whose Malaysian officer replied and got their thank-you; returns the round,
/// the workshop, the participant, their token, name and email.
struct Replied {
    round_id: i64,
    workshop_id: i64,
    participant_id: i64,
    token: String,
    name: String,
    email: String,
}

async fn replied(app: &TestApp) -> Replied {
    let setup = app.scheduled_round(1, "AEO workshop", &["MY", "HK"]).await;
    app.open_today(&setup).await;
    let token = app.link(setup.invitation_of("MY")).await;
    app.respond(&token, &full_answers()).await.expect(200);
    let smtp = SmtpServer::start();
    let worker = app.worker(&smtp.url(), system_clock());
    while worker.run_once().await.unwrap().sent > 0 {}
    let participant = app
        .get(&format!(
            "/v1/workshops/{}/participants?administration=MY",
            setup.workshop_id
        ))
        .await
        .expect(200)
        .body["items"][0]
        .clone();
    Replied {
        round_id: setup.round_id,
        workshop_id: setup.workshop_id,
        participant_id: participant["id"].as_i64().unwrap(),
        token,
        name: participant["name"].as_str().unwrap().to_owned(),
        email: participant["email"].as_str().unwrap().to_owned(),
    }
}

fn participant_path(r: &Replied) -> String {
    format!(
        "/v1/workshops/{}/participants/{}",
        r.workshop_id, r.participant_id
    )
}

async fn an_export_holds_everything_about_the_participant(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = replied(&app).await;
    let export = app
        .get(&format!("{}/personal-data", participant_path(&r)))
        .await
        .expect(200)
        .body;
    assert_eq!(export["participant"]["email"], r.email.as_str());
    assert_eq!(export["participant"]["name"], r.name.as_str());
    let invitations = export["invitations"].as_array().unwrap();
    assert_eq!(invitations.len(), 1);
    assert_eq!(invitations[0]["status"], "replied");
    assert_eq!(invitations[0]["link_active"], true);
    let replies = export["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(
        replies[0]["revisions"][0]["answers"]["direct_effects"]["yes"],
        true
    );
    let kinds: Vec<&Value> = export["mailings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["kind"])
        .collect();
    assert!(kinds.contains(&&json!("thank_you")), "{kinds:?}");
    assert!(
        export["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "create" && a["entity_type"] == "participant")
    );
    assert!(
        invitations[0].get("token").is_none() && invitations[0].get("token_hash").is_none(),
        "links are shown as active or not, never as tokens"
    );
    assert!(
        !export.to_string().contains(&r.token),
        "the token is stored nowhere, not even in the mail sent"
    );

    let editor = app.key_for("editor").await;
    app.send(app.request_as(
        &editor,
        Method::GET,
        &format!("{}/personal-data", participant_path(&r)),
    ))
    .await
    .expect_problem(403);
}

async fn erasure_removes_name_and_email_everywhere_and_keeps_the_reply(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = replied(&app).await;
    let erased = app
        .post(&format!("{}/erase", participant_path(&r)), &json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(erased["name"], "Erased participant");
    assert!(
        erased["email"]
            .as_str()
            .unwrap()
            .ends_with("@erased.invalid")
    );
    assert!(erased["erased_at"].is_string());
    assert!(erased["position"].is_null());

    app.response_page(&r.token).await.expect_problem(404);
    let replies = app
        .get(&format!("/v1/rounds/{}/replies", r.round_id))
        .await
        .expect(200)
        .body;
    assert_eq!(replies["total"], 1, "the reply stays");
    assert_eq!(replies["items"][0]["administration"], "MY");

    for path in [
        "/v1/mailings?per_page=200".to_owned(),
        "/v1/audit-log?per_page=200".to_owned(),
        format!("/v1/rounds/{}/invitations?per_page=200", r.round_id),
        format!("/v1/rounds/{}/replies/export", r.round_id),
        format!("{}/personal-data", participant_path(&r)),
    ] {
        let text = app.get(&path).await.expect(200).text;
        assert!(!text.contains(&r.email), "{} in {path}", r.email);
        assert!(!text.contains(&r.name), "{} in {path}", r.name);
    }
    let mail = &app.mailings("kind=thank_you").await[0];
    let detail = app
        .get(&format!("/v1/mailings/{}", mail["id"]))
        .await
        .expect(200)
        .body;
    assert_eq!(detail["body_text"], "");
    let audit = app.get("/v1/audit-log?per_page=200").await.expect(200).body;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "erase" && a["entity_type"] == "participant")
    );
    // Nobody is written to at the erased address, and no new link is issued for them.
    let invitation = app
        .get(&format!(
            "/v1/rounds/{}/invitations?administration=MY",
            r.round_id
        ))
        .await
        .expect(200)
        .body["items"][0]["id"]
        .clone();
    app.post(&format!("/v1/invitations/{invitation}/resend"), &json!({}))
        .await
        .expect_problem(409);
    // Hong Kong's officer is untouched.
    let others = app
        .get(&format!(
            "/v1/workshops/{}/participants?administration=HK",
            r.workshop_id
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(others["items"][0]["name"], "Officer of HK");

    let editor = app.key_for("editor").await;
    app.send(app.request_as(
        &editor,
        Method::POST,
        &format!("{}/erase", participant_path(&r)),
    ))
    .await
    .expect_problem(403);
}

async fn sent_mail_bodies_are_purged_after_the_retention_time(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, |s| s.mail_retention_days = 30).await;
    let r = replied(&app).await;
    app.post(&format!("/v1/rounds/{}/close", r.round_id), &json!({}))
        .await
        .expect(200);
    let closed_at: chrono::DateTime<chrono::Utc> = app
        .get(&format!("/v1/rounds/{}", r.round_id))
        .await
        .expect(200)
        .body["closed_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let sent = app.mailings("status=sent").await;
    assert!(!sent.is_empty());

    let early = clock_at(&(closed_at + Span::days(29)).to_rfc3339());
    assert_eq!(
        app.scheduler(&early)
            .tick()
            .await
            .unwrap()
            .mail_bodies_purged,
        0
    );
    let late = clock_at(&(closed_at + Span::days(31)).to_rfc3339());
    let purged = app
        .scheduler(&late)
        .tick()
        .await
        .unwrap()
        .mail_bodies_purged;
    assert_eq!(purged as usize, sent.len());
    for mail in &sent {
        let detail = app
            .get(&format!("/v1/mailings/{}", mail["id"]))
            .await
            .expect(200)
            .body;
        assert_eq!(detail["body_text"], "", "{detail}");
        assert_eq!(detail["status"], "sent", "the record of sending stays");
    }
    assert_eq!(
        app.scheduler(&late)
            .tick()
            .await
            .unwrap()
            .mail_bodies_purged,
        0
    );
}

/// Mail written to files (no SMTP server configured): retention removes the files with
/// the bodies, since they hold the same names, answers and links.
async fn retention_removes_the_mail_files_too(backend: Backend) {
    let data = tempfile::tempdir().unwrap();
    let folder = data.path().to_owned();
    let app = crate::helpers::spawn_app_with(backend, move |s| {
        s.mail_retention_days = 30;
        s.data_dir = folder;
    })
    .await;
    let setup = app.scheduled_round(1, "AEO workshop", &["MY", "HK"]).await;
    app.open_today(&setup).await;
    // Tomorrow, when each invitation's nine o'clock has passed wherever it is.
    let tomorrow = chrono::Utc::now() + Span::days(1);
    app.scheduler(&clock_at(&tomorrow.to_rfc3339()))
        .tick()
        .await
        .unwrap();
    let mail_dir = app.mail.files.clone().expect("mail written to files");
    let transport = Transport::new(None, &mail_dir, std::time::Duration::from_secs(5), 1).unwrap();
    let worker = app.worker_with(transport, system_clock());
    assert_eq!(worker.run_once().await.unwrap().sent, 2);
    let files = || std::fs::read_dir(&mail_dir).unwrap().count();
    assert_eq!(files(), 2);
    app.post(&format!("/v1/rounds/{}/close", setup.round_id), &json!({}))
        .await
        .expect(200);
    let later = chrono::Utc::now() + Span::days(31);
    let purged = app
        .scheduler(&clock_at(&later.to_rfc3339()))
        .tick()
        .await
        .unwrap()
        .mail_bodies_purged;
    assert_eq!(purged, 2);
    assert_eq!(files(), 0, "the files went with the bodies");
}

/// An officer erased after the file transport's worker claimed their mail, before it
/// wrote the file: the worker finds the mail withdrawn and writes nothing, so once the
/// erasure returned no file under the mail folder holds the officer. (The worker writes a
/// file under the mail's row lock, so an erasure that comes while it writes waits for the
/// file, and removes it.)
async fn a_mail_claimed_before_its_officer_is_erased_is_never_written(backend: Backend) {
    let data = tempfile::tempdir().unwrap();
    let folder = data.path().to_owned();
    let app = crate::helpers::spawn_app_with(backend, move |s| s.data_dir = folder).await;
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    app.open_today(&setup).await;
    let tomorrow = chrono::Utc::now() + Span::days(1);
    app.scheduler(&clock_at(&tomorrow.to_rfc3339()))
        .tick()
        .await
        .unwrap();
    let email = app.mailings("kind=invitation").await[0]["recipient"]
        .as_str()
        .unwrap()
        .to_owned();
    let mail_dir = app.mail.files.clone().expect("mail written to files");
    let transport = Transport::new(None, &mail_dir, std::time::Duration::from_secs(5), 1).unwrap();
    let worker = app.worker_with(transport, system_clock());
    let claimed = followup::mail::outbox::claim(&app.db, chrono::Utc::now(), Span::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);

    let participant = app
        .get(&format!(
            "/v1/workshops/{}/participants?administration=MY",
            setup.workshop_id
        ))
        .await
        .body["items"][0]["id"]
        .clone();
    let path = format!(
        "/v1/workshops/{}/participants/{participant}/erase",
        setup.workshop_id
    );
    app.post(&path, &json!({})).await.expect(200);
    let outcome = worker
        .deliver(claimed.into_iter().next().unwrap())
        .await
        .unwrap();
    assert_eq!(outcome, followup::jobs::worker::Outcome::Withdrawn);
    let holding: Vec<_> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| std::fs::read_to_string(path).is_ok_and(|text| text.contains(&email)))
        .collect();
    assert!(holding.is_empty(), "{holding:?} hold {email}");
}

async fn deleting_an_invited_participant_is_refused_and_points_to_erasure(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = replied(&app).await;
    let problem = app.delete(&participant_path(&r)).await;
    assert!(problem.text.contains("erase"), "{}", problem.text);
    problem.expect_problem(409);
    app.response_page(&r.token).await.expect(200);
    let export = app
        .get(&format!("{}/personal-data", participant_path(&r)))
        .await
        .expect(200)
        .body;
    assert_eq!(
        export["participant"]["email"],
        r.email.as_str(),
        "nothing went"
    );
    app.post(&format!("{}/erase", participant_path(&r)), &json!({}))
        .await
        .expect(200);
    app.response_page(&r.token).await.expect_problem(404);
}

async fn deleting_an_uninvited_participant_leaves_nothing_of_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let workshop = app
        .create_workshop(&workshop_body(
            "Risk management",
            "2019-11-04",
            "2019-11-06",
        ))
        .await["id"]
        .clone();
    let (name, email) = ("Perpetua Lindqvist", "p.lindqvist@customs.my.example.org");
    let created = app
        .post(
            &format!("/v1/workshops/{workshop}/participants"),
            &json!({"name": name, "email": email, "administration": "MY"}),
        )
        .await
        .expect(201);
    let path = format!(
        "/v1/workshops/{workshop}/participants/{}",
        created.body["id"]
    );
    let etag = app.get(&path).await.expect(200).headers["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    app.send(
        app.request_as(&app.admin_key, Method::PUT, &path)
            .header("If-Match", etag)
            .json(
                &json!({"name": name, "email": email, "administration": "MY",
                "position": "Head of risk"}),
            ),
    )
    .await
    .expect(200);
    app.delete(&path).await.expect(204);
    let audit = app.get("/v1/audit-log?per_page=200").await.expect(200);
    for secret in [name, email, "Head of risk"] {
        assert!(!audit.text.contains(secret), "{secret} in {}", audit.text);
    }
    assert!(
        audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "delete" && a["entity_type"] == "participant"),
        "the deletion itself is recorded"
    );
}

/// Revisions and mail belong to the officer who sent or received them: after a hand-over
/// each officer's export shows their own, and erasing one leaves the other's alone.
async fn after_a_hand_over_each_officer_holds_only_their_own_data(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["TO"]).await;
    app.open_today(&setup).await;
    let id = setup.invitation_of("TO");
    let old_token = app.link(id).await;
    app.respond(&old_token, &json!({"new_projects": {"yes": true}}))
        .await
        .expect(200);
    let smtp = SmtpServer::start();
    let worker = app.worker(&smtp.url(), system_clock());
    while worker.run_once().await.unwrap().sent > 0 {}
    let predecessor = app
        .get(&format!(
            "/v1/workshops/{}/participants?administration=TO",
            setup.workshop_id
        ))
        .await
        .expect(200)
        .body["items"][0]
        .clone();
    let old_email = predecessor["email"].as_str().unwrap().to_owned();
    let new_email = "sione.tupou@customs.to.example.org";
    let handed = app
        .post(
            &format!("/v1/invitations/{id}/hand-over"),
            &json!({"name": "Sione Tupou", "email": new_email}),
        )
        .await
        .expect(200)
        .body;
    let new_token = handed["token"].as_str().unwrap();
    app.respond(new_token, &json!({"new_projects": {"yes": false}}))
        .await
        .expect(200);
    app.post(&format!("/v1/invitations/{id}/resend"), &json!({}))
        .await
        .expect(201);
    while worker.run_once().await.unwrap().sent > 0 {}
    let successor = handed["invitation"]["participant"]["id"].clone();
    let export_of = |participant: &Value| {
        format!(
            "/v1/workshops/{}/participants/{participant}/personal-data",
            setup.workshop_id
        )
    };
    let theirs = app.get(&export_of(&successor)).await.expect(200).body;
    let revisions = &theirs["replies"][0]["revisions"];
    assert_eq!(revisions.as_array().unwrap().len(), 1, "{theirs}");
    assert_eq!(revisions[0]["revision"], 2);
    let mail = theirs["mailings"].as_array().unwrap();
    assert!(!mail.is_empty(), "the successor's invitation: {theirs}");
    assert!(mail.iter().all(|m| m["recipient"] == new_email), "{theirs}");
    let former = app
        .get(&export_of(&predecessor["id"]))
        .await
        .expect(200)
        .body;
    assert_eq!(
        former["replies"][0]["revisions"][0]["revision"], 1,
        "{former}"
    );
    assert_eq!(
        former["replies"][0]["revisions"].as_array().unwrap().len(),
        1
    );
    let mail = former["mailings"].as_array().unwrap();
    assert!(!mail.is_empty(), "{former}");
    assert!(mail.iter().all(|m| m["recipient"] == old_email.as_str()));

    app.post(
        &format!(
            "/v1/workshops/{}/participants/{successor}/erase",
            setup.workshop_id
        ),
        &json!({}),
    )
    .await
    .expect(200);
    let former_after = app
        .get(&export_of(&predecessor["id"]))
        .await
        .expect(200)
        .body;
    assert_eq!(
        former_after["mailings"], former["mailings"],
        "the predecessor's mail is untouched"
    );
}

on_both_databases!(
    a_mail_claimed_before_its_officer_is_erased_is_never_written,
    deleting_an_invited_participant_is_refused_and_points_to_erasure,
    deleting_an_uninvited_participant_leaves_nothing_of_them,
    after_a_hand_over_each_officer_holds_only_their_own_data,
    an_export_holds_everything_about_the_participant,
    erasure_removes_name_and_email_everywhere_and_keeps_the_reply,
    sent_mail_bodies_are_purged_after_the_retention_time,
    retention_removes_the_mail_files_too,
);
