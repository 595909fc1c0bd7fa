//! Meta webhooks: the X-Hub-Signature-256 check, and the parser against fixtures modelled on
//! Meta's documented payloads (tests/fixtures/meta/).

use chrono::{DateTime, Utc};
use sellcast_domain::{ConversationKind, DeliveryState, MessageDirection, Platform};
use sellcast_platforms::inbound::{AttachmentKind, InboundEvent, InboundItem, InboundMessage, StatusReport};
use sellcast_platforms::meta::webhook::{parse, sign, verify_signature, ParseError, SignatureError};
use serde_json::json;

const SECRET: &[u8] = b"app-secret";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/meta/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn items(name: &str) -> Vec<InboundItem> {
    parse(&fixture(name)).unwrap()
}

fn msg(item: &InboundItem) -> &InboundMessage {
    match &item.event {
        InboundEvent::Message(m) => m,
        other => panic!("not a message: {other:?}"),
    }
}

fn status(item: &InboundItem) -> &StatusReport {
    match &item.event {
        InboundEvent::Status(s) => s,
        other => panic!("not a status: {other:?}"),
    }
}

fn unknown_field(item: &InboundItem) -> &str {
    match &item.event {
        InboundEvent::Unknown { field, .. } => field,
        other => panic!("not unknown: {other:?}"),
    }
}

fn secs(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap()
}

fn millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

#[test]
fn signature_accepts_lower_and_upper_hex() {
    let body = fixture("messenger.json");
    let header = sign(SECRET, &body);
    assert!(header.starts_with("sha256="));
    assert_eq!(verify_signature(&[SECRET], &body, Some(&header)), Ok(()));
    let upper = format!("sha256={}", header["sha256=".len()..].to_uppercase());
    assert_eq!(verify_signature(&[SECRET], &body, Some(&upper)), Ok(()));
}

#[test]
fn signature_refuses_what_does_not_match() {
    let body = fixture("messenger.json");
    let header = sign(SECRET, &body);
    assert_eq!(verify_signature(&[b"other-secret"], &body, Some(&header)), Err(SignatureError::Mismatch));
    let mut changed = body.clone();
    changed[10] ^= 1;
    assert_eq!(verify_signature(&[SECRET], &changed, Some(&header)), Err(SignatureError::Mismatch));
    let zeros = format!("sha256={}", "0".repeat(64));
    assert_eq!(verify_signature(&[SECRET], &body, Some(&zeros)), Err(SignatureError::Mismatch));
    assert_eq!(verify_signature(&[], &body, Some(&header)), Err(SignatureError::Mismatch));
}

#[test]
fn signature_headers_missing_or_malformed() {
    let body = b"{}";
    let digits = &sign(SECRET, body)["sha256=".len()..];
    assert_eq!(verify_signature(&[SECRET], body, None), Err(SignatureError::Missing));
    assert_eq!(verify_signature(&[SECRET], body, Some("")), Err(SignatureError::Missing));
    for bad in [
        format!("sha1={digits}"),
        digits.to_string(),
        format!("sha256={}", "g".repeat(64)),
        format!("sha256={digits}00"),
    ] {
        assert_eq!(verify_signature(&[SECRET], body, Some(&bad)), Err(SignatureError::Malformed), "{bad}");
    }
}

#[test]
fn signature_is_over_the_raw_bytes_of_a_non_ascii_body() {
    let body = r#"{"text":"Chào shop 😍, còn hàng không ạ? Đặt 2 cái"}"#.as_bytes();
    let header = sign(SECRET, body);
    assert_eq!(verify_signature(&[SECRET], body, Some(&header)), Ok(()));
    // The same text with its non-ASCII characters escaped is other bytes, so another signature.
    let ascii = std::str::from_utf8(body).unwrap().replace('😍', "\\ud83d\\ude0d");
    assert_eq!(verify_signature(&[SECRET], ascii.as_bytes(), Some(&header)), Err(SignatureError::Mismatch));
}

#[test]
fn signature_accepts_any_of_the_secrets() {
    let body = b"{\"object\":\"instagram\",\"entry\":[]}";
    let header = sign(b"instagram-app-secret", body);
    assert_eq!(verify_signature(&[b"", SECRET, b"instagram-app-secret"], body, Some(&header)), Ok(()));
}

