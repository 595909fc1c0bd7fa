//! The calendar page, `/o/{org_id}/calendar?view=month|week&date=YYYY-MM-DD&channel=&client=`: a
//! month grid or a week of day columns, in the viewer's timezone, each post a chip coloured by
//! its status. Rescheduling (drag and drop, keyboard, or the no-JS form) is in `reschedule.rs`.

use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use crate::web::ui::{post_badge, snippet};
use axum::extract::{Query, State};
use chrono::{Datelike, Duration, Months, NaiveDate};
use chrono_tz::Tz;
use maud::{html, Markup};
use sellcast_app::calendar::{self, CalendarPost, Day};
use sellcast_app::channels::ChannelQuery;
use sellcast_app::{channels, clients};
use sellcast_domain::pagination::Page;
use sellcast_domain::Permission;
use serde::Deserialize;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum View {
    Month,
    Week,
}

impl View {
    pub fn parse(s: Option<&str>) -> View {
        if s == Some("week") {
            View::Week
        } else {
            View::Month
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            View::Month => "month",
            View::Week => "week",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CalQuery {
    view: Option<String>,
    date: Option<String>,
    channel: Option<String>,
    client: Option<String>,
}

/// The days a view shows: whole weeks, Monday first. Returns [from, to).
fn range(view: View, date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let monday = |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    match view {
        View::Week => (monday(date), monday(date) + Duration::days(7)),
        View::Month => {
            let first = date.with_day(1).unwrap_or(date);
            let next_first = first.checked_add_months(Months::new(1)).unwrap_or(first + Duration::days(31));
            let last = next_first - Duration::days(1);
            (monday(first), monday(last) + Duration::days(7))
        }
    }
}

/// The date the previous / next link goes to.
fn step(view: View, date: NaiveDate, forward: bool) -> NaiveDate {
    match (view, forward) {
        (View::Week, true) => date + Duration::days(7),
        (View::Week, false) => date - Duration::days(7),
        (View::Month, true) => date.with_day(1).and_then(|d| d.checked_add_months(Months::new(1))).unwrap_or(date),
        (View::Month, false) => date.with_day(1).and_then(|d| d.checked_sub_months(Months::new(1))).unwrap_or(date),
    }
}

fn title(view: View, date: NaiveDate, from: NaiveDate, to: NaiveDate) -> String {
    match view {
        View::Month => date.format("%B %Y").to_string(),
        View::Week => {
            let last = to - Duration::days(1);
            if from.month() == last.month() {
                format!("{} – {}", from.format("%-d"), last.format("%-d %B %Y"))
            } else {
                format!("{} – {}", from.format("%-d %b"), last.format("%-d %b %Y"))
            }
        }
    }
}

/// The view's state, for links that keep it.
struct Ctx<'a> {
    s: &'a OrgScope,
    view: View,
    date: NaiveDate,
    today: NaiveDate,
    channel: Option<&'a str>,
    client: Option<&'a str>,
    can_move: bool,
}

impl Ctx<'_> {
    fn link(&self, view: View, date: NaiveDate) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("view", view.as_str()).append_pair("date", &date.to_string());
        if let Some(c) = self.channel {
            q.append_pair("channel", c);
        }
        if let Some(c) = self.client {
            q.append_pair("client", c);
        }
        self.s.path(&format!("/calendar?{}", q.finish()))
    }
}

pub async fn show(State(state): State<AppState>, s: OrgScope, Query(q): Query<CalQuery>) -> WebResult<Markup> {
    let app = &state.app;
    let tz: Tz = s.shell.timezone.parse().unwrap_or(chrono_tz::UTC);
    let today = app.clock.now().with_timezone(&tz).date_naive();
    let view = View::parse(q.view.as_deref());
    let asked = q.date.as_deref().filter(|d| !d.is_empty());
    let parsed = asked.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"));
    let bad_date = matches!(parsed, Some(Err(_)));
    let date = parsed.and_then(Result::ok).unwrap_or(today);
    let channel = q.channel.as_deref().filter(|c| !c.is_empty());
    let client = q.client.as_deref().filter(|c| !c.is_empty());
    let (from, to) = range(view, date);
    let cq = calendar::Query { from, to, tz: tz.name(), channel_id: channel, client_id: client };
    let days = calendar::days(app, s.actor(), s.org_id(), &cq).await?;
    let (chans, _) = channels::list(app, s.actor(), s.org_id(), &ChannelQuery::default(), &Page::first(200)).await?;
    // Roles without client access simply get no client filter.
    let clients = clients::list(app, s.actor(), s.org_id(), Some(false), None, &Page::first(200))
        .await
        .map(|(rows, _)| rows)
        .unwrap_or_default();
    let ctx = Ctx { s: &s, view, date, today, channel, client, can_move: s.shell.can(Permission::PostUpdate) };
    let heading = title(view, date, from, to);
    let body = html! {
        div.page-head.cal-head {
            h1 { (heading) }
            nav.cal-nav aria-label="Calendar navigation" {
                a.button.small href=(ctx.link(view, step(view, date, false))) rel="prev" {
                    span aria-hidden="true" { "‹ " } "Previous" span.visually-hidden { " " (view.as_str()) }
                }
                a.button.small href=(ctx.link(view, today)) { "Today" }
                a.button.small href=(ctx.link(view, step(view, date, true))) rel="next" {
                    "Next" span.visually-hidden { " " (view.as_str()) } span aria-hidden="true" { " ›" }
                }
                span.cal-views {
                    a.button.small.ghost href=(ctx.link(View::Month, date))
                        aria-current=[(view == View::Month).then_some("page")] { "Month" }
                    a.button.small.ghost href=(ctx.link(View::Week, date))
                        aria-current=[(view == View::Week).then_some("page")] { "Week" }
                }
            }
        }
        @if bad_date {
            div.alert.warning role="status" { "That date could not be read (use YYYY-MM-DD); showing today." }
        }
        form.cal-filters method="get" action=(s.path("/calendar")) {
            input type="hidden" name="view" value=(view.as_str());
            input type="hidden" name="date" value=(date.to_string());
            div.field {
                label for="cal-channel" { "Channel" }
                select #cal-channel name="channel" {
                    option value="" { "All channels" }
                    @for c in &chans {
                        option value=(c.id) selected[channel == Some(c.id.as_str())] { (c.handle) " (" (c.platform) ")" }
                    }
                }
            }
            @if !clients.is_empty() {
                div.field {
                    label for="cal-client" { "Client" }
                    select #cal-client name="client" {
                        option value="" { "All clients" }
                        @for c in &clients {
                            option value=(c.id) selected[client == Some(c.id.as_str())] { (c.name) }
                        }
                    }
                }
            }
            button.small type="submit" { "Filter" }
            @if channel.is_some() || client.is_some() {
                a.small href=(s.path(&format!("/calendar?view={}&date={date}", view.as_str()))) { "Clear filters" }
            }
        }
        p.muted.cal-tz { "Times in " (tz.name()) "." @if ctx.can_move {
            " Drag a scheduled post to another day, or focus it and press Alt+← / Alt+→ to move it a day (Alt+↑ / Alt+↓: an hour)."
        } }
        (grid(&ctx, &days))
    };
    Ok(layout::page_with(&s.shell, Nav::Calendar, &heading, body, &["calendar.css", "calendar.js"]))
}

