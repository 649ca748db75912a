//! Tables for spreadsheets: the same rows written as CSV or as an `.xlsx` workbook (one sheet
//! per table, numbers as numbers, percentages formatted, the header row bold and frozen),
//! and the first sheet of an `.xlsx` file read back as the CSV the importers take. CSV cells
//! a spreadsheet would run as formulas are written as text (`domain::spreadsheet`); in a
//! workbook every text is a string cell, never a formula.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
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

/// The most a workbook may unpack to, as its directory declares (a "zip bomb" of a few
/// hundred KB would otherwise unpack to gigabytes).
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;

/// Refuses a workbook whose parts unpack to more than [`MAX_UNPACKED_BYTES`].
fn check_unpacked_size(bytes: &[u8]) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| format!("not a readable .xlsx workbook: {error}"))?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let part = archive
            .by_index_raw(index)
            .map_err(|error| format!("not a readable .xlsx workbook: {error}"))?;
        total = total.saturating_add(part.size());
        if total > MAX_UNPACKED_BYTES {
            return Err(format!(
                "the workbook unpacks to more than {} MB",
                MAX_UNPACKED_BYTES / (1024 * 1024)
            ));
        }
    }
    Ok(())
}

/// The first sheet of an `.xlsx` file, as CSV with every cell as the CSV export writes it
/// (whole numbers without a decimal point, formula-like text neutralized as in an export),
/// so importers read a workbook and a CSV file alike. An unreadable file is an error for
/// a person to read.
pub fn xlsx_as_csv(bytes: &[u8]) -> Result<String, String> {
    check_unpacked_size(bytes)?;
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|error| format!("not a readable .xlsx workbook: {error}"))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheet")?
        .map_err(|error| format!("the first sheet cannot be read: {error}"))?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in range.rows() {
        let cells = row.iter().map(|cell| {
            let text = match cell {
                Data::Empty => String::new(),
                Data::String(text) => text.clone(),
                Data::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => (*x as i64).to_string(),
                Data::Float(x) => x.to_string(),
                Data::Int(n) => n.to_string(),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(d) => d.to_string(),
                Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
                Data::Error(error) => format!("#{error:?}"),
            };
            spreadsheet::neutralize(&text).into_owned()
        });
        writer
            .write_record(cells)
            .map_err(|error| format!("the sheet cannot be read: {error}"))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| format!("the sheet cannot be read: {error}"))?;
    String::from_utf8(bytes).map_err(|_| "the sheet is not text".into())
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

    #[test]
    fn a_workbook_keeps_numbers_as_numbers_and_reads_back_as_csv() {
        let bytes = xlsx(&[sample()]).unwrap();
        let mut workbook: Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(workbook.sheet_names(), ["Table 1  replies   rates"]);
        let range = workbook.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.get((1, 0)), Some(&Data::String("=cmd".into())));
        assert_eq!(range.get((1, 1)), Some(&Data::Float(22.0)));
        assert_eq!(range.get((1, 2)), Some(&Data::Float(0.55)));
        assert_eq!(
            xlsx_as_csv(&bytes).unwrap(),
            "workshop,invited,rate_percent,ci_low\n'=cmd,22,0.55,0.3512\n"
        );
        assert!(
            xlsx_as_csv(b"not a zip")
                .unwrap_err()
                .starts_with("not a readable")
        );
    }

    #[test]
    fn a_workbook_unpacking_beyond_the_limit_is_refused() {
        let big = Sheet {
            name: "big".into(),
            header: vec!["text".into()],
            rows: (0..2_200)
                .map(|n| vec![Cell::Text(format!("{n}{}", "x".repeat(32_000)))])
                .collect(),
        };
        let bytes = xlsx(&[big]).unwrap();
        assert!(
            bytes.len() < 4 * 1024 * 1024,
            "{} bytes packed",
            bytes.len()
        );
        let refused = xlsx_as_csv(&bytes).unwrap_err();
        assert_eq!(refused, "the workbook unpacks to more than 64 MB");
    }
}
