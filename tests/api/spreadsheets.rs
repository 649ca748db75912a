//! Spreadsheets, where an office keeps its history: the report's tables and a round's
//! replies as `.xlsx` (read back with calamine and compared cell by cell with the JSON
//! figures), and replies imported from `.xlsx` as from CSV, with the same errors.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::replies::{a_round_with_replies, export};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn workbook(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("a readable workbook")
}

fn number(value: &Value) -> Data {
    Data::Float(value.as_f64().unwrap())
}

fn percent(value: &Value) -> Data {
    Data::Float(value.as_f64().unwrap() / 100.0)
}

/// The cells a share gives: count, percent, interval.
fn share(value: &Value) -> Vec<Data> {
    vec![
        number(&value["count"]),
        percent(&value["percent"]),
        number(&value["ci_low"]),
        number(&value["ci_high"]),
    ]
}

fn text(value: &Value) -> Data {
    Data::String(value.as_str().unwrap().to_owned())
}

/// What each row of a table's sheet must hold, from the report's JSON.
fn expected_rows(table: &Value) -> Vec<Vec<Data>> {
    let d = &table["content"]["data"];
    let title = |row: &Value| {
        row["workshop"]
            .get("title")
            .map_or(Data::String("Total".into()), text)
    };
    match table["content"]["kind"].as_str().unwrap() {
        "reply_rates" => {
            let mut rows: Vec<Vec<Data>> = d["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    // The scope, in words, is not compared (Data::Empty is skipped).
                    let mut cells = vec![text(&row["workshop"]["title"]), Data::Empty];
                    cells.push(number(&row["base"]));
                    cells.extend(share(&row["rate"]));
                    cells
                })
                .collect();
            let mut total = vec![
                Data::String("Total".into()),
                Data::Empty,
                number(&d["total"]["base"]),
            ];
            total.extend(share(&d["total"]));
            rows.extend(d["subtotals"].as_array().unwrap().iter().map(|sub| {
                let mut cells = vec![Data::Empty, Data::Empty, number(&sub["base"])];
                cells.extend(share(&sub["rate"]));
                cells
            }));
            rows.push(total);
            if let Some(previous) = d["previous"].as_object() {
                let mut cells = vec![Data::Empty, Data::Empty, number(&previous["base"])];
                cells.extend(share(&previous["rate"]));
                rows.push(cells);
            }
            rows
        }
        "choices" => {
            let line = |row: &Value, name: Data| {
                let mut cells = vec![name, number(&row["base"])];
                cells.extend(
                    row["options"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| number(&o["count"])),
                );
                cells
            };
            let mut rows: Vec<Vec<Data>> = d["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| line(r, title(r)))
                .collect();
            rows.push(line(&d["total"], Data::String("Total".into())));
            let mut shares = vec![Data::String("Total (percent)".into()), Data::Empty];
            shares.extend(
                d["total"]["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| percent(&o["percent"])),
            );
            rows.push(shares);
            rows
        }
        "yes_no" => d["rows"]
            .as_array()
            .unwrap()
            .iter()
            .chain(std::iter::once(&d["total"]))
            .map(|row| {
                vec![
                    title(row),
                    number(&row["base"]),
                    number(&row["yes"]["count"]),
                    number(&row["no"]["count"]),
                    percent(&row["yes"]["percent"]),
                    number(&row["yes"]["ci_low"]),
                    number(&row["yes"]["ci_high"]),
                ]
            })
            .collect(),
        _ => {
            let actions = d["actions"].as_array().unwrap();
            let mut total = vec![Data::String("Total".into())];
            total.extend(actions.iter().map(|a| number(&a["took"])));
            total.push(number(&d["outcome_count"]));
            let mut fisher = vec![Data::String("Fisher p".into())];
            fisher.extend(
                actions
                    .iter()
                    .map(|a| number(&a["association"]["fisher_p"])),
            );
            fisher.push(Data::Empty);
            vec![total, fisher]
        }
    }
}

/// Every table of the Survey 2020 report in its own sheet, each figure a number equal to the
/// JSON's (percentages as fractions formatted as percentages).
async fn the_report_exports_as_a_workbook_with_every_figure_as_in_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = i64::from(followup::demo::load(&app.db).await.unwrap().survey_2020);
    let report = app
        .get(&format!("/v1/rounds/{round}/report"))
        .await
        .expect(200)
        .body;
    let (media, bytes) = app
        .get_bytes(&format!("/v1/rounds/{round}/report?format=xlsx"))
        .await;
    assert_eq!(media, XLSX);
    let mut book = workbook(bytes);
    let tables = report["tables"].as_array().unwrap();
    assert_eq!(book.sheet_names().len(), tables.len());
    let mut compared = 0;
    for table in tables {
        let name = format!("Table {}", table["number"]);
        let range = book.worksheet_range(&name).unwrap();
        let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert!(
            matches!(&rows[0][0], Data::String(h) if h == "workshop"),
            "{name}"
        );
        let expected = expected_rows(table);
        let kind = table["content"]["kind"].as_str().unwrap();
        let sheet_rows: Vec<&Vec<Data>> = match kind {
            // The cross-tab's totals and tests are its last rows but one ("With the
            // outcome", as text) and the last.
            "cross_tab" => vec![&rows[rows.len() - 3], &rows[rows.len() - 1]],
            _ => rows[1..].iter().collect(),
        };
        assert_eq!(sheet_rows.len(), expected.len(), "{name}: rows");
        for (got, want) in sheet_rows.iter().zip(&expected) {
            for (column, cell) in want.iter().enumerate() {
                if *cell == Data::Empty {
                    continue;
                }
                match (&got[column], cell) {
                    (Data::Float(a), Data::Float(b)) => {
                        assert!(
                            (a - b).abs() < 1e-12,
                            "{name} {got:?} column {column}: {a} != {b}"
                        )
                    }
                    (a, b) => assert_eq!(a, b, "{name} column {column}"),
                }
                compared += 1;
            }
        }
    }
    assert!(compared > 150, "{compared} cells compared");
}

