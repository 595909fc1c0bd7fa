//! First run: create a workspace, connect a first channel (the sandbox in one click), write
//! and schedule a first post. The checklist reads the workspace's real state.

use super::error::WebResult;
use super::layout::{self, Nav};
use super::scope::Signed;
use super::session::{redirect_with_flash, Form, Nothing};
use super::ui::{self, Errors, Field};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use sellcast_app::channels::ChannelQuery;
use sellcast_app::channels::{self, connect};
use sellcast_app::posts::PostQuery;
use sellcast_app::{orgs, posts, AppError};
use sellcast_domain::pagination::Page;
use sellcast_domain::{Platform, PostStatus};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ShowQuery {
    new: Option<String>,
}

fn create_org_form(s: &Signed, name: &str, errors: &Errors) -> Markup {
    html! {
        section.card.narrow {
            h2 { "Create a workspace" }
            p.muted { "A workspace holds your channels, posts and team. Agencies often make one per client group." }
            (ui::form_errors(errors, None))
            form method="post" action="/onboarding" novalidate {
                (ui::csrf(&s.shell.csrf))
                (Field::new("name", "Workspace name").value(name).autocomplete("organization").render(errors))
                button.primary type="submit" { "Create workspace" }
            }
        }
    }
}

struct Step<'a> {
    done: bool,
    title: &'a str,
    text: &'a str,
    action: Markup,
}

fn checklist(steps: &[Step<'_>]) -> Markup {
    html! {
        ol.checklist {
            @for (i, s) in steps.iter().enumerate() {
                li.step.done[s.done] {
                    span.step-mark aria-hidden="true" { @if s.done { "✓" } @else { (i + 1) } }
                    div.step-body {
                        h3 { (s.title) @if s.done { span.visually-hidden { " (done)" } } }
                        p.muted { (s.text) }
                        @if !s.done { (s.action) }
                    }
                }
            }
        }
    }
}

pub async fn show(State(state): State<AppState>, s: Signed, Query(q): Query<ShowQuery>) -> WebResult<Markup> {
    let Some((org_id, org_name)) = s.shell.orgs.first().cloned().filter(|_| q.new.is_none()) else {
        let body = html! {
            div.page-head { h1 { "Welcome to Sellcast, " (s.viewer.user.name) } }
            (create_org_form(&s, "", &Errors::default()))
        };
        return Ok(layout::page(&s.shell, Nav::Onboarding, "Get started", body));
    };
    let app = &state.app;
    let (chans, _) = channels::list(app, &s.viewer.actor, &org_id, &ChannelQuery::default(), &Page::first(1)).await?;
    let scheduled = PostQuery {
        statuses: vec![PostStatus::Scheduled, PostStatus::Publishing, PostStatus::Published],
        ..Default::default()
    };
    let (sent, _) = posts::list(app, &s.viewer.actor, &org_id, &scheduled, &Page::first(1)).await?;
    let steps = [
        Step { done: true, title: "Create your workspace", text: "Done: your workspace is ready.", action: html! {} },
        Step {
            done: !chans.is_empty(),
            title: "Connect a channel",
            text: "Connect Instagram, Bluesky, Mastodon and more, or try everything with the sandbox: it publishes inside Sellcast.",
            action: html! {
                div.actions {
                    form method="post" action={ "/onboarding/" (org_id) "/sandbox" } {
                        (ui::csrf(&s.shell.csrf))
                        button.primary type="submit" { "Connect the sandbox (one click)" }
                    }
                    a.button href={ "/o/" (org_id) "/channels" } { "Connect a real account" }
                }
            },
        },
        Step {
            done: !sent.is_empty(),
            title: "Write and schedule your first post",
            text: "Write once, adapt per channel, pick a time. Sellcast publishes it on time, exactly once.",
            action: html! { a.button.primary href={ "/o/" (org_id) "/compose" } { "Write a post" } },
        },
    ];
    let all_done = steps.iter().all(|s| s.done);
    let body = html! {
        div.page-head {
            h1 { "Get started with " (org_name) }
            p.muted { "Three steps to your first scheduled post." }
        }
        section.card { (checklist(&steps)) }
        @if all_done {
            div.alert.success role="status" { "All set. " a href={ "/o/" (org_id) } { "Go to your dashboard" } }
        }
    };
    Ok(layout::page(&s.shell, Nav::Onboarding, "Get started", body))
}

#[derive(Deserialize)]
pub struct CreateOrg {
    #[serde(default)]
    name: String,
}

pub async fn create_org(State(state): State<AppState>, s: Signed, Form(f): Form<CreateOrg>) -> WebResult<Response> {
    match orgs::create(&state.app, &s.viewer.actor, &f.name).await {
        Ok(org) => Ok(redirect_with_flash(&state, "/onboarding", &format!("Workspace {} created.", org.name))),
        Err(AppError::Validation(e)) => {
            let body = create_org_form(&s, &f.name, &Errors::from_validation(&e));
            Ok(layout::page(&s.shell, Nav::Onboarding, "Get started", body).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// One click: a sandbox channel in the workspace, back to the checklist.
pub async fn connect_sandbox(
    State(state): State<AppState>,
    s: Signed,
    Path(org_id): Path<String>,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    let input =
        connect::ConnectInput { platform: Some(Platform::Sandbox), name: Some("Sandbox".into()), ..Default::default() };
    connect::start(&state.app, &s.viewer.actor, &org_id, input, None).await?;
    Ok(redirect_with_flash(&state, "/onboarding", "Sandbox connected. Posts to it appear inside Sellcast."))
}
