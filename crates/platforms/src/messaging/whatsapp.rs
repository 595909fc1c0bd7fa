//! WhatsApp Cloud API: check a phone number (connect), send text/media/template messages, list
//! templates, fetch media customers sent, subscribe the app to a WhatsApp Business Account.
//!
//! Send: `POST /{phone-number-id}/messages` with `messaging_product: "whatsapp"`,
//! `recipient_type: "individual"`, `to`, `type` and the object of that type; a reply names the
//! quoted message in `context.message_id`. The answer's `messages[0].id` is the `wamid`.
//! Free-form messages only reach a customer who wrote in the last 24 hours (131047 otherwise);
//! templates reach anyone. Media: `GET /{media-id}` gives a short-lived URL that is downloaded
//! with the same Bearer token.

use super::{check_text, get_json, post_json, require_success, SentMessage};
use crate::client::{Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::meta::{node_id, MetaConfig};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

mod media;
pub use media::{download, download_public, media_url, MediaInfo};

/// Text message body limit.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Media caption limit.
pub const MAX_CAPTION_CHARS: usize = 1024;
/// Template listing pages followed (100 templates each).
const MAX_TEMPLATE_PAGES: usize = 10;

/// A business phone number as `GET /{phone-number-id}` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber {
    pub id: String,
    #[serde(default)]
    pub display_phone_number: String,
    #[serde(default)]
    pub verified_name: String,
    /// GREEN, YELLOW, RED or UNKNOWN.
    #[serde(default)]
    pub quality_rating: Option<String>,
}

/// The media message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    Image,
    Audio,
    Video,
    Document,
    Sticker,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Audio => "audio",
            MediaType::Video => "video",
            MediaType::Document => "document",
            MediaType::Sticker => "sticker",
        }
    }
}

/// One message to one customer (`to`: their `wa_id` or phone number).
#[derive(Debug, Clone, PartialEq)]
pub enum OutgoingWhatsApp {
    Text {
        to: String,
        body: String,
        reply_to: Option<String>,
    },
    /// `link`: a public HTTPS URL WhatsApp fetches; `filename` only shows on documents.
    Media {
        to: String,
        kind: MediaType,
        link: String,
        caption: Option<String>,
        filename: Option<String>,
    },
    /// `components`: the template's parameters as the Cloud API takes them (an array), or null.
    Template {
        to: String,
        name: String,
        language: String,
        components: Value,
    },
}

impl OutgoingWhatsApp {
    fn to(&self) -> &str {
        match self {
            OutgoingWhatsApp::Text { to, .. }
            | OutgoingWhatsApp::Media { to, .. }
            | OutgoingWhatsApp::Template { to, .. } => to,
        }
    }

    /// The request body, or why it cannot be sent.
    pub fn body(&self) -> PlatformResult<Value> {
        if self.to().trim().is_empty() {
            return Err(PlatformError::permanent(None, "the WhatsApp recipient is missing"));
        }
        let mut body = json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": self.to()});
        match self {
            OutgoingWhatsApp::Text { body: text, reply_to, .. } => {
                check_text(text, MAX_TEXT_CHARS, "WhatsApp message")?;
                body["type"] = json!("text");
                body["text"] = json!({ "body": text });
                if let Some(id) = reply_to.as_deref().filter(|id| !id.is_empty()) {
                    body["context"] = json!({ "message_id": id });
                }
            }
            OutgoingWhatsApp::Media { kind, link, caption, filename, .. } => {
                if link.trim().is_empty() {
                    return Err(PlatformError::permanent(None, "the WhatsApp media link is missing"));
                }
                let mut media = json!({ "link": link });
                if let Some(caption) = caption.as_deref().filter(|c| !c.is_empty()) {
                    // The Cloud API takes captions on images, videos and documents only.
                    if matches!(kind, MediaType::Audio | MediaType::Sticker) {
                        return Err(PlatformError::permanent(
                            None,
                            format!("WhatsApp {} messages cannot carry a caption", kind.as_str()),
                        ));
                    }
                    check_text(caption, MAX_CAPTION_CHARS, "WhatsApp caption")?;
                    media["caption"] = json!(caption);
                }
                if let (MediaType::Document, Some(name)) = (kind, filename.as_deref().filter(|f| !f.is_empty())) {
                    media["filename"] = json!(name);
                }
                body["type"] = json!(kind.as_str());
                body[kind.as_str()] = media;
            }
            OutgoingWhatsApp::Template { name, language, components, .. } => {
                if name.is_empty() || language.is_empty() {
                    return Err(PlatformError::permanent(None, "the WhatsApp template name or language is missing"));
                }
                let mut template = json!({ "name": name, "language": { "code": language } });
                match components {
                    Value::Null => {}
                    Value::Array(a) if a.is_empty() => {}
                    Value::Array(_) => template["components"] = components.clone(),
                    _ => return Err(PlatformError::permanent(None, "WhatsApp template components must be a list")),
                }
                body["type"] = json!("template");
                body["template"] = template;
            }
        }
        Ok(body)
    }
}

