//! Replies as staff see them: `/v1/rounds/{id}/replies` (list, CSV export and import) and
//! `/v1/replies/{id}` (one reply with its history).

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use entity::reply::Provenance;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::base::sheet_reading::{self, SheetFault};
use crate::base::sheets::{self, XLSX};
use crate::domain::answers::{Answer, AnswerInput, answers_schema, without_nulls};
use crate::domain::{AdministrationCode, InvalidInput};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::extract::Query;
use crate::http::extract::{query_code, query_id};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::state::AppState;
use crate::services::replies::views::{self as service, ReplyDetail, ReplyFilter};
use crate::services::replies::{export, import, import_target};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_replies)
        .service(export_replies)
        .service(import_replies)
        .service(get_reply);
}

/// A reply: the current answers of one invitation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "invitation_id": 31, "round_id": 6, "workshop_id": 2, "administration": "MY",
    "first_submitted_at": "2020-06-20T03:12:00Z", "last_submitted_at": "2020-06-22T08:40:00Z",
    "late": false, "provenance": "participant", "revision": 2,
    "answers": {
        "follow_up_actions": {"choices": ["share_materials", "submit_report", "other"], "other": "Briefed the AEO working group"},
        "lessons_applied": {"text": "Reviewed our AEO program against the regional good practices."},
        "direct_effects": {"yes": true, "comment": "The compliance division now advises AEOs as well as auditing them."},
        "efficiency_improved": {"yes": true},
        "new_projects": {"yes": true, "comment": "Pilot of electronic seals for AEOs."}
    }
}))]
pub struct Reply {
    pub id: i32,
    pub invitation_id: i32,
    pub round_id: i32,
    pub workshop_id: i32,
    /// The administration the reply is attributed to.
    pub administration: String,
    pub first_submitted_at: DateTime<Utc>,
    pub last_submitted_at: DateTime<Utc>,
    /// First submitted after the due date.
    pub late: bool,
    pub provenance: Provenance,
    /// 1 for the first submission, one more per revision.
    pub revision: i32,
    /// Answers by question code; unanswered questions are absent.
    pub answers: BTreeMap<String, Answer>,
}

impl From<ReplyDetail> for Reply {
    fn from(detail: ReplyDetail) -> Self {
        let reply = detail.reply;
        Self {
            id: reply.id,
            invitation_id: reply.invitation_id,
            round_id: reply.round_id,
            workshop_id: reply.workshop_id,
            administration: detail.administration_code,
            first_submitted_at: reply.first_submitted_at,
            last_submitted_at: reply.last_submitted_at,
            late: reply.late,
            provenance: reply.provenance,
            revision: reply.revision,
            answers: detail.answers,
        }
    }
}

/// Answers to submit: by question code; leave a question out to skip it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answers": {
    "follow_up_actions": {"choices": ["share_materials", "other"], "other": "Briefed the minister"},
    "lessons_applied": {"text": "Updated our risk register."},
    "direct_effects": {"yes": true, "comment": "Better targeting of high-risk cargo."},
    "efficiency_improved": {"yes": true},
    "new_projects": {"yes": false}
}}))]
pub struct AnswersRequest {
    /// By question code; `null`, `{}` or an answer whose members are all `null` leaves
    /// the question out.
    #[serde(deserialize_with = "without_nulls")]
    #[schema(schema_with = answers_schema)]
    pub answers: BTreeMap<String, AnswerInput>,
}

/// One submission in a reply's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revision {
    pub revision: i32,
    pub submitted_at: DateTime<Utc>,
    pub provenance: Provenance,
    /// `participant`, `import`, or the staff key's name.
    pub submitted_by: String,
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
}

/// A reply with every submission, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplyWithHistory {
    #[serde(flatten)]
    pub reply: Reply,
    pub history: Vec<Revision>,
}

/// Filters of the reply list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplyQuery {
    #[param(minimum = 1, maximum = 2147483647)]
    pub workshop_id: Option<i32>,
    #[param(value_type = Option<AdministrationCode>)]
    pub administration: Option<String>,
    pub late: Option<bool>,
    pub provenance: Option<Provenance>,
}

impl TryFrom<ReplyQuery> for ReplyFilter {
    type Error = ApiError;

    fn try_from(query: ReplyQuery) -> Result<Self, ApiError> {
        Ok(Self {
            workshop_id: query_id("workshop_id", query.workshop_id)?,
            administration: query_code("administration", query.administration)?,
            late: query.late,
            provenance: query.provenance,
        })
    }
}

/// List a round's replies with their answers.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "replies",
    params(("id" = i32, Path, description = "Round id"), ReplyQuery, PageParams),
    responses((status = 200, body = Page<Reply>))
)]
#[get("/rounds/{id}/replies")]
async fn list_replies(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<ReplyQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let listing = service::list(&state.db, &state.questions, *id, query.try_into()?, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, Reply::from)))
}

