//! CSV cells that a spreadsheet would run as a formula (OWASP "CSV injection"): a cell the
//! service writes that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
//! leading `'`, which spreadsheets show as text. Reading a CSV undoes it, so an exported
//! file imports unchanged.

use std::borrow::Cow;

const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text a spreadsheet would evaluate, or such text already behind quotes.
fn needs_quote(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS) || text.strip_prefix('\'').is_some_and(needs_quote)
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
            ("", ""),
        ] {
            assert_eq!(neutralize(text), written, "{text:?}");
            assert_eq!(restore(written), text, "{written:?}");
        }
    }
}
