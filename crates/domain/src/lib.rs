//! Sellcast's domain: the rules that hold whatever the storage or transport. No I/O here.

pub mod ids;
pub mod pagination;
pub mod platform;
pub mod roles;
pub mod rules;
pub mod validation;

pub use platform::Platform;
pub use roles::{Permission, Role};
pub use validation::{FieldError, ValidationErrors};
