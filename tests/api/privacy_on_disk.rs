//! Privacy seen from outside the process: the service run as a binary on a data folder of
//! its own, its logs searched for the personal data and secrets that went through it, and
//! its files for an address that was erased.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::full_answers;
use crate::process::RunningService;
use crate::smtp::{Mode, SmtpServer};

/// Two officers, by name, email and administration.
const PEOPLE: [(&str, &str, &str); 2] = [
    (
        "Zarathustra Quillfeather",
        "zq.officer@customs.my.example.org",
        "MY",
    ),
    (
        "Ottoline Brackenridge",
        "ob.officer@customs.to.example.org",
        "TO",
    ),
];

/// A workshop of [`PEOPLE`] surveyed in a round opened yesterday, both officers replying
/// through their links; returns the workshop id and the tokens.
async fn survey(service: &RunningService) -> (i64, Vec<String>) {
    let (status, workshop) = service
        .call(
            Method::POST,
            "/v1/workshops",
            Some(
                json!({"title": "Log test workshop", "topic": "AEO", "scope": "regional",
                "start_date": "2019-12-10", "end_date": "2019-12-12", "is_virtual": true}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{workshop}");
    let workshop_id = workshop["id"].as_i64().unwrap();
    let participants = format!("/v1/workshops/{workshop_id}/participants");
    for (name, email, code) in PEOPLE {
        let body = json!({"name": name, "email": email, "administration": code});
        let (status, _) = service.call(Method::POST, &participants, Some(body)).await;
        assert_eq!(status, 201);
    }
    // A bad request with personal data in it is logged too.
    let (name, email, code) = PEOPLE[0];
    let body = json!({"name": name, "email": email, "administration": code});
    let (status, _) = service.call(Method::POST, &participants, Some(body)).await;
    assert_eq!(status, 409);
    let (_, round) = service
        .call(
            Method::POST,
            "/v1/rounds",
            Some(
                json!({"title": "Survey 2020", "round_number": 6, "fiscal_year": "2019/20",
                "questionnaire_id": 1}),
            ),
        )
        .await;
    let round_id = round["id"].as_i64().unwrap();
    // Opened yesterday: every invitation's nine o'clock has passed, wherever it is.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let attach = json!({"workshop_id": workshop_id, "opens_on": yesterday.to_string()});
    let rounds = format!("/v1/rounds/{round_id}");
    service
        .call(Method::POST, &format!("{rounds}/workshops"), Some(attach))
        .await;
    service
        .call(Method::POST, &format!("{rounds}/schedule"), Some(json!({})))
        .await;
    let (_, invitations) = service
        .call(Method::GET, &format!("{rounds}/invitations"), None)
        .await;
    let mut tokens = Vec::new();
    for invitation in invitations["items"].as_array().unwrap() {
        let path = format!("/v1/invitations/{}/link", invitation["id"]);
        let (_, link) = service.call(Method::POST, &path, Some(json!({}))).await;
        tokens.push(link["token"].as_str().unwrap().to_owned());
    }
    for token in &tokens {
        let path = format!("/v1/respond/{token}");
        service.anonymous(Method::GET, &path).send().await.unwrap();
        service
            .anonymous(Method::PUT, &path)
            .json(&json!({"answers": full_answers()}))
            .send()
            .await
            .unwrap();
    }
    (workshop_id, tokens)
}

/// Every file under `folder`, however deep.
fn files_under(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Waits (a bounded while) until the mail worker has written `count` files.
async fn mail_files(data: &Path, count: usize) -> Vec<PathBuf> {
    let folder = data.join("mail");
    for _ in 0..100 {
        if folder.is_dir() && files_under(&folder).len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    files_under(&folder)
}

/// The service's own process at debug level: a survey's flows through the API and the
/// background jobs, its mail sent to an SMTP server that refuses one officer's address
/// quoting it, then every log line is searched for the personal data and secrets that
/// went through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_never_carry_names_emails_tokens_or_keys() {
    let data = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start();
    smtp.set_mode(Mode::PermanentFor("customs.my."));
    let service =
        RunningService::start(data.path(), &[("FOLLOWUP_SMTP_URL", smtp.url().as_str())]).await;
    let key = service.key.clone();
    let (_, tokens) = survey(&service).await;
    // Tonga's invitation and thank-you note go through; Malaysia's are refused.
    for _ in 0..100 {
        if smtp.received().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logs = service.stop().await;
    std::fs::write(
        std::env::temp_dir().join("followup-debug-log-test.log"),
        &logs,
    )
    .ok();
    assert!(
        logs.contains("\"level\":\"DEBUG\""),
        "debug logging ran: {logs}"
    );
    assert!(
        logs.matches("request finished").count() >= 12,
        "the flows ran: {logs}"
    );
    assert_eq!(smtp.received().len(), 2, "the mail worker ran");
    assert!(
        logs.contains("delivery failed for good") && logs.contains("554"),
        "the refusals were logged: {logs}"
    );
    let mut secrets: Vec<String> = vec![key.clone(), key[..20].to_owned()];
    for (name, email, _) in PEOPLE {
        secrets.push(name.to_owned());
        secrets.push(email.to_owned());
        secrets.push(email.split('@').next().unwrap().to_owned());
    }
    secrets.extend(tokens);
    for secret in &secrets {
        let line = logs.lines().find(|line| line.contains(secret.as_str()));
        assert!(
            line.is_none(),
            "{secret:?} logged: {}",
            line.unwrap_or_default()
        );
    }
}

/// Mail written to files, the SQLite database and its write-ahead log: after erasure none
/// of them holds the erased officer's name or address, and all of them are private to the
/// service's user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_erasure_no_file_under_the_data_folder_holds_the_address() {
    let data = tempfile::tempdir().unwrap();
    let folder = data.path().join("data");
    let service = RunningService::start(&folder, &[]).await;
    let (workshop_id, _) = survey(&service).await;
    let written = mail_files(&folder, 4).await;
    assert_eq!(written.len(), 4, "{written:?}");
    let (name, email, code) = PEOPLE[0];
    let holding = |files: &[PathBuf], secret: &str| -> Vec<PathBuf> {
        files
            .iter()
            // A file gone since it was listed (SQLite's shared-memory file) holds nothing.
            .filter(|f| {
                std::fs::read(f).is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(secret))
            })
            .cloned()
            .collect()
    };
    assert!(
        !holding(&files_under(&folder), email).is_empty(),
        "the test sees it first"
    );

    let path = format!("/v1/workshops/{workshop_id}/participants?administration={code}");
    let (_, found) = service.call(Method::GET, &path, None).await;
    let id = &found["items"][0]["id"];
    let erase = format!("/v1/workshops/{workshop_id}/participants/{id}/erase");
    let (status, _) = service.call(Method::POST, &erase, Some(json!({}))).await;
    assert_eq!(status, 200);
    let files = files_under(&folder);
    for secret in [email, name] {
        assert_eq!(holding(&files, secret), Vec::<PathBuf>::new(), "{secret}");
    }
    assert_eq!(
        holding(&files, PEOPLE[1].1).len(),
        3,
        "the other officer's two mails and the database keep theirs"
    );

    assert_eq!(mode_of(&folder), 0o700);
    assert_eq!(mode_of(&folder.join("mail")), 0o700);
    for file in &files {
        assert_eq!(mode_of(file), 0o600, "{file:?}");
    }
    service.stop().await;
    let files: Vec<Value> = files_under(&folder)
        .iter()
        .filter(|f| !holding(&[f.to_path_buf()], email).is_empty())
        .map(|f| json!(f))
        .collect();
    assert!(files.is_empty(), "after stopping: {files:?}");
}