/// Replies written as a workbook come back in through the import as from CSV.
async fn replies_go_out_and_back_in_as_a_workbook(backend: Backend) {
    let source = spawn_app(backend).await;
    let round = a_round_with_replies(&source).await;
    let (media, bytes) = source
        .get_bytes(&format!("/v1/rounds/{round}/replies/export?format=xlsx"))
        .await;
    assert_eq!(media, XLSX);
    let mut book = workbook(bytes.clone());
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[0], "workshop");
    let tonga = sheet
        .rows()
        .find(|row| row.iter().any(|c| *c == Data::String("TO".into())))
        .unwrap();
    let lessons = header.iter().position(|h| h == "lessons_applied").unwrap();
    assert_eq!(
        tonga[lessons],
        Data::String("=HYPERLINK(\"http://evil.example\",\"see\")".into()),
        "a string cell, never a formula"
    );

    let target = spawn_app(backend).await;
    let empty = target.create_round(6).await;
    let summary = import(&target, empty, XLSX, bytes).await.expect(201).body;
    assert_eq!(summary, json!({"replies": 2, "workshops_created": 1}));
    assert_eq!(
        export(&target, empty).await,
        export(&source, round).await,
        "the same replies come back out"
    );
}

async fn import(app: &TestApp, round: i64, media: &str, body: Vec<u8>) -> crate::helpers::Reply {
    app.send(
        app.request_as(
            &app.admin_key,
            Method::POST,
            &format!("/v1/rounds/{round}/replies/import"),
        )
        .header("content-type", media)
        .body(body),
    )
    .await
}

