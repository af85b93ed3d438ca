//! The log says at start which environment is in force.

use std::{process::Stdio, time::Duration};

use crate::{helpers::random_secret, server_binary, test_times::Stopwatch};

/// The log lines up to `listening address=…`, after which the server is
/// stopped.
fn start_up_log(mut command: std::process::Command) -> Vec<String> {
    let _stopwatch = Stopwatch::start("binary");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = server_binary::log_lines(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        let done = line.contains("address=") || line.contains("\"address\"");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    seen
}

fn says_environment(log: &[String], environment: &str) -> bool {
    log.iter().any(|line| {
        line.contains("environment")
            && line.contains(environment)
            && line.contains(&format!("starting in {environment} mode"))
    })
}

#[test]
fn the_log_names_the_development_environment_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = server_binary::command(dir.path());
    command.env("ENVIRONMENT", "development");
    let log = start_up_log(command);
    assert!(says_environment(&log, "development"), "{log:#?}");
}

#[test]
fn the_log_names_the_production_environment_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = server_binary::command(dir.path());
    command
        .env("ENVIRONMENT", "production")
        .env("JWT_SECRET_KEY", random_secret(48))
        .env("DATABASE_ENCRYPTION_KEY", random_secret(32))
        .env("PUBLIC_URL", "https://auth.example.com");
    let log = start_up_log(command);
    assert!(
        log.iter().any(|line| line.contains("address")),
        "the server started: {log:#?}"
    );
    assert!(says_environment(&log, "production"), "{log:#?}");
}
