//! The first sheet of an `.xlsx` file read back, cell by cell within bounds, as the CSV the
//! importers take: every cell as the CSV export writes it, formula-like text neutralized
//! (`domain::spreadsheet`).

use std::io::Cursor;
use std::time::{Duration, Instant};

use calamine::{DataRef, Reader, Xlsx};

use crate::domain::spreadsheet;

/// The most a workbook may unpack to, as its directory declares (a "zip bomb" of a few
/// hundred KB would otherwise unpack to gigabytes).
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;

/// Refuses a workbook whose parts unpack to more than [`MAX_UNPACKED_BYTES`].
fn check_unpacked_size(bytes: &[u8]) -> Result<(), SheetFault> {
    let unreadable = |error: zip::result::ZipError| {
        SheetFault::Unreadable(format!("not a readable .xlsx workbook: {error}"))
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let part = archive.by_index_raw(index).map_err(unreadable)?;
        total = total.saturating_add(part.size());
        if total > MAX_UNPACKED_BYTES {
            return Err(SheetFault::Beyond(format!(
                "the workbook unpacks to more than {} MB",
                MAX_UNPACKED_BYTES / (1024 * 1024)
            )));
        }
    }
    Ok(())
}

/// What the first sheet of a workbook read for an import may hold: reading stops at the
/// first cell beyond, so what a few kilobytes of workbook may claim (a cell in the last
/// column of the last row, one long shared string in every cell) costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetBounds {
    /// Columns, from the first (the export's columns).
    pub columns: usize,
    /// Rows below the header.
    pub rows: usize,
    /// Characters a cell may hold (the longest answer).
    pub cell_chars: usize,
}

/// The most CSV a workbook is read into.
pub const MAX_CSV_BYTES: usize = 8 * 1024 * 1024;

/// How long reading a workbook may take.
const MAX_READ_TIME: Duration = Duration::from_secs(10);

/// Why a workbook was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetFault {
    /// Not a workbook this reads (a person's message).
    Unreadable(String),
    /// A workbook holding more than an import may (a person's message).
    Beyond(String),
}

/// The first sheet of an `.xlsx` file, as CSV with every cell as the CSV export writes it
/// (whole numbers without a decimal point, formula-like text neutralized as in an export),
/// so importers read a workbook and a CSV file alike. The sheet is read cell by cell within
/// `bounds`; a sheet's row is the CSV's line (the header is line 1).
pub fn xlsx_as_csv(bytes: &[u8], bounds: SheetBounds) -> Result<String, SheetFault> {
    let unreadable = |error: &dyn std::fmt::Display| {
        SheetFault::Unreadable(format!("not a readable .xlsx workbook: {error}"))
    };
    check_unpacked_size(bytes)?;
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let first = workbook.sheet_names().into_iter().next();
    let first = first.ok_or_else(|| SheetFault::Unreadable("the workbook has no sheet".into()))?;
    let mut cells = workbook
        .worksheet_cells_reader(&first)
        .map_err(|e| unreadable(&e))?;
    let started = Instant::now();
    let mut rows = SheetRows::default();
    while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
        if rows.cells % 1024 == 0 && started.elapsed() > MAX_READ_TIME {
            return Err(SheetFault::Beyond(
                "the sheet takes too long to read".into(),
            ));
        }
        let (row, column) = cell.get_position();
        rows.put((row as usize, column as usize), cell.get_value(), bounds)?;
    }
    rows.into_csv()
}

/// The cells of a sheet read so far, by row.
#[derive(Default)]
struct SheetRows {
    rows: Vec<Vec<String>>,
    cells: usize,
    bytes: usize,
}

impl SheetRows {
    /// Puts the cell at `(row, column)` (from 0), within `bounds`.
    fn put(
        &mut self,
        (row, column): (usize, usize),
        value: &DataRef<'_>,
        bounds: SheetBounds,
    ) -> Result<(), SheetFault> {
        let name = cell_name(row, column);
        if column >= bounds.columns {
            return Err(SheetFault::Beyond(format!(
                "cell {name} lies beyond the {} columns of the round's export",
                bounds.columns
            )));
        }
        if row > bounds.rows {
            return Err(SheetFault::Beyond(format!(
                "cell {name} lies below the {} rows an import holds at most",
                bounds.rows
            )));
        }
        if row + 1 < self.rows.len() {
            return Err(SheetFault::Unreadable(format!(
                "cell {name} comes after a later row: the sheet's rows are out of order"
            )));
        }
        let text = text_of(value);
        if text.chars().count() > bounds.cell_chars {
            return Err(SheetFault::Beyond(format!(
                "cell {name} holds more than {} characters, the longest answer",
                bounds.cell_chars
            )));
        }
        self.bytes += text.len() + 1;
        if self.bytes > MAX_CSV_BYTES {
            return Err(SheetFault::Beyond(format!(
                "the sheet holds more than {} MB of text",
                MAX_CSV_BYTES / (1024 * 1024)
            )));
        }
        self.rows
            .resize_with(self.rows.len().max(row + 1), Vec::new);
        let cells = &mut self.rows[row];
        cells.resize_with(cells.len().max(column + 1), String::new);
        cells[column] = spreadsheet::neutralize(&text).into_owned();
        self.cells += 1;
        Ok(())
    }