/// The file an export is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SheetFormat {
    Csv,
    Xlsx,
}

/// How to write the export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx` (scale answers as numbers, the header row frozen).
    #[param(inline)]
    pub format: Option<SheetFormat>,
}

/// Export a round's replies as CSV or `.xlsx`: one row per reply (workshop, administration,
/// submitted_at, late, provenance, a column per question code). The import reads both.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "replies",
    params(("id" = i32, Path, description = "Round id"), ExportQuery),
    responses((status = 200, description = "The replies", content(
        (String = "text/csv"),
        (inline(crate::http::responses::FileBytes) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )))
)]
#[get("/rounds/{id}/replies/export")]
async fn export_replies(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let sheet = export::export(&state.db, &state.questions, *id).await?;
    let (body, media, extension) = match query.format.unwrap_or(SheetFormat::Csv) {
        SheetFormat::Csv => (
            sheets::csv(&sheet).into_bytes(),
            "text/csv; charset=utf-8",
            "csv",
        ),
        SheetFormat::Xlsx => (sheets::xlsx(&[sheet])?, XLSX, "xlsx"),
    };
    Ok(HttpResponse::Ok()
        .content_type(media)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"round-{}-replies.{extension}\"", *id),
        ))
        .body(body))
}

/// What an import loaded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummary {
    pub replies: usize,
    pub workshops_created: usize,
}

/// Import replies of a historical round from the export's format, as CSV (`text/csv`) or as
/// an `.xlsx` workbook (its first sheet), all or nothing; errors name the line (the sheet's
/// row) and column. Workshops are matched by title and start date, or created.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "replies",
    params(("id" = i32, Path, description = "Round id")),
    request_body(content(
        (inline(crate::http::responses::FileBytes) = "application/octet-stream"),
    ), description = "The file as exported, CSV or .xlsx, told apart by its first bytes (an \
.xlsx workbook is a zip file). `text/csv` and the .xlsx media type are taken too."),
    responses((status = 201, body = ImportSummary))
)]
#[post("/rounds/{id}/replies/import")]
async fn import_replies(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    request: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let text = match sent_as(&request, &body)? {
        SheetFormat::Csv => std::str::from_utf8(&body)
            .map_err(|_| InvalidInput::field("body", "must be CSV in UTF-8 or an .xlsx workbook"))?
            .to_owned(),
        SheetFormat::Xlsx => {
            // The round first: a workbook is read only for a round that takes it, within
            // the round's columns, off the async workers.
            let bounds = import_target::sheet_bounds(&state.db, &state.questions, *id).await?;
            let read = web::block(move || sheet_reading::xlsx_as_csv(&body, bounds))
                .await
                .map_err(|e| anyhow::anyhow!("reading a workbook: {e}"))?;
            read.map_err(|fault| match fault {
                SheetFault::Unreadable(message) | SheetFault::Beyond(message) => {
                    ApiError::from(InvalidInput::field("body", message))
                }
            })?
        }
    };
    let summary = import::import(&state.db, &state.questions, &caller.actor(), *id, &text).await?;
    Ok(HttpResponse::Created().json(ImportSummary {
        replies: summary.replies,
        workshops_created: summary.workshops_created,
    }))
}

/// What an imported file is: CSV or a workbook, by its media type, or for
/// `application/octet-stream` by its first bytes (a workbook is a zip file).
fn sent_as(request: &HttpRequest, body: &[u8]) -> Result<SheetFormat, ApiError> {
    let media = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase())
        .unwrap_or_default();
    if media.starts_with("text/csv") {
        Ok(SheetFormat::Csv)
    } else if media.starts_with(XLSX) {
        Ok(SheetFormat::Xlsx)
    } else if media.starts_with("application/octet-stream") {
        Ok(if body.starts_with(b"PK\x03\x04") {
            SheetFormat::Xlsx
        } else {
            SheetFormat::Csv
        })
    } else {
        Err(ApiError::UnsupportedMediaType(
            "a file as exported (Content-Type: application/octet-stream, text/csv or the .xlsx type)",
        ))
    }
}

/// Read one reply with its history.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "replies",
    params(("id" = i32, Path, description = "Reply id")),
    responses((status = 200, body = ReplyWithHistory))
)]
#[get("/replies/{id}")]
async fn get_reply(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let (detail, history) = service::get(&state.db, &state.questions, *id).await?;
    Ok(HttpResponse::Ok().json(ReplyWithHistory {
        reply: detail.into(),
        history: history
            .into_iter()
            .map(|r| Revision {
                revision: r.revision,
                submitted_at: r.submitted_at,
                provenance: r.provenance,
                submitted_by: r.submitted_by,
                answers: r.answers,
            })
            .collect(),
    }))
}
