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

fn main() -> ExitCode {
    tune_allocator();
    restrict_new_files();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            eprintln!("gatehouse: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
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
    // First line of the log: which rules are in force (development is
    // forgiving; an operator must be able to see which one runs).
    tracing::info!(
        environment = config.environment.as_str(),
        "starting in {} mode",
        config.environment.as_str()
    );
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

/// Each password hash takes a 19 MiB Argon2 block. glibc's malloc raises its
/// mmap threshold once such a block is freed and from then on keeps freed
/// blocks in its arenas, so the resident size grows with every hashing
/// thread. A fixed threshold returns large blocks to the system at once, and
/// fewer arenas keep the rest compact (see docs/BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only changes allocator parameters; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 4);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

/// Files the server creates (the embedded database and its journal, the
/// development secrets) hold password hashes and sealed secrets: owner only.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn restrict_new_files() {
    // SAFETY: umask only sets the process's file-creation mask.
    unsafe {
        libc::umask(0o077);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn restrict_new_files() {}
