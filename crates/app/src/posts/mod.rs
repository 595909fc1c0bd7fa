//! Posts: one text with ordered media, tags, campaign and client, and a variant per target
//! channel. Creating and editing live in `edit`, scheduling in `schedule`, the publish jobs on
//! the queue in `enqueue`, per-platform checks in `validate`, the publish job's handler in
//! `publish`, the `post:status` event in `status_event`.

pub mod edit;
pub mod enqueue;
pub mod input;
pub mod load;
pub mod publish;
pub mod schedule;
pub mod status_event;
pub mod validate;
pub mod view;

pub use edit::{create, create_scheduled, delete, duplicate, get, list, update};
pub use input::{PostInput, VariantInput, TAGS_MAX, TEXT_MAX};
pub use status_event::{PostStatusChanged, VariantState};
pub use view::{Post, PostQuery, PostView, Variant, VariantView};
