//! The left pane: status tabs, the filter form (a plain GET form), and the rows fragment
//! (`#inbox-rows`, also served alone by `/inbox/list` for live updates) with its bulk actions.

use super::when::ago_time;
use super::{kind_label, who, Ctx, TABS};
use crate::web::ui::{self, initials, platform_label, shorten};
use maud::{html, Markup};
use sellcast_app::channels::Channel;
use sellcast_app::inbox::Conversation;
use sellcast_domain::{ConversationKind, ConversationPriority, ConversationStatus};

/// The status tabs; each keeps the other filters.
pub fn tabs(ctx: &Ctx) -> Markup {
    html! {
        nav.inbox-tabs aria-label="Conversation status" {
            @for (tab, label) in TABS {
                @let qs = ctx.q.filters_with_tab(tab);
                @let href = if qs.is_empty() { ctx.path("") } else { format!("{}?{qs}", ctx.path("")) };
                a.tab href=(href) aria-current=[(ctx.q.tab() == tab).then_some("page")] { (label) }
            }
        }
    }
}

/// Channel, platform, kind and unread only; the tab travels as a hidden field.
pub fn filters(ctx: &Ctx, channels: &[Channel]) -> Markup {
    let q = ctx.q;
    let mut platforms: Vec<&str> = channels.iter().map(|c| c.platform.as_str()).collect();
    platforms.sort_unstable();
    platforms.dedup();
    html! {
        details.inbox-filters open[q.filtered()] {
            summary { "Filters" @if q.filtered() { span.badge { "on" } } }
            form method="get" action=(ctx.path("")) role="search" aria-label="Filter conversations" {
                @if q.tab() != "open" { input type="hidden" name="status" value=(q.tab()); }
                div.filter-row {
                    div.field {
                        label for="f-channel" { "Channel" }
                        select #f-channel name="channel" {
                            option value="" { "All channels" }
                            @for c in channels {
                                option value=(c.id) selected[q.channel() == Some(c.id.as_str())] {
                                    (platform_label(&c.platform)) " · " (c.handle)
                                }
                            }
                        }
                    }
                    div.field {
                        label for="f-platform" { "Platform" }
                        select #f-platform name="platform" {
                            option value="" { "All platforms" }
                            @for p in &platforms {
                                option value=(p) selected[q.platform() == Some(*p)] { (platform_label(p)) }
                            }
                        }
                    }
                    div.field {
                        label for="f-kind" { "Kind" }
                        select #f-kind name="kind" {
                            option value="" { "All kinds" }
                            @for k in ConversationKind::ALL {
                                option value=(k.as_str()) selected[q.kind() == Some(*k)] { (kind_label(*k)) }
                            }
                        }
                    }
                }
                div.actions {
                    label.check { input type="checkbox" name="unread" value="1" checked[q.unread_only()]; " Unread only" }
                    button.small.primary type="submit" { "Apply" }
                    @if q.filtered() { a.button.small.ghost href=(ctx.clear_link()) { "Clear" } }
                }
            }
        }
    }
}

/// What the list shows: its rows, the next page, the channels (for the empty state's
/// wording) and whether the workspace has any conversation at all.
pub struct Rows<'a> {
    pub items: &'a [Conversation],
    pub next: Option<&'a str>,
    pub channels: &'a [Channel],
    pub any: bool,
}