#[test]
fn instagram_messages_and_attachments() {
    let items = items("instagram_messages.json");
    assert_eq!(items.len(), 8);
    assert!(items.iter().all(|i| i.platform == Platform::Instagram && i.account_id == "17841400000000001"));
    let text = msg(&items[0]);
    assert_eq!(text.platform_message_id, "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx");
    assert_eq!((text.kind, text.direction), (ConversationKind::Direct, MessageDirection::Inbound));
    assert_eq!(text.participant.id, "6600000000000001");
    assert_eq!(text.text.as_deref(), Some("Còn hàng không ạ? 😍"));
    assert_eq!(text.reply_to_id.as_deref(), Some("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE2MDAw"));
    assert_eq!(text.sent_at, millis(1_700_000_001_000));
    assert_eq!(text.shape, "text");
    assert_eq!(text.attachments[0].kind, AttachmentKind::Other);
    assert_eq!(text.attachments[0].extra, Some(json!({"quick_reply": {"payload": "SIZE_M"}})));

    let image = msg(&items[1]);
    assert_eq!((image.attachments[0].kind, image.shape.as_str()), (AttachmentKind::Image, "image"));
    assert!(image.attachments[0].url.as_deref().unwrap().contains("asset_id=111"));
    assert_eq!(msg(&items[2]).attachments[0].kind, AttachmentKind::StoryMention);

    let story_reply = msg(&items[3]);
    assert_eq!(story_reply.shape, "story_reply");
    assert_eq!(story_reply.reply_to_id.as_deref(), Some("18000000000000333"));
    let story = &story_reply.attachments[0];
    assert_eq!(story.kind, AttachmentKind::StoryReply);
    assert_eq!(story.url.as_deref(), Some("https://scontent.cdninstagram.com/v/story_333.jpg"));
    assert_eq!(story.extra.as_ref().unwrap()["id"], "18000000000000333");

    let reel = msg(&items[4]);
    assert_eq!((reel.attachments[0].kind, reel.shape.as_str()), (AttachmentKind::Share, "ig_reel"));
    assert_eq!(reel.attachments[0].extra, Some(json!({"title": "Summer drop", "reel_video_id": "18000000000000444"})));

    let echo = msg(&items[5]);
    assert_eq!((echo.direction, echo.participant.id.as_str()), (MessageDirection::Outbound, "6600000000000001"));

    let kinds: Vec<_> = msg(&items[6]).attachments.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AttachmentKind::Video, AttachmentKind::Audio, AttachmentKind::File, AttachmentKind::Share]);
    let template = &msg(&items[7]).attachments[0];
    assert_eq!((template.kind, &template.extra.as_ref().unwrap()["type"]), (AttachmentKind::Other, &json!("template")));
}

#[test]
fn instagram_edits_reactions_reads_postbacks_and_deletes() {
    let items = items("instagram_events.json");
    assert_eq!(items.len(), 9);
    let edit = InboundEvent::Edit {
        platform_message_id: "m_text".into(),
        text: "Còn size M không ạ?".into(),
        at: millis(1_700_000_011_000),
    };
    assert_eq!(items[0].event, edit);
    let react = InboundEvent::Reaction {
        platform_message_id: "m_echo".into(),
        participant_id: "6600000000000001".into(),
        emoji: Some("❤️".into()),
        at: millis(1_700_000_012_000),
    };
    assert_eq!(items[1].event, react);
    assert!(matches!(&items[2].event, InboundEvent::Reaction { emoji: None, .. }));
    let read = InboundEvent::Read {
        participant_id: "6600000000000001".into(),
        watermark: millis(1_700_000_014_000),
        at: millis(1_700_000_014_000),
    };
    assert_eq!(items[3].event, read);
    let postback = msg(&items[4]);
    assert_eq!((postback.shape.as_str(), postback.text.as_deref()), ("postback", Some("Mua ngay")));
    assert_eq!(postback.attachments[0].extra.as_ref().unwrap()["postback"]["payload"], "BUY_SKU_42");
    let delete = InboundEvent::Delete { platform_message_id: "m_deleted".into(), at: millis(1_700_000_016_000) };
    assert_eq!(items[5].event, delete);
    assert_eq!(msg(&items[6]).shape, "unsupported");
    assert_eq!(unknown_field(&items[7]), "referral");
    assert_eq!(unknown_field(&items[8]), "message");
}

