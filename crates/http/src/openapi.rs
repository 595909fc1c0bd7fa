//! The OpenAPI 3 document, generated from the handlers' annotations. Every operation also
//! lists the error responses every route can give, so clients (and schemathesis) know them.

use crate::api;
use crate::error::ErrorBody;
use crate::ops;
use crate::public;
use crate::realtime;
use crate::webhooks;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Sellcast API", description = "Social selling and social media management. Errors always use the ErrorBody shape; lists use cursor pagination."),
    paths(
        ops::healthz, ops::readyz, ops::metrics,
        api::auth::register, api::auth::login, api::auth::refresh, api::auth::logout,
        api::auth::forgot, api::auth::reset, api::auth::totp_status, api::auth::totp_setup,
        api::auth::totp_verify, api::auth::totp_disable, api::auth::totp_recovery_codes,
        api::me::get, api::me::update, api::me::delete, api::me::export, api::me::sessions, api::me::revoke_session,
        api::orgs::list, api::orgs::create, api::orgs::get, api::orgs::update, api::orgs::delete,
        api::orgs::members, api::orgs::change_role, api::orgs::remove,
        api::invites::create, api::invites::list, api::invites::revoke, api::invites::preview, api::invites::accept,
        api::clients::list, api::clients::create, api::clients::get, api::clients::update, api::clients::delete,
        api::audit::list,
        api::admin_jobs::list, api::admin_jobs::get, api::admin_jobs::retry, api::admin_jobs::cancel,
        api::channels::list, api::channels::connect, api::channels::get, api::channels::update,
        api::channels::disconnect, api::channels::reconnect, api::channels::health, api::oauth::callback,
        api::media::upload, api::media::list, api::media::get, api::media::update, api::media::delete,
        api::media::content,
        api::posts::create, api::posts::list, api::posts::get, api::posts::update, api::posts::delete,
        api::posts::schedule, api::posts::unschedule, api::posts::publish, api::posts::duplicate, api::posts::retry,
        api::calendar::days, api::calendar::create_feed, api::calendar::delete_feed,
        api::notifications::list, api::notifications::mark_read,
        api::conversations::list, api::conversations::get, api::conversations::update,
        api::conversations::mark_read, api::conversations::mark_unread, api::conversations::bulk,
        api::conversations::messages, api::conversations::reply, api::conversations::sandbox_receive,
        api::conversations::admin_inbound_events, api::conversations::attachment, api::conversations::templates,
        webhooks::meta::verify, webhooks::meta::receive,
        realtime::sse::events, realtime::ws::socket,
        public::signed_media, public::ical_feed, public::sandbox_post, public::sandbox_profile,
    ),
    components(schemas(ErrorBody)),
    modifiers(&StandardErrors),
)]
pub struct ApiDoc;

struct StandardErrors;

impl Modify for StandardErrors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops: [&mut Option<Operation>; 5] =
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for op in ops.into_iter().flatten() {
                let has_body = op.request_body.is_some();
                let mut codes: Vec<(&str, &str)> =
                    vec![("429", "Rate limited (see Retry-After)"), ("500", "Internal error")];
                if path.starts_with("/api/") {
                    codes.push(("400", "Invalid input"));
                    codes.push(("401", "Missing, invalid or expired token or credentials"));
                    codes.push(("403", "Not allowed (role, or registration closed)"));
                    codes.push(("404", "Not found, or not visible to the caller"));
                    codes.push(("405", "Method not allowed"));
                }
                if has_body {
                    codes.push(("413", "Body too large"));
                    codes.push(("415", "Body is not JSON"));
                }
                for (code, description) in codes {
                    if !op.responses.responses.contains_key(code) {
                        let response = ResponseBuilder::new()
                            .description(description)
                            .content(
                                "application/json",
                                Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody")))),
                            )
                            .build();
                        op.responses.responses.insert(code.to_string(), RefOr::T(response));
                    }
                }
            }
        }
    }
}

/// The spec as pretty JSON (served, and committed as docs/openapi.json).
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".into())
}
