//! `POST|GET /{id}/subscribed_apps` on the fake: the app subscribes to a Page's webhook fields
//! (with the Page's token; `subscribed_fields` required and known) or to a WhatsApp Business
//! Account (with a system-user token). A switch makes it answer the permission error (200).
//! https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps,
//! https://developers.facebook.com/docs/whatsapp/embedded-signup/webhooks.

use super::params::{authenticate, error, no_such_object, ok, Params};
use super::state::{Subject, World};
use super::{MetaState, CLIENT_ID};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{json, Value};

/// `POST|GET /{page-or-waba-id}/subscribed_apps`.
pub(crate) async fn subscribed_apps(
    State(state): State<MetaState>,
    Path(node): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = Params::parse(&uri, &headers, &body);
    let mut w = state.world();
    subscribe(&mut w, &node, method, &p).unwrap_or_else(|r| r)
}

const PAGE_FIELDS: [&str; 9] = [
    "messages",
    "messaging_postbacks",
    "message_deliveries",
    "message_reads",
    "message_echoes",
    "message_reactions",
    "messaging_referrals",
    "feed",
    "mention",
];

/// `GET /{id}/subscribed_apps`: the app, when subscribed.
fn listing(w: &World, id: &str) -> Response {
    let fields = w.messaging.subscriptions.get(id).cloned();
    let data: Vec<Value> =
        fields.into_iter().map(|f| json!({"id": CLIENT_ID, "name": "Sellcast", "subscribed_fields": f})).collect();
    ok(json!({"data": data}))
}

fn subscribe(w: &mut World, id: &str, method: Method, p: &Params) -> Result<Response, Response> {
    let subject = authenticate(w, p.token.as_deref(), false)?;
    let fields = if w.whatsapp.is_waba(id) {
        super::whatsapp::authorize(w, p, id)?;
        if method == Method::GET {
            return Ok(listing(w, id));
        }
        Vec::new()
    } else if w.page(id).is_some() {
        if subject != Subject::Page(id.to_string()) {
            return Err(error(400, 210, None, "(#210) A page access token is required to request this resource."));
        }
        if method == Method::GET {
            return Ok(listing(w, id));
        }
        let raw = p.require("subscribed_fields")?;
        let fields: Vec<String> = raw.split(',').map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).collect();
        if let Some(bad) = fields.iter().find(|f| !PAGE_FIELDS.contains(&f.as_str())) {
            return Err(error(400, 100, None, &format!("(#100) Param subscribed_fields has an unknown field {bad}")));
        }
        fields
    } else {
        return Err(no_such_object(id));
    };
    if w.messaging.fail_subscriptions {
        return Err(error(403, 200, None, "(#200) Permissions error"));
    }
    w.messaging.subscriptions.insert(id.to_string(), fields);
    Ok(ok(json!({"success": true})))
}