#[test]
fn messenger_messages_deliveries_and_reads() {
    let items = items("messenger.json");
    assert!(items.iter().all(|i| i.platform == Platform::Facebook && i.account_id == "20001"));
    assert_eq!(items.len(), 9);
    assert_eq!(msg(&items[0]).text.as_deref(), Some("Hello shop"));
    assert_eq!(msg(&items[1]).direction, MessageDirection::Outbound);
    assert_eq!(msg(&items[1]).participant.id, "7700000000000001");
    assert_eq!(msg(&items[2]).attachments[0].kind, AttachmentKind::Sticker);
    let delivered: Vec<_> = items[3..5].iter().map(status).collect();
    assert_eq!(delivered[0].platform_message_id, "m_fb_echo");
    assert_eq!(delivered[1].platform_message_id, "m_fb_older");
    assert!(delivered.iter().all(|s| s.state == DeliveryState::Delivered && s.at == millis(1_700_000_104_000)));
    assert_eq!(delivered[0].recipient_id.as_deref(), Some("7700000000000001"));
    assert!(matches!(&items[5].event, InboundEvent::Read { watermark, .. } if *watermark == millis(1_700_000_102_000)));
    assert!(matches!(&items[6].event, InboundEvent::Reaction { emoji: Some(e), .. } if e == "👍"));
    assert_eq!(unknown_field(&items[7]), "optin");
    assert_eq!(unknown_field(&items[8]), "postback"); // no mid: nothing to key it on
}