/// What the list says when it has nothing to show.
fn empty(ctx: &Ctx, r: &Rows) -> Markup {
    let tab = ctx.q.tab();
    let has_sandbox = r.channels.iter().any(|c| c.platform == "sandbox");
    let nothing_in_tab;
    let (title, text) = if ctx.q.filtered() {
        ("No conversations match", "Try another channel, platform or kind, or show read conversations too.")
    } else if r.channels.is_empty() && !r.any {
        ("Your inbox is empty", "Messages, comments and mentions from your channels land here. Connect a channel first: the sandbox takes one click and needs no account.")
    } else if !r.any && has_sandbox && ctx.can_reply {
        ("No conversations yet", "Messages, comments and mentions from your channels land here. Try it now: receive a test message on your sandbox channel with the form below, then answer it.")
    } else if !r.any {
        ("No conversations yet", "Messages, comments and mentions from your channels land here as customers write.")
    } else if tab == "open" {
        ("All caught up", "Every conversation is answered, snoozed or resolved. New messages land here.")
    } else {
        nothing_in_tab = format!("No conversation is {tab} right now.");
        ("Nothing here", nothing_in_tab.as_str())
    };
    html! {
        div.empty-state.inbox-empty {
            (ui::icon("sparkle"))
            h2 { (title) }
            p { (text) }
            @if ctx.q.filtered() {
                a.button href=(ctx.clear_link()) { "Clear filters" }
            } @else if r.channels.is_empty() && !r.any {
                a.button.primary href=(ctx.scope.path("/channels")) { "Connect a channel" }
            } @else if r.any {
                a.button href=(format!("{}?status=all", ctx.path(""))) { "See all conversations" }
            }
        }
    }
}

fn priority_badge(p: ConversationPriority) -> Markup {
    html! {
        @if p != ConversationPriority::None {
            span class={ "badge priority-" (p.as_str()) } { (p.as_str()) }
        }
    }
}

pub fn status_badge(s: ConversationStatus) -> Markup {
    html! { span class={ "badge conv-status-" (s.as_str()) } { (s.as_str()) } }
}

fn row(ctx: &Ctx, c: &Conversation) -> Markup {
    let name = who(c);
    let active = ctx.q.open() == Some(c.id.as_str());
    let select_id = format!("sel-{}", c.id);
    html! {
        li.conv-row.unread[c.unread].active[active] data-conversation-id=(c.id) data-unread=(c.unread) {
            input.conv-select type="checkbox" name="ids" value=(c.id) id=(select_id) form="bulk-form"
                aria-label={ "Select the conversation with " (name) };
            a.conv-link href=(ctx.open_link(&c.id)) aria-current=[active.then_some("true")] {
                span.avatar aria-hidden="true" { (initials(&name)) }
                span.conv-main {
                    span.conv-top {
                        span.conv-name.truncate { (name) }
                        @if c.unread { span.unread-dot { span.visually-hidden { ", unread" } } }
                        span.conv-time { (ago_time(c.last_message_at, ctx.now, ctx.tz())) }
                    }
                    span.conv-meta.truncate {
                        (platform_label(&c.platform)) " · " (c.channel_handle) " · " (kind_label(c.kind))
                    }
                    span.conv-preview {
                        span.truncate { (shorten(c.preview.lines().next().unwrap_or(""), 120)) }
                        @if ctx.q.tab() == "all" { (status_badge(c.status)) }
                        (priority_badge(c.priority))
                    }
                }
            }
        }
    }
}

/// The rows with their bulk actions and the "Older" link: `#inbox-rows`.
pub fn rows(ctx: &Ctx, r: &Rows) -> Markup {
    html! {
        div #inbox-rows .inbox-rows {
            @if r.items.is_empty() {
                (empty(ctx, r))
            } @else {
                form #bulk-form .bulk-bar method="post" action=(ctx.path("/bulk")) data-inline aria-label="Bulk actions" {
                    (ui::csrf(&ctx.scope.shell.csrf))
                    input type="hidden" name="back" value=(ctx.q.filters());
                    input type="hidden" name="c" value=(ctx.q.open().unwrap_or(""));
                    span.muted.bulk-hint { "Selected:" }
                    button.small type="submit" name="action" value="read" { "Mark read" }
                    @if ctx.can_reply {
                        @if ctx.q.tab() != "resolved" {
                            button.small type="submit" name="action" value="resolve" { "Resolve" }
                        }
                        @if !matches!(ctx.q.tab(), "open" | "pending") {
                            button.small type="submit" name="action" value="reopen" { "Reopen" }
                        }
                    }
                }
                ul.conv-list aria-label="Conversations" {
                    @for c in r.items { (row(ctx, c)) }
                }
                @if let Some(cursor) = r.next {
                    div.pager {
                        a.button.small href=(ctx.q.link(&ctx.path(""), &[("cursor", cursor)])) { "Older" }
                    }
                }
            }
        }
    }
}
