use std::process::ExitCode;

use app::config::Config;
use clap::Parser;
use server::{
    cli::{self, Cli, Command},
    shutdown,
    startup::Application,
    telemetry,
};

/// Exit status for a configuration error (sysexits' EX_CONFIG).
const EXIT_CONFIG: u8 = 78;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("gatehouse: configuration error: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Some(Command::Admin(command)) = cli.command {
        return match cli::run_admin(config, command).await {
            Ok(message) => {
                println!("{message}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("gatehouse: {message}");
                ExitCode::FAILURE
            }
        };
    }

    telemetry::init(&config);
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }

    let application = match Application::build(config).await {
        Ok(application) => application,
        Err(error) => {
            tracing::error!(%error, "gatehouse could not start");
            eprintln!("gatehouse: could not start: {error}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(address = %application.address(), "listening");
    match application.run_until_stopped(shutdown::signal()).await {
        Ok(()) => {
            tracing::info!("shut down cleanly");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "server error");
            ExitCode::FAILURE
        }
    }
}
