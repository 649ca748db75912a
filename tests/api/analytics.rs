//! The Good Practice Report's tables, computed from the demo data (loaded through the CSV
//! import), cell by cell as the report prints them; Table 3 and Table 4's in-house count as
//! the member lists give them (see `followup::demo`).

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, spawn_app};

async fn survey_2020(app: &TestApp) -> i64 {
    let loaded = followup::demo::load(&app.db).await.expect("the demo loads");
    i64::from(loaded.survey_2020)
}

fn counts(row: &Value) -> Vec<u64> {
    row["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["count"].as_u64().unwrap())
        .collect()
}

fn yes_no_row(row: &Value) -> (u64, u64, u64) {
    (
        row["base"].as_u64().unwrap(),
        row["yes"]["count"].as_u64().unwrap(),
        row["no"]["count"].as_u64().unwrap(),
    )
}

/// A member list as the report prints it; `*` marks an underlined (or bold) code.
fn members(list: &Value) -> String {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let code = m["administration"].as_str().unwrap();
            if m["marked"] == true {
                format!("{code}*")
            } else {
                code.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn table_1_reply_rates(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let rates = app
        .get(&format!("/v1/rounds/{round}/analytics/reply-rates"))
        .await
        .expect(200)
        .body;
    let rows: Vec<(u64, u64)> = rates["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rate"]["base"].as_u64().unwrap(),
                r["rate"]["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [(5, 4), (22, 12), (6, 6), (7, 6)]);
    let sub = &rates["subtotals"];
    assert_eq!(
        (
            sub[0]["scope"].as_str(),
            sub[0]["rate"]["base"].as_u64(),
            sub[0]["rate"]["count"].as_u64(),
            sub[0]["rate"]["percent"].as_u64()
        ),
        (Some("sub_regional"), Some(18), Some(16), Some(89))
    );
    assert_eq!(
        (
            sub[1]["scope"].as_str(),
            sub[1]["rate"]["base"].as_u64(),
            sub[1]["rate"]["count"].as_u64(),
            sub[1]["rate"]["percent"].as_u64()
        ),
        (Some("regional"), Some(22), Some(12), Some(55))
    );
    assert_eq!(
        (
            rates["total"]["base"].as_u64(),
            rates["total"]["count"].as_u64(),
            rates["total"]["percent"].as_u64()
        ),
        (Some(40), Some(28), Some(70))
    );
    assert_eq!(rates["previous"]["round"]["title"], "Survey 2019");
    assert_eq!(rates["previous"]["rate"]["percent"], 54, "54% in 2019");
    let interval = (
        rates["total"]["ci_low"].as_f64().unwrap(),
        rates["total"]["ci_high"].as_f64().unwrap(),
    );
    assert!(
        (interval.0 - 0.5457).abs() < 1e-3 && (interval.1 - 0.8193).abs() < 1e-3,
        "{interval:?}"
    );
}

async fn table_2_follow_up_actions(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let table = app
        .get(&format!(
            "/v1/rounds/{round}/analytics/choices?question=follow_up_actions"
        ))
        .await
        .expect(200)
        .body;
    let options: Vec<&str> = table["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        options,
        [
            "share_materials",
            "submit_report",
            "make_recommendations",
            "organize_inhouse_workshop",
            "develop_manuals",
            "other"
        ]
    );
    let rows: Vec<Vec<u64>> = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(counts)
        .collect();
    assert_eq!(
        rows,
        [
            vec![4, 2, 2, 3, 2, 2],
            vec![11, 10, 8, 3, 3, 3],
            vec![4, 4, 4, 3, 3, 2],
            vec![4, 3, 1, 2, 2, 3]
        ]
    );
    assert_eq!(counts(&table["total"]), [23, 19, 15, 11, 10, 10]);
    let percents: Vec<u64> = table["total"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["percent"].as_u64().unwrap())
        .collect();
    assert_eq!(
        percents[..2],
        [82, 68],
        "82% shared materials, 68% submitted reports"
    );
    assert_eq!(table["total"]["base"], 28);
}

async fn tables_3_5_6_yes_no_outcomes(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let table = |question: &'static str| {
        let app = &app;
        async move {
            app.get(&format!(
                "/v1/rounds/{round}/analytics/yes-no?question={question}"
            ))
            .await
            .expect(200)
            .body
        }
    };
    let direct = table("direct_effects").await;
    let rows: Vec<_> = direct["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(yes_no_row)
        .collect();
    // Row 3 as Table 4's member list gives it (VU, PG, FJ, TO): 4 yes, not the 5 printed.
    assert_eq!(rows, [(3, 1, 2), (11, 4, 7), (6, 4, 2), (6, 3, 3)]);
    assert_eq!(yes_no_row(&direct["total"]), (26, 12, 14));

    let efficiency = table("efficiency_improved").await;
    let rows: Vec<_> = efficiency["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(yes_no_row)
        .collect();
    assert_eq!(rows, [(4, 4, 0), (12, 12, 0), (6, 6, 0), (6, 6, 0)]);
    assert_eq!(yes_no_row(&efficiency["total"]), (28, 28, 0));
    assert_eq!(efficiency["total"]["yes"]["percent"], 100);

    let projects = table("new_projects").await;
    let rows: Vec<_> = projects["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(yes_no_row)
        .collect();
    assert_eq!(rows, [(4, 2, 2), (12, 10, 2), (6, 3, 3), (4, 4, 0)]);
    assert_eq!(yes_no_row(&projects["total"]), (26, 19, 7));
    assert_eq!(projects["total"]["yes"]["percent"], 73);
}

async fn table_4_direct_effects_against_sharing_and_in_house_workshops(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let tab = app
        .get(&format!("/v1/rounds/{round}/analytics/cross-tab?outcome=direct_effects&actions=follow_up_actions:share_materials,follow_up_actions:organize_inhouse_workshop"))
        .await
        .expect(200)
        .body;
    let rows: Vec<[String; 3]> = tab["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            [
                members(&r["actions"][0]),
                members(&r["actions"][1]),
                members(&r["outcome"]),
            ]
        })
        .collect();
    assert_eq!(rows[0], ["IN, LK, MV, NP*", "IN, LK, MV", "NP*"]);
    assert_eq!(
        rows[1],
        [
            "AU, BD, FJ*, HK, ID, MN, MV, MY*, TH*, TO, VN",
            "FJ*, MY*, TO",
            "FJ*, JP, MY*, TH*"
        ]
    );
    assert_eq!(
        rows[2],
        ["PG*, TL, TO*, VU*", "PG*, TO*, WS", "FJ, PG*, TO*, VU*"]
    );
    assert_eq!(rows[3], ["ID, KH*, MY, TH", "KH*, LA*", "KH*, LA*, MM"]);
    let totals: Vec<(u64, u64, u64)> = tab["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["took"].as_u64().unwrap(),
                a["with_outcome"]["count"].as_u64().unwrap(),
                a["with_outcome"]["percent"].as_u64().unwrap(),
            )
        })
        .collect();
    // 8 (35%) as printed; the in-house row gives 6 (55%) by its member lists, not 5 (45%).
    assert_eq!(totals, [(23, 8, 35), (11, 6, 55)]);
    assert_eq!(tab["outcome_count"], 12);
    assert_eq!(
        (
            tab["outcome_with_any_action"]["count"].as_u64(),
            tab["outcome_with_any_action"]["percent"].as_u64()
        ),
        (Some(9), Some(75))
    );
    let association = &tab["actions"][0]["association"];
    // Over the 26 who answered about direct effects (LK and AU shared but did not say).
    assert_eq!(
        association["table"],
        serde_json::json!({"both": 8, "action_only": 13, "outcome_only": 4, "neither": 1})
    );
    // scipy.stats.fisher_exact([[8, 13], [4, 1]]): odds ratio 0.1538..., p 0.1478...
    assert!((association["fisher_p"].as_f64().unwrap() - 0.14782608695652172).abs() < 1e-9);
    assert!((association["odds_ratio"].as_f64().unwrap() - 0.15384615384615385).abs() < 1e-9);
    assert_eq!(association["small_cells"], true);
}

async fn table_7_new_projects_against_reports_and_recommendations(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let tab = app
        .get(&format!("/v1/rounds/{round}/analytics/cross-tab?outcome=new_projects&actions=follow_up_actions:submit_report,follow_up_actions:make_recommendations"))
        .await
        .expect(200)
        .body;
    let rows: Vec<[String; 3]> = tab["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            [
                members(&r["actions"][0]),
                members(&r["actions"][1]),
                members(&r["outcome"]),
            ]
        })
        .collect();
    assert_eq!(rows[0], ["LK, MV*", "LK, MV*", "MV*, NP"]);
    assert_eq!(
        rows[1],
        [
            "AU, BD, HK*, ID*, JP*, MN*, MY*, TH*, TO*, VN*",
            "AU, BD, ID*, JP*, MY*, TH*, TO*, VN*",
            "FJ, HK*, ID*, JP*, MN*, MV, MY*, TH*, TO*, VN*"
        ]
    );
    assert_eq!(
        rows[2],
        ["FJ*, PG, VU, WS*", "FJ*, PG, VU, WS*", "FJ*, TO, WS*"]
    );
    assert_eq!(rows[3], ["ID*, KH, LA*", "ID*", "ID*, LA*, MM, TH"]);
    let totals: Vec<(u64, u64, u64)> = tab["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["took"].as_u64().unwrap(),
                a["with_outcome"]["count"].as_u64().unwrap(),
                a["with_outcome"]["percent"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(totals, [(19, 13, 68), (15, 10, 67)]);
    assert_eq!(tab["outcome_count"], 19);
}

async fn the_report_numbers_its_tables_like_the_printed_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let report = app
        .get(&format!("/v1/rounds/{round}/report"))
        .await
        .expect(200);
    assert!(
        report.headers.contains_key("etag"),
        "a closed round's report is final"
    );
    let body = &report.body;
    assert_eq!(body["final"], true);
    let kinds: Vec<(u64, &str)> = body["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["number"].as_u64().unwrap(),
                t["content"]["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (1, "reply_rates"),
            (2, "choices"),
            (3, "yes_no"),
            (4, "cross_tab"),
            (5, "yes_no"),
            (6, "yes_no"),
            (7, "cross_tab")
        ]
    );
    assert_eq!(
        body["tables"][3]["content"]["data"]["outcome"]["code"],
        "direct_effects"
    );
    assert_eq!(
        body["tables"][6]["content"]["data"]["outcome"]["code"],
        "new_projects"
    );
    let findings: Vec<&str> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        findings[0].contains("28 replies from 40 invitations")
            && findings[0].contains("70%")
            && findings[0].contains("up from 54%"),
        "{findings:?}"
    );
    assert!(
        findings.iter().any(
            |f| f.contains("shared or circulated the training materials with colleagues (82%)")
        ),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.contains("Of the 12 replies that answered yes") && f.contains("9 (75%)")),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("Since the Survey 2019")),
        "{findings:?}"
    );
    assert_eq!(body["good_practices"].as_array().unwrap().len(), 6);

    let etag = report.headers["etag"].to_str().unwrap().to_owned();
    let again = app
        .send(
            app.request_as(
                &app.admin_key,
                Method::GET,
                &format!("/v1/rounds/{round}/report"),
            )
            .header("if-none-match", etag),
        )
        .await;
    assert_eq!(again.status, 304);
}

