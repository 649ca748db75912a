//! "This survey is not for me" at `/respond/{token}/not-for-me`: a short form (`GET` shows
//! it, `POST` records the request and redirects back to it) where an officer names a
//! colleague who should answer. No JavaScript; the same cross-site refusal and rate limit
//! as the answering form. A link scanner's `GET` changes nothing.

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::round::RoundState;
use serde::Deserialize;
use serde_json::json;

use super::answering::{cross_site_refusal, failed, load, not_found, office};
use super::render;
use super::view;
use crate::base::error::ServiceError;
use crate::domain::{Email, LongTextInput, TextInput};
use crate::http::state::AppState;
use crate::services::handover_requests::{self, Colleague};

/// What the officer typed.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
struct Entered {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    note: String,
}

const TITLE: &str = "This survey is not for me";

async fn page(
    state: &AppState,
    token: &str,
    status: StatusCode,
    entered: &Entered,
    errors: &[(&str, String)],
) -> HttpResponse {
    let form = match load(state, token).await {
        Ok(form) => form,
        Err(page) => return page,
    };
    if form.round.state == RoundState::Closed {
        return render::see_other(format!("/respond/{token}"));
    }
    let pending = match handover_requests::pending_of_token(&state.db, token).await {
        Ok(pending) => pending,
        Err(ServiceError::NotFound(_)) => return not_found(state),
        Err(error) => return failed(state, &error),
    };
    let error_of = |field: &str| {
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.clone())
    };
    render::page(
        status,
        "not_for_me.html",
        json!({
            "title": TITLE,
            "office": office(state),
            "workshop": form.workshop.title,
            "pending": pending.map(|p| json!({
                "name": p.colleague_name,
                "on": view::local(p.created_at, &form),
            })),
            "entered": entered,
            "errors": errors.iter().map(|(field, message)| json!({"field": field, "message": message})).collect::<Vec<_>>(),
            "name_error": error_of("name"),
            "email_error": error_of("email"),
            "form_url": format!("/respond/{token}"),
        }),
    )
}

/// The form, with the request already made if there is one.
pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    page(&state, &token, StatusCode::OK, &Entered::default(), &[]).await
}

/// Records the request and shows the form again, saying so; every error otherwise.
pub async fn submit(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
    body: Bytes,
) -> HttpResponse {
    if let Some(refused) = cross_site_refusal(&state, &request) {
        return refused;
    }
    let entered: Entered = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut errors: Vec<(&str, String)> = Vec::new();
    let name = TextInput(entered.name.clone())
        .parse()
        .map_err(|_| errors.push(("name", "Enter the name of your colleague".into())))
        .ok();
    let email = Email::parse(&entered.email)
        .map_err(|_| {
            errors.push((
                "email",
                "Enter the email address of your colleague, like name@customs.gov".into(),
            ))
        })
        .ok();
    let note =
        LongTextInput::parse_optional(Some(&LongTextInput(entered.note.clone()))).unwrap_or(None);
    let (Some(name), Some(email)) = (name, email) else {
        return page(
            &state,
            &token,
            StatusCode::UNPROCESSABLE_ENTITY,
            &entered,
            &errors,
        )
        .await;
    };
    let colleague = Colleague { name, email, note };
    match handover_requests::request(&state.db, &token, colleague).await {
        Ok(_) => render::see_other(format!("/respond/{token}/not-for-me")),
        Err(ServiceError::NotFound(_)) => not_found(&state),
        Err(ServiceError::Refused(_)) => render::see_other(format!("/respond/{token}")),
        Err(error) => failed(&state, &error),
    }
}
