//! What Gatehouse measures, named once: every metric's Prometheus name, its
//! help text, its label values, and the one-line calls that record it.
//!
//! The service records where it decides (a sign-in's outcome in
//! `auth/sign_in/password.rs`, a lock in `auth/lockout.rs`, a refusal in
//! `auth/limits/mod.rs`, …); the HTTP edge records requests in
//! `server/src/http/request_metrics.rs`. Every call goes through the
//! `metrics` facade: until the server installs a recorder (`METRICS_ADDR` or
//! `METRICS_TOKEN` set) each one does nothing, and with one it is an atomic
//! update. Labels carry only fixed words and route templates: never an id,
//! an address, an email or a token.

use std::time::Duration;

use ::metrics::{
    counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Unit,
};

pub const HTTP_REQUESTS_TOTAL: &str = "gatehouse_http_requests_total";
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "gatehouse_http_request_duration_seconds";
pub const SIGN_INS_TOTAL: &str = "gatehouse_sign_ins_total";
pub const LOCKOUTS_TOTAL: &str = "gatehouse_lockouts_total";
pub const SECOND_FACTOR_FAILURES_TOTAL: &str = "gatehouse_second_factor_failures_total";
pub const PASSWORD_HASH_QUEUE_DEPTH: &str = "gatehouse_password_hash_queue_depth";
pub const PASSWORD_HASH_WAIT_SECONDS: &str = "gatehouse_password_hash_wait_seconds";
pub const MAIL_OUTBOX_DEPTH: &str = "gatehouse_mail_outbox_depth";
pub const RATE_LIMITED_TOTAL: &str = "gatehouse_rate_limited_total";
pub const LIMITER_FALLBACKS_TOTAL: &str = "gatehouse_rate_limit_fallbacks_total";

/// The `route` of a request no route matched (static files, unknown paths).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Histogram buckets (seconds) of request durations: a `/healthz` takes
/// well under a millisecond, a sign-in tens of milliseconds.
pub const HTTP_DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Histogram buckets (seconds) of the wait for a hashing thread: zero when
/// idle, a few hashes' time (~20 ms each) when busy.
pub const HASH_WAIT_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// How the password step of a sign-in ended (`outcome` of
/// `gatehouse_sign_ins_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInOutcome {
    /// Signed in: a session was opened.
    Success,
    /// The right password of an account with 2FA: a challenge was opened.
    TwoFactorRequired,
    /// Unknown email or wrong password (not told apart here either).
    InvalidCredentials,
    /// Refused while the password lock holds, or this attempt set it.
    Locked,
    Disabled,
    EmailNotVerified,
    /// A password or email that cannot be one (validation).
    InvalidInput,
    /// The hashing queue refused it (`hashing_busy`, `overloaded`).
    Busy,
    /// Anything else (the database, say).
    Error,
}

impl SignInOutcome {
    pub const ALL: [SignInOutcome; 9] = [
        Self::Success,
        Self::TwoFactorRequired,
        Self::InvalidCredentials,
        Self::Locked,
        Self::Disabled,
        Self::EmailNotVerified,
        Self::InvalidInput,
        Self::Busy,
        Self::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::TwoFactorRequired => "two_factor_required",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Locked => "locked",
            Self::Disabled => "disabled",
            Self::EmailNotVerified => "email_not_verified",
            Self::InvalidInput => "invalid_input",
            Self::Busy => "busy",
            Self::Error => "error",
        }
    }
}

