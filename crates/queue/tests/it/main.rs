//! Every integration test of this crate in one binary (one link, not one per file; ADR 0010).

mod helpers;
mod processes;
mod queue_fixture;
mod semantics_enqueue;
mod semantics_leases;
mod semantics_outcomes;
mod semantics_scheduling;
mod smoke;
mod statements;
mod support;
