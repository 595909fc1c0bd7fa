//! Channel credentials at rest: the platform's `Credentials` as JSON, sealed with AES-256-GCM
//! under the active key (the key id is stored beside the ciphertext).

use crate::error::{AppError, AppResult};
use crate::App;
use sellcast_platforms::{Credentials, TokenSet};
use sellcast_store::channels::ChannelRow;

/// (ciphertext, key id)
pub fn seal(app: &App, creds: &Credentials) -> AppResult<(String, String)> {
    let json = serde_json::to_string(creds).map_err(AppError::internal)?;
    let sealed = app.secretbox.seal(&json)?;
    let key_id = sealed.split_once(':').map(|(k, _)| k.to_string()).unwrap_or_default();
    Ok((sealed, key_id))
}

pub fn open(app: &App, channel: &ChannelRow) -> AppResult<Credentials> {
    let json = app.secretbox.open(&channel.credentials)?;
    serde_json::from_str(&json).map_err(|_| AppError::internal("stored channel credentials are unreadable"))
}

/// Apply refreshed tokens: a missing refresh token keeps the stored one (never overwrite a
/// refresh token with nothing).
pub fn merge(mut creds: Credentials, tokens: TokenSet) -> Credentials {
    creds.access_token = tokens.access_token;
    if let Some(r) = tokens.refresh_token.filter(|r| !r.is_empty()) {
        creds.refresh_token = Some(r);
    }
    if tokens.expires_at.is_some() {
        creds.expires_at = tokens.expires_at;
    }
    if let (Some(extra), Some(new)) = (creds.extra.as_object_mut(), tokens.extra.as_object()) {
        for (k, v) in new {
            if !v.is_null() {
                extra.insert(k.clone(), v.clone());
            }
        }
    } else if creds.extra.is_null() {
        creds.extra = tokens.extra;
    }
    creds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_without_refresh_token_keeps_the_old_one() {
        let creds = Credentials {
            access_token: "old".into(),
            refresh_token: Some("keep-me".into()),
            extra: serde_json::json!({"a": 1}),
            ..Default::default()
        };
        let merged = merge(
            creds.clone(),
            TokenSet {
                access_token: "new".into(),
                refresh_token: Some(String::new()),
                expires_at: None,
                extra: serde_json::json!({"b": 2, "a": null}),
            },
        );
        assert_eq!(merged.access_token, "new");
        assert_eq!(merged.refresh_token.as_deref(), Some("keep-me"));
        assert_eq!(merged.extra, serde_json::json!({"a": 1, "b": 2}));
        let rotated =
            merge(creds, TokenSet { access_token: "n".into(), refresh_token: Some("r2".into()), ..Default::default() });
        assert_eq!(rotated.refresh_token.as_deref(), Some("r2"));
    }
}
