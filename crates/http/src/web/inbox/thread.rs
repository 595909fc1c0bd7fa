//! The right pane, `#inbox-thread` (also served alone by `/inbox/{id}/thread`): who the
//! conversation is with and its controls, the messages as bubbles (the customer's on the
//! left, the team's on the right, with delivery states), and the reply box.

use super::form::FormState;
use super::when::{clock, day_label};
use super::{composer, controls, kind_label, who, Ctx};
use crate::web::ui::{self, initials, platform_label};
use maud::{html, Markup};
use sellcast_app::inbox::{Conversation, Message};
use sellcast_domain::{DeliveryState, MessageDirection};
use serde_json::Value;
use std::collections::BTreeMap;

/// An open conversation: its messages oldest first, and the cursor of the ones before.
pub struct Thread {
    pub conv: Conversation,
    pub messages: Vec<Message>,
    pub older: Option<String>,
    /// WhatsApp outside the window: the account's approved templates (empty if unknown).
    pub templates: Vec<sellcast_app::inbox::templates::Template>,
}

pub fn pane(ctx: &Ctx, thread: Option<&Thread>, forms: &FormState) -> Markup {
    let Some(t) = thread else {
        return html! {
            section #inbox-thread .inbox-thread-pane.no-thread aria-label="Conversation" {
                div.thread-placeholder {
                    (ui::icon("sparkle"))
                    p { "Pick a conversation to read it and reply." }
                    p.muted.js-only hidden { "Tip: press " kbd { "j" } " and " kbd { "k" } " to move through the list, " kbd { "?" } " for every shortcut." }
                }
            }
        };
    };
    let c = &t.conv;
    let name = who(c);
    html! {
        section #inbox-thread .inbox-thread-pane aria-labelledby="thread-heading" data-conversation-id=(c.id)
            data-status=(c.status.as_str()) {
            header.thread-head {
                a.back-link href=(ctx.q.link(&ctx.path(""), &[])) { span aria-hidden="true" { "← " } "All conversations" }
                div.thread-who {
                    span.avatar aria-hidden="true" { (initials(&name)) }
                    div.thread-title {
                        h2 #thread-heading { (name) }
                        p.thread-sub {
                            @if let Some(u) = c.participant.username.as_deref().filter(|u| !u.is_empty() && name != format!("@{u}")) {
                                "@" (u) " · "
                            }
                            (platform_label(&c.platform)) " · " (c.channel_handle) " · " (kind_label(c.kind))
                            @if let Some(post) = &c.post_id {
                                " · " a href=(ctx.scope.path(&format!("/posts/{post}"))) { "the post" }
                            }
                        }
                    }
                }
                (controls::render(ctx, c, forms))
            }
            div #thread-scroll .thread-scroll tabindex="0" role="region" aria-label={ "Messages with " (name) } {
                div.thread-inner {
                    @if ctx.q.before.is_some() {
                        a.button.small.thread-more href=(ctx.open_link(&c.id)) { "Latest messages" }
                    }
                    @if let Some(cursor) = &t.older {
                        a.button.small.thread-more href=(ctx.q.link(&ctx.path(""), &[("c", &c.id), ("before", cursor)])) { "Earlier messages" }
                    }
                    @if t.messages.is_empty() { p.muted.center { "No messages yet." } }
                    ol.messages {
                        @for (i, m) in t.messages.iter().enumerate() {
                            @let day = day_label(m.sent_at, ctx.now, ctx.tz());
                            @if i == 0 || day_label(t.messages[i - 1].sent_at, ctx.now, ctx.tz()) != day {
                                li.day-sep { span { (day) } }
                            }
                            (bubble(ctx, c, &name, m))
                        }
                    }
                }
            }
            (composer::render(ctx, c, &t.templates, forms))
        }
    }
}

fn author(ctx: &Ctx, c: &Conversation, name: &str, m: &Message) -> String {
    match (m.direction, m.author_user_id.as_deref()) {
        (MessageDirection::Inbound, _) => name.to_string(),
        (_, Some(id)) if id == ctx.scope.actor().user_id => "You".into(),
        (_, Some(_)) => "A teammate".into(),
        (_, None) => format!("Sent from {}", platform_label(&c.platform)),
    }
}

