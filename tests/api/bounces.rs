//! Bounces end to end: mail leaves through a loopback SMTP server that accepts it, a
//! delivery status notification for one officer lands in a real IMAP mailbox (Dovecot),
//! the poller classifies it, and the officer's next reminder is written as suppressed
//! with the reason; a forged bounce (bad MAC), a malformed and a huge message are set
//! aside and change nothing; two instances polling record each message once; a refusal
//! at send is the same news; a mailbox that refuses the login is retried and shown on
//! `/readyz`.

use entity::{delivery_event, event};
use followup::jobs::bounce_poller::{BouncePoller, BounceReport, BounceSettings};
use followup::mail::bounce_mailbox::MailboxUrl;
use followup::services::deliverability::Returns;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{Backend, TestApp, clock_at, spawn_app_with, system_clock};
use crate::imap_server::{ImapServer, bounce_fixture};
use crate::smtp::{Mode, Received, SmtpServer};

const BOUNCES: &str = "bounces@rocb.example.org";

fn poller(app: &TestApp, url: &str) -> BouncePoller {
    BouncePoller::new(
        app.db.clone(),
        Returns {
            bounce: app.mail.bounce.clone(),
            key: app.mail.key.clone(),
        },
        system_clock(),
        BounceSettings {
            url: MailboxUrl::parse(url).unwrap(),
            poll: std::time::Duration::from_millis(50),
            lease: chrono::Duration::seconds(60),
            timeout: std::time::Duration::from_secs(5),
            max_message_bytes: 256 * 1024,
            processed_folder: "Processed".into(),
            set_aside_folder: "Set aside".into(),
        },
    )
}

/// Two officers (MY, TH) invited on time; what the relay received.
async fn invited(app: &TestApp) -> Vec<Received> {
    app.scheduled_round(6, "AEO", &["MY", "SG"]).await;
    app.scheduler(&clock_at("2020-06-12T01:00:00Z"))
        .tick()
        .await
        .unwrap();
    let smtp = SmtpServer::start();
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    smtp.received()
}

fn mail_to<'a>(received: &'a [Received], code: &str) -> &'a Received {
    received
        .iter()
        .find(|m| m.to().contains(&format!("customs.{code}.")))
        .unwrap_or_else(|| {
            let to: Vec<String> = received.iter().map(Received::to).collect();
            panic!("a mail to {code} among {to:?}")
        })
}

/// A service whose mail leaves with VERP envelope senders.
async fn with_bounce_address(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.bounce_address = Some(BOUNCES.into());
    })
    .await
}

/// A received mail's Message-ID without its angle brackets, as bounces quote it.
fn message_id(mail: &Received) -> String {
    mail.message_id().trim_matches(['<', '>']).to_owned()
}

