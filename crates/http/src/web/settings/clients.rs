//! Settings → Clients: the brands or customers the workspace manages (list, search, create,
//! edit, archive, delete).

use super::frame::{self, Tab};
use crate::state::AppState;
use crate::web::error::{user_error, WebResult};
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form, Nothing};
use crate::web::ui::{self, Errors, Field};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use sellcast_app::clients::Client;
use sellcast_app::clients::{self, ClientInput};
use sellcast_app::AppError;
use sellcast_domain::pagination::Page;
use sellcast_domain::Permission;
use serde::Deserialize;

const PAGE_SIZE: u32 = 50;

/// The client form's fields, as typed.
#[derive(Deserialize, Default)]
pub struct ClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    notes: String,
    /// A checkbox: present when ticked.
    archived: Option<String>,
}

impl ClientForm {
    fn of(c: &Client) -> ClientForm {
        ClientForm {
            name: c.name.clone(),
            email: c.email.clone().unwrap_or_default(),
            phone: c.phone.clone().unwrap_or_default(),
            website: c.website.clone().unwrap_or_default(),
            notes: c.notes.clone(),
            archived: c.archived.then(|| "on".into()),
        }
    }

    /// Empty optional fields clear the value.
    fn input(&self) -> ClientInput {
        let opt = |s: &str| Some(Some(s.trim().to_string()).filter(|s| !s.is_empty()));
        ClientInput {
            name: Some(self.name.clone()),
            email: opt(&self.email),
            phone: opt(&self.phone),
            website: opt(&self.website),
            notes: Some(self.notes.clone()),
            archived: Some(self.archived.is_some()),
        }
    }
}

fn fields(f: &ClientForm, errors: &Errors, editing: bool) -> Markup {
    let notes_error = errors.get("notes");
    html! {
        (Field::new("name", "Name").value(&f.name).autocomplete("off").render(errors))
        (Field::new("email", "Email").kind("email").value(&f.email).autocomplete("off").optional().render(errors))
        (Field::new("phone", "Phone").kind("tel").value(&f.phone).autocomplete("off").optional().render(errors))
        (Field::new("website", "Website").kind("url").value(&f.website).hint("https://…").optional().render(errors))
        div.field.has-error[notes_error.is_some()] {
            label for="f-notes" { "Notes" span.muted { " (optional)" } }
            textarea #f-notes name="notes" rows="4" aria-invalid=[notes_error.map(|_| "true")]
                aria-describedby=[notes_error.map(|_| "f-notes-error")] { (f.notes) }
            @if let Some(m) = notes_error {
                p.field-error #f-notes-error { (crate::web::ui::capitalize(m)) }
            }
        }
        @if editing {
            div.field.checkbox-field {
                label { input type="checkbox" name="archived" checked[f.archived.is_some()]; " Archived (hidden from pickers)" }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    archived: Option<String>,
    cursor: Option<String>,
}

async fn render_list(
    state: &AppState,
    scope: &OrgScope,
    q: &ListQuery,
    form: &ClientForm,
    errors: &Errors,
) -> WebResult<Markup> {
    let show_archived = q.archived.as_deref().is_some_and(|a| !a.is_empty());
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let page = Page { limit: PAGE_SIZE, before: q.cursor.clone().filter(|c| !c.is_empty()) };
    let archived = if show_archived { None } else { Some(false) };
    let (rows, next) = clients::list(&state.app, scope.actor(), scope.org_id(), archived, search, &page).await?;
    let base = scope.path("/settings/clients");
    let keep = |cursor: &str| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = search {
            qs.append_pair("q", s);
        }
        if show_archived {
            qs.append_pair("archived", "1");
        }
        qs.append_pair("cursor", cursor);
        format!("{base}?{}", qs.finish())
    };
    let content = html! {
        section.card aria-labelledby="clients-heading" {
            h2 #clients-heading { "Clients" }
            form.filters method="get" action=(base) role="search" {
                div.field {
                    label for="client-search" { "Search" }
                    input #client-search type="search" name="q" value=(search.unwrap_or(""));
                }
                label.checkbox-inline { input type="checkbox" name="archived" value="1" checked[show_archived]; " Include archived" }
                button type="submit" { "Filter" }
            }
            @if rows.is_empty() {
                p.muted { @if search.is_some() { "No client matches." } @else { "No clients yet. Clients group channels and posts per brand or customer." } }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label="Clients" {
                    table #clients-table {
                        thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Phone" } th scope="col" { "Website" } } }
                        tbody {
                            @for c in &rows {
                                tr data-client-id=(c.id) {
                                    td {
                                        a href={ (base) "/" (c.id) } { (c.name) }
                                        @if c.archived { " " span.badge { "archived" } }
                                    }
                                    td { (c.email.as_deref().unwrap_or("—")) }
                                    td { (c.phone.as_deref().unwrap_or("—")) }
                                    td { (c.website.as_deref().unwrap_or("—")) }
                                }
                            }
                        }
                    }
                }
                @if let Some(c) = next {
                    a.button href=(keep(&c)) { "More clients" }
                }
            }
        }
        @if scope.shell.can(Permission::ClientManage) {
            section.card.narrow aria-labelledby="new-client-heading" {
                h2 #new-client-heading { "Add a client" }
                (ui::form_errors(errors, None))
                form #client-form method="post" action=(base) novalidate {
                    (ui::csrf(&scope.shell.csrf))
                    (fields(form, errors, false))
                    button.primary type="submit" { "Add client" }
                }
            }
        }
    };
    Ok(frame::page(scope, Tab::Clients, "Clients", content))
}

