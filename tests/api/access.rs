//! The access matrix: every operation of the OpenAPI document, called with no key, with a
//! key of each role, with a revoked key and with a participant's token, gets 401, 403 or
//! through, as the document publishes it, and every answer of an operation that may hold
//! personal data, a token or a secret says `Cache-Control: no-store`: `x-access` and the roles of the operation's
//! security requirement, read from the same declaration the middleware enforces
//! (`followup::http::policy`). An operation without a declaration stops the document from
//! being built. Ids of another workshop, round or endpoint are 404, the same as ids that do
//! not exist.

use std::collections::BTreeMap;

use entity::api_key::Role;
use followup::services::{api_keys, audit::Actor};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, participant_body, spawn_app, workshop_body};

/// An id no record has: allowed callers then get 404 or 422, and nothing is changed.
const NO_SUCH_ID: &str = "999999";

struct Operation {
    id: String,
    method: Method,
    path: String,
    /// Who may call it: `public` without a key, `token` with a participant's token in the
    /// path, or the letters of the roles whose keys may (`A`dmin, `E`ditor, `V`iewer,
    /// `P`artner), as the document publishes them.
    rule: String,
    /// The published `x-access`.
    access: String,
}

/// The roles of an operation's published security requirement, as letters.
fn published_rule(operation: &utoipa::openapi::path::Operation) -> String {
    let access = operation
        .extensions
        .as_ref()
        .and_then(|e| e.get("x-access"))
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("{:?} publishes no x-access", operation.operation_id));
    match access {
        "public" => return "public".into(),
        "participant-token" => return "token".into(),
        _ => {}
    }
    let requirement = serde_json::to_value(operation.security.as_ref().expect("security"))
        .expect("security as JSON");
    let roles = requirement[0]["api_key"]
        .as_array()
        .unwrap_or_else(|| panic!("{access}: no api_key requirement"));
    roles
        .iter()
        .map(|role| match role.as_str() {
            Some("admin") => 'A',
            Some("editor") => 'E',
            Some("viewer") => 'V',
            Some("partner") => 'P',
            other => panic!("unknown role {other:?}"),
        })
        .collect()
}

fn operations() -> Vec<Operation> {
    let document = followup::openapi::document();
    let mut found = Vec::new();
    for (path, item) in &document.paths.paths {
        for (method, operation) in [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::DELETE, &item.delete),
            (Method::PATCH, &item.patch),
        ] {
            if let Some(operation) = operation {
                found.push(Operation {
                    id: operation.operation_id.clone().expect("an operation id"),
                    method,
                    path: concrete(path),
                    rule: published_rule(operation),
                    access: operation.extensions.as_ref().unwrap()["x-access"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                });
            }
        }
    }
    found
}

/// Paths that hold names, emails, answers, mail, keys or the audit log.
const PERSONAL_OR_ADMIN: [&str; 12] = [
    "/timeline",
    "/participants",
    "/invitations",
    "/replies",
    "/good-practices",
    "/mailings",
    "/mail-templates",
    "/personal-data",
    "/erase",
    "/api-keys",
    "/audit-log",
    "/webhooks",
];

#[test]
fn partners_may_only_read_what_names_no_person() {
    for operation in operations() {
        if !operation.rule.contains('P') {
            continue;
        }
        assert_eq!(operation.method, Method::GET, "{}", operation.id);
        assert!(
            !PERSONAL_OR_ADMIN.iter().any(|p| operation.path.contains(p)),
            "{} is open to partners",
            operation.id
        );
    }
}

#[test]
fn keys_audit_log_webhooks_and_personal_data_are_for_admins_only() {
    for operation in operations() {
        let admin_only = PERSONAL_OR_ADMIN[7..]
            .iter()
            .any(|p| operation.path.contains(p));
        if admin_only {
            assert_eq!(operation.rule, "A", "{}", operation.id);
        }
        if operation.method != Method::GET && operation.rule != "token" {
            assert!(
                !operation.rule.contains('V') && !operation.rule.contains('P'),
                "{} changes data but is open to viewers or partners",
                operation.id
            );
        }
    }
}

/// The path with each parameter filled in.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{code}" => "ZZ",
            "{kind}" => "invitation",
            "{token}" => "rv1-no-such-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            s if s.starts_with('{') => NO_SUCH_ID,
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Credential {
    Nothing,
    Admin,
    Editor,
    Viewer,
    Partner,
    Revoked,
    ParticipantToken,
}

impl Credential {
    fn letter(self) -> Option<char> {
        match self {
            Self::Admin => Some('A'),
            Self::Editor => Some('E'),
            Self::Viewer => Some('V'),
            Self::Partner => Some('P'),
            _ => None,
        }
    }
}

/// What a caller with `credential` must get for an operation whose access is `rule`.
fn expected(rule: &str, credential: Credential, status: StatusCode) -> Result<(), String> {
    let ok = match rule {
        "public" => status == StatusCode::OK,
        // The token in the path is what counts; a made-up one is unknown.
        "token" => status == StatusCode::NOT_FOUND,
        roles => match credential.letter() {
            Some(role) if roles.contains(role) => {
                status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN
            }
            Some(_) => status == StatusCode::FORBIDDEN,
            None => status == StatusCode::UNAUTHORIZED,
        },
    };
    if ok { Ok(()) } else { Err(format!("{status}")) }
}

