//! Every integration test of this crate in one binary (one link, not one per file; ADR 0010).

mod admin_jobs;
mod api_surface;
mod audit_log;
mod auth_recovery;
mod auth_signup_login;
mod auth_tokens;
mod browser;
mod clients_pagination;
mod common;
mod cross_tenant;
mod events;
mod fuzz;
mod invites;
mod links;
mod me_account;
mod orgs_members;
mod publishing;
mod publishing_api;
mod publishing_pds;
mod smoke;
mod storage;
mod web_auth;
mod web_calendar;
mod web_channels;
mod web_posts;
mod web_settings;
