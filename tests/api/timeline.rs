//! The round's timeline: what scheduling will do, workshop by workshop and administration
//! by administration, with the problems staff should see first; the same as a dry run of
//! scheduling, and the warnings that come back when a round is scheduled anyway.

use chrono::{Months, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, participant_body, spawn_app, workshop_body};

/// A workshop that ended `months` months and `days` days ago, with one officer per code.
async fn workshop_ended(app: &TestApp, title: &str, months: u32, days: u64, codes: &[&str]) -> i64 {
    let today = Utc::now().date_naive();
    let end: NaiveDate = today
        .checked_sub_months(Months::new(months))
        .and_then(|d| d.checked_sub_days(chrono::Days::new(days)))
        .unwrap();
    let start = end - chrono::Days::new(2);
    let id = app
        .create_workshop(&workshop_body(title, &start.to_string(), &end.to_string()))
        .await["id"]
        .as_i64()
        .unwrap();
    for (n, code) in codes.iter().enumerate() {
        let email = format!("officer{n}@customs.{}.example.org", code.to_lowercase());
        app.create_participant(
            id,
            &participant_body(&format!("Officer {n} of {code}"), &email, code),
        )
        .await;
    }
    id
}

fn codes(warnings: &Value) -> Vec<(String, i64)> {
    warnings
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["code"].as_str().unwrap().to_owned(),
                w["workshop_id"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn the_timeline_shows_each_mail_in_utc_and_local_time_with_its_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    // Ended seven months ago: opened a month ago, due about ten days ago.
    let late = workshop_ended(&app, "Customs Valuation", 7, 0, &["MY", "MY", "SG"]).await;
    // Opens 20 days ago (set on the round, as months vary in length), due tomorrow: both
    // reminders fall before the invitation goes out, the later one at least a day before,
    // whatever the hour.
    let rushed = workshop_ended(&app, "Risk Management", 6, 20, &["TO"]).await;
    let rushed_opens = Utc::now().date_naive() - chrono::Days::new(20);
    // Ends in the future: nothing wrong.
    let ahead = workshop_ended(&app, "AEO", 0, 0, &["NP"]).await;
    let empty = workshop_ended(&app, "Origin", 1, 0, &[]).await;
    let round = app.create_round(6).await;
    for id in [late, rushed, ahead, empty] {
        let mut attached = json!({"workshop_id": id});
        if id == rushed {
            attached["opens_on"] = rushed_opens.to_string().into();
        }
        app.attach(round, &attached).await.expect(201);
    }

    let timeline = app
        .get(&format!("/v1/rounds/{round}/timeline"))
        .await
        .expect(200)
        .body;
    assert_eq!(timeline["state"], "draft");
    assert_eq!(timeline["workshops"].as_array().unwrap().len(), 4);
    let valuation = timeline["workshops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["workshop_id"] == late)
        .unwrap();
    assert_eq!(valuation["participants"], 3);
    let malaysia = &valuation["administrations"][0];
    assert_eq!(malaysia["code"], "MY");
    assert_eq!(malaysia["officers"], 2);
    assert_eq!(malaysia["time_zone"], "Asia/Kuala_Lumpur");
    let local = malaysia["invitations_at"]["local"].as_str().unwrap();
    assert!(local.ends_with("T09:00:00+08:00"), "{local}");
    let utc = malaysia["invitations_at"]["utc"].as_str().unwrap();
    assert!(utc.ends_with("T01:00:00Z"), "{utc}");
    let reminders = malaysia["reminders"].as_array().unwrap();
    assert_eq!(reminders.len(), 2);
    assert_eq!(reminders[0]["days_before_due"], 7);
    assert!(
        malaysia["due_at"]["local"]
            .as_str()
            .unwrap()
            .ends_with("T09:00:00+08:00")
    );

    let warnings = codes(&timeline["warnings"]);
    assert!(
        warnings.contains(&("due_date_passed".into(), late)),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&("reminder_before_invitation".into(), rushed)),
        "{warnings:?}"
    );
    assert!(!warnings.iter().any(|(_, id)| *id == ahead), "{warnings:?}");
    assert!(
        warnings.contains(&("no_participants".into(), empty)),
        "{warnings:?}"
    );
    let rushed_reminders = &timeline["workshops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["workshop_id"] == rushed)
        .unwrap()["administrations"][0]["reminders"];
    assert!(
        rushed_reminders
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["skipped"] == true),
        "{rushed_reminders}"
    );
    let message = timeline["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "reminder_before_invitation")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("reminders 7 and 2 days before"),
        "{message}"
    );

    // A dry run answers the same timeline, as scheduled, and changes nothing.
    let preview = app
        .post(
            &format!("/v1/rounds/{round}/schedule?dry_run=true"),
            &json!({}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(preview["state"], "scheduled");
    assert_eq!(preview["workshops"], timeline["workshops"]);
    assert_eq!(codes(&preview["warnings"]), warnings);
    assert_eq!(
        app.get(&format!("/v1/rounds/{round}")).await.body["state"],
        "draft"
    );
    assert!(app.invitations(round).await.is_empty());

    // Scheduling goes ahead, with the warnings.
    let scheduled = app
        .post(&format!("/v1/rounds/{round}/schedule"), &json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(scheduled["state"], "scheduled");
    assert_eq!(scheduled["id"], round);
    assert_eq!(codes(&scheduled["warnings"]), warnings);
    assert_eq!(app.invitations(round).await.len(), 5);
    let refused = app
        .post(
            &format!("/v1/rounds/{round}/schedule?dry_run=true"),
            &json!({}),
        )
        .await;
    assert_eq!(
        refused.body["detail"],
        "a scheduled round cannot be scheduled"
    );
    refused.expect_problem(409);
}

async fn a_dry_run_of_a_round_without_workshops_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = app.create_round(6).await;
    app.post(
        &format!("/v1/rounds/{round}/schedule?dry_run=true"),
        &json!({}),
    )
    .await
    .expect_problem(409);
    app.get("/v1/rounds/999999/timeline")
        .await
        .expect_problem(404);
}

on_both_databases!(
    the_timeline_shows_each_mail_in_utc_and_local_time_with_its_problems,
    a_dry_run_of_a_round_without_workshops_is_refused,
);
