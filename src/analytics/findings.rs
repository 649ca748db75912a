//! Findings written from the figures, so that the text and the numbers always agree.

use super::cross_tab::{ActionTotal, CrossTab};
use super::stats::Proportion;
use super::tables::{ChoiceTable, ReplyRates, YesNoTable};
use super::trends::Trends;

fn percent(p: &Proportion) -> String {
    format!("{}%", p.percent)
}

fn interval(p: &Proportion) -> String {
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

/// The findings of a round; `comparison` holds the previous round and this one, oldest
/// first, when there is a previous round.
pub fn write(
    rates: &ReplyRates,
    choices: &[&ChoiceTable],
    yes_no: &[&YesNoTable],
    cross_tabs: &[&CrossTab],
    comparison: Option<&Trends>,
) -> Vec<String> {
    let mut findings = reply_rates(rates);
    findings.extend(choices.iter().filter_map(|t| ranking(t)));
    findings.extend(yes_no.iter().filter_map(|t| yes_share(t)));
    findings.extend(associations(cross_tabs));
    findings.extend(comparison.and_then(changes));
    findings
}

/// The reply rate, beside the previous round's, and by scope when there are several.
fn reply_rates(rates: &ReplyRates) -> Vec<String> {
    let mut findings = Vec::new();
    let total = &rates.total;
    let mut sentence = format!(
        "The {} received {} replies from {} invitations: a reply rate of {} ({})",
        rates.round.title,
        total.count,
        total.base,
        percent(total),
        interval(total)
    );
    if let Some(previous) = &rates.previous {
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
                    "{} workshops {} ({} of {})",
                    super::context::scope_words(s.scope),
                    percent(&s.rate),
                    s.rate.count,
                    s.rate.base
                )
            })
            .collect();
        findings.push(format!("Reply rates by scope: {}.", parts.join("; ")));
    }
    findings
}

/// The three options of a choice question chosen most often.
fn ranking(table: &ChoiceTable) -> Option<String> {
    let mut ranked: Vec<(&str, &Proportion)> = table
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
    (!listed.is_empty() && table.total.answered > 0).then(|| {
        format!(
            "Asked \"{}\", the {} who answered most often chose: {}.",
            table.question.label,
            table.total.answered,
            listed.join(", ")
        )
    })
}

/// The share of yes of a yes/no question.
fn yes_share(table: &YesNoTable) -> Option<String> {
    let yes = &table.total.yes;
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
        "Of the {} replies that chose \"{}\", {} ({}) also answered yes to \"{}\" (Fisher's exact test {}",
        action.took,
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
fn associations(cross_tabs: &[&CrossTab]) -> Vec<String> {
    let mut findings = Vec::new();
    let mut strongest: Option<(f64, String)> = None;
    for tab in cross_tabs {
        for action in &tab.actions {
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
        if tab.outcome_count > 0 {
            let labels: Vec<String> = tab
                .actions
                .iter()
                .map(|a| format!("\"{}\"", a.label))
                .collect();
            findings.push(format!(
                "Of the {} replies that answered yes to \"{}\", {} ({}) had taken {}.",
                tab.outcome_count,
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
fn changes(trends: &Trends) -> Option<String> {
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
