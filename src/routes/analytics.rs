//! Analytics and the Good Practice Report: `/v1/rounds/{id}/analytics/...`,
//! `/v1/rounds/{id}/report` and `/v1/trends`. Partners may read all of it: it names
//! administrations, never people. Every answer carries an ETag (`If-None-Match` gives 304);
//! a closed round's figures are final, and caches may keep them for a day.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use entity::round::RoundState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::analytics::report::{self, Report};
use crate::analytics::trends::{self, Trends};
use crate::analytics::{
    self as figures, ChoiceTable, CrossTab, ReplyRates, RoundContext, Selector, YesNoTable,
};
use crate::auth::{Caller, Permission};
use crate::domain::questionnaire::QuestionType;
use crate::domain::{FiscalYear, InvalidInput};
use crate::error::ApiError;
use crate::extract::Query;
use crate::services::{ServiceError, rounds};
use crate::startup::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(get_reply_rates)
        .service(get_choices)
        .service(get_yes_no)
        .service(get_cross_tab)
        .service(get_findings)
        .service(get_report)
        .service(get_trends);
}

/// Sends `body`. Every answer carries an ETag and answers `If-None-Match` with 304 (see
/// `crate::conditional`); final figures (of closed rounds) may also be kept by caches for a
/// day, while live ones must be revalidated.
fn conditional(body: Vec<u8>, content_type: &str, is_final: bool) -> HttpResponse {
    let caching = if is_final {
        "private, max-age=86400"
    } else {
        "private, no-cache"
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, caching))
        .body(body)
}

fn json(value: &impl Serialize, is_final: bool) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| anyhow::anyhow!("serializing: {e}"))?;
    Ok(conditional(body, "application/json", is_final))
}

/// A question or option the round does not ask is a bad query parameter.
fn query_error(error: ServiceError) -> ApiError {
    match error {
        ServiceError::Invalid(InvalidInput(errors)) => ApiError::BadRequest {
            detail: errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            errors,
        },
        other => other.into(),
    }
}

async fn context(state: &AppState, round_id: i32) -> Result<(RoundContext, bool), ApiError> {
    let context = RoundContext::load(&state.db, round_id).await?;
    let is_final = context.round.state == RoundState::Closed;
    Ok((context, is_final))
}

/// Table 1: reply rates per workshop, per scope and in total, with the previous round's.
#[utoipa::path(
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 200, body = ReplyRates), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/reply-rates")]
async fn get_reply_rates(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadAnalytics)?;
    let (context, is_final) = context(&state, *id).await?;
    let previous = rounds::previous(&state.db, &context.round).await?;
    json(
        &figures::reply_rates(&state.db, &context, previous.as_ref()).await?,
        is_final,
    )
}

/// Which question to count.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuestionQuery {
    /// A question code; the round's first question of the kind when absent.
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}$", example = "follow_up_actions")]
    pub question: Option<String>,
}

fn question_or_first(
    context: &RoundContext,
    asked: Option<String>,
    kinds: &[QuestionType],
) -> Result<String, ApiError> {
    match asked {
        Some(code) => Ok(code),
        None => context
            .questions
            .iter()
            .find(|q| kinds.contains(&q.question_type))
            .map(|q| q.code.clone())
            .ok_or_else(|| {
                ApiError::bad_request("question", "the round's questionnaire has no such question")
            }),
    }
}

/// Table 2: a choice question, per option: how many chose it, of those who answered.
#[utoipa::path(
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id"), QuestionQuery),
    responses((status = 200, body = ChoiceTable), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/choices")]
async fn get_choices(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<QuestionQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadAnalytics)?;
    let (context, is_final) = context(&state, *id).await?;
    let code = question_or_first(
        &context,
        query.question,
        &[QuestionType::MultipleChoice, QuestionType::SingleChoice],
    )?;
    json(
        &figures::choices(&state.db, &context, &code)
            .await
            .map_err(query_error)?,
        is_final,
    )
}

