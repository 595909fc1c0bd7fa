//! Clients (seed 000): brands or customers an org manages; channels and posts group by them.

use crate::audit::{self, Entry};
use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use chrono::{DateTime, Utc};
use sellcast_domain::pagination::Page;
use sellcast_domain::{ids, validation as v, Permission, ValidationErrors};
use sellcast_store::clients::{self, ClientFilter, ClientRow};
use serde::Serialize;
use serde_json::{json, Value};

pub const NOTES_MAX: usize = 10_000;

/// Fields a create or update may set; `None` leaves a field as it is (update) or empty.
#[derive(Debug, Default, Clone)]
pub struct ClientInput {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub notes: Option<String>,
    pub archived: Option<bool>,
}

fn validate(input: &ClientInput, creating: bool) -> Result<(), ValidationErrors> {
    let mut errs = ValidationErrors::new();
    match &input.name {
        Some(n) => errs.check("name", v::name(n, v::NAME_MAX)),
        None if creating => errs.add("name", "is required"),
        None => {}
    }
    if let Some(Some(e)) = &input.email {
        errs.check("email", v::email(&v::normalize_email(e)));
    }
    if let Some(Some(p)) = &input.phone {
        let ok = p.len() <= 32
            && p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
            && p.chars().any(|c| c.is_ascii_digit());
        if !ok {
            errs.add("phone", "must be a phone number such as +33 6 12 34 56 78");
        }
    }
    if let Some(Some(w)) = &input.website {
        let ok = (w.starts_with("https://") || w.starts_with("http://"))
            && w.len() <= 500
            && !w.chars().any(char::is_whitespace);
        if !ok {
            errs.add("website", "must be an http:// or https:// URL");
        }
    }
    if let Some(n) = &input.notes {
        errs.check("notes", v::optional_text(n, NOTES_MAX));
    }
    errs.into_result()
}

fn clean(o: &Option<Option<String>>) -> Option<Option<String>> {
    o.as_ref().map(|x| x.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
}

/// A brand or customer the org manages (seed 000).
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub notes: String,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ClientRow> for Client {
    fn from(r: ClientRow) -> Self {
        Client {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            website: r.website,
            notes: r.notes,
            archived: r.archived,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub async fn create(app: &App, actor: &Actor, org_id: &str, input: ClientInput) -> AppResult<Client> {
    authorize(app, actor, org_id, Permission::ClientManage).await?;
    validate(&input, true)?;
    let now = app.clock.now();
    let row = ClientRow {
        id: ids::new_id(),
        org_id: org_id.to_string(),
        name: input.name.unwrap_or_default().trim().to_string(),
        email: clean(&input.email).flatten().map(|e| v::normalize_email(&e)),
        phone: clean(&input.phone).flatten(),
        website: clean(&input.website).flatten(),
        notes: input.notes.unwrap_or_default(),
        archived: input.archived.unwrap_or(false),
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await?;
    clients::insert(tx.conn(), &row).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: "client.create",
            entity_type: "client",
            entity_id: Some(&row.id),
            changes: json!({"name": row.name}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

pub async fn get(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<Client> {
    authorize(app, actor, org_id, Permission::ClientRead).await?;
    let mut c = app.db.read().await?;
    Ok(clients::by_id(c.conn(), org_id, id).await?.ok_or(AppError::NotFound("client"))?.into())
}

pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: &str,
    archived: Option<bool>,
    q: Option<&str>,
    page: &Page,
) -> AppResult<(Vec<Client>, Option<String>)> {
    authorize(app, actor, org_id, Permission::ClientRead).await?;
    let mut c = app.db.read().await?;
    let filter = ClientFilter { archived, q: q.filter(|s| !s.trim().is_empty()) };
    let rows = clients::list(c.conn(), org_id, &filter, page.before.as_deref(), page.fetch_limit()).await?;
    let (rows, next) = page.finish(rows, |r| &r.id);
    Ok((rows.into_iter().map(Client::from).collect(), next))
}

pub async fn update(app: &App, actor: &Actor, org_id: &str, id: &str, input: ClientInput) -> AppResult<Client> {
    authorize(app, actor, org_id, Permission::ClientManage).await?;
    validate(&input, false)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let before = clients::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("client"))?;
    let mut after = before.clone();
    if let Some(n) = &input.name {
        after.name = n.trim().to_string();
    }
    if let Some(e) = clean(&input.email) {
        after.email = e.map(|e| v::normalize_email(&e));
    }
    if let Some(p) = clean(&input.phone) {
        after.phone = p;
    }
    if let Some(w) = clean(&input.website) {
        after.website = w;
    }
    if let Some(n) = input.notes {
        after.notes = n;
    }
    if let Some(a) = input.archived {
        after.archived = a;
    }
    after.updated_at = now;
    clients::update(tx.conn(), &after).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: "client.update",
            entity_type: "client",
            entity_id: Some(id),
            changes: diff(&before, &after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after.into())
}

pub async fn delete(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<()> {
    authorize(app, actor, org_id, Permission::ClientManage).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let before = clients::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("client"))?;
    clients::delete(tx.conn(), org_id, id).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: "client.delete",
            entity_type: "client",
            entity_id: Some(id),
            changes: json!({"name": before.name}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `{field: {from, to}}` for the fields that changed.
fn diff(before: &ClientRow, after: &ClientRow) -> Value {
    let (b, a) = (json!(before), json!(after));
    let mut out = serde_json::Map::new();
    if let (Value::Object(b), Value::Object(a)) = (b, a) {
        for (k, av) in a {
            if k == "updated_at" {
                continue;
            }
            if b.get(&k) != Some(&av) {
                out.insert(k.clone(), json!({"from": b.get(&k), "to": av}));
            }
        }
    }
    Value::Object(out)
}
