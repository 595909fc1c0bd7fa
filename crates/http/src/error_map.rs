//! How each app error reads over HTTP, in one table that the API (`ApiError`) and the web
//! pages (`WebError`) both read: the status, the API's error code and message, and what a
//! web page says. A new `AppError` variant gets its row here and nowhere else.

use crate::web::ui::capitalize;
use axum::http::StatusCode;
use sellcast_app::AppError;
use serde_json::{json, Value};

/// One row of the table.
#[derive(Debug)]
pub struct Classified {
    pub status: StatusCode,
    /// The API's error code (`ErrorDetail::code`).
    pub code: &'static str,
    /// The API's message.
    pub message: String,
    /// Machine-readable detail for API clients (field errors, `mfa_required`), or null.
    pub details: Value,
    /// Seconds before trying again (`Retry-After`), for rate limits.
    pub retry_after: Option<u64>,
    /// What a web page shows; None where the browser is sent to sign in instead.
    pub page: Option<PageText>,
}

/// The title and message of a web page's error, for people.
#[derive(Debug)]
pub struct PageText {
    pub title: &'static str,
    pub message: String,
}

fn row(status: StatusCode, code: &'static str, message: impl Into<String>, page: Option<PageText>) -> Classified {
    Classified { status, code, message: message.into(), details: Value::Null, retry_after: None, page }
}

fn page(title: &'static str, message: impl Into<String>) -> Option<PageText> {
    Some(PageText { title, message: message.into() })
}

/// The row of `e`. An internal error's detail is logged here and shown to no one.
pub fn classify(e: &AppError) -> Classified {
    use StatusCode as S;
    match e {
        AppError::Validation(errs) => Classified {
            details: serde_json::to_value(&errs.0).unwrap_or(Value::Null),
            ..row(
                S::BAD_REQUEST,
                "VALIDATION_ERROR",
                format!("invalid input: {errs}"),
                page("Something is not right", capitalize(&errs.to_string())),
            )
        },
        AppError::Unauthorized(m) => row(S::UNAUTHORIZED, "UNAUTHORIZED", m.clone(), None),
        AppError::MfaRequired => Classified {
            details: json!({"mfa_required": true}),
            ..row(S::UNAUTHORIZED, "UNAUTHORIZED", "a two-factor code is required: send totp_code", None)
        },
        AppError::InvalidToken => row(S::UNAUTHORIZED, "INVALID_TOKEN", "the token is invalid or revoked", None),
        AppError::TokenExpired => row(S::UNAUTHORIZED, "TOKEN_EXPIRED", "the token has expired", None),
        AppError::Forbidden(m) => row(S::FORBIDDEN, "FORBIDDEN", m.clone(), page("Not allowed", capitalize(m))),
        AppError::NotFound(what) => row(
            S::NOT_FOUND,
            "NOT_FOUND",
            format!("{what} not found"),
            page("Not found", format!("This {what} does not exist, or you cannot see it.")),
        ),
        AppError::Conflict(m) => {
            row(S::CONFLICT, "CONFLICT", m.clone(), page("That cannot be done now", capitalize(m)))
        }
        AppError::RateLimited { message, retry_after_secs } => Classified {
            retry_after: Some((*retry_after_secs).max(1)),
            ..row(S::TOO_MANY_REQUESTS, "RATE_LIMITED", message.clone(), page("Slow down", capitalize(message)))
        },
        AppError::Platform(m) => {
            row(S::BAD_GATEWAY, "PLATFORM_ERROR", m.clone(), page("The platform said no", m.clone()))
        }
        AppError::Internal(m) => {
            tracing::error!(error = %m.report(), "internal error");
            row(
                S::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                "internal error",
                page(
                    "Something went wrong",
                    "Sellcast hit an unexpected error. Nothing you entered was lost; try again in a moment.",
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sellcast_domain::ValidationErrors;

    /// Every variant: (status, code, whether a page is shown rather than the sign-in redirect).
    #[test]
    fn each_app_error_has_one_status_and_code() {
        let table = [
            (AppError::Validation(ValidationErrors::single("name", "is empty")), 400, "VALIDATION_ERROR", true),
            (AppError::Unauthorized("no".into()), 401, "UNAUTHORIZED", false),
            (AppError::MfaRequired, 401, "UNAUTHORIZED", false),
            (AppError::InvalidToken, 401, "INVALID_TOKEN", false),
            (AppError::TokenExpired, 401, "TOKEN_EXPIRED", false),
            (AppError::Forbidden("no".into()), 403, "FORBIDDEN", true),
            (AppError::NotFound("post"), 404, "NOT_FOUND", true),
            (AppError::Conflict("taken".into()), 409, "CONFLICT", true),
            (AppError::RateLimited { message: "slow".into(), retry_after_secs: 0 }, 429, "RATE_LIMITED", true),
            (AppError::Platform("down".into()), 502, "PLATFORM_ERROR", true),
            (AppError::internal("secret detail"), 500, "INTERNAL_ERROR", true),
        ];
        for (e, status, code, shows_page) in table {
            let c = classify(&e);
            assert_eq!((c.status.as_u16(), c.code, c.page.is_some()), (status, code, shows_page), "{e:?}");
        }
    }

    #[test]
    fn details_and_retry_after_where_they_belong() {
        let c = classify(&AppError::Validation(ValidationErrors::single("name", "is empty")));
        assert_eq!(c.details, json!([{"field": "name", "message": "is empty"}]));
        assert_eq!(c.page.map(|p| p.message).as_deref(), Some("Name: is empty"));
        assert_eq!(classify(&AppError::MfaRequired).details, json!({"mfa_required": true}));
        let limited = classify(&AppError::RateLimited { message: "slow".into(), retry_after_secs: 0 });
        assert_eq!(limited.retry_after, Some(1), "never zero");
    }

    #[test]
    fn internal_detail_is_shown_to_no_one() {
        let c = classify(&AppError::internal("password=hunter2"));
        assert_eq!(c.message, "internal error");
        assert!(!c.page.is_some_and(|p| p.message.contains("hunter2")));
    }
}
