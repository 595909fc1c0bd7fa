//! TOTP (RFC 6238): 6 digits, 30-second steps, one step of clock skew either way.

use crate::error::{AppError, AppResult};
use totp_rs::{Algorithm, Secret, TOTP};

const ISSUER: &str = "Sellcast";

fn totp(secret_b32: &str, account: &str) -> AppResult<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().map_err(|_| AppError::internal("bad TOTP secret"))?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, Some(ISSUER.to_string()), account.to_string())
        .map_err(AppError::internal)
}

/// A fresh base32 secret (160 bits).
pub fn new_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

pub fn otpauth_uri(secret_b32: &str, account: &str) -> AppResult<String> {
    Ok(totp(secret_b32, account)?.get_url())
}

/// Whether `code` is valid at unix time `at` (± one step).
pub fn check(secret_b32: &str, account: &str, code: &str, at: u64) -> AppResult<bool> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(false);
    }
    Ok(totp(secret_b32, account)?.check(code, at))
}

/// The code for time `at` (tests and CLI diagnostics).
pub fn code_at(secret_b32: &str, account: &str, at: u64) -> AppResult<String> {
    Ok(totp(secret_b32, account)?.generate(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_step_of_skew_not_two() {
        let s = new_secret();
        let t = 1_800_000_000u64;
        let now = code_at(&s, "a@b.co", t).unwrap();
        assert!(check(&s, "a@b.co", &now, t).unwrap());
        let prev = code_at(&s, "a@b.co", t - 30).unwrap();
        assert!(check(&s, "a@b.co", &prev, t).unwrap());
        let old = code_at(&s, "a@b.co", t - 90).unwrap();
        assert!(!check(&s, "a@b.co", &old, t).unwrap() || old == now);
        assert!(!check(&s, "a@b.co", "12345", t).unwrap());
        assert!(otpauth_uri(&s, "a@b.co").unwrap().starts_with("otpauth://totp/Sellcast:"));
    }
}
