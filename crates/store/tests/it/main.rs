//! Every integration test of the store crate in one binary (one link; ADR 0010): the
//! statements whose SQL differs per backend, each run on SQLite and on PostgreSQL.

mod calendar_page;
mod constraints;
mod events;
mod events_commit;
mod locks;
mod many_reads;
mod migrations;
mod post_page;
mod publishing_marks;
mod signed_in;
mod support;
