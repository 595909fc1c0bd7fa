//! `sellcast jobs …`: the job queue from the command line.

use clap::Subcommand;
use sellcast_app::jobs::{Job, JobQuery};
use sellcast_app::{jobs, Actor, App, RequestMeta};
use sellcast_domain::JobState;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first.
    List {
        /// scheduled, available, running, retryable, completed, cancelled or dead.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        queue: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Show one job with its error history.
    Show { id: i64 },
    /// Run a dead, cancelled or waiting job again now.
    Retry { id: i64 },
    /// Cancel an unfinished job.
    Cancel { id: i64 },
}

/// The operator at the console acts as an instance administrator.
fn operator() -> Actor {
    Actor {
        user_id: "sellcast-cli".into(),
        session_id: None,
        is_instance_admin: true,
        meta: RequestMeta { user_agent: Some("sellcast-cli".into()), ..Default::default() },
        roles: Default::default(),
        signed_in: None,
    }
}

pub async fn run(app: &App, cmd: JobsCommand) -> ExitCode {
    match execute(app, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sellcast jobs: {e}");
            ExitCode::FAILURE
        }
    }
}

fn line(j: &Job) -> String {
    format!(
        "{:>8}  {:<10}  {:<16}  {:<8}  {:>3}/{:<3}  {}",
        j.id,
        j.state,
        j.kind,
        j.queue,
        j.attempt,
        j.max_attempts,
        j.run_at.format("%Y-%m-%d %H:%M:%S")
    )
}

async fn execute(app: &App, cmd: JobsCommand) -> Result<(), String> {
    let actor = operator();
    match cmd {
        JobsCommand::List { state, kind, queue, limit } => {
            let state = match state.as_deref() {
                Some(s) => Some(s.parse::<JobState>().map_err(|_| format!("unknown state '{s}'"))?),
                None => None,
            };
            let filter = JobQuery { state, kind, queue };
            let (rows, _) =
                jobs::list(app, &actor, &filter, None, limit.clamp(1, 1000)).await.map_err(|e| e.to_string())?;
            println!("{:>8}  {:<10}  {:<16}  {:<8}  {:>7}  RUN AT", "ID", "STATE", "KIND", "QUEUE", "ATTEMPT");
            for j in rows {
                println!("{}", line(&j));
            }
        }
        JobsCommand::Show { id } => {
            let j = jobs::get(app, &actor, id).await.map_err(|e| e.to_string())?;
            println!("{}", serde_json::to_string_pretty(&j).map_err(|e| e.to_string())?);
        }
        JobsCommand::Retry { id } => {
            let j = jobs::retry(app, &actor, id).await.map_err(|e| e.to_string())?;
            println!("{}", line(&j));
        }
        JobsCommand::Cancel { id } => {
            let j = jobs::cancel(app, &actor, id).await.map_err(|e| e.to_string())?;
            println!("{}", line(&j));
        }
    }
    Ok(())
}
