//! One mailbox, one account: addresses are compared after NFKC, IDNA
//! (punycode) for the domain, and lower-casing.

use crate::{
    backend_tests,
    helpers::{problem, TestApp, PASSWORD},
};

async fn one_mailbox_cannot_hold_two_accounts(app: TestApp) {
    let response = app.register("Ann@Exämple.com", "ann", PASSWORD).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    for (n, same_mailbox) in [
        "ann@xn--exmple-cua.com",
        "ANN@EXÄMPLE.COM",
        // Fullwidth letters, at sign and full stop.
        "\u{ff41}nn\u{ff20}ex\u{e4}mple\u{ff0e}com",
        // "ä" as a + combining diaeresis.
        "ann@exa\u{308}mple.com",
    ]
    .into_iter()
    .enumerate()
    {
        let response = app
            .register(same_mailbox, &format!("ann{n}"), PASSWORD)
            .await;
        problem(response, 409, "email_taken").await;
        // And any form signs in to the one account.
        let response = app.login(same_mailbox, PASSWORD).await;
        assert_eq!(response.status(), 200, "{same_mailbox:?}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email_normalized = 'ann@xn--exmple-cua.com'")
            .await,
        1
    );
}

backend_tests!(one_mailbox_cannot_hold_two_accounts);
