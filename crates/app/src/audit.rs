//! Recording and reading the audit log. Entries are written in the same transaction as the
//! change they describe, so the log never claims a change that did not happen.

use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::AppResult;
use crate::App;
use chrono::{DateTime, Utc};
use sellcast_domain::pagination::Page;
use sellcast_domain::{ids, Permission};
use sellcast_store::audit::{self, AuditFilter, AuditRow};
use sellcast_store::Conn;
use serde::Serialize;
use serde_json::Value;

/// Keys whose values are never written to the log.
const SECRET_KEYS: &[&str] = &["password", "new_password", "current_password", "token", "secret", "code", "totp_code"];

/// Drop secret-looking fields from a change summary, recursively.
pub fn redact(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if SECRET_KEYS.iter().any(|s| k.contains(s)) {
                    *val = Value::String("[redacted]".into());
                } else {
                    *val = redact(val.take());
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = redact(item.take());
            }
        }
        _ => {}
    }
    v
}

pub struct Entry<'a> {
    pub org_id: Option<&'a str>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<&'a str>,
    pub changes: Value,
}

impl<'a> Entry<'a> {
    /// An account-level event (no organization) with nothing more to say than what happened.
    pub fn account(action: &'a str, entity_type: &'a str, entity_id: &'a str) -> Self {
        Entry {
            org_id: None,
            action,
            entity_type,
            entity_id: Some(entity_id),
            changes: Value::Object(Default::default()),
        }
    }
}

pub async fn record(c: Conn<'_>, actor: Option<&Actor>, now: DateTime<Utc>, e: Entry<'_>) -> AppResult<()> {
    let meta = actor.map(|a| a.meta.clone()).unwrap_or_default();
    let row = AuditRow {
        id: ids::new_id(),
        org_id: e.org_id.map(str::to_string),
        actor_id: actor.map(|a| a.user_id.clone()),
        action: e.action.to_string(),
        entity_type: e.entity_type.to_string(),
        entity_id: e.entity_id.map(str::to_string),
        changes: redact(e.changes),
        ip: meta.ip,
        user_agent: meta.user_agent,
        request_id: meta.request_id,
        created_at: now,
    };
    audit::insert(c, &row).await?;
    Ok(())
}

pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: &str,
    query: AuditQuery,
    page: &Page,
) -> AppResult<(Vec<AuditEntry>, Option<String>)> {
    authorize(app, actor, org_id, Permission::AuditView).await?;
    let mut c = app.db.read().await?;
    let filter = AuditFilter {
        actor_id: query.actor_id,
        action: query.action,
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        since: query.since,
        until: query.until,
    };
    let rows = audit::list(c.conn(), org_id, &filter, page.before.as_deref(), page.fetch_limit()).await?;
    let (rows, next) = page.finish(rows, |r| &r.id);
    Ok((rows.into_iter().map(AuditEntry::from).collect(), next))
}

/// Which entries of an org's log to list; every field narrows.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub org_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// What changed; secrets are redacted before they are recorded.
    pub changes: Value,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            org_id: r.org_id,
            actor_id: r.actor_id,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            changes: r.changes,
            ip: r.ip,
            user_agent: r.user_agent,
            request_id: r.request_id,
            created_at: r.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_everywhere() {
        let v = super::redact(json!({"name": "A", "password": "p", "nested": [{"refresh_token": "t"}]}));
        assert_eq!(v, json!({"name": "A", "password": "[redacted]", "nested": [{"refresh_token": "[redacted]"}]}));
    }
}
