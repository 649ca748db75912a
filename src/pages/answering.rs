//! The answering page at `/respond/{token}`: the form (`GET`), its submission (`POST`, then
//! a redirect to the confirmation, so reloading never sends twice), the confirmation
//! (`GET .../done`), the read-only page of a closed round, and one "link does not work" page
//! for every token that opens nothing. The token in the path is the only credential.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::round::RoundState;
use serde_json::json;

use super::form::{self, Errors, Form};
use super::render::{self, Message};
use super::view;
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::domain::answers;
use crate::domain::refusal::Refusal;
use crate::http::state::AppState;
use crate::services::replies::submit;
use crate::services::replies::views::{self, ResponseForm};

/// The office's address, which every page gives for help.
pub(super) fn office(state: &AppState) -> String {
    state.mail.office_address()
}

/// The same page for every token that opens nothing: unknown, revoked or handed over.
pub(super) fn not_found(state: &AppState) -> HttpResponse {
    render::message(
        StatusCode::NOT_FOUND,
        Message {
            title: "This link does not work",
            paragraphs: vec![
                "The link may be incomplete, or it was replaced by a newer one.".into(),
                format!(
                    "Ask the survey office for a new link: write to {}.",
                    office(state)
                ),
            ],
            office: &office(state),
        },
    )
}

pub(super) fn failed(state: &AppState, error: &ServiceError) -> HttpResponse {
    tracing::error!(error = format!("{error:#}"), "the answering page failed");
    render::message(
        StatusCode::INTERNAL_SERVER_ERROR,
        Message {
            title: "Sorry, something went wrong",
            paragraphs: vec![
                "Your answers were not saved. Please try again in a few minutes.".into(),
            ],
            office: &office(state),
        },
    )
}

/// What the link opens, or the page to send instead.
pub(super) async fn load(state: &AppState, token: &str) -> Result<ResponseForm, HttpResponse> {
    match views::form(&state.db, token).await {
        Ok(form) => Ok(form),
        Err(ServiceError::NotFound(_)) => Err(not_found(state)),
        Err(error) => Err(failed(state, &error)),
    }
}

/// The form's and the closed round's heading.
const HEADING: &str = "Your follow-up survey";

/// The page's title: the browser's tab says which workshop.
fn title(form: &ResponseForm) -> String {
    format!("Follow-up survey: {}", form.workshop.title)
}

fn form_page(
    state: &AppState,
    token: &str,
    status: StatusCode,
    form: &ResponseForm,
    entered: &Form,
    errors: &Errors,
) -> HttpResponse {
    let tz_now = now();
    let reply = form.reply.as_ref();
    render::page(
        status,
        "form.html",
        json!({
            "title": title(form),
            // The workshop is in the summary right below: the heading stays short.
            "heading": HEADING,
            "office": office(state),
            "invitation": view::invitation(form, tz_now),
            "questions": view::questions(&form.questions, entered, errors),
            "summary": view::summary(&form.questions, errors),
            "revision": reply.map(|r| r.reply.revision),
            "replied_on": reply.map(|r| view::local(r.reply.last_submitted_at, form)),
            "not_for_me_url": format!("/respond/{token}/not-for-me"),
        }),
    )
}

fn closed_page(state: &AppState, status: StatusCode, form: &ResponseForm) -> HttpResponse {
    let recorded = form
        .reply
        .as_ref()
        .map(|r| view::recorded(&form.questions, &r.answers))
        .unwrap_or_default();
    render::page(
        status,
        "closed.html",
        json!({
            "title": title(form),
            "heading": HEADING,
            "office": office(state),
            "invitation": view::invitation(form, now()),
            "recorded": recorded,
            "revision": form.reply.as_ref().map(|r| r.reply.revision),
        }),
    )
}

/// The form, filled with the current answers; the recorded answers once the round closed.
pub async fn show_form(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    let form = match load(&state, &token).await {
        Ok(form) => form,
        Err(page) => return page,
    };
    if form.round.state == RoundState::Closed {
        return closed_page(&state, StatusCode::OK, &form);
    }
    let entered = form
        .reply
        .as_ref()
        .map(|r| form::from_answers(&r.answers))
        .unwrap_or_default();
    form_page(
        &state,
        &token,
        StatusCode::OK,
        &form,
        &entered,
        &Errors::new(),
    )
}

/// A form sent from another site is refused: the page posts only to itself. Browsers say
/// where a request comes from in `Sec-Fetch-Site`; older ones only in `Origin`, which is
/// `null` under the page's `no-referrer` policy, so that case cannot be told and passes.
fn cross_site(request: &HttpRequest) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site != "same-origin" && site != "none";
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == "null" {
        return false;
    }
    let host = request.connection_info().host().to_owned();
    let bare = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or(origin);
    bare != host
}

