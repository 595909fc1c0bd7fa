//! Rescheduling from the calendar: `GET /o/{org_id}/calendar/move?post_id=` shows a date + time
//! form (the way without JavaScript, and the keyboard way), `POST /o/{org_id}/calendar/move`
//! moves the post. calendar.js posts the same form with `Accept: application/json` and gets
//! `{post_id, status, scheduled_at, date, time}` or `{error}` back.
//!
//! Date and time are read in the viewer's timezone. In a DST gap (a local time that does not
//! exist) the form says so; in a DST overlap (a time that happens twice) the first occurrence
//! is used. Scheduled posts (and drafts, which moving schedules) can be moved; others are
//! refused with a message pointing to the post's page.

use crate::state::AppState;
use crate::web::accept::wants_json;
use crate::web::error::{WebError, WebResult};
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form};
use crate::web::ui::{self, snippet, Errors, Field};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::offset::LocalResult;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use maud::{html, Markup};
use sellcast_app::posts::{self, schedule, PostView};
use sellcast_app::AppError;
use sellcast_domain::{Permission, PostStatus};
use serde::Deserialize;
use serde_json::json;

fn not_movable(status: PostStatus) -> String {
    format!(
        "Only scheduled posts can be moved on the calendar; this one is {}. Open the post to see what it needs.",
        status.words()
    )
}

/// The viewer's timezone (UTC when the profile holds something unreadable).
fn zone(s: &OrgScope) -> Tz {
    s.shell.timezone.parse().unwrap_or(chrono_tz::UTC)
}

fn view_name(v: Option<&str>) -> &'static str {
    if v == Some("week") {
        "week"
    } else {
        "month"
    }
}

/// `date` + `time` read in `tz`, as a UTC instant; field errors otherwise.
pub fn local_to_utc(tz: Tz, date: &str, time: &str) -> Result<DateTime<Utc>, Errors> {
    let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d");
    let t =
        NaiveTime::parse_from_str(time.trim(), "%H:%M").or_else(|_| NaiveTime::parse_from_str(time.trim(), "%H:%M:%S"));
    let mut errors = Vec::new();
    if d.is_err() {
        errors.push(("date".to_string(), "Enter a date as YYYY-MM-DD.".to_string()));
    }
    if t.is_err() {
        errors.push(("time".to_string(), "Enter a time as HH:MM (24-hour).".to_string()));
    }
    let (Ok(d), Ok(t)) = (d, t) else { return Err(Errors(errors)) };
    match tz.from_local_datetime(&d.and_time(t)) {
        LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(Errors::one(
            "time",
            format!(
                "{} does not exist on {} in {}: the clocks jump forward then. Pick a time an hour later.",
                t.format("%H:%M"),
                d,
                tz.name()
            ),
        )),
    }
}

#[derive(Deserialize)]
pub struct MoveQuery {
    post_id: Option<String>,
    view: Option<String>,
}

pub async fn form(State(state): State<AppState>, s: OrgScope, Query(q): Query<MoveQuery>) -> WebResult<Markup> {
    s.require(Permission::PostUpdate)?;
    let id = q.post_id.filter(|p| !p.is_empty()).ok_or_else(WebError::not_found)?;
    let post = posts::get(&state.app, s.actor(), s.org_id(), &id).await?;
    let tz = zone(&s);
    let (date, time) = match post.post.scheduled_at {
        Some(at) => {
            let l = at.with_timezone(&tz);
            (l.format("%Y-%m-%d").to_string(), l.format("%H:%M").to_string())
        }
        None => (String::new(), String::new()),
    };
    Ok(page(&s, &post, view_name(q.view.as_deref()), &date, &time, &Errors::default(), None))
}

fn page(
    s: &OrgScope,
    post: &PostView,
    view: &str,
    date: &str,
    time: &str,
    errors: &Errors,
    general: Option<&str>,
) -> Markup {
    let tz = zone(s);
    let date_q: String = url::form_urlencoded::byte_serialize(date.as_bytes()).collect();
    let back = s.path(&format!("/calendar?view={view}&date={date_q}"));
    let body = html! {
        div.page-head { h1 { "Move post" } }
        section.card.narrow {
            p { a href=(s.path(&format!("/posts/{}", post.post.id))) { (snippet(&post.post.text, 120)) } }
            p.muted {
                @match post.post.scheduled_at {
                    Some(at) => { "Now scheduled for " (ui::time(at, tz.name())) "." }
                    None => { "Not scheduled yet; moving it schedules it." }
                }
            }
            (ui::form_errors(errors, general))
            @if post.post.status.can_move() {
                form method="post" action=(s.path("/calendar/move")) novalidate {
                    (ui::csrf(&s.shell.csrf))
                    input type="hidden" name="post_id" value=(post.post.id);
                    input type="hidden" name="view" value=(view);
                    (Field::new("date", "New date").kind("date").value(date).render(errors))
                    (Field::new("time", "New time").kind("time").value(time).hint(&format!("In your timezone, {}.", tz.name())).render(errors))
                    div.actions {
                        button.primary type="submit" { "Move post" }
                        a.button.ghost href=(back) { "Cancel" }
                    }
                }
            } @else {
                div.alert.warning role="status" { (not_movable(post.post.status)) }
                a.button href=(back) { "Back to the calendar" }
            }
        }
    };
    layout::page(&s.shell, Nav::Calendar, "Move post", body)
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    post_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    view: Option<String>,
}

