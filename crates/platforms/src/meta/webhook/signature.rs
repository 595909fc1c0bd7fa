//! `X-Hub-Signature-256`: `sha256=` + the hex HMAC-SHA256 of the raw body, keyed with the
//! app secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "sha256=";

/// Why a webhook signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header (or an empty one).
    Missing,
    /// Not `sha256=` followed by 64 hex digits.
    Malformed,
    /// Well formed, but signed with none of the secrets.
    Mismatch,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureError::Missing => "the X-Hub-Signature-256 header is missing",
            SignatureError::Malformed => "the X-Hub-Signature-256 header is not \"sha256=\" and 64 hex digits",
            SignatureError::Mismatch => "the X-Hub-Signature-256 header does not match the body",
        })
    }
}

impl std::error::Error for SignatureError {}

/// `header` is the X-Hub-Signature-256 value: `"sha256="` + lowercase or uppercase hex of
/// HMAC-SHA256(secret, raw body). The comparison is constant-time. Any of `secrets` (the Meta
/// app secret, the Instagram app secret, ...) is accepted; empty secrets are skipped; with no
/// secrets at all the answer is `Mismatch`.
pub fn verify_signature(secrets: &[&[u8]], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(SignatureError::Missing)?;
    let expected = decode_header(header)?;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        // HMAC takes keys of any length: this never fails.
        let Ok(mut mac) = HmacSha256::new_from_slice(secret) else { continue };
        mac.update(body);
        if mac.verify_slice(&expected).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// For tests and the fakes: the header value for a body.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
}

fn decode_header(header: &str) -> Result<Vec<u8>, SignatureError> {
    // `get` rather than slicing: the header may hold multi-byte characters.
    let prefix_ok = header.get(..PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(PREFIX));
    let digits = header.get(PREFIX.len()..).filter(|_| prefix_ok).ok_or(SignatureError::Malformed)?;
    let bytes = hex::decode(digits).map_err(|_| SignatureError::Malformed)?;
    if bytes.len() == 32 {
        Ok(bytes)
    } else {
        Err(SignatureError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_signature_round_trips() {
        let header = sign(b"secret", b"{}");
        assert_eq!(header.len(), PREFIX.len() + 64);
        assert_eq!(verify_signature(&[b"secret"], b"{}", Some(&header)), Ok(()));
        assert_eq!(verify_signature(&[b"other"], b"{}", Some(&header)), Err(SignatureError::Mismatch));
    }

    #[test]
    fn webhook_signature_headers_that_are_not_signatures() {
        for bad in ["sha256", "sha256=", "sha256=zz", "é", "sha25€=00", "sha256=abcd"] {
            assert_eq!(verify_signature(&[b"s"], b"", Some(bad)), Err(SignatureError::Malformed), "{bad}");
        }
        assert_eq!(verify_signature(&[b"s"], b"", Some("  ")), Err(SignatureError::Missing));
    }

    #[test]
    fn webhook_signature_needs_a_secret() {
        let header = sign(b"", b"body");
        assert_eq!(verify_signature(&[], b"body", Some(&header)), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(&[b""], b"body", Some(&header)), Err(SignatureError::Mismatch));
    }
}
