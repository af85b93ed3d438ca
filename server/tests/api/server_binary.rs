//! The real `server` binary as a child process, for the tests that need its
//! start-up, its exit status or its log rather than the in-process app.

use std::{
    io::{BufRead, BufReader, Read},
    process::Command,
    sync::mpsc::Receiver,
};

/// The binary in a clean environment (no inherited variables, no `.env`),
/// working in `dir`, with its data in `dir/data` and a random port.
pub fn command(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env_clear()
        .current_dir(dir)
        .env("DATA_DIR", dir.join("data"))
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0");
    command
}

/// A port free on loopback now, for a server whose address must be known
/// before it starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The lines of a child's output, read on a thread so the child never
/// blocks on a full pipe.
pub fn log_lines(output: impl Read + Send + 'static) -> Receiver<String> {
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    lines
}
