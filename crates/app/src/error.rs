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
    /// Unexpected: the detail (and its source chain) goes to the log, never to a client.
    #[error("internal error: {0}")]
    Internal(#[source] InternalError),
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What was being done when something unexpected failed, and the failure itself.
#[derive(Debug)]
pub struct InternalError {
    what: String,
    source: Option<BoxError>,
}

impl InternalError {
    /// The whole chain for the log: "what: cause: its cause …".
    pub fn report(&self) -> String {
        let mut out = self.what.clone();
        let mut next = self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(e) = next {
            out.push_str(": ");
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }
}

impl std::fmt::Display for InternalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for InternalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(ValidationErrors::single(field, message))
    }

    /// An unexpected failure described by a message alone.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(InternalError { what: e.to_string(), source: None })
    }

    /// An unexpected failure while doing `what`, keeping `source` (and its chain) for the log.
    pub fn internal_from(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        AppError::Internal(InternalError { what: what.into(), source: Some(source.into()) })
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
            other => AppError::internal_from("database", other),
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

#[cfg(test)]
mod tests {
    use super::AppError;

    #[test]
    fn internal_errors_keep_their_source_chain_for_the_log() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "disk says no");
        let AppError::Internal(e) = AppError::internal_from("writing secrets.json", io) else { panic!("internal") };
        assert_eq!(e.to_string(), "writing secrets.json", "what a client-facing message may show");
        assert_eq!(e.report(), "writing secrets.json: disk says no");
        assert!(std::error::Error::source(&e).is_some());
        let AppError::Internal(plain) = AppError::internal("no adapter for x") else { panic!("internal") };
        assert_eq!(plain.report(), "no adapter for x");
    }
}
