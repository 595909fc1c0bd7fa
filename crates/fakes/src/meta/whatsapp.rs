//! WhatsApp Cloud API on the fake Graph server: a WhatsApp Business Account with one phone
//! number, its templates, media customers sent, and message sends checked like Meta checks
//! them: the 24-hour customer service window (131047), approved templates only (132001) with
//! the right number of body parameters (132000), a throughput limit (130429).
//! https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages,
//! .../support/error-codes, .../reference/media, .../business-management-api/message-templates.

use super::graph;
use super::params::{authenticate, encode, no_such_object, ok, respond, Params};
use super::state::{Subject, World};
use super::whatsapp_state::{FakeTemplate, Media, PhoneNumber, WhatsAppSent};
use super::MetaState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const WHATSAPP_TOKEN: &str = "EAAWaSystemUser40001";
pub const WABA_ID: &str = "40001";
pub const PHONE_NUMBER_ID: &str = "50001";

/// One account, one number, two approved templates and a rejected one.
pub(crate) fn seed(w: &mut World) {
    w.grant(WHATSAPP_TOKEN.into(), Subject::User, None);
    w.whatsapp.tokens.insert(WHATSAPP_TOKEN.into());
    w.whatsapp.phone_numbers.push(PhoneNumber {
        id: PHONE_NUMBER_ID.into(),
        waba_id: WABA_ID.into(),
        display: "+1 555-010-0001".into(),
        verified_name: "Sellcast Shop".into(),
    });
    for (name, category, status, text) in [
        ("order_update", "UTILITY", "APPROVED", "Your order {{1}} is on its way."),
        ("hello_world", "UTILITY", "APPROVED", "Welcome and congratulations!!"),
        ("big_sale", "MARKETING", "REJECTED", "Everything is 90% off, {{1}}!"),
    ] {
        add_template(w, WABA_ID, name, "en_US", category, status, text);
    }
}

pub(crate) fn add_template(
    w: &mut World,
    waba: &str,
    name: &str,
    language: &str,
    category: &str,
    status: &str,
    body: &str,
) -> String {
    let id = w.next_id();
    let template = FakeTemplate {
        id: id.clone(),
        name: name.into(),
        language: language.into(),
        category: category.into(),
        status: status.into(),
        components: json!([{"type": "BODY", "text": body}]),
    };
    w.whatsapp.templates.entry(waba.to_string()).or_default().push(template);
    id
}

impl MetaState {
    pub fn whatsapp_token(&self) -> String {
        WHATSAPP_TOKEN.into()
    }

    pub fn whatsapp_waba_id(&self) -> String {
        WABA_ID.into()
    }

    pub fn whatsapp_phone_number_id(&self) -> String {
        PHONE_NUMBER_ID.into()
    }

    /// Media a customer sent: its id, for `GET /{media-id}` and webhook bodies.
    pub fn add_whatsapp_media(&self, bytes: Vec<u8>, mime: &str) -> String {
        let mut w = self.world();
        let id = w.next_id();
        let sha256 = hex::encode(Sha256::digest(&bytes));
        w.whatsapp.media.insert(id.clone(), Media { bytes, mime: mime.into(), sha256 });
        id
    }

    /// Add a template with one BODY component (`{{n}}` marks its parameters).
    pub fn add_whatsapp_template(&self, waba_id: &str, name: &str, language: &str, status: &str, body: &str) -> String {
        add_template(&mut self.world(), waba_id, name, language, "UTILITY", status, body)
    }

    /// Accepted sends, oldest first.
    pub fn whatsapp_sent(&self) -> Vec<WhatsAppSent> {
        self.world().whatsapp.sent.clone()
    }

    /// Sends accepted before every further one answers 130429 (None: no limit).
    pub fn set_whatsapp_send_budget(&self, budget: Option<u32>) {
        self.world().whatsapp.send_budget = budget;
    }
}

/// A WhatsApp error: `{"error": {"message", "type", "code", "error_data": {"details"}, "fbtrace_id"}}`.
pub(crate) fn wa_error(code: i64, title: &str, details: &str) -> Response {
    respond(
        400,
        json!({"error": {
            "message": format!("(#{code}) {title}"), "type": "OAuthException", "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": format!("Fk{:010x}", rand::random::<u64>() >> 24),
        }}),
    )
}

