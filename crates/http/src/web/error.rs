//! Errors of the web UI: a redirect to sign-in, or an error page in the product's style.

use super::layout;
use crate::error_map::classify;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use sellcast_app::AppError;

#[derive(Debug)]
pub enum WebError {
    /// Not signed in (or the session ended): go to sign-in, then back to `next`.
    SignIn {
        next: String,
    },
    Page {
        status: StatusCode,
        title: &'static str,
        message: String,
    },
}

pub type WebResult<T> = Result<T, WebError>;

impl WebError {
    pub fn page(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        WebError::Page { status, title, message: message.into() }
    }

    pub fn not_found() -> Self {
        Self::page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is nothing at this address. It may have moved or been deleted.",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::page(StatusCode::FORBIDDEN, "Not allowed", message)
    }

    /// A request whose body is not what the page's script sends.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::page(StatusCode::BAD_REQUEST, "This request could not be read", message)
    }

    /// A form arrived without a valid CSRF token.
    pub fn csrf() -> Self {
        Self::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form was not accepted because its security token is missing or out of date. Go back, reload the page and try again.",
        )
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        let c = classify(&e);
        match c.page {
            Some(p) => WebError::Page { status: c.status, title: p.title, message: p.message },
            None => WebError::SignIn { next: "/".into() },
        }
    }
}

/// An error message a user can act on (shown on the page); None for the ones that get an
/// error page of their own (403, 404, …).
pub fn user_error(e: &AppError) -> Option<String> {
    match e {
        AppError::Validation(_) | AppError::Conflict(_) => classify(e).page.map(|p| p.message),
        _ => None,
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next } => {
                let to = format!(
                    "/signin?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                Redirect::to(&to).into_response()
            }
            WebError::Page { status, title, message } => error_page(status, title, &message),
        }
    }
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = html! {
        div.error-page {
            p.error-code { (status.as_u16()) }
            h1 { (title) }
            p.lead { (message) }
            div.actions {
                a.button.primary href="/" { "Go to your dashboard" }
            }
        }
    };
    let mut res = (status, layout::bare(title, body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
