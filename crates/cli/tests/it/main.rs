//! Every integration test of this crate in one binary (one link, not one per file; ADR 0010).

mod binary;
mod jobs_cli;
mod publish_e2e;
mod rotate_key;
mod seed_demo;
mod smtp;
mod support;
mod unknown_variables;
mod webhook_durability;
