//! `/v1/mail-templates`: the templates of the four kinds of mail, edited by staff.

use actix_web::{HttpResponse, get, post, put, web};
use entity::mailing::MailKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::domain::{TemplateInput, Validator};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::extract::Json;
use crate::http::policy::Access;
use crate::http::state::AppState;
use crate::mail::templates::{Rendered, TemplateParts};
use crate::services::mail_templates::{self as service, Template};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_mail_templates)
        .service(get_mail_template)
        .service(replace_mail_template)
        .service(reset_mail_template)
        .service(preview_mail_template);
}

/// A mail template (minijinja). Variables: `participant_name`, `administration_name`,
/// `administration_code`, `round_title`, `workshop_title`, `workshop_start`,
/// `workshop_end`, `due_date` (for people: "09:00 on Friday 3 July 2020, Malaysia time
/// (UTC+8)"), `late` (the due date has passed as the mail is written), `link`, `office`;
/// reminders add `days_left`; thank-you notes `answers` (a list of `{question, answer}`);
/// feedback `figures` and `workshop_figures` (`{invited, replied, rate_percent}`),
/// `findings` (the report's first findings after the reply rates), `practices` (`{text,
/// administration, workshop}`), `replied`, `min_base` (`report_min_base`) and `reportable`
/// (enough replies to report answers). Values are escaped in the HTML part.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailTemplate {
    pub kind: MailKind,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// False while the shipped default is in force.
    pub customized: bool,
}

impl From<Template> for MailTemplate {
    fn from(template: Template) -> Self {
        Self {
            kind: template.kind,
            subject: template.parts.subject,
            text: template.parts.text,
            html: template.parts.html,
            customized: template.customized,
        }
    }
}

/// A template to save; it must render with sample data.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "subject": "Follow-up survey: {{ workshop_title }}",
    "text": "Dear {{ participant_name }},\nplease answer by {{ due_date }}: {{ link }}",
    "html": "<p>Dear {{ participant_name }},</p><p><a href=\"{{ link }}\">Answer</a> by {{ due_date }}.</p>"
}))]
pub struct MailTemplateRequest {
    pub subject: TemplateInput,
    pub text: TemplateInput,
    pub html: TemplateInput,
}

/// Parts to preview; absent parts come from the template in force.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub subject: Option<TemplateInput>,
    pub text: Option<TemplateInput>,
    pub html: Option<TemplateInput>,
}

/// A template rendered with sample data.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl From<Rendered> for RenderedMail {
    fn from(rendered: Rendered) -> Self {
        Self {
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        }
    }
}

/// List the templates of every kind of mail.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),tag = "mail-templates", responses((status = 200, body = Vec<MailTemplate>)))]
#[get("/mail-templates")]
async fn list_mail_templates(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let all: Vec<MailTemplate> = service::list(&state.db)
        .await?
        .into_iter()
        .map(MailTemplate::from)
        .collect();
    Ok(HttpResponse::Ok().json(all))
}

/// Read the template of one kind.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "mail-templates",
    params(("kind" = MailKind, Path, description = "invitation, reminder, thank_you or feedback")),
    responses((status = 200, body = MailTemplate))
)]
#[get("/mail-templates/{kind}")]
async fn get_mail_template(
    state: web::Data<AppState>,
    kind: web::Path<MailKind>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(MailTemplate::from(service::get(&state.db, *kind).await?)))
}

/// Save a template; one that does not render with sample data is refused (422 naming
/// the part).
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "mail-templates",
    params(("kind" = MailKind, Path, description = "invitation, reminder, thank_you or feedback")),
    request_body = MailTemplateRequest,
    responses((status = 200, body = MailTemplate))
)]
#[put("/mail-templates/{kind}")]
async fn replace_mail_template(
    caller: Caller,
    state: web::Data<AppState>,
    kind: web::Path<MailKind>,
    Json(request): Json<MailTemplateRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::default();
    let subject = v.check("subject", request.subject.parse());
    let text = v.check("text", request.text.parse());
    let html = v.check("html", request.html.parse());
    v.finish()?;
    let (Some(subject), Some(text), Some(html)) = (subject, text, html) else {
        unreachable!("the validator reported every missing part")
    };
    let parts = TemplateParts {
        subject,
        text,
        html,
    };
    let saved = service::save(&state.db, &caller.actor(), *kind, parts).await?;
    Ok(HttpResponse::Ok().json(MailTemplate::from(saved)))
}

/// Go back to the shipped default.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "mail-templates",
    params(("kind" = MailKind, Path, description = "invitation, reminder, thank_you or feedback")),
    responses((status = 200, body = MailTemplate))
)]
#[post("/mail-templates/{kind}/reset")]
async fn reset_mail_template(
    caller: Caller,
    state: web::Data<AppState>,
    kind: web::Path<MailKind>,
) -> Result<HttpResponse, ApiError> {
    let reset = service::reset(&state.db, &caller.actor(), *kind).await?;
    Ok(HttpResponse::Ok().json(MailTemplate::from(reset)))
}

/// Render a template (the one in force, or the parts given) with sample data, within the
/// bounds every template renders in (a second, its work and its size). Editors and admins:
/// it runs code staff wrote.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "mail-templates",
    params(("kind" = MailKind, Path, description = "invitation, reminder, thank_you or feedback")),
    request_body = PreviewRequest,
    responses((status = 200, body = RenderedMail))
)]
#[post("/mail-templates/{kind}/preview")]
async fn preview_mail_template(
    state: web::Data<AppState>,
    kind: web::Path<MailKind>,
    Json(request): Json<PreviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::default();
    let subject = v.check(
        "subject",
        TemplateInput::parse_optional(request.subject.as_ref()),
    );
    let text = v.check("text", TemplateInput::parse_optional(request.text.as_ref()));
    let html = v.check("html", TemplateInput::parse_optional(request.html.as_ref()));
    v.finish()?;
    let current = service::get(&state.db, *kind).await?.parts;
    let parts = TemplateParts {
        subject: subject.flatten().unwrap_or(current.subject),
        text: text.flatten().unwrap_or(current.text),
        html: html.flatten().unwrap_or(current.html),
    };
    let rendered = service::preview(&state.db, *kind, Some(parts)).await?;
    Ok(HttpResponse::Ok().json(RenderedMail::from(rendered)))
}
