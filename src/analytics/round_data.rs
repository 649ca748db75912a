//! Everything the tables of one round count, read in two queries: the invitations per
//! workshop, and each reply with its administration, answers and choices (a row per
//! reply, its answers and choices aggregated into two short texts by the database: about
//! 1,400 rows for a round of 2,000 invitations, where a row per answer and option would be
//! 10,000). Every table, cross-tab, interval and finding is then computed here, in memory,
//! so a report costs two reads of the round asked for, whatever else the database holds.
//! Question and option codes (lower-case letters, digits and `_`) are kept once per round
//! and referred to by position.
//!
//! Both reads filter every table on the round: invitations and replies through
//! `idx_invitations_round_workshop` and `idx_replies_round_workshop` (migration 2), answers
//! and choices through `idx_answers_round_reply` and `idx_answer_choices_round_reply`
//! (migration 12, whose comment shows the plan: index-only scans in reply order, no sort),
//! so the cost follows the round asked for, whatever else the database holds.
//!
//! The SQL aggregates of `queries` and `member_counts` stay as the reference these counts
//! are tested against (`tests/api/analytics_one_pass.rs`).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

use super::member_counts::MemberCounts;
use super::queries::{self, Answered};
use super::selector::Selector;

/// One reply as the tables count it; questions, options and administrations are positions
/// in its [`RoundData`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyFacts {
    pub workshop_id: i32,
    administration: u16,
    /// Each question answered, with its yes/no value when it has one.
    answers: Vec<(u16, Option<bool>)>,
    /// Each option chosen.
    choices: Vec<u16>,
}

impl ReplyFacts {
    fn answer(&self, question: u16) -> Option<Option<bool>> {
        self.answers
            .iter()
            .find(|(q, _)| *q == question)
            .map(|(_, value)| *value)
    }
}

/// What an action of a cross-tab is, in a round's positions.
#[derive(Debug, Clone, Copy)]
enum Action {
    /// Chose this option.
    Chose(u16),
    /// Answered this question yes.
    Yes(u16),
    /// Nothing any reply did.
    Never,
}

impl Action {
    fn taken_by(self, reply: &ReplyFacts) -> bool {
        match self {
            Self::Chose(option) => reply.choices.contains(&option),
            Self::Yes(question) => reply.answer(question) == Some(Some(true)),
            Self::Never => false,
        }
    }
}

/// Replies choosing each option over a round, by question and option code.
pub type ChosenTotals<'a> = HashMap<(&'a str, &'a str), u64>;

/// The counted facts of one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundData {
    /// Invitations per workshop.
    pub invited: HashMap<i32, u64>,
    /// What became of them, per workshop (Table 1).
    pub dispositions: HashMap<i32, super::dispositions::Dispositions>,
    pub replies: Vec<ReplyFacts>,
    administrations: Vec<String>,
    questions: Vec<String>,
    /// Options by their question's position and code.
    options: Vec<(u16, String)>,
}

/// The read of a round's replies on `backend`: a row per reply with its administration's
/// code, its answers as `question=1|0|` and its choices as `question:option`, each list
/// joined with `,`.
fn facts_sql(backend: DatabaseBackend) -> String {
    let (join, parameter) = match backend {
        DatabaseBackend::Postgres => ("string_agg", "$1"),
        _ => ("group_concat", "?"),
    };
    format!(
        "WITH a AS (SELECT reply_id, {join}(question_code || '=' || \
             CASE WHEN yes_no THEN '1' WHEN NOT yes_no THEN '0' ELSE '' END, ',') AS answers \
           FROM answers WHERE round_id = {parameter} GROUP BY reply_id), \
         c AS (SELECT reply_id, {join}(question_code || ':' || option_code, ',') AS choices \
           FROM answer_choices WHERE round_id = {parameter} GROUP BY reply_id) \
         SELECT r.workshop_id, ad.code, a.answers, c.choices FROM replies r \
           JOIN administrations ad ON ad.id = r.administration_id \
           LEFT JOIN a ON a.reply_id = r.id LEFT JOIN c ON c.reply_id = r.id \
         WHERE r.round_id = {parameter} ORDER BY r.id"
    )
}

