//! CSV cells that a spreadsheet would run as a formula (OWASP "CSV injection"): a cell the
//! service writes that starts with `=`, `+`, `-`, `@` (or their full-width forms, which
//! some spreadsheets read alike), a tab or a carriage return, also after leading spaces
//! (which spreadsheets may trim), gets a leading `'`, which spreadsheets show as text.
//! Reading a CSV undoes it, so an exported file imports unchanged.

use std::borrow::Cow;

const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];
const CONTROL_STARTS: [char; 2] = ['\t', '\r'];

/// Text a spreadsheet would evaluate, or such text already behind quotes.
fn needs_quote(text: &str) -> bool {
    text.starts_with(CONTROL_STARTS)
        || text.trim_start().starts_with(FORMULA_STARTS)
        || text.strip_prefix('\'').is_some_and(needs_quote)
}

/// The cell as written.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if needs_quote(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The cell as it was before [`neutralize`].
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized_and_restored() {
        for (text, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-3", "'-3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("'=already", "''=already"),
            ("plain text", "plain text"),
            ("it's fine", "it's fine"),
            ("'quoted'", "'quoted'"),
            ("  =1+1", "'  =1+1"),
            ("\u{3000}+1", "'\u{3000}+1"),
            ("\n-2", "'\n-2"),
            ("＝HYPERLINK(\"http://x\")", "'＝HYPERLINK(\"http://x\")"),
            ("＋1", "'＋1"),
            ("－1", "'－1"),
            ("＠SUM(A1)", "'＠SUM(A1)"),
            ("  plain", "  plain"),
            ("", ""),
        ] {
            assert_eq!(neutralize(text), written, "{text:?}");
            assert_eq!(restore(written), text, "{written:?}");
        }
    }
}
