//! Sellcast media: what an upload is, whether it is allowed, where its bytes live, and the
//! resized copies that get published.
//!
//! The upload path, in order:
//! 1. [`sniff`] the bytes (never the file name or the client's Content-Type);
//! 2. [`validate`] the size against [`MediaLimits`];
//! 3. [`inspect`] for width and height (decodes images in full, so corrupt ones are refused);
//! 4. [`BlobStore::put`] the original.
//!
//! A background job then calls [`derive`] for [`Variant::Thumbnail`] and each
//! [`Variant::For`] platform and stores the results. Videos are stored as uploaded.

mod blob;
mod error;
mod imaging;
mod limits;
mod sniff;
mod variants;
mod video;

pub use blob::{BlobConfig, BlobStore, BlobStream, FsBlobStore, S3BlobStore, S3Config};
pub use error::MediaError;
pub use imaging::{derive, derive_with, inspect, Derived};
pub use limits::{validate, MediaLimits};
pub use sellcast_domain::Platform;
pub use sniff::{sniff, MediaKind, MediaType};
pub use variants::{OutputFormat, Variant, VariantSpec};
pub use video::video_dimensions;
