//! Analytics and the Good Practice Report: `/v1/rounds/{id}/analytics/...`,
//! `/v1/rounds/{id}/report` and `/v1/trends`. Partners may read all of it: it names
//! administrations, never people. Every answer is computed from the database on each
//! request and carries an ETag (`If-None-Match` gives 304); caches revalidate each use.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::analytics::context::Selector;
use crate::analytics::cross_tab::CrossTab;
use crate::analytics::render::{html, table_sheet};
use crate::analytics::report::Report;
use crate::analytics::tables::{ChoiceTable, ReplyRates, YesNoTable};
use crate::analytics::trends::Trends;
use crate::base::error::ServiceError;
use crate::base::sheets::XLSX;
use crate::domain::FiscalYear;
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::policy::Access;
use crate::http::state::AppState;
use crate::services::reports;

use super::analytics_answers::{conditional, json, query_error};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(get_reply_rates)
        .service(get_what_worked)
        .service(get_choices)
        .service(get_yes_no)
        .service(get_cross_tab)
        .service(get_findings)
        .service(get_report)
        .service(get_trends);
}

/// Figures as JSON; a question the round does not ask is a bad parameter.
fn figures<T: Serialize>(figures: Result<T, ServiceError>) -> Result<HttpResponse, ApiError> {
    json(&figures.map_err(query_error)?)
}

/// Table 1: reply rates per workshop, per scope and in total, with the previous round's.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadAnalytics))),
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 200, body = ReplyRates), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/reply-rates")]
async fn get_reply_rates(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    json(&reports::reply_rates(&state.db, &state.questions, *id).await?)
}

/// What brought replies: the round's replies by the contact that preceded them
/// (`invitation`, `reminder_<n>`, `escalation`, `contact_attempt`, `feedback`, or
/// `not_recorded` for imported history), and the reply curve by day with the days
/// reminders went out. Names nobody.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadAnalytics))),
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 200, body = crate::analytics::what_worked::WhatWorked), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/what-worked")]
async fn get_what_worked(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    json(&reports::what_worked(&state.db, *id).await?)
}

/// Which question to count.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuestionQuery {
    /// A question code; the round's first question of the kind when absent.
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}$", example = "follow_up_actions")]
    pub question: Option<String>,
}

/// Table 2: a choice question, per option: how many chose it, of those who answered.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadAnalytics))),
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id"), QuestionQuery),
    responses((status = 200, body = ChoiceTable), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/choices")]
async fn get_choices(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<QuestionQuery>,
) -> Result<HttpResponse, ApiError> {
    figures(reports::choices(&state.db, &state.questions, *id, query.question).await)
}

/// Tables 3, 5 and 6: a yes/no question; the base is the number who answered it.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadAnalytics))),
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id"), QuestionQuery),
    responses((status = 200, body = YesNoTable), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/yes-no")]
async fn get_yes_no(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<QuestionQuery>,
) -> Result<HttpResponse, ApiError> {
    figures(reports::yes_no(&state.db, &state.questions, *id, query.question).await)
}

/// What to cross-tabulate.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrossTabQuery {
    /// A yes/no question.
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}$", example = "direct_effects")]
    pub outcome: String,
    /// Comma-separated actions: `question:option` for an option of a choice question,
    /// `question` for a yes to a yes/no question.
    #[param(
        pattern = "^[a-z][a-z0-9_]{0,63}(:[a-z][a-z0-9_]{0,63})?(,[a-z][a-z0-9_]{0,63}(:[a-z][a-z0-9_]{0,63})?){0,9}$",
        example = "follow_up_actions:share_materials,follow_up_actions:organize_inhouse_workshop"
    )]
    pub actions: String,
}

/// Tables 4 and 7: actions against an outcome, per workshop naming the administrations,
/// with totals, shares, Fisher's exact test and odds ratios.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadAnalytics))),
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id"), CrossTabQuery),
    responses((status = 200, body = CrossTab), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/cross-tab")]
async fn get_cross_tab(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<CrossTabQuery>,
) -> Result<HttpResponse, ApiError> {
    let actions: Vec<Selector> = query
        .actions
        .split(',')
        .filter(|a| !a.is_empty())
        .map(Selector::parse)
        .collect();
    let tab = reports::cross_tab(&state.db, &state.questions, *id, &actions, &query.outcome).await;
    figures(tab)
}

/// Findings written from the figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Findings {
    pub findings: Vec<String>,
}

