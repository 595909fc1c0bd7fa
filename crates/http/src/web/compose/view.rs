//! The composer page: one text, the channels to publish to (each with an optional text of its
//! own and a first comment), media, details, and when. Without JavaScript every channel's
//! section is a plain fieldset; compose.js turns them into tabs and keeps the counters live.

use super::form::{ComposeForm, COMMENT, OVERRIDE};
use crate::web::layout::Shell;
use crate::web::ui::{self, platform_label, Errors, Field, CSRF_FIELD};
use maud::{html, Markup};
use sellcast_app::channels::Channel;
use sellcast_app::clients::Client;
use sellcast_app::media::Media;
use sellcast_app::posts::PostView;
use sellcast_domain::{rules, Permission, Platform};
use serde::Serialize;

/// One channel's counter: the text's length the platform's way, against its limit.
#[derive(Debug, Serialize)]
pub struct Count {
    pub channel_id: String,
    pub platform: String,
    pub count: usize,
    pub limit: usize,
    pub ok: bool,
    /// How the platform counts, in words.
    pub method: &'static str,
}

pub fn measure(channel: &Channel, text: &str) -> Option<Count> {
    let platform: Platform = channel.platform.parse().ok()?;
    let count = rules::count(platform, text);
    let limit = rules::limits(platform).max_chars;
    Some(Count {
        channel_id: channel.id.clone(),
        platform: platform.as_str().into(),
        count,
        limit,
        ok: count <= limit,
        method: rules::describe_count(platform),
    })
}

/// What the page shows around the form.
pub struct ComposePage<'a> {
    pub shell: &'a Shell,
    /// Where the form posts: `/o/{org}/compose` or `/o/{org}/posts/{id}/edit`.
    pub action: String,
    pub upload_action: String,
    /// The page to come back to after an upload without JavaScript.
    pub return_to: String,
    pub post: Option<&'a PostView>,
    pub form: &'a ComposeForm,
    pub channels: &'a [Channel],
    pub media: &'a [Media],
    pub clients: &'a [Client],
    pub errors: &'a Errors,
    pub general: Option<String>,
    pub media_path: String,
}

/// The message, its field's input id, for the error summary's links.
fn anchor(field: &str) -> String {
    match field {
        "text" => "f-text".into(),
        "channels" => "channels".into(),
        "media" => "media".into(),
        "when" => "f-date".into(),
        f if f.starts_with("ch.") => {
            let id = f.trim_start_matches("ch.").split('.').next().unwrap_or("");
            format!("channel-{id}")
        }
        f => format!("f-{f}"),
    }
}

fn field_error(errors: &Errors, key: &str, id: &str) -> Markup {
    html! {
        @for (_, m) in errors.0.iter().filter(|(f, _)| f == key) {
            p.field-error id={ (id) "-error" } { (crate::web::ui::capitalize(m)) }
        }
    }
}

fn summary(p: &ComposePage<'_>) -> Markup {
    html! {
        @if let Some(m) = &p.general {
            div.alert.error role="alert" { (m) }
        }
        @if !p.errors.is_empty() {
            div.alert.error.error-summary role="alert" {
                strong { "Please correct the following:" }
                ul {
                    @for (f, m) in &p.errors.0 {
                        li { a href={ "#" (anchor(f)) } { (crate::web::ui::capitalize(m)) } }
                    }
                }
            }
        }
    }
}

fn counter(c: Option<&Count>, channel: &Channel) -> Markup {
    let label = platform_label(&channel.platform);
    match c {
        Some(c) => html! {
            span.counter.over[!c.ok] data-count-for=(channel.id) title=(c.method) {
                span.counter-name { (label) " · " (channel.handle) }
                " "
                output.counter-value { (c.count) " / " (c.limit) }
                " "
                span.counter-state { @if c.ok { "OK" } @else { "Over by " (c.count - c.limit) } }
            }
        },
        None => html! {},
    }
}

