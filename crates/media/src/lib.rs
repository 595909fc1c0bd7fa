//! Blob storage and image processing (being written).
