//! The posts list, `/o/{org_id}/posts`: filters as a plain GET form (status, channel, client,
//! tag, dates in the viewer's timezone, words), cursor pages. Rows carry `data-post-id` so the
//! event stream updates them live.

use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use crate::web::ui::{self, zone, Errors};
use crate::web::ui::{excerpt, platform_label, post_badge};
use axum::extract::{Query, State};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use maud::{html, Markup};
use sellcast_app::channels::{Channel, ChannelQuery};
use sellcast_app::clients::Client;
use sellcast_app::posts::PostQuery;
use sellcast_app::posts::{self, PostView};
use sellcast_app::{channels, clients, AppError};
use sellcast_domain::pagination::Page;
use sellcast_domain::{Permission, PostStatus};
use serde::Deserialize;

const PAGE_SIZE: i64 = 25;
const LIST_MAX: u32 = 200;
/// The filterable states, with their labels.
const STATUSES: [PostStatus; 7] = [
    PostStatus::Draft,
    PostStatus::Scheduled,
    PostStatus::Publishing,
    PostStatus::Published,
    PostStatus::PartiallyPublished,
    PostStatus::Failed,
    PostStatus::ChangesRequested,
];

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    channel: Option<String>,
    client: Option<String>,
    tag: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListQuery {
    fn filtered(&self) -> bool {
        [&self.status, &self.channel, &self.client, &self.tag, &self.from, &self.to, &self.q]
            .iter()
            .any(|v| nonempty(v).is_some())
    }

    /// The filters as a query string (without the cursor), for the "Older" link.
    fn query(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.status),
            ("channel", &self.channel),
            ("client", &self.client),
            ("tag", &self.tag),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ] {
            if let Some(v) = nonempty(v) {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

/// Midnight starting `raw` (a `YYYY-MM-DD` day) in `tz`, plus `days`.
fn day_start(raw: &str, tz: &str, days: i64) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()? + Duration::days(days);
    let local = zone(tz).from_local_datetime(&d.and_hms_opt(0, 0, 0)?).earliest()?;
    Some(local.with_timezone(&Utc))
}

struct Lists {
    channels: Vec<Channel>,
    clients: Vec<Client>,
}

async fn lists(state: &AppState, scope: &OrgScope) -> WebResult<Lists> {
    let (app, actor, org) = (&state.app, scope.actor(), scope.org_id());
    let (chans, _) = channels::list(app, actor, org, &ChannelQuery::default(), &Page::first(LIST_MAX)).await?;
    let clients = match clients::list(app, actor, org, None, None, &Page::first(LIST_MAX)).await {
        Ok((rows, _)) => rows,
        Err(AppError::Forbidden(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(Lists { channels: chans, clients })
}

fn filters(scope: &OrgScope, q: &ListQuery, l: &Lists, errors: &Errors) -> Markup {
    let sel = |v: &Option<String>, id: &str| nonempty(v) == Some(id);
    let text = |v: &Option<String>| nonempty(v).unwrap_or("").to_string();
    html! {
        form.card.filters method="get" action=(scope.path("/posts")) role="search" aria-label="Filter posts" {
            div.filter-grid {
                div.field {
                    label for="f-q" { "Search" }
                    input #f-q type="search" name="q" value=(text(&q.q)) placeholder="Words in the text";
                }
                div.field {
                    label for="f-status" { "Status" }
                    select #f-status name="status" {
                        option value="" { "Any status" }
                        @for s in STATUSES { option value=(s) selected[sel(&q.status, s.as_str())] { (s.label()) } }
                    }
                }
                div.field {
                    label for="f-channel" { "Channel" }
                    select #f-channel name="channel" {
                        option value="" { "Any channel" }
                        @for c in &l.channels {
                            option value=(c.id) selected[sel(&q.channel, &c.id)] { (platform_label(&c.platform)) " · " (c.handle) }
                        }
                    }
                }
                @if !l.clients.is_empty() {
                    div.field {
                        label for="f-client" { "Client" }
                        select #f-client name="client" {
                            option value="" { "Any client" }
                            @for c in &l.clients { option value=(c.id) selected[sel(&q.client, &c.id)] { (c.name) } }
                        }
                    }
                }
                div.field {
                    label for="f-tag" { "Tag" }
                    input #f-tag type="text" name="tag" value=(text(&q.tag)) placeholder="launch";
                }
                (date_field("from", "Scheduled from", &text(&q.from), errors))
                (date_field("to", "Scheduled until", &text(&q.to), errors))
            }
            div.actions {
                button.primary type="submit" { "Filter" }
                @if q.filtered() { a.button.ghost href=(scope.path("/posts")) { "Clear filters" } }
            }
        }
    }
}

fn date_field(name: &str, label: &str, value: &str, errors: &Errors) -> Markup {
    let id = format!("f-{name}");
    let error = errors.get(name);
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) }
            input id=(id) type="date" name=(name) value=(value) aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("{id}-error"))];
            @if let Some(m) = error { p.field-error id={ (id) "-error" } { (m) } }
        }
    }
}