async fn every_operation_answers_each_caller_as_the_access_table_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut keys = BTreeMap::new();
    keys.insert(Credential::Admin, app.admin_key.clone());
    for (credential, role) in [
        (Credential::Editor, "editor"),
        (Credential::Viewer, "viewer"),
        (Credential::Partner, "partner"),
    ] {
        keys.insert(credential, app.key_for(role).await);
    }
    let revoked = api_keys::create(&app.db, &Actor::command_line(), "gone".into(), Role::Admin)
        .await
        .unwrap();
    api_keys::revoke(&app.db, &Actor::command_line(), revoked.key.id)
        .await
        .unwrap();
    keys.insert(Credential::Revoked, revoked.secret);
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    keys.insert(
        Credential::ParticipantToken,
        app.link(setup.invitation_of("MY")).await,
    );

    // The router decodes paths; so does the check.
    app.send(app.request_as(&keys[&Credential::Viewer], Method::GET, "/v1/api%2Dkeys"))
        .await
        .expect_problem(403);

    let operations = operations();
    assert!(operations.len() >= 80, "every operation is checked");
    let mut wrong = Vec::new();
    for operation in &operations {
        let rule = operation.rule.as_str();
        let mut credentials = vec![Credential::Nothing];
        credentials.extend(keys.keys().copied());
        for credential in credentials {
            let mut request = app
                .client
                .request(operation.method.clone(), app.url(&operation.path));
            if let Some(key) = keys.get(&credential) {
                request = request.bearer_auth(key);
            }
            if matches!(operation.method, Method::POST | Method::PUT) {
                // An empty body: what a caller may not call must be refused before the
                // body is read; a token's answers are checked after the token.
                let body = if rule == "token" {
                    json!({"answers": {}})
                } else {
                    json!({})
                };
                request = request.json(&body);
            }
            let response = request.send().await.expect("a response");
            let status = response.status();
            let private = !matches!(
                operation.access.as_str(),
                "public" | "read-registry" | "read-analytics"
            );
            let no_store = response
                .headers()
                .get("cache-control")
                .is_some_and(|v| v == "no-store");
            if private && !no_store {
                wrong.push(format!(
                    "{} {} as {credential:?}: may be cached",
                    operation.method, operation.path
                ));
            }
            if let Err(got) = expected(rule, credential, status) {
                wrong.push(format!(
                    "{} {} as {credential:?}: {got} (rule {rule})",
                    operation.method, operation.path
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // And with real data: a new link, the page it opens, the participants; not the rounds.
    let invitation = setup.invitation_of("MY");
    for reply in [
        app.get(&format!(
            "/v1/respond/{}",
            keys[&Credential::ParticipantToken]
        ))
        .await
        .expect(200),
        app.post(&format!("/v1/invitations/{invitation}/link"), &json!({}))
            .await
            .expect(200),
        app.get(&format!("/v1/workshops/{}/participants", setup.workshop_id))
            .await,
    ] {
        assert_eq!(reply.headers["cache-control"], "no-store", "{}", reply.text);
    }
    let registry = app.get("/v1/rounds").await.expect(200);
    assert!(registry.headers.get("cache-control").is_none());
}

async fn ids_of_another_workshop_round_or_endpoint_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    let second = app.scheduled_round(2, "Risk management", &["HK"]).await;
    let other_participant = app
        .get(&format!(
            "/v1/workshops/{}/participants",
            second.workshop_id
        ))
        .await
        .expect(200)
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let crossed = format!(
        "/v1/workshops/{}/participants/{other_participant}",
        first.workshop_id
    );
    app.get(&crossed).await.expect_problem(404);
    app.put(
        &crossed,
        &participant_body("Someone", "someone@customs.hk.example.org", "HK"),
    )
    .await
    .expect_problem(404);
    app.delete(&crossed).await.expect_problem(404);
    let crossed_attachment = format!(
        "/v1/rounds/{}/workshops/{}",
        first.round_id, second.workshop_id
    );
    app.get(&crossed_attachment).await.expect_problem(404);
    app.delete(&crossed_attachment).await.expect_problem(404);
    let listed = app
        .get(&format!(
            "/v1/rounds/{}/invitations?workshop_id={}",
            first.round_id, second.workshop_id
        ))
        .await
        .expect(200);
    assert_eq!(
        listed.body["total"], 0,
        "another round's invitations are not listed"
    );

    // The participant still exists in its own workshop.
    app.get(&format!(
        "/v1/workshops/{}/participants/{other_participant}",
        second.workshop_id
    ))
    .await
    .expect(200);
    let unrelated = app
        .create_workshop(&workshop_body("Unrelated", "2020-01-10", "2020-01-12"))
        .await;
    app.get(&format!(
        "/v1/workshops/{}/participants/{other_participant}",
        unrelated["id"]
    ))
    .await
    .expect_problem(404);
}

async fn a_participant_token_opens_only_its_own_reply(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(1, "AEO workshop", &["MY", "HK"]).await;
    app.open_today(&setup).await;
    let mine = app.link(setup.invitation_of("MY")).await;
    let theirs = app.link(setup.invitation_of("HK")).await;
    app.respond(&theirs, &crate::helpers::full_answers())
        .await
        .expect(200);
    let page = app.response_page(&mine).await.expect(200);
    assert!(
        page.body["answers"]
            .as_object()
            .is_none_or(|a| a.is_empty()),
        "another officer's answers are not shown: {}",
        page.text
    );
    // A token is no API key.
    app.send(app.request_as(&mine, Method::GET, "/v1/workshops"))
        .await
        .expect_problem(401);
}

on_both_databases!(
    every_operation_answers_each_caller_as_the_access_table_says,
    ids_of_another_workshop_round_or_endpoint_are_not_found,
    a_participant_token_opens_only_its_own_reply,
);
