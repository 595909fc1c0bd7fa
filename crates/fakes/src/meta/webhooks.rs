//! Meta's webhook deliveries, for tests of the receiving side: bodies shaped like Meta's
//! (WhatsApp `whatsapp_business_account` changes, Instagram/Messenger `messaging` events,
//! Instagram `comments` and Page `feed` changes), POSTed with
//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`; and a small server
//! that records what it receives.
//! https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications,
//! https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples,
//! https://developers.facebook.com/docs/messenger-platform/webhooks.

use super::messaging_state::FakeComment;
use super::state::{Network, World};
use super::whatsapp_send::StatusJob;
use super::MetaState;
use crate::server::FakeServer;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `sha256=<hex>` of the body with the app secret, as Meta signs deliveries.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl MetaState {
    /// POST `body` to `url`, signed with `app_secret`, exactly the bytes signed. The receiver's
    /// status; 502 when it could not be reached.
    pub async fn deliver(&self, url: &str, app_secret: &str, body: &Value) -> reqwest::StatusCode {
        let raw = serde_json::to_vec(body).unwrap_or_default();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build();
        let Ok(client) = client else { return reqwest::StatusCode::BAD_GATEWAY };
        let sent = client
            .post(url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature(app_secret, &raw))
            .body(raw)
            .send()
            .await;
        match sent {
            Ok(resp) => resp.status(),
            Err(_) => reqwest::StatusCode::BAD_GATEWAY,
        }
    }

    /// After each accepted WhatsApp send, deliver `sent`, `delivered`, then `read` to `url`.
    pub fn auto_statuses(&self, url: &str, app_secret: &str) {
        self.world().whatsapp.auto_statuses = Some((url.to_string(), app_secret.to_string()));
    }

    pub fn stop_auto_statuses(&self) {
        self.world().whatsapp.auto_statuses = None;
    }

    /// The customer writes (this opens the 24-hour window): the `wamid` and the webhook body.
    pub fn whatsapp_text(
        &self,
        phone_number_id: &str,
        waba_id: &str,
        from: &str,
        name: &str,
        text: &str,
    ) -> (String, Value) {
        let message = json!({"type": "text", "text": {"body": text}});
        self.whatsapp_inbound(phone_number_id, waba_id, from, name, message)
    }

    /// The customer sends an image (`media_id` from `add_whatsapp_media`).
    pub fn whatsapp_image(
        &self,
        phone_number_id: &str,
        waba_id: &str,
        from: &str,
        name: &str,
        media_id: &str,
        caption: Option<&str>,
    ) -> (String, Value) {
        let (mime, sha) = {
            let w = self.world();
            let m = w.whatsapp.media.get(media_id);
            (m.map_or("image/jpeg".into(), |m| m.mime.clone()), m.map(|m| m.sha256.clone()).unwrap_or_default())
        };
        let mut image = json!({"id": media_id, "mime_type": mime, "sha256": sha});
        if let Some(c) = caption {
            image["caption"] = json!(c);
        }
        self.whatsapp_inbound(phone_number_id, waba_id, from, name, json!({"type": "image", "image": image}))
    }

    fn whatsapp_inbound(&self, phone: &str, waba: &str, from: &str, name: &str, mut message: Value) -> (String, Value) {
        let (wamid, now, display) = {
            let mut w = self.world();
            let now = w.messaging.now();
            let wa_id = super::whatsapp::wa_id(from);
            w.whatsapp.last_customer_message.insert((phone.to_string(), wa_id.clone()), now);
            let wamid = format!("wamid.HBgL{wa_id}FQIAEhgU{}{:08X}", w.next_id(), rand::random::<u32>());
            (wamid, now, display_number(&w, phone))
        };
        message["from"] = json!(super::whatsapp::wa_id(from));
        message["id"] = json!(wamid);
        message["timestamp"] = json!(now.timestamp().to_string());
        let value = json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": display, "phone_number_id": phone},
            "contacts": [{"profile": {"name": name}, "wa_id": super::whatsapp::wa_id(from)}],
            "messages": [message],
        });
        (wamid, whatsapp_envelope(waba, value))
    }

    /// A delivery status (`sent`, `delivered`, `read`) of a message the business sent.
    pub fn whatsapp_status(
        &self,
        phone_number_id: &str,
        waba_id: &str,
        wamid: &str,
        status: &str,
        recipient: &str,
    ) -> Value {
        let mut s = json!({"id": wamid, "status": status, "recipient_id": recipient});
        if status == "sent" {
            s["conversation"] = json!({"id": format!("conv{}", rand::random::<u32>()), "origin": {"type": "service"}});
            s["pricing"] = json!({"billable": true, "pricing_model": "PMP", "category": "service"});
        }
        self.whatsapp_statuses(phone_number_id, waba_id, s)
    }

    /// A `failed` status with one error (e.g. 131047, "Re-engagement message").
    pub fn whatsapp_failed_status(
        &self,
        phone_number_id: &str,
        waba_id: &str,
        wamid: &str,
        recipient: &str,
        code: i64,
        title: &str,
    ) -> Value {
        let error = json!({"code": code, "title": title, "message": title, "error_data": {"details": title}});
        let s = json!({"id": wamid, "status": "failed", "recipient_id": recipient, "errors": [error]});
        self.whatsapp_statuses(phone_number_id, waba_id, s)
    }

    fn whatsapp_statuses(&self, phone: &str, waba: &str, mut status: Value) -> Value {
        let (now, display) = {
            let w = self.world();
            (w.messaging.now(), display_number(&w, phone))
        };
        status["timestamp"] = json!(now.timestamp().to_string());
        let value = json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": display, "phone_number_id": phone},
            "statuses": [status],
        });
        whatsapp_envelope(waba, value)
    }

    /// Someone writes to the Instagram account (this opens its messaging window): the `mid` and the body.
    pub fn instagram_dm(&self, ig_account_id: &str, from_igsid: &str, text: &str) -> (String, Value) {
        self.dm("instagram", ig_account_id, from_igsid, text)
    }

    /// Someone writes to the Page on Messenger.
    pub fn messenger_dm(&self, page_id: &str, psid: &str, text: &str) -> (String, Value) {
        self.dm("page", page_id, psid, text)
    }

    fn dm(&self, object: &str, account: &str, from: &str, text: &str) -> (String, Value) {
        let (mid, now) = {
            let mut w = self.world();
            let now = w.messaging.now();
            w.messaging.last_message.insert((account.to_string(), from.to_string()), now);
            let n = w.next_id();
            let mid = if object == "instagram" {
                format!("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE{n}")
            } else {
                format!("m_in{n}")
            };
            (mid, now)
        };
        let ms = now.timestamp_millis();
        let event = json!({"sender": {"id": from}, "recipient": {"id": account}, "timestamp": ms,
            "message": {"mid": mid, "text": text}});
        (mid, json!({"object": object, "entry": [{"id": account, "time": ms, "messaging": [event]}]}))
    }

    /// A comment on the Instagram account's media: the comment id and the `comments` change.
    pub fn instagram_comment(
        &self,
        ig_account_id: &str,
        media_id: &str,
        from_id: &str,
        username: &str,
        text: &str,
    ) -> (String, Value) {
        let (id, now) = self.comment(Network::Instagram, ig_account_id, None);
        let value = json!({"from": {"id": from_id, "username": username},
            "media": {"id": media_id, "media_product_type": "FEED"}, "id": id, "text": text});
        let change = json!({"field": "comments", "value": value});
        (id, json!({"object": "instagram", "entry": [{"id": ig_account_id, "time": now, "changes": [change]}]}))
    }

    /// A comment on a Page post: the comment id and the `feed` change.
    pub fn page_comment(&self, page_id: &str, post_id: &str, from_id: &str, name: &str, text: &str) -> (String, Value) {
        let (id, now) = self.comment(Network::Facebook, page_id, Some(post_id));
        let value = json!({"from": {"id": from_id, "name": name}, "post_id": post_id, "comment_id": id,
            "parent_id": post_id, "created_time": now, "item": "comment", "verb": "add", "message": text,
            "post": {"id": post_id, "status_type": "mobile_status_update", "is_published": true}});
        let change = json!({"field": "feed", "value": value});
        (id, json!({"object": "page", "entry": [{"id": page_id, "time": now, "changes": [change]}]}))
    }

    fn comment(&self, network: Network, account: &str, post_id: Option<&str>) -> (String, i64) {
        let mut w = self.world();
        let now = w.messaging.now();
        let n = w.next_id();
        // Page comment ids are `{post}_{comment}`.
        let id = match post_id {
            Some(post) => format!("{}_{n}", post.rsplit('_').next().unwrap_or(post)),
            None => n,
        };
        let c = FakeComment { network, account_id: account.into(), created_at: now, privately_replied: false };
        w.messaging.comments.insert(id.clone(), c);
        (id, now.timestamp())
    }
}

