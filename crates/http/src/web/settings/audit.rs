//! Settings → Audit log: who did what in the workspace, newest first, in the viewer's
//! timezone, filtered by action and actor, a page at a time.

use super::frame::{self, Tab};
use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::scope::OrgScope;
use crate::web::ui;
use axum::extract::{Query, State};
use maud::{html, Markup};
use sellcast_app::{audit, orgs};
use sellcast_domain::pagination::Page;
use sellcast_domain::Permission;
use serde::Deserialize;
use std::collections::HashMap;

const PAGE_SIZE: u32 = 50;
/// Members looked up to name actors (and offered in the actor filter).
const MEMBERS_MAX: u32 = 200;
/// Characters of an entry's changes shown in the table.
const CHANGES_SHOWN: usize = 160;

/// Actions offered as suggestions in the filter (any action can be typed).
const KNOWN_ACTIONS: &[&str] = &[
    "organization.create",
    "organization.update",
    "invite.create",
    "invite.revoke",
    "invite.accept",
    "member.role_change",
    "member.remove",
    "member.leave",
    "client.create",
    "client.update",
    "client.delete",
    "channel.connect",
    "channel.reconnect",
    "channel.update",
    "channel.disconnect",
    "post.create",
    "post.update",
    "post.schedule",
    "post.unschedule",
    "post.publish_now",
    "post.retry",
    "post.delete",
    "media.upload",
    "media.delete",
];

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    cursor: Option<String>,
}

pub async fn show(State(state): State<AppState>, scope: OrgScope, Query(q): Query<AuditQuery>) -> WebResult<Markup> {
    scope.require(Permission::AuditView)?;
    let app = &state.app;
    let action = q.action.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let actor = q.actor.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let filter =
        audit::AuditQuery { action: action.map(String::from), actor_id: actor.map(String::from), ..Default::default() };
    let page = Page { limit: PAGE_SIZE, before: q.cursor.clone().filter(|c| !c.is_empty()) };
    let (rows, next) = audit::list(app, scope.actor(), scope.org_id(), filter, &page).await?;
    let (members, _) = orgs::members(app, scope.actor(), scope.org_id(), &Page::first(MEMBERS_MAX)).await?;
    let names: HashMap<&str, &str> = members.iter().map(|m| (m.user_id.as_str(), m.name.as_str())).collect();
    let base = scope.path("/settings/audit");
    let next_href = next.map(|c| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(a) = action {
            qs.append_pair("action", a);
        }
        if let Some(a) = actor {
            qs.append_pair("actor", a);
        }
        qs.append_pair("cursor", &c);
        format!("{base}?{}", qs.finish())
    });
    let tz = &scope.shell.timezone;
    let content = html! {
        section.card aria-labelledby="audit-heading" {
            h2 #audit-heading { "Audit log" }
            form.filters method="get" action=(base) {
                div.field {
                    label for="audit-action" { "Action" }
                    input #audit-action type="text" name="action" list="audit-actions" value=(action.unwrap_or(""))
                        placeholder="e.g. invite.create";
                    datalist #audit-actions { @for a in KNOWN_ACTIONS { option value=(a) {} } }
                }
                div.field {
                    label for="audit-actor" { "Actor" }
                    select #audit-actor name="actor" {
                        option value="" { "Anyone" }
                        @for m in &members {
                            option value=(m.user_id) selected[actor == Some(m.user_id.as_str())] { (m.name) " (" (m.email) ")" }
                        }
                    }
                }
                div.actions {
                    button type="submit" { "Filter" }
                    @if action.is_some() || actor.is_some() { a.button.ghost href=(base) { "Clear" } }
                }
            }
            @if rows.is_empty() {
                p.muted { "Nothing recorded" @if action.is_some() || actor.is_some() { " matches these filters" } "." }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label="Audit log" {
                    table #audit-table {
                        thead { tr {
                            th scope="col" { "Time" } th scope="col" { "Actor" } th scope="col" { "Action" }
                            th scope="col" { "Entity" } th scope="col" { "Details" }
                        } }
                        tbody {
                            @for r in &rows {
                                tr {
                                    td.nowrap { (ui::time(r.created_at, tz)) }
                                    td {
                                        @match r.actor_id.as_deref() {
                                            Some(id) => { (names.get(id).copied().unwrap_or("Former member")) }
                                            None => { span.muted { "System" } }
                                        }
                                    }
                                    td { code { (r.action) } }
                                    td { (r.entity_type) @if let Some(id) = &r.entity_id { br; span.muted.mono { (id) } } }
                                    td.changes { code { (ui::shorten(&r.changes.to_string(), CHANGES_SHOWN)) } }
                                }
                            }
                        }
                    }
                }
                @if let Some(href) = next_href {
                    a.button href=(href) { "Older entries" }
                }
            }
        }
    };
    Ok(frame::page(&scope, Tab::Audit, "Audit log", content))
}
