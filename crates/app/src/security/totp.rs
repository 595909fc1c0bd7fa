//! TOTP (RFC 6238): 6 digits, 30-second steps, one step of clock skew either way.

use crate::error::{AppError, AppResult};
use totp_rs::{Algorithm, Secret, TOTP};

const ISSUER: &str = "Sellcast";

const STEP: u64 = 30;

fn totp(secret_b32: &str, account: &str) -> AppResult<TOTP> {
    let bytes =
        Secret::Encoded(secret_b32.to_string()).to_bytes().map_err(|_| AppError::internal("bad TOTP secret"))?;
    // Skew 0 here: `matching_step` tries the neighbouring steps itself, to learn which matched.
    TOTP::new(Algorithm::SHA1, 6, 0, STEP, bytes, Some(ISSUER.to_string()), account.to_string())
        .map_err(AppError::internal)
}

/// A fresh base32 secret (160 bits).
pub fn new_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

pub fn otpauth_uri(secret_b32: &str, account: &str) -> AppResult<String> {
    Ok(totp(secret_b32, account)?.get_url())
}

/// The time step (unix time / 30) whose code `code` is, when it is valid at unix time `at`
/// with one step of skew either way; the caller refuses a step already used.
pub fn matching_step(secret_b32: &str, account: &str, code: &str, at: u64) -> AppResult<Option<i64>> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let t = totp(secret_b32, account)?;
    let now = at / STEP;
    for step in [now.saturating_sub(1), now, now + 1] {
        if t.check(code, step * STEP) {
            return Ok(Some(step as i64));
        }
    }
    Ok(None)
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
        let step = (t / 30) as i64;
        let now = code_at(&s, "a@b.co", t).unwrap();
        assert_eq!(matching_step(&s, "a@b.co", &now, t).unwrap(), Some(step));
        let prev = code_at(&s, "a@b.co", t - 30).unwrap();
        assert_eq!(matching_step(&s, "a@b.co", &prev, t).unwrap(), Some(step - 1));
        let next = code_at(&s, "a@b.co", t + 30).unwrap();
        assert_eq!(matching_step(&s, "a@b.co", &next, t).unwrap(), Some(step + 1));
        let old = code_at(&s, "a@b.co", t - 90).unwrap();
        if ![now.as_str(), prev.as_str(), next.as_str()].contains(&old.as_str()) {
            assert_eq!(matching_step(&s, "a@b.co", &old, t).unwrap(), None);
        }
        assert_eq!(matching_step(&s, "a@b.co", "12345", t).unwrap(), None);
        assert!(otpauth_uri(&s, "a@b.co").unwrap().starts_with("otpauth://totp/Sellcast:"));
    }
}
