//! The Good Practice Report of a round: every table, the findings and the approved good
//! practices; as JSON, as a printable HTML page with SVG bar charts, and table by table as
//! CSV. Tables are numbered as the report numbers them: reply rates, then each choice
//! question, then each yes/no question followed by its cross-tabulation.

use std::collections::BTreeMap;
use std::sync::Arc;

use entity::good_practice::{self, Category};
use entity::round::{self, RoundState};
use entity::{administration, workshop};
use minijinja::value::Serde;
use minijinja::{Environment, Value};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, FromQueryResult, Order};
use serde::Serialize;
use utoipa::ToSchema;

use super::cache::AnalyticsCache;
use super::stats::Proportion;
use super::svg::{Bar, bar_chart};
use super::{
    ChoiceTable, CrossTab, ReplyRates, RoundContext, RoundRef, Selector, YesNoTable, findings,
    trends,
};
use crate::domain::questionnaire::QuestionType;
use crate::domain::spreadsheet;
use crate::services::{ServiceError, rounds};

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
}

/// What the report computes from counts: its tables and the findings written from them.
#[derive(Debug, Clone)]
pub struct Figures {
    pub tables: Vec<ReportTable>,
    pub findings: Vec<String>,
}

/// The report of a round, computed afresh.
pub async fn build(db: &impl ConnectionTrait, round_id: i32) -> Result<Report, ServiceError> {
    build_with(db, &AnalyticsCache::off(), round_id).await
}

/// The report of a round, its figures from `cache` when the round is closed and they were
/// computed before from the same data.
pub async fn build_with(
    db: &impl ConnectionTrait,
    cache: &AnalyticsCache,
    round_id: i32,
) -> Result<Report, ServiceError> {
    let context = RoundContext::load(db, round_id).await?;
    let previous = rounds::previous(db, &context.round).await?;
    let key = cache.report_key(db, &context, previous.as_ref()).await?;
    let figures = match key.as_ref().and_then(|k| cache.report(round_id, k)) {
        Some(figures) => figures,
        None => {
            let figures = Arc::new(figures(db, &context, previous).await?);
            if let Some(key) = key {
                cache.keep_report(round_id, key, figures.clone());
            }
            figures
        }
    };
    Ok(Report {
        round: (&context.round).into(),
        state: context.round.state,
        is_final: context.round.state == RoundState::Closed,
        tables: figures.tables.clone(),
        findings: figures.findings.clone(),
        good_practices: approved_practices(db, round_id).await?,
    })
}

async fn figures(
    db: &impl ConnectionTrait,
    context: &RoundContext,
    previous: Option<round::Model>,
) -> Result<Figures, ServiceError> {
    let rates = super::reply_rates(db, context, previous.as_ref()).await?;
    let mut tables = vec![ReportTable {
        number: 1,
        title: format!("Numbers of replies to the {}", context.round.title),
        content: TableContent::ReplyRates(rates.clone()),
    }];
    let mut choice_tables = Vec::new();
    let mut yes_no_tables = Vec::new();
    let mut cross_tabs = Vec::new();
    for question in context
        .questions
        .iter()
        .filter(|q| q.question_type.has_options())
    {
        let table = super::choices(db, context, &question.code).await?;
        choice_tables.push(table.clone());
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
        let table = super::yes_no(db, context, &question.code).await?;
        yes_no_tables.push(table.clone());
        tables.push(ReportTable {
            number: tables.len() as u32 + 1,
            title: question.label.clone(),
            content: TableContent::YesNo(table),
        });
        for (outcome, actions) in CROSS_TABS.iter().filter(|(o, _)| *o == question.code) {
            let selectors: Vec<Selector> = actions.iter().map(|a| Selector::parse(a)).collect();
            let tab = match super::cross_tab(db, context, &selectors, outcome).await {
                Ok(tab) => tab,
                // The questionnaire does not ask these actions: no such table. Any other
                // failure must fail the report, never shorten it (closed rounds' reports
                // are cached).
                Err(ServiceError::Invalid(_)) => continue,
                Err(error) => return Err(error),
            };
            cross_tabs.push(tab.clone());
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
    let comparison = match previous {
        Some(previous) => Some(trends::trends(db, &[previous, context.round.clone()]).await?),
        None => None,
    };
    let findings = findings::write(
        &rates,
        &choice_tables,
        &yes_no_tables,
        &cross_tabs,
        comparison.as_ref(),
    );
    Ok(Figures { tables, findings })
}

async fn approved_practices(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<Vec<ReportPractice>, ServiceError> {
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
        .and_where(
            Expr::col((
                good_practice::Entity,
                good_practice::Column::ApprovedForReport,
            ))
            .eq(true),
        )
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
            text: row.text,
            administration: row.code,
            administration_name: row.name,
            workshop: row.title,
        })
        .collect())
}

fn percent(p: &Proportion) -> String {
    p.percent.to_string()
}