fn when_cell(v: &PostView, tz: &str) -> Markup {
    html! {
        @if let Some(at) = v.post.published_at { span.muted { "Published " } (ui::time(at, tz)) }
        @else if let Some(at) = v.post.scheduled_at { (ui::time(at, tz)) }
        @else { span.muted { "Not scheduled" } }
    }
}

fn row(scope: &OrgScope, v: &PostView) -> Markup {
    let tz = &scope.shell.timezone;
    let href = scope.path(&format!("/posts/{}", v.post.id));
    html! {
        tr data-post-id=(v.post.id) {
            td.post-text { a href=(href) { (excerpt(&v.post.text, 90)) } }
            td {
                ul.variant-chips {
                    @for var in &v.variants {
                        li data-variant-id=(var.variant.id) {
                            span.chip-name { (platform_label(&var.platform)) " · " (var.channel_handle) }
                            " " (ui::status_badge(var.variant.status))
                        }
                    }
                }
            }
            td { (post_badge(v.post.status)) }
            td { (when_cell(v, tz)) }
            td.tags { @for t in &v.post.tags { span.tag { "#" (t) } " " } }
        }
    }
}

pub async fn list(State(state): State<AppState>, scope: OrgScope, Query(q): Query<ListQuery>) -> WebResult<Markup> {
    let tz = scope.shell.timezone.clone();
    let mut errors = Vec::new();
    let mut bound = |name: &str, days: i64| {
        let raw = nonempty(if name == "from" { &q.from } else { &q.to })?;
        let at = day_start(raw, &tz, days);
        if at.is_none() {
            errors.push((name.to_string(), "Use a date such as 2026-05-01.".to_string()));
        }
        at
    };
    // The end date is included: the range stops at the start of the next day.
    let (from, to) = (bound("from", 0), bound("to", 1));
    let errors = Errors(errors);
    let statuses: Vec<PostStatus> = nonempty(&q.status)
        .and_then(|s| STATUSES.into_iter().find(|k| k.as_str() == s))
        .map(|s| vec![s])
        .unwrap_or_default();
    let tag = nonempty(&q.tag).map(|t| t.trim_start_matches('#').to_lowercase());
    let filter = PostQuery {
        statuses,
        channel_id: nonempty(&q.channel),
        client_id: nonempty(&q.client),
        tag: tag.as_deref(),
        from,
        to,
        text: nonempty(&q.q).map(str::to_lowercase),
    };
    // A cursor that does not decode starts from the newest post.
    let page = Page::parse(Some(PAGE_SIZE), q.cursor.as_deref()).unwrap_or(Page::first(PAGE_SIZE as u32));
    let (rows, next) = posts::list(&state.app, scope.actor(), scope.org_id(), &filter, &page).await?;
    let l = lists(&state, &scope).await?;
    let can_write = scope.shell.can(Permission::PostCreate);
    let body = html! {
        div.page-head {
            h1 { "Posts" }
            @if can_write { div.actions { a.button.primary href=(scope.path("/compose")) { "New post" } } }
        }
        (filters(&scope, &q, &l, &errors))
        @if rows.is_empty() {
            @if q.filtered() {
                (ui::empty_state("No posts match these filters",
                    "Try another status or channel, a wider date range, or fewer words in the search.",
                    Some(("Clear filters", &scope.path("/posts")))))
            } @else if l.channels.is_empty() {
                (ui::empty_state("No posts yet",
                    "Connect a channel first (the sandbox takes one click), then write your first post.",
                    Some(("Connect a channel", &scope.path("/channels")))))
            } @else if can_write {
                (ui::empty_state("No posts yet",
                    "Write a post once, adapt it per channel and schedule it. It will be listed here.",
                    Some(("Write a post", &scope.path("/compose")))))
            } @else {
                (ui::empty_state("No posts yet", "Posts your team writes will be listed here.", None))
            }
        } @else {
            div.card.table-wrap tabindex="0" role="region" aria-label="Posts" {
                table.posts-table {
                    caption.visually-hidden { "Posts, newest first" }
                    thead { tr { th scope="col" { "Post" } th scope="col" { "Channels" } th scope="col" { "Status" }
                        th scope="col" { "When" } th scope="col" { "Tags" } } }
                    tbody { @for v in &rows { (row(&scope, v)) } }
                }
            }
            @if let Some(c) = next {
                @let qs = q.query();
                div.actions.pager {
                    a.button href={ (scope.path("/posts")) "?" @if !qs.is_empty() { (qs) "&" } "cursor=" (c) } { "Older" }
                }
            }
        }
    };
    Ok(layout::page_with(&scope.shell, Nav::Posts, "Posts", body, &["posts.css"]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn day_bounds_follow_the_timezone() {
        let at = super::day_start("2026-07-01", "Europe/Paris", 0).map(|d| d.to_rfc3339());
        assert_eq!(at.as_deref(), Some("2026-06-30T22:00:00+00:00"));
        assert!(super::day_start("July 1st", "UTC", 0).is_none());
    }
}