impl RoundData {
    /// Reads the round's invitations per workshop and its replies with their answers.
    pub async fn load(db: &impl ConnectionTrait, round_id: i32) -> Result<Self, DbErr> {
        let backend = db.get_database_backend();
        let values: Vec<sea_orm::Value> = match backend {
            DatabaseBackend::Postgres => vec![round_id.into()],
            _ => vec![round_id.into(); 3],
        };
        let statement = Statement::from_sql_and_values(backend, facts_sql(backend), values);
        let (invited, dispositions, rows) = tokio::try_join!(
            queries::invited_per_workshop(db, round_id),
            super::dispositions::per_workshop(db, round_id),
            db.query_all_raw(statement)
        )?;
        let mut data = Self {
            invited,
            dispositions,
            ..Self::default()
        };
        data.replies.reserve(rows.len());
        for row in rows {
            let workshop_id: i32 = row.try_get_by_index(0)?;
            let code: String = row.try_get_by_index(1)?;
            let answers: Option<String> = row.try_get_by_index(2)?;
            let choices: Option<String> = row.try_get_by_index(3)?;
            let reply = data.facts(workshop_id, &code, answers.as_deref(), choices.as_deref());
            data.replies.push(reply);
        }
        Ok(data)
    }

    /// One reply's facts from its row, its codes kept once.
    fn facts(
        &mut self,
        workshop_id: i32,
        code: &str,
        answers: Option<&str>,
        choices: Option<&str>,
    ) -> ReplyFacts {
        let administration = position(&mut self.administrations, code);
        let mut facts = ReplyFacts {
            workshop_id,
            administration,
            ..ReplyFacts::default()
        };
        for answer in answers
            .unwrap_or_default()
            .split(',')
            .filter(|a| !a.is_empty())
        {
            let (question, value) = answer.split_once('=').unwrap_or((answer, ""));
            let value = match value {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            };
            facts
                .answers
                .push((position(&mut self.questions, question), value));
        }
        for choice in choices
            .unwrap_or_default()
            .split(',')
            .filter(|c| !c.is_empty())
        {
            let (question, option) = choice.split_once(':').unwrap_or((choice, ""));
            let question = position(&mut self.questions, question);
            let option = self.option(question, option).unwrap_or_else(|| {
                self.options.push((question, option.to_owned()));
                (self.options.len() - 1) as u16
            });
            facts.choices.push(option);
        }
        facts
    }

    fn question(&self, code: &str) -> Option<u16> {
        self.questions
            .iter()
            .position(|q| q == code)
            .map(|p| p as u16)
    }

    /// The position of `option` of the question at `question`.
    fn option(&self, question: u16, option: &str) -> Option<u16> {
        self.options
            .iter()
            .position(|(q, o)| *q == question && o == option)
            .map(|p| p as u16)
    }

    fn action(&self, selector: &Selector) -> Action {
        let Some(question) = self.question(&selector.question) else {
            return Action::Never;
        };
        match &selector.option {
            Some(option) => self
                .option(question, option)
                .map_or(Action::Never, Action::Chose),
            None => Action::Yes(question),
        }
    }

    /// Replies per workshop.
    pub fn replied_per_workshop(&self) -> HashMap<i32, u64> {
        let mut replied = HashMap::new();
        for reply in &self.replies {
            *replied.entry(reply.workshop_id).or_default() += 1;
        }
        replied
    }

