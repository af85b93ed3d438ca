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

/// The operator's command line (`server admin promote --email`) and an
/// administrator's search find an account by any form of its address.
/// Fails before: the lookup lower-cased by hand, so a fullwidth or
/// Unicode-domain form found nothing (`no account with this email`).
async fn the_operator_and_admins_find_any_form_of_an_address(app: TestApp) {
    let response = app.register("Ann@Exämple.com", "ann", PASSWORD).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let id = app
        .state
        .auth
        .find_user_by_email("ann@xn--exmple-cua.com")
        .await
        .expect("the stored form")
        .id;
    for form in [
        "ANN@EXÄMPLE.COM",
        "\u{ff41}nn\u{ff20}ex\u{e4}mple\u{ff0e}com",
        "ann@exa\u{308}mple.com",
    ] {
        let found = app.state.auth.find_user_by_email(form).await;
        assert_eq!(found.map(|user| user.id).ok(), Some(id), "{form:?}");
    }

    let root = app.signed_in_admin("root").await;
    for term in [
        "EXÄMPLE",
        "\u{ff41}nn\u{ff20}ex\u{e4}mple",
        "n@exa\u{308}mple.c",
    ] {
        let page: serde_json::Value = app
            .client
            .get(app.url("/api/admin/users"))
            .query(&[("q", term)])
            .bearer_auth(&root.access_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 1, "{term:?}: {page}");
        assert_eq!(page["users"][0]["id"], id.to_string(), "{term:?}");
    }
}

backend_tests!(
    one_mailbox_cannot_hold_two_accounts,
    the_operator_and_admins_find_any_form_of_an_address,
);
