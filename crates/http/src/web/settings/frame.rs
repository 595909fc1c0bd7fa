//! The frame of every settings page: the heading with the workspace and the viewer's role,
//! and the tabs (those a role cannot use are left out).

use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use maud::{html, Markup};
use sellcast_domain::Permission;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    General,
    Members,
    Clients,
    Audit,
}

fn tabs(scope: &OrgScope, active: Tab) -> Markup {
    let mut items = vec![(Tab::General, "", "General"), (Tab::Members, "/members", "Members")];
    if scope.shell.can(Permission::ClientRead) {
        items.push((Tab::Clients, "/clients", "Clients"));
    }
    if scope.shell.can(Permission::AuditView) {
        items.push((Tab::Audit, "/audit", "Audit log"));
    }
    html! {
        nav.tabs aria-label="Settings sections" {
            @for (tab, rest, label) in items {
                a.tab href=(scope.path(&format!("/settings{rest}"))) aria-current=[(tab == active).then_some("page")] { (label) }
            }
        }
    }
}

/// A settings page: the heading, the tabs, the content.
pub fn page(scope: &OrgScope, tab: Tab, title: &str, content: Markup) -> Markup {
    let body = html! {
        div.page-head {
            div {
                h1 { "Settings" }
                p.muted { (scope.org.name) " · your role: " (scope.role) }
            }
        }
        (tabs(scope, tab))
        (content)
    };
    layout::page_with(&scope.shell, Nav::Settings, title, body, &["settings.css"])
}
