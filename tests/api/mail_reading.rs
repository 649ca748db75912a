//! Mail read as a participant reads it, from a real SMTP server's inbox: a late round's
//! invitation welcomes late replies, no reminder comes within a day of its invitation,
//! dates are written for people, subjects put the news first, the sender's name is a
//! quoted string, replies go to the survey office, and the HTML part is a whole document.

use crate::helpers::{Backend, TestApp, clock_at, instant, spawn_app_with, system_clock};
use followup::mail::verp;

use crate::smtp::{Received, SmtpServer};

const OFFICE: &str = "Survey office <survey@rocb.example.org>";

/// The decoded text of a part (`text/plain` or `text/html`) of a received message.
fn part(mail: &Received, media: &str) -> String {
    let start = mail
        .raw
        .find(&format!("Content-Type: {media}"))
        .unwrap_or_else(|| panic!("no {media} part in\n{}", mail.raw));
    let rest = mail.raw[start..].replace("\r\n", "\n");
    let body_start = rest.find("\n\n").expect("a part body") + 2;
    let headers = &rest[..body_start];
    let body = &rest[body_start..];
    let body = &body[..body.find("\n--").unwrap_or(body.len())];
    if headers.contains("quoted-printable") {
        quoted_printable(body)
    } else {
        assert!(!headers.contains("base64"), "{headers}");
        body.to_owned()
    }
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

async fn a_late_invitation_welcomes_late_replies_and_reads_right(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.mail_reply_to = Some(OFFICE.into());
    })
    .await;
    app.scheduled_round(6, "AEO", &["MY"]).await;
    // Due 09:00 on 3 July 2020 in Kuala Lumpur; the round is scheduled two days later.
    let clock = clock_at("2020-07-05T01:00:00Z");
    let due = app.scheduler(&clock).tick().await.unwrap();
    assert_eq!((due.invitations, due.reminders), (1, 0));
    let smtp = SmtpServer::start();
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    let received = smtp.received();
    let [invitation] = received.as_slice() else {
        panic!("one mail: {received:?}");
    };
    assert_eq!(invitation.subject(), "Follow-up survey: AEO");
    assert_eq!(
        invitation.header("From").unwrap(),
        "\"ROCB A/P Follow-up Survey\" <followup@localhost>"
    );
    assert_eq!(
        invitation.header("Reply-To").unwrap(),
        "\"Survey office\" <survey@rocb.example.org>"
    );
    let text = part(invitation, "text/plain");
    assert!(
        text.contains(
            "The due date, 09:00 on Friday 3 July 2020, Malaysia time (UTC+8), has passed, \
             but late replies are welcome until the survey closes."
        ),
        "{text}"
    );
    assert!(!text.contains("Asia/Kuala_Lumpur"), "no zone id: {text}");
    assert!(!text.contains("\n\n\n"), "{text}");
    let html = part(invitation, "text/html");
    assert!(
        html.starts_with("<!doctype html>\n<html lang=\"en\">"),
        "{html}"
    );
    assert!(
        html.contains("<title>Follow-up survey: AEO</title>"),
        "{html}"
    );
    assert!(html.contains("late replies are welcome"), "{html}");
}

async fn no_reminder_comes_within_a_day_of_its_invitation(backend: Backend) {
    // Scheduled late: the invitation goes out 5 hours before the 2-day reminder's moment.
    let app = spawn_app_with(backend, |_| {}).await;
    app.scheduled_round(6, "AEO", &["MY"]).await;
    let clock = clock_at("2020-06-30T20:00:00Z");
    let scheduler = app.scheduler(&clock);
    assert_eq!(scheduler.tick().await.unwrap().invitations, 1);
    clock.set(instant("2020-07-01T01:00:00Z"));
    assert_eq!(scheduler.tick().await.unwrap().reminders, 0);

    // Invited two days before: the reminder goes out, its news first.
    let app = spawn_app_with(backend, |_| {}).await;
    app.scheduled_round(6, "AEO", &["MY"]).await;
    let clock = clock_at("2020-06-29T01:00:00Z");
    let scheduler = app.scheduler(&clock);
    assert_eq!(scheduler.tick().await.unwrap().invitations, 1);
    clock.set(instant("2020-07-01T01:00:00Z"));
    assert_eq!(scheduler.tick().await.unwrap().reminders, 1);
    let smtp = SmtpServer::start();
    app.worker(&smtp.url(), system_clock())
        .run_once()
        .await
        .unwrap();
    let reminder = smtp
        .received()
        .into_iter()
        .find(|mail| mail.subject().contains("left"))
        .expect("the reminder");
    assert_eq!(
        reminder.subject(),
        "2 days left: follow-up survey on the AEO"
    );
    let text = part(&reminder, "text/plain");
    assert!(
        text.contains(
            "The survey is due by 09:00 on Friday 3 July 2020, Malaysia time (UTC+8), in 2 days."
        ),
        "{text}"
    );
}

/// With `bounce_address` set, a mail's envelope sender names its mailing with a MAC, so a
/// bounce to it says which mail came back; unset, it is `mail_from`'s address.
async fn the_envelope_sender_names_the_mailing(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.bounce_address = Some("bounces@rocb.example.org".into());
    })
    .await;
    let received = invitation_sent_on_time(&app).await;
    let mailing = app.mailings("kind=invitation").await[0]["id"]
        .as_i64()
        .unwrap();
    let returns_to = &received[0].envelope_from;
    assert!(
        returns_to.starts_with(&format!("bounces+{mailing}."))
            && returns_to.ends_with("@rocb.example.org"),
        "{returns_to}"
    );
    let bounce = app.mail.bounce.clone().expect("the bounce address");
    assert_eq!(
        verp::mailing_of(returns_to, &bounce, &app.mail.key),
        Some(i32::try_from(mailing).unwrap())
    );
    assert_eq!(
        received[0].header("From").unwrap(),
        "\"ROCB A/P Follow-up Survey\" <followup@localhost>",
        "the From people see stays"
    );

    let app = spawn_app_with(backend, |_| {}).await;
    let received = invitation_sent_on_time(&app).await;
    assert!(
        received[0].envelope_from.contains("followup@localhost"),
        "{}",
        received[0].envelope_from
    );
}

/// A round of one officer of Malaysia, its invitation queued when it opens and sent to a
/// loopback SMTP server: what the server received.
async fn invitation_sent_on_time(app: &TestApp) -> Vec<Received> {
    app.scheduled_round(6, "AEO", &["MY"]).await;
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

on_both_databases!(
    a_late_invitation_welcomes_late_replies_and_reads_right,
    no_reminder_comes_within_a_day_of_its_invitation,
    the_envelope_sender_names_the_mailing,
);
