//! The real `server` binary as a child process, for the tests that need its
//! start-up, its exit status or its log rather than the in-process app.

use std::{
    io::{BufRead, BufReader, Read},
    process::{Child, Command},
    sync::mpsc::{Receiver, RecvTimeoutError, Sender},
    time::Instant,
};

use crate::wait::DEADLINE;

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
    forward_lines(output, lines_tx);
    lines
}

/// The lines of a child's piped stdout and stderr, interleaved as they come.
/// The channel closes once the child has exited and both are read.
pub fn output_lines(child: &mut Child) -> Receiver<String> {
    let (lines_tx, lines) = std::sync::mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        forward_lines(stdout, lines_tx.clone());
    }
    if let Some(stderr) = child.stderr.take() {
        forward_lines(stderr, lines_tx);
    }
    lines
}

fn forward_lines(output: impl Read + Send + 'static, lines_tx: Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
}

/// Appends lines to `log` until `done(log)`; after `wait::DEADLINE`, or if
/// the output ends first, fails naming `what` with every line seen.
pub fn read_until(
    lines: &Receiver<String>,
    log: &mut Vec<String>,
    what: &str,
    done: impl Fn(&[String]) -> bool,
) {
    let deadline = Instant::now() + DEADLINE;
    while !done(log) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => log.push(line),
            Err(RecvTimeoutError::Timeout) => {
                panic!("{what}: not within {DEADLINE:?}; the log so far:\n{log:#?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("{what}: the output ended first:\n{log:#?}")
            }
        }
    }
}