/// Why a move did not happen: shown on the form, or an error page.
enum Failure {
    Form { errors: Errors, general: Option<String> },
    Page(WebError),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation(v) => {
                let mut errors = Vec::new();
                let mut other = Vec::new();
                for f in &v.0 {
                    if f.field == "scheduled_at" {
                        errors.push(("time".to_string(), format!("The new time {}.", f.message)));
                    } else {
                        other.push(format!("{}: {}", f.field, f.message));
                    }
                }
                let general = (!other.is_empty())
                    .then(|| format!("This post cannot be scheduled yet ({}). Open it to fix that.", other.join("; ")));
                Failure::Form { errors: Errors(errors), general }
            }
            AppError::Conflict(m) => {
                Failure::Form { errors: Errors::default(), general: Some(crate::web::ui::capitalize(&m)) }
            }
            other => Failure::Page(other.into()),
        }
    }
}

async fn apply(state: &AppState, s: &OrgScope, f: &MoveForm) -> Result<PostView, Failure> {
    s.require(Permission::PostUpdate).map_err(Failure::Page)?;
    let post = posts::get(&state.app, s.actor(), s.org_id(), &f.post_id).await?;
    if !post.post.status.can_move() {
        return Err(Failure::Form { errors: Errors::default(), general: Some(not_movable(post.post.status)) });
    }
    let at = local_to_utc(zone(s), &f.date, &f.time).map_err(|errors| Failure::Form { errors, general: None })?;
    Ok(schedule::schedule(&state.app, s.actor(), s.org_id(), &post.post.id, at).await?)
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

pub async fn submit(
    State(state): State<AppState>,
    s: OrgScope,
    headers: HeaderMap,
    Form(f): Form<MoveForm>,
) -> WebResult<Response> {
    let view = view_name(f.view.as_deref());
    let tz = zone(&s);
    match apply(&state, &s, &f).await {
        Ok(moved) => {
            let at = moved.post.scheduled_at.unwrap_or_else(Utc::now).with_timezone(&tz);
            let (date, time) = (at.format("%Y-%m-%d").to_string(), at.format("%H:%M").to_string());
            if wants_json(&headers) {
                let body = json!({
                    "post_id": moved.post.id, "status": moved.post.status,
                    "scheduled_at": moved.post.scheduled_at, "date": date, "time": time,
                });
                return Ok(Json(body).into_response());
            }
            let to = s.path(&format!("/calendar?view={view}&date={date}"));
            let message = format!("Post moved to {} ({}).", at.format("%a %-d %b %Y, %H:%M"), tz.name());
            Ok(redirect_with_flash(&state, &to, &message))
        }
        Err(Failure::Page(e)) if wants_json(&headers) => Ok(match e {
            WebError::Page { status, message, .. } => json_error(status, &message),
            WebError::SignIn { .. } => json_error(StatusCode::UNAUTHORIZED, "Sign in again."),
        }),
        Err(Failure::Page(e)) => Err(e),
        Err(Failure::Form { errors, general }) if wants_json(&headers) => {
            let mut parts: Vec<String> = general.into_iter().collect();
            parts.extend(errors.0.into_iter().map(|(_, m)| m));
            Ok(json_error(StatusCode::UNPROCESSABLE_ENTITY, &parts.join(" ")))
        }
        Err(Failure::Form { errors, general }) => {
            let post = posts::get(&state.app, s.actor(), s.org_id(), &f.post_id).await?;
            let markup = page(&s, &post, view, &f.date, &f.time, &errors, general.as_deref());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, markup).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_become_utc_instants() {
        let auckland: Tz = "Pacific/Auckland".parse().unwrap();
        let at = local_to_utc(auckland, "2026-07-01", "08:30").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-06-30T20:30:00+00:00");
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 29 March 2026, 02:30 does not exist in Paris (clocks go 02:00 → 03:00).
        let gap = local_to_utc(paris, "2026-03-29", "02:30").err().unwrap();
        assert!(gap.get("time").is_some_and(|m| m.contains("does not exist")));
        // 25 October 2026, 02:30 happens twice: the first (summer time) is used.
        let overlap = local_to_utc(paris, "2026-10-25", "02:30").unwrap();
        assert_eq!(overlap.to_rfc3339(), "2026-10-25T00:30:00+00:00");
        let bad = local_to_utc(paris, "31/12/2026", "25:00").err().unwrap();
        assert!(bad.get("date").is_some() && bad.get("time").is_some());
    }
}