fn channel_card(p: &ComposePage<'_>, ch: &Channel) -> Markup {
    let f = p.form;
    let selected = f.channels.contains(&ch.id);
    let platform: Option<Platform> = ch.platform.parse().ok();
    let comments = platform.is_some_and(|p| rules::limits(p).first_comment);
    let key = |part: &str| format!("ch.{}.{part}", ch.id);
    let text_error = p.errors.get(&key("text")).is_some();
    let override_id = format!("override-{}", ch.id);
    let comment_id = format!("comment-{}", ch.id);
    let c = measure(ch, f.text_for(&ch.id));
    html! {
        div.channel-card.has-error[text_error || p.errors.get(&key("channel")).is_some()]
            id={ "channel-" (ch.id) } data-channel-id=(ch.id) data-platform=(ch.platform) {
            label.channel-pick {
                input type="checkbox" name="channels" value=(ch.id) checked[selected] data-channel-check;
                span.channel-name { strong { (platform_label(&ch.platform)) } " " span.muted { (ch.handle) } }
                @if ch.status != sellcast_domain::ChannelStatus::Active { " " (ui::status_badge(ch.status)) }
            }
            (field_error(p.errors, &key("channel"), &format!("channel-{}", ch.id)))
            div.channel-adapt id={ "adapt-" (ch.id) } {
                p.channel-count { (counter(c.as_ref(), ch)) }
                div.field.has-error[text_error] {
                    label for=(override_id) { "Text for " (platform_label(&ch.platform)) span.muted { " (optional)" } }
                    textarea.override id=(override_id) name={ (OVERRIDE) (ch.id) } rows="4" data-override-for=(ch.id)
                        placeholder="Leave empty to publish the main text"
                        aria-invalid=[text_error.then_some("true")]
                        aria-describedby={ (override_id) @if text_error { "-error" } @else { "-hint" } } {
                        (f.override_of(&ch.id))
                    }
                    @if text_error {
                        (field_error(p.errors, &key("text"), &override_id))
                    } @else {
                        p.hint id={ (override_id) "-hint" } { "Adapt the text to this channel; empty uses the main text." }
                    }
                }
                @if comments {
                    div.field.has-error[p.errors.get(&key("first_comment")).is_some()] {
                        label for=(comment_id) { "First comment" span.muted { " (optional)" } }
                        input id=(comment_id) type="text" name={ (COMMENT) (ch.id) } value=(f.comment_of(&ch.id))
                            aria-describedby={ (comment_id) "-error" };
                        (field_error(p.errors, &key("first_comment"), &comment_id))
                    }
                }
                (field_error(p.errors, &key("media"), &format!("media-{}", ch.id)))
            }
        }
    }
}

fn media_item(p: &ComposePage<'_>, m: &Media) -> Markup {
    let checked = p.form.media.contains(&m.id);
    let alt = if m.alt_text.is_empty() { m.filename.as_str() } else { m.alt_text.as_str() };
    html! {
        label.media-item {
            input type="checkbox" name="media" value=(m.id) checked[checked];
            @if m.kind == "image" {
                img src={ (p.media_path) "/" (m.id) } alt=(alt) loading="lazy" width="96" height="96";
            } @else {
                span.media-video aria-hidden="true" { "▶" }
            }
            span.media-name.truncate { (m.filename) }
            @if m.status.is_unusable() { (ui::status_badge(m.status)) }
        }
    }
}

fn media_section(p: &ComposePage<'_>) -> Markup {
    let error = p.errors.get("media").is_some();
    html! {
        section.card #media .has-error[error] {
            h2 { "Media" }
            (field_error(p.errors, "media", "media"))
            div.media-grid data-media-grid {
                @for m in p.media { (media_item(p, m)) }
            }
            @if p.media.is_empty() { p.muted data-media-empty { "No files yet. Upload an image or a video below." } }
            div.media-upload {
                // These inputs belong to the upload form below: forms cannot be nested.
                input type="hidden" name=(CSRF_FIELD) value=(p.shell.csrf) form="media-upload";
                div.field {
                    label for="f-file" { "Upload a file" }
                    input #f-file type="file" name="file" form="media-upload"
                        accept="image/jpeg,image/png,image/webp,image/gif,video/mp4,video/quicktime"
                        aria-describedby="f-file-hint";
                    p.hint #f-file-hint { "JPEG, PNG, WebP, GIF, MP4 or MOV. Upload before writing when JavaScript is off: the page reloads." }
                }
                div.field {
                    label for="f-alt" { "Description for screen readers" span.muted { " (optional)" } }
                    input #f-alt type="text" name="alt_text" form="media-upload" maxlength="1500";
                }
                img.upload-preview #upload-preview alt="Preview of the chosen file" hidden;
                p.field-error #upload-error role="alert" hidden {}
                button.small type="submit" form="media-upload" { "Upload" }
            }
        }
    }
}

