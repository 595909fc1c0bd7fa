//! The WhatsApp templates a conversation can send outside the 24-hour window: the account's
//! approved templates, read from WhatsApp when asked (the picker opens rarely; a copy kept in
//! Sellcast would only go stale), with their language, category and the number of parameters
//! their body takes.

use crate::authorize::authorize;
use crate::channels::credentials;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use sellcast_domain::Permission;
use sellcast_platforms::messaging::whatsapp;
use sellcast_store::channels;
use sellcast_store::inbox::conversations;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub name: String,
    pub language: String,
    /// MARKETING, UTILITY or AUTHENTICATION.
    pub category: String,
    /// The body's text with its `{{1}}`, `{{2}}`… placeholders.
    pub body: String,
    /// How many parameters the body takes.
    pub parameters: usize,
}

/// The approved templates of the conversation's WhatsApp account.
pub async fn for_conversation(
    app: &App,
    actor: &Actor,
    org_id: &str,
    conversation_id: &str,
) -> AppResult<Vec<Template>> {
    authorize(app, actor, org_id, Permission::InboxReply).await?;
    let channel = {
        let mut c = app.db.read().await?;
        let conv =
            conversations::by_id(c.conn(), org_id, conversation_id).await?.ok_or(AppError::NotFound("conversation"))?;
        channels::by_id(c.conn(), org_id, &conv.channel_id).await?.ok_or(AppError::NotFound("channel"))?
    };
    if channel.platform != "whatsapp" {
        return Err(AppError::validation("conversation", "templates are for WhatsApp conversations"));
    }
    let creds = credentials::open(app, &channel)?;
    let waba = creds.extra.get("waba_id").and_then(Value::as_str).unwrap_or_default();
    let g = &app.graph;
    let all = whatsapp::templates(&g.http, &g.meta, &creds.access_token, waba)
        .await
        .map_err(|e| AppError::Platform(format!("WhatsApp did not list the templates: {e}")))?;
    Ok(all.into_iter().filter(|t| t.status.eq_ignore_ascii_case("APPROVED")).map(view).collect())
}

fn view(t: whatsapp::Template) -> Template {
    let body = t
        .components
        .as_array()
        .and_then(|cs| {
            cs.iter().find(|c| c.get("type").and_then(Value::as_str).is_some_and(|k| k.eq_ignore_ascii_case("BODY")))
        })
        .and_then(|c| c.get("text").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string();
    let parameters = (1..=20).take_while(|n| body.contains(&format!("{{{{{n}}}}}"))).count();
    Template { name: t.name, language: t.language, category: t.category, body, parameters }
}