#[test]
fn several_entries_and_items_come_out_in_order() {
    let items = items("messenger_batch.json");
    let ids: Vec<_> = items
        .iter()
        .map(|i| match &i.event {
            InboundEvent::Message(m) => (i.account_id.as_str(), m.platform_message_id.as_str()),
            InboundEvent::Edit { platform_message_id, .. } => (i.account_id.as_str(), platform_message_id.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, [("20001", "m_b1"), ("20001", "m_b2"), ("20002", "m_b3"), ("20002", "m_b3")]);
}

#[test]
fn instagram_comments_and_mentions() {
    let items = items("instagram_changes.json");
    assert_eq!(items.len(), 7);
    let top = msg(&items[0]);
    assert_eq!(
        (top.kind, top.direction, top.shape.as_str()),
        (ConversationKind::Comment, MessageDirection::Inbound, "comment")
    );
    assert_eq!(top.platform_message_id, "17865799348089039");
    assert_eq!((top.participant.id.as_str(), top.participant.username.as_deref()), ("232323232", Some("buyer.vn")));
    assert_eq!((top.thread_root_id.as_deref(), top.parent_id.as_deref()), (Some("123123123"), None));
    assert_eq!(top.sent_at, secs(1_700_000_300));
    let reply = msg(&items[1]);
    assert_eq!((reply.direction, reply.parent_id.as_deref()), (MessageDirection::Outbound, Some("17865799348089039")));
    assert_eq!((msg(&items[2]).shape.as_str(), msg(&items[2]).text.as_deref()), ("live_comment", Some("chốt đơn")));
    let mention = msg(&items[3]);
    assert_eq!(
        (mention.kind, mention.shape.as_str(), mention.text.as_deref()),
        (ConversationKind::Mention, "mention", None)
    );
    assert_eq!(mention.platform_message_id, "17894227972186120");
    assert_eq!((mention.thread_root_id.as_deref(), mention.participant.id.as_str()), (Some("999999999"), ""));
    assert_eq!(msg(&items[4]).platform_message_id, "999999998");
    assert_eq!(unknown_field(&items[5]), "story_insights");
    assert_eq!(unknown_field(&items[6]), "comments"); // no author
}

#[test]
fn facebook_feed_comments() {
    let items = items("facebook_feed.json");
    assert_eq!(items.len(), 8);
    let top = msg(&items[0]);
    assert_eq!((top.kind, top.direction), (ConversationKind::Comment, MessageDirection::Inbound));
    assert_eq!((top.platform_message_id.as_str(), top.thread_root_id.as_deref()), ("20001_300_400", Some("20001_300")));
    assert_eq!(top.parent_id, None);
    assert_eq!((top.participant.id.as_str(), top.participant.name.as_deref()), ("5550001", Some("Trần Thị B")));
    assert_eq!((top.text.as_deref(), top.sent_at), (Some("Ship về Hà Nội bao lâu?"), secs(1_700_000_400)));
    let reply = msg(&items[1]);
    assert_eq!(reply.parent_id.as_deref(), Some("20001_300_400"));
    assert_eq!(reply.attachments[0].kind, AttachmentKind::Image);
    assert_eq!(msg(&items[2]).direction, MessageDirection::Outbound);
    let edited = InboundEvent::Edit {
        platform_message_id: "20001_300_400".into(),
        text: "Ship về Hà Nội mất bao lâu?".into(),
        at: secs(1_700_000_450),
    };
    assert_eq!(items[3].event, edited);
    assert!(
        matches!(&items[4].event, InboundEvent::Delete { platform_message_id, .. } if platform_message_id == "20001_300_401")
    );
    assert!(items[5..].iter().all(|i| unknown_field(i) == "feed" && i.account_id == "20001"));
}

#[test]
fn whatsapp_messages_of_every_type() {
    let items = items("whatsapp_messages.json");
    assert_eq!(items.len(), 20);
    assert!(items.iter().all(|i| i.platform == Platform::Whatsapp && i.account_id == "106540352242922"));
    let text = msg(&items[0]);
    assert_eq!((text.participant.id.as_str(), text.participant.name.as_deref()), ("84901234567", Some("Nguyễn Văn A")));
    assert_eq!((text.kind, text.direction), (ConversationKind::Direct, MessageDirection::Inbound));
    assert_eq!(
        (text.text.as_deref(), text.reply_to_id.as_deref()),
        (Some("Còn màu khác không?"), Some("wamid.PREVIOUS"))
    );
    assert_eq!((text.platform_message_id.as_str(), text.sent_at), ("wamid.TEXT", secs(1_700_000_500)));
    let image = msg(&items[1]);
    assert_eq!((image.text.as_deref(), image.shape.as_str()), (Some("cái này"), "image"));
    let a = &image.attachments[0];
    assert_eq!(
        (a.kind, a.media_id.as_deref(), a.mime_type.as_deref()),
        (AttachmentKind::Image, Some("1003383421387256"), Some("image/jpeg"))
    );
    assert_eq!(a.extra, Some(json!({"sha256": "IMAGE_HASH"})));
    let kinds: Vec<_> = items[2..6].iter().map(|i| msg(i).attachments[0].kind).collect();
    assert_eq!(kinds, [AttachmentKind::Audio, AttachmentKind::Video, AttachmentKind::File, AttachmentKind::Sticker]);
    let document = &msg(&items[4]).attachments[0];
    assert_eq!((document.filename.as_deref(), document.caption.as_deref()), (Some("invoice.pdf"), Some("hoá đơn")));
    let location = &msg(&items[6]).attachments[0];
    assert_eq!(
        (location.kind, &location.extra.as_ref().unwrap()["name"]),
        (AttachmentKind::Location, &json!("Meta HQ"))
    );
    assert_eq!(msg(&items[7]).attachments[0].kind, AttachmentKind::Contacts);
    let texts: Vec<_> = items[8..12].iter().map(|i| msg(i).text.as_deref()).collect();
    assert_eq!(texts, [Some("Đồng ý"), Some("Size M"), Some("Sent"), Some("Dừng khuyến mãi")]);
    assert_eq!(msg(&items[8]).reply_to_id.as_deref(), Some("wamid.ASK"));
    assert_eq!(msg(&items[11]).attachments[0].extra.as_ref().unwrap()["button"]["payload"], "STOP_PROMOS");
    let reaction = InboundEvent::Reaction {
        platform_message_id: "wamid.OURS".into(),
        participant_id: "84901234567".into(),
        emoji: Some("😍".into()),
        at: secs(1_700_000_512),
    };
    assert_eq!(items[12].event, reaction);
    assert!(matches!(&items[13].event, InboundEvent::Reaction { emoji: None, .. }));
    let shapes: Vec<_> = items[14..18].iter().map(|i| msg(i).shape.as_str()).collect();
    assert_eq!(shapes, ["order", "system", "unsupported", "request_welcome"]);
    assert_eq!(msg(&items[14]).text.as_deref(), Some("Giao nhanh giúp mình"));
    assert_eq!(unknown_field(&items[18]), "messages"); // a type Sellcast does not know
    assert_eq!(unknown_field(&items[19]), "messages"); // no sender
}

#[test]
fn whatsapp_statuses_errors_and_other_fields() {
    let items = items("whatsapp_statuses.json");
    assert_eq!(items.len(), 8);
    let states: Vec<_> = items[..4].iter().map(|i| status(i).state).collect();
    assert_eq!(states, [DeliveryState::Sent, DeliveryState::Delivered, DeliveryState::Read, DeliveryState::Failed]);
    let sent = status(&items[0]);
    assert_eq!((sent.platform_message_id.as_str(), sent.recipient_id.as_deref()), ("wamid.OUT1", Some("84901234567")));
    assert_eq!((sent.at, &sent.error), (secs(1_700_000_600), &None));
    let error = status(&items[3]).error.as_ref().unwrap();
    assert_eq!(error.code, 131047);
    assert!(error.message.starts_with("Message failed to send because more than 24 hours"));
    let fields: Vec<_> = items[4..].iter().map(unknown_field).collect();
    assert_eq!(fields, ["statuses", "statuses", "errors", "message_template_status_update"]);
    assert!(items[..7].iter().all(|i| i.account_id == "106540352242922"));
    // Template updates concern the WhatsApp Business Account: no phone number, so the entry id.
    assert_eq!(items[7].account_id, "102290129340398");
}

#[test]
fn unknown_objects_and_fields_are_kept() {
    let body = br#"{"object":"user","entry":[{"id":"42","time":1,"changed_fields":["email"]}]}"#;
    let items = parse(body).unwrap();
    assert_eq!((items.len(), items[0].account_id.as_str(), unknown_field(&items[0])), (1, "42", "user"));
    let body = br#"{"object":"page","entry":[{"id":"20001","time":1,"changes":[{"field":"ratings","value":{}}]}]}"#;
    let items = parse(body).unwrap();
    assert_eq!((items[0].platform, unknown_field(&items[0])), (Platform::Facebook, "ratings"));
    let body = br#"{"object":"instagram","entry":[{"time":1,"standby":[{}]}]}"#;
    let items = parse(body).unwrap();
    assert_eq!((items[0].account_id.as_str(), unknown_field(&items[0])), ("", "entry"));
}

#[test]
fn hostile_shapes_never_panic() {
    let bodies = [
        r#"{"object":"page","entry":[{"id":{},"messaging":[null,1,"x",[],{"message":null},{"message":{"mid":1}}]}]}"#,
        r#"{"object":"instagram","entry":[{"id":1,"time":-99999999999999999,"messaging":[{"sender":{"id":"1"},"message":{"mid":"m"}}]}]}"#,
        r#"{"object":"instagram","entry":[{"messaging":[{"timestamp":1e300,"message":{"mid":"m","attachments":[null,{"type":5}]}}]}]}"#,
        r#"{"object":"page","entry":[{"id":"1","time":1,"changes":[null,{"field":"feed","value":"x"},{"field":"feed"}]}]}"#,
        r#"{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"c"}}]}]}"#,
        r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"1","id":"x","timestamp":"1","type":"image"}],"statuses":[{"id":"s","status":"failed","timestamp":"99999999999999999999","errors":[null]}]}}]}]}"#,
        r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"contacts":[{"wa_id":null}],"messages":[{"from":"1","id":"x","timestamp":"1","type":"reaction","reaction":{}}]}}]}]}"#,
    ];
    for body in bodies {
        let items = parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert!(!items.is_empty(), "{body}");
    }
}

#[test]
fn bodies_that_are_not_deliveries_are_errors() {
    assert!(matches!(parse(b"not json"), Err(ParseError::NotJson(_))));
    let whole = fixture("messenger.json");
    assert!(matches!(parse(&whole[..whole.len() / 2]), Err(ParseError::NotJson(_))));
    assert!(matches!(parse(b""), Err(ParseError::NotJson(_))));
    assert!(matches!(parse(b"[{\"object\":\"page\",\"entry\":[]}]"), Err(ParseError::NotAnEvent(_))));
    assert!(matches!(parse(b"{\"object\":\"page\",\"entry\":{}}"), Err(ParseError::NotAnEvent(_))));
    assert!(matches!(parse(b"{\"entry\":[]}"), Err(ParseError::NotAnEvent(_))));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(parse(deep.as_bytes()), Err(ParseError::NotJson(_))));
    let inside =
        format!(r#"{{"object":"page","entry":[{{"id":"1","x":{}{}}}]}}"#, "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(parse(inside.as_bytes()), Err(ParseError::NotJson(_))));
}