fn display_number(w: &World, phone: &str) -> String {
    w.whatsapp.phone(phone).map_or_else(|| "15550100001".into(), |p| super::whatsapp::wa_id(&p.display))
}

fn whatsapp_envelope(waba: &str, value: Value) -> Value {
    json!({"object": "whatsapp_business_account",
        "entry": [{"id": waba, "changes": [{"value": value, "field": "messages"}]}]})
}

/// `sent`, `delivered`, `read` for one accepted send, in that order.
pub(crate) async fn deliver_statuses(state: MetaState, job: StatusJob) {
    for status in ["sent", "delivered", "read"] {
        let body = state.whatsapp_status(&job.phone_number_id, &job.waba_id, &job.wamid, status, &job.to);
        state.deliver(&job.url, &job.secret, &body).await;
    }
}

/// One request a `WebhookSink` received.
#[derive(Debug, Clone)]
pub struct ReceivedWebhook {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A server that answers 200 to every POST and keeps what it got.
pub struct WebhookSink {
    pub server: FakeServer,
    received: Arc<Mutex<Vec<ReceivedWebhook>>>,
}

impl WebhookSink {
    pub async fn start() -> std::io::Result<WebhookSink> {
        let received: Arc<Mutex<Vec<ReceivedWebhook>>> = Arc::default();
        let router = Router::new().route("/{*path}", post(record)).with_state(received.clone());
        Ok(WebhookSink { server: FakeServer::start(router).await?, received })
    }

    /// `http://127.0.0.1:<port>/webhooks/meta`
    pub fn url(&self) -> String {
        format!("{}/webhooks/meta", self.server.url())
    }

    pub fn received(&self) -> Vec<ReceivedWebhook> {
        self.received.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Wait (up to `timeout`) until at least `n` requests arrived; what arrived by then.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedWebhook> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.received().len() < n && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.received()
    }
}

async fn record(
    State(received): State<Arc<Mutex<Vec<ReceivedWebhook>>>>,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    received.lock().unwrap_or_else(|p| p.into_inner()).push(ReceivedWebhook { headers, body: body.to_vec() });
    "EVENT_RECEIVED"
}
