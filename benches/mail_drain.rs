//! Mail throughput: queues 10,000 mails in the outbox on PostgreSQL, then drains them
//! with delivery workers into an SMTP sink on loopback, and prints mails per second.
//!
//! `scripts/bench-mail.sh` runs it; `BENCH_MAILS`, `BENCH_WORKERS` and
//! `BENCH_POSTGRES_URL` (a server URL, no database) tune it.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use entity::mailing::MailKind;
use followup::base::clock::SystemClock;
use followup::config::{DatabaseSettings, Settings};
use followup::jobs::worker::{DeliverySettings, Worker};
use followup::mail::outbox::{self, NewMail};
use followup::mail::templates::Rendered;
use followup::mail::transport::Transport;
use mailin_embedded::response::OK;
use mailin_embedded::{Handler, Response, Server};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;

#[derive(Clone)]
struct Sink(Arc<AtomicUsize>);

impl Handler for Sink {
    fn data_end(&mut self) -> Response {
        self.0.fetch_add(1, Ordering::Relaxed);
        OK
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mails = env_number("BENCH_MAILS", 10_000);
    let workers = env_number("BENCH_WORKERS", 4);
    let server = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());

    let admin = Database::connect(format!("{server}/postgres")).await?;
    admin
        .execute_unprepared("DROP DATABASE IF EXISTS followup_bench_mail WITH (FORCE)")
        .await?;
    admin
        .execute_unprepared("CREATE DATABASE followup_bench_mail")
        .await?;
    let mut database =
        DatabaseSettings::new(SecretString::from(format!("{server}/followup_bench_mail")));
    database.max_connections = 20;
    let db = followup::db::connect(&database).await?;
    followup::db::migrate(&db).await?;

    let started = Instant::now();
    for i in 0..mails {
        outbox::queue(
            &db,
            "bench.example",
            NewMail {
                kind: MailKind::Feedback,
                dedupe_key: format!("bench:{i}"),
                round_id: None,
                invitation_id: None,
                recipient: format!("officer{i}@customs.example.org"),
                rendered: Rendered {
                    subject: "Survey 2020: what participants did after the workshops".into(),
                    text: "Dear officer,\n\n".to_owned()
                        + &"The Survey 2020 has collected 28 replies. ".repeat(20),
                    html: "<p>Dear officer,</p>".to_owned()
                        + &"<p>The Survey 2020 has collected 28 replies.</p>".repeat(20),
                },
                link_generation: None,
                participant_id: None,
                at: followup::base::clock::now(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let queued_in = started.elapsed();

    let received = Arc::new(AtomicUsize::new(0));
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let mut sink = Server::new(Sink(received.clone()));
    sink.with_name("sink.test")
        .with_num_threads(64)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = sink.serve();
    });

    let settings = Settings {
        mail_batch_size: 50,
        ..Settings::default()
    };
    let delivery = DeliverySettings::from_settings(&settings);
    let url = SecretString::from(format!("smtp://127.0.0.1:{port}"));
    let concurrency = delivery.concurrency;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        // Each worker as its own instance would be: its own SMTP connection pool.
        let transport = Transport::new(
            Some(&url),
            std::path::Path::new("."),
            delivery.send_timeout,
            concurrency as u32,
        )?;
        let key =
            followup::domain::TokenKey::from_secret(&followup::domain::TokenKey::new_secret())
                .expect("a new secret is strong");
        let worker = Worker {
            db: db.clone(),
            transport: Arc::new(transport),
            sender: followup::mail::Sender {
                from: "Bench <bench@bench.example>".parse()?,
                reply_to: None,
                bounce: None,
                key: key.clone(),
            },
            key,
            clock: Arc::new(SystemClock),
            settings: delivery.clone(),
        };
        tasks.push(tokio::spawn(async move {
            let (mut sent, mut retried) = (0, 0);
            loop {
                let report = worker.run_once().await.expect("a delivery pass");
                if report.handled() == 0 {
                    return (sent, retried);
                }
                sent += report.sent;
                retried += report.retried + report.failed;
            }
        }));
    }
    let (mut sent, mut retried) = (0, 0);
    for task in tasks {
        let (s, r) = task.await?;
        sent += s;
        retried += r;
    }
    let drained_in = started.elapsed();
    // The sink counts at the end of DATA; let the last replies settle.
    tokio::time::sleep(Duration::from_millis(200)).await;

    println!("mails:                 {mails}");
    println!(
        "workers:               {workers} (batches of 50, {concurrency} sends at a time each)"
    );
    println!(
        "queued in:             {:.2} s ({:.0} mails/s, one transaction each)",
        queued_in.as_secs_f64(),
        mails as f64 / queued_in.as_secs_f64()
    );
    println!("drained in:            {:.2} s", drained_in.as_secs_f64());
    println!(
        "delivery throughput:   {:.0} mails/s",
        sent as f64 / drained_in.as_secs_f64()
    );
    println!(
        "sent / received:       {sent} / {}",
        received.load(Ordering::Relaxed)
    );
    println!("left for a retry:      {retried} (the sink refused or timed out)");
    anyhow::ensure!(
        sent + retried == mails,
        "every mail is sent or queued for a retry"
    );
    anyhow::ensure!(
        received.load(Ordering::Relaxed) == sent,
        "each sent mail arrived once"
    );

    drop(db);
    admin
        .execute_unprepared("DROP DATABASE IF EXISTS followup_bench_mail WITH (FORCE)")
        .await?;
    Ok(())
}
