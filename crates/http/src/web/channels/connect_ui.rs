//! The connect part of the Channels page: a card per platform (one click for the sandbox,
//! handle + app password for Bluesky, the server for Mastodon, OAuth for the rest), the
//! "Continue to the platform" page, and the Bluesky reconnect form.

use crate::state::AppState;
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use crate::web::session::redirect_with_flash;
use crate::web::ui::{self, Errors};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use sellcast_app::channels::connect::{ConnectInput, Started};
use sellcast_app::channels::Channel;
use sellcast_app::platforms::{configured_app, missing_settings};
use sellcast_app::AppError;
use sellcast_domain::Platform;
use serde::Deserialize;

/// The fields of every connect form (each platform uses some of them).
#[derive(Deserialize, Default)]
pub struct ConnectForm {
    pub identifier: Option<String>,
    pub app_password: Option<String>,
    pub server_url: Option<String>,
    pub name: Option<String>,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    pub access_token: Option<String>,
}

fn filled(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl ConnectForm {
    pub fn input(&self, platform: Option<Platform>, back_to: String) -> ConnectInput {
        ConnectInput {
            platform,
            client_id: None,
            server_url: filled(&self.server_url),
            identifier: filled(&self.identifier),
            // Passwords are taken as typed.
            app_password: self.app_password.clone().filter(|p| !p.is_empty()),
            name: filled(&self.name),
            phone_number_id: filled(&self.phone_number_id),
            waba_id: filled(&self.waba_id),
            // Tokens are taken as typed.
            access_token: self.access_token.clone().filter(|t| !t.is_empty()),
            redirect_after: Some(back_to),
        }
    }
}

/// A connect form shown again with what went wrong (never the password).
pub struct FormState {
    pub platform: Platform,
    pub errors: Errors,
    pub general: Option<String>,
    pub identifier: String,
    pub server_url: String,
    pub phone_number_id: String,
    pub waba_id: String,
}

impl FormState {
    pub fn blank(platform: Platform) -> FormState {
        FormState {
            platform,
            errors: Errors::default(),
            general: None,
            identifier: String::new(),
            server_url: String::new(),
            phone_number_id: String::new(),
            waba_id: String::new(),
        }
    }

    /// The form's state after `e`; None when the error is not about what the user typed.
    pub fn from_error(platform: Platform, f: &ConnectForm, e: &AppError) -> Option<FormState> {
        let mut state = FormState {
            identifier: filled(&f.identifier).unwrap_or_default(),
            server_url: filled(&f.server_url).unwrap_or_default(),
            phone_number_id: filled(&f.phone_number_id).unwrap_or_default(),
            waba_id: filled(&f.waba_id).unwrap_or_default(),
            ..FormState::blank(platform)
        };
        match e {
            AppError::Validation(v) => {
                let mut general = Vec::new();
                for (field, message) in Errors::from_validation(v).0 {
                    // The platform refusing the login is about the app password.
                    let field = match (field.as_str(), platform) {
                        ("credentials", Platform::Whatsapp) => "access_token".to_string(),
                        ("credentials", _) => "app_password".to_string(),
                        _ => field,
                    };
                    let known = [
                        "identifier",
                        "app_password",
                        "server_url",
                        "name",
                        "phone_number_id",
                        "waba_id",
                        "access_token",
                    ];
                    if known.contains(&field.as_str()) {
                        state.errors.0.push((field, message));
                    } else {
                        general.push(crate::web::ui::capitalize(&message));
                    }
                }
                state.general = (!general.is_empty()).then(|| general.join(". "));
            }
            // The server the user typed (or the default PDS) is the likely culprit.
            AppError::Platform(m) if matches!(platform, Platform::Mastodon | Platform::Bluesky) => {
                state.errors.0.push(("server_url".into(), m.clone()));
            }
            AppError::Platform(m) => {
                state.general = Some(format!("{} could not be reached or failed: {m}", platform.label()));
            }
            AppError::Conflict(m) => state.general = Some(crate::web::ui::capitalize(m)),
            _ => return None,
        }
        Some(state)
    }
}

/// An input with label, hint and error; ids carry the platform so forms can share names.
#[allow(clippy::too_many_arguments)]
fn input(
    p: Platform,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    hint: Option<&str>,
    required: bool,
    errors: &Errors,
) -> Markup {
    let id = format!("f-{}-{name}", p.as_str());
    let error = errors.get(name);
    let described = match (error, hint) {
        (Some(_), _) => Some(format!("{id}-error")),
        (None, Some(_)) => Some(format!("{id}-hint")),
        _ => None,
    };
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) @if !required { span.muted { " (optional)" } } }
            input id=(id) name=(name) type=(kind) value=(value) required[required]
                autocomplete=[(kind == "password").then_some("off")]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
            @if let Some(m) = error {
                p.field-error id={ (id) "-error" } { (crate::web::ui::capitalize(m)) }
            } @else if let Some(h) = hint {
                p.hint id={ (id) "-hint" } { (h) }
            }
        }
    }
}

fn blurb(p: Platform) -> &'static str {
    match p {
        Platform::Sandbox => {
            "A practice network inside Sellcast: try scheduling and publishing without a real account."
        }
        Platform::Bluesky => "Sign in with your handle and an app password (Bluesky → Settings → App passwords).",
        Platform::Mastodon => "Enter your server; you then approve Sellcast there.",
        Platform::X => "Approve Sellcast on X to post from your account.",
        Platform::Linkedin => "Approve Sellcast on LinkedIn to post as you.",
        Platform::Facebook => "Approve Sellcast on Facebook to post to your Pages.",
        Platform::Instagram => "Approve Sellcast through Facebook to post to your Instagram professional accounts.",
        Platform::Threads => "Approve Sellcast on Threads to post from your profile.",
        Platform::Whatsapp => {
            "Answer customers on WhatsApp from the inbox: your number's id, its WhatsApp Business Account id \
             and a system user's token (WhatsApp Manager → API setup)."
        }
    }
}

