//! Reading Meta's JSON leniently: a missing or mistyped field is `None`, never a panic.

use crate::inbound::{Attachment, AttachmentKind};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// A non-empty string field.
pub(super) fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// A non-empty string at a JSON pointer (`/from/name`).
pub(super) fn string_at(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// An id that may come as a string or a number.
pub(super) fn id(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(crate::meta::id_string)
}

/// An id at a JSON pointer (`/sender/id`).
pub(super) fn id_at(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(crate::meta::id_string)
}

pub(super) fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// An array field, or nothing.
pub(super) fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// Values above this are milliseconds: as seconds they would be after the year 5000.
const MILLIS_THRESHOLD: u64 = 100_000_000_000;

/// A Meta timestamp: a number or a numeric string, in seconds or milliseconds (Messenger uses
/// milliseconds, Instagram's `entry.time` and WhatsApp use seconds).
pub(super) fn meta_time(v: &Value) -> Option<DateTime<Utc>> {
    let n = match v {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        _ => return None,
    };
    if n.unsigned_abs() >= MILLIS_THRESHOLD {
        DateTime::from_timestamp_millis(n)
    } else {
        DateTime::from_timestamp(n, 0)
    }
}

/// An attachment of `kind` with nothing filled in yet.
pub(super) fn attachment(kind: AttachmentKind) -> Attachment {
    Attachment { kind, url: None, media_id: None, mime_type: None, filename: None, caption: None, extra: None }
}

/// What the network attached that is not a file (a button payload, an order, an ad referral):
/// kept as `{key: value}` in an `Other` attachment, since a message has no other place for it.
pub(super) fn extra(key: &str, value: &Value) -> Attachment {
    Attachment { extra: Some(json!({ key: value })), ..attachment(AttachmentKind::Other) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_times_in_seconds_or_milliseconds() {
        let want = DateTime::from_timestamp(1_700_000_000, 0);
        assert_eq!(meta_time(&json!(1_700_000_000)), want);
        assert_eq!(meta_time(&json!(1_700_000_000_000_i64)), want);
        assert_eq!(meta_time(&json!("1700000000")), want);
        assert_eq!(meta_time(&json!(i64::MAX)), None);
        assert_eq!(meta_time(&json!(i64::MIN)), None);
        assert_eq!(meta_time(&json!(1.5)), None);
        assert_eq!(meta_time(&json!("soon")), None);
    }
}
