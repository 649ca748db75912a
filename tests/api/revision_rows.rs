//! A revision stores its answers as a first submission of the same answers would: it
//! writes only the rows that change (`replies::answers::store_answers`), and must leave the
//! same `answers` and `answer_choices` rows as a store from nothing.

use entity::{answer, answer_choice, reply, reply_revision};
use followup::domain::answers::{Answer, Answers};
use followup::services::replies::answers::store_answers;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, full_answers, spawn_app, spawn_app_with};

/// The stored rows of `reply_id`, without the reply's id: answers, then chosen options.
async fn rows_of(app: &TestApp, reply_id: i32) -> (Vec<Value>, Vec<(String, String)>) {
    let answers = answer::Entity::find()
        .filter(answer::Column::ReplyId.eq(reply_id))
        .order_by_asc(answer::Column::QuestionCode)
        .all(&app.db)
        .await
        .unwrap();
    let choices = answer_choice::Entity::find()
        .filter(answer_choice::Column::ReplyId.eq(reply_id))
        .order_by_asc(answer_choice::Column::QuestionCode)
        .order_by_asc(answer_choice::Column::OptionCode)
        .all(&app.db)
        .await
        .unwrap();
    let answers = answers
        .into_iter()
        .map(|mut row| {
            row.reply_id = 0;
            serde_json::to_value(row).unwrap()
        })
        .collect();
    let choices = choices
        .into_iter()
        .map(|row| (row.question_code, row.option_code))
        .collect();
    (answers, choices)
}

async fn reply_of(app: &TestApp, invitation_id: i64) -> reply::Model {
    reply::Entity::find()
        .filter(reply::Column::InvitationId.eq(invitation_id as i32))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a reply")
}

/// Revisions that change every kind of stored value: options added and dropped, the
/// `other` text, a comment added, a yes turned to no, a question left out, then given again.
fn revisions() -> Vec<Value> {
    let mut fewer = full_answers();
    fewer["follow_up_actions"] = json!({"choices": ["submit_report"]});
    fewer["direct_effects"] = json!({"yes": false});
    fewer.as_object_mut().unwrap().remove("lessons_applied");
    let mut other = fewer.clone();
    other["follow_up_actions"] =
        json!({"choices": ["other", "share_materials"], "other": "Trained the port staff"});
    other["efficiency_improved"] = json!({"yes": true, "comment": "Clearance in half the time"});
    let mut none = other.clone();
    none["follow_up_actions"] = json!({"choices": []});
    none["lessons_applied"] = json!({"text": "Given again"});
    vec![fewer, other, none]
}

async fn a_revision_stores_the_rows_of_a_first_submission(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app
        .scheduled_round(6, "AEO", &["MY", "TH", "ID", "PH"])
        .await;
    app.open_today(&setup).await;
    let revised = app.link(setup.invitation_of("MY")).await;
    app.respond(&revised, &full_answers()).await.expect(200);
    for (answers, code) in revisions().iter().zip(["TH", "ID", "PH"]) {
        app.respond(&revised, answers).await.expect(200);
        let first = app.link(setup.invitation_of(code)).await;
        app.respond(&first, answers).await.expect(200);
        let revised_reply = reply_of(&app, setup.invitation_of("MY")).await;
        let first_reply = reply_of(&app, setup.invitation_of(code)).await;
        assert_eq!(first_reply.revision, 1);
        assert_eq!(
            rows_of(&app, revised_reply.id).await,
            rows_of(&app, first_reply.id).await,
            "{answers}"
        );
    }
    let reply = reply_of(&app, setup.invitation_of("MY")).await;
    assert_eq!(reply.revision, 4);
    let history = reply_revision::Entity::find()
        .filter(reply_revision::Column::ReplyId.eq(reply.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(history, 4);
}

/// Concurrent revisions of one link take turns on the invitation's lock (PostgreSQL: one
/// that read the reply while waiting finds its revision moved and reads it again), each
/// kept exactly once.
async fn concurrent_revisions_of_one_link_are_each_kept(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.revisions_per_hour = std::num::NonZeroU32::new(100).unwrap();
    })
    .await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "TH"]).await;
    app.open_today(&setup).await;
    let link = app.link(setup.invitation_of("MY")).await;
    app.respond(&link, &full_answers()).await.expect(200);
    let revisions = (0..30).map(|i| {
        let mut answers = full_answers();
        answers["lessons_applied"] = json!({"text": format!("Revision {i}")});
        answers
    });
    let statuses = futures_util::future::join_all(revisions.map(|answers| {
        let (app, link) = (&app, &link);
        async move { app.respond(link, &answers).await.status.as_u16() }
    }))
    .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let reply = reply_of(&app, setup.invitation_of("MY")).await;
    assert_eq!(reply.revision, 31);
    let history = reply_revision::Entity::find()
        .filter(reply_revision::Column::ReplyId.eq(reply.id))
        .order_by_asc(reply_revision::Column::Revision)
        .all(&app.db)
        .await
        .unwrap();
    let numbers: Vec<i32> = history.iter().map(|r| r.revision).collect();
    assert_eq!(numbers, (1..=31).collect::<Vec<_>>());
    // The stored rows are those of the latest revision.
    let latest = history.last().unwrap().answers.clone();
    let first = app.link(setup.invitation_of("TH")).await;
    app.respond(&first, &latest).await.expect(200);
    let th = reply_of(&app, setup.invitation_of("TH")).await;
    assert_eq!(rows_of(&app, reply.id).await, rows_of(&app, th.id).await);
}

