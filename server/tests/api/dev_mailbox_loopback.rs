//! `/dev/mailbox` answers only a client on this machine, even in
//! development: the client address as the service sees it (through trusted
//! proxies) must be loopback.

use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn the_dev_mailbox_is_for_loopback_clients_only() {
    let app = TestApp::spawn_with(Backend::Sqlite, |vars| {
        vars.insert("TRUSTED_PROXIES".into(), "127.0.0.1/32".into());
    })
    .await
    .unwrap();
    app.signed_up("lou").await;

    // Directly from loopback: the mailbox with the verification email.
    let page = app.get("/dev/mailbox").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("lou@example.com"));

    // Through the trusted proxy for a client elsewhere: nothing.
    for client in ["203.0.113.9", "2001:db8::9", "10.0.0.4"] {
        let page = app
            .client
            .get(app.url("/dev/mailbox"))
            .header("x-forwarded-for", client)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 404, "{client}");
        let html = page.text().await.unwrap();
        assert!(!html.contains("lou@example.com"), "{client}: {html}");
        assert!(!html.contains("token="), "{client}: {html}");
    }
    // The server function the page calls, too.
    let answer = app
        .client
        .post(app.url("/_fn/dev_mailbox"))
        .header("x-forwarded-for", "203.0.113.9")
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    assert!(!answer.text().await.unwrap().contains("lou@example.com"));
}
