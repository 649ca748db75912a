//! A multiple-choice question answered with none of its options: an answer with an empty
//! choice set, unlike a question left out. It counts in Table 2's base and in the
//! cross-tabulations, and the CSV export and import keep it apart from no answer.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

/// Three replies to round 6: MY chose none of the actions, HK shared materials, TH left
/// the question out.
async fn three_replies(app: &TestApp) -> i64 {
    let setup = app
        .scheduled_round(6, "AEO workshop", &["MY", "HK", "TH"])
        .await;
    app.open_today(&setup).await;
    let answers = [
        (
            "MY",
            json!({"follow_up_actions": {"choices": []}, "direct_effects": {"yes": true}}),
        ),
        (
            "HK",
            json!({"follow_up_actions": {"choices": ["share_materials"]}, "direct_effects": {"yes": false}}),
        ),
        ("TH", json!({"direct_effects": {"yes": true}})),
    ];
    for (code, answers) in answers {
        let token = app.link(setup.invitation_of(code)).await;
        let receipt = app.respond(&token, &answers).await.expect(200).body;
        if code == "MY" {
            assert_eq!(
                receipt["answers"]["follow_up_actions"]["choices"],
                json!([])
            );
        }
    }
    setup.round_id
}

async fn none_of_the_options_counts_in_table_2_and_the_cross_tabs(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = three_replies(&app).await;
    let table = app
        .get(&format!(
            "/v1/rounds/{round}/analytics/choices?question=follow_up_actions"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(table["total"]["base"], 2, "MY and HK answered; TH did not");
    assert_eq!(table["total"]["options"][0]["count"], 1);
    assert_eq!(table["total"]["options"][0]["percent"], 50);
    let tab = app
        .get(&format!("/v1/rounds/{round}/analytics/cross-tab?outcome=direct_effects&actions=follow_up_actions:share_materials"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        tab["actions"][0]["association"]["table"],
        json!({"both": 0, "action_only": 1, "outcome_only": 2, "neither": 0}),
        "MY (no action, direct effects) is in the table"
    );
}

/// The answer columns of each administration's row.
fn answer_cells(csv: &str) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (code, actions) = (column("administration"), column("follow_up_actions"));
    let mut cells: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[code].to_owned(), r[actions].to_owned())
        })
        .collect();
    cells.sort();
    cells
}

async fn export_and_import_keep_none_apart_from_no_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = three_replies(&app).await;
    let exported = app
        .get(&format!("/v1/rounds/{round}/replies/export"))
        .await
        .expect(200)
        .text;
    let cells = answer_cells(&exported);
    assert_eq!(
        cells,
        [
            ("HK".to_owned(), "share_materials".to_owned()),
            ("MY".to_owned(), "(none)".to_owned()),
            ("TH".to_owned(), String::new()),
        ]
    );
    // Into another round, as history: the same workshop under another title.
    let history = exported.replace("AEO workshop", "AEO workshop (history)");
    let other = app.create_round(7).await;
    app.send(
        app.request_as(
            &app.admin_key,
            reqwest::Method::POST,
            &format!("/v1/rounds/{other}/replies/import"),
        )
        .header("content-type", "text/csv")
        .body(history),
    )
    .await
    .expect(201);
    let again = app
        .get(&format!("/v1/rounds/{other}/replies/export"))
        .await
        .expect(200)
        .text;
    assert_eq!(answer_cells(&again), cells);
    let replies = app
        .get(&format!("/v1/rounds/{other}/replies"))
        .await
        .expect(200)
        .body;
    let of = |code: &str| -> Value {
        replies["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["administration"] == code)
            .unwrap()["answers"]
            .clone()
    };
    assert_eq!(of("MY")["follow_up_actions"]["choices"], json!([]));
    assert!(of("TH").get("follow_up_actions").is_none());
}

on_both_databases!(
    none_of_the_options_counts_in_table_2_and_the_cross_tabs,
    export_and_import_keep_none_apart_from_no_answer,
);
