//! One report table as CSV: a header line, one line per row, then the totals. Cells a
//! spreadsheet would run as formulas are written as text.

use crate::analytics::context::scope_words;
use crate::analytics::cross_tab::{CrossTab, Member};
use crate::analytics::report::{ReportTable, TableContent};
use crate::analytics::stats::Share;
use crate::analytics::tables::{ChoiceTable, ReplyRates, YesNoTable};
use crate::domain::spreadsheet;

fn percent(p: &Share) -> String {
    p.percent.to_string()
}

fn members(list: &[Member]) -> String {
    list.iter()
        .map(|m| format!("{}{}", m.administration, if m.marked { "*" } else { "" }))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One table as CSV (a header line, one line per row, then totals).
pub fn table_csv(table: &ReportTable) -> String {
    let rows = match &table.content {
        TableContent::ReplyRates(d) => rate_rows(d),
        TableContent::Choices(d) => choice_rows(d),
        TableContent::YesNo(d) => yes_no_rows(d),
        TableContent::CrossTab(d) => cross_tab_rows(d),
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        let _ = writer.write_record(
            row.iter()
                .map(|cell| spreadsheet::neutralize(cell).into_owned()),
        );
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Table 1: a line per workshop, the subtotals, the total and the previous round.
fn rate_rows(d: &ReplyRates) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    rows.push(vec![
        "workshop".into(),
        "scope".into(),
        "invited".into(),
        "replied".into(),
        "rate_percent".into(),
        "ci_low".into(),
        "ci_high".into(),
    ]);
    let line = |name: String, scope: String, p: &Share| {
        vec![
            name,
            scope,
            p.base.to_string(),
            p.count.to_string(),
            percent(p),
            format!("{:.4}", p.ci_low),
            format!("{:.4}", p.ci_high),
        ]
    };
    for row in &d.rows {
        rows.push(line(
            row.workshop.title.clone(),
            scope_words(row.workshop.scope).to_owned(),
            &row.rate,
        ));
    }
    for sub in &d.subtotals {
        rows.push(line(
            format!("Sub-total of {} workshops", scope_words(sub.scope)),
            scope_words(sub.scope).to_owned(),
            &sub.rate,
        ));
    }
    rows.push(line("Total".into(), String::new(), &d.total));
    if let Some(previous) = &d.previous {
        rows.push(line(
            format!("{} (previous round)", previous.round.title),
            String::new(),
            &previous.rate,
        ));
    }
    rows
}

/// A choice table: counts per workshop, the total and its percentages.
fn choice_rows(d: &ChoiceTable) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["workshop".to_owned(), "answered".to_owned()];
    header.extend(d.options.iter().map(|o| o.code.clone()));
    rows.push(header);
    for row in &d.rows {
        let mut line = vec![
            row.workshop
                .as_ref()
                .map(|w| w.title.clone())
                .unwrap_or_default(),
            row.base.to_string(),
        ];
        line.extend(row.options.iter().map(|p| p.count.to_string()));
        rows.push(line);
    }
    let mut total = vec!["Total".to_owned(), d.total.base.to_string()];
    total.extend(d.total.options.iter().map(|p| p.count.to_string()));
    rows.push(total);
    let mut shares = vec!["Total (percent)".to_owned(), String::new()];
    shares.extend(d.total.options.iter().map(percent));
    rows.push(shares);
    rows
}

/// A yes/no table: a line per workshop and the total.
fn yes_no_rows(d: &YesNoTable) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    rows.push(vec![
        "workshop".into(),
        "answered".into(),
        "yes".into(),
        "no".into(),
        "yes_percent".into(),
        "ci_low".into(),
        "ci_high".into(),
    ]);
    for row in d.rows.iter().chain(std::iter::once(&d.total)) {
        rows.push(vec![
            row.workshop
                .as_ref()
                .map_or_else(|| "Total".to_owned(), |w| w.title.clone()),
            row.base.to_string(),
            row.yes.count.to_string(),
            row.no.count.to_string(),
            percent(&row.yes),
            format!("{:.4}", row.yes.ci_low),
            format!("{:.4}", row.yes.ci_high),
        ]);
    }
    rows
}

/// A cross-tabulation: the members per workshop, the totals and the tests.
fn cross_tab_rows(d: &CrossTab) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["workshop".to_owned()];
    header.extend(d.actions.iter().map(|a| a.selector.clone()));
    header.push(d.outcome.code.clone());
    rows.push(header);
    for row in &d.rows {
        let mut line = vec![row.workshop.title.clone()];
        line.extend(row.actions.iter().map(|m| members(m)));
        line.push(members(&row.outcome));
        rows.push(line);
    }
    let mut total = vec!["Total".to_owned()];
    total.extend(d.actions.iter().map(|a| a.took.to_string()));
    total.push(d.outcome_count.to_string());
    rows.push(total);
    let mut both = vec!["With the outcome".to_owned()];
    both.extend(
        d.actions
            .iter()
            .map(|a| format!("{} ({}%)", a.with_outcome.count, a.with_outcome.percent)),
    );
    both.push(format!(
        "{} ({}%) took any",
        d.outcome_with_any_action.count, d.outcome_with_any_action.percent
    ));
    rows.push(both);
    let mut fisher = vec!["Fisher p".to_owned()];
    fisher.extend(
        d.actions
            .iter()
            .map(|a| format!("{:.4}", a.association.fisher_p)),
    );
    fisher.push(String::new());
    rows.push(fisher);
    rows
}