/// Tables 3, 5 and 6: a yes/no question; the base is the number who answered it.
#[utoipa::path(
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id"), QuestionQuery),
    responses((status = 200, body = YesNoTable), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/yes-no")]
async fn get_yes_no(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<QuestionQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadAnalytics)?;
    let (context, is_final) = context(&state, *id).await?;
    let code = question_or_first(&context, query.question, &[QuestionType::YesNo])?;
    json(
        &figures::yes_no(&state.db, &context, &code)
            .await
            .map_err(query_error)?,
        is_final,
    )
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
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id"), CrossTabQuery),
    responses((status = 200, body = CrossTab), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/cross-tab")]
async fn get_cross_tab(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<CrossTabQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadAnalytics)?;
    let (context, is_final) = context(&state, *id).await?;
    let actions: Vec<Selector> = query
        .actions
        .split(',')
        .filter(|a| !a.is_empty())
        .map(Selector::parse)
        .collect();
    let tab = figures::cross_tab(&state.db, &context, &actions, &query.outcome)
        .await
        .map_err(query_error)?;
    json(&tab, is_final)
}

/// Findings written from the figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Findings {
    pub findings: Vec<String>,
}

/// Findings of a round: the ranking of actions, the strongest associations, changes since
/// the previous round; written from the same figures as the tables.
#[utoipa::path(
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 200, body = Findings), (status = 304, description = "Not modified"))
)]
#[get("/rounds/{id}/analytics/findings")]
async fn get_findings(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadAnalytics)?;
    let report = report::build_with(&state.db, &state.analytics_cache, *id).await?;
    let is_final = report.is_final;
    json(
        &Findings {
            findings: report.findings,
        },
        is_final,
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Json,
    Html,
    Csv,
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
/// charts, or one table as CSV (`table`, 1 when absent; 404 for a table the report does not
/// have). `format` overrides `Accept`.
#[utoipa::path(
    tag = "analytics",
    params(("id" = i32, Path, description = "Round id"), ReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (Report = "application/json"),
            (String = "text/html"),
            (String = "text/csv"),
        )),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/rounds/{id}/report")]
async fn get_report(
    caller: Caller,
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<i32>,
    Query(query): Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadAnalytics)?;
    let format = negotiated(&request, query.format);
    if query.table.is_some_and(|n| !(1..=100).contains(&n)) {
        return Err(ApiError::bad_request("table", "must be between 1 and 100"));
    }
    let report = report::build_with(&state.db, &state.analytics_cache, *id).await?;
    let is_final = report.is_final;
    match format {
        ReportFormat::Json => json(&report, is_final),
        ReportFormat::Html => {
            let page = report::html(&report)?;
            Ok(conditional(
                page.into_bytes(),
                "text/html; charset=utf-8",
                is_final,
            ))
        }
        ReportFormat::Csv => {
            let number = query.table.unwrap_or(1);
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
            Ok(conditional(
                report::table_csv(table).into_bytes(),
                "text/csv; charset=utf-8",
                is_final,
            ))
        }
    }
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
    tag = "analytics",
    params(TrendsQuery),
    responses((status = 200, body = Trends), (status = 304, description = "Not modified"))
)]
#[get("/trends")]
async fn get_trends(
    caller: Caller,
    state: web::Data<AppState>,
    Query(query): Query<TrendsQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadAnalytics)?;
    let parse = |field: &str, value: Option<String>| {
        value
            .as_deref()
            .map(FiscalYear::parse)
            .transpose()
            .map_err(|message| ApiError::bad_request(field, message))
    };
    let from = parse("from", query.from)?;
    let to = parse("to", query.to)?;
    let rounds = trends::rounds_between(&state.db, from, to).await?;
    let is_final = rounds.iter().all(|r| r.state == RoundState::Closed);
    let figures = trends::trends_with(&state.db, &state.analytics_cache, &rounds).await?;
    json(&*figures, is_final)
}