fn grid(ctx: &Ctx<'_>, days: &[Day]) -> Markup {
    let month = ctx.date.month();
    let class = match ctx.view {
        View::Month => "cal-grid cal-month",
        View::Week => "cal-grid cal-week",
    };
    html! {
        div class=(class) data-view=(ctx.view.as_str()) data-move-url=(ctx.s.path("/calendar/move")) {
            @if ctx.view == View::Month {
                @for wd in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] {
                    div.cal-wd-head aria-hidden="true" { (wd) }
                }
            }
            @for day in days {
                (day_cell(ctx, day, month))
            }
        }
    }
}

fn day_cell(ctx: &Ctx<'_>, day: &Day, month: u32) -> Markup {
    let date = NaiveDate::parse_from_str(&day.date, "%Y-%m-%d").unwrap_or(ctx.date);
    let outside = ctx.view == View::Month && date.month() != month;
    let is_today = date == ctx.today;
    let mut class = String::from("cal-day");
    for (on, c) in [(outside, " outside"), (is_today, " today"), (day.posts.is_empty(), " empty")] {
        if on {
            class.push_str(c);
        }
    }
    let id = format!("day-{}", day.date);
    html! {
        section class=(class) data-date=(day.date) aria-labelledby=(id) {
            h2.cal-date id=(id) aria-current=[is_today.then_some("date")] {
                span.cal-wd { (date.format("%a")) " " }
                span.cal-dn { (date.format("%-d")) }
                span.cal-mon { " " (date.format("%b")) }
                @if is_today { span.visually-hidden { " (today)" } }
            }
            ul.cal-posts {
                @for p in &day.posts { (chip(ctx, p, &day.date)) }
            }
        }
    }
}

fn chip(ctx: &Ctx<'_>, p: &CalendarPost, date: &str) -> Markup {
    let can_move = ctx.can_move && p.status.can_move();
    let names: Vec<&str> = p.channels.iter().map(|c| c.handle.as_str()).collect();
    let text = snippet(&p.text, 48);
    let move_href = ctx.s.path(&format!("/calendar/move?post_id={}&view={}", p.id, ctx.view.as_str()));
    html! {
        li class={ "chip status-" (p.status) } data-post-id=(p.id) data-date=(date) data-time=(p.local_time)
            data-movable=[can_move.then_some("true")] draggable=[can_move.then_some("true")] {
            a.chip-link href=(ctx.s.path(&format!("/posts/{}", p.id)))
                aria-keyshortcuts=[can_move.then_some("Alt+ArrowLeft Alt+ArrowRight Alt+ArrowUp Alt+ArrowDown")] {
                time.chip-time datetime=(p.scheduled_at.to_rfc3339()) { (p.local_time) }
                " "
                span.chip-text { (text) }
            }
            div.chip-foot {
                (post_badge(p.status))
                @if !names.is_empty() { span.chip-channels { (names.join(", ")) } }
                @if can_move {
                    a.chip-move href=(move_href) { "Move" span.visually-hidden { ": " (text) } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn month_range_covers_whole_weeks() {
        let (from, to) = range(View::Month, d("2026-05-17"));
        assert_eq!((from, to), (d("2026-04-27"), d("2026-06-01")));
        assert_eq!(from.weekday(), chrono::Weekday::Mon);
        let (from, to) = range(View::Month, d("2026-02-10"));
        assert_eq!((from, to), (d("2026-01-26"), d("2026-03-02")));
        assert!((to - from).num_days() <= calendar::MAX_DAYS);
    }

    #[test]
    fn week_range_and_steps() {
        assert_eq!(range(View::Week, d("2026-05-17")), (d("2026-05-11"), d("2026-05-18")));
        assert_eq!(step(View::Month, d("2026-01-31"), true), d("2026-02-01"));
        assert_eq!(step(View::Month, d("2026-03-31"), false), d("2026-02-01"));
        assert_eq!(step(View::Week, d("2026-05-17"), true), d("2026-05-24"));
    }
}
