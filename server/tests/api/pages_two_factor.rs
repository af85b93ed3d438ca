//! The 2FA settings page as a browser without JavaScript uses it: every step
//! a form post and a redirect back to `/account/2fa`, the pending setup shown
//! again from the service, backup codes shown exactly once and never stored
//! readable in the cookie session.

use sea_orm::EntityTrait;

use crate::helpers::{TestApp, PASSWORD};

crate::backend_tests!(two_factor_settings_work_as_plain_forms_and_show_codes_once);

const PAGE: &str = "/account/2fa";

async fn post_from_page(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("origin", &app.address)
        .header("referer", app.url(PAGE))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn page(app: &TestApp, client: &reqwest::Client) -> String {
    let response = client.get(app.url(PAGE)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// A successful post goes back to the page, without an error (Leptos
/// leaves an empty `?` where it stripped an earlier one).
fn assert_back_on_page(app: &TestApp, response: &reqwest::Response) {
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()["location"].to_str().unwrap();
    assert_eq!(location.trim_end_matches('?'), app.url(PAGE));
}

/// The texts of the `<code>` elements after `marker` in `html`.
fn codes_after(html: &str, marker: &str) -> Vec<String> {
    let Some((_, rest)) = html.split_once(marker) else {
        return Vec::new();
    };
    let list = rest.split("</ul>").next().unwrap();
    list.split("<code>")
        .skip(1)
        // Leptos marks text nodes with `<!>` comments, which a browser skips.
        .map(|part| part.split("</code>").next().unwrap().replace("<!>", ""))
        .collect()
}

fn totp(app: &TestApp, secret_base32: &str) -> String {
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_base32.as_bytes())
        .unwrap();
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, 30, secret);
    totp.generate(app.clock_now().timestamp() as u64)
}

async fn two_factor_settings_work_as_plain_forms_and_show_codes_once(app: TestApp) {
    app.signed_up("tara").await;
    let client = crate::pages_auth::browser();
    let signed_in = post_from_page(
        &app,
        &client,
        "/_fn/sign_in",
        &[("email", "tara@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert!(signed_in.status().is_redirection());

    let html = page(&app, &client).await;
    assert!(
        html.contains(r#"data-testid="two-factor-status">Off<"#),
        "{html}"
    );

    let started = post_from_page(&app, &client, "/_fn/start_two_factor_setup", &[]).await;
    assert_back_on_page(&app, &started);
    let html = page(&app, &client).await;
    let secret = html
        .split_once(r#"data-testid="totp-secret""#)
        .and_then(|(_, rest)| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(secret, _)| secret.to_string())
        .unwrap_or_else(|| panic!("the key is on the page: {html}"));
    assert_eq!(secret.len(), 52, "256 bits in base32: {secret}");
    assert!(html.contains("data:image/svg+xml;base64,"), "the QR code");
    assert!(codes_after(&html, r#"data-testid="backup-codes""#).is_empty());

    // A wrong code: back to the page with the error; still off, same key.
    let wrong = post_from_page(
        &app,
        &client,
        "/_fn/confirm_two_factor_setup",
        &[("code", "000000")],
    )
    .await;
    let location = wrong.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("__err="), "{location}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE totp_enabled")
            .await,
        0
    );
    let html = client
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("code is wrong"), "{html}");
    assert!(html.contains(&secret), "the same setup is shown again");

    let code = totp(&app, &secret);
    let confirmed = post_from_page(
        &app,
        &client,
        "/_fn/confirm_two_factor_setup",
        &[("code", &code)],
    )
    .await;
    assert_back_on_page(&app, &confirmed);
    let stored: Vec<Vec<u8>> = app::entities::cookie_sessions::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.data)
        .collect();

    let html = page(&app, &client).await;
    let codes = codes_after(&html, r#"data-testid="backup-codes""#);
    assert_eq!(codes.len(), 10, "{html}");
    assert!(html.contains("gatehouse-backup-codes.txt"), "a download");
    for code in &codes {
        for data in &stored {
            let readable = String::from_utf8_lossy(data);
            assert!(!readable.contains(code.as_str()), "{code} stored in clear");
        }
    }

    // Shown once: the next render has the count only.
    let html = page(&app, &client).await;
    assert!(codes_after(&html, r#"data-testid="backup-codes""#).is_empty());
    assert!(html.contains("10 of 10 backup codes left."), "{html}");

    // The codes shown are the account's codes.
    let login: serde_json::Value = app
        .login("tara@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let challenge = login["challenge_token"].as_str().unwrap();
    let response = app
        .post_json(
            "/api/auth/login/verify-backup-code",
            &serde_json::json!({ "challenge_token": challenge, "backup_code": codes[0] }),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
}
