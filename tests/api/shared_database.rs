//! Two instances on one PostgreSQL database: what one of them writes holds on the other's
//! next request, whatever becomes of any connection that listens for notifications. The
//! second instance reaches PostgreSQL through a proxy that goes silent on every connection
//! that sent `LISTEN`, right after PostgreSQL answered it: the connection stays open and
//! nothing more arrives on it, as behind an idle-timeout firewall, a load balancer or
//! PgBouncer in transaction mode.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use entity::webhook_delivery;
use followup::startup::Application;
use reqwest::Method;
use sea_orm::{EntityTrait, PaginatorTrait};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{Backend, TestApp, full_answers, spawn_app};

/// A loopback proxy to PostgreSQL that silences the connections that listen.
struct SilencingProxy {
    address: String,
}

impl SilencingProxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        relay(client, server).await;
                    }
                });
            }
        });
        Self { address }
    }
}

/// Relays one connection both ways; once the client has sent `LISTEN` and PostgreSQL's
/// answer to it went back, whatever PostgreSQL sends later is dropped.
async fn relay(client: TcpStream, server: TcpStream) {
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let listened = Arc::new(AtomicBool::new(false));
    let seen = listened.clone();
    tokio::spawn(async move {
        let mut buffer = vec![0_u8; 16 * 1024];
        while let Ok(n @ 1..) = from_client.read(&mut buffer).await {
            if buffer[..n].windows(6).any(|w| w == b"LISTEN") {
                seen.store(true, Ordering::SeqCst);
            }
            if to_server.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
    });
    let mut buffer = vec![0_u8; 16 * 1024];
    let mut silent = false;
    while let Ok(n @ 1..) = from_server.read(&mut buffer).await {
        if !silent && to_client.write_all(&buffer[..n]).await.is_err() {
            break;
        }
        // The answer to `LISTEN` has just gone through: silent from now on.
        silent = silent || listened.load(Ordering::SeqCst);
    }
}

/// The host and port of a PostgreSQL URL (`postgres://user@host:port/database`).
fn host_and_port(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split('/').next().unwrap_or_default();
    authority.rsplit('@').next().unwrap_or_default().to_owned()
}

/// A second instance of the service on the app's database, through a silencing proxy (in
/// clear text, so the proxy sees `LISTEN`); its address.
async fn second_instance(app: &TestApp) -> String {
    let url = app.database_url.clone();
    let upstream = host_and_port(&url);
    let proxy = SilencingProxy::start(upstream.clone()).await;
    let proxied = format!(
        "{}?sslmode=disable",
        url.replacen(&upstream, &proxy.address, 1)
    );
    let mut settings = app.settings.clone();
    settings.database_url = Some(SecretString::from(proxied));
    let db = followup::db::connect(&settings.database()).await.unwrap();
    assert!(
        settings
            .database()
            .url()
            .expose_secret()
            .contains(&proxy.address)
    );
    let instance = Application::build_with_database(&settings, db).unwrap();
    let address = format!("http://127.0.0.1:{}", instance.port());
    tokio::spawn(instance.run_until_stopped());
    address
}

/// `GET path` on the instance at `address` with `key`.
async fn get_on(app: &TestApp, address: &str, key: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{address}{path}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_key_revoked_on_one_instance_is_refused_by_the_other_at_once() {
    let app = spawn_app(Backend::Postgres).await;
    let other = second_instance(&app).await;
    let (key, key_id) = app.issue_key("viewer").await;
    app.scheduled_round(6, "AEO", &["MY"]).await;
    for _ in 0..3 {
        assert_eq!(get_on(&app, &other, &key, "/v1/workshops").await.0, 200);
    }

    app.post(&format!("/v1/api-keys/{key_id}/revoke"), &json!({}))
        .await
        .expect(200);
    let (status, body) = get_on(&app, &other, &key, "/v1/workshops").await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = get_on(&app, &other, &key, "/v1/rounds").await;
    assert_eq!(status, 401);
}

/// The approved good practices of a report as its JSON lists them.
fn quoted(report: &Value) -> Vec<String> {
    report["good_practices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_good_practice_deleted_on_one_instance_leaves_the_others_report_at_once() {
    let app = spawn_app(Backend::Postgres).await;
    let other = second_instance(&app).await;
    let round = followup::demo::load(&app.db).await.unwrap().survey_2020;
    let partner = app.key_for("partner").await;
    let path = format!("/v1/rounds/{round}/report");
    let (status, first) = get_on(&app, &other, &partner, &path).await;
    assert_eq!(status, 200);
    assert_eq!(first["final"], true, "the demo's Survey 2020 is closed");
    assert_eq!(get_on(&app, &other, &partner, &path).await.1, first);
    let practices = app
        .get(&format!(
            "/v1/rounds/{round}/good-practices?approved_for_report=true&per_page=200"
        ))
        .await
        .expect(200)
        .body;
    let withdrawn = &practices["items"][0];
    assert!(quoted(&first).contains(&withdrawn["text"].as_str().unwrap().to_owned()));

    app.delete(&format!("/v1/good-practices/{}", withdrawn["id"]))
        .await
        .expect(204);
    let (status, after) = get_on(&app, &other, &partner, &path).await;
    assert_eq!(status, 200);
    assert_eq!(quoted(&after).len(), quoted(&first).len() - 1);
    assert!(!quoted(&after).contains(&withdrawn["text"].as_str().unwrap().to_owned()));
}

async fn an_endpoint_deleted_on_one_instance_breaks_no_submission_on_the_other() {
    let app = spawn_app(Backend::Postgres).await;
    let other = second_instance(&app).await;
    let setup = app.scheduled_round(6, "AEO", &["MY", "TH", "VN"]).await;
    app.open_today(&setup).await;
    let endpoint = app
        .post(
            "/v1/webhooks",
            &json!({"url": "http://127.0.0.1:9/hook", "event_types": ["reply.submitted"]}),
        )
        .await
        .expect(201)
        .body["id"]
        .clone();
    let respond_on = |token: String| {
        app.client
            .put(format!("{other}/v1/respond/{token}"))
            .json(&json!({"answers": full_answers()}))
    };
    let first = app.link(setup.invitation_of("MY")).await;
    let reply = app.send(respond_on(first)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let queued = || webhook_delivery::Entity::find().count(&app.db);
    assert_eq!(queued().await.unwrap(), 1);

    app.delete(&format!("/v1/webhooks/{endpoint}"))
        .await
        .expect(204);
    let second = app.link(setup.invitation_of("TH")).await;
    let reply = app.send(respond_on(second)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // The answering page's form, posted to the other instance, as a browser does.
    let third = app.link(setup.invitation_of("VN")).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser
        .post(format!("{other}/respond/{third}"))
        .form(&[("new_projects", "no")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 303, "{}", form.text().await.unwrap());
    let replies = app
        .send(app.request_as(
            &app.admin_key,
            Method::GET,
            &format!("/v1/rounds/{}/replies", setup.round_id),
        ))
        .await
        .expect(200);
    assert_eq!(replies.body["total"], 3);
    assert_eq!(queued().await.unwrap(), 0, "deleted with its endpoint");
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_key_revoked_on_one_instance_is_refused_by_the_other_at_once() {
        super::a_key_revoked_on_one_instance_is_refused_by_the_other_at_once().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_good_practice_deleted_on_one_instance_leaves_the_others_report_at_once() {
        super::a_good_practice_deleted_on_one_instance_leaves_the_others_report_at_once().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_endpoint_deleted_on_one_instance_breaks_no_submission_on_the_other() {
        super::an_endpoint_deleted_on_one_instance_breaks_no_submission_on_the_other().await
    }
}