/// Findings of a round: the ranking of actions, the strongest associations, changes since
/// the previous round; written from the same figures as the tables.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadAnalytics))),
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 200, body = Findings), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/findings")]
async fn get_findings(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let report = reports::report(&state.db, state.analysis(), *id).await?;
    json(&Findings {
        findings: report.findings,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Json,
    Html,
    Csv,
    Xlsx,
}

/// How to deliver the report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Overrides the `Accept` header.
    #[param(inline)]
    pub format: Option<ReportFormat>,
    /// For CSV: the number of the table (1 when absent).
    #[param(minimum = 1, maximum = 100)]
    pub table: Option<u32>,
}

fn negotiated(request: &HttpRequest, asked: Option<ReportFormat>) -> ReportFormat {
    if let Some(format) = asked {
        return format;
    }
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let position = |media: &str| accept.find(media);
    if position(XLSX).is_some() {
        return ReportFormat::Xlsx;
    }
    match (
        position("text/html"),
        position("text/csv"),
        position("application/json"),
    ) {
        (Some(h), c, j) if c.is_none_or(|c| h < c) && j.is_none_or(|j| h < j) => ReportFormat::Html,
        (_, Some(c), j) if j.is_none_or(|j| c < j) => ReportFormat::Csv,
        _ => ReportFormat::Json,
    }
}

/// The Good Practice Report of a round: JSON (default), a printable HTML page with SVG
/// charts, one table as CSV (`table`, 1 when absent; 404 for a table the report does not
/// have), or every table as an `.xlsx` workbook (a sheet per table, numbers as numbers,
/// percentages formatted, header rows frozen). `format` overrides `Accept`.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadAnalytics))),
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id"), ReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (Report = "application/json"),
            (String = "text/html"),
            (String = "text/csv"),
            (inline(crate::http::responses::FileBytes) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/rounds/{id}/report")]
async fn get_report(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<i32>,
    Query(query): Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = negotiated(&request, query.format);
    if query.table.is_some_and(|n| !(1..=100).contains(&n)) {
        return Err(ApiError::bad_request("table", "must be between 1 and 100"));
    }
    let number = query.table.unwrap_or(1);
    let report = reports::report(&state.db, state.analysis(), *id).await?;
    let body = match format {
        ReportFormat::Json => {
            serde_json::to_vec(&report).map_err(|e| anyhow::anyhow!("serializing: {e}"))?
        }
        ReportFormat::Html => html::html(&report)?.into_bytes(),
        ReportFormat::Csv => {
            let table = report
                .tables
                .iter()
                .find(|t| t.number == number)
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "the report has tables 1 to {}",
                        report.tables.len()
                    ))
                })?;
            table_sheet::table_csv(table).into_bytes()
        }
        ReportFormat::Xlsx => table_sheet::report_xlsx(&report)?,
    };
    Ok(report_response(format, *id, body))
}

/// The response of a report in `format`.
fn report_response(format: ReportFormat, round_id: i32, body: Vec<u8>) -> HttpResponse {
    let media = match format {
        ReportFormat::Json => "application/json",
        ReportFormat::Html => "text/html; charset=utf-8",
        ReportFormat::Csv => "text/csv; charset=utf-8",
        ReportFormat::Xlsx => XLSX,
    };
    let mut response = conditional(body, media);
    if format == ReportFormat::Xlsx {
        let name = format!("attachment; filename=\"round-{round_id}-report.xlsx\"");
        if let Ok(value) = header::HeaderValue::from_str(&name) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    response
}

/// Which rounds to compare.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendsQuery {
    /// First fiscal year, e.g. `2018/19`.
    #[param(value_type = Option<FiscalYear>)]
    pub from: Option<String>,
    /// Last fiscal year, e.g. `2019/20`.
    #[param(value_type = Option<FiscalYear>)]
    pub to: Option<String>,
}

/// The same figures for every round in a range of fiscal years, side by side and matched by
/// question code: reply rates, each option's share, each yes/no question's share of yes.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadAnalytics))),
    tag = "analytics",
    params(TrendsQuery),
    responses((status = 200, body = Trends), (status = 304, description = "Not modified"))
)]
#[get("/trends")]
async fn get_trends(
    state: web::Data<AppState>,
    Query(query): Query<TrendsQuery>,
) -> Result<HttpResponse, ApiError> {
    let parse = |field: &str, value: Option<String>| {
        value
            .as_deref()
            .map(FiscalYear::parse)
            .transpose()
            .map_err(|message| ApiError::bad_request(field, message))
    };
    let from = parse("from", query.from)?;
    let to = parse("to", query.to)?;
    json(&reports::trends(&state.db, &state.questions, from, to).await?)
}
