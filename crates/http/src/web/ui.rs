//! Small building blocks every page uses: form fields with their errors, buttons, status
//! badges, empty states, icons, times in the viewer's timezone.

use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped};
use sellcast_domain::{Platform, ValidationErrors};

/// The hidden field every form carries.
pub const CSRF_FIELD: &str = "_csrf";

/// The hidden CSRF field of a form.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

/// Field errors from a use case, looked up by field name.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<(String, String)>);

impl Errors {
    pub fn from_validation(e: &ValidationErrors) -> Errors {
        Errors(e.0.iter().map(|f| (f.field.clone(), f.message.clone())).collect())
    }

    pub fn one(field: &str, message: impl Into<String>) -> Errors {
        Errors(vec![(field.to_string(), message.into())])
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An input with its label, hint and error; the error is tied to the input for screen readers.
pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    pub autocomplete: Option<&'a str>,
    pub required: bool,
}

impl<'a> Field<'a> {
    pub fn new(name: &'a str, label: &'a str) -> Field<'a> {
        Field { name, label, kind: "text", value: "", hint: None, autocomplete: None, required: true }
    }
    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }
    pub fn value(mut self, value: &'a str) -> Self {
        self.value = value;
        self
    }
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }
    pub fn autocomplete(mut self, a: &'a str) -> Self {
        self.autocomplete = Some(a);
        self
    }
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn render(&self, errors: &Errors) -> Markup {
        let id = format!("f-{}", self.name);
        let error = errors.get(self.name);
        let described = match (self.hint.is_some(), error.is_some()) {
            (_, true) => Some(format!("{id}-error")),
            (true, false) => Some(format!("{id}-hint")),
            _ => None,
        };
        html! {
            div.field.has-error[error.is_some()] {
                label for=(id) { (self.label) @if !self.required { span.muted { " (optional)" } } }
                input id=(id) name=(self.name) type=(self.kind) value=(self.value)
                    required[self.required] autocomplete=[self.autocomplete]
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
                @if let Some(m) = error {
                    p.field-error id={ (id) "-error" } { (capitalize(m)) }
                } @else if let Some(h) = self.hint {
                    p.hint id={ (id) "-hint" } { (h) }
                }
            }
        }
    }
}

/// "invalid input: x" → "Invalid input: x".
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The message above a form when something in it is wrong.
pub fn form_errors(errors: &Errors, general: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = general {
            div.alert.error role="alert" { (m) }
        } @else if !errors.is_empty() {
            div.alert.error role="alert" { "Please correct the highlighted fields." }
        }
    }
}

/// A coloured badge for a post's or a variant's status.
pub fn status_badge(status: impl AsRef<str>) -> Markup {
    let status = status.as_ref();
    let label = status.replace('_', " ");
    html! { span class={ "badge status-" (status) } data-status=(status) { (label) } }
}

/// A status badge the live updates find as the post's own (`data-post-status`).
pub fn post_badge(status: impl AsRef<str>) -> Markup {
    let status = status.as_ref();
    html! { span class={ "badge status-" (status) } data-status=(status) data-post-status { (status.replace('_', " ")) } }
}

pub fn platform_label(p: &str) -> &str {
    p.parse::<Platform>().map(Platform::label).unwrap_or(p)
}

/// The first line of a text, cut to `max` characters (for tables and titles).
pub fn excerpt(text: &str, max: usize) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    if line.is_empty() {
        "(no text)".into()
    } else {
        shorten(line, max)
    }
}

/// The start of a text, cut to `max` characters (for cards and calendar chips).
pub fn snippet(text: &str, max: usize) -> String {
    let t = text.trim();
    if t.is_empty() {
        "(no text)".into()
    } else {
        shorten(t, max)
    }
}

/// `s` cut to `max` characters, with "…" when something was cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

pub fn empty_state(title: &str, text: &str, action: Option<(&str, &str)>) -> Markup {
    html! {
        div.empty-state {
            (icon("sparkle"))
            h2 { (title) }
            p { (text) }
            @if let Some((label, href)) = action {
                a.button.primary href=(href) { (label) }
            }
        }
    }
}

/// The viewer's timezone (UTC when the profile holds something unreadable).
pub fn zone(tz: &str) -> chrono_tz::Tz {
    tz.parse().unwrap_or(chrono_tz::UTC)
}

/// A time in the viewer's timezone, with the exact UTC instant for machines and tooltips.
pub fn time(at: DateTime<Utc>, tz: &str) -> Markup {
    let local = at.with_timezone(&zone(tz));
    html! { time datetime=(at.to_rfc3339()) title=(at.format("%Y-%m-%d %H:%M UTC")) { (local.format("%a %-d %b %Y, %H:%M")) } }
}

pub fn initials(name: &str) -> String {
    let s: String = name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
    if s.is_empty() {
        "?".into()
    } else {
        s.to_uppercase()
    }
}

pub fn chevron() -> Markup {
    svg(r#"<path d="M6 9l6 6 6-6"/>"#)
}

pub fn bell_icon() -> Markup {
    svg(r#"<path d="M6 8a6 6 0 1 1 12 0c0 7 3 8 3 8H3s3-1 3-8"/><path d="M10 20a2 2 0 0 0 4 0"/>"#)
}

/// A line icon from the product's own small set.
pub fn icon(name: &str) -> Markup {
    let paths = match name {
        "home" => r#"<path d="M3 11l9-8 9 8"/><path d="M5 10v10h14V10"/>"#,
        "inbox" => r#"<path d="M3 13h5l1 3h6l1-3h5"/><path d="M5 5h14l2 8v6H3v-6z"/>"#,
        "pen" => r#"<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="M14 6l4 4"/>"#,
        "calendar" => r#"<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4M16 3v4"/>"#,
        "list" => {
            r#"<path d="M8 6h13M8 12h13M8 18h13"/><circle cx="4" cy="6" r="1"/><circle cx="4" cy="12" r="1"/><circle cx="4" cy="18" r="1"/>"#
        }
        "link" => {
            r#"<path d="M10 14a4 4 0 0 0 6 0l3-3a4 4 0 0 0-6-6l-1 1"/><path d="M14 10a4 4 0 0 0-6 0l-3 3a4 4 0 0 0 6 6l1-1"/>"#
        }
        "settings" => {
            r#"<circle cx="12" cy="12" r="3"/><path d="M12 2v3M12 19v3M2 12h3M19 12h3M5 5l2 2M17 17l2 2M5 19l2-2M17 7l2-2"/>"#
        }
        "cog" => r#"<rect x="4" y="4" width="16" height="16" rx="3"/><path d="M9 9h6v6H9z"/>"#,
        "sparkle" => r#"<path d="M12 3l2 6 6 2-6 2-2 6-2-6-6-2 6-2z"/>"#,
        _ => r#"<circle cx="12" cy="12" r="9"/>"#,
    };
    svg(paths)
}

fn svg(paths: &str) -> Markup {
    html! {
        svg.icon viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false" {
            (PreEscaped(paths))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn excerpts_cut_at_a_character_boundary() {
        assert_eq!(super::excerpt("\n  héllo wörld\nsecond", 5), "héllo…");
        assert_eq!(super::excerpt("", 5), "(no text)");
        assert_eq!(super::snippet("  héllo\nwörld ", 7), "héllo\nw…");
        assert_eq!(super::snippet(" \n ", 7), "(no text)");
        assert_eq!(super::shorten("héllo", 5), "héllo");
    }
}