fn members(list: &[super::Member]) -> String {
    list.iter()
        .map(|m| format!("{}{}", m.administration, if m.marked { "*" } else { "" }))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One table as CSV (a header line, one line per row, then totals).
pub fn table_csv(table: &ReportTable) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    match &table.content {
        TableContent::ReplyRates(d) => {
            rows.push(vec![
                "workshop".into(),
                "scope".into(),
                "invited".into(),
                "replied".into(),
                "rate_percent".into(),
                "ci_low".into(),
                "ci_high".into(),
            ]);
            let line = |name: String, scope: String, p: &Proportion| {
                vec![
                    name,
                    scope,
                    p.base.to_string(),
                    p.count.to_string(),
                    percent(p),
                    format!("{:.4}", p.ci_low),
                    format!("{:.4}", p.ci_high),
                ]
            };
            for row in &d.rows {
                rows.push(line(
                    row.workshop.title.clone(),
                    super::findings_scope(row.workshop.scope),
                    &row.rate,
                ));
            }
            for sub in &d.subtotals {
                rows.push(line(
                    format!(
                        "Sub-total of {} workshops",
                        super::findings_scope(sub.scope)
                    ),
                    super::findings_scope(sub.scope),
                    &sub.rate,
                ));
            }
            rows.push(line("Total".into(), String::new(), &d.total));
            if let Some(previous) = &d.previous {
                rows.push(line(
                    format!("{} (previous round)", previous.round.title),
                    String::new(),
                    &previous.rate,
                ));
            }
        }
        TableContent::Choices(d) => {
            let mut header = vec!["workshop".to_owned(), "answered".to_owned()];
            header.extend(d.options.iter().map(|o| o.code.clone()));
            rows.push(header);
            for row in &d.rows {
                let mut line = vec![
                    row.workshop
                        .as_ref()
                        .map(|w| w.title.clone())
                        .unwrap_or_default(),
                    row.answered.to_string(),
                ];
                line.extend(row.options.iter().map(|p| p.count.to_string()));
                rows.push(line);
            }
            let mut total = vec!["Total".to_owned(), d.total.answered.to_string()];
            total.extend(d.total.options.iter().map(|p| p.count.to_string()));
            rows.push(total);
            let mut shares = vec!["Total (percent)".to_owned(), String::new()];
            shares.extend(d.total.options.iter().map(percent));
            rows.push(shares);
        }
        TableContent::YesNo(d) => {
            rows.push(vec![
                "workshop".into(),
                "answered".into(),
                "yes".into(),
                "no".into(),
                "yes_percent".into(),
                "ci_low".into(),
                "ci_high".into(),
            ]);
            for row in d.rows.iter().chain(std::iter::once(&d.total)) {
                rows.push(vec![
                    row.workshop
                        .as_ref()
                        .map_or_else(|| "Total".to_owned(), |w| w.title.clone()),
                    row.yes.base.to_string(),
                    row.yes.count.to_string(),
                    row.no.to_string(),
                    percent(&row.yes),
                    format!("{:.4}", row.yes.ci_low),
                    format!("{:.4}", row.yes.ci_high),
                ]);
            }
        }
        TableContent::CrossTab(d) => {
            let mut header = vec!["workshop".to_owned()];
            header.extend(d.actions.iter().map(|a| a.selector.clone()));
            header.push(d.outcome.code.clone());
            rows.push(header);
            for row in &d.rows {
                let mut line = vec![row.workshop.title.clone()];
                line.extend(row.actions.iter().map(|m| members(m)));
                line.push(members(&row.outcome));
                rows.push(line);
            }
            let mut total = vec!["Total".to_owned()];
            total.extend(d.actions.iter().map(|a| a.took.to_string()));
            total.push(d.outcome_count.to_string());
            rows.push(total);
            let mut both = vec!["With the outcome".to_owned()];
            both.extend(
                d.actions
                    .iter()
                    .map(|a| format!("{} ({}%)", a.with_outcome.count, a.with_outcome.percent)),
            );
            both.push(format!(
                "{} ({}%) took any",
                d.outcome_with_any_action.count, d.outcome_with_any_action.percent
            ));
            rows.push(both);
            let mut fisher = vec!["Fisher p".to_owned()];
            fisher.extend(
                d.actions
                    .iter()
                    .map(|a| format!("{:.4}", a.association.fisher_p)),
            );
            fisher.push(String::new());
            rows.push(fisher);
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        let _ = writer.write_record(
            row.iter()
                .map(|cell| spreadsheet::neutralize(cell).into_owned()),
        );
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn chart(table: &ReportTable) -> Option<String> {
    let bar = |label: &str, p: &Proportion| Bar {
        label: label.to_owned(),
        share: p.share,
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

/// The printable page.
pub fn html(report: &Report) -> Result<String, ServiceError> {
    let charts: BTreeMap<String, Value> = report
        .tables
        .iter()
        .filter_map(|t| chart(t).map(|svg| (t.number.to_string(), Value::from_safe_string(svg))))
        .collect();
    let mut env = Environment::new();
    env.add_template("report.html", include_str!("report.html"))
        .map_err(|e| anyhow::anyhow!("the report template: {e}"))?;
    let page = env
        .get_template("report.html")
        .and_then(|t| {
            t.render(minijinja::context! { report => Value::from(Serde(report)), charts => charts })
        })
        .map_err(|e| anyhow::anyhow!("rendering the report: {e:#}"))?;
    Ok(page)
}
