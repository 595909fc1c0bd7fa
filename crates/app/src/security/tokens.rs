//! Access tokens (HS256 JWT, 15 minutes, user + session id, no roles) and opaque random
//! tokens (refresh, reset, invite) that are stored only as SHA-256 hashes.

use crate::error::{AppError, AppResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const ACCESS_TOKEN_SECS: i64 = 15 * 60;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        JwtKeys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    pub fn issue(&self, user_id: &str, session_id: &str, now: DateTime<Utc>) -> AppResult<String> {
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + ACCESS_TOKEN_SECS,
            typ: "access".into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(AppError::internal)
    }

    /// Check signature and expiry against `now` (the app clock, so tests can expire tokens).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> AppResult<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false; // checked below against the injected clock
        v.required_spec_claims = ["exp", "sub"].into_iter().map(String::from).collect();
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &v).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => AppError::TokenExpired,
            _ => AppError::InvalidToken,
        })?;
        if data.claims.typ != "access" {
            return Err(AppError::InvalidToken);
        }
        if data.claims.exp <= now.timestamp() {
            return Err(AppError::TokenExpired);
        }
        Ok(data.claims)
    }
}

/// A new opaque token: 32 random bytes, base64url.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// What is stored for an opaque token: its SHA-256, hex. Tokens carry 256 bits of entropy,
/// so a fast hash suffices (unlike passwords).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn jwt_round_trip_expiry_and_tamper() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let now = Utc::now();
        let t = keys.issue("u1", "s1", now).unwrap();
        let c = keys.verify(&t, now).unwrap();
        assert_eq!((c.sub.as_str(), c.sid.as_str()), ("u1", "s1"));
        assert!(matches!(keys.verify(&t, now + Duration::minutes(16)), Err(AppError::TokenExpired)));
        let mut tampered = t.clone();
        tampered.pop();
        tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(matches!(keys.verify(&tampered, now), Err(AppError::InvalidToken)));
        let other = JwtKeys::new(b"another-secret-another-secret-xx");
        assert!(matches!(other.verify(&t, now), Err(AppError::InvalidToken)));
    }

    #[test]
    fn random_tokens_differ_and_hash_stably() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash(&a).len(), 64);
    }
}
