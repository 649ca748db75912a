//! Text into HTML as a person would type it: only what HTML requires is escaped (`&`, `<`,
//! `>` and both quotes, so a value is safe in text and in quoted attributes alike), never
//! `/` or other characters browsers and mail clients show as they are. Templates named
//! `*.html` use [`formatter`] in place of minijinja's default, which also escapes `/`.

use minijinja::{AutoEscape, Error, ErrorKind, Output, State, Value};

/// `text` with `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The output formatter of HTML templates: strings escaped by [`escape`], values marked
/// safe and everything else as minijinja writes them.
pub fn formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    match value.as_str() {
        Some(text) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => out
            .write_str(&escape(text))
            .map_err(|_| Error::new(ErrorKind::WriteFailure, "writing a template's output")),
        _ => minijinja::escape_formatter(out, state, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_html_requires_is_escaped() {
        assert_eq!(
            escape("WCO ROCB Asia/Pacific: <b>\"A&B\"</b> it's"),
            "WCO ROCB Asia/Pacific: &lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt; it&#39;s"
        );
    }

    #[test]
    fn html_templates_keep_slashes_and_escape_markup() {
        let mut env = minijinja::Environment::new();
        env.set_formatter(formatter);
        env.add_template("t.html", "<a href=\"{{ url }}\">{{ text }}</a>")
            .unwrap();
        let out = env
            .get_template("t.html")
            .unwrap()
            .render(minijinja::context! { url => "https://x.org/respond/a?b=1&c=2", text => "Asia/Pacific <script>" })
            .unwrap();
        assert_eq!(
            out,
            "<a href=\"https://x.org/respond/a?b=1&amp;c=2\">Asia/Pacific &lt;script&gt;</a>"
        );
    }
}
