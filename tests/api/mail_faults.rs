//! The delivery worker under faults: SMTP down, 4xx and 5xx replies, a hung server, a
//! worker killed mid-send, and two workers sharing one PostgreSQL queue.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::Duration as Span;
use entity::mailing::MailKind;
use followup::mail::outbox::{self, NewMail};
use followup::mail::templates::Rendered;
use followup::mail::transport::Transport;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{Backend, TestApp, now_clock, spawn_app, system_clock};
use crate::smtp::{Mode, SmtpServer, closed_port, silent_server};

async fn queue(app: &TestApp, count: usize) {
    for i in 0..count {
        outbox::queue(
            &app.db,
            "test.example",
            NewMail {
                kind: MailKind::Invitation,
                dedupe_key: format!("test:{i}"),
                round_id: None,
                invitation_id: None,
                recipient: format!("officer{i}@customs.example.org"),
                rendered: Rendered {
                    subject: format!("Test {i}"),
                    text: "Hello".into(),
                    html: "<p>Hello</p>".into(),
                },
                link_generation: None,
                participant_id: None,
                at: followup::base::clock::now(),
            },
        )
        .await
        .unwrap();
    }
}

fn unique_ids(smtp: &SmtpServer) -> HashSet<String> {
    smtp.received().iter().map(|m| m.message_id()).collect()
}

async fn a_server_that_is_down_then_up_gets_every_mail(backend: Backend) {
    let app = spawn_app(backend).await;
    queue(&app, 5).await;
    let port = closed_port();
    let clock = now_clock();
    let worker = app.worker(&format!("smtp://127.0.0.1:{port}"), clock.clone());
    let report = worker.run_once().await.unwrap();
    assert_eq!(
        (report.sent, report.retried),
        (0, 5),
        "connection refused is transient"
    );
    let queued = app.mailings("status=queued").await;
    assert_eq!(queued.len(), 5);
    assert!(
        queued
            .iter()
            .all(|m| m["attempts"] == 1 && m["last_error"].is_string())
    );
    assert_eq!(
        worker.run_once().await.unwrap().handled(),
        0,
        "not before the retry time"
    );

    let smtp = SmtpServer::start_on(port);
    clock.advance(Span::seconds(61));
    assert_eq!(worker.run_once().await.unwrap().sent, 5);
    assert_eq!(unique_ids(&smtp).len(), 5, "none lost, none twice");
    assert_eq!(app.mailings("status=sent").await.len(), 5);
}

