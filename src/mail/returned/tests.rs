//! The corpus of `fixtures/bounces` read as `expected.json` says.

use super::*;

const RECIPIENT: &str = "sonam.dorji@customs.example.bt";
const ENVELOPE: &str = "bounces+42.00112233aabbccdd@survey.example.org";
const MESSAGE_ID: &str = "0a1b2c3d4e5f60718293a4b5.invitation@survey.example.org";

fn corpus() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bounces")
}

fn filled(name: &str) -> Vec<u8> {
    let raw = std::fs::read(corpus().join(name)).unwrap();
    String::from_utf8_lossy(&raw)
        .replace("%RECIPIENT%", RECIPIENT)
        .replace("%ENVELOPE%", ENVELOPE)
        .replace("%MESSAGE_ID%", MESSAGE_ID)
        .into_bytes()
}

#[test]
fn every_message_of_the_corpus_is_read_as_its_expectation_says() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(corpus().join("expected.json")).unwrap())
            .unwrap();
    let mut files: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".eml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for name in files {
        let expect = &expected[&name];
        assert!(expect.is_object(), "{name} has no expectation");
        let read = read(&filled(&name));
        let Some(finding) = expect["finding"].as_str() else {
            assert!(read.is_err(), "{name}: {read:?}");
            continue;
        };
        let returned = read.unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = &returned.reports[0];
        assert_eq!(crate::domain::wire_name(report.finding), finding, "{name}");
        assert_eq!(report.code.as_deref(), expect["code"].as_str(), "{name}");
        if expect["recipient"] == true {
            assert_eq!(report.recipient.as_deref(), Some(RECIPIENT), "{name}");
        }
        if expect["refers"] == true {
            assert!(
                returned.refers_to.iter().any(|id| id == MESSAGE_ID),
                "{name}: {:?}",
                returned.refers_to
            );
        }
        assert!(
            returned.addressed_to.iter().any(|a| a == ENVELOPE),
            "{name}: {:?}",
            returned.addressed_to
        );
        if let Some(words) = expect["detail_contains"].as_str() {
            assert!(
                report.detail.as_deref().unwrap_or_default().contains(words),
                "{name}"
            );
        }
        assert!(!returned.key.is_empty());
    }
}

#[test]
fn an_ordinary_mail_is_no_report_and_a_long_text_is_cut() {
    let mail = b"From: someone@example.org\r\nTo: bounces@survey.example.org\r\nSubject: Question about the survey\r\n\r\nHello, where is the form?\r\n";
    assert_eq!(read(mail), Err(Unreadable::NotAReport));
    let long = "word ".repeat(400);
    let cut = excerpt(&long);
    assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
    assert!(cut.ends_with('…'));
}
