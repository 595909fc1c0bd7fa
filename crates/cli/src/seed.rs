//! `sellcast seed --demo`: a demo organization a newcomer can sign in to and look around.

mod content;
mod demo;
mod inbox;
mod network;

use clap::Args;
use demo::{DemoOptions, Seeded};
use sellcast_app::security::tokens::random_token;
use std::process::ExitCode;

#[derive(Args)]
pub struct SeedArgs {
    /// Create the demo organization (the only kind of seed for now).
    #[arg(long)]
    demo: bool,
    /// Email of the demo owner; its teammates get @sellcast.local addresses.
    #[arg(long, default_value = "demo@sellcast.local")]
    email: String,
    /// Password of the demo accounts; generated (and printed) when omitted.
    #[arg(long, env = "SELLCAST_DEMO_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Name of the demo organization.
    #[arg(long, default_value = "Demo Shop")]
    org_name: String,
}

pub async fn run(args: SeedArgs) -> ExitCode {
    if !args.demo {
        eprintln!("sellcast seed: say what to seed: `sellcast seed --demo` creates a demo organization");
        return ExitCode::from(2);
    }
    let config = match super::load_config() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let app = match super::open(config).await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let db = app.db.clone();
    let password = args.password.unwrap_or_else(generated_password);
    let opts = DemoOptions { email: args.email, password: password.clone(), org_name: args.org_name };
    let result = demo::seed(app, &opts).await;
    db.close().await;
    match result {
        Ok(Seeded::AlreadyThere { email }) => {
            println!(
                "{email} already exists, so the demo data is there already; nothing was changed.\n\
                 Sign in with its password, or seed another demo with --email you@sellcast.local."
            );
            ExitCode::SUCCESS
        }
        Ok(Seeded::Created(s)) => {
            println!("Demo organization \"{}\" is ready ({}).", s.org_name, s.org_id);
            println!("Sign in with:");
            println!("  email     {}", s.email);
            println!("  password  {password}");
            println!("Teammates (same password):");
            for (email, role) in &s.team {
                println!("  {email:<24} {role}");
            }
            let posts: Vec<String> = s.posts.iter().map(|(status, n)| format!("{n} {status}")).collect();
            println!(
                "{} clients, {} sandbox channels, posts: {}; {} unread notification(s); {} inbox conversation(s).",
                s.clients,
                s.channels,
                posts.join(", "),
                s.notifications,
                s.conversations
            );
            println!("Start the server with `sellcast serve`: scheduled posts go out on time.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sellcast seed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A password that passes the password rules: upper and lower case, a digit, 20+ characters.
fn generated_password() -> String {
    let token: String = random_token().chars().filter(char::is_ascii_alphanumeric).take(16).collect();
    format!("Demo-{token}-7")
}
