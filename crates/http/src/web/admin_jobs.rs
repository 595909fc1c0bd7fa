//! Instance admin → Jobs: the background queue by state (dead jobs first), kind and queue,
//! with counts per state, a job's error history, and Retry / Cancel. Instance admins only:
//! everyone else gets the 403 page (the app layer checks too).

use super::error::{WebError, WebResult};
use super::layout::{self, Nav};
use super::scope::Signed;
use super::session::{redirect_with_flash, Form, Nothing};
use super::ui;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use sellcast_app::jobs;
use sellcast_app::jobs::{Job, JobQuery};
use sellcast_app::AppError;
use sellcast_domain::JobState;
use serde::Deserialize;
use std::collections::BTreeMap;

const PAGE_SIZE: i64 = 50;
/// Characters of the last error shown in the list.
const ERROR_SHOWN: usize = 140;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs", get(list))
        .route("/admin/jobs/{job_id}", get(detail))
        .route("/admin/jobs/{job_id}/retry", post(retry))
        .route("/admin/jobs/{job_id}/cancel", post(cancel))
}

fn require_admin(s: &Signed) -> WebResult<()> {
    if s.viewer.user.is_instance_admin {
        Ok(())
    } else {
        Err(WebError::forbidden("Only instance administrators see the job queue."))
    }
}

fn job_id(raw: &str) -> WebResult<i64> {
    raw.parse::<i64>().map_err(|_| WebError::not_found())
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    /// A job state, or `all`; default `dead`.
    state: Option<String>,
    kind: Option<String>,
    queue: Option<String>,
    cursor: Option<String>,
}

fn job_actions(s: &Signed, j: &Job) -> Markup {
    html! {
        div.actions {
            @if j.state.can_retry() {
                form method="post" action={ "/admin/jobs/" (j.id) "/retry" } {
                    (ui::csrf(&s.shell.csrf))
                    button.small type="submit" { "Retry" span.visually-hidden { " job " (j.id) } }
                }
            }
            @if j.state.can_cancel() {
                form method="post" action={ "/admin/jobs/" (j.id) "/cancel" } {
                    (ui::csrf(&s.shell.csrf))
                    button.small.ghost type="submit" data-confirm={ "Cancel job " (j.id) "?" } {
                        "Cancel" span.visually-hidden { " job " (j.id) }
                    }
                }
            }
        }
    }
}

pub async fn list(State(state): State<AppState>, s: Signed, Query(q): Query<ListQuery>) -> WebResult<Markup> {
    require_admin(&s)?;
    let app = &state.app;
    let state_name = q.state.as_deref().filter(|v| !v.is_empty()).unwrap_or("dead");
    let job_state = match state_name {
        "all" => None,
        other => Some(other.parse::<JobState>().map_err(|_| WebError::not_found())?),
    };
    let kind = q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty());
    let queue = q.queue.as_deref().map(str::trim).filter(|k| !k.is_empty());
    let before = q.cursor.as_deref().filter(|c| !c.is_empty()).and_then(|c| c.parse::<i64>().ok());
    let filter = JobQuery { state: job_state, kind: kind.map(String::from), queue: queue.map(String::from) };
    let (rows, next) = jobs::list(app, &s.viewer.actor, &filter, before, PAGE_SIZE).await?;
    let mut per_state: BTreeMap<String, i64> = BTreeMap::new();
    let mut queues: Vec<String> = Vec::new();
    for (qname, st, n) in jobs::counts(app, &s.viewer.actor).await? {
        if queue.is_none_or(|wanted| wanted == qname) {
            *per_state.entry(st).or_default() += n;
        }
        if !queues.contains(&qname) {
            queues.push(qname);
        }
    }
    queues.sort();
    let total: i64 = per_state.values().sum();
    let href = |st: &str, cursor: Option<&str>| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        qs.append_pair("state", st);
        if let Some(k) = kind {
            qs.append_pair("kind", k);
        }
        if let Some(qn) = queue {
            qs.append_pair("queue", qn);
        }
        if let Some(c) = cursor {
            qs.append_pair("cursor", c);
        }
        format!("/admin/jobs?{}", qs.finish())
    };
    let tz = &s.shell.timezone;
    let body = html! {
        div.page-head {
            div {
                h1 { "Jobs" }
                p.muted { "The background queue of this Sellcast instance: publishing, email, media, clean-up." }
            }
        }
        nav.tabs aria-label="Job states" {
            @for st in JobState::ALL.iter().rev() {
                a.tab href=(href(st.as_str(), None)) aria-current=[(state_name == st.as_str()).then_some("page")] {
                    (st.as_str()) " " span.count { (per_state.get(st.as_str()).copied().unwrap_or(0)) }
                }
            }
            a.tab href=(href("all", None)) aria-current=[(state_name == "all").then_some("page")] {
                "all " span.count { (total) }
            }
        }
        form.filters method="get" action="/admin/jobs" {
            input type="hidden" name="state" value=(state_name);
            div.field {
                label for="job-kind" { "Kind" }
                input #job-kind type="text" name="kind" value=(kind.unwrap_or("")) placeholder="e.g. post.publish";
            }
            div.field {
                label for="job-queue" { "Queue" }
                select #job-queue name="queue" {
                    option value="" { "All queues" }
                    @for qn in &queues { option value=(qn) selected[queue == Some(qn.as_str())] { (qn) } }
                }
            }
            button type="submit" { "Filter" }
        }
        @if rows.is_empty() {
            (ui::empty_state("No jobs here", &format!("No {state_name} jobs match these filters."), None))
        } @else {
            section.card {
                div.table-wrap tabindex="0" role="region" aria-label="Jobs" {
                    table #jobs-table {
                        thead { tr {
                            th scope="col" { "Job" } th scope="col" { "Kind" } th scope="col" { "Queue" }
                            th scope="col" { "State" } th scope="col" { "Attempts" } th scope="col" { "Run at" }
                            th scope="col" { "Last error" } th scope="col" { span.visually-hidden { "Actions" } }
                        } }
                        tbody {
                            @for j in &rows {
                                tr data-job-id=(j.id) {
                                    td { a href={ "/admin/jobs/" (j.id) } { "#" (j.id) } }
                                    td { code { (j.kind) } }
                                    td { (j.queue) }
                                    td { (ui::status_badge(j.state)) }
                                    td { (j.attempt) " / " (j.max_attempts) }
                                    td.nowrap { (ui::time(j.run_at, tz)) }
                                    td { @if let Some(e) = j.errors.last() { (ui::shorten(&e.error, ERROR_SHOWN)) } @else { span.muted { "—" } } }
                                    td { (job_actions(&s, j)) }
                                }
                            }
                        }
                    }
                }
                @if let Some(c) = next {
                    a.button href=(href(state_name, Some(&c))) { "Older jobs" }
                }
            }
        }
    };
    Ok(layout::page_with(&s.shell, Nav::Admin, "Jobs", body, &["settings.css"]))
}

