//! The page shells: the signed-in application frame (top bar, navigation, notifications bell)
//! and the bare frame of sign-in pages and error pages.

use super::assets;
use super::ui;
use maud::{html, Markup, DOCTYPE};
use sellcast_domain::{Permission, Role};

/// Where a page sits in the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Dashboard,
    Inbox,
    Compose,
    Calendar,
    Posts,
    Channels,
    Settings,
    Notifications,
    Account,
    Admin,
    Onboarding,
    /// Instance admin → inbound events.
    AdminInbound,
}

/// The workspace a page belongs to.
#[derive(Clone)]
pub struct OrgNav {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// Everything the frame shows around a page.
pub struct Shell {
    pub user_name: String,
    pub user_email: String,
    pub is_instance_admin: bool,
    pub csrf: String,
    pub flash: Option<String>,
    pub org: Option<OrgNav>,
    /// (id, name) of every workspace the user belongs to, for the switcher.
    pub orgs: Vec<(String, String)>,
    pub unread: i64,
    pub timezone: String,
}

impl Shell {
    /// Whether the viewer's role in this page's workspace allows `p`.
    pub fn can(&self, p: Permission) -> bool {
        self.org.as_ref().is_some_and(|o| o.role.can(p))
    }

    /// A path inside the current workspace (or the root when there is none).
    pub fn org_path(&self, rest: &str) -> String {
        match &self.org {
            Some(o) => format!("/o/{}{rest}", o.id),
            None => match self.orgs.first() {
                Some((id, _)) => format!("/o/{id}{rest}"),
                None => "/onboarding".into(),
            },
        }
    }
}

fn head(title: &str, extras: &[&str]) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="color-scheme" content="light dark";
            title { (title) " · Sellcast" }
            link rel="stylesheet" href=(assets::url("app.css"));
            script src=(assets::url("app.js")) defer {}
            @for file in extras {
                @if file.ends_with(".css") { link rel="stylesheet" href=(assets::url(file)); }
                @else { script src=(assets::url(file)) defer {} }
            }
        }
    }
}

/// A signed-in page: the frame, the flash message, the title, the content.
pub fn page(shell: &Shell, active: Nav, title: &str, content: Markup) -> Markup {
    page_with(shell, active, title, content, &[])
}

/// A signed-in page that also loads page stylesheets and scripts (file names under `assets/`,
/// e.g. `["calendar.css", "calendar.js"]`).
pub fn page_with(shell: &Shell, active: Nav, title: &str, content: Markup, extras: &[&str]) -> Markup {
    let org_id = shell.org.as_ref().map(|o| o.id.as_str()).unwrap_or("");
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, extras))
            body data-org=(org_id) data-csrf=(shell.csrf) data-timezone=(shell.timezone) {
                a.skip-link href="#main" { "Skip to content" }
                div.app {
                    (topbar(shell))
                    (sidebar(shell, active))
                    main #main .content tabindex="-1" {
                        @if let Some(message) = &shell.flash {
                            div.flash role="status" { (message) }
                        }
                        (content)
                    }
                }
                div #toasts .toasts aria-live="polite" {}
            }
        }
    }
}

fn topbar(shell: &Shell) -> Markup {
    let current = shell.org.as_ref().map(|o| o.name.as_str()).unwrap_or("Choose a workspace");
    html! {
        header.topbar {
            a.brand href="/" { span.logo aria-hidden="true" { "S" } span.brand-name { "Sellcast" } }
            details.menu.org-switcher {
                summary { span.visually-hidden { "Workspace: " } span.truncate { (current) } (ui::chevron()) }
                div.menu-items {
                    @for (id, name) in &shell.orgs {
                        a href={ "/o/" (id) } aria-current=[shell.org.as_ref().filter(|o| &o.id == id).map(|_| "true")] { (name) }
                    }
                    a.menu-action href="/onboarding?new=1" { "+ New workspace" }
                }
            }
            div.topbar-end {
                a.bell href="/notifications" aria-label={ "Notifications, " (shell.unread) " unread" } {
                    (ui::bell_icon())
                    span.count #bell-count hidden[shell.unread == 0] { (shell.unread) }
                }
                details.menu.user-menu {
                    summary { span.visually-hidden { "Account menu" } span.avatar aria-hidden="true" { (ui::initials(&shell.user_name)) } }
                    div.menu-items.right {
                        div.menu-who { strong { (shell.user_name) } span.muted { (shell.user_email) } }
                        a href="/account" { "Account settings" }
                        @if shell.is_instance_admin { a href="/admin/jobs" { "Instance admin" } }
                        form method="post" action="/signout" {
                            (ui::csrf(&shell.csrf))
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
            }
        }
    }
}

fn sidebar(shell: &Shell, active: Nav) -> Markup {
    let item = |nav: Nav, href: String, label: &str, icon: Markup| {
        html! {
            a.nav-item href=(href) aria-current=[(nav == active).then_some("page")] { (icon) span { (label) } }
        }
    };
    html! {
        nav.sidebar aria-label="Main" {
            @if shell.org.is_some() || !shell.orgs.is_empty() {
                (item(Nav::Dashboard, shell.org_path(""), "Dashboard", ui::icon("home")))
                (item(Nav::Inbox, shell.org_path("/inbox"), "Inbox", ui::icon("inbox")))
                @if shell.org.is_none() || shell.can(Permission::PostCreate) {
                    (item(Nav::Compose, shell.org_path("/compose"), "Compose", ui::icon("pen")))
                }
                (item(Nav::Calendar, shell.org_path("/calendar"), "Calendar", ui::icon("calendar")))
                (item(Nav::Posts, shell.org_path("/posts"), "Posts", ui::icon("list")))
                (item(Nav::Channels, shell.org_path("/channels"), "Channels", ui::icon("link")))
                (item(Nav::Settings, shell.org_path("/settings"), "Settings", ui::icon("settings")))
            } @else {
                (item(Nav::Onboarding, "/onboarding".into(), "Get started", ui::icon("home")))
            }
            @if shell.is_instance_admin {
                (item(Nav::Admin, "/admin/jobs".into(), "Jobs", ui::icon("cog")))
                (item(Nav::AdminInbound, "/admin/inbound-events".into(), "Inbound events", ui::icon("inbox")))
            }
        }
    }
}

/// A page outside the application frame: sign-in, sign-up, errors.
pub fn bare(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, &[]))
            body.bare {
                main #main .bare-main {
                    a.brand.bare-brand href="/" { span.logo aria-hidden="true" { "S" } span.brand-name { "Sellcast" } }
                    (content)
                }
            }
        }
    }
}
