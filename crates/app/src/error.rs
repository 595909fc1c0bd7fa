//! The app's one error type: every way a use case can fail, and what a store error becomes.

use sellcast_domain::ValidationErrors;
use sellcast_store::{StoreError, Unique};
use thiserror::Error;

pub type AppResult<T> = Result<T, AppError>;

/// Every way a use case can fail; the HTTP layer maps each to a status and error code.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("validation failed: {0}")]
    Validation(ValidationErrors),
    #[error("{0}")]
    Unauthorized(String),
    /// Password was right; a TOTP or recovery code is needed to finish signing in.
    #[error("a two-factor code is required")]
    MfaRequired,
    #[error("invalid token")]
    InvalidToken,
    #[error("token expired")]
    TokenExpired,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: u64 },
    /// A social platform failed or refused in a way the user cannot fix by editing input.
    #[error("{0}")]
    Platform(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(ValidationErrors::single(field, message))
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        AppError::Validation(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { constraint } => AppError::Conflict(conflict_message(constraint).to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// What a user is told when a unique constraint stops them.
fn conflict_message(constraint: Unique) -> &'static str {
    match constraint {
        Unique::UserEmail => "an account with this email already exists",
        Unique::Membership => "this user is already a member of the organization",
        Unique::PendingInvite => "this email already has a pending invite to the organization",
        Unique::ClientName => "a client with this name already exists",
        Unique::JobUniqueKey => "another unfinished job has the same unique key",
        Unique::ChannelAccount => "this account is already connected to the organization",
        Unique::PostVariantChannel => "the post already targets this channel",
        // Random tokens and idempotency keys: a user cannot cause these by their input.
        Unique::InviteToken
        | Unique::RefreshToken
        | Unique::PasswordReset
        | Unique::SandboxPostKey
        | Unique::CalendarFeedToken => "this conflicts with an existing record",
    }
}
