//! Bar charts as inline SVG for the printable report: no scripts, no external files.

use crate::base::markup::escape;

/// One bar: its label, its share (0 to 1) and the text printed at its end.
pub struct Bar {
    pub label: String,
    pub share: f64,
    pub annotation: String,
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// A horizontal bar chart with a 0-100% axis.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    const WIDTH: f64 = 720.0;
    const LABEL: f64 = 300.0;
    const PLOT: f64 = 340.0;
    const ROW: f64 = 26.0;
    const TOP: f64 = 30.0;
    let height = TOP + ROW * bars.len() as f64 + 24.0;
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
    for (index, bar) in bars.iter().enumerate() {
        let y = TOP + ROW * index as f64;
        let length = PLOT * bar.share.clamp(0.0, 1.0);
        svg.push_str(&format!(
            r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{LABEL}" y="{}" width="{length:.1}" height="{}" fill="#2b6cb0"/><text x="{}" y="{}">{}</text>"##,
            LABEL - 8.0,
            y + 17.0,
            escape(&shorten(&bar.label, 48)),
            y + 5.0,
            ROW - 8.0,
            LABEL + length + 6.0,
            y + 17.0,
            escape(&bar.annotation)
        ));
    }
    svg.push_str("</svg>");
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
}
