//! `sellcast admin …`: what a self-hoster needs without the UI.

use clap::Subcommand;
use sellcast_app::{accounts, admin, App};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Generate a new encryption key, make it active, and re-encrypt every stored secret
    /// (channel tokens, TOTP secrets, Mastodon app secrets) with it. Old keys stay readable.
    RotateKey,
    /// Create a user (optionally with an organization they own).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The password; read from SELLCAST_ADMIN_PASSWORD when omitted.
        #[arg(long, env = "SELLCAST_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// Also create an organization with this name, owned by the user.
        #[arg(long)]
        org: Option<String>,
        /// Make the user an instance administrator.
        #[arg(long)]
        instance_admin: bool,
    },
    /// Set a new password for a user and sign out all their sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
        /// The new password; read from SELLCAST_ADMIN_PASSWORD when omitted.
        #[arg(long, env = "SELLCAST_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// List every organization with its member count.
    ListOrgs,
    /// List users.
    ListUsers,
    /// Show recent outgoing email (reset links and invites live here when SMTP is not set up).
    Outbox {
        /// How many messages, newest first.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

pub async fn run(app: &App, cmd: AdminCommand) -> ExitCode {
    match execute(app, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sellcast admin: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(app: &App, cmd: AdminCommand) -> Result<(), String> {
    match cmd {
        AdminCommand::RotateKey => {
            let r = sellcast_app::rotation::reencrypt_all(app).await.map_err(|e| e.to_string())?;
            println!(
                "active key is now {}; re-encrypted {} channel credential(s), {} TOTP secret(s), {} Mastodon app secret(s); dropped {} pending connect state(s)",
                app.secretbox.active_id(),
                r.channels,
                r.totp_secrets,
                r.mastodon_apps,
                r.oauth_states_dropped
            );
        }
        AdminCommand::CreateUser { email, name, password, org, instance_admin } => {
            let user = accounts::create_user_admin(app, &email, &name, &password, instance_admin, org.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            println!("created user {} <{}>", user.id, user.email);
        }
        AdminCommand::ResetPassword { email, password } => {
            accounts::reset_password_admin(app, &email, &password).await.map_err(|e| e.to_string())?;
            println!("password changed for {email}; all their sessions are signed out");
        }
        AdminCommand::ListOrgs => {
            let rows = admin::organizations(app).await.map_err(|e| e.to_string())?;
            println!("{:<36}  {:>7}  {:<20}  NAME", "ID", "MEMBERS", "CREATED");
            for o in rows {
                println!("{:<36}  {:>7}  {:<20}  {}", o.id, o.members, o.created_at.format("%Y-%m-%d %H:%M"), o.name);
            }
        }
        AdminCommand::ListUsers => {
            let rows = admin::users(app).await.map_err(|e| e.to_string())?;
            println!("{:<36}  {:<5}  {:<3}  EMAIL", "ID", "ADMIN", "MFA");
            for u in rows {
                let yes = |b: bool| if b { "yes" } else { "no" };
                println!("{:<36}  {:<5}  {:<3}  {}", u.id, yes(u.is_instance_admin), yes(u.mfa_enabled), u.email);
            }
        }
        AdminCommand::Outbox { limit } => {
            let rows = admin::outbox(app, limit).await.map_err(|e| e.to_string())?;
            if rows.is_empty() {
                println!("the outbox is empty");
            }
            for m in rows {
                let status = match (&m.sent_at, &m.last_error) {
                    (Some(t), _) => format!("sent {}", t.format("%Y-%m-%d %H:%M:%S")),
                    (None, Some(e)) => format!("not sent ({} attempts, last error: {e})", m.attempts),
                    (None, None) => "not sent (no SMTP configured)".to_string(),
                };
                println!(
                    "=== {} → {} [{status}]\nSubject: {}\n\n{}\n",
                    m.created_at.format("%Y-%m-%d %H:%M:%S"),
                    m.to_address,
                    m.subject,
                    m.body_text
                );
            }
        }
    }
    Ok(())
}
