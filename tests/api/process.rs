//! The `followup` binary run as a process: on a data folder of its own, with a key made by
//! its command line, serving on a free loopback port until stopped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

/// The binary, with none of the caller's settings.
pub fn followup() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_followup"));
    for variable in [
        "DATABASE_URL",
        "BIND",
        "DATA_DIR",
        "LOG_FORMAT",
        "LOG_LEVEL",
        "RUST_LOG",
    ] {
        command.env_remove(variable);
    }
    command
}

/// `followup serve` at debug level with JSON logs and fast background jobs.
pub struct RunningService {
    child: Child,
    base: String,
    pub key: String,
    client: reqwest::Client,
}

impl RunningService {
    /// Starts the service on `data` with `settings` (environment variables) and waits until
    /// it is ready.
    pub async fn start(data: &Path, settings: &[(&str, &str)]) -> Self {
        let created = followup()
            .env("DATA_DIR", data)
            .envs(settings.iter().copied())
            .args([
                "keys",
                "create",
                "--role",
                "admin",
                "--name",
                "process test",
            ])
            .output()
            .unwrap();
        assert!(created.status.success(), "{created:?}");
        let key = String::from_utf8(created.stdout)
            .unwrap()
            .split_whitespace()
            .find(|word| word.starts_with("fu_"))
            .expect("a key printed")
            .to_owned();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = followup()
            .env("DATA_DIR", data)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("LOG_LEVEL", "debug")
            .env("LOG_FORMAT", "json")
            .env("FOLLOWUP_SCHEDULER_INTERVAL_SECS", "1")
            .env("FOLLOWUP_MAIL_POLL_INTERVAL_MS", "100")
            .envs(settings.iter().copied())
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let service = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            key,
            client: reqwest::Client::new(),
        };
        for _ in 0..100 {
            if service
                .client
                .get(service.url("/readyz"))
                .send()
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        service
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request without a key (as a participant's browser would).
    pub fn anonymous(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// Sends a request with the admin key and reads its JSON (null when there is none).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.anonymous(method, path).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Stops the service with SIGTERM and returns everything it logged.
    pub async fn stop(self) -> String {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let child = self.child;
        let output = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }
}
