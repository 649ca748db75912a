//! The `followup` binary itself: subcommands, configuration, logs and graceful shutdown.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::followup;

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["keys", "--help"],
        vec!["keys", "create", "--help"],
        vec!["openapi", "--help"],
        vec!["import", "--help"],
        vec!["bounces", "--help"],
    ] {
        let output = followup().args(&args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn the_openapi_command_prints_the_committed_document() {
    let output = followup().arg("openapi").output().unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let committed = include_str!("../../openapi/openapi.json");
    assert!(
        printed == committed,
        "openapi/openapi.json is out of date: run `cargo run -q -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn keys_are_created_listed_and_revoked_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = followup()
            .env("DATA_DIR", data.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let first = followup()
        .env("DATA_DIR", data.path())
        .args(["keys", "create", "--role", "admin", "--name", "first admin"])
        .output()
        .unwrap();
    assert!(first.status.success());
    let said = String::from_utf8_lossy(&first.stderr);
    assert!(
        !said.contains("no active admin API key"),
        "creating the first key tells nobody to create one: {said}"
    );
    let secret = String::from_utf8(first.stdout).unwrap();
    assert!(secret.trim().starts_with("fu_"));
    assert!(
        data.path().join("followup.db").exists(),
        "SQLite under DATA_DIR by default"
    );
    run(&["keys", "create", "--role", "viewer", "--name", "reader"]);
    let listed = run(&["keys", "list"]);
    assert!(listed.contains("first admin") && listed.contains("reader"));
    assert!(!listed.contains(secret.trim()), "secrets are never listed");
    run(&["keys", "revoke", "2"]);
    assert!(run(&["keys", "list"]).contains("revoked"));

    let refused = followup()
        .env("DATA_DIR", data.path())
        .args(["keys", "create", "--role", "root", "--name", "x"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
}

#[test]
fn migrate_reads_a_configuration_file_and_the_environment_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let from_file = dir.path().join("from-file");
    let from_env = dir.path().join("from-env");
    let config = dir.path().join("followup.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n", from_file.display().to_string()),
    )
    .unwrap();

    let output = followup()
        .arg("--config")
        .arg(&config)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(from_file.join("followup.db").exists());

    let output = followup()
        .env("DATA_DIR", &from_env)
        .arg("--config")
        .arg(&config)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(from_env.join("followup.db").exists());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn serve_logs_json_with_request_ids_and_stops_cleanly_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = followup()
        .env("DATA_DIR", data.path())
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("LOG_FORMAT", "json")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let mut request_id = None;
    for _ in 0..100 {
        if let Ok(response) = client.get(&url).send().await {
            request_id = Some(
                response.headers()["x-request-id"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let request_id = request_id.expect("the service started within 10 s");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "exit status {:?}", output.status);

    let logs = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|line| line["span"]["request_id"] == request_id.as_str()
                && line["fields"]["message"] == "request finished"),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_command_loads_a_csv_all_or_nothing() {
    use crate::helpers::{Backend, spawn_app};
    let app = spawn_app(Backend::Sqlite).await;
    let round = app.create_round(5).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("survey-2019.csv");
    let header = "workshop,workshop_topic,workshop_scope,workshop_start_date,workshop_end_date,workshop_venue,workshop_virtual,administration,submitted_at,late,provenance,new_projects";
    std::fs::write(
        &good,
        format!("{header}\nAEO,AEO,regional,2018-12-10,2018-12-12,,true,MY,2019-06-20T00:00:00Z,false,participant,yes\n"),
    )
    .unwrap();
    let bad = dir.path().join("broken.csv");
    std::fs::write(
        &bad,
        format!("{header}\nAEO,AEO,regional,2018-12-10,2018-12-12,,true,MY,2019-06-20T00:00:00Z,false,participant,perhaps\n"),
    )
    .unwrap();
    let run = |file: &std::path::Path| {
        followup()
            .env("DATABASE_URL", &app.database_url)
            .args(["import", "--round", &round.to_string()])
            .arg(file)
            .output()
            .unwrap()
    };
    let refused = run(&bad);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("line 2, column new_projects"));
    let loaded = run(&good);
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    assert!(String::from_utf8_lossy(&loaded.stdout).contains("imported 1 replies"));
    let replies = app
        .get(&format!("/v1/rounds/{round}/replies"))
        .await
        .expect(200)
        .body;
    assert_eq!(replies["total"], 1);
    assert_eq!(replies["items"][0]["answers"]["new_projects"]["yes"], true);
}

#[test]
fn serve_refuses_a_weak_token_secret_and_says_how_to_make_one() {
    for secret in [
        "",
        "   ",
        "short-secret",
        "change-me-to-a-long-random-secret",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "0123456789abcdef0123456789abcdef",
    ] {
        let data = tempfile::tempdir().unwrap();
        let output = followup()
            .env("DATA_DIR", data.path())
            .env("BIND", format!("127.0.0.1:{}", free_port()))
            .env("FOLLOWUP_TOKEN_SECRET", secret)
            .arg("serve")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{secret:?} was accepted");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains("openssl rand -hex 32"), "{secret:?}: {said}");
    }
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("token-secret"), "\n").unwrap();
    let output = followup()
        .env("DATA_DIR", data.path())
        .env("BIND", format!("127.0.0.1:{}", free_port()))
        .arg("serve")
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "an empty secret file was accepted"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("token-secret"));
}

/// The shipped compose file: no token secret to copy (each deployment makes its own), the
/// mail catcher's web UI (which shows every mail and link) on this machine only, and the
/// data folder (the secret made on first start, mail files) in a volume that outlives the
/// container.
#[test]
fn the_compose_file_ships_no_secret_and_keeps_mail_on_this_machine() {
    let compose = include_str!("../../docker-compose.yml");
    let dockerfile = include_str!("../../Dockerfile");
    let settings: Vec<&str> = compose
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .collect();
    assert!(
        !settings
            .iter()
            .any(|l| l.starts_with("FOLLOWUP_TOKEN_SECRET")),
        "a token secret in the compose file is everyone's"
    );
    let mail = compose
        .split("\n  mail:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("a mail service");
    let published: Vec<&str> = mail
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("- \""))
        .collect();
    assert!(!published.is_empty(), "{mail}");
    for port in published {
        assert!(port.starts_with("- \"127.0.0.1:"), "{port}");
    }
    let data_dir = dockerfile
        .split_whitespace()
        .find_map(|word| word.strip_prefix("DATA_DIR="))
        .expect("the image's DATA_DIR");
    assert!(
        settings
            .iter()
            .any(|line| line.starts_with("- followup-data:") && line.ends_with(data_dir)),
        "the data folder {data_dir} is a volume"
    );
}
