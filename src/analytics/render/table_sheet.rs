//! One report table as a spreadsheet's sheet: a header, one line per row, then the totals;
//! written as CSV (one table) or as an `.xlsx` workbook (every table, a sheet each).

use crate::analytics::context::scope_words;
use crate::analytics::cross_tab::{CrossTab, Member};
use crate::analytics::dispositions::Dispositions;
use crate::analytics::report::{Report, ReportTable, TableContent};
use crate::analytics::stats::Share;
use crate::analytics::tables::{ChoiceTable, ReplyRates, YesNoTable};
use crate::base::sheets::{self, Cell, Sheet};

fn members(list: &[Member]) -> Cell {
    list.iter()
        .map(|m| format!("{}{}", m.administration, if m.marked { "*" } else { "" }))
        .collect::<Vec<_>>()
        .join(" ")
        .into()
}

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// One table as a sheet named after its number.
pub fn table_sheet(table: &ReportTable) -> Sheet {
    let (header, rows) = match &table.content {
        TableContent::ReplyRates(d) => rate_rows(d),
        TableContent::Choices(d) => choice_rows(d),
        TableContent::YesNo(d) => yes_no_rows(d),
        TableContent::CrossTab(d) => cross_tab_rows(d),
    };
    Sheet {
        name: format!("Table {}", table.number),
        header,
        rows,
    }
}

/// One table as CSV (a header line, one line per row, then totals).
pub fn table_csv(table: &ReportTable) -> String {
    sheets::csv(&table_sheet(table))
}

/// Every table of the report as an `.xlsx` workbook, a sheet per table.
pub fn report_xlsx(report: &Report) -> anyhow::Result<Vec<u8>> {
    let sheets: Vec<Sheet> = report.tables.iter().map(table_sheet).collect();
    sheets::xlsx(&sheets)
}

type Rows = (Vec<String>, Vec<Vec<Cell>>);

/// A share's count, percentage and interval.
fn share_cells(p: &Share) -> [Cell; 4] {
    [
        Cell::Count(p.count),
        Cell::Percent(p.percent),
        Cell::Fraction(p.ci_low),
        Cell::Fraction(p.ci_high),
    ]
}

/// Table 1: a line per workshop, the subtotals, the total and the previous round.
fn rate_rows(d: &ReplyRates) -> Rows {
    let names = [
        "workshop",
        "scope",
        "invited",
        "replied",
        "rate_percent",
        "ci_low",
        "ci_high",
        "replied_late",
        "no_reply",
        "undeliverable",
        "handed_over",
        "rate_over_delivered_percent",
    ];
    let line = |name: String, scope: &str, base: u64, p: &Share| {
        let mut cells = vec![name.into(), scope.into(), Cell::Count(base)];
        cells.extend(share_cells(p));
        cells
    };
    let with_dispositions = |mut cells: Vec<Cell>, d: &Dispositions, delivered: &Share| {
        cells.extend([
            Cell::Count(d.replied_late),
            Cell::Count(d.no_reply),
            Cell::Count(d.undeliverable),
            Cell::Count(d.handed_over),
            Cell::Percent(delivered.percent),
        ]);
        cells
    };
    let mut rows = Vec::new();
    for row in &d.rows {
        let scope = scope_words(row.workshop.scope);
        let cells = line(row.workshop.title.clone(), scope, row.base, &row.rate);
        rows.push(with_dispositions(
            cells,
            &row.dispositions,
            &row.rate_over_delivered,
        ));
    }
    for sub in &d.subtotals {
        let scope = scope_words(sub.scope);
        let name = format!("Sub-total of {scope} workshops");
        rows.push(line(name, scope, sub.base, &sub.rate));
    }
    let total = line("Total".into(), "", d.total.base, &d.total);
    rows.push(with_dispositions(
        total,
        &d.dispositions,
        &d.total_over_delivered,
    ));
    if let Some(previous) = &d.previous {
        let name = format!("{} (previous round)", previous.round.title);
        rows.push(line(name, "", previous.base, &previous.rate));
    }
    (header(&names), rows)
}

/// A choice table: counts per workshop, the total and its percentages.
fn choice_rows(d: &ChoiceTable) -> Rows {
    let mut names = header(&["workshop", "answered"]);
    names.extend(d.options.iter().map(|o| o.code.clone()));
    let mut rows = Vec::new();
    for row in &d.rows {
        let title = row.workshop.as_ref().map(|w| w.title.clone());
        let mut line = vec![title.unwrap_or_default().into(), Cell::Count(row.base)];
        line.extend(row.options.iter().map(|p| Cell::Count(p.count)));
        rows.push(line);
    }
    let mut total = vec!["Total".into(), Cell::Count(d.total.base)];
    total.extend(d.total.options.iter().map(|p| Cell::Count(p.count)));
    rows.push(total);
    let mut shares = vec!["Total (percent)".into(), "".into()];
    shares.extend(d.total.options.iter().map(|p| Cell::Percent(p.percent)));
    rows.push(shares);
    (names, rows)
}

/// A yes/no table: a line per workshop and the total.
fn yes_no_rows(d: &YesNoTable) -> Rows {
    let names = [
        "workshop",
        "answered",
        "yes",
        "no",
        "yes_percent",
        "ci_low",
        "ci_high",
    ];
    let rows = d
        .rows
        .iter()
        .chain(std::iter::once(&d.total))
        .map(|row| {
            let title = row.workshop.as_ref().map(|w| w.title.clone());
            vec![
                title.unwrap_or_else(|| "Total".into()).into(),
                Cell::Count(row.base),
                Cell::Count(row.yes.count),
                Cell::Count(row.no.count),
                Cell::Percent(row.yes.percent),
                Cell::Fraction(row.yes.ci_low),
                Cell::Fraction(row.yes.ci_high),
            ]
        })
        .collect();
    (header(&names), rows)
}

/// A cross-tabulation: the members per workshop, the totals and the tests.
fn cross_tab_rows(d: &CrossTab) -> Rows {
    let mut names = header(&["workshop"]);
    names.extend(d.actions.iter().map(|a| a.selector.clone()));
    names.push(d.outcome.code.clone());
    let mut rows = Vec::new();
    for row in &d.rows {
        let mut line = vec![row.workshop.title.clone().into()];
        line.extend(row.actions.iter().map(|m| members(m)));
        line.push(members(&row.outcome));
        rows.push(line);
    }
    let mut total = vec!["Total".into()];
    total.extend(d.actions.iter().map(|a| Cell::Count(a.took)));
    total.push(Cell::Count(d.outcome_count));
    rows.push(total);
    let mut both = vec!["With the outcome".into()];
    both.extend(
        d.actions
            .iter()
            .map(|a| format!("{} ({}%)", a.with_outcome.count, a.with_outcome.percent).into()),
    );
    both.push(
        format!(
            "{} ({}%) took any",
            d.outcome_with_any_action.count, d.outcome_with_any_action.percent
        )
        .into(),
    );
    rows.push(both);
    let mut fisher = vec!["Fisher p".into()];
    fisher.extend(
        d.actions
            .iter()
            .map(|a| Cell::Decimal(a.association.fisher_p)),
    );
    fisher.push("".into());
    rows.push(fisher);
    (names, rows)
}