async fn a_4xx_reply_is_retried_and_a_5xx_fails_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let smtp = SmtpServer::start();
    queue(&app, 1).await;
    let clock = now_clock();
    let worker = app.worker(&smtp.url(), clock.clone());
    smtp.set_mode(Mode::Transient);
    assert_eq!(worker.run_once().await.unwrap().retried, 1);
    let mail = &app.mailings("").await[0];
    assert_eq!(mail["status"], "queued");
    assert!(
        mail["last_error"].as_str().unwrap().contains("451"),
        "{mail}"
    );
    smtp.set_mode(Mode::Accept);
    clock.advance(Span::seconds(61));
    assert_eq!(worker.run_once().await.unwrap().sent, 1);

    outbox::queue(
        &app.db,
        "test.example",
        NewMail {
            kind: MailKind::Reminder,
            dedupe_key: "refused".into(),
            round_id: None,
            invitation_id: None,
            recipient: "nobody@customs.example.org".into(),
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
    smtp.set_mode(Mode::Permanent);
    assert_eq!(worker.run_once().await.unwrap().failed, 1);
    let failed = &app.mailings("status=failed").await[0];
    assert_eq!(failed["attempts"], 1, "a 5xx is not retried");
    assert!(failed["last_error"].as_str().unwrap().contains("554"));
    let events = entity::event::Entity::find()
        .filter(entity::event::Column::Kind.eq("mailing.failed"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(events, 1);
}

async fn a_mail_that_keeps_failing_transiently_fails_after_the_last_attempt(backend: Backend) {
    let app = spawn_app(backend).await;
    queue(&app, 1).await;
    let clock = now_clock();
    let mut worker = app.worker(
        &format!("smtp://127.0.0.1:{}", closed_port()),
        clock.clone(),
    );
    worker.settings.max_attempts = 3;
    let mut waits = Vec::new();
    for _ in 0..3 {
        let report = worker.run_once().await.unwrap();
        let mail = &app.mailings("").await[0];
        if report.retried == 1 {
            let next: chrono::DateTime<chrono::Utc> =
                mail["next_attempt_at"].as_str().unwrap().parse().unwrap();
            waits.push((next - clock.now_utc()).num_seconds());
        }
        clock.advance(Span::hours(2));
    }
    assert_eq!(waits, [60, 120], "exponential backoff from the base");
    let mail = &app.mailings("").await[0];
    assert_eq!(
        (mail["status"].as_str(), mail["attempts"].as_i64()),
        (Some("failed"), Some(3))
    );
}

async fn a_hung_server_times_out_and_the_queue_moves_on(backend: Backend) {
    let app = spawn_app(backend).await;
    queue(&app, 2).await;
    let mut worker = app.worker(
        &format!("smtp://127.0.0.1:{}", silent_server()),
        system_clock(),
    );
    worker.settings.send_timeout = Duration::from_millis(700);
    let started = Instant::now();
    let report = worker.run_once().await.unwrap();
    assert_eq!(report.retried, 2);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let mails = app.mailings("").await;
    assert!(mails.iter().all(|m| m["status"] == "queued"));
}

async fn a_worker_killed_mid_send_leaves_the_mail_to_be_sent_again(backend: Backend) {
    let app = spawn_app(backend).await;
    queue(&app, 1).await;
    let clock = now_clock();
    let mut hanging = app.worker(
        &format!("smtp://127.0.0.1:{}", silent_server()),
        clock.clone(),
    );
    hanging.settings.send_timeout = Duration::from_secs(60);
    let killed = tokio::spawn(async move { hanging.run_once().await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    killed.abort();
    let _ = killed.await;
    let claimed = &app.mailings("").await[0];
    assert_eq!(claimed["status"], "queued");
    assert_eq!(claimed["attempts"], 1, "the claim happened");

    let smtp = SmtpServer::start();
    let worker = app.worker(&smtp.url(), clock.clone());
    assert_eq!(
        worker.run_once().await.unwrap().handled(),
        0,
        "the lease still holds"
    );
    clock.advance(worker.settings.lease + Span::seconds(1));
    assert_eq!(worker.run_once().await.unwrap().sent, 1);
    assert_eq!(smtp.received().len(), 1);
}

async fn a_crash_between_sending_and_recording_resends_with_the_same_message_id(backend: Backend) {
    let app = spawn_app(backend).await;
    queue(&app, 1).await;
    let smtp = SmtpServer::start();
    let clock = now_clock();
    let worker = app.worker(&smtp.url(), clock.clone());
    // Claim and send as the worker does, then "crash" before recording the outcome.
    let claimed = outbox::claim(&app.db, clock.now_utc(), worker.settings.lease, 10)
        .await
        .unwrap();
    worker
        .transport
        .send(&claimed[0], &worker.sender, worker.settings.send_timeout)
        .await
        .unwrap();
    clock.advance(worker.settings.lease + Span::seconds(1));
    assert_eq!(worker.run_once().await.unwrap().sent, 1);
    let received = smtp.received();
    assert_eq!(received.len(), 2, "delivered at least once");
    assert_eq!(
        received[0].message_id(),
        received[1].message_id(),
        "a duplicate is recognizable"
    );
    assert_eq!(received[0].message_id(), claimed[0].message_id);
}

async fn without_smtp_mail_is_written_as_eml_files(backend: Backend) {
    let app = spawn_app(backend).await;
    queue(&app, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let transport = Transport::new(None, dir.path(), Duration::from_secs(5), 1).unwrap();
    let report = app
        .worker_with(transport, system_clock())
        .run_once()
        .await
        .unwrap();
    assert_eq!(report.sent, 2);
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(files.len(), 2);
    let ids: HashSet<String> = app
        .mailings("")
        .await
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        files
            .iter()
            .all(|eml| ids.iter().any(|id| eml.contains(id.as_str())))
    );
}

on_both_databases!(
    a_server_that_is_down_then_up_gets_every_mail,
    a_4xx_reply_is_retried_and_a_5xx_fails_at_once,
    a_mail_that_keeps_failing_transiently_fails_after_the_last_attempt,
    a_hung_server_times_out_and_the_queue_moves_on,
    a_worker_killed_mid_send_leaves_the_mail_to_be_sent_again,
    a_crash_between_sending_and_recording_resends_with_the_same_message_id,
    without_smtp_mail_is_written_as_eml_files,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_one_postgres_send_each_mail_once() {
    let app = spawn_app(Backend::Postgres).await;
    queue(&app, 60).await;
    let smtp = SmtpServer::start();
    let mut first = app.worker(&smtp.url(), system_clock());
    first.settings.batch_size = 3;
    let mut second = first.clone();
    second.db = followup::db::connect(&followup::config::DatabaseSettings::new(
        secrecy::SecretString::from(app.database_url.clone()),
    ))
    .await
    .unwrap();
    let drain = |worker: followup::jobs::worker::Worker| async move {
        let mut sent = 0;
        loop {
            let report = worker.run_once().await.unwrap();
            if report.handled() == 0 {
                return sent;
            }
            sent += report.sent;
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(drain(first)), tokio::spawn(drain(second)));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 60);
    assert_eq!(smtp.received().len(), 60, "each mail once ({a} + {b})");
    assert_eq!(unique_ids(&smtp).len(), 60);
}