fn details_section(p: &ComposePage<'_>) -> Markup {
    let f = p.form;
    html! {
        section.card {
            h2 { "Details" }
            (Field::new("tags", "Tags").value(&f.tags).hint("Comma-separated, e.g. launch, spring").optional().render(p.errors))
            (Field::new("campaign", "Campaign").value(&f.campaign).optional().render(p.errors))
            @if !p.clients.is_empty() {
                div.field.has-error[p.errors.get("client_id").is_some()] {
                    label for="f-client_id" { "Client" span.muted { " (optional)" } }
                    select #f-client_id name="client_id" {
                        option value="" { "No client" }
                        @for c in p.clients {
                            option value=(c.id) selected[f.client_id == c.id] { (c.name) }
                        }
                    }
                    (field_error(p.errors, "client_id", "f-client_id"))
                }
            }
        }
    }
}

fn when_section(p: &ComposePage<'_>) -> Markup {
    let f = p.form;
    let error = p.errors.get("when").is_some();
    let status = p.post.map(|v| v.post.status).unwrap_or(sellcast_domain::PostStatus::Draft);
    let save_label = if status == sellcast_domain::PostStatus::Draft { "Save draft" } else { "Save changes" };
    html! {
        section.card {
            h2 { "When" }
            fieldset.when.has-error[error] aria-describedby=(if error { "when-error" } else { "when-hint" }) {
                legend { "Schedule for" }
                div.when-inputs {
                    div.field {
                        label for="f-date" { "Date" }
                        input #f-date type="date" name="date" value=(f.date) aria-invalid=[error.then_some("true")];
                    }
                    div.field {
                        label for="f-time" { "Time" }
                        input #f-time type="time" name="time" value=(f.time) aria-invalid=[error.then_some("true")];
                    }
                }
                @if error { (field_error(p.errors, "when", "when")) }
                @else { p.hint #when-hint { "In your timezone, " strong { (p.shell.timezone) } ". " a href="/account" { "Change it" } } }
            }
            div.actions.compose-actions {
                button type="submit" name="action" value="draft" { (save_label) }
                button.primary type="submit" name="action" value="schedule" { "Schedule" }
                @if p.shell.can(Permission::PostPublish) {
                    button type="submit" name="action" value="publish_now"
                        data-confirm="Publish this post to the selected channels now?" { "Publish now" }
                }
            }
        }
    }
}

pub fn render(p: &ComposePage<'_>) -> Markup {
    let f = p.form;
    let text_error = p.errors.get("text").is_some();
    let counts: Vec<(Option<Count>, &Channel)> =
        p.channels.iter().map(|ch| (measure(ch, f.text_for(&ch.id)), ch)).collect();
    html! {
        div.page-head {
            h1 { @if p.post.is_some() { "Edit post" } @else { "New post" } }
            @if let Some(v) = p.post {
                div.actions { (ui::status_badge(v.post.status)) a.button.small href={ (p.return_to.trim_end_matches("/edit")) } { "Back to the post" } }
            }
        }
        (summary(p))
        form #compose-form .compose method="post" action=(p.action) novalidate data-count-url={ (p.action_base()) "/compose/count" } {
            (ui::csrf(&p.shell.csrf))
            section.card {
                h2 { label for="f-text" { "Text" } }
                div.field.has-error[text_error] {
                    textarea #f-text name="text" rows="8" data-compose-text aria-invalid=[text_error.then_some("true")]
                        aria-describedby="f-text-counters" { (f.text) }
                    (field_error(p.errors, "text", "f-text"))
                }
                ul.counters #f-text-counters aria-live="polite" aria-label="Characters per channel" {
                    @for (c, ch) in &counts {
                        li data-counter-item=(ch.id) hidden[!f.channels.contains(&ch.id)] { (counter(c.as_ref(), ch)) }
                    }
                }
            }
            section.card #channels .has-error[p.errors.get("channels").is_some()] {
                h2 { "Channels" }
                @if p.channels.is_empty() {
                    (ui::empty_state("No channel connected yet",
                        "Connect a channel first (the sandbox takes one click), then come back to write.",
                        Some(("Connect a channel", &p.shell.org_path("/channels")))))
                } @else {
                    fieldset.channel-list data-channel-tabs {
                        legend { "Publish to, and adapt the text per channel" }
                        (field_error(p.errors, "channels", "channels"))
                        @for ch in p.channels { (channel_card(p, ch)) }
                    }
                }
            }
            (media_section(p))
            (details_section(p))
            (when_section(p))
        }
        form #media-upload method="post" action=(p.upload_action) enctype="multipart/form-data" {
            input type="hidden" name="return_to" value=(p.return_to);
        }
    }
}

impl ComposePage<'_> {
    /// `/o/{org}`.
    fn action_base(&self) -> String {
        self.shell.org_path("")
    }
}
