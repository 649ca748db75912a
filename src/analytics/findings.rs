//! Findings written from the figures, so that the text and the numbers always agree.

use super::cross_tab::{ActionTotal, CrossTab};
use super::stats::Share;
use super::tables::{ChoiceTable, ReplyRates, YesNoTable};
use super::trends::Trends;
use crate::domain::wording::count;

/// The smallest base a share is given as a percentage in findings: below it, findings give
/// counts ("2 of 3") and no ranking, interval or comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinBase(pub u32);

impl MinBase {
    pub const DEFAULT: Self = Self(5);

    /// Whether a share of `base` may be given as a percentage.
    pub fn allows(self, base: impl Into<u64>) -> bool {
        base.into() >= u64::from(self.0.max(1))
    }
}

fn percent(p: &Share) -> String {
    format!("{}%", p.percent)
}

fn interval(p: &Share) -> String {
    format!(
        "95% CI {}–{}%",
        (p.ci_low * 100.0).round(),
        (p.ci_high * 100.0).round()
    )
}

fn p_value(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {}", format_significant(p))
    }
}

fn format_significant(value: f64) -> String {
    let digits = (2 - value.abs().log10().floor() as i32 - 1).max(0) as usize;
    format!("{value:.digits$}")
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What the findings of a round are written from.
#[derive(Debug, Clone, Copy)]
pub struct Figures<'a> {
    pub rates: &'a ReplyRates,
    pub choices: &'a [&'a ChoiceTable],
    pub yes_no: &'a [&'a YesNoTable],
    pub cross_tabs: &'a [&'a CrossTab],
    /// The previous round and this one, oldest first, when there is a previous round.
    pub comparison: Option<&'a Trends>,
}

/// The findings of a round, shares of a base under `min` given as counts only.
pub fn write(figures: Figures<'_>, min: MinBase) -> Vec<String> {
    let mut findings = of_reply_rates(figures.rates, min);
    findings.extend(figures.choices.iter().filter_map(|t| ranking(t, min)));
    findings.extend(figures.yes_no.iter().filter_map(|t| yes_share(t, min)));
    findings.extend(associations(figures.cross_tabs, min));
    findings.extend(figures.comparison.and_then(|t| changes(t, min)));
    findings
}

/// `count of base (percent)`, or `count of base` when the base is under `min`.
fn share_in_words(p: &Share, min: MinBase) -> String {
    if min.allows(p.base) {
        format!("{} of {} ({})", p.count, p.base, percent(p))
    } else {
        format!("{} of {}", p.count, p.base)
    }
}

/// The reply rate, beside the previous round's, and by scope when there are several.
pub fn of_reply_rates(rates: &ReplyRates, min: MinBase) -> Vec<String> {
    let mut findings = Vec::new();
    let total = &rates.total;
    let mut sentence = format!(
        "The {} received {} from {}",
        rates.round.title,
        count(total.count, "reply", "replies"),
        count(total.base, "invitation", "invitations"),
    );
    if min.allows(total.base) {
        sentence.push_str(&format!(
            ": a reply rate of {} ({})",
            percent(total),
            interval(total)
        ));
    }
    if let Some(previous) = rates
        .previous
        .as_ref()
        .filter(|p| min.allows(total.base) && min.allows(p.rate.base))
    {
        let direction = match total.percent.cmp(&previous.rate.percent) {
            std::cmp::Ordering::Greater => "up from",
            std::cmp::Ordering::Less => "down from",
            std::cmp::Ordering::Equal => "the same as",
        };
        sentence.push_str(&format!(
            ", {direction} {} in the {}",
            percent(&previous.rate),
            previous.round.title
        ));
    }
    findings.push(format!("{sentence}."));
    if rates.subtotals.len() > 1 {
        let parts: Vec<String> = rates
            .subtotals
            .iter()
            .map(|s| {
                format!(
                    "{} workshops {}",
                    super::context::scope_words(s.scope),
                    share_in_words(&s.rate, min)
                )
            })
            .collect();
        findings.push(format!("Reply rates by scope: {}.", parts.join("; ")));
    }
    findings
}

/// The three options of a choice question chosen most often.
fn ranking(table: &ChoiceTable, min: MinBase) -> Option<String> {
    if !min.allows(table.total.base) {
        return None;
    }
    let mut ranked: Vec<(&str, &Share)> = table
        .options
        .iter()
        .zip(&table.total.options)
        .map(|(option, share)| (option.label.as_str(), share))
        .collect();
    ranked.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
    let listed: Vec<String> = ranked
        .iter()
        .take(3)
        .map(|(label, share)| format!("{} ({})", lower_first(label), percent(share)))
        .collect();
    (!listed.is_empty() && table.total.base > 0).then(|| {
        format!(
            "Asked \"{}\", the {} who answered most often chose: {}.",
            table.question.label,
            table.total.base,
            listed.join(", ")
        )
    })
}

