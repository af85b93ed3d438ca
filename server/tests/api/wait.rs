//! Waiting for a condition instead of sleeping for a guessed time: poll
//! often, give up only after a deadline far beyond any healthy run, then
//! fail saying what was last seen. A slow machine makes a test slower, never
//! wrong.

use std::{
    fmt::Debug,
    time::{Duration, Instant},
};

/// Far longer than any healthy wait, even on a loaded 2-core CI machine.
pub const DEADLINE: Duration = Duration::from_secs(30);

const POLL: Duration = Duration::from_millis(10);

/// Polls `probe` until it returns `Ok`, and returns that value. After
/// `DEADLINE`, fails naming `what` with the last `Err` the probe saw.
pub async fn until<T, Seen: Debug>(
    what: &str,
    mut probe: impl AsyncFnMut() -> Result<T, Seen>,
) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let seen = match probe().await {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        assert!(
            Instant::now() < deadline,
            "{what}: not within {DEADLINE:?}; last seen: {seen:#?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// `until` for tests without an async runtime.
pub fn until_blocking<T, Seen: Debug>(what: &str, mut probe: impl FnMut() -> Result<T, Seen>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let seen = match probe() {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        assert!(
            Instant::now() < deadline,
            "{what}: not within {DEADLINE:?}; last seen: {seen:#?}"
        );
        std::thread::sleep(POLL);
    }
}
