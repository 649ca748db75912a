//! Bar charts as inline SVG for the printable report: no scripts, no external files.

use crate::base::markup::escape;

/// One bar: its label, its share (0 to 1) and the text printed at its end.
pub struct Bar {
    pub label: String,
    pub share: f64,
    pub annotation: String,
}

/// Characters of a label line that fit left of the plot at 12 px sans-serif (about 6.6 px a
/// character on average, wide letters included).
const LABEL_CHARS: usize = 42;
/// Lines a label may take; a longer one is cut with an ellipsis (its `<title>` is whole).
const LABEL_LINES: usize = 2;
const LINE_HEIGHT: f64 = 14.0;

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// `text` in lines of at most `width` characters, broken between words (a word longer than
/// a line is cut), at most `lines` of them, the last ending in an ellipsis when text is left.
pub fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let mut wrapped: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let word = shorten(word, width);
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed > width && !current.is_empty() {
            wrapped.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        wrapped.push(current);
    }
    if wrapped.len() > lines {
        let rest = wrapped.split_off(lines - 1).join(" ");
        wrapped.push(shorten(&rest, width));
    }
    wrapped
}

/// A horizontal bar chart with a 0-100% axis. Labels wrap onto two lines left of the plot;
/// each bar carries its whole label in a `<title>`, which screen readers and tooltips use.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    const WIDTH: f64 = 720.0;
    const LABEL: f64 = 300.0;
    const PLOT: f64 = 340.0;
    const ROW: f64 = 26.0;
    const TOP: f64 = 30.0;
    let labels: Vec<Vec<String>> = bars
        .iter()
        .map(|bar| wrap(&bar.label, LABEL_CHARS, LABEL_LINES))
        .collect();
    let row_height = |lines: usize| ROW + LINE_HEIGHT * lines.saturating_sub(1) as f64;
    let plot_height: f64 = labels.iter().map(|l| row_height(l.len())).sum();
    let height = TOP + plot_height + 24.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12"><title>{}</title>"#,
        escape(title)
    );
    svg.push_str(&format!(
        r##"<text x="0" y="16" font-weight="bold">{}</text>"##,
        escape(&shorten(title, 100))
    ));
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = LABEL + PLOT * tick;
        svg.push_str(&format!(
            r##"<line x1="{x}" y1="{TOP}" x2="{x}" y2="{}" stroke="#ddd"/><text x="{x}" y="{}" text-anchor="middle" fill="#666">{}%</text>"##,
            height - 20.0,
            height - 6.0,
            (tick * 100.0) as u32
        ));
    }
    let mut y = TOP;
    for (bar, lines) in bars.iter().zip(&labels) {
        let length = PLOT * bar.share.clamp(0.0, 1.0);
        let row = row_height(lines.len());
        let middle = y + row / 2.0;
        let first_line = middle + 4.0 - LINE_HEIGHT * (lines.len() - 1) as f64 / 2.0;
        svg.push_str(&format!(
            r##"<g><title>{}: {}</title><text x="{}" y="{first_line}" text-anchor="end">"##,
            escape(&bar.label),
            escape(&bar.annotation),
            LABEL - 8.0,
        ));
        for (index, line) in lines.iter().enumerate() {
            let dy = if index == 0 { 0.0 } else { LINE_HEIGHT };
            svg.push_str(&format!(
                r##"<tspan x="{}" dy="{dy}">{}</tspan>"##,
                LABEL - 8.0,
                escape(line)
            ));
        }
        svg.push_str(&format!(
            r##"</text><rect x="{LABEL}" y="{}" width="{length:.1}" height="{}" fill="#2b6cb0"/><text x="{}" y="{}">{}</text></g>"##,
            middle - (ROW - 8.0) / 2.0,
            ROW - 8.0,
            LABEL + length + 6.0,
            middle + 4.0,
            escape(&bar.annotation)
        ));
        y += row;
    }
    svg.push_str("</svg>");
    svg
}

