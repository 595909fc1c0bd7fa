//! Every integration test of this crate in one binary (one link, not one per file; ADR 0010).

mod bluesky;
mod bluesky_pds;
mod facebook;
mod inbox_polling;
mod instagram;
mod linkedin;
mod linkedin_video;
mod mastodon;
mod meta_messaging;
mod meta_webhook;
mod threads;
mod whatsapp;
mod x;