    /// Over the whole round, in one pass: per question code, the replies that answered it
    /// and that answered yes; per question and option code, the replies choosing it.
    pub fn totals(&self) -> (HashMap<&str, Answered>, ChosenTotals<'_>) {
        let mut answered = vec![Answered::default(); self.questions.len()];
        let mut chosen = vec![0_u64; self.options.len()];
        for reply in &self.replies {
            for (question, value) in &reply.answers {
                let counts = &mut answered[usize::from(*question)];
                counts.answered += 1;
                counts.yes += u64::from(*value == Some(true));
            }
            for option in &reply.choices {
                chosen[usize::from(*option)] += 1;
            }
        }
        let answered = self
            .questions
            .iter()
            .map(String::as_str)
            .zip(answered)
            .collect();
        let chosen = self
            .options
            .iter()
            .map(|(q, o)| (self.questions[usize::from(*q)].as_str(), o.as_str()))
            .zip(chosen)
            .collect();
        (answered, chosen)
    }

    /// Replies choosing each option of `question`, per workshop.
    pub fn option_counts(&self, question: &str) -> HashMap<(i32, String), u64> {
        let Some(asked) = self.question(question) else {
            return HashMap::new();
        };
        let mut counts: HashMap<(i32, u16), u64> = HashMap::new();
        for reply in &self.replies {
            for option in &reply.choices {
                if self.options[usize::from(*option)].0 == asked {
                    *counts.entry((reply.workshop_id, *option)).or_default() += 1;
                }
            }
        }
        counts
            .into_iter()
            .map(|((workshop, option), n)| {
                ((workshop, self.options[usize::from(option)].1.clone()), n)
            })
            .collect()
    }

    /// Per workshop: replies that answered `question`, and that answered it yes.
    pub fn answered(&self, question: &str) -> HashMap<i32, Answered> {
        let mut answered: HashMap<i32, Answered> = HashMap::new();
        let Some(question) = self.question(question) else {
            return answered;
        };
        for reply in &self.replies {
            if let Some(value) = reply.answer(question) {
                let counts = answered.entry(reply.workshop_id).or_default();
                counts.answered += 1;
                counts.yes += u64::from(value == Some(true));
            }
        }
        answered
    }

    /// Per workshop and administration (by code), the cells of a cross-tabulation of
    /// `actions` against the yes/no question `outcome`.
    pub fn member_counts(&self, actions: &[Selector], outcome: &str) -> Vec<MemberCounts> {
        let taken: Vec<Action> = actions.iter().map(|a| self.action(a)).collect();
        let outcome = self.question(outcome);
        let mut groups: HashMap<(u16, i32), MemberCounts> = HashMap::new();
        for reply in &self.replies {
            let key = (reply.administration, reply.workshop_id);
            let counts = groups.entry(key).or_insert_with(|| MemberCounts {
                workshop_id: reply.workshop_id,
                administration: self.administrations[usize::from(reply.administration)].clone(),
                took: vec![0; actions.len()],
                took_answered: vec![0; actions.len()],
                took_yes: vec![0; actions.len()],
                ..MemberCounts::default()
            });
            let value = outcome.and_then(|q| reply.answer(q)).flatten();
            let (answered, yes) = (value.is_some(), value == Some(true));
            counts.outcome_answered += u64::from(answered);
            counts.outcome_yes += u64::from(yes);
            let mut any = false;
            for (k, action) in taken.iter().enumerate() {
                if action.taken_by(reply) {
                    any = true;
                    counts.took[k] += 1;
                    counts.took_answered[k] += u64::from(answered);
                    counts.took_yes[k] += u64::from(yes);
                }
            }
            counts.any_yes += u64::from(any && yes);
        }
        let mut groups: Vec<MemberCounts> = groups.into_values().collect();
        groups.sort_by(|a, b| {
            (a.administration.as_str(), a.workshop_id)
                .cmp(&(b.administration.as_str(), b.workshop_id))
        });
        groups
    }
}

/// The position of `code` in `codes`, added when new.
fn position(codes: &mut Vec<String>, code: &str) -> u16 {
    let at = codes.iter().position(|c| c == code).unwrap_or_else(|| {
        codes.push(code.to_owned());
        codes.len() - 1
    });
    at as u16
}