    /// The rows as CSV, each as wide as the widest.
    fn into_csv(self) -> Result<String, SheetFault> {
        let width = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut writer = csv::Writer::from_writer(Vec::new());
        let failed = |error: &dyn std::fmt::Display| {
            SheetFault::Unreadable(format!("the sheet cannot be read: {error}"))
        };
        for mut row in self.rows {
            row.resize_with(width, String::new);
            writer.write_record(&row).map_err(|e| failed(&e))?;
        }
        let bytes = writer.into_inner().map_err(|e| failed(&e))?;
        String::from_utf8(bytes).map_err(|_| SheetFault::Unreadable("the sheet is not text".into()))
    }
}

/// A cell's text as the CSV export writes it.
fn text_of(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(text) => text.clone(),
        DataRef::SharedString(text) => (*text).to_owned(),
        DataRef::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => (*x as i64).to_string(),
        DataRef::Float(x) => x.to_string(),
        DataRef::Int(n) => n.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.to_string(),
        DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => text.clone(),
        DataRef::Error(error) => format!("#{error:?}"),
    }
}

/// A cell as a spreadsheet names it: `A1`, `XFD1048576`.
fn cell_name(row: usize, column: usize) -> String {
    let mut letters = Vec::new();
    let mut rest = column + 1;
    while rest > 0 {
        let digit = (rest - 1) % 26;
        letters.push(b'A' + digit as u8);
        rest = (rest - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::sheets::{Cell, Sheet, xlsx};
    use calamine::Data;
    use rust_xlsxwriter::Workbook;

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

    /// Bounds as an import of four columns gives them.
    const FOUR_COLUMNS: SheetBounds = SheetBounds {
        columns: 4,
        rows: 10_000,
        cell_chars: 4_000,
    };

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
            xlsx_as_csv(&bytes, FOUR_COLUMNS).unwrap(),
            "workshop,invited,rate_percent,ci_low\n'=cmd,22,0.55,0.3512\n"
        );
        let Err(SheetFault::Unreadable(refused)) = xlsx_as_csv(b"not a zip", FOUR_COLUMNS) else {
            panic!("not a zip is unreadable");
        };
        assert!(refused.starts_with("not a readable"), "{refused}");
    }

    #[test]
    fn rows_with_gaps_keep_their_lines_and_the_widest_row_sets_the_width() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "a").unwrap();
        sheet.write_string(0, 1, "b").unwrap();
        sheet.write_string(2, 2, "c").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(
            xlsx_as_csv(&bytes, FOUR_COLUMNS).unwrap(),
            "a,b,\n,,\n,,c\n"
        );
    }

    /// A sheet whose only cells are `A1` and `XFD1048576` (calamine's range of it would be
    /// rows x columns cells: 512 GiB asked) is refused at its second cell.
    #[test]
    fn a_cell_beyond_the_exports_columns_is_refused_before_anything_is_built() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "workshop").unwrap();
        sheet.write_string(1_048_575, 16_383, "far").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
        assert_eq!(
            xlsx_as_csv(&bytes, FOUR_COLUMNS),
            Err(SheetFault::Beyond(
                "cell XFD1048576 lies beyond the 4 columns of the round's export".into()
            ))
        );
        let below = SheetBounds {
            columns: 16_384,
            ..FOUR_COLUMNS
        };
        assert_eq!(
            xlsx_as_csv(&bytes, below),
            Err(SheetFault::Beyond(
                "cell XFD1048576 lies below the 10000 rows an import holds at most".into()
            ))
        );
    }

    /// Cells all pointing to one long shared string: refused at the first of them, not
    /// copied once per cell (`tests/api/spreadsheets.rs` sends one of a MiB).
    #[test]
    fn a_cell_longer_than_the_longest_answer_is_refused() {
        let long = "x".repeat(30_000);
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        for row in 0..64 {
            for column in 0..4 {
                sheet.write_string(row, column, &long).unwrap();
            }
        }
        let bytes = book.save_to_buffer().unwrap();
        assert!(bytes.len() < 16 * 1024, "{} bytes", bytes.len());
        assert_eq!(
            xlsx_as_csv(&bytes, FOUR_COLUMNS),
            Err(SheetFault::Beyond(
                "cell A1 holds more than 4000 characters, the longest answer".into()
            ))
        );
    }

    #[test]
    fn cells_are_named_as_spreadsheets_name_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
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
        assert_eq!(
            xlsx_as_csv(&bytes, FOUR_COLUMNS),
            Err(SheetFault::Beyond(
                "the workbook unpacks to more than 64 MB".into()
            ))
        );
    }
}