/// A message template of a WhatsApp Business Account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub category: String,
    /// APPROVED, PENDING, REJECTED, PAUSED, DISABLED…; only APPROVED ones can be sent.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub components: Value,
}

/// The phone number's name and quality: `Auth` when the token cannot use it.
pub async fn phone_number(
    http: &HttpClient,
    cfg: &MetaConfig,
    token: &str,
    phone_number_id: &str,
) -> PlatformResult<PhoneNumber> {
    let url = cfg.graph(node_id(phone_number_id)?);
    get_json(http, &url, token, &[("fields", "display_phone_number,verified_name,quality_rating")]).await
}

pub async fn send(
    http: &HttpClient,
    cfg: &MetaConfig,
    token: &str,
    phone_number_id: &str,
    message: &OutgoingWhatsApp,
) -> PlatformResult<SentMessage> {
    let url = cfg.graph(&format!("{}/messages", node_id(phone_number_id)?));
    let answer: Value = post_json(http, &url, token, &message.body()?, Effect::Create).await?;
    match answer.pointer("/messages/0/id").and_then(Value::as_str).filter(|id| !id.is_empty()) {
        Some(id) => Ok(SentMessage { platform_message_id: id.to_string() }),
        // Accepted, yet without an id its status webhooks cannot be matched.
        None => Err(PlatformError::unknown(format!("WhatsApp accepted the message without an id: {answer}"))),
    }
}

#[derive(Deserialize)]
struct TemplatePage {
    #[serde(default)]
    data: Vec<Template>,
    #[serde(default)]
    paging: Option<Value>,
}

/// All templates (up to 1,000), whatever their status.
pub async fn templates(
    http: &HttpClient,
    cfg: &MetaConfig,
    token: &str,
    waba_id: &str,
) -> PlatformResult<Vec<Template>> {
    let first = cfg.graph(&format!("{}/message_templates", node_id(waba_id)?));
    let mut page: TemplatePage =
        get_json(http, &first, token, &[("fields", "name,language,category,status,components"), ("limit", "100")])
            .await?;
    let mut out = Vec::new();
    for _ in 0..MAX_TEMPLATE_PAGES {
        out.append(&mut page.data);
        let Some(next) = page.paging.as_ref().and_then(|p| p.get("next")).and_then(Value::as_str) else {
            return Ok(out);
        };
        // The token goes only where the Graph API is.
        if !same_origin(next, &cfg.graph_url) {
            return Err(PlatformError::bad_response("the next template page is on another host"));
        }
        page = get_json(http, next, token, &[]).await?;
    }
    Ok(out)
}

fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// Subscribe the app to the account's webhooks (messages, statuses, template updates).
pub async fn subscribe_app(http: &HttpClient, cfg: &MetaConfig, token: &str, waba_id: &str) -> PlatformResult<()> {
    let url = cfg.graph(&format!("{}/subscribed_apps", node_id(waba_id)?));
    let answer: Value = post_json(http, &url, token, &json!({}), Effect::Read).await?;
    require_success(&answer, "subscribing to the WhatsApp Business Account")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_follow_the_cloud_api() {
        let text =
            OutgoingWhatsApp::Text { to: "15550001".into(), body: "Hi".into(), reply_to: Some("wamid.X".into()) };
        let b = text.body().unwrap();
        assert_eq!(b["messaging_product"], "whatsapp");
        assert_eq!(b["recipient_type"], "individual");
        assert_eq!((b["type"].as_str(), b["text"]["body"].as_str()), (Some("text"), Some("Hi")));
        assert_eq!(b["context"]["message_id"], "wamid.X");
        let doc = OutgoingWhatsApp::Media {
            to: "1".into(),
            kind: MediaType::Document,
            link: "https://x/a.pdf".into(),
            caption: Some("Invoice".into()),
            filename: Some("a.pdf".into()),
        };
        let b = doc.body().unwrap();
        assert_eq!(b["document"], json!({"link": "https://x/a.pdf", "caption": "Invoice", "filename": "a.pdf"}));
        let audio = OutgoingWhatsApp::Media {
            to: "1".into(),
            kind: MediaType::Audio,
            link: "https://x/a.ogg".into(),
            caption: Some("no".into()),
            filename: None,
        };
        assert!(audio.body().is_err());
        let tpl = OutgoingWhatsApp::Template {
            to: "1".into(),
            name: "hello_world".into(),
            language: "en_US".into(),
            components: Value::Null,
        };
        assert_eq!(tpl.body().unwrap()["template"], json!({"name": "hello_world", "language": {"code": "en_US"}}));
        let empty = OutgoingWhatsApp::Text { to: " ".into(), body: "x".into(), reply_to: None };
        assert!(empty.body().is_err());
    }

    #[test]
    fn next_pages_stay_on_the_graph_host() {
        assert!(same_origin(
            "https://graph.facebook.com/v21.0/1/message_templates?after=x",
            "https://graph.facebook.com/v21.0"
        ));
        assert!(!same_origin("https://evil.example/v21.0/1", "https://graph.facebook.com/v21.0"));
    }
}