/// The token is valid and belongs to a system user of the account.
pub(crate) fn authorize(w: &World, p: &Params, object: &str) -> Result<(), Response> {
    authenticate(w, p.token.as_deref(), false)?;
    match p.token.as_deref() {
        Some(t) if w.whatsapp.tokens.contains(t) => Ok(()),
        _ => Err(no_such_object(object)),
    }
}

fn host(headers: &HeaderMap) -> String {
    headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_string()
}

/// `GET /{id}`: a phone number or a media; anything else is the Graph fake's.
pub(crate) async fn node(
    State(state): State<MetaState>,
    Path(node): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let known = {
        let w = state.world();
        method == Method::GET && (w.whatsapp.phone(&node).is_some() || w.whatsapp.media.contains_key(&node))
    };
    if !known {
        return graph::node(State(state), Path(node), method, uri, headers, body).await;
    }
    let p = Params::parse(&uri, &headers, &body);
    let w = state.world();
    if let Err(r) = authorize(&w, &p, &node) {
        return r;
    }
    if let Some(m) = w.whatsapp.media.get(&node) {
        return ok(json!({
            "messaging_product": "whatsapp", "id": node, "mime_type": m.mime, "sha256": m.sha256,
            "file_size": m.bytes.len(), "url": format!("http://{}/whatsapp-media/{node}?ext=1", host(&headers)),
        }));
    }
    let Some(phone) = w.whatsapp.phone(&node) else { return no_such_object(&node) };
    let all = json!({
        "id": phone.id, "display_phone_number": phone.display, "verified_name": phone.verified_name,
        "quality_rating": "GREEN", "code_verification_status": "VERIFIED", "platform_type": "CLOUD_API",
    });
    let fields: Vec<&str> = p.fields().split(',').map(str::trim).filter(|f| !f.is_empty()).collect();
    if fields.is_empty() {
        return ok(all);
    }
    let mut out = json!({"id": phone.id});
    for f in fields {
        if let Some(v) = all.get(f) {
            out[f] = v.clone();
        }
    }
    ok(out)
}

/// `GET /whatsapp-media/{id}`: the bytes, for the account's Bearer token only.
pub(crate) async fn download(State(state): State<MetaState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let w = state.world();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !w.whatsapp.tokens.contains(token) {
        return (axum::http::StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    match w.whatsapp.media.get(&id) {
        Some(m) => ([(header::CONTENT_TYPE, m.mime.clone())], m.bytes.clone()).into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /{waba-id}/message_templates`, `limit` per page, with an absolute `paging.next`.
pub(crate) async fn templates(
    State(state): State<MetaState>,
    Path(waba): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = Params::parse(&uri, &headers, &body);
    let w = state.world();
    if let Err(r) = authorize(&w, &p, &waba) {
        return r;
    }
    if !w.whatsapp.is_waba(&waba) {
        return no_such_object(&waba);
    }
    let all = w.whatsapp.templates.get(&waba).map(Vec::as_slice).unwrap_or_default();
    let start = p.cursor().unwrap_or(0).min(all.len());
    let end = (start + p.limit()).min(all.len());
    let fields: Vec<&str> = p.fields().split(',').map(str::trim).filter(|f| !f.is_empty()).collect();
    let data: Vec<Value> = all[start..end]
        .iter()
        .map(|t| {
            let full = json!({"id": t.id, "name": t.name, "language": t.language, "category": t.category,
                "status": t.status, "components": t.components});
            let mut v = json!({"id": t.id});
            for f in if fields.is_empty() { vec!["name", "language", "status", "category"] } else { fields.clone() } {
                if let Some(x) = full.get(f) {
                    v[f] = x.clone();
                }
            }
            v
        })
        .collect();
    let mut out = json!({"data": data, "paging": {"cursors": {"before": start.to_string(), "after": end.to_string()}}});
    if end < all.len() {
        let next = format!(
            "http://{}{}?fields={}&limit={}&after={end}",
            host(&headers),
            uri.path(),
            encode(p.fields()),
            p.limit()
        );
        out["paging"]["next"] = json!(next);
    }
    ok(out)
}

/// Whether the customer wrote to this number in the last 24 hours (by the fake's clock).
pub(crate) fn window_open(w: &World, phone: &str, wa_id: &str) -> bool {
    let now = w.messaging.now();
    w.whatsapp
        .last_customer_message
        .get(&(phone.to_string(), wa_id.to_string()))
        .is_some_and(|at| now - *at <= Duration::hours(24))
}

/// The recipient as WhatsApp ids it: digits only.
pub(crate) fn wa_id(to: &str) -> String {
    to.chars().filter(char::is_ascii_digit).collect()
}
