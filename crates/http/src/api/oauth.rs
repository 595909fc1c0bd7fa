//! /api/v1/oauth/{platform}/callback: where platforms send the user back after authorizing.
//! No bearer token: the single-use `state` (bound to the session that started connecting)
//! authenticates the request.

use crate::api::channels::responses::Channel;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, Meta};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sellcast_app::channels::connect::{self, Callback};
use sellcast_app::AppError;
use sellcast_domain::Platform;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What an OAuth callback connected.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthConnected {
    pub org_id: String,
    pub channels: Vec<Channel>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` Sellcast sent to the platform.
    pub state: Option<String>,
    /// Set by the platform when the user refused or something failed.
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// `path` with `name=value` added to its query (before any fragment).
fn with_query(path: &str, name: &str, value: &str) -> String {
    let (base, fragment) = match path.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (path, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let mut out = format!("{base}{sep}{name}={value}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Finish connecting: trade the code for tokens and save the accounts as channels. When
/// connecting started with `redirect_after`, the answer is a 303 to that path with
/// `?connected=<n>`; otherwise JSON.
#[utoipa::path(get, path = "/api/v1/oauth/{platform}/callback", tag = "channels",
    params(("platform" = String, Path, description = "x, linkedin, facebook, instagram, threads or mastodon"), CallbackQuery),
    responses((status = 200, description = "Connected", body = OAuthConnected),
        (status = 303, description = "Connected; back to the page that started connecting"),
        (status = 502, description = "The platform failed", body = ErrorBody)))]
pub async fn callback(
    State(s): State<AppState>,
    Meta(meta): Meta,
    ApiPath(platform): ApiPath<String>,
    ApiQuery(q): ApiQuery<CallbackQuery>,
) -> ApiResult<Response> {
    let platform: Platform = platform.parse().map_err(|_| ApiError::not_found("no such platform"))?;
    let cb = Callback { code: q.code, state: q.state, error: q.error, error_description: q.error_description };
    let (redirect, result) = connect::finish(&s.app, platform, cb, &meta).await;
    if let Some(path) = redirect.as_deref() {
        // The path was checked when connecting started (a path of this site, no scheme).
        let location = match &result {
            Ok(done) => with_query(path, "connected", &done.channels.len().to_string()),
            Err(AppError::Internal(_)) => with_query(path, "error", "internal error"),
            Err(e) => with_query(path, "error", &e.to_string()),
        };
        if let Ok(v) = HeaderValue::from_str(&location) {
            return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response());
        }
    }
    let done = result?;
    let channels = done.channels.into_iter().map(Channel::from).collect();
    Ok(Json(OAuthConnected { org_id: done.org_id, channels }).into_response())
}

#[cfg(test)]
mod tests {
    use super::with_query;

    #[test]
    fn query_goes_before_the_fragment() {
        assert_eq!(with_query("/channels", "connected", "2"), "/channels?connected=2");
        assert_eq!(with_query("/c?tab=a", "connected", "1"), "/c?tab=a&connected=1");
        assert_eq!(with_query("/c#top", "connected", "1"), "/c?connected=1#top");
        assert_eq!(with_query("/c", "error", "a b&c"), "/c?error=a+b%26c");
    }
}