/// The "Connect a channel" card.
pub fn section(state: &AppState, scope: &OrgScope, form: Option<&FormState>) -> Markup {
    let config = &state.app.config;
    let blank = |p| FormState::blank(p);
    html! {
        section.card aria-labelledby="connect-heading" {
            h2 #connect-heading { "Connect a channel" }
            div.platform-grid {
                @for p in Platform::ALL {
                    @let own = form.filter(|f| f.platform == p);
                    @let fallback = blank(p);
                    @let st = own.unwrap_or(&fallback);
                    @let action = scope.path(&format!("/channels/connect/{}", p.as_str()));
                    article.platform-card id={ "connect-" (p.as_str()) } {
                        h3 { (p.label()) }
                        p.muted { (blurb(p)) }
                        @if let Some(g) = &st.general {
                            div.alert.error role="alert" { (g) }
                        }
                        form method="post" action=(action) novalidate {
                            (ui::csrf(&scope.shell.csrf))
                            @match p {
                                Platform::Sandbox => {
                                    button.primary type="submit" { "Connect the sandbox" }
                                }
                                Platform::Bluesky => {
                                    (input(p, "identifier", "Handle", "text", &st.identifier, Some("e.g. alice.bsky.social"), true, &st.errors))
                                    (input(p, "app_password", "App password", "password", "", Some("Not your account password."), true, &st.errors))
                                    (input(p, "server_url", "PDS address", "url", &st.server_url, Some(&format!("Leave empty for {}.", config.bluesky_server)), false, &st.errors))
                                    button.primary type="submit" { "Connect Bluesky" }
                                }
                                Platform::Whatsapp => {
                                    (input(p, "phone_number_id", "Phone number ID", "text", &st.phone_number_id, Some("Digits, from WhatsApp Manager → API setup."), true, &st.errors))
                                    (input(p, "waba_id", "WhatsApp Business Account ID", "text", &st.waba_id, None, true, &st.errors))
                                    (input(p, "access_token", "System user access token", "password", "", Some("Stored encrypted; never shown again."), true, &st.errors))
                                    button.primary type="submit" { "Connect WhatsApp" }
                                }
                                Platform::Mastodon => {
                                    (input(p, "server_url", "Your server", "text", &st.server_url, Some("e.g. mastodon.social"), true, &st.errors))
                                    button.primary type="submit" { "Continue to your server" }
                                }
                                _ => {
                                    @if configured_app(config, p).is_some() {
                                        button.primary type="submit" { "Connect " (p.label()) }
                                    } @else {
                                        @let hint_id = format!("hint-{}", p.as_str());
                                        button.primary type="submit" disabled aria-describedby=(hint_id) { "Connect " (p.label()) }
                                        p.hint id=(hint_id) {
                                            "Not set up on this server: the operator must set " code { (missing_settings(p)) } "."
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What connecting answered: connected at once (back to the list), or a page leading to
/// the platform's consent screen.
pub fn started(state: &AppState, scope: &OrgScope, platform: Platform, started: Started) -> Response {
    match started {
        Started::Connected(rows) => {
            let names: Vec<&str> = rows.iter().map(|r| r.handle.as_str()).collect();
            let message = match names.len() {
                0 => format!("{} answered, but no account came back.", platform.label()),
                _ => format!("Connected {}.", names.join(", ")),
            };
            redirect_with_flash(state, &scope.path("/channels"), &message)
        }
        Started::Authorize { authorize_url, expires_at } => {
            let body = html! {
                section.card.narrow.continue-card {
                    h1 { "Continue to " (platform.label()) }
                    p { (platform.label()) " asks you to approve Sellcast. Afterwards it sends you back here." }
                    p.muted { "This link works until " (ui::time(expires_at, &scope.shell.timezone)) "." }
                    div.actions {
                        a.button.primary href=(authorize_url) data-continue rel="noreferrer" { "Continue to " (platform.label()) }
                        a.button href=(scope.path("/channels")) { "Cancel" }
                    }
                }
            };
            let title = format!("Continue to {}", platform.label());
            layout::page_with(&scope.shell, Nav::Channels, &title, body, &["settings.css", "channels.js"])
                .into_response()
        }
    }
}

/// Reconnecting a Bluesky channel takes a new app password.
pub fn bluesky_reconnect_page(scope: &OrgScope, row: &Channel, st: &FormState) -> Markup {
    let p = Platform::Bluesky;
    let identifier = if st.identifier.is_empty() { row.handle.as_str() } else { st.identifier.as_str() };
    let body = html! {
        div.page-head { h1 { "Reconnect " (row.handle) } }
        section.card.narrow {
            p { "Bluesky needs a new app password to reconnect this account (Bluesky → Settings → App passwords)." }
            @if let Some(g) = &st.general {
                div.alert.error role="alert" { (g) }
            }
            form method="post" action=(scope.path(&format!("/channels/{}/reconnect", row.id))) novalidate {
                (ui::csrf(&scope.shell.csrf))
                (input(p, "identifier", "Handle", "text", identifier, None, true, &st.errors))
                (input(p, "app_password", "App password", "password", "", Some("Not your account password."), true, &st.errors))
                div.actions {
                    button.primary type="submit" { "Reconnect" }
                    a.button href=(scope.path("/channels")) { "Cancel" }
                }
            }
        }
    };
    layout::page_with(&scope.shell, Nav::Channels, "Reconnect Bluesky", body, &["settings.css"])
}
