//! OAuth 2.0 pieces shared by the platforms that use it: PKCE (RFC 7636, S256), `state`
//! values, and the standard token response (RFC 6749 §5.1).

use crate::adapter::TokenSet;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// A random URL-safe value of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A PKCE verifier (43 characters) and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let verifier = random_token(32);
    let challenge = pkce_challenge(&verifier);
    (verifier, challenge)
}

pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The standard token endpoint answer.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub refresh_token_expires_in: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl TokenResponse {
    pub fn into_token_set(self, now: DateTime<Utc>) -> TokenSet {
        TokenSet {
            access_token: self.access_token,
            // An empty refresh token is no refresh token.
            refresh_token: self.refresh_token.filter(|t| !t.is_empty()),
            expires_at: self.expires_in.filter(|s| *s > 0).map(|s| now + chrono::Duration::seconds(s)),
            extra: serde_json::json!({ "scope": self.scope }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let (v, c) = pkce_pair();
        assert_eq!(v.len(), 43);
        assert_eq!(pkce_challenge(&v), c);
    }

    #[test]
    fn empty_refresh_token_is_none() {
        let t = TokenResponse {
            access_token: "a".into(),
            refresh_token: Some(String::new()),
            expires_in: Some(60),
            refresh_token_expires_in: None,
            scope: None,
        };
        let now = Utc::now();
        let set = t.into_token_set(now);
        assert!(set.refresh_token.is_none());
        assert_eq!(set.expires_at, Some(now + chrono::Duration::seconds(60)));
    }
}
