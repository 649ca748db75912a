//! "This survey is not for me": the officer's form at `/respond/{token}/not-for-me` (no
//! JavaScript; a link scanner's `GET` changes nothing; a form from another site is
//! refused), the requests staff list, accept (the hand-over runs: the colleague gets the
//! invitation, the old link stops) or reject, each audited and announced.

use entity::event;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::pages::{browser, open, open_round, read};

async fn send(app: &TestApp, token: &str, form: &[(&str, &str)]) -> crate::pages::Page {
    read(
        browser()
            .post(app.url(&format!("/respond/{token}/not-for-me")))
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn pending(app: &TestApp) -> Vec<serde_json::Value> {
    app.get("/v1/handover-requests?status=pending")
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn an_officer_names_a_colleague_and_staff_hand_the_invitation_over(backend: Backend) {
    let app = spawn_app(backend).await;
    let (setup, token) = open_round(&app).await;
    let form = open(&app, &format!("/respond/{token}")).await;
    assert!(
        form.html
            .contains(&format!("href=\"/respond/{token}/not-for-me\"")),
        "the answering page links to it"
    );
    // Opening the form (as a link scanner would) records nothing.
    let page = open(&app, &format!("/respond/{token}/not-for-me")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html
            .contains("<h1 class=\"heading\">This survey is not for me</h1>")
    );
    assert!(pending(&app).await.is_empty());

    // Errors are named; nothing is recorded.
    let invalid = send(&app, &token, &[("name", ""), ("email", "nobody")]).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        invalid.html.contains("Enter the name of your colleague"),
        "{}",
        invalid.html
    );
    assert!(invalid.html.contains("href=\"#email\""));
    assert!(pending(&app).await.is_empty());
    // From another site: refused.
    let forged = read(
        browser()
            .post(app.url(&format!("/respond/{token}/not-for-me")))
            .header("sec-fetch-site", "cross-site")
            .form(&[("name", "Mallory"), ("email", "mallory@example.org")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let sent = send(
        &app,
        &token,
        &[
            ("name", "Lim Wei Ling"),
            ("email", "Lim.WeiLing@customs.my.example.org"),
            ("note", "She heads the AEO unit now"),
        ],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let again = open(&app, &format!("/respond/{token}/not-for-me")).await;
    assert!(
        again.html.contains("that Lim Wei Ling should answer"),
        "{}",
        again.html
    );
    let requests = pending(&app).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0]["colleague_email"],
        "lim.weiling@customs.my.example.org"
    );
    // The follow-up list says to decide it.
    let list = app
        .get(&format!("/v1/rounds/{}/follow-up", setup.round_id))
        .await
        .expect(200)
        .body;
    assert_eq!(list["items"][0]["next_step"], "decide_handover", "{list}");
    // The officer's link keeps working until staff act.
    assert_eq!(
        open(&app, &format!("/respond/{token}")).await.status,
        StatusCode::OK
    );

    // Partners never see them; staff accept: the hand-over runs.
    let partner = app.key_for("partner").await;
    app.send(app.request_as(&partner, reqwest::Method::GET, "/v1/handover-requests"))
        .await
        .expect(403);
    let id = requests[0]["id"].as_i64().unwrap();
    let accepted = app
        .post(&format!("/v1/handover-requests/{id}/accept"), &json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(
        open(&app, &format!("/respond/{token}")).await.status,
        StatusCode::NOT_FOUND
    );
    let invitation = app
        .get(&format!("/v1/invitations/{}", setup.invitation_of("MY")))
        .await
        .expect(200)
        .body;
    assert_eq!(
        invitation["participant"]["email"],
        "lim.weiling@customs.my.example.org"
    );
    app.post(&format!("/v1/handover-requests/{id}/reject"), &json!({}))
        .await
        .expect_problem(409);
    let announced = event::Entity::find()
        .filter(event::Column::Kind.eq("handover.accepted"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(announced, 1);

    // The colleague may say the same; staff reject it: the link stays theirs.
    let token = app.link(setup.invitation_of("MY")).await;
    send(
        &app,
        &token,
        &[
            ("name", "Someone Else"),
            ("email", "someone@customs.my.example.org"),
        ],
    )
    .await;
    let id = pending(&app).await[0]["id"].as_i64().unwrap();
    let rejected = app
        .post(&format!("/v1/handover-requests/{id}/reject"), &json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(
        open(&app, &format!("/respond/{token}")).await.status,
        StatusCode::OK
    );
    assert!(pending(&app).await.is_empty());
    let all = app.get("/v1/handover-requests").await.expect(200).body;
    assert_eq!(all["total"], 2);
}

on_both_databases!(an_officer_names_a_colleague_and_staff_hand_the_invitation_over);
