//! Webhooks and HTTP proxies: the environment's `HTTP_PROXY`/`HTTPS_PROXY` are never used
//! (a target's name would reach the proxy unchecked), and a proxy named by
//! `webhook_proxy_url` carries requests only to targets whose every address the policy
//! allows, checked before each request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use followup::jobs::webhook_worker::{WebhookSettings, WebhookWorker};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::{Backend, now_clock, spawn_app_with};
use crate::process::RunningService;

/// An HTTP proxy on loopback that answers every request 204 and keeps its request line.
struct Proxy {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0_u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
                        match stream.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    seen.lock()
                        .unwrap()
                        .push(head.lines().next().unwrap_or_default().to_owned());
                    let answer = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                    let _ = stream.write_all(answer).await;
                });
            }
        });
        Self { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A round opened on `service`, so a `round.opened` event is queued.
async fn open_a_round(service: &RunningService) {
    let (status, workshop) = service
        .call(
            Method::POST,
            "/v1/workshops",
            Some(
                json!({"title": "AEO", "scope": "regional", "start_date": "2019-12-10",
                "end_date": "2019-12-12", "is_virtual": true}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{workshop}");
    let workshop = workshop["id"].as_i64().unwrap();
    let participant =
        json!({"name": "Officer", "email": "officer@customs.gov.my", "administration": "MY"});
    let path = format!("/v1/workshops/{workshop}/participants");
    assert_eq!(
        service.call(Method::POST, &path, Some(participant)).await.0,
        201
    );
    let round = json!({"title": "Survey 2020", "round_number": 6, "fiscal_year": "2019/20", "questionnaire_id": 1});
    let (_, round) = service.call(Method::POST, "/v1/rounds", Some(round)).await;
    let round = round["id"].as_i64().unwrap();
    let attach = json!({"workshop_id": workshop});
    let path = format!("/v1/rounds/{round}/workshops");
    assert_eq!(service.call(Method::POST, &path, Some(attach)).await.0, 201);
    for step in ["schedule", "open"] {
        let path = format!("/v1/rounds/{round}/{step}");
        assert_eq!(
            service.call(Method::POST, &path, Some(json!({}))).await.0,
            200
        );
    }
}

/// The service run with every proxy variable of the environment pointing at a proxy: a
/// webhook to the cloud's metadata name is attempted directly (it does not resolve here,
/// and would be checked if it did), and the proxy sees nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environments_proxies_are_never_used_for_webhooks() {
    let proxy = Proxy::start().await;
    let data = tempfile::tempdir().unwrap();
    let variables = [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ];
    let mut settings: Vec<(&str, &str)> =
        variables.iter().map(|v| (*v, proxy.url.as_str())).collect();
    settings.push(("FOLLOWUP_WEBHOOK_POLL_INTERVAL_MS", "100"));
    let service = RunningService::start(data.path(), &settings).await;
    let endpoint = json!({"url": "http://metadata.google.internal/computeMetadata/v1/", "event_types": ["round.opened"]});
    let (status, created) = service
        .call(Method::POST, "/v1/webhooks", Some(endpoint))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    open_a_round(&service).await;

    let path = format!("/v1/webhooks/{id}/deliveries");
    let mut attempted = Value::Null;
    for _ in 0..100 {
        let (_, log) = service.call(Method::GET, &path, None).await;
        if log["items"][0]["attempts"].as_i64().unwrap_or(0) > 0 {
            attempted = log["items"][0].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    service.stop().await;
    assert!(
        attempted["attempts"].as_i64().unwrap_or(0) > 0,
        "never attempted"
    );
    assert_ne!(attempted["status"], "delivered", "{attempted}");
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
}

/// `webhook_proxy_url` names a proxy: an allowed target goes through it; a name that
/// resolves to an internal address is refused before the request, the proxy unasked.
async fn a_named_proxy_carries_webhooks_to_targets_the_policy_allows(backend: Backend) {
    let proxy = Proxy::start().await;
    let app = spawn_app_with(backend, |settings| {
        settings.webhook_allowed_hosts = Vec::new();
    })
    .await;
    let mut ids = Vec::new();
    for url in [
        "http://hooks.example.org/followup",
        "http://partner.example.net/followup",
    ] {
        let endpoint = json!({"url": url, "event_types": ["round.opened"]});
        let created = app.post("/v1/webhooks", &endpoint).await.expect(201);
        ids.push(created.body["id"].as_i64().unwrap());
    }
    let setup = app.scheduled_round(1, "AEO workshop", &["MY"]).await;
    app.post(&format!("/v1/rounds/{}/open", setup.round_id), &json!({}))
        .await
        .expect(200);
    let mut settings = WebhookSettings::from_settings(&app.settings).unwrap();
    settings.proxy = Some(proxy.url.parse().unwrap());
    settings.hosts = HashMap::from([
        (
            "hooks.example.org".to_owned(),
            vec!["10.1.2.3".parse().unwrap()],
        ),
        (
            "partner.example.net".to_owned(),
            vec!["93.184.215.14".parse().unwrap()],
        ),
    ]);
    let worker = WebhookWorker::new(app.db.clone(), now_clock(), settings).unwrap();
    let report = worker.run_once().await.unwrap();
    assert_eq!((report.delivered, report.retried), (1, 1), "{report:?}");
    assert_eq!(
        proxy.requests(),
        ["POST http://partner.example.net/followup HTTP/1.1"]
    );
    let refused = app
        .get(&format!("/v1/webhooks/{}/deliveries", ids[0]))
        .await
        .expect(200)
        .body;
    let error = refused["items"][0]["attempt_log"][0]["error"]
        .as_str()
        .unwrap();
    assert!(error.contains("internal address"), "{error}");
    let carried = app
        .get(&format!("/v1/webhooks/{}/deliveries", ids[1]))
        .await
        .expect(200)
        .body;
    assert_eq!(carried["items"][0]["status"], "delivered");
}

on_both_databases!(a_named_proxy_carries_webhooks_to_targets_the_policy_allows);
