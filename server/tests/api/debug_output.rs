//! Nothing a transport holds prints a secret: `{:?}` of a principal, of
//! tokens, of a 2FA setup or challenge, or of new backup codes never shows a
//! password hash, a TOTP secret, a token or a code. A `Debug` in a log line
//! or a panic message is then harmless.

use app::{
    auth::{sign_in::password::LoginInput, RequestMeta},
    entities::users,
};
use sea_orm::EntityTrait;

use crate::{
    helpers::{TestApp, PASSWORD},
    two_factor::code,
};

crate::backend_tests!(nothing_a_transport_holds_prints_a_secret);

async fn nothing_a_transport_holds_prints_a_secret(app: TestApp) {
    let auth = &app.state.auth;
    let meta = RequestMeta::new([127, 0, 0, 1].into(), None, None);
    let sign_in = || LoginInput {
        email: "dora@example.com",
        password: PASSWORD,
        device_name: None,
    };
    let tokens = app.signed_up("dora").await;
    let issued = auth.login(sign_in(), &meta).await.unwrap();
    let principal = auth.authenticate(&tokens.access_token).await.unwrap();
    let setup = auth.setup_two_factor(&principal).await.unwrap();
    let pending = auth.pending_two_factor_setup(&principal).await.unwrap();
    let totp_secret = data_encoding::BASE32_NOPAD
        .decode(setup.secret.as_bytes())
        .unwrap();
    auth.confirm_two_factor(&principal, &code(&app, &totp_secret, 0), None, &meta)
        .await
        .unwrap();
    let enrolled = auth.authenticate(&tokens.access_token).await.unwrap();
    assert!(enrolled.account.factors.any());
    let challenge = auth.login(sign_in(), &meta).await.unwrap();
    let regenerated = auth
        .regenerate_backup_codes(&enrolled, &code(&app, &totp_secret, 1), &meta)
        .await
        .unwrap();
    let api_token = auth
        .create_api_token(
            &principal,
            app::auth::api_tokens::CreateApiTokenInput {
                name: "debug",
                expires_in_days: 7,
                scopes: &["profile:read".to_string()],
                password: Some(PASSWORD),
            },
            &meta,
        )
        .await
        .unwrap();
    let caller = auth
        .authenticate_caller(&api_token.token, &meta)
        .await
        .unwrap();
    let admin = app.signed_in_admin("dora-admin").await;
    let admin = auth.authenticate(&admin.access_token).await.unwrap();
    let resource_server = auth
        .create_resource_server(app::auth::admin::Actor::User(&admin), "debug", &meta)
        .await
        .unwrap();
    let row = users::Entity::find_by_id(principal.user_id.as_uuid())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();

    let shown = format!(
        "{principal:?} {enrolled:?} {issued:?} {setup:?} {pending:?} {challenge:?} {regenerated:?} \
         {api_token:?} {caller:?} {resource_server:?}"
    );
    let (
        app::types::LoginOutcome::Tokens(issued),
        app::types::LoginOutcome::TwoFactorRequired(challenge),
    ) = (issued, challenge)
    else {
        panic!("a sign-in without 2FA, then one with it");
    };
    let mut secrets = vec![
        row.password_hash,
        row.totp_secret.unwrap(),
        setup.secret.clone(),
        setup.provisioning_uri.clone(),
        tokens.access_token,
        tokens.refresh_token,
        issued.access_token,
        issued.refresh_token,
        challenge.challenge_token,
        api_token.token.clone(),
        resource_server.client_secret.clone(),
    ];
    secrets.extend(setup.backup_codes.clone());
    secrets.extend(regenerated.0.clone());
    for secret in secrets {
        assert!(!shown.contains(&secret), "{secret} in {shown}");
    }
    // Still useful for debugging: who, which session, which factors.
    assert!(shown.contains("dora@example.com"), "{shown}");
    assert!(shown.contains(&principal.session_id.to_string()), "{shown}");
    assert!(shown.contains("totp: true"), "{shown}");
    assert!(shown.contains(&api_token.info.id), "{shown}");
}
