//! The harness: `spawn_app(backend)` starts the service on a random port over a fresh
//! database and hands back a client that speaks its API.

use std::sync::{Arc, OnceLock};

use entity::api_key::Role;
use followup::base::clock::{Clock, ManualClock, SystemClock};
use followup::config::Settings;
use followup::jobs::scheduler::Scheduler;
use followup::jobs::webhook_worker::{WebhookSettings, WebhookWorker};
use followup::jobs::worker::{DeliverySettings, Worker};
use followup::mail::MailContext;
use followup::mail::transport::Transport;
use followup::services::{api_keys, audit::Actor};
use followup::startup::{Application, prepare_database};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait};
use secrecy::SecretString;
use serde_json::{Value, json};

/// Generates a `postgres` and a `sqlite` test for each named `async fn(Backend)`.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// The PostgreSQL server the tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn random_suffix() -> String {
    use rand::Rng;
    hex::encode(rand::rng().random::<[u8; 8]>())
}

/// A database that exists for one test and is dropped after it.
pub enum TestDatabase {
    Postgres { name: String },
    Sqlite { _dir: tempfile::TempDir },
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> (Self, String) {
        match backend {
            Backend::Postgres => {
                let name = format!("followup_test_{}", random_suffix());
                let admin = Database::connect(postgres_admin_url())
                    .await
                    .expect("PostgreSQL must run for the tests (see README)");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("creating the test database");
                admin.close().await.ok();
                let base = postgres_admin_url();
                let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s);
                let url = format!("{server}/{name}");
                (Self::Postgres { name }, url)
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                (Self::Sqlite { _dir: dir }, url)
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres { name } = self {
            let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            // Drop runs inside the test's runtime; use a thread with its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(async {
                    if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                        let _ = admin.execute_unprepared(&statement).await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// A key with the `admin` role, made as the command line makes the first one.
    pub admin_key: String,
    pub db: DatabaseConnection,
    pub settings: Settings,
    pub mail: MailContext,
    /// The test database, for a child process to open.
    pub database_url: String,
    _database: TestDatabase,
}

/// The front end's origin, allowed by CORS in tests.
pub const FRONT_END: &str = "https://survey.test";

/// Participant links in test mail start with this.
pub const LINK_BASE: &str = "https://survey.test/respond/";

pub fn test_settings(database_url: &str) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        database_url: Some(SecretString::from(database_url.to_owned())),
        http_workers: Some(2),
        max_body_bytes: 64 * 1024,
        respond_requests_per_minute: std::num::NonZeroU32::new(10_000).unwrap(),
        failed_keys_per_minute: std::num::NonZeroU32::new(10_000).unwrap(),
        // Tests run the scheduler and the worker themselves, on a clock they move.
        background_jobs: false,
        token_secret: Some(SecretString::from(
            "a test token secret of more than thirty-two bytes",
        )),
        respond_link_base: Some(LINK_BASE.into()),
        mail_retry_base_secs: 60,
        smtp_timeout_secs: 15,
        // Webhook receivers in tests listen on loopback, which is refused by default.
        webhook_allowed_hosts: vec!["127.0.0.1".into()],
        webhook_timeout_secs: 5,
        cors_allowed_origins: vec![FRONT_END.into()],
        ..Settings::default()
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    init_test_logging();
    let (database, url) = TestDatabase::create(backend).await;
    let mut settings = test_settings(&url);
    configure(&mut settings);
    let db = followup::db::connect(&settings.database())
        .await
        .expect("connecting to the test database");
    prepare_database(&db).await.expect("migrating");
    let application =
        Application::build_with_database(&settings, db.clone()).expect("building the app");
    let port = application.port();
    let listening = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mail = MailContext::from_settings(&settings, listening).expect("mail settings");
    tokio::spawn(application.run_until_stopped());
    let admin_key = api_keys::create(
        &db,
        &Actor::command_line(),
        "test admin".into(),
        Role::Admin,
    )
    .await
    .expect("creating the admin key")
    .secret;
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
        admin_key,
        db,
        settings,
        mail,
        database_url: url,
        _database: database,
    }
}

/// `TEST_LOG=1` shows the service's logs while debugging a test.
fn init_test_logging() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            followup::telemetry::init(
                "debug",
                followup::config::LogFormat::Text,
                followup::telemetry::LogOutput::Stderr,
            );
        }
    });
}

