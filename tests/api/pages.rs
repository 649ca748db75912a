//! The answering page at `/respond/{token}`, as a browser without JavaScript uses it: plain
//! form posts, redirects, HTML. (The browser run in `tests/browser/` drives it in Chromium.)

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, ScheduledRound, TestApp, spawn_app, spawn_app_with};

/// A client that shows redirects instead of following them.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) html: String,
}

pub(crate) async fn read(response: reqwest::Response) -> Page {
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        html: response.text().await.unwrap(),
    }
}

pub(crate) async fn open(app: &TestApp, path: &str) -> Page {
    read(browser().get(app.url(path)).send().await.unwrap()).await
}

async fn post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> Page {
    read(
        browser()
            .post(app.url(&format!("/respond/{token}")))
            .form(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

const FULL: &[(&str, &str)] = &[
    ("follow_up_actions", "share_materials"),
    ("follow_up_actions", "other"),
    ("follow_up_actions.other", "Briefed the AEO working group"),
    ("lessons_applied", "We revised the AEO audit checklist."),
    ("direct_effects", "yes"),
    ("direct_effects.comment", "Audits take two days less"),
    ("efficiency_improved", "no"),
    ("new_projects", "no"),
];

pub(crate) async fn open_round(app: &TestApp) -> (ScheduledRound, String) {
    let setup = app.scheduled_round(6, "AEO workshop", &["MY"]).await;
    app.open_today(&setup).await;
    let token = app.link(setup.invitation_of("MY")).await;
    (setup, token)
}

async fn reply_revisions(app: &TestApp, setup: &ScheduledRound) -> Vec<i64> {
    let replies = app
        .get(&format!("/v1/rounds/{}/replies", setup.round_id))
        .await
        .expect(200)
        .body;
    replies["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect()
}

async fn the_form_shows_the_workshop_and_every_question_with_safe_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = open_round(&app).await;
    let page = open(&app, &format!("/respond/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for (header, value) in [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(page.headers[header], value, "{header}");
    }
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"));
    assert!(!policy.contains("script-src"), "no script at all: {policy}");
    for text in [
        "<html lang=\"en\">",
        "AEO workshop",
        "Officer of MY",
        "Malaysia time (UTC+8)",
        "What follow-up actions did you take after the workshop?",
        "name=\"follow_up_actions.other\"",
        "value=\":none\"",
        "name=\"direct_effects.comment\"",
        "<textarea class=\"textarea\" id=\"q-lessons_applied\"",
    ] {
        assert!(page.html.contains(text), "{text} in\n{}", page.html);
    }
    assert!(!page.html.contains("<script"), "no JavaScript");
    assert!(page.html.len() < 50_000);
    let css = open(&app, "/assets/respond.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        page.html.len() + css.html.len() < 50_000,
        "page and styles under 50 KB"
    );
}

async fn answers_are_sent_redirected_and_confirmed_then_revised(backend: Backend) {
    let app = spawn_app(backend).await;
    let (setup, token) = open_round(&app).await;
    let sent = post(&app, &token, FULL).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let done_path = format!("/respond/{token}/done");
    assert_eq!(sent.headers["location"], done_path.as_str());
    let done = open(&app, &done_path).await;
    assert_eq!(done.status, StatusCode::OK);
    for text in [
        "Revision 1",
        "Briefed the AEO working group",
        "Audits take two days less",
        "emailed",
        "change your answers",
    ] {
        assert!(done.html.contains(text), "{text} in\n{}", done.html);
    }
    let form = open(&app, &format!("/respond/{token}")).await;
    assert!(form.html.contains("revision 1"), "{}", form.html);
    assert!(
        form.html.contains("value=\"share_materials\" checked"),
        "the form holds the current answers"
    );
    let mut revised = FULL.to_vec();
    revised.retain(|(name, _)| *name != "new_projects");
    revised.push(("new_projects", "yes"));
    assert_eq!(
        post(&app, &token, &revised).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(open(&app, &done_path).await.html.contains("Revision 2"));
    assert_eq!(reply_revisions(&app, &setup).await, [2]);
}

async fn an_invalid_form_is_shown_again_with_its_errors_and_nothing_is_saved(backend: Backend) {
    let app = spawn_app(backend).await;
    let (setup, token) = open_round(&app).await;
    let long = "x".repeat(5000);
    let page = post(
        &app,
        &token,
        &[
            ("follow_up_actions", "other"),
            ("lessons_applied", long.as_str()),
            ("direct_effects.comment", "A comment without an answer"),
        ],
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not a 413 page"
    );
    assert!(page.html.contains("<title>Error: "), "{}", page.html);
    assert!(page.html.contains("There is a problem"));
    for target in [
        "href=\"#q-follow_up_actions-other\"",
        "href=\"#q-lessons_applied\"",
        "href=\"#q-direct_effects\"",
    ] {
        assert!(page.html.contains(target), "{target} in the error summary");
    }
    assert!(
        page.html.contains("A comment without an answer"),
        "what was entered is kept"
    );
    assert!(page.html.contains("value=\"other\" checked"));
    assert!(
        reply_revisions(&app, &setup).await.is_empty(),
        "nothing saved"
    );
}

async fn two_tabs_sending_at_once_make_one_reply_with_two_revisions(backend: Backend) {
    let app = spawn_app(backend).await;
    let (setup, token) = open_round(&app).await;
    let mut other = FULL.to_vec();
    other.retain(|(name, _)| *name != "efficiency_improved");
    other.push(("efficiency_improved", "yes"));
    let (first, second) = tokio::join!(post(&app, &token, FULL), post(&app, &token, &other));
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply_revisions(&app, &setup).await,
        [2],
        "one reply, two revisions"
    );
}

async fn a_closed_round_shows_the_recorded_answers_and_refuses_a_replayed_post(backend: Backend) {
    let app = spawn_app(backend).await;
    let (setup, token) = open_round(&app).await;
    assert_eq!(post(&app, &token, FULL).await.status, StatusCode::SEE_OTHER);
    app.post(&format!("/v1/rounds/{}/close", setup.round_id), &json!({}))
        .await
        .expect(200);
    let page = open(&app, &format!("/respond/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("This survey round is closed"));
    assert!(page.html.contains("Briefed the AEO working group"));
    assert!(!page.html.contains("<form"), "read only");
    let replayed = post(&app, &token, FULL).await;
    assert_eq!(replayed.status, StatusCode::CONFLICT);
    assert!(replayed.html.contains("This survey round is closed"));
    assert_eq!(reply_revisions(&app, &setup).await, [1]);
}

async fn every_link_that_opens_nothing_gets_the_same_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO workshop", &["MY", "HK"]).await;
    let revoked = app.link(setup.invitation_of("MY")).await;
    app.post(
        &format!("/v1/invitations/{}/link/revoke", setup.invitation_of("MY")),
        &json!({}),
    )
    .await
    .expect(200);
    let replaced = app.link(setup.invitation_of("HK")).await;
    app.link(setup.invitation_of("HK")).await;
    let mut pages = Vec::new();
    for token in [revoked.as_str(), replaced.as_str(), "rv1-never-issued"] {
        let page = open(&app, &format!("/respond/{token}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.html.contains("This link does not work"));
        assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
        pages.push(page.html);
    }
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "no hint which");
    let posted = post(&app, "rv1-never-issued", FULL).await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND);
    assert_eq!(posted.html, pages[0]);
}

async fn a_form_sent_from_another_site_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (setup, token) = open_round(&app).await;
    let refused = read(
        browser()
            .post(app.url(&format!("/respond/{token}")))
            .header("origin", "https://evil.example")
            .form(FULL)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let cross = read(
        browser()
            .post(app.url(&format!("/respond/{token}")))
            .header("sec-fetch-site", "cross-site")
            .form(FULL)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(reply_revisions(&app, &setup).await.is_empty());
    let same_origin = app.url("");
    let accepted = read(
        browser()
            .post(app.url(&format!("/respond/{token}")))
            .header("origin", same_origin.trim_end_matches('/'))
            .header("sec-fetch-site", "same-origin")
            .form(FULL)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.html);
}

async fn the_page_shares_the_participant_rate_limit(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.respond_requests_per_minute = std::num::NonZeroU32::new(2).unwrap();
    })
    .await;
    let (_, token) = open_round(&app).await;
    let path = format!("/respond/{token}");
    open(&app, &path).await;
    open(&app, &path).await;
    let limited = open(&app, &path).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key("retry-after"));
    assert!(limited.html.contains("Too many requests"));
}

async fn mailed_links_open_the_page_of_the_address_the_service_listens_on(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.respond_link_base = None).await;
    let setup = app.scheduled_round(6, "AEO workshop", &["MY"]).await;
    let mailing = app
        .post(
            &format!("/v1/invitations/{}/resend", setup.invitation_of("MY")),
            &json!({}),
        )
        .await
        .expect(201)
        .body;
    let detail = app
        .get(&format!("/v1/mailings/{}", mailing["id"]))
        .await
        .expect(200)
        .body;
    let text = detail["body_text"].as_str().unwrap();
    let page = format!("{}/respond/", app.address);
    assert!(text.contains(&page), "{page} in\n{text}");
}

/// Past the revisions a link may make in an hour, the form says the new answers were not
/// saved, and when they may be sent again; what was saved before stays.
async fn the_form_says_when_a_link_has_revised_too_often(backend: Backend) {
    let app = spawn_app(backend).await;
    let (setup, token) = open_round(&app).await;
    for n in 0..20 {
        let mut answers = crate::helpers::full_answers();
        answers["lessons_applied"] = json!({"text": format!("Revision {n}")});
        app.respond(&token, &answers).await.expect(200);
    }
    let page = post(&app, &token, FULL).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.html.contains("Your new answers were not saved"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("changed 20 times in the last hour"),
        "{}",
        page.html
    );
    assert!(page.html.contains("The answers you sent before are kept."));
    assert_eq!(reply_revisions(&app, &setup).await, [20]);
}

on_both_databases!(
    the_form_says_when_a_link_has_revised_too_often,
    the_form_shows_the_workshop_and_every_question_with_safe_headers,
    answers_are_sent_redirected_and_confirmed_then_revised,
    an_invalid_form_is_shown_again_with_its_errors_and_nothing_is_saved,
    two_tabs_sending_at_once_make_one_reply_with_two_revisions,
    a_closed_round_shows_the_recorded_answers_and_refuses_a_replayed_post,
    every_link_that_opens_nothing_gets_the_same_page,
    a_form_sent_from_another_site_is_refused,
    the_page_shares_the_participant_rate_limit,
    mailed_links_open_the_page_of_the_address_the_service_listens_on,
);
