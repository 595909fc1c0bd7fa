//! How a platform call failed, classified for the publisher: retry, wait, refresh the token,
//! give up, or check whether the post exists before doing anything else.

use chrono::{DateTime, Utc};
use std::time::Duration;

pub type PlatformResult<T> = Result<T, PlatformError>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    /// Worth retrying later: 5xx, a timeout or connection failure before the request was sent.
    #[error("{message}")]
    Retryable { message: String },
    /// 429 or an exhausted quota: retry at `retry_at` (from the platform's reset headers).
    #[error("rate limited by the platform: {message}")]
    RateLimited { message: String, retry_at: Option<DateTime<Utc>> },
    /// The token is expired, revoked or lacks a permission: refresh once, then reconnect.
    #[error("the platform refused the credentials: {message}")]
    Auth { message: String },
    /// The platform refused the content or the request for good (4xx): shown to the user.
    #[error("{message}")]
    Permanent { status: Option<u16>, message: String },
    /// The request was sent and the answer was lost (timeout while waiting, connection
    /// dropped): the post may or may not exist.
    #[error("the outcome is unknown: {message}")]
    Unknown { message: String },
}

impl PlatformError {
    pub fn retryable(message: impl Into<String>) -> Self {
        PlatformError::Retryable { message: message.into() }
    }

    pub fn permanent(status: Option<u16>, message: impl Into<String>) -> Self {
        PlatformError::Permanent { status, message: message.into() }
    }

    pub fn auth(message: impl Into<String>) -> Self {
        PlatformError::Auth { message: message.into() }
    }

    pub fn unknown(message: impl Into<String>) -> Self {
        PlatformError::Unknown { message: message.into() }
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        PlatformError::Permanent { status: None, message: message.into() }
    }

    /// A response body that was not what the documentation promises.
    pub fn bad_response(what: impl std::fmt::Display) -> Self {
        PlatformError::Retryable { message: format!("unexpected response from the platform: {what}") }
    }

    pub fn message(&self) -> &str {
        match self {
            PlatformError::Retryable { message }
            | PlatformError::RateLimited { message, .. }
            | PlatformError::Auth { message }
            | PlatformError::Permanent { message, .. }
            | PlatformError::Unknown { message } => message,
        }
    }

    /// How long to wait before the next try, when the platform said.
    pub fn wait_hint(&self, now: DateTime<Utc>) -> Option<Duration> {
        match self {
            PlatformError::RateLimited { retry_at: Some(at), .. } => (*at - now).to_std().ok(),
            _ => None,
        }
    }
}