/// A workbook of rows in the import's columns.
fn a_workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// An `.xlsx` import fails as a CSV one does: every bad cell by row and column, nothing
/// written; past workshops without topic or venue are welcome.
async fn a_bad_workbook_names_row_and_column_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = app.create_round(6).await;
    let header: &[&str] = &[
        "workshop",
        "workshop_topic",
        "workshop_scope",
        "workshop_start_date",
        "workshop_end_date",
        "workshop_venue",
        "workshop_virtual",
        "administration",
        "submitted_at",
        "late",
        "provenance",
        "direct_effects",
        "new_projects",
    ];
    let good: &[&str] = &[
        "Valuation",
        "",
        "regional",
        "2011-03-01",
        "2011-03-04",
        "",
        "false",
        "MY",
        "2011-09-20T00:00:00Z",
        "false",
        "participant",
        "yes",
        "no",
    ];
    let bad: &[&str] = &[
        "Valuation",
        "",
        "regional",
        "2011-03-01",
        "2011-03-04",
        "",
        "false",
        "MY",
        "yesterday",
        "false",
        "participant",
        "maybe",
        "no",
    ];
    let fields = import(&app, round, XLSX, a_workbook(&[header, good, bad]))
        .await
        .expect_problem(422);
    assert_eq!(
        fields,
        [
            "line 3, column submitted_at",
            "line 3, column direct_effects"
        ]
    );
    assert!(
        app.get("/v1/workshops?q=Valuation").await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let refused = import(&app, round, XLSX, b"not a workbook".to_vec()).await;
    assert_eq!(refused.expect_problem(422), ["body"]);
    // A file sent as bytes is a workbook by its first bytes, else CSV in UTF-8.
    let png = b"\x89PNG\r\n\x1a\n\x00\x00".to_vec();
    let refused = import(&app, round, "application/octet-stream", png).await;
    assert_eq!(refused.expect_problem(422), ["body"]);

    let summary = import(&app, round, XLSX, a_workbook(&[header, good]))
        .await
        .expect(201)
        .body;
    assert_eq!(summary, json!({"replies": 1, "workshops_created": 1}));
    let workshop = &app.get("/v1/workshops?q=Valuation").await.body["items"][0];
    assert_eq!(
        (&workshop["topic"], &workshop["venue"]),
        (&json!(null), &json!(null))
    );
}

/// A workbook of 16 x 16 cells that all point to one shared string of a MiB, as nothing but
/// a hand-made file holds (Excel stops at 32,767 characters): a few kilobytes zipped.
fn one_long_shared_string() -> Vec<u8> {
    use std::io::{Read, Write};
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for row in 0..16 {
        for column in 0..16 {
            sheet.write_string(row, column, "PLACEHOLDER").unwrap();
        }
    }
    let made = book.save_to_buffer().unwrap();
    let mut parts = zip::ZipArchive::new(Cursor::new(made)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for index in 0..parts.len() {
        let mut part = parts.by_index(index).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut content = String::new();
        part.read_to_string(&mut content).unwrap();
        if name == "xl/sharedStrings.xml" {
            content = content.replace("PLACEHOLDER", &"x".repeat(1024 * 1024));
        }
        out.start_file(name, deflated).unwrap();
        out.write_all(content.as_bytes()).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The service's resident memory, from the kernel (the app runs in this process).
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Workbooks of a few kilobytes that claim more than an import holds are refused at their
/// first such cell, with what they claim never built: a cell in the last column of the last
/// row (a range of it would be 512 GiB of cells) and 256 cells of one shared string of a MiB
/// (a copy each would be 256 MiB). The round is found before the file is read.
async fn workbooks_claiming_more_than_an_import_holds_are_refused_at_their_first_cell(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let round = app.create_round(6).await;
    let mut far = rust_xlsxwriter::Workbook::new();
    let sheet = far.add_worksheet();
    sheet.write_string(0, 0, "workshop").unwrap();
    sheet.write_string(1_048_575, 16_383, "far").unwrap();
    let far = far.save_to_buffer().unwrap();
    let long = one_long_shared_string();
    assert!(far.len() < 8 * 1024 && long.len() < 16 * 1024);

    let before = resident_kib();
    let started = std::time::Instant::now();
    let refused = import(&app, round, XLSX, far.clone()).await;
    assert!(
        refused
            .text
            .contains("cell XFD1048576 lies beyond the 22 columns"),
        "{}",
        refused.text
    );
    assert_eq!(refused.expect_problem(422), ["body"]);
    let refused = import(&app, round, XLSX, long).await;
    assert!(
        refused
            .text
            .contains("cell A1 holds more than 4000 characters"),
        "{}",
        refused.text
    );
    assert_eq!(refused.expect_problem(422), ["body"]);
    let grown = resident_kib().saturating_sub(before);
    eprintln!(
        "both workbooks refused in {:?}; resident memory grew by {grown} KiB",
        started.elapsed()
    );
    assert!(grown < 128 * 1024, "resident memory grew by {grown} KiB");
    // Another round's id: not found, the file unread.
    import(&app, round + 100, XLSX, far)
        .await
        .expect_problem(404);
}

on_both_databases!(
    the_report_exports_as_a_workbook_with_every_figure_as_in_json,
    replies_go_out_and_back_in_as_a_workbook,
    a_bad_workbook_names_row_and_column_and_writes_nothing,
    workbooks_claiming_more_than_an_import_holds_are_refused_at_their_first_cell,
);