/// A response read whole: status, headers and the body as JSON (or `Null`).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Reply {
    pub async fn read(response: Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            body,
        }
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts a problem+json response of `status` and returns the fields it names.
    #[track_caller]
    pub fn expect_problem(self, status: u16) -> Vec<String> {
        let reply = self.expect(status);
        assert!(
            reply.content_type().starts_with("application/problem+json"),
            "content type {:?}; body: {}",
            reply.content_type(),
            reply.text
        );
        assert_eq!(reply.body["status"], status);
        assert!(
            reply.body["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("urn:followup:problem:")),
            "{}",
            reply.text
        );
        reply.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A request carrying `key`.
    pub fn request_as(&self, key: &str, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    pub async fn send(&self, request: RequestBuilder) -> Reply {
        Reply::read(request.send().await.expect("the request reaches the app")).await
    }

    /// The body of a GET as bytes (a workbook), with its content type.
    pub async fn get_bytes(&self, path: &str) -> (String, Vec<u8>) {
        let response = self
            .request_as(&self.admin_key, Method::GET, path)
            .send()
            .await
            .expect("the request reaches the app");
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        let media = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (media, response.bytes().await.expect("a body").to_vec())
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request_as(&self.admin_key, Method::GET, path))
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.request_as(&self.admin_key, Method::DELETE, path))
            .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(
            self.request_as(&self.admin_key, Method::POST, path)
                .json(body),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(
            self.request_as(&self.admin_key, Method::PUT, path)
                .json(body),
        )
        .await
    }

    /// Issues a key with `role` through the API and returns its secret.
    pub async fn key_for(&self, role: &str) -> String {
        self.issue_key(role).await.0
    }

    /// Issues a key with `role` through the API and returns its secret and id.
    pub async fn issue_key(&self, role: &str) -> (String, i64) {
        let reply = self
            .post(
                "/v1/api-keys",
                &json!({"name": format!("{role} key"), "role": role}),
            )
            .await
            .expect(201);
        let secret = reply.body["secret"].as_str().expect("a secret").to_owned();
        (secret, reply.body["api_key"]["id"].as_i64().expect("an id"))
    }

    pub async fn create_workshop(&self, body: &Value) -> Value {
        self.post("/v1/workshops", body).await.expect(201).body
    }

    pub async fn create_participant(&self, workshop_id: i64, body: &Value) -> Value {
        self.post(&format!("/v1/workshops/{workshop_id}/participants"), body)
            .await
            .expect(201)
            .body
    }
}

/// A valid workshop body, varied by title and start date.
pub fn workshop_body(title: &str, start: &str, end: &str) -> Value {
    json!({
        "title": title,
        "topic": "Authorized Economic Operator",
        "scope": "regional",
        "start_date": start,
        "end_date": end,
        "venue": "Bangkok, Thailand",
        "is_virtual": false,
        "excluded_from_survey": false
    })
}

pub fn participant_body(name: &str, email: &str, administration: &str) -> Value {
    json!({
        "name": name,
        "email": email,
        "position": "Customs Officer",
        "administration": administration
    })
}

/// A round with one workshop (ended 2019-12-12) and participants from `codes`, scheduled.
pub struct ScheduledRound {
    pub round_id: i64,
    pub workshop_id: i64,
    /// Invitations by administration code.
    pub invitations: Vec<Value>,
}

impl ScheduledRound {
    pub fn invitation_of(&self, code: &str) -> i64 {
        self.invitations
            .iter()
            .find(|i| i["administration"] == code)
            .unwrap_or_else(|| panic!("an invitation of {code}"))["id"]
            .as_i64()
            .unwrap()
    }
}

impl TestApp {
    pub async fn create_round(&self, number: i64) -> i64 {
        self.post(
            "/v1/rounds",
            &json!({
                "title": format!("Survey {}", 2014 + number),
                "round_number": number,
                "fiscal_year": "2019/20",
                "questionnaire_id": 1
            }),
        )
        .await
        .expect(201)
        .body["id"]
            .as_i64()
            .unwrap()
    }

    pub async fn attach(&self, round_id: i64, body: &Value) -> Reply {
        self.post(&format!("/v1/rounds/{round_id}/workshops"), body)
            .await
    }

    pub async fn invitations(&self, round_id: i64) -> Vec<Value> {
        self.get(&format!("/v1/rounds/{round_id}/invitations?per_page=200"))
            .await
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// A workshop with one participant per code, attached to a new round that is then
    /// scheduled.
    pub async fn scheduled_round(
        &self,
        number: i64,
        title: &str,
        codes: &[&str],
    ) -> ScheduledRound {
        let workshop_id = self
            .create_workshop(&workshop_body(title, "2019-12-10", "2019-12-12"))
            .await["id"]
            .as_i64()
            .unwrap();
        for code in codes {
            let email = format!(
                "officer{number}@customs.{}.example.org",
                code.to_lowercase()
            );
            self.create_participant(
                workshop_id,
                &participant_body(&format!("Officer of {code}"), &email, code),
            )
            .await;
        }
        let round_id = self.create_round(number).await;
        self.attach(round_id, &json!({"workshop_id": workshop_id}))
            .await
            .expect(201);
        self.post(&format!("/v1/rounds/{round_id}/schedule"), &json!({}))
            .await
            .expect(200);
        ScheduledRound {
            round_id,
            workshop_id,
            invitations: self.invitations(round_id).await,
        }
    }

    /// Moves a round's workshop to open today, so replies are on time.
    pub async fn open_today(&self, setup: &ScheduledRound) {
        self.put(
            &format!(
                "/v1/rounds/{}/workshops/{}",
                setup.round_id, setup.workshop_id
            ),
            &json!({"opens_on": chrono::Utc::now().date_naive().to_string()}),
        )
        .await
        .expect(200);
    }

    /// Publishes a questionnaire version asking `questions`, schedules round 7 on it for
    /// one officer of MY and returns the officer's token.
    pub async fn round_asking(&self, questions: Value) -> String {
        let version = self
            .post(
                "/v1/questionnaires",
                &json!({"title": "Another version", "questions": questions}),
            )
            .await
            .expect(201)
            .body["id"]
            .clone();
        let round = self
            .post(
                "/v1/rounds",
                &json!({"title": "Survey 2021", "round_number": 7, "fiscal_year": "2020/21", "questionnaire_id": version}),
            )
            .await
            .expect(201)
            .body["id"]
            .as_i64()
            .unwrap();
        let workshop = self
            .create_workshop(&workshop_body("Scale", "2020-09-01", "2020-09-02"))
            .await["id"]
            .as_i64()
            .unwrap();
        self.create_participant(workshop, &participant_body("A", "a@customs.gov.my", "MY"))
            .await;
        self.attach(round, &json!({"workshop_id": workshop}))
            .await
            .expect(201);
        self.post(&format!("/v1/rounds/{round}/schedule"), &json!({}))
            .await
            .expect(200);
        self.link(self.invitations(round).await[0]["id"].as_i64().unwrap())
            .await
    }

    /// Issues a link for an invitation and returns its token.
    pub async fn link(&self, invitation_id: i64) -> String {
        self.post(&format!("/v1/invitations/{invitation_id}/link"), &json!({}))
            .await
            .expect(200)
            .body["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `PUT /v1/respond/{token}` without an API key.
    pub async fn respond(&self, token: &str, answers: &Value) -> Reply {
        self.send(
            self.client
                .put(self.url(&format!("/v1/respond/{token}")))
                .json(&json!({"answers": answers})),
        )
        .await
    }

    pub async fn response_page(&self, token: &str) -> Reply {
        self.send(self.client.get(self.url(&format!("/v1/respond/{token}"))))
            .await
    }
}

/// A full set of answers to the default questionnaire.
pub fn full_answers() -> Value {
    json!({
        "follow_up_actions": {"choices": ["share_materials", "submit_report", "other"], "other": "Briefed the AEO working group"},
        "lessons_applied": {"text": "Reviewed our AEO program against the regional good practices."},
        "direct_effects": {"yes": true, "comment": "The compliance division now advises AEOs as well as auditing them."},
        "efficiency_improved": {"yes": true},
        "new_projects": {"yes": false}
    })
}

impl TestApp {
    pub fn scheduler(&self, clock: &Arc<ManualClock>) -> Scheduler {
        Scheduler {
            db: self.db.clone(),
            mail: self.mail.clone(),
            clock: clock.clone(),
            mail_retention: chrono::Duration::days(i64::from(self.settings.mail_retention_days)),
            digest: followup::startup::digest_settings(&self.settings).expect("digest settings"),
        }
    }

    /// A delivery worker sending to `smtp_url`.
    pub fn worker(&self, smtp_url: &str, clock: Arc<dyn Clock>) -> Worker {
        let settings = DeliverySettings::from_settings(&self.settings);
        let url = SecretString::from(smtp_url.to_owned());
        let transport = Transport::new(
            Some(&url),
            std::path::Path::new("."),
            settings.send_timeout,
            settings.concurrency as u32,
        )
        .expect("an SMTP transport");
        self.worker_with(transport, clock)
    }

    pub fn worker_with(&self, transport: Transport, clock: Arc<dyn Clock>) -> Worker {
        Worker {
            db: self.db.clone(),
            transport: Arc::new(transport),
            sender: self.mail.sender(),
            key: self.mail.key.clone(),
            clock,
            settings: DeliverySettings::from_settings(&self.settings),
        }
    }

    /// A webhook worker on `clock`.
    pub fn webhook_worker(&self, clock: Arc<dyn Clock>) -> WebhookWorker {
        WebhookWorker::new(
            self.db.clone(),
            clock,
            WebhookSettings::from_settings(&self.settings).expect("webhook settings"),
        )
        .expect("a webhook worker")
    }

    /// Waits (a bounded while) until a query of this PostgreSQL database waits for a lock:
    /// a request blocked behind a test's open transaction.
    pub async fn until_a_query_waits_for_a_lock(&self) {
        let waiting = "SELECT count(*) AS n FROM pg_stat_activity \
                       WHERE wait_event_type = 'Lock' AND datname = current_database()";
        for _ in 0..200 {
            let row = self
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DatabaseBackend::Postgres,
                    waiting,
                ))
                .await
                .unwrap()
                .unwrap();
            if row.try_get::<i64>("", "n").unwrap() > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// The outbox, filtered by a query string.
    pub async fn mailings(&self, query: &str) -> Vec<Value> {
        self.get(&format!("/v1/mailings?per_page=200&{query}"))
            .await
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// The token of the link in a queued mail, as the worker puts it in when it sends the
    /// mail: the outbox itself holds only a placeholder.
    pub async fn token_in_mail(&self, mailing_id: i64) -> String {
        let detail = self
            .get(&format!("/v1/mailings/{mailing_id}"))
            .await
            .expect(200)
            .body;
        let stored = detail["body_text"].as_str().unwrap();
        assert!(
            stored.contains(&format!(
                "{LINK_BASE}{}",
                followup::mail::LINK_TOKEN_PLACEHOLDER
            )),
            "the outbox holds the link without its token: {stored}"
        );
        let record = entity::mailing::Entity::find_by_id(mailing_id as i32)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        let token = self.mail.key.token(
            record.invitation_id.expect("an invitation's mail"),
            record.link_generation.expect("a mail with a link"),
        );
        let text = followup::mail::with_token(stored, &token);
        let start = text.find(LINK_BASE).expect("a link in the mail") + LINK_BASE.len();
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

/// A clock at an RFC 3339 instant.
pub fn clock_at(instant: &str) -> Arc<ManualClock> {
    Arc::new(ManualClock::at(
        instant.parse().expect("an RFC 3339 instant"),
    ))
}

pub fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().expect("an RFC 3339 instant")
}

/// The real clock, for a delivery worker that sends what is queued as it is queued.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A clock stopped at the present, for moving a worker past retry delays and leases.
pub fn now_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(followup::base::clock::now()))
}