pub async fn list(State(state): State<AppState>, scope: OrgScope, Query(q): Query<ListQuery>) -> WebResult<Markup> {
    render_list(&state, &scope, &q, &ClientForm::default(), &Errors::default()).await
}

pub async fn create(State(state): State<AppState>, scope: OrgScope, Form(f): Form<ClientForm>) -> WebResult<Response> {
    match clients::create(&state.app, scope.actor(), scope.org_id(), f.input()).await {
        Ok(c) => {
            Ok(redirect_with_flash(&state, &scope.path("/settings/clients"), &format!("Client {} added.", c.name)))
        }
        Err(AppError::Validation(e)) => {
            let errors = Errors::from_validation(&e);
            Ok(render_list(&state, &scope, &ListQuery::default(), &f, &errors).await?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn edit_page(scope: &OrgScope, id: &str, f: &ClientForm, errors: &Errors, general: Option<&str>) -> Markup {
    let action = scope.path(&format!("/settings/clients/{id}"));
    let can_manage = scope.shell.can(Permission::ClientManage);
    let content = html! {
        p { a href=(scope.path("/settings/clients")) { "← All clients" } }
        section.card.narrow aria-labelledby="client-heading" {
            h2 #client-heading { (f.name) }
            @if can_manage {
                (ui::form_errors(errors, general))
                form method="post" action=(action) novalidate {
                    (ui::csrf(&scope.shell.csrf))
                    (fields(f, errors, true))
                    button.primary type="submit" { "Save client" }
                }
            } @else {
                dl.details {
                    dt { "Email" } dd { (if f.email.is_empty() { "—" } else { &f.email }) }
                    dt { "Phone" } dd { (if f.phone.is_empty() { "—" } else { &f.phone }) }
                    dt { "Website" } dd { (if f.website.is_empty() { "—" } else { &f.website }) }
                    dt { "Notes" } dd { (if f.notes.is_empty() { "—" } else { &f.notes }) }
                }
            }
        }
        @if can_manage {
            section.card.narrow.danger-zone aria-labelledby="delete-client-heading" {
                h2 #delete-client-heading { "Delete this client" }
                p { "Its channels and posts stay, without a client. To keep it for the record, archive it instead." }
                form method="post" action={ (action) "/delete" } {
                    (ui::csrf(&scope.shell.csrf))
                    button.danger type="submit" data-confirm={ "Delete the client " (f.name) "?" } { "Delete client" }
                }
            }
        }
    };
    frame::page(scope, Tab::Clients, "Client", content)
}

pub async fn edit(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, client_id)): Path<(String, String)>,
) -> WebResult<Markup> {
    let c = clients::get(&state.app, scope.actor(), scope.org_id(), &client_id).await?;
    Ok(edit_page(&scope, &c.id, &ClientForm::of(&c), &Errors::default(), None))
}

pub async fn update(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, client_id)): Path<(String, String)>,
    Form(f): Form<ClientForm>,
) -> WebResult<Response> {
    match clients::update(&state.app, scope.actor(), scope.org_id(), &client_id, f.input()).await {
        Ok(c) => Ok(redirect_with_flash(
            &state,
            &scope.path(&format!("/settings/clients/{}", c.id)),
            &format!("Client {} saved.", c.name),
        )),
        Err(AppError::Validation(e)) => {
            Ok(edit_page(&scope, &client_id, &f, &Errors::from_validation(&e), None).into_response())
        }
        Err(e) => match user_error(&e) {
            Some(m) => Ok(edit_page(&scope, &client_id, &f, &Errors::default(), Some(&m)).into_response()),
            None => Err(e.into()),
        },
    }
}

pub async fn delete(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, client_id)): Path<(String, String)>,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    clients::delete(&state.app, scope.actor(), scope.org_id(), &client_id).await?;
    Ok(redirect_with_flash(&state, &scope.path("/settings/clients"), "Client deleted."))
}