/// Answers of every stored kind, including single choice and scale values, which the
/// default questionnaire does not ask: `store_answers` writes what it is given.
fn every_kind() -> Answers {
    let answer = |f: &dyn Fn(&mut Answer)| {
        let mut answer = Answer::default();
        f(&mut answer);
        answer
    };
    Answers::from([
        (
            "a_choice".into(),
            answer(&|a| a.choice = Some("other".into())),
        ),
        ("a_scale".into(), answer(&|a| a.value = Some(-3))),
        (
            "choices".into(),
            answer(&|a| {
                a.choices = Some(vec!["x".into(), "other".into()]);
                a.other = Some("it's \"quoted\" — and ünïcode".into());
            }),
        ),
        ("none".into(), answer(&|a| a.choices = Some(vec![]))),
        (
            "text".into(),
            answer(&|a| {
                a.text = Some("line one\nline two".into());
                a.comment = Some("a comment".into());
            }),
        ),
    ])
}

/// The answers of the latest revision of `reply`, as stored with it.
async fn latest_answers(app: &TestApp, reply: &reply::Model) -> Answers {
    let revision = reply_revision::Entity::find()
        .filter(reply_revision::Column::ReplyId.eq(reply.id))
        .filter(reply_revision::Column::Revision.eq(reply.revision))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the latest revision");
    serde_json::from_value(revision.answers).unwrap()
}

/// From the default questionnaire's answers to answers of every kind and back: the rows
/// written by difference equal those written from nothing.
async fn answers_stored_by_difference_equal_answers_stored_afresh(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "TH"]).await;
    app.open_today(&setup).await;
    for code in ["MY", "TH"] {
        let link = app.link(setup.invitation_of(code)).await;
        app.respond(&link, &full_answers()).await.expect(200);
    }
    let revised = reply_of(&app, setup.invitation_of("MY")).await;
    let afresh = reply_of(&app, setup.invitation_of("TH")).await;
    let full = latest_answers(&app, &revised).await;
    let mut stored = full.clone();
    for next in [every_kind(), full, Answers::new(), every_kind()] {
        store_answers(&app.db, &revised, Some(&stored), &next)
            .await
            .unwrap();
        store_answers(&app.db, &afresh, None, &next).await.unwrap();
        assert_eq!(
            rows_of(&app, revised.id).await,
            rows_of(&app, afresh.id).await,
            "{next:?}"
        );
        stored = next;
    }
    let (answers, choices) = rows_of(&app, revised.id).await;
    assert_eq!(answers.len(), 5);
    assert_eq!(choices.len(), 3);
}

on_both_databases!(
    answers_stored_by_difference_equal_answers_stored_afresh,
    a_revision_stores_the_rows_of_a_first_submission,
    concurrent_revisions_of_one_link_are_each_kept,
);
