//! Encryption at rest (AES-256-GCM). Ciphertexts carry their key id ("k1:<base64>") so keys
//! can rotate: new data uses the active key, old data stays readable by its own key.

use crate::error::{AppError, AppResult};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

/// A key as configured or stored (base64 of 32 bytes); the error says what is wrong with it.
pub fn decode_key(b64: &str) -> Result<[u8; 32], String> {
    let bytes = STANDARD.decode(b64.trim()).map_err(|_| "must be base64".to_string())?;
    bytes.try_into().map_err(|_| "must decode to exactly 32 bytes".to_string())
}

#[derive(Clone)]
pub struct SecretBox {
    active: String,
    keys: Vec<(String, [u8; 32])>,
}

impl SecretBox {
    /// `keys`: (id, 32-byte key); `active` must be one of them.
    pub fn new(active: &str, keys: Vec<(String, [u8; 32])>) -> AppResult<Self> {
        if !keys.iter().any(|(id, _)| id == active) {
            return Err(AppError::internal(format!("active encryption key {active} is not in the key ring")));
        }
        Ok(SecretBox { active: active.to_string(), keys })
    }

    /// The id of the key new ciphertexts are sealed with.
    pub fn active_id(&self) -> &str {
        &self.active
    }

    fn key(&self, id: &str) -> Option<&[u8; 32]> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, v)| v)
    }

    pub fn seal(&self, plaintext: &str) -> AppResult<String> {
        let key = self.key(&self.active).ok_or_else(|| AppError::internal("no active key"))?;
        let cipher = Aes256Gcm::new(key.into());
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| AppError::internal("encryption failed"))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Ok(format!("{}:{}", self.active, STANDARD.encode(blob)))
    }

    pub fn open(&self, sealed: &str) -> AppResult<String> {
        let bad = || AppError::internal("stored secret cannot be decrypted");
        let (kid, b64) = sealed.split_once(':').ok_or_else(bad)?;
        let key = self.key(kid).ok_or_else(bad)?;
        let blob = STANDARD.decode(b64).map_err(|_| bad())?;
        if blob.len() < 12 {
            return Err(bad());
        }
        let (nonce, ct) = blob.split_at(12);
        let pt = Aes256Gcm::new(key.into()).decrypt(Nonce::from_slice(nonce), ct).map_err(|_| bad())?;
        String::from_utf8(pt).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_rotation() {
        let old = SecretBox::new("k1", vec![("k1".into(), [1; 32])]).unwrap();
        let sealed = old.seal("token-abc").unwrap();
        assert!(sealed.starts_with("k1:"));
        assert!(!sealed.contains("token-abc"));
        assert_eq!(old.open(&sealed).unwrap(), "token-abc");
        let rotated = SecretBox::new("k2", vec![("k1".into(), [1; 32]), ("k2".into(), [2; 32])]).unwrap();
        assert_eq!(rotated.open(&sealed).unwrap(), "token-abc");
        assert!(rotated.seal("x").unwrap().starts_with("k2:"));
        assert!(old.open("k1:AAAA").is_err());
        assert!(old.open("nonsense").is_err());
    }

    #[test]
    fn keys_decode_only_from_base64_of_32_bytes() {
        assert_eq!(decode_key(&STANDARD.encode([7u8; 32])).unwrap(), [7u8; 32]);
        assert_eq!(decode_key(&format!(" {} \n", STANDARD.encode([7u8; 32]))).unwrap(), [7u8; 32]);
        assert_eq!(decode_key("not base64!").unwrap_err(), "must be base64");
        assert_eq!(decode_key(&STANDARD.encode([7u8; 16])).unwrap_err(), "must decode to exactly 32 bytes");
    }
}
