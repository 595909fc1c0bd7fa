//! /api/v1/orgs/{org_id}/calendar (posts by day in a timezone) and the user's secret iCal
//! feed URL under /api/v1/me/calendar-feed (the feed itself is public: see `public`).

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use sellcast_app::calendar::{CalendarChannel, CalendarPost, Day};
use sellcast_app::{calendar, me};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarChannelEntry {
    pub channel_id: String,
    pub platform: String,
    pub handle: String,
    /// The variant's status on this channel.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarEntry {
    pub id: String,
    pub status: String,
    pub scheduled_at: DateTime<Utc>,
    /// HH:MM in the requested timezone.
    pub local_time: String,
    /// The first 280 characters.
    pub text: String,
    pub client_id: Option<String>,
    pub channels: Vec<CalendarChannelEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDay {
    /// YYYY-MM-DD in the requested timezone.
    pub date: String,
    pub posts: Vec<CalendarEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Calendar {
    /// The IANA timezone the days are in.
    pub tz: String,
    pub days: Vec<CalendarDay>,
}

fn calendar_channel(c: CalendarChannel) -> CalendarChannelEntry {
    CalendarChannelEntry {
        channel_id: c.channel_id,
        platform: c.platform,
        handle: c.handle,
        status: c.status.to_string(),
    }
}

fn calendar_entry(p: CalendarPost) -> CalendarEntry {
    CalendarEntry {
        id: p.id,
        status: p.status.to_string(),
        scheduled_at: p.scheduled_at,
        local_time: p.local_time,
        text: p.text,
        client_id: p.client_id,
        channels: p.channels.into_iter().map(calendar_channel).collect(),
    }
}

impl Calendar {
    pub fn new(tz: String, days: Vec<Day>) -> Self {
        let days = days
            .into_iter()
            .map(|d| CalendarDay { date: d.date, posts: d.posts.into_iter().map(calendar_entry).collect() })
            .collect();
        Calendar { tz, days }
    }
}

/// The secret iCal URL; shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeed {
    pub url: String,
}

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
