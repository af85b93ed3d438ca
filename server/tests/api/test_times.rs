//! Each scenario's wall time, so `scripts/check` can name the slowest: when
//! `GATEHOUSE_TEST_TIMES` names a file, a `Stopwatch` appends
//! `test name<TAB>backend<TAB>milliseconds` to it when it is dropped. Every
//! `TestApp` holds one, and so do the tests that start the server binary.
//! Without the variable nothing is written. The figures are reported, never
//! asserted: timing belongs in bench/.

use std::{fs::OpenOptions, io::Write, time::Instant};

pub struct Stopwatch {
    backend: &'static str,
    started: Instant,
}

impl Stopwatch {
    pub fn start(backend: &'static str) -> Self {
        Self {
            backend,
            started: Instant::now(),
        }
    }
}

impl Drop for Stopwatch {
    fn drop(&mut self) {
        let Some(path) = std::env::var_os("GATEHOUSE_TEST_TIMES") else {
            return;
        };
        // The test harness names each test's thread after the test.
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        let millis = self.started.elapsed().as_millis();
        let line = format!("{name}\t{}\t{millis}\n", self.backend);
        // One short write in append mode: lines of tests running in
        // parallel never interleave.
        if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(path) {
            let _ = file.write_all(line.as_bytes());
        }
    }
}