async fn each_table_exports_as_csv(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let csv = app
        .get(&format!("/v1/rounds/{round}/report?format=csv&table=2"))
        .await
        .expect(200);
    assert!(csv.content_type().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "workshop,answered,share_materials,submit_report,make_recommendations,organize_inhouse_workshop,develop_manuals,other"
    );
    assert!(lines.contains(&"Total,28,23,19,15,11,10,10"), "{lines:?}");
    let table_4 = app
        .send(
            app.request_as(
                &app.admin_key,
                Method::GET,
                &format!("/v1/rounds/{round}/report?table=4"),
            )
            .header("accept", "text/csv"),
        )
        .await
        .expect(200);
    assert!(
        table_4
            .text
            .contains(",AU BD FJ* HK ID MN MV MY* TH* TO VN,"),
        "{}",
        table_4.text
    );
    let first = app
        .get(&format!("/v1/rounds/{round}/report?format=csv"))
        .await
        .expect(200);
    assert!(
        first.text.starts_with("workshop,scope,invited,replied"),
        "Table 1 by default"
    );
    app.get(&format!("/v1/rounds/{round}/report?format=csv&table=99"))
        .await
        .expect_problem(404);
    let fields = app
        .get(&format!("/v1/rounds/{round}/report?table=0"))
        .await
        .expect_problem(400);
    assert_eq!(fields, ["table"]);
}

