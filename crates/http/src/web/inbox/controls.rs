//! The thread header's forms: status (with the snooze time, in the viewer's timezone), a
//! one-click resolve or reopen, priority, and "mark unread". Each posts to its action.

use super::form::FormState;
use super::list::status_badge;
use super::when::local_input;
use super::Ctx;
use crate::web::ui;
use maud::{html, Markup};
use sellcast_app::inbox::Conversation;
use sellcast_domain::{ConversationPriority, ConversationStatus};

/// A field's error below it, tied to the field for screen readers.
fn error(forms: &FormState, field: &str, id: &str) -> Markup {
    html! { @if let Some(m) = forms.errors.get(field) { p.field-error id={ (id) "-error" } { (ui::capitalize(m)) } } }
}

fn described(forms: &FormState, field: &str, id: &str) -> Option<String> {
    forms.errors.get(field).map(|_| format!("{id}-error"))
}

pub fn render(ctx: &Ctx, c: &Conversation, forms: &FormState) -> Markup {
    let csrf = &ctx.scope.shell.csrf;
    let action = |rest: &str| ctx.path(&format!("/{}/{rest}", c.id));
    let back = ctx.q.filters();
    let snooze = forms.snooze.clone().or_else(|| c.snoozed_until.map(|t| local_input(t, ctx.tz()))).unwrap_or_default();
    let resolved = c.status == ConversationStatus::Resolved;
    html! {
        div.thread-controls {
            p.thread-state {
                (status_badge(c.status))
                @if let Some(t) = c.snoozed_until.filter(|_| c.status == ConversationStatus::Snoozed) {
                    span.muted { " until " (ui::time(t, ctx.tz())) }
                }
            }
            @if ctx.can_reply {
                form #resolve-form method="post" action=(action("status")) data-inline {
                    (ui::csrf(csrf))
                    input type="hidden" name="back" value=(back);
                    input type="hidden" name="status" value=(if resolved { "open" } else { "resolved" });
                    button.small.primary type="submit" aria-keyshortcuts=[(!resolved).then_some("e")] {
                        @if resolved { "Reopen" } @else { "Resolve" }
                    }
                }
                details.thread-more-controls open[forms.errors.get("status").or(forms.errors.get("snoozed_until")).or(forms.errors.get("priority")).is_some()] {
                    summary { "Status and priority" }
                    form #status-form .control-form method="post" action=(action("status")) data-inline {
                        (ui::csrf(csrf))
                        input type="hidden" name="back" value=(back);
                        div.field.has-error[forms.errors.get("status").is_some()] {
                            label for="status-select" { "Status" }
                            select #status-select name="status" aria-describedby=[described(forms, "status", "status-select")] {
                                @for s in ConversationStatus::ALL {
                                    option value=(s.as_str()) selected[*s == c.status] { (ui::capitalize(s.as_str())) }
                                }
                            }
                            (error(forms, "status", "status-select"))
                        }
                        div.field.snooze-field.has-error[forms.errors.get("snoozed_until").is_some()] {
                            label for="snooze-until" { "Snooze until" }
                            input #snooze-until type="datetime-local" name="snoozed_until" value=(snooze)
                                min=(local_input(ctx.now, ctx.tz()))
                                aria-invalid=[forms.errors.get("snoozed_until").map(|_| "true")]
                                aria-describedby=(described(forms, "snoozed_until", "snooze-until").unwrap_or_else(|| "snooze-hint".into()));
                            @if forms.errors.get("snoozed_until").is_none() {
                                p.hint #snooze-hint { "For \"Snoozed\", in your timezone (" (ctx.tz()) ")." }
                            }
                            (error(forms, "snoozed_until", "snooze-until"))
                        }
                        button.small type="submit" { "Save status" }
                    }
                    form #priority-form .control-form method="post" action=(action("priority")) data-inline {
                        (ui::csrf(csrf))
                        input type="hidden" name="back" value=(back);
                        div.field.has-error[forms.errors.get("priority").is_some()] {
                            label for="priority-select" { "Priority" }
                            select #priority-select name="priority" aria-describedby=[described(forms, "priority", "priority-select")] {
                                @for p in ConversationPriority::ALL {
                                    option value=(p.as_str()) selected[*p == c.priority] { (ui::capitalize(p.as_str())) }
                                }
                            }
                            (error(forms, "priority", "priority-select"))
                        }
                        button.small type="submit" { "Save priority" }
                    }
                }
            }
            form #unread-form method="post" action=(action("unread")) data-inline {
                (ui::csrf(csrf))
                input type="hidden" name="back" value=(back);
                button.small.ghost type="submit" { "Mark unread" }
            }
        }
    }
}
