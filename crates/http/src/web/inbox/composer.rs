//! The reply box under the thread, shaped by the platform's 24-hour rule before anyone types:
//! inside the window, the text box with how long it stays open; WhatsApp outside it, the
//! template form; Instagram and Messenger outside it, why nothing can be sent until the
//! customer writes. A hidden idempotency key made when the form is drawn makes a double
//! submit send once.

use super::form::{Draft, FormState};
use super::when::{ago, remaining};
use super::{who, Ctx};
use crate::web::ui::{self, platform_label};
use maud::{html, Markup};
use sellcast_app::inbox::templates::Template;
use sellcast_app::inbox::Conversation;
use sellcast_domain::{rules, ConversationKind, Platform};

/// Template parameter fields shown at first (the script adds more).
const PARAMS_SHOWN: usize = 3;

fn field_error(forms: &FormState, field: &str, id: &str) -> Markup {
    html! { @if let Some(m) = forms.errors.get(field) { p.field-error id={ (id) "-error" } { (ui::capitalize(m)) } } }
}

pub fn render(ctx: &Ctx, c: &Conversation, templates: &[Template], forms: &FormState) -> Markup {
    let label = platform_label(&c.platform).to_string();
    if !ctx.can_reply {
        return html! {
            div.composer.composer-note data-mode="readonly" {
                p.muted { "Your role (" (ctx.scope.role) ") can read conversations but not reply." }
            }
        };
    }
    if c.needs_template(ctx.now) {
        return template_form(ctx, c, templates, forms);
    }
    if !c.window_open(ctx.now) {
        let why = match c.last_inbound_at {
            Some(t) => format!(
                "{label} lets businesses reply only within 24 hours of the customer's last message, and {} wrote {} ago. \
                 The customer must write first; their message opens the window again.",
                who(c),
                ago(t, ctx.now, ctx.tz())
            ),
            None => format!("{label} lets businesses reply only after the customer writes. The customer must write first."),
        };
        return html! {
            div.composer.composer-note data-mode="closed" {
                p.window-note.closed role="note" { strong { "The reply window is closed. " } (why) }
            }
        };
    }
    let d = &forms.draft;
    let error = forms.errors.get("text");
    let max = c.platform.parse::<Platform>().ok().map(|p| rules::limits(p).max_chars);
    let described = if error.is_some() { "reply-text-error" } else { "reply-text-hint" };
    html! {
        form #reply-form .composer method="post" action=(ctx.path(&format!("/{}/reply", c.id))) data-inline data-mode="text" novalidate {
            (ui::csrf(&ctx.scope.shell.csrf))
            input type="hidden" name="back" value=(ctx.q.filters());
            input type="hidden" name="idempotency_key" value=(key(d));
            @if let Some(end) = c.reply_window_ends_at {
                @let soon = (end - ctx.now).num_hours() < 3;
                p.window-note.soon[soon] role="note" {
                    strong { "Window closes in " (remaining(end, ctx.now)) ". " }
                    (label) " allows free-form replies until 24 hours after the customer's last message."
                }
            }
            @if let Some(m) = &forms.general { div.alert.error role="alert" { (m) } }
            div.field.has-error[error.is_some()] {
                label for="reply-text" { "Reply to " (who(c)) }
                textarea #reply-text name="text" rows="3" data-max=[max] aria-invalid=[error.map(|_| "true")]
                    aria-describedby=(described) aria-keyshortcuts="r" { (d.text) }
                (field_error(forms, "text", "reply-text"))
                p.hint #reply-text-hint {
                    @if let Some(m) = max { (label) " allows up to " (m) " characters. " }
                    span.js-only hidden { "Ctrl+Enter sends. " }
                    output #reply-count .reply-count for="reply-text" {}
                }
            }
            div.composer-actions {
                @if c.kind == ConversationKind::Comment {
                    label.check {
                        input type="checkbox" name="private" value="1" checked[d.private]
                            aria-describedby=[forms.errors.get("private").map(|_| "reply-private-error")];
                        " Reply privately (a direct message to the commenter instead of a public reply)"
                    }
                    (field_error(forms, "private", "reply-private"))
                }
                button.primary type="submit" { "Send" }
            }
        }
    }
}

/// The key of this form: the one it was sent with when it comes back with an error.
fn key(d: &Draft) -> String {
    if d.key.is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        d.key.clone()
    }
}

fn template_form(ctx: &Ctx, c: &Conversation, templates: &[Template], forms: &FormState) -> Markup {
    let d = &forms.draft;
    let since = c.last_inbound_at.map(|t| format!("{} wrote {} ago", who(c), ago(t, ctx.now, ctx.tz())));
    let language = if d.template_language.is_empty() { "en_US" } else { d.template_language.as_str() };
    let shown = d.params.len().max(PARAMS_SHOWN);
    let error = forms.errors.get("template");
    html! {
        form #reply-form .composer method="post" action=(ctx.path(&format!("/{}/reply", c.id))) data-inline data-mode="template" novalidate {
            (ui::csrf(&ctx.scope.shell.csrf))
            input type="hidden" name="back" value=(ctx.q.filters());
            input type="hidden" name="idempotency_key" value=(key(d));
            p.window-note.closed role="note" {
                strong { "The 24-hour window is closed" }
                @if let Some(s) = since { " (" (s) ")" }
                ". WhatsApp allows only an approved template now; when the customer writes again, you can reply freely."
            }
            @if let Some(m) = &forms.general { div.alert.error role="alert" { (m) } }
            fieldset.template-picker {
                legend { "Send a template" }
                div.field.has-error[error.is_some()] {
                    label for="template-name" { "Template name" }
                    input #template-name type="text" name="template_name" value=(d.template_name) autocomplete="off"
                        list=[(!templates.is_empty()).then_some("approved-templates")]
                        aria-invalid=[error.map(|_| "true")]
                        aria-describedby=(if error.is_some() { "template-name-error" } else { "template-name-hint" })
                        aria-keyshortcuts="r";
                    @if let Some(m) = error { p.field-error #template-name-error { (ui::capitalize(m)) } }
                    @else { p.hint #template-name-hint { "Template name as approved in WhatsApp Manager, e.g. order_update." } }
                    @if !templates.is_empty() {
                        datalist #approved-templates { @for t in templates { option value=(t.name) { (t.language) } } }
                    }
                }
                @if !templates.is_empty() {
                    details.approved-templates open {
                        summary { "Approved templates (" (templates.len()) ")" }
                        ul {
                            @for t in templates {
                                li {
                                    strong { (t.name) } " · " (t.language) " · " span.muted { (t.category.to_lowercase()) }
                                    " · " (t.parameters) " parameter(s)"
                                    @if !t.body.is_empty() { br; span.template-body { (t.body) } }
                                }
                            }
                        }
                    }
                }
                div.field {
                    label for="template-language" { "Language" }
                    input #template-language type="text" name="template_language" value=(language) autocomplete="off"
                        aria-describedby="template-language-hint";
                    p.hint #template-language-hint { "The language code of the approved template, e.g. en_US or pt_BR." }
                }
                div.template-params #template-params {
                    @for i in 0..shown {
                        div.field {
                            label for={ "param-" (i + 1) } { "Parameter {{" (i + 1) "}}" span.muted { " (optional)" } }
                            input id={ "param-" (i + 1) } type="text" name="param" value=(d.params.get(i).map(String::as_str).unwrap_or(""));
                        }
                    }
                }
                button.small.js-only #add-param type="button" hidden { "Add a parameter" }
            }
            div.composer-actions { button.primary type="submit" { "Send template" } }
        }
    }
}
