//! Administration limits of issue 11, item 7: an administrator removes a
//! user's 2FA (with their own password, audited, the user told by email);
//! `users:write` cannot grant more than the granter holds; two
//! administrators demoting each other at once leave one administrator.

use serde_json::json;

use crate::{
    helpers::{problem, TestApp, PASSWORD},
    two_factor::{code, enrolled},
};

crate::backend_tests!(
    an_admin_removes_a_users_2fa_with_their_own_password,
    removing_2fa_needs_the_admins_password_and_the_permission,
    the_users_page_removes_2fa_with_a_plain_form,
    users_write_cannot_grant_more_than_the_granter_holds,
    admins_demoting_each_other_at_once_leave_one_admin,
);

async fn id_of(app: &TestApp, name: &str) -> uuid::Uuid {
    app.state
        .auth
        .find_user_by_email(&format!("{name}@example.com"))
        .await
        .unwrap()
        .id
        .as_uuid()
}

/// (2FA on, a secret stored, number of backup codes) of an account, read
/// through the entities (ids are stored differently per database).
async fn two_factor_of(app: &TestApp, id: uuid::Uuid) -> (bool, bool, u64) {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let user = app::entities::users::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let codes = app::entities::backup_codes::Entity::find()
        .filter(app::entities::backup_codes::Column::UserId.eq(id))
        .count(&app.state.db)
        .await
        .unwrap();
    (
        user.totp_enabled,
        user.totp_secret.is_some() || user.totp_pending_secret.is_some(),
        codes,
    )
}

/// (target, actor) of every `two_factor_removed_by_admin` audit event.
async fn removals_audited(app: &TestApp) -> Vec<(Option<uuid::Uuid>, Option<uuid::Uuid>)> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    app::entities::audit_log::Entity::find()
        .filter(app::entities::audit_log::Column::Action.eq("two_factor_removed_by_admin"))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.user_id, row.actor_id))
        .collect()
}

async fn remove_2fa(
    app: &TestApp,
    token: &str,
    user: uuid::Uuid,
    password: &str,
) -> reqwest::Response {
    app.client
        .delete(app.url(&format!("/api/admin/users/{user}/2fa")))
        .bearer_auth(token)
        .json(&json!({ "password": password }))
        .send()
        .await
        .unwrap()
}

async fn an_admin_removes_a_users_2fa_with_their_own_password(app: TestApp) {
    let app = &app;
    let root = app.signed_in_admin("root").await;
    let user = enrolled(app, "lena").await;
    let lena = id_of(app, "lena").await;
    // A sign-in waiting at its challenge when the admin acts.
    let login: serde_json::Value = app.login(&user.email, PASSWORD).await.json().await.unwrap();
    let challenge = login["challenge_token"].as_str().unwrap().to_string();

    let response = remove_2fa(app, &root.access_token, lena, PASSWORD).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["totp_enabled"], false, "{body}");

    assert_eq!(two_factor_of(app, lena).await, (false, false, 0));
    // The open challenge is over.
    app.clock.advance(chrono::Duration::seconds(30));
    let verify = json!({ "challenge_token": challenge, "code": code(app, &user.secret, 0) });
    problem(
        app.post_json("/api/auth/login/verify-2fa", &verify, None)
            .await,
        401,
        "invalid_token",
    )
    .await;
    // Audited with the actor and the target.
    let root_id = id_of(app, "root").await;
    let removals = removals_audited(app).await;
    assert_eq!(removals, vec![(Some(lena), Some(root_id))]);
    // The owner is told, with no link that does anything.
    let mails = app.state.auth.dev_mailbox(Some(50)).await.unwrap();
    let notice = mails
        .iter()
        .find(|m| m.to == user.email && m.subject.contains("Two-factor"))
        .unwrap_or_else(|| panic!("a notice to lena: {mails:#?}"));
    assert!(!notice.text_body.contains("token"), "{}", notice.text_body);
    assert!(!notice.html_body.contains("token"));
    // She signs in with the password alone now.
    let login: serde_json::Value = app.login(&user.email, PASSWORD).await.json().await.unwrap();
    assert!(login["access_token"].is_string(), "{login}");
}

async fn removing_2fa_needs_the_admins_password_and_the_permission(app: TestApp) {
    let app = &app;
    let root = app.signed_in_admin("root").await;
    let user = enrolled(app, "mara").await;
    let mara = id_of(app, "mara").await;

    problem(
        remove_2fa(app, &root.access_token, mara, "Wrong-Password-123").await,
        401,
        "invalid_credentials",
    )
    .await;
    // A body without the password is a clear 4xx too.
    let response = app
        .client
        .delete(app.url(&format!("/api/admin/users/{mara}/2fa")))
        .bearer_auth(&root.access_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);

    // Someone without `users:write` (the user herself included) is refused.
    let viewer = app.signed_up("vic").await;
    problem(
        remove_2fa(app, &viewer.access_token, mara, PASSWORD).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        remove_2fa(app, &user.tokens.access_token, mara, PASSWORD).await,
        403,
        "forbidden",
    )
    .await;
    // Nothing changed.
    assert_eq!(two_factor_of(app, mara).await, (true, true, 10));
    assert!(removals_audited(app).await.is_empty());
    // An unknown account is 404, and an account without 2FA a 400.
    problem(
        remove_2fa(app, &root.access_token, uuid::Uuid::new_v4(), PASSWORD).await,
        404,
        "not_found",
    )
    .await;
    let vic = id_of(app, "vic").await;
    problem(
        remove_2fa(app, &root.access_token, vic, PASSWORD).await,
        400,
        "two_factor_not_enabled",
    )
    .await;
}

