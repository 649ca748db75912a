//! The access matrix: every operation of the OpenAPI document, called with no key, with a
//! key of each role, with a revoked key and with a participant's token, gets 401, 403 or
//! through, as the table below says. A route missing from the table fails the test, so
//! each new route states who may call it. Ids of another workshop, round or endpoint are
//! 404, the same as ids that do not exist.

use std::collections::BTreeMap;

use entity::api_key::Role;
use followup::services::{api_keys, audit::Actor};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, participant_body, spawn_app, workshop_body};

/// Who may call an operation: `A`dmin, `E`ditor, `V`iewer, `P`artner; `public` without a
/// key; `token` with a participant's token in the path.
const ACCESS: &[(&str, &str)] = &[
    ("healthz", "public"),
    ("readyz", "public"),
    ("metrics", "public"),
    ("openapi_json", "public"),
    ("get_response_form", "token"),
    ("submit_reply", "token"),
    // The registry without personal data, and analytics: every role.
    ("list_administrations", "AEVP"),
    ("get_administration", "AEVP"),
    ("list_workshops", "AEVP"),
    ("get_workshop", "AEVP"),
    ("list_questionnaires", "AEVP"),
    ("get_questionnaire", "AEVP"),
    ("list_rounds", "AEVP"),
    ("get_round", "AEVP"),
    ("list_round_workshops", "AEVP"),
    ("get_round_workshop", "AEVP"),
    ("get_reply_rates", "AEVP"),
    ("get_choices", "AEVP"),
    ("get_yes_no", "AEVP"),
    ("get_cross_tab", "AEVP"),
    ("get_findings", "AEVP"),
    ("get_report", "AEVP"),
    ("get_trends", "AEVP"),
    // Names, emails, answers and mail: staff only.
    ("list_participants", "AEV"),
    ("get_participant", "AEV"),
    ("list_invitations", "AEV"),
    ("get_invitation", "AEV"),
    ("list_replies", "AEV"),
    ("export_replies", "AEV"),
    ("get_reply", "AEV"),
    ("list_good_practices", "AEV"),
    ("get_good_practice", "AEV"),
    ("list_mailings", "AEV"),
    ("get_mailing", "AEV"),
    ("list_mail_templates", "AEV"),
    ("get_mail_template", "AEV"),
    ("preview_mail_template", "AEV"),
    // Changes: admins and editors.
    ("create_administration", "AE"),
    ("replace_administration", "AE"),
    ("delete_administration", "AE"),
    ("create_workshop", "AE"),
    ("replace_workshop", "AE"),
    ("delete_workshop", "AE"),
    ("create_participant", "AE"),
    ("replace_participant", "AE"),
    ("delete_participant", "AE"),
    ("create_questionnaire", "AE"),
    ("replace_questionnaire", "AE"),
    ("create_round", "AE"),
    ("replace_round", "AE"),
    ("delete_round", "AE"),
    ("schedule_round", "AE"),
    ("open_round", "AE"),
    ("close_round", "AE"),
    ("attach_workshop", "AE"),
    ("replace_round_workshop", "AE"),
    ("detach_workshop", "AE"),
    ("issue_link", "AE"),
    ("revoke_link", "AE"),
    ("hand_over", "AE"),
    ("resend_invitation", "AE"),
    ("enter_reply", "AE"),
    ("import_replies", "AE"),
    ("create_good_practice", "AE"),
    ("replace_good_practice", "AE"),
    ("delete_good_practice", "AE"),
    ("replace_mail_template", "AE"),
    ("reset_mail_template", "AE"),
    ("resend_mailing", "AE"),
    ("release_feedback", "AE"),
    // Keys, the audit log and webhooks: admins.
    ("list_api_keys", "A"),
    ("create_api_key", "A"),
    ("get_api_key", "A"),
    ("revoke_api_key", "A"),
    ("list_audit_log", "A"),
    ("list_webhooks", "A"),
    ("create_webhook", "A"),
    ("get_webhook", "A"),
    ("replace_webhook", "A"),
    ("delete_webhook", "A"),
    ("list_deliveries", "A"),
    ("redeliver", "A"),
    ("export_personal_data", "A"),
    ("erase_participant", "A"),
];

/// An id no record has: allowed callers then get 404 or 422, and nothing is changed.
const NO_SUCH_ID: &str = "999999";

struct Operation {
    id: String,
    method: Method,
    path: String,
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
                });
            }
        }
    }
    found
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

    let table: BTreeMap<&str, &str> = ACCESS.iter().copied().collect();
    let operations = operations();
    let documented: Vec<&str> = operations.iter().map(|o| o.id.as_str()).collect();
    for id in table.keys() {
        assert!(
            documented.contains(id),
            "{id} is in the table but not documented"
        );
    }
    let mut wrong = Vec::new();
    for operation in &operations {
        let rule = table
            .get(operation.id.as_str())
            .unwrap_or_else(|| panic!("{} is not in the access table", operation.id));
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
                let body = if *rule == "token" {
                    json!({"answers": {}})
                } else {
                    json!({})
                };
                request = request.json(&body);
            }
            let status = request.send().await.expect("a response").status();
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
