//! The workspace home, `/o/{org_id}`: what goes out today and this week, what went out
//! recently, what needs attention (failed posts, held variants, channels to reconnect). A grid
//! of cards, so later features (the inbox) add theirs beside these.

use super::error::WebResult;
use super::layout::{self, Nav};
use super::scope::OrgScope;
use super::ui::{self, post_badge, snippet};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use maud::{html, Markup};
use sellcast_app::calendar::{self, CalendarPost};
use sellcast_app::channels;
use sellcast_app::channels::{Channel, ChannelQuery};
use sellcast_app::posts::PostQuery;
use sellcast_app::posts::{self, PostView};
use sellcast_domain::pagination::Page;
use sellcast_domain::Permission;
use sellcast_domain::{ChannelStatus, PostStatus, VariantStatus};

/// How many upcoming posts and recent publishes the cards list.
const LIST_LEN: usize = 5;
/// Held variants are looked for among posts due in this many past days.
const HELD_LOOKBACK_DAYS: i64 = 30;

pub fn router() -> Router<AppState> {
    Router::new().route("/o/{org_id}", get(show))
}

struct Upcoming {
    today: usize,
    week: usize,
    next: Vec<CalendarPost>,
}

/// Scheduled posts of today and the next seven days, in the viewer's timezone.
async fn upcoming(state: &AppState, s: &OrgScope, tz: Tz, now: DateTime<Utc>) -> WebResult<Upcoming> {
    let today = now.with_timezone(&tz).date_naive();
    let q = calendar::Query {
        from: today,
        to: today + Duration::days(7),
        tz: tz.name(),
        channel_id: None,
        client_id: None,
    };
    let days = calendar::days(&state.app, s.actor(), s.org_id(), &q).await?;
    let waiting = |p: &&CalendarPost| p.status == PostStatus::Scheduled;
    let today_count = days.first().map(|d| d.posts.iter().filter(waiting).count()).unwrap_or(0);
    let all: Vec<CalendarPost> =
        days.into_iter().flat_map(|d| d.posts).filter(|p| p.status == PostStatus::Scheduled).collect();
    let week = all.len();
    let next = all.into_iter().filter(|p| p.scheduled_at >= now).take(LIST_LEN).collect();
    Ok(Upcoming { today: today_count, week, next })
}

struct Attention {
    /// (post, why) pairs.
    posts: Vec<(PostView, String)>,
    channels: Vec<Channel>,
}

async fn attention(state: &AppState, s: &OrgScope, now: DateTime<Utc>) -> WebResult<Attention> {
    let app = &state.app;
    let failed = PostQuery { statuses: vec![PostStatus::Failed, PostStatus::PartiallyPublished], ..Default::default() };
    let (failed, _) = posts::list(app, s.actor(), s.org_id(), &failed, &Page::first(10)).await?;
    let mut out: Vec<(PostView, String)> = failed
        .into_iter()
        .map(|p| {
            let why = p.variants.iter().find_map(|v| v.variant.error.clone()).unwrap_or_else(|| {
                if p.post.status == PostStatus::Failed { "Publishing failed." } else { "Some channels failed." }
                    .to_string()
            });
            (p, why)
        })
        .collect();
    // Held variants wait on a channel to reconnect; their posts were due already.
    let due = PostQuery {
        statuses: vec![PostStatus::Scheduled, PostStatus::Publishing],
        from: Some(now - Duration::days(HELD_LOOKBACK_DAYS)),
        to: Some(now + Duration::minutes(1)),
        ..Default::default()
    };
    let (due, _) = posts::list(app, s.actor(), s.org_id(), &due, &Page::first(50)).await?;
    for p in due {
        if let Some(v) = p.variants.iter().find(|v| v.variant.status == VariantStatus::Held) {
            let why =
                v.variant.error.clone().unwrap_or_else(|| format!("Held: {} needs reconnecting.", v.channel_handle));
            out.push((p, why));
        }
    }
    let filter = ChannelQuery { status: Some(ChannelStatus::NeedsReconnect), ..Default::default() };
    let (chans, _) = channels::list(app, s.actor(), s.org_id(), &filter, &Page::first(20)).await?;
    Ok(Attention { posts: out, channels: chans })
}

pub async fn show(State(state): State<AppState>, s: OrgScope) -> WebResult<Markup> {
    let app = &state.app;
    let tz: Tz = s.shell.timezone.parse().unwrap_or(chrono_tz::UTC);
    let now = app.clock.now();
    let (any_channel, _) =
        channels::list(app, s.actor(), s.org_id(), &ChannelQuery::default(), &Page::first(1)).await?;
    let (any_post, _) = posts::list(app, s.actor(), s.org_id(), &PostQuery::default(), &Page::first(1)).await?;
    let title = format!("{} · Dashboard", s.org.name);
    if any_channel.is_empty() && any_post.is_empty() {
        return Ok(layout::page_with(&s.shell, Nav::Dashboard, &title, empty(&s), &["dashboard.css"]));
    }
    let up = upcoming(&state, &s, tz, now).await?;
    let recent = PostQuery {
        statuses: vec![PostStatus::Published, PostStatus::PartiallyPublished, PostStatus::Publishing],
        ..Default::default()
    };
    let (recent, _) = posts::list(app, s.actor(), s.org_id(), &recent, &Page::first(LIST_LEN as u32)).await?;
    let att = attention(&state, &s, now).await?;
    let body = html! {
        div.page-head {
            h1 { (s.org.name) }
            @if s.shell.can(Permission::PostCreate) {
                div.actions { a.button.primary href=(s.path("/compose")) { "Write a post" } }
            }
        }
        div.grid.dash-grid {
            (scheduled_card(&s, &up, tz))
            (attention_card(&s, &att))
            (recent_card(&s, &recent))
            (channels_card(&s, &att.channels))
        }
    };
    Ok(layout::page_with(&s.shell, Nav::Dashboard, &title, body, &["dashboard.css"]))
}

