//! The Good Practice Report of a round: every table, the findings and the approved good
//! practices. Tables are numbered as the report numbers them: reply rates, then each choice
//! question, then each yes/no question followed by its cross-tabulation. How the report is
//! printed (HTML, SVG, CSV) is `super::render`.

use entity::good_practice::{self, Category};
use entity::round::RoundState;
use entity::{administration, workshop};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, FromQueryResult, Order};
use serde::Serialize;
use utoipa::ToSchema;

use super::context::{AskedRound, RoundContext, RoundRef, Selector};
use super::cross_tab::{self, CrossTab};
use super::findings::{self, MinBase};
use super::round_data::RoundData;
use super::tables::{self, ChoiceTable, PreviousRate, ReplyRates, YesNoTable};
use super::trends;
use crate::base::error::ServiceError;
use crate::domain::questionnaire::QuestionType;

/// The cross-tabulations of the ROCB report: the actions set against each outcome. They
/// appear when the round's questionnaire asks these codes.
pub const CROSS_TABS: &[(&str, &[&str])] = &[
    (
        "direct_effects",
        &[
            "follow_up_actions:share_materials",
            "follow_up_actions:organize_inhouse_workshop",
        ],
    ),
    (
        "new_projects",
        &[
            "follow_up_actions:submit_report",
            "follow_up_actions:make_recommendations",
        ],
    ),
];

/// What a report table holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum TableContent {
    ReplyRates(ReplyRates),
    Choices(ChoiceTable),
    YesNo(YesNoTable),
    CrossTab(CrossTab),
}

/// A numbered table of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportTable {
    pub number: u32,
    pub title: String,
    pub content: TableContent,
}

/// A good practice approved for the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportPractice {
    pub category: Category,
    /// The category as the printed report heads it ("Operational improvement").
    #[schema(example = "Operational improvement")]
    pub category_label: String,
    pub text: String,
    pub administration: String,
    pub administration_name: String,
    pub workshop: String,
}

/// The Good Practice Report of a round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub round: RoundRef,
    pub state: RoundState,
    /// A closed round's report is final.
    #[serde(rename = "final")]
    pub is_final: bool,
    pub tables: Vec<ReportTable>,
    pub findings: Vec<String>,
    pub good_practices: Vec<ReportPractice>,
    /// Replies by the contact that preceded them, and by day; only when any reply has its
    /// contact recorded (never for imported history, so published reports stay as they
    /// were printed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what_worked: Option<super::what_worked::WhatWorked>,
}

/// What the report computes from counts: its tables and the findings written from them.
#[derive(Debug, Clone)]
pub struct Figures {
    pub tables: Vec<ReportTable>,
    pub findings: Vec<String>,
}

/// The tables and findings of a round, computed from the counted facts of the round and of
/// the one it is compared with (`previous`, when there is one); findings give shares of a
/// base under `min` as counts.
pub async fn figures(
    db: &impl ConnectionTrait,
    (context, previous): (&RoundContext, Option<&AskedRound>),
    min: MinBase,
) -> Result<Figures, ServiceError> {
    // The round and the one it is compared with, read together.
    let (data, previous_data) = tokio::try_join!(RoundData::load(db, context.round.id), async {
        match previous {
            Some(previous) => RoundData::load(db, previous.round.id).await.map(Some),
            None => Ok(None),
        }
    })?;
    let previous_data = previous_data.as_ref();
    let rates = tables::reply_rates(
        context,
        &data,
        previous
            .zip(previous_data)
            .map(|(p, d)| PreviousRate::of(&p.round, d)),
    );
    let mut tables = vec![ReportTable {
        number: 1,
        title: format!("Numbers of replies to the {}", context.round.title),
        content: TableContent::ReplyRates(rates),
    }];
    for question in context
        .questions
        .iter()
        .filter(|q| q.question_type.has_options())
    {
        let table = tables::choices(context, &data, &question.code)?;
        tables.push(ReportTable {
            number: tables.len() as u32 + 1,
            title: question.label.clone(),
            content: TableContent::Choices(table),
        });
    }
    for question in context
        .questions
        .iter()
        .filter(|q| q.question_type == QuestionType::YesNo)
    {
        let table = tables::yes_no(context, &data, &question.code)?;
        tables.push(ReportTable {
            number: tables.len() as u32 + 1,
            title: question.label.clone(),
            content: TableContent::YesNo(table),
        });
        for (outcome, actions) in CROSS_TABS.iter().filter(|(o, _)| *o == question.code) {
            let selectors: Vec<Selector> = actions.iter().map(|a| Selector::parse(a)).collect();
            let tab = match cross_tab::cross_tab(context, &data, &selectors, outcome) {
                Ok(tab) => tab,
                // The questionnaire does not ask these actions: no such table. Any other
                // failure must fail the report, never shorten it.
                Err(ServiceError::Invalid(_)) => continue,
                Err(error) => return Err(error),
            };
            tables.push(ReportTable {
                number: tables.len() as u32 + 1,
                title: format!(
                    "Correlation between \"{}\" and specific follow-up actions taken",
                    question.label
                ),
                content: TableContent::CrossTab(tab),
            });
        }
    }
    let comparison = previous
        .zip(previous_data)
        .map(|(p, d)| trends::from_data(&[p.clone(), context.into()], &[d, &data]));
    let findings = write_findings(&tables, comparison.as_ref(), min);
    Ok(Figures { tables, findings })
}

