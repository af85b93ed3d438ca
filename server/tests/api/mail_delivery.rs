//! Mail delivery through a real SMTP server on loopback (Debian's
//! `python3-aiosmtpd`, run by `smtp_sink.py`): a reset email arrives and its
//! link completes the reset over HTTP; a mail server that is down makes the
//! worker retry with backoff until it is back; after the last attempt the
//! message is marked failed, never dropped silently.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use serde_json::Value;

use crate::{
    helpers::{Backend, TestApp, PASSWORD},
    recovery::{forgot, link_token, reset, NEW_PASSWORD},
    server_binary, wait,
};

/// The SMTP server, stopped when dropped.
struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    fn start(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/smtp_sink.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("/usr/bin/python3 runs (scripts/lib/setup.sh installs python3-aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server started");
        Self { child, dir }
    }

    fn messages(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
            .collect()
    }

    /// Waits for a message whose subject contains `subject`.
    async fn wait_for(&self, subject: &str) -> Value {
        wait::until(&format!("a message about {subject:?}"), async || {
            let messages = self.messages();
            messages
                .iter()
                .find(|m| m["subject"].as_str().unwrap().contains(subject))
                .cloned()
                .ok_or(messages)
        })
        .await
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn app_with_smtp(port: u16) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, move |vars| {
        vars.insert("SMTP_URL".into(), format!("smtp://127.0.0.1:{port}"));
        vars.insert("MAIL_FROM".into(), "Gatehouse <auth@example.com>".into());
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_email_arrives_over_smtp_and_its_link_works() {
    let port = server_binary::free_port();
    let sink = SmtpSink::start(port);
    let app = app_with_smtp(port).await;
    app.signed_up("sam").await;
    let response = forgot(&app, "sam@example.com").await;
    assert_eq!(response.status(), 202);

    let message = sink.wait_for("Reset your").await;
    assert_eq!(message["to"], serde_json::json!(["sam@example.com"]));
    assert_eq!(message["from"], "auth@example.com");
    assert!(message["html"]
        .as_str()
        .unwrap()
        .contains("/reset-password?token="));
    let token = link_token(message["text"].as_str().unwrap(), "/reset-password").unwrap();
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 200);
    app.signed_in("sam@example.com", NEW_PASSWORD).await;

    // Delivered messages do not keep their links at rest.
    app.wait_for_count(
        "SELECT COUNT(*) FROM email_outbox WHERE status = 'sent' AND text_body LIKE '%token=%'",
        0,
    )
    .await;
    sink.wait_for("Confirm your email").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_is_retried_until_the_smtp_server_is_back() {
    let port = server_binary::free_port();
    let app = app_with_smtp(port).await;
    app.signed_up("dina").await;
    assert_eq!(forgot(&app, "dina@example.com").await.status(), 202);
    // Nothing listens: both emails (verification, reset) fail once and wait.
    app.wait_for_count(
        "SELECT COUNT(*) FROM email_outbox WHERE status = 'pending' AND attempts = 1 \
         AND last_error IS NOT NULL",
        2,
    )
    .await;

    let sink = SmtpSink::start(port);
    // Not before the backoff has passed.
    app.state.auth.deliver_due_mail().await.unwrap();
    assert!(sink.messages().is_empty());
    app.clock.advance(chrono::Duration::seconds(31));
    app.state.auth.wake_mailer();
    app.wait_for_count(
        "SELECT COUNT(*) FROM email_outbox WHERE status = 'sent' AND attempts = 2",
        2,
    )
    .await;
    let message = sink.wait_for("Reset your").await;
    let token = link_token(message["text"].as_str().unwrap(), "/reset-password").unwrap();
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 200);
    app.signed_in("dina@example.com", NEW_PASSWORD).await;
    // The notice of the reset goes out at once now that the server is up.
    sink.wait_for("password was changed").await;
    assert_eq!(sink.messages().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_that_never_goes_through_is_marked_failed() {
    let port = server_binary::free_port();
    let app = app_with_smtp(port).await;
    let response = app.register("fay@example.com", "fay", PASSWORD).await;
    assert_eq!(response.status(), 201);
    let failed =
        "SELECT COUNT(*) FROM email_outbox WHERE status = 'failed' AND last_error IS NOT NULL";
    for _ in 0..3 * app::auth::outbox::MAX_ATTEMPTS {
        if app.count(failed).await == 1 {
            break;
        }
        app.clock.advance(chrono::Duration::hours(2));
        app.state.auth.deliver_due_mail().await.unwrap();
    }
    app.wait_for_count(failed, 1).await;
    let attempts = app.count("SELECT attempts FROM email_outbox").await;
    assert_eq!(attempts, i64::from(app::auth::outbox::MAX_ATTEMPTS));
}
