//! Sellcast's domain: the rules that hold whatever the storage or transport. No I/O here.

pub mod channel;
pub mod conversation;
pub mod ids;
pub mod inbound;
pub mod job;
pub mod media;
pub mod message;
pub mod pagination;
pub mod platform;
pub mod post;
pub mod roles;
pub mod rules;
pub mod text_enum;
pub mod validation;
pub mod variant;

pub use channel::ChannelStatus;
pub use conversation::{ConversationKind, ConversationPriority, ConversationStatus};
pub use inbound::InboundState;
pub use job::JobState;
pub use media::MediaStatus;
pub use message::{DeliveryState, MessageDirection};
pub use platform::Platform;
pub use post::PostStatus;
pub use roles::{Permission, Role};
pub use validation::{FieldError, ValidationErrors};
pub use variant::VariantStatus;