pub async fn detail(State(state): State<AppState>, s: Signed, Path(raw): Path<String>) -> WebResult<Markup> {
    require_admin(&s)?;
    let j = jobs::get(&state.app, &s.viewer.actor, job_id(&raw)?).await?;
    let tz = &s.shell.timezone;
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| match t {
        Some(t) => ui::time(t, tz),
        None => html! { span.muted { "—" } },
    };
    let body = html! {
        p { a href="/admin/jobs" { "← All jobs" } }
        div.page-head {
            h1 { "Job #" (j.id) " " (ui::status_badge(j.state)) }
            (job_actions(&s, &j))
        }
        section.card {
            dl.details {
                dt { "Kind" } dd { code { (j.kind) } }
                dt { "Queue" } dd { (j.queue) }
                dt { "Priority" } dd { (j.priority) }
                dt { "Attempts" } dd { (j.attempt) " of " (j.max_attempts) }
                dt { "Run at" } dd { (ui::time(j.run_at, tz)) }
                dt { "Created" } dd { (ui::time(j.created_at, tz)) }
                dt { "Last attempt" } dd { (when(j.attempted_at)) }
                dt { "Finished" } dd { (when(j.finished_at)) }
                @if let Some(k) = &j.unique_key { dt { "Unique key" } dd { code { (k) } } }
                @if !j.tags.is_empty() { dt { "Tags" } dd { (j.tags.join(", ")) } }
            }
        }
        section.card aria-labelledby="errors-heading" {
            h2 #errors-heading { "Error history" }
            @if j.errors.is_empty() {
                p.muted { "No failed attempts." }
            } @else {
                ol.error-history {
                    @for e in &j.errors {
                        li {
                            strong { "Attempt " (e.attempt) } " · " (ui::time(e.at, tz))
                            pre { (e.error) }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="args-heading" {
            h2 #args-heading { "Arguments" }
            pre { (pretty(&j.args)) }
        }
    };
    Ok(layout::page_with(&s.shell, Nav::Admin, &format!("Job #{}", j.id), body, &["settings.css"]))
}

async fn change(state: &AppState, s: &Signed, raw: &str, retry: bool) -> WebResult<Response> {
    require_admin(s)?;
    let id = job_id(raw)?;
    let to = format!("/admin/jobs/{id}");
    let result = if retry {
        jobs::retry(&state.app, &s.viewer.actor, id).await
    } else {
        jobs::cancel(&state.app, &s.viewer.actor, id).await
    };
    match result {
        Ok(j) => {
            let done = if retry { "will run again now" } else { "is cancelled" };
            Ok(redirect_with_flash(state, &to, &format!("Job #{} ({}) {done}.", j.id, j.kind)))
        }
        // Someone (or the worker) changed it meanwhile: say so on the job's page.
        Err(AppError::Conflict(m)) => Ok(redirect_with_flash(state, &to, &super::ui::capitalize(&m))),
        Err(e) => Err(e.into()),
    }
}

pub async fn retry(
    State(state): State<AppState>,
    s: Signed,
    Path(raw): Path<String>,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    change(&state, &s, &raw, true).await
}

pub async fn cancel(
    State(state): State<AppState>,
    s: Signed,
    Path(raw): Path<String>,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    change(&state, &s, &raw, false).await
}