async fn the_users_page_removes_2fa_with_a_plain_form(app: TestApp) {
    let app = &app;
    app.signed_in_admin("root").await;
    enrolled(app, "nia").await;
    let nia = id_of(app, "nia").await;
    let client = crate::pages_auth::browser();
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        client
            .post(app.url(path))
            .header("origin", &app.address)
            .header("referer", app.url("/admin/users"))
            .form(&form)
            .send()
    };
    let signed_in = post(
        "/_fn/sign_in",
        vec![
            ("email", "root@example.com".into()),
            ("password", PASSWORD.into()),
        ],
    )
    .await
    .unwrap();
    assert!(signed_in.status().is_redirection());
    let html = client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!(r#"id="remove-2fa-password-{nia}""#)),
        "a password field for the account with 2FA: {html}"
    );

    let wrong = post(
        "/_fn/admin_remove_two_factor",
        vec![
            ("user_id", nia.to_string()),
            ("password", "Not-My-Password-9".into()),
        ],
    )
    .await
    .unwrap();
    let location = wrong.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("__err="), "{location}");
    assert_eq!(two_factor_of(app, nia).await, (true, true, 10));

    let removed = post(
        "/_fn/admin_remove_two_factor",
        vec![("user_id", nia.to_string()), ("password", PASSWORD.into())],
    )
    .await
    .unwrap();
    let location = removed.headers()["location"].to_str().unwrap().to_string();
    assert!(!location.contains("__err="), "{location}");
    assert_eq!(two_factor_of(app, nia).await, (false, false, 0));
}

async fn put_roles(
    app: &TestApp,
    token: &str,
    user: uuid::Uuid,
    roles: &[&str],
) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/admin/users/{user}/roles")))
        .bearer_auth(token)
        .json(&json!({ "roles": roles }))
        .send()
        .await
        .unwrap()
}

async fn users_write_cannot_grant_more_than_the_granter_holds(app: TestApp) {
    let app = &app;
    app.signed_in_admin("root").await;
    // A user manager: `users:write` (and `users:read`) without `*`.
    app.state
        .auth
        .grant_permission("editor", "users:write")
        .await
        .unwrap();
    app.signed_up("manny").await;
    app.set_roles_of("manny", &["editor"]).await;
    let manny = app.signed_in("manny@example.com", PASSWORD).await;
    app.signed_up("tom").await;
    let tom = id_of(app, "tom").await;

    for roles in [&["admin"][..], &["viewer", "admin"][..]] {
        problem(
            put_roles(app, &manny.access_token, tom, roles).await,
            403,
            "forbidden",
        )
        .await;
    }
    // Not even to himself.
    let manny_id = id_of(app, "manny").await;
    problem(
        put_roles(app, &manny.access_token, manny_id, &["admin", "editor"]).await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM user_roles WHERE role = 'admin'")
            .await,
        1
    );
    // Roles within his own permissions he may grant.
    let response = put_roles(app, &manny.access_token, tom, &["editor", "viewer"]).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn admins_demoting_each_other_at_once_leave_one_admin(app: TestApp) {
    let app = &app;
    let ada = app.signed_in_admin("ada").await;
    let bea = app.signed_in_admin("bea").await;
    let (ada_id, bea_id) = (id_of(app, "ada").await, id_of(app, "bea").await);
    // Six rounds of eight: each administrator stays inside the admin
    // door's default budget (30 a minute per account).
    for round in 0..6 {
        // A burst of "demote the other" from both sides at once.
        let mut requests = Vec::new();
        for _ in 0..4 {
            requests.push(put_roles(app, &ada.access_token, bea_id, &["viewer"]));
            requests.push(put_roles(app, &bea.access_token, ada_id, &["viewer"]));
        }
        let responses = futures::future::join_all(requests).await;
        let mut succeeded = 0;
        for response in responses {
            let status = response.status().as_u16();
            assert!(
                matches!(status, 200 | 400 | 403),
                "round {round}: {status} {}",
                response.text().await.unwrap()
            );
            succeeded += usize::from(status == 200);
        }
        assert!(succeeded >= 1, "round {round}: someone is demoted");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM user_roles WHERE role = 'admin'")
                .await,
            1,
            "round {round}: exactly one administrator remains"
        );
        app.set_roles_of("ada", &["admin"]).await;
        app.set_roles_of("bea", &["admin"]).await;
    }
}
