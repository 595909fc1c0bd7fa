//! What a platform's refusal while connecting means to the user: a refused login or a refused
//! request is about what they typed (a validation error), anything else is the platform's fault.

use crate::error::AppError;
use sellcast_platforms::PlatformError;

pub(super) fn platform_error(e: PlatformError) -> AppError {
    match e {
        PlatformError::Auth { message } => {
            AppError::validation("credentials", format!("the platform refused: {message}"))
        }
        PlatformError::Permanent { message, .. } => AppError::validation("platform", message),
        other => AppError::Platform(other.to_string()),
    }
}
