//! Passwords, tokens, encryption at rest and TOTP.

pub mod passwords;
pub mod secretbox;
pub mod tokens;
pub mod totp;