/// Help texts, and every series whose labels are known in advance at zero,
/// so a dashboard's `rate()` has a start and each family is listed from the
/// first scrape. Called once, when the recorder is installed.
pub fn describe() {
    describe_counter!(
        HTTP_REQUESTS_TOTAL,
        Unit::Count,
        "HTTP requests answered, by matched route template, method and status."
    );
    describe_histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        Unit::Seconds,
        "Time to answer an HTTP request, by matched route template and method."
    );
    describe_counter!(
        SIGN_INS_TOTAL,
        Unit::Count,
        "Password sign-in attempts, by outcome."
    );
    describe_counter!(
        LOCKOUTS_TOTAL,
        Unit::Count,
        "Accounts locked by too many failures, by counter (password or second_factor)."
    );
    describe_counter!(
        SECOND_FACTOR_FAILURES_TOTAL,
        Unit::Count,
        "Wrong second factors (TOTP or backup codes) presented."
    );
    describe_gauge!(
        PASSWORD_HASH_QUEUE_DEPTH,
        Unit::Count,
        "Password hashes admitted and not finished (waiting or running)."
    );
    describe_histogram!(
        PASSWORD_HASH_WAIT_SECONDS,
        Unit::Seconds,
        "Time a password hash waited for a hashing thread."
    );
    describe_gauge!(
        MAIL_OUTBOX_DEPTH,
        Unit::Count,
        "Emails waiting in the outbox to be delivered (pending), as the mail worker last counted."
    );
    describe_counter!(
        LIMITER_FALLBACKS_TOTAL,
        Unit::Count,
        "Times this node stopped reaching Redis and began counting rate limits locally."
    );
    describe_counter!(
        RATE_LIMITED_TOTAL,
        Unit::Count,
        "Requests refused by a rate limit, by door and budget."
    );

    for outcome in SignInOutcome::ALL {
        counter!(SIGN_INS_TOTAL, "outcome" => outcome.as_str()).absolute(0);
    }
    for lock in ["password", "second_factor"] {
        counter!(LOCKOUTS_TOTAL, "counter" => lock).absolute(0);
    }
    counter!(SECOND_FACTOR_FAILURES_TOTAL).absolute(0);
    counter!(LIMITER_FALLBACKS_TOTAL).absolute(0);
    gauge!(PASSWORD_HASH_QUEUE_DEPTH).set(0.0);
    gauge!(MAIL_OUTBOX_DEPTH).set(0.0);
}

/// One HTTP request answered. `route` is the matched route template
/// (`/api/admin/users/{id}`) or [`UNMATCHED_ROUTE`], never the path.
pub fn http_request(route: &str, method: &'static str, status: u16, took: Duration) {
    let route = route.to_owned();
    counter!(
        HTTP_REQUESTS_TOTAL,
        "route" => route.clone(),
        "method" => method,
        "status" => status.to_string()
    )
    .increment(1);
    histogram!(HTTP_REQUEST_DURATION_SECONDS, "route" => route, "method" => method).record(took);
}

/// The password step of a sign-in ended with `outcome`.
pub fn sign_in(outcome: SignInOutcome) {
    counter!(SIGN_INS_TOTAL, "outcome" => outcome.as_str()).increment(1);
}

/// An attempt locked an account (`counter`: `password` or `second_factor`).
pub fn lockout(counter: &'static str) {
    counter!(LOCKOUTS_TOTAL, "counter" => counter).increment(1);
}

/// A wrong TOTP or backup code.
pub fn second_factor_failure() {
    counter!(SECOND_FACTOR_FAILURES_TOTAL).increment(1);
}

/// Hashes admitted and not finished, after a change.
pub fn password_hash_queue_depth(admitted: usize) {
    gauge!(PASSWORD_HASH_QUEUE_DEPTH).set(admitted as f64);
}

/// A hash started after waiting `waited` for a thread.
pub fn password_hash_waited(waited: Duration) {
    histogram!(PASSWORD_HASH_WAIT_SECONDS).record(waited);
}

/// Emails pending in the outbox, as just counted.
pub fn mail_outbox_depth(pending: u64) {
    gauge!(MAIL_OUTBOX_DEPTH).set(pending as f64);
}

/// A rate limit refused a request: which door (`public`, `signed_in`,
/// `admin`, or `mail` for the email budgets) and which budget.
pub fn rate_limited(door: &'static str, budget: &'static str) {
    counter!(RATE_LIMITED_TOTAL, "door" => door, "budget" => budget).increment(1);
}

/// Redis stopped answering: the node counts rate limits locally.
pub fn limiter_fell_back() {
    counter!(LIMITER_FALLBACKS_TOTAL).increment(1);
}
