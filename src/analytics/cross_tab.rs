//! Tables 4 and 7: actions set against an outcome, per workshop naming the
//! administrations that took each action and those that had the outcome, with the totals,
//! each action's 2x2 table, Fisher's exact test and the odds ratio.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::context::{QuestionRef, RoundContext, Selector, WorkshopRef, option_refs};
use super::member_counts::MemberCounts;
use super::round_data::RoundData;
use super::stats::{Association, Share, TwoByTwo};
use crate::base::error::ServiceError;
use crate::domain::InvalidInput;
use crate::domain::questionnaire::QuestionType;

/// An administration in a cross-tab cell.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    #[schema(example = "MY")]
    pub administration: String,
    /// In an action's list: also had the outcome (the report underlines these). In the
    /// outcome's list: took any of the actions (the report sets these in bold).
    pub marked: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CrossTabRow {
    pub workshop: WorkshopRef,
    /// Per action, in the order of `actions`: the administrations that took it.
    pub actions: Vec<Vec<Member>>,
    /// The administrations that had the outcome.
    pub outcome: Vec<Member>,
}

/// An action's totals against the outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionTotal {
    pub selector: String,
    pub label: String,
    /// Replies that took the action.
    pub took: u64,
    /// Of those, the replies that had the outcome.
    pub with_outcome: Share,
    /// The 2x2 table over replies that answered the outcome question.
    pub association: Association,
}

/// Tables 4 and 7: actions against an outcome, naming the administrations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CrossTab {
    pub outcome: QuestionRef,
    pub rows: Vec<CrossTabRow>,
    pub actions: Vec<ActionTotal>,
    /// Replies that had the outcome.
    pub outcome_count: u64,
    /// Of the replies with the outcome, those that took any of the actions.
    pub outcome_with_any_action: Share,
}

fn selector_label(context: &RoundContext, selector: &Selector) -> Result<String, ServiceError> {
    let field = "actions";
    match &selector.option {
        Some(option) => {
            let question = context.question(
                &selector.question,
                &[QuestionType::MultipleChoice, QuestionType::SingleChoice],
                field,
            )?;
            option_refs(question)
                .into_iter()
                .find(|o| &o.code == option)
                .map(|o| o.label)
                .ok_or_else(|| {
                    InvalidInput::field(
                        field,
                        format!("`{}` has no option `{option}`", selector.question),
                    )
                    .into()
                })
        }
        None => Ok(context
            .question(&selector.question, &[QuestionType::YesNo], field)?
            .label
            .clone()),
    }
}

/// Per workshop: the administrations that took each action (marked when they also had the
/// outcome) and those that had the outcome (marked when they took any action).
fn rows(context: &RoundContext, actions: usize, counts: &[MemberCounts]) -> Vec<CrossTabRow> {
    let mut by_workshop: HashMap<i32, Vec<&MemberCounts>> = HashMap::new();
    for member in counts {
        by_workshop
            .entry(member.workshop_id)
            .or_default()
            .push(member);
    }
    let member = |m: &MemberCounts, marked: bool| Member {
        administration: m.administration.clone(),
        marked,
    };
    context
        .workshops
        .iter()
        .map(|w| {
            let members = by_workshop.get(&w.id).cloned().unwrap_or_default();
            CrossTabRow {
                workshop: w.into(),
                actions: (0..actions)
                    .map(|k| {
                        members
                            .iter()
                            .filter(|m| m.took[k] > 0)
                            .map(|m| member(m, m.took_yes[k] > 0))
                            .collect()
                    })
                    .collect(),
                outcome: members
                    .iter()
                    .filter(|m| m.outcome_yes > 0)
                    .map(|m| member(m, m.any_yes > 0))
                    .collect(),
            }
        })
        .collect()
}

/// Tables 4 and 7 for `actions` (1 to 10) against the yes/no question `outcome`.
pub fn cross_tab(
    context: &RoundContext,
    data: &RoundData,
    actions: &[Selector],
    outcome: &str,
) -> Result<CrossTab, ServiceError> {
    if actions.is_empty() || actions.len() > 10 {
        return Err(InvalidInput::field("actions", "give between 1 and 10 actions").into());
    }
    let labels = actions
        .iter()
        .map(|a| selector_label(context, a))
        .collect::<Result<Vec<_>, _>>()?;
    let question = context.question(outcome, &[QuestionType::YesNo], "outcome")?;
    let counts = data.member_counts(actions, outcome);
    let rows = rows(context, actions.len(), &counts);
    let total = |f: &dyn Fn(&MemberCounts) -> u64| counts.iter().map(f).sum::<u64>();
    let answered = total(&|m| m.outcome_answered);
    let outcome_count = total(&|m| m.outcome_yes);
    let action_totals = actions
        .iter()
        .zip(labels)
        .enumerate()
        .map(|(k, (selector, label))| {
            let took = total(&|m| m.took[k]);
            let a = total(&|m| m.took_yes[k]);
            let b = total(&|m| m.took_answered[k]) - a;
            let c = outcome_count - a;
            let d = answered - a - b - c;
            ActionTotal {
                selector: selector.text(),
                label,
                took,
                with_outcome: Share::new(a, took),
                association: TwoByTwo { a, b, c, d }.associate(),
            }
        })
        .collect();
    Ok(CrossTab {
        outcome: question.into(),
        rows,
        actions: action_totals,
        outcome_count,
        outcome_with_any_action: Share::new(total(&|m| m.any_yes), outcome_count),
    })
}
