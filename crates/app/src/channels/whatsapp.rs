//! Connecting a WhatsApp Cloud API number: the phone number id, its WhatsApp Business Account
//! id and a system-user token (as Meta's docs and Chatwoot do it), checked against the Graph
//! API before anything is stored; then the app is subscribed to the account's webhooks, and a
//! failure there shows as the channel's health, not as a failed connect.

use super::connect_error::platform_error;
use crate::error::{AppError, AppResult};
use crate::App;
use sellcast_platforms::messaging::whatsapp;
use sellcast_platforms::{ConnectedAccount, Credentials, Profile};
use sellcast_store::channels::ChannelRow;
use serde_json::json;

/// Graph ids are digits; anything else is a typo (or an attempt to change the path).
fn graph_id(field: &str, v: Option<&str>) -> AppResult<String> {
    let v = v.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| AppError::validation(field, "is required"))?;
    if v.len() > 64 || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::validation(field, "must be the number shown in WhatsApp Manager (digits only)"));
    }
    Ok(v.to_string())
}

/// The account the credentials reach, checked on the Graph API.
pub(super) async fn check(
    app: &App,
    phone_number_id: Option<&str>,
    waba_id: Option<&str>,
    access_token: Option<&str>,
) -> AppResult<ConnectedAccount> {
    let phone_number_id = graph_id("phone_number_id", phone_number_id)?;
    let waba_id = graph_id("waba_id", waba_id)?;
    let token = access_token.map(str::trim).filter(|t| !t.is_empty());
    let token = token.ok_or_else(|| AppError::validation("access_token", "is required (a system user's token)"))?;
    if token.len() > 1024 {
        return Err(AppError::validation("access_token", "is too long to be a Meta access token"));
    }
    let g = &app.graph;
    let number = whatsapp::phone_number(&g.http, &g.meta, token, &phone_number_id).await.map_err(platform_error)?;
    let handle =
        if number.display_phone_number.is_empty() { phone_number_id.clone() } else { number.display_phone_number };
    Ok(ConnectedAccount {
        profile: Profile {
            account_id: phone_number_id.clone(),
            handle,
            display_name: (!number.verified_name.is_empty()).then_some(number.verified_name),
            avatar_url: None,
            profile_url: None,
        },
        credentials: Credentials {
            access_token: token.to_string(),
            account_id: phone_number_id,
            extra: json!({ "waba_id": waba_id }),
            ..Default::default()
        },
    })
}

/// Subscribe the app to the account's webhooks (a refusal becomes the channel's health).
pub(super) async fn subscribe(
    app: &App,
    rows: Vec<ChannelRow>,
    waba_id: &str,
    token: &str,
) -> AppResult<Vec<ChannelRow>> {
    let g = &app.graph;
    let outcome = whatsapp::subscribe_app(&g.http, &g.meta, token, waba_id).await;
    super::webhooks::record(
        app,
        rows,
        outcome.err().map(|e| format!("WhatsApp did not subscribe Sellcast to this account's messages: {e}")),
    )
    .await
}