/// The cumulative replies by day as a line, with the days reminders went out as dashed
/// vertical lines; each point and line carries its words in a `<title>`.
pub fn reply_curve(
    title: &str,
    days: &[(chrono::NaiveDate, u64, u64)],
    reminders: &[chrono::NaiveDate],
) -> String {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 240.0;
    const LEFT: f64 = 50.0;
    const RIGHT: f64 = 700.0;
    const TOP: f64 = 40.0;
    const BOTTOM: f64 = 200.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12"><title>{}</title><text x="0" y="16" font-weight="bold">{}</text>"#,
        escape(title),
        escape(&shorten(title, 100))
    );
    let first = days
        .iter()
        .map(|d| d.0)
        .chain(reminders.iter().copied())
        .min();
    let last = days
        .iter()
        .map(|d| d.0)
        .chain(reminders.iter().copied())
        .max();
    let (Some(first), Some(last)) = (first, last) else {
        svg.push_str("</svg>");
        return svg;
    };
    let span = (last - first).num_days().max(1) as f64;
    let x = |day: chrono::NaiveDate| LEFT + (RIGHT - LEFT) * (day - first).num_days() as f64 / span;
    let top = days.iter().map(|d| d.2).max().unwrap_or(0).max(1) as f64;
    let y = |n: u64| BOTTOM - (BOTTOM - TOP) * n as f64 / top;
    svg.push_str(&format!(
        r##"<line x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}" stroke="#999"/><text x="{}" y="{}" text-anchor="end" fill="#444">{}</text><text x="{}" y="{}" text-anchor="end" fill="#444">0</text><text x="{LEFT}" y="{}" fill="#444">{first}</text><text x="{RIGHT}" y="{}" text-anchor="end" fill="#444">{last}</text>"##,
        LEFT - 6.0, TOP + 4.0, top as u64, LEFT - 6.0, BOTTOM + 4.0, BOTTOM + 18.0, BOTTOM + 18.0,
    ));
    for day in reminders {
        svg.push_str(&format!(
            r##"<g><title>Reminders sent on {day}</title><line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{BOTTOM}" stroke="#c05621" stroke-dasharray="4 3"/></g>"##,
            x(*day)
        ));
    }
    let points: Vec<String> = days
        .iter()
        .map(|(day, _, total)| format!("{:.1},{:.1}", x(*day), y(*total)))
        .collect();
    svg.push_str(&format!(
        r##"<polyline points="{}" fill="none" stroke="#2b6cb0" stroke-width="2"/>"##,
        points.join(" ")
    ));
    for (day, replies, total) in days {
        svg.push_str(&format!(
            r##"<g><title>{day}: {replies} (in all {total})</title><circle cx="{:.1}" cy="{:.1}" r="3" fill="#2b6cb0"/></g>"##,
            x(*day),
            y(*total)
        ));
    }
    svg.push_str(&format!(
        r##"<text x="{LEFT}" y="{}" fill="#2b6cb0">replies in all</text><text x="{}" y="{}" fill="#c05621">- - reminders sent</text></svg>"##,
        HEIGHT - 6.0,
        LEFT + 140.0,
        HEIGHT - 6.0
    ));
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scaled() {
        let svg = bar_chart(
            "Shares <test>",
            &[Bar {
                label: "A & B".into(),
                share: 0.5,
                annotation: "50%".into(),
            }],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("A &amp; B") && svg.contains("Shares &lt;test&gt;"));
        assert!(svg.contains(r#"width="170.0""#));
    }

    #[test]
    fn long_labels_wrap_onto_two_lines_and_keep_their_whole_title() {
        let label = "WCO Asia/Pacific Sub-regional Workshop for Risk Management Trainers and Post-Clearance Audit Officers";
        let lines = wrap(label, LABEL_CHARS, LABEL_LINES);
        assert_eq!(lines.len(), 2);
        assert!(
            lines.iter().all(|l| l.chars().count() <= LABEL_CHARS),
            "{lines:?}"
        );
        assert_eq!(lines[0], "WCO Asia/Pacific Sub-regional Workshop for");
        assert!(lines[1].ends_with('…'), "{lines:?}");
        let svg = bar_chart(
            "T",
            &[Bar {
                label: label.into(),
                share: 0.25,
                annotation: "25% (1 of 4)".into(),
            }],
        );
        assert!(svg.contains(&format!("<title>{label}: 25% (1 of 4)</title>")));
        assert_eq!(svg.matches("<tspan").count(), 2);
        assert_eq!(wrap("Total", LABEL_CHARS, LABEL_LINES), ["Total"]);
    }
}
