//! Every integration test of this crate in one binary (one link, not one per file; ADR 0010).

mod rules;
