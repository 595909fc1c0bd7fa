//! `POST /inbox/sandbox`: a made-up customer writes to a sandbox channel; a refused form
//! comes back on the page with its values and errors.

use super::form::{FormState, SandboxForm};
use super::page::rerender;
use super::sandbox::PREFIX;
use super::InboxQuery;
use crate::state::AppState;
use crate::web::error::{user_error, WebResult};
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form};
use crate::web::ui::Errors;
use axum::extract::State;
use axum::response::Response;
use sellcast_app::inbox::sandbox::{self, SandboxInbound};
use sellcast_app::AppError;
use sellcast_domain::{ConversationKind, Permission};

pub async fn receive(
    State(state): State<AppState>,
    scope: OrgScope,
    Form(f): Form<SandboxForm>,
) -> WebResult<Response> {
    scope.require(Permission::InboxReply)?;
    let q = InboxQuery::from_back(&f.back).with_open(&f.c);
    let kind = f.kind.parse::<ConversationKind>();
    let result = match (&kind, f.channel_id.trim()) {
        (Err(_), _) => Err(AppError::validation("kind", "choose a direct message, a comment or a mention")),
        (_, "") => Err(AppError::validation("channel_id", "choose a sandbox channel")),
        (Ok(kind), channel) => {
            let input = SandboxInbound {
                kind: *kind,
                from_name: f.from_name.clone(),
                from_username: Some(f.from_username.clone()).filter(|u| !u.trim().is_empty()),
                text: f.text.clone(),
                post_id: (*kind == ConversationKind::Comment).then(|| f.post_id.clone()),
            };
            sandbox::receive(&state.app, scope.actor(), scope.org_id(), channel, input).await
        }
    };
    match result {
        Ok(_) => {
            let to = q.current(&scope.path("/inbox"));
            let who = f.from_name.trim();
            Ok(redirect_with_flash(
                &state,
                &to,
                &format!("Test message from {who} received: it shows in the list in a moment."),
            ))
        }
        Err(AppError::Validation(e)) => {
            let errors = e.0.iter().map(|x| (format!("{PREFIX}{}", x.field), x.message.clone())).collect();
            let forms = FormState { sandbox: f, errors: Errors(errors), ..Default::default() };
            rerender(&state, &scope, &q, &forms).await
        }
        Err(e) => match user_error(&e) {
            Some(m) => {
                let forms =
                    FormState { sandbox: f, errors: Errors::one(&format!("{PREFIX}text"), m), ..Default::default() };
                rerender(&state, &scope, &q, &forms).await
            }
            None => Err(e.into()),
        },
    }
}
