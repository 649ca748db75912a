//! Everything the tables of one round count, read in two queries: the invitations per
//! workshop, and each reply with its administration, answers and choices (a row per
//! reply, question and option; a few thousand rows for a large round). Every table,
//! cross-tab, interval and finding is then computed here, in memory, so a report costs two
//! reads of the round asked for, whatever else the database holds.
//!
//! Both reads filter every table on the round: invitations and replies through
//! `idx_invitations_round_workshop` and `idx_replies_round_workshop` (migration 2), answers
//! and choices through `idx_answers_round_question` and `idx_answer_choices_round_question`
//! (migration 4, which gave them their `round_id`), joined by hash on the reply. Without the
//! round on answers and choices PostgreSQL scans both tables whole (28 ms for a round of
//! 2,000 invitations among 20,000; 10 ms with it): the cost follows the round asked for.
//! The SQL aggregates of `queries` and `member_counts` stay as the reference these counts
//! are tested against (`tests/api/analytics_one_pass.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};

use entity::{administration, answer, answer_choice, reply};
use sea_orm::sea_query::{Expr, ExprTrait, JoinType, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::member_counts::MemberCounts;
use super::queries::{self, Answered};
use super::selector::Selector;

/// One reply as the tables count it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyFacts {
    pub workshop_id: i32,
    /// The administration's code.
    pub administration: String,
    /// Each question answered, with its yes/no value when it has one.
    pub answers: HashMap<String, Option<bool>>,
    /// Each option chosen, by question.
    pub choices: HashSet<(String, String)>,
}

impl ReplyFacts {
    /// Whether the reply took `action`: chose its option, or answered its question yes.
    fn took(&self, action: &Selector) -> bool {
        match &action.option {
            Some(option) => self
                .choices
                .contains(&(action.question.clone(), option.clone())),
            None => self.answers.get(&action.question) == Some(&Some(true)),
        }
    }
}

/// The counted facts of one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundData {
    /// Invitations per workshop.
    pub invited: HashMap<i32, u64>,
    pub replies: Vec<ReplyFacts>,
}

#[derive(Debug, FromQueryResult)]
struct FactRow {
    id: i32,
    workshop_id: i32,
    code: String,
    question_code: Option<String>,
    yes_no: Option<bool>,
    option_code: Option<String>,
}

impl RoundData {
    /// Reads the round's invitations per workshop and its replies with their answers.
    pub async fn load(db: &impl ConnectionTrait, round_id: i32) -> Result<Self, DbErr> {
        let invited = queries::invited_per_workshop(db, round_id).await?;
        let query = Query::select()
            .column((reply::Entity, reply::Column::Id))
            .column((reply::Entity, reply::Column::WorkshopId))
            .column((administration::Entity, administration::Column::Code))
            .column((answer::Entity, answer::Column::QuestionCode))
            .column((answer::Entity, answer::Column::YesNo))
            .column((answer_choice::Entity, answer_choice::Column::OptionCode))
            .from(reply::Entity)
            .inner_join(
                administration::Entity,
                Expr::col((administration::Entity, administration::Column::Id))
                    .equals((reply::Entity, reply::Column::AdministrationId)),
            )
            .join(
                JoinType::LeftJoin,
                answer::Entity,
                Expr::col((answer::Entity, answer::Column::ReplyId))
                    .equals((reply::Entity, reply::Column::Id))
                    .and(Expr::col((answer::Entity, answer::Column::RoundId)).eq(round_id)),
            )
            .join(
                JoinType::LeftJoin,
                answer_choice::Entity,
                Expr::col((answer_choice::Entity, answer_choice::Column::ReplyId))
                    .equals((answer::Entity, answer::Column::ReplyId))
                    .and(
                        Expr::col((answer_choice::Entity, answer_choice::Column::QuestionCode))
                            .equals((answer::Entity, answer::Column::QuestionCode)),
                    )
                    .and(
                        Expr::col((answer_choice::Entity, answer_choice::Column::RoundId))
                            .eq(round_id),
                    ),
            )
            .and_where(Expr::col((reply::Entity, reply::Column::RoundId)).eq(round_id))
            .to_owned();
        let statement = db.get_database_backend().build(&query);
        let rows = FactRow::find_by_statement(statement).all(db).await?;
        let mut replies: BTreeMap<i32, ReplyFacts> = BTreeMap::new();
        for row in rows {
            let facts = replies.entry(row.id).or_insert_with(|| ReplyFacts {
                workshop_id: row.workshop_id,
                administration: row.code.clone(),
                ..ReplyFacts::default()
            });
            if let Some(question) = row.question_code {
                facts.answers.insert(question.clone(), row.yes_no);
                if let Some(option) = row.option_code {
                    facts.choices.insert((question, option));
                }
            }
        }
        Ok(Self {
            invited,
            replies: replies.into_values().collect(),
        })
    }

    /// Replies per workshop.
    pub fn replied_per_workshop(&self) -> HashMap<i32, u64> {
        let mut replied = HashMap::new();
        for reply in &self.replies {
            *replied.entry(reply.workshop_id).or_default() += 1;
        }
        replied
    }

    /// Replies choosing each option of `question`, per workshop.
    pub fn option_counts(&self, question: &str) -> HashMap<(i32, String), u64> {
        let mut counts = HashMap::new();
        for reply in &self.replies {
            for (asked, option) in &reply.choices {
                if asked == question {
                    *counts
                        .entry((reply.workshop_id, option.clone()))
                        .or_default() += 1;
                }
            }
        }
        counts
    }

    /// Per workshop: replies that answered `question`, and that answered it yes.
    pub fn answered(&self, question: &str) -> HashMap<i32, Answered> {
        let mut answered: HashMap<i32, Answered> = HashMap::new();
        for reply in &self.replies {
            if let Some(value) = reply.answers.get(question) {
                let counts = answered.entry(reply.workshop_id).or_default();
                counts.answered += 1;
                counts.yes += u64::from(*value == Some(true));
            }
        }
        answered
    }

    /// Per workshop and administration (by code), the cells of a cross-tabulation of
    /// `actions` against the yes/no question `outcome`.
    pub fn member_counts(&self, actions: &[Selector], outcome: &str) -> Vec<MemberCounts> {
        let mut groups: BTreeMap<(String, i32), MemberCounts> = BTreeMap::new();
        for reply in &self.replies {
            let key = (reply.administration.clone(), reply.workshop_id);
            let counts = groups.entry(key).or_insert_with(|| MemberCounts {
                workshop_id: reply.workshop_id,
                administration: reply.administration.clone(),
                took: vec![0; actions.len()],
                took_answered: vec![0; actions.len()],
                took_yes: vec![0; actions.len()],
                ..MemberCounts::default()
            });
            let value = reply.answers.get(outcome).copied().flatten();
            let (answered, yes) = (value.is_some(), value == Some(true));
            counts.outcome_answered += u64::from(answered);
            counts.outcome_yes += u64::from(yes);
            let mut any = false;
            for (k, action) in actions.iter().enumerate() {
                if reply.took(action) {
                    any = true;
                    counts.took[k] += 1;
                    counts.took_answered[k] += u64::from(answered);
                    counts.took_yes[k] += u64::from(yes);
                }
            }
            counts.any_yes += u64::from(any && yes);
        }
        groups.into_values().collect()
    }
}
