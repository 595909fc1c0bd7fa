//! `sellcast admin rotate-key`: re-encrypt every sealed secret (channel credentials, TOTP
//! secrets, Mastodon app secrets) under the active key. Run after `secrets::add_active_key`.

use crate::error::AppResult;
use crate::App;
use sellcast_store::{channels, users};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rotated {
    pub channels: usize,
    pub totp_secrets: usize,
    pub mastodon_apps: usize,
    pub oauth_states_dropped: u64,
}

/// Re-seal everything not yet under the active key, in batches; safe to run again.
pub async fn reencrypt_all(app: &App) -> AppResult<Rotated> {
    let active = app.secretbox.active_id().to_string();
    let mut done = Rotated::default();
    loop {
        let mut tx = app.db.begin().await?;
        let batch = channels::sealed_with_other_key(tx.conn(), &active, 200).await?;
        if batch.is_empty() {
            break;
        }
        for ch in &batch {
            let sealed = app.secretbox.seal(&app.secretbox.open(&ch.credentials)?)?;
            channels::reseal(tx.conn(), &ch.id, &sealed, &active).await?;
        }
        tx.commit().await?;
        done.channels += batch.len();
    }
    loop {
        let mut tx = app.db.begin().await?;
        let batch = users::totp_sealed_with_other_key(tx.conn(), &active, 200).await?;
        if batch.is_empty() {
            break;
        }
        for (id, sealed) in &batch {
            let resealed = app.secretbox.seal(&app.secretbox.open(sealed)?)?;
            users::reseal_totp(tx.conn(), id, &resealed).await?;
        }
        tx.commit().await?;
        done.totp_secrets += batch.len();
    }
    let mut tx = app.db.begin().await?;
    for row in channels::mastodon_apps_with_other_key(tx.conn(), &active).await? {
        let sealed = app.secretbox.seal(&app.secretbox.open(&row.client_secret)?)?;
        channels::reseal_mastodon_app(tx.conn(), &row.server_url, &sealed, &active).await?;
        done.mastodon_apps += 1;
    }
    done.oauth_states_dropped = channels::drop_states_with_other_key(tx.conn(), &active).await?;
    tx.commit().await?;
    Ok(done)
}
