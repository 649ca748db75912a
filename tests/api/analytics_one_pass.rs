//! The tables are computed in memory from one read of the round (`analytics::round_data`);
//! the database's own aggregates (`analytics::queries`, `analytics::member_counts`) are the
//! reference. For several random rounds, every count a table is made of is compared: the
//! invitations and replies per workshop, each question's answers and yes per workshop, each
//! option's choices per workshop, and the cross-tab cells per workshop and administration.

use followup::analytics::round_data::RoundData;
use followup::analytics::selector::Selector;
use followup::analytics::{member_counts, queries};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use crate::helpers::{Backend, TestApp, participant_body, spawn_app, workshop_body};

const CODES: [&str; 8] = ["MY", "SG", "TH", "ID", "TO", "NP", "FJ", "HK"];
const OPTIONS: [&str; 5] = [
    "share_materials",
    "submit_report",
    "make_recommendations",
    "organize_inhouse_workshop",
    "develop_manuals",
];
const YES_NO: [&str; 3] = ["direct_effects", "efficiency_improved", "new_projects"];

/// Random answers: any subset of the options (none at all is an answer too), `other` now
/// and then, each yes/no question answered or left out.
fn random_answers(rng: &mut StdRng) -> Value {
    let mut answers = Map::new();
    if rng.random_bool(0.85) {
        let mut chosen: Vec<&str> = OPTIONS
            .iter()
            .copied()
            .filter(|_| rng.random_bool(0.45))
            .collect();
        let mut answer = json!({});
        if rng.random_bool(0.2) {
            chosen.push("other");
            answer["other"] = json!("Briefed the minister");
        }
        answer["choices"] = json!(chosen);
        answers.insert("follow_up_actions".into(), answer);
    }
    for question in YES_NO {
        if rng.random_bool(0.8) {
            answers.insert(question.into(), json!({"yes": rng.random_bool(0.55)}));
        }
    }
    Value::Object(answers)
}

/// A round of 2 to 4 workshops with 3 to 8 officers each, about two thirds of them replying.
async fn random_round(app: &TestApp, rng: &mut StdRng, number: i64) -> i64 {
    let round = app.create_round(number).await;
    for w in 0..rng.random_range(2..=4) {
        let start = format!("2019-{:02}-10", 3 + w);
        let end = format!("2019-{:02}-12", 3 + w);
        let workshop = app
            .create_workshop(&workshop_body(
                &format!("Workshop {number}.{w}"),
                &start,
                &end,
            ))
            .await["id"]
            .as_i64()
            .unwrap();
        for p in 0..rng.random_range(3..=8) {
            let code = CODES[rng.random_range(0..CODES.len())];
            let email = format!(
                "o{number}-{w}-{p}@customs.{}.example.org",
                code.to_lowercase()
            );
            app.create_participant(
                workshop,
                &participant_body(&format!("Officer {p}"), &email, code),
            )
            .await;
        }
        app.attach(round, &json!({"workshop_id": workshop}))
            .await
            .expect(201);
    }
    app.post(&format!("/v1/rounds/{round}/schedule"), &json!({}))
        .await
        .expect(200);
    for invitation in app.invitations(round).await {
        if rng.random_bool(0.67) {
            let body =
                json!({"answers": random_answers(rng), "received_at": "2020-06-20T01:00:00Z"});
            app.put(
                &format!("/v1/invitations/{}/reply", invitation["id"]),
                &body,
            )
            .await
            .expect(200);
        }
    }
    round
}

fn sorted(mut counts: Vec<member_counts::MemberCounts>) -> Vec<String> {
    counts.sort_by(|a, b| {
        (&a.administration, a.workshop_id).cmp(&(&b.administration, b.workshop_id))
    });
    counts.iter().map(|c| format!("{c:?}")).collect()
}

async fn one_pass_counts_equal_the_database_aggregates(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = &app.db;
    let mut compared = 0;
    for seed in 1..=3u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let round = random_round(&app, &mut rng, seed as i64).await as i32;
        let data = RoundData::load(db, round).await.unwrap();
        assert!(!data.replies.is_empty(), "seed {seed}");
        assert_eq!(
            data.invited,
            queries::invited_per_workshop(db, round).await.unwrap()
        );
        assert_eq!(
            data.replied_per_workshop(),
            queries::replied_per_workshop(db, round).await.unwrap()
        );
        for question in ["follow_up_actions", "lessons_applied"]
            .into_iter()
            .chain(YES_NO)
        {
            assert_eq!(
                data.answered(question),
                queries::answered(db, round, question).await.unwrap(),
                "seed {seed}, {question}"
            );
            assert_eq!(
                data.option_counts(question),
                queries::option_counts(db, round, question).await.unwrap(),
                "seed {seed}, {question}"
            );
            compared += 2;
        }
        for _ in 0..6 {
            let mut actions: Vec<Selector> = OPTIONS
                .iter()
                .chain(&["other"])
                .filter(|_| rng.random_bool(0.4))
                .map(|option| Selector::parse(&format!("follow_up_actions:{option}")))
                .collect();
            actions.push(Selector::parse(YES_NO[rng.random_range(0..3)]));
            let outcome = YES_NO[rng.random_range(0..3)];
            assert_eq!(
                sorted(data.member_counts(&actions, outcome)),
                sorted(
                    member_counts::cross_tab(db, round, &actions, outcome)
                        .await
                        .unwrap()
                ),
                "seed {seed}, {actions:?} against {outcome}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 3 * (5 * 2 + 6));
}

on_both_databases!(one_pass_counts_equal_the_database_aggregates);
