//! `POST /{phone-number-id}/messages` on the fake: the request checked the way the Cloud API
//! checks it, the message recorded, and the answer `{"messaging_product", "contacts",
//! "messages": [{"id": "wamid…"}]}`.

use super::params::{body_json, error, no_such_object, ok, Params};
use super::state::World;
use super::whatsapp::{authorize, wa_error, wa_id, window_open};
use super::whatsapp_state::WhatsAppSent;
use axum::response::Response;
use serde_json::{json, Value};

const MAX_TEXT_CHARS: usize = 4096;
const MEDIA_TYPES: [&str; 5] = ["image", "audio", "video", "document", "sticker"];

/// Status webhooks to deliver for an accepted send (when `auto_statuses` is on).
pub(crate) struct StatusJob {
    pub url: String,
    pub secret: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub wamid: String,
    pub to: String,
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn missing(what: &str) -> Response {
    error(400, 100, None, &format!("(#100) The parameter {what} is required."))
}

pub(crate) fn send(w: &mut World, phone_id: &str, p: &Params) -> (Response, Option<StatusJob>) {
    match check_and_record(w, phone_id, p) {
        Ok((answer, job)) => (ok(answer), job),
        Err(r) => (r, None),
    }
}

fn check_and_record(w: &mut World, phone_id: &str, p: &Params) -> Result<(Value, Option<StatusJob>), Response> {
    authorize(w, p, phone_id)?;
    let waba_id = w.whatsapp.phone(phone_id).map(|ph| ph.waba_id.clone()).ok_or_else(|| no_such_object(phone_id))?;
    let b = body_json(p);
    if str_at(&b, "/messaging_product") != Some("whatsapp") {
        return Err(missing("messaging_product"));
    }
    if str_at(&b, "/recipient_type").is_some_and(|t| t != "individual") {
        return Err(error(400, 100, None, "(#100) Param recipient_type must be one of {individual}"));
    }
    let to = wa_id(str_at(&b, "/to").ok_or_else(|| missing("to"))?);
    if w.whatsapp.send_budget == Some(0) {
        return Err(wa_error(130429, "Rate limit hit", "Cloud API message throughput has been reached."));
    }
    let kind = str_at(&b, "/type").unwrap_or("text").to_string();
    let mut template = None;
    let text = match kind.as_str() {
        "text" => {
            let body = str_at(&b, "/text/body").ok_or_else(|| missing("text['body']"))?;
            if body.chars().count() > MAX_TEXT_CHARS {
                return Err(error(400, 100, None, "(#100) Param text['body'] must be at most 4096 characters long."));
            }
            Some(body.to_string())
        }
        k if MEDIA_TYPES.contains(&k) => {
            let media = b.get(k).ok_or_else(|| missing(k))?;
            match (str_at(media, "/link"), str_at(media, "/id")) {
                (Some(_), _) => {}
                (None, Some(id)) if w.whatsapp.media.contains_key(id) => {}
                (None, Some(id)) => return Err(error(400, 100, None, &format!("(#100) Invalid media id {id}"))),
                (None, None) => return Err(missing(&format!("{k}['link']"))),
            }
            let caption = str_at(media, "/caption");
            if caption.is_some() && matches!(k, "audio" | "sticker") {
                return Err(error(400, 100, None, &format!("(#100) Param {k}['caption'] is not allowed")));
            }
            caption.map(str::to_string)
        }
        "template" => {
            let name = str_at(&b, "/template/name").ok_or_else(|| missing("template['name']"))?;
            let lang = str_at(&b, "/template/language/code").ok_or_else(|| missing("template['language']"))?;
            check_template(w, &waba_id, name, lang, b.pointer("/template/components"))?;
            template = Some((name.to_string(), lang.to_string()));
            None
        }
        other => return Err(error(400, 100, None, &format!("(#100) Param type {other} is not a valid message type"))),
    };
    if template.is_none() && !window_open(w, phone_id, &to) {
        return Err(wa_error(
            131047,
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ));
    }
    if let Some(n) = w.whatsapp.send_budget.as_mut() {
        *n -= 1;
    }
    let wamid = format!("wamid.HBgL{to}FQIAERgS{}{:08X}", w.next_id(), rand::random::<u32>());
    w.whatsapp.sent.push(WhatsAppSent {
        id: wamid.clone(),
        phone_number_id: phone_id.to_string(),
        to: to.clone(),
        kind: kind.clone(),
        body: text,
        template: template.clone(),
        reply_to: str_at(&b, "/context/message_id").map(str::to_string),
        request: b.clone(),
    });
    let mut message = json!({"id": wamid});
    if template.is_some() {
        message["message_status"] = json!("accepted");
    }
    let answer = json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": str_at(&b, "/to").unwrap_or_default(), "wa_id": to}],
        "messages": [message],
    });
    let job = w.whatsapp.auto_statuses.clone().map(|(url, secret)| StatusJob {
        url,
        secret,
        phone_number_id: phone_id.to_string(),
        waba_id,
        wamid,
        to,
    });
    Ok((answer, job))
}

/// Only an APPROVED template of the account, in that language, with as many body parameters
/// as its body has `{{n}}` placeholders.
fn check_template(w: &World, waba: &str, name: &str, lang: &str, components: Option<&Value>) -> Result<(), Response> {
    let found = w
        .whatsapp
        .templates
        .get(waba)
        .and_then(|ts| ts.iter().find(|t| t.name == name && t.language == lang && t.status == "APPROVED"));
    let Some(t) = found else {
        return Err(wa_error(
            132001,
            "Template name does not exist in the translation",
            &format!("template name ({name}) does not exist in {lang}"),
        ));
    };
    let body_text = t
        .components
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"].as_str().is_some_and(|k| k.eq_ignore_ascii_case("body"))))
        .and_then(|c| c["text"].as_str())
        .unwrap_or("");
    let expected = body_text.matches("{{").count();
    let given = components
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"].as_str().is_some_and(|k| k.eq_ignore_ascii_case("body"))))
        .and_then(|c| c["parameters"].as_array())
        .map_or(0, Vec::len);
    if expected != given {
        return Err(wa_error(
            132000,
            "Number of parameters does not match the expected number of params",
            &format!("body: number of localizable_params ({given}) does not match the expected number of params ({expected})"),
        ));
    }
    Ok(())
}
