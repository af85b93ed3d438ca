//! Hashing and verification, legacy hashes, and the hashing threads.

use super::*;

fn password(text: &str) -> Password {
    Password::parse("password", text).unwrap()
}

fn anyone() -> HashOwner {
    HashOwner {
        account: None,
        ip: "192.0.2.1".parse().unwrap(),
    }
}

#[tokio::test]
async fn argon2id_round_trip_with_owasp_parameters() {
    let hasher = PasswordHasher::new(2);
    let hash = hasher
        .hash(&password("Correct-Horse-9"), anyone())
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert_eq!(
        hasher
            .verify(&password("Correct-Horse-9"), Some(&hash), anyone())
            .await
            .unwrap(),
        Verification::Match { rehash: false }
    );
    assert_eq!(
        hasher
            .verify(&password("Correct-Horse-8"), Some(&hash), anyone())
            .await
            .unwrap(),
        Verification::Mismatch
    );
}

#[tokio::test]
async fn same_password_gets_different_salts() {
    let hasher = PasswordHasher::new(2);
    let a = hasher
        .hash(&password("Correct-Horse-9"), anyone())
        .await
        .unwrap();
    let b = hasher
        .hash(&password("Correct-Horse-9"), anyone())
        .await
        .unwrap();
    assert_ne!(a, b);
}

#[tokio::test]
async fn legacy_pbkdf2_verifies_and_asks_for_a_rehash() {
    let hasher = PasswordHasher::new(2);
    let legacy = legacy_pbkdf2_hash("Old-Scheme-Pass-1");
    assert!(
        legacy.starts_with("$pbkdf2-sha256$i=480000,l=32$"),
        "{legacy}"
    );
    assert_eq!(
        hasher
            .verify(&password("Old-Scheme-Pass-1"), Some(&legacy), anyone())
            .await
            .unwrap(),
        Verification::Match { rehash: true }
    );
    assert_eq!(
        hasher
            .verify(&password("Old-Scheme-Pass-2"), Some(&legacy), anyone())
            .await
            .unwrap(),
        Verification::Mismatch
    );
}

#[tokio::test]
async fn unknown_accounts_never_match() {
    let hasher = PasswordHasher::new(1);
    assert_eq!(
        hasher
            .verify(&password("gatehouse: no such account"), None, anyone())
            .await
            .unwrap(),
        Verification::Mismatch
    );
}

/// An unknown email costs the hash work of a wrong password (ASVS 2.2):
/// the dummy verified instead is an Argon2id hash with today's parameters,
/// salt and output sizes, so its verification is the same computation.
/// Shown by the hash's shape, not by a stopwatch: how long things take is
/// for bench/, where a slow machine cannot fail a test.
#[tokio::test]
async fn an_unknown_account_costs_a_full_verification() {
    let hasher = PasswordHasher::new(1);
    let dummy = PasswordHash::new(&hasher.dummy_hash).unwrap();
    let real = hasher
        .hash(&password("Correct-Horse-9"), anyone())
        .await
        .unwrap();
    let real = PasswordHash::new(&real).unwrap();
    assert!(!needs_rehash(&dummy), "{}", hasher.dummy_hash);
    assert_eq!(dummy.algorithm, real.algorithm);
    assert_eq!(dummy.version, real.version);
    assert_eq!(
        Params::try_from(&dummy).unwrap(),
        Params::try_from(&real).unwrap()
    );
    assert_eq!(dummy.salt.unwrap().len(), real.salt.unwrap().len());
    assert_eq!(dummy.hash.unwrap().len(), real.hash.unwrap().len());
}

fn owner(account: u128, ip: &str) -> HashOwner {
    HashOwner {
        account: Some(uuid::Uuid::from_u128(account)),
        ip: ip.parse().unwrap(),
    }
}

/// Occupies a hashing thread until something is sent on (or the drop
/// of) the returned sender; returns once the job is running.
async fn hold_a_thread(
    hasher: &PasswordHasher,
    owner: HashOwner,
) -> (
    std::sync::mpsc::Sender<()>,
    tokio::task::JoinHandle<Result<(), AuthError>>,
) {
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started, running) = tokio::sync::oneshot::channel();
    let job = hasher
        .run_blocking(owner, move || {
            let _ = started.send(());
            let _ = wait.recv();
        })
        .unwrap();
    let handle = tokio::spawn(job);
    running.await.unwrap();
    (release, handle)
}

#[tokio::test]
async fn a_full_queue_refuses_at_once() {
    let limits = QueueLimits {
        capacity: 3,
        per_account: 10,
        per_ip: 10,
        ipv6_prefix: 64,
    };
    let hasher = PasswordHasher::with_limits(1, limits);
    let (release, running) = hold_a_thread(&hasher, owner(1, "192.0.2.1")).await;
    let queued: Vec<_> = (2..4u128)
        .map(|n| {
            hasher
                .run_blocking(owner(n, &format!("192.0.2.{n}")), move || n)
                .unwrap()
        })
        .collect();
    let refused = hasher.run_blocking(owner(9, "192.0.2.9"), || 9);
    assert!(
        matches!(refused, Err(AuthError::Overloaded { retry_after }) if retry_after.as_secs() >= 1)
    );
    release.send(()).unwrap();
    running.await.unwrap().unwrap();
    for (n, job) in (2..4u128).zip(queued) {
        assert_eq!(job.await.unwrap(), n);
    }
    assert_eq!(hasher.queue.admitted(), 0);
    let admitted_again = hasher.run_blocking(owner(9, "192.0.2.9"), || 9).unwrap();
    assert_eq!(admitted_again.await.unwrap(), 9);
}