/// The page refusing a form sent from another site, when it was.
pub(super) fn cross_site_refusal(state: &AppState, request: &HttpRequest) -> Option<HttpResponse> {
    cross_site(request).then(|| {
        render::message(
            StatusCode::FORBIDDEN,
            Message {
                title: "This form must be sent from its own page",
                paragraphs: vec!["Open your personal link and send the form from there.".into()],
                office: &office(state),
            },
        )
    })
}

/// Saves the answers and redirects to the confirmation; shows the form again with every
/// error when anything is invalid (nothing is saved then).
pub async fn submit_form(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
    body: Result<Bytes, actix_web::Error>,
) -> HttpResponse {
    let Ok(body) = body else {
        return render::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            Message {
                title: "Your answers are too long to send",
                paragraphs: vec![
                    "Shorten the longest answers (each may hold 4,000 characters) and send again."
                        .into(),
                ],
                office: &office(&state),
            },
        );
    };
    if let Some(refused) = cross_site_refusal(&state, &request) {
        return refused;
    }
    // The questions read the form; the whole page is loaded only to be shown again.
    let questions = match views::asked(&state.db, &state.questions, &token).await {
        Ok((RoundState::Closed, _)) => return refused_as_closed(&state, &token).await,
        Ok((_, questions)) => questions,
        Err(ServiceError::NotFound(_)) => return not_found(&state),
        Err(error) => return failed(&state, &error),
    };
    let entered = form::read(&body, &questions);
    let inputs = match form::answers(&entered, &questions) {
        Ok(inputs) => inputs,
        Err(errors) => return invalid_page(&state, &token, &entered, &errors).await,
    };
    // Checked here as the use case checks them, to say each fault in the form's words.
    if let Err(faults) = answers::check(&questions, &inputs) {
        let errors = form::errors(&faults, &questions);
        return invalid_page(&state, &token, &entered, &errors).await;
    }
    match submit::respond(&state.db, &state.submit_context(), &token, inputs).await {
        Ok(_) => render::see_other(format!("/respond/{token}/done")),
        Err(ServiceError::Refused(Refusal::RepliesFinal)) => {
            refused_as_closed(&state, &token).await
        }
        Err(ServiceError::Refused(
            refusal @ (Refusal::RevisedTooOften { .. } | Refusal::RevisionsUsedUp { .. }),
        )) => not_saved(&state, &refusal),
        Err(ServiceError::NotFound(_)) => not_found(&state),
        Err(error) => failed(&state, &error),
    }
}

/// New answers past the revisions a link may make: what was saved before stays.
fn not_saved(state: &AppState, refusal: &Refusal) -> HttpResponse {
    let status = match refusal {
        Refusal::RevisedTooOften { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::CONFLICT,
    };
    let said = refusal.to_string();
    let mut sentence = said[..1].to_uppercase() + &said[1..];
    sentence.push('.');
    render::message(
        status,
        Message {
            title: "Your new answers were not saved",
            paragraphs: vec![sentence, "The answers you sent before are kept.".into()],
            office: &office(state),
        },
    )
}

/// A form sent after the round closed: the recorded answers, read only.
async fn refused_as_closed(state: &AppState, token: &str) -> HttpResponse {
    match load(state, token).await {
        Ok(form) => closed_page(state, StatusCode::CONFLICT, &form),
        Err(page) => page,
    }
}

/// The form again with what was entered and every error; nothing was saved.
async fn invalid_page(
    state: &AppState,
    token: &str,
    entered: &Form,
    errors: &Errors,
) -> HttpResponse {
    match load(state, token).await {
        Ok(form) => form_page(
            state,
            token,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            entered,
            errors,
        ),
        Err(page) => page,
    }
}

/// What was recorded, with the revision; the form when nothing was yet.
pub async fn show_confirmation(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> HttpResponse {
    let form = match load(&state, &token).await {
        Ok(form) => form,
        Err(page) => return page,
    };
    if form.round.state == RoundState::Closed {
        return closed_page(&state, StatusCode::OK, &form);
    }
    let Some(reply) = &form.reply else {
        return render::see_other(format!("/respond/{token}"));
    };
    let copy = if reply.reply.revision == 1 {
        "A copy of your answers has been emailed to you."
    } else {
        "The copy emailed to you shows your first answers; this page shows them as they are now."
    };
    render::page(
        StatusCode::OK,
        "done.html",
        json!({
            "title": "Your answers are recorded",
            "office": office(&state),
            "invitation": view::invitation(&form, now()),
            "revision": reply.reply.revision,
            "saved_at": view::local(reply.reply.last_submitted_at, &form),
            "copy": copy,
            "form_url": format!("/respond/{token}"),
            "recorded": view::recorded(&form.questions, &reply.answers),
        }),
    )
}