fn bubble(ctx: &Ctx, c: &Conversation, name: &str, m: &Message) -> Markup {
    let dir = m.direction.as_str();
    let by = author(ctx, c, name, m);
    html! {
        li class={ "msg " (dir) } data-message-id=(m.id) data-direction=(dir) data-delivery=[m.delivery.map(|d| d.as_str())] {
            div.bubble {
                span.visually-hidden { (by) ": " }
                @if m.deleted_at.is_some() {
                    p.msg-deleted { "This message was deleted." }
                } @else {
                    @if m.shape == "private_reply" { p.msg-label { "Private reply" } }
                    @if let Some(t) = &m.template { (template(t)) }
                    @if let Some(text) = m.text.as_deref().filter(|t| !t.is_empty()) { p.msg-text { (text) } }
                    (attachments(&m.attachments, name))
                }
                (reactions(&m.reactions))
            }
            div.msg-meta {
                @if m.direction == MessageDirection::Outbound { span.msg-author aria-hidden="true" { (by) } }
                (clock(m.sent_at, ctx.tz()))
                @if let Some(at) = m.edited_at {
                    span.msg-edited title={ "Edited " (super::when::local_input(at, ctx.tz()).replace('T', " ")) } { "Edited" }
                }
                @if let Some(d) = m.delivery { (delivery(d)) }
            }
            @if let Some(e) = &m.error {
                p.msg-error { "Not sent: " (e.message) @if let Some(code) = &e.code { " (" (code) ")" } }
            }
        }
    }
}

fn delivery(d: DeliveryState) -> Markup {
    let (mark, label) = match d {
        DeliveryState::Queued => ("◷", "Queued"),
        DeliveryState::Sent => ("✓", "Sent"),
        DeliveryState::Delivered => ("✓✓", "Delivered"),
        DeliveryState::Read => ("✓✓", "Read"),
        DeliveryState::Failed => ("!", "Failed"),
    };
    html! { span class={ "delivery delivery-" (d.as_str()) } data-delivery=(d.as_str()) { span aria-hidden="true" { (mark) } " " (label) } }
}

fn template(t: &Value) -> Markup {
    let name = t["name"].as_str().unwrap_or("template");
    let params: Vec<&str> =
        t["parameters"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    html! {
        div.msg-template {
            p.msg-label { "Template " strong { (name) } @if let Some(l) = t["language"].as_str() { " (" (l) ")" } }
            @if !params.is_empty() {
                ol.msg-params { @for p in params { li { (p) } } }
            }
        }
    }
}

/// A URL safe to link to: ours (a path) or the web's.
fn safe_url(u: &str) -> Option<&str> {
    let ours = u.starts_with('/') && !u.starts_with("//");
    (ours || u.starts_with("https://") || u.starts_with("http://")).then_some(u)
}

fn attachments(list: &Value, name: &str) -> Markup {
    let items = list.as_array().map(Vec::as_slice).unwrap_or_default();
    html! {
        @if !items.is_empty() {
            ul.attachments {
                @for a in items {
                    @let kind = a["kind"].as_str().unwrap_or("file");
                    @let url = a["url"].as_str().and_then(safe_url);
                    @let caption = a["caption"].as_str().filter(|c| !c.is_empty());
                    li {
                        // The page's CSP allows images from this site only; others are linked.
                        @if let (true, Some(u)) = (matches!(kind, "image" | "sticker"), url.filter(|u| u.starts_with('/'))) {
                            img.msg-image src=(u) alt={ "Image from " (name) } loading="lazy";
                        } @else {
                            span class={ "attachment-chip kind-" (kind) } {
                                (attachment_label(kind))
                                @if let Some(f) = a["filename"].as_str() { ": " (f) }
                                @if let Some(u) = url { " · " a href=(u) target="_blank" rel="noopener noreferrer" { "open" } }
                            }
                        }
                        @if let Some(c) = caption { p.attachment-caption { (c) } }
                    }
                }
            }
        }
    }
}

fn attachment_label(kind: &str) -> &str {
    match kind {
        "image" => "Image",
        "audio" => "Voice or audio",
        "video" => "Video",
        "file" => "File",
        "sticker" => "Sticker",
        "location" => "Location",
        "contacts" => "Contact card",
        "share" => "Shared post",
        "story_mention" => "Story mention",
        "story_reply" => "Story reply",
        _ => "Attachment",
    }
}

fn reactions(r: &Value) -> Markup {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for emoji in r.as_object().into_iter().flat_map(|o| o.values()).filter_map(Value::as_str) {
        *counts.entry(emoji).or_default() += 1;
    }
    html! {
        @if !counts.is_empty() {
            ul.reactions aria-label="Reactions" {
                @for (emoji, n) in &counts {
                    li { (emoji) @if *n > 1 { " " (n) } }
                }
            }
        }
    }
}