#[tokio::test]
async fn an_abandoned_hash_never_runs() {
    let hasher = PasswordHasher::new(1);
    let (release, running) = hold_a_thread(&hasher, owner(1, "192.0.2.1")).await;
    let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let waiting = hasher
        .run_blocking(owner(2, "192.0.2.2"), move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        })
        .unwrap();
    assert_eq!(hasher.queue.admitted(), 2);
    // The client went away: its request future is dropped.
    drop(waiting);
    release.send(()).unwrap();
    running.await.unwrap().unwrap();
    // A later hash finishes after the abandoned one would have started.
    let later = hasher.run_blocking(owner(3, "192.0.2.3"), || ()).unwrap();
    later.await.unwrap();
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(hasher.queue.admitted(), 0);
}

/// One closure type, so the futures fit in one `Vec`.
fn noop(
    hasher: &PasswordHasher,
    owner: HashOwner,
) -> Result<impl Future<Output = Result<(), AuthError>>, AuthError> {
    hasher.run_blocking(owner, || ())
}

/// With two threads, an owner whose hash is running waits for it before
/// starting another: the second thread stays free for someone else.
#[tokio::test]
async fn one_owner_never_holds_every_thread() {
    let limits = QueueLimits {
        capacity: 10,
        per_account: 10,
        per_ip: 10,
        ipv6_prefix: 64,
    };
    let hasher = PasswordHasher::with_limits(2, limits);
    let flood = owner(1, "203.0.113.66");
    let (release, running) = hold_a_thread(&hasher, flood).await;
    let (second_started, mut second_running) = tokio::sync::oneshot::channel();
    let second = tokio::spawn(
        hasher
            .run_blocking(flood, move || {
                let _ = second_started.send(());
            })
            .unwrap(),
    );
    // Someone else runs on the free thread (the bound only stops a hung
    // test; a healthy run takes milliseconds)…
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        hasher
            .run_blocking(owner(2, "198.51.100.2"), || ())
            .unwrap(),
    )
    .await
    .expect("another owner is not kept waiting")
    .unwrap();
    // …while the flood's second hash waits for its first. The pause only
    // gives a wrong scheduler time to start it; a right one never does,
    // however long the pause, so its length cannot fail a correct build.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        second_running.try_recv().is_err(),
        "the flood took both threads"
    );
    release.send(()).unwrap();
    running.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
}

#[tokio::test]
async fn one_account_and_one_ip_have_a_bounded_share() {
    let limits = QueueLimits {
        capacity: 100,
        per_account: 2,
        per_ip: 3,
        ipv6_prefix: 64,
    };
    let hasher = PasswordHasher::with_limits(1, limits);
    let (release, running) = hold_a_thread(&hasher, owner(1, "198.51.100.1")).await;
    let mut admitted = vec![noop(&hasher, owner(1, "198.51.100.2")).unwrap()];
    // A third hash for account 1, from yet another address: refused.
    assert!(matches!(
        noop(&hasher, owner(1, "198.51.100.3")),
        Err(AuthError::HashingBusy { .. })
    ));
    // Three accounts from one address, the fourth refused, known
    // account or not; IPv6 addresses in one /64 count as one.
    for n in 10..13 {
        admitted.push(noop(&hasher, owner(n, "203.0.113.5")).unwrap());
    }
    let anonymous = HashOwner {
        account: None,
        ip: "203.0.113.5".parse().unwrap(),
    };
    assert!(matches!(
        noop(&hasher, anonymous),
        Err(AuthError::HashingBusy { .. })
    ));
    for n in 20..23 {
        let ip = format!("2001:db8:7:7::{n}");
        admitted.push(noop(&hasher, owner(n, &ip)).unwrap());
    }
    assert!(matches!(
        noop(&hasher, owner(30, "2001:db8:7:7:ffff::1")),
        Err(AuthError::HashingBusy { .. })
    ));
    // Others are not affected.
    admitted.push(noop(&hasher, owner(40, "192.0.2.40")).unwrap());
    release.send(()).unwrap();
    running.await.unwrap().unwrap();
    for job in admitted {
        job.await.unwrap();
    }
    assert_eq!(hasher.queue.admitted(), 0);
}

#[tokio::test]
async fn an_owner_who_hashed_a_lot_waits_behind_others() {
    let limits = QueueLimits {
        capacity: 100,
        per_account: 100,
        per_ip: 100,
        ipv6_prefix: 64,
    };
    let hasher = PasswordHasher::with_limits(1, limits);
    let heavy = owner(1, "198.51.100.1");
    for _ in 0..3 {
        hasher.run_blocking(heavy, || ()).unwrap().await.unwrap();
    }
    let (release, running) = hold_a_thread(&hasher, owner(2, "198.51.100.2")).await;
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (first, second) = (Arc::clone(&order), Arc::clone(&order));
    let heavy_job = hasher
        .run_blocking(heavy, move || first.lock().unwrap().push("heavy"))
        .unwrap();
    let light_job = hasher
        .run_blocking(owner(3, "198.51.100.3"), move || {
            second.lock().unwrap().push("light")
        })
        .unwrap();
    release.send(()).unwrap();
    running.await.unwrap().unwrap();
    heavy_job.await.unwrap();
    light_job.await.unwrap();
    assert_eq!(*order.lock().unwrap(), ["light", "heavy"]);
}