fn empty(s: &OrgScope) -> Markup {
    html! {
        div.page-head { h1 { (s.org.name) } }
        (ui::empty_state(
            "Nothing here yet",
            "Connect a first channel (the sandbox takes one click), then write and schedule a first post. Your dashboard fills up from there.",
            Some(("Get started", "/onboarding")),
        ))
        @if s.shell.can(Permission::PostCreate) {
            p.dash-empty-more { "Already connected? " a href=(s.path("/compose")) { "Write a post" } "." }
        }
    }
}

fn channel_names(p: &CalendarPost) -> String {
    p.channels.iter().map(|c| c.handle.as_str()).collect::<Vec<_>>().join(", ")
}

fn scheduled_card(s: &OrgScope, up: &Upcoming, tz: Tz) -> Markup {
    html! {
        section.card.dash-card aria-labelledby="dash-scheduled" {
            h2 #dash-scheduled { "Scheduled" }
            dl.dash-stats {
                div { dt { "Today" } dd data-count="today" { (up.today) } }
                div { dt { "Next 7 days" } dd data-count="week" { (up.week) } }
            }
            @if up.next.is_empty() {
                p.muted { "Nothing scheduled in the next seven days." }
            } @else {
                h3.dash-sub { "Coming up" }
                ul.dash-list {
                    @for p in &up.next {
                        li data-post-id=(p.id) {
                            a href=(s.path(&format!("/posts/{}", p.id))) { (snippet(&p.text, 60)) }
                            div.dash-meta {
                                (ui::time(p.scheduled_at, tz.name()))
                                span.muted { " · " (channel_names(p)) }
                            }
                            (post_badge(p.status))
                        }
                    }
                }
            }
            a.dash-more href=(s.path("/calendar?view=week")) { "Open the calendar" }
        }
    }
}

fn attention_card(s: &OrgScope, att: &Attention) -> Markup {
    html! {
        section.card.dash-card aria-labelledby="dash-attention" {
            h2 #dash-attention { "Needs attention" }
            @if att.posts.is_empty() {
                p.muted { "Nothing failed. All good." }
            } @else {
                ul.dash-list {
                    @for (p, why) in &att.posts {
                        li data-post-id=(p.post.id) {
                            a href=(s.path(&format!("/posts/{}", p.post.id))) { (snippet(&p.post.text, 60)) }
                            p.dash-why { (why) }
                            (post_badge(p.post.status))
                        }
                    }
                }
            }
            @if !att.channels.is_empty() {
                p.alert.warning {
                    (att.channels.len()) " channel(s) need reconnecting. "
                    a href=(s.path("/channels")) { "Reconnect" }
                }
            }
        }
    }
}

fn recent_card(s: &OrgScope, recent: &[PostView]) -> Markup {
    html! {
        section.card.dash-card aria-labelledby="dash-recent" {
            h2 #dash-recent { "Recent publishes" }
            @if recent.is_empty() {
                p.muted { "Nothing published yet." }
            } @else {
                ul.dash-list {
                    @for p in recent {
                        li data-post-id=(p.post.id) {
                            a href=(s.path(&format!("/posts/{}", p.post.id))) { (snippet(&p.post.text, 60)) }
                            (post_badge(p.post.status))
                            ul.dash-variants {
                                @for v in &p.variants {
                                    li data-variant-id=(v.variant.id) {
                                        span { (v.channel_handle) } " "
                                        (ui::status_badge(v.variant.status))
                                        " "
                                        a data-platform-link href=(v.variant.platform_url.as_deref().unwrap_or("#"))
                                            hidden[v.variant.platform_url.is_none()] rel="noopener" {
                                            "View on " (v.platform)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            a.dash-more href=(s.path("/posts")) { "All posts" }
        }
    }
}

fn channels_card(s: &OrgScope, needs: &[Channel]) -> Markup {
    html! {
        section.card.dash-card aria-labelledby="dash-channels" {
            h2 #dash-channels { "Channel health" }
            @if needs.is_empty() {
                p { (ui::status_badge(ChannelStatus::Active)) " All channels are connected." }
            } @else {
                ul.dash-list {
                    @for c in needs {
                        li {
                            span { (c.handle) " (" (c.platform) ")" } " "
                            (ui::status_badge(c.status))
                            " "
                            a href=(s.path("/channels")) { "Reconnect" span.visually-hidden { " " (c.handle) } }
                        }
                    }
                }
            }
            a.dash-more href=(s.path("/channels")) { "Manage channels" }
        }
    }
}