async fn the_html_report_has_every_table_and_well_formed_svg_charts(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let page = app
        .send(
            app.request_as(
                &app.admin_key,
                Method::GET,
                &format!("/v1/rounds/{round}/report"),
            )
            .header("accept", "text/html"),
        )
        .await
        .expect(200);
    assert!(page.content_type().starts_with("text/html"));
    let html = &page.text;
    for number in 1..=7 {
        assert!(
            html.contains(&format!("id=\"table-{number}\"")),
            "table {number}"
        );
    }
    assert_eq!(html.matches("<table>").count(), 7);
    assert_eq!(
        html.matches("<table>").count(),
        html.matches("</table>").count()
    );
    let charts: Vec<&str> = html
        .split("<svg")
        .skip(1)
        .map(|rest| rest.split("</svg>").next().unwrap())
        .collect();
    assert_eq!(charts.len(), 7, "a chart per table");
    for chart in &charts {
        let svg = format!("<svg{chart}</svg>");
        assert!(svg.contains("<rect") && svg.contains("<title>"));
        assert_eq!(
            svg.matches('<').count(),
            svg.matches('>').count(),
            "balanced tags"
        );
    }
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    assert!(html.contains("Survey 2020") && html.contains("Good practices"));
    assert!(!html.contains("<script"), "printable and self-contained");
    // Good practices under their category's heading, in the printed report's order, and
    // never the raw code.
    let headings: Vec<&str> = html
        .split("<h3>")
        .skip(1)
        .map(|rest| rest.split("</h3>").next().unwrap())
        .collect();
    assert!(headings.len() >= 2, "{headings:?}");
    let order = [
        "Operational improvement",
        "Strategic empowerment",
        "Direct effects",
        "Work efficiency and effectiveness",
        "Modernization projects",
        "Other follow-up actions",
    ];
    let positions: Vec<usize> = headings
        .iter()
        .map(|h| {
            order
                .iter()
                .position(|o| o == h)
                .expect("a category's label")
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{headings:?}");
    for code in ["operational_improvement", "direct_effect", "other_action"] {
        assert!(!html.contains(code), "{code} shows raw");
    }
    // Long chart labels wrap onto lines that fit left of the plot.
    assert!(html.contains("<tspan"), "wrapped labels");
}

async fn trends_put_rounds_side_by_side_by_question_code(backend: Backend) {
    let app = spawn_app(backend).await;
    survey_2020(&app).await;
    let trends = app
        .get("/v1/trends?from=2018/19&to=2019/20")
        .await
        .expect(200)
        .body;
    let titles: Vec<&str> = trends["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Survey 2019", "Survey 2020"]);
    let rates: Vec<u64> = trends["reply_rate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["percent"].as_u64().unwrap())
        .collect();
    assert_eq!(rates, [54, 70]);
    let actions = trends["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["code"] == "follow_up_actions")
        .unwrap();
    let share = actions["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["option"]["code"] == "share_materials")
        .unwrap();
    let shares: Vec<(u64, u64)> = share["per_round"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["count"].as_u64().unwrap(), p["base"].as_u64().unwrap()))
        .collect();
    assert_eq!(shares, [(19, 27), (23, 28)]);
    let direct = trends["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["code"] == "direct_effects")
        .unwrap();
    assert_eq!(direct["yes"][1]["count"], 12);
    assert!(
        trends["questions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["code"] != "lessons_applied"),
        "text has no figures"
    );
    assert_eq!(
        app.get("/v1/trends?from=2021/22").await.expect(200).body["rounds"],
        serde_json::json!([])
    );
    assert_eq!(
        app.get("/v1/trends?from=2019").await.expect_problem(400),
        ["from"]
    );
}

async fn partners_read_analytics_but_not_replies(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let partner = app.key_for("partner").await;
    for path in [
        format!("/v1/rounds/{round}/report"),
        format!("/v1/rounds/{round}/analytics/reply-rates"),
        "/v1/trends".to_owned(),
    ] {
        app.send(app.request_as(&partner, Method::GET, &path))
            .await
            .expect(200);
    }
    app.send(app.request_as(
        &partner,
        Method::GET,
        &format!("/v1/rounds/{round}/replies"),
    ))
    .await
    .expect_problem(403);
    let report = app
        .send(app.request_as(&partner, Method::GET, &format!("/v1/rounds/{round}/report")))
        .await;
    assert!(
        !report.text.contains("@customs.example"),
        "no addresses in a report"
    );
}

async fn bad_analytics_requests_name_the_parameter(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let fields = app
        .get(&format!("/v1/rounds/{round}/analytics/cross-tab?outcome=lessons_applied&actions=follow_up_actions:share_materials"))
        .await
        .expect_problem(400);
    assert_eq!(fields, ["outcome"]);
    let fields = app
        .get(&format!("/v1/rounds/{round}/analytics/cross-tab?outcome=direct_effects&actions=follow_up_actions:fly"))
        .await
        .expect_problem(400);
    assert_eq!(fields, ["actions"]);
    assert_eq!(
        app.get(&format!("/v1/rounds/{round}/analytics/cross-tab?actions=x"))
            .await
            .expect_problem(400),
        ["outcome"]
    );
    app.get("/v1/rounds/4242/report").await.expect_problem(404);
}

/// A closed round's report is made afresh on each request: an edit to what the tables print
/// (a workshop's title) and a good practice withdrawn from it show at once.
async fn a_closed_rounds_report_follows_edits(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let path = format!("/v1/rounds/{round}/report");
    let first = app.get(&path).await.expect(200);
    let second = app.get(&path).await.expect(200);
    assert_eq!(first.body, second.body, "the same data, the same report");
    assert_eq!(
        first.headers["etag"], second.headers["etag"],
        "the same body, the same tag"
    );
    let again = app
        .send(
            app.request_as(&app.admin_key, Method::GET, &path)
                .header("if-none-match", second.headers["etag"].clone()),
        )
        .await;
    assert_eq!(again.status, 304);

    let row = &first.body["tables"][0]["content"]["data"]["rows"][0];
    let id = row["workshop"]["id"].as_i64().unwrap();
    let workshop = app
        .get(&format!("/v1/workshops/{id}"))
        .await
        .expect(200)
        .body;
    let mut body = serde_json::json!({});
    for field in [
        "topic",
        "scope",
        "start_date",
        "end_date",
        "venue",
        "is_virtual",
        "excluded_from_survey",
    ] {
        body[field] = workshop[field].clone();
    }
    body["title"] = "Renamed after the round closed".into();
    app.put(&format!("/v1/workshops/{id}"), &body)
        .await
        .expect(200);
    let practice = app
        .get(&format!(
            "/v1/rounds/{round}/good-practices?approved_for_report=true"
        ))
        .await
        .expect(200)
        .body["items"][0]
        .clone();
    let practice_id = practice["id"].as_i64().unwrap();
    let mut edit = serde_json::json!({});
    for field in ["text", "category", "approved_for_feedback"] {
        edit[field] = practice[field].clone();
    }
    edit["approved_for_report"] = false.into();
    app.put(&format!("/v1/good-practices/{practice_id}"), &edit)
        .await
        .expect(200);

    let third = app.get(&path).await.expect(200);
    let renamed = &third.body["tables"][0]["content"]["data"]["rows"][0]["workshop"];
    assert_eq!(renamed["title"], "Renamed after the round closed");
    assert_eq!(
        third.body["good_practices"].as_array().unwrap().len(),
        first.body["good_practices"].as_array().unwrap().len() - 1
    );
    assert_ne!(first.headers["etag"], third.headers["etag"]);
    let total = |report: &Value| report["tables"][1]["content"]["data"]["total"].clone();
    assert_eq!(total(&first.body), total(&third.body));
}

/// Every figure of the report is one `Share` shape, and every row of Tables 1, 2 and 3 names
/// its base `base`, the base of its shares.
async fn every_figure_is_one_share_and_every_row_names_its_base(backend: Backend) {
    fn shares<'a>(value: &'a Value, found: &mut Vec<&'a Value>) {
        match value {
            Value::Object(map) if map.contains_key("ci_low") => found.push(value),
            Value::Object(map) => map.values().for_each(|v| shares(v, found)),
            Value::Array(items) => items.iter().for_each(|v| shares(v, found)),
            _ => {}
        }
    }
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let report = app
        .get(&format!("/v1/rounds/{round}/report"))
        .await
        .expect(200)
        .body;
    let mut found = Vec::new();
    shares(&report, &mut found);
    assert!(found.len() > 50, "{}", found.len());
    for share in &found {
        let mut keys: Vec<&String> = share.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["base", "ci_high", "ci_low", "count", "percent"],
            "{share}"
        );
    }
    let mut rows = 0;
    for table in report["tables"].as_array().unwrap() {
        if table["content"]["kind"] == "cross_tab" {
            continue;
        }
        let content = &table["content"]["data"];
        let all = content["rows"].as_array().unwrap().iter();
        let totals = content
            .get("subtotals")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        // Table 1's total is a share itself; the others' total is a row.
        let total_row = Some(&content["total"]).filter(|t| t.get("ci_low").is_none());
        for row in all.chain(totals).chain(total_row) {
            let base = &row["base"];
            assert!(base.is_u64(), "{row}");
            let inner: Vec<&Value> = ["rate", "yes", "no"]
                .iter()
                .filter_map(|k| row.get(*k))
                .chain(
                    row.get("options")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                )
                .collect();
            assert!(!inner.is_empty(), "{row}");
            assert!(inner.iter().all(|share| &share["base"] == base), "{row}");
            rows += 1;
        }
    }
    assert!(rows >= 20, "{rows}");
}

/// No report is kept in memory: a closed round's report carries a strong entity tag and
/// `Cache-Control: private, no-cache`, so clients revalidate; `If-None-Match` with its tag
/// answers 304 without a body; and any write, even a hand-written one that the service
/// never allows on a closed round, shows in the next response of every format.
async fn a_closed_rounds_report_shows_every_write_at_once_and_revalidates(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let app = spawn_app(backend).await;
    let round = survey_2020(&app).await;
    let paths = [
        format!("/v1/rounds/{round}/report"),
        format!("/v1/rounds/{round}/report?format=csv&table=2"),
        format!("/v1/rounds/{round}/report?format=html"),
    ];
    let revalidated = |path: &str, tag: &str| {
        app.send(
            app.request_as(&app.admin_key, Method::GET, path)
                .header("if-none-match", tag.to_owned()),
        )
    };
    let mut first = Vec::new();
    for path in &paths {
        let reply = app.get(path).await.expect(200);
        assert_eq!(
            reply.headers["cache-control"], "private, no-cache",
            "{path}"
        );
        let tag = reply.headers["etag"].to_str().unwrap().to_owned();
        assert!(
            tag.starts_with('"') && tag.len() > 2,
            "{path}: a strong tag, {tag}"
        );
        let unchanged = revalidated(path, &tag).await;
        assert_eq!(unchanged.status, 304, "{path}");
        assert!(unchanged.text.is_empty(), "{path}");
        first.push((reply.text, tag));
    }
    app.db
        .execute_unprepared(&format!(
            "DELETE FROM answer_choices WHERE round_id = {round} AND option_code = 'share_materials'"
        ))
        .await
        .unwrap();
    for (path, (text, tag)) in paths.iter().zip(&first) {
        let fresh = revalidated(path, tag).await.expect(200);
        assert_ne!(&fresh.text, text, "{path}");
        assert_ne!(fresh.headers["etag"].to_str().unwrap(), tag, "{path}");
    }
    let report = app.get(&format!("/v1/rounds/{round}/report")).await.body;
    let shared = &report["tables"][1]["content"]["data"]["total"]["options"][0];
    assert_eq!(shared["count"], 0, "the counts as now stored");
}

on_both_databases!(
    a_closed_rounds_report_shows_every_write_at_once_and_revalidates,
    every_figure_is_one_share_and_every_row_names_its_base,
    table_1_reply_rates,
    table_2_follow_up_actions,
    tables_3_5_6_yes_no_outcomes,
    table_4_direct_effects_against_sharing_and_in_house_workshops,
    table_7_new_projects_against_reports_and_recommendations,
    the_report_numbers_its_tables_like_the_printed_one,
    each_table_exports_as_csv,
    the_html_report_has_every_table_and_well_formed_svg_charts,
    trends_put_rounds_side_by_side_by_question_code,
    partners_read_analytics_but_not_replies,
    bad_analytics_requests_name_the_parameter,
    a_closed_rounds_report_follows_edits,
);
