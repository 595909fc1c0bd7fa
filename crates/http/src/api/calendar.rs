//! /api/v1/orgs/{org_id}/calendar (posts by day in a timezone) and the user's secret iCal
//! feed URL under /api/v1/me/calendar-feed (the feed itself is public: see `public`).

use super::dto_publishing::{Calendar, CalendarFeed};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use sellcast_app::{calendar, me};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// First day, YYYY-MM-DD.
    #[param(required = true)]
    pub from: Option<String>,
    /// The day after the last one (exclusive), YYYY-MM-DD; at most 62 days after `from`.
    #[param(required = true)]
    pub to: Option<String>,
    /// IANA timezone the days are in (default: the user's profile timezone).
    pub tz: Option<String>,
    /// Only posts to this channel.
    pub channel_id: Option<String>,
    /// Only posts of this client.
    pub client_id: Option<String>,
}

fn date(field: &str, raw: Option<&str>) -> ApiResult<NaiveDate> {
    let raw = raw
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::field(field, "is required (YYYY-MM-DD)"))?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| ApiError::field(field, "must be a date as YYYY-MM-DD"))
}

/// Scheduled posts by day in a timezone: every day of [from, to), each with its posts in
/// time order.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/calendar", tag = "calendar", security(("bearer" = [])),
    params(("org_id" = String, Path), CalendarQuery), responses((status = 200, body = Calendar)))]
pub async fn days(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<Calendar>> {
    let (from, to) = (date("from", q.from.as_deref())?, date("to", q.to.as_deref())?);
    let tz = match q.tz.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(tz) => tz.to_string(),
        None => {
            let profile = me::get(&s.app, &actor).await?.timezone;
            // A profile timezone is checked when saved; fall back rather than fail the view.
            if calendar::parse_tz(&profile).is_ok() {
                profile
            } else {
                "UTC".to_string()
            }
        }
    };
    let query =
        calendar::Query { from, to, tz: &tz, channel_id: q.channel_id.as_deref(), client_id: q.client_id.as_deref() };
    let days = calendar::days(&s.app, &actor, &org_id, &query).await?;
    Ok(Json(Calendar::new(tz, days)))
}

/// Create (or replace) the user's secret iCal feed URL of their scheduled posts across
/// their organizations. The URL is shown only now; creating again invalidates the old one.
#[utoipa::path(post, path = "/api/v1/me/calendar-feed", tag = "calendar", security(("bearer" = [])),
    responses((status = 201, body = CalendarFeed)))]
pub async fn create_feed(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<(StatusCode, Json<CalendarFeed>)> {
    let url = calendar::create_feed(&s.app, &actor).await?;
    Ok((StatusCode::CREATED, Json(CalendarFeed { url })))
}

/// Turn the iCal feed off.
#[utoipa::path(delete, path = "/api/v1/me/calendar-feed", tag = "calendar", security(("bearer" = [])),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_feed(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    calendar::delete_feed(&s.app, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
