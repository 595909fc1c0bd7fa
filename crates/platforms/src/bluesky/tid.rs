//! Deterministic record keys. A TID (https://atproto.com/specs/tid) is a 64-bit integer — top
//! bit 0, 53 bits of microseconds since the epoch, a 10-bit clock id — written as 13
//! base32-sortable characters. Deriving it from the variant's idempotency key and first
//! attempt time gives every attempt the same key, so a retried create can never make a second
//! post (the repository holds one record per key).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
const TIMESTAMP_MASK: u64 = (1 << 53) - 1;

/// Which record of a variant the key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Post,
    FirstComment,
}

/// Encode a TID.
pub fn encode(timestamp_micros: u64, clock_id: u16) -> String {
    let mut value = ((timestamp_micros & TIMESTAMP_MASK) << 10) | u64::from(clock_id & 0x3ff);
    let mut out = [b'2'; 13];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value & 0x1f) as usize];
        value >>= 5;
    }
    out.iter().map(|&b| b as char).collect()
}

/// Whether `s` is a syntactically valid TID.
pub fn is_valid(s: &str) -> bool {
    let bytes = s.as_bytes();
    // The first character carries the always-zero top bit: only 2-7 and a-j.
    bytes.len() == 13 && bytes.iter().all(|b| ALPHABET.contains(b)) && matches!(bytes[0], b'2'..=b'7' | b'a'..=b'j')
}

/// The record key for one record of a variant.
///
/// The time part is the first attempt's millisecond (so it survives storage that keeps only
/// milliseconds) plus 0-999 µs taken from the key's hash; the clock id is 10 more bits of the
/// hash. Two variants of one account collide only with the same millisecond and the same 20
/// hash bits.
pub fn record_key(idempotency_key: &str, first_attempt_at: DateTime<Utc>, role: Role) -> String {
    let (micros, clock) = parts(idempotency_key, first_attempt_at, role);
    if role == Role::FirstComment {
        let (post_micros, post_clock) = parts(idempotency_key, first_attempt_at, Role::Post);
        if (post_micros, post_clock) == (micros, clock) {
            return encode(micros, clock ^ 1);
        }
    }
    encode(micros, clock)
}

fn parts(idempotency_key: &str, first_attempt_at: DateTime<Utc>, role: Role) -> (u64, u16) {
    let label: &[u8] = match role {
        Role::Post => b"post",
        Role::FirstComment => b"first-comment",
    };
    let mut hasher = Sha256::new();
    hasher.update(b"sellcast/bluesky/rkey\0");
    hasher.update(idempotency_key.as_bytes());
    hasher.update(b"\0");
    hasher.update(label);
    let hash = hasher.finalize();
    let sub_millisecond = u64::from(u16::from_be_bytes([hash[0], hash[1]]) % 1000);
    let clock = u16::from_be_bytes([hash[2], hash[3]]) & 0x3ff;
    let millis = u64::try_from(first_attempt_at.timestamp_millis()).unwrap_or(0);
    (millis.saturating_mul(1000).saturating_add(sub_millisecond), clock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn matches_the_spec_examples() {
        assert_eq!(encode(0, 0), "2222222222222");
        // @atcute/tid's documented example: TID.create(1724171495793000, 512).
        assert_eq!(encode(1_724_171_495_793_000, 512), "3l25zusnsfck2");
        assert!(is_valid("3jzfcijpj2z2a"));
        assert!(!is_valid("3jzfcijpj2z2"));
        assert!(!is_valid("kjzfcijpj2z2a"));
        assert!(!is_valid("3jzfcijpj2z2A"));
    }

    #[test]
    fn keys_are_stable_distinct_and_valid() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + chrono::Duration::microseconds(123_456);
        let a = record_key("variant-1", at, Role::Post);
        assert_eq!(a, record_key("variant-1", at, Role::Post));
        // Microseconds lost in storage do not change the key.
        let truncated = Utc.timestamp_millis_opt(at.timestamp_millis()).unwrap();
        assert_eq!(a, record_key("variant-1", truncated, Role::Post));
        assert_ne!(a, record_key("variant-2", at, Role::Post));
        assert_ne!(a, record_key("variant-1", at, Role::FirstComment));
        for key in [a, record_key("variant-1", at, Role::FirstComment)] {
            assert!(is_valid(&key), "{key}");
        }
        // Sortable by time: a later first attempt sorts after.
        let later = at + chrono::Duration::seconds(1);
        assert!(record_key("variant-1", later, Role::Post) > record_key("variant-1", at, Role::Post));
    }
}
