//! The `sellcast` binary.

mod admin;
mod allocator;
mod jobs;
mod logging;
mod seed;

use clap::{Parser, Subcommand};
use sellcast_app::{App, Config};
use std::process::ExitCode;
use std::sync::Arc;

/// Reading a page allocates a little per column of every row on several threads at once;
/// mimalloc's per-thread heaps do that with far less contention than glibc's (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "sellcast",
    version,
    about = "Sellcast: social selling and social media management, self-hosted.",
    long_about = "Sellcast: social selling and social media management, self-hosted.\n\n\
    Configuration comes from SELLCAST_* environment variables and an optional TOML file named by \
    SELLCAST_CONFIG. With none, data lives in ./sellcast-data (SQLite) and the server listens on 127.0.0.1:8080."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (and background workers); migrates the database first.
    Serve {
        /// Serve HTTP only; another process runs the background workers.
        #[arg(long)]
        no_workers: bool,
    },
    /// Run the background workers only (no HTTP); several may share one PostgreSQL.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Administer users and organizations from the command line.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Inspect and steer background jobs.
    Jobs {
        #[command(subcommand)]
        command: jobs::JobsCommand,
    },
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
    /// Fill the database with demo data (`--demo`): an organization to sign in to and explore.
    Seed(seed::SeedArgs),
}

fn load_config() -> Result<Config, ExitCode> {
    Config::load().map_err(|e| {
        eprintln!("sellcast: {e}");
        ExitCode::from(2)
    })
}

async fn open(config: Config) -> Result<Arc<App>, ExitCode> {
    App::open(config).await.map_err(|e| {
        eprintln!("sellcast: {e}");
        ExitCode::FAILURE
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    allocator::return_freed_memory_at_once();
    let cli = Cli::parse();
    match cli.command {
        Command::Seed(args) => seed::run(args).await,
        Command::Openapi => {
            println!("{}", sellcast_http::openapi::json());
            ExitCode::SUCCESS
        }
        Command::Migrate => {
            let config = match load_config() {
                Ok(c) => c,
                Err(code) => return code,
            };
            logging::init(&config);
            match open(config).await {
                Ok(_) => {
                    println!("database is up to date");
                    ExitCode::SUCCESS
                }
                Err(code) => code,
            }
        }
        Command::Admin { command } => {
            let config = match load_config() {
                Ok(c) => c,
                Err(code) => return code,
            };
            if matches!(command, admin::AdminCommand::RotateKey) {
                // The new key must be in the ring before the app opens, so it seals with it.
                if let Err(e) = sellcast_app::secrets::add_active_key(&config) {
                    eprintln!("sellcast: {e}");
                    return ExitCode::FAILURE;
                }
            }
            match open(config).await {
                Ok(app) => admin::run(&app, command).await,
                Err(code) => code,
            }
        }
        Command::Jobs { command } => {
            let config = match load_config() {
                Ok(c) => c,
                Err(code) => return code,
            };
            match open(config).await {
                Ok(app) => jobs::run(&app, command).await,
                Err(code) => code,
            }
        }
        Command::Worker => {
            let config = match load_config() {
                Ok(c) => c,
                Err(code) => return code,
            };
            logging::init(&config);
            match open(config).await {
                Ok(app) => {
                    let handle = sellcast_app::jobs::worker(&app).start();
                    println!("Sellcast worker is running (database {:?})", app.db.backend());
                    shutdown_signal().await;
                    handle.shutdown().await;
                    app.db.close().await;
                    ExitCode::SUCCESS
                }
                Err(code) => code,
            }
        }
        Command::Serve { no_workers } => {
            let config = match load_config() {
                Ok(c) => c,
                Err(code) => return code,
            };
            logging::init(&config);
            match serve(config, no_workers).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("sellcast: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(config: Config, no_workers: bool) -> Result<(), String> {
    let bind = config.bind.clone();
    let app = App::open(config).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(&bind).await.map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let workers = (!no_workers).then(|| sellcast_app::jobs::worker(&app).start());
    tracing::info!(%addr, backend = ?app.db.backend(), data_dir = %app.config.data_dir.display(), "sellcast is listening");
    println!("Sellcast is running at http://{addr} (public URL {})", app.config.public_url());
    let state = sellcast_http::state_for(app.clone());
    sellcast_http::serve(state, listener, shutdown_signal()).await.map_err(|e| e.to_string())?;
    if let Some(w) = workers {
        w.shutdown().await;
    }
    app.db.close().await;
    tracing::info!("sellcast stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
