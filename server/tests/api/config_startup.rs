//! The real server binary at start: a bad configuration stops it with one
//! line naming the variable; a good one serves and shuts down cleanly on
//! SIGTERM.

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use crate::{helpers::random_secret, server_binary, test_times::Stopwatch, wait};

const EXIT_CONFIG: i32 = 78;

fn production(dir: &std::path::Path) -> Command {
    let mut command = server_binary::command(dir);
    command
        .env("ENVIRONMENT", "production")
        .env("JWT_SECRET_KEY", random_secret(48))
        .env("DATABASE_ENCRYPTION_KEY", random_secret(32))
        .env("PUBLIC_URL", "https://auth.example.com");
    command
}

/// Runs a command that must refuse to start; returns its one stderr line.
fn refused(mut command: Command) -> String {
    let output = command.output().expect("server binary runs");
    assert_eq!(output.status.code(), Some(EXIT_CONFIG), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    stderr
}

fn assert_refused_naming(command: Command, variable: &str) {
    let line = refused(command);
    assert!(line.contains(variable), "{line:?} should name {variable}");
}

#[test]
fn production_refuses_a_missing_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = production(dir.path());
    command.env_remove("JWT_SECRET_KEY");
    assert_refused_naming(command, "JWT_SECRET_KEY");
}

#[test]
fn production_refuses_a_short_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = production(dir.path());
    command.env("JWT_SECRET_KEY", "Zq8#kP2v");
    assert_refused_naming(command, "JWT_SECRET_KEY");
}

#[test]
fn production_refuses_a_placeholder_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = production(dir.path());
    command.env(
        "JWT_SECRET_KEY",
        "secret-key-change-me-before-going-to-production",
    );
    assert_refused_naming(command, "JWT_SECRET_KEY");
}

#[test]
fn production_refuses_a_missing_encryption_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = production(dir.path());
    command.env_remove("DATABASE_ENCRYPTION_KEY");
    assert_refused_naming(command, "DATABASE_ENCRYPTION_KEY");
}

#[test]
fn production_refuses_a_short_encryption_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = production(dir.path());
    command.env("DATABASE_ENCRYPTION_KEY", random_secret(16));
    assert_refused_naming(command, "DATABASE_ENCRYPTION_KEY");
}

#[test]
fn production_refuses_a_placeholder_encryption_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = production(dir.path());
    command.env("DATABASE_ENCRYPTION_KEY", "0".repeat(64));
    assert_refused_naming(command, "DATABASE_ENCRYPTION_KEY");
}

#[test]
fn a_malformed_number_stops_the_server() {
    for variable in [
        "ACCESS_TOKEN_EXPIRE_MINUTES",
        "REFRESH_TOKEN_EXPIRE_DAYS",
        "RESET_TOKEN_EXPIRE_HOURS",
        "MAX_LOGIN_ATTEMPTS",
        "LOCKOUT_DURATION_MINUTES",
        "MAX_TWO_FACTOR_ATTEMPTS",
        "TWO_FACTOR_LOCKOUT_MINUTES",
        "TWO_FACTOR_CHALLENGE_MINUTES",
        "REAUTHENTICATION_WINDOW_MINUTES",
        "BACKUP_CODES_COUNT",
        "BACKUP_CODE_LENGTH",
        "RATE_LIMIT_PER_MINUTE",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut command = production(dir.path());
        command.env(variable, "fifteen");
        assert_refused_naming(command, variable);
    }
}

#[test]
fn other_malformed_values_stop_the_server() {
    for (variable, value) in [
        ("ENVIRONMENT", "staging"),
        ("DEBUG", "maybe"),
        ("LEPTOS_SITE_ADDR", "localhost"),
        ("TRUSTED_PROXIES", "10.0.0.0/99"),
        ("CORS_ORIGINS", "*"),
        ("DATABASE_URL", "mysql://root@localhost/gatehouse"),
        ("TOTP_ISSUER_NAME", "Bad:Issuer"),
        ("PUBLIC_URL", "ftp://auth.example.com"),
        ("PUBLIC_URL", "https://auth.example.com/?next=1"),
        ("SMTP_URL", "http://mail.example.com"),
        ("SMTP_URL", "smtp://mail.example.com?tls=sometimes"),
        ("SMTP_URL", "smtps://user:pass%ZZ@mail.example.com"),
        ("MAIL_FROM", "not an address"),
        ("REQUIRE_EMAIL_VERIFICATION", "maybe"),
        ("JWT_ALGORITHM", "RS256"),
        ("JWT_ALGORITHM", "none"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut command = production(dir.path());
        command.env(variable, value);
        assert_refused_naming(command, variable);
    }
}

#[test]
fn production_requires_a_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = production(dir.path());
    command.env_remove("PUBLIC_URL");
    assert_refused_naming(command, "PUBLIC_URL");
}

#[test]
fn production_with_smtp_requires_a_sender() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = production(dir.path());
    command.env("SMTP_URL", "smtps://mail.example.com");
    assert_refused_naming(command, "MAIL_FROM");
}

#[test]
fn a_bad_smtp_url_is_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = production(dir.path());
    command.env("SMTP_URL", "ftp://user:hunter2hunter2@mail.example.com");
    let line = refused(command);
    assert!(line.contains("SMTP_URL"), "{line}");
    assert!(!line.contains("hunter2"), "{line}");
}

#[test]
fn the_error_line_never_echoes_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = production(dir.path());
    let weak = "secret-hunter2-hunter2-hunter2-hunter2";
    command.env("JWT_SECRET_KEY", weak);
    let line = refused(command);
    assert!(!line.contains("hunter2"), "{line}");
}

/// Development with no secrets: generated once into the data folder (owner
/// only), the server starts, serves, and exits 0 on SIGTERM.
/// The log line `listening address=…` is how the test learns the port.
#[test]
fn development_generates_secrets_and_shutdown_is_graceful() {
    use std::os::unix::fs::PermissionsExt;

    let _stopwatch = Stopwatch::start("binary");
    let dir = tempfile::tempdir().unwrap();
    let mut child = server_binary::command(dir.path())
        .env("ENVIRONMENT", "development")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = server_binary::log_lines(child.stdout.take().unwrap());
    let mut saw_warning = false;
    let mut address = None;
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        saw_warning |= line.contains("JWT_SECRET_KEY is not set");
        if let Some(rest) = line.split("address=").nth(1) {
            address = Some(rest.split_whitespace().next().unwrap().to_string());
            break;
        }
    }
    let address = address.expect("the server logs its address");
    assert!(
        saw_warning,
        "a warning says a development secret was generated"
    );

    let secrets = dir.path().join("data/dev-secrets.env");
    let mode = std::fs::metadata(&secrets).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let kept = std::fs::read_to_string(&secrets).unwrap();
    assert!(kept.contains("JWT_SECRET_KEY=") && kept.contains("DATABASE_ENCRYPTION_KEY="));
    // The database holds password hashes and sealed secrets: owner only.
    let database = dir.path().join("data/gatehouse.db");
    let mode = std::fs::metadata(&database).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the database is owner-only: {mode:o}");

    let status = http_get_status(&address, "/readyz");
    assert_eq!(status, 200);

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = wait::until_blocking("the server stops on SIGTERM", || {
        child.try_wait().unwrap().ok_or("still running")
    });
    assert!(status.success(), "{status:?}");

    // A second start reuses the kept secrets rather than generating new ones.
    let again = std::fs::read_to_string(&secrets).unwrap();
    assert_eq!(kept, again);
}

/// A minimal blocking HTTP/1.1 GET, so this test needs no async runtime.
fn http_get_status(address: &str, path: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap()
}
