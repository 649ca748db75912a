//! Privacy: a participant's data exported and erased, mail bodies purged after the
//! retention time, and logs that never carry names, emails, tokens or API keys.

use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Duration as Span;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, clock_at, full_answers, spawn_app, system_clock};
use crate::smtp::SmtpServer;

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

on_both_databases!(
    an_export_holds_everything_about_the_participant,
    erasure_removes_name_and_email_everywhere_and_keeps_the_reply,
    sent_mail_bodies_are_purged_after_the_retention_time,
);

fn followup() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_followup"));
    for variable in ["DATABASE_URL", "BIND", "DATA_DIR", "LOG_FORMAT", "RUST_LOG"] {
        command.env_remove(variable);
    }
    command
}

/// The service's own process at debug level: a survey's flows through the API and the
/// background jobs, then every log line is searched for the personal data and secrets
/// that went through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_never_carry_names_emails_tokens_or_keys() {
    let data = tempfile::tempdir().unwrap();
    let created = followup()
        .env("DATA_DIR", data.path())
        .args(["keys", "create", "--role", "admin", "--name", "log test"])
        .output()
        .unwrap();
    assert!(created.status.success());
    let key = String::from_utf8(created.stdout)
        .unwrap()
        .split_whitespace()
        .find(|word| word.starts_with("fu_"))
        .expect("a key printed")
        .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = followup()
        .env("DATA_DIR", data.path())
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("LOG_LEVEL", "debug")
        .env("LOG_FORMAT", "json")
        .env("FOLLOWUP_SCHEDULER_INTERVAL_SECS", "1")
        .env("FOLLOWUP_MAIL_POLL_INTERVAL_MS", "100")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let call = |method: Method, path: &str, body: Option<Value>| {
        let mut request = client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request
    };
    for _ in 0..100 {
        if client.get(format!("{base}/readyz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let people = [
        (
            "Zarathustra Quillfeather",
            "zq.officer@customs.my.example.org",
            "MY",
        ),
        (
            "Ottoline Brackenridge",
            "ob.officer@customs.to.example.org",
            "TO",
        ),
    ];
    let workshop: Value = call(
        Method::POST,
        "/v1/workshops",
        Some(
            json!({"title": "Log test workshop", "topic": "AEO", "scope": "regional",
            "start_date": "2019-12-10", "end_date": "2019-12-12", "is_virtual": true}),
        ),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let workshop_id = workshop["id"].as_i64().unwrap();
    for (name, email, code) in people {
        let status = call(
            Method::POST,
            &format!("/v1/workshops/{workshop_id}/participants"),
            Some(json!({"name": name, "email": email, "administration": code})),
        )
        .send()
        .await
        .unwrap()
        .status();
        assert_eq!(status, 201);
    }
    // A bad request with personal data in it is logged too.
    call(
        Method::POST,
        &format!("/v1/workshops/{workshop_id}/participants"),
        Some(json!({"name": people[0].0, "email": people[0].1, "administration": "MY"})),
    )
    .send()
    .await
    .unwrap();
    let round: Value = call(
        Method::POST,
        "/v1/rounds",
        Some(json!({"title": "Survey 2020", "round_number": 6, "fiscal_year": "2019/20", "questionnaire_id": 1})),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let round_id = round["id"].as_i64().unwrap();
    let today = chrono::Utc::now().date_naive().to_string();
    call(
        Method::POST,
        &format!("/v1/rounds/{round_id}/workshops"),
        Some(json!({"workshop_id": workshop_id, "opens_on": today})),
    )
    .send()
    .await
    .unwrap();
    call(
        Method::POST,
        &format!("/v1/rounds/{round_id}/schedule"),
        Some(json!({})),
    )
    .send()
    .await
    .unwrap();
    let invitations: Value = call(
        Method::GET,
        &format!("/v1/rounds/{round_id}/invitations"),
        None,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mut tokens = Vec::new();
    for invitation in invitations["items"].as_array().unwrap() {
        let link: Value = call(
            Method::POST,
            &format!("/v1/invitations/{}/link", invitation["id"]),
            Some(json!({})),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        tokens.push(link["token"].as_str().unwrap().to_owned());
    }
    for token in &tokens {
        client
            .get(format!("{base}/v1/respond/{token}"))
            .send()
            .await
            .unwrap();
        client
            .put(format!("{base}/v1/respond/{token}"))
            .json(&json!({"answers": full_answers()}))
            .send()
            .await
            .unwrap();
    }
    // Let the scheduler and the mail worker run (invitations, thank-you notes).
    tokio::time::sleep(Duration::from_secs(4)).await;

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(
        std::env::temp_dir().join("followup-debug-log-test.log"),
        &logs,
    )
    .ok();
    assert!(
        logs.contains("\"level\":\"DEBUG\""),
        "debug logging ran: {logs}"
    );
    assert!(
        logs.matches("request finished").count() >= 12,
        "the flows ran: {logs}"
    );
    let mail_written = std::fs::read_dir(data.path().join("mail"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert!(mail_written > 0, "the mail worker ran");
    let mut secrets: Vec<String> = vec![key.clone(), key[..20].to_owned()];
    for (name, email, _) in people {
        secrets.push(name.to_owned());
        secrets.push(email.to_owned());
        secrets.push(email.split('@').next().unwrap().to_owned());
    }
    secrets.extend(tokens);
    for secret in &secrets {
        let line = logs.lines().find(|line| line.contains(secret.as_str()));
        assert!(
            line.is_none(),
            "{secret:?} logged: {}",
            line.unwrap_or_default()
        );
    }
}
