//! Argon2id password hashing, run on the blocking pool so it never stalls the runtime.

use crate::error::{AppError, AppResult};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)?
}

/// Verify; a malformed stored hash counts as a mismatch.
pub async fn verify(password: String, stored: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await
    .map_err(AppError::internal)
}

/// A real hash of a throwaway password, verified against when the email is unknown so
/// that a login for a missing account costs the same time as one for a real account.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(b"decoy-password-never-used", &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = super::hash("Secret123".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("Secret123".into(), h.clone()).await.unwrap());
        assert!(!super::verify("Secret124".into(), h).await.unwrap());
        assert!(!super::verify("x".into(), "garbage".into()).await.unwrap());
    }
}
