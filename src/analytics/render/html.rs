//! The printable report: one HTML page with an SVG bar chart per table.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use minijinja::value::Serde;
use minijinja::{Environment, Value};

use super::svg::{Bar, bar_chart};
use crate::analytics::report::{Report, ReportPractice, ReportTable, TableContent};
use crate::analytics::stats::Share;
use crate::base::error::ServiceError;
use crate::base::markup;

fn chart(table: &ReportTable) -> Option<String> {
    let bar = |label: &str, p: &Share| Bar {
        label: label.to_owned(),
        share: p.fraction(),
        annotation: format!("{}% ({} of {})", p.percent, p.count, p.base),
    };
    let bars: Vec<Bar> = match &table.content {
        TableContent::ReplyRates(d) => d
            .rows
            .iter()
            .map(|r| bar(&r.workshop.title, &r.rate))
            .chain(std::iter::once(bar("Total", &d.total)))
            .collect(),
        TableContent::Choices(d) => d
            .options
            .iter()
            .zip(&d.total.options)
            .map(|(o, p)| bar(&o.label, p))
            .collect(),
        TableContent::YesNo(d) => d
            .rows
            .iter()
            .filter_map(|r| r.workshop.as_ref().map(|w| bar(&w.title, &r.yes)))
            .chain(std::iter::once(bar("Total", &d.total.yes)))
            .collect(),
        TableContent::CrossTab(d) => d
            .actions
            .iter()
            .map(|a| bar(&a.label, &a.with_outcome))
            .collect(),
    };
    (!bars.is_empty())
        .then(|| bar_chart(&format!("Table {}: {}", table.number, table.title), &bars))
}

/// The report's template, compiled once, writing text as a person would type it.
fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        env.set_formatter(markup::formatter);
        env.add_template("report.html", include_str!("report.html"))
            .unwrap_or_else(|e| panic!("the report template: {e}"));
        env
    })
}

/// The approved good practices under their category's heading, in the report's order.
fn practice_groups(report: &Report) -> Vec<(&str, Vec<&ReportPractice>)> {
    let mut groups: Vec<(&str, Vec<&ReportPractice>)> = Vec::new();
    for practice in &report.good_practices {
        match groups.last_mut() {
            Some((label, members)) if *label == practice.category_label => members.push(practice),
            _ => groups.push((&practice.category_label, vec![practice])),
        }
    }
    groups
}

/// The rows of "What brought replies" (a contact in words, its replies) and the reply
/// curve, when the report has them.
fn what_worked(report: &Report) -> (Vec<(String, u64)>, String) {
    let Some(worked) = &report.what_worked else {
        return (Vec::new(), String::new());
    };
    let words = |contact: &str| match contact {
        "invitation" => "The invitation".to_owned(),
        "escalation" => "An escalation to the administration".to_owned(),
        "contact_attempt" => "A contact attempt by staff".to_owned(),
        "feedback" => "The feedback mail".to_owned(),
        "not_recorded" => "Not recorded".to_owned(),
        other => other
            .strip_prefix("reminder_")
            .map_or_else(|| other.to_owned(), |n| format!("Reminder {n}")),
    };
    let rows = worked
        .by_contact
        .iter()
        .map(|c| (words(&c.contact), c.replies))
        .collect();
    let days: Vec<_> = worked
        .curve
        .iter()
        .map(|d| (d.day, d.replies, d.cumulative))
        .collect();
    let curve = super::svg::reply_curve(
        "Replies by day, with the days reminders went out",
        &days,
        &worked.reminder_days,
    );
    (rows, curve)
}

/// The printable page.
pub fn html(report: &Report) -> Result<String, ServiceError> {
    let charts: BTreeMap<String, Value> = report
        .tables
        .iter()
        .filter_map(|t| chart(t).map(|svg| (t.number.to_string(), Value::from_safe_string(svg))))
        .collect();
    let (contacts, reply_curve) = what_worked(report);
    let page = environment()
        .get_template("report.html")
        .and_then(|t| {
            t.render(minijinja::context! {
                report => Value::from(Serde(report)),
                charts => charts,
                practice_groups => Value::from(Serde(practice_groups(report))),
                contacts => contacts,
                reply_curve => Value::from_safe_string(reply_curve),
            })
        })
        .map_err(|e| anyhow::anyhow!("rendering the report: {e:#}"))?;
    Ok(page)
}
