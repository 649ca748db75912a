//! Tables for spreadsheets: the same rows written as CSV or as an `.xlsx` workbook (one sheet
//! per table, numbers as numbers, percentages formatted, the header row bold and frozen)
//! (reading one back is `super::sheet_reading`). CSV cells
//! a spreadsheet would run as formulas are written as text (`domain::spreadsheet`); in a
//! workbook every text is a string cell, never a formula.

use rust_xlsxwriter::{Format, Workbook};

use crate::domain::spreadsheet;

/// The media type of an `.xlsx` workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One cell, typed so a workbook shows it as a person expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A count.
    Count(u64),
    /// A whole number that may be negative (a scale answer).
    Whole(i64),
    /// A whole percentage (`55` for 55%).
    Percent(u64),
    /// A fraction shown as a percentage with a decimal (an interval's bound).
    Fraction(f64),
    /// A number shown with four decimals (a p-value).
    Decimal(f64),
}

impl Cell {
    /// The cell as CSV writes it.
    pub fn as_text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Count(n) | Self::Percent(n) => n.to_string(),
            Self::Whole(n) => n.to_string(),
            Self::Fraction(x) | Self::Decimal(x) => format!("{x:.4}"),
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

/// A named table: its header and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet's tab; at most 31 characters, without `[]:*?/\`.
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// `name` as a worksheet may be called.
fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .collect();
    cleaned.trim().chars().take(31).collect()
}

/// The sheet as CSV, formula-like text neutralized.
pub fn csv(sheet: &Sheet) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let lines = std::iter::once(sheet.header.clone()).chain(
        sheet
            .rows
            .iter()
            .map(|row| row.iter().map(Cell::as_text).collect()),
    );
    for line in lines {
        let _ = writer.write_record(
            line.iter()
                .map(|cell| spreadsheet::neutralize(cell).into_owned()),
        );
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The sheets as an `.xlsx` workbook.
pub fn xlsx(sheets: &[Sheet]) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let count = Format::new().set_num_format("0");
    let percent = Format::new().set_num_format("0%");
    let fraction = Format::new().set_num_format("0.0%");
    let decimal = Format::new().set_num_format("0.0000");
    for sheet in sheets {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(sheet_name(&sheet.name))?;
        for (column, title) in sheet.header.iter().enumerate() {
            let column = u16::try_from(column)?;
            worksheet.write_string_with_format(0, column, title, &bold)?;
            let width = title.chars().count().clamp(8, 40);
            worksheet.set_column_width(column, width as f64 + 2.0)?;
        }
        worksheet.set_freeze_panes(1, 0)?;
        for (index, row) in sheet.rows.iter().enumerate() {
            let line = u32::try_from(index + 1)?;
            for (column, cell) in row.iter().enumerate() {
                let column = u16::try_from(column)?;
                match cell {
                    Cell::Text(text) => worksheet.write_string(line, column, text)?,
                    Cell::Count(n) => {
                        worksheet.write_number_with_format(line, column, *n as f64, &count)?
                    }
                    Cell::Whole(n) => {
                        worksheet.write_number_with_format(line, column, *n as f64, &count)?
                    }
                    Cell::Percent(n) => worksheet.write_number_with_format(
                        line,
                        column,
                        *n as f64 / 100.0,
                        &percent,
                    )?,
                    Cell::Fraction(x) => {
                        worksheet.write_number_with_format(line, column, *x, &fraction)?
                    }
                    Cell::Decimal(x) => {
                        worksheet.write_number_with_format(line, column, *x, &decimal)?
                    }
                };
            }
        }
    }
    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sheet {
        Sheet {
            name: "Table 1: replies / rates".into(),
            header: vec![
                "workshop".into(),
                "invited".into(),
                "rate_percent".into(),
                "ci_low".into(),
            ],
            rows: vec![vec![
                "=cmd".into(),
                Cell::Count(22),
                Cell::Percent(55),
                Cell::Fraction(0.3512),
            ]],
        }
    }

    #[test]
    fn csv_writes_numbers_as_text_and_neutralizes_formulas() {
        assert_eq!(
            csv(&sample()),
            "workshop,invited,rate_percent,ci_low\n'=cmd,22,55,0.3512\n"
        );
    }
}
