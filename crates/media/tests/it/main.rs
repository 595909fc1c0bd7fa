//! Every integration test of this crate in one binary (one link, not one per file; ADR 0010).

mod common;
mod fs_store;
mod images;
mod s3_store;
mod sniffing;
mod video;