async fn a_bounce_in_the_mailbox_suppresses_the_officers_next_reminder(backend: Backend) {
    let app = with_bounce_address(backend).await;
    let received = invited(&app).await;
    let (my, sg) = (mail_to(&received, "my"), mail_to(&received, "sg"));

    let imap = ImapServer::start();
    // The bounce for Malaysia's officer, as Postfix writes it, twice (a relay that
    // delivered it twice): recorded once.
    let bounce = bounce_fixture(
        "postfix-user-unknown.eml",
        &my.to(),
        &my.envelope_from,
        &message_id(my),
    );
    imap.append(&bounce).await;
    imap.append(&bounce).await;
    // A forged bounce for Singapore's officer: the right mailing, a made-up MAC, a
    // Message-ID nobody sent.
    let sg_mailing = sg
        .envelope_from
        .split(['+', '.'])
        .nth(1)
        .unwrap()
        .to_owned();
    let forged_envelope = format!("bounces+{sg_mailing}.00000000deadbeef@rocb.example.org");
    imap.append(&bounce_fixture(
        "gmail-no-such-user.eml",
        &sg.to(),
        &forged_envelope,
        "made-up.invitation@localhost",
    ))
    .await;
    // Unreadable, and too large to read.
    imap.append(&bounce_fixture("malformed.eml", "", "", ""))
        .await;
    let huge = format!(
        "From: someone@example.org\r\nSubject: Undeliverable\r\n\r\n{}",
        "x".repeat(300 * 1024)
    );
    imap.append(huge.as_bytes()).await;

    // Two instances: one holds the lease and reads everything; the other stands by.
    let (first, second) = (poller(&app, &imap.url()), poller(&app, &imap.url()));
    let (one, two) = tokio::join!(first.run_once(), second.run_once());
    let (one, two) = (one.unwrap(), two.unwrap());
    assert!(one.not_holder != two.not_holder, "{one:?} {two:?}");
    let (holder, report) = if one.not_holder {
        (&second, two)
    } else {
        (&first, one)
    };
    assert_eq!(
        report,
        BounceReport {
            not_holder: false,
            recorded: 1,
            already_seen: 1,
            set_aside: 3,
        }
    );
    assert_eq!(imap.count("INBOX").await, 0);
    assert_eq!(imap.count("Processed").await, 2);
    assert_eq!(imap.count("Set aside").await, 3);
    let set_aside = imap.subjects("Set aside").await.join("\n");
    assert!(
        set_aside.contains("Delivery Status Notification (Failure)")
            && set_aside.contains("Undeliverable"),
        "{set_aside}"
    );
    assert_eq!(
        delivery_event::Entity::find().count(&app.db).await.unwrap(),
        1,
        "one message, recorded once"
    );
    // Nothing more to do on the next pass, by either instance.
    assert_eq!(
        holder.run_once().await.unwrap(),
        BounceReport::default(),
        "an empty mailbox"
    );

    // The address's state, shown with the invitation and the outbox.
    let undeliverable = app
        .get("/v1/addresses?state=undeliverable")
        .await
        .expect(200);
    let items = undeliverable.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["address"], my.to().as_str());
    assert_eq!(items[0]["code"], "5.1.1");
    let round_id = app.get("/v1/rounds").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let invitations = app.invitations(round_id).await;
    let of = |code: &str| {
        invitations
            .iter()
            .find(|i| i["administration"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(
        of("MY")["participant"]["delivery"]["state"],
        "undeliverable"
    );
    assert_eq!(of("MY")["participant"]["delivery"]["code"], "5.1.1");
    assert!(of("SG")["participant"]["delivery"].is_null());
    let outbox = app.mailings("kind=invitation").await;
    let my_mail = outbox
        .iter()
        .find(|m| m["recipient"] == my.to().as_str())
        .unwrap();
    assert_eq!(my_mail["returned"][0]["finding"], "undeliverable");
    assert_eq!(my_mail["returned"][0]["source"], "mailbox");

    // The next reminder to Malaysia is written, suppressed, with the reason; Singapore's
    // goes out.
    let clock = clock_at("2020-07-01T01:00:00Z");
    assert_eq!(app.scheduler(&clock).tick().await.unwrap().reminders, 2);
    let reminders = app.mailings("kind=reminder").await;
    let status_of = |address: &str| {
        reminders
            .iter()
            .find(|m| m["recipient"] == address)
            .unwrap()
            .clone()
    };
    assert_eq!(status_of(&my.to())["status"], "suppressed");
    let reason = status_of(&my.to())["suppressed_reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reason.contains("undeliverable") && reason.contains("5.1.1"),
        "{reason}"
    );
    assert_eq!(status_of(&sg.to())["status"], "queued");

    // The timeline warns; Table 1 counts the invitation undeliverable, with the rate over
    // the delivered beside the rate over all.
    let timeline = app
        .get(&format!("/v1/rounds/{round_id}/timeline"))
        .await
        .expect(200);
    let warning = timeline.body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "undeliverable_addresses")
        .unwrap_or_else(|| panic!("a warning in {}", timeline.body))
        .clone();
    assert_eq!(
        warning["message"],
        "1 participant of \"AEO\" has an undeliverable address: reminders and feedback to \
         them are suppressed; correct the address or hand the invitation over"
    );
    assert_eq!(timeline.body["workshops"][0]["undeliverable"], 1);
    let rates = app
        .get(&format!("/v1/rounds/{round_id}/analytics/reply-rates"))
        .await
        .expect(200);
    assert_eq!(
        rates.body["dispositions"],
        serde_json::json!({
            "replied": 0, "replied_late": 0, "no_reply": 1, "undeliverable": 1, "handed_over": 0
        })
    );
    assert_eq!(rates.body["total"]["base"], 2);
    assert_eq!(rates.body["total_over_delivered"]["base"], 1);

    // Announced to webhooks, naming no address.
    let bounced = event::Entity::find()
        .filter(event::Column::Kind.eq("mailing.bounced"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(bounced.len(), 1);
    assert_eq!(bounced[0].payload["address_state"], "undeliverable");
    assert_eq!(bounced[0].payload["code"], "5.1.1");
    // Only the server's words (`detail`, which partners never get) may quote it.
    let mut named = bounced[0].payload.clone();
    named.as_object_mut().unwrap().remove("detail");
    assert!(!named.to_string().contains(&my.to()), "{named}");

    // Staff clear it (admins only, audited): the next feedback goes out.
    let editor = app.key_for("editor").await;
    let path = format!("/v1/addresses/{}", my.to());
    app.send(app.request_as(&editor, reqwest::Method::DELETE, &path))
        .await
        .expect(403);
    app.delete(&path).await.expect(204);
    app.get(&path).await.expect(404);
    let audit = app
        .get("/v1/audit-log?entity_type=address_state")
        .await
        .expect(200);
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1);
}

async fn an_out_of_office_reply_is_kept_and_a_complaint_stops_the_reminders(backend: Backend) {
    let app = with_bounce_address(backend).await;
    let received = invited(&app).await;
    let (my, sg) = (mail_to(&received, "my"), mail_to(&received, "sg"));
    let imap = ImapServer::start();
    imap.append(&bounce_fixture(
        "out-of-office.eml",
        &my.to(),
        &my.envelope_from,
        &message_id(my),
    ))
    .await;
    imap.append(&bounce_fixture(
        "arf-complaint.eml",
        &sg.to(),
        &sg.envelope_from,
        &message_id(sg),
    ))
    .await;
    let report = poller(&app, &imap.url()).run_once().await.unwrap();
    assert_eq!(report.recorded, 2, "{report:?}");

    let round_id = app.get("/v1/rounds").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let invitations = app.invitations(round_id).await;
    let my_delivery = &invitations
        .iter()
        .find(|i| i["administration"] == "MY")
        .unwrap()["participant"]["delivery"];
    assert_eq!(
        my_delivery["state"], "ok",
        "an auto-reply suppresses nothing"
    );
    assert!(
        my_delivery["auto_reply"]["text"]
            .as_str()
            .unwrap()
            .contains("Karma Wangchuk"),
        "{my_delivery}"
    );
    let clock = clock_at("2020-07-01T01:00:00Z");
    app.scheduler(&clock).tick().await.unwrap();
    let reminders = app.mailings("kind=reminder").await;
    let status = |address: String| {
        reminders
            .iter()
            .find(|m| m["recipient"] == address.as_str())
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status(my.to()), "queued");
    assert_eq!(status(sg.to()), "suppressed");
    for kind in ["mailing.auto_replied", "mailing.bounced"] {
        let found = event::Entity::find()
            .filter(event::Column::Kind.eq(kind))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(found, 1, "{kind}");
    }
}

/// The relay refuses an address while the mail is sent (5xx): the same news as a bounce.
async fn a_refusal_at_send_marks_the_address_undeliverable(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.scheduled_round(6, "AEO", &["MY", "SG"]).await;
    app.scheduler(&clock_at("2020-06-12T01:00:00Z"))
        .tick()
        .await
        .unwrap();
    let smtp = SmtpServer::start();
    smtp.set_mode(Mode::PermanentFor("customs.my."));
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    let listed = app.get("/v1/addresses").await.expect(200);
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["state"], "undeliverable");
    assert_eq!(items[0]["code"], "5.1.1");
    let detail = app
        .get(&format!(
            "/v1/addresses/{}",
            items[0]["address"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(detail.body["returned"][0]["source"], "smtp");
    app.get("/v1/addresses/not-an-address")
        .await
        .expect_problem(404);

    // A corrected address starts clean: the invitation goes to it, and no warning stays.
    let workshop = app.get("/v1/workshops").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let officer = app
        .get(&format!(
            "/v1/workshops/{workshop}/participants?administration=MY"
        ))
        .await
        .expect(200)
        .body["items"][0]
        .clone();
    assert_eq!(officer["delivery"]["state"], "undeliverable");
    let path = format!("/v1/workshops/{workshop}/participants/{}", officer["id"]);
    let etag = app.get(&path).await.expect(200).headers["etag"].clone();
    app.send(
        app.request_as(&app.admin_key, reqwest::Method::PUT, &path)
            .header("If-Match", etag)
            .json(&serde_json::json!({
                "name": officer["name"], "email": "aminah.new@customs.my.example.org",
                "administration": "MY"
            })),
    )
    .await
    .expect(200);
    let queued = app.mailings("kind=invitation&status=queued").await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["recipient"], "aminah.new@customs.my.example.org");
    let round_id = app.get("/v1/rounds").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let timeline = app
        .get(&format!("/v1/rounds/{round_id}/timeline"))
        .await
        .expect(200);
    assert_eq!(timeline.body["workshops"][0]["undeliverable"], 0);
}

/// A mailbox that refuses the login, is gone or does not answer in time is a failed pass,
/// counted and shown on `/readyz` (which stays ready: the service works without it).
async fn a_mailbox_that_refuses_the_login_is_reported_not_fatal(backend: Backend) {
    let app = with_bounce_address(backend).await;
    let imap = ImapServer::start();
    let wrong = poller(&app, &imap.url_with("not-the-password"));
    assert!(wrong.run_once().await.is_err());
    let ready = app.get("/readyz").await.expect(200);
    let mailbox = &ready.body["bounce_mailbox"];
    assert_eq!(mailbox["status"], "failing", "{}", ready.body);
    assert_eq!(mailbox["failures"], 1);
    assert!(
        mailbox["last_error"]
            .as_str()
            .unwrap()
            .contains("refused the login"),
        "{mailbox}"
    );
    // The lease stays the failed instance's until it runs out; on stop it is given up.
    let release = |holder: String| {
        let db = app.db.clone();
        async move {
            followup::base::lease::release(
                &db,
                followup::jobs::bounce_poller::LEASE,
                &holder,
                chrono::Utc::now(),
            )
            .await
            .unwrap()
        }
    };
    release(wrong.holder.clone()).await;
    // Gone: a port nobody listens on.
    let gone = poller(
        &app,
        &format!("imap://u:p@127.0.0.1:{}/INBOX", crate::smtp::closed_port()),
    );
    assert!(gone.run_once().await.is_err());
    release(gone.holder.clone()).await;
    // Times out: a server that takes the connection and never greets.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut slow = poller(&app, &format!("imap://u:p@127.0.0.1:{port}/INBOX"));
    slow.settings.timeout = std::time::Duration::from_millis(300);
    let error = format!("{:#}", slow.run_once().await.unwrap_err());
    assert!(error.contains("took longer than"), "{error}");
    release(slow.holder.clone()).await;
    let ready = app.get("/readyz").await.expect(200);
    assert_eq!(
        ready.body["bounce_mailbox"]["failures"], 3,
        "{}",
        ready.body
    );
    // Working again: the failures are cleared.
    let right = poller(&app, &imap.url());
    right.run_once().await.unwrap();
    let ready = app.get("/readyz").await.expect(200);
    assert_eq!(
        ready.body["bounce_mailbox"]["status"], "ok",
        "{}",
        ready.body
    );
}

/// `followup bounces FILE...` reads saved messages as the poller reads the mailbox's.
async fn the_bounces_command_reads_saved_messages(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let received = invited(&app).await;
    let my = mail_to(&received, "my");
    let dir = tempfile::tempdir().unwrap();
    let bounce = dir.path().join("bounce.eml");
    std::fs::write(
        &bounce,
        bounce_fixture(
            "exchange-365-recipient-not-found.eml",
            &my.to(),
            "nobody@example.org",
            &message_id(my),
        ),
    )
    .unwrap();
    let question = dir.path().join("question.eml");
    std::fs::write(
        &question,
        "From: a@b.example\r\nSubject: Where is the form?\r\n\r\nHello\r\n",
    )
    .unwrap();
    let run = || {
        let output = crate::process::followup()
            .env("DATABASE_URL", &app.database_url)
            .env("DATA_DIR", dir.path())
            .arg("bounces")
            .args([&bounce, &question])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let first = run();
    assert!(first.contains("bounce.eml: recorded\n"), "{first}");
    assert!(first.contains("question.eml: not a bounce"), "{first}");
    assert!(run().contains("bounce.eml: recorded before"));
    let listed = app
        .get("/v1/addresses?state=undeliverable")
        .await
        .expect(200);
    assert_eq!(listed.body["items"][0]["code"], "5.1.10");
}

on_both_databases!(
    the_bounces_command_reads_saved_messages,
    a_bounce_in_the_mailbox_suppresses_the_officers_next_reminder,
    an_out_of_office_reply_is_kept_and_a_complaint_stops_the_reminders,
    a_refusal_at_send_marks_the_address_undeliverable,
    a_mailbox_that_refuses_the_login_is_reported_not_fatal,
);