/// The findings of `tables`, in the report's order.
fn write_findings(
    tables: &[ReportTable],
    comparison: Option<&trends::Trends>,
    min: MinBase,
) -> Vec<String> {
    let (mut rates, mut choices, mut yes_no, mut cross_tabs) = (None, vec![], vec![], vec![]);
    for table in tables {
        match &table.content {
            TableContent::ReplyRates(t) => rates = Some(t),
            TableContent::Choices(t) => choices.push(t),
            TableContent::YesNo(t) => yes_no.push(t),
            TableContent::CrossTab(t) => cross_tabs.push(t),
        }
    }
    rates.map_or_else(Vec::new, |rates| {
        let figures = findings::Figures {
            rates,
            choices: &choices,
            yes_no: &yes_no,
            cross_tabs: &cross_tabs,
            comparison,
        };
        findings::write(figures, min)
    })
}

/// What a good practice was approved for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    ForReport,
    ForFeedback,
}

/// The good practices with `approval`, by category.
pub async fn approved_practices(
    db: &impl ConnectionTrait,
    round_id: i32,
    approval: Approval,
) -> Result<Vec<ReportPractice>, ServiceError> {
    let approved = match approval {
        Approval::ForReport => good_practice::Column::ApprovedForReport,
        Approval::ForFeedback => good_practice::Column::ApprovedForFeedback,
    };
    #[derive(FromQueryResult)]
    struct Row {
        category: Category,
        text: String,
        code: String,
        name: String,
        title: String,
    }
    let query = Query::select()
        .column((good_practice::Entity, good_practice::Column::Category))
        .column((good_practice::Entity, good_practice::Column::Text))
        .column((administration::Entity, administration::Column::Code))
        .column((administration::Entity, administration::Column::Name))
        .column((workshop::Entity, workshop::Column::Title))
        .from(good_practice::Entity)
        .inner_join(
            administration::Entity,
            Expr::col((administration::Entity, administration::Column::Id)).equals((
                good_practice::Entity,
                good_practice::Column::AdministrationId,
            )),
        )
        .inner_join(
            workshop::Entity,
            Expr::col((workshop::Entity, workshop::Column::Id))
                .equals((good_practice::Entity, good_practice::Column::WorkshopId)),
        )
        .and_where(Expr::col((good_practice::Entity, good_practice::Column::RoundId)).eq(round_id))
        .and_where(Expr::col((good_practice::Entity, approved)).eq(true))
        .order_by(
            (good_practice::Entity, good_practice::Column::Category),
            Order::Asc,
        )
        .order_by(
            (good_practice::Entity, good_practice::Column::Id),
            Order::Asc,
        )
        .to_owned();
    let statement = db.get_database_backend().build(&query);
    Ok(Row::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .map(|row| ReportPractice {
            category: row.category,
            category_label: row.category.label().to_owned(),
            text: row.text,
            administration: row.code,
            administration_name: row.name,
            workshop: row.title,
        })
        .collect::<Vec<_>>())
    .map(|mut practices| {
        // In the printed report's order of categories; within one, as staff added them.
        practices.sort_by_key(|p| p.category.position());
        practices
    })
}

/// The report of `context`'s round from its figures and its approved good practices.
pub fn assemble(
    context: &RoundContext,
    figures: Figures,
    practices: Vec<ReportPractice>,
    what_worked: super::what_worked::WhatWorked,
) -> Report {
    let Figures { tables, findings } = figures;
    Report {
        round: (&context.round).into(),
        state: context.round.state,
        is_final: context.round.state == RoundState::Closed,
        tables,
        findings,
        good_practices: practices,
        what_worked: what_worked.recorded().then_some(what_worked),
    }
}

/// What the feedback mailing quotes: the reply rates and the first findings.
#[derive(Debug, Clone)]
pub struct Headline {
    pub rates: ReplyRates,
    pub findings: Vec<String>,
}

impl Figures {
    /// The headline of these figures: Table 1 and the first `findings` after those of the
    /// reply rates (which the mail states in its own words).
    pub fn headline(&self, findings: usize, min: MinBase) -> Option<Headline> {
        match self.tables.first().map(|t| &t.content) {
            Some(TableContent::ReplyRates(rates)) => Some(Headline {
                rates: rates.clone(),
                findings: self
                    .findings
                    .iter()
                    .skip(findings::of_reply_rates(rates, min).len())
                    .take(findings)
                    .cloned()
                    .collect(),
            }),
            _ => None,
        }
    }
}
