//! Where a page sign-in sends the browser (`next=`), and what a crafted
//! address can make a page say: only our own places and our own words.

use base64::Engine;

use crate::{
    helpers::{TestApp, PASSWORD},
    pages_auth::{browser, post_form},
};

crate::backend_tests!(
    a_no_js_sign_in_redirects_only_within_the_site,
    a_crafted_error_in_the_address_shows_only_our_words,
);

async fn a_no_js_sign_in_redirects_only_within_the_site(app: TestApp) {
    app.signed_up("rhea").await;
    for (next, location) in [
        ("/account/sessions", "/account/sessions"),
        ("/admin/users?q=a b", "/admin/users?q=a%20b"),
        // Browsers drop tabs and newlines and read `\` as `/`: each of
        // these would reach another host if it were sent back as given.
        ("/\t/evil.test", "/account"),
        ("/\n/evil.test", "/account"),
        ("/\r\n/evil.test", "/account"),
        ("/\\evil.test", "/account"),
        ("//evil.test", "/account"),
        ("/.//evil.test", "/account"),
        ("https://evil.test/", "/account"),
        ("/%09/evil.test", "/%09/evil.test"),
        ("/\u{0}/x", "/account"),
    ] {
        let client = browser();
        let response = post_form(
            &app,
            &client,
            "/_fn/sign_in",
            &[
                ("email", "rhea@example.com"),
                ("password", PASSWORD),
                ("next", next),
            ],
            &app.address,
        )
        .await;
        assert!(
            response.status().is_redirection(),
            "{next:?}: {}",
            response.status()
        );
        assert_eq!(response.headers()["location"], location, "{next:?}");
    }
}

async fn a_crafted_error_in_the_address_shows_only_our_words(app: TestApp) {
    // What Leptos puts in the address after a failed form post without
    // JavaScript, here written by an attacker who sends the link around.
    let injected = "Your account is compromised. Call +1 555 0100 now.";
    let error = serde_json::json!({
        "status": 401,
        "code": "invalid_credentials",
        "message": injected,
        "fields": [{ "field": "password", "code": "x", "message": injected }],
        "retry_after": null,
    });
    let encoded = base64::engine::general_purpose::URL_SAFE.encode(error.to_string());
    let page = browser()
        .get(app.url(&format!(
            "/login?__path=/_fn/sign_in&__err={}",
            app::url_path::encode_query_value(&encoded)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(!html.contains("555 0100"), "the injected words are shown");
    // The address still works for its real purpose: our message for the code.
    assert!(
        html.contains("The email or password is incorrect."),
        "our message for the code is shown"
    );
}