/// The share of yes of a yes/no question.
fn yes_share(table: &YesNoTable, min: MinBase) -> Option<String> {
    let yes = &table.total.yes;
    if yes.base > 0 && !min.allows(yes.base) {
        return Some(format!(
            "\"{}\": {} of {} answered yes.",
            table.question.label, yes.count, yes.base
        ));
    }
    (yes.base > 0).then(|| {
        format!(
            "\"{}\": {} of {} answered yes ({}, {}).",
            table.question.label,
            yes.count,
            yes.base,
            percent(yes),
            interval(yes)
        )
    })
}

/// What a reply that took `action` did for the outcome, with the test's verdict.
fn association(tab: &CrossTab, action: &ActionTotal) -> String {
    let association = &action.association;
    let mut text = format!(
        "Of the {} that chose \"{}\", {} ({}) also answered yes to \"{}\" (Fisher's exact test {}",
        count(action.took, "reply", "replies"),
        action.label,
        action.with_outcome.count,
        percent(&action.with_outcome),
        tab.outcome.label,
        p_value(association.fisher_p)
    );
    if let Some(odds) = association.odds_ratio {
        text.push_str(&format!(", odds ratio {}", format_significant(odds)));
    }
    if association.small_cells {
        text.push_str("; small groups, read with care");
    }
    text.push_str(").");
    text
}

/// Each action against its outcome, how many with the outcome took any action, and last
/// the strongest association found.
fn associations(cross_tabs: &[&CrossTab], min: MinBase) -> Vec<String> {
    let mut findings = Vec::new();
    let mut strongest: Option<(f64, String)> = None;
    for tab in cross_tabs {
        for action in tab.actions.iter().filter(|a| min.allows(a.took)) {
            let p = action.association.fisher_p;
            if strongest.as_ref().is_none_or(|(best, _)| p < *best) && action.took > 0 {
                strongest = Some((
                    p,
                    format!(
                        "The strongest association found: \"{}\" with \"{}\" ({}).",
                        action.label,
                        tab.outcome.label,
                        p_value(p)
                    ),
                ));
            }
            findings.push(association(tab, action));
        }
        if tab.outcome_count > 0 && min.allows(tab.outcome_count) {
            let labels: Vec<String> = tab
                .actions
                .iter()
                .map(|a| format!("\"{}\"", a.label))
                .collect();
            findings.push(format!(
                "Of the {} that answered yes to \"{}\", {} ({}) had taken {}.",
                count(tab.outcome_count, "reply", "replies"),
                tab.outcome.label,
                tab.outcome_with_any_action.count,
                percent(&tab.outcome_with_any_action),
                labels.join(" or ")
            ));
        }
    }
    findings.extend(strongest.map(|(_, text)| text));
    findings
}

/// The three largest changes of a share since the previous round.
fn changes(trends: &Trends, min: MinBase) -> Option<String> {
    if trends.rounds.len() != 2 {
        return None;
    }
    let mut changes: Vec<(i64, String)> = Vec::new();
    for question in &trends.questions {
        let series = question
            .options
            .iter()
            .map(|o| (o.option.label.clone(), &o.per_round))
            .chain((!question.yes.is_empty()).then(|| (question.label.clone(), &question.yes)));
        for (label, shares) in series {
            if let (Some(Some(before)), Some(Some(after))) = (shares.first(), shares.get(1))
                && before.base > 0
                && after.base > 0
                && min.allows(before.base)
                && min.allows(after.base)
            {
                let delta = after.percent as i64 - before.percent as i64;
                if delta != 0 {
                    changes.push((
                        delta,
                        format!(
                            "\"{label}\" {} {} points ({}% to {}%)",
                            if delta > 0 { "rose" } else { "fell" },
                            delta.abs(),
                            before.percent,
                            after.percent
                        ),
                    ));
                }
            }
        }
    }
    changes.sort_by(|a, b| b.0.abs().cmp(&a.0.abs()).then(a.1.cmp(&b.1)));
    (!changes.is_empty()).then(|| {
        let listed: Vec<String> = changes.into_iter().take(3).map(|(_, text)| text).collect();
        format!(
            "Since the {}: {}.",
            trends.rounds[0].title,
            listed.join("; ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_keep_two_significant_digits() {
        assert_eq!(p_value(0.13308913308913306), "p = 0.13");
        assert_eq!(p_value(0.0027594561852200836), "p = 0.0028");
        assert_eq!(p_value(1.0), "p = 1.0");
        assert_eq!(p_value(0.00001), "p < 0.001");
    }
}
